/**
 * Pure-TypeScript 2-D complex FFT (the always-available backend).
 *
 * Layout: interleaved complex128 in a Float64Array (re, im, re, im, …), row-major, `count` images of
 * h×w stored back to back. Transforms are in place.
 *
 * Algorithm (power-of-two sizes): iterative decimation-in-time, base-2 bit reversal by a precomputed
 * swap list, one radix-2 stage first when log2(n) is odd, then radix-4 stages with per-stage twiddle
 * tables (w, w², w³) precomputed once per size and direction. The row pass runs the 1-D routine on
 * each contiguous row; the column pass runs the same butterflies with whole rows as the unit (inner
 * loop over contiguous columns), so there are no transposes and no gathers.
 *
 * Other sizes use Bluestein's chirp-z algorithm on top of a power-of-two plan (slower, exact to
 * rounding). Forward is unscaled (e^{-2πi…}); inverse applies 1/(h·w).
 */

/** One direction of a power-of-two 1-D plan. */
export interface Pow2Plan {
  readonly n: number;
  /** Pairs (i, j), i < j, to swap for the bit-reversal permutation. */
  readonly swaps: Int32Array;
  /** True when the first stage is a radix-2 stage (log2 n odd). */
  readonly radix2First: boolean;
  /** Radix-4 stage twiddles: for stage s with quarter length L, 6·L doubles (w1, w2, w3 per k). */
  readonly stages: { L: number; tw: Float64Array }[];
  /** +1 forward (e^{-iθ}), −1 inverse (e^{+iθ}). */
  readonly sign: number;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/**
 * The radices of a mixed-radix plan for n when its only prime factors are 2, 3, 5, 7, 11 and 13 (fours
 * first, then at most one two, then threes, fives, sevens, elevens and thirteens); null for any other n
 * (a prime factor ≥ 17, or n < 1).
 */
export function smoothRadices(n: number): number[] | null {
  if (!Number.isInteger(n) || n < 1) return null;
  const out: number[] = [];
  let m = n, twos = 0;
  while (m % 2 === 0) { m /= 2; twos++; }
  for (let i = 0; i + 1 < twos; i += 2) out.push(4);
  if (twos % 2 === 1) out.push(2);
  for (const p of [3, 5, 7, 11, 13]) while (m % p === 0) { m /= p; out.push(p); }
  return m === 1 ? out : null;
}

export function makePow2Plan(n: number, sign: number): Pow2Plan {
  const bits = Math.round(Math.log2(n));
  const swapList: number[] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0, x = i; b < bits; b++, x >>= 1) r = (r << 1) | (x & 1);
    if (i < r) swapList.push(i, r);
  }
  const radix2First = bits % 2 === 1;
  const stages: { L: number; tw: Float64Array }[] = [];
  for (let L = radix2First ? 2 : 1; L < n; L *= 4) {
    const tw = new Float64Array(6 * L);
    for (let k = 0; k < L; k++) {
      const t = (-sign * 2 * Math.PI * k) / (4 * L);
      tw[6 * k] = Math.cos(t); tw[6 * k + 1] = Math.sin(t);
      tw[6 * k + 2] = Math.cos(2 * t); tw[6 * k + 3] = Math.sin(2 * t);
      tw[6 * k + 4] = Math.cos(3 * t); tw[6 * k + 5] = Math.sin(3 * t);
    }
    stages.push({ L, tw });
  }
  return { n, swaps: Int32Array.from(swapList), radix2First, stages, sign };
}

