/**
 * Planar point geometry (used by the overlap views): minimum-spacing selection, the geometry bound on
 * how many positions any such selection can keep (Oler's inequality), nearest-neighbour statistics,
 * disc overlaps and coverage. Pure functions over coordinate arrays; nothing here reads files or knows
 * the study layout.
 *
 * Distances are Euclidean in float64, always computed as `Math.sqrt(dx*dx + dy*dy)` (`distance`), and a
 * pair "satisfies spacing S" when that distance is `>= S`. Every function below uses the same rule, so
 * a selection that passes `satisfiesSpacing` passes a brute-force pair check written with `distance`.
 */

/** Euclidean distance between (x1, y1) and (x2, y2): the one distance rule used throughout Phase D. */
export function distance(x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  return Math.sqrt(dx * dx + dy * dy);
}

function checkCoords(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new RangeError(`x has ${x.length} coordinates but y has ${y.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new RangeError(`position ${i} is not finite: (x=${x[i]}, y=${y[i]})`);
    }
  }
}

function checkThreshold(s: number): void {
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`spacing threshold must be a positive finite number, got ${s}`);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// Uniform grid: points are bucketed into square cells a little larger than S, so every point closer
// than S to a query lies in the query's cell or one of its 8 neighbours.
// ─────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * An incrementally filled uniform grid over a fixed set of coordinates. `add(i)` inserts point i;
 * `hasWithin(x, y)` says whether an inserted point lies at distance `< s` from (x, y).
 */
export class SpacingGrid {
  private readonly cell: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly cells = new Map<number, number[]>();
  private readonly stride: number;

  constructor(private readonly x: ArrayLike<number>, private readonly y: ArrayLike<number>, private readonly s: number) {
    checkThreshold(s);
    // A cell a hair wider than S keeps "closer than S ⇒ neighbouring cell" true despite rounding in the division.
    this.cell = s * (1 + 1e-9);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity;
    for (let i = 0; i < x.length; i++) {
      if (x[i] < x0) x0 = x[i];
      if (x[i] > x1) x1 = x[i];
      if (y[i] < y0) y0 = y[i];
    }
    this.x0 = Number.isFinite(x0) ? x0 : 0;
    this.y0 = Number.isFinite(y0) ? y0 : 0;
    // Cell keys are cy * stride + cx with cx in [0, stride − 2]; one spare column keeps cx + 1 from wrapping.
    this.stride = (Number.isFinite(x1) ? Math.floor((x1 - this.x0) / this.cell) : 0) + 3;
  }

  private cx(x: number): number { return Math.floor((x - this.x0) / this.cell); }
  private cy(y: number): number { return Math.floor((y - this.y0) / this.cell); }

  add(i: number): void {
    const key = this.cy(this.y[i]) * this.stride + this.cx(this.x[i]);
    const list = this.cells.get(key);
    if (list) list.push(i); else this.cells.set(key, [i]);
  }

  /** True when some inserted point other than `skip` lies at distance `< s` from (qx, qy). */
  hasWithin(qx: number, qy: number, skip = -1): boolean {
    const cx = this.cx(qx), cy = this.cy(qy);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const c = cx + dx;
        if (c < 0 || c >= this.stride) continue;
        const list = this.cells.get((cy + dy) * this.stride + c);
        if (!list) continue;
        for (const j of list) {
          if (j !== skip && distance(qx, qy, this.x[j], this.y[j]) < this.s) return true;
        }
      }
    }
    return false;
  }
}

/**
 * The spacing threshold of an overlap view: S = (1 − f)·N px for an overlap fraction f of patches N px wide (the
 * minimum distance a view's selection keeps between positions; the study design records it per view).
 */
export function spacingThreshold(overlapFraction: number, patchSize: number): number {
  return (1 - overlapFraction) * patchSize;
}

/** True when every pair of the positions is at distance ≥ s (always true for 0 or 1 position). */
export function satisfiesSpacing(x: ArrayLike<number>, y: ArrayLike<number>, s: number): boolean {
  checkCoords(x, y);
  const grid = new SpacingGrid(x, y, s);
  for (let i = 0; i < x.length; i++) {
    if (grid.hasWithin(x[i], y[i])) return false;
    grid.add(i);
  }
  return true;
}

export type SelectionStrategy = 'direct' | 'greedy';

export interface SpacingSelection {
  /** Indices of the kept positions, ascending (the original order of the file). */
  selected: Int32Array;
  /** `direct` when the whole set already satisfies the threshold (everything kept), else `greedy`. */
  strategy: SelectionStrategy;
}

/**
 * Keeps a maximal subset of the positions whose pairwise distances are all ≥ s.
 *
 * If the full set already satisfies s, every position is kept (`direct`). Otherwise the positions are
 * visited in `order` (a permutation of 0..n−1, normally a seeded shuffle) and a position is kept when
 * no already-kept position is closer than s (`greedy`). A position is only ever rejected because a kept
 * one is closer than s, and kept positions are never removed, so no rejected position could be added
 * afterwards: the selection is maximal.
 */
export function selectMinSpacing(x: ArrayLike<number>, y: ArrayLike<number>, s: number, order: ArrayLike<number>): SpacingSelection {
  checkCoords(x, y);
  checkThreshold(s);
  const n = x.length;
  if (order.length !== n) throw new RangeError(`visiting order has ${order.length} entries for ${n} positions`);
  if (satisfiesSpacing(x, y, s)) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return { selected: all, strategy: 'direct' };
  }
  const seen = new Uint8Array(n);
  const keep = new Uint8Array(n);
  const grid = new SpacingGrid(x, y, s);
  let kept = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (!Number.isInteger(i) || i < 0 || i >= n || seen[i]) throw new RangeError(`visiting order is not a permutation of 0..${n - 1} (entry ${k} = ${i})`);
    seen[i] = 1;
    if (grid.hasWithin(x[i], y[i])) continue;
    grid.add(i);
    keep[i] = 1;
    kept++;
  }
  const selected = new Int32Array(kept);
  for (let i = 0, j = 0; i < n; i++) if (keep[i]) selected[j++] = i;
  return { selected, strategy: 'greedy' };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// Geometry bound on the acceptance rate (ACCEPTANCE-001)
// ─────────────────────────────────────────────────────────────────────────────────────────────────

/** Smallest effective minimum acceptance (keeps it positive, as the reference's GEOMETRY_ACCEPTANCE_EPS). */
export const GEOMETRY_ACCEPTANCE_EPS = 1e-6;

/**
 * A maximal S-separated subset keeps at least 1/5 of the largest S-separated subset: every position of a
 * largest subset lies closer than S to a kept position, and at most 5 positions at mutual distance ≥ S fit
 * closer than S to one point (any two of them subtend more than 60° there).
 */
export const MAXIMAL_SELECTION_FLOOR = 1 / 5;

export interface GeometryAcceptance {
  /** Upper bound on how many positions any selection with pairwise spacing ≥ S can keep (≤ n). */
  max_positions: number;
  /** `max_positions / n`, in [0, 1]; 0 for no positions. No selection can have a higher acceptance rate. */
  geometry_acceptance_bound: number;
  /** max(EPS, bound / 5): the rate a maximal selection reaches when the positions fill their bounding box. */
  effective_min_acceptance: number;
  /** Scanned bounding box (max − min of x and of y) the bound was computed from. */
  bbox_width: number;
  bbox_height: number;
}

/**
 * The geometry-aware acceptance bound. Positions at mutual distance ≥ S inside a convex region of area A
 * and perimeter P number at most (2/√3)·A/S² + P/(2S) + 1 (Oler's inequality; (√3/2)·S² is the area per
 * disc of diameter S in the densest packing, and the perimeter term counts the half discs sticking out of
 * the boundary). Applied to the scanned bounding box w × h this gives
 *   max_positions = min(n, ⌊(2/√3)·w·h/S² + (w + h)/S + 1⌋),   bound = max_positions / n,
 * which is exact for degenerate scans (all positions identical: 1; on a line of length L: ⌊L/S⌋ + 1).
 */
export function geometryAcceptance(x: ArrayLike<number>, y: ArrayLike<number>, s: number): GeometryAcceptance {
  checkCoords(x, y);
  checkThreshold(s);
  const n = x.length;
  if (n === 0) {
    return { max_positions: 0, geometry_acceptance_bound: 0, effective_min_acceptance: GEOMETRY_ACCEPTANCE_EPS, bbox_width: 0, bbox_height: 0 };
  }
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (x[i] < xmin) xmin = x[i];
    if (x[i] > xmax) xmax = x[i];
    if (y[i] < ymin) ymin = y[i];
    if (y[i] > ymax) ymax = y[i];
  }
  const w = xmax - xmin, h = ymax - ymin;
  const oler = (2 / Math.sqrt(3)) * (w * h) / (s * s) + (w + h) / s + 1;
  // The tiny slack keeps an exact integer (e.g. L = 2S on a line → 3) from flooring to one less.
  const maxPositions = Math.min(n, Math.floor(oler * (1 + 1e-12) + 1e-9));
  const bound = maxPositions / n;
  return {
    max_positions: maxPositions,
    geometry_acceptance_bound: bound,
    effective_min_acceptance: Math.max(GEOMETRY_ACCEPTANCE_EPS, MAXIMAL_SELECTION_FLOOR * bound),
    bbox_width: w,
    bbox_height: h,
  };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// k-d tree for nearest-neighbour and radius queries
// ─────────────────────────────────────────────────────────────────────────────────────────────────

const LEAF = 8;

/** A static 2-d tree over fixed coordinates (implicit: the index array is the tree). */
export class KdTree {
  private readonly idx: Int32Array;

  constructor(private readonly x: ArrayLike<number>, private readonly y: ArrayLike<number>) {
    checkCoords(x, y);
    this.idx = new Int32Array(x.length);
    for (let i = 0; i < x.length; i++) this.idx[i] = i;
    this.build(0, x.length, 0);
  }

  private coord(i: number, axis: number): number { return axis === 0 ? this.x[i] : this.y[i]; }

  private build(lo: number, hi: number, axis: number): void {
    if (hi - lo <= LEAF) return;
    const mid = (lo + hi) >> 1;
    this.select(lo, hi - 1, mid, axis);
    this.build(lo, mid, 1 - axis);
    this.build(mid + 1, hi, 1 - axis);
  }

  /** Quickselect: puts the k-th smallest (by axis) of idx[l..r] at k, smaller before, larger after. */
  private select(l: number, r: number, k: number, axis: number): void {
    const a = this.idx;
    while (r > l) {
      const pivot = this.coord(a[(l + r) >> 1], axis);
      let i = l, j = r;
      while (i <= j) {
        while (this.coord(a[i], axis) < pivot) i++;
        while (this.coord(a[j], axis) > pivot) j--;
        if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
      }
      if (k <= j) r = j; else if (k >= i) l = i; else return;
    }
  }

  // Query state of `nearest` (kept on the instance so the recursion allocates nothing).
  private qx = 0;
  private qy = 0;
  private qk = 0;
  private qskip = -1;
  private best = new Float64Array(0);
  private found = 0;

  /**
   * Distances from (qx, qy) to its k nearest points, ascending, leaving out the point with index `skip`.
   * Returns fewer than k when there are fewer points.
   */
  nearest(qx: number, qy: number, k: number, skip = -1): number[] {
    if (k <= 0) return [];
    if (this.best.length < k) this.best = new Float64Array(k);
    this.qx = qx; this.qy = qy; this.qk = k; this.qskip = skip; this.found = 0;
    this.nearestIn(0, this.idx.length, 0);
    return Array.from(this.best.subarray(0, this.found));
  }

  private consider(i: number): void {
    if (i === this.qskip) return;
    const d = distance(this.qx, this.qy, this.x[i], this.y[i]);
    const best = this.best, k = this.qk;
    if (this.found === k && d >= best[k - 1]) return;
    let p = this.found === k ? k - 1 : this.found++;
    while (p > 0 && best[p - 1] > d) { best[p] = best[p - 1]; p--; }
    best[p] = d;
  }

  private nearestIn(lo: number, hi: number, axis: number): void {
    if (hi - lo <= LEAF) {
      for (let t = lo; t < hi; t++) this.consider(this.idx[t]);
      return;
    }
    const mid = (lo + hi) >> 1;
    const i = this.idx[mid];
    this.consider(i);
    const diff = (axis === 0 ? this.qx - this.x[i] : this.qy - this.y[i]);
    if (diff < 0) {
      this.nearestIn(lo, mid, 1 - axis);
      if (this.found < this.qk || -diff <= this.best[this.found - 1]) this.nearestIn(mid + 1, hi, 1 - axis);
    } else {
      this.nearestIn(mid + 1, hi, 1 - axis);
      if (this.found < this.qk || diff <= this.best[this.found - 1]) this.nearestIn(lo, mid, 1 - axis);
    }
  }

  /** Distances from (qx, qy) to every point closer than r (strictly), leaving out index `skip`. */
  within(qx: number, qy: number, r: number, skip = -1): number[] {
    const out: number[] = [];
    const consider = (i: number): void => {
      if (i === skip) return;
      const d = distance(qx, qy, this.x[i], this.y[i]);
      if (d < r) out.push(d);
    };
    const walk = (lo: number, hi: number, axis: number): void => {
      if (hi - lo <= LEAF) {
        for (let t = lo; t < hi; t++) consider(this.idx[t]);
        return;
      }
      const mid = (lo + hi) >> 1;
      const i = this.idx[mid];
      consider(i);
      const diff = (axis === 0 ? qx : qy) - this.coord(i, axis);
      if (diff < r) walk(lo, mid, 1 - axis);
      if (diff > -r) walk(mid + 1, hi, 1 - axis);
    };
    walk(0, this.idx.length, 0);
    return out;
  }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// Overlap metrics of PtychoPINN's `compute_overlap_metrics` (docs/overlap.md), for views of single positions
// (gridsize 1)
// ─────────────────────────────────────────────────────────────────────────────────────────────────

/** Area shared by two discs of diameter D whose centres are d apart (the circle–circle lens area). */
export function discOverlapArea(d: number, diameter: number): number {
  const r = diameter / 2;
  if (d >= diameter) return 0;
  if (d < 1e-10) return Math.PI * r * r;
  return 2 * r * r * Math.acos(d / (2 * r)) - (d / 2) * Math.sqrt(4 * r * r - d * d);
}

/** `discOverlapArea(d, D) / (π R²)`, in [0, 1]: 1 at d = 0, ≈0.391 at d = R, exactly 0 for d ≥ D. */
export function discOverlapFraction(d: number, diameter: number): number {
  const r = diameter / 2;
  return Math.min(1, Math.max(0, discOverlapArea(d, diameter) / (Math.PI * r * r)));
}

/** The distinct positions (exact equality), in first-seen order. */
export function uniquePositions(x: ArrayLike<number>, y: ArrayLike<number>): { x: Float64Array; y: Float64Array } {
  const n = x.length;
  // sort by (x, y, index): equal positions become neighbours, the first-seen one leading its run
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || y[a] - y[b] || a - b);
  const keep = new Uint8Array(n);
  let kept = 0;
  for (let t = 0; t < n; t++) {
    const i = order[t];
    if (t > 0) {
      const j = order[t - 1];
      if (x[i] === x[j] && y[i] === y[j]) continue;
    }
    keep[i] = 1;
    kept++;
  }
  const ux = new Float64Array(kept), uy = new Float64Array(kept);
  for (let i = 0, k = 0; i < n; i++) if (keep[i]) { ux[k] = x[i]; uy[k] = y[i]; k++; }
  return { x: ux, y: uy };
}

/**
 * Metric 2 (image-based): over the distinct positions, the mean disc-overlap fraction of each position with
 * its min(K, n−1) nearest other distinct positions, averaged over positions. 0 for ≤ 1 distinct position.
 */
export function metricImageBased(x: ArrayLike<number>, y: ArrayLike<number>, neighbours: number, diameter: number): number {
  const u = uniquePositions(x, y);
  const n = u.x.length;
  if (n <= 1) return 0;
  const k = Math.min(neighbours, n - 1);
  if (k <= 0) return 0;
  const tree = new KdTree(u.x, u.y);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ds = tree.nearest(u.x[i], u.y[i], k, i);
    let s = 0;
    for (const d of ds) s += discOverlapFraction(d, diameter);
    total += s / ds.length;
  }
  return total / n;
}

/**
 * Metric 3 (group-to-group) for gridsize 1, where every position is its own group and its centre of mass:
 * for each position, the mean disc-overlap fraction with the other positions closer than D (0 if none),
 * averaged over positions. 0 for ≤ 1 position. Duplicated positions count (overlap 1 with each other).
 */
export function metricGroupToGroup(x: ArrayLike<number>, y: ArrayLike<number>, diameter: number): number {
  const n = x.length;
  if (n <= 1) return 0;
  const tree = new KdTree(x, y);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ds = tree.within(x[i], y[i], diameter, i);
    if (ds.length === 0) continue;
    let s = 0;
    for (const d of ds) s += discOverlapFraction(d, diameter);
    total += s / ds.length;
  }
  return total / n;
}

export interface SpacingStats {
  /** Number of positions the statistics are over. */
  count: number;
  /** Nearest-neighbour distance statistics (px); null when there are fewer than 2 positions. */
  min: number | null;
  max: number | null;
  mean: number | null;
  median: number | null;
}

/** Each position's distance to its nearest other position (duplicates give 0); Infinity when n < 2. */
export function nearestNeighbourDistances(x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n).fill(Infinity);
  if (n < 2) return out;
  const tree = new KdTree(x, y);
  for (let i = 0; i < n; i++) out[i] = tree.nearest(x[i], y[i], 1, i)[0];
  return out;
}

/** Min / max / mean / median of the nearest-neighbour distances. */
export function nearestNeighbourStats(x: ArrayLike<number>, y: ArrayLike<number>): SpacingStats {
  const n = x.length;
  if (n < 2) return { count: n, min: null, max: null, mean: null, median: null };
  const d = nearestNeighbourDistances(x, y).sort();
  let sum = 0;
  for (const v of d) sum += v;
  const median = n % 2 === 1 ? d[(n - 1) / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
  return { count: n, min: d[0], max: d[n - 1], mean: sum / n, median };
}

/**
 * Fraction of the pixels of a width × height frame whose centre (col + 0.5, row + 0.5) lies closer than
 * diameter/2 to at least one position: how much of the object the discs illuminate.
 */
export function coverageFraction(x: ArrayLike<number>, y: ArrayLike<number>, diameter: number, width: number, height: number): number {
  if (!(width > 0 && height > 0)) return 0;
  const mask = new Uint8Array(width * height);
  const r = diameter / 2, r2 = r * r;
  for (let i = 0; i < x.length; i++) {
    const px = x[i], py = y[i];
    const rowLo = Math.max(0, Math.ceil(py - r - 0.5)), rowHi = Math.min(height - 1, Math.floor(py + r - 0.5));
    for (let row = rowLo; row <= rowHi; row++) {
      const dy = row + 0.5 - py;
      const rem = r2 - dy * dy;
      if (rem <= 0) continue;
      const half = Math.sqrt(rem);
      // columns with |col + 0.5 − px| < half
      let c0 = Math.floor(px - half - 0.5) + 1, c1 = Math.ceil(px + half - 0.5) - 1;
      if (c0 < 0) c0 = 0;
      if (c1 > width - 1) c1 = width - 1;
      if (c1 >= c0) mask.fill(1, row * width + c0, row * width + c1 + 1);
    }
  }
  let covered = 0;
  for (let i = 0; i < mask.length; i++) covered += mask[i];
  return covered / mask.length;
}
