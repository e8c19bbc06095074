/**
 * Step sizes of LSQML (docs/lsqml.md): the per-position regularised 2×2 joint solve and the batch
 * reductions (10 % two-sided trimmed mean for the object, plain mean for the probe).
 */

/**
 * Linear-interpolated quantile of ascending `sorted` values at q ∈ [0, 1], as torch.quantile
 * (position q·(n − 1), interpolation by torch.lerp's two-sided formula).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  const a = sorted[lo], b = sorted[hi], t = pos - lo;
  return t < 0.5 ? a + t * (b - a) : b - (b - a) * (1 - t);
}

/**
 * pty-chi's `trim_mean(x, fraction)`: the mean of the values v with q(fraction) ≤ v ≤ q(1 − fraction)
 * (torch.quantile bounds, inclusive); the plain mean when no value qualifies. NaN for no values.
 */
export function trimmedMean(values: ArrayLike<number>, fraction = 0.1): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const lb = quantileSorted(sorted, fraction), ub = quantileSorted(sorted, 1 - fraction);
  let s = 0, k = 0, all = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    all += v;
    if (v >= lb && v <= ub) { s += v; k++; }
  }
  return k > 0 ? s / k : all / n;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Per-position sums of the joint system (before regularisation). */
export interface StepSums {
  /** Σ|A|², Σ|Q|², Re and Im of ΣA·conj(Q), ΣRe(conj(A)·χ), ΣRe(conj(Q)·χ), one per position. */
  aa: Float64Array; qq: Float64Array; aqRe: Float64Array; aqIm: Float64Array; b1: Float64Array; b2: Float64Array;
}

export interface JointStepOptions {
  /** Pixels per patch (N²): the λ0 = 1.2e-7/N² per-pixel term adds 1.2e-7 per position. */
  pixels: number;
  /** λ_LSQ (0.1). */
  regularization: number;
}

/** The regularised matrices and right-hand sides of the per-position systems (pty-chi's a_mat / b_vec). */
export interface JointSystem { a11: Float64Array; a22: Float64Array; a12Re: Float64Array; a12Im: Float64Array; b1: Float64Array; b2: Float64Array }

export function jointSystem(s: StepSums, o: JointStepOptions): JointSystem {
  const n = s.aa.length;
  const lambda0 = 1.2e-7 / o.pixels;
  const a11 = new Float64Array(n), a22 = new Float64Array(n);
  for (let i = 0; i < n; i++) { a11[i] = s.aa[i] + lambda0 * o.pixels; a22[i] = s.qq[i] + lambda0 * o.pixels; }
  const m11 = mean(a11), m22 = mean(a22);
  for (let i = 0; i < n; i++) { a11[i] += o.regularization * m11; a22[i] += o.regularization * m22; }
  return { a11, a22, a12Re: Float64Array.from(s.aqRe), a12Im: Float64Array.from(s.aqIm), b1: Float64Array.from(s.b1), b2: Float64Array.from(s.b2) };
}

/**
 * Closed-form solution of [[a11, a12], [conj(a12), a22]]·x = [b1, b2] (Hermitian matrix, real right-hand
 * side), real parts only: Re x0 = (a22·b1 − Re(a12)·b2)/det, Re x1 = (a11·b2 − Re(a12)·b1)/det with
 * det = a11·a22 − |a12|² (> 0 by the regularisation). A position whose system is not finite or not
 * positive definite gets x = 0: never a singular solve.
 */
export function solveJoint(sys: JointSystem, i: number): [number, number] {
  const a11 = sys.a11[i], a22 = sys.a22[i], ar = sys.a12Re[i], ai = sys.a12Im[i], b1 = sys.b1[i], b2 = sys.b2[i];
  const det = a11 * a22 - (ar * ar + ai * ai);
  if (!(det > 0) || !Number.isFinite(det)) return [0, 0];
  const x0 = (a22 * b1 - ar * b2) / det, x1 = (a11 * b2 - ar * b1) / det;
  return [Number.isFinite(x0) ? x0 : 0, Number.isFinite(x1) ? x1 : 0];
}

/** Per-position α_O and α_P: max(Re x, 0) scaled by β/(M) and β (docs/lsqml.md, post-scaling). */
export function jointStepSizes(sys: JointSystem, objectScale: number, probeScale: number): { alphaO: Float64Array; alphaP: Float64Array } {
  const n = sys.a11.length;
  const alphaO = new Float64Array(n), alphaP = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [x0, x1] = solveJoint(sys, i);
    alphaO[i] = Math.max(x0, 0) * objectScale;
    alphaP[i] = Math.max(x1, 0) * probeScale;
  }
  return { alphaO, alphaP };
}
