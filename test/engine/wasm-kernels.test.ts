/**
 * The engine's WASM kernels where they replace TypeScript loops that define the values: the probe
 * direction's batch mean and the probe update (`divide`, `axpyWide`) and the mode orthogonalisation's
 * loops over pixels (`modeGram`, `modeMix`) give the loops' values bit for bit, in both precisions;
 * and with three probe modes, patches beyond the object's edge and both noise models, one and two
 * threads give the same bytes (the per-position phase places part 0's object directions itself, the
 * other part's go through Place: every pixel's terms must still be added in batch order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocShared, allocShared32, freeShared, wasmAvailable } from '../../src/math/fft.js';
import { getArena, WasmFft2 } from '../../src/math/fft-wasm.js';
import { TsFft2 } from '../../src/math/fft-ts.js';
import { Rng } from '../../src/math/rng.js';
import { lsqmlWasmKernels, modeKernelsOn } from '../../src/engine/wasm-kernels.js';
import { orthogonalizeModesSvd } from '../../src/engine/modes.js';
import { runLsqml } from '../../src/engine/lsqml.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';
import type { Precision } from '../../src/engine/options.js';

const PRECISIONS: Precision[] = ['float32', 'float64'];
const bytes = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function arenaArray(precision: Precision, values: ArrayLike<number>): Float32Array | Float64Array {
  const a = precision === 'float32' ? allocShared32(values.length) : allocShared(values.length);
  a.set(values);
  return a;
}

function kernelsFor(precision: Precision) {
  const arena = getArena();
  assert.ok(arena, 'the wasm FFT arena is available');
  const w = lsqmlWasmKernels(arena.memory, precision);
  assert.ok(w, `the ${precision} kernels are built`);
  return w;
}

test('divide and axpyWide give the TypeScript loops\' values bit for bit (float32 and float64)', () => {
  assert.ok(wasmAvailable());
  const rng = new Rng(11);
  for (const precision of PRECISIONS) {
    const w = kernelsFor(precision);
    for (const count of [1, 3, 8, 1001]) {
      const x = Float64Array.from({ length: count }, () => rng.normal() * 10 ** rng.uniformIn(-3, 3));
      const y = Float64Array.from({ length: count }, () => rng.normal());
      const src = arenaArray(precision, x), dst = arenaArray(precision, y);
      const ref = precision === 'float32' ? Float32Array.from(x) : Float64Array.from(x);
      for (let j = 0; j < count; j++) ref[j] /= 96;
      w.divide(dst.byteOffset, src.byteOffset, count, 96);
      assert.ok(bytes(dst).equals(bytes(ref)), `${precision} divide, ${count} values`);
      const p = arenaArray(precision, y), refP = precision === 'float32' ? Float32Array.from(y) : Float64Array.from(y);
      const a = 0.37 * rng.normal();
      for (let j = 0; j < count; j++) refP[j] += a * ref[j]!;
      w.axpyWide(p.byteOffset, dst.byteOffset, a, count);
      assert.ok(bytes(p).equals(bytes(refP)), `${precision} axpyWide, ${count} values`);
      for (const b of [src, dst, p]) freeShared(b);
    }
  }
});

test('mode orthogonalisation on the WASM kernels equals the TypeScript loops bit for bit (2 and 3 modes, float32 and float64)', () => {
  const rng = new Rng(5);
  for (const precision of PRECISIONS) {
    const w = kernelsFor(precision);
    for (const m of [2, 3]) {
      const pixels = 24 * 24;
      const init = Float64Array.from({ length: 2 * m * pixels }, () => rng.normal());
      const ts = precision === 'float32' ? Float32Array.from(init) : Float64Array.from(init);
      orthogonalizeModesSvd(ts, m, pixels);
      const modes = arenaArray(precision, init), scratch = allocShared(4 * m * m + 2 * m);
      orthogonalizeModesSvd(modes, m, pixels, modeKernelsOn(w, modes.byteOffset, m, pixels, scratch));
      assert.ok(bytes(modes).equals(bytes(ts)), `${precision}, ${m} modes`);
      assert.ok(!bytes(modes).equals(bytes(precision === 'float32' ? Float32Array.from(init) : init)), 'the modes changed');
      freeShared(modes); freeShared(scratch);
    }
  }
});

test('three probe modes, patches beyond the edge: identical bytes for 1 and 2 threads (Gaussian and Poisson, float32 and float64)', async () => {
  const prob = syntheticProblem({ size: 32, height: 72, width: 72, positions: 60, photons: 1e4, poisson: true, seed: 9 });
  // The scan stretched by a quarter: about one patch in four extends beyond the object buffer.
  const input = {
    ...prob.input, positions: Float64Array.from(prob.input.positions, (v) => v * 1.25),
    probe: { modes: 3, size: 32, data: addProbeModes(Float64Array.from(prob.input.probe.data), 32, 3) },
  };
  for (const precision of PRECISIONS) {
    for (const noiseModel of ['gaussian', 'poisson'] as const) {
      const run = (threads: number) => runLsqml(input, { epochs: 4, batchSize: 16, seed: 7, threads, precision, noiseModel });
      const a = await run(1), b = await run(2);
      assert.equal(a.precision, precision);
      assert.ok(a.warnings.some((s) => /extend beyond/.test(s)), 'some patches leave the object');
      assert.ok(bytes(a.object).equals(bytes(b.object)), `${precision} ${noiseModel}: object bytes differ`);
      assert.ok(bytes(a.probe).equals(bytes(b.probe)), `${precision} ${noiseModel}: probe bytes differ`);
      assert.deepEqual(b.lossHistory, a.lossHistory);
      assert.ok(a.lossHistory.every(Number.isFinite));
    }
  }
});

/** max |a − b| / max |b|. */
function relMax(a: Float64Array, b: Float64Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / m;
}

