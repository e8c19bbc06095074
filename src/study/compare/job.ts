/**
 * Phase G jobs: one (dose, view, split) each — our reconstruction and every external model's, compared with
 * the ground truth of the dataset it was reconstructed from, the same way for every model, into the job's
 * files (each atomic):
 *   dose_<D>/<view>/<split>/comparison_metrics.csv   model, metric, amplitude, phase, value
 *                           frc_curves.csv           model, frequency_bin, amplitude_frc, phase_frc, spatial_frequency
 *                           reconstructions_aligned.npz  ground_truth_* and <model>_* (complex, amplitude, phase), offsets
 *                           comparison.png           ground truth, each model and its error maps, amplitude and phase
 *                           comparison.json          everything above in one document (alignment details, paths, errors),
 *                                                    the figure's size (`figure`: what the report needs to know how
 *                                                    small its text shows), and what it was computed from and wrote (reuse.ts)
 * A job with nothing to compare is skipped with the reason; a model that cannot be compared is a failed row. A job
 * a stopped run finished from the same inputs is taken over as it is (reuse.ts), not compared again.
 * Files of an earlier run are never overwritten: before the new ones go in (or the job is recorded as
 * skipped) they move into the job's `history/<earlier run id>/` (files.ts), which the result records. A job
 * whose files cannot be written is that job's failure (every model a failed row), not the run's.
 * Paths in rows and files are relative to the output root for the hub's own files (`../phase_f/…`), absolute
 * for an external model's. reconstructions_aligned.npz holds no run id, time or absolute path: the same
 * inputs give the same bytes wherever the hub is (run ids, times and errors are in comparison.json).
 */
import { join, resolve } from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { namedInPlace, writeFileAtomic, writeJsonAtomic } from '../../files/atomic.js';
import { archiveJobFiles, installStaged, jobFilesRunId, STAGING_PREFIX, stagingDir, type JobArchive } from './files.js';
import { missingDirs, removeEmptyDirs } from '../../files/dirs.js';
import { recordPath } from '../../files/paths.js';
import { InputError } from '../../errors.js';
import { metadataArray } from '../../data/metadata.js';
import { encodeNpzAsync, saveNpz } from '../../npy/npz.js';
import { c64, f32, f64, type NdArray } from '../../npy/types.js';
import type { ComplexImage } from '../../math/image.js';
import {
  alignReconstruction, amplitudeOf, computeMetrics, cutToRegion, METRIC_KEYS, phaseOf, scannedRegion, SSIM_WIN,
  type MetricSet, type Region,
} from '../../metrics/index.js';
import { drawPanelsAsync } from '../../report/figure.js';
import { NoGroundTruthError, readGroundTruth, readReconstruction, type GroundTruth, type Reconstruction } from '../hub/datasets.js';
import { comparisonFigureOptions, comparisonPanels } from '../hub/comparison-figure.js';
import { figureRecord, type FigureRecord } from '../hub/figure-record.js';
import { doseDirName as doseDir, jobDir, PHASE_G } from '../hub/layout.js';
import { OWN_MODEL, type SkippedJob, type SummaryRowCore } from '../hub/metrics-summary.js';
import { csvField, csvNumber } from './csv.js';
import { expandPattern, type CompareJob } from './plan.js';
import { jnum } from './summary.js';
import { jobInputsSha256, outputNames, outputsSha256, reusableJob, type ReuseContext } from './reuse.js';

export interface PhaseGProgress {
  kind: 'job' | 'skip' | 'summary' | 'charts' | 'warning';
  /** 1-based job counter and the number of jobs (for 'job' and 'skip'). */
  index?: number;
  total?: number;
  dose?: number;
  view?: string;
  split?: string;
  /** One line for a person. */
  message: string;
  /** A 'job' with a failed comparison (of any model; the message says which and why). */
  failed?: boolean;
}

/** What the jobs of one Phase G run share: what a job's record depends on, and the count of its jobs. */
export interface ComparisonRun extends ReuseContext {
  /** Jobs of the run (for the "[i/n]" counters). */
  total: number;
}

