/**
 * A Phase F job stopped while it reads its input (its signal aborted meanwhile: in its worker thread the stop arrives
 * as a message, which the job sees once the read is over and its event loop turns) ends right after the read, no epoch
 * run and nothing else read: here not even the checkpoint it would have continued from, which is left as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { LsqmlAbortedError } from '../../src/engine/lsqml.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { tempDir } from '../tmp.js';

test('a job whose signal is aborted while it reads its input stops when the read ends, before it looks at its checkpoint or runs an epoch', async () => {
  const dir = tempDir('lsqml-job-stop');
  const input = join(dir, 'scan.npz');
  writeSyntheticDataset(input, { size: 32, height: 80, width: 80, positions: 60, photons: 1e4, poisson: true, seed: 2 });
  const checkpoint = join(dir, 'lsqml-checkpoint.npz');
  writeFileSync(checkpoint, 'not an archive'); // a job that reads it fails, naming it
  const settings = { epochs: 4, batchSize: 12, threads: 1 };
  const outputDir = (name: string): string => { const d = join(dir, name); mkdirSync(d); return d; };

  const stop = new AbortController();
  setImmediate(() => stop.abort('SIGTERM')); // the first turn of the event loop: the read (synchronous) is under way
  await assert.rejects(runLsqmlJob({ input, outputDir: outputDir('stopped'), settings, signal: stop.signal, checkpoint: { path: checkpoint, every: 2 } }),
    (e: unknown) => e instanceof LsqmlAbortedError && e.epochsRun === 0 && e.exitCode === 143);
  assert.equal(existsSync(join(dir, 'stopped', 'lsqml.log')), false, 'no epoch ran');
  assert.equal(readFileSync(checkpoint, 'utf8'), 'not an archive');

  // not stopped, the same job reads the checkpoint after its input, and refuses it
  await assert.rejects(runLsqmlJob({ input, outputDir: outputDir('whole'), settings, checkpoint: { path: checkpoint, every: 2 } }),
    (e: unknown) => e instanceof InputError && e.message.startsWith(checkpoint));
});
