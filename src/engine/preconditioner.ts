/**
 * The object preconditioner of LSQML (docs/lsqml.md): an illumination map C built from the probe at every
 * scan position, its first build and running-average schedule, and the damped inverse
 * 1/√(C² + (δ·max C)²) that divides the placed object direction.
 */

/** Σ_{m < modes} |P_m|² of an [M, N, N] probe: the per-pixel intensity the illumination map places. */
export function probeIntensity(probe: Float32Array | Float64Array, modes: number, n: number, out: Float64Array = new Float64Array(n * n)): Float64Array {
  const n2 = n * n;
  out.fill(0);
  for (let m = 0; m < modes; m++) {
    for (let k = 0; k < n2; k++) {
      const re = probe[2 * (m * n2 + k)], im = probe[2 * (m * n2 + k) + 1];
      out[k] += re * re + im * im;
    }
  }
  return out;
}

/**
 * Rows [r0, r1) of the illumination map: zeroes them, then adds `p2` (N×N) at the integer corner of
 * each of `count` positions in order; pixels outside the H×W buffer are dropped. The engine runs this
 * on row parts in parallel (the per-pixel sums keep the same order).
 */
export function addIllumination(out: Float64Array, p2: Float64Array, n: number, topLeft: Int32Array, count: number,
  h: number, w: number, r0 = 0, r1 = h): void {
  out.fill(0, r0 * w, r1 * w);
  for (let i = 0; i < count; i++) {
    const ty = topLeft[2 * i], tx = topLeft[2 * i + 1];
    const y0 = Math.max(ty, r0), y1 = Math.min(ty + n, r1), x0 = Math.max(tx, 0), x1 = Math.min(tx + n, w);
    for (let y = y0; y < y1; y++) {
      const d = y * w, s = (y - ty) * n - tx;
      for (let x = x0; x < x1; x++) out[d + x] += p2[s + x];
    }
  }
}

/**
 * Illumination: Σ over positions of Σ_{m < modes} |P_m|² placed at the integer patch corners (no
 * sub-pixel shift); pixels outside the H×W buffer are dropped.
 */
export function illumination(probe: Float64Array, modes: number, n: number, topLeft: Int32Array, count: number,
  h: number, w: number): Float64Array {
  const c = new Float64Array(h * w);
  addIllumination(c, probeIntensity(probe, modes, n), n, topLeft, count, h, w);
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
export function dampedInverse(c: Float64Array, damping: number, out: Float32Array | Float64Array): number {
  let max = 0;
  for (let j = 0; j < c.length; j++) if (c[j] > max) max = c[j];
  const d2 = (damping * max) ** 2;
  for (let j = 0; j < c.length; j++) {
    const den = Math.sqrt(c[j] * c[j] + d2);
    out[j] = den > 0 ? 1 / den : 0;
  }
  return max;
}
