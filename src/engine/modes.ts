/**
 * Incoherent probe modes: pty-chi's SVD orthogonalisation (`orthogonalize_svd`, docs/lsqml.md) and the
 * small Hermitian eigen-solver it needs.
 */

/** Eigen-decomposition of a Hermitian M×M matrix (row-major interleaved complex) by cyclic complex Jacobi. */
export function hermitianEigen(g: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(g);
  // V starts as the identity; columns are eigenvectors.
  const v = new Float64Array(2 * m * m);
  for (let i = 0; i < m; i++) v[2 * (i * m + i)] = 1;
  const idx = (r: number, c: number): number => 2 * (r * m + c);
  let scale = 0;
  for (let i = 0; i < 2 * m * m; i++) scale += a[i] * a[i];
  scale = Math.sqrt(scale);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[idx(p, q)] ** 2 + a[idx(p, q) + 1] ** 2;
    if (!(Math.sqrt(off) > 1e-16 * scale)) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const gr = a[idx(p, q)], gi = a[idx(p, q) + 1];
        const gabs = Math.hypot(gr, gi);
        if (gabs === 0 || !(gabs > 1e-300)) continue;
        const app = a[idx(p, p)], aqq = a[idx(q, q)];
        // Phase e^{-iφ} makes the (p, q) entry real; then a real Jacobi rotation zeroes it.
        const er = gr / gabs, ei = -gi / gabs; // e^{-iφ}
        const tau = (aqq - app) / (2 * gabs);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        // J (2×2 on columns p, q): J_pp = c, J_pq = s, J_qp = −s·e^{-iφ}, J_qq = c·e^{-iφ}.
        const jpp = [c, 0], jpq = [s, 0], jqp = [-s * er, -s * ei], jqq = [c * er, c * ei];
        // A ← A·J (columns p, q) and V ← V·J.
        for (const mat of [a, v]) {
          for (let r = 0; r < m; r++) {
            const xr = mat[idx(r, p)], xi = mat[idx(r, p) + 1], yr = mat[idx(r, q)], yi = mat[idx(r, q) + 1];
            mat[idx(r, p)] = xr * jpp[0] - xi * jpp[1] + yr * jqp[0] - yi * jqp[1];
            mat[idx(r, p) + 1] = xr * jpp[1] + xi * jpp[0] + yr * jqp[1] + yi * jqp[0];
            mat[idx(r, q)] = xr * jpq[0] - xi * jpq[1] + yr * jqq[0] - yi * jqq[1];
            mat[idx(r, q) + 1] = xr * jpq[1] + xi * jpq[0] + yr * jqq[1] + yi * jqq[0];
          }
        }
        // A ← Jᴴ·A (rows p, q).
        for (let col = 0; col < m; col++) {
          const xr = a[idx(p, col)], xi = a[idx(p, col) + 1], yr = a[idx(q, col)], yi = a[idx(q, col) + 1];
          // row p' = conj(J_pp)·x + conj(J_qp)·y ; row q' = conj(J_pq)·x + conj(J_qq)·y
          a[idx(p, col)] = jpp[0] * xr + jpp[1] * xi + jqp[0] * yr + jqp[1] * yi;
          a[idx(p, col) + 1] = jpp[0] * xi - jpp[1] * xr + jqp[0] * yi - jqp[1] * yr;
          a[idx(q, col)] = jpq[0] * xr + jpq[1] * xi + jqq[0] * yr + jqq[1] * yi;
          a[idx(q, col) + 1] = jpq[0] * xi - jpq[1] * xr + jqq[0] * yi - jqq[1] * yr;
        }
        a[idx(p, q)] = 0; a[idx(p, q) + 1] = 0; a[idx(q, p)] = 0; a[idx(q, p) + 1] = 0;
        a[idx(p, p) + 1] = 0; a[idx(q, q) + 1] = 0;
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = a[idx(i, i)];
  return { values, vectors: v };
}

