/**
 * Fourier ring correlation, as the reference computes it (docs/metrics.md; hoidn/FRC, after
 * s-sajid-ali/FRC):
 *
 * - both images are centre-cropped to a square of side n = min(h, w);
 * - F1, F2 = fftshift(fft2(image)); ring index of pixel (y, x) = round(√((y − c)² + (x − c)²)),
 *   c = ⌊n/2⌋ (half-to-even rounding, as numpy's `round`); ring averages are means over the pixels of a ring
 *   (here F1 and F2 come from one complex FFT of a + i·b, split (`transformPair`), and are read in the order
 *   fftshift puts them in instead of being moved there: the same sums up to rounding, for one transform instead
 *   of two);
 * - FRC(r) = |⟨F1·F2*⟩_r| / √|⟨|F1|²⟩_r · ⟨|F2|²⟩_r|, for every ring r = 0 … max (the last rings are the
 *   partial rings of the corners, beyond Nyquist at r = n/2);
 * - no smoothing of the curve (the study's `frc_sigma = 0`).
 *
 * Ring r corresponds to the spatial frequency r/n cycles per pixel.
 * `frcThreshold` gives the reference's frc50 / frc1over7: the first ring where the curve drops below the
 * threshold, linearly interpolated between that ring and the one before; `curve.length` when it never
 * drops, 0 when it is already below at ring 0, NaN when no ring is finite.
 */
import { createFft2, roundHalfEven } from '../math/fft.js';
import { transformPair } from '../math/real-pair.js';
import { centreCropReal, checkSameShape, type RealImage } from './image.js';

export interface FrcResult {
  /** FRC per ring, ring 0 first. */
  curve: Float64Array;
  /** Side of the square the curve was computed on (ring r ↔ r/n cycles per pixel). */
  n: number;
}

/** The FRC curve of two same-shape real images. */
export function frc(a: RealImage, b: RealImage): FrcResult {
  checkSameShape(a, b, 'frc');
  const n = Math.min(a.h, a.w);
  const sa = n === a.h && n === a.w ? a : centreCropReal(a, n, n);
  const sb = n === b.h && n === b.w ? b : centreCropReal(b, n, n);
  // the spectra (unshifted, interleaved) of both images, through one complex FFT of a + i·b
  const fft = createFft2(n, n);
  const [F1, F2] = transformPair(sa.data, sb.data, n, n, (z) => fft.forward(z, 1), new Float64Array(2 * n * n));
  const c = Math.floor(n / 2);
  const ring = new Int32Array(n * n);
  let rmax = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r = roundHalfEven(Math.sqrt((y - c) ** 2 + (x - c) ** 2));
      ring[y * n + x] = r;
      if (r > rmax) rmax = r;
    }
  }
  const nr = rmax + 1;
  const cre = new Float64Array(nr);
  const cim = new Float64Array(nr);
  const p1 = new Float64Array(nr);
  const p2 = new Float64Array(nr);
  const cnt = new Float64Array(nr);
  // Pixel (y, x) of fftshift's output is frequency ((y − c) mod n, (x − c) mod n) of the unshifted spectra.
  const unshifted = new Int32Array(n);
  for (let k = 0; k < n; k++) unshifted[k] = (k + n - c) % n;
  for (let y = 0; y < n; y++) {
    const row = unshifted[y]! * n;
    for (let x = 0; x < n; x++) {
      const r = ring[y * n + x]!;
      const j = 2 * (row + unshifted[x]!);
      const ar = F1[j]!, ai = F1[j + 1]!;
      const br = F2[j]!, bi = F2[j + 1]!;
      cre[r]! += ar * br + ai * bi; // F1 · conj(F2)
      cim[r]! += ai * br - ar * bi;
      p1[r]! += ar * ar + ai * ai;
      p2[r]! += br * br + bi * bi;
      cnt[r]! += 1;
    }
  }
  const curve = new Float64Array(nr);
  for (let r = 0; r < nr; r++) {
    const k = cnt[r]!;
    curve[r] = Math.hypot(cre[r]! / k, cim[r]! / k) / Math.sqrt(Math.abs((p1[r]! / k) * (p2[r]! / k)));
  }
  return { curve, n };
}

/**
 * First ring where `curve` drops below `threshold`, interpolated (see the module comment) — the
 * reference's `_first_below_threshold_interpolated`: non-finite rings are never "below"; NaN when no ring
 * is finite; no interpolation (the ring index itself) when the ring before is not finite or the two
 * rings differ by at most 1e-8 (numpy's `isclose`); the result is kept within [ring − 1, ring].
 */
export function frcThreshold(curve: ArrayLike<number>, threshold: number): number {
  if (curve === null || typeof curve !== 'object' || !Number.isSafeInteger(curve.length)) {
    throw new RangeError(`frcThreshold: the curve: expected an array of correlations per ring (frc(a, b).curve); found ${curve === null ? 'null' : typeof curve === 'object' ? 'an object without a length' : typeof curve}`);
  }
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new RangeError(`frcThreshold: the threshold: expected a number (0.5, 1/7); found ${typeof threshold} ${String(threshold)}`);
  let anyFinite = false;
  for (let i = 0; i < curve.length; i++) {
    const v = curve[i]!;
    if (!Number.isFinite(v)) continue;
    anyFinite = true;
    if (v < threshold) {
      if (i === 0) return 0;
      const prev = curve[i - 1]!;
      if (!Number.isFinite(prev)) return i;
      const d = v - prev;
      if (Math.abs(d) <= 1e-8) return i;
      const x = i - 1 + (threshold - prev) / d;
      return Number.isFinite(x) ? Math.min(i, Math.max(i - 1, x)) : i;
    }
  }
  return anyFinite ? curve.length : NaN;
}
