// AssemblyScript WASM-SIMD kernel for the batched 2-D complex FFT (complex128, one complex per f64x2).
// Compiled by scripts/build-wasm.mjs to dist/wasm/fft.wasm; driven by src/math/fft-wasm.ts, which owns
// the memory layout (tables and data are written by JS; this file only computes).
//
// Same algorithm as src/math/fft-ts.ts: base-2 bit reversal by a swap list, an optional first radix-2
// stage, then radix-4 decimation-in-time stages. Twiddle table per 1-D plan, per stage with quarter
// length L, per k < L: six v128 = (w1r, w1r), (−w1i, w1i), (w2r, w2r), (−w2i, w2i), (w3r, w3r), (−w3i, w3i),
// so a complex product is x·wr + swap(x)·wi (2 mul, 1 add, 1 shuffle).
// `sg` is +1 for forward (multiply by −i in the butterfly) and −1 for inverse (+i).

import { stockhamPass } from './shared/stockham';

/** First free byte after the module's static data; JS lays out its tables from here. */
export function heapBase(): usize {
  return __heap_base;
}

// @ts-ignore: decorator
@inline function cmul(x: v128, wr: v128, wi: v128): v128 {
  return f64x2.add(f64x2.mul(x, wr), f64x2.mul(f64x2.shuffle(x, x, 1, 0), wi));
}

/** 1-D FFT of `nrows` contiguous rows of n complexes each, starting at byte address `data`. */
export function rows(data: usize, nrows: i32, n: i32, swaps: usize, nsw: i32, tw: usize, r2: i32, sg: f64): void {
  const jm = f64x2(sg, -sg);
  const rowBytes = (<usize>n) << 4;
  for (let r = 0; r < nrows; r++) {
    const base = data + <usize>r * rowBytes;
    const end = base + rowBytes;
    for (let s = 0; s < nsw; s++) {
      const i = base + ((<usize>load<i32>(swaps + (<usize>s << 3))) << 4);
      const j = base + ((<usize>load<i32>(swaps + (<usize>s << 3) + 4)) << 4);
      const a = v128.load(i);
      v128.store(i, v128.load(j));
      v128.store(j, a);
    }
    let L: i32 = 1;
    if (r2) {
      for (let p = base; p < end; p += 32) {
        const a = v128.load(p), b = v128.load(p, 16);
        v128.store(p, f64x2.add(a, b));
        v128.store(p, f64x2.sub(a, b), 16);
      }
      L = 2;
    }
    let twp = tw;
    while (L < n) {
      const q = (<usize>L) << 4;
      const gstep = q << 2;
      // k = 0: trivial twiddles
      for (let g = base; g < end; g += gstep) {
        const a0 = v128.load(g), a2 = v128.load(g + q), a1 = v128.load(g + 2 * q), a3 = v128.load(g + 3 * q);
        const t0 = f64x2.add(a0, a2), t1 = f64x2.sub(a0, a2);
        const t2 = f64x2.add(a1, a3), d = f64x2.sub(a1, a3);
        const t3 = f64x2.mul(f64x2.shuffle(d, d, 1, 0), jm);
        v128.store(g, f64x2.add(t0, t2));
        v128.store(g + q, f64x2.add(t1, t3));
        v128.store(g + 2 * q, f64x2.sub(t0, t2));
        v128.store(g + 3 * q, f64x2.sub(t1, t3));
      }
      for (let k: i32 = 1; k < L; k++) {
        const t = twp + (<usize>k) * 96;
        const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
        const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
        for (let g = base + ((<usize>k) << 4); g < end; g += gstep) {
          const a0 = v128.load(g);
          const a2 = cmul(v128.load(g + q), w2r, w2i);
          const a1 = cmul(v128.load(g + 2 * q), w1r, w1i);
          const a3 = cmul(v128.load(g + 3 * q), w3r, w3i);
          const t0 = f64x2.add(a0, a2), t1 = f64x2.sub(a0, a2);
          const t2 = f64x2.add(a1, a3), d = f64x2.sub(a1, a3);
          const t3 = f64x2.mul(f64x2.shuffle(d, d, 1, 0), jm);
          v128.store(g, f64x2.add(t0, t2));
          v128.store(g + q, f64x2.add(t1, t3));
          v128.store(g + 2 * q, f64x2.sub(t0, t2));
          v128.store(g + 3 * q, f64x2.sub(t1, t3));
        }
      }
      twp += (<usize>L) * 96;
      L <<= 2;
    }
  }
}

/** 1-D FFT along the slow axis of an n×w block at `data` (all w columns together, whole rows as units). */
export function cols(data: usize, n: i32, w: i32, swaps: usize, nsw: i32, tw: usize, r2: i32, sg: f64): void {
  const jm = f64x2(sg, -sg);
  const rb = (<usize>w) << 4; // bytes per row
  for (let s = 0; s < nsw; s++) {
    const i = data + (<usize>load<i32>(swaps + (<usize>s << 3))) * rb;
    const j = data + (<usize>load<i32>(swaps + (<usize>s << 3) + 4)) * rb;
    for (let c: usize = 0; c < rb; c += 16) {
      const a = v128.load(i + c);
      v128.store(i + c, v128.load(j + c));
      v128.store(j + c, a);
    }
  }
  let L: i32 = 1;
  if (r2) {
    for (let r: i32 = 0; r < n; r += 2) {
      const p0 = data + <usize>r * rb, p1 = p0 + rb;
      for (let c: usize = 0; c < rb; c += 16) {
        const a = v128.load(p0 + c), b = v128.load(p1 + c);
        v128.store(p0 + c, f64x2.add(a, b));
        v128.store(p1 + c, f64x2.sub(a, b));
      }
    }
    L = 2;
  }
  let twp = tw;
  while (L < n) {
    const q = (<usize>L) * rb;
    for (let g: i32 = 0; g < n; g += L << 2) {
      for (let k: i32 = 0; k < L; k++) {
        const r0 = data + (<usize>(g + k)) * rb;
        const r1 = r0 + q, r2p = r1 + q, r3 = r2p + q;
        if (k == 0) {
          for (let c: usize = 0; c < rb; c += 16) {
            const a0 = v128.load(r0 + c), a2 = v128.load(r1 + c), a1 = v128.load(r2p + c), a3 = v128.load(r3 + c);
            const t0 = f64x2.add(a0, a2), t1 = f64x2.sub(a0, a2);
            const t2 = f64x2.add(a1, a3), d = f64x2.sub(a1, a3);
            const t3 = f64x2.mul(f64x2.shuffle(d, d, 1, 0), jm);
            v128.store(r0 + c, f64x2.add(t0, t2));
            v128.store(r1 + c, f64x2.add(t1, t3));
            v128.store(r2p + c, f64x2.sub(t0, t2));
            v128.store(r3 + c, f64x2.sub(t1, t3));
          }
        } else {
          const t = twp + (<usize>k) * 96;
          const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
          const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
          for (let c: usize = 0; c < rb; c += 16) {
            const a0 = v128.load(r0 + c);
            const a2 = cmul(v128.load(r1 + c), w2r, w2i);
            const a1 = cmul(v128.load(r2p + c), w1r, w1i);
            const a3 = cmul(v128.load(r3 + c), w3r, w3i);
            const t0 = f64x2.add(a0, a2), t1 = f64x2.sub(a0, a2);
            const t2 = f64x2.add(a1, a3), d = f64x2.sub(a1, a3);
            const t3 = f64x2.mul(f64x2.shuffle(d, d, 1, 0), jm);
            v128.store(r0 + c, f64x2.add(t0, t2));
            v128.store(r1 + c, f64x2.add(t1, t3));
            v128.store(r2p + c, f64x2.sub(t0, t2));
            v128.store(r3 + c, f64x2.sub(t1, t3));
          }
        }
      }
    }
    twp += (<usize>L) * 96;
    L <<= 2;
  }
}

