// AssemblyScript WASM-SIMD kernels for the LSQML engine's per-position elementwise work, complex128
// (float64). assembly/lsqml32.ts has the same functions for complex64 (float32); src/engine/kernels.ts
// holds the same loops in TypeScript, used when neither module is available.
// Compiled by scripts/build-wasm.mjs to dist/wasm/lsqml.wasm; loaded by src/engine/wasm-kernels.ts on
// the FFT arena's shared memory. Like the FFT kernel it keeps no state and no data in linear memory:
// every argument is a byte address chosen by the JS side.
//
// Complex values are interleaved complex128, one complex per v128 (re, im); real arrays (intensities,
// mask, preconditioner) hold two values per v128. Image rows of a patch are `n` complexes long; a
// patch read from the object has a row stride of `stride` bytes. Mode m of a mode-major buffer lies
// `mstride` bytes after mode m − 1. Per-position sums are written as f64 at `out`.
// Results equal the TypeScript loops' to rounding (same operations per element; sums pair up lanes).

import { addF64, modeGramOf, modeMixOf } from './shared/modes';

// @ts-ignore: decorator
@inline function re2(x: v128): v128 { return v128.shuffle<f64>(x, x, 0, 0); }
// @ts-ignore: decorator
@inline function im2(x: v128): v128 { return v128.shuffle<f64>(x, x, 1, 1); }
// @ts-ignore: decorator
@inline function swap(x: v128): v128 { return v128.shuffle<f64>(x, x, 1, 0); }
// @ts-ignore: decorator
@inline function hsum(x: v128): f64 { return f64x2.extract_lane(x, 0) + f64x2.extract_lane(x, 1); }
/** a·b (complex). */
// @ts-ignore: decorator
@inline function cmul(a: v128, b: v128): v128 {
  return f64x2.add(f64x2.mul(a, re2(b)), f64x2.mul(f64x2.mul(swap(a), im2(b)), f64x2(-1, 1)));
}
/** a·conj(b) (complex). */
// @ts-ignore: decorator
@inline function cmulc(a: v128, b: v128): v128 {
  return f64x2.add(f64x2.mul(a, re2(b)), f64x2.mul(f64x2.mul(swap(a), im2(b)), f64x2(1, -1)));
}

/** Flag bits of `intensity`, `farStep` and `poissonSums`. */
const KEEP_YHAT = 1, GAUSS_STEP = 2, CONSTRAINED = 4, STEP_DIFFERENCE = 8;
/** Flags of `chiDirections`. */
const MULTIMODAL = 1, KEEP_CHI = 2, ACCUMULATE = 4, CHI_GIVEN = 8, ADD_DIRECTIONS = 16;
/** Flags of `rampMul`. */
const CONJ = 1;

/**
 * Lanes of the pixels at `k` (two reals) that the far-field step constrains: mask ≠ 0 (when `mask` is
 * not 0) and y > thr.
 */
// @ts-ignore: decorator
@inline function validLanes(y: v128, mask: usize, k: usize, thr: v128): v128 {
  const v = f64x2.gt(y, thr);
  return mask ? v128.and(v, f64x2.ne(v128.load(mask + k), f64x2.splat(0))) : v;
}

/**
 * dst_i = src_i · ramp_i for `count` N×N spectra (slot i at dst + i·n²·16): ramp_i[u, v] = ey[u]·ex[v]
 * with ey, ex the n complexes at ramp + i·32n and + 16n bytes (conjugated with CONJ in `flags`; with
 * ACCUMULATE the products are added to dst instead). `srcStep` is the byte step between slots of src
 * (0: the same spectrum for every slot).
 */
export function rampMul(dst: usize, src: usize, srcStep: usize, ramp: usize, n: i32, count: i32, flags: i32): void {
  const conj = flags & CONJ, acc = flags & ACCUMULATE;
  const plane = (<usize>n * <usize>n) << 4;
  // With conj the ramp's imaginary parts flip sign.
  const sg = conj ? f64x2(-1, -1) : f64x2(1, 1);
  for (let i: i32 = 0; i < count; i++) {
    const ry = ramp + (<usize>i) * ((<usize>n) << 5);
    const rx = ry + ((<usize>n) << 4);
    let d = dst + (<usize>i) * plane;
    let s = src + (<usize>i) * srcStep;
    for (let u: i32 = 0; u < n; u++) {
      const y = v128.load(ry + ((<usize>u) << 4));
      const yr = re2(y), yi = f64x2.mul(im2(y), sg);
      for (let v: i32 = 0; v < n; v++) {
        const x = v128.load(rx + ((<usize>v) << 4));
        const xr = re2(x), xi = f64x2.mul(im2(x), sg);
        // r = y·x (ramp element): pr = yr·xr − yi·xi, pi = yr·xi + yi·xr (lanes hold copies)
        const pr = f64x2.sub(f64x2.mul(yr, xr), f64x2.mul(yi, xi));
        const pi = f64x2.add(f64x2.mul(yr, xi), f64x2.mul(yi, xr));
        const a = v128.load(s);
        // a·r = [ar·pr − ai·pi, ar·pi + ai·pr]
        const r = f64x2.add(f64x2.mul(a, pr), f64x2.mul(f64x2.mul(swap(a), pi), f64x2(-1, 1)));
        v128.store(d, acc ? f64x2.add(v128.load(d), r) : r);
        d += 16; s += 16;
      }
    }
  }
}

