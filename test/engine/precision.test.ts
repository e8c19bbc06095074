/**
 * The float32 path (complex64 WASM kernels; bit-reversed spectra on power-of-two sizes, natural order
 * on the mixed-radix ones, 24, 48 and 56) computes the same reconstruction as the float64 one, to float32
 * rounding, across patch sizes (the small-size code paths of the kernels included), probe modes, noise
 * models, a valid-pixel mask and a threshold.
 *
 * The runs start from a non-uniform object: from an object of ones the predicted far field is the
 * probe's spectrum, which may have exact zeros where the data do not; there the modulus projection
 * Ψ·√y/(|Ψ| + 1e-9) takes the phase of rounding noise, which is ~1e-7·max|Ψ| ≫ 1e-9 in float32 (as
 * in pty-chi) and ~1e-16·max|Ψ| ≪ 1e-9 in float64, so the two precisions legitimately part ways
 * there (docs/lsqml.md, "Precision"). The Poisson model with one mode is left to the pty-chi parity
 * fixture: its step-size fixed point turns a 1e-7 change of the data into ~1e-5 after five epochs
 * even in float64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLsqml, type LsqmlInput, type LsqmlResult } from '../../src/engine/lsqml.js';
import { getArena } from '../../src/math/fft-wasm.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';
import type { LsqmlOptions } from '../../src/engine/options.js';

const rel = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  let d = 0, r = 0;
  for (let j = 0; j < x.length; j++) { d += (x[j]! - y[j]!) ** 2; r += y[j]! ** 2; }
  return Math.sqrt(d / r);
};

/** Whether two arrays hold the same bytes. */
const same = (x: Float64Array, y: Float64Array): boolean =>
  Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));

const CASES: Array<{ noiseModel: 'gaussian' | 'poisson'; modes: number; masked: boolean }> = [
  { noiseModel: 'gaussian', modes: 1, masked: false }, { noiseModel: 'gaussian', modes: 1, masked: true },
  { noiseModel: 'gaussian', modes: 2, masked: false }, { noiseModel: 'poisson', modes: 2, masked: true },
];

for (const N of [8, 16, 24, 32, 48, 56, 128]) {
  test(`float32 and float64 agree to float32 rounding (N = ${N}: one and two modes, Gaussian and Poisson, mask and threshold)`, async () => {
    const H = N * 3 + 8;
    const prob = syntheticProblem({ size: N, height: H, width: H, positions: N === 128 ? 12 : 40, photons: 1e4, seed: 2 });
    for (const { noiseModel, modes, masked } of CASES) {
      const input: LsqmlInput = { ...prob.input, object: { ...prob.input.object, data: prob.trueObject } };
      if (modes > 1) input.probe = { modes, size: N, data: addProbeModes(Float64Array.from(prob.input.probe.data), N, modes) };
      if (masked) input.validMask = Array.from({ length: N * N }, (_, k) => (k % 7 === 3 ? 0 : 1));
      const o: Partial<LsqmlOptions> = {
        epochs: 5, batchSize: 16, seed: 1, noiseModel, poissonStepNoise: 0, threads: 2,
        ...(masked ? { excludeMeasuredPixelsBelow: 1e-3 } : {}),
      };
      const a = await runLsqml(input, { ...o, precision: 'float32' });
      const b = await runLsqml(input, { ...o, precision: 'float64' });
      const what = `${noiseModel}, ${modes} mode(s)${masked ? ', mask' : ''}`;
      assert.equal(a.precision, 'float32', what);
      assert.equal(b.precision, 'float64', what);
      let worst = Math.max(rel(a.object, b.object), rel(a.probe, b.probe));
      for (let e = 0; e < a.lossHistory.length; e++) worst = Math.max(worst, Math.abs(a.lossHistory[e]! / b.lossHistory[e]! - 1));
      if (!(worst < 1e-5)) {
        // A run should give the same bytes for the same input and options: say which of the two
        // runs gives other bytes when run again, so that a failure tells a wrong run from a real
        // difference between the precisions.
        const again = async (r: LsqmlResult, precision: 'float32' | 'float64'): Promise<string> => {
          const x = await runLsqml(input, { ...o, precision });
          return same(x.object, r.object) && same(x.probe, r.probe) ? 'the same bytes' : `other bytes (object rel. diff ${rel(x.object, r.object)})`;
        };
        assert.fail(`${what}: float32 against float64: object rel. diff ${rel(a.object, b.object)}, probe ${rel(a.probe, b.probe)}, ` +
          `largest difference (with the losses) ${worst}; run again, float32 gives ${await again(a, 'float32')}, float64 ${await again(b, 'float64')}`);
      }
    }
  });
}

