/**
 * The complex64 FFT (createFft2F32 / WasmFft2F32): agreement with the complex128 transform to float32
 * rounding, in place in the arena and streamed from ordinary arrays, the bit-reversed spectrum order
 * and its real-image permutation, and the sizes the kernel refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocShared32, createFft2, createFft2F32, freeShared, wasmAvailable } from '../../src/math/fft.js';
import { getArena, pow2Plan, WasmFft2F32 } from '../../src/math/fft-wasm.js';
import { Rng } from '../../src/math/rng.js';

function random(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num += (a[i]! - b[i]!) ** 2; den += b[i]! ** 2; }
  return Math.sqrt(num / den);
}

function bitrev(n: number): number[] {
  const bits = Math.round(Math.log2(n));
  return Array.from({ length: n }, (_, i) => { let r = 0; for (let b = 0, x = i; b < bits; b++, x >>= 1) r = (r << 1) | (x & 1); return r; });
}

const SIZES: [number, number][] = [[2, 2], [4, 4], [8, 8], [2, 8], [8, 2], [1, 8], [16, 4], [32, 32], [64, 64], [128, 128], [256, 64], [64, 128]];

test('complex64 wasm and ts agree with the complex128 transform to float32 rounding (in place and streamed)', () => {
  assert.ok(wasmAvailable());
  for (const [h, w] of SIZES) {
    const count = 3;
    const x = random(2 * h * w * count, h * 1000 + w);
    const ref = x.slice();
    createFft2(h, w, { backend: 'ts' }).forward(ref, count);
    const refInv = ref.slice();
    createFft2(h, w, { backend: 'ts' }).inverse(refInv, count);
    const arena = allocShared32(x.length);
    for (const [name, fft, buf] of [
      ['wasm arena', createFft2F32(h, w, { backend: 'wasm' }), arena],
      ['wasm streamed', createFft2F32(h, w, { backend: 'wasm', chunkBytes: 8 * h * w * 2 }), new Float32Array(x.length)],
      ['ts', createFft2F32(h, w, { backend: 'ts' }), new Float32Array(x.length)],
    ] as const) {
      buf.set(x);
      fft.forward(buf, count);
      const e = relErr(buf, ref);
      assert.ok(e < 4e-7, `${name} ${h}×${w} forward: ${e}`);
      buf.set(ref);
      fft.inverse(buf, count);
      assert.ok(relErr(buf, refInv) < 4e-7, `${name} ${h}×${w} inverse: ${relErr(buf, refInv)}`);
    }
    freeShared(arena);
  }
  // sides 2^a·3^b·5^c·7^d·11^e·13^f with an even width take the mixed-radix kernel
  // (test/math/fft-numpy.test.ts); an odd width, a width of one or a prime factor above 13 stays on TypeScript
  assert.equal(createFft2F32(6, 10).backend, 'wasm');
  assert.equal(createFft2F32(6, 15).backend, 'ts');
  assert.equal(createFft2F32(8, 1).backend, 'ts');
  assert.equal(createFft2F32(8, 14).backend, 'wasm');
  assert.equal(createFft2F32(8, 34).backend, 'ts');
  assert.throws(() => createFft2F32(6, 15, { backend: 'wasm' }), /even width only, got 6×15/);
  assert.throws(() => createFft2F32(8, 1, { backend: 'wasm' }), /even width only, got 8×1/);
  assert.throws(() => createFft2F32(8, 34, { backend: 'wasm' }), /prime factors are 2, 3, 5, 7, 11 and 13/);
  assert.throws(() => new WasmFft2F32(6, 10, { order: 'bitrev' }), /bit-reversed order for power-of-two sizes only, got 6×10/);
  // bit-reversed spectra and the fused kernels refuse a mixed-radix plan rather than misread its tables
  const arena = getArena()!, mixed = arena.plan(6, 10);
  assert.throws(() => arena.run32(mixed, 0, 1, true, true), /power-of-two sizes only, got 6×10/);
  assert.throws(() => arena.ifftRamp32(mixed, 0, 0, 0), /power-of-two sizes only, got 6×10/);
  assert.throws(() => arena.fftProduct32(mixed, 0, 0, 0, 0), /power-of-two sizes only, got 6×10/);
  assert.throws(() => arena.ifftUnscaled32(mixed, 0), /power-of-two sizes only, got 6×10/);
});

test("order 'bitrev': the forward spectrum is the natural one bit-reversed on both axes; inverse undoes it", () => {
  for (const [h, w] of SIZES.filter(([, ww]) => ww >= 2)) {
    const count = 2;
    const x = random(2 * h * w * count, 7 * h + w);
    const ref = x.slice();
    createFft2(h, w, { backend: 'ts' }).forward(ref, count);
    const rh = bitrev(h), rw = bitrev(w);
    const perm = new Float64Array(ref.length);
    for (let b = 0; b < count; b++) {
      for (let y = 0; y < h; y++) {
        for (let c = 0; c < w; c++) {
          const s = 2 * (b * h * w + y * w + c), d = 2 * (b * h * w + rh[y]! * w + rw[c]!);
          perm[d] = ref[s]!; perm[d + 1] = ref[s + 1]!;
        }
      }
    }
    const f = new WasmFft2F32(h, w, { order: 'bitrev' });
    const buf = allocShared32(x.length);
    buf.set(x);
    f.forward(buf, count);
    assert.ok(relErr(buf, perm) < 4e-7, `${h}×${w}: ${relErr(buf, perm)}`);
    f.inverse(buf, count);
    assert.ok(relErr(buf, x) < 4e-7, `${h}×${w} round trip: ${relErr(buf, x)}`);
    freeShared(buf);
  }
});

test('bitrevReal32 puts real images into bit-reversed order on both axes', () => {
  const arena = getArena()!;
  for (const [h, w] of [[1, 1], [2, 2], [4, 8], [8, 8], [16, 16], [4, 32], [64, 64], [32, 128]] as const) {
    const count = 2;
    const src = allocShared32(h * w * count), dst = allocShared32(h * w * count);
    for (let i = 0; i < src.length; i++) src[i] = i;
    arena.bitrevReal32(dst.byteOffset, src.byteOffset, count, h, w);
    const rh = bitrev(h), rw = bitrev(w);
    for (let b = 0; b < count; b++) {
      for (let y = 0; y < h; y++) {
        for (let c = 0; c < w; c++) assert.equal(dst[b * h * w + rh[y]! * w + rw[c]!], b * h * w + y * w + c, `${h}×${w} (${y}, ${c})`);
      }
    }
    freeShared(src); freeShared(dst);
  }
});

test('the engine\'s batched complex64 calls equal one image at a time: fftProduct32 over several probes, ifftUnscaled32 over strided images', () => {
  const arena = getArena()!;
  for (const n of [8, 16, 64, 128]) {
    const plan = pow2Plan(arena.plan(n, n)), n2 = n * n, count = 3, pad = 32;
    const rng = new Rng(n);
    const W = n + 12;
    const obj = allocShared32(2 * W * W), probes = allocShared32(2 * n2 * count);
    for (let i = 0; i < obj.length; i++) obj[i] = rng.normal();
    for (let i = 0; i < probes.length; i++) probes[i] = rng.normal();
    const step = 2 * n2 + pad;
    const one = allocShared32(step * count), many = allocShared32(step * count);
    const at = obj.byteOffset + 4 * 2 * (5 * W + 3);
    for (let m = 0; m < count; m++) arena.fftProduct32(plan, one.byteOffset + 4 * step * m, at, 8 * W, probes.byteOffset + 8 * n2 * m);
    arena.fftProduct32(plan, many.byteOffset, at, 8 * W, probes.byteOffset, count, 4 * step, 8 * n2);
    assert.deepEqual(many, one, `${n}×${n} fftProduct32`);
    for (let m = 0; m < count; m++) arena.run32(plan, one.byteOffset + 4 * step * m, 1, false, true, true);
    arena.ifftUnscaled32(plan, many.byteOffset, count, 4 * step);
    assert.deepEqual(many, one, `${n}×${n} ifftUnscaled32`);
    for (const b of [obj, probes, one, many]) freeShared(b);
  }
});
