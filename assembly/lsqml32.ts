// AssemblyScript WASM-SIMD kernels for the LSQML engine, complex64 (float32): the functions of
// assembly/lsqml.ts (complex128) with the same names, arguments and meaning, on float32 data — two
// complexes or four reals per v128. Compiled to dist/wasm/lsqml32.wasm; see assembly/lsqml.ts for the
// conventions (byte addresses, mode-major buffers with byte stride `mstride`, sums written as f64).
//
// Sums over the pixels of a position (loss, Σy, ΣŶ, the Poisson step sums, the step-size sums) are
// formed in float32 over short runs — one patch row, or 256 pixels — and those partial sums are
// added in float64, so their rounding error grows with the run length (≤ 64 terms per lane), not with
// the N² pixels. Every elementwise value is float32, as in pty-chi.
// Pixel counts (`n2`, `n`) must be even (N even); value counts of addTo/axpy may be odd.

import { addF64, modeGramOf, modeMixOf } from './shared/modes';

// @ts-ignore: decorator
@inline function re2(x: v128): v128 { return v128.shuffle<f32>(x, x, 0, 0, 2, 2); }
// @ts-ignore: decorator
@inline function im2(x: v128): v128 { return v128.shuffle<f32>(x, x, 1, 1, 3, 3); }
// @ts-ignore: decorator
@inline function swap(x: v128): v128 { return v128.shuffle<f32>(x, x, 1, 0, 3, 2); }
/** a·b (complex, two per vector). */
// @ts-ignore: decorator
@inline function cmul(a: v128, b: v128): v128 {
  return f32x4.add(f32x4.mul(a, re2(b)), f32x4.mul(f32x4.mul(swap(a), im2(b)), f32x4(-1, 1, -1, 1)));
}
/** a·conj(b) (complex, two per vector). */
// @ts-ignore: decorator
@inline function cmulc(a: v128, b: v128): v128 {
  return f32x4.add(f32x4.mul(a, re2(b)), f32x4.mul(f32x4.mul(swap(a), im2(b)), f32x4(1, -1, 1, -1)));
}
/** Adds the four float32 lanes of `x` to the two float64 lanes of `acc` (lanes 0+2 and 1+3). */
// @ts-ignore: decorator
@inline function widen(acc: v128, x: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3))));
}
// @ts-ignore: decorator
@inline function hsum64(x: v128): f64 { return f64x2.extract_lane(x, 0) + f64x2.extract_lane(x, 1); }
/** Pixels per float32 run of the per-position sums of `intensity` and `poissonSums` (a multiple of 4). */
const RUN: i32 = 256;

const KEEP_YHAT = 1, GAUSS_STEP = 2, CONSTRAINED = 4, STEP_DIFFERENCE = 8;
const MULTIMODAL = 1, KEEP_CHI = 2, ACCUMULATE = 4, CHI_GIVEN = 8, ADD_DIRECTIONS = 16;
/** Flags of `rampMul`. */
const CONJ = 1;

// @ts-ignore: decorator
@inline function validLanes(y: v128, mask: usize, k: usize, thr: v128): v128 {
  const v = f32x4.gt(y, thr);
  return mask ? v128.and(v, f32x4.ne(v128.load(mask + k), f32x4.splat(0))) : v;
}

/** See assembly/lsqml.ts (ramps are n complex64 ey then n ex per slot, i.e. 16n bytes per slot). */
export function rampMul(dst: usize, src: usize, srcStep: usize, ramp: usize, n: i32, count: i32, flags: i32): void {
  const conj = flags & CONJ, acc = flags & ACCUMULATE;
  const plane = (<usize>n * <usize>n) << 3;
  const sg = conj ? f32x4.splat(-1) : f32x4.splat(1);
  const sign = f32x4(-1, 1, -1, 1);
  for (let i: i32 = 0; i < count; i++) {
    const ry = ramp + (<usize>i) * ((<usize>n) << 4);
    const rx = ry + ((<usize>n) << 3);
    let d = dst + (<usize>i) * plane;
    let s = src + (<usize>i) * srcStep;
    for (let u: i32 = 0; u < n; u++) {
      const y = v128.load64_splat(ry + ((<usize>u) << 3)); // (yr, yi, yr, yi)
      const yr = re2(y), yi = f32x4.mul(im2(y), sg);
      for (let v: i32 = 0; v < n; v += 2) {
        const x = v128.load(rx + ((<usize>v) << 3));      // ex[v], ex[v+1]
        const xr = re2(x), xi = f32x4.mul(im2(x), sg);
        const pr = f32x4.sub(f32x4.mul(yr, xr), f32x4.mul(yi, xi));
        const pi = f32x4.add(f32x4.mul(yr, xi), f32x4.mul(yi, xr));
        const a = v128.load(s);
        const r = f32x4.add(f32x4.mul(a, pr), f32x4.mul(f32x4.mul(swap(a), pi), sign));
        v128.store(d, acc ? f32x4.add(v128.load(d), r) : r);
        d += 16; s += 16;
      }
    }
  }
}

