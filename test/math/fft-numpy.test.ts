// The complex128 FFT on sides with no prime factor above 13 (2, 3, 5, 7, 11, 13) against NumPy's own fft2 / ifft2
// (test/fixtures/fft/numpy-fft2.npz, written by scripts/make-fft-fixtures.py): the wasm mixed-radix
// kernel on one thread (arena and streamed buffers) and on two (createParallelFft2); the complex64
// mixed-radix kernel (createFft2F32) on the sizes with an even width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNpz } from '../../src/npy/npz.js';
import { createFft2, createFft2F32, createParallelFft2, allocShared, allocShared32, freeShared } from '../../src/math/fft.js';

const fx = loadNpz('test/fixtures/fft/numpy-fft2.npz');
const SIZES: [number, number][] = [[6, 10], [12, 12], [15, 20], [30, 45], [64, 96], [96, 96], [100, 100],
  [14, 21], [28, 28], [56, 56], [49, 7], [22, 26], [13, 11], [77, 26]];
/** Sides with a prime factor above 13 (17, 19): Bluestein's algorithm. */
const BLUESTEIN_SIZES: [number, number][] = [[17, 19], [34, 34]];

/** The input the fixture script made for h×w (its docstring's formula), interleaved complex. */
function input(h: number, w: number): Float64Array {
  const s = 1000 * h + w, out = new Float64Array(2 * h * w);
  for (let t = 0; t < h * w; t++) {
    out[2 * t] = ((7919 * t + 13 * s) % 2003 - 1001) / 1000;
    out[2 * t + 1] = ((104729 * t + 7 * s) % 1999 - 999) / 1000;
  }
  return out;
}

