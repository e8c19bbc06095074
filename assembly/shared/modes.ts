/**
 * Scalar loops the float64 and float32 LSQML kernels share (imported by assembly/lsqml.ts and
 * assembly/lsqml32.ts, compiled into each; this folder is not a module of its own). `T` is the working
 * precision (f64 or f32) of interleaved complexes; every sum is formed in float64.
 */

/**
 * The Gram matrix of `m` modes of `pixels` complexes each (mode-major, interleaved, at `modes`):
 * g[i][j] = Σ_k conj(x_i,k)·x_j,k for j ≥ i, and its conjugate at g[j][i] (f64 complexes at `g`, row-major
 * m×m). Sums in float64, pixel by pixel in order: the same values as orthogonalizeModesSvd's loops.
 */
// @ts-ignore: decorator
@inline export function modeGramOf<T>(modes: usize, m: i32, pixels: i32, g: usize): void {
  const size = <usize>sizeof<T>();
  const plane = (<usize>pixels) * (size << 1);
  for (let i: i32 = 0; i < m; i++) {
    for (let j: i32 = i; j < m; j++) {
      let sr: f64 = 0, si: f64 = 0;
      let a = modes + (<usize>i) * plane, b = modes + (<usize>j) * plane;
      for (let k: i32 = 0; k < pixels; k++) {
        const ar = <f64>load<T>(a), ai = <f64>load<T>(a + size), br = <f64>load<T>(b), bi = <f64>load<T>(b + size);
        sr += ar * br + ai * bi;
        si += ar * bi - ai * br;
        a += size << 1; b += size << 1;
      }
      const ij = g + ((<usize>(i * m + j)) << 4), ji = g + ((<usize>(j * m + i)) << 4);
      store<f64>(ij, sr); store<f64>(ij, si, 8);
      store<f64>(ji, sr); store<f64>(ji, -si, 8);
    }
  }
}

/**
 * In place, new mode j = Σ_r x_r·c[j][r] (c: f64 complexes at `coef`, row-major m×m, m ≤ 16), each sum
 * formed in float64 over r in order and rounded to the working precision once: orthogonalizeModesSvd's
 * recombination. Pixel by pixel, so the modes can be overwritten as they are read.
 */
// @ts-ignore: decorator
@inline export function modeMixOf<T>(modes: usize, m: i32, pixels: i32, coef: usize, scratch: usize): void {
  const size = <usize>sizeof<T>();
  const plane = (<usize>pixels) * (size << 1);
  for (let k: i32 = 0; k < pixels; k++) {
    const px = modes + (<usize>k) * (size << 1);
    for (let j: i32 = 0; j < m; j++) {
      let or: f64 = 0, oi: f64 = 0;
      for (let r: i32 = 0; r < m; r++) {
        const c = coef + ((<usize>(j * m + r)) << 4);
        const cr = load<f64>(c), ci = load<f64>(c, 8);
        const x = px + (<usize>r) * plane;
        const xr = <f64>load<T>(x), xi = <f64>load<T>(x + size);
        or += xr * cr - xi * ci;
        oi += xr * ci + xi * cr;
      }
      store<f64>(scratch + ((<usize>j) << 4), or); store<f64>(scratch + ((<usize>j) << 4), oi, 8);
    }
    for (let j: i32 = 0; j < m; j++) {
      const x = px + (<usize>j) * plane;
      store<T>(x, <T>load<f64>(scratch + ((<usize>j) << 4))); store<T>(x + size, <T>load<f64>(scratch + ((<usize>j) << 4), 8));
    }
  }
}

/** dst[j] += src[j] for `count` float64 values. */
// @ts-ignore: decorator
@inline export function addF64(dst: usize, src: usize, count: i32): void {
  const end = dst + ((<usize>count) << 3);
  let s = src, d = dst;
  for (; d + 16 <= end; d += 16) {
    v128.store(d, f64x2.add(v128.load(d), v128.load(s)));
    s += 16;
  }
  if (d < end) store<f64>(d, load<f64>(d) + load<f64>(s));
}
