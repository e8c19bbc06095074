/**
 * The report's sections, one function each, in page order: study design, data (object, probe, position maps
 * with counts), reconstructions (each job's aligned comparison figure), metrics (every row of Phase G's
 * summary and per-model aggregates), charts (metric vs dose), Phase F runs, skipped and failed jobs with
 * reasons, software versions. Whatever is missing is shown as "not available" with the reason (and listed
 * in `missing`); nothing missing makes the report fail.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../files/atomic.js';
import type { ComplexImage } from '../../math/image.js';
import { amplitudeOf, METRIC_KEYS, phaseOf, type MetricKey } from '../../metrics/index.js';
import { NpzReader } from '../../npy/npz.js';
import { renderPanelsPng, type Panel } from '../../report/figure.js';
import { esc, figure, notAvailable, table, type Cell, type Section } from '../../report/html.js';
import { renderPositionMapsPng, type PositionPanel } from '../../report/positions.js';
import { packageVersion } from '../../version.js';
import { float64Of, readGroundTruth } from '../hub/datasets.js';
import {
  compareJobs, datasetCandidates, doseDirName as doseDir, dosesUnder, HUB, jobDir, PHASE_C, PHASE_F, PHASE_G,
  phaseCSplitFile, REPORT, SPLITS, VIEWS,
} from '../hub/layout.js';
import { CHART_METRICS, metricLabel, type MetricsSummary } from '../hub/metrics-summary.js';
import type { ReportPlan } from './plan.js';

/** Images written next to the page: `img/<name>`. */
export class ImageDir {
  readonly files: string[] = [];
  constructor(readonly dir: string) {}
  write(name: string, bytes: Buffer): string {
    writeFileAtomic(join(this.dir, name), bytes);
    this.files.push(join(this.dir, name));
    return `${REPORT.images}/${name}`;
  }
  copy(name: string, from: string): string {
    copyFileSync(from, join(this.dir, name));
    this.files.push(join(this.dir, name));
    return `${REPORT.images}/${name}`;
  }
}

/** What every section builder gets: the plan, the image directory, and `na` (a "not available" note, also listed in `missing`). */
export interface ReportContext {
  plan: ReportPlan;
  img: ImageDir;
  na: (what: string) => string;
  missing: string[];
}

export function reportContext(plan: ReportPlan, img: ImageDir): ReportContext {
  const missing: string[] = [];
  return { plan, img, missing, na: (what) => { missing.push(what); return notAvailable(what); } };
}

function tryOr<T>(fn: () => T, onError: (msg: string) => void): T | null {
  try {
    return fn();
  } catch (err) {
    onError(err instanceof Error ? err.message : String(err));
    return null;
  }
}

function valueCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
  return { html: `<code>${esc(JSON.stringify(v))}</code>` };
}

function fmt(v: number | null | undefined, d = 4): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—';
}

/** Version of an installed dependency: its package.json in the nearest node_modules above this file. */
function depVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'node_modules', ...name.split('/'), 'package.json');
    if (existsSync(p)) {
      try {
        return (JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? 'unknown';
      } catch {
        return 'unknown';
      }
    }
    const up = dirname(dir);
    if (up === dir) return 'not installed';
    dir = up;
  }
}

function summaryNa(ctx: ReportContext): string {
  const { plan } = ctx;
  return ctx.na(plan.summaryError ? `Phase G metrics: ${plan.summaryError}` : `Phase G metrics: ${join(plan.roots.g, PHASE_G.summaryJson)} not found (run ptychostudy compare)`);
}

/** Study design: design.json, run.json's settings and phases. */
export function designSection(ctx: ReportContext): Section {
  const { plan, na } = ctx;
  const { hub } = plan;
  const parts: string[] = [];
  const design = plan.design;
  if (design === null) parts.push(na(`study design: ${join(hub, HUB.design)} not found`));
  else if ('error' in design) parts.push(na(`study design: design.json is not valid JSON (${design.error})`));
  else {
    const obj = design.value as Record<string, unknown>;
    const flat = (o: Record<string, unknown>, prefix = ''): Cell[][] => Object.entries(o).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length <= 12 && prefix === ''
        ? flat(v as Record<string, unknown>, `${k}.`)
        : [[`${prefix}${k}`, valueCell(v)]]);
    parts.push(table(['parameter', 'value'], flat(obj), { caption: 'design.json' }));
  }
  const run = plan.run;
  if (run && 'value' in run) {
    const r = run.value as { settings?: Record<string, unknown>; phases?: Record<string, Record<string, unknown>>; status?: string };
    if (r.settings) parts.push(table(['setting', 'value'], Object.entries(r.settings).map(([k, v]) => [k, valueCell(v)]), { caption: `run.json settings (status: ${r.status ?? 'unknown'})` }));
    if (r.phases) {
      parts.push(table(['phase', 'status', 'seconds', 'detail'], Object.entries(r.phases).map(([k, p]) => [k, valueCell(p.status), typeof p.seconds === 'number' ? Number(p.seconds.toFixed(1)) : null, valueCell(p.detail)]), { caption: 'phases' }));
    }
  }
  return { id: 'design', title: 'Study design', body: parts.join('\n') };
}

