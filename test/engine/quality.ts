/** Quality metrics for the engine tests: phase error against ground truth after removing offset and ramp. */
import { illumination } from '../../src/engine/preconditioner.js';
import { patchGeometry, positionOrigin } from '../../src/engine/patches.js';

/**
 * RMS phase error (rad) of `rec` against `truth` over the well-illuminated pixels (illumination ≥
 * `frac` of its maximum), after removing the best global phase offset and linear phase ramp
 * (a least-squares plane fitted to the phase of rec·conj(truth), weighted by illumination).
 */
export function phaseErrorRms(rec: Float64Array, truth: Float64Array, H: number, W: number, probe: Float64Array, N: number,
  positions: ArrayLike<number>, frac = 0.3): number {
  const n = positions.length / 2;
  const g = patchGeometry(positions, n, N, positionOrigin(H, W));
  const il = illumination(probe, 1, N, g.topLeft, n, H, W);
  let max = 0;
  for (const v of il) max = Math.max(max, v);
  // Global offset first (phase of Σ w·rec·conj(truth)), so the difference does not wrap.
  let sr = 0, si = 0;
  const sel: number[] = [];
  for (let j = 0; j < H * W; j++) {
    if (il[j]! < frac * max) continue;
    sel.push(j);
    const ar = rec[2 * j]!, ai = rec[2 * j + 1]!, br = truth[2 * j]!, bi = truth[2 * j + 1]!;
    sr += ar * br + ai * bi; si += ai * br - ar * bi;
  }
  const off = Math.atan2(si, sr);
  const d = sel.map((j) => {
    const ar = rec[2 * j]!, ai = rec[2 * j + 1]!, br = truth[2 * j]!, bi = truth[2 * j + 1]!;
    let p = Math.atan2(ai * br - ar * bi, ar * br + ai * bi) - off;
    p = Math.atan2(Math.sin(p), Math.cos(p));
    return p;
  });
  // Least-squares plane a + b·y + c·x.
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], rhs = [0, 0, 0];
  sel.forEach((j, k) => {
    const v = [1, Math.floor(j / W), j % W];
    for (let r = 0; r < 3; r++) { rhs[r]! += v[r]! * d[k]!; for (let c = 0; c < 3; c++) A[r]![c]! += v[r]! * v[c]!; }
  });
  const coef = solve3(A, rhs);
  let s2 = 0;
  sel.forEach((j, k) => { const e = d[k]! - (coef[0]! + coef[1]! * Math.floor(j / W) + coef[2]! * (j % W)); s2 += e * e; });
  return Math.sqrt(s2 / sel.length);
}

function solve3(A: number[][], b: number[]): number[] {
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k < 4; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return [M[0]![3]! / M[0]![0]!, M[1]![3]! / M[1]![1]!, M[2]![3]! / M[2]![2]!];
}
