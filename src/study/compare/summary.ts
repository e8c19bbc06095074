/**
 * Phase G aggregates: `metrics_summary.json`, `metrics_summary.md` and `metrics_summary.csv`, merged across
 * runs by (dose, view, split, model) like the Phase F manifest: the rows of a job a run did not touch are
 * kept; a job the run compared, failed or skipped gets the run's rows, the old ones moving into the new
 * row's `history` (same model) or `superseded_rows` (a model the run did not compare, a job it skipped) —
 * so the current rows are those whose files are in the job's directory. Nothing is dropped.
 *
 * The file's schema and reader are the hub's (study/hub/metrics-summary.ts).
 */
import { resolve } from 'node:path';
import { isConfined, recordPath, resolveRecorded } from '../../files/paths.js';
import { METRIC_KEYS, type MetricKey } from '../../metrics/index.js';
import { compareJobs, doseDirName as doseDir } from '../hub/layout.js';
import {
  SUMMARY_SCHEMA_VERSION, VALUE_KEYS, aggregateScope, FRC_METRICS, frcCyclesPerPixel, frcMean, frcMeansNote, frcSide, isFrcMetric, metricLabel, metricValue, type FrcMetric,
  type MetricsSummary, type PhaseGRun, type SkippedJob, type SummaryRow, type SummaryRowCore, type SupersededRow,
} from '../hub/metrics-summary.js';
import type { JobArchive } from './files.js';
import type { ExternalModel } from './plan.js';
import { csvField, csvNumber } from './csv.js';
import type { PhaseCCompliance, PhaseCSplitCompliance } from './phase-c-compliance.js';

/** What each metric means (written into the summary so a reader of the JSON alone knows). */
export const DEFINITIONS: Record<string, string> = {
  alignment: 'ground truth = objectGuess of the reconstruction\'s input dataset, cut to the scanned region; reconstruction registered (upsampled x50 cross-correlation of windowed amplitudes, Fourier shift, border cut), phase plane a·x+b·y+c and least-squares amplitude scale removed; identical for every model (docs/metrics.md)',
  mae: 'mean |t − p|; amplitude in units of the object\'s transmission |O| (no unit), phase in radians, its difference taken on the ground truth\'s branch (no 2π wraps)',
  mse: 'mean (t − p)²; amplitude no unit, phase in rad²',
  psnr: '10·log10(peak²/MSE) dB; peak = max ground-truth amplitude (amplitude), 2π (phase); null with an MSE of 0 = infinite (identical images), otherwise not computable',
  psnr_255: 'the reference study\'s PSNR, OpenCV cv2.PSNR: 20·log10(255/(√MSE + 2⁻⁵²)) dB on the same MSE (phase in radians)',
  ssim: 'as PtychoPINN eval_reconstruction: scikit-image structural_similarity defaults (7×7 uniform window); amplitude with data range = ground-truth amplitude range; phase on both phases mapped by (φ+π)/(2π), data range 1',
  ms_ssim: 'PtychoPINN ms_ssim (5 levels of plain SSIM, weights 0.0448/0.2856/0.3001/0.2363/0.1333, [::2,::2], data range max of the two ranges, negative → 1e-4, NaN → 0); amplitude after Gaussian σ = 1 smoothing; phase on the mapped phases (φ+π)/(2π), no smoothing',
  frc50: 'first FRC ring (index, linearly interpolated) below 0.5; ring r = r/n cycles per pixel on the n×n centre square',
  frc1over7: 'first FRC ring (index) below 1/7; the report\'s Resolution section gives both as half-periods n/(2·ring) in pixels',
  frc_means: 'aggregate_metrics of frc50 and frc1over7: ring k of an n×n square is k/n cycles per pixel, so rings of squares of different sides are different frequencies; mean_cycles_per_pixel_* averages ring/n (at most 0.5, Nyquist) over the model\'s scored jobs, square_side_min_* and square_side_max_* give the range of their n, and mean_* (in rings) is null unless every n is the same',
  registration_offset_dy: 'row shift applied to the reconstruction (pixels)',
  registration_offset_dx: 'column shift applied to the reconstruction (pixels)',
  amplitude_scale: 'factor the reconstruction\'s amplitude was multiplied by',
  phase_ramp_x: 'phase ramp removed along columns (rad/pixel)',
  phase_ramp_y: 'phase ramp removed along rows (rad/pixel)',
  border_px: 'pixels cut from every edge after registration',
  computation_time_s: 'reconstruction time recorded by the reconstruction (seconds)',
};

