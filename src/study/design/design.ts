/**
 * Phase A — the study design: the reference study's design record (PtychoPINN
 * `studies/fly64_dose_overlap/design.py::get_study_design`, STUDY-SYNTH-FLY64-DOSE-OVERLAP-001) —
 * doses, grid sizes, neighbour count, patch size, overlap views, split axis, seeds, metrics settings.
 *
 * Where a field is also a setting of ours (doses, N, views, split axis, the simulation and view-selection
 * seeds) its default is the settings schema's (src/settings/schema.ts) and `designFromSettings` fills it
 * from the settings a study runs with, so design.json records the seeds actually used. The other fields
 * are the reference's own values, kept for the record: grid sizes 1 and 2, K = 7 neighbours, the grouping
 * seed 123 (which the reference never uses), the metrics configuration.
 *
 * `spacing_thresholds` is derived, never passed in: S = (1 − f)·N for every overlap view, recomputed
 * whenever a design is built.
 */
import { UsageError } from '../../errors.js';
import { spacingThreshold } from '../../geometry/spacing.js';
import { settingsDefaults } from '../../settings/parse.js';
import type { StudySettings } from '../../settings/schema.js';

export interface RngSeeds {
  simulation: number;
  grouping: number;
  subsampling: number;
}

export interface MetricsConfig {
  ms_ssim_sigma: number;
  emphasize_phase: boolean;
  report_amplitude: boolean;
  frc_threshold: number;
}

/** Constructor input: every field optional; missing ones take the reference values. */
export interface StudyDesignInit {
  dose_list?: readonly number[];
  gridsizes?: readonly number[];
  neighbor_count?: number;
  patch_size_pixels?: number;
  overlap_views?: Readonly<Record<string, number>>;
  train_test_split_axis?: 'x' | 'y';
  rng_seeds?: Partial<RngSeeds>;
  metrics_config?: Partial<MetricsConfig>;
}

/** The plain-JSON form of a design; exactly these nine keys, in this order. */
export interface StudyDesignJSON {
  dose_list: number[];
  gridsizes: number[];
  neighbor_count: number;
  patch_size_pixels: number;
  overlap_views: Record<string, number>;
  spacing_thresholds: Record<string, number>;
  train_test_split_axis: 'x' | 'y';
  rng_seeds: RngSeeds;
  metrics_config: MetricsConfig;
}

const DEFAULTS = settingsDefaults();
export const REFERENCE_DOSES: readonly number[] = DEFAULTS.simulation.doses;
export const REFERENCE_PATCH_SIZE = DEFAULTS.simulation.patchSize;
export const REFERENCE_OVERLAP_VIEWS: Readonly<Record<string, number>> = DEFAULTS.overlap.views;
export const REFERENCE_SEEDS: Readonly<RngSeeds> = { simulation: DEFAULTS.simulation.seed, grouping: 123, subsampling: DEFAULTS.overlap.seed };
export const REFERENCE_METRICS: Readonly<MetricsConfig> = {
  ms_ssim_sigma: 1.0, emphasize_phase: true, report_amplitude: true, frc_threshold: 0.5,
};

/** Raised by `StudyDesign.validate()`; the messages are the reference study's. */
export class DesignError extends UsageError {
  constructor(message: string) { super(message); this.name = 'DesignError'; }
}

export class StudyDesign {
  readonly dose_list: number[];
  readonly gridsizes: number[];
  readonly neighbor_count: number;
  readonly patch_size_pixels: number;
  readonly overlap_views: Record<string, number>;
  /** Derived: (1 − f)·N per view. */
  readonly spacing_thresholds: Record<string, number>;
  readonly train_test_split_axis: 'x' | 'y';
  readonly rng_seeds: RngSeeds;
  readonly metrics_config: MetricsConfig;

  constructor(init: StudyDesignInit = {}) {
    this.dose_list = [...(init.dose_list ?? REFERENCE_DOSES)];
    this.gridsizes = [...(init.gridsizes ?? [1, 2])];
    this.neighbor_count = init.neighbor_count ?? 7;
    this.patch_size_pixels = init.patch_size_pixels ?? REFERENCE_PATCH_SIZE;
    this.overlap_views = { ...(init.overlap_views ?? REFERENCE_OVERLAP_VIEWS) };
    this.train_test_split_axis = init.train_test_split_axis ?? DEFAULTS.simulation.splitAxis;
    this.rng_seeds = { ...REFERENCE_SEEDS, ...(init.rng_seeds ?? {}) };
    this.metrics_config = { ...REFERENCE_METRICS, ...(init.metrics_config ?? {}) };
    this.spacing_thresholds = {};
    for (const [view, f] of Object.entries(this.overlap_views)) {
      this.spacing_thresholds[view] = spacingThreshold(f, this.patch_size_pixels);
    }
  }

