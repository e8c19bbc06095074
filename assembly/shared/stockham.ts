/**
 * The mixed-radix (Stockham autosort) stages of assembly/fft.ts, written once for both lane types
 * (imported by assembly/fft.ts and compiled into it; this folder is not a module of its own). `T` is
 * f64 (complex128, one complex per f64x2) or f32 (complex64, two complexes per f32x4); each function
 * is compiled once per type, the lane shuffles and constants chosen at compile time: each type gets
 * the operations, in the order, of the copy that was once written out for it (docs/fft.md).
 *
 * Stage t with sub-transform length L before it and radix p (L' = L·p, M' = n/L'): element
 * k·M + c·M' + a' (M = p·M', c < p, k < L, a' < M') is multiplied by w^{c·k} (w = e^{∓2πi/L'}), the
 * p-point DFT over c is taken, and output d goes to k·M' + d·L·M' + a'. `span` is M' elements in
 * bytes, a multiple of 16. Twiddles per k < L, per c = 1 … p − 1: two v128, (wr, wr) and (−wi, wi)
 * for every complex of a vector (32 bytes for both types). `sg` is +1 forward, −1 inverse.
 */

/** x·(wr + i·wi) for each complex of x, with wr = (wr, wr …) and wi = (−wi, wi …). */
// @ts-ignore: decorator
@inline function cmulOf<T>(x: v128, wr: v128, wi: v128): v128 {
  return v128.add<T>(v128.mul<T>(x, wr), v128.mul<T>(swapReIm<T>(x), wi));
}

/** (im, re) of each complex of x. */
// @ts-ignore: decorator
@inline function swapReIm<T>(x: v128): v128 {
  if (sizeof<T>() == 8) return v128.shuffle<f64>(x, x, 1, 0);
  return v128.shuffle<f32>(x, x, 1, 0, 3, 2);
}

/** x·(∓i)·s for jm = (s·sg, −s·sg …): swap re and im, then scale. */
// @ts-ignore: decorator
@inline function jmulOf<T>(x: v128, jm: v128): v128 {
  return v128.mul<T>(swapReIm<T>(x), jm);
}

/** (a, b) for every complex of a vector. */
// @ts-ignore: decorator
@inline function pairOf<T>(a: T, b: T): v128 {
  if (sizeof<T>() == 8) return f64x2(<f64>a, <f64>b);
  return f32x4(<f32>a, <f32>b, <f32>a, <f32>b);
}

function radix2<T>(src: usize, dst: usize, L: i32, span: usize, tw: usize): void {
  const ost = <usize>L * span;
  for (let k: i32 = 0; k < L; k++) {
    const t = tw + (<usize>k) * 32;
    const w1r = v128.load(t), w1i = v128.load(t, 16);
    const ib = src + (<usize>k) * span * 2, ob = dst + (<usize>k) * span;
    for (let o: usize = 0; o < span; o += 16) {
      const a0 = v128.load(ib + o), a1 = cmulOf<T>(v128.load(ib + span + o), w1r, w1i);
      v128.store(ob + o, v128.add<T>(a0, a1));
      v128.store(ob + ost + o, v128.sub<T>(a0, a1));
    }
  }
}

function radix3<T>(src: usize, dst: usize, L: i32, span: usize, tw: usize, sg: T): void {
  const ost = <usize>L * span;
  const half = v128.splat<T>(<T>0.5);
  const s60 = <T>0.86602540378443864676; // sin(π/3)
  const jm = pairOf<T>(sg * s60, -sg * s60);
  for (let k: i32 = 0; k < L; k++) {
    const t = tw + (<usize>k) * 64;
    const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    const ib = src + (<usize>k) * span * 3, ob = dst + (<usize>k) * span;
    for (let o: usize = 0; o < span; o += 16) {
      const a0 = v128.load(ib + o);
      const a1 = cmulOf<T>(v128.load(ib + span + o), w1r, w1i);
      const a2 = cmulOf<T>(v128.load(ib + 2 * span + o), w2r, w2i);
      const s = v128.add<T>(a1, a2), r = jmulOf<T>(v128.sub<T>(a1, a2), jm);
      const m = v128.sub<T>(a0, v128.mul<T>(s, half));
      v128.store(ob + o, v128.add<T>(a0, s));
      v128.store(ob + ost + o, v128.add<T>(m, r));
      v128.store(ob + 2 * ost + o, v128.sub<T>(m, r));
    }
  }
}

