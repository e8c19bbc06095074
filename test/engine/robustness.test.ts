/**
 * Robustness: one or two positions, a probe of zeros, all-zero patterns, NaN or negative data, bad
 * shapes, patches leaving the object, M > 1 with tiny batches, and divergence: never a crash deep
 * inside — a result or a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LsqmlDivergenceError, LsqmlInputError, runLsqml, type LsqmlInput } from '../../src/engine/lsqml.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';

const base = syntheticProblem({ size: 16, height: 40, width: 40, positions: 25, photons: 1e4, poisson: true, seed: 4 });
const n2 = 16 * 16;

function subset(count: number): LsqmlInput {
  return { ...base.input, intensities: base.input.intensities.slice(0, count * n2), positions: Array.from(base.input.positions).slice(0, 2 * count) };
}

function finite(a: Float64Array): boolean { return a.every((v) => Number.isFinite(v)); }

for (const count of [1, 2]) {
  for (const noiseModel of ['gaussian', 'poisson'] as const) {
    test(`${count} position(s), ${noiseModel}: a finite result`, async () => {
      const r = await runLsqml(subset(count), { epochs: 4, batchSize: 96, noiseModel, threads: 2 });
      assert.equal(r.epochsRun, 4);
      assert.ok(finite(r.object) && finite(r.probe), 'non-finite values');
      assert.ok(r.lossHistory.every(Number.isFinite));
    });
  }
}

test('a probe of zeros is a clear input error', async () => {
  await assert.rejects(runLsqml({ ...base.input, probe: { ...base.input.probe, data: new Float64Array(2 * n2) } }, { epochs: 2 }),
    (e: unknown) => e instanceof LsqmlInputError && /probe is zero/.test(e.message));
});

test('a probe that is zero only where it matters (outside the detector view) still gives a clear error or a result', async () => {
  // Probe energy only at one pixel: not an error, the reconstruction must stay finite.
  const p = new Float64Array(2 * n2); p[2 * (8 * 16 + 8)] = 1;
  const r = await runLsqml({ ...base.input, probe: { ...base.input.probe, data: p } }, { epochs: 3, batchSize: 8 });
  assert.ok(finite(r.object) && finite(r.probe));
});

test('all-zero patterns are a clear input error; some zero patterns are fine', async () => {
  await assert.rejects(runLsqml({ ...base.input, intensities: new Float64Array(base.input.intensities.length) }, { epochs: 2 }),
    (e: unknown) => e instanceof LsqmlInputError && /every diffraction pattern is zero/.test(e.message));
  const y = Float64Array.from(base.input.intensities);
  y.fill(0, 0, 5 * n2);
  for (const noiseModel of ['gaussian', 'poisson'] as const) {
    const r = await runLsqml({ ...base.input, intensities: y }, { epochs: 3, batchSize: 8, noiseModel });
    assert.ok(finite(r.object) && finite(r.probe));
  }
});

test('NaN, infinite or negative data are clear input errors naming the pattern', async () => {
  for (const bad of [NaN, Infinity, -1]) {
    const y = Float64Array.from(base.input.intensities);
    y[3 * n2 + 17] = bad;
    await assert.rejects(runLsqml({ ...base.input, intensities: y }, { epochs: 2 }),
      (e: unknown) => e instanceof LsqmlInputError && /pattern 3/.test(e.message), `value ${bad}`);
  }
  const pos = Array.from(base.input.positions); pos[4] = NaN;
  await assert.rejects(runLsqml({ ...base.input, positions: pos }, { epochs: 2 }), LsqmlInputError);
});

test('inconsistent shapes, bad options and bad batch permutations are clear input errors', async () => {
  await assert.rejects(runLsqml({ ...base.input, intensities: base.input.intensities.slice(0, 10) }, { epochs: 2 }), /intensities hold/);
  await assert.rejects(runLsqml({ ...base.input, positions: [] }, { epochs: 2 }), /no scan positions/);
  await assert.rejects(runLsqml(base.input, { epochs: 0 }), LsqmlInputError);
  await assert.rejects(runLsqml(base.input, { batchSize: 1.5 }), LsqmlInputError);
  await assert.rejects(runLsqml(base.input, { noiseModel: 'laplace' as 'gaussian' }), LsqmlInputError);
  await assert.rejects(runLsqml({ ...base.input, batchPermutations: [[0, 0, 1]] }, { epochs: 1 }), /batchPermutations/);
});

test('patches beyond the object buffer: a warning and a finite result', async () => {
  const pos = Array.from(base.input.positions); pos[0] = -30; pos[1] = 25;
  const r = await runLsqml({ ...base.input, positions: pos }, { epochs: 3, batchSize: 8 });
  assert.ok(r.warnings.some((w) => /extend beyond/.test(w)));
  assert.ok(finite(r.object) && finite(r.probe));
});

for (const precision of ['float32', 'float64'] as const) {
  test(`two modes with batches of one position: finite, orthogonal modes (${precision})`, async () => {
    const probe = addProbeModes(base.input.probe.data as Float64Array, 16, 2);
    const r = await runLsqml({ ...base.input, probe: { modes: 2, size: 16, data: probe } }, { epochs: 3, batchSize: 1, precision });
    assert.ok(finite(r.object) && finite(r.probe));
    let cr = 0, ci = 0, na = 0, nb = 0;
    for (let k = 0; k < 2 * n2; k += 2) {
      const ar = r.probe[k]!, ai = r.probe[k + 1]!, br = r.probe[2 * n2 + k]!, bi = r.probe[2 * n2 + k + 1]!;
      cr += ar * br + ai * bi; ci += ar * bi - ai * br;
      na += ar * ar + ai * ai; nb += br * br + bi * bi;
    }
    // Orthogonal to rounding: the modes are stored in the working precision.
    const tol = r.precision === 'float32' ? 1e-6 : 1e-12;
    assert.ok(Math.hypot(cr, ci) < tol * Math.sqrt(na * nb), `overlap ${Math.hypot(cr, ci) / Math.sqrt(na * nb)}`);
  });
}

test('a diverging run stops with LsqmlDivergenceError naming the epoch', async () => {
  let seen = -1;
  await assert.rejects(
    runLsqml(base.input, { epochs: 30, batchSize: 8, objectLearningRate: 60, probeLearningRate: 60, divergenceFactor: 10 },
      { onEpoch: ({ epoch }) => { seen = epoch; } }),
    (e: unknown) => e instanceof LsqmlDivergenceError && e.epoch >= 1 && /diverged at epoch \d+/.test(e.message) && e.lossHistory.length === e.epoch + 1);
  assert.ok(seen >= 0);
});

test('odd and non-power-of-two patch sizes run (WebAssembly mixed radix for 15 and 21 in float64, 24 and 14 in float32, Bluestein on the kernel with the TypeScript loops for 17 and 34) and the loss decreases', async () => {
  for (const [size, backend, precision] of [[15, 'wasm', 'float64'], [24, 'wasm', 'float32'], [21, 'wasm', 'float64'], [14, 'wasm', 'float32'], [17, 'wasm-bluestein', 'float64'], [34, 'wasm-bluestein', 'float64']] as const) {
    const p = syntheticProblem({ size, height: 44, width: 46, positions: 30, photons: 1e4, seed: 6 });
    const r = await runLsqml(p.input, { epochs: 8, batchSize: 10, threads: 2 });
    assert.equal(r.fftBackend, backend, `N=${size}`);
    assert.equal(r.wasmKernels, backend === 'wasm', `N=${size}`);
    assert.equal(r.precision, precision, `N=${size}`);
    assert.ok(finite(r.object) && finite(r.probe));
    assert.ok(r.lossHistory[7]! < r.lossHistory[1]!, `N=${size}: ${r.lossHistory.join(', ')}`);
  }
});
