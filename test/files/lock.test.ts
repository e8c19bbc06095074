/**
 * The lock primitive (src/files/lock.ts): who holds it, stale-lock recovery for every way a lock is left
 * behind (a killed process, a pid reused by another process, another host whose heartbeat stopped, an
 * empty or foreign file, the earlier pid-only format, a takeover interrupted half-way), what is never
 * taken over (a live holder on this host or another, a file still being written), the heartbeat, a
 * lock lost to a takeover, waiting with a timeout, and `withLock`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  acquireLock, LockBusyError, lockHolder, LockWaitAbortedError, processStartTicks, tryLock, waitForLock, withLock, type LockRecord,
} from '../../src/files/lock.js';
import { exitCodeFor } from '../../src/errors.js';
import { tempDir } from '../tmp.js';

const LOCK_JS = fileURLToPath(new URL('../../src/files/lock.js', import.meta.url));
const root = tempDir('lock');
let n = 0;
const fresh = (): string => join(root, `l${n++}`, '.test.lock');

function read(p: string): string | null {
  try { return readFileSync(p, 'utf8').trim(); } catch { return null; }
}
/** A lock record of this host (as this process would write it) with some fields replaced. */
function record(over: Partial<LockRecord>): string {
  let pidNs: string | null = null;
  try { pidNs = readlinkSync('/proc/self/ns/pid'); } catch { /* not Linux */ }
  return JSON.stringify({
    lock: 'ptychostudy', version: 1, owner: 'earlier run', host: hostname(), boot_id: read('/proc/sys/kernel/random/boot_id'), pid_ns: pidNs,
    pid: 1, start_time: '1', token: '0123456789abcdef', acquired_at: '2026-01-01T00:00:00.000Z', ...over,
  }) + '\n';
}
function place(path: string, text: string, ageSeconds = 0): void {
  const dir = join(path, '..');
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(path, text);
  if (ageSeconds > 0) { const t = Date.now() / 1000 - ageSeconds; utimesSync(path, t, t); }
}
/** A child process that sleeps; its pid is alive and unrelated to any lock. */
function sleeper(): { pid: number; stop(): void } {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: c.pid!, stop: () => c.kill('SIGKILL') };
}
/** Takes `path` (must succeed) and says what was taken over. */
function takes(path: string, what: string): string | null {
  const l = tryLock(path, 'test', 'test root');
  const took = l.tookOver;
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).token, l.record.token, `${what}: the lock file is ours`);
  l.release();
  assert.ok(!existsSync(path), `${what}: released`);
  return took;
}
function refuses(path: string, what: string, holder: RegExp): void {
  assert.throws(() => tryLock(path, 'test', 'test root'), (e: unknown) => {
    assert.ok(e instanceof LockBusyError, `${what}: ${String(e)}`);
    assert.equal(exitCodeFor(e), 2);
    assert.equal(e.message.split('\n').length, 1, 'one line');
    assert.match(e.message, holder, what);
    assert.match(e.message, /is writing into this test root \(lock .*\.test\.lock\)$/);
    return true;
  }, what);
}

test('a root held by a study run that reads it is said to be read, not written into', () => {
  const p = fresh();
  const release = acquireLock(p, 'study run (reading)', 'artifact root');
  assert.throws(() => acquireLock(p, 'reconstruct run', 'artifact root'), (e: unknown) => {
    assert.ok(e instanceof LockBusyError);
    assert.match(e.message, new RegExp(`: another study run \\(pid ${process.pid}\\) on host ${hostname()} since \\S+Z is reading this artifact root ` +
      `\\(no other process writes into it meanwhile\\) \\(lock .*\\.test\\.lock\\)$`));
    assert.doesNotMatch(e.message, /writing into|\(reading\)/);
    return true;
  });
  release();
});

