// AssemblyScript WASM-SIMD kernels for the LSQML engine's per-position elementwise work
// (src/engine/kernels.ts holds the same loops in TypeScript, used when this module is unavailable).
// Compiled by scripts/build-wasm.mjs to dist/wasm/lsqml.wasm; loaded by src/engine/wasm-kernels.ts on
// the FFT arena's shared memory. Like the FFT kernel it keeps no state and no data in linear memory:
// every argument is a byte address chosen by the JS side.
//
// Complex values are interleaved complex128, one complex per v128 (re, im). Image rows of a patch
// are `n` complexes long; a patch read from the object has a row stride of `stride` bytes.
// Results equal the TypeScript loops' (same operations, same order per element and per sum).

// @ts-ignore: decorator
@inline function re2(x: v128): v128 { return v128.shuffle<f64>(x, x, 0, 0); }
// @ts-ignore: decorator
@inline function im2(x: v128): v128 { return v128.shuffle<f64>(x, x, 1, 1); }
// @ts-ignore: decorator
@inline function swap(x: v128): v128 { return v128.shuffle<f64>(x, x, 1, 0); }

/**
 * dst_i = src_i · ramp_i for `count` N×N spectra (slot i at dst + i·n²·16): ramp_i[u, v] = ey[u]·ex[v]
 * with ey, ex the n complexes at ramp + i·32n and + 16n bytes (conjugated when `conj`). `srcStep` is the
 * byte step between slots of src (0: the same spectrum for every slot).
 */
export function rampMul(dst: usize, src: usize, srcStep: usize, ramp: usize, n: i32, count: i32, conj: i32): void {
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
        v128.store(d, f64x2.add(f64x2.mul(a, pr), f64x2.mul(f64x2.mul(swap(a), pi), f64x2(-1, 1))));
        d += 16; s += 16;
      }
    }
  }
}

/** far = o·p over an N×N patch: o rows at `o` with byte stride `stride`, p contiguous. */
export function exitWave(far: usize, o: usize, stride: usize, p: usize, n: i32): void {
  const row = (<usize>n) << 4;
  const sign = f64x2(-1, 1);
  for (let r: i32 = 0; r < n; r++) {
    const ob = o + (<usize>r) * stride, pb = p + (<usize>r) * row, fb = far + (<usize>r) * row;
    for (let j: usize = 0; j < row; j += 16) {
      const a = v128.load(ob + j), b = v128.load(pb + j);
      v128.store(fb + j, f64x2.add(f64x2.mul(a, re2(b)), f64x2.mul(f64x2.mul(swap(a), im2(b)), sign)));
    }
  }
}

/**
 * One mode, every pixel constrained: Ŷ = |Ψ|², loss Σ(√(Ŷ+1e-7) − √(y+1e-7))², Σy, ΣŶ (written to
 * out, out+8, out+16), and Ψ ← Ψ·(1 − w·(1 − √y/(√Ŷ + 1e-9))) (the Gaussian far-field step).
 * `n2` must be even. Ŷ is stored at yhat when `keepYhat`.
 */
export function gaussIntensity(far: usize, yb: usize, yhat: usize, n2: i32, w: f64, keepYhat: i32, out: usize): void {
  let loss = f64x2.splat(0), sy = f64x2.splat(0), syh = f64x2.splat(0);
  const eps = f64x2.splat(1e-7), eps9 = f64x2.splat(1e-9), one = f64x2.splat(1), ww = f64x2.splat(w);
  for (let k: i32 = 0; k < n2; k += 2) {
    const q = far + ((<usize>k) << 4);
    const p0 = v128.load(q), p1 = v128.load(q, 16);
    const re = v128.shuffle<f64>(p0, p1, 0, 2), im = v128.shuffle<f64>(p0, p1, 1, 3);
    const yh = f64x2.add(f64x2.mul(re, re), f64x2.mul(im, im));
    const y = v128.load(yb + ((<usize>k) << 3));
    if (keepYhat) v128.store(yhat + ((<usize>k) << 3), yh);
    const e = f64x2.sub(f64x2.sqrt(f64x2.add(yh, eps)), f64x2.sqrt(f64x2.add(y, eps)));
    loss = f64x2.add(loss, f64x2.mul(e, e));
    sy = f64x2.add(sy, y);
    syh = f64x2.add(syh, yh);
    const f = f64x2.sub(one, f64x2.mul(ww, f64x2.sub(one, f64x2.div(f64x2.sqrt(y), f64x2.add(f64x2.sqrt(yh), eps9)))));
    v128.store(q, f64x2.mul(p0, re2(f)));
    v128.store(q, f64x2.mul(p1, im2(f)), 16);
  }
  store<f64>(out, f64x2.extract_lane(loss, 0) + f64x2.extract_lane(loss, 1));
  store<f64>(out, f64x2.extract_lane(sy, 0) + f64x2.extract_lane(sy, 1), 8);
  store<f64>(out, f64x2.extract_lane(syh, 0) + f64x2.extract_lane(syh, 1), 16);
}