/** Data: the ground-truth object and probe, position maps and counts of every view. */
export function dataSection(ctx: ReportContext): Section {
  const { plan, img, na } = ctx;
  const { hub, roots, doses } = plan;
  const parts: string[] = [];
  const firstInput = doses.map((d) => phaseCSplitFile(roots.c, d, 'train')).find((p) => existsSync(p));
  if (!firstInput) parts.push(na(`data: no Phase C dataset (${join(roots.c, 'dose_<D>', PHASE_C.split('train'))})`));
  else {
    const gt = tryOr(() => readGroundTruth(firstInput), (m) => parts.push(na(`object and probe: ${m}`)));
    if (gt) {
      const split = (c: ComplexImage): [Float64Array, Float64Array] => [amplitudeOf(c).data, phaseOf(c).data];
      const [oa, op] = split(gt.object);
      const panels: Panel[] = [
        { title: 'object amplitude', width: gt.object.w, height: gt.object.h, values: oa, colormap: 'gray' },
        { title: 'object phase', width: gt.object.w, height: gt.object.h, values: op, colormap: 'viridis', label: 'rad' },
      ];
      if (gt.probe) {
        const [pa, pp] = split(gt.probe);
        panels.push({ title: 'probe amplitude', width: gt.probe.w, height: gt.probe.h, values: pa, colormap: 'viridis' });
        panels.push({ title: 'probe phase', width: gt.probe.w, height: gt.probe.h, values: pp, colormap: 'twilight', vmin: -Math.PI, vmax: Math.PI, label: 'rad' });
      }
      const src = img.write('data_object_probe.png', renderPanelsPng(panels, { columns: 4, imageSize: 220, title: 'Ground-truth object and probe' }));
      parts.push(figure(src, `objectGuess (${gt.object.h}×${gt.object.w}) and probeGuess (${gt.N}×${gt.N}) from ${relative(hub, firstInput)}`));
    }
  }
  const counts: Cell[][] = [];
  for (const dose of doses) {
    const maps: PositionPanel[] = [];
    let frame: { w: number; h: number } | null = null;
    for (const split of SPLITS) {
      for (const view of VIEWS) {
        const file = datasetCandidates(roots.c, roots.d, dose, view, split).find((p) => existsSync(p));
        if (!file) { counts.push([dose, view, split, null, { html: '<span class="na">not available</span>' }]); continue; }
        const pos = tryOr(() => {
          const r = NpzReader.open(file);
          try {
            const xs = float64Of(r.get('xcoords'), `${file} xcoords`);
            const ys = float64Of(r.get('ycoords'), `${file} ycoords`);
            const og = r.has('objectGuess') ? r.get('objectGuess').shape : null;
            return { xs, ys, og };
          } finally { r.close(); }
        }, (m) => counts.push([dose, view, split, null, `unreadable: ${m}`]));
        if (!pos) continue;
        if (pos.og && pos.og.length >= 2) frame = { h: pos.og[pos.og.length - 2]!, w: pos.og[pos.og.length - 1]! };
        counts.push([dose, view, split, pos.xs.length, relative(hub, file)]);
        maps.push({ title: `${view} ${split} (n = ${pos.xs.length})`, xs: pos.xs, ys: pos.ys, width: frame?.w ?? Math.max(...pos.xs) + 1, height: frame?.h ?? Math.max(...pos.ys) + 1 });
      }
    }
    if (maps.length > 0) {
      const src = img.write(`positions_${doseDir(dose)}.png`, renderPositionMapsPng(maps, { title: `Scan positions, dose ${dose}`, size: 170, scale: 1 }));
      parts.push(figure(src, `Scan centres of every view and split at dose ${dose}, in the object frame`));
    }
  }
  parts.push('<h3>Positions per view</h3>');
  parts.push(table(['dose', 'view', 'split', 'positions', 'file'], counts, { empty: 'no Phase C or Phase D datasets found' }));
  if (counts.length === 0) ctx.missing.push('position counts');
  return { id: 'data', title: 'Data', body: parts.join('\n') };
}