/** far = o·p over an N×N patch: o rows at `o` with byte stride `stride`, p contiguous. */
export function exitWave(far: usize, o: usize, stride: usize, p: usize, n: i32): void {
  const row = (<usize>n) << 3;
  for (let r: i32 = 0; r < n; r++) {
    const ob = o + (<usize>r) * stride, pb = p + (<usize>r) * row, fb = far + (<usize>r) * row;
    for (let j: usize = 0; j < row; j += 16) v128.store(fb + j, cmul(v128.load(ob + j), v128.load(pb + j)));
  }
}

/** See assembly/lsqml.ts; four pixels per step (`n2` a multiple of 4). */
export function intensity(far: usize, mstride: usize, modes: i32, yb: usize, yhat: usize, n2: i32, w: f64,
  flags: i32, mask: usize, thr: f64, out: usize, s: f64): void {
  const keep = (flags & KEEP_YHAT) != 0, step = (flags & GAUSS_STEP) != 0, con = (flags & CONSTRAINED) != 0, diff = (flags & STEP_DIFFERENCE) != 0;
  // The fused Gaussian phase's variants as plain loops (constant flags); any other combination runs
  // the same body with the flags tested per pixel.
  if (!keep && step && diff) {
    if (con) intensityBody(far, mstride, modes, yb, yhat, n2, w, mask, thr, out, s, false, true, true, true);
    else intensityBody(far, mstride, modes, yb, yhat, n2, w, mask, thr, out, s, false, true, false, true);
  } else {
    intensityBody(far, mstride, modes, yb, yhat, n2, w, mask, thr, out, s, keep, step, con, diff);
  }
}

// @ts-ignore: decorator
@inline function intensityBody(far: usize, mstride: usize, modes: i32, yb: usize, yhat: usize, n2: i32, w: f64,
  mask: usize, thr: f64, out: usize, s: f64, keep: bool, step: bool, con: bool, diff: bool): void {
  let loss = f64x2.splat(0), sy = f64x2.splat(0), syh = f64x2.splat(0);
  const eps = f32x4.splat(1e-7), eps9 = f32x4.splat(1e-9), one = f32x4.splat(1), ww = f32x4.splat(<f32>w), sv = f32x4.splat(<f32>s);
  const tv = f32x4.splat(<f32>thr);
  const zero = f32x4.splat(0);
  for (let k0: i32 = 0; k0 < n2; k0 += RUN) {
    const k1 = min(n2, k0 + RUN);
    let l = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
    for (let k: i32 = k0; k < k1; k += 4) {
      const q = far + ((<usize>k) << 3);
      const kb = (<usize>k) << 2;
      let p0 = v128.load(q), p1 = v128.load(q, 16);
      let re = v128.shuffle<f32>(p0, p1, 0, 2, 4, 6), im = v128.shuffle<f32>(p0, p1, 1, 3, 5, 7);
      let yh = f32x4.add(f32x4.mul(re, re), f32x4.mul(im, im));
      let qm = q;
      for (let m: i32 = 1; m < modes; m++) {
        qm += mstride;
        p0 = v128.load(qm); p1 = v128.load(qm, 16);
        re = v128.shuffle<f32>(p0, p1, 0, 2, 4, 6); im = v128.shuffle<f32>(p0, p1, 1, 3, 5, 7);
        yh = f32x4.add(yh, f32x4.add(f32x4.mul(re, re), f32x4.mul(im, im)));
      }
      const y = v128.load(yb + kb);
      if (keep) v128.store(yhat + kb, yh);
      const e = f32x4.sub(f32x4.sqrt(f32x4.add(yh, eps)), f32x4.sqrt(f32x4.add(y, eps)));
      l = f32x4.add(l, f32x4.mul(e, e));
      s1 = f32x4.add(s1, y);
      s2 = f32x4.add(s2, yh);
      if (step) {
        const g = f32x4.mul(ww, f32x4.sub(one, f32x4.div(f32x4.sqrt(y), f32x4.add(f32x4.sqrt(yh), eps9))));
        let f = diff ? f32x4.neg(g) : f32x4.sub(one, g);
        if (con) f = v128.bitselect(f, diff ? zero : one, validLanes(y, mask, kb, tv));
        f = f32x4.mul(f, sv);
        const f0 = v128.shuffle<f32>(f, f, 0, 0, 1, 1), f1 = v128.shuffle<f32>(f, f, 2, 2, 3, 3);
        qm = q;
        for (let m: i32 = 0; m < modes; m++) {
          v128.store(qm, f32x4.mul(v128.load(qm), f0));
          v128.store(qm, f32x4.mul(v128.load(qm, 16), f1), 16);
          qm += mstride;
        }
      }
    }
    loss = widen(loss, l); sy = widen(sy, s1); syh = widen(syh, s2);
  }
  store<f64>(out, hsum64(loss));
  store<f64>(out, hsum64(sy), 8);
  store<f64>(out, hsum64(syh), 16);
}

