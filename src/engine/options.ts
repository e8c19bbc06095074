/**
 * Options of the LSQML engine: one typed object whose defaults are pty-chi's (commit 8aee9c2,
 * `LSQMLOptions` and the object/probe option classes; spec/lsqml.md §3.16). Every field is
 * documented with the pty-chi option it mirrors. Fields marked DEPARTURE are deliberate departures
 * from pty-chi; each is described in docs/lsqml.md with the reason for its default.
 */

export type NoiseModel = 'gaussian' | 'poisson';

/** How positions relative to the origin map into the object buffer: src/math/positions.ts. */
import type { OriginConvention } from '../math/positions.js';
export type { OriginConvention };

/**
 * Working precision of the reconstruction. 'float32': complex64 buffers, the f32x4 WASM-SIMD FFT and
 * kernels — pty-chi's own precision (its default dtype, FFTs in complex64); the per-position sums
 * (loss, step sizes, Poisson step) are float32 over short runs added in float64, and the
 * preconditioner, its maximum and the 2×2 solves stay float64. 'float64': complex128 throughout.
 * The TypeScript fallback (no WASM kernels, or fftBackend 'ts') always computes in float64; the
 * result's `precision` says which one ran.
 */
export type Precision = 'float32' | 'float64';

/** When a parameter is optimised: epochs e with start ≤ e < stop and (e − start) mod stride = 0. */
export interface OptimizationPlan {
  /** First epoch (pty-chi `optimization_plan.start`, default 0). */
  start: number;
  /** First epoch no longer optimised, or null for never (pty-chi `stop`, default None). */
  stop: number | null;
  /** Every `stride`-th epoch from `start` (pty-chi `stride`, default 1). */
  stride: number;
}

export interface LsqmlOptions {
  /** Number of epochs, epoch 0 included (pty-chi `num_epochs`, default 100). With
   *  `rescaleProbeIntensityInFirstEpoch` epoch 0 makes no update, so n epochs give n − 1 updates. */
  epochs: number;
  /** Minibatch size (pty-chi `batch_size`, default 100). The last minibatch of an epoch is shorter. */
  batchSize: number;
  /** Far-field noise model (pty-chi `noise_model`, default GAUSSIAN). */
  noiseModel: NoiseModel;
  /** σ of the Gaussian model (pty-chi `gaussian_noise_std`, default 0.5: the modulus projection). */
  gaussianNoiseStd: number;
  /** Epoch 0 only rescales the probe to the measured intensity (pty-chi
   *  `rescale_probe_intensity_in_first_epoch`, default true). */
  rescaleProbeIntensityInFirstEpoch: boolean;
  /** δ of the preconditioner D/√(C² + (δ·max C)²) (pty-chi `preconditioning_damping_factor`, 0.1). */
  preconditioningDampingFactor: number;
  /** Build the illumination map from all incoherent modes instead of mode 0 (pty-chi
   *  `build_preconditioner_with_all_modes`, default false). */
  buildPreconditionerWithAllModes: boolean;
  /** λ_LSQ: a11 and a22 of the per-position 2×2 step-size system are boosted by this fraction of
   *  their batch mean (pty-chi's hard-coded 0.1 in `calculate_object_and_probe_update_step_sizes`). */
  stepSizeRegularization: number;
  /** β_LSQ for the object step (pty-chi object `optimal_step_size_scaler`, default 0.9). */
  objectStepSizeScaler: number;
  /** β_LSQ for the probe step (pty-chi probe `optimal_step_size_scaler`, default 0.9). */
  probeStepSizeScaler: number;
  /** Object direction sums all incoherent modes and the object step is divided by M (pty-chi object
   *  `multimodal_update`, default true). With false the mode-0 direction is used and not divided. */
  multimodalUpdate: boolean;
  /** SGD learning rate of the object (pty-chi object `step_size`, default 1). */
  objectLearningRate: number;
  /** SGD learning rate of the probe (pty-chi probe `step_size`, default 1). */
  probeLearningRate: number;
  /** Whether and when the object is updated (pty-chi object `optimizable` + `optimization_plan`). */
  objectOptimizable: boolean;
  objectPlan: OptimizationPlan;
  /** Whether and when the probe is updated (pty-chi probe `optimizable` + `optimization_plan`).
   *  `probePlan.start` also shifts the preconditioner schedule (docs/lsqml.md). */
  probeOptimizable: boolean;
  probePlan: OptimizationPlan;
  /** SVD orthogonalisation of the incoherent probe modes at the end of every epoch of the plan
   *  (pty-chi probe `orthogonalize_incoherent_modes`, enabled, method SVD, stride 1). No-op for M = 1. */
  orthogonalizeIncoherentModes: boolean;
  orthogonalizePlan: OptimizationPlan;
  /** Object–probe scale-ambiguity removal at the end of epochs 0, 10, 20… (pty-chi object
   *  `remove_object_probe_ambiguity`, enabled, stride 10). */
  removeObjectProbeAmbiguity: boolean;
  ambiguityPlan: OptimizationPlan;
  /** Pixels with measured intensity ≤ this value are unconstrained in the far-field step (pty-chi
   *  `exclude_measured_pixels_below`, default None = null). */
  excludeMeasuredPixelsBelow: number | null;
  /** Standard deviation of the Gaussian perturbation pty-chi adds to the Poisson far-field step
   *  (hard-coded 0.01 in `get_psi_far_step_size`). Set 0 to reproduce the parity fixtures. */
  poissonStepNoise: number;
  /** DEPARTURE. Clamp the Poisson far-field step to [0, 1] again after the perturbation (pty-chi
   *  does not), so the batch mean ā never exceeds 1 and 1 − ā·ξ never reaches zero (docs/lsqml.md
   *  "Hazard"). Default true. Without noise it changes nothing. */
  clampPoissonStepAfterNoise: boolean;
  /** DEPARTURE (option). Position origin convention (docs/lsqml.md, pty-chi issue #73). Default
   *  'ptychi' (the snapshot the fixtures come from); see docs/lsqml.md. */
  originConvention: OriginConvention;
  /** Seed of the engine's random streams: minibatch order and the Poisson step perturbation. */
  seed: number | string;
  /** Stop with an LsqmlDivergenceError when an epoch's loss is not finite, or exceeds this factor
   *  times the previous epoch's loss or the epoch-0 loss. Not in pty-chi; default 10. */
  divergenceFactor: number;
  /** Threads for the per-position work (this thread + threads − 1 worker threads). Results are
   *  bit-identical for any thread count. Default 1. */
  threads: number;
  /** FFT backend ('auto': WASM SIMD when available). */
  fftBackend: 'auto' | 'ts' | 'wasm';
  /** Working precision (see `Precision`); default 'float32', pty-chi's. */
  precision: Precision;
}