/** The outcome of one job: its rows (one per model), or why it was skipped. */
export interface CompareJobResult {
  rows: SummaryRowCore[];
  skipped: SkippedJob | null;
  /** 1 when at least one model was compared. */
  compared: number;
  /** Model comparisons that failed. */
  failed: number;
  /** Where the job's earlier files went (null when there were none). */
  archived?: JobArchive | null;
  /** The run whose comparison.json the job's directory holds after the job (null: none). */
  files_run_id?: string | null;
  /** Set when the job's files and rows are those a stopped run left (reuse.ts): that run's id. */
  reused_from?: string | null;
}

/** File-name form of a model name: lowercase, non-alphanumerics → '_'. */
export function modelSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

interface ArmOutcome {
  row: SummaryRowCore;
  metrics: MetricSet | null;
  aligned: { gt: ComplexImage; rec: ComplexImage } | null;
}

function emptyRow(job: CompareJob, model: string, source: 'ptychostudy' | 'external', runId: string, at: string, root: string): SummaryRowCore {
  return {
    dose: job.dose, view: job.view, split: job.split, model, source, status: 'missing', error: null,
    reconstruction: null, ground_truth: job.inputNpz === null ? null : recordPath(root, job.inputNpz), region: null, compared_shape: null, same_frame: null,
    registered_on: null, metrics: {}, values: {}, run_id: runId, computed_at: at,
  };
}

/** How a row records a reconstruction's path: relative to the output root for our own, absolute for an external model's. */
function recordedReconstruction(row: SummaryRowCore, path: string, root: string): string {
  return row.source === 'ptychostudy' ? recordPath(root, path) : resolve(path);
}

function compareArm(gt: GroundTruth, region: Region, rec: Reconstruction | string, row: SummaryRowCore, fallbackSeconds: number | null, root: string): ArmOutcome {
  row.reconstruction = recordedReconstruction(row, typeof rec === 'string' ? rec : rec.path, root);
  try {
    if (typeof rec === 'string') rec = readReconstruction(rec);
    const cut = cutToRegion(gt.object, rec.object, region);
    // A NaN or infinite pixel would turn every metric into NaN (and MS-SSIM into 0, the reference's NaN → 0):
    // such a reconstruction is not scored, it is a failed row saying why.
    checkFinite(cut.rec, `${rec.path}: key 'reconstructed_object'`);
    checkFinite(cut.gt, `${gt.path}: key 'objectGuess'`);
    const al = alignReconstruction(cut.gt, cut.rec);
    // Below the SSIM window nothing is scored: SSIM and MS-SSIM are undefined, and on a few pixels the fitted
    // phase plane and amplitude scale leave an error of ~0 and an FRC that never falls (a "perfect" score).
    if (al.gt.h < SSIM_WIN || al.gt.w < SSIM_WIN) {
      throw new InputError(`${rec.path}: key 'reconstructed_object': expected a compared window of at least ${SSIM_WIN}×${SSIM_WIN} px; found ${al.gt.h}×${al.gt.w} px (reconstruction ${rec.object.h}×${rec.object.w} px, scanned region ${region.y1 - region.y0}×${region.x1 - region.x0} px, border ${al.border} px cut after registration)`);
    }
    const m = computeMetrics(al.gt, al.rec);
    row.status = 'ok';
    row.region = region;
    row.same_frame = cut.sameFrame;
    row.compared_shape = [al.gt.h, al.gt.w];
    row.registered_on = al.registeredOn;
    if (al.registrationError) row.error = al.registrationError;
    for (const k of METRIC_KEYS) row.metrics[k] = { amplitude: jnum(m[k].amplitude), phase: jnum(m[k].phase) };
    row.values = {
      registration_offset_dy: al.dy,
      registration_offset_dx: al.dx,
      amplitude_scale: jnum(al.amplitudeScale),
      phase_ramp_x: jnum(al.phasePlane.a),
      phase_ramp_y: jnum(al.phasePlane.b),
      border_px: al.border,
      computation_time_s: jnum(rec.seconds ?? fallbackSeconds),
    };
    return { row, metrics: m, aligned: { gt: al.gt, rec: al.rec } };
  } catch (err) {
    row.status = 'failed';
    row.error = err instanceof Error ? err.message : String(err);
    return { row, metrics: null, aligned: null };
  }
}