/** See assembly/lsqml.ts; `n2` a multiple of 4. */
export function farStep(far: usize, mstride: usize, modes: i32, yb: usize, yhat: usize, n2: i32, w: f64, alpha: f64,
  poisson: i32, flags: i32, mask: usize, thr: f64, s: f64): void {
  const eps9 = f32x4.splat(1e-9), eps6 = f32x4.splat(1e-6), one = f32x4.splat(1), ww = f32x4.splat(<f32>w), sv = f32x4.splat(<f32>s);
  const av = f32x4.splat(<f32>alpha), tv = f32x4.splat(<f32>thr), con = flags & CONSTRAINED;
  for (let k: i32 = 0; k < n2; k += 4) {
    const kb = (<usize>k) << 2;
    const y = v128.load(yb + kb), yh = v128.load(yhat + kb);
    let f = poisson
      ? f32x4.sub(one, f32x4.mul(av, f32x4.sub(one, f32x4.div(y, f32x4.add(yh, eps6)))))
      : f32x4.sub(one, f32x4.mul(ww, f32x4.sub(one, f32x4.div(f32x4.sqrt(y), f32x4.add(f32x4.sqrt(yh), eps9)))));
    if (con) f = v128.bitselect(f, one, validLanes(y, mask, kb, tv));
    f = f32x4.mul(f, sv);
    const f0 = v128.shuffle<f32>(f, f, 0, 0, 1, 1), f1 = v128.shuffle<f32>(f, f, 2, 2, 3, 3);
    const q = far + ((<usize>k) << 3);
    for (let m: i32 = 0; m < modes; m++) {
      const qm = q + (<usize>m) * mstride;
      v128.store(qm, f32x4.mul(v128.load(qm), f0));
      v128.store(qm, f32x4.mul(v128.load(qm, 16), f1), 16);
    }
  }
}

/** See assembly/lsqml.ts; `n2` a multiple of 4. */
export function poissonSums(yb: usize, yhat: usize, n2: i32, abar: f64, flags: i32, mask: usize, thr: f64, out: usize): void {
  let num = f64x2.splat(0), den = f64x2.splat(0);
  const one = f32x4.splat(1), zero = f32x4.splat(0), eps5 = f32x4.splat(1e-5), ab = f32x4.splat(<f32>abar);
  const tv = f32x4.splat(<f32>thr), con = flags & CONSTRAINED;
  for (let k0: i32 = 0; k0 < n2; k0 += RUN) {
    const k1 = min(n2, k0 + RUN);
    let sn = f32x4.splat(0), sd = f32x4.splat(0);
    for (let k: i32 = k0; k < k1; k += 4) {
      const kb = (<usize>k) << 2;
      const y = v128.load(yb + kb), yh = v128.load(yhat + kb);
      const xi = f32x4.sub(one, f32x4.div(y, f32x4.add(yh, eps5)));
      const q = v128.bitselect(zero, f32x4.div(y, f32x4.sub(one, f32x4.mul(ab, xi))), f32x4.eq(y, zero));
      let tn = f32x4.mul(xi, f32x4.sub(yh, q)), td = f32x4.mul(f32x4.mul(xi, xi), yh);
      if (con) {
        const v = validLanes(y, mask, kb, tv);
        tn = v128.bitselect(tn, zero, v); td = v128.bitselect(td, zero, v);
      }
      sn = f32x4.add(sn, tn);
      sd = f32x4.add(sd, td);
    }
    num = widen(num, sn); den = widen(den, sd);
  }
  store<f64>(out, hsum64(num));
  store<f64>(out, hsum64(den), 8);
}