/** Multiplies `nd` doubles at `data` by `s` (nd even). */
export function scale(data: usize, nd: i32, s: f64): void {
  const v = f64x2.splat(s);
  const end = data + ((<usize>nd) << 3);
  for (let p = data; p < end; p += 16) v128.store(p, f64x2.mul(v128.load(p), v));
}

/**
 * `count` h×w images at `data`: rows (plan R) then columns (plan C), then 1/(h·w) if `sc` ≠ 1.
 * Plans: swap list address and pair count, twiddle address, radix-2-first flag.
 */
export function fft2(data: usize, count: i32, h: i32, w: i32,
  swR: usize, nswR: i32, twR: usize, r2R: i32,
  swC: usize, nswC: i32, twC: usize, r2C: i32, sg: f64, sc: f64): void {
  const img = (<usize>h * <usize>w) << 4;
  for (let b = 0; b < count; b++) {
    const p = data + <usize>b * img;
    rows(p, h, w, swR, nswR, twR, r2R, sg);
    cols(p, h, w, swC, nswC, twC, r2C, sg);
    if (sc != 1.0) scale(p, h * w * 2, sc);
  }
}

// ---------------------------------------------------------------------------------------------------
// Mixed radix (complex128) for lengths n = 2^a·3^b·5^c·7^d·11^e·13^f that are not powers of two: Stockham autosort.
//
// Why Stockham: a mixed-radix DIT in place needs a digit-reversal permutation first, which (unlike the
// base-2 bit reversal) is not a set of swaps but a gather into another buffer — and with that buffer
// at hand, Stockham's ping-pong between the data and a work area sorts the output as it goes, with
// every stage reading and writing contiguous runs. Stage t with sub-transform length L before it and
// radix p (L' = L·p, M' = n/L'): element k·M + c·M' + a' (M = p·M', c < p, k < L, a' < M') is
// multiplied by w^{c·k} (w = e^{∓2πi/L'}), the p-point DFT over c is taken, and output d goes to
// k·M' + d·L·M' + a'. Initially L = 1 (natural input), finally M' = 1 (natural output). For a fixed
// k the a' run is contiguous, so each stage is a loop over contiguous bytes with one twiddle set.
// Rows: each row ping-pongs with a one-row work line (stays in L1); columns: the image ping-pongs with
// a work image, whole rows as elements; a result left in the work area is copied back.
//
// Stage descriptors (four i32 each): radix p, L, twiddle byte address, and for p = 11, 13 the address
// of the butterfly's cos/sin table (else 0). Twiddles per k < L, per c = 1 … p − 1: (wr, wr), (−wi, wi)
// of w^{c·k} (32 bytes), as in the radix-4 tables above.
// The radix-2/3/4/5/7 stages and the generic odd-prime one (11, 13) are assembly/shared/stockham.ts, written once for f64x2 and f32x4 and
// compiled for each (stockhamPass<f64> here, stockhamPass<f32> for complex64 below).
// ---------------------------------------------------------------------------------------------------

/**
 * `count` h×w images at `data` (sides 2^a·3^b·5^c·7^d·11^e·13^f): rows (descriptors stR, nR) then columns (stC, nC),
 * then 1/(h·w) if `sc` ≠ 1. `work`: 16·w·(h + 1) bytes (a work image and a work line).
 */
export function fft2mix(data: usize, count: i32, h: i32, w: i32, stR: usize, nR: i32, stC: usize, nC: i32,
  work: usize, sg: f64, sc: f64): void {
  const rowBytes = (<usize>w) << 4;
  const img = <usize>h * rowBytes;
  const line = work + img;
  for (let b = 0; b < count; b++) {
    const p = data + <usize>b * img;
    for (let r: i32 = 0; r < h; r++) {
      const row = p + <usize>r * rowBytes;
      const res = stockhamPass<f64>(row, line, w, 16, stR, nR, sg);
      if (res != row) memory.copy(row, res, rowBytes);
    }
    const res = stockhamPass<f64>(p, work, h, rowBytes, stC, nC, sg);
    if (res != p) memory.copy(p, res, img);
    if (sc != 1.0) scale(p, h * w * 2, sc);
  }
}

// ---------------------------------------------------------------------------------------------------
// complex64 (float32) kernel: two complexes per f32x4 (re0, im0, re1, im1).
//
// Column pass: the same butterflies as above with whole rows as the unit, two columns per vector
// (width must be even), twiddles splatted to both complexes: per stage with quarter length L, per
// k < L, six v128 = (w1r ×4), (−w1i, w1i, −w1i, w1i), (w2r ×4), (…), (w3r ×4), (…).
// Row pass: stages with L ≥ 2 handle two consecutive k at once, twiddles paired: per stage, per
// pair j < L/2, six v128 = (w1r_k, w1r_k, w1r_k+1, w1r_k+1), (−w1i_k, w1i_k, −w1i_k+1, w1i_k+1), …
// (k = 2j); the first stage (radix 2, or radix 4 with L = 1) works inside a vector by shuffles and
// has no table entry. Bit reversal swaps single complexes (8 bytes) in rows, whole rows in columns.
// ---------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function cmul32(x: v128, wr: v128, wi: v128): v128 {
  return f32x4.add(f32x4.mul(x, wr), f32x4.mul(v128.shuffle<f32>(x, x, 1, 0, 3, 2), wi));
}

/**
 * Rows per block of the complex64 row passes: a block's rows go through every stage together, so
 * each stage's twiddles are loaded once per block instead of once per row, and the block (≈ 8 KiB)
 * stays in L1 from stage to stage. The arithmetic of each row is the same as row by row.
 */
// @ts-ignore: decorator
@inline function blockRows(rowBytes: usize): i32 { return max(1, <i32>(<usize>8192 / rowBytes)); }

