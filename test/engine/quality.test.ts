/**
 * Reconstruction quality without pty-chi: small self-simulated problems (N = 32, 80×80 object, 100
 * jittered raster positions, phase in [−1, 1] rad); everything is seeded, so each run is the same.
 * Thresholds (measured values in parentheses):
 *  - noiseless, Gaussian model: after 20 epochs the RMS phase error (offset and ramp removed, pixels
 *    with illumination ≥ 30 % of max) is < 0.05 rad (measured ≈ 0.018), from ≈ 0.4 rad at the start;
 *    the loss falls below 20 % of epoch 1's and never rises by more than 10 % from one epoch to the next
 *    (measured: one 6 % bump, at epoch 11, after the ambiguity removal and preconditioner update of epoch 10);
 *  - Poisson noise at 1e4 photons per pattern, Poisson model: < 0.1 rad after 20 epochs (≈ 0.058);
 *    Gaussian model on the same data: < 0.1 rad (≈ 0.045).
 * Each runs in float32 (the default) and float64; the measured errors are printed as diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LsqmlEngine } from '../../src/engine/lsqml.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { phaseErrorRms } from './quality.js';

const N = 32, H = 80;

async function reconstruct(poisson: boolean, noiseModel: 'gaussian' | 'poisson', epochs: number, precision: 'float32' | 'float64') {
  const prob = syntheticProblem({ size: N, height: H, width: H, positions: 100, photons: 1e4, poisson, seed: 3 });
  const err = (o: Float64Array): number => phaseErrorRms(o, prob.trueObject, H, H, prob.trueProbe, N, prob.input.positions);
  const engine = await LsqmlEngine.create(prob.input, { epochs, batchSize: 32, noiseModel, seed: 1, threads: 2, precision });
  try {
    assert.equal(engine.precision, precision);
    const start = err(engine.object);
    for (let e = 0; e < epochs; e++) engine.runEpoch(e);
    return { start, end: err(engine.object), loss: engine.lossHistory.slice() };
  } finally {
    await engine.close();
  }
}

for (const precision of ['float32', 'float64'] as const) {
test(`noiseless data: loss decreases and the phase error falls below 0.05 rad within 20 epochs (${precision})`, async (t) => {
  const r = await reconstruct(false, 'gaussian', 20, precision);
  t.diagnostic(`${precision}: phase error ${r.start.toFixed(4)} → ${r.end.toFixed(4)} rad`);
  assert.ok(r.start > 0.3, `initial phase error ${r.start}`);
  assert.ok(r.end < 0.05, `phase error after 20 epochs: ${r.end} rad`);
  assert.ok(r.loss[19]! < 0.2 * r.loss[1]!, `loss ${r.loss[1]} → ${r.loss[19]}`);
  for (let e = 2; e < r.loss.length; e++) assert.ok(r.loss[e]! <= 1.1 * r.loss[e - 1]!, `loss rose at epoch ${e}: ${r.loss[e - 1]} → ${r.loss[e]}`);
});

test(`Poisson noise at 1e4 photons: phase error below 0.1 rad within 20 epochs (Poisson and Gaussian models, ${precision})`, async (t) => {
  const p = await reconstruct(true, 'poisson', 20, precision);
  assert.ok(p.end < 0.1, `Poisson model: ${p.end} rad`);
  assert.ok(p.loss[19]! < p.loss[1]!, `Poisson model loss ${p.loss[1]} → ${p.loss[19]}`);
  const g = await reconstruct(true, 'gaussian', 20, precision);
  assert.ok(g.end < 0.1, `Gaussian model: ${g.end} rad`);
  t.diagnostic(`${precision}: Poisson model ${p.end.toFixed(4)} rad, Gaussian model ${g.end.toFixed(4)} rad`);
});
}
