/**
 * The comparison figure of a job (Phase G's comparison.png, and the report's one-column copy of it for narrow
 * screens): its panels from each model's aligned reconstruction and the ground truth it was aligned to.
 */
import type { ComplexImage } from '../../math/image.js';
import { amplitudeOf, comparisonImages, phaseOf } from '../../metrics/index.js';
import { percentileRange } from '../../report/colormap.js';
import type { Panel } from '../../report/figure.js';

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
