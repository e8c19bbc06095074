// What a killed reconstruction left in its staging folder moves to the job's history/interrupted-<run id>/ — but not a
// file it was still writing (`.tmp-<name>.<pid>.…`), which is never whole and part of no record (was: moved with the
// rest, and left there, where the next run's sweep of stale temporaries keeps it for a minute).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepInterrupted } from '../../src/study/reconstruct/files.js';
import { tempDir } from '../tmp.js';

test('keepInterrupted keeps a killed run\'s whole files in history/interrupted-<run id>/ and drops the file it was still writing', () => {
  const job = tempDir('keep-interrupted');
  const staging = join(job, '.staging-run1');
  mkdirSync(staging);
  writeFileSync(join(staging, 'lsqml.log'), 'epoch 0\n');
  writeFileSync(join(staging, '.tmp-lsqml.log.4896.de3a05f4'), 'epoch 0\nep');
  const onlyTemp = join(job, '.staging-run2');
  mkdirSync(onlyTemp);
  writeFileSync(join(onlyTemp, '.tmp-reconstruction.npz.4896.0a0b0c0d'), 'PK');
  keepInterrupted(job, ['.staging-run1', '.staging-run2'], '.staging-');
  assert.ok(!existsSync(staging) && !existsSync(onlyTemp), 'both staging folders gone');
  assert.deepEqual(readdirSync(join(job, 'history')), ['interrupted-run1'], 'a folder that held only a partial file keeps nothing');
  assert.deepEqual(readdirSync(join(job, 'history', 'interrupted-run1')), ['lsqml.log']);
  assert.equal(readFileSync(join(job, 'history', 'interrupted-run1', 'lsqml.log'), 'utf8'), 'epoch 0\n');
});
