/**
 * A hub that this process may not write into (a read-only file system, an archive's permissions) is refused
 * before anything starts, in one line naming the directory, as `compare`, `reconstruct` and `lsqml` already
 * refuse theirs (exit 2): never a bare "EACCES … open '<hub>/.tmp-.run.lock…'" (exit 1) naming a temporary
 * file of the lock. Runs as user 65534 where the tests run as root (permission bits do not bind root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmp } from '../study/reconstruct-helpers.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1'];
const asRoot = process.getuid?.() === 0;

function cli(args: string[], opts: SpawnSyncOptions = {}): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' }, ...opts });
  return { status: r.status, stderr: String(r.stderr) };
}

function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      out.push(`${relative(root, p)} ${st.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs}`}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

test('run, report and overlap refuse a hub they cannot write into, in one line naming it; nothing is written', { timeout: 600_000 }, (t) => {
  const root = tmp('read-only-hub');
  chmodSync(root, 0o755); // readable by the unprivileged user of the root case
  const hub = join(root, 'hub');
  assert.equal(cli(['run', ...TINY, '--out', hub, '--quiet']).status, 0);
  const user: SpawnSyncOptions = asRoot ? { uid: 65534, gid: 65534 } : {};
  if (asRoot) {
    const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI)})`], { ...user, encoding: 'utf8' });
    if (probe.status !== 0) { t.skip(`running as root, and user 65534 cannot read ${CLI} here`); return; }
  }
  for (const d of [hub, join(hub, 'report'), join(hub, 'phase_d')]) chmodSync(d, 0o555);
  try {
    const before = listing(hub);
    const refused = (r: { status: number | null; stderr: string }, cmd: string, line: string): void => {
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim(), `ptychostudy ${cmd}: ${line}`);
    };
    refused(cli(['run', '--out', hub], user), 'run', `--out ${hub}: expected a writable directory; found ${hub} not writable (EACCES)`);
    const report = join(hub, 'report');
    refused(cli(['report', '--out', hub], user), 'report', `report directory ${report}: expected a writable directory; found ${report} not writable (EACCES)`);
    const d = join(hub, 'phase_d');
    refused(cli(['overlap', '--phase-c-root', join(hub, 'phase_c'), '--out', d, '--overwrite'], user), 'overlap',
      `--out ${d}: expected a writable directory; found ${d} not writable (EACCES)`);
    assert.deepEqual(listing(hub), before, 'something was written');
  } finally {
    for (const d of [hub, join(hub, 'report'), join(hub, 'phase_d')]) chmodSync(d, 0o755);
  }
});
