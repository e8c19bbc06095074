/**
 * End-of-epoch constraints of LSQML (docs/lsqml.md): the epoch-0 probe intensity rescaling and the
 * removal of the object–probe scale ambiguity. (Mode orthogonalisation is in modes.ts.)
 */

/** ROI of the ambiguity removal: rows int(min p_y + o_y) … int(max p_y + o_y) (end exclusive), same for columns. */
export interface Roi { r0: number; r1: number; c0: number; c1: number }

export function positionsRoi(positions: ArrayLike<number>, n: number, origin: readonly [number, number], h: number, w: number): Roi {
  let ymin = Infinity, ymax = -Infinity, xmin = Infinity, xmax = -Infinity;
  for (let i = 0; i < n; i++) {
    const y = positions[2 * i], x = positions[2 * i + 1];
    if (y < ymin) ymin = y; if (y > ymax) ymax = y;
    if (x < xmin) xmin = x; if (x > xmax) xmax = x;
  }
  const clamp = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  return {
    r0: clamp(Math.trunc(ymin + origin[0]), h), r1: clamp(Math.trunc(ymax + origin[0]), h),
    c0: clamp(Math.trunc(xmin + origin[1]), w), c1: clamp(Math.trunc(xmax + origin[1]), w),
  };
}

/**
 * Removes the object–probe scale ambiguity: in the ROI, w = C / rms(C) and
 * n = √(mean(|O|²·w)); then O /= n and P *= n. Returns n, or null when the ROI is empty or
 * degenerate (pty-chi would produce NaN there; this engine leaves O and P unchanged).
 */
export function removeAmbiguity(obj: Float32Array | Float64Array, w: number, precond: Float64Array, roi: Roi,
  probe: Float32Array | Float64Array): number | null {
  const { r0, r1, c0, c1 } = roi;
  const count = (r1 - r0) * (c1 - c0);
  if (!(count > 0)) return null;
  let c2 = 0;
  for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) { const v = precond[r * w + c]; c2 += v * v; }
  const rms = Math.sqrt(c2 / count);
  if (!(rms > 0) || !Number.isFinite(rms)) return null;
  let s = 0;
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const j = r * w + c;
      s += (obj[2 * j] ** 2 + obj[2 * j + 1] ** 2) * (precond[j] / rms);
    }
  }
  const norm = Math.sqrt(s / count);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  for (let j = 0; j < obj.length; j++) obj[j] /= norm;
  for (let j = 0; j < probe.length; j++) probe[j] *= norm;
  return norm;
}

/** Epoch-0 probe rescaling factor √(Σy / ΣŶ). */
export function probeRescaleFactor(sumY: number, sumYhat: number): number {
  return Math.sqrt(sumY / sumYhat);
}
