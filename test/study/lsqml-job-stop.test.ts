/**
 * A Phase F job stopped while it reads its input (its signal aborted meanwhile: in its worker thread the stop arrives
 * as a message, which the job sees when its event loop turns — between two pieces of a member, which it inflates 1 MiB
 * at a time) ends there, no epoch run and nothing else read: not the input's next member, nor the checkpoint it would
 * have continued from, which is left as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { LsqmlAbortedError } from '../../src/engine/lsqml.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { tempDir } from '../tmp.js';

test('a job whose signal is aborted while it reads its input stops before it looks at its checkpoint or runs an epoch', async () => {
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

test('a job whose signal is aborted while it inflates its input\'s patterns stops between two pieces, before it reads the next member', async () => {
  const dir = tempDir('lsqml-job-stop-read');
  const input = join(dir, 'scan.npz');
  writeSyntheticDataset(input, { size: 32, height: 80, width: 80, positions: 60, photons: 1e4, poisson: true, seed: 2 });
  // the CRC-32 the central directory gives for the last member (ycoords): a job that reads that member fails, naming it
  const bytes = readFileSync(input);
  const entry = bytes.lastIndexOf(Buffer.from('ycoords.npy')) - 46;
  assert.equal(bytes.readUInt32LE(entry), 0x02014b50, 'the central directory entry of ycoords.npy');
  bytes.writeUInt32LE((bytes.readUInt32LE(entry + 16) ^ 1) >>> 0, entry + 16);
  writeFileSync(input, bytes);
  const settings = { epochs: 4, batchSize: 12, threads: 1 };
  const outputDir = (name: string): string => { const d = join(dir, name); mkdirSync(d); return d; };

  const stop = new AbortController();
  setImmediate(() => stop.abort('SIGTERM')); // the first turn of the event loop: diffraction, the first member, is being inflated
  await assert.rejects(runLsqmlJob({ input, outputDir: outputDir('stopped'), settings, signal: stop.signal }),
    (e: unknown) => e instanceof LsqmlAbortedError && e.epochsRun === 0 && e.exitCode === 143);
  assert.deepEqual(readdirSync(join(dir, 'stopped')), [], 'nothing written');

  // not stopped, the same job reads ycoords and refuses it
  await assert.rejects(runLsqmlJob({ input, outputDir: outputDir('whole'), settings }),
    (e: unknown) => e instanceof InputError && e.message.startsWith(`${input}: key 'ycoords': CRC-32 mismatch`));
});
