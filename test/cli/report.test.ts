import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';

const cli = 'dist/src/cli/main.js';
const run = (args: string[]) => spawnSync(process.execPath, [cli, 'report', ...args], { encoding: 'utf8' });

test('report --out a folder that holds nothing of a hub: exit 2, one line, no report written', () => {
  const root = tempDir('report-not-a-hub');
  mkdirSync(join(root, 'dose_1000')); // a phase's root given for the hub
  const r = run(['--out', root]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy report: --out \S+: not a study hub \(expected one of design\.json, run\.json, phase_c, phase_d, phase_f, phase_g; found none\) nor a reconstruction folder \(reconstruction\.npz, as `lsqml --out` writes\)\n$/);
  assert.deepEqual(readdirSync(root), ['dose_1000'], 'nothing written');
  // one reconstruction's folder (lsqml --out) is reported on its own; an empty reconstruction.npz is damaged: named, nothing written
  const job = join(root, 'dose_1000', 'recon');
  mkdirSync(job);
  writeFileSync(join(job, 'reconstruction.npz'), '');
  const one = run(['--out', job]);
  assert.equal(one.status, 2, one.stderr);
  assert.match(one.stderr, /^ptychostudy report: \S+reconstruction\.npz: not a valid \.npz \(only 0 bytes; the file is empty or truncated\); no report was written\n$/);
  assert.deepEqual(readdirSync(job), ['reconstruction.npz'], 'nothing written');
  // one phase of a hub is enough: the rest is "not available"
  mkdirSync(join(root, 'phase_c'));
  const partial = run(['--out', root, '--quiet']);
  assert.equal(partial.status, 0, partial.stderr);
  assert.ok(existsSync(join(root, 'report', 'index.html')));
  // --force is for the report of one reconstruction only
  const forced = run(['--out', root, '--force']);
  assert.equal(forced.status, 2, forced.stderr);
  assert.match(forced.stderr, /^ptychostudy report: --force: only for the report of one reconstruction/);
});

test('report --out a file, or a folder that is not there: exit 2, one line saying which', () => {
  const root = tempDir('report-out-file');
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const r = run(['--out', file]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy report: --out \S*a-file: expected a directory \(the hub\); found a file\n$/);
  const missing = run(['--out', join(root, 'missing')]);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /^ptychostudy report: --out \S*missing: no such directory\n$/);
});

test('status and cancel --out a file: exit 2, one line saying it is a file, not an ENOTDIR from inside the hub', () => {
  const root = tempDir('status-out-file');
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  for (const command of ['status', 'cancel']) {
    const r = spawnSync(process.execPath, [cli, command, '--out', file], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^ptychostudy ${command}: --out \\S*a-file: expected a directory \\(the hub\\); found a file\\n$`));
  }
});
