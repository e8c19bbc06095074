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

  // a setting run.json's short record leaves out (the batch size, the noise model, the view spacing) is checked
  // against every setting the hub recorded when it started: Phase F would redo its jobs beside the old results
  for (const [group, key, value, was] of [['reconstruction', 'batchSize', 7, '96'], ['reconstruction', 'noiseModel', 'poisson', '"gaussian"'],
    ['overlap', 'neighborCount', 5, '6']] as const) {
    const other = JSON.parse(original);
    assert.equal(JSON.stringify(other[group][key]), was, `${group}.${key} default`);
    other[group][key] = value;
    writeFileSync(settingsPath, JSON.stringify(other, null, 2) + '\n');
    const refused = run(['--out', hub]);
    assert.equal(refused.status, 2, `settings.json with ${group}.${key} changed was taken: ${refused.stderr.slice(0, 2000)}`);
    const line = refused.stderr.trim();
    assert.equal(line.split('\n').length, 1, line);
    assert.ok(line.includes(`${settingsPath}: key '${group}.${key}': expected ${was} `), line);
    assert.ok(line.includes(`found ${JSON.stringify(value)};`), line);
    const now = snapshot(hub);
    assert.deepEqual([...now.keys()].filter((k) => k !== 'settings.json' && now.get(k) !== before.get(k)), [], 'the refused resume wrote into the hub');
  }

  // put back, the hub resumes as before
  writeFileSync(settingsPath, original);
  const again = run(['--out', hub]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /nothing to do/);

  // a setting that never changes a result may differ (a resume with --jobs writes it there)
  const jobs = JSON.parse(original);
  jobs.execution.jobs = 2;
  writeFileSync(settingsPath, JSON.stringify(jobs, null, 2) + '\n');
  const neutral = run(['--out', hub]);
  assert.equal(neutral.status, 0, neutral.stderr);
  assert.match(neutral.stderr, /reconstruct: skipped \(all 6 jobs already complete\)/); // the report shows settings.json: it is redone
});
