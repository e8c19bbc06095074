/**
 * Separable filters with SciPy's conventions, for SSIM and MS-SSIM.
 *
 * `gaussianFilter` reproduces `scipy.ndimage.gaussian_filter(x, sigma)` (truncate 4.0, so the kernel
 * radius is ⌊4σ + 0.5⌋; mode 'reflect', i.e. half-sample symmetric: … c b a | a b c … ).
 * `boxMeansValid` gives the 7×7 (or k×k) window means only where the window lies inside the image —
 * the only positions scikit-image's SSIM averages over, so its boundary mode never matters.
 */
import type { RealImage } from './image.js';

/** Index into [0, n) under SciPy's 'reflect' (half-sample symmetric) extension. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

/** Normalised 1-D Gaussian weights on [−r, r], r = ⌊truncate·σ + 0.5⌋ (scipy's `_gaussian_kernel1d`). */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let x = -r; x <= r; x++) {
    const v = Math.exp(-0.5 * (x * x) / (sigma * sigma));
    k[x + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** `scipy.ndimage.gaussian_filter(img, sigma, mode='reflect', truncate=4.0)`; σ ≤ 0 returns a copy. */
export function gaussianFilter(img: RealImage, sigma: number): RealImage {
  const { h, w } = img;
  if (!(sigma > 0)) return { h, w, data: Float64Array.from(img.data) };
  const k = gaussianKernel1d(sigma);
  const r = (k.length - 1) / 2;
  // axis 0 (rows direction) first, then axis 1, as scipy does; the order only changes rounding.
  // The reflected index of every tap, once per axis: ys[(y, j)] = reflectIndex(y + j − r, h) · w, xs likewise.
  const n = 2 * r + 1;
  const ys = new Int32Array(h * n), xs = new Int32Array(w * n);
  for (let y = 0; y < h; y++) for (let j = 0; j < n; j++) ys[y * n + j] = reflectIndex(y + j - r, h) * w;
  for (let x = 0; x < w; x++) for (let j = 0; j < n; j++) xs[x * n + j] = reflectIndex(x + j - r, w);
  const tmp = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const t = y * n;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += k[j]! * img.data[ys[t + j]! + x]!;
      tmp[y * w + x] = s;
    }
  }
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const t = x * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += k[j]! * tmp[row + xs[t + j]!]!;
      out[row + x] = s;
    }
  }
  return { h, w, data: out };
}

/**
 * Means over every k×k window that lies fully inside the image: an (h − k + 1)×(w − k + 1) image whose
 * (i, j) entry is the mean of rows [i, i + k) × columns [j, j + k) of `data` (an h×w array).
 */
export function boxMeansValid(data: Float64Array, h: number, w: number, k: number): Float64Array {
  const oh = h - k + 1;
  const ow = w - k + 1;
  if (oh < 1 || ow < 1) return new Float64Array(0);
  const rows = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += data[base + x + j]!;
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  const inv = 1 / (k * k);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += rows[(y + j) * ow + x]!;
      out[y * ow + x] = s * inv;
    }
  }
  return out;
}
