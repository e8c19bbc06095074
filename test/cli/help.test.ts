import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const cli = 'dist/src/cli/main.js';

test('--help lists every command', () => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const c of ['run', 'generate', 'overlap', 'reconstruct', 'lsqml', 'compare', 'report', 'inspect']) {
    assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), `command ${c} missing from --help`);
  }
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('an unknown option is a usage error with exit code 2', () => {
  const r = spawnSync(process.execPath, [cli, '--no-such-flag'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option/);
});
