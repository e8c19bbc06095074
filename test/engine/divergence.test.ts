/**
 * The divergence check (engine/lsqml.ts checkDivergence, docs/lsqml.md "Bright patterns and the Poisson
 * model"): a rise of the loss above the limit that falls back within DIVERGENCE_PATIENCE epochs is a
 * warning, not a stop; one that stays above stops the run; the Poisson model in float32 stops at the
 * first rise; a Phase F job's message says what to try.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIVERGENCE_PATIENCE, LsqmlDivergenceError, LsqmlInputError, MAX_FLOAT32_PATTERN_TOTAL, runLsqml } from '../../src/engine/lsqml.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { writeSyntheticDataset } from './dataset.js';

// 1e9 photons per 128² pattern, 64 positions: the Poisson model's first update epoch rises ≈ 12× above
// epoch 0's loss in either precision and then falls (measured, docs/lsqml.md).
const bright = syntheticProblem({ size: 128, height: 320, width: 320, positions: 64, random: false, photons: 1e9, poisson: true, seed: 5, float32: true });
const poisson = { epochs: 5, batchSize: 16, threads: 1, seed: 1, noiseModel: 'poisson' } as const;

test('float64, Poisson, bright patterns: a one-epoch rise above 10× the epoch-0 loss falls back, the run completes with a warning', async () => {
  const r = await runLsqml(bright.input, { ...poisson, precision: 'float64' });
  const h = r.lossHistory;
  assert.equal(r.epochsRun, 5);
  assert.ok(h[1]! > 10 * h[0]!, `epoch 1 rises above the limit (${h[1]} vs ${h[0]})`);
  assert.ok(h[4]! < h[0]! / 4, `and the run recovers (${h.join(', ')})`);
  const w = r.warnings.filter((x) => /the loss rose to [\d.]+× the epoch-0 loss in epoch 1 and fell back by epoch 2/.test(x));
  assert.equal(w.length, 1, r.warnings.join(' | '));
});

test('float32, Poisson, the same patterns: the run stops at the first rise', async () => {
  await assert.rejects(runLsqml(bright.input, { ...poisson, precision: 'float32' }),
    (e: unknown) => e instanceof LsqmlDivergenceError && e.epoch === 1 && /exceeds 10× the epoch-0 loss/.test(e.message));
});

test(`a loss that stays above the limit stops the run after ${DIVERGENCE_PATIENCE} epochs above it`, async () => {
  const base = syntheticProblem({ size: 16, height: 40, width: 40, positions: 25, photons: 1e4, poisson: true, seed: 4 });
  let err: LsqmlDivergenceError | null = null;
  try {
    await runLsqml(base.input, { epochs: 30, batchSize: 8, objectLearningRate: 60, probeLearningRate: 60, divergenceFactor: 10, threads: 1 });
  } catch (e) { if (e instanceof LsqmlDivergenceError) err = e; else throw e; }
  assert.ok(err, 'the run stops');
  const h = err.lossHistory;
  assert.ok(h.every(Number.isFinite), `a finite loss throughout (${h.join(', ')}), so the limit rather than a non-finite loss stops it`);
  // The last DIVERGENCE_PATIENCE epochs are all above the limit; the one before them is not.
  const above = (k: number): boolean => h[k]! > 10 * h[0]! || (h[k]! > 10 * h[k - 1]! && h[k]! > 1e-3 * h[0]!);
  for (let k = err.epoch - DIVERGENCE_PATIENCE + 1; k <= err.epoch; k++) assert.ok(above(k), `epoch ${k} above (${h.join(', ')})`);
  assert.ok(err.epoch - DIVERGENCE_PATIENCE < 1 || !above(err.epoch - DIVERGENCE_PATIENCE), `stopped late (${h.join(', ')})`);
  assert.match(err.message, /\(above the limit since epoch \d+\)/);
});

test('a Poisson job that diverges in float32 names the brightness and suggests float64, in its error and its log', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-divergence-'));
  try {
    const ds = writeSyntheticDataset(join(root, 'bright.npz'), { size: 32, height: 80, width: 80, positions: 100, photons: 1e9, poisson: true, seed: 3 }, 1);
    const settings = parseStudySettings({ reconstruction: { epochs: 8, batchSize: 16, seed: 1, noiseModel: 'poisson', precision: 'float32' } }).reconstruction;
    const out = join(root, 'job');
    let total = 0;
    for (const v of ds.problem.input.intensities) total += v;
    const photons = (total / 100).toPrecision(2);
    await assert.rejects(runLsqmlJob({ inputNpz: ds.path, outputDir: out, settings }), (e: unknown) =>
      e instanceof LsqmlDivergenceError && e.message.includes(`(${photons} photons per pattern here)`) && /try --precision float64/.test(e.message));
    const log = readFileSync(join(out, 'lsqml.log'), 'utf8');
    assert.match(log, /^stopped: LSQML diverged at epoch 1: .*try --precision float64/m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test(`float32 takes patterns up to ${MAX_FLOAT32_PATTERN_TOTAL} photons in all; brighter ones are refused, naming the pattern, and float64 runs them`, async () => {
  const p = syntheticProblem({ size: 32, height: 96, width: 96, positions: 16, random: false, photons: 1e6, poisson: true, seed: 5, float32: true });
  const n2 = 32 * 32;
  let max = 0, at = 0;
  for (let i = 0; i < 16; i++) {
    let s = 0;
    for (let k = 0; k < n2; k++) s += p.input.intensities[i * n2 + k]!;
    if (s > max) { max = s; at = i; }
  }
  const scaled = (total: number) => ({ ...p.input, intensities: Float64Array.from(p.input.intensities, (v) => v * (total / max)) });
  const o = { epochs: 3, batchSize: 8, threads: 1, seed: 1 } as const;
  const under = await runLsqml(scaled(0.9 * MAX_FLOAT32_PATTERN_TOTAL), { ...o, precision: 'float32' });
  assert.ok(under.lossHistory.every(Number.isFinite) && under.lossHistory[2]! < under.lossHistory[0]!, under.lossHistory.join(', '));
  await assert.rejects(runLsqml(scaled(2 * MAX_FLOAT32_PATTERN_TOTAL), { ...o, precision: 'float32' }),
    (e: unknown) => e instanceof LsqmlInputError && e.message.startsWith(`intensities: pattern ${at} totals 2.00e+37 photons`) && /use precision float64/.test(e.message));
  const f64 = await runLsqml(scaled(2 * MAX_FLOAT32_PATTERN_TOTAL), { ...o, precision: 'float64' });
  assert.ok(f64.lossHistory.every(Number.isFinite) && f64.lossHistory[2]! < f64.lossHistory[0]!, f64.lossHistory.join(', '));
});