const everyEpoch: OptimizationPlan = { start: 0, stop: null, stride: 1 };

/** pty-chi's defaults (docs/lsqml.md). */
export const DEFAULT_LSQML_OPTIONS: Readonly<LsqmlOptions> = Object.freeze({
  epochs: 100,
  batchSize: 100,
  noiseModel: 'gaussian',
  gaussianNoiseStd: 0.5,
  rescaleProbeIntensityInFirstEpoch: true,
  preconditioningDampingFactor: 0.1,
  buildPreconditionerWithAllModes: false,
  stepSizeRegularization: 0.1,
  objectStepSizeScaler: 0.9,
  probeStepSizeScaler: 0.9,
  multimodalUpdate: true,
  objectLearningRate: 1,
  probeLearningRate: 1,
  objectOptimizable: true,
  objectPlan: everyEpoch,
  probeOptimizable: true,
  probePlan: everyEpoch,
  orthogonalizeIncoherentModes: true,
  orthogonalizePlan: everyEpoch,
  removeObjectProbeAmbiguity: true,
  ambiguityPlan: { start: 0, stop: null, stride: 10 },
  excludeMeasuredPixelsBelow: null,
  poissonStepNoise: 0.01,
  clampPoissonStepAfterNoise: true,
  originConvention: 'ptychi',
  seed: 0,
  divergenceFactor: 10,
  threads: 1,
  fftBackend: 'auto',
  precision: 'float32',
} satisfies LsqmlOptions);

/** True when `plan` schedules epoch `e` (pty-chi `optimization_enabled`). */
export function planActive(plan: OptimizationPlan, e: number): boolean {
  if (e < plan.start) return false;
  if (plan.stop !== null && e >= plan.stop) return false;
  return (e - plan.start) % plan.stride === 0;
}

/** The most threads one reconstruction takes: each worker thread holds its own buffers (about 10 MB). */
export const MAX_LSQML_THREADS = 256;

/** The first epoch ≥ `from` that `plan` schedules, or null when there is none below `epochs`. */
function firstPlannedEpoch(plan: OptimizationPlan, from: number, epochs: number): number | null {
  const e = from <= plan.start ? plan.start : plan.start + Math.ceil((from - plan.start) / plan.stride) * plan.stride;
  return e < epochs && (plan.stop === null || e < plan.stop) ? e : null;
}

/**
 * What the options ask for that a run of `o.epochs` epochs with `modes` probe modes never does: an object or
 * probe update, a mode orthogonalisation or an ambiguity removal whose plan schedules no epoch of the run
 * (epoch 0 does not count for the updates while it only rescales the probe), and a setting of the other
 * noise model changed from its default. One line each (the engine's `warnings`).
 */