/** Reconstructions: each job's aligned comparison figure (or its reconstruction when not compared). */
export function reconstructionsSection(ctx: ReportContext): Section {
  const { plan, img, na } = ctx;
  const { roots, summary } = plan;
  const parts: string[] = [];
  const jobs = new Map<string, { dose: number; view: string; split: string }>();
  for (const r of summary?.rows ?? []) jobs.set(`${doseDir(r.dose)}|${r.view}|${r.split}`, r);
  for (const d of dosesUnder(roots.f)) for (const view of VIEWS) for (const split of SPLITS) {
    if (existsSync(jobDir(roots.f, { dose: d, view, split }))) jobs.set(`${doseDir(d)}|${view}|${split}`, { dose: d, view, split });
  }
  const list = [...jobs.values()].sort(compareJobs);
  let shown = 0;
  for (const j of list) {
    const cmp = join(jobDir(roots.g, j), PHASE_G.figure);
    const recPng = join(jobDir(roots.f, j), PHASE_F.figure);
    const tag = `${doseDir(j.dose)}_${j.view}_${j.split}`;
    if (existsSync(cmp)) {
      parts.push(figure(img.copy(`comparison_${tag}.png`, cmp), `dose ${j.dose}, ${j.view}, ${j.split}: ground truth, each model aligned to it, and the errors`));
      shown++;
    } else if (existsSync(recPng)) {
      parts.push(figure(img.copy(`reconstruction_${tag}.png`, recPng), `dose ${j.dose}, ${j.view}, ${j.split}: reconstruction (not compared)`));
      shown++;
    }
  }
  if (shown === 0) parts.push(na('reconstruction images: no Phase G comparison.png or Phase F reconstruction.png found'));
  return { id: 'reconstructions', title: 'Reconstructions', body: parts.join('\n') };
}

/** Metrics: every row of the metrics summary, per-model means, definitions. */
export function metricsSection(ctx: ReportContext): Section {
  const { plan } = ctx;
  const { summary } = plan;
  const parts: string[] = [];
  if (!summary) parts.push(summaryNa(ctx));
  else {
    parts.push(`<p class="small">Every model is registered and phase-aligned to the same ground truth in the same way (${esc(summary.definitions.alignment ?? '')}). Values are amplitude / phase.</p>`);
    const pair = (r: MetricsSummary['rows'][number], m: MetricKey, d: number): Cell => r.status === 'ok'
      ? { html: `${fmt(r.metrics[m]?.amplitude, d)} / ${fmt(r.metrics[m]?.phase, d)}`, cls: 'num' } : null;
    const rows: Cell[][] = summary.rows.map((r) => [
      r.dose, r.view, r.split, r.model,
      r.status === 'ok' ? { html: 'ok', cls: 'good' } : { html: `${esc(r.status)}: ${esc(r.error ?? '')}`, cls: 'bad' },
      pair(r, 'mae', 4), pair(r, 'mse', 5), pair(r, 'psnr', 2), pair(r, 'ssim', 4), pair(r, 'ms_ssim', 4), pair(r, 'frc50', 1), pair(r, 'frc1over7', 1),
      r.status === 'ok' ? `${fmt(r.values.registration_offset_dy, 2)}, ${fmt(r.values.registration_offset_dx, 2)}` : null,
      typeof r.values.computation_time_s === 'number' ? Number(r.values.computation_time_s.toFixed(2)) : null,
    ]);
    parts.push(table(['dose', 'view', 'split', 'model', 'status', 'MAE', 'MSE', 'PSNR (dB)', 'SSIM', 'MS-SSIM', 'FRC50', 'FRC1/7', 'offset dy, dx (px)', 'time (s)'], rows,
      { caption: 'All comparisons (one row per dose × view × split × model)', empty: 'metrics_summary.json has no rows' }));
    const agg: Cell[][] = [];
    for (const model of summary.models) {
      const a = summary.aggregate_metrics[model] ?? {};
      agg.push([model, a.mae?.n ?? null, ...METRIC_KEYS.map((m): Cell => ({ html: `${fmt(a[m]?.mean_amplitude)} / ${fmt(a[m]?.mean_phase)}`, cls: 'num' }))]);
    }
    parts.push(table(['model', 'jobs', ...METRIC_KEYS.map(metricLabel)], agg, { caption: 'Means over all compared jobs (amplitude / phase)', empty: 'no model has results' }));
    const defs = Object.entries(summary.definitions).map(([k, v]): Cell[] => [k, v]);
    parts.push(table(['term', 'definition'], defs, { caption: 'Definitions' }));
  }
  return { id: 'metrics', title: 'Metrics', body: parts.join('\n') };
}

