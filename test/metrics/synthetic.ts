/** Deterministic synthetic complex objects for metric tests (no RNG: sums of smooth blobs and waves). */
import type { ComplexImage } from '../../src/metrics/index.js';
import { Rng } from '../../src/math/rng.js';

/**
 * A smooth complex object: amplitude in (0.35, 0.95), phase in about [−1.5, 1.5] rad. `shift` evaluates the
 * same analytic object at (y − dy, x − dx): an exact sub-pixel shifted copy, with no wrap-around.
 */
export function syntheticObject(h: number, w: number, seed = 1, shift: [number, number] = [0, 0]): ComplexImage {
  const data = new Float64Array(2 * h * w);
  let s = seed * 2654435761 % 4294967296;
  const rnd = (): number => { s = (1664525 * s + 1013904223) % 4294967296; return s / 4294967296; };
  const blobs = Array.from({ length: 24 }, () => ({ y: rnd() * h, x: rnd() * w, r: 2 + rnd() * 6, a: rnd() - 0.5, p: rnd() - 0.5 }));
  for (let yi = 0; yi < h; yi++) {
    for (let xi = 0; xi < w; xi++) {
      const y = yi - shift[0], x = xi - shift[1];
      let amp = 0.7 + 0.1 * Math.sin(x / 5.3) * Math.cos(y / 7.1);
      let ph = 0.4 * Math.sin((x + 2 * y) / 9.7);
      for (const b of blobs) {
        const g = Math.exp(-((y - b.y) ** 2 + (x - b.x) ** 2) / (2 * b.r * b.r));
        amp += 0.5 * b.a * g;
        ph += 2.5 * b.p * g;
      }
      amp = 0.65 + 0.3 * Math.tanh((amp - 0.65) / 0.3);
      const i = 2 * (yi * w + xi);
      data[i] = amp * Math.cos(ph);
      data[i + 1] = amp * Math.sin(ph);
    }
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
