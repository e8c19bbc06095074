import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createFft2, createParallelFft2, allocShared, freeShared, wasmAvailable } from '../../src/math/fft.js';
import { Rng } from '../../src/math/rng.js';

function fill(a: Float64Array, seed: number): Float64Array {
  const r = new Rng(seed);
  for (let i = 0; i < a.length; i++) a[i] = r.normal();
  return a;
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0, s = 0;
  for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return m / s;
}

for (const backend of ['ts', 'wasm'] as const) {
  test(`parallel (${backend}, 2 threads) equals single-thread on arena, SharedArrayBuffer and plain buffers`, () => {
    if (backend === 'wasm') assert.ok(wasmAvailable());
    const h = 32, w = 64, hw = h * w;
    const single = createFft2(h, w, { backend });
    const par = createParallelFft2(h, w, { threads: 2, backend });
    try {
      assert.equal(par.threads, 2);
      assert.equal(par.backend, backend);
      for (const count of [0, 1, 2, 3, 7, 40]) {
        const ref = fill(new Float64Array(2 * hw * (count + 2)), count);
        const orig = ref.slice();
        single.forward(ref.subarray(2 * hw), count);
        const arena = allocShared(ref.length); arena.set(orig);
        const sab = new Float64Array(new SharedArrayBuffer(8 * ref.length)); sab.set(orig);
        const plain = orig.slice();
        for (const buf of [arena, sab, plain]) {
          par.forward(buf.subarray(2 * hw), count);
          assert.ok(maxDiff(buf, ref) < 1e-13, `forward, count ${count}`);
          par.inverse(buf.subarray(2 * hw), count);
          assert.ok(maxDiff(buf, orig) < 1e-13, `inverse, count ${count}`);
        }
        freeShared(arena);
      }
    } finally {
      par.close();
    }
    // after close: still correct, on the calling thread
    const x = fill(allocShared(2 * hw * 4), 9), y = x.slice();
    par.forward(x, 4); single.forward(y, 4);
    assert.ok(maxDiff(x, y) < 1e-15);
  });
}

test('parallel on many distinct SharedArrayBuffers (workers keep only the recent ones)', () => {
  const par = createParallelFft2(8, 8, { threads: 2, backend: 'wasm' });
  const single = createFft2(8, 8);
  try {
    const bufs = Array.from({ length: 12 }, (_, i) => fill(new Float64Array(new SharedArrayBuffer(8 * 128 * 4)), i));
    for (let round = 0; round < 2; round++) {
      for (const b of bufs) {
        const ref = b.slice();
        single.forward(ref, 4);
        par.forward(b, 4);
        assert.ok(maxDiff(b, ref) < 1e-13);
      }
    }
  } finally { par.close(); }
});

test('parallel with 3 threads and odd batch sizes', () => {
  const par = createParallelFft2(16, 16, { threads: 3 });
  const single = createFft2(16, 16);
  try {
    for (const count of [2, 5, 11]) {
      const a = fill(allocShared(512 * count), count), b = a.slice();
      par.forward(a, count); single.forward(b, count);
      assert.ok(maxDiff(a, b) < 1e-13);
      freeShared(a);
    }
  } finally { par.close(); }
});

test('allocShared returns zeroed shared memory and reuses freed blocks', () => {
  const a = allocShared(1000);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  a.fill(3);
  freeShared(a);
  const b = allocShared(1000);
  assert.ok(b.every((v) => v === 0));
  if (wasmAvailable()) assert.equal(b.byteOffset, a.byteOffset);
  freeShared(b);
});

test('a process that leaves a parallel FFT open still exits (also under -e and per-process flags)', () => {
  const code = `import { createParallelFft2, allocShared } from './dist/src/math/fft.js';
    const f = createParallelFft2(64, 64, { threads: 2 }); const a = allocShared(2 * 4096 * 8); f.forward(a, 8); console.log('ok');`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

test('workers of a plan dropped without close() are stopped when it is collected', () => {
  const code = `import { readdirSync } from 'node:fs';
    import { createParallelFft2, allocShared } from './dist/src/math/fft.js';
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    (() => { for (let i = 0; i < 3; i++) { const f = createParallelFft2(16, 16, { threads: 2 }); f.forward(allocShared(512 * 4), 4); } })();
    const during = threads();
    for (let i = 0; i < 20 && threads() > before; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 100)); }
    console.log(during - before, threads() - before);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  const [during, after] = r.stdout.trim().split(' ').map(Number);
  assert.ok(during >= 3, `3 workers expected, saw ${during} more threads`);
  assert.equal(after, 0);
});
