/**
 * A command given a folder another command made — a study hub as `lsqml --out` or `generate --out`, a hub or an
 * empty folder as a phase root to compare — refuses it in one line (exit 2), writing and moving nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderKind, refuseNotFolderKind, refuseOtherFolderKind } from '../../src/study/hub/folder-kind.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../tmp.js';

const cli = 'dist/src/cli/main.js';
const ptychostudy = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

/** A folder holding what a study hub holds at its top (run.json, a report), as `run --out` leaves it. */
function fakeHub(dir: string): string {
  mkdirSync(join(dir, 'report'), { recursive: true });
  writeFileSync(join(dir, 'run.json'), '{}');
  writeFileSync(join(dir, 'report', 'index.html'), '<html></html>');
  mkdirSync(join(dir, 'phase_c'));
  return dir;
}

const listing = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();

test('folderKind names what a folder holds by the file its command leaves; a command refuses a folder of another kind', () => {
  const dir = tempDir('kind');
  const hub = fakeHub(join(dir, 'hub'));
  assert.deepEqual(folderKind(hub), { kind: 'hub', marker: 'run.json' });
  assert.equal(folderKind(join(dir, 'none')), null);
  mkdirSync(join(dir, 'c'));
  writeFileSync(join(dir, 'c', 'run_manifest.json'), '{}');
  assert.deepEqual(folderKind(join(dir, 'c')), { kind: 'phaseC', marker: 'run_manifest.json' });
  refuseOtherFolderKind(join(dir, 'c'), 'phaseC');
  refuseOtherFolderKind(join(dir, 'new'), 'lsqml');
  assert.throws(() => refuseOtherFolderKind(join(dir, 'c'), 'phaseD'), (e: unknown) => e instanceof UsageError &&
    /^--out .*c: expected a Phase D root \(`ptychostudy overlap --out`\) or a new folder; found a Phase C root \(`ptychostudy generate --out`\) \(run_manifest\.json\), which this command would change: give a new folder$/.test(e.message));
  // an older root without its manifest is known by its dose folders
  mkdirSync(join(dir, 'f', 'dose_1000'), { recursive: true });
  refuseNotFolderKind(join(dir, 'f'), 'phaseF', '--phase-f-root');
  assert.throws(() => refuseNotFolderKind(hub, 'phaseF', '--phase-f-root'), (e: unknown) => e instanceof UsageError &&
    /^--phase-f-root .*hub: expected a Phase F root \(`ptychostudy reconstruct --out`\); found a study hub \(`ptychostudy run --out`\) \(run\.json\): give .*hub\/phase_f, the hub's own$/.test(e.message));
});

test('lsqml --out HUB and generate --out HUB are refused, exit 2: the hub\'s report stays where it was, nothing is added', () => {
  const dir = tempDir('kind-cli');
  const hub = fakeHub(join(dir, 'hub'));
  const before = listing(hub);
  const l = ptychostudy('lsqml', '--input', join(dir, 'never-read.npz'), '--out', hub, '--epochs', '2');
  assert.equal(l.status, 2, l.stderr);
  assert.match(l.stderr, /^ptychostudy lsqml: --out .*hub: expected one reconstruction \(`ptychostudy lsqml --out`\) or a new folder; found a study hub \(`ptychostudy run --out`\) \(run\.json\), which this command would change: give a new folder\n$/);
  const g = ptychostudy('generate', '--out', hub, '--n-images', '8', '--dose', '1e4');
  assert.equal(g.status, 2, g.stderr);
  assert.match(g.stderr, /^ptychostudy generate: --out .*hub: expected a Phase C root .*: give .*hub\/phase_c \(the hub's own\) or a new folder\n$/);
  // the hub as the Phase C root of overlap or reconstruct: its own phase_c/ is named
  for (const cmd of ['overlap', 'reconstruct']) {
    const r = ptychostudy(cmd, '--phase-c-root', hub, ...(cmd === 'reconstruct' ? ['--phase-d-root', join(dir, 'd')] : []), '--out', join(dir, `new-${cmd}`));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^ptychostudy ${cmd}: --phase-c-root .*hub: expected a Phase C root \\(\`ptychostudy generate --out\`\\); found a study hub .*: give .*hub/phase_c, the hub's own\\n$`));
  }
  assert.deepEqual(listing(hub), before);
  assert.deepEqual(readdirSync(dir), ['hub']);
});

test('compare with an empty folder as its Phase F root is refused, exit 2, and writes no --out', () => {
  const dir = tempDir('kind-compare');
  mkdirSync(join(dir, 'c', 'dose_1000'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  const r = ptychostudy('compare', '--phase-c-root', join(dir, 'c'), '--phase-f-root', join(dir, 'empty'), '--out', join(dir, 'g'));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy compare: --phase-f-root .*empty: expected a Phase F root \(`ptychostudy reconstruct --out`\); found neither its manifest nor a dose_<D>\/ folder: give the folder that command wrote\n$/);
  assert.deepEqual(readdirSync(dir).sort(), ['c', 'empty']);
});

test('status and cancel of a hub that ran without SLURM say where its state and its report are', () => {
  const hub = fakeHub(join(tempDir('kind-status'), 'hub'));
  for (const cmd of ['status', 'cancel']) {
    const r = ptychostudy(cmd, '--out', hub);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^ptychostudy ${cmd}: .*hub: no SLURM jobs were submitted from here \\(no .*jobs\\.json\\); .* this hub ran without SLURM: ` +
      '.*hub/run\\.json records its phases, its report is .*hub/report/index\\.html, and `ptychostudy run --out .*hub` resumes it\\n$'));
  }
});

test('report --out HUB/phase_f names the hub whose report it is', () => {
  const hub = fakeHub(join(tempDir('kind-report'), 'hub'));
  mkdirSync(join(hub, 'phase_f'));
  writeFileSync(join(hub, 'phase_f', 'reconstruction_manifest.json'), '{}');
  const r = ptychostudy('report', '--out', join(hub, 'phase_f'));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy report: --out .*hub\/phase_f: not a study hub .* nor a reconstruction folder .*; it is a phase's folder of the hub .*hub: give --out .*hub\n$/);
  assert.deepEqual(readdirSync(join(hub, 'phase_f')), ['reconstruction_manifest.json']);
});

test('every command names a bad flag value before it looks at its folders: both faults given, the flag is refused, exit 2, nothing written', () => {
  const dir = tempDir('kind-flag-first');
  const hub = fakeHub(join(dir, 'hub'));
  mkdirSync(join(dir, 'c', 'dose_1000'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'a-file'), '');
  const before = listing(dir);
  const cases: Array<[string[], RegExp]> = [
    [['generate', '--out', hub, '--seed', 'ten'], /^ptychostudy generate: --seed ten: expected an integer\n$/],
    [['overlap', '--phase-c-root', hub, '--out', join(dir, 'new-d'), '--seed', '-1'], /^ptychostudy overlap: --seed -1: expected a non-negative integer\n$/],
    [['reconstruct', '--phase-c-root', hub, '--phase-d-root', join(dir, 'd'), '--out', join(dir, 'new-f'), '--detach'],
      /^ptychostudy reconstruct: --detach: only with --executor slurm \(a local run is followed to its end\)\n$/],
    [['compare', '--phase-c-root', join(dir, 'c'), '--phase-f-root', join(dir, 'empty'), '--out', join(dir, 'new-g'), '--slurm-tasks', '0'],
      /^ptychostudy compare: --slurm-tasks 0: expected a positive integer\n$/],
    [['lsqml', '--input', join(dir, 'never-read.npz'), '--out', hub, '--epochs', '1'], /^ptychostudy lsqml: --epochs 1: expected an integer ≥ 2 /],
    [['status', '--out', join(dir, 'a-file'), '--submission', 'x'], /^ptychostudy status: --submission x: expected an integer\n$/],
    [['cancel', '--out', join(dir, 'a-file'), '--phase', 'Z'], /^ptychostudy cancel: --phase Z: expected one of /],
  ];
  for (const [args, message] of cases) {
    const r = ptychostudy(...args);
    assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  }
  assert.deepEqual(listing(dir), before);
});
