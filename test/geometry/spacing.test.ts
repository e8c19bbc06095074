import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  distance, satisfiesSpacing, selectMinSpacing, geometryAcceptance, KdTree, discOverlapArea, discOverlapFraction,
  metricImageBased, metricGroupToGroup, nearestNeighbourStats, coverageFraction, GEOMETRY_ACCEPTANCE_EPS, uniquePositions,
} from '../../src/geometry/spacing.js';
import { prng, randomPositions, assertValidMaximal } from '../study/overlap-fixtures.js';

function shuffled(n: number, seed: number): Int32Array {
  const r = prng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); const t = p[i]; p[i] = p[j]; p[j] = t; }
  return p;
}

test('greedy selection: every kept pair ≥ S and maximal, brute-force, across sizes and thresholds', () => {
  for (const [n, s, seed] of [[400, 38.4, 1], [1000, 19.2, 2], [1000, 102.4, 3], [60, 5, 4], [2000, 38.4, 5]] as const) {
    const { x, y } = randomPositions(n, 64, 400, seed);
    const sel = selectMinSpacing(x, y, s, shuffled(n, seed + 100));
    assert.equal(sel.strategy, 'greedy');
    assert.ok(sel.selected.length >= 2 && sel.selected.length < n);
    assertValidMaximal(x, y, s, sel.selected);
  }
});

test('greedy selection: positions exactly S apart are both kept (the rule is ≥ S)', () => {
  // a line at spacing exactly 38.4 plus one position in the middle of the first gap
  const x = Float64Array.from([0, 38.4, 76.8, 115.2, 19.2]);
  const y = new Float64Array(5);
  const sel = selectMinSpacing(x, y, 38.4, Int32Array.from([0, 1, 2, 3, 4]));
  assert.deepEqual(Array.from(sel.selected), [0, 1, 2, 3]);
  assert.equal(satisfiesSpacing(x.subarray(0, 4), y.subarray(0, 4), 38.4), true);
});

test('selection depends only on the visiting order, and each order gives a valid maximal subset', () => {
  const { x, y } = randomPositions(500, 0, 300, 7);
  const a = selectMinSpacing(x, y, 30, shuffled(500, 11));
  const b = selectMinSpacing(x, y, 30, shuffled(500, 11));
  const c = selectMinSpacing(x, y, 30, shuffled(500, 12));
  assert.deepEqual(a.selected, b.selected);
  assert.notDeepEqual(a.selected, c.selected);
  assertValidMaximal(x, y, 30, c.selected);
});

test('direct strategy when the whole set already satisfies S; edge cases 0, 1, identical, S larger than the scan', () => {
  const gx = new Float64Array(25), gy = new Float64Array(25);
  for (let i = 0; i < 25; i++) { gx[i] = 10 + 40 * (i % 5); gy[i] = 10 + 40 * Math.floor(i / 5); }
  const d = selectMinSpacing(gx, gy, 40, shuffled(25, 1));
  assert.equal(d.strategy, 'direct');
  assert.equal(d.selected.length, 25);
  assert.equal(selectMinSpacing(gx, gy, 40.0001, shuffled(25, 1)).strategy, 'greedy');

  const empty = selectMinSpacing(new Float64Array(0), new Float64Array(0), 10, new Int32Array(0));
  assert.equal(empty.strategy, 'direct');
  assert.equal(empty.selected.length, 0);
  const one = selectMinSpacing(Float64Array.of(5), Float64Array.of(5), 10, Int32Array.of(0));
  assert.equal(one.strategy, 'direct');
  assert.deepEqual(Array.from(one.selected), [0]);

  const same = selectMinSpacing(new Float64Array(10).fill(3), new Float64Array(10).fill(4), 1, shuffled(10, 3));
  assert.equal(same.strategy, 'greedy');
  assert.deepEqual(Array.from(same.selected), [shuffled(10, 3)[0]], 'the first visited of identical positions is kept');

  const { x, y } = randomPositions(300, 32, 96, 9);
  const big = selectMinSpacing(x, y, 1000, shuffled(300, 4));
  assert.deepEqual(Array.from(big.selected), [shuffled(300, 4)[0]]);
});

