/**
 * Object patches on the integer grid and the sub-pixel Fourier shift of the probe (spec §1.4–1.5).
 *
 * Positions are pty-chi's: pixels, [y, x], relative to the position origin. The integer part
 * r = round_half_even(p) selects the object patch, whose top-left corner is
 * t = round_half_even(r + origin − (N − 1)/2); the fractional part f = p − r ∈ [−0.5, 0.5] shifts
 * probe mode 0 by IFFT2(FFT2(P)·exp(−2πi(f_y·u + f_x·v))), u, v = fftfreq(N) (Nyquist bin −0.5).
 *
 * Complex images are interleaved re/im Float64Arrays, row-major.
 */
import { fftfreq, roundHalfEven } from '../math/fft.js';
import type { Fft2 } from '../math/fft.js';
import type { OriginConvention } from './options.js';

export { roundHalfEven };

/**
 * Position origin [o_y, o_x] of an H×W object buffer.
 * 'ptychi' (snapshot, method SUPPORT): round_half_even(H/2) + 0.5; 'centered' (pty-chi issue #73 fix):
 * H/2 − 0.5.
 */
export function positionOrigin(height: number, width: number, convention: OriginConvention = 'ptychi'): [number, number] {
  if (convention === 'centered') return [height / 2 - 0.5, width / 2 - 0.5];
  return [roundHalfEven(height / 2) + 0.5, roundHalfEven(width / 2) + 0.5];
}

/** Integer top-left corners and fractional parts of `n` positions ([y, x] pairs). */
export interface PatchGeometry {
  /** [n, 2] integer top-left corners (row, column) of the object patches. */
  topLeft: Int32Array;
  /** [n, 2] fractional parts f = p − round_half_even(p), applied to probe mode 0. */
  frac: Float64Array;
}

export function patchGeometry(positions: ArrayLike<number>, n: number, patchSize: number, origin: readonly [number, number]): PatchGeometry {
  const topLeft = new Int32Array(2 * n);
  const frac = new Float64Array(2 * n);
  const half = (patchSize - 1) / 2;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 2; a++) {
      const p = positions[2 * i + a];
      const r = roundHalfEven(p);
      frac[2 * i + a] = p - r;
      topLeft[2 * i + a] = roundHalfEven(r + origin[a] - half);
    }
  }
  return { topLeft, frac };
}

/** True when the N×N patch at (ty, tx) lies inside the H×W buffer. */
export function patchInside(ty: number, tx: number, n: number, h: number, w: number): boolean {
  return ty >= 0 && tx >= 0 && ty + n <= h && tx + n <= w;
}

/**
 * Copies the N×N patch of `img` (H×W complex) at top-left (ty, tx) into `out` at `outOff` (doubles).
 * Out-of-bounds pixels replicate the nearest edge pixel, as pty-chi's extraction pads by replication.
 */
export function extractPatch(img: Float64Array, h: number, w: number, ty: number, tx: number, n: number,
  out: Float64Array, outOff = 0): void {
  if (patchInside(ty, tx, n, h, w)) {
    for (let r = 0; r < n; r++) {
      const s = 2 * ((ty + r) * w + tx);
      out.set(img.subarray(s, s + 2 * n), outOff + 2 * r * n);
    }
    return;
  }
  for (let r = 0; r < n; r++) {
    const y = Math.min(h - 1, Math.max(0, ty + r));
    for (let c = 0; c < n; c++) {
      const x = Math.min(w - 1, Math.max(0, tx + c));
      const s = 2 * (y * w + x), d = outOff + 2 * (r * n + c);
      out[d] = img[s]; out[d + 1] = img[s + 1];
    }
  }
}

/**
 * Adds the N×N complex patch `src` (at `srcOff`) into `img` (H×W) at top-left (ty, tx), only for
 * image rows in [rowLo, rowHi); pixels outside the buffer are dropped (pty-chi's placement: pad with
 * zeros, add, crop).
 */
