/**
 * Phase D — overlap views. For every dose of a Phase C root and every view (dense, sparse), keeps a maximal
 * subset of each split's scan positions whose pairwise distances are all ≥ S = (1 − f)·N (spec §6.2, the
 * greedy minimum-spacing generation), writes the filtered datasets with truthful `_metadata`, and the
 * overlap metrics of spec §6.1 beside them.
 *
 *   <out>/dose_<D>/<view>/<view>_{train,test}.npz
 *   <out>/dose_<D>/<view>/{train,test}_metrics.json, metrics_bundle.json
 *   <out>/overlap_manifest.json
 *
 * Nothing here reads argv or prints: progress goes to a callback, errors are thrown (usage problems, before
 * anything is written) or recorded per dose (a dose whose Phase C files cannot be read fails alone).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, InputError } from '../errors.js';
import { writeJsonAtomic, exists } from '../files/atomic.js';
import { validateDataset } from '../data/dataset.js';
import { readMetadata, metadataArray, METADATA_KEY, type MetadataResult } from '../data/metadata.js';
import { NpzReader, saveNpz } from '../npy/npz.js';
import type { NdArray, NumericData } from '../npy/types.js';
import { sizeOf, isComplexDtype } from '../npy/types.js';
import { Rng } from '../math/rng.js';
import { REFERENCE_OVERLAP_VIEWS, REFERENCE_SEEDS, spacingThreshold } from './design.js';
import { doseDirName } from './generate.js';
import {
  selectMinSpacing, geometryAcceptance, metricImageBased, metricGroupToGroup, nearestNeighbourStats,
  coverageFraction, uniquePositions, type SelectionStrategy,
} from './spacing.js';

export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Version of the `{split}_metrics.json` / `metrics_bundle.json` layout. */
export const OVERLAP_METRICS_VERSION = '1.0';
/** K of the image-based overlap metric (spec §6.1 default). */
export const DEFAULT_NEIGHBOR_COUNT = 6;
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

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// Filtering (spec §3.5)
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

/** A 0-d array repeated into a 1-d array of length k (the dtype follows the value, spec §3.5). */
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
 * Spec §3.5 filtering, with the Phase C `_metadata` dropped first (Q-D4): every array whose first dimension
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
  /** Recorded as `source_file`. */
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
  const keptText = `${kept} position${kept === 1 ? '' : 's'} kept, at least 2 are needed`;
  if (n === 0) return `${keptText}: the input split has no positions`;
  if (n === 1) return `${keptText}: the input split has only 1 position`;
  if (uniquePositions(x, y).x.length === 1) return `${keptText}: all ${n} input positions are identical`;
  return `${keptText}: the scanned area fits at most ${maxPositions} position${maxPositions === 1 ? '' : 's'} at spacing ${s} px`;
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

function metricsSettings(split: PhaseCSplit, req: ViewRequest): { diameter: number; neighbours: number } {
  return { diameter: req.probeDiameterPx ?? split.patchSize, neighbours: req.neighborCount ?? DEFAULT_NEIGHBOR_COUNT };
}

/**
 * Selects one view of one split and builds its arrays, `_metadata` and metrics. Pure: no files.
 * `_metadata` holds the legacy schema's keys (spec §6.2), then ours, then `parent`; the metrics repeat
 * the selection bookkeeping. `input` is `inputMetrics(split, …)` when the caller already has it (it does
 * not depend on the view).
 */
export function buildView(split: PhaseCSplit, req: ViewRequest, input?: Record<string, unknown>): ViewResult {
  const { x, y, patchSize } = split;
  const n = x.length;
  const s = spacingThreshold(req.overlapFraction, patchSize);
  if (!(s > 0)) throw new RangeError(`view '${req.view}': overlap fraction ${req.overlapFraction} gives spacing ${s} px; the fraction must be in [0, 1)`);
  const order = visitingOrder(req.seed, req.split, n);
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
    visiting_order: `Rng(seed).fork('${visitingOrderLabel(req.split)}').permutation(n)`,
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

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// The whole phase, over a Phase C root
// ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface OverlapOptions {
  phaseCRoot: string;
  outputRoot: string;
  /** Doses to process (each must have a `dose_<int(D)>` directory); default: every `dose_*` directory. */
  doses?: readonly number[];
  /** Views to build; default: every view of `overlapViews`. */
  views?: readonly string[];
  /** Overlap fraction per view (default the design's: dense 0.7, sparse 0.2). */
  overlapViews?: Readonly<Record<string, number>>;
  /** Seed of the visiting order (default the design's subsampling seed, 456). */
  seed?: number;
  /** Replace existing outputs (default: refuse, before anything is written). */
  overwrite?: boolean;
  /** Disc diameter of the overlap metrics (default N of each file). */
  probeDiameterPx?: number;
  neighborCount?: number;
}

export interface OverlapProgress {
  dose: number;
  view?: string;
  split?: string;
  message: string;
  /** View files handled so far (written, or given up with a failed dose) and in all (doses × views × splits). */
  done: number;
  total: number;
}

