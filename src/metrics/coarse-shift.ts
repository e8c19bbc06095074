/**
 * A check of the registration against large shifts (align.ts). The registration correlates tapered images,
 * which is precise for the small offsets of a reconstruction in its own frame but fades content shifted by
 * a fifth of the window or more, so that it can lock onto a wrong peak there. This module finds integer
 * shifts that the plain (untapered, zero-padded, hence not circular) cross-correlation of the two images
 * favours, and scores any integer shift by the Pearson correlation of the two images over their overlap —
 * the measure that decides between the registration's answer and those candidates.
 */
import { allocShared, createFft2, freeShared } from '../math/fft.js';
import { fastFftShape } from '../math/fft-sides.js';
import { splitPairSpectrum } from '../math/real-pair.js';
import type { RealImage } from './image.js';

/** An integer shift to apply to the moving image: moved(y, x) = moving(y − dy, x − dx). */
export interface IntegerShift { dy: number; dx: number }

/**
 * The Pearson correlation of `reference` and `moving` shifted by (dy, dx), over the pixels where both are
 * defined; NaN when the overlap is empty or either side is constant there.
 */
export function overlapCorrelation(reference: RealImage, moving: RealImage, dy: number, dx: number): number {
  const { h, w } = reference;
  const y0 = Math.max(0, dy), y1 = Math.min(h, h + dy), x0 = Math.max(0, dx), x1 = Math.min(w, w + dx);
  const n = (y1 - y0) * (x1 - x0);
  if (y1 <= y0 || x1 <= x0) return NaN;
  let sa = 0, sb = 0;
  for (let y = y0; y < y1; y++) {
    const ra = y * w, rb = (y - dy) * w - dx;
    for (let x = x0; x < x1; x++) { sa += reference.data[ra + x]!; sb += moving.data[rb + x]!; }
  }
  const ma = sa / n, mb = sb / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let y = y0; y < y1; y++) {
    const ra = y * w, rb = (y - dy) * w - dx;
    for (let x = x0; x < x1; x++) {
      const a = reference.data[ra + x]! - ma, b = moving.data[rb + x]! - mb;
      sab += a * b; saa += a * a; sbb += b * b;
    }
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * The frame the plain cross-correlation of h×w images is zero-padded to for shifts within ±L: at least
 * (h + L)×(w + L), so that no such shift wraps onto another, and the cheapest to transform of those
 * (`fastFftShape`); any frame that large gives the same sums up to rounding.
 */
export function coarseShiftFrame(h: number, w: number, L: number): [number, number] {
  return fastFftShape(h + L, w + L);
}

/**
 * The plain cross-correlation of the two mean-removed images divided by the overlap's area, for every integer
 * shift with |dy|, |dx| ≤ L (row-major, (2L + 1)² values, dy = −L first), computed in the zero-padded `frame`.
 */
export function overlapScores(reference: RealImage, moving: RealImage, L: number,
  frame: [number, number] = coarseShiftFrame(reference.h, reference.w, L)): Float64Array {
  const { h, w } = reference;
  const [PH, PW] = frame;
  if (PH < h + L || PW < w + L) throw new RangeError(`overlapScores: frame ${PH}×${PW} is below ${h + L}×${w + L}`);
  const mean = (img: RealImage): number => {
    let m = 0;
    for (let i = 0; i < img.data.length; i++) m += img.data[i]!;
    return m / img.data.length;
  };
  // both real images in one complex transform: Z = FFT(a + i·b), A = (Z + Z*(−k))/2, B = (Z − Z*(−k))/(2i)
  const ma = mean(reference), mb = mean(moving);
  // in the wasm FFT's memory, where it is transformed in place
  const Z = allocShared(2 * PH * PW);
  try {
    return scoresOfPair(reference, moving, L, PH, PW, ma, mb, Z);
  } finally {
    freeShared(Z);
  }
}

/** `overlapScores` with the frame PH×PW, the means ma and mb and a zeroed frame Z to work in. */
function scoresOfPair(reference: RealImage, moving: RealImage, L: number, PH: number, PW: number, ma: number, mb: number,
  Z: Float64Array): Float64Array {
  const { h, w } = reference;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      Z[2 * (y * PW + x)] = reference.data[y * w + x]! - ma;
      Z[2 * (y * PW + x) + 1] = moving.data[y * w + x]! - mb;
    }
  }
  const fft = createFft2(PH, PW);
  fft.forward(Z, 1);
  const A = Z, B = new Float64Array(2 * PH * PW);
  splitPairSpectrum(Z, PH, PW, A, B);
  // Σ_r reference(r) · moving(r − s) at index s (mod the padded size): A · conj(B) transformed back
  for (let i = 0; i < PH * PW; i++) {
    const ar = A[2 * i]!, ai = A[2 * i + 1]!, br = B[2 * i]!, bi = B[2 * i + 1]!;
    A[2 * i] = ar * br + ai * bi;
    A[2 * i + 1] = ai * br - ar * bi;
  }
  fft.inverse(A, 1);
  const side = 2 * L + 1;
  const score = new Float64Array(side * side);
  for (let dy = -L; dy <= L; dy++) {
    for (let dx = -L; dx <= L; dx++) {
      const i = ((dy + PH) % PH) * PW + ((dx + PW) % PW);
      score[(dy + L) * side + dx + L] = A[2 * i]! / ((h - Math.abs(dy)) * (w - Math.abs(dx)));
    }
  }
  return score;
}

/**
 * Up to `count` integer shifts with |dy|, |dx| ≤ `limit` where the plain cross-correlation of the two
 * mean-removed images, divided by the overlap's area, is largest (`overlapScores`) — local maxima at least 3 px
 * apart, best first.
 */
export function candidateShifts(reference: RealImage, moving: RealImage, limit: number, count = 4): IntegerShift[] {
  const { h, w } = reference;
  const L = Math.min(Math.floor(limit), h - 1, w - 1);
  const side = 2 * L + 1;
  const score = overlapScores(reference, moving, L);
  const found: IntegerShift[] = [];
  const near = (dy: number, dx: number): boolean => found.some((f) => Math.max(Math.abs(f.dy - dy), Math.abs(f.dx - dx)) < 3);
  // The largest score not within 3 px of one found, the first in row-major order on a tie, `count` times: the
  // same shifts as going down the scores in descending (stable) order, without sorting them all. NaN scores
  // (non-finite pixels) are never taken.
  while (found.length < count) {
    let best = -1;
    for (let k = 0; k < score.length; k++) {
      const v = score[k]!;
      if (!(best < 0 || v > score[best]!)) continue;
      if (Number.isNaN(v) || near(Math.floor(k / side) - L, (k % side) - L)) continue;
      best = k;
    }
    if (best < 0) break;
    found.push({ dy: Math.floor(best / side) - L, dx: (best % side) - L });
  }
  return found;
}
