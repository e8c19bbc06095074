/**
 * The LSQML forward model as a stand-alone function (docs/lsqml.md): for each position, the integer object
 * patch times the probe modes (mode 0 — or, with `shiftAllModes`, every mode — Fourier-shifted by the
 * fractional position), far-field intensity Σ_m |FFT2(ψ_m)|² with DC at [0, 0]. Used to simulate
 * data for tests and benchmarks; the engine runs the same arithmetic batched in kernels.ts.
 */
import { createFft2 } from '../math/fft.js';
import { applyShiftRamp } from '../math/subpixel.js';
import type { OriginConvention } from './options.js';
import { extractPatch, patchGeometry, positionOrigin } from './patches.js';

export interface ForwardInput {
  /** [H, W] complex object (interleaved). */
  object: Float64Array; height: number; width: number;
  /** [M, N, N] complex probe modes (interleaved). */
  probe: Float64Array; modes: number; size: number;
  /** [n, 2] positions [y, x] relative to the origin. */
  positions: ArrayLike<number>;
  originConvention?: OriginConvention;
  /** Shift every mode by the sub-pixel offset, not only mode 0 (physical simulation). Default false (pty-chi's model). */
  shiftAllModes?: boolean;
  /** Where to write the result (default: a new Float64Array); Float32Array saves memory for large scans. */
  out?: Float32Array | Float64Array;
}

/** Predicted intensities [n, N, N] (DC at [0, 0]). */
export function forwardIntensities(f: ForwardInput): Float32Array | Float64Array {
  const { height: H, width: W, modes: M, size: N } = f;
  const n = f.positions.length / 2, n2 = N * N;
  const origin = positionOrigin(H, W, f.originConvention ?? 'ptychi');
  const { topLeft, frac } = patchGeometry(f.positions, n, N, origin);
  const fft = createFft2(N, N);
  // Spectra of the probe modes, shifted per position below.
  const spec = Float64Array.from(f.probe);
  for (let m = 0; m < M; m++) fft.forward(spec.subarray(2 * n2 * m, 2 * n2 * (m + 1)), 1);
  const out = f.out ?? new Float64Array(n * n2);
  if (out.length !== n * n2) throw new RangeError(`forwardIntensities: out holds ${out.length} values, ${n * n2} needed`);
  out.fill(0);
  const acc = new Float64Array(n2);
  const patch = new Float64Array(2 * n2), p = new Float64Array(2 * n2);
  for (let i = 0; i < n; i++) {
    extractPatch(f.object, H, W, topLeft[2 * i], topLeft[2 * i + 1], N, patch, 0);
    const shift = frac.subarray(2 * i, 2 * i + 2);
    acc.fill(0);
    for (let m = 0; m < M; m++) {
      if (m === 0 || f.shiftAllModes) {
        p.set(spec.subarray(2 * n2 * m, 2 * n2 * (m + 1)));
        applyShiftRamp(p, N, N, 1, shift);
        fft.inverse(p, 1);
      } else {
        p.set(f.probe.subarray(2 * n2 * m, 2 * n2 * (m + 1)));
      }
      for (let k = 0; k < 2 * n2; k += 2) {
        const or = patch[k], oi = patch[k + 1], pr = p[k], pi = p[k + 1];
        p[k] = or * pr - oi * pi; p[k + 1] = or * pi + oi * pr;
      }
      fft.forward(p, 1);
      for (let k = 0; k < n2; k++) acc[k] += p[2 * k] ** 2 + p[2 * k + 1] ** 2;
    }
    out.set(acc, i * n2);
  }
  return out;
}