/**
 * Throws naming `what` when a pixel of the compared window is NaN or infinite (real or imaginary part), or when
 * the squared magnitudes overflow (a pixel near 1e155 or above: the amplitude scale and every metric would be NaN).
 */
function checkFinite(img: ComplexImage, what: string): void {
  let bad = 0, power = 0, largest = 0;
  for (let i = 0; i < img.data.length; i += 2) {
    const re = img.data[i]!, im = img.data[i + 1]!;
    if (!Number.isFinite(re) || !Number.isFinite(im)) { bad++; continue; }
    const p = re * re + im * im;
    power += p;
    if (p > largest) largest = p;
  }
  if (bad > 0) {
    throw new InputError(`${what}: expected finite pixels in the compared ${img.h}×${img.w} window; found ${bad} NaN or infinite pixel${bad === 1 ? '' : 's'}`);
  }
  if (!Number.isFinite(power)) {
    throw new InputError(`${what}: expected pixels whose squared magnitudes sum to a finite number in the compared ${img.h}×${img.w} window; ` +
      `found a pixel of magnitude ${Number.isFinite(largest) ? Math.sqrt(largest).toExponential(3) : 'above 1.3e154'}`);
  }
}

function metricsCsv(arms: ArmOutcome[]): string {
  const lines = ['model,metric,amplitude,phase,value'];
  for (const a of arms) {
    if (!a.metrics) continue;
    const name = csvField(a.row.model);
    for (const k of METRIC_KEYS) lines.push(`${name},${k},${csvNumber(a.metrics[k].amplitude)},${csvNumber(a.metrics[k].phase)},`);
    for (const [k, v] of Object.entries(a.row.values)) lines.push(`${name},${k},,,${csvNumber(v)}`);
  }
  return lines.join('\n') + '\n';
}

