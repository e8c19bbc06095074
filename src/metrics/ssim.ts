/**
 * SSIM and the reference study's MS-SSIM.
 *
 * `ssim` = scikit-image's `structural_similarity(a, b, data_range=R)` with its defaults: 7×7 uniform
 * window, K1 = 0.01, K2 = 0.03, sample covariance (×49/48), and the mean of the SSIM map over the
 * pixels at least 3 from every edge (the only ones whose window is inside the image).
 *
 * `msSsim` = PtychoPINN's `ms_ssim` (ptycho/evaluation.py, docs/metrics.md, which is *not* the
 * standard Wang et al. MS-SSIM): optional Gaussian pre-smoothing (σ, scipy `gaussian_filter`), one data
 * range max(range a, range b) computed once, plain SSIM at every level, NaN → 0, negative SSIM → 1e-4,
 * Π SSIM_l^{w_l} with w = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333], `[::2, ::2]` between levels and an
 * early stop when the next level would be smaller than 7 pixels on a side (weights not renormalised).
 *
 * Images below 7 pixels on a side: scikit-image raises (so the reference study records NaN); both
 * functions return NaN. Equality with the reference's own functions is tested on the values that
 * scripts/make-reference-metric-fixtures.py produced by running them (test/metrics).
 */
import { boxMeansValid, gaussianFilter } from './filters.js';
import { checkSameShape, decimate2, minMax, type RealImage } from './image.js';

export const SSIM_WIN = 7;
export const MS_SSIM_WEIGHTS: readonly number[] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];



/** Mean SSIM of two images (scikit-image defaults). NaN when a side is below 7 pixels or R is not finite (R = 0 gives what skimage gives: usually NaN). */
export function ssim(a: RealImage, b: RealImage, dataRange: number): number {
  checkSameShape(a, b, 'ssim');
  const { h, w } = a;
  if (h < SSIM_WIN || w < SSIM_WIN || !Number.isFinite(dataRange)) return NaN;
  const n = h * w;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const k = SSIM_WIN;
  const ux = boxMeansValid(a.data, h, w, k);
  const uy = boxMeansValid(b.data, h, w, k);
  const uxx = boxMeansValid(aa, h, w, k);
  const uyy = boxMeansValid(bb, h, w, k);
  const uxy = boxMeansValid(ab, h, w, k);
  const np = k * k;
  const covNorm = np / (np - 1);
  const C1 = (0.01 * dataRange) ** 2;
  const C2 = (0.03 * dataRange) ** 2;
  let sum = 0;
  for (let i = 0; i < ux.length; i++) {
    const mx = ux[i]!;
    const my = uy[i]!;
    const vx = covNorm * (uxx[i]! - mx * mx);
    const vy = covNorm * (uyy[i]! - my * my);
    const vxy = covNorm * (uxy[i]! - mx * my);
    const num = (2 * mx * my + C1) * (2 * vxy + C2);
    const den = (mx * mx + my * my + C1) * (vx + vy + C2);
    sum += num / den;
  }
  return sum / ux.length;
}

/** The reference's 5-level MS-SSIM (see the module comment). `sigma` > 0 smooths both images first. */
export function msSsim(a: RealImage, b: RealImage, sigma = 0): number {
  checkSameShape(a, b, 'msSsim');
  if (a.h < SSIM_WIN || a.w < SSIM_WIN) return NaN;
  let x = sigma > 0 ? gaussianFilter(a, sigma) : a;
  let y = sigma > 0 ? gaussianFilter(b, sigma) : b;
  const [xl, xh] = minMax(x.data);
  const [yl, yh] = minMax(y.data);
  const dataRange = Math.max(xh - xl, yh - yl);
  // Both images constant: the constants C1, C2 vanish with the range and every level is 0/0 — NaN, which
  // the reference turns into 0. (Its own value then depends on rounding inside the filters: docs/metrics.md.)
  if (!(dataRange > 0)) return 0;
  const levels = MS_SSIM_WEIGHTS.length;
  let value = 1;
  for (let level = 0; level < levels; level++) {
    let s = ssim(x, y, dataRange);
    if (Number.isNaN(s)) return 0;
    if (s < 0) s = 1e-4;
    value *= s ** MS_SSIM_WEIGHTS[level]!;
    if (Number.isNaN(value)) return 0;
    if (level < levels - 1) {
      x = decimate2(x);
      y = decimate2(y);
      if (Math.min(x.h, x.w) < SSIM_WIN) break;
    }
  }
  return Number.isNaN(value) ? 0 : value;
}