function radix4<T>(src: usize, dst: usize, L: i32, span: usize, tw: usize, sg: T): void {
  const ost = <usize>L * span;
  const jm = pairOf<T>(sg, -sg);
  for (let k: i32 = 0; k < L; k++) {
    const t = tw + (<usize>k) * 96;
    const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    const w3r = v128.load(t, 64), w3i = v128.load(t, 80);
    const ib = src + (<usize>k) * span * 4, ob = dst + (<usize>k) * span;
    for (let o: usize = 0; o < span; o += 16) {
      const a0 = v128.load(ib + o);
      const a1 = cmulOf<T>(v128.load(ib + span + o), w1r, w1i);
      const a2 = cmulOf<T>(v128.load(ib + 2 * span + o), w2r, w2i);
      const a3 = cmulOf<T>(v128.load(ib + 3 * span + o), w3r, w3i);
      const t0 = v128.add<T>(a0, a2), t1 = v128.sub<T>(a0, a2);
      const t2 = v128.add<T>(a1, a3), t3 = jmulOf<T>(v128.sub<T>(a1, a3), jm);
      v128.store(ob + o, v128.add<T>(t0, t2));
      v128.store(ob + ost + o, v128.add<T>(t1, t3));
      v128.store(ob + 2 * ost + o, v128.sub<T>(t0, t2));
      v128.store(ob + 3 * ost + o, v128.sub<T>(t1, t3));
    }
  }
}

function radix5<T>(src: usize, dst: usize, L: i32, span: usize, tw: usize, sg: T): void {
  const ost = <usize>L * span;
  const jm = pairOf<T>(sg, -sg);
  const c1 = v128.splat<T>(<T>0.30901699437494742410); // cos(2π/5)
  const c2 = v128.splat<T>(<T>-0.80901699437494742410); // cos(4π/5)
  const s1 = v128.splat<T>(<T>0.95105651629515357212); // sin(2π/5)
  const s2 = v128.splat<T>(<T>0.58778525229247312917); // sin(4π/5)
  for (let k: i32 = 0; k < L; k++) {
    const t = tw + (<usize>k) * 128;
    const w1r = v128.load(t), w1i = v128.load(t, 16), w2r = v128.load(t, 32), w2i = v128.load(t, 48);
    const w3r = v128.load(t, 64), w3i = v128.load(t, 80), w4r = v128.load(t, 96), w4i = v128.load(t, 112);
    const ib = src + (<usize>k) * span * 5, ob = dst + (<usize>k) * span;
    for (let o: usize = 0; o < span; o += 16) {
      const a0 = v128.load(ib + o);
      const a1 = cmulOf<T>(v128.load(ib + span + o), w1r, w1i);
      const a2 = cmulOf<T>(v128.load(ib + 2 * span + o), w2r, w2i);
      const a3 = cmulOf<T>(v128.load(ib + 3 * span + o), w3r, w3i);
      const a4 = cmulOf<T>(v128.load(ib + 4 * span + o), w4r, w4i);
      const t1 = v128.add<T>(a1, a4), t2 = v128.add<T>(a2, a3), t3 = v128.sub<T>(a1, a4), t4 = v128.sub<T>(a2, a3);
      const A1 = v128.add<T>(a0, v128.add<T>(v128.mul<T>(c1, t1), v128.mul<T>(c2, t2)));
      const A2 = v128.add<T>(a0, v128.add<T>(v128.mul<T>(c2, t1), v128.mul<T>(c1, t2)));
      const R1 = jmulOf<T>(v128.add<T>(v128.mul<T>(s1, t3), v128.mul<T>(s2, t4)), jm);
      const R2 = jmulOf<T>(v128.sub<T>(v128.mul<T>(s2, t3), v128.mul<T>(s1, t4)), jm);
      v128.store(ob + o, v128.add<T>(a0, v128.add<T>(t1, t2)));
      v128.store(ob + ost + o, v128.add<T>(A1, R1));
      v128.store(ob + 2 * ost + o, v128.add<T>(A2, R2));
      v128.store(ob + 3 * ost + o, v128.sub<T>(A2, R2));
      v128.store(ob + 4 * ost + o, v128.sub<T>(A1, R1));
    }
  }
}

