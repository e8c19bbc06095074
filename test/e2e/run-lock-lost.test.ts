/**
 * A `run` whose hub lock was taken over while it ran (its heartbeat stopped for longer than the lease — a
 * suspended machine, a stalled NFS client — and a run on another host took the hub) does not end as if
 * nothing happened: another process may have written into the hub at the same time, so the run ends with an
 * error saying so (as `withLock` does for the merge steps), and leaves the other holder's lock alone.
 * The takeover is done here as the other host's process does it: the lock is renamed away and a new owner
 * record of another host is linked in its place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runStudy, type RunEvent } from '../../src/study/run/study.js';
import { tmp } from '../study/reconstruct-helpers.js';

test('a run whose hub lock was taken over while it ran ends with an error saying so', { timeout: 600_000 }, async () => {
  const hub = join(tmp('run-lock-lost'), 'hub');
  const settings = parseStudySettings({
    preset: 'quick', simulation: { doses: [1e4], nImages: 24 }, reconstruction: { epochs: 2 }, execution: { jobs: 1 },
  });
  const lockPath = join(hub, '.run.lock');
  const other = JSON.stringify({
    lock: 'ptychostudy', version: 1, owner: 'study run', host: 'other-node', boot_id: null, pid_ns: null, pid: 4242,
    start_time: null, token: 'feedfacefeedface', acquired_at: new Date().toISOString(),
  }) + '\n';
  let tookOver = false;
  const onEvent = (e: RunEvent): void => {
    if (tookOver || e.type !== 'phase-start' || e.phase !== 'compare') return;
    tookOver = true;
    renameSync(lockPath, `${lockPath}.stale-test`);
    unlinkSync(`${lockPath}.stale-test`);
    writeFileSync(lockPath, other);
  };
  await assert.rejects(runStudy(hub, settings, onEvent), (err: Error) => {
    assert.match(err.message, /taken over/);
    assert.ok(err.message.includes(hub), err.message);
    return true;
  }, 'the run ended as if it had held the hub throughout');
  assert.ok(tookOver, 'the run never reached the comparison');
  assert.equal(readFileSync(lockPath, 'utf8'), other, "the other holder's lock was removed or changed");
});
