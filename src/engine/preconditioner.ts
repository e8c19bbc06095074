/**
 * The object preconditioner of LSQML (spec §3.3): an illumination map C built from the probe at every
 * scan position, its first build and running-average schedule, and the damped inverse
 * 1/√(C² + (δ·max C)²) that divides the placed object direction.
 */

/**
 * Illumination: Σ over positions of Σ_{m < modes} |P_m|² placed at the integer patch corners (no
 * sub-pixel shift); pixels outside the H×W buffer are dropped.
 */
export function illumination(probe: Float64Array, modes: number, n: number, topLeft: Int32Array, count: number,
  h: number, w: number): Float64Array {
  const n2 = n * n;
  const p2 = new Float64Array(n2);
  for (let m = 0; m < modes; m++) {
    for (let k = 0; k < n2; k++) {
      const re = probe[2 * (m * n2 + k)], im = probe[2 * (m * n2 + k) + 1];
      p2[k] += re * re + im * im;
    }
  }
  const c = new Float64Array(h * w);
  for (let i = 0; i < count; i++) {
    const ty = topLeft[2 * i], tx = topLeft[2 * i + 1];
    const y0 = Math.max(ty, 0), y1 = Math.min(ty + n, h), x0 = Math.max(tx, 0), x1 = Math.min(tx + n, w);
    for (let y = y0; y < y1; y++) {
      const d = y * w, s = (y - ty) * n - tx;
      for (let x = x0; x < x1; x++) c[d + x] += p2[s + x];
    }
  }
  return c;
}

/**
 * First build (start of epoch 0): C = (illum(P·s) + illum(P))/2 with s = √maxpow/(2N),
 * maxpow = max_n Σ y_n / N² (pty-chi's scaled start, PR #30).
 */
export function firstPreconditioner(illum: Float64Array, maxPatternSum: number, n: number): Float64Array {
  const maxpow = maxPatternSum / (n * n);
  const s = Math.sqrt(maxpow) / (2 * n);
  const c = new Float64Array(illum.length);
  for (let j = 0; j < c.length; j++) c[j] = (illum[j] * s * s + illum[j]) / 2;
  return c;
}

/** True when the running average C ← (C + illum(P))/2 runs at the start of epoch e (probe start `startP`). */
export function preconditionerUpdateDue(e: number, startP: number): boolean {
  return e > startP && (e - startP < 10 || (e - startP) % 10 === 0);
}

/**
 * 1/√(C² + (δ·max C)²), written into `out`. When C is zero everywhere (a probe of zeros) the result is
 * zero, so the object does not move, instead of 0/0.
 */
export function dampedInverse(c: Float64Array, damping: number, out: Float64Array): number {
  let max = 0;
  for (let j = 0; j < c.length; j++) if (c[j] > max) max = c[j];
  const d2 = (damping * max) ** 2;
  for (let j = 0; j < c.length; j++) {
    const den = Math.sqrt(c[j] * c[j] + d2);
    out[j] = den > 0 ? 1 / den : 0;
  }
  return max;
}
