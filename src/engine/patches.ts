/**
 * Object patches on the integer grid and the sub-pixel Fourier shift of the probe (docs/lsqml.md).
 *
 * Positions are pty-chi's: pixels, [y, x], relative to the position origin. The integer part
 * r = round_half_even(p) selects the object patch, whose top-left corner is
 * t = round_half_even(r + origin − (N − 1)/2); the fractional part f = p − r ∈ [−0.5, 0.5] shifts
 * probe mode 0 by IFFT2(FFT2(P)·exp(−2πi(f_y·u + f_x·v))), u, v = fftfreq(N) (Nyquist bin −0.5).
 *
 * Complex images are interleaved re/im Float64Arrays, row-major.
 */
import { roundHalfEven } from '../math/fft.js';
import { placePosition, positionOrigin, type Placement } from '../math/positions.js';

export { roundHalfEven, positionOrigin };

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
  const pl: Placement = { top: 0, frac: 0 };
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 2; a++) {
      placePosition(positions[2 * i + a], origin[a], patchSize, pl);
      frac[2 * i + a] = pl.frac;
      topLeft[2 * i + a] = pl.top;
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
export function extractPatch(img: Float32Array | Float64Array, h: number, w: number, ty: number, tx: number, n: number,
  out: Float32Array | Float64Array, outOff = 0): void {
  if (patchInside(ty, tx, n, h, w)) {
    const rowLen = 2 * n;
    for (let r = 0; r < n; r++) {
      const s = 2 * ((ty + r) * w + tx), d = outOff + r * rowLen;
      for (let j = 0; j < rowLen; j++) out[d + j] = img[s + j];
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
export function addPatch(img: Float32Array | Float64Array, h: number, w: number, ty: number, tx: number, n: number,
  src: Float32Array | Float64Array, srcOff = 0, rowLo = 0, rowHi = h): void {
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