/** far = o·p over an N×N patch: o rows at `o` with byte stride `stride`, p contiguous. */
export function exitWave(far: usize, o: usize, stride: usize, p: usize, n: i32): void {
  const row = (<usize>n) << 4;
  for (let r: i32 = 0; r < n; r++) {
    const ob = o + (<usize>r) * stride, pb = p + (<usize>r) * row, fb = far + (<usize>r) * row;
    for (let j: usize = 0; j < row; j += 16) v128.store(fb + j, cmul(v128.load(ob + j), v128.load(pb + j)));
  }
}

/**
 * Predicted intensity of one position over `modes` modes: Ŷ = Σ_m |Ψ_m|², the loss Σ(√(Ŷ+1e-7) −
 * √(y+1e-7))², Σy and ΣŶ (written to out, out+8, out+16). Flags: KEEP_YHAT stores Ŷ at `yhat`;
 * GAUSS_STEP multiplies every mode by 1 − w·(1 − √y/(√Ŷ + 1e-9)) (the Gaussian far-field step) where
 * the pixel is constrained (CONSTRAINED: mask and threshold, see validLanes; else every pixel), and
 * then every pixel by `s` (the 1/N² of the inverse FFT that follows, when the caller runs it
 * unscaled: a power of two, so the product is exact and the result bit-identical; else 1). With
 * STEP_DIFFERENCE the factor less one, −w·(1 − √y/(√Ŷ + 1e-9)) (0 where unconstrained), multiplies
 * instead: the inverse FFT then gives χ = ψ' − ψ directly (linearity), without the exit wave's
 * recomputation and the cancellation of ψ' − ψ. `n2` (pixels) must be even.
 */
export function intensity(far: usize, mstride: usize, modes: i32, yb: usize, yhat: usize, n2: i32, w: f64,
  flags: i32, mask: usize, thr: f64, out: usize, s: f64): void {
  let loss = f64x2.splat(0), sy = f64x2.splat(0), syh = f64x2.splat(0);
  const eps = f64x2.splat(1e-7), eps9 = f64x2.splat(1e-9), one = f64x2.splat(1), ww = f64x2.splat(w), tv = f64x2.splat(thr);
  const sv = f64x2.splat(s);
  const keep = flags & KEEP_YHAT, step = flags & GAUSS_STEP, con = flags & CONSTRAINED, diff = flags & STEP_DIFFERENCE;
  const zero = f64x2.splat(0);
  for (let k: i32 = 0; k < n2; k += 2) {
    const q = far + ((<usize>k) << 4);
    const kb = (<usize>k) << 3;
    let p0 = v128.load(q), p1 = v128.load(q, 16);
    let yh = f64x2.add(f64x2.mul(v128.shuffle<f64>(p0, p1, 0, 2), v128.shuffle<f64>(p0, p1, 0, 2)),
      f64x2.mul(v128.shuffle<f64>(p0, p1, 1, 3), v128.shuffle<f64>(p0, p1, 1, 3)));
    for (let m: i32 = 1; m < modes; m++) {
      const qm = q + (<usize>m) * mstride;
      p0 = v128.load(qm); p1 = v128.load(qm, 16);
      const re = v128.shuffle<f64>(p0, p1, 0, 2), im = v128.shuffle<f64>(p0, p1, 1, 3);
      yh = f64x2.add(yh, f64x2.add(f64x2.mul(re, re), f64x2.mul(im, im)));
    }
    const y = v128.load(yb + kb);
    if (keep) v128.store(yhat + kb, yh);
    const e = f64x2.sub(f64x2.sqrt(f64x2.add(yh, eps)), f64x2.sqrt(f64x2.add(y, eps)));
    loss = f64x2.add(loss, f64x2.mul(e, e));
    sy = f64x2.add(sy, y);
    syh = f64x2.add(syh, yh);
    if (step) {
      const g = f64x2.mul(ww, f64x2.sub(one, f64x2.div(f64x2.sqrt(y), f64x2.add(f64x2.sqrt(yh), eps9))));
      let f = diff ? f64x2.neg(g) : f64x2.sub(one, g);
      if (con) f = v128.bitselect(f, diff ? zero : one, validLanes(y, mask, kb, tv));
      f = f64x2.mul(f, sv);
      const f0 = re2(f), f1 = im2(f);
      for (let m: i32 = 0; m < modes; m++) {
        const qm = q + (<usize>m) * mstride;
        v128.store(qm, f64x2.mul(v128.load(qm), f0));
        v128.store(qm, f64x2.mul(v128.load(qm, 16), f1), 16);
      }
    }
  }
  store<f64>(out, hsum(loss));
  store<f64>(out, hsum(sy), 8);
  store<f64>(out, hsum(syh), 16);
}

