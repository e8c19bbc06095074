/**
 * Seeded pseudo-random numbers: xoshiro128** 1.1 (Blackman & Vigna, 2018).
 *
 * - State: four 32-bit words; every step uses 32-bit integer arithmetic (`Math.imul`, shifts, `>>> 0`),
 *   so the integer stream is bit-identical on every platform and JS engine.
 * - Seeding: the seed (a safe integer or a string) is reduced to a 64-bit key — an integer as its
 *   64-bit two's complement, a string as FNV-1a-64 of its UTF-8 bytes — and the key is expanded by
 *   SplitMix64 into the 128-bit state (Vigna's recommended seeding). `fork(label)` derives a child key
 *   from (parent key, label) the same way, so children are independent of how many numbers the parent
 *   has drawn, and `new Rng(s).fork('a')` is the same stream everywhere.
 * - `uniform()` has 53 random bits (two 32-bit outputs): k / 2^53, k uniform in [0, 2^53).
 * - `normal()` uses Marsaglia's polar method (one of each generated pair is cached).
 * - `poisson(λ)` is exact: inversion by sequential search for λ < 10, PTRS transformed rejection
 *   (Hörmann 1993) for λ ≥ 10 — valid for any finite λ ≥ 0 (tested to 1e7).
 * Floating-point steps use only +, −, ×, ÷, `Math.sqrt` (correctly rounded) and `Math.log`/`Math.exp`
 * (V8's fdlibm port, identical across platforms for a given Node.js).
 */

const MASK64 = (1n << 64n) - 1n;

function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [s, z ^ (z >> 31n)];
}

function fnv1a64(bytes: Uint8Array, h = 0xcbf29ce484222325n): bigint {
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK64;
  return h;
}

const utf8 = new TextEncoder();

function keyOf(seed: number | string | bigint): bigint {
  if (typeof seed === 'string') return fnv1a64(utf8.encode(seed));
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be a safe integer or a string, got ${seed}`);
  return BigInt.asUintN(64, BigInt(seed));
}

function keyBytes(key: bigint): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < 8; i++) b[i] = Number((key >> BigInt(8 * i)) & 0xffn);
  return b;
}

const TWO_M32 = 2 ** -32;
const TWO_M53 = 2 ** -53;

// log(k!) for k < 256 by summation (deterministic), Stirling series above.
const LOG_FACT = (() => {
  const t = new Float64Array(256);
  for (let k = 1; k < 256; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(k!) for integer k ≥ 0. */
export function logFactorial(k: number): number {
  if (k < 256) return LOG_FACT[k];
  const x = k + 1; // log Γ(x)
  const x2 = 1 / (x * x);
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI
    + (1 / x) * (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 / 1680)));
}

export type Seed = number | string | bigint;

/**
 * Where a stream stands: its four state words (signed 32-bit integers) and the cached second normal of
 * Marsaglia's pair. `setState(getState())` on a stream of the same seed continues it draw for draw.
 */
export interface RngState { words: [number, number, number, number]; spare: number; hasSpare: boolean }

export class Rng {
  /** The 64-bit key this stream was seeded from (after reducing number/string seeds). */
  readonly key: bigint;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: Seed) {
    this.key = keyOf(seed);
    const [st, a] = splitmix64(this.key);
    const [, b] = splitmix64(st);
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /**
   * An independent child stream determined by this stream's seed key and `label` only (not by how
   * many numbers have been drawn). Use distinct labels for distinct purposes, e.g. `fork('noise:dose=1e4')`.
   */
  fork(label: string | number): Rng {
    const bytes = utf8.encode(String(label));
    let h = fnv1a64(keyBytes(this.key));
    h = fnv1a64(Uint8Array.of(0xff), h); // separator: parent key | 0xff | label
    h = fnv1a64(bytes, h);
    return new Rng(h);
  }

  /** Where this stream stands (a copy): see RngState. */
  getState(): RngState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spare: this.spare, hasSpare: this.hasSpare };
  }

  /** Continues from `state` (getState's): the next draws are those the stream it came from would have made. */
  setState(state: RngState): void {
    const w = state.words;
    if (!Array.isArray(w) || w.length !== 4 || !w.every((v) => Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
      throw new RangeError(`Rng.setState: words must be four signed 32-bit integers, got ${JSON.stringify(w)}`);
    }
    if ((w[0] | w[1] | w[2] | w[3]) === 0) throw new RangeError('Rng.setState: the all-zero state is a fixed point');
    if (typeof state.hasSpare !== 'boolean' || !Number.isFinite(state.spare)) throw new RangeError('Rng.setState: spare must be finite and hasSpare a boolean');
    [this.s0, this.s1, this.s2, this.s3] = w;
    this.spare = state.spare;
    this.hasSpare = state.hasSpare;
  }

  /** Next 32-bit output as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (uses two 32-bit outputs). */
  uniform(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6; // 27 + 26 bits
    return (a * 67108864 + b) * TWO_M53;
  }

  /** Uniform double in [0, 1) with 32 random bits (one output): faster, coarser. */
  uniform32(): number {
    return this.nextU32() * TWO_M32;
  }

  /** Uniform double in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Unbiased integer in [0, n) for 1 ≤ n ≤ 2^32 (rejection of the short top range). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new RangeError(`Rng.below: n must be an integer in [1, 2^32], got ${n}`);
    const threshold = (4294967296 - n) % n; // = 2^32 mod n
    for (;;) {
      const r = this.nextU32();
      if (r >= threshold) return r % n;
    }
  }

  /** Standard normal N(0, 1) by Marsaglia's polar method. */
  normal(): number {
    if (this.hasSpare) { this.hasSpare = false; return this.spare; }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /** Exact Poisson(λ) sample for finite λ ≥ 0. */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`Rng.poisson: λ must be finite and ≥ 0, got ${lambda}`);
    if (lambda === 0) return 0;
    return lambda < 10 ? this.poissonInversion(lambda) : this.poissonPtrs(lambda);
  }

  private poissonInversion(lambda: number): number {
    const p0 = Math.exp(-lambda);
    for (;;) {
      const u = this.uniform();
      let k = 0, p = p0, cdf = p0;
      // For λ < 10 the tail beyond k = 200 is far below 2^-53; stopping there only guards against a
      // u that rounding left above the computed cdf (then draw again, which keeps the sampler exact).
      while (u >= cdf && k < 200) {
        k++;
        p *= lambda / k;
        cdf += p;
      }
      if (u < cdf) return k;
    }
  }

  /** PTRS (Hörmann 1993, "The transformed rejection method for generating Poisson random variables"). */
  private poissonPtrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    const logInvAlpha = Math.log(invalpha);
    for (;;) {
      const U = this.uniform() - 0.5;
      const V = this.uniform();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor((2 * a / us + b) * U + lambda + 0.43);
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      if (Math.log(V) + logInvAlpha - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }

  /** A uniformly random permutation of 0 … n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`Rng.permutation: bad n ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Shuffles `a` in place (Fisher–Yates, from the end) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  /** Fills `out` with standard normals. */
  fillNormal<T extends Float64Array | Float32Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fills `out` with uniforms in [0, 1). */
  fillUniform<T extends Float64Array | Float32Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