test('patterns of 24², 48² (2^a·3), 112² (2^4·7) and 26² (2·13) run in float32 on the mixed-radix FFT and the WASM kernels, natural order; 1 and 2 threads give the same bytes', async () => {
  for (const N of [24, 48, 112, 26]) {
    const prob = syntheticProblem({ size: N, height: N + 40, width: N + 40, positions: 25, photons: 1e4, poisson: true, seed: 3 });
    const input: LsqmlInput = { ...prob.input, validMask: Array.from({ length: N * N }, (_, k) => (k % 5 === 1 ? 0 : 1)) };
    const o: Partial<LsqmlOptions> = { epochs: 4, batchSize: 8, seed: 7 };
    const one = await runLsqml(input, { ...o, threads: 1 });
    const two = await runLsqml(input, { ...o, threads: 2 });
    assert.equal(one.precision, 'float32', `${N}²: float32 under 'auto'`);
    assert.equal(one.fftBackend, 'wasm');
    assert.equal(one.wasmKernels, true);
    assert.ok(!one.warnings.some((w) => /computes in float64/.test(w)), `${N}²: ${one.warnings.join('; ')}`);
    assert.ok(same(one.object, two.object) && same(one.probe, two.probe), `${N}²: 2 threads give 1 thread's bytes`);
    assert.deepEqual(two.lossHistory, one.lossHistory);
    assert.ok(one.lossHistory[one.lossHistory.length - 1]! < one.lossHistory[0]!, `${N}²: the loss decreases`);
  }
  // The plan holds complex64 stage tables next to the complex128 ones.
  const plan = getArena()!.plan(24, 24);
  assert.ok(plan.mix !== null && 'mix32' in plan && plan.mix32.rowF !== plan.mix.rowF);
});

test('reorderIntensities: the engine reorders the caller\'s float32 patterns once, with identical results', async () => {
  const N = 32, H = 80;
  const prob = syntheticProblem({ size: N, height: H, width: H, positions: 50, photons: 1e4, poisson: true, seed: 4, float32: true });
  const y = prob.input.intensities as Float32Array;
  const copy = y.slice();
  const o: Partial<LsqmlOptions> = { epochs: 4, batchSize: 16, seed: 2, threads: 2 };
  const a = await runLsqml({ ...prob.input, intensities: copy, reorderIntensities: true }, o);
  const b = await runLsqml(prob.input, o);
  assert.equal(a.precision, 'float32');
  assert.ok(!copy.every((v, k) => v === y[k]), 'the patterns were reordered in place');
  assert.ok(same(a.object, b.object) && same(a.probe, b.probe));
  assert.deepEqual(a.lossHistory, b.lossHistory);
  // A pattern reordered twice is itself again: the reordering is the bit-reversal of both axes.
  const rev = (k: number): number => { let r = 0; for (let i = 0, x = k; i < 5; i++, x >>= 1) r = (r << 1) | (x & 1); return r; };
  for (let k = 0; k < N * N; k++) assert.equal(copy[rev(Math.floor(k / N)) * N + rev(k % N)], y[k]);
});
