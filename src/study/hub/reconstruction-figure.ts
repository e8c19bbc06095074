/**
 * Phase F's reconstruction figure (`reconstruction.png` of each job): its panels, colour ranges, title and layout.
 * Phase F draws it and records its size in the job's reconstruction_run.json (`figure`, figure-record.ts); the report,
 * where it shows the figure in a job's place that was not compared, reads that record to know how small its text is
 * (docs/metrics.md, "Report"), and lays the figure out again from the job's reconstruction.npz for a run record
 * written before it kept the size.
 */
import type { LsqmlResult } from '../../engine/lsqml.js';
import { selectSorted } from '../../report/colormap.js';
import type { FigureOptions, Panel } from '../../report/figure.js';

function amplitudePhase(data: Float64Array, count: number): { amp: Float32Array; phase: Float32Array } {
  const amp = new Float32Array(count), phase = new Float32Array(count);
  for (let j = 0; j < count; j++) {
    const re = data[2 * j]!, im = data[2 * j + 1]!;
    amp[j] = Math.hypot(re, im); phase[j] = Math.atan2(im, re);
  }
  return { amp, phase };
}

/**
 * [1st, 99th] percentile of the finite values (robust colour limits: the unscanned border is noisy): the values at
 * ranks ⌊0.01·(n − 1)⌋ and ⌈0.99·(n − 1)⌉ of the sorted finite values, else their minimum and maximum. Found by
 * selection in one copy (`selectSorted`, the order `sort` gives, −0 before +0) rather than by sorting a filtered copy.
 */
export function robustRange(v: Float32Array): { vmin: number; vmax: number } {
  const f = new Float64Array(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isFinite(x)) f[n++] = x;
  }
  if (n === 0) return { vmin: 0, vmax: 1 };
  const s = f.subarray(0, n);
  const lo = selectSorted(s, Math.floor(0.01 * (n - 1))), hi = selectSorted(s, Math.ceil(0.99 * (n - 1)));
  return hi > lo ? { vmin: lo, vmax: hi } : { vmin: selectSorted(s, 0), vmax: selectSorted(s, n - 1) };
}

/** The panels of reconstruction.png: object amplitude and phase, probe (mode 0) amplitude and phase. */
export function reconstructionPanels(r: Pick<LsqmlResult, 'object' | 'width' | 'height' | 'probe' | 'size' | 'modes'>, pixelSizeM: number | null): Panel[] {
  const o = amplitudePhase(r.object, r.height * r.width);
  const p = amplitudePhase(r.probe, r.size * r.size);
  const mode0 = r.modes > 1 ? ' (mode 0)' : '';
  return [
    { title: 'object amplitude', width: r.width, height: r.height, values: o.amp, quantity: 'object-amplitude', pixelSizeM, ...robustRange(o.amp) },
    { title: 'object phase', width: r.width, height: r.height, values: o.phase, quantity: 'object-phase', pixelSizeM, ...robustRange(o.phase) },
    { title: `probe amplitude${mode0}`, width: r.size, height: r.size, values: p.amp, quantity: 'probe-amplitude', pixelSizeM },
    { title: `probe phase${mode0}`, width: r.size, height: r.size, values: p.phase, quantity: 'probe-phase', pixelSizeM, vmin: -Math.PI, vmax: Math.PI, amplitude: p.amp },
  ];
}

/**
 * Text size of Phase F's reconstruction figure, times the usual: the report shows it as it shows a comparison figure
 * (two to a row on a 1400-px screen, one on A4), where at the usual size its smallest text showed at 5.9 CSS px and
 * printed at 3.5 pt; at 1.5 it shows at 8.9 CSS px and prints at 7.2 pt.
 */
export const RECONSTRUCTION_TEXT_SCALE = 1.5;

/** How Phase F's reconstruction figure is laid out. */
export function reconstructionFigureOptions(title: string): FigureOptions {
  return { columns: 2, title, textScale: RECONSTRUCTION_TEXT_SCALE, subtitle: 'object colour ranges: 1st–99th percentile (share of clipped pixels under each image); probe phase −π…π' };
}

/** The title of Phase F's reconstruction figure: the input file's name, the positions reconstructed and the epochs run. */
export function reconstructionFigureTitle(inputFile: string, positions: number, epochs: number): string {
  return `LSQML ${inputFile}: ${positions} positions, ${epochs} epochs`;
}