/**
 * Far-field step of one position on every mode, from the stored Ŷ: Gaussian (`poisson` = 0)
 * Ψ·(1 − w·(1 − √y/(√Ŷ + 1e-9))), Poisson Ψ·(1 − α·(1 − y/(Ŷ + 1e-6))); only constrained pixels
 * change when `flags` has CONSTRAINED; then every pixel times `s` (as in `intensity`). `n2` even.
 */
export function farStep(far: usize, mstride: usize, modes: i32, yb: usize, yhat: usize, n2: i32, w: f64, alpha: f64,
  poisson: i32, flags: i32, mask: usize, thr: f64, s: f64): void {
  const eps9 = f64x2.splat(1e-9), eps6 = f64x2.splat(1e-6), one = f64x2.splat(1), ww = f64x2.splat(w), av = f64x2.splat(alpha);
  const tv = f64x2.splat(thr), con = flags & CONSTRAINED, sv = f64x2.splat(s);
  for (let k: i32 = 0; k < n2; k += 2) {
    const kb = (<usize>k) << 3;
    const y = v128.load(yb + kb), yh = v128.load(yhat + kb);
    let f = poisson
      ? f64x2.sub(one, f64x2.mul(av, f64x2.sub(one, f64x2.div(y, f64x2.add(yh, eps6)))))
      : f64x2.sub(one, f64x2.mul(ww, f64x2.sub(one, f64x2.div(f64x2.sqrt(y), f64x2.add(f64x2.sqrt(yh), eps9)))));
    if (con) f = v128.bitselect(f, one, validLanes(y, mask, kb, tv));
    f = f64x2.mul(f, sv);
    const f0 = re2(f), f1 = im2(f);
    const q = far + ((<usize>k) << 4);
    for (let m: i32 = 0; m < modes; m++) {
      const qm = q + (<usize>m) * mstride;
      v128.store(qm, f64x2.mul(v128.load(qm), f0));
      v128.store(qm, f64x2.mul(v128.load(qm, 16), f1), 16);
    }
  }
}

/**
 * Poisson step sums of one position at ā = `abar` (PtychoShelves' gradient_descent_xi_solver):
 * ξ = 1 − y/(Ŷ + 1e-5), num = Σ ξ·(Ŷ − y/(1 − ā·ξ)) (the quotient taken as 0 where y = 0),
 * den = Σ ξ²·Ŷ, over constrained pixels; written to out, out+8. `n2` even.
 */
