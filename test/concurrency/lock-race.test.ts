/**
 * The lock under a race: 8 processes try to take one lock at the same instant (a shared start time, each
 * spinning the last milliseconds), 30 trials — with no lock present, with a stale lock of each kind present
 * (a dead pid, a pid reused by another process, another host whose heartbeat stopped, an empty file, a lock
 * of the earlier pid-only format), and with every contender waiting for its turn. A holder creates a marker
 * file exclusively while it holds the lock, so two holders at once leave a violation. The earlier lock
 * (pid file, delete-and-retry takeover) let two processes in on 7 of 30 trials with a stale lock and 3 of
 * 30 without; this harness, run against that code, finds such trials (see docs/limits.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processStartTicks } from '../../src/files/lock.js';

const CONTENDER = fileURLToPath(new URL('./lock-contender.js', import.meta.url));
const PROCESSES = 8;
const TRIALS = 30;

/** This host's boot id and pid namespace, as a lock record of this host holds them. */
function ownIdentity(): { boot_id: string | null; pid_ns: string | null } {
  const read = (f: () => string): string | null => { try { return f().trim(); } catch { return null; } };
  return { boot_id: read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')), pid_ns: read(() => readlinkSync('/proc/self/ns/pid')) };
}

/** A stale lock of kind `k` at `path` (written the way each case arises). */
function staleLock(path: string, k: number): string {
  const id = ownIdentity();
  const record = (over: Record<string, unknown>): string => JSON.stringify({
    lock: 'ptychostudy', version: 1, owner: 'earlier run', host: hostname(), ...id, pid: 1, start_time: '1', token: 'f'.repeat(16),
    acquired_at: '2026-01-01T00:00:00.000Z', ...over,
  }) + '\n';
  const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a pid that has just ended
  const old = (Date.now() - 3_600_000) / 1000;
  switch (k % 5) {
    case 0: writeFileSync(path, record({ pid: dead, start_time: '12345' })); return 'dead pid';
    case 1: {
      const ticks = processStartTicks(process.pid);
      writeFileSync(path, record({ pid: process.pid, start_time: ticks === null || ticks === 'gone' ? '1' : String(Number(ticks) + 7) }));
      return 'pid reused by a live process (other start time)';
    }
    case 2: writeFileSync(path, record({ host: 'a-node-elsewhere', boot_id: null, pid_ns: null, pid: 4242 })); utimesSync(path, old, old); return 'other host, heartbeat an hour old';
    case 3: writeFileSync(path, ''); utimesSync(path, old, old); return 'empty lock file, an hour old';
    default: writeFileSync(path, `${dead}\n`); return 'earlier pid-only lock of a dead pid';
  }
}

test(`${PROCESSES} processes × ${TRIALS} trials at the same instant: never two holders (no lock, each kind of stale lock, waiting)`, { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-lock-race-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  const children = Array.from({ length: PROCESSES }, (_, i) => spawn(process.execPath, [CONTENDER, dir, String(i), String(TRIALS)], { stdio: ['ignore', 'ignore', 'pipe'] }));
  const errors: string[] = [];
  for (const c of children) c.stderr!.on('data', (d: Buffer) => errors.push(d.toString()));
  t.after(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); }); // a failed trial leaves none waiting
  const exited = children.map((c) => new Promise<number | null>((done) => c.on('exit', (code) => done(code))));
  const waitFor = async (files: string[], what: string): Promise<void> => {
    const t0 = Date.now();
    while (!files.every((f) => existsSync(f))) {
      assert.ok(Date.now() - t0 < 60_000, `hang guard: ${what} (stderr: ${errors.join('')})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor(children.map((_, i) => join(dir, `ready-${i}`)), 'contenders ready');

  const summary: string[] = [];
  let violations = 0;
  for (let k = 0; k < TRIALS; k++) {
    // trials 0-11: no lock present; 12-23: a stale lock of each kind; 24-29: everyone waits for a turn
    const mode = k < 24 ? 'at-once' : 'wait';
    const stale = k >= 12 ? staleLock(join(root, '.race.lock'), k) : 'none';
    // written to a temporary name and renamed: a contender never reads a half-written go file
    writeFileSync(join(dir, `.go-${k}`), JSON.stringify({ at: Date.now() + 150, mode, holdMs: mode === 'wait' ? 5 : 40 }));
    renameSync(join(dir, `.go-${k}`), join(dir, `go-${k}`));
    const outs = children.map((_, i) => join(dir, `out-${k}-${i}`));
    await waitFor(outs, `trial ${k}`);
    const got = outs.map((f) => readFileSync(f, 'utf8'));
    const won = got.filter((o) => o === 'won').length;
    const v = got.filter((o) => o === 'violation').length;
    violations += v;
    summary.push(`${k} ${mode} stale=${stale}: ${won} won, ${v} violations, ${got.filter((o) => o === 'busy').length} busy`);
    assert.deepEqual(got.filter((o) => !['won', 'busy', 'violation'].includes(o)), [], `trial ${k}: unexpected outcomes`);
    assert.equal(v, 0, `trial ${k} (${stale}): two holders at once\n${summary.join('\n')}`);
    assert.ok(won >= 1, `trial ${k} (${stale}): nobody took the lock`);
    if (mode === 'wait') assert.equal(won, PROCESSES, `trial ${k}: every waiting contender gets its turn`);
    assert.ok(!existsSync(join(root, '.race.lock')), `trial ${k}: the lock is released`);
  }
  assert.deepEqual(await Promise.all(exited), children.map(() => 0), errors.join(''));
  assert.equal(violations, 0);
  rmSync(dir, { recursive: true, force: true });
});