/** 1-D complex64 FFT of `nrows` contiguous rows of n complexes (n a power of two) at `data`. */
export function rows32(data: usize, nrows: i32, n: i32, swaps: usize, nsw: i32, tw: usize, r2: i32, sg: f32): void {
  const jm = f32x4(sg, -sg, sg, -sg);
  const jm2 = f32x4(1, 1, sg, -sg);
  const pm = f32x4(1, 1, -1, -1);
  const rowBytes = (<usize>n) << 3;
  const rb = blockRows(rowBytes);
  for (let r0 = 0; r0 < nrows; r0 += rb) {
    const base = data + <usize>r0 * rowBytes;
    const end = base + <usize>min(rb, nrows - r0) * rowBytes;
    for (let row = base; row < end; row += rowBytes) {
      for (let s = 0; s < nsw; s++) {
        const i = row + ((<usize>load<i32>(swaps + (<usize>s << 3))) << 3);
        const j = row + ((<usize>load<i32>(swaps + (<usize>s << 3) + 4)) << 3);
        const a = load<u64>(i);
        store<u64>(i, load<u64>(j));
        store<u64>(j, a);
      }
    }
    let L: i32 = 1;
    let twp = tw;
    if (r2 && n >= 8) {
      // The radix-2 stage and the radix-4 stage with L = 2 in one pass over groups of 8 complexes.
      const w1r = v128.load(tw), w1i = v128.load(tw, 16), w2r = v128.load(tw, 32), w2i = v128.load(tw, 48);
      const w3r = v128.load(tw, 64), w3i = v128.load(tw, 80);
      for (let g = base; g < end; g += 64) {
        let v = v128.load(g);
        const a0 = f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm));
        v = v128.load(g, 16);
        const a2 = cmul32(f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)), w2r, w2i);
        v = v128.load(g, 32);
        const a1 = cmul32(f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)), w1r, w1i);
        v = v128.load(g, 48);
        const a3 = cmul32(f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)), w3r, w3i);
        const t0 = f32x4.add(a0, a2), t1 = f32x4.sub(a0, a2);
        const t2 = f32x4.add(a1, a3), d = f32x4.sub(a1, a3);
        const t3 = f32x4.mul(v128.shuffle<f32>(d, d, 1, 0, 3, 2), jm);
        v128.store(g, f32x4.add(t0, t2));
        v128.store(g, f32x4.add(t1, t3), 16);
        v128.store(g, f32x4.sub(t0, t2), 32);
        v128.store(g, f32x4.sub(t1, t3), 48);
      }
      L = 8;
      twp += 96;
    } else if (r2) {
      // (c0, c1) → (c0 + c1, c0 − c1)
      for (let p = base; p < end; p += 16) {
        const v = v128.load(p);
        const a = v128.shuffle<f32>(v, v, 0, 1, 0, 1), b = v128.shuffle<f32>(v, v, 2, 3, 2, 3);
        v128.store(p, f32x4.add(a, f32x4.mul(b, pm)));
      }
      L = 2;
    } else if (n >= 4) {
      // Radix 4 with L = 1 on c0..c3 (c1 holds x[4m+2]'s block, c2 x[4m+1]'s): trivial twiddles.
      for (let g = base; g < end; g += 32) {
        const v0 = v128.load(g), v1 = v128.load(g, 16);
        const u = v128.shuffle<f32>(v0, v1, 0, 1, 4, 5); // c0, c2
        const w = v128.shuffle<f32>(v0, v1, 2, 3, 6, 7); // c1, c3
        const p = f32x4.add(u, w);                        // t0, t2
        const m = f32x4.sub(u, w);                        // t1, d
        const m2 = f32x4.mul(v128.shuffle<f32>(m, m, 0, 1, 3, 2), jm2); // t1, t3 = d·(∓i)
        const A = v128.shuffle<f32>(p, m2, 0, 1, 4, 5);  // t0, t1
        const B = v128.shuffle<f32>(p, m2, 2, 3, 6, 7);  // t2, t3
        v128.store(g, f32x4.add(A, B));
        v128.store(g, f32x4.sub(A, B), 16);
      }
      L = 4;
    }
    while (L < n) {
      const q = (<usize>L) << 3;
      const gstep = q << 2;
      const pairs = L >> 1;
      for (let j: i32 = 0; j < pairs; j++) {
        const t = twp + (<usize>j) * 96;
        const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
        const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
        for (let g = base + ((<usize>j) << 4); g < end; g += gstep) {
          const a0 = v128.load(g);
          const a2 = cmul32(v128.load(g + q), w2r, w2i);
          const a1 = cmul32(v128.load(g + 2 * q), w1r, w1i);
          const a3 = cmul32(v128.load(g + 3 * q), w3r, w3i);
          const t0 = f32x4.add(a0, a2), t1 = f32x4.sub(a0, a2);
          const t2 = f32x4.add(a1, a3), d = f32x4.sub(a1, a3);
          const t3 = f32x4.mul(v128.shuffle<f32>(d, d, 1, 0, 3, 2), jm);
          v128.store(g, f32x4.add(t0, t2));
          v128.store(g + q, f32x4.add(t1, t3));
          v128.store(g + 2 * q, f32x4.sub(t0, t2));
          v128.store(g + 3 * q, f32x4.sub(t1, t3));
        }
      }
      twp += (<usize>pairs) * 96;
      L <<= 2;
    }
  }
}

