/**
 * A hub's settings.json edited between runs: a resume continues a hub with its own settings and refuses flags
 * that would change its results; a settings.json whose values differ from those run.json records the hub was
 * made with is refused the same way (exit 2, one line naming the file, the setting, the recorded and the found
 * value, nothing written), instead of redoing part of the study with the new values while run.json and
 * design.json still describe the old ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../study/reconstruct-helpers.js';
import { snapshot } from './tree-snapshot.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1'];

function run(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr };
}

test('a settings.json edited since the hub ran is refused on resume, naming the setting; nothing is written', { timeout: 600_000 }, () => {
  const hub = join(tmp('edited-settings'), 'hub');
  const first = run([...TINY, '--out', hub, '--quiet']);
  assert.equal(first.status, 0, first.stderr);
  const settingsPath = join(hub, 'settings.json');
  const original = readFileSync(settingsPath, 'utf8');

  const edited = JSON.parse(original);
  edited.reconstruction.epochs = 3;
  writeFileSync(settingsPath, JSON.stringify(edited, null, 2) + '\n');
  const before = snapshot(hub);
  const r = run(['--out', hub]);
  assert.equal(r.status, 2, `an edited settings.json was taken as the hub's settings: ${r.stderr.slice(0, 2000)}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(settingsPath), lines[0]);
  assert.match(lines[0]!, /reconstruction\.epochs/);
  assert.match(lines[0]!, /expected 2\b.*found 3\b/);
  const after = snapshot(hub);
  assert.deepEqual([...after.keys()].filter((k) => after.get(k) !== before.get(k)), [], 'the refused resume wrote into the hub');
  assert.deepEqual([...before.keys()].filter((k) => !after.has(k)), []);

  // put back, the hub resumes as before
  writeFileSync(settingsPath, original);
  const again = run(['--out', hub]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /nothing to do/);
});