test('bad inputs are refused: non-finite coordinates, non-positive threshold, an order that is not a permutation', () => {
  assert.throws(() => selectMinSpacing(Float64Array.of(0, NaN), Float64Array.of(0, 0), 1, Int32Array.of(0, 1)), /position 1 is not finite/);
  assert.throws(() => selectMinSpacing(Float64Array.of(0, 1), Float64Array.of(0, 0), 0, Int32Array.of(0, 1)), /positive/);
  assert.throws(() => selectMinSpacing(Float64Array.of(0, 1), Float64Array.of(0, 0), 5, Int32Array.of(0, 0)), /permutation/);
  assert.throws(() => selectMinSpacing(Float64Array.of(0, 1), Float64Array.of(0, 0), 5, Int32Array.of(0)), /visiting order/);
});

test('10 304 fly64-sized positions: both views are valid and maximal (brute force on the kept set)', () => {
  const { x, y } = randomPositions(10304, 64, 400, 42);
  for (const s of [38.4, 102.4]) {
    const sel = selectMinSpacing(x, y, s, shuffled(10304, 5));
    assertValidMaximal(x, y, s, sel.selected);
    const g = geometryAcceptance(x, y, s);
    assert.ok(sel.selected.length <= g.max_positions, `${sel.selected.length} kept exceeds the geometry bound ${g.max_positions}`);
    assert.ok(sel.selected.length / 10304 >= g.effective_min_acceptance, 'a filled box reaches the effective minimum');
  }
});

test('geometry bound: exact on degenerate scans, never below what a selection keeps, capped at 1', () => {
  // collinear: 50 points from 0 to 49 px → at S = 38.4, at most 2 positions
  const lx = Float64Array.from({ length: 50 }, (_, i) => i), ly = new Float64Array(50);
  let g = geometryAcceptance(lx, ly, 38.4);
  assert.equal(g.max_positions, 2);
  assert.equal(g.geometry_acceptance_bound, 2 / 50);
  assert.equal(g.effective_min_acceptance, (2 / 50) / 5);
  // a line of exactly 2S holds 3
  g = geometryAcceptance(Float64Array.of(0, 10, 20, 5), new Float64Array(4), 10);
  assert.equal(g.max_positions, 3);
  // identical: 1
  g = geometryAcceptance(new Float64Array(7).fill(1), new Float64Array(7).fill(1), 3);
  assert.equal(g.max_positions, 1);
  assert.equal(g.geometry_acceptance_bound, 1 / 7);
  // empty: bound 0, effective eps
  g = geometryAcceptance(new Float64Array(0), new Float64Array(0), 3);
  assert.deepEqual([g.geometry_acceptance_bound, g.effective_min_acceptance], [0, GEOMETRY_ACCEPTANCE_EPS]);
  // sparse: every position can be kept → bound 1 (capped)
  g = geometryAcceptance(Float64Array.of(0, 100, 0, 100), Float64Array.of(0, 0, 100, 100), 10);
  assert.equal(g.geometry_acceptance_bound, 1);
  // unit square grid 3×3 at spacing 1: 9 points fit, the bound must allow them
  const sx = Float64Array.of(0, 1, 2, 0, 1, 2, 0, 1, 2), sy = Float64Array.of(0, 0, 0, 1, 1, 1, 2, 2, 2);
  assert.equal(geometryAcceptance(sx, sy, 1).max_positions, 9);
  // a hexagonal lattice (the densest packing) of spacing S inside its bounding box never exceeds the bound
  const hx: number[] = [], hy: number[] = [];
  for (let r = 0; r < 12; r++) for (let c = 0; c < 12; c++) { hx.push(c * 10 + (r % 2) * 5); hy.push(r * 10 * Math.sqrt(3) / 2); }
  const hex = geometryAcceptance(Float64Array.from(hx), Float64Array.from(hy), 10 - 1e-9);
  assert.ok(hex.max_positions >= 144, `hex lattice of 144 exceeds bound ${hex.max_positions}`);
});

test('k-d tree agrees with brute force for k-nearest and radius queries', () => {
  const { x, y } = randomPositions(700, 0, 100, 21);
  // add duplicates and ties
  x[5] = x[6]; y[5] = y[6]; x[10] = 50; y[10] = 50; x[11] = 50; y[11] = 60; x[12] = 50; y[12] = 40;
  const tree = new KdTree(x, y);
  const r = prng(99);
  for (let q = 0; q < 200; q++) {
    const qi = q % 3 === 0 ? q : -1;
    const qx = qi >= 0 ? x[qi] : 100 * r(), qy = qi >= 0 ? y[qi] : 100 * r();
    const all: number[] = [];
    for (let i = 0; i < x.length; i++) if (i !== qi) all.push(distance(qx, qy, x[i], y[i]));
    all.sort((a, b) => a - b);
    assert.deepEqual(tree.nearest(qx, qy, 7, qi), all.slice(0, 7));
    assert.deepEqual(tree.within(qx, qy, 12.5, qi).sort((a, b) => a - b), all.filter((d) => d < 12.5));
  }
  assert.deepEqual(new KdTree(Float64Array.of(1), Float64Array.of(1)).nearest(0, 0, 3, 0), []);
});

