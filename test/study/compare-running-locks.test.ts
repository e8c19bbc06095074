/**
 * The running lock (`.running-<run id>.lock`) a stopped compare run left, once another run has taken its jobs over:
 * removed when it is provably stale (its holder's process is gone), by a local run and by a cluster run's final merge
 * alike; a lock a live process holds, or something else in its place, stays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tryLock } from '../../src/files/lock.js';
import { removeStaleRunningLocks, runningLockPath } from '../../src/study/compare/reuse.js';
import { compareStep } from '../../src/study/slurm/steps/compare.js';
import { tempDir } from '../tmp.js';

const LOCK_JS = fileURLToPath(new URL('../../src/files/lock.js', import.meta.url));

/** The running lock of `runId` as a run killed while comparing leaves it (its process gone, the lock file there). */
function leftByKilledRun(root: string, runId: string): string {
  const path = runningLockPath(root, runId);
  const killed = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { tryLock } from ${JSON.stringify(LOCK_JS)}; tryLock(${JSON.stringify(path)}, 'compare run', 'output root'); process.kill(process.pid, 'SIGKILL');`]);
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(existsSync(path));
  return path;
}

test('removeStaleRunningLocks removes the lock of a run whose process is gone; a live holder\'s lock and a folder in a lock\'s place stay', () => {
  const root = tempDir('running-locks');
  const dead = leftByKilledRun(root, '20261206T100000Z');
  const live = tryLock(runningLockPath(root, '20261206T110000Z'), 'compare run', 'output root');
  const folder = runningLockPath(root, '20261206T120000Z');
  mkdirSync(folder);
  assert.deepEqual(removeStaleRunningLocks(root, ['20261206T100000Z', '20261206T110000Z', '20261206T120000Z', '20261206T130000Z']), ['20261206T100000Z']);
  assert.ok(!existsSync(dead));
  assert.ok(!live.lost, 'the live holder keeps its lock');
  assert.ok(statSync(folder).isDirectory());
  live.release();
});

test('a cluster compare that took over a stopped run\'s finished jobs removes that run\'s stale running lock at its final merge', async () => {
  const home = tempDir('running-locks-slurm');
  const g = join(home, 'phase_g');
  mkdirSync(g);
  const stopped = '20261206T100000Z';
  const lock = leftByKilledRun(g, stopped);
  const ctx = {
    home, submission: { number: 1 }, settings: {},
    record: { step: 'compare', options: { phaseCRoot: join(home, 'phase_c'), phaseFRoot: join(home, 'phase_f'), outputRoot: g, charts: false } },
  } as never;
  const start = { run_id: '20261206T110000Z', started_at: '2026-12-06T11:00:00Z', jobs: [], warnings: [] };
  const reused = { rows: [], skipped: null, compared: 1, failed: 0, archived: null, files_run_id: stopped, reused_from: stopped };
  const result = { schema_version: 1, step: 'compare', key: 'dose_1000/dense/train', task: 0, slurm_job: '7_0', host: hostname(), pid: 1, status: 'ok', payload: reused };
  // a merge before the last keeps it (the run is not finished yet)
  await compareStep.merge(ctx, start, [result as never], null);
  assert.ok(existsSync(lock));
  const summary = await compareStep.merge(ctx, start, [result as never], []);
  assert.match(summary.detail, /1 reused from the stopped run 20261206T100000Z/);
  assert.ok(!existsSync(lock), 'the stopped run\'s running lock is removed');
});
