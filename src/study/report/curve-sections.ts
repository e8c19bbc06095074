/**
 * The report's curve sections: "Convergence" (the loss per epoch of every reconstruction, from
 * reconstruction.npz's `loss_history` or the job's lsqml.log) and "Resolution" (the FRC curves of every
 * compared job from Phase G's frc_curves.csv, and the resolution where they cross 0.5 and 1/7, in pixels
 * and — when the pixel size is known — in metres).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart, frcChartSpec, lossChartSpec, type FrcPoint, type LossPoint } from '../../report/charts.js';
import { svgWidth } from '../../report/figure.js';
import { esc, table, type Cell, type Section } from '../../report/html.js';
import { formatLength } from '../../report/scalebar.js';
import { readFrcCurves } from '../hub/comparison-files.js';
import { doseDirName, jobDir, PHASE_F, PHASE_G } from '../hub/layout.js';
import { frcHalfPeriodPx, frcSide, OWN_MODEL, type FrcMetric, type MetricsSummary, type SummaryRowCore } from '../hub/metrics-summary.js';
import { readLossLog, type LossHistory } from '../hub/reconstruction-arrays.js';
import { reconstructionParts, type ReportPlan } from './plan.js';
import { partValue } from './reconstruction-reads.js';
import { doseLabel, LOSS_UNIT, present, tryOr, type ReportContext } from './sections.js';

/** `readLossHistory` of a job, its reconstruction.npz's `loss_history` as the plan read it. */
function lossHistory(plan: ReportPlan, npz: string, log: string): LossHistory | null {
  const values = existsSync(npz) ? partValue(reconstructionParts(plan, npz).loss) : null;
  return values !== null ? { values, source: 'loss_history' } : readLossLog(log);
}

/** Convergence: loss against epoch of every job. */
export async function lossSection(ctx: ReportContext): Promise<Section> {
  const { plan, img, na } = ctx;
  const points: LossPoint[] = [];
  const sources = new Set<string>();
  let jobs = 0, masked = 0;
  const brokenNotes: string[] = [];
  for (const j of plan.jobs) {
    const dir = jobDir(plan.roots.f, j);
    const npz = join(dir, PHASE_F.reconstruction), log = join(dir, PHASE_F.engineLog);
    const h = tryOr(() => lossHistory(plan, npz, log),
      (m) => brokenNotes.push(ctx.bad(`loss of ${doseDirName(j.dose)}/${j.view}/${j.split}`, m.startsWith(log) ? log : npz, m)));
    if (!h || h.values.length === 0) continue;
    jobs++;
    sources.add(h.source);
    // a job of measured data whose detector mask left pixels unfitted (a damaged file is the Data section's to name)
    const mask = existsSync(npz) ? tryOr(() => partValue(reconstructionParts(plan, npz).maskRecord), () => undefined) : null;
    if (mask?.applied === true && Number(mask.pixels_masked) > 0) masked++;
    // epoch 0 only rescales the probe and its loss, far above the rest, would flatten every curve: left out (stated)
    h.values.forEach((loss, epoch) => { if (epoch > 0 || h.values.length === 1) points.push({ dose: j.dose, view: j.view, split: j.split, epoch, loss }); });
  }
  const parts: string[] = [];
  parts.push(...brokenNotes);
  if (points.length === 0) { if (brokenNotes.length === 0) parts.push(na('loss curves: no reconstruction.npz loss_history or lsqml.log found')); }
  else {
    const { svg, png, smallestTextPx } = await renderChart(lossChartSpec(points, { subtitle: 'log scale, one panel per dose with its own y axis; colour = view, dash = split' }), join(plan.imgDir, 'loss.png'));
    const src = img.write('loss.png', png, undefined, smallestTextPx);
    const svgSrc = img.write('loss.svg', svg);
    // pty-chi's loss sums over every detector pixel: a masked one counts with the 0 it was set to, unfitted
    const maskNote = masked > 0 ? ` Jobs with a detector mask (${masked} of ${jobs}): their loss counts every detector pixel, the masked ones included, with the 0 they were set to (as pty-chi counts them); they are not fitted, so that loss stays above the noise level of the fitted pixels (docs/real-data.md, "Detector mask").` : '';
    parts.push(img.figure(src, { html: `Loss per epoch of every reconstruction (${jobs} jobs; from ${[...sources].map(esc).join(' and ')}): the mean over minibatches of the mean squared difference between modelled and measured diffraction amplitudes (docs/lsqml.md), so in the unit of the intensities per detector pixel: ${esc(LOSS_UNIT)}.${esc(maskNote)} Epoch 0, which only rescales the probe, is left out. <a href="${esc(svgSrc)}">SVG</a>` }));
  }
  return { id: 'loss', title: 'Convergence', body: parts.join('\n') };
}

/** A cell of the Resolution table: the half period (`frcHalfPeriodPx`) of a row's FRC crossing, in pixels and, with a pixel size, in metres. */
function resolutionCell(r: SummaryRowCore, m: FrcMetric, component: 'amplitude' | 'phase', pixelM: number | null): Cell {
  const h = frcHalfPeriodPx(r, m, component);
  if (h === null) return null;
  if (h === 'belowAtRingZero') return { html: 'below at ring 0', cls: 'na' };
  const metres = pixelM ? ` (${formatLength(h.px * pixelM)})` : '';
  return { html: h.nyquist ? `≤ 1.0${metres} <span class="small">Nyquist</span>` : `${h.px.toFixed(1)}${esc(metres)}`, cls: 'num' };
}

