/** Deterministic synthetic complex objects for metric tests (no RNG: sums of smooth blobs and waves). */
import type { ComplexImage } from '../../src/metrics/index.js';
import { Rng } from '../../src/math/rng.js';

/** Blobs of a synthetic object: 24 up to 10⁶ pixels, then 24 per 10⁶ pixels (96 at 2000²). */
export function blobCount(h: number, w: number): number {
  return Math.max(24, Math.round(24 * h * w / 1e6));
}

/**
 * exp(−t) is exactly 0 for t ≥ 750 (below the least subnormal double), so a blob of radius r adds exactly nothing
 * beyond r·√1500 px of its centre: its terms are summed over that box only, the same sums as over every pixel.
 */
const BLOB_REACH = Math.sqrt(2 * 750);

/**
 * A smooth complex object: amplitude in (0.35, 0.95), phase in about [−1.5, 1.5] rad. `shift` evaluates the
 * same analytic object at (y − dy, x − dx): an exact sub-pixel shifted copy, with no wrap-around.
 * A sine pattern (periods 2π·5.3 and 2π·7.1 px) under Gaussian blobs of radius 2–8 px at seeded places; the
 * blobs tell the pattern's periods apart, and there are `blobCount(h, w)` of them so that a large object is not
 * nearly periodic: with 24 blobs a 2000² pair registered to a half period of the pattern (20.94, −13.94) px off.
 * The first 24 blobs are the same at every size (the extra ones come after them in the seeded sequence), so an
 * object of up to 10⁶ pixels is the same bytes as before the extra blobs.
 */
export function syntheticObject(h: number, w: number, seed = 1, shift: [number, number] = [0, 0]): ComplexImage {
  const data = new Float64Array(2 * h * w);
  let s = seed * 2654435761 % 4294967296;
  const rnd = (): number => { s = (1664525 * s + 1013904223) % 4294967296; return s / 4294967296; };
  const blobs = Array.from({ length: blobCount(h, w) }, () => ({ y: rnd() * h, x: rnd() * w, r: 2 + rnd() * 6, a: rnd() - 0.5, p: rnd() - 0.5 }));
  const amp = new Float64Array(h * w);
  const ph = new Float64Array(h * w);
  for (let yi = 0; yi < h; yi++) {
    for (let xi = 0; xi < w; xi++) {
      const y = yi - shift[0], x = xi - shift[1];
      amp[yi * w + xi] = 0.7 + 0.1 * Math.sin(x / 5.3) * Math.cos(y / 7.1);
      ph[yi * w + xi] = 0.4 * Math.sin((x + 2 * y) / 9.7);
    }
  }
  // Blob after blob, each pixel's terms are added in the order of the blobs, as a sum over the blobs per pixel.
  for (const b of blobs) {
    const reach = BLOB_REACH * b.r;
    const y0 = Math.max(0, Math.floor(b.y + shift[0] - reach)), y1 = Math.min(h - 1, Math.ceil(b.y + shift[0] + reach));
    const x0 = Math.max(0, Math.floor(b.x + shift[1] - reach)), x1 = Math.min(w - 1, Math.ceil(b.x + shift[1] + reach));
    for (let yi = y0; yi <= y1; yi++) {
      for (let xi = x0; xi <= x1; xi++) {
        const y = yi - shift[0], x = xi - shift[1];
        const g = Math.exp(-((y - b.y) ** 2 + (x - b.x) ** 2) / (2 * b.r * b.r));
        amp[yi * w + xi] += 0.5 * b.a * g;
        ph[yi * w + xi] += 2.5 * b.p * g;
      }
    }
  }
  for (let i = 0; i < h * w; i++) {
    const a = 0.65 + 0.3 * Math.tanh((amp[i]! - 0.65) / 0.3);
    data[2 * i] = a * Math.cos(ph[i]!);
    data[2 * i + 1] = a * Math.sin(ph[i]!);
  }
  return { h, w, data };
}

/** img · s · e^{i(a·x + b·y + c)} */
export function rampAndScale(img: ComplexImage, s: number, a: number, b: number, c: number): ComplexImage {
  const out = new Float64Array(img.data.length);
  for (let y = 0; y < img.h; y++) {
    for (let x = 0; x < img.w; x++) {
      const i = 2 * (y * img.w + x);
      const t = a * x + b * y + c;
      const cr = Math.cos(t) * s, ci = Math.sin(t) * s;
      out[i] = img.data[i]! * cr - img.data[i + 1]! * ci;
      out[i + 1] = img.data[i]! * ci + img.data[i + 1]! * cr;
    }
  }
  return { h: img.h, w: img.w, data: out };
}

/** Adds seeded Gaussian noise: relative σ = `level` on the amplitude, σ = `level` rad on the phase. */
export function addNoise(img: ComplexImage, level: number, seed = 7): ComplexImage {
  const rng = new Rng(seed);
  const out = new Float64Array(img.data.length);
  for (let i = 0; i < img.h * img.w; i++) {
    const re = img.data[2 * i]!, im = img.data[2 * i + 1]!;
    const a = Math.hypot(re, im) * (1 + level * rng.normal());
    const p = Math.atan2(im, re) + level * rng.normal();
    out[2 * i] = a * Math.cos(p);
    out[2 * i + 1] = a * Math.sin(p);
  }
  return { h: img.h, w: img.w, data: out };
}
