/**
 * A job's `history/` that is a symbolic link would carry the results a new run replaces out of the hub (wherever
 * the link points). Phase F and Phase G refuse it before anything moves: one line naming it, nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runComparison } from '../../src/study/compare/phase.js';
import { makeHub } from '../study/compare-hub.js';
import { phaseF, testEngine, tmp, writeTree } from '../study/reconstruct-helpers.js';

test('Phase F: a job whose history/ is a symbolic link is refused before any job runs; nothing moves out of the hub', async () => {
  const root = tmp('history-link-f');
  const t = writeTree(root, { doses: [1000] });
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], filters: { view: 'baseline' as const } };
  await phaseF({ ...opts, executor: testEngine().executor });
  const outside = join(root, 'outside');
  mkdirSync(outside);
  const job = join(t.artifact, 'dose_1000', 'baseline', 'train');
  symlinkSync(outside, join(job, 'history'));
  const engine = testEngine();
  await assert.rejects(phaseF({ ...opts, force: true, executor: engine.executor }),
    (err: Error) => /history: expected a directory \(where a job's earlier outputs are kept\); found a symbolic link$/.test(err.message) && 'exitCode' in err);
  assert.equal(engine.calls.length, 0, 'no job ran');
  assert.deepEqual(readdirSync(outside), [], 'nothing moved out of the hub');
  assert.ok(readdirSync(job).includes('reconstruction.npz'), 'the result stays');
});

test('Phase G: a job whose history/ is a symbolic link is refused before anything moves out of the hub', async () => {
  const root = tmp('history-link-g');
  const r = makeHub(root, { doses: [1000] });
  const opts = { phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train' as const };
  await runComparison(opts);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  const job = join(r.g, 'dose_1000', 'baseline', 'train');
  symlinkSync(outside, join(job, 'history'));
  await assert.rejects(runComparison(opts),
    (err: Error) => /history: expected a directory \(job history directory\); found a symbolic link$/.test(err.message) && 'exitCode' in err);
  assert.deepEqual(readdirSync(outside), [], 'nothing moved out of the hub');
  assert.ok(readdirSync(job).includes('comparison.json'), 'the comparison stays');
});