function radix7<T>(src: usize, dst: usize, L: i32, span: usize, tw: usize, sg: T): void {
  const ost = <usize>L * span;
  const jm = pairOf<T>(sg, -sg);
  const c1 = v128.splat<T>(<T>0.62348980185873353053); // cos(2π/7)
  const c2 = v128.splat<T>(<T>-0.22252093395631440429); // cos(4π/7)
  const c3 = v128.splat<T>(<T>-0.90096886790241912624); // cos(6π/7)
  const s1 = v128.splat<T>(<T>0.78183148246802980871); // sin(2π/7)
  const s2 = v128.splat<T>(<T>0.97492791218182360702); // sin(4π/7)
  const s3 = v128.splat<T>(<T>0.43388373911755812048); // sin(6π/7)
  for (let k: i32 = 0; k < L; k++) {
    const t = tw + (<usize>k) * 192;
    const ib = src + (<usize>k) * span * 7, ob = dst + (<usize>k) * span;
    for (let o: usize = 0; o < span; o += 16) {
      const a0 = v128.load(ib + o);
      const a1 = cmulOf<T>(v128.load(ib + span + o), v128.load(t), v128.load(t, 16));
      const a2 = cmulOf<T>(v128.load(ib + 2 * span + o), v128.load(t, 32), v128.load(t, 48));
      const a3 = cmulOf<T>(v128.load(ib + 3 * span + o), v128.load(t, 64), v128.load(t, 80));
      const a4 = cmulOf<T>(v128.load(ib + 4 * span + o), v128.load(t, 96), v128.load(t, 112));
      const a5 = cmulOf<T>(v128.load(ib + 5 * span + o), v128.load(t, 128), v128.load(t, 144));
      const a6 = cmulOf<T>(v128.load(ib + 6 * span + o), v128.load(t, 160), v128.load(t, 176));
      const t1 = v128.add<T>(a1, a6), t2 = v128.add<T>(a2, a5), t3 = v128.add<T>(a3, a4);
      const u1 = v128.sub<T>(a1, a6), u2 = v128.sub<T>(a2, a5), u3 = v128.sub<T>(a3, a4);
      const A1 = v128.add<T>(a0, v128.add<T>(v128.add<T>(v128.mul<T>(c1, t1), v128.mul<T>(c2, t2)), v128.mul<T>(c3, t3)));
      const A2 = v128.add<T>(a0, v128.add<T>(v128.add<T>(v128.mul<T>(c2, t1), v128.mul<T>(c3, t2)), v128.mul<T>(c1, t3)));
      const A3 = v128.add<T>(a0, v128.add<T>(v128.add<T>(v128.mul<T>(c3, t1), v128.mul<T>(c1, t2)), v128.mul<T>(c2, t3)));
      const R1 = jmulOf<T>(v128.add<T>(v128.add<T>(v128.mul<T>(s1, u1), v128.mul<T>(s2, u2)), v128.mul<T>(s3, u3)), jm);
      const R2 = jmulOf<T>(v128.sub<T>(v128.sub<T>(v128.mul<T>(s2, u1), v128.mul<T>(s3, u2)), v128.mul<T>(s1, u3)), jm);
      const R3 = jmulOf<T>(v128.add<T>(v128.sub<T>(v128.mul<T>(s3, u1), v128.mul<T>(s1, u2)), v128.mul<T>(s2, u3)), jm);
      v128.store(ob + o, v128.add<T>(a0, v128.add<T>(v128.add<T>(t1, t2), t3)));
      v128.store(ob + ost + o, v128.add<T>(A1, R1));
      v128.store(ob + 2 * ost + o, v128.add<T>(A2, R2));
      v128.store(ob + 3 * ost + o, v128.add<T>(A3, R3));
      v128.store(ob + 4 * ost + o, v128.sub<T>(A3, R3));
      v128.store(ob + 5 * ost + o, v128.sub<T>(A2, R2));
      v128.store(ob + 6 * ost + o, v128.sub<T>(A1, R1));
    }
  }
}

/**
 * Any odd prime p (11, 13): twiddled inputs j and p − j become their sum and difference, written back
 * over the input (src is read by this stage alone), then output m and p − m are
 * x₀ + Σⱼ cos(2πjm/p)·(sum j) ∓ i·sg·Σⱼ sin(2πjm/p)·(difference j), two m at a time. `ct`: per m, per j
 * (1 … (p − 1)/2), cos and sin splatted to every lane (two v128). On radix 7 it takes 1.23–1.33× the
 * written-out `radix7`'s time (docs/fft.md).
 */