export function poissonSums(yb: usize, yhat: usize, n2: i32, abar: f64, flags: i32, mask: usize, thr: f64, out: usize): void {
  let num = f64x2.splat(0), den = f64x2.splat(0);
  const one = f64x2.splat(1), zero = f64x2.splat(0), eps5 = f64x2.splat(1e-5), ab = f64x2.splat(abar), tv = f64x2.splat(thr);
  const con = flags & CONSTRAINED;
  for (let k: i32 = 0; k < n2; k += 2) {
    const kb = (<usize>k) << 3;
    const y = v128.load(yb + kb), yh = v128.load(yhat + kb);
    const xi = f64x2.sub(one, f64x2.div(y, f64x2.add(yh, eps5)));
    const q = v128.bitselect(zero, f64x2.div(y, f64x2.sub(one, f64x2.mul(ab, xi))), f64x2.eq(y, zero));
    let tn = f64x2.mul(xi, f64x2.sub(yh, q)), td = f64x2.mul(f64x2.mul(xi, xi), yh);
    if (con) {
      const v = validLanes(y, mask, kb, tv);
      tn = v128.bitselect(tn, zero, v); td = v128.bitselect(td, zero, v);
    }
    num = f64x2.add(num, tn);
    den = f64x2.add(den, td);
  }
  store<f64>(out, hsum(num));
  store<f64>(out, hsum(den), 8);
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
  const sc = f64x2(1, -1);
  for (let j: usize = 0; j < row; j += 16) {
    const k = k0 + j;
    const a = v128.load(ob + j);
    const ar = re2(a), ai = f64x2.mul(im2(a), sc);
    let b = v128.load(p0 + k);
    let x = v128.load(far + k);
    let sx = swap(x);
    v128.store(chi0 + k, x);
    v128.store(dP0 + k, f64x2.add(f64x2.mul(x, ar), f64x2.mul(sx, ai)));
    const d0 = f64x2.add(f64x2.mul(x, re2(b)), f64x2.mul(sx, f64x2.mul(im2(b), sc)));
    if (hasD0) v128.store(db0 + j, addDir ? f64x2.add(v128.load(db0 + j), d0) : d0);
    let acc = d0;
    let q = far + k, pb = probe + k, dq = dP + k;
    for (let m: i32 = 1; m < modes; m++) {
      q += mstride; pb += plane; dq += dstride;
      b = v128.load(pb);
      x = v128.load(q);
      sx = swap(x);
      const t = f64x2.add(f64x2.mul(x, ar), f64x2.mul(sx, ai));
      v128.store(dq, accum ? f64x2.add(v128.load(dq), t) : t);
      acc = f64x2.add(acc, f64x2.add(f64x2.mul(x, re2(b)), f64x2.mul(sx, f64x2.mul(im2(b), sc))));
    }
    v128.store(db + j, addDir ? f64x2.add(v128.load(db + j), acc) : acc);
  }
}

/** chiDirections' common path (flags CHI_GIVEN | MULTIMODAL, without KEEP_CHI): one loop per variant of the other flags. */
function chiDirectionsGiven(far: usize, mstride: usize, modes: i32, chi0: usize, dP0: usize, dP: usize, dstride: usize, dO: usize,
  dO0: usize, dStride: usize, p0: usize, probe: usize, o: usize, stride: usize, n: i32, accum: bool, addDir: bool): void {
  const row = (<usize>n) << 4;
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

/**
 * χ and the update directions of one position over `modes` modes and an N×N patch: χ_m = ψ'_m − o·p_m
 * (ψ'_m at far + m·mstride; χ_0 stored at `chi0` — which may be `far` —, χ_m for m ≥ 1 stored back
 * only with KEEP_CHI in `flags`), dP_0 = χ_0·conj(o) at `dP0`, dP_m = χ_m·conj(o) at dP + m·dstride for
 * m ≥ 1 (added to what is there with ACCUMULATE: the batch's block sums), dO = Σ_m χ_m·conj(p_m) (mode 0
 * only unless MULTIMODAL), and dO0 = χ_0·conj(p_0) when `dO0` ≠ 0. p_0 is the shifted probe at `p0`;
 * p_m (m ≥ 1) lies at probe + m·n²·16; o rows have byte stride `stride`. With CHI_GIVEN, far holds χ
 * itself (the inverse FFT of intensity's STEP_DIFFERENCE output) and o·p_m is not subtracted. The rows
 * of dO and dO0 lie `dStride` bytes apart; with ADD_DIRECTIONS they are added to what is there (the
 * patch of a placed image: the per-position phase placing the object directions itself).
 */
export function chiDirections(far: usize, mstride: usize, modes: i32, chi0: usize, dP0: usize, dP: usize, dstride: usize, dO: usize,
  dO0: usize, dStride: usize, p0: usize, probe: usize, o: usize, stride: usize, n: i32, flags: i32): void {
  const row = (<usize>n) << 4;
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
      let x = given ? v128.load(far + k) : f64x2.sub(v128.load(far + k), cmul(a, b));
      v128.store(chi0 + k, x);
      v128.store(dP0 + k, cmulc(x, a));
      const d0 = cmulc(x, b);
      if (dO0) v128.store(db0 + j, addDir ? f64x2.add(v128.load(db0 + j), d0) : d0);
      let acc = d0;
      for (let m: i32 = 1; m < modes; m++) {
        const q = far + k + (<usize>m) * mstride;
        b = v128.load(probe + (<usize>m) * plane + k);
        x = given ? v128.load(q) : f64x2.sub(v128.load(q), cmul(a, b));
        if (keepChi) v128.store(q, x);
        const dq = dP + k + (<usize>m) * dstride;
        v128.store(dq, accum ? f64x2.add(v128.load(dq), cmulc(x, a)) : cmulc(x, a));
        if (multimodal) acc = f64x2.add(acc, cmulc(x, b));
      }
      v128.store(db + j, addDir ? f64x2.add(v128.load(db + j), acc) : acc);
    }
  }
}

