/**
 * Phase D, one view of one split in memory: keeps a maximal subset of the split's scan positions whose
 * pairwise distances are all ≥ S = (1 − f)·N (greedy minimum-spacing selection in a seeded visiting order;
 * the reference's legacy dense/sparse generation, PtychoPINN `overlap.py::greedy_min_spacing_selection`),
 * filters every per-scan array, and builds truthful `_metadata` and the overlap metrics of PtychoPINN's
 * `compute_overlap_metrics` (docs/overlap.md). Pure: no files but `loadPhaseCSplit`'s read.
 */
import { InputError } from '../../errors.js';
import { validateDataset } from '../../data/dataset.js';
import { readMetadata, metadataArray, METADATA_KEY, type MetadataResult } from '../../data/metadata.js';
import { NpzReader } from '../../npy/npz.js';
import type { NdArray, NumericData } from '../../npy/types.js';
import { sizeOf, isComplexDtype } from '../../npy/types.js';
import { Rng } from '../../math/rng.js';
import {
  selectMinSpacing, geometryAcceptance, metricImageBased, metricGroupToGroup, nearestNeighbourStats,
  coverageFraction, uniquePositions, spacingThreshold,
} from '../../geometry/spacing.js';
import { settingsDefaults } from '../../settings/parse.js';
import { counted } from '../../text.js';

/** Version of the `{split}_metrics.json` / `metrics_bundle.json` layout. */
export const OVERLAP_METRICS_VERSION = '1.0';
/** Keys that are never per-scan, even when their first dimension happens to equal the number of positions. */
const NEVER_PER_SCAN = new Set(['objectGuess', 'probeGuess']);

/** Label of the seeded stream that orders a split's positions: the same for every dose and view. */
export function visitingOrderLabel(split: string): string {
  return `overlap/${split}`;
}

/** The order greedy selection visits `n` positions of `split` in, for `seed`. */
export function visitingOrder(seed: number, split: string, n: number): Int32Array {
  return new Rng(seed).fork(visitingOrderLabel(split)).permutation(n);
}

/**
 * The positions sorted by y, then x, then index: NumPy's `lexsort((x, y))` (a stable sort), the order the
 * reference study's `greedy_min_spacing_selection` visits them in.
 */
export function rasterOrder(x: ArrayLike<number>, y: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: x.length }, (_, i) => i);
  return order.sort((a, b) => (y[a]! - y[b]!) || (x[a]! - x[b]!) || (a - b));
}

/** What `_metadata.visiting_order` says of each order. */
function visitingOrderText(req: ViewRequest): string {
  return req.order === 'raster' ? 'positions sorted by y, then x, then index (numpy lexsort((x, y)))'
    : `Rng(seed).fork('${visitingOrderLabel(req.split)}').permutation(n)`;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// Filtering (PtychoPINN `overlap.py::filter_dataset_by_mask`)
// ─────────────────────────────────────────────────────────────────────────────────────────────────

function components(dtype: string): number {
  return isComplexDtype(dtype) ? 2 : 1;
}

/** Rows `indices` (in that order) of an array whose first dimension is the position axis. */
export function takeRows(arr: NdArray, indices: ArrayLike<number>): NdArray {
  const rowLen = sizeOf(arr.shape.slice(1)) * components(arr.dtype);
  const k = indices.length;
  const shape = [k, ...arr.shape.slice(1)];
  if (Array.isArray(arr.data)) {
    const out: unknown[] = [];
    for (let t = 0; t < k; t++) for (let j = 0; j < rowLen; j++) out.push(arr.data[indices[t] * rowLen + j]);
    return { dtype: arr.dtype, shape, data: out as NdArray['data'] };
  }
  const src = arr.data as NumericData;
  const Ctor = src.constructor as { new (n: number): NumericData };
  const out = new Ctor(k * rowLen);
  for (let t = 0; t < k; t++) {
    const from = indices[t] * rowLen;
    (out as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(src.subarray(from, from + rowLen) as ArrayLike<unknown>, t * rowLen);
  }
  return { dtype: arr.dtype, shape, data: out };
}

/** A 0-d array repeated into a 1-d array of length k (the dtype follows the value, as `filter_dataset_by_mask` does). */
export function broadcastScalar(arr: NdArray, k: number): NdArray {
  const comps = components(arr.dtype);
  if (Array.isArray(arr.data)) {
    return { dtype: arr.dtype, shape: [k], data: new Array(k).fill(arr.data[0]) as NdArray['data'] };
  }
  const src = arr.data as NumericData;
  const Ctor = src.constructor as { new (n: number): NumericData };
  const out = new Ctor(k * comps);
  for (let t = 0; t < k; t++) for (let c = 0; c < comps; c++) (out as unknown as unknown[])[t * comps + c] = src[c];
  return { dtype: arr.dtype, shape: [k], data: out };
}

/**
 * `filter_dataset_by_mask`'s rules, with the Phase C `_metadata` dropped first (the reference let the
 * scalar rule broadcast it before overwriting it; its content goes into the view's `parent`): every array whose first dimension
 * equals `n` keeps rows `indices`; a 0-d array is broadcast to length `indices.length`; `objectGuess`,
 * `probeGuess` and every other array are copied unchanged. Key order is kept.
 */
export function filterPerScan(arrays: Record<string, NdArray>, n: number, indices: ArrayLike<number>): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [key, arr] of Object.entries(arrays)) {
    if (key === '_metadata') continue;
    if (arr.shape.length === 0) out[key] = broadcastScalar(arr, indices.length);
    else if (arr.shape[0] === n && !NEVER_PER_SCAN.has(key)) out[key] = takeRows(arr, indices);
    else out[key] = arr;
  }
  return out;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// One split, one view, in memory
// ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface PhaseCSplit {
  arrays: Record<string, NdArray>;
  x: Float64Array;
  y: Float64Array;
  /** N: the side of a diffraction pattern. */
  patchSize: number;
  /** [H, W] of `objectGuess`, or null when not known (coverage is then not computed). */
  objectShape: [number, number] | null;
  /** What `_metadata` held: the decoded value, or why there is none. */
  parent: MetadataResult;
  /** What validation noticed without refusing the data (e.g. a legacy [H, W, n] layout). */
  warnings?: string[];
}