test('disc overlap geometry matches the checks of the reference study', () => {
  assert.ok(Math.abs(discOverlapFraction(0, 10) - 1) < 1e-12);
  const half = discOverlapFraction(5, 10);
  assert.ok(half > 0.39 && half < 0.40);
  assert.equal(discOverlapFraction(10, 10), 0);
  assert.equal(discOverlapFraction(15, 10), 0);
  assert.ok(Math.abs(discOverlapArea(0, 10) - Math.PI * 25) < 1e-12);
  assert.equal(discOverlapArea(10, 10), 0);
  assert.ok(discOverlapArea(3, 10) > discOverlapArea(7, 10));
});

test('metric 2 (image based) and metric 3 (group to group) follow the definitions of the reference study', () => {
  // one position → 0; duplicates are removed before metric 2
  assert.equal(metricImageBased(Float64Array.of(1), Float64Array.of(1), 6, 38.4), 0);
  assert.equal(metricImageBased(Float64Array.of(1, 1), Float64Array.of(2, 2), 6, 38.4), 0);
  const m2 = metricImageBased(Float64Array.of(0, 0, 10, 20, 20), Float64Array.of(0, 0, 0, 0, 0), 6, 38.4);
  assert.ok(m2 > 0 && m2 < 1);
  // two positions R apart: each sees the other at d = R
  const two = metricImageBased(Float64Array.of(0, 19.2), Float64Array.of(0, 0), 6, 38.4);
  assert.ok(Math.abs(two - discOverlapFraction(19.2, 38.4)) < 1e-15);
  // metric 3: positions 0, 30, 100 px → > 0; positions 100 px apart → exactly 0
  assert.ok(metricGroupToGroup(Float64Array.of(0, 30, 100), Float64Array.of(0, 0, 0), 38.4) > 0);
  assert.equal(metricGroupToGroup(Float64Array.of(0, 100), Float64Array.of(0, 0), 38.4), 0);
  const expected = (discOverlapFraction(30, 38.4) * 2 + 0) / 3;
  assert.ok(Math.abs(metricGroupToGroup(Float64Array.of(0, 30, 100), Float64Array.of(0, 0, 0), 38.4) - expected) < 1e-15);
});

test('nearest-neighbour statistics and coverage', () => {
  const s = nearestNeighbourStats(Float64Array.of(0, 3, 10, 30), Float64Array.of(0, 4, 0, 0));
  // NN distances: 0→5, 3,4→5, 10→sqrt(49+16)=8.06, 30→20
  assert.equal(s.count, 4);
  assert.equal(s.min, 5);
  assert.equal(s.max, 20);
  assert.ok(Math.abs(s.mean! - (5 + 5 + Math.sqrt(65) + 20) / 4) < 1e-12);
  assert.ok(Math.abs(s.median! - (5 + Math.sqrt(65)) / 2) < 1e-12);
  assert.deepEqual(nearestNeighbourStats(Float64Array.of(1), Float64Array.of(1)), { count: 1, min: null, max: null, mean: null, median: null });
  // one disc of diameter 20 centred in a 100×100 frame covers ≈ π·10² pixels
  const c = coverageFraction(Float64Array.of(50), Float64Array.of(50), 20, 100, 100);
  assert.ok(Math.abs(c - Math.PI * 100 / 10000) < 0.003, `coverage ${c}`);
  assert.equal(coverageFraction(Float64Array.of(50), Float64Array.of(50), 1000, 100, 100), 1);
  assert.equal(coverageFraction(new Float64Array(0), new Float64Array(0), 10, 100, 100), 0);
  // a disc outside the frame covers nothing
  assert.equal(coverageFraction(Float64Array.of(-50), Float64Array.of(-50), 20, 100, 100), 0);
});

test('uniquePositions keeps the first of each group of equal positions, in the original order', () => {
  const u = uniquePositions(Float64Array.of(3, 1, 3, 2, 1, 3, -0), Float64Array.of(4, 1, 4, 2, 1, 5, 0));
  assert.deepEqual(Array.from(u.x), [3, 1, 2, 3, -0]);
  assert.deepEqual(Array.from(u.y), [4, 1, 2, 5, 0]);
  assert.equal(uniquePositions(new Float64Array(0), new Float64Array(0)).x.length, 0);
});
