/**
 * Phase G: every reconstruction against its ground truth, the same way for every model (ours and any
 * external one), with per-job files, merged aggregates and charts. The library entry is
 * `runPhaseG(options, onProgress)`; `ptychostudy compare` and the whole-study `run` call it.
 *
 * Output root layout:
 *   dose_<D>/<view>/<split>/comparison_metrics.csv   model, metric, amplitude, phase, value
 *                           frc_curves.csv           model, frequency_bin, amplitude_frc, phase_frc, spatial_frequency
 *                           reconstructions_aligned.npz  ground_truth_* and <model>_* (complex, amplitude, phase), offsets
 *                           comparison.png           ground truth, each model and its error maps, amplitude and phase
 *                           comparison.json          everything above in one document (alignment details, paths, errors)
 *   metrics_summary.json / .md / .csv                merged across runs by (dose, view, split, model)
 *   charts/<metric>.svg / .png                       metric vs dose, one line per view and model
 *   runs/<run id>/metrics_summary.json               this run's own results (immutable snapshot)
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../files/atomic.js';
import { metadataArray } from '../data/metadata.js';
import { saveNpz } from '../npy/npz.js';
import { c64, f32, f64, type NdArray } from '../npy/types.js';
import {
  alignReconstruction, amplitudeOf, comparisonImages, computeMetrics, cutToRegion, METRIC_KEYS, phaseOf, scannedRegion,
  type ComplexImage, type MetricKey, type MetricSet, type Region,
} from '../metrics/index.js';
import { renderMetricChart, type MetricPoint } from '../report/charts.js';
import { percentileRange } from '../report/colormap.js';
import { renderPanelsPng, type Panel } from '../report/figure.js';
import { compactUtc, createUniqueDir } from './reconstruct/files.js';
import { doseDir } from './reconstruct/jobs.js';
import {
  expandPattern, planComparisons, type CompareFilters, type CompareJob, type ExternalModel,
} from './compare-jobs.js';
import { csvField, csvNumber, readGroundTruth, readReconstruction, type GroundTruth, type Reconstruction } from './compare-io.js';
import {
  jnum, mergeSummary, metricLabel, readMetricsSummary, summaryCsv, summaryMarkdown,
  type MetricsSummary, type PhaseGRun, type SkippedJob, type SummaryRowCore,
} from './compare-summary.js';

/** The name our own LSQML reconstructions appear under. */
export const OWN_MODEL = 'LSQML';

export interface PhaseGOptions extends CompareFilters {
  phaseCRoot: string;
  phaseDRoot: string;
  phaseFRoot: string;
  outputRoot: string;
  /** External reconstructions to compare beside ours (`--model NAME=PATTERN`). */
  models?: ExternalModel[];
  /** How the scanned region is found (default 'illumination'; see metrics/align.ts). */
  region?: 'illumination' | 'patches';
  /** Write comparison.png per job (default true). */
  figures?: boolean;
  /** Write charts (default true). */
  charts?: boolean;
}

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
}

export interface PhaseGSummary {
  runId: string;
  /** Jobs with at least one model compared. */
  compared: number;
  /** Model comparisons that failed with an error (bad file, shape mismatch…). */
  failed: number;
  /** Jobs with nothing to compare (our reconstruction missing or failed and no external model). */
  skipped: number;
  rows: SummaryRowCore[];
  skippedJobs: SkippedJob[];
  summary: MetricsSummary;
  files: { summaryJson: string; summaryMd: string; summaryCsv: string; charts: string[]; snapshot: string };
  warnings: string[];
}

/** Metric charts: which metrics, titles, axes. */
export const CHART_METRICS: { metric: MetricKey; better: 'higher' | 'lower'; logY?: boolean }[] = [
  { metric: 'ms_ssim', better: 'higher' },
  { metric: 'ssim', better: 'higher' },
  { metric: 'mae', better: 'lower' },
  { metric: 'mse', better: 'lower', logY: true },
  { metric: 'psnr', better: 'higher' },
  { metric: 'frc50', better: 'higher' },
  { metric: 'frc1over7', better: 'higher' },
];

/** File-name form of a model name: lowercase, non-alphanumerics → '_'. */
export function modelSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

interface ArmOutcome {
  row: SummaryRowCore;
  metrics: MetricSet | null;
  aligned: { gt: ComplexImage; rec: ComplexImage } | null;
}