test('a live holder is named and never taken over; release removes the lock; acquireLock keeps its call shape', () => {
  const p = fresh();
  const release = acquireLock(p, 'reconstruct run', 'artifact root');
  const h = lockHolder(p)!;
  assert.equal(h.record!.pid, process.pid);
  assert.equal(h.record!.host, hostname());
  assert.equal(h.record!.owner, 'reconstruct run');
  assert.equal(h.record!.start_time, processStartTicks(process.pid));
  assert.match(h.record!.token, /^[0-9a-f]{16}$/);
  assert.throws(() => acquireLock(p, 'reconstruct run', 'artifact root'),
    new RegExp(`another reconstruct run \\(pid ${process.pid}\\) on host ${hostname()} since \\S+Z is writing into this artifact root`));
  release();
  release(); // twice is harmless
  assert.ok(!existsSync(p));
  assert.equal(lockHolder(p), null);
});

test('stale on this host: a killed holder, a pid reused by another process; a live unrelated pid with the recorded start time holds', () => {
  // a real holder killed with SIGKILL: no release, the lock file stays
  const p = fresh();
  const killed = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { tryLock } from ${JSON.stringify(LOCK_JS)}; tryLock(${JSON.stringify(p)}, 'killed run', 'r'); process.kill(process.pid, 'SIGKILL');`]);
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(existsSync(p), 'a killed holder leaves its lock');
  assert.match(takes(p, 'killed holder') ?? '', /killed run \(pid \d+\).*: pid \d+ is no longer running/);

  const s = sleeper();
  try {
    const ticks = processStartTicks(s.pid);
    assert.ok(typeof ticks === 'string' && ticks !== 'gone', 'Linux /proc start time');
    // the pid is alive but belongs to a process started at another time than the holder: reused
    place(p, record({ pid: s.pid, start_time: String(Number(ticks) - 500) }));
    assert.match(takes(p, 'reused pid') ?? '', new RegExp(`pid ${s.pid} now belongs to another process`));
    // the same pid and start time: the holder itself is alive (whatever the heartbeat says)
    place(p, record({ pid: s.pid, start_time: ticks }), 3600);
    refuses(p, 'live holder with an hour-old heartbeat', new RegExp(`another earlier run \\(pid ${s.pid}\\) on host`));
    // the earlier pid-only format: a live pid started before the lock was written holds it ...
    place(p, `${s.pid}\n`);
    refuses(p, 'earlier format, live pid', new RegExp(`pid ${s.pid}; lock of an earlier ptychostudy`));
    // ... one started after it (the pid was reused) does not; nor does a dead pid
    place(p, `${s.pid}\n`, 3600);
    assert.match(takes(p, 'earlier format, reused pid') ?? '', /started after the lock was written/);
  } finally {
    s.stop();
  }
  place(p, '999999999\n');
  assert.match(takes(p, 'earlier format, dead pid') ?? '', /pid 999999999 is no longer running/);
});

test('stale on another host only when its heartbeat is older than the lease; the lease is configurable', () => {
  const p = fresh();
  const other = record({ host: 'node-17', boot_id: 'x', pid_ns: null, pid: process.pid, owner: 'slurm merge' });
  place(p, other, 10);
  refuses(p, 'heartbeat 10 s old (lease 60 s)', /another slurm merge \(pid \d+\) on host node-17 since/);
  place(p, other, 90);
  assert.match(takes(p, 'heartbeat 90 s old') ?? '', /node-17.*no heartbeat for 90 s \(lease 60 s\)/);
  place(p, other, 10);
  process.env.PTYCHOSTUDY_LOCK_LEASE = '5';
  try {
    assert.throws(() => tryLock(p, 'test', 'test root'), /PTYCHOSTUDY_LOCK_LEASE=5: expected a lock lease in seconds, at least 15/);
    process.env.PTYCHOSTUDY_LOCK_LEASE = '15';
    refuses(p, 'lease 15 s, heartbeat 10 s old', /node-17/);
  } finally {
    delete process.env.PTYCHOSTUDY_LOCK_LEASE;
  }
  const l = tryLock(p, 'test', 'test root', { leaseMs: 8_000 });
  assert.match(l.tookOver ?? '', /lease 8\.0 s/);
  l.release();
});

test('an empty or foreign lock file is held while young (its creator may be writing it) and taken over when old', () => {
  const p = fresh();
  place(p, '');
  refuses(p, 'empty, just written', /lock file of 0 bytes that is not a ptychostudy owner record, written \d\.\d s ago/);
  place(p, '', 30);
  assert.match(takes(p, 'empty, 30 s old') ?? '', /an unreadable lock file \(0 bytes\) 30 s old/);
  place(p, '{"half": ', 30);
  assert.ok(takes(p, 'half-written JSON, 30 s old'));
  place(p, 'x'.repeat(100_000), 30);
  assert.ok(takes(p, 'a large foreign file'));
});

test('an interrupted takeover (a stale .takeover lock) does not block; a live one makes the others back off', () => {
  const p = fresh();
  place(p, '999999999\n');
  place(`${p}.takeover`, record({ pid: 999999998, start_time: '5' }));
  assert.ok(takes(p, 'stale takeover lock'));
  assert.ok(!existsSync(`${p}.takeover`), 'the stale takeover lock was cleared');
});

test('the heartbeat refreshes the lock; a lock taken over while held is reported lost and its release leaves the new lock alone', async () => {
  const p = fresh();
  const l = tryLock(p, 'test', 'test root', { heartbeatMs: 50 });
  const old = Date.now() / 1000 - 3600;
  utimesSync(p, old, old);
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(Date.now() - statSync(p).mtimeMs < 5_000, 'mtime refreshed by the heartbeat thread');
  assert.equal(l.lost, false);
  renameSync(p, `${p}.moved`);
  writeFileSync(p, record({ pid: 999999997, owner: 'the new holder' }));
  assert.equal(l.lost, true);
  l.release();
  assert.match(readFileSync(p, 'utf8'), /the new holder/, 'release removes only its own lock file');
});

test('waitForLock waits for a holder in another process; a bounded wait ends with the holder named; withLock releases on error', async () => {
  const p = fresh();
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `import { tryLock } from ${JSON.stringify(LOCK_JS)}; const l = tryLock(${JSON.stringify(p)}, 'merge', 'r'); setTimeout(() => l.release(), 700);`], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  const t0 = Date.now();
  while (!existsSync(p)) { assert.ok(Date.now() - t0 < 20_000, 'hang guard'); await new Promise((r) => setTimeout(r, 10)); }
  await assert.rejects(waitForLock(p, 'test', 'test root', { waitMs: 100 }),
    (e: unknown) => e instanceof LockBusyError && /another merge \(pid \d+\) on host .* still holds this test root after a wait of 0\.\d s/.test(e.message));
  const l = await waitForLock(p, 'test', 'test root', { waitMs: 30_000 });
  assert.equal(l.record.pid, process.pid);
  l.release();
  await exited;

  await assert.rejects(withLock(p, 'test', 'test root', () => { throw new Error('boom'); }), /boom/);
  assert.ok(!existsSync(p), 'released after an error');
  assert.equal(await withLock(p, 'test', 'test root', (lock) => lock.record.owner), 'test');
  // a process that ends without releasing (normal exit) leaves no lock: the exit hook releases it
  spawnSync(process.execPath, ['--input-type=module', '-e', `import { tryLock } from ${JSON.stringify(LOCK_JS)}; tryLock(${JSON.stringify(p)}, 'forgetful', 'r');`]);
  assert.ok(!existsSync(p));
});

test('an aborted signal ends a wait for a busy lock without taking it, and takes no free lock; withLock then runs nothing', async () => {
  const p = fresh();
  const held = tryLock(p, 'merge', 'test root'); // a live holder (this process)
  const stop = new AbortController();
  setTimeout(() => stop.abort(new Error('enough')), 50);
  await assert.rejects(waitForLock(p, 'test', 'test root', { waitMs: 60_000, signal: stop.signal }), (e: unknown) => {
    assert.ok(e instanceof LockWaitAbortedError, String(e));
    assert.equal(e.code, 'ABORT_ERR');
    assert.equal((e.cause as Error).message, 'enough');
    assert.match(e.message, /while waiting for the lock .*\.test\.lock; the lock was not taken/);
    return true;
  });
  assert.equal(JSON.parse(readFileSync(p, 'utf8')).token, held.record.token, 'the holder keeps it');
  held.release();
  let ran = false;
  await assert.rejects(withLock(p, 'test', 'test root', () => { ran = true; }, { waitMs: 60_000, signal: AbortSignal.abort() }), LockWaitAbortedError);
  assert.ok(!ran && !existsSync(p), 'a free lock is not taken once the signal is aborted');
});
