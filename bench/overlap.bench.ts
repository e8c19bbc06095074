/**
 * Phase D: time to build both overlap views (dense S = 38.4 px, sparse S = 102.4 px) for a fly64-sized
 * position set — 10 304 uniform random positions in [64, 400]², N = 128 — as the selection alone
 * (seeded visiting order + grid greedy) and as the whole in-memory view (selection, bookkeeping, geometry
 * bound and the overlap metrics; per-scan arrays left out so the figure is not an NPZ-codec benchmark).
 */
import { Rng } from '../src/math/rng.js';
import { selectMinSpacing } from '../src/geometry/spacing.js';
import { buildView, inputMetrics, visitingOrder, type PhaseCSplit } from '../src/study/overlap/view.js';

const N = 128;
const COUNT = 10304;
const VIEWS = [['dense', 0.7], ['sparse', 0.2]] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(reps: number, fn: () => void): number {
  fn(); // warm-up
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return +median(t).toFixed(3);
}

export async function run(): Promise<Record<string, unknown>> {
  const rng = new Rng(42);
  const x = new Float64Array(COUNT), y = new Float64Array(COUNT);
  for (let i = 0; i < COUNT; i++) { x[i] = 64 + 336 * rng.uniform(); y[i] = 64 + 336 * rng.uniform(); }
  // coordinates only: the per-scan arrays would make this an NPZ-codec benchmark
  const split: PhaseCSplit = {
    arrays: { xcoords: { dtype: '<f8', shape: [COUNT], data: x }, ycoords: { dtype: '<f8', shape: [COUNT], data: y } },
    x, y, patchSize: N, objectShape: null, parent: { status: 'absent' },
  };

  const kept: Record<string, number> = {};
  const selectMs = time(9, () => {
    for (const [view, f] of VIEWS) {
      kept[view] = selectMinSpacing(x, y, (1 - f) * N, visitingOrder(456, 'train', COUNT)).selected.length;
    }
  });
  const viewMs = time(5, () => {
    const input = inputMetrics(split, N, 6); // once per split, as buildOverlapViews does
    for (const [view, f] of VIEWS) buildView(split, { view, overlapFraction: f, split: 'train', seed: 456, sourceFile: 'bench' }, input);
  });
  return {
    positions: COUNT,
    patch_size: N,
    kept_dense: kept['dense'],
    kept_sparse: kept['sparse'],
    both_views_selection_ms: selectMs,
    both_views_with_metrics_ms: viewMs,
  };
}