function radixOdd<T>(src: usize, dst: usize, p: i32, L: i32, span: usize, tw: usize, ct: usize, sg: T): void {
  const ost = <usize>L * span;
  const jm = pairOf<T>(sg, -sg);
  const h = (p - 1) >> 1;
  const last = <usize>(p - 1) * span;
  const hb = <usize>h << 5; // one m's row of the table
  for (let k: i32 = 0; k < L; k++) {
    const t = tw + (<usize>k) * (<usize>(p - 1) << 5);
    const ib = src + (<usize>k) * span * p, ob = dst + (<usize>k) * span;
    for (let o: usize = 0; o < span; o += 16) {
      const a0 = v128.load(ib + o);
      let y0 = a0;
      let xa = ib + span + o, ya = ib + last + o, xt = t, yt = t + (<usize>(p - 2) << 5);
      for (let j: i32 = 1; j <= h; j++) {
        const x = cmulOf<T>(v128.load(xa), v128.load(xt), v128.load(xt, 16));
        const y = cmulOf<T>(v128.load(ya), v128.load(yt), v128.load(yt, 16));
        const s = v128.add<T>(x, y);
        v128.store(xa, s);
        v128.store(ya, v128.sub<T>(x, y));
        y0 = v128.add<T>(y0, s);
        xa += span; ya -= span; xt += 32; yt -= 32;
      }
      v128.store(ob + o, y0);
      // outputs m and m + 1 together (one load of each sum and difference for both), then m = h if h is odd
      let c = ct, lo = ob + ost + o, hi = ob + <usize>(p - 1) * ost + o;
      let m: i32 = 1;
      for (; m < h; m += 2) {
        let A = a0, B = a0, R = v128.splat<T>(<T>0), S = R;
        let x = ib + span + o, y = ib + last + o, c2 = c + hb;
        for (let j: i32 = 1; j <= h; j++) {
          const tj = v128.load(x), uj = v128.load(y);
          A = v128.add<T>(A, v128.mul<T>(v128.load(c), tj));
          R = v128.add<T>(R, v128.mul<T>(v128.load(c, 16), uj));
          B = v128.add<T>(B, v128.mul<T>(v128.load(c2), tj));
          S = v128.add<T>(S, v128.mul<T>(v128.load(c2, 16), uj));
          c += 32; c2 += 32; x += span; y -= span;
        }
        c += hb;
        const r = jmulOf<T>(R, jm), q = jmulOf<T>(S, jm);
        v128.store(lo, v128.add<T>(A, r));
        v128.store(hi, v128.sub<T>(A, r));
        v128.store(lo + ost, v128.add<T>(B, q));
        v128.store(hi - ost, v128.sub<T>(B, q));
        lo += 2 * ost; hi -= 2 * ost;
      }
      if (m == h) {
        let A = a0, R = v128.splat<T>(<T>0);
        let x = ib + span + o, y = ib + last + o;
        for (let j: i32 = 1; j <= h; j++) {
          A = v128.add<T>(A, v128.mul<T>(v128.load(c), v128.load(x)));
          R = v128.add<T>(R, v128.mul<T>(v128.load(c, 16), v128.load(y)));
          c += 32; x += span; y -= span;
        }
        const r = jmulOf<T>(R, jm);
        v128.store(lo, v128.add<T>(A, r));
        v128.store(hi, v128.sub<T>(A, r));
      }
    }
  }
}

/**
 * One 1-D mixed-radix transform of length n on elements of `unit` bytes (a multiple of 16: a row of
 * vectors, or whole rows for the column pass), ping-ponging between `data` and `work` through the
 * stages described at `st` (four i32 each: radix p, L, twiddle byte address, and for p ≥ 11 the
 * address of `radixOdd`'s cos/sin table, else 0); returns the address
 * the result was left at (one of the two).
 */
export function stockhamPass<T>(data: usize, work: usize, n: i32, unit: usize, st: usize, nst: i32, sg: T): usize {
  let src = data, dst = work;
  for (let s: i32 = 0; s < nst; s++) {
    const d = st + (<usize>s << 4);
    const p = load<i32>(d), L = load<i32>(d, 4);
    const tw = <usize>load<i32>(d, 8);
    const span = <usize>(n / (L * p)) * unit; // M' elements
    if (p == 4) radix4<T>(src, dst, L, span, tw, sg);
    else if (p == 2) radix2<T>(src, dst, L, span, tw);
    else if (p == 3) radix3<T>(src, dst, L, span, tw, sg);
    else if (p == 5) radix5<T>(src, dst, L, span, tw, sg);
    else if (p == 7) radix7<T>(src, dst, L, span, tw, sg);
    else radixOdd<T>(src, dst, p, L, span, tw, <usize>load<i32>(d, 12), sg);
    const x = src; src = dst; dst = x;
  }
  return src;
}