export function addPatch(img: Float64Array, h: number, w: number, ty: number, tx: number, n: number,
  src: Float64Array, srcOff = 0, rowLo = 0, rowHi = h): void {
  const y0 = Math.max(ty, rowLo, 0), y1 = Math.min(ty + n, rowHi, h);
  const x0 = Math.max(tx, 0), x1 = Math.min(tx + n, w);
  if (y0 >= y1 || x0 >= x1) return;
  const len = 2 * (x1 - x0);
  for (let y = y0; y < y1; y++) {
    const d = 2 * (y * w + x0);
    const s = srcOff + 2 * ((y - ty) * n + (x0 - tx));
    for (let j = 0; j < len; j++) img[d + j] += src[s + j];
  }
}

/** Reference extraction of many patches (tests and one-off use): [count, N, N] complex. */
export function extractPatches(img: Float64Array, h: number, w: number, topLeft: Int32Array, count: number, n: number): Float64Array {
  const out = new Float64Array(2 * n * n * count);
  for (let i = 0; i < count; i++) extractPatch(img, h, w, topLeft[2 * i], topLeft[2 * i + 1], n, out, 2 * n * n * i);
  return out;
}

/** Reference placement (scatter-add) of [count, N, N] complex patches onto a zero H×W buffer. */
export function placePatches(patches: Float64Array, topLeft: Int32Array, count: number, n: number, h: number, w: number): Float64Array {
  const img = new Float64Array(2 * h * w);
  for (let i = 0; i < count; i++) addPatch(img, h, w, topLeft[2 * i], topLeft[2 * i + 1], n, patches, 2 * n * n * i);
  return img;
}

/**
 * Writes the separable phase ramp of a shift by (fy, fx) on an N×N grid:
 * ramp[u, v] = ey[u]·ex[v] with ey[u] = exp(−2πi·fy·freq[u]), ex[v] = exp(−2πi·fx·freq[v]).
 * `ey`, `ex` hold N interleaved complex values each.
 */
export function shiftRamp(fy: number, fx: number, freq: Float64Array, ey: Float64Array, ex: Float64Array): void {
  const n = freq.length;
  for (let k = 0; k < n; k++) {
    const ay = -2 * Math.PI * fy * freq[k];
    const ax = -2 * Math.PI * fx * freq[k];
    ey[2 * k] = Math.cos(ay); ey[2 * k + 1] = Math.sin(ay);
    ex[2 * k] = Math.cos(ax); ex[2 * k + 1] = Math.sin(ax);
  }
}

/**
 * In-place multiplication of an N×N spectrum by the ramp of (ey, ex), or by its conjugate
 * (`conjugate`: the adjoint shift).
 */
export function applyRamp(spec: Float64Array, off: number, n: number, ey: Float64Array, ex: Float64Array, conjugate: boolean): void {
  const sg = conjugate ? -1 : 1;
  for (let u = 0; u < n; u++) {
    const yr = ey[2 * u], yi = sg * ey[2 * u + 1];
    let k = off + 2 * u * n;
    for (let v = 0; v < n; v++, k += 2) {
      const xr = ex[2 * v], xi = sg * ex[2 * v + 1];
      const rr = yr * xr - yi * xi, ri = yr * xi + yi * xr;
      const a = spec[k], b = spec[k + 1];
      spec[k] = a * rr - b * ri;
      spec[k + 1] = a * ri + b * rr;
    }
  }
}

/**
 * Fourier sub-pixel shift of one N×N complex image in place, pty-chi's `shift_images(…, FOURIER)`:
 * IFFT2(FFT2(x)·exp(−2πi(fy·u + fx·v))). `adjoint` shifts by −f. Positive shifts move content
 * towards larger indices. Reference implementation (the engine batches the same arithmetic).
 */
export function fourierShift(img: Float64Array, n: number, fy: number, fx: number, fft: Fft2, adjoint = false): void {
  const freq = fftfreq(n);
  const ey = new Float64Array(2 * n), ex = new Float64Array(2 * n);
  shiftRamp(fy, fx, freq, ey, ex);
  fft.forward(img, 1);
  applyRamp(img, 0, n, ey, ex, adjoint);
  fft.inverse(img, 1);
}