export function optionWarnings(o: LsqmlOptions, modes: number): string[] {
  const out: string[] = [];
  const plan = (p: OptimizationPlan): string => `{start: ${p.start}, stop: ${p.stop}, stride: ${p.stride}}`;
  const last = o.epochs - 1;
  const firstUpdate = o.rescaleProbeIntensityInFirstEpoch ? 1 : 0;
  const updates = firstUpdate > last ? 'its one epoch only rescales the probe'
    : `epochs ${firstUpdate}–${last} update${firstUpdate === 1 ? '; epoch 0 only rescales the probe' : ''}`;
  const never = (key: string, p: OptimizationPlan, from: number, what: string, span: string): void => {
    if (firstPlannedEpoch(p, from, o.epochs) === null) out.push(`${key} ${plan(p)} schedules none of this run's epochs (${span}): ${what}`);
  };
  if (o.objectOptimizable) never('objectPlan', o.objectPlan, firstUpdate, 'the object is never updated', updates);
  if (o.probeOptimizable) never('probePlan', o.probePlan, firstUpdate, 'the probe is never updated', updates);
  if (o.orthogonalizeIncoherentModes && modes > 1) never('orthogonalizePlan', o.orthogonalizePlan, 0, 'the probe modes are never orthogonalised', `epochs 0–${last}`);
  if (o.removeObjectProbeAmbiguity) never('ambiguityPlan', o.ambiguityPlan, 0, 'the object–probe ambiguity is never removed', `epochs 0–${last}`);
  const D = DEFAULT_LSQML_OPTIONS;
  if (o.noiseModel === 'poisson' && o.gaussianNoiseStd !== D.gaussianNoiseStd) {
    out.push(`gaussianNoiseStd ${o.gaussianNoiseStd} has no effect: it is the σ of the Gaussian noise model, and the Poisson model runs`);
  }
  if (o.noiseModel === 'gaussian') {
    for (const k of ['poissonStepNoise', 'clampPoissonStepAfterNoise'] as const) {
      if (o[k] !== D[k]) out.push(`${k} ${String(o[k])} has no effect: it belongs to the Poisson noise model, and the Gaussian model runs`);
    }
  }
  return out;
}

/** Merges user options over the defaults and checks every field; throws RangeError naming the field. */
export function resolveLsqmlOptions(user: Partial<LsqmlOptions> = {}): LsqmlOptions {
  const o: LsqmlOptions = { ...DEFAULT_LSQML_OPTIONS, ...user };
  for (const k of Object.keys(user)) {
    if (!(k in DEFAULT_LSQML_OPTIONS)) throw new RangeError(`unknown LSQML option '${k}'`);
  }
  const posInt = (k: keyof LsqmlOptions): void => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`LSQML option ${k} must be a positive integer, got ${String(v)}`);
  };
  const nonNeg = (k: keyof LsqmlOptions): void => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`LSQML option ${k} must be a finite number ≥ 0, got ${String(v)}`);
  };
  posInt('epochs'); posInt('batchSize'); posInt('threads');
  if (o.threads > MAX_LSQML_THREADS) throw new RangeError(`LSQML option threads must be at most ${MAX_LSQML_THREADS} (MAX_LSQML_THREADS), got ${o.threads}`);
  for (const k of ['preconditioningDampingFactor', 'stepSizeRegularization', 'objectStepSizeScaler', 'probeStepSizeScaler',
    'objectLearningRate', 'probeLearningRate', 'poissonStepNoise'] as const) nonNeg(k);
  if (!(o.gaussianNoiseStd > 0) || !Number.isFinite(o.gaussianNoiseStd)) throw new RangeError(`LSQML option gaussianNoiseStd must be > 0, got ${o.gaussianNoiseStd}`);
  if (!(o.divergenceFactor > 1)) throw new RangeError(`LSQML option divergenceFactor must be > 1, got ${o.divergenceFactor}`);
  if (o.noiseModel !== 'gaussian' && o.noiseModel !== 'poisson') throw new RangeError(`LSQML option noiseModel must be 'gaussian' or 'poisson', got '${String(o.noiseModel)}'`);
  if (o.originConvention !== 'ptychi' && o.originConvention !== 'centered') throw new RangeError(`LSQML option originConvention must be 'ptychi' or 'centered', got '${String(o.originConvention)}'`);
  if (o.fftBackend !== 'auto' && o.fftBackend !== 'ts' && o.fftBackend !== 'wasm') throw new RangeError(`LSQML option fftBackend must be auto, ts or wasm, got '${String(o.fftBackend)}'`);
  if (o.precision !== 'float32' && o.precision !== 'float64') throw new RangeError(`LSQML option precision must be float32 or float64, got '${String(o.precision)}'`);
  if (o.excludeMeasuredPixelsBelow !== null && !Number.isFinite(o.excludeMeasuredPixelsBelow)) throw new RangeError('LSQML option excludeMeasuredPixelsBelow must be a finite number or null');
  for (const k of ['objectPlan', 'probePlan', 'orthogonalizePlan', 'ambiguityPlan'] as const) {
    const p = o[k];
    if (!p || !Number.isInteger(p.start) || p.start < 0 || !Number.isInteger(p.stride) || p.stride < 1
      || (p.stop !== null && (!Number.isInteger(p.stop) || p.stop <= p.start))) {
      throw new RangeError(`LSQML option ${k} must be {start ≥ 0, stop: integer > start | null, stride ≥ 1}`);
    }
  }
  return o;
}
