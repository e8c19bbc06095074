/**
 * `generate`, `overlap` and `reconstruct` on their own (not inside `run`): a root whose lock was taken over while
 * the command ran (its heartbeat stopped for longer than the lease, and a process on another host took the root)
 * ends with an error saying so, since that process may have written at the same time; the other holder's lock
 * stays. The takeover is done as the other host's process does it: the lock renamed away, a new owner linked in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runOverlap } from '../../src/study/overlap/phase.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import type { EngineRunner } from '../../src/study/reconstruct/engine-runner.js';
import { phaseF, testEngine, tmp, writeTree } from '../study/reconstruct-helpers.js';

const OTHER = JSON.stringify({
  lock: 'ptychostudy', version: 1, owner: 'other run', host: 'other-node', boot_id: null, pid_ns: null, pid: 4242,
  start_time: null, token: 'feedfacefeedface', acquired_at: new Date().toISOString(),
}) + '\n';

/** Takes the lock at `lockPath` over, once, as a process on another host would. */
function takeover(lockPath: string): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    renameSync(lockPath, `${lockPath}.stale-test`);
    unlinkSync(`${lockPath}.stale-test`);
    writeFileSync(lockPath, OTHER);
  };
}

const lostLock = (root: string) => (err: Error): boolean => {
  assert.match(err.message, /was taken over while this \w+ run held it/);
  assert.ok(err.message.includes(root), err.message);
  return true;
};

test('generate and overlap whose root lock was taken over end with an error, leaving the other lock alone', async () => {
  const root = tmp('phase-lock-lost');
  const settings = parseStudySettings({ preset: 'quick', simulation: { doses: [1e4], nImages: 24 } });
  const c = join(root, 'phase_c');
  const cLock = join(c, '.generate.lock');
  await assert.rejects(runSimulation(settings, { outputRoot: c, timestamp: null }, takeover(cLock)), lostLock(c));
  assert.equal(readFileSync(cLock, 'utf8'), OTHER);
  unlinkSync(cLock);
  await runSimulation(settings, { outputRoot: c, timestamp: null, overwrite: true });
  const d = join(root, 'phase_d');
  const dLock = join(d, '.overlap.lock');
  await assert.rejects(runOverlap(settings, { phaseCRoot: c, outputRoot: d }, takeover(dLock)), lostLock(d));
  assert.equal(readFileSync(dLock, 'utf8'), OTHER);
});

test('reconstruct whose artifact root lock was taken over ends with an error, leaving the other lock alone', async () => {
  const root = tmp('phase-lock-lost-f');
  const t = writeTree(root, { doses: [1000] });
  const lockPath = join(t.artifact, '.reconstruct.lock');
  const take = takeover(lockPath);
  const inner = testEngine().executor;
  const executor: EngineRunner = async (opts, onProgress) => { take(); return inner(opts, onProgress); };
  await assert.rejects(phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], filters: { view: 'baseline' }, executor }),
    lostLock(t.artifact));
  assert.equal(readFileSync(lockPath, 'utf8'), OTHER);
});
