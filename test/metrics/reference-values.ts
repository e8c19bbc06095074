/** Shared checks of the metrics against a reference.json written by scripts/make-metric-fixtures.py. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { frc, frcThreshold, gaussianFilter, mae, mse, msSsim, phaseCrossCorrelation, ssim, type RealImage } from '../../src/metrics/index.js';

interface PairCase {
  name: string; h: number; w: number; a: string; b: string; data_range: number;
  ssim: number; ms_ssim_sigma0: number; ms_ssim_sigma1: number; mae: number; mse: number;
  frc: number[]; frc50: number; frc1over7: number;
}
export interface Reference {
  versions: Record<string, string>;
  pairs: PairCase[];
  gaussian: { h: number; w: number; sigma: number; input: string; output: string }[];
  registration: { h: number; w: number; reference: string; moving: string; applied_shift: [number, number]; skimage_shift: [number, number] }[];
  colormaps: Record<string, string>;
}

export function f64(b64: string): Float64Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float64Array(buf.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(8 * i);
  return out;
}

export function loadReference(path: string): Reference {
  return JSON.parse(readFileSync(path, 'utf8')) as Reference;
}

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs reference ${expected}`);
}

/** Every value of the reference file, recomputed by the TypeScript metrics. */
export function checkAgainstReference(ref: Reference): void {
  for (const c of ref.pairs) {
    const a: RealImage = { h: c.h, w: c.w, data: f64(c.a) };
    const b: RealImage = { h: c.h, w: c.w, data: f64(c.b) };
    close(ssim(a, b, c.data_range), c.ssim, 1e-10, `${c.name} ssim`);
    close(msSsim(b, a, 0), c.ms_ssim_sigma0, 1e-10, `${c.name} ms_ssim σ=0`);
    close(msSsim(b, a, 1), c.ms_ssim_sigma1, 1e-10, `${c.name} ms_ssim σ=1`);
    close(mae(a, b), c.mae, 1e-12, `${c.name} mae`);
    close(mse(a, b), c.mse, 1e-12, `${c.name} mse`);
    const f = frc(a, b);
    assert.equal(f.curve.length, c.frc.length, `${c.name} frc ring count`);
    for (let r = 0; r < c.frc.length; r++) close(f.curve[r]!, c.frc[r]!, 1e-9, `${c.name} frc ring ${r}`);
    close(frcThreshold(f.curve, 0.5), c.frc50, 1e-8, `${c.name} frc50`);
    close(frcThreshold(f.curve, 1 / 7), c.frc1over7, 1e-8, `${c.name} frc1over7`);
  }
  for (const g of ref.gaussian) {
    const out = gaussianFilter({ h: g.h, w: g.w, data: f64(g.input) }, g.sigma);
    const want = f64(g.output);
    for (let i = 0; i < want.length; i++) close(out.data[i]!, want[i]!, 1e-12, `gaussian ${g.h}×${g.w} σ=${g.sigma} [${i}]`);
  }
  for (const r of ref.registration) {
    const got = phaseCrossCorrelation({ h: r.h, w: r.w, data: f64(r.reference) }, { h: r.h, w: r.w, data: f64(r.moving) }, 50);
    close(got.dy, r.skimage_shift[0], 1e-9, `registration ${r.h}×${r.w} dy (same as skimage)`);
    close(got.dx, r.skimage_shift[1], 1e-9, `registration ${r.h}×${r.w} dx (same as skimage)`);
    // and the known shift is recovered to 0.05 px (the result undoes the applied shift)
    assert.ok(Math.abs(got.dy + r.applied_shift[0]) <= 0.05, `dy ${got.dy} vs applied ${r.applied_shift[0]}`);
    assert.ok(Math.abs(got.dx + r.applied_shift[1]) <= 0.05, `dx ${got.dx} vs applied ${r.applied_shift[1]}`);
  }
}
