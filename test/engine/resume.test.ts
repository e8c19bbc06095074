/**
 * Resuming: N epochs in one run and k epochs, then the saved state (saveState / restoreState, through runLsqml's
 * `onCheckpoint` and `resume`) continued for N − k in a new engine give the same object, probe and loss bytes, for
 * both noise models, 1 and 3 probe modes, float32 and float64, 1 and 2 threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LsqmlEngine, LsqmlInputError, runLsqml, type LsqmlInput } from '../../src/engine/lsqml.js';
import type { LsqmlState } from '../../src/engine/lsqml-state.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';
import type { LsqmlOptions } from '../../src/engine/options.js';

const prob = syntheticProblem({ size: 16, height: 44, width: 44, positions: 40, photons: 1e4, poisson: true, seed: 5 });
const withModes = (m: number): LsqmlInput => (m === 1 ? prob.input
  : { ...prob.input, probe: { modes: m, size: 16, data: addProbeModes(Float64Array.from(prob.input.probe.data), 16, m) } });
const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The whole run, the states it saved every 2 epochs, and a run resumed from the state after epoch `k` − 1. */
async function wholeAndResumed(input: LsqmlInput, o: Partial<LsqmlOptions>, k: number) {
  const states: LsqmlState[] = [];
  const whole = await runLsqml(input, o, { checkpointEvery: 2, onCheckpoint: (s) => states.push(s) });
  const state = states.find((s) => s.epochsDone === k)!;
  assert.ok(state, `a state after ${k} epochs (saved: ${states.map((s) => s.epochsDone).join(', ')})`);
  const resumed = await runLsqml(input, o, { resume: state });
  return { whole, resumed, states };
}

for (const noiseModel of ['gaussian', 'poisson'] as const) {
  for (const precision of ['float32', 'float64'] as const) {
    for (const modes of [1, 3]) {
      test(`k epochs + resume = N epochs, bit for bit (${noiseModel}, ${precision}, ${modes} mode${modes > 1 ? 's' : ''}; 1 and 2 threads)`, async () => {
        for (const threads of [1, 2]) {
          // epoch 0 rescales; the preconditioner's running average and the minibatch order run every epoch after it
          const { whole, resumed, states } = await wholeAndResumed(withModes(modes), { epochs: 7, batchSize: 12, seed: 11, noiseModel, precision, threads }, 4);
          assert.deepEqual(states.map((s) => s.epochsDone), [2, 4, 6]);
          assert.equal(resumed.precision, precision === 'float32' && whole.wasmKernels ? 'float32' : 'float64');
          assert.ok(bytes(resumed.object).equals(bytes(whole.object)), `${threads} threads: object bytes differ`);
          assert.ok(bytes(resumed.probe).equals(bytes(whole.probe)), `${threads} threads: probe bytes differ`);
          assert.deepEqual(resumed.lossHistory, whole.lossHistory);
          assert.equal(resumed.epochSeconds.length, 7);
          if (noiseModel === 'poisson') assert.ok(bytes(resumed.poissonStepState!).equals(bytes(whole.poissonStepState!)));
        }
      });
    }
  }
}

test('a state is refused by an engine it does not fit, naming what differs; nothing is changed', async () => {
  const states: LsqmlState[] = [];
  await runLsqml(prob.input, { epochs: 4, batchSize: 12, precision: 'float64' }, { checkpointEvery: 2, onCheckpoint: (s) => states.push(s) });
  const s = states[0]!;
  const engine = await LsqmlEngine.create(prob.input, { epochs: 4, batchSize: 12, precision: 'float64' });
  try {
    const before = engine.object;
    assert.throws(() => engine.restoreState({ ...s, version: 2 }), (e: Error) => e instanceof LsqmlInputError && /version: expected 1; found 2/.test(e.message));
    assert.throws(() => engine.restoreState({ ...s, object: s.object.subarray(2) }), /object: expected a Float64Array of 3872 values; found a Float64Array of 3870/);
    assert.throws(() => engine.restoreState({ ...s, lossHistory: [1] }), /lossHistory: expected 2 finite numbers/);
    assert.throws(() => engine.restoreState({ ...s, epochsDone: 5 }), /epochsDone: expected an integer in 0…4/);
    assert.throws(() => engine.restoreState({ ...s, batchRng: { words: [0, 0, 0, 0], spare: 0, hasSpare: false } }), /random streams/);
    assert.ok(bytes(engine.object).equals(bytes(before)));
    assert.equal(engine.lossHistory.length, 0);
  } finally {
    await engine.close();
  }
});

test('a stopped run saves the state of its last epoch, and the resumed run ends where the whole one does', async () => {
  const o = { epochs: 6, batchSize: 12, seed: 4, noiseModel: 'poisson', precision: 'float64' } as const;
  const whole = await runLsqml(prob.input, o);
  const stop = new AbortController();
  const states: LsqmlState[] = [];
  await assert.rejects(runLsqml(prob.input, o, {
    checkpointEvery: 4, onCheckpoint: (s) => states.push(s), signal: stop.signal,
    onEpoch: ({ epoch }) => { if (epoch === 2) stop.abort('SIGTERM'); },
  }), { code: 'ABORT_ERR' });
  // no checkpoint was due (every 4), but the stop after epoch 2 saved the 3 epochs done
  assert.deepEqual(states.map((s) => s.epochsDone), [3]);
  const resumed = await runLsqml(prob.input, o, { resume: states[0]! });
  assert.ok(bytes(resumed.object).equals(bytes(whole.object)));
  assert.deepEqual(resumed.lossHistory, whole.lossHistory);
});

test('the divergence watch and the warnings of the epochs run are part of the state', async () => {
  // large steps: the loss rises above 1.05× the previous epoch's in epochs 3–4 and 6, and falls back each time
  const o = { epochs: 8, batchSize: 12, seed: 2, precision: 'float64', divergenceFactor: 1.05, objectLearningRate: 4, probeLearningRate: 4 } as const;
  for (const k of [4, 6]) {
    const { whole, resumed, states } = await wholeAndResumed(prob.input, o, k);
    assert.equal(states.find((s) => s.epochsDone === 4)!.risingSince, 3, 'a rise under way at the checkpoint after epoch 3');
    assert.equal(whole.warnings.length, 2, whole.warnings.join('; '));
    assert.match(whole.warnings[0]!, /in epochs 3–4 and fell back by epoch 5/);
    assert.deepEqual(resumed.warnings, whole.warnings);
    assert.deepEqual(resumed.lossHistory, whole.lossHistory);
  }
});