/**
 * Validates a Phase C split against the dataset contract (DATA-001, `validateDataset`: every violation is
 * reported, naming the file and key) and takes what Phase D needs. `meta` is what its `_metadata` held
 * (read from `arrays` when not given). A legacy [H, W, n] `diffraction` is used in its [n, H, W] form.
 */
export function readPhaseCSplit(arrays: Record<string, NdArray>, file: string, meta: MetadataResult = readMetadata(arrays)): PhaseCSplit {
  const { dataset: ds, warnings } = validateDataset(arrays, file, { metadata: meta });
  if (ds.H !== ds.W) throw new InputError(`${file}: key 'diffraction': expected square patterns [n, N, N] (S = (1 − f)·N); found [${ds.n}, ${ds.H}, ${ds.W}]`);
  const normalized = { ...arrays, diffraction: { dtype: '<f4', shape: [ds.n, ds.H, ds.W], data: ds.diffraction } };
  return {
    arrays: normalized, x: ds.xcoords, y: ds.ycoords, patchSize: ds.H,
    objectShape: ds.objectGuess ? [ds.objectGuess.shape[0]!, ds.objectGuess.shape[1]!] : null, parent: meta, warnings,
  };
}

/**
 * Reads a Phase C split file. Every array but `_metadata` must decode (else NpzError / NpyError); a
 * `_metadata` that cannot be decoded is recorded as the parent's metadata error instead of failing.
 */
export function loadPhaseCSplit(file: string): PhaseCSplit {
  const reader = NpzReader.open(file);
  try {
    const arrays: Record<string, NdArray> = {};
    for (const key of reader.keys()) if (key !== METADATA_KEY) arrays[key] = reader.get(key);
    return readPhaseCSplit(arrays, file, readMetadata(reader));
  } finally {
    reader.close();
  }
}

export interface ViewRequest {
  view: string;
  /** Overlap fraction f of the view; S = (1 − f)·N. */
  overlapFraction: number;
  split: string;
  seed: number;
  /** Greedy selection's visiting order: 'seeded' (default, a shuffle of `seed`) or 'raster' (by y, x, index). */
  order?: 'seeded' | 'raster';
  /** Recorded as `source_file` (Phase D records it relative to its root). */
  sourceFile: string;
  dose?: number;
  /** Disc diameter of the overlap metrics (default N). */
  probeDiameterPx?: number;
  neighborCount?: number;
}

export interface ViewResult {
  arrays: Record<string, NdArray>;
  metadata: Record<string, unknown>;
  metrics: Record<string, unknown>;
  selected: Int32Array;
}