/**
 * One patch row of chiDirections on its common path (χ given, every mode in the object direction, χ
 * of modes ≥ 1 not kept), the flags as constants so that each variant is a plain loop: the object's
 * re/im splats are formed once per vector and the mode pointers advance by their strides. The
 * arithmetic is the generic loop's, term for term (a product by ±1 moved between factors is exact).
 */
// @ts-ignore: decorator
@inline function chiRowGiven(ob: usize, k0: usize, row: usize, far: usize, mstride: usize, modes: i32, chi0: usize, dP0: usize,
  dP: usize, dstride: usize, db: usize, db0: usize, p0: usize, probe: usize, plane: usize, accum: bool, addDir: bool, hasD0: bool): void {
  const sc = f32x4(1, -1, 1, -1);
  for (let j: usize = 0; j < row; j += 16) {
    const k = k0 + j;
    const a = v128.load(ob + j);
    const ar = re2(a), ai = f32x4.mul(im2(a), sc);
    let b = v128.load(p0 + k);
    let x = v128.load(far + k);
    let sx = swap(x);
    v128.store(chi0 + k, x);
    v128.store(dP0 + k, f32x4.add(f32x4.mul(x, ar), f32x4.mul(sx, ai)));
    const d0 = f32x4.add(f32x4.mul(x, re2(b)), f32x4.mul(sx, f32x4.mul(im2(b), sc)));
    if (hasD0) v128.store(db0 + j, addDir ? f32x4.add(v128.load(db0 + j), d0) : d0);
    let acc = d0;
    let q = far + k, pb = probe + k, dq = dP + k;
    for (let m: i32 = 1; m < modes; m++) {
      q += mstride; pb += plane; dq += dstride;
      b = v128.load(pb);
      x = v128.load(q);
      sx = swap(x);
      const t = f32x4.add(f32x4.mul(x, ar), f32x4.mul(sx, ai));
      v128.store(dq, accum ? f32x4.add(v128.load(dq), t) : t);
      acc = f32x4.add(acc, f32x4.add(f32x4.mul(x, re2(b)), f32x4.mul(sx, f32x4.mul(im2(b), sc))));
    }
    v128.store(db + j, addDir ? f32x4.add(v128.load(db + j), acc) : acc);
  }
}

/** chiDirections' common path (flags CHI_GIVEN | MULTIMODAL, without KEEP_CHI): one loop per variant of the other flags. */
function chiDirectionsGiven(far: usize, mstride: usize, modes: i32, chi0: usize, dP0: usize, dP: usize, dstride: usize, dO: usize,
  dO0: usize, dStride: usize, p0: usize, probe: usize, o: usize, stride: usize, n: i32, accum: bool, addDir: bool): void {
  const row = (<usize>n) << 3;
  const plane = (<usize>n) * row;
  for (let r: i32 = 0; r < n; r++) {
    const ob = o + (<usize>r) * stride, kb = (<usize>r) * row;
    const db = dO + (<usize>r) * dStride, db0 = dO0 + (<usize>r) * dStride;
    if (dO0) {
      if (accum) {
        if (addDir) chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, true, true, true);
        else chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, true, false, true);
      } else {
        if (addDir) chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, false, true, true);
        else chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, false, false, true);
      }
    } else {
      if (accum) {
        if (addDir) chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, true, true, false);
        else chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, true, false, false);
      } else {
        if (addDir) chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, false, true, false);
        else chiRowGiven(ob, kb, row, far, mstride, modes, chi0, dP0, dP, dstride, db, db0, p0, probe, plane, false, false, false);
      }
    }
  }
}