/** JSON-safe number: non-finite → null. */
export function jnum(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function rowKey(r: { dose: number; view: string; split: string; model: string }): string {
  return `${doseDir(r.dose)}|${r.view}|${r.split}|${r.model}`;
}

function jobKeyOf(r: { dose: number; view: string; split: string }): string {
  return `${doseDir(r.dose)}|${r.view}|${r.split}`;
}

/** Order: job order of Phase F, then our model first, then external models by name. */
export function compareRows(a: SummaryRowCore, b: SummaryRowCore): number {
  const j = compareJobs(a, b);
  if (j !== 0) return j;
  if (a.source !== b.source) return a.source === 'ptychostudy' ? -1 : 1;
  return a.model < b.model ? -1 : a.model > b.model ? 1 : 0;
}

/** What a run did to one job's files (job.ts): where the earlier ones went, and whether they are still the run's. */
export interface JobOutcome {
  dose: number;
  view: string;
  split: string;
  /** Where the job's earlier files moved (null: there were none). */
  archived: JobArchive | null;
  /**
   * Set when another run's files have replaced this run's since (its comparison.json names that run; null
   * when it names none): this run's rows of the job are then not current.
   */
  superseded_by?: string | null;
  /** With `superseded_by`: where that run moved this run's files (relative to the output root), when found. */
  own_archived_to?: string | null;
}

/**
 * Merges this run's rows and skips into the prior summary (and `phaseC`, the Phase C metadata compliance as
 * this run found it, in place of the prior one's). Every job the run compared, skipped or failed
 * replaces that job's current rows and skip entry: an earlier row of a model the run compared again moves
 * into the new row's `history`; one of a model it did not compare (or of a job it skipped) moves to
 * `superseded_rows`. A history entry whose files the run moved into the job's history folder records where
 * (`archived_to`). Rows of jobs the run did not touch stay. A job whose files another run has replaced
 * since (`superseded_by` in `jobs`) leaves the current rows as they are; this run's rows of it go into
 * their `history` (by time), or to `superseded_rows` when the job has no current row of that model.
 * Without `jobs` the jobs are those of the rows and skips, with no files moved.
 */
export function mergeSummary(prior: MetricsSummary | null,
  run: { rows: SummaryRowCore[]; skipped: SkippedJob[]; record: PhaseGRun; jobs?: JobOutcome[]; phaseC?: PhaseCCompliance }): MetricsSummary {
  const runId = run.record.run_id;
  const outcomes = new Map<string, JobOutcome>();
  for (const j of run.jobs ?? []) outcomes.set(jobKeyOf(j), j);
  for (const j of [...run.rows, ...run.skipped]) if (!outcomes.has(jobKeyOf(j))) outcomes.set(jobKeyOf(j), { dose: j.dose, view: j.view, split: j.split, archived: null });
  const superseded = new Map<string, SupersededRow>();
  const supersede = (r: SupersededRow): void => { superseded.set(`${rowKey(r)}|${r.run_id}`, r); };
  for (const r of prior?.superseded_rows ?? []) supersede(r);
  /** An earlier row as it goes into history: with where its files went when this run moved them. */
  const retired = (old: SummaryRow): SummaryRowCore => {
    const a = outcomes.get(jobKeyOf(old))?.archived;
    const core = stripHistory(old);
    return a && a.run_id === old.run_id ? { ...core, archived_to: a.archived_to } : core;
  };
  const byJob = new Map<string, SummaryRow[]>();
  for (const r of prior?.rows ?? []) {
    const k = jobKeyOf(r);
    byJob.set(k, [...(byJob.get(k) ?? []), r]);
  }
  const newByJob = new Map<string, SummaryRowCore[]>();
  for (const r of run.rows) newByJob.set(jobKeyOf(r), [...(newByJob.get(jobKeyOf(r)) ?? []), r]);
  const rows: SummaryRow[] = [];
  for (const [k, old] of byJob) {
    const o = outcomes.get(k);
    if (!o || o.superseded_by !== undefined) { rows.push(...old); continue; }
    for (const r of old) {
      // the run's own earlier merge (a cluster run merges after every task) is replaced, never kept
      if (r.run_id === runId) continue;
      if (!(newByJob.get(k) ?? []).some((n) => n.model === r.model)) supersede({ ...retired(r), history: r.history, superseded_by: runId });
    }
  }
  for (const [k, fresh] of newByJob) {
    const o = outcomes.get(k)!;
    if (o.superseded_by !== undefined) {
      // another run's files are current: this run's rows are earlier versions of that job's rows
      for (const r of fresh) {
        const entry: SummaryRowCore = o.own_archived_to ? { ...r, archived_to: o.own_archived_to } : r;
        const at = rows.findIndex((x) => rowKey(x) === rowKey(r));
        if (at >= 0 && rows[at]!.run_id !== r.run_id) {
          rows[at] = { ...rows[at]!, history: byTime([...rows[at]!.history.filter((h) => h.run_id !== r.run_id), entry]) };
        } else if (at < 0) supersede({ ...entry, history: [], superseded_by: o.superseded_by });
      }
      continue;
    }
    const old = byJob.get(k) ?? [];
    for (const r of fresh) {
      const prev = old.find((x) => x.model === r.model);
      // a row's history never holds a version of the run that is current
      const history = prev ? byTime([...prev.history, retired(prev)].filter((h) => h.run_id !== r.run_id)) : [];
      rows.push({ ...r, history });
    }
  }
  const skipped = new Map<string, SkippedJob>();
  for (const s of prior?.skipped_jobs ?? []) {
    const o = outcomes.get(jobKeyOf(s));
    if (!o || o.superseded_by !== undefined) skipped.set(jobKeyOf(s), s);
  }
  for (const s of run.skipped) if (outcomes.get(jobKeyOf(s))?.superseded_by === undefined) skipped.set(jobKeyOf(s), s);
  const runs = [...(prior?.runs ?? []).filter((r) => r.run_id !== runId), run.record];
  return buildSummary(rows, [...skipped.values()], runs, [...superseded.values()], run.phaseC ?? prior?.phase_c_metadata_compliance);
}

/** History entries oldest first (by when they were computed; stable for equal times). */
function byTime(h: SummaryRowCore[]): SummaryRowCore[] {
  return [...h].sort((a, b) => (a.computed_at < b.computed_at ? -1 : a.computed_at > b.computed_at ? 1 : 0));
}

function stripHistory(r: SummaryRow): SummaryRowCore {
  const { history: _h, ...rest } = r;
  return rest;
}

/** Assembles a summary (counts, reference-style job list, aggregates) from rows, skips and runs. */
export function buildSummary(rows: SummaryRow[], skipped: SkippedJob[], runs: PhaseGRun[], superseded: SupersededRow[] = [],
  phaseC?: PhaseCCompliance): MetricsSummary {
  rows.sort(compareRows);
  skipped.sort(compareJobs);
  const jobs = new Map<string, MetricsSummary['jobs'][number]>();
  for (const r of rows) {
    let j = jobs.get(jobKeyOf(r));
    if (!j) { j = { dose: r.dose, view: r.view, split: r.split, metrics: [] }; jobs.set(jobKeyOf(r), j); }
    if (r.status !== 'ok') continue;
    for (const m of METRIC_KEYS) {
      const p = r.metrics[m];
      if (p) j.metrics.push({ model: r.model, metric: m, amplitude: p.amplitude, phase: p.phase });
    }
    for (const k of VALUE_KEYS) if (r.values[k] !== undefined) j.metrics.push({ model: r.model, metric: k, value: r.values[k] ?? null });
  }
  const jobList = [...jobs.values()];
  const nFailed = jobList.filter((j) => rows.some((r) => jobKeyOf(r) === jobKeyOf(j) && r.status === 'failed')).length;
  const models = [...new Set(rows.map((r) => r.model))].sort();
  return {
    schema_version: SUMMARY_SCHEMA_VERSION,
    generated_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    n_jobs: jobList.length,
    n_success: jobList.length - nFailed,
    n_failed: nFailed,
    n_skipped: skipped.length,
    models,
    rows,
    jobs: jobList,
    aggregate_metrics: aggregate(rows, models),
    skipped_jobs: skipped,
    // only when there are any (a summary of runs that replaced nothing reads as before)
    ...(superseded.length > 0 ? { superseded_rows: superseded.sort((a, b) => compareRows(a, b) || (a.computed_at < b.computed_at ? -1 : a.computed_at > b.computed_at ? 1 : 0)) } : {}),
    runs,
    definitions: DEFINITIONS,
    ...(phaseC !== undefined ? { phase_c_metadata_compliance: phaseC } : {}),
  };
}

/**
 * The external models whose rows are current in the summary `s` (merged by a `compare --model NAME=PATTERN`), in
 * the summary's order, each with the pattern of the latest run that compared it: what a comparison of the whole
 * study (`run`) compares again beside ours, so that redoing Phase G does not drop them. None for no summary.
 */
export function currentExternalModels(s: MetricsSummary | null, at?: ModelRoots): ExternalModel[] {
  if (s === null) return [];
  const names = new Set(s.rows.filter((r) => r.source === 'external').map((r) => r.model));
  const out: ExternalModel[] = [];
  for (const name of s.models.filter((m) => names.has(m))) {
    const m = [...s.runs].reverse().find((r) => r.models.some((x) => x.name === name))?.models.find((x) => x.name === name);
    if (m === undefined) continue;
    const here = at !== undefined && m.relative_pattern !== undefined ? resolveRecorded(at.outputRoot, m.relative_pattern, modelRoots(at)) : null;
    out.push({ name, pattern: here ?? m.pattern });
  }
  return out;
}

/** Where a comparison runs: its output root and the roots it reads (a hub's phase roots). */
export interface ModelRoots {
  outputRoot: string;
  phaseCRoot: string;
  phaseDRoot: string;
  phaseFRoot: string;
}

function modelRoots(at: ModelRoots): string[] {
  return [at.outputRoot, at.phaseCRoot, at.phaseDRoot, at.phaseFRoot].filter((r) => r !== '');
}

/**
 * How a run records an external model: its pattern as given and, when that pattern names files inside the roots
 * the comparison was given (the hub's own files, e.g. `HUB/phase_f/…`), also relative to the output root
 * (`relative_pattern`), so that `run` on a copy of the hub in another place compares the copy's files again
 * (`currentExternalModels` with `at`), never the original's.
 */
export function modelRecord(m: ExternalModel, at: ModelRoots): PhaseGRun['models'][number] {
  const abs = resolve(m.pattern);
  if (!modelRoots(at).some((r) => isConfined(r, abs))) return { name: m.name, pattern: m.pattern };
  return { name: m.name, pattern: m.pattern, relative_pattern: recordPath(at.outputRoot, abs) };
}

/**
 * Per model: mean (and, for SSIM and MS-SSIM, best) amplitude and phase over its ok rows. FRC50 and FRC1/7 (ring
 * indices, each on its job's own compared square) are averaged as frequencies, `mean_cycles_per_pixel_*` (ring / n,
 * at most Nyquist), with the range of the squares' sides n (`square_side_min_*`, `square_side_max_*`); their
 * `mean_*` (in rings) is null unless every square has the same side (frcMean).
 */
function aggregate(rows: SummaryRow[], models: string[]): MetricsSummary['aggregate_metrics'] {
  const out: MetricsSummary['aggregate_metrics'] = {};
  for (const model of models) {
    const mine = rows.filter((r) => r.model === model && r.status === 'ok');
    const perMetric: Record<string, Record<string, number | null>> = {};
    for (const m of METRIC_KEYS) {
      const entry: Record<string, number | null> = {};
      for (const c of ['amplitude', 'phase'] as const) {
        if (isFrcMetric(m)) {
          // ring indices of squares of different sides are different frequencies: averaged as cycles per pixel,
          // and as rings only where every square has the same side
          const f = frcMean(mine, m, c);
          entry[`mean_${c}`] = f.ring;
          entry[`mean_cycles_per_pixel_${c}`] = f.cyclesPerPixel;
          entry[`square_side_min_${c}`] = f.sides.length ? f.sides[0]! : null;
          entry[`square_side_max_${c}`] = f.sides.length ? f.sides[f.sides.length - 1]! : null;
          continue;
        }
        const vals = mine.map((r) => r.metrics[m]?.[c]).filter((v): v is number => typeof v === 'number');
        entry[`mean_${c}`] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
        if (m === 'ms_ssim' || m === 'ssim') entry[`best_${c}`] = vals.length ? Math.max(...vals) : null;
      }
      entry.n = mine.length;
      perMetric[m] = entry;
    }
    out[model] = perMetric;
  }
  return out;
}

function fmt(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(digits);
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown summary: counts, one row per dose × view × split × model, aggregates, skipped jobs. */
export function summaryMarkdown(s: MetricsSummary): string {
  const L: string[] = [];
  L.push('# Phase G Metrics Summary', '');
  L.push(`**Total Jobs:** ${s.n_jobs}  `, `**Successful:** ${s.n_success}  `, `**Failed:** ${s.n_failed}  `, `**Skipped:** ${s.n_skipped}  `, `**Generated:** ${s.generated_at}`, '');
  L.push('Every model is aligned to the same ground truth the same way (see `definitions` in metrics_summary.json and docs/metrics.md).', '');
  L.push('---', '', '## All results', '');
  L.push('Amplitude / phase. PSNR in dB (inf = identical images). — = not computable. FRC50 and FRC1/7 (ring): the ring index on the '
    + 'row\'s own n×n compared square, whose side n differs between views and jobs, so rings of different rows are not one frequency; '
    + '(cycles/px): ring / n, at most 0.5 (Nyquist), one axis for every row (the half period is 1/(2f) px).', '');
  L.push('| dose | view | split | model | status | MAE | MSE | PSNR | SSIM | MS-SSIM | FRC50 (ring) | FRC1/7 (ring) | n (px) | FRC50 (cycles/px) | FRC1/7 (cycles/px) | dy, dx (px) | time (s) |');
  L.push('|---:|---|---|---|---|---|---|---|---|---|---|---|---:|---|---|---|---:|');
  for (const r of s.rows) {
    const pair = (m: MetricKey, d: number): string => r.status === 'ok' ? `${fmt(metricValue(r, m, 'amplitude'), d)} / ${fmt(metricValue(r, m, 'phase'), d)}` : '—';
    const cycles = (m: FrcMetric): string => r.status === 'ok' ? `${fmt(frcCyclesPerPixel(r, m, 'amplitude'), 4)} / ${fmt(frcCyclesPerPixel(r, m, 'phase'), 4)}` : '—';
    const off = r.status === 'ok' ? `${fmt(r.values.registration_offset_dy, 2)}, ${fmt(r.values.registration_offset_dx, 2)}` : '—';
    // an ok row's error is a warning (a registration that failed, so the unregistered image was scored)
    const status = r.status === 'ok' ? (r.error ? `ok (${esc(r.error)})` : 'ok') : `${r.status}: ${esc(r.error ?? '')}`;
    L.push(`| ${r.dose} | ${r.view} | ${r.split} | ${esc(r.model)} | ${status} | ${pair('mae', 4)} | ${pair('mse', 4)} | ${pair('psnr', 2)} | ${pair('ssim', 4)} | ${pair('ms_ssim', 4)} | ${pair('frc50', 2)} | ${pair('frc1over7', 2)} | ${frcSide(r) ?? '—'} | ${cycles('frc50')} | ${cycles('frc1over7')} | ${off} | ${fmt(r.values.computation_time_s, 2)} |`);
  }
  L.push('', '## Aggregate Metrics', '', 'Means of each model over its scored jobs, every dose, view and split together (so not the score of any one of them); best = the highest, of SSIM and MS-SSIM.', '');
  for (const model of s.models) {
    const a = s.aggregate_metrics[model] ?? {};
    L.push(`### ${esc(model)}`, '', `Averaged: ${esc(aggregateScope(s, model))}.`, '', '| metric | mean amplitude | mean phase | best amplitude | best phase |', '|---|---:|---:|---:|---:|');
    for (const m of METRIC_KEYS) {
      const e = a[m] ?? {};
      L.push(`| ${metricLabel(m)}${isFrcMetric(m) ? ' (ring)' : ''} | ${fmt(e.mean_amplitude, 4)} | ${fmt(e.mean_phase, 4)} | ${fmt(e.best_amplitude, 4)} | ${fmt(e.best_phase, 4)} |`);
    }
    for (const m of FRC_METRICS) {
      const e = a[m] ?? {};
      L.push(`| ${metricLabel(m)} (cycles/px) | ${fmt(e.mean_cycles_per_pixel_amplitude, 4)} | ${fmt(e.mean_cycles_per_pixel_phase, 4)} | — | — |`);
    }
    L.push('', `FRC means (the rows in cycles/px; in rings only where every compared square has one side): ${frcMeansNote(s.rows.filter((r) => r.model === model && r.status === 'ok'))}.`, '');
  }
  L.push('## Skipped jobs', '');
  if (s.skipped_jobs.length === 0) L.push('None.', '');
  else {
    L.push('| dose | view | split | reason |', '|---:|---|---|---|');
    for (const j of s.skipped_jobs) L.push(`| ${j.dose} | ${j.view} | ${j.split} | ${esc(j.reason)} |`);
    L.push('');
  }
  const c = s.phase_c_metadata_compliance;
  if (c !== undefined) {
    L.push('## Phase C Metadata Compliance', '', 'Validation of Phase C NPZ files for _metadata and canonical transformations.', '');
    if ('error' in c && typeof c.error === 'string') L.push(esc(c.error), '');
    else {
      const mark = (b: boolean): string => (b ? '✓' : '✗');
      L.push('| dose | split | file | _metadata | transpose_rename_convert | compliant |', '|---|---|---|:-:|:-:|:-:|');
      for (const [dose, splits] of Object.entries(c as Record<string, Record<string, PhaseCSplitCompliance>>)) {
        for (const [split, e] of Object.entries(splits)) {
          L.push(`| ${dose} | ${split} | ${esc(e.npz_path)}${e.error ? ` (${esc(e.error)})` : ''} | ${mark(e.has_metadata)} | ${mark(e.has_canonical_transform)} | ${mark(e.compliant)} |`);
        }
      }
      L.push('');
    }
  }
  L.push('## Runs', '', '| run | started | filters | compared | failed | skipped |', '|---|---|---|---:|---:|---:|');
  for (const r of s.runs) {
    const f = [r.filters.dose != null ? `dose=${[r.filters.dose].flat().join(',')}` : '', r.filters.view ? `view=${r.filters.view}` : '', r.filters.split ? `split=${r.filters.split}` : ''].filter(Boolean).join(' ') || 'all';
    L.push(`| ${r.run_id} | ${r.started_at} | ${f} | ${r.compared} | ${r.failed} | ${r.skipped} |`);
  }
  L.push('');
  return L.join('\n');
}

/**
 * Flat CSV of every current row: dose, view, split, model, status, metric, amplitude, phase, value; the metrics,
 * then `frc50_cycles_per_pixel` and `frc1over7_cycles_per_pixel` (ring / n of the row's compared square, empty when n
 * is not recorded), then the values.
 */
export function summaryCsv(s: MetricsSummary): string {
  const out = ['dose,view,split,model,status,metric,amplitude,phase,value'];
  // every digit of the JSON's numbers; an infinite PSNR as `inf`, as the per-job CSV writes it
  const f = (v: number | null | undefined): string => (v === null || v === undefined ? '' : Number.isFinite(v) ? String(v) : csvNumber(v));
  const q = csvField;
  for (const r of s.rows) {
    for (const m of METRIC_KEYS) {
      out.push([r.dose, r.view, r.split, q(r.model), r.status, m, f(metricValue(r, m, 'amplitude')), f(metricValue(r, m, 'phase')), ''].join(','));
    }
    // FRC50 and FRC1/7 again as ring / n (cycles per pixel): the rows' rings are on squares of different sides
    for (const m of FRC_METRICS) {
      out.push([r.dose, r.view, r.split, q(r.model), r.status, `${m}_cycles_per_pixel`, f(frcCyclesPerPixel(r, m, 'amplitude')), f(frcCyclesPerPixel(r, m, 'phase')), ''].join(','));
    }
    for (const k of VALUE_KEYS) out.push([r.dose, r.view, r.split, q(r.model), r.status, k, '', '', f(r.values[k])].join(','));
  }
  return out.join('\n') + '\n';
}

/**
 * One metric across doses for one (view, split, model): [{dose, value}] sorted by dose, ok rows only.
 * (What a "better with dose" check or a chart needs.)
 */
export function metricSeries(s: MetricsSummary, sel: { view: string; split: string; model: string; metric: MetricKey; component: 'amplitude' | 'phase' }): { dose: number; value: number | null }[] {
  return s.rows
    .filter((r) => r.view === sel.view && r.split === sel.split && r.model === sel.model && r.status === 'ok')
    .map((r) => ({ dose: r.dose, value: r.metrics[sel.metric]?.[sel.component] ?? null }))
    .sort((a, b) => a.dose - b.dose);
}