/** 1-D complex64 FFT along the slow axis of an n×w block at `data` (w even; two columns per vector). */
export function cols32(data: usize, n: i32, w: i32, swaps: usize, nsw: i32, tw: usize, r2: i32, sg: f32): void {
  const jm = f32x4(sg, -sg, sg, -sg);
  const rb = (<usize>w) << 3; // bytes per row
  for (let s = 0; s < nsw; s++) {
    const i = data + (<usize>load<i32>(swaps + (<usize>s << 3))) * rb;
    const j = data + (<usize>load<i32>(swaps + (<usize>s << 3) + 4)) * rb;
    for (let c: usize = 0; c < rb; c += 16) {
      const a = v128.load(i + c);
      v128.store(i + c, v128.load(j + c));
      v128.store(j + c, a);
    }
  }
  let L: i32 = 1;
  let twp = tw;
  if (r2 && n >= 8) {
    // The radix-2 stage and the radix-4 stage with L = 2 in one pass over groups of 8 rows.
    const t = tw + 96; // stage L = 2, k = 1 (k = 0 is trivial)
    const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
    for (let g: i32 = 0; g < n; g += 8) {
      const p = data + (<usize>g) * rb;
      for (let c: usize = 0; c < rb; c += 16) {
        const x0 = v128.load(p + c), x1 = v128.load(p + rb + c), x2 = v128.load(p + 2 * rb + c), x3 = v128.load(p + 3 * rb + c);
        const x4 = v128.load(p + 4 * rb + c), x5 = v128.load(p + 5 * rb + c), x6 = v128.load(p + 6 * rb + c), x7 = v128.load(p + 7 * rb + c);
        // k = 0 on rows 0, 2, 4, 6 (radix-2 sums), blocks 0..3 hold rows 0, 2, 4, 6
        let a0 = f32x4.add(x0, x1), a2 = f32x4.add(x2, x3), a1 = f32x4.add(x4, x5), a3 = f32x4.add(x6, x7);
        let t0 = f32x4.add(a0, a2), t1 = f32x4.sub(a0, a2);
        let t2 = f32x4.add(a1, a3), d = f32x4.sub(a1, a3);
        let t3 = f32x4.mul(v128.shuffle<f32>(d, d, 1, 0, 3, 2), jm);
        v128.store(p + c, f32x4.add(t0, t2));
        v128.store(p + 2 * rb + c, f32x4.add(t1, t3));
        v128.store(p + 4 * rb + c, f32x4.sub(t0, t2));
        v128.store(p + 6 * rb + c, f32x4.sub(t1, t3));
        // k = 1 on rows 1, 3, 5, 7 (radix-2 differences)
        a0 = f32x4.sub(x0, x1);
        a2 = cmul32(f32x4.sub(x2, x3), w2r, w2i);
        a1 = cmul32(f32x4.sub(x4, x5), w1r, w1i);
        a3 = cmul32(f32x4.sub(x6, x7), w3r, w3i);
        t0 = f32x4.add(a0, a2); t1 = f32x4.sub(a0, a2);
        t2 = f32x4.add(a1, a3); d = f32x4.sub(a1, a3);
        t3 = f32x4.mul(v128.shuffle<f32>(d, d, 1, 0, 3, 2), jm);
        v128.store(p + rb + c, f32x4.add(t0, t2));
        v128.store(p + 3 * rb + c, f32x4.add(t1, t3));
        v128.store(p + 5 * rb + c, f32x4.sub(t0, t2));
        v128.store(p + 7 * rb + c, f32x4.sub(t1, t3));
      }
    }
    L = 8;
    twp += 2 * 96;
  } else if (r2) {
    for (let r: i32 = 0; r < n; r += 2) {
      const p0 = data + <usize>r * rb, p1 = p0 + rb;
      for (let c: usize = 0; c < rb; c += 16) {
        const a = v128.load(p0 + c), b = v128.load(p1 + c);
        v128.store(p0 + c, f32x4.add(a, b));
        v128.store(p1 + c, f32x4.sub(a, b));
      }
    }
    L = 2;
  }
  while (L < n) {
    const q = (<usize>L) * rb;
    for (let g: i32 = 0; g < n; g += L << 2) {
      for (let k: i32 = 0; k < L; k++) {
        const r0 = data + (<usize>(g + k)) * rb;
        const r1 = r0 + q, r2p = r1 + q, r3 = r2p + q;
        if (k == 0) {
          for (let c: usize = 0; c < rb; c += 16) {
            const a0 = v128.load(r0 + c), a2 = v128.load(r1 + c), a1 = v128.load(r2p + c), a3 = v128.load(r3 + c);
            const t0 = f32x4.add(a0, a2), t1 = f32x4.sub(a0, a2);
            const t2 = f32x4.add(a1, a3), d = f32x4.sub(a1, a3);
            const t3 = f32x4.mul(v128.shuffle<f32>(d, d, 1, 0, 3, 2), jm);
            v128.store(r0 + c, f32x4.add(t0, t2));
            v128.store(r1 + c, f32x4.add(t1, t3));
            v128.store(r2p + c, f32x4.sub(t0, t2));
            v128.store(r3 + c, f32x4.sub(t1, t3));
          }
        } else {
          const t = twp + (<usize>k) * 96;
          const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
          const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
          for (let c: usize = 0; c < rb; c += 16) {
            const a0 = v128.load(r0 + c);
            const a2 = cmul32(v128.load(r1 + c), w2r, w2i);
            const a1 = cmul32(v128.load(r2p + c), w1r, w1i);
            const a3 = cmul32(v128.load(r3 + c), w3r, w3i);
            const t0 = f32x4.add(a0, a2), t1 = f32x4.sub(a0, a2);
            const t2 = f32x4.add(a1, a3), d = f32x4.sub(a1, a3);
            const t3 = f32x4.mul(v128.shuffle<f32>(d, d, 1, 0, 3, 2), jm);
            v128.store(r0 + c, f32x4.add(t0, t2));
            v128.store(r1 + c, f32x4.add(t1, t3));
            v128.store(r2p + c, f32x4.sub(t0, t2));
            v128.store(r3 + c, f32x4.sub(t1, t3));
          }
        }
      }
    }
    twp += (<usize>L) * 96;
    L <<= 2;
  }
}

/** Multiplies `nf` floats at `data` by `s` (nf a multiple of 4). */
export function scale32(data: usize, nf: i32, s: f32): void {
  const v = f32x4.splat(s);
  const end = data + ((<usize>nf) << 2);
  for (let p = data; p < end; p += 16) v128.store(p, f32x4.mul(v128.load(p), v));
}

/**
 * `count` complex64 h×w images at `data` (w even, w ≥ 2): rows (plan R, paired twiddles) then
 * columns (plan C, splatted twiddles), then 1/(h·w) if `sc` ≠ 1.
 */
export function fft2_32(data: usize, count: i32, h: i32, w: i32,
  swR: usize, nswR: i32, twR: usize, r2R: i32,
  swC: usize, nswC: i32, twC: usize, r2C: i32, sg: f32, sc: f32): void {
  const img = (<usize>h * <usize>w) << 3;
  for (let b = 0; b < count; b++) {
    const p = data + <usize>b * img;
    rows32(p, h, w, swR, nswR, twR, r2R, sg);
    cols32(p, h, w, swC, nswC, twC, r2C, sg);
    if (sc != 1.0) scale32(p, h * w * 2, sc);
  }
}

/**
 * Inverse complex64 FFTs of `count` h×w images `step` bytes apart, spectra in bit-reversed order (no
 * input permutation) and no 1/(h·w) (a caller that folded it into an earlier product): as fft2_32 with
 * nsw = 0 and sc = 1 on each image, in one call.
 */
export function ifft2_32Strided(data: usize, step: usize, count: i32, h: i32, w: i32, swR: usize, twR: usize, r2R: i32,
  swC: usize, twC: usize, r2C: i32): void {
  for (let b = 0; b < count; b++) {
    const p = data + <usize>b * step;
    rows32(p, h, w, swR, 0, twR, r2R, -1);
    cols32(p, h, w, swC, 0, twC, r2C, -1);
  }
}

// ---------------------------------------------------------------------------------------------------
// Mixed radix (complex64) for sides 2^a·3^b·5^c·7^d·11^e·13^f with an even width: the Stockham stages above on
// f32x4, two complexes per vector, twiddles splatted to both: per k < L, per c = 1 … p − 1,
// (wr ×4), (−wi, wi, −wi, wi) of w^{c·k} (32 bytes, the complex128 layout's size, so the same strides).
// Columns: two neighbouring columns per vector, whole rows as the unit (w even). Rows: a Stockham
// stage's last runs are one complex long, so rows go two at a time, interleaved into a work line
// (row r's complex j and row r + 1's in one vector), transformed there as one row of vectors and
// de-interleaved back; an odd last row is paired with zeros.
// ---------------------------------------------------------------------------------------------------

/**
 * `count` complex64 h×w images at `data` (sides 2^a·3^b·5^c·7^d·11^e·13^f, w even): rows two at a time (descriptors
 * stR, nR), then columns (stC, nC), then 1/(h·w) if `sc` ≠ 1. `work`: 8·w·(h + 4) bytes (a work image
 * and two work lines of two interleaved rows).
 */