/**
 * Step-size sums of one position: A = d·p, Q = h·o, c = χ: Σ|A|², Σ|Q|², ΣA·conj(Q) (re, im),
 * ΣRe(conj(A)·c), ΣRe(conj(Q)·c), written as 6 f64 at `out`. d and o are patches with byte strides
 * dStride and oStride; p, h, c contiguous N×N.
 */
export function stepSums(d: usize, dStride: usize, o: usize, oStride: usize, p: usize, h: usize, c: usize, n: i32, out: usize): void {
  const row = (<usize>n) << 4;
  let aa = f64x2.splat(0), qq = f64x2.splat(0), aq = f64x2.splat(0), aqx = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0);
  for (let r: i32 = 0; r < n; r++) {
    const db = d + (<usize>r) * dStride, ob = o + (<usize>r) * oStride, kb = (<usize>r) * row;
    for (let j: usize = 0; j < row; j += 16) {
      const k = kb + j;
      const A = cmul(v128.load(db + j), v128.load(p + k));
      const Q = cmul(v128.load(h + k), v128.load(ob + j));
      const cv = v128.load(c + k);
      aa = f64x2.add(aa, f64x2.mul(A, A));
      qq = f64x2.add(qq, f64x2.mul(Q, Q));
      aq = f64x2.add(aq, f64x2.mul(A, Q));          // [ar·qr, ai·qi] → re = sum of lanes
      aqx = f64x2.add(aqx, f64x2.mul(swap(A), Q));  // [ai·qr, ar·qi] → im = lane0 − lane1
      b1 = f64x2.add(b1, f64x2.mul(A, cv));
      b2 = f64x2.add(b2, f64x2.mul(Q, cv));
    }
  }
  store<f64>(out, hsum(aa));
  store<f64>(out, hsum(qq), 8);
  store<f64>(out, hsum(aq), 16);
  store<f64>(out, f64x2.extract_lane(aqx, 0) - f64x2.extract_lane(aqx, 1), 24);
  store<f64>(out, hsum(b1), 32);
  store<f64>(out, hsum(b2), 40);
}

/** dst[j] += src[j] for `count` values of the working precision (complex rows: 2 per pixel). */
export function addTo(dst: usize, src: usize, count: i32): void {
  addF64(dst, src, count);
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

/** Complex dst[j] *= real s[j] for `count` pixels (the preconditioner's damped inverse). */
export function mulReal(dst: usize, s: usize, count: i32): void {
  for (let j: i32 = 0; j < count; j++) {
    const d = dst + ((<usize>j) << 4);
    v128.store(d, f64x2.mul(v128.load(d), v128.load64_splat(s + ((<usize>j) << 3))));
  }
}

/** dst[j] += a·src[j] for `count` values of the working precision (the object update). */
export function axpy(dst: usize, src: usize, a: f64, count: i32): void {
  const av = f64x2.splat(a);
  const end = dst + ((<usize>count) << 3);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) {
    v128.store(d, f64x2.add(v128.load(d), f64x2.mul(av, v128.load(s))));
    s += 16;
  }
  if (d < end) store<f64>(d, load<f64>(d) + a * load<f64>(s));
}

/** dst[j] = src[j] / b for `count` doubles (dst may be src). */
export function divide(dst: usize, src: usize, count: i32, b: f64): void {
  const bv = f64x2.splat(b);
  const end = dst + ((<usize>count) << 3);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) { v128.store(d, f64x2.div(v128.load(s), bv)); s += 16; }
  if (d < end) store<f64>(d, load<f64>(s) / b);
}

/** dst[j] += a·src[j] for `count` doubles (as axpy: float64 is already the working precision). */
export function axpyWide(dst: usize, src: usize, a: f64, count: i32): void {
  axpy(dst, src, a, count);
}

/** The modes' Gram matrix (modeGramOf in shared/modes.ts), in this kernel's precision. */
export function modeGram(modes: usize, m: i32, pixels: i32, g: usize): void {
  modeGramOf<f64>(modes, m, pixels, g);
}

/** The modes' recombination in place (modeMixOf in shared/modes.ts), in this kernel's precision. */
export function modeMix(modes: usize, m: i32, pixels: i32, coef: usize, scratch: usize): void {
  modeMixOf<f64>(modes, m, pixels, coef, scratch);
}

/** dst[j] += src[j] for `count` float64 values (the illumination map, float64 in either precision). */
export function addReal64(dst: usize, src: usize, count: i32): void {
  addTo(dst, src, count);
}