test('patterns of 24², 48² (2^a·3) and 28² (2²·7) run in float64 on the WebAssembly FFT and kernels, which give the TypeScript loops\' results to rounding', async () => {
  // Settings whose updates are not chaotic over a few epochs (no probe update, no ambiguity removal, no
  // step noise), so differences stay at their source.
  const opts = { epochs: 4, batchSize: 8, seed: 7, precision: 'float64' as const, threads: 1,
    probeOptimizable: false, removeObjectProbeAmbiguity: false, rescaleProbeIntensityInFirstEpoch: false, poissonStepNoise: 0 };
  for (const size of [24, 48, 28]) {
    const prob = syntheticProblem({ size, height: size + 40, width: size + 40, positions: 25, photons: 1e4, poisson: true, seed: 3 });
    const wasm = await runLsqml(prob.input, opts);
    assert.equal(wasm.fftBackend, 'wasm', `${size}²: the FFT backend 'auto' picked`);
    assert.equal(wasm.wasmKernels, true, `${size}²: the WASM kernels run`);
    assert.equal(wasm.precision, 'float64');
    const two = await runLsqml(prob.input, { ...opts, threads: 2 });
    assert.ok(bytes(two.object).equals(bytes(wasm.object)), `${size}²: 2 threads give 1 thread's bytes`);
    // The TypeScript loops fed the same transforms (the mixed-radix kernel standing in for the TypeScript
    // FFT): the kernels' values to float64 rounding.
    const fwd = TsFft2.prototype.forward, inv = TsFft2.prototype.inverse;
    const kernel = new WasmFft2(size, size);
    TsFft2.prototype.forward = function (buf: Float64Array, count?: number) { kernel.forward(buf, count); };
    TsFft2.prototype.inverse = function (buf: Float64Array, count?: number) { kernel.inverse(buf, count); };
    let loops;
    try { loops = await runLsqml(prob.input, { ...opts, fftBackend: 'ts' }); } finally { TsFft2.prototype.forward = fwd; TsFft2.prototype.inverse = inv; }
    assert.equal(loops.wasmKernels, false);
    assert.ok(relMax(wasm.object, loops.object) <= 1e-12, `${size}², object vs the loops: ${relMax(wasm.object, loops.object)}`);
    assert.ok(relMax(wasm.probe, loops.probe) <= 1e-12, `${size}², probe vs the loops: ${relMax(wasm.probe, loops.probe)}`);
    // Against the TypeScript path as it runs (Bluestein's FFT): the two FFTs round differently (each within
    // 6e-16 of NumPy), and the magnitude step hands the phase of near-zero far-field pixels on, so the
    // objects differ by 7e-8 to 4e-7 of their largest value here.
    const ts = await runLsqml(prob.input, { ...opts, fftBackend: 'ts' });
    assert.ok(relMax(wasm.object, ts.object) <= 1e-5, `${size}², object vs the TypeScript path: ${relMax(wasm.object, ts.object)}`);
  }
});
