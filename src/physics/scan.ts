/**
 * Scan positions, their integer/sub-pixel placement in the object, and the train/test split.
 *
 * File coordinates (`xcoords`, `ycoords`) are scan centres in object pixels; the patch of a position
 * covers rows [y − N/2, y + N/2) and columns [x − N/2, x + N/2) (continuous). Positions are drawn
 * i.i.d. uniform in [N/2, W − N/2) × [N/2, H − N/2) — all x first, then all y, as the reference
 * simulation does — so every patch lies inside the object.
 *
 * Placement follows pty-chi's "integer object, sub-pixel probe" model with the position convention of
 * src/math/positions.ts (the one place it is written): the object patch starts at an integer index and
 * the sub-pixel remainder shifts the probe.
 */
import { originOf, placePosition, positionFromCoord, type Placement } from '../math/positions.js';
import type { Rng } from '../math/rng.js';
import type { ScanPositions } from './types.js';

/** Draws `n` scan centres uniform in [N/2, W − N/2) × [N/2, H − N/2): all x values first, then all y. */
export function randomPositions(n: number, h: number, w: number, patch: number, rng: Rng): ScanPositions {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`number of positions must be a positive integer, got ${n}`);
  if (h < patch || w < patch) throw new RangeError(`object ${h}×${w} is smaller than the ${patch}×${patch} patch`);
  const half = patch / 2;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = half + (w - patch) * rng.uniform();
  for (let i = 0; i < n; i++) y[i] = half + (h - patch) * rng.uniform();
  return { x, y };
}

/** Placement of one file coordinate on an axis of `size` pixels ('ptychi' origin; see src/math/positions.ts). */
export function placement(coord: number, size: number, patch: number, out: Placement = { top: 0, frac: 0 }): Placement {
  const o = originOf(size);
  return placePosition(positionFromCoord(coord, o, patch), o, patch, out);
}

export interface SplitResult {
  axis: 'x' | 'y';
  /** min + (max − min)·fraction of the coordinates along the axis. */
  splitPoint: number;
  fraction: number;
  /** Indices (ascending) with coordinate < splitPoint. */
  train: Int32Array;
  /** Indices (ascending) with coordinate ≥ splitPoint. */
  test: Int32Array;
  range: [number, number];
}

/**
 * Splits positions by value along one axis (the reference's split tool): split point =
 * min + (max − min)·fraction; train is strictly below it, test at or above.
 */
export function splitPositions(pos: ScanPositions, axis: 'x' | 'y' = 'y', fraction = 0.5): SplitResult {
  const c = axis === 'y' ? pos.y : pos.x;
  if (c.length === 0) throw new RangeError('cannot split an empty set of positions');
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`split fraction must be in (0, 1), got ${fraction}`);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < c.length; i++) { if (c[i] < lo) lo = c[i]; if (c[i] > hi) hi = c[i]; }
  const splitPoint = lo + (hi - lo) * fraction;
  let nTrain = 0;
  for (let i = 0; i < c.length; i++) if (c[i] < splitPoint) nTrain++;
  const train = new Int32Array(nTrain), test = new Int32Array(c.length - nTrain);
  let a = 0, b = 0;
  for (let i = 0; i < c.length; i++) {
    if (c[i] < splitPoint) train[a++] = i; else test[b++] = i;
  }
  return { axis, splitPoint, fraction, train, test, range: [lo, hi] };
}