function parentIntensityScale(split: PhaseCSplit): number | undefined {
  if (split.parent.status !== 'ok') return undefined;
  const v = split.parent.value['intensity_scale'];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function insufficientReason(n: number, kept: number, x: Float64Array, y: Float64Array, s: number, maxPositions: number): string {
  const keptText = `${counted(kept, 'position')} kept, at least 2 are needed`;
  if (n === 0) return `${keptText}: the input split has no positions`;
  if (n === 1) return `${keptText}: the input split has only 1 position`;
  if (uniquePositions(x, y).x.length === 1) return `${keptText}: all ${n} input positions are identical`;
  return `${keptText}: the scanned area fits at most ${counted(maxPositions, 'position')} at spacing ${s} px`;
}

/** What the overlap metrics say about a split's full set of positions (the same for every view). */
export function inputMetrics(split: PhaseCSplit, diameter: number, neighbours: number): Record<string, unknown> {
  const { x, y, objectShape: frame } = split;
  return {
    n_images: x.length,
    n_unique_images: uniquePositions(x, y).x.length,
    nn_spacing: nearestNeighbourStats(x, y),
    metric_2_image_based_avg: metricImageBased(x, y, neighbours, diameter),
    coverage_fraction: frame ? coverageFraction(x, y, diameter, frame[1], frame[0]) : null,
  };
}

export function metricsSettings(split: PhaseCSplit, req: ViewRequest): { diameter: number; neighbours: number } {
  return { diameter: req.probeDiameterPx ?? split.patchSize, neighbours: req.neighborCount ?? settingsDefaults().overlap.neighborCount };
}

/**
 * Selects one view of one split and builds its arrays, `_metadata` and metrics. Pure: no files.
 * `_metadata` holds the legacy generation's keys (overlap_view, spacing_threshold, source_file, n_accepted,
 * n_rejected, acceptance_rate, selection_strategy, geometry bounds), then ours, then `parent`; the metrics repeat
 * the selection bookkeeping. `input` is `inputMetrics(split, …)` when the caller already has it (it does
 * not depend on the view).
 */
export function buildView(split: PhaseCSplit, req: ViewRequest, input?: Record<string, unknown>): ViewResult {
  const { x, y, patchSize } = split;
  const n = x.length;
  const s = spacingThreshold(req.overlapFraction, patchSize);
  if (!(s > 0)) throw new RangeError(`view '${req.view}': overlap fraction ${req.overlapFraction} gives spacing ${s} px; the fraction must be in [0, 1)`);
  const order = req.order === 'raster' ? rasterOrder(x, y) : visitingOrder(req.seed, req.split, n);
  const sel = selectMinSpacing(x, y, s, order);
  const kept = sel.selected.length;
  const geo = geometryAcceptance(x, y, s);
  const rate = n > 0 ? kept / n : 0;
  const insufficient = kept < 2;

  const arrays = filterPerScan(split.arrays, n, sel.selected);
  arrays['source_indices'] = { dtype: '<i8', shape: [kept], data: BigInt64Array.from(sel.selected, (i) => BigInt(i)) };

  // what the selection did, in the legacy schema's order: the same in `_metadata` and in the metrics
  const selection = {
    spacing_threshold: s,
    n_accepted: kept,
    n_rejected: n - kept,
    acceptance_rate: rate,
    selection_strategy: sel.strategy,
    geometry_acceptance_bound: geo.geometry_acceptance_bound,
    effective_min_acceptance: geo.effective_min_acceptance,
    seed: req.seed,
    ...(req.order === 'raster' ? { order: 'raster' } : {}),
    insufficient_positions: insufficient,
    ...(insufficient ? { insufficient_reason: insufficientReason(n, kept, x, y, s, geo.max_positions) } : {}),
  };
  const about = {
    split: req.split,
    ...(req.dose !== undefined ? { dose: req.dose } : {}),
    n_positions: n,
    patch_size: patchSize,
    overlap_fraction: req.overlapFraction,
    geometry_max_positions: geo.max_positions,
    meets_effective_min_acceptance: rate >= geo.effective_min_acceptance,
  };
  const intensityScale = parentIntensityScale(split);
  const metadata: Record<string, unknown> = {
    overlap_view: req.view,
    source_file: req.sourceFile,
    ...selection,
    phase: 'D',
    ...about,
    visiting_order: visitingOrderText(req),
    source_indices_key: 'source_indices',
    // the arrays keep Phase C's scaling, so its intensity scale (counts = (diffraction · s)²) still applies
    ...(intensityScale !== undefined ? { intensity_scale: intensityScale } : {}),
    ...(split.warnings && split.warnings.length > 0 ? { input_warnings: split.warnings } : {}),
    parent_metadata_status: split.parent.status,
    ...(split.parent.status === 'error' ? { parent_metadata_error: split.parent.error } : {}),
    parent: split.parent.status === 'ok' ? split.parent.value : null,
  };
  arrays['_metadata'] = metadataArray(metadata);

  const { diameter: d, neighbours: k } = metricsSettings(split, req);
  const sx = Float64Array.from(sel.selected, (i) => x[i]);
  const sy = Float64Array.from(sel.selected, (i) => y[i]);
  const frame = split.objectShape;
  const metrics: Record<string, unknown> = {
    metrics_version: OVERLAP_METRICS_VERSION,
    overlap_view: req.view,
    source_file: req.sourceFile,
    ...selection,
    ...about,
    scan_bbox: { width: geo.bbox_width, height: geo.bbox_height },
    gridsize: 1,
    neighbor_count: k,
    probe_diameter_px: d,
    metric_2_image_based_avg: metricImageBased(sx, sy, k, d),
    metric_3_group_to_group_avg: metricGroupToGroup(sx, sy, d),
    n_images_total: n,
    n_images_subsampled: kept,
    n_unique_images: uniquePositions(sx, sy).x.length,
    n_groups_actual: kept,
    coverage_fraction: frame ? coverageFraction(sx, sy, d, frame[1], frame[0]) : null,
    coverage_frame: frame ? { height: frame[0], width: frame[1] } : null,
    nn_spacing: nearestNeighbourStats(sx, sy),
    input: input ?? inputMetrics(split, d, k),
  };
  return { arrays, metadata, metrics, selected: sel.selected };
}
