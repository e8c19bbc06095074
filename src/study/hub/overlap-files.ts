/**
 * Phase D's overlap metrics of a view, `<dose>/<view>/metrics_bundle.json` (`{ train: {…}, test: {…} }`,
 * docs/overlap.md), read for the report: the measured overlap and counts of the view and, under `input`,
 * of the Phase C split it was cut from (the baseline). Fields that are absent or not numbers are null.
 */
import { InputError } from '../../errors.js';
import { printable } from '../../text.js';
import { readJsonTextAtMost } from '../../files/bounded-read.js';

export interface OverlapStats {
  positions: number | null;
  /** Mean disc-overlap fraction with the nearest neighbours (`metric_2_image_based_avg`). */
  overlap: number | null;
  /** `metric_3_group_to_group_avg`. */
  groupOverlap: number | null;
  coverage: number | null;
  nnMedian: number | null;
  nnMin: number | null;
}

export interface ViewOverlap extends OverlapStats {
  spacingThreshold: number | null;
  overlapFraction: number | null;
  strategy: string | null;
  candidates: number | null;
  acceptanceRate: number | null;
  insufficient: boolean | null;
  probeDiameter: number | null;
  /** How many nearest neighbours each position's overlap is averaged over (`neighbor_count`). */
  neighbourCount: number | null;
  /** The Phase C split the view was cut from. */
  input: OverlapStats | null;
}

const MAX_BUNDLE_BYTES = 16 * 2 ** 20;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function stats(o: Record<string, unknown>, countKey: string): OverlapStats {
  const nn = obj(o.nn_spacing);
  return {
    positions: num(o[countKey]), overlap: num(o.metric_2_image_based_avg), groupOverlap: num(o.metric_3_group_to_group_avg),
    coverage: num(o.coverage_fraction), nnMedian: num(nn?.median), nnMin: num(nn?.min),
  };
}

/** The train and test entries of a metrics bundle (a split that is missing is absent). Broken JSON → InputError. */
export function readOverlapBundle(path: string): Partial<Record<'train' | 'test', ViewOverlap>> {
  const text = readJsonTextAtMost(path, MAX_BUNDLE_BYTES, 'an overlap bundle');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${printable((err as Error).message)})`);
  }
  const root = obj(doc);
  if (!root) throw new InputError(`${path}: expected an object with train and test entries`);
  const out: Partial<Record<'train' | 'test', ViewOverlap>> = {};
  for (const split of ['train', 'test'] as const) {
    const o = obj(root[split]);
    if (!o) continue;
    const input = obj(o.input);
    out[split] = {
      ...stats(o, 'n_accepted'),
      spacingThreshold: num(o.spacing_threshold), overlapFraction: num(o.overlap_fraction),
      strategy: typeof o.selection_strategy === 'string' ? o.selection_strategy : null,
      candidates: num(o.n_positions), acceptanceRate: num(o.acceptance_rate),
      insufficient: typeof o.insufficient_positions === 'boolean' ? o.insufficient_positions : null,
      probeDiameter: num(o.probe_diameter_px), neighbourCount: num(o.neighbor_count),
      input: input ? stats(input, 'n_images') : null,
    };
  }
  return out;
}
