/**
 * Phase G's comparison figure (`comparison.png` of each job): its panels, title and layout, and the record of its
 * size that the job's comparison.json keeps (`figure`, figure-record.ts). Phase G draws it; the report reads that record to know how
 * small its text is where the page shows it (docs/metrics.md, "Report"), since the PNG alone does not say — and, for a
 * hub whose comparison.json has no such record (written before it was kept), lays the figure out again from the
 * job's aligned images.
 */
import type { ComplexImage } from '../../math/image.js';
import { amplitudeOf, comparisonImages, phaseOf } from '../../metrics/index.js';
import { percentileRange } from '../../report/colormap.js';
import type { FigureOptions, Panel } from '../../report/figure.js';
import { doseLabel } from '../../report/ticks.js';
import type { SummaryRowCore } from './metrics-summary.js';

/** One model's aligned pair, as the comparison figure draws it. */
export interface AlignedPair { model: string; gt: ComplexImage; rec: ComplexImage }

/**
 * The comparison figure's panels: a row of amplitudes (ground truth, then each model and its error) and a
 * row of phases. Amplitude and phase images take the ground truth's 0.5–99.5 percentile range (values
 * outside are clipped, and the clipped share is written under each image); errors are symmetric about 0
 * at the 99th percentile of |error|.
 */
export function comparisonPanels(pairs: readonly AlignedPair[]): Panel[] {
  const gt = pairs[0]!.gt;
  const gAmp = amplitudeOf(gt).data, gPh = phaseOf(gt).data;
  const [alo, ahi] = percentileRange(gAmp, 0.005, 0.995);
  const [plo, phi] = percentileRange(gPh, 0.005, 0.995);
  const ampPanels: Panel[] = [{ title: 'ground truth |O|', width: gt.w, height: gt.h, values: gAmp, quantity: 'object-amplitude', vmin: alo, vmax: ahi }];
  const phPanels: Panel[] = [{ title: 'ground truth arg O', width: gt.w, height: gt.h, values: gPh, quantity: 'object-phase', vmin: plo, vmax: phi }];
  for (const { model, gt: t, rec } of pairs) {
    const c = comparisonImages(t, rec);
    const dA = new Float64Array(c.ampT.data.length), dP = new Float64Array(c.ampT.data.length);
    for (let i = 0; i < dA.length; i++) { dA[i] = c.ampP.data[i]! - c.ampT.data[i]!; dP[i] = c.phP.data[i]! - c.phT.data[i]!; }
    const ea = Math.max(...percentileRange(dA.map(Math.abs), 0, 0.99).map(Math.abs), 1e-12);
    const ep = Math.max(...percentileRange(dP.map(Math.abs), 0, 0.99).map(Math.abs), 1e-12);
    ampPanels.push({ title: `${model} |O|`, width: rec.w, height: rec.h, values: c.ampP.data, quantity: 'object-amplitude', vmin: alo, vmax: ahi });
    ampPanels.push({ title: `${model} amplitude error`, width: rec.w, height: rec.h, values: dA, quantity: 'error', vmin: -ea, vmax: ea });
    phPanels.push({ title: `${model} arg O`, width: rec.w, height: rec.h, values: c.phP.data, quantity: 'object-phase', vmin: plo, vmax: phi });
    phPanels.push({ title: `${model} phase error`, width: rec.w, height: rec.h, values: dP, quantity: 'error', vmin: -ep, vmax: ep, label: 'rad' });
  }
  return [...ampPanels, ...phPanels];
}

/**
 * The comparison figure's title: `dose D, view, split: aligned to ground truth`, or, when a model's registration
 * failed (an ok row with an error: the unregistered image is drawn and scored), `dose D, view, split: LSQML not
 * registered` — no longer than the plain one, so that it does not widen the figure and shrink its text where the
 * report shows it (the figure's caption and the report's tables say why).
 */
export function comparisonTitle(job: { dose: number; view: string; split: string }, rows: readonly Pick<SummaryRowCore, 'model' | 'status' | 'error'>[]): string {
  const unregistered = rows.filter((r) => r.status === 'ok' && r.error).map((r) => r.model);
  const where = `dose ${doseLabel(job.dose)}, ${job.view}, ${job.split}`;
  return unregistered.length ? `${where}: ${unregistered.join(', ')} not registered` : `${where}: aligned to ground truth`;
}

/**
 * Text size of the comparison figure, times the usual. The report shows it two to a row on a 1400-px screen (about
 * 660 CSS px wide) and one to a row on A4 (718 CSS px): at the usual size its smallest text (a scale bar's label, 9 SVG
 * px) showed at 4.5 CSS px there and printed at 2.7 pt two up; at 1.5, with a subtitle short enough not to widen the
 * figure, it shows at 8.9 CSS px and prints at 7.3 pt (docs/metrics.md, "Report").
 */
export const COMPARISON_TEXT_SCALE = 1.5;

/** How the comparison figure of `panels` panels (amplitude row, phase row) is laid out. */
export function comparisonFigureOptions(job: { dose: number; view: string; split: string }, rows: readonly Pick<SummaryRowCore, 'model' | 'status' | 'error'>[], panels: number): FigureOptions {
  return {
    columns: panels / 2, title: comparisonTitle(job, rows), imageSize: 180, textScale: COMPARISON_TEXT_SCALE,
    subtitle: 'amplitude, phase: ground truth\'s 0.5–99.5 percentile range; errors: ±99th percentile',
  };
}