export function fft2mix_32(data: usize, count: i32, h: i32, w: i32, stR: usize, nR: i32, stC: usize, nC: i32,
  work: usize, sg: f32, sc: f32): void {
  const rowBytes = (<usize>w) << 3;
  const img = <usize>h * rowBytes;
  const lineA = work + img, lineB = lineA + 2 * rowBytes;
  const zero = f32x4.splat(0);
  for (let b = 0; b < count; b++) {
    const p = data + <usize>b * img;
    for (let r: i32 = 0; r < h; r += 2) {
      const r0 = p + <usize>r * rowBytes, r1 = r0 + rowBytes;
      const two = r + 1 < h;
      // interleave: (row r complex j, row r + 1 complex j) per vector
      for (let j: usize = 0; j < rowBytes; j += 16) {
        const v0 = v128.load(r0 + j), v1 = two ? v128.load(r1 + j) : zero;
        v128.store(lineA + 2 * j, v128.shuffle<f32>(v0, v1, 0, 1, 4, 5));
        v128.store(lineA + 2 * j + 16, v128.shuffle<f32>(v0, v1, 2, 3, 6, 7));
      }
      const res = stockhamPass<f32>(lineA, lineB, w, 16, stR, nR, sg);
      for (let j: usize = 0; j < rowBytes; j += 16) {
        const a = v128.load(res + 2 * j), c = v128.load(res + 2 * j + 16);
        v128.store(r0 + j, v128.shuffle<f32>(a, c, 0, 1, 4, 5));
        if (two) v128.store(r1 + j, v128.shuffle<f32>(a, c, 2, 3, 6, 7));
      }
    }
    const res = stockhamPass<f32>(p, work, h, rowBytes, stC, nC, sg);
    if (res != p) memory.copy(p, res, img);
    if (sc != 1.0) scale32(p, h * w * 2, sc);
  }
}

// ---------------------------------------------------------------------------------------------------
// complex64 transforms without the bit-reversal permutation, for callers that keep spectra in
// bit-reversed order (both axes): `fft2dif_32` is the forward transform natural → bit-reversed
// (decimation in frequency: the transposed stages of the DIT algorithm above, in reverse order,
// twiddles applied after each butterfly); `fft2_32` with no swaps (nsw = 0) is the inverse
// bit-reversed → natural. The DFT matrix is symmetric, so DIF = (DIT stages)ᵀ: with the DIT butterfly
// out = B·diag(1, w2, w1, w3)·in, the DIF one is out = diag(1, w2, w1, w3)·Bᵀ·in.
// ---------------------------------------------------------------------------------------------------

/** Forward complex64 FFT of `nrows` rows of n complexes, natural in, bit-reversed out (no swaps). */
export function rows32dif(data: usize, nrows: i32, n: i32, tw: usize, r2: i32, sg: f32): void {
  const jm = f32x4(sg, -sg, sg, -sg);
  const jm2 = f32x4(1, 1, sg, -sg);
  const pm = f32x4(1, 1, -1, -1);
  const rowBytes = (<usize>n) << 3;
  // Stages of the DIT order: L0 = 2 (after a radix-2 stage) or 1, then ×4 while L < n.
  const L0: i32 = r2 ? 2 : 1;
  let Lmax: i32 = 0;
  let tabEnd: usize = tw;
  for (let L = L0; L < n; L <<= 2) { Lmax = L; if (L >= 2) tabEnd += (<usize>(L >> 1)) * 96; }
  const rb = blockRows(rowBytes);
  for (let r0 = 0; r0 < nrows; r0 += rb) {
    const base = data + <usize>r0 * rowBytes;
    const end = base + <usize>min(rb, nrows - r0) * rowBytes;
    let twEnd = tabEnd;
    // With a radix-2 stage and n ≥ 8 the last radix-4 stage (L = 2) is fused with it below.
    const Lstop: i32 = r2 && n >= 8 ? 8 : 2;
    for (let L = Lmax; L >= Lstop && L >= L0; L >>= 2) {
      const pairs = L >> 1;
      const twp = twEnd - (<usize>pairs) * 96;
      twEnd = twp;
      const q = (<usize>L) << 3;
      const gstep = q << 2;
      for (let j: i32 = 0; j < pairs; j++) {
        const t = twp + (<usize>j) * 96;
        const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
        const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
        for (let g = base + ((<usize>j) << 4); g < end; g += gstep) {
          const o0 = v128.load(g), o1 = v128.load(g + q), o2 = v128.load(g + 2 * q), o3 = v128.load(g + 3 * q);
          const s02 = f32x4.add(o0, o2), d02 = f32x4.sub(o0, o2);
          const s13 = f32x4.add(o1, o3), d13 = f32x4.sub(o1, o3);
          const jd = f32x4.mul(v128.shuffle<f32>(d13, d13, 1, 0, 3, 2), jm);
          v128.store(g, f32x4.add(s02, s13));
          v128.store(g + q, cmul32(f32x4.sub(s02, s13), w2r, w2i));
          v128.store(g + 2 * q, cmul32(f32x4.add(d02, jd), w1r, w1i));
          v128.store(g + 3 * q, cmul32(f32x4.sub(d02, jd), w3r, w3i));
        }
      }
    }
    if (r2 && n >= 8) {
      // Transposed radix-4 with L = 2 (twiddles: the table's first entry) and the radix-2 stage, fused.
      const w1r = v128.load(tw), w1i = v128.load(tw, 16), w2r = v128.load(tw, 32), w2i = v128.load(tw, 48);
      const w3r = v128.load(tw, 64), w3i = v128.load(tw, 80);
      for (let g = base; g < end; g += 64) {
        const o0 = v128.load(g), o1 = v128.load(g, 16), o2 = v128.load(g, 32), o3 = v128.load(g, 48);
        const s02 = f32x4.add(o0, o2), d02 = f32x4.sub(o0, o2);
        const s13 = f32x4.add(o1, o3), d13 = f32x4.sub(o1, o3);
        const jd = f32x4.mul(v128.shuffle<f32>(d13, d13, 1, 0, 3, 2), jm);
        let v = f32x4.add(s02, s13);
        v128.store(g, f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)));
        v = cmul32(f32x4.sub(s02, s13), w2r, w2i);
        v128.store(g, f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)), 16);
        v = cmul32(f32x4.add(d02, jd), w1r, w1i);
        v128.store(g, f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)), 32);
        v = cmul32(f32x4.sub(d02, jd), w3r, w3i);
        v128.store(g, f32x4.add(v128.shuffle<f32>(v, v, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(v, v, 2, 3, 2, 3), pm)), 48);
      }
    } else if (r2) {
      for (let p = base; p < end; p += 16) {
        const v = v128.load(p);
        const a = v128.shuffle<f32>(v, v, 0, 1, 0, 1), b = v128.shuffle<f32>(v, v, 2, 3, 2, 3);
        v128.store(p, f32x4.add(a, f32x4.mul(b, pm)));
      }
    } else if (n >= 4) {
      // Transposed radix-4 stage with L = 1 on c0..c3.
      for (let g = base; g < end; g += 32) {
        const v0 = v128.load(g), v1 = v128.load(g, 16);
        const s = f32x4.add(v0, v1); // s02, s13
        const d = f32x4.sub(v0, v1); // d02, d13
        const dd = f32x4.mul(v128.shuffle<f32>(d, d, 0, 1, 3, 2), jm2); // d02, j·d13
        // (s02 ± s13) and (d02 ± j·d13): one sum and one difference of the pairs, then regrouped.
        const A = v128.shuffle<f32>(s, dd, 0, 1, 4, 5), B = v128.shuffle<f32>(s, dd, 2, 3, 6, 7);
        const P = f32x4.add(A, B), Q = f32x4.sub(A, B);
        v128.store(g, v128.shuffle<f32>(P, Q, 0, 1, 4, 5));
        v128.store(g, v128.shuffle<f32>(P, Q, 2, 3, 6, 7), 16);
      }
    }
  }
}