export interface ViewSplitSummary {
  file: string;
  metrics: string;
  n_positions: number;
  n_accepted: number;
  selection_strategy: SelectionStrategy;
  spacing_threshold: number;
  insufficient_positions: boolean;
}

export interface DoseSummary {
  dose: number;
  dir: string;
  status: 'ok' | 'failed';
  error?: string;
  views: Record<string, { metrics_bundle: string; splits: Record<string, ViewSplitSummary> }>;
}

export interface OverlapSummary {
  doses: DoseSummary[];
  failed: number;
  manifest: string;
}

/** `dose_<int>` directories under a Phase C root, by ascending dose. */
export function discoverDoses(phaseCRoot: string): { dose: number; dir: string }[] {
  const out: { dose: number; dir: string }[] = [];
  for (const name of readdirSync(phaseCRoot)) {
    const m = /^dose_(\d+)$/.exec(name);
    if (!m) continue;
    const dir = join(phaseCRoot, name);
    if (!statSync(dir).isDirectory()) continue;
    out.push({ dose: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.dose - b.dose);
}

/** The files one view of one dose writes. */
export function viewPaths(outputRoot: string, dose: number, view: string): {
  dir: string; npz: Record<Split, string>; metrics: Record<Split, string>; bundle: string;
} {
  const dir = join(outputRoot, doseDirName(dose), view);
  return {
    dir,
    npz: { train: join(dir, `${view}_train.npz`), test: join(dir, `${view}_test.npz`) },
    metrics: { train: join(dir, 'train_metrics.json'), test: join(dir, 'test_metrics.json') },
    bundle: join(dir, 'metrics_bundle.json'),
  };
}

export const MANIFEST_NAME = 'overlap_manifest.json';

interface Plan {
  phaseCRoot: string;
  outputRoot: string;
  doses: { dose: number; dir: string }[];
  views: string[];
  fractions: Record<string, number>;
  seed: number;
}

/** Checks the options and the file system; throws UsageError before anything is written. */
export function planOverlapViews(opts: OverlapOptions): Plan {
  const phaseCRoot = resolve(opts.phaseCRoot);
  const outputRoot = resolve(opts.outputRoot);
  if (!exists(phaseCRoot) || !statSync(phaseCRoot).isDirectory()) throw new UsageError(`--phase-c-root ${opts.phaseCRoot} is not a directory`);
  const fractions = { ...(opts.overlapViews ?? REFERENCE_OVERLAP_VIEWS) };
  const views = [...new Set(opts.views ?? Object.keys(fractions))];
  if (views.length === 0) throw new UsageError('no overlap view selected');
  for (const v of views) {
    if (!(v in fractions)) throw new UsageError(`unknown view '${v}'. Expected one of: ${Object.keys(fractions).join(', ')}`);
    const f = fractions[v];
    if (!(f >= 0 && f < 1)) throw new UsageError(`view '${v}': overlap fraction ${f} must be in [0, 1)`);
  }
  const seed = opts.seed ?? REFERENCE_SEEDS.subsampling;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
  if (opts.probeDiameterPx !== undefined && !(opts.probeDiameterPx > 0 && Number.isFinite(opts.probeDiameterPx))) {
    throw new UsageError(`--probe-diameter-px must be a positive number, got ${opts.probeDiameterPx}`);
  }
  if (opts.neighborCount !== undefined && !(Number.isSafeInteger(opts.neighborCount) && opts.neighborCount >= 1)) {
    throw new UsageError(`--neighbor-count must be a positive integer, got ${opts.neighborCount}`);
  }
  const found = discoverDoses(phaseCRoot);
  let doses = found;
  if (opts.doses && opts.doses.length > 0) {
    doses = [];
    for (const d of opts.doses) {
      if (!(d > 0) || !Number.isFinite(d)) throw new UsageError(`--dose must be a positive number, got ${d}`);
      const hit = found.find((f) => f.dose === Math.trunc(d));
      if (!hit) throw new UsageError(`no ${doseDirName(d)} directory under ${opts.phaseCRoot} (found: ${found.map((f) => doseDirName(f.dose)).join(', ') || 'none'})`);
      if (!doses.includes(hit)) doses.push(hit);
    }
  }
  if (doses.length === 0) throw new UsageError(`no dose_<D> directories under ${opts.phaseCRoot}`);
  if (!opts.overwrite) {
    const clash: string[] = [];
    for (const { dose } of doses) {
      for (const view of views) {
        const p = viewPaths(outputRoot, dose, view);
        for (const f of [p.npz.train, p.npz.test, p.metrics.train, p.metrics.test, p.bundle]) if (exists(f)) clash.push(f);
      }
    }
    if (clash.length > 0) {
      throw new UsageError(`${clash[0]} already exists${clash.length > 1 ? ` (and ${clash.length - 1} more output files)` : ''}; pass --overwrite to replace them`);
    }
  }
  return { phaseCRoot, outputRoot, doses, views, fractions, seed };
}

/** Lets timers and I/O callbacks run between files (e.g. a progress display's redraw). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

function readManifest(path: string): Record<string, unknown> {
  if (!exists(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Phase D entry point (the `overlap` command and `run` call this). Usage problems throw UsageError before
 * anything is written. A dose whose Phase C files cannot be read or are not valid is recorded as failed
 * (with its error) and the other doses are still processed; `summary.failed` counts them.
 */
export async function buildOverlapViews(opts: OverlapOptions, onProgress: (p: OverlapProgress) => void = () => {}): Promise<OverlapSummary> {
  const plan = planOverlapViews(opts);
  const manifestPath = join(plan.outputRoot, MANIFEST_NAME);
  const summary: OverlapSummary = { doses: [], failed: 0, manifest: manifestPath };
  const perDose = plan.views.length * SPLITS.length;
  const total = plan.doses.length * perDose;
  let done = 0;
  const report = (p: Omit<OverlapProgress, 'done' | 'total'>): void => onProgress({ ...p, done, total });
  for (const [d, { dose, dir }] of plan.doses.entries()) {
    const entry: DoseSummary = { dose, dir, status: 'ok', views: {} };
    summary.doses.push(entry);
    try {
      const splits = {} as Record<Split, PhaseCSplit & { file: string; input?: Record<string, unknown> }>;
      for (const split of SPLITS) {
        const file = join(dir, `patched_${split}.npz`);
        if (!exists(file)) throw new InputError(`${file} is missing`);
        splits[split] = { ...loadPhaseCSplit(file), file };
        const s = splits[split];
        report({ dose, split, message: `${doseDirName(dose)} ${split}: ${s.x.length} positions, N = ${s.patchSize}, parent metadata ${s.parent.status}` });
        for (const w of s.warnings ?? []) report({ dose, split, message: `warning: ${w}` });
        await yieldToEventLoop();
      }
      for (const view of plan.views) {
        const paths = viewPaths(plan.outputRoot, dose, view);
        const bundle: Record<string, unknown> = {};
        const viewEntry: DoseSummary['views'][string] = { metrics_bundle: paths.bundle, splits: {} };
        for (const split of SPLITS) {
          const src = splits[split];
          const req: ViewRequest = {
            view, overlapFraction: plan.fractions[view], split, seed: plan.seed, sourceFile: src.file, dose,
            probeDiameterPx: opts.probeDiameterPx, neighborCount: opts.neighborCount,
          };
          const settings = metricsSettings(src, req);
          src.input ??= inputMetrics(src, settings.diameter, settings.neighbours);
          const r = buildView(src, req, src.input);
          saveNpz(paths.npz[split], r.arrays, { compress: true });
          writeJsonAtomic(paths.metrics[split], r.metrics);
          bundle[split] = r.metrics;
          const m = r.metadata;
          viewEntry.splits[split] = {
            file: paths.npz[split], metrics: paths.metrics[split], n_positions: m['n_positions'] as number,
            n_accepted: m['n_accepted'] as number, selection_strategy: m['selection_strategy'] as SelectionStrategy,
            spacing_threshold: m['spacing_threshold'] as number, insufficient_positions: m['insufficient_positions'] as boolean,
          };
          done++;
          report({
            dose, view, split,
            message: `${doseDirName(dose)} ${view} ${split}: kept ${m['n_accepted']} of ${m['n_positions']} (${m['selection_strategy']}, S = ${+(m['spacing_threshold'] as number).toFixed(4)} px)` +
              (m['insufficient_positions'] ? ' — insufficient positions' : ''),
          });
          await yieldToEventLoop();
        }
        writeJsonAtomic(paths.bundle, bundle);
        entry.views[view] = viewEntry;
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      entry.status = 'failed';
      entry.error = err instanceof Error ? err.message : String(err);
      summary.failed++;
      done = (d + 1) * perDose;
      report({ dose, message: `${doseDirName(dose)} failed: ${entry.error}` });
    }
  }
  writeManifest(manifestPath, plan, summary);
  return summary;
}

function writeManifest(path: string, plan: Plan, summary: OverlapSummary): void {
  const manifest = readManifest(path);
  const doses = (manifest['doses'] && typeof manifest['doses'] === 'object' ? manifest['doses'] : {}) as Record<string, unknown>;
  for (const d of summary.doses) {
    const views: Record<string, unknown> = {};
    for (const [view, v] of Object.entries(d.views)) {
      views[view] = {
        train: v.splits['train']?.file, test: v.splits['test']?.file,
        train_metrics: v.splits['train']?.metrics, test_metrics: v.splits['test']?.metrics,
        metrics_bundle: v.metrics_bundle,
        spacing_threshold: v.splits['train']?.spacing_threshold,
        n_accepted: { train: v.splits['train']?.n_accepted, test: v.splits['test']?.n_accepted },
        insufficient_positions: { train: v.splits['train']?.insufficient_positions, test: v.splits['test']?.insufficient_positions },
      };
    }
    doses[doseDirName(d.dose)] = {
      dose: d.dose, phase_c_dir: d.dir, status: d.status, ...(d.error ? { error: d.error } : {}), seed: plan.seed, views,
    };
  }
  writeJsonAtomic(path, { schema_version: 1, phase: 'D', phase_c_root: plan.phaseCRoot, doses });
}