/** max |a − ref| / max |ref| over the image at `from` in `a`. */
function relMax(a: Float32Array | Float64Array, from: number, ref: Float64Array): number {
  let e = 0, m = 0;
  for (let i = 0; i < ref.length; i++) { e = Math.max(e, Math.abs(a[from + i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
  return e / m;
}

function reference(h: number, w: number): { fwd: Float64Array; inv: Float64Array } {
  const fwd = fx[`fwd_${h}x${w}`], inv = fx[`inv_${h}x${w}`];
  assert.deepEqual(fwd.shape, [h, w]);
  assert.equal(fwd.dtype, '<c16');
  return { fwd: fwd.data as Float64Array, inv: inv.data as Float64Array };
}

test('the fixture was written by NumPy', () => {
  assert.match(String((fx.numpy_version.data as string[])[0]), /^\d+\.\d+/);
});

test('wasm (one thread): fft2 and ifft2 on sides 2^a·3^b·5^c·7^d·11^e·13^f equal NumPy to 1e-12, in the arena and streamed', () => {
  for (const [h, w] of SIZES) {
    const { fwd, inv } = reference(h, w);
    const x = input(h, w), n = x.length;
    assert.equal(createFft2(h, w).backend, 'wasm', `${h}×${w} under 'auto'`);
    // streamed through the scratch area two images per chunk, three images
    const fft = createFft2(h, w, { backend: 'wasm', chunkBytes: 2 * 8 * n });
    const a = new Float64Array(3 * n), b = new Float64Array(3 * n);
    for (let k = 0; k < 3; k++) { a.set(x, k * n); b.set(x, k * n); }
    fft.forward(a, 3); fft.inverse(b, 3);
    const arena = allocShared(n);
    arena.set(x); fft.forward(arena);
    const arenaInv = allocShared(n);
    arenaInv.set(x); fft.inverse(arenaInv);
    for (let k = 0; k < 3; k++) {
      assert.ok(relMax(a, k * n, fwd) < 1e-12, `${h}×${w} forward, image ${k}: ${relMax(a, k * n, fwd)}`);
      assert.ok(relMax(b, k * n, inv) < 1e-12, `${h}×${w} inverse, image ${k}: ${relMax(b, k * n, inv)}`);
    }
    assert.ok(relMax(arena, 0, fwd) < 1e-12, `${h}×${w} forward in the arena: ${relMax(arena, 0, fwd)}`);
    assert.ok(relMax(arenaInv, 0, inv) < 1e-12, `${h}×${w} inverse in the arena: ${relMax(arenaInv, 0, inv)}`);
    freeShared(arena); freeShared(arenaInv);
  }
});

test('sides with a prime factor above 13: Bluestein on the wasm kernel (auto) and in TypeScript equal NumPy to 1e-12', async () => {
  const { BluesteinWasmFft2, bluesteinLength } = await import('../../src/math/fft-bluestein.js');
  assert.deepEqual([17, 19, 34, 97, 994, 1958].map(bluesteinLength), [36, 40, 72, 200, 2048, 4000]);
  for (const [h, w] of BLUESTEIN_SIZES) {
    const { fwd, inv } = reference(h, w);
    const x = input(h, w), n = x.length;
    const auto = createFft2(h, w);
    assert.equal(auto.backend, 'wasm-bluestein', `${h}×${w} under 'auto'`);
    assert.deepEqual((auto as InstanceType<typeof BluesteinWasmFft2>).lengths, [bluesteinLength(h), bluesteinLength(w)]);
    for (const fft of [auto, createFft2(h, w, { backend: 'ts' })]) {
      const a = new Float64Array(3 * n), b = new Float64Array(3 * n);
      for (let k = 0; k < 3; k++) { a.set(x, k * n); b.set(x, k * n); }
      fft.forward(a, 3); fft.inverse(b, 3);
      for (let k = 0; k < 3; k++) {
        assert.ok(relMax(a, k * n, fwd) < 1e-12, `${fft.backend} ${h}×${w} forward, image ${k}: ${relMax(a, k * n, fwd)}`);
        assert.ok(relMax(b, k * n, inv) < 1e-12, `${fft.backend} ${h}×${w} inverse, image ${k}: ${relMax(b, k * n, inv)}`);
      }
    }
  }
  // one axis on the kernel directly, the other by Bluestein: against the TypeScript path
  for (const [h, w] of [[17, 64], [12, 19]] as [number, number][]) {
    const x = input(h, w), a = x.slice(), t = x.slice();
    createFft2(h, w).forward(a); createFft2(h, w, { backend: 'ts' }).forward(t);
    assert.ok(relMax(a, 0, t) < 1e-12, `${h}×${w}: ${relMax(a, 0, t)}`);
  }
});

test('wasm (two threads, createParallelFft2): fft2 and ifft2 equal NumPy to 1e-12, arena and SharedArrayBuffer', () => {
  for (const [h, w] of SIZES) {
    const { fwd, inv } = reference(h, w);
    const x = input(h, w), n = x.length, count = 3;
    const par = createParallelFft2(h, w, { threads: 2, backend: 'wasm' });
    try {
      assert.equal(par.backend, 'wasm');
      const arena = allocShared(count * n);
      const sab = new Float64Array(new SharedArrayBuffer(8 * count * n));
      for (let k = 0; k < count; k++) { arena.set(x, k * n); sab.set(x, k * n); }
      par.forward(arena, count); par.inverse(sab, count);
      for (let k = 0; k < count; k++) {
        assert.ok(relMax(arena, k * n, fwd) < 1e-12, `${h}×${w} forward, image ${k}: ${relMax(arena, k * n, fwd)}`);
        assert.ok(relMax(sab, k * n, inv) < 1e-12, `${h}×${w} inverse, image ${k}: ${relMax(sab, k * n, inv)}`);
      }
      freeShared(arena);
    } finally { par.close(); }
  }
});

test('wasm complex64: fft2 and ifft2 on sides 2^a·3^b·5^c·7^d·11^e·13^f with an even width equal NumPy to 1e-6, in the arena and streamed', () => {
  // The input rounded to float32 is part of the error; measured max |Δ| / max |NumPy| ≤ 1.1e-7.
  let worst = 0;
  for (const [h, w] of SIZES) {
    if (w % 2 !== 0) { assert.equal(createFft2F32(h, w).backend, 'ts', `${h}×${w} (odd width) under 'auto'`); continue; }
    const { fwd, inv } = reference(h, w);
    const x = Float32Array.from(input(h, w)), n = x.length;
    const fft = createFft2F32(h, w);
    assert.equal(fft.backend, 'wasm', `${h}×${w} under 'auto'`);
    const streamed = createFft2F32(h, w, { backend: 'wasm', chunkBytes: 2 * 4 * n });
    const a = new Float32Array(3 * n), b = new Float32Array(3 * n);
    for (let k = 0; k < 3; k++) { a.set(x, k * n); b.set(x, k * n); }
    streamed.forward(a, 3); streamed.inverse(b, 3);
    const arena = allocShared32(2 * n);
    arena.set(x); arena.set(x, n); fft.forward(arena.subarray(0, n)); fft.inverse(arena.subarray(n));
    for (let k = 0; k < 3; k++) {
      assert.ok(relMax(a, k * n, fwd) < 1e-6, `${h}×${w} forward, image ${k}: ${relMax(a, k * n, fwd)}`);
      assert.ok(relMax(b, k * n, inv) < 1e-6, `${h}×${w} inverse, image ${k}: ${relMax(b, k * n, inv)}`);
      // the same kernel on the same bytes: streamed and in the arena agree to the bit
      assert.deepEqual(a.subarray(k * n, (k + 1) * n), arena.subarray(0, n));
      assert.deepEqual(b.subarray(k * n, (k + 1) * n), arena.subarray(n));
    }
    worst = Math.max(worst, relMax(arena, 0, fwd), relMax(arena, n, inv));
    freeShared(arena);
  }
  assert.ok(worst > 0, 'float32 rounding shows');
});

test('sides with a prime factor above 13 run Bluestein on the wasm kernel (the parallel plan and complex64 in TypeScript)', () => {
  assert.equal(createFft2(14, 10).backend, 'wasm');
  assert.equal(createFft2(34, 10).backend, 'wasm-bluestein');
  assert.equal(createFft2(96, 97).backend, 'wasm-bluestein');
  assert.throws(() => createFft2(96, 97, { backend: 'wasm' }), /prime factors are 2, 3, 5, 7, 11 and 13 only, got 96×97/);
  assert.throws(() => createFft2F32(17, 14, { backend: 'wasm' }), /prime factors are 2, 3, 5, 7, 11 and 13 with an even width only, got 17×14/);
  const par = createParallelFft2(17, 12, { threads: 2 });
  try { assert.equal(par.backend, 'ts'); } finally { par.close(); }
});