/** Forward complex64 FFT along the slow axis of an n×w block, natural in, bit-reversed out (w even). */
export function cols32dif(data: usize, n: i32, w: i32, tw: usize, r2: i32, sg: f32): void {
  const jm = f32x4(sg, -sg, sg, -sg);
  const rb = (<usize>w) << 3;
  const L0: i32 = r2 ? 2 : 1;
  let Lmax: i32 = 0;
  let twEnd: usize = tw;
  for (let L = L0; L < n; L <<= 2) { Lmax = L; twEnd += (<usize>L) * 96; }
  // With a radix-2 stage and n ≥ 8 the last radix-4 stage (L = 2) is fused with it below.
  const Lstop: i32 = r2 && n >= 8 ? 8 : 1;
  for (let L = Lmax; L >= L0 && L >= Lstop; L >>= 2) {
    const twp = twEnd - (<usize>L) * 96;
    twEnd = twp;
    const q = (<usize>L) * rb;
    for (let g: i32 = 0; g < n; g += L << 2) {
      for (let k: i32 = 0; k < L; k++) {
        const r0 = data + (<usize>(g + k)) * rb;
        const r1 = r0 + q, r2p = r1 + q, r3 = r2p + q;
        if (k == 0) {
          for (let c: usize = 0; c < rb; c += 16) {
            const o0 = v128.load(r0 + c), o1 = v128.load(r1 + c), o2 = v128.load(r2p + c), o3 = v128.load(r3 + c);
            const s02 = f32x4.add(o0, o2), d02 = f32x4.sub(o0, o2);
            const s13 = f32x4.add(o1, o3), d13 = f32x4.sub(o1, o3);
            const jd = f32x4.mul(v128.shuffle<f32>(d13, d13, 1, 0, 3, 2), jm);
            v128.store(r0 + c, f32x4.add(s02, s13));
            v128.store(r1 + c, f32x4.sub(s02, s13));
            v128.store(r2p + c, f32x4.add(d02, jd));
            v128.store(r3 + c, f32x4.sub(d02, jd));
          }
        } else {
          const t = twp + (<usize>k) * 96;
          const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
          const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
          for (let c: usize = 0; c < rb; c += 16) {
            const o0 = v128.load(r0 + c), o1 = v128.load(r1 + c), o2 = v128.load(r2p + c), o3 = v128.load(r3 + c);
            const s02 = f32x4.add(o0, o2), d02 = f32x4.sub(o0, o2);
            const s13 = f32x4.add(o1, o3), d13 = f32x4.sub(o1, o3);
            const jd = f32x4.mul(v128.shuffle<f32>(d13, d13, 1, 0, 3, 2), jm);
            v128.store(r0 + c, f32x4.add(s02, s13));
            v128.store(r1 + c, cmul32(f32x4.sub(s02, s13), w2r, w2i));
            v128.store(r2p + c, cmul32(f32x4.add(d02, jd), w1r, w1i));
            v128.store(r3 + c, cmul32(f32x4.sub(d02, jd), w3r, w3i));
          }
        }
      }
    }
  }
  if (r2 && n >= 8) {
    // Transposed radix-4 with L = 2 (k = 0 trivial, k = 1 from the table's stage L = 2 at `tw`) and
    // the radix-2 stage, fused over groups of 8 rows.
    const t = tw + 96;
    const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
    for (let g: i32 = 0; g < n; g += 8) {
      const p = data + (<usize>g) * rb;
      for (let c: usize = 0; c < rb; c += 16) {
        // k = 0: rows 0, 2, 4, 6; k = 1: rows 1, 3, 5, 7 (then twiddled), blocks in that order.
        let o0 = v128.load(p + c), o1 = v128.load(p + 2 * rb + c), o2 = v128.load(p + 4 * rb + c), o3 = v128.load(p + 6 * rb + c);
        let s02 = f32x4.add(o0, o2), d02 = f32x4.sub(o0, o2);
        let s13 = f32x4.add(o1, o3), d13 = f32x4.sub(o1, o3);
        let jd = f32x4.mul(v128.shuffle<f32>(d13, d13, 1, 0, 3, 2), jm);
        const y0 = f32x4.add(s02, s13), y2 = f32x4.sub(s02, s13), y4 = f32x4.add(d02, jd), y6 = f32x4.sub(d02, jd);
        o0 = v128.load(p + rb + c); o1 = v128.load(p + 3 * rb + c); o2 = v128.load(p + 5 * rb + c); o3 = v128.load(p + 7 * rb + c);
        s02 = f32x4.add(o0, o2); d02 = f32x4.sub(o0, o2);
        s13 = f32x4.add(o1, o3); d13 = f32x4.sub(o1, o3);
        jd = f32x4.mul(v128.shuffle<f32>(d13, d13, 1, 0, 3, 2), jm);
        const y1 = f32x4.add(s02, s13);
        const y3 = cmul32(f32x4.sub(s02, s13), w2r, w2i);
        const y5 = cmul32(f32x4.add(d02, jd), w1r, w1i);
        const y7 = cmul32(f32x4.sub(d02, jd), w3r, w3i);
        // radix 2 on row pairs (0, 1), (2, 3), (4, 5), (6, 7)
        v128.store(p + c, f32x4.add(y0, y1)); v128.store(p + rb + c, f32x4.sub(y0, y1));
        v128.store(p + 2 * rb + c, f32x4.add(y2, y3)); v128.store(p + 3 * rb + c, f32x4.sub(y2, y3));
        v128.store(p + 4 * rb + c, f32x4.add(y4, y5)); v128.store(p + 5 * rb + c, f32x4.sub(y4, y5));
        v128.store(p + 6 * rb + c, f32x4.add(y6, y7)); v128.store(p + 7 * rb + c, f32x4.sub(y6, y7));
      }
    }
  } else if (r2) {
    for (let r: i32 = 0; r < n; r += 2) {
      const p0 = data + <usize>r * rb, p1 = p0 + rb;
      for (let c: usize = 0; c < rb; c += 16) {
        const a = v128.load(p0 + c), b = v128.load(p1 + c);
        v128.store(p0 + c, f32x4.add(a, b));
        v128.store(p1 + c, f32x4.sub(a, b));
      }
    }
  }
}