function resolutionTable(summary: MetricsSummary, pixelM: number | null): string {
  const rows: Cell[][] = [];
  for (const r of summary.rows) {
    if (r.status !== 'ok' || !r.compared_shape) continue;
    rows.push([doseLabel(r.dose), r.view, r.split, r.model, frcSide(r),
      resolutionCell(r, 'frc50', 'amplitude', pixelM), resolutionCell(r, 'frc50', 'phase', pixelM),
      resolutionCell(r, 'frc1over7', 'amplitude', pixelM), resolutionCell(r, 'frc1over7', 'phase', pixelM)]);
  }
  return table(['dose', 'view', 'split', 'model', 'square n (px)', 'FRC 0.5 amplitude', 'FRC 0.5 phase', 'FRC 1/7 amplitude', 'FRC 1/7 phase'], rows,
    { caption: `Half-period resolution in pixels${pixelM ? ' (and metres)' : ''} where the FRC falls below 0.5 and 1/7`, empty: 'no compared job', sortable: true, groupBy: 0 });
}

/** Doses per FRC figure at most: each is a column of panels, and more would shrink the figure's text on the page (and paper). */
export const FRC_DOSES_PER_FIGURE = 3;

/** The doses in consecutive groups of at most `FRC_DOSES_PER_FIGURE`, as even as they go (7 → 3, 2, 2). */
export function doseGroups(doses: readonly number[]): number[][] {
  const n = Math.ceil(doses.length / FRC_DOSES_PER_FIGURE);
  const out: number[][] = [];
  let at = 0;
  for (let g = 0; g < n; g++) {
    const size = Math.floor(doses.length / n) + (g < doses.length % n ? 1 : 0);
    out.push(doses.slice(at, at + size));
    at += size;
  }
  return out;
}

/** Resolution: FRC curves and the resolution they give. */
export async function frcSection(ctx: ReportContext): Promise<Section> {
  const { plan, img, na } = ctx;
  const points: FrcPoint[] = [];
  const models = new Set<string>();
  const brokenNotes: string[] = [];
  for (const j of plan.jobs) {
    const file = join(jobDir(plan.roots.g, j), PHASE_G.frcCsv);
    if (!present(file)) continue;
    const rows = tryOr(() => readFrcCurves(file), (m) => brokenNotes.push(ctx.bad(`FRC curves of ${doseDirName(j.dose)}/${j.view}/${j.split}`, file, m)));
    for (const r of rows ?? []) {
      models.add(r.model);
      points.push({ dose: j.dose, view: j.view, split: j.split, model: r.model, component: 'amplitude', frequency: r.frequency, frc: r.amplitude });
      points.push({ dose: j.dose, view: j.view, split: j.split, model: r.model, component: 'phase', frequency: r.frequency, frc: r.phase });
    }
  }
  const pixelM = plan.pixelSizeM?.[1] ?? null;
  const parts: string[] = [];
  parts.push(`<p class="small">The FRC compares the aligned reconstruction and the ground truth ring by ring in Fourier space on the compared square (n × n pixels; ring r is r/n cycles per pixel). The resolution is the half period 1/(2f) at the frequency f where the curve first falls below the threshold (0.5, and 1/7), in pixels${pixelM ? ` and in metres (one pixel is ${formatLength(pixelM)})` : ' (the data states no pixel size)'}; a curve that stays above up to Nyquist (0.5 cycles per pixel) is pixel-limited (≤ 1 px).</p>`);
  parts.push(...brokenNotes);
  if (points.length === 0) { if (brokenNotes.length === 0) parts.push(na('FRC curves: no Phase G frc_curves.csv found')); }
  else {
    const groups = doseGroups([...new Set(points.map((p) => p.dose))].sort((a, b) => a - b));
    for (const model of [...models].sort((a, b) => (a === OWN_MODEL ? -1 : b === OWN_MODEL ? 1 : a.localeCompare(b)))) {
      const slug = model.toLowerCase().replace(/[^a-z0-9]+/g, '_');
      for (const [g, doses] of groups.entries()) {
        const mine = points.filter((p) => p.model === model && doses.includes(p.dose));
        if (mine.length === 0) continue;
        const range = groups.length > 1 ? `, doses ${doseLabel(doses[0]!)}${doses.length > 1 ? ` … ${doseLabel(doses[doses.length - 1]!)}` : ''}` : '';
        const name = groups.length > 1 ? `frc_${slug}_${g + 1}` : `frc_${slug}`;
        const { svg, png, smallestTextPx } = await renderChart(frcChartSpec(mine, { title: `Fourier ring correlation, ${model}${range}`, subtitle: 'rows amplitude, phase; colour = view, dash = split; grey: 0.5 and 1/7 thresholds' }),
          join(plan.imgDir, `${name}.png`));
        const src = img.write(`${name}.png`, png, undefined, smallestTextPx);
        const svgSrc = img.write(`${name}.svg`, svg);
        // drawn at the chart's own size: a chart of one or two doses is not zoomed to the column (its text would outgrow the page's)
        const w = svgWidth(svg);
        parts.push(img.figure(src, { html: `FRC of ${esc(model)} against the ground truth for every compared job${esc(range)}, up to Nyquist (the corner rings beyond are left out). <a href="${esc(svgSrc)}">SVG</a>` }, undefined, w ?? undefined));
      }
    }
  }
  if (plan.summary) parts.push(resolutionTable(plan.summary, pixelM));
  return { id: 'frc', title: 'Resolution (FRC)', body: parts.join('\n') };
}