/** In-place 1-D FFT of the contiguous complex sequence starting at complex index `off` (power-of-two n). */
function fft1dContig(p: Pow2Plan, a: Float64Array, off: number): void {
  const n = p.n;
  const o2 = 2 * off;
  const sw = p.swaps;
  for (let s = 0; s < sw.length; s += 2) {
    const i = o2 + 2 * sw[s], j = o2 + 2 * sw[s + 1];
    const tr = a[i], ti = a[i + 1];
    a[i] = a[j]; a[i + 1] = a[j + 1];
    a[j] = tr; a[j + 1] = ti;
  }
  if (p.radix2First) {
    for (let i = o2, end = o2 + 2 * n; i < end; i += 4) {
      const ar = a[i], ai = a[i + 1], br = a[i + 2], bi = a[i + 3];
      a[i] = ar + br; a[i + 1] = ai + bi;
      a[i + 2] = ar - br; a[i + 3] = ai - bi;
    }
  }
  const sg = p.sign;
  for (const { L, tw } of p.stages) {
    const step = 8 * L; // doubles per group of 4L complexes
    for (let g = o2, end = o2 + 2 * n; g < end; g += step) {
      for (let k = 0; k < L; k++) {
        const w1r = tw[6 * k], w1i = tw[6 * k + 1], w2r = tw[6 * k + 2], w2i = tw[6 * k + 3];
        const w3r = tw[6 * k + 4], w3i = tw[6 * k + 5];
        const i0 = g + 2 * k, i1 = i0 + 2 * L, i2 = i1 + 2 * L, i3 = i2 + 2 * L;
        const a0r = a[i0], a0i = a[i0 + 1];
        // x[4m+1] lives in block 2, x[4m+2] in block 1 (base-2 bit-reversed order).
        const x1r = a[i2], x1i = a[i2 + 1];
        const x2r = a[i1], x2i = a[i1 + 1];
        const x3r = a[i3], x3i = a[i3 + 1];
        const a1r = x1r * w1r - x1i * w1i, a1i = x1r * w1i + x1i * w1r;
        const a2r = x2r * w2r - x2i * w2i, a2i = x2r * w2i + x2i * w2r;
        const a3r = x3r * w3r - x3i * w3i, a3i = x3r * w3i + x3i * w3r;
        const t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
        const t2r = a1r + a3r, t2i = a1i + a3i;
        // t3 = (a1 − a3)·(∓i): forward multiplies by −i, inverse by +i.
        const dr = a1r - a3r, di = a1i - a3i;
        const t3r = sg * di, t3i = -sg * dr;
        a[i0] = t0r + t2r; a[i0 + 1] = t0i + t2i;
        a[i1] = t1r + t3r; a[i1 + 1] = t1i + t3i;
        a[i2] = t0r - t2r; a[i2 + 1] = t0i - t2i;
        a[i3] = t1r - t3r; a[i3 + 1] = t1i - t3i;
      }
    }
  }
}

/**
 * In-place 1-D FFT along the slow axis of an n×w complex block starting at complex index `off`:
 * element (r, c) at complex index off + r·w + c; all w columns are transformed together.
 */
function fftColumns(p: Pow2Plan, a: Float64Array, off: number, w: number): void {
  const n = p.n;
  const o2 = 2 * off;
  const rw = 2 * w; // doubles per row
  const sw = p.swaps;
  for (let s = 0; s < sw.length; s += 2) {
    const i = o2 + rw * sw[s], j = o2 + rw * sw[s + 1];
    for (let c = 0; c < rw; c++) {
      const t = a[i + c]; a[i + c] = a[j + c]; a[j + c] = t;
    }
  }
  if (p.radix2First) {
    for (let r = 0; r < n; r += 2) {
      const i0 = o2 + r * rw, i1 = i0 + rw;
      for (let c = 0; c < rw; c++) {
        const x = a[i0 + c], y = a[i1 + c];
        a[i0 + c] = x + y; a[i1 + c] = x - y;
      }
    }
  }
  const sg = p.sign;
  for (const { L, tw } of p.stages) {
    for (let g = 0; g < n; g += 4 * L) {
      for (let k = 0; k < L; k++) {
        const w1r = tw[6 * k], w1i = tw[6 * k + 1], w2r = tw[6 * k + 2], w2i = tw[6 * k + 3];
        const w3r = tw[6 * k + 4], w3i = tw[6 * k + 5];
        const r0 = o2 + (g + k) * rw, r1 = r0 + L * rw, r2 = r1 + L * rw, r3 = r2 + L * rw;
        if (k === 0) {
          for (let c = 0; c < rw; c += 2) {
            const a0r = a[r0 + c], a0i = a[r0 + c + 1];
            const a1r = a[r2 + c], a1i = a[r2 + c + 1];
            const a2r = a[r1 + c], a2i = a[r1 + c + 1];
            const a3r = a[r3 + c], a3i = a[r3 + c + 1];
            const t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
            const t2r = a1r + a3r, t2i = a1i + a3i;
            const dr = a1r - a3r, di = a1i - a3i;
            const t3r = sg * di, t3i = -sg * dr;
            a[r0 + c] = t0r + t2r; a[r0 + c + 1] = t0i + t2i;
            a[r1 + c] = t1r + t3r; a[r1 + c + 1] = t1i + t3i;
            a[r2 + c] = t0r - t2r; a[r2 + c + 1] = t0i - t2i;
            a[r3 + c] = t1r - t3r; a[r3 + c + 1] = t1i - t3i;
          }
          continue;
        }
        for (let c = 0; c < rw; c += 2) {
          const a0r = a[r0 + c], a0i = a[r0 + c + 1];
          const x1r = a[r2 + c], x1i = a[r2 + c + 1];
          const x2r = a[r1 + c], x2i = a[r1 + c + 1];
          const x3r = a[r3 + c], x3i = a[r3 + c + 1];
          const a1r = x1r * w1r - x1i * w1i, a1i = x1r * w1i + x1i * w1r;
          const a2r = x2r * w2r - x2i * w2i, a2i = x2r * w2i + x2i * w2r;
          const a3r = x3r * w3r - x3i * w3i, a3i = x3r * w3i + x3i * w3r;
          const t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
          const t2r = a1r + a3r, t2i = a1i + a3i;
          const dr = a1r - a3r, di = a1i - a3i;
          const t3r = sg * di, t3i = -sg * dr;
          a[r0 + c] = t0r + t2r; a[r0 + c + 1] = t0i + t2i;
          a[r1 + c] = t1r + t3r; a[r1 + c + 1] = t1i + t3i;
          a[r2 + c] = t0r - t2r; a[r2 + c + 1] = t0i - t2i;
          a[r3 + c] = t1r - t3r; a[r3 + c + 1] = t1i - t3i;
        }
      }
    }
  }
}

