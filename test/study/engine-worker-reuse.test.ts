// Phase F's worker threads (engine-runner.ts workerEngine): a thread whose job ended well runs the next job (its modules
// loaded once), with the same bytes as a job in a thread of its own; a thread whose job failed is ended, and the next job
// gets a new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { jobWorkersStarted, JobError, workerEngine } from '../../src/study/reconstruct/engine-runner.js';
import { writeSyntheticDataset } from '../engine/dataset.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-worker-reuse-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const ds = writeSyntheticDataset(join(root, 'data.npz'), { size: 16, height: 40, width: 40, positions: 24, photons: 1e4, poisson: true, seed: 3 }, 2.5);
const settings = parseStudySettings({ reconstruction: { epochs: 2, batchSize: 8, seed: 1, threads: 1 } }).reconstruction;
const job = (out: string, input = ds.path) => ({ input, inputNpz: input, outputDir: join(root, out), settings });

test('jobs run in turn share one worker thread, with the bytes a thread of their own gives; a failed job ends its thread', async () => {
  const before = jobWorkersStarted();
  const a = await workerEngine(job('a'), () => {});
  const b = await workerEngine(job('b'), () => {});
  assert.equal(jobWorkersStarted() - before, 1, 'the second job ran in the first job\'s thread');
  for (const f of ['reconstruction.npz', 'reconstruction.png']) {
    assert.ok(readFileSync(join(root, 'a', f)).equals(readFileSync(join(root, 'b', f))), `${f}: the same bytes in a reused thread`);
  }
  assert.equal(a.finalLoss, b.finalLoss);
  // a job that fails (no such input) ends its thread: the job after it starts a new one, and runs as the first did
  await assert.rejects(workerEngine(job('c', join(root, 'missing.npz')), () => {}), (e: unknown) => e instanceof JobError);
  const started = jobWorkersStarted();
  await workerEngine(job('d'), () => {});
  assert.equal(jobWorkersStarted() - started, 1, 'a new thread after a failed job');
  assert.ok(readFileSync(join(root, 'a', 'reconstruction.npz')).equals(readFileSync(join(root, 'd', 'reconstruction.npz'))));
});
