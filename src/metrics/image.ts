/**
 * Small 2-D image types for the metrics: real images and interleaved complex images, row-major,
 * always Float64Array (metrics are computed in float64 whatever the file dtype was).
 */

import type { ComplexImage, RealImage } from '../math/image.js';
export type { ComplexImage, RealImage };

/**
 * Two real images a metric compares: the same h × w, each with h·w values (a RangeError naming the metric
 * otherwise — an image built by hand with the wrong number of values would give NaN or a wrong score silently).
 */
export function checkSameShape(a: RealImage, b: RealImage, what: string): void {
  for (const [name, img] of [['first', a], ['second', b]] as const) {
    if (img === null || typeof img !== 'object' || !Number.isInteger(img.h) || !Number.isInteger(img.w) || img.h < 0 || img.w < 0 || img.data?.length !== img.h * img.w) {
      const found = img === null || typeof img !== 'object' ? String(img) : `h ${String(img.h)}, w ${String(img.w)}, ${img.data?.length ?? 'no'} values`;
      throw new RangeError(`${what}: the ${name} image: expected { h, w, data } with h·w values (realImage(h, w, values)); found ${found}`);
    }
  }
  if (a.h !== b.h || a.w !== b.w) throw new RangeError(`${what}: shapes differ (${a.h}×${a.w} vs ${b.h}×${b.w})`);
}

/**
 * A complex image a metric or the alignment takes: integer h × w and at least 2·h·w values (re, im interleaved; a
 * view into a longer buffer is fine). A RangeError naming the call otherwise — a real image, or one built by hand
 * with too few values, would give NaN or a wrong score silently.
 */
export function checkComplexImage(img: ComplexImage, what: string, name = 'the image'): void {
  if (img === null || typeof img !== 'object' || !Number.isInteger(img.h) || !Number.isInteger(img.w) || img.h < 0 || img.w < 0 ||
    !((img.data?.length ?? -1) >= 2 * img.h * img.w)) {
    const found = img === null || typeof img !== 'object' ? String(img) : `h ${String(img.h)}, w ${String(img.w)}, ${img.data?.length ?? 'no'} values`;
    throw new RangeError(`${what}: ${name}: expected a complex image { h, w, data } with 2·h·w values, re and im interleaved (complexImage(h, w, interleaved)); found ${found}`);
  }
}

export function realImage(h: number, w: number, data?: ArrayLike<number>): RealImage {
  const d = new Float64Array(h * w);
  if (data) {
    if (data.length !== h * w) throw new RangeError(`realImage: ${data.length} values for ${h}×${w}`);
    d.set(data);
  }
  return { h, w, data: d };
}

export function complexImage(h: number, w: number, interleaved?: ArrayLike<number>): ComplexImage {
  const d = new Float64Array(2 * h * w);
  if (interleaved) {
    if (interleaved.length !== 2 * h * w) throw new RangeError(`complexImage: ${interleaved.length} values for ${h}×${w} complex`);
    d.set(interleaved);
  }
  return { h, w, data: d };
}

/** Rows [y0, y0+h) × columns [x0, x0+w) of a real or complex image (a copy). */
export function cropReal(img: RealImage, y0: number, x0: number, h: number, w: number): RealImage {
  checkWindow(img, y0, x0, h, w);
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) out.set(img.data.subarray((y0 + y) * img.w + x0, (y0 + y) * img.w + x0 + w), y * w);
  return { h, w, data: out };
}

export function cropComplex(img: ComplexImage, y0: number, x0: number, h: number, w: number): ComplexImage {
  checkWindow(img, y0, x0, h, w);
  const out = new Float64Array(2 * h * w);
  for (let y = 0; y < h; y++) {
    const s = 2 * ((y0 + y) * img.w + x0);
    out.set(img.data.subarray(s, s + 2 * w), 2 * y * w);
  }
  return { h, w, data: out };
}

function checkWindow(img: { h: number; w: number }, y0: number, x0: number, h: number, w: number): void {
  if (!(Number.isInteger(y0) && Number.isInteger(x0) && y0 >= 0 && x0 >= 0 && h >= 1 && w >= 1 && y0 + h <= img.h && x0 + w <= img.w)) {
    throw new RangeError(`crop [${y0}, ${y0 + h}) × [${x0}, ${x0 + w}) outside a ${img.h}×${img.w} image`);
  }
}

/** Centre crop to h×w (top-left offset ⌊(H − h)/2⌋, as `arr[dy:dy+h]` with dy = (H − h)//2). */
export function centreCropReal(img: RealImage, h: number, w: number): RealImage {
  return cropReal(img, Math.floor((img.h - h) / 2), Math.floor((img.w - w) / 2), h, w);
}

export function centreCropComplex(img: ComplexImage, h: number, w: number): ComplexImage {
  return cropComplex(img, Math.floor((img.h - h) / 2), Math.floor((img.w - w) / 2), h, w);
}

/** |z| per pixel. */
export function amplitudeOf(img: ComplexImage): RealImage {
  checkComplexImage(img, 'amplitudeOf');
  const n = img.h * img.w;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) { const re = img.data[2 * i]!, im = img.data[2 * i + 1]!; out[i] = Math.sqrt(re * re + im * im); }
  return { h: img.h, w: img.w, data: out };
}

/** arg z ∈ (−π, π] per pixel (atan2). */
export function phaseOf(img: ComplexImage): RealImage {
  checkComplexImage(img, 'phaseOf');
  const n = img.h * img.w;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.atan2(img.data[2 * i + 1]!, img.data[2 * i]!);
  return { h: img.h, w: img.w, data: out };
}

/** Real image as a complex one (zero imaginary part). */
export function toComplex(img: RealImage): ComplexImage {
  const n = img.h * img.w;
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) out[2 * i] = img.data[i]!;
  return { h: img.h, w: img.w, data: out };
}

/** Wraps an angle to (−π, π]. */
export function wrapPhase(a: number): number {
  const TWO_PI = 2 * Math.PI;
  let r = a - TWO_PI * Math.floor((a + Math.PI) / TWO_PI); // [−π, π)
  if (r === -Math.PI) r = Math.PI;
  return r;
}

/** Every other row and column starting at 0 (`img[::2, ::2]`). */
export function decimate2(img: RealImage): RealImage {
  const h = Math.ceil(img.h / 2);
  const w = Math.ceil(img.w / 2);
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = img.data[2 * y * img.w + 2 * x]!;
  return { h, w, data: out };
}

/** Finite min and max (NaN when the image has no finite value). */
export function minMax(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}