  /**
   * Checks the design; throws `DesignError` with the first violation, in the reference's order:
   * neighbour count vs grid size, overlap fractions, spacing thresholds, doses.
   */
  validate(): this {
    const gmax = this.gridsizes.length > 0 ? Math.max(...this.gridsizes) : 1;
    const c = gmax * gmax;
    if (!(this.neighbor_count >= c)) {
      throw new DesignError(
        `neighbor_count=${this.neighbor_count} must be ≥ C=${c} (gridsize²=${gmax}²) for K-choose-C oversampling`);
    }
    for (const [view, f] of Object.entries(this.overlap_views)) {
      if (!(f >= 0 && f < 1)) throw new DesignError(`overlap_views['${view}']=${f} must be in [0, 1)`);
    }
    for (const [view, s] of Object.entries(this.spacing_thresholds)) {
      if (!(s > 0)) throw new DesignError(`spacing_thresholds['${view}']=${s} must be positive`);
    }
    if (this.dose_list.length === 0) throw new DesignError('dose_list must not be empty');
    if (this.dose_list.some((d) => !(d > 0) || !Number.isFinite(d))) throw new DesignError('All doses must be positive');
    if (!(Number.isInteger(this.patch_size_pixels) && this.patch_size_pixels > 0)) {
      throw new DesignError(`patch_size_pixels=${this.patch_size_pixels} must be a positive integer`);
    }
    return this;
  }

  /** A copy with some fields replaced (spacing thresholds recomputed). */
  with(init: StudyDesignInit): StudyDesign {
    return new StudyDesign({ ...this.toInit(), ...init });
  }

  private toInit(): StudyDesignInit {
    return {
      dose_list: this.dose_list, gridsizes: this.gridsizes, neighbor_count: this.neighbor_count,
      patch_size_pixels: this.patch_size_pixels, overlap_views: this.overlap_views,
      train_test_split_axis: this.train_test_split_axis, rng_seeds: this.rng_seeds, metrics_config: this.metrics_config,
    };
  }

  /** The reference's `StudyDesign.to_dict()`: exactly these nine keys, in this order, deep-copied. */
  toJSON(): StudyDesignJSON {
    return {
      dose_list: [...this.dose_list],
      gridsizes: [...this.gridsizes],
      neighbor_count: this.neighbor_count,
      patch_size_pixels: this.patch_size_pixels,
      overlap_views: { ...this.overlap_views },
      spacing_thresholds: { ...this.spacing_thresholds },
      train_test_split_axis: this.train_test_split_axis,
      rng_seeds: { ...this.rng_seeds },
      metrics_config: { ...this.metrics_config },
    };
  }

  /** Rebuilds a design from its JSON form (e.g. a hub's design.json); `spacing_thresholds` is recomputed. */
  static fromJSON(value: unknown): StudyDesign {
    if (!value || typeof value !== 'object') throw new DesignError('design JSON must be an object');
    const v = value as Partial<StudyDesignJSON>;
    return new StudyDesign({
      dose_list: v.dose_list, gridsizes: v.gridsizes, neighbor_count: v.neighbor_count,
      patch_size_pixels: v.patch_size_pixels, overlap_views: v.overlap_views,
      train_test_split_axis: v.train_test_split_axis, rng_seeds: v.rng_seeds, metrics_config: v.metrics_config,
    });
  }
}

/** The reference design (`get_study_design()`), validated. */
export function getStudyDesign(init: StudyDesignInit = {}): StudyDesign {
  return new StudyDesign(init).validate();
}

/** The design of a study run with `settings`: its doses, N, views, split axis and seeds. */
export function designFromSettings(settings: StudySettings): StudyDesign {
  return new StudyDesign({
    dose_list: settings.simulation.doses,
    patch_size_pixels: settings.simulation.patchSize,
    overlap_views: settings.overlap.views,
    train_test_split_axis: settings.simulation.splitAxis,
    rng_seeds: { simulation: settings.simulation.seed, subsampling: settings.overlap.seed },
  });
}