/** See assembly/lsqml.ts (p_m, m ≥ 1, at probe + m·n²·8). */
export function chiDirections(far: usize, mstride: usize, modes: i32, chi0: usize, dP0: usize, dP: usize, dstride: usize, dO: usize,
  dO0: usize, dStride: usize, p0: usize, probe: usize, o: usize, stride: usize, n: i32, flags: i32): void {
  const row = (<usize>n) << 3;
  const plane = (<usize>n) * row;
  const multimodal = flags & MULTIMODAL, keepChi = flags & KEEP_CHI, accum = flags & ACCUMULATE, given = flags & CHI_GIVEN;
  const addDir = flags & ADD_DIRECTIONS;
  if (given && multimodal && !keepChi) {
    chiDirectionsGiven(far, mstride, modes, chi0, dP0, dP, dstride, dO, dO0, dStride, p0, probe, o, stride, n, accum != 0, addDir != 0);
    return;
  }
  for (let r: i32 = 0; r < n; r++) {
    const ob = o + (<usize>r) * stride, kb = (<usize>r) * row;
    const db = dO + (<usize>r) * dStride, db0 = dO0 + (<usize>r) * dStride;
    for (let j: usize = 0; j < row; j += 16) {
      const k = kb + j;
      const a = v128.load(ob + j);
      let b = v128.load(p0 + k);
      let x = given ? v128.load(far + k) : f32x4.sub(v128.load(far + k), cmul(a, b));
      v128.store(chi0 + k, x);
      v128.store(dP0 + k, cmulc(x, a));
      const d0 = cmulc(x, b);
      if (dO0) v128.store(db0 + j, addDir ? f32x4.add(v128.load(db0 + j), d0) : d0);
      let acc = d0;
      for (let m: i32 = 1; m < modes; m++) {
        const q = far + k + (<usize>m) * mstride;
        b = v128.load(probe + (<usize>m) * plane + k);
        x = given ? v128.load(q) : f32x4.sub(v128.load(q), cmul(a, b));
        if (keepChi) v128.store(q, x);
        const dq = dP + k + (<usize>m) * dstride;
        v128.store(dq, accum ? f32x4.add(v128.load(dq), cmulc(x, a)) : cmulc(x, a));
        if (multimodal) acc = f32x4.add(acc, cmulc(x, b));
      }
      v128.store(db + j, addDir ? f32x4.add(v128.load(db + j), acc) : acc);
    }
  }
}

/** See assembly/lsqml.ts; each patch row is summed in float32, rows are added in float64. */
export function stepSums(d: usize, dStride: usize, o: usize, oStride: usize, p: usize, h: usize, c: usize, n: i32, out: usize): void {
  const row = (<usize>n) << 3;
  let aa = f64x2.splat(0), qq = f64x2.splat(0), aq = f64x2.splat(0), aqx = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0);
  for (let r: i32 = 0; r < n; r++) {
    const db = d + (<usize>r) * dStride, ob = o + (<usize>r) * oStride, kb = (<usize>r) * row;
    let raa = f32x4.splat(0), rqq = f32x4.splat(0), raq = f32x4.splat(0), raqx = f32x4.splat(0), rb1 = f32x4.splat(0), rb2 = f32x4.splat(0);
    for (let j: usize = 0; j < row; j += 16) {
      const k = kb + j;
      const A = cmul(v128.load(db + j), v128.load(p + k));
      const Q = cmul(v128.load(h + k), v128.load(ob + j));
      const cv = v128.load(c + k);
      raa = f32x4.add(raa, f32x4.mul(A, A));
      rqq = f32x4.add(rqq, f32x4.mul(Q, Q));
      raq = f32x4.add(raq, f32x4.mul(A, Q));          // re = sum of the four lanes
      raqx = f32x4.add(raqx, f32x4.mul(swap(A), Q));  // im = lanes 0 + 2 − (1 + 3)
      rb1 = f32x4.add(rb1, f32x4.mul(A, cv));
      rb2 = f32x4.add(rb2, f32x4.mul(Q, cv));
    }
    aa = widen(aa, raa); qq = widen(qq, rqq); aq = widen(aq, raq); aqx = widen(aqx, raqx);
    b1 = widen(b1, rb1); b2 = widen(b2, rb2);
  }
  store<f64>(out, hsum64(aa));
  store<f64>(out, hsum64(qq), 8);
  store<f64>(out, hsum64(aq), 16);
  store<f64>(out, f64x2.extract_lane(aqx, 0) - f64x2.extract_lane(aqx, 1), 24);
  store<f64>(out, hsum64(b1), 32);
  store<f64>(out, hsum64(b2), 40);
}

/** dst[j] += src[j] for `count` floats. */
export function addTo(dst: usize, src: usize, count: i32): void {
  const end = dst + ((<usize>count) << 2);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) {
    v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
    s += 16;
  }
  for (; d < end; d += 4) { store<f32>(d, load<f32>(d) + load<f32>(s)); s += 4; }
}