/** Bluestein's chirp for length n: c_k = e^{−iπk²/n}, k < n, interleaved (k² mod 2n keeps the angle small and exact for large k). */
export function bluesteinChirp(n: number): Float64Array {
  const chirp = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const k2 = (k * k) % (2 * n);
    const t = (-Math.PI * k2) / n;
    chirp[2 * k] = Math.cos(t); chirp[2 * k + 1] = Math.sin(t);
  }
  return chirp;
}

/**
 * Bluestein's convolution kernel of length m ≥ 2n − 1 (n = chirp.length / 2), before its transform: b_k = conj(c_k)
 * (`conjugate`, the forward transform's) or c_k (the inverse's), placed at k and m − k, zero elsewhere.
 */
export function bluesteinKernel(chirp: Float64Array, m: number, conjugate: boolean): Float64Array {
  const n = chirp.length / 2;
  const b = new Float64Array(2 * m);
  const s = conjugate ? -1 : 1;
  for (let k = 0; k < n; k++) {
    const re = chirp[2 * k], im = s * chirp[2 * k + 1];
    b[2 * k] = re; b[2 * k + 1] = im;
    if (k > 0) { b[2 * (m - k)] = re; b[2 * (m - k) + 1] = im; }
  }
  return b;
}

/**
 * A 1-D transform of one length in both directions, for any n ≥ 1: power-of-two sizes directly,
 * other sizes by Bluestein (chirp-z) through a power-of-two plan of length m ≥ 2n − 1.
 * `apply` works on a contiguous sequence; `applyStrided` gathers/scatters through a scratch line.
 */