/**
 * The two loops over pixels of orthogonalizeModesSvd as WASM kernels on the modes it is given (the
 * engine's probe, in the wasm arena): the same float64 sums in the same order, so the same values.
 */
export interface ModeKernels {
  /** Writes G = Xᴴ·X (m×m complex, interleaved, row-major) into `g`. */
  gram(g: Float64Array): void;
  /** Replaces the modes by X·coef (coef[j][r]: mode j gets Σ_r x_r·coef[j][r]), rounded once. */
  mix(coef: Float64Array): void;
}

/**
 * pty-chi's incoherent-mode orthogonalisation (method SVD) of `m` modes of `pixels` complex values
 * each (interleaved, mode-major), in place: with X = modes as (pixels × M) and G = Xᴴ·X, the new
 * modes are X·v_j for the eigenvectors v_j of G sorted by |λ| descending (equal to pty-chi's X·conj(V),
 * V the eigenvectors of Xᵀ·X̄). Each eigenvector is unit-norm with its largest component real and
 * positive (LAPACK geev's convention), so the mode phases match pty-chi's. Total power is preserved.
 */
export function orthogonalizeModesSvd(modes: Float32Array | Float64Array, m: number, pixels: number, kernels?: ModeKernels): void {
  if (m < 2) return;
  const g = new Float64Array(2 * m * m);
  if (kernels) kernels.gram(g);
  else for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let sr = 0, si = 0;
      const oi = 2 * pixels * i, oj = 2 * pixels * j;
      for (let k = 0; k < 2 * pixels; k += 2) {
        const ar = modes[oi + k], ai = modes[oi + k + 1], br = modes[oj + k], bi = modes[oj + k + 1];
        sr += ar * br + ai * bi; // conj(a)·b
        si += ar * bi - ai * br;
      }
      g[2 * (i * m + j)] = sr; g[2 * (i * m + j) + 1] = si;
      g[2 * (j * m + i)] = sr; g[2 * (j * m + i) + 1] = -si;
    }
  }
  const { values, vectors } = hermitianEigen(g, m);
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => Math.abs(values[y]) - Math.abs(values[x]) || x - y);
  const coef = new Float64Array(2 * m * m); // coef[j][r] = v_{order[j]}[r]
  for (let j = 0; j < m; j++) {
    const col = order[j];
    let norm = 0, best = -1, bestAbs = -1;
    for (let r = 0; r < m; r++) {
      const re = vectors[2 * (r * m + col)], im = vectors[2 * (r * m + col) + 1];
      const a2 = re * re + im * im;
      norm += a2;
      if (a2 > bestAbs) { bestAbs = a2; best = r; }
    }
    norm = Math.sqrt(norm);
    const br = vectors[2 * (best * m + col)], bi = vectors[2 * (best * m + col) + 1];
    const babs = Math.hypot(br, bi);
    // multiply by conj(b)/|b| / norm
    const pr = babs > 0 ? br / babs / norm : 1 / norm, pi = babs > 0 ? -bi / babs / norm : 0;
    for (let r = 0; r < m; r++) {
      const re = vectors[2 * (r * m + col)], im = vectors[2 * (r * m + col) + 1];
      coef[2 * (j * m + r)] = re * pr - im * pi;
      coef[2 * (j * m + r) + 1] = re * pi + im * pr;
    }
  }
  if (kernels) { kernels.mix(coef); return; }
  const out = new Float64Array(2 * m * pixels);
  for (let j = 0; j < m; j++) {
    const oj = 2 * pixels * j;
    for (let r = 0; r < m; r++) {
      const cr = coef[2 * (j * m + r)], ci = coef[2 * (j * m + r) + 1];
      const or = 2 * pixels * r;
      for (let k = 0; k < 2 * pixels; k += 2) {
        const xr = modes[or + k], xi = modes[or + k + 1];
        out[oj + k] += xr * cr - xi * ci;
        out[oj + k + 1] += xr * ci + xi * cr;
      }
    }
  }
  modes.set(out);
}