/**
 * `count` complex64 h×w images at `data`, forward, natural in, spectrum out in bit-reversed order on
 * both axes (rows with plan R's paired twiddles, columns with plan C's splatted ones). Unscaled.
 */
export function fft2dif_32(data: usize, count: i32, h: i32, w: i32, twR: usize, r2R: i32, twC: usize, r2C: i32, sg: f32): void {
  const img = (<usize>h * <usize>w) << 3;
  for (let b = 0; b < count; b++) {
    const p = data + <usize>b * img;
    rows32dif(p, h, w, twR, r2R, sg);
    cols32dif(p, h, w, twC, r2C, sg);
  }
}

/** Bit reversal of the low `bits` bits of x. */
// @ts-ignore: decorator
@inline function revBits(x: i32, bits: i32): i32 {
  let r = 0;
  for (let k = 0; k < bits; k++) { r = (r << 1) | (x & 1); x >>= 1; }
  return r;
}

/**
 * Copies `count` real float32 h×w images from `src` to `dst` (distinct) in bit-reversed order on
 * both axes: dst[rev(r)][rev(c)] = src[r][c]. Rows of w ≥ 16 go by 4×4 transposes: with c = 4·hi + lo,
 * rev(c) = rev2(lo)·w/4 + rev(hi), so four source vectors (hi = rev(C + t)) transposed give the
 * four output rows R = rev2(lane) at columns C…C+3.
 */