/** Charts: metric against dose. */
export function chartsSection(ctx: ReportContext): Section {
  const { plan, img, na } = ctx;
  const { roots } = plan;
  const parts: string[] = [];
  let n = 0;
  for (const c of CHART_METRICS) {
    const png = join(roots.g, PHASE_G.charts, `${c.metric}.png`);
    const svg = join(roots.g, PHASE_G.charts, `${c.metric}.svg`);
    if (!existsSync(png)) continue;
    const src = img.copy(`chart_${c.metric}.png`, png);
    if (existsSync(svg)) img.copy(`chart_${c.metric}.svg`, svg);
    parts.push(figure(src, `${metricLabel(c.metric)} against dose (${c.better} is better); colour = view, dash = model; SVG: img/chart_${c.metric}.svg`));
    n++;
  }
  if (n === 0) parts.push(na(`charts: none in ${join(roots.g, PHASE_G.charts)}`));
  return { id: 'charts', title: 'Charts', body: parts.join('\n') };
}

/** Reconstruction runs: every job of the Phase F manifest. */
export function phaseFSection(ctx: ReportContext): Section {
  const { plan, na } = ctx;
  const { roots } = plan;
  const parts: string[] = [];
  const { manifest } = plan;
  if (plan.manifestError !== null) parts.push(na(`Phase F manifest: ${plan.manifestError}`));
  if (plan.skipSummaryError !== null) parts.push(na(`Phase F skip summary: ${plan.skipSummaryError}`));
  if (manifest) {
    const rows: Cell[][] = manifest.execution_results.map((r) => [
      r.dose, r.view, r.split,
      r.status === 'success' ? { html: 'success', cls: 'good' } : r.status === 'failed' ? { html: 'failed', cls: 'bad' } : r.status,
      r.epochs_run, typeof r.final_loss === 'number' ? Number(r.final_loss.toPrecision(5)) : null, r.n_positions,
      Number(r.seconds.toFixed(1)), r.selection_strategy ?? null, r.error,
    ]);
    parts.push(table(['dose', 'view', 'split', 'status', 'epochs', 'final loss', 'positions', 'seconds', 'selection', 'error'], rows,
      { caption: 'Reconstruction jobs (reconstruction_manifest.json)', empty: 'the Phase F manifest has no results' }));
  } else if (parts.length === 0) parts.push(na(`Phase F manifest: ${join(roots.f, PHASE_F.manifest)} not found`));
  return { id: 'phase-f', title: 'Reconstruction runs', body: parts.join('\n') };
}

/** Skipped and failed jobs of Phases F and G, with the reasons. */
export function skippedSection(ctx: ReportContext): Section {
  const { plan, na } = ctx;
  const { summary, manifest, skipSummary } = plan;
  const rows: Cell[][] = [];
  for (const s of summary?.skipped_jobs ?? []) rows.push([s.dose, s.view, s.split, 'Phase G (compare)', s.reason]);
  for (const r of summary?.rows ?? []) if (r.status !== 'ok') rows.push([r.dose, r.view, r.split, `Phase G, model ${r.model}`, `${r.status}: ${r.error ?? ''}`]);
  for (const s of skipSummary?.skipped_jobs ?? []) rows.push([s.dose, s.view, s.split, 'Phase F (reconstruct)', s.reason]);
  for (const r of manifest?.execution_results ?? []) if (r.status === 'failed') rows.push([r.dose, r.view, r.split, 'Phase F (reconstruct)', `failed: ${r.error ?? `return code ${r.returncode}`}`]);
  const body = rows.length === 0
    ? `<p>${summary || manifest ? 'No job was skipped or failed.' : ''}</p>${summary || manifest ? '' : na('skip lists: neither Phase F nor Phase G evidence was found')}`
    : table(['dose', 'view', 'split', 'phase', 'reason'], rows, { caption: 'Skipped or failed jobs' });
  return { id: 'skipped', title: 'Skipped and failed jobs', body };
}

/** Software versions. */
export function softwareSection(ctx: ReportContext): Section {
  const { plan } = ctx;
  const { summary } = plan;
  const rows: Cell[][] = [
    ['ptychostudy', packageVersion()],
    ['node', process.version],
    ['platform', `${process.platform} ${process.arch}`],
    ...['vega', 'vega-lite', '@resvg/resvg-js', 'pngjs', 'fflate', 'zod', 'commander'].map((n): Cell[] => [n, depVersion(n)]),
  ];
  const state = plan.run;
  if (state && 'value' in state) {
    const v = (state.value as { version?: string }).version;
    if (v) rows.push(['ptychostudy that ran the study (run.json)', v]);
  }
  if (summary) for (const r of summary.runs) rows.push([`compare run ${r.run_id}`, `${r.started_at}`]);
  return { id: 'software', title: 'Software', body: table(['component', 'version'], rows) };
}
