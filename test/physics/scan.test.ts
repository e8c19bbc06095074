import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNpz } from '../../src/npy/npz.js';
import { Rng } from '../../src/math/rng.js';
import { originOf, positionFromCoord } from '../../src/math/positions.js';
import { placement, randomPositions, splitPositions } from '../../src/physics/scan.js';

const FIX = 'test/fixtures/lsqml-parity';

test('random positions are uniform inside [N/2, size − N/2), x drawn before y, seeded', () => {
  const n = 5000, h = 200, w = 300, N = 64;
  const p = randomPositions(n, h, w, N, new Rng(7).fork('positions'));
  const q = randomPositions(n, h, w, N, new Rng(7).fork('positions'));
  assert.deepEqual(p.x, q.x);
  assert.deepEqual(p.y, q.y);
  const r = new Rng(7).fork('positions');
  for (let i = 0; i < n; i++) assert.equal(p.x[i], N / 2 + (w - N) * r.uniform());
  for (let i = 0; i < n; i++) assert.equal(p.y[i], N / 2 + (h - N) * r.uniform());
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(p.x[i] >= N / 2 && p.x[i] < w - N / 2);
    assert.ok(p.y[i] >= N / 2 && p.y[i] < h - N / 2);
    mx += p.x[i] / n; my += p.y[i] / n;
  }
  // uniform: mean at the centre of the range within 4σ (σ = range/√(12 n))
  assert.ok(Math.abs(mx - w / 2) < 4 * (w - N) / Math.sqrt(12 * n));
  assert.ok(Math.abs(my - h / 2) < 4 * (h - N) / Math.sqrt(12 * n));
  const other = randomPositions(n, h, w, N, new Rng(8).fork('positions'));
  assert.notDeepEqual(other.x, p.x);
  assert.throws(() => randomPositions(10, 50, 50, 64, new Rng(1)), /smaller than the 64×64 patch/);
});

test('placement: t + f = coord − N/2, |f| ≤ 1/2, patch inside the object', () => {
  const rng = new Rng(3);
  for (const [size, N] of [[320, 64], [464, 128], [129, 64], [100, 32]]) {
    for (let k = 0; k < 2000; k++) {
      const c = N / 2 + (size - N) * rng.uniform();
      const pl = placement(c, size, N);
      assert.ok(Number.isInteger(pl.top));
      assert.ok(Math.abs(pl.frac) <= 0.5);
      assert.ok(Math.abs(pl.top + pl.frac - (c - N / 2)) < 1e-9, `size ${size} N ${N} coord ${c}`);
      assert.ok(pl.top >= 0 && pl.top + N <= size);
    }
  }
});

test('placement matches pty-chi\'s integer patch corners (conventions.npz)', () => {
  const d = loadNpz(`${FIX}/conventions.npz`, ['origin_positions_yx', 'origin_object_shapes', 'origin_patch_sizes', 'origin_yx', 'origin_topleft_yx']);
  const pos = d.origin_positions_yx.data as Float32Array; // (8, 2)
  const shapes = d.origin_object_shapes.data as Int32Array; // (4, 2)
  const sizes = d.origin_patch_sizes.data as Int32Array; // (2,)
  const origin = d.origin_yx.data as Float32Array; // (4, 2)
  const tl = d.origin_topleft_yx.data as Int32Array; // (4, 2, 8, 2)
  const nPos = d.origin_positions_yx.shape[0];
  let checked = 0;
  for (let s = 0; s < d.origin_object_shapes.shape[0]; s++) {
    for (let a = 0; a < 2; a++) assert.equal(originOf(shapes[2 * s + a]), origin[2 * s + a]);
    for (let z = 0; z < sizes.length; z++) {
      const N = sizes[z];
      for (let i = 0; i < nPos; i++) {
        for (let a = 0; a < 2; a++) {
          const size = shapes[2 * s + a];
          const p = pos[2 * i + a];
          // file coordinate of pty-chi position p
          const coord = p + originOf(size) + Math.floor(N / 2) - (N - 1) / 2;
          assert.equal(positionFromCoord(coord, originOf(size), N), p);
          const expected = tl[((s * sizes.length + z) * nPos + i) * 2 + a];
          assert.equal(placement(coord, size, N).top, expected, `shape ${size} N ${N} p ${p}`);
          checked++;
        }
      }
    }
  }
  assert.equal(checked, 4 * 2 * 8 * 2);
});

test('placement matches the corners pty-chi used for a real dataset (gauss_m1_onebatch)', () => {
  const d = loadNpz(`${FIX}/gauss_m1_onebatch.npz`, ['xcoords', 'ycoords', 'patch_topleft_yx', 'object_shape', 'probeGuess']);
  const [H, W] = d.object_shape.data as Int32Array;
  const N = d.probeGuess.shape[2];
  const xs = d.xcoords.data as Float64Array, ys = d.ycoords.data as Float64Array;
  const tl = d.patch_topleft_yx.data as Int32Array;
  for (let i = 0; i < xs.length; i++) {
    assert.equal(placement(ys[i], H, N).top, tl[2 * i]);
    assert.equal(placement(xs[i], W, N).top, tl[2 * i + 1]);
  }
});

test('split by y at the midpoint of the range: disjoint, complete, train below', () => {
  const p = randomPositions(777, 300, 300, 64, new Rng(11));
  const s = splitPositions(p, 'y', 0.5);
  let lo = Infinity, hi = -Infinity;
  for (const v of p.y) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.equal(s.splitPoint, lo + (hi - lo) / 2);
  assert.deepEqual(s.range, [lo, hi]);
  assert.equal(s.train.length + s.test.length, 777);
  const seen = new Uint8Array(777);
  for (const i of s.train) { assert.ok(p.y[i] < s.splitPoint); seen[i]++; }
  for (const i of s.test) { assert.ok(p.y[i] >= s.splitPoint); seen[i]++; }
  assert.ok(seen.every((v) => v === 1), 'every position in exactly one split');
  for (const part of [s.train, s.test]) for (let j = 1; j < part.length; j++) assert.ok(part[j] > part[j - 1]);
  assert.ok(s.train.length > 300 && s.test.length > 300);
  const sx = splitPositions(p, 'x', 0.25);
  for (const i of sx.train) assert.ok(p.x[i] < sx.splitPoint);
  assert.throws(() => splitPositions({ x: new Float64Array(0), y: new Float64Array(0) }), /empty/);
});
