/**
 * Options a run never acts on are said, not silently dropped: an update plan that schedules none of the
 * run's epochs (the object or probe then stays as it started), a setting of the other noise model; a plan
 * that can schedule nothing at all (stop ≤ start) and an absurd thread count are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LsqmlInputError, runLsqml } from '../../src/engine/lsqml.js';
import { MAX_LSQML_THREADS } from '../../src/engine/options.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';

const base = syntheticProblem({ size: 16, height: 40, width: 40, positions: 25, photons: 1e4, poisson: true, seed: 4 });
const run = (o: Parameters<typeof runLsqml>[1]) => runLsqml(base.input, { epochs: 4, batchSize: 8, precision: 'float64', ...o });

test('the default options warn of nothing', async () => {
  for (const noiseModel of ['gaussian', 'poisson'] as const) assert.deepEqual((await run({ noiseModel })).warnings, []);
});

test('an object plan that starts after the last epoch: a warning, and the object is never updated', async () => {
  const r = await run({ objectPlan: { start: 4, stop: null, stride: 1 }, removeObjectProbeAmbiguity: false });
  assert.ok(r.warnings.some((w) => /^objectPlan \{start: 4, stop: null, stride: 1\} schedules none of this run's epochs \(epochs 1–3 update; epoch 0 only rescales the probe\): the object is never updated$/.test(w)), r.warnings.join('\n'));
  assert.deepEqual(Array.from(r.object), Array.from(base.input.object.data), 'the object moved');
  // A plan holding only epoch 0, which only rescales the probe, updates nothing either.
  const p = await run({ probePlan: { start: 0, stop: 1, stride: 1 } });
  assert.ok(p.warnings.some((w) => /^probePlan .* the probe is never updated$/.test(w)), p.warnings.join('\n'));
  // Without the rescale epoch 0 is an update epoch: no warning.
  const q = await run({ probePlan: { start: 0, stop: 1, stride: 1 }, rescaleProbeIntensityInFirstEpoch: false });
  assert.deepEqual(q.warnings, []);
});

test('orthogonalisation and ambiguity plans outside the run, and settings of the other noise model, are warnings', async () => {
  const probe = addProbeModes(base.input.probe.data as Float64Array, 16, 2);
  const r = await runLsqml({ ...base.input, probe: { modes: 2, size: 16, data: probe } },
    { epochs: 4, batchSize: 8, orthogonalizePlan: { start: 5, stop: null, stride: 1 }, ambiguityPlan: { start: 4, stop: null, stride: 10 } });
  assert.ok(r.warnings.some((w) => /^orthogonalizePlan .*\(epochs 0–3\): the probe modes are never orthogonalised$/.test(w)), r.warnings.join('\n'));
  assert.ok(r.warnings.some((w) => /^ambiguityPlan .*: the object–probe ambiguity is never removed$/.test(w)), r.warnings.join('\n'));
  assert.ok((await run({ noiseModel: 'poisson', gaussianNoiseStd: 0.7 })).warnings.some((w) => /^gaussianNoiseStd 0\.7 has no effect/.test(w)));
  const g = await run({ noiseModel: 'gaussian', poissonStepNoise: 0, clampPoissonStepAfterNoise: false });
  assert.ok(g.warnings.some((w) => /^poissonStepNoise 0 has no effect/.test(w)) && g.warnings.some((w) => /^clampPoissonStepAfterNoise false has no effect/.test(w)));
});

test('a plan with stop ≤ start and more threads than MAX_LSQML_THREADS are input errors', async () => {
  await assert.rejects(run({ objectPlan: { start: 3, stop: 3, stride: 1 } }), (e: unknown) => e instanceof LsqmlInputError && /objectPlan/.test(e.message));
  await assert.rejects(run({ threads: MAX_LSQML_THREADS + 1 }), (e: unknown) => e instanceof LsqmlInputError && /threads must be at most/.test(e.message));
});

test('an exclusion threshold at or above every measured pixel: a warning, and nothing is updated', async () => {
  let max = 0;
  for (const v of base.input.intensities) max = Math.max(max, v);
  const r = await run({ excludeMeasuredPixelsBelow: max, removeObjectProbeAmbiguity: false });
  assert.ok(r.warnings.some((w) => /^excludeMeasuredPixelsBelow .* leaves no pixel constrained .*neither the object nor the probe is updated$/.test(w)), r.warnings.join('\n'));
  assert.deepEqual(Array.from(r.object), Array.from(base.input.object.data), 'the object moved');
  // just below the brightest pixel, that pixel constrains the step: no warning
  assert.ok(!(await run({ excludeMeasuredPixelsBelow: max * (1 - 1e-9) })).warnings.some((w) => /excludeMeasuredPixelsBelow/.test(w)));
});

test('the threads that ran are reported: the ones asked for, at most one per position of a minibatch', async () => {
  const r = await run({ threads: 4, batchSize: 2, epochs: 2 });
  assert.equal(r.options.threads, 4);
  assert.equal(r.threads, 2);
  assert.equal((await run({ threads: 2, epochs: 2 })).threads, 2);
});

test('float32 asked for where only the float64 path runs (the TypeScript loops) is said; where float32 runs, nothing is', async () => {
  const ts = await run({ precision: 'float32', fftBackend: 'ts' });
  assert.equal(ts.precision, 'float64');
  assert.ok(ts.warnings.some((w) => /^precision float32 was asked for and the run computes in float64 \(fftBackend ts: the TypeScript loops compute in float64\)/.test(w)), ts.warnings.join('\n'));
  const f32 = await run({ precision: 'float32' });
  assert.equal(f32.precision, 'float32');
  assert.deepEqual(f32.warnings, []);
  // 12 = 4·3 runs in float32 on the mixed-radix FFT and the kernels: nothing to say
  const twelve = syntheticProblem({ size: 12, height: 30, width: 30, positions: 9, photons: 1e4, poisson: true, seed: 4 });
  const t = await runLsqml(twelve.input, { epochs: 2, batchSize: 4, precision: 'float32' });
  assert.equal(t.precision, 'float32');
  assert.equal(t.wasmKernels, true);
  assert.deepEqual(t.warnings, []);
  // 14 = 2·7 runs in float32 on the radix-7 FFT and the kernels: nothing to say
  const fourteen = syntheticProblem({ size: 14, height: 30, width: 30, positions: 9, photons: 1e4, poisson: true, seed: 4 });
  const f14 = await runLsqml(fourteen.input, { epochs: 2, batchSize: 4, precision: 'float32' });
  assert.equal(f14.precision, 'float32');
  assert.equal(f14.wasmKernels, true);
  assert.deepEqual(f14.warnings, []);
  // patterns of a size float32 does not take: the size is the reason, not the machine; 21 = 3·7 (odd)
  // runs on the WebAssembly FFT and kernels in float64, 17 (prime) on the TypeScript loops with Bluestein's FFT on the kernel
  for (const [size, where, wasm] of [[21, 'WebAssembly FFT and kernels', true], [17, 'TypeScript loops with Bluestein\'s FFT on the WebAssembly kernel', false]] as const) {
    const odd = syntheticProblem({ size, height: 30, width: 30, positions: 9, photons: 1e4, poisson: true, seed: 4 });
    const r = await runLsqml(odd.input, { epochs: 2, batchSize: 4, precision: 'float32' });
    assert.equal(r.precision, 'float64');
    assert.equal(r.wasmKernels, wasm);
    assert.equal(r.fftBackend, wasm ? 'wasm' : 'wasm-bluestein');
    assert.ok(r.warnings.includes('precision float32 was asked for and the run computes in float64 (the float32 path takes even sides with no prime factor above 13 only; ' +
      `these ${size}×${size} patterns run on the ${where}); results agree to rounding, at the float64 path's speed`), r.warnings.join('\n'));
  }
});