function emptyRow(job: CompareJob, model: string, source: 'ptychostudy' | 'external', runId: string, at: string): SummaryRowCore {
  return {
    dose: job.dose, view: job.view, split: job.split, model, source, status: 'missing', error: null,
    reconstruction: null, ground_truth: job.inputNpz, region: null, compared_shape: null, same_frame: null,
    registered_on: null, metrics: {}, values: {}, run_id: runId, computed_at: at,
  };
}

function compareArm(gt: GroundTruth, region: Region, rec: Reconstruction | string, row: SummaryRowCore, fallbackSeconds: number | null): ArmOutcome {
  row.reconstruction = typeof rec === 'string' ? rec : rec.path;
  try {
    if (typeof rec === 'string') rec = readReconstruction(rec);
    const cut = cutToRegion(gt.object, rec.object, region);
    const al = alignReconstruction(cut.gt, cut.rec);
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

function comparisonFigure(arms: ArmOutcome[], title: string): Buffer | null {
  const ok = arms.filter((a) => a.aligned);
  if (ok.length === 0) return null;
  const gt = ok[0]!.aligned!.gt;
  const gAmp = amplitudeOf(gt).data, gPh = phaseOf(gt).data;
  const [alo, ahi] = percentileRange(gAmp, 0.005, 0.995);
  const [plo, phi] = percentileRange(gPh, 0.005, 0.995);
  const ampPanels: Panel[] = [{ title: 'ground truth |O|', width: gt.w, height: gt.h, values: gAmp, colormap: 'gray', vmin: alo, vmax: ahi }];
  const phPanels: Panel[] = [{ title: 'ground truth arg O', width: gt.w, height: gt.h, values: gPh, colormap: 'viridis', vmin: plo, vmax: phi, label: 'rad' }];
  for (const a of ok) {
    const { gt: t, rec } = a.aligned!;
    const c = comparisonImages(t, rec);
    const dA = new Float64Array(c.ampT.data.length), dP = new Float64Array(c.ampT.data.length);
    for (let i = 0; i < dA.length; i++) { dA[i] = c.ampP.data[i]! - c.ampT.data[i]!; dP[i] = c.phP.data[i]! - c.phT.data[i]!; }
    const ea = Math.max(...percentileRange(dA.map(Math.abs), 0, 0.99).map(Math.abs), 1e-12);
    const ep = Math.max(...percentileRange(dP.map(Math.abs), 0, 0.99).map(Math.abs), 1e-12);
    const name = a.row.model;
    ampPanels.push({ title: `${name} |O|`, width: rec.w, height: rec.h, values: c.ampP.data, colormap: 'gray', vmin: alo, vmax: ahi });
    ampPanels.push({ title: `${name} amplitude error`, width: rec.w, height: rec.h, values: dA, colormap: 'RdBu', vmin: -ea, vmax: ea });
    phPanels.push({ title: `${name} arg O`, width: rec.w, height: rec.h, values: c.phP.data, colormap: 'viridis', vmin: plo, vmax: phi, label: 'rad' });
    phPanels.push({ title: `${name} phase error`, width: rec.w, height: rec.h, values: dP, colormap: 'RdBu', vmin: -ep, vmax: ep, label: 'rad' });
  }
  return renderPanelsPng([...ampPanels, ...phPanels], { columns: ampPanels.length, title, imageSize: 180 });
}

/** Runs Phase G (see the module comment). Never throws for a single job's problem: it is recorded. */
export async function runPhaseG(opts: PhaseGOptions, onProgress: (p: PhaseGProgress) => void = () => {}): Promise<PhaseGSummary> {
  const started = new Date();
  const startedAt = started.toISOString().replace(/\.\d+Z$/, 'Z');
  const plan = planComparisons(opts);
  const warnings = [...plan.warnings];
  for (const w of plan.warnings) onProgress({ kind: 'warning', message: w });
  const models = opts.models ?? [];
  const seenNames = new Set([OWN_MODEL.toLowerCase()]);
  for (const m of models) {
    if (seenNames.has(m.name.toLowerCase())) throw new UsageError(`--model name '${m.name}' is used twice (or is the built-in '${OWN_MODEL}')`);
    seenNames.add(m.name.toLowerCase());
  }
  // Read the prior summary first: a broken one stops the run before anything is written.
  const summaryPath = join(opts.outputRoot, 'metrics_summary.json');
  const prior = readMetricsSummary(summaryPath);
  const filterTag = [opts.dose != null ? doseDir(opts.dose) : '', opts.view ?? '', opts.split ?? ''].filter(Boolean).join('-');
  const runId = createUniqueDir(join(opts.outputRoot, 'runs'), `${compactUtc(started)}${filterTag ? `-${filterTag}` : ''}`);
  const rows: SummaryRowCore[] = [];
  const skipped: SkippedJob[] = [];
  let compared = 0;
  let failed = 0;
  const total = plan.jobs.length;
  const regionMode = opts.region ?? 'illumination';
  for (let i = 0; i < total; i++) {
    const job = plan.jobs[i]!;
    const where = { index: i + 1, total, dose: job.dose, view: job.view, split: job.split };
    const label = `${doseDir(job.dose)}/${job.view}/${job.split}`;
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const externals = models.map((m) => ({ m, path: expandPattern(m.pattern, job) }));
    const present = externals.filter((e) => existsSync(e.path));
    if ((job.reconstructionNpz === null && present.length === 0) || job.inputNpz === null) {
      const reason = job.inputNpz === null
        ? (job.reason ?? 'ground-truth dataset not found')
        : job.reason ?? 'no reconstruction';
      skipped.push({ dose: job.dose, view: job.view, split: job.split, reason, run_id: runId });
      onProgress({ kind: 'skip', ...where, message: `[${i + 1}/${total}] ${label}: skipped — ${reason}` });
      continue;
    }
    let gt: GroundTruth;
    try {
      gt = readGroundTruth(job.inputNpz);
    } catch (err) {
      const reason = `ground truth unreadable: ${(err as Error).message}`;
      for (const name of [OWN_MODEL, ...models.map((m) => m.name)]) {
        const row = emptyRow(job, name, name === OWN_MODEL ? 'ptychostudy' : 'external', runId, at);
        row.status = 'failed';
        row.error = reason;
        rows.push(row);
        failed++;
      }
      onProgress({ kind: 'job', ...where, message: `[${i + 1}/${total}] ${label}: failed — ${reason}` });
      continue;
    }
    // Our reconstruction is read first: the positions it used (e.g. the first --n-images of the file) define
    // the scanned region, the same region for every model of the job.
    const own = emptyRow(job, OWN_MODEL, 'ptychostudy', runId, at);
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
    const region = scannedRegion(gt.object.h, gt.object.w, scan.ys, scan.xs, gt.N,
      regionMode === 'illumination' && gt.probeIntensity ? { mode: 'illumination', probeIntensity: gt.probeIntensity } : { mode: 'patches' });
    const arms: ArmOutcome[] = [];
    if (ownRec) arms.push(compareArm(gt, region, ownRec, own, job.phaseFSeconds));
    else if (job.reconstructionNpz) {
      own.reconstruction = job.reconstructionNpz;
      own.status = 'failed';
      own.error = ownReadError;
      arms.push({ row: own, metrics: null, aligned: null });
    } else { own.error = job.reason; arms.push({ row: own, metrics: null, aligned: null }); }
    for (const e of externals) {
      const row = emptyRow(job, e.m.name, 'external', runId, at);
      if (existsSync(e.path)) arms.push(compareArm(gt, region, e.path, row, null));
      else { row.reconstruction = e.path; row.error = `not found: ${e.path}`; arms.push({ row, metrics: null, aligned: null }); }
    }
    const outDir = join(opts.outputRoot, doseDir(job.dose), job.view, job.split);
    const ok = arms.filter((a) => a.row.status === 'ok');
    failed += arms.filter((a) => a.row.status === 'failed').length;
    if (ok.length > 0) {
      compared++;
      writeFileAtomic(join(outDir, 'comparison_metrics.csv'), metricsCsv(arms));
      writeFileAtomic(join(outDir, 'frc_curves.csv'), frcCsv(arms));
      const meta = {
        dose: job.dose, view: job.view, split: job.split, run_id: runId, ground_truth: job.inputNpz, region,
        region_mode: regionMode, region_positions: regionSource,
        models: arms.map((a) => ({ model: a.row.model, slug: modelSlug(a.row.model), status: a.row.status, reconstruction: a.row.reconstruction, error: a.row.error })),
      };
      saveNpz(join(outDir, 'reconstructions_aligned.npz'), alignedNpz(arms, meta));
      if (opts.figures !== false) {
        const png = comparisonFigure(arms, `dose ${job.dose}, ${job.view}, ${job.split}: aligned to ground truth`);
        if (png) writeFileAtomic(join(outDir, 'comparison.png'), png);
      }
    }
    if (existsSync(outDir) || ok.length > 0) {
      writeJsonAtomic(join(outDir, 'comparison.json'), {
        dose: job.dose, view: job.view, split: job.split, run_id: runId, computed_at: at, ground_truth: job.inputNpz,
        region, region_mode: regionMode, region_positions: regionSource,
        rows: arms.map((a) => ({ ...a.row, frc: a.metrics ? { n: a.metrics.frc.n, amplitude: Array.from(a.metrics.frc.amplitude, jnum), phase: Array.from(a.metrics.frc.phase, jnum) } : null })),
      });
    }
    for (const a of arms) rows.push(a.row);
    const brief = arms.map((a) => a.row.status === 'ok'
      ? `${a.row.model} MS-SSIM ${fmt3(a.row.metrics.ms_ssim?.amplitude)}/${fmt3(a.row.metrics.ms_ssim?.phase)}`
      : `${a.row.model} ${a.row.status}${a.row.error ? ` (${a.row.error})` : ''}`).join('; ');
    onProgress({ kind: 'job', ...where, message: `[${i + 1}/${total}] ${label}: ${brief}` });
  }
  const record: PhaseGRun = {
    run_id: runId, started_at: startedAt, finished_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    filters: { dose: opts.dose ?? null, view: opts.view ?? null, split: opts.split ?? null },
    models: models.map((m) => ({ name: m.name, pattern: m.pattern })),
    compared, failed, skipped: skipped.length, snapshot: `runs/${runId}`,
  };
  const snapshot = join(opts.outputRoot, 'runs', runId);
  const own = mergeSummary(null, { rows, skipped, record });
  writeJsonAtomic(join(snapshot, 'metrics_summary.json'), own);
  const merged = mergeSummary(prior, { rows, skipped, record });
  writeJsonAtomic(summaryPath, merged);
  const mdPath = join(opts.outputRoot, 'metrics_summary.md');
  const csvPath = join(opts.outputRoot, 'metrics_summary.csv');
  writeFileAtomic(mdPath, summaryMarkdown(merged));
  writeFileAtomic(csvPath, summaryCsv(merged));
  onProgress({ kind: 'summary', message: `metrics summary: ${summaryPath} (${merged.rows.length} rows, ${merged.skipped_jobs.length} skipped jobs)` });
  const charts = opts.charts === false ? [] : await writeCharts(merged, join(opts.outputRoot, 'charts'));
  if (charts.length > 0) onProgress({ kind: 'charts', message: `charts: ${charts.length / 2} metrics in ${join(opts.outputRoot, 'charts')}` });
  return {
    runId, compared, failed, skipped: skipped.length, rows, skippedJobs: skipped, summary: merged,
    files: { summaryJson: summaryPath, summaryMd: mdPath, summaryCsv: csvPath, charts, snapshot },
    warnings,
  };
}

function fmt3(v: number | null | undefined): string {
  return typeof v === 'number' ? v.toFixed(3) : '—';
}

/** Metric-vs-dose charts (SVG + PNG) of every ok row of a summary; returns the image paths. */
export async function writeCharts(summary: MetricsSummary, dir: string): Promise<string[]> {
  const ok = summary.rows.filter((r) => r.status === 'ok');
  if (ok.length === 0) return [];
  const out: string[] = [];
  for (const c of CHART_METRICS) {
    const points: MetricPoint[] = [];
    for (const r of ok) {
      for (const component of ['amplitude', 'phase'] as const) {
        const v = r.metrics[c.metric]?.[component];
        if (typeof v === 'number' && (!c.logY || v > 0)) points.push({ dose: r.dose, value: v, view: r.view, model: r.model, split: r.split, component });
      }
    }
    if (points.length === 0) continue;
    const opts = { title: `${metricLabel(c.metric)} vs dose`, yTitle: metricLabel(c.metric), subtitle: `${c.better} is better`, logY: c.logY ?? false };
    const { svg, png } = await renderMetricChart(points, opts);
    const svgPath = join(dir, `${c.metric}.svg`);
    const pngPath = join(dir, `${c.metric}.png`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, png);
    out.push(svgPath, pngPath);
  }
  return out;
}