export function bitrevCopyReal32(dst: usize, src: usize, count: i32, h: i32, w: i32): void {
  const hb = 31 - clz(h), wb = 31 - clz(w);
  const rb = (<usize>w) << 2;
  const img = (<usize>h) * rb;
  const q = (<usize>w) >> 2; // floats per output quarter row
  for (let b = 0; b < count; b++) {
    const sp = src + <usize>b * img, dp = dst + <usize>b * img;
    for (let r = 0; r < h; r++) {
      const s = sp + (<usize>r) * rb, d = dp + (<usize>revBits(r, hb)) * rb;
      if (w >= 16) {
        const st = (<usize>(w >> 4)) << 4; // bytes between hi and hi + w/16
        for (let C = 0; C < (w >> 2); C += 4) {
          const h0 = s + ((<usize>revBits(C, wb - 2)) << 4);
          const v0 = v128.load(h0), v1 = v128.load(h0 + 2 * st), v2 = v128.load(h0 + st), v3 = v128.load(h0 + 3 * st);
          const a = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), bb = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
          const c = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), e = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
          const o = d + ((<usize>C) << 2);
          v128.store(o, v128.shuffle<f32>(a, c, 0, 1, 4, 5));              // lane 0 → row 0
          v128.store(o + 2 * (q << 2), v128.shuffle<f32>(a, c, 2, 3, 6, 7)); // lane 1 → row 2
          v128.store(o + (q << 2), v128.shuffle<f32>(bb, e, 0, 1, 4, 5));     // lane 2 → row 1
          v128.store(o + 3 * (q << 2), v128.shuffle<f32>(bb, e, 2, 3, 6, 7)); // lane 3 → row 3
        }
      } else {
        for (let c = 0; c < w; c++) store<f32>(d + ((<usize>revBits(c, wb)) << 2), load<f32>(s + ((<usize>c) << 2)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// complex64 transforms fused with the pointwise product that precedes them, row by row (the row is
// still in L1 when its transform runs): for the LSQML engine's bit-reversed spectra.
// ---------------------------------------------------------------------------------------------------

/**
 * dst = inverse FFT (bit-reversed input, no permutation, scaled by 1/(h·w)) of src·(ey ⊗ ex), with
 * ey the h complexes at `ramp` and ex the w complexes after them: the Fourier sub-pixel shift of a
 * spectrum held in bit-reversed order. One h×w image; w even; `sc` a power of two (1/(h·w)).
 */
export function ifftRamp32(dst: usize, src: usize, ramp: usize, h: i32, w: i32, swR: usize, twR: usize, r2R: i32,
  swC: usize, twC: usize, r2C: i32, sc: f32): void {
  const rb = (<usize>w) << 3;
  const ex = ramp + ((<usize>h) << 3);
  const sign = f32x4(-1, 1, -1, 1);
  // The 1/(h·w) rides on ey: a power of two, so every product is exact and the result equals the
  // transform scaled afterwards, bit for bit, without a pass of its own.
  const sv = f32x4.splat(sc);
  const nb = blockRows(rb);
  for (let u0: i32 = 0; u0 < h; u0 += nb) {
    const u1 = min(h, u0 + nb);
    for (let u: i32 = u0; u < u1; u++) {
      const y = f32x4.mul(v128.load64_splat(ramp + ((<usize>u) << 3)), sv);
      const yr = v128.shuffle<f32>(y, y, 0, 0, 2, 2), yi = v128.shuffle<f32>(y, y, 1, 1, 3, 3);
      const d = dst + (<usize>u) * rb, s = src + (<usize>u) * rb;
      for (let j: usize = 0; j < rb; j += 16) {
        const x = v128.load(ex + j);
        const xr = v128.shuffle<f32>(x, x, 0, 0, 2, 2), xi = v128.shuffle<f32>(x, x, 1, 1, 3, 3);
        const pr = f32x4.sub(f32x4.mul(yr, xr), f32x4.mul(yi, xi));
        const pi = f32x4.add(f32x4.mul(yr, xi), f32x4.mul(yi, xr));
        const a = v128.load(s + j);
        v128.store(d + j, f32x4.add(f32x4.mul(a, pr), f32x4.mul(f32x4.mul(v128.shuffle<f32>(a, a, 1, 0, 3, 2), pi), sign)));
      }
    }
    rows32(dst + (<usize>u0) * rb, u1 - u0, w, swR, 0, twR, r2R, -1);
  }
  cols32(dst, h, w, swC, 0, twC, r2C, -1);
}

/**
 * dst = forward FFT (natural input, bit-reversed output) of a·b: a's rows `aStride` bytes apart (an
 * object patch), b contiguous (the probe). h×w images, w even; `count` of them in one call (the same a,
 * dst and b advancing by dstStep and bStep bytes: an object patch times several probe modes).
 */
export function fftProductDif32(dst: usize, a: usize, aStride: usize, b: usize, h: i32, w: i32, twR: usize, r2R: i32,
  twC: usize, r2C: i32, count: i32, dstStep: usize, bStep: usize): void {
  for (let m: i32 = 0; m < count; m++) fftProductOne32(dst + (<usize>m) * dstStep, a, aStride, b + (<usize>m) * bStep, h, w, twR, r2R, twC, r2C);
}

// @ts-ignore: decorator
@inline function fftProductOne32(dst: usize, a: usize, aStride: usize, b: usize, h: i32, w: i32, twR: usize, r2R: i32,
  twC: usize, r2C: i32): void {
  const rb = (<usize>w) << 3;
  const sign = f32x4(-1, 1, -1, 1);
  const nb = blockRows(rb);
  for (let u0: i32 = 0; u0 < h; u0 += nb) {
    const u1 = min(h, u0 + nb);
    for (let u: i32 = u0; u < u1; u++) {
      const d = dst + (<usize>u) * rb, ar = a + (<usize>u) * aStride, br = b + (<usize>u) * rb;
      for (let j: usize = 0; j < rb; j += 16) {
        const x = v128.load(ar + j), y = v128.load(br + j);
        v128.store(d + j, f32x4.add(f32x4.mul(x, v128.shuffle<f32>(y, y, 0, 0, 2, 2)),
          f32x4.mul(f32x4.mul(v128.shuffle<f32>(x, x, 1, 0, 3, 2), v128.shuffle<f32>(y, y, 1, 1, 3, 3)), sign)));
      }
    }
    rows32dif(dst + (<usize>u0) * rb, u1 - u0, w, twR, r2R, 1);
  }
  cols32dif(dst, h, w, twC, r2C, 1);
}

// Row stage of the upsampled (matrix-multiply) DFT of image registration (src/metrics/registration.ts,
// `upsampledDft`): out[ky][u] = Σ_k K[k][u] · data[ky][k] for complex data (h×w, interleaved), a complex
// kernel given transposed as real and imaginary parts kr, ki ([w][size]), out h×size interleaved. Two
// grid points u per f64x2, eight per pass; each lane adds its terms in k order with the scalar code's operations
// (sr += cr·dr − ci·di, si += cr·di + ci·dr), so the sums are the same to the last bit.
export function upsampledDftRows(data: usize, h: i32, w: i32, kr: usize, ki: usize, size: i32, out: usize): void {
  const pairs = size & ~1;
  const octets = size & ~7;
  for (let ky = 0; ky < h; ky++) {
    const row = data + ((<usize>ky * <usize>w) << 4);
    const o = out + ((<usize>ky * <usize>size) << 4);
    // Eight grid points at a time: four independent sums per part, so that the additions of one do not wait
    // on those of another (each lane still adds its own terms in k order, as below).
    for (let u = 0; u < octets; u += 8) {
      let r0 = f64x2.splat(0), r1 = f64x2.splat(0), r2 = f64x2.splat(0), r3 = f64x2.splat(0);
      let i0 = f64x2.splat(0), i1 = f64x2.splat(0), i2 = f64x2.splat(0), i3 = f64x2.splat(0);
      for (let k = 0; k < w; k++) {
        const dr = f64x2.splat(load<f64>(row + (<usize>k << 4)));
        const di = f64x2.splat(load<f64>(row + (<usize>k << 4) + 8));
        const off = (<usize>k * <usize>size + <usize>u) << 3;
        const a = kr + off, b = ki + off;
        const c0 = v128.load(a), s0 = v128.load(b);
        const c1 = v128.load(a, 16), s1 = v128.load(b, 16);
        const c2 = v128.load(a, 32), s2 = v128.load(b, 32);
        const c3 = v128.load(a, 48), s3 = v128.load(b, 48);
        r0 = f64x2.add(r0, f64x2.sub(f64x2.mul(c0, dr), f64x2.mul(s0, di)));
        i0 = f64x2.add(i0, f64x2.add(f64x2.mul(c0, di), f64x2.mul(s0, dr)));
        r1 = f64x2.add(r1, f64x2.sub(f64x2.mul(c1, dr), f64x2.mul(s1, di)));
        i1 = f64x2.add(i1, f64x2.add(f64x2.mul(c1, di), f64x2.mul(s1, dr)));
        r2 = f64x2.add(r2, f64x2.sub(f64x2.mul(c2, dr), f64x2.mul(s2, di)));
        i2 = f64x2.add(i2, f64x2.add(f64x2.mul(c2, di), f64x2.mul(s2, dr)));
        r3 = f64x2.add(r3, f64x2.sub(f64x2.mul(c3, dr), f64x2.mul(s3, di)));
        i3 = f64x2.add(i3, f64x2.add(f64x2.mul(c3, di), f64x2.mul(s3, dr)));
      }
      const q = o + (<usize>u << 4);
      store<f64>(q, f64x2.extract_lane(r0, 0)); store<f64>(q, f64x2.extract_lane(i0, 0), 8);
      store<f64>(q, f64x2.extract_lane(r0, 1), 16); store<f64>(q, f64x2.extract_lane(i0, 1), 24);
      store<f64>(q, f64x2.extract_lane(r1, 0), 32); store<f64>(q, f64x2.extract_lane(i1, 0), 40);
      store<f64>(q, f64x2.extract_lane(r1, 1), 48); store<f64>(q, f64x2.extract_lane(i1, 1), 56);
      store<f64>(q, f64x2.extract_lane(r2, 0), 64); store<f64>(q, f64x2.extract_lane(i2, 0), 72);
      store<f64>(q, f64x2.extract_lane(r2, 1), 80); store<f64>(q, f64x2.extract_lane(i2, 1), 88);
      store<f64>(q, f64x2.extract_lane(r3, 0), 96); store<f64>(q, f64x2.extract_lane(i3, 0), 104);
      store<f64>(q, f64x2.extract_lane(r3, 1), 112); store<f64>(q, f64x2.extract_lane(i3, 1), 120);
    }
    for (let u = octets; u < pairs; u += 2) {
      let r = f64x2.splat(0), im = f64x2.splat(0);
      for (let k = 0; k < w; k++) {
        const dr = f64x2.splat(load<f64>(row + (<usize>k << 4)));
        const di = f64x2.splat(load<f64>(row + (<usize>k << 4) + 8));
        const off = (<usize>k * <usize>size + <usize>u) << 3;
        const cr = v128.load(kr + off), ci = v128.load(ki + off);
        r = f64x2.add(r, f64x2.sub(f64x2.mul(cr, dr), f64x2.mul(ci, di)));
        im = f64x2.add(im, f64x2.add(f64x2.mul(cr, di), f64x2.mul(ci, dr)));
      }
      store<f64>(o + (<usize>u << 4), f64x2.extract_lane(r, 0));
      store<f64>(o + (<usize>u << 4) + 8, f64x2.extract_lane(im, 0));
      store<f64>(o + (<usize>(u + 1) << 4), f64x2.extract_lane(r, 1));
      store<f64>(o + (<usize>(u + 1) << 4) + 8, f64x2.extract_lane(im, 1));
    }
    if (size & 1) {
      const u = size - 1;
      let sr: f64 = 0, si: f64 = 0;
      for (let k = 0; k < w; k++) {
        const dr = load<f64>(row + (<usize>k << 4)), di = load<f64>(row + (<usize>k << 4) + 8);
        const off = (<usize>k * <usize>size + <usize>u) << 3;
        const cr = load<f64>(kr + off), ci = load<f64>(ki + off);
        sr += cr * dr - ci * di;
        si += cr * di + ci * dr;
      }
      store<f64>(o + (<usize>u << 4), sr);
      store<f64>(o + (<usize>u << 4) + 8, si);
    }
  }
}