/**
 * Adds a patch into an image: `rows` rows of `count` values, row r of `src` (rows `srcRow` bytes
 * apart) onto row r of `img` (rows `rowBytes` apart). With `img0` ≠ 0 the patch at `src0` (same
 * geometry) goes onto `img0` in the same pass. Each row is added by addTo.
 */
export function placePatch(img: usize, rowBytes: usize, src: usize, srcRow: usize, img0: usize, src0: usize, rows: i32, count: i32): void {
  for (let r: i32 = 0; r < rows; r++) {
    addTo(img + (<usize>r) * rowBytes, src + (<usize>r) * srcRow, count);
    if (img0) addTo(img0 + (<usize>r) * rowBytes, src0 + (<usize>r) * srcRow, count);
  }
}

/** Complex dst[j] *= real s[j] for `count` pixels. */
export function mulReal(dst: usize, s: usize, count: i32): void {
  let j: i32 = 0;
  for (; j + 2 <= count; j += 2) {
    const d = dst + ((<usize>j) << 3);
    const v = v128.load64_splat(s + ((<usize>j) << 2)); // s0, s1, s0, s1
    v128.store(d, f32x4.mul(v128.load(d), v128.shuffle<f32>(v, v, 0, 0, 1, 1)));
  }
  if (j < count) {
    const d = dst + ((<usize>j) << 3), sv = load<f32>(s + ((<usize>j) << 2));
    store<f32>(d, load<f32>(d) * sv);
    store<f32>(d, load<f32>(d, 4) * sv, 4);
  }
}

/** dst[j] += a·src[j] for `count` floats (a rounded to float32). */
export function axpy(dst: usize, src: usize, a: f64, count: i32): void {
  const a32 = <f32>a;
  const av = f32x4.splat(a32);
  const end = dst + ((<usize>count) << 2);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) {
    v128.store(d, f32x4.add(v128.load(d), f32x4.mul(av, v128.load(s))));
    s += 16;
  }
  for (; d < end; d += 4) { store<f32>(d, load<f32>(d) + a32 * load<f32>(s)); s += 4; }
}

/** dst[j] = src[j] / b for `count` floats (dst may be src): the division rounded once, as JS rounds a float64 quotient of float32 values. */
export function divide(dst: usize, src: usize, count: i32, b: f64): void {
  const bv = f32x4.splat(<f32>b);
  const end = dst + ((<usize>count) << 2);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) { v128.store(d, f32x4.div(v128.load(s), bv)); s += 16; }
  for (; d < end; d += 4) { store<f32>(d, load<f32>(s) / <f32>b); s += 4; }
}

/**
 * dst[j] += a·src[j] for `count` floats, the product and the sum formed in float64 and rounded to
 * float32 once at the end: what a TypeScript loop over Float32Arrays computes (the probe update).
 */
export function axpyWide(dst: usize, src: usize, a: f64, count: i32): void {
  const av = f64x2.splat(a);
  const end = dst + ((<usize>count) << 2);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) {
    const x = v128.load(d), y = v128.load(s);
    const lo = f64x2.add(f64x2.promote_low_f32x4(x), f64x2.mul(av, f64x2.promote_low_f32x4(y)));
    const hi = f64x2.add(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3)),
      f64x2.mul(av, f64x2.promote_low_f32x4(v128.shuffle<f32>(y, y, 2, 3, 2, 3))));
    v128.store(d, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    s += 16;
  }
  for (; d < end; d += 4) { store<f32>(d, <f32>(<f64>load<f32>(d) + a * <f64>load<f32>(s))); s += 4; }
}

/** The modes' Gram matrix (modeGramOf in shared/modes.ts), in this kernel's precision. */
export function modeGram(modes: usize, m: i32, pixels: i32, g: usize): void {
  modeGramOf<f32>(modes, m, pixels, g);
}

/** The modes' recombination in place (modeMixOf in shared/modes.ts), in this kernel's precision. */
export function modeMix(modes: usize, m: i32, pixels: i32, coef: usize, scratch: usize): void {
  modeMixOf<f32>(modes, m, pixels, coef, scratch);
}

/** dst[j] += src[j] for `count` float64 values (the illumination map stays float64). */
export function addReal64(dst: usize, src: usize, count: i32): void {
  addF64(dst, src, count);
}