export class Fft1d {
  readonly n: number;
  private readonly fwd: Pow2Plan | null;
  private readonly inv: Pow2Plan | null;
  // Bluestein state (null for powers of two).
  private readonly bl: {
    m: number; fwdM: Pow2Plan; invM: Pow2Plan;
    chirp: Float64Array; // c_k = e^{-iπk²/n}, k < n (forward chirp)
    kernelF: Float64Array; // FFT_m of conj-chirp kernel for forward
    kernelI: Float64Array; // FFT_m of chirp kernel for inverse
    work: Float64Array;
  } | null;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT size must be a positive integer, got ${n}`);
    this.n = n;
    if (isPowerOfTwo(n)) {
      this.fwd = makePow2Plan(n, 1);
      this.inv = makePow2Plan(n, -1);
      this.bl = null;
      return;
    }
    this.fwd = null; this.inv = null;
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    const fwdM = makePow2Plan(m, 1), invM = makePow2Plan(m, -1);
    const chirp = bluesteinChirp(n);
    const kernel = (conjugate: boolean): Float64Array => {
      const b = bluesteinKernel(chirp, m, conjugate);
      fft1dContig(fwdM, b, 0);
      return b;
    };
    this.bl = { m, fwdM, invM, chirp, kernelF: kernel(true), kernelI: kernel(false), work: new Float64Array(2 * m) };
  }

  /** In-place unscaled transform of the n complexes at complex offset `off` (sign +1 forward, −1 inverse). */
  apply(a: Float64Array, off: number, forward: boolean): void {
    if (this.bl === null) { fft1dContig(forward ? this.fwd! : this.inv!, a, off); return; }
    const { m, fwdM, invM, chirp, kernelF, kernelI, work } = this.bl;
    const n = this.n;
    const s = forward ? 1 : -1; // forward chirp c_k = e^{-iπk²/n}; inverse uses conj(c_k)
    work.fill(0);
    const o2 = 2 * off;
    for (let k = 0; k < n; k++) {
      const cr = chirp[2 * k], ci = s * chirp[2 * k + 1];
      const xr = a[o2 + 2 * k], xi = a[o2 + 2 * k + 1];
      work[2 * k] = xr * cr - xi * ci; work[2 * k + 1] = xr * ci + xi * cr;
    }
    fft1dContig(fwdM, work, 0);
    const K = forward ? kernelF : kernelI;
    for (let j = 0; j < 2 * m; j += 2) {
      const xr = work[j], xi = work[j + 1], kr = K[j], ki = K[j + 1];
      work[j] = xr * kr - xi * ki; work[j + 1] = xr * ki + xi * kr;
    }
    fft1dContig(invM, work, 0);
    const inv = 1 / m;
    for (let k = 0; k < n; k++) {
      const cr = chirp[2 * k], ci = s * chirp[2 * k + 1];
      const yr = work[2 * k] * inv, yi = work[2 * k + 1] * inv;
      a[o2 + 2 * k] = yr * cr - yi * ci; a[o2 + 2 * k + 1] = yr * ci + yi * cr;
    }
  }

  /** Column transform of an n×w block at complex offset `off` (row stride w complexes). */
  applyColumns(a: Float64Array, off: number, w: number, forward: boolean, line: Float64Array): void {
    if (this.bl === null) { fftColumns(forward ? this.fwd! : this.inv!, a, off, w); return; }
    const n = this.n;
    for (let c = 0; c < w; c++) {
      for (let r = 0; r < n; r++) {
        const src = 2 * (off + r * w + c);
        line[2 * r] = a[src]; line[2 * r + 1] = a[src + 1];
      }
      this.apply(line, 0, forward);
      for (let r = 0; r < n; r++) {
        const dst = 2 * (off + r * w + c);
        a[dst] = line[2 * r]; a[dst + 1] = line[2 * r + 1];
      }
    }
  }
}

/** Pure-TS batched 2-D FFT on interleaved complex128. */
export class TsFft2 {
  readonly h: number;
  readonly w: number;
  readonly backend = 'ts' as const;
  private readonly rows: Fft1d;
  private readonly cols: Fft1d;
  private readonly line: Float64Array;

  constructor(h: number, w: number) {
    this.h = h; this.w = w;
    this.rows = new Fft1d(w);
    this.cols = h === w ? this.rows : new Fft1d(h);
    this.line = new Float64Array(2 * h);
  }

  forward(buf: Float64Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float64Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float64Array, count: number, forward: boolean): void {
    const { h, w } = this;
    const hw = h * w;
    checkBuffer(buf, count, hw);
    const scale = 1 / hw;
    for (let b = 0; b < count; b++) {
      const off = b * hw;
      for (let r = 0; r < h; r++) this.rows.apply(buf, off + r * w, forward);
      this.cols.applyColumns(buf, off, w, forward, this.line);
      if (!forward) {
        for (let i = 2 * off, end = 2 * (off + hw); i < end; i++) buf[i] *= scale;
      }
    }
  }
}

export function checkBuffer(buf: Float32Array | Float64Array, count: number, hw: number): void {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`FFT count must be a non-negative integer, got ${count}`);
  if (buf.length < 2 * hw * count) {
    throw new RangeError(`FFT buffer holds ${buf.length} values, ${count} complex images need ${2 * hw * count}`);
  }
}

/**
 * Pure-TS batched 2-D FFT on interleaved complex64 (Float32Array): each image is widened into a
 * complex128 line, transformed by TsFft2 and rounded back. V8 computes in double either way (a
 * Float32Array gains nothing in scalar TypeScript), so this is the float64 transform with float32
 * storage — for callers that hold complex64 data and have no WASM kernel.
 */
export class TsFft2F32 {
  readonly h: number;
  readonly w: number;
  readonly backend = 'ts' as const;
  readonly precision = 'float32' as const;
  private readonly inner: TsFft2;
  private readonly work: Float64Array;

  constructor(h: number, w: number) {
    this.h = h; this.w = w;
    this.inner = new TsFft2(h, w);
    this.work = new Float64Array(2 * h * w);
  }

  forward(buf: Float32Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float32Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float32Array, count: number, forward: boolean): void {
    const per = 2 * this.h * this.w;
    checkBuffer(buf, count, this.h * this.w);
    const work = this.work;
    for (let b = 0; b < count; b++) {
      const img = buf.subarray(b * per, (b + 1) * per);
      work.set(img);
      if (forward) this.inner.forward(work, 1); else this.inner.inverse(work, 1);
      img.set(work);
    }
  }
}
