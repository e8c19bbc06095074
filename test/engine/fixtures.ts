/** Helpers for the pty-chi parity tests: loading the fixture files and comparing arrays. */
import { loadNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { fftshift2 } from '../../src/math/fft.js';
import type { LsqmlInput } from '../../src/engine/lsqml.js';

export const FIXTURES = 'test/fixtures/lsqml-parity';

export function load(name: string): Record<string, NdArray> {
  return loadNpz(`${FIXTURES}/${name}.npz`);
}

/** Any numeric array as Float64Array (complex stays interleaved). */
export function f64(a: NdArray): Float64Array {
  return Float64Array.from(a.data as ArrayLike<number>);
}

export function num(a: NdArray): number {
  return Number((a.data as ArrayLike<number>)[0]);
}

/** Engine input of a multi-epoch case (intensities fftshifted to DC at [0, 0]). */
export function caseInput(a: Record<string, NdArray>): LsqmlInput {
  const inten = a.intensity!;
  const [n, N] = inten.shape as [number, number, number];
  const y = new Float64Array(n * N * N);
  fftshift2(f64(inten), y, N, N, n, false);
  const [H, W] = (a.object_init!.shape as [number, number]);
  const M = a.probe_init!.shape[0]!;
  const perm = a.batch_permutations!;
  const E = perm.shape[0]!;
  const pd = perm.data as Int32Array;
  const batchPermutations = Array.from({ length: E }, (_, e) => pd.subarray(e * n, (e + 1) * n));
  return {
    intensities: y,
    positions: f64(a.positions_yx!),
    object: { h: H, w: W, data: f64(a.object_init!) },
    probe: { modes: M, size: N, data: f64(a.probe_init!) },
    batchPermutations,
  };
}

/** ‖a − b‖ / ‖b‖ (real or interleaved complex). */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let d = 0, r = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i]! - b[i]!) ** 2; r += b[i]! ** 2; }
  return Math.sqrt(d / r);
}

/** Relative L2 after removing the global phase of `ours` (multiplied by v/|v|, v = vdot(ours, ref)). */
export function relL2Phase(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let vr = 0, vi = 0;
  for (let i = 0; i < ours.length; i += 2) {
    const ar = ours[i]!, ai = ours[i + 1]!, br = ref[i]!, bi = ref[i + 1]!;
    vr += ar * br + ai * bi; vi += ar * bi - ai * br; // conj(a)·b
  }
  const m = Math.hypot(vr, vi);
  const cr = vr / m, ci = vi / m;
  const out = new Float64Array(ours.length);
  for (let i = 0; i < ours.length; i += 2) {
    const ar = ours[i]!, ai = ours[i + 1]!;
    out[i] = ar * cr - ai * ci; out[i + 1] = ar * ci + ai * cr;
  }
  return relL2(out, ref);
}

/** Max over modes of relL2Phase for [M, n2] complex arrays. */
export function relL2PhasePerMode(ours: Float64Array, ref: ArrayLike<number>, modes: number): number {
  const len = ours.length / modes;
  let worst = 0;
  for (let m = 0; m < modes; m++) {
    const r = Float64Array.from({ length: len }, (_, j) => ref[m * len + j]!);
    worst = Math.max(worst, relL2Phase(ours.subarray(m * len, (m + 1) * len), r));
  }
  return worst;
}

/** Σ|x|² and ΣRe(x)² of row i of a [B, L] complex array. */
export function rowSums(x: Float64Array, i: number, rowLen: number): [number, number] {
  let s = 0, sr = 0;
  for (let k = 2 * rowLen * i; k < 2 * rowLen * (i + 1); k += 2) { s += x[k]! ** 2 + x[k + 1]! ** 2; sr += x[k]! ** 2; }
  return [s, sr];
}

/** Σx² of row i of a [B, L] real array. */
export function rowSumsReal(x: Float64Array, i: number, rowLen: number): number {
  let s = 0;
  for (let k = rowLen * i; k < rowLen * (i + 1); k++) s += x[k]! ** 2;
  return s;
}