/**
 * One mode: χ = far − o·p (stored back into far), dP = χ·conj(o), dO = χ·conj(p), over an N×N patch
 * (o rows with byte stride `stride`; far, dP, dO, p contiguous).
 */
export function chiDirections(far: usize, dP: usize, dO: usize, p: usize, o: usize, stride: usize, n: i32): void {
  const row = (<usize>n) << 4;
  const sign = f64x2(-1, 1), csign = f64x2(1, -1);
  for (let r: i32 = 0; r < n; r++) {
    const ob = o + (<usize>r) * stride, kb = (<usize>r) * row;
    for (let j: usize = 0; j < row; j += 16) {
      const k = kb + j;
      const a = v128.load(ob + j), b = v128.load(p + k);
      const ar = re2(a), ai = im2(a), br = re2(b), bi = im2(b);
      const psi = f64x2.add(f64x2.mul(a, br), f64x2.mul(f64x2.mul(swap(a), bi), sign));
      const x = f64x2.sub(v128.load(far + k), psi);
      v128.store(far + k, x);
      const xs = f64x2.mul(swap(x), csign); // [xi, −xr]
      v128.store(dP + k, f64x2.add(f64x2.mul(x, ar), f64x2.mul(xs, ai)));
      v128.store(dO + k, f64x2.add(f64x2.mul(x, br), f64x2.mul(xs, bi)));
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
  const sign = f64x2(-1, 1);
  let aa = f64x2.splat(0), qq = f64x2.splat(0), aq = f64x2.splat(0), aqx = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0);
  for (let r: i32 = 0; r < n; r++) {
    const db = d + (<usize>r) * dStride, ob = o + (<usize>r) * oStride, kb = (<usize>r) * row;
    for (let j: usize = 0; j < row; j += 16) {
      const k = kb + j;
      const dv = v128.load(db + j), pv = v128.load(p + k);
      const A = f64x2.add(f64x2.mul(dv, re2(pv)), f64x2.mul(f64x2.mul(swap(dv), im2(pv)), sign));
      const hv = v128.load(h + k), ov = v128.load(ob + j);
      const Q = f64x2.add(f64x2.mul(hv, re2(ov)), f64x2.mul(f64x2.mul(swap(hv), im2(ov)), sign));
      const cv = v128.load(c + k);
      aa = f64x2.add(aa, f64x2.mul(A, A));
      qq = f64x2.add(qq, f64x2.mul(Q, Q));
      aq = f64x2.add(aq, f64x2.mul(A, Q));          // [ar·qr, ai·qi] → re = sum of lanes
      aqx = f64x2.add(aqx, f64x2.mul(swap(A), Q));  // [ai·qr, ar·qi] → im = lane0 − lane1
      b1 = f64x2.add(b1, f64x2.mul(A, cv));
      b2 = f64x2.add(b2, f64x2.mul(Q, cv));
    }
  }
  store<f64>(out, f64x2.extract_lane(aa, 0) + f64x2.extract_lane(aa, 1));
  store<f64>(out, f64x2.extract_lane(qq, 0) + f64x2.extract_lane(qq, 1), 8);
  store<f64>(out, f64x2.extract_lane(aq, 0) + f64x2.extract_lane(aq, 1), 16);
  store<f64>(out, f64x2.extract_lane(aqx, 0) - f64x2.extract_lane(aqx, 1), 24);
  store<f64>(out, f64x2.extract_lane(b1, 0) + f64x2.extract_lane(b1, 1), 32);
  store<f64>(out, f64x2.extract_lane(b2, 0) + f64x2.extract_lane(b2, 1), 40);
}

/** dst[j] += src[j] for `count` doubles (count even; 16-byte steps). Lane-wise: the same result as a scalar loop. */
export function addTo(dst: usize, src: usize, count: i32): void {
  const end = dst + ((<usize>count) << 3);
  let s = src;
  for (let d = dst; d < end; d += 16) {
    v128.store(d, f64x2.add(v128.load(d), v128.load(s)));
    s += 16;
  }
}