function frcCsv(arms: ArmOutcome[]): string {
  const lines = ['model,frequency_bin,amplitude_frc,phase_frc,spatial_frequency'];
  for (const a of arms) {
    if (!a.metrics) continue;
    const { amplitude, phase, n } = a.metrics.frc;
    for (let r = 0; r < amplitude.length; r++) {
      lines.push(`${csvField(a.row.model)},${r},${csvNumber(amplitude[r])},${csvNumber(phase[r])},${csvNumber(r / n)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function alignedNpz(arms: ArmOutcome[], meta: Record<string, unknown>): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  const ok = arms.filter((a) => a.aligned);
  const put = (prefix: string, img: ComplexImage): void => {
    const { h, w } = img;
    out[`${prefix}_complex`] = c64([h, w], Float32Array.from(img.data));
    out[`${prefix}_amplitude`] = f32([h, w], Float32Array.from(amplitudeOf(img).data));
    out[`${prefix}_phase`] = f32([h, w], Float32Array.from(phaseOf(img).data));
  };
  const seen = new Set<string>();
  for (const a of ok) {
    const slug = modelSlug(a.row.model);
    if (seen.has(slug)) continue;
    seen.add(slug);
    // Each model's ground truth is the same region; when shapes differ (another frame) each keeps its own.
    if (!out.ground_truth_complex) put('ground_truth', a.aligned!.gt);
    else if (out.ground_truth_complex.shape[0] !== a.aligned!.gt.h || out.ground_truth_complex.shape[1] !== a.aligned!.gt.w) put(`${slug}_ground_truth`, a.aligned!.gt);
    put(slug, a.aligned!.rec);
    out[`${slug}_offset_dy`] = f64([], Float64Array.of(a.row.values.registration_offset_dy ?? NaN));
    out[`${slug}_offset_dx`] = f64([], Float64Array.of(a.row.values.registration_offset_dx ?? NaN));
  }
  out._metadata = metadataArray(meta);
  return out;
}

/** A comparison figure drawn: its PNG and the record of its size that comparison.json keeps. */
interface DrawnComparison { png: Buffer; record: FigureRecord }

/**
 * The comparison figure, drawn off this thread (drawPanelsAsync); null when no model was aligned. A figure
 * that cannot be drawn fails the job's files, as any write of them does (writeJobFiles).
 */
function comparisonFigure(arms: ArmOutcome[], job: { dose: number; view: string; split: string }): Promise<DrawnComparison | null> {
  const ok = arms.filter((a) => a.aligned);
  if (ok.length === 0) return Promise.resolve(null);
  return later(() => {
    const panels = comparisonPanels(ok.map((a) => ({ model: a.row.model, gt: a.aligned!.gt, rec: a.aligned!.rec })));
    const { figure, png } = drawPanelsAsync(panels, comparisonFigureOptions(job, ok.map((a) => a.row), panels.length));
    return png.then((bytes) => ({ png: bytes, record: figureRecord(PHASE_G.figure, figure) }));
  });
}

/**
 * The promise `start` returns, or one rejected with what it threw: an error of work started ahead surfaces where
 * the result is awaited (writing the job's files), and one never awaited (the run stopped first) is no unhandled
 * rejection.
 */
function later<T>(start: () => Promise<T>): Promise<T> {
  let p: Promise<T>;
  try {
    p = start();
  } catch (err) {
    p = Promise.reject(err);
  }
  p.catch(() => {});
  return p;
}

/** A promise's outcome, kept until it is used: its value, or the error it rejected with (thrown by `unwrap`). */
type Settled<T> = { value: T } | { error: unknown };

async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

function unwrap<T>(s: Settled<T>): T {
  if ('error' in s) throw s.error;
  return s.value;
}

interface RegionInputs { H: number; W: number; N: number; ys: Float64Array; xs: Float64Array; probeIntensity: Float64Array | null }

/** The last few regions computed, with copies of their inputs (the doses of a study share their scan positions and probe). */
const regionMemo: { inputs: RegionInputs; region: Region }[] = [];
const REGION_MEMO_SIZE = 8;

function sameValues(a: Float64Array | null, b: Float64Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * `scannedRegion` ('illumination' with a probe intensity, else 'patches'), taken from an earlier job whose inputs
 * are the same values: the region is a function of them alone, and summing the illumination of thousands of
 * positions is the slow part of a large job's comparison.
 */
export function regionOf(H: number, W: number, ys: ArrayLike<number>, xs: ArrayLike<number>, N: number, probeIntensity: Float64Array | null): Region {
  const inputs: RegionInputs = { H, W, N, ys: Float64Array.from(ys), xs: Float64Array.from(xs), probeIntensity: probeIntensity && Float64Array.from(probeIntensity) };
  const hit = regionMemo.find(({ inputs: k }) => k.H === H && k.W === W && k.N === N
    && sameValues(k.ys, inputs.ys) && sameValues(k.xs, inputs.xs) && sameValues(k.probeIntensity, inputs.probeIntensity));
  if (hit) return { ...hit.region };
  const region = scannedRegion(H, W, ys, xs, N, probeIntensity ? { mode: 'illumination', probeIntensity } : { mode: 'patches' });
  regionMemo.push({ inputs, region: { ...region } });
  if (regionMemo.length > REGION_MEMO_SIZE) regionMemo.shift();
  return region;
}

/** Compares one job (see the module comment); never rejects for the job's own problems. */
export async function compareJob(run: ComparisonRun, job: CompareJob, onProgress: (p: PhaseGProgress) => void): Promise<CompareJobResult> {
  return prepareJob(run, job, onProgress)();
}

/** What `prepareJob` leaves to do: the job's files, its progress line and result. */
export type FinishJob = () => Promise<CompareJobResult>;

/**
 * The part of `compareJob` that writes nothing — reading, alignment, metrics, and from here on, on libuv's thread
 * pool, the drawing of the comparison figure and the deflating of reconstructions_aligned.npz — and the rest to
 * call: the job's files (or their move to its history, for a skipped job), its progress line and result.
 * comparisonPhase.runJobs computes the next job while a job's figure is drawn and its arrays deflated; a job whose
 * rest is never called (the run stopped in between) leaves nothing on disk. Never throws for the job's own
 * problems, nor does the rest.
 */
export function prepareJob(run: ComparisonRun, job: CompareJob, onProgress: (p: PhaseGProgress) => void): FinishJob {
  const { runId, models, regionMode, total } = run;
  const i = job.index;
  const where = { index: i + 1, total, dose: job.dose, view: job.view, split: job.split };
  const label = `${doseDir(job.dose)}/${job.view}/${job.split}`;
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const externals = models.map((m) => ({ m, path: expandPattern(m.pattern, job) }));
  const present = externals.filter((e) => existsSync(e.path));
  if ((job.reconstructionNpz === null && present.length === 0) || job.inputNpz === null) {
    return async () => {
      let reason = job.inputNpz === null
        ? (job.reason ?? 'ground-truth dataset not found')
        : job.reason ?? 'no reconstruction';
      // the job's earlier files are no longer its current result: they move to its history
      let archived: JobArchive | null = null;
      let files: string | null = null;
      try {
        archived = archiveJobFiles(run.outputRoot, jobDir(run.outputRoot, job));
      } catch (err) {
        reason += `; its earlier files could not be moved to ${HISTORY_NOTE}: ${(err as Error).message}`;
        files = currentFilesRunId(jobDir(run.outputRoot, job));
      }
      onProgress({ kind: 'skip', ...where, message: `[${i + 1}/${total}] ${label}: skipped — ${reason}` });
      return { rows: [], skipped: { dose: job.dose, view: job.view, split: job.split, reason, run_id: runId }, compared: 0, failed: 0, archived, files_run_id: files };
    };
  }
  // a stopped run's finished job whose inputs, settings and files are provably the same: taken over as it is
  const inputs = jobInputsSha256(run, job);
  const reused = reusableJob(run, job, inputs);
  if (reused !== null) {
    return async () => {
      onProgress({ kind: 'job', ...where, message: `[${i + 1}/${total}] ${label}: reused from the stopped run ${reused.runId} — ${briefOf(reused.rows)}` });
      return { rows: reused.rows, skipped: null, compared: 1, failed: 0, archived: reused.archived, files_run_id: reused.runId, reused_from: reused.runId };
    };
  }
  let gt: GroundTruth;
  try {
    gt = readGroundTruth(job.inputNpz);
  } catch (err) {
    const message = (err as Error).message;
    const reason = err instanceof NoGroundTruthError ? `no ground truth: ${message}` : `ground truth unreadable: ${message}`;
    const rows: SummaryRowCore[] = [];
    for (const name of [OWN_MODEL, ...models.map((m) => m.name)]) {
      const row = emptyRow(job, name, name === OWN_MODEL ? 'ptychostudy' : 'external', runId, at, run.outputRoot);
      row.status = 'failed';
      row.error = reason;
      rows.push(row);
    }
    return async () => {
      const w = writeJobFiles(run, job, rows.map((row) => ({ row, metrics: null, aligned: null })), null, null);
      onProgress({ kind: 'job', ...where, failed: true, message: `[${i + 1}/${total}] ${label}: failed — ${reason}${w.error ? `; ${w.error}` : ''}` });
      return { rows, skipped: null, compared: 0, failed: rows.length, archived: w.archived, files_run_id: w.filesRunId };
    };
  }
  // Our reconstruction is read first: the positions it used (e.g. the first `reconstruction.nImages` of the file) define
  // the scanned region, the same region for every model of the job.
  const own = emptyRow(job, OWN_MODEL, 'ptychostudy', runId, at, run.outputRoot);
  let ownRec: Reconstruction | null = null;
  let ownReadError: string | null = null;
  if (job.reconstructionNpz) {
    try {
      ownRec = readReconstruction(job.reconstructionNpz);
    } catch (err) {
      ownReadError = err instanceof Error ? err.message : String(err);
    }
  }
  const scan = ownRec?.positions ?? { ys: gt.ycoords, xs: gt.xcoords };
  const regionSource = ownRec?.positions ? 'positions stored in the reconstruction' : 'dataset xcoords/ycoords';
  const region = regionOf(gt.object.h, gt.object.w, scan.ys, scan.xs, gt.N,
    regionMode === 'illumination' && gt.probeIntensity ? gt.probeIntensity : null);
  const arms: ArmOutcome[] = [];
  if (ownRec) arms.push(compareArm(gt, region, ownRec, own, job.phaseFSeconds, run.outputRoot));
  else if (job.reconstructionNpz) {
    own.reconstruction = recordPath(run.outputRoot, job.reconstructionNpz);
    own.status = 'failed';
    own.error = ownReadError;
    arms.push({ row: own, metrics: null, aligned: null });
  } else { own.error = job.reason; arms.push({ row: own, metrics: null, aligned: null }); }
  for (const e of externals) {
    const row = emptyRow(job, e.m.name, 'external', runId, at, run.outputRoot);
    if (existsSync(e.path)) arms.push(compareArm(gt, region, e.path, row, null, run.outputRoot));
    else { row.reconstruction = resolve(e.path); row.error = `not found: ${e.path}`; arms.push({ row, metrics: null, aligned: null }); }
  }
  const meta = {
    dose: job.dose, view: job.view, split: job.split, ground_truth: own.ground_truth, paths_relative_to: 'the Phase G root', region,
    region_mode: regionMode, region_positions: regionSource,
    models: arms.map((a) => ({ model: a.row.model, slug: modelSlug(a.row.model), status: a.row.status, reconstruction: a.row.reconstruction })),
  };
  // drawn and deflated meanwhile (only what the job writes: a model was compared; the figure when figures are on)
  const anyOk = arms.some((a) => a.row.status === 'ok');
  const figure = run.figures !== false && anyOk ? comparisonFigure(arms, job) : null;
  const npz = anyOk ? later(() => encodeNpzAsync(alignedNpz(arms, meta), {}, join(jobDir(run.outputRoot, job), `${STAGING_PREFIX}${runId}`, PHASE_G.alignedNpz))) : null;
  return async () => {
    // both settled before the job's first write: a stop (Ctrl-C ends the process) while they are awaited leaves
    // nothing of the job, as one between two jobs
    const [png, arrays] = await Promise.all([figure === null ? null : settle(figure), npz === null ? null : settle(npz)]);
    const w = writeJobFiles(run, job, arms, { meta, region, regionSource, png, npz: arrays }, inputs);
    const ok = arms.filter((a) => a.row.status === 'ok');
    const failed = arms.filter((a) => a.row.status === 'failed').length;
    onProgress({ kind: 'job', ...where, ...(failed > 0 ? { failed: true } : {}), message: `[${i + 1}/${total}] ${label}: ${briefOf(arms.map((a) => a.row))}` });
    return {
      rows: arms.map((a) => a.row), skipped: null, compared: ok.length > 0 ? 1 : 0, failed,
      archived: w.archived, files_run_id: w.filesRunId,
    };
  };
}

/** A job's rows in one progress line. */
function briefOf(rows: readonly SummaryRowCore[]): string {
  return rows.map((r) => r.status === 'ok'
    ? `${r.model} MS-SSIM amplitude/phase ${fmt3(r.metrics.ms_ssim?.amplitude)}/${fmt3(r.metrics.ms_ssim?.phase)}${r.error ? ` (${r.error})` : ''}`
    : `${r.model} ${r.status}${r.error ? ` (${r.error})` : ''}`).join('; ');
}

const HISTORY_NOTE = 'history/';

/** The run id of the job directory's comparison.json, or null when there is none or it cannot be read. */
function currentFilesRunId(dir: string): string | null {
  try {
    return jobFilesRunId(dir);
  } catch {
    return null;
  }
}

interface Written {
  archived: JobArchive | null;
  /** The run whose comparison.json the directory holds now. */
  filesRunId: string | null;
  /** Why the files could not be written (the arms' rows are then failed rows saying so). */
  error: string | null;
}

/**
 * Writes a compared job's files: the new ones into a staging folder, then the earlier ones into the job's
 * history, then the new ones into place, comparison.json last. The CSVs, aligned arrays and figure only
 * when a model was compared; comparison.json also when the job had files before (so the directory never
 * keeps an earlier run's comparison as if current). A failure here turns every row into a failed row. When every
 * model was compared and `inputs` is known, comparison.json records it (`inputs_sha256`) and the SHA-256 of each
 * file written beside it (`outputs_sha256`): what a later run checks before it reuses the job (reuse.ts).
 */
function writeJobFiles(run: ComparisonRun, job: CompareJob, arms: ArmOutcome[],
  extra: {
    meta: Record<string, unknown>; region: Region; regionSource: string;
    /** The figure drawn and the arrays deflated ahead (prepareJob); null: not made (no figures; no model compared). */
    png: Settled<DrawnComparison | null> | null; npz: Settled<Uint8Array[]> | null;
  } | null, inputs: string | null): Written {
  const outDir = jobDir(run.outputRoot, job);
  const ok = arms.filter((a) => a.row.status === 'ok');
  const hadFiles = existsSync(outDir);
  const created = missingDirs(outDir); // the job's folder (and its dose and view folders) when this job makes them
  const own = arms[0]!.row;
  let archived: JobArchive | null = null;
  let staging: string | null = null;
  let stagedIn: string | null = null; // the staging folder's name, for the message of a write that failed in it
  let step = 'writing its new files';
  try {
    const staged: string[] = [];
    let record: { inputs_sha256: string; outputs_sha256: Record<string, string> } | null = null;
    let figure: FigureRecord | null = null; // the figure's size, for the report (docs/metrics.md, "Report")
    if (ok.length > 0 && extra) {
      stagedIn = join(outDir, `${STAGING_PREFIX}${run.runId}`);
      staging = stagingDir(outDir, run.runId);
      writeFileAtomic(join(staging, PHASE_G.metricsCsv), metricsCsv(arms));
      writeFileAtomic(join(staging, PHASE_G.frcCsv), frcCsv(arms));
      const npzPath = join(staging, PHASE_G.alignedNpz);
      if (extra.npz) writeFileAtomic(npzPath, unwrap(extra.npz));
      else saveNpz(npzPath, alignedNpz(arms, extra.meta));
      staged.push(PHASE_G.metricsCsv, PHASE_G.frcCsv, PHASE_G.alignedNpz);
      if (run.figures !== false && extra.png) {
        const drawn = unwrap(extra.png);
        if (drawn) { writeFileAtomic(join(staging, PHASE_G.figure), drawn.png); staged.push(PHASE_G.figure); figure = drawn.record; }
      }
      // only a job whose every model was compared can be reused: it records what it read and wrote
      const names = outputNames(run.figures !== false);
      if (inputs !== null && ok.length === arms.length && staged.length === names.length) {
        record = { inputs_sha256: inputs, outputs_sha256: outputsSha256(staging, names) };
      }
    }
    step = `moving its earlier files to ${HISTORY_NOTE}`;
    archived = archiveJobFiles(run.outputRoot, outDir);
    step = 'moving its new files into place';
    if (staging) installStaged(staging, outDir, staged);
    staging = null;
    if (hadFiles || ok.length > 0) {
      step = `writing ${PHASE_G.json}`;
      const at = own.computed_at;
      writeJsonAtomic(join(outDir, PHASE_G.json), {
        dose: job.dose, view: job.view, split: job.split, run_id: run.runId, computed_at: at, ground_truth: own.ground_truth,
        region: extra?.region ?? null, region_mode: run.regionMode, region_positions: extra?.regionSource ?? null,
        // only when files were replaced (a job's first comparison reads as before)
        ...(archived ? { replaced: archived } : {}),
        ...(record ?? {}),
        ...(figure ? { figure } : {}),
        rows: arms.map((a) => ({ ...a.row, frc: a.metrics ? { n: a.metrics.frc.n, amplitude: Array.from(a.metrics.frc.amplitude, jnum), phase: Array.from(a.metrics.frc.phase, jnum) } : null })),
      });
      return { archived, filesRunId: run.runId, error: null };
    }
    return { archived, filesRunId: null, error: null };
  } catch (err) {
    if (staging) rmSync(staging, { recursive: true, force: true });
    removeEmptyDirs(created); // a job folder this job made and could fill with nothing is not left behind
    // a full disk: the file named as the job's folder was to hold it, never by its staging folder's name
    const named = stagedIn !== null ? namedInPlace(err, stagedIn, outDir) : err;
    const error = `cannot write the job's files in ${outDir} (${step}): ${named instanceof Error ? named.message : String(named)}`;
    for (const a of arms) {
      a.row.status = 'failed';
      a.row.error = a.row.error ? `${a.row.error}; ${error}` : error;
      a.row.metrics = {};
      a.row.values = {};
      a.metrics = null;
      a.aligned = null;
    }
    return { archived, filesRunId: currentFilesRunId(outDir), error };
  }
}

function fmt3(v: number | null | undefined): string {
  return typeof v === 'number' ? v.toFixed(3) : '—';
}
