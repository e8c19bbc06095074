/** Determinism: the same seed gives identical bytes, whatever the thread count; another seed differs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLsqml } from '../../src/engine/lsqml.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';
import type { LsqmlOptions } from '../../src/engine/options.js';

const prob = syntheticProblem({ size: 32, height: 72, width: 72, positions: 60, photons: 1e4, poisson: true, seed: 9 });
const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

async function run(o: Partial<LsqmlOptions>) {
  return runLsqml(prob.input, { epochs: 4, batchSize: 16, ...o });
}

for (const [noiseModel, precision] of [['gaussian', 'float32'], ['poisson', 'float32'], ['gaussian', 'float64'], ['poisson', 'float64']] as const) {
  test(`same seed → identical object, probe and losses (${noiseModel}, ${precision}; 1 and 2 threads)`, async () => {
    const a = await run({ seed: 7, noiseModel, threads: 1, precision });
    const b = await run({ seed: 7, noiseModel, threads: 1, precision });
    const c = await run({ seed: 7, noiseModel, threads: 2, precision });
    for (const r of [b, c]) {
      assert.ok(bytes(a.object).equals(bytes(r.object)), 'object bytes differ');
      assert.ok(bytes(a.probe).equals(bytes(r.probe)), 'probe bytes differ');
      assert.deepEqual(r.lossHistory, a.lossHistory);
    }
    const d = await run({ seed: 8, noiseModel, threads: 1, precision });
    assert.ok(!bytes(a.object).equals(bytes(d.object)), 'another seed should change the minibatch order');
  });
}

test('same bytes for 1, 2 and 3 threads with two probe modes and minibatches of several probe-direction blocks (float32)', async () => {
  // 60 positions in batches of 40 and 20: 5 and 3 blocks of PROBE_BLOCK = 8 positions. On 2 threads
  // each part holds a whole group of blocks and sums it as it goes; on 3 threads no part holds group 0
  // of the first batch, so Place sums it: every path must give the same bytes.
  const input = { ...prob.input, probe: { modes: 2, size: 32, data: addProbeModes(Float64Array.from(prob.input.probe.data), 32, 2) } };
  const go = (threads: number) => runLsqml(input, { epochs: 3, batchSize: 40, seed: 3, threads, precision: 'float32' });
  const a = await go(1);
  assert.equal(a.modes, 2);
  assert.equal(a.wasmKernels, true, 'the WASM kernels should run');
  for (const threads of [2, 3]) {
    const r = await go(threads);
    assert.ok(bytes(a.object).equals(bytes(r.object)), `object bytes differ on ${threads} threads`);
    assert.ok(bytes(a.probe).equals(bytes(r.probe)), `probe bytes differ on ${threads} threads`);
    assert.deepEqual(r.lossHistory, a.lossHistory);
  }
});

test('the float64 WASM kernels and the TypeScript loops agree (to rounding); WASM float32 is the default when built', async () => {
  const { LsqmlEngine } = await import('../../src/engine/lsqml.js');
  const { lsqmlWasmModule } = await import('../../src/engine/wasm-kernels.js');
  const probe = await LsqmlEngine.create(prob.input, { epochs: 1 });
  assert.equal(probe.wasmKernels, lsqmlWasmModule('float64') !== null && probe.fftBackend === 'wasm');
  assert.equal(probe.precision, lsqmlWasmModule('float32') !== null && probe.wasmKernels ? 'float32' : 'float64');
  await probe.close();
  const ts = await LsqmlEngine.create(prob.input, { epochs: 1, fftBackend: 'ts', precision: 'float32' });
  assert.equal(ts.precision, 'float64', 'the TypeScript loops compute in float64');
  await ts.close();
  for (const noiseModel of ['gaussian', 'poisson'] as const) {
    const w = await run({ seed: 3, noiseModel, poissonStepNoise: 0, precision: 'float64' });
    const t = await run({ seed: 3, noiseModel, poissonStepNoise: 0, fftBackend: 'ts' });
    assert.equal(w.precision, 'float64');
    let d = 0, r = 0;
    for (let j = 0; j < w.object.length; j++) { d += (w.object[j]! - t.object[j]!) ** 2; r += t.object[j]! ** 2; }
    // Sums in the kernels pair up SIMD lanes, so ΣŶ (the epoch-0 probe rescaling) differs in the last
    // bit; where the model's far field is at rounding level but the noisy data are not (|Ψ| ≪ 1e-9),
    // the modulus projection takes Ψ's phase, and such last-bit differences grow to ~1e-8.
    assert.ok(Math.sqrt(d / r) < 1e-6, `${noiseModel}: object rel. diff ${Math.sqrt(d / r)}`);
    for (let e = 0; e < w.lossHistory.length; e++) assert.ok(Math.abs(w.lossHistory[e]! / t.lossHistory[e]! - 1) < 1e-6);
  }
});

test('sides with a prime factor above 13 (Bluestein on the wasm kernel): the same bytes on 1 and 2 threads', async () => {
  // 17 and 34 (= 2·17): the worker thread transforms with the main thread's Bluestein plan, not the TypeScript FFT,
  // whose rounding differs (max |Δobject| 2.6e-14 at 17², 2.0e-7 at 34² after 6 epochs when it did)
  for (const size of [17, 34]) {
    const p = syntheticProblem({ size, height: size + 30, width: size + 32, positions: 30, photons: 1e4, seed: 6 });
    const go = (threads: number) => runLsqml(p.input, { epochs: 4, batchSize: 10, seed: 5, threads });
    const a = await go(1), b = await go(2);
    assert.equal(a.fftBackend, 'wasm-bluestein', `${size}²`);
    assert.equal(b.threads, 2, `${size}²`);
    assert.ok(bytes(a.object).equals(bytes(b.object)), `${size}²: object bytes differ between 1 and 2 threads`);
    assert.ok(bytes(a.probe).equals(bytes(b.probe)), `${size}²: probe bytes differ between 1 and 2 threads`);
    assert.deepEqual(b.lossHistory, a.lossHistory);
  }
});
