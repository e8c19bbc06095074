// The colour range of reconstruction.png's object panels (hub/reconstruction-figure.ts robustRange): the 1st and 99th percentile of
// the finite values by rank in their sorted order, else their minimum and maximum — found by selection, the same
// numbers as sorting a filtered copy (the definition, written out below) on values with NaN, ±Inf, −0 and ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { robustRange } from '../../src/study/hub/reconstruction-figure.js';
import { Rng } from '../../src/math/rng.js';

function bySorting(v: Float32Array): { vmin: number; vmax: number } {
  const s = Float32Array.from(v.filter((x) => Number.isFinite(x))).sort();
  if (s.length === 0) return { vmin: 0, vmax: 1 };
  const lo = s[Math.floor(0.01 * (s.length - 1))]!, hi = s[Math.ceil(0.99 * (s.length - 1))]!;
  return hi > lo ? { vmin: lo, vmax: hi } : { vmin: s[0]!, vmax: s[s.length - 1]! };
}

test('robustRange gives the sorted copy\'s ranks 1 % and 99 % (min and max when they tie), −0 and all', () => {
  const g = new Rng(7);
  const rng = (): number => g.uniform();
  const cases: Float32Array[] = [
    new Float32Array(0),
    Float32Array.of(NaN, Infinity, -Infinity),
    Float32Array.of(3),
    Float32Array.of(0, -0, 0, -0),
    Float32Array.of(-0, 0, 0, 0, 5),
    new Float32Array(1000).fill(1.5),
  ];
  for (const n of [2, 7, 100, 101, 4096, 102400]) {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rng();
      v[i] = r < 0.02 ? NaN : r < 0.03 ? (r < 0.025 ? Infinity : -Infinity) : r < 0.1 ? (r < 0.05 ? -0 : 0) : r < 0.3 ? 0.25 : (rng() - 0.5) * 10;
    }
    cases.push(v);
    const skewed = Float32Array.from(v, (x, i) => (i % 50 === 0 ? x : 0.25));
    cases.push(skewed);
  }
  for (const v of cases) {
    const want = bySorting(v), got = robustRange(v);
    assert.ok(Object.is(got.vmin, want.vmin) && Object.is(got.vmax, want.vmax), `${v.length} values: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }
});
