/**
 * Opening a hub: a local `run` (`runStudy`) and `run --executor slurm` (`submitStudy`) refuse the same broken hub
 * folders with the same one line and exit code 2, before anything is written. A folder or run.json that cannot be
 * read is never taken for an absent or empty one (the submission started a new study in a folder it could not
 * list; a local run ended on the raw EACCES). SLURM's commands are stand-ins that only log a call: nothing reaches a
 * queue, and no cluster is needed. The cases run in a child process, with a time limit (a named pipe opened for
 * reading blocks its reader for ever); the unreadable ones as user 65534 where the tests run as root (permission bits
 * do not bind root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { newRunState, writeHubSettings, writeRunState } from '../../src/study/run/state.js';
import { packageVersion } from '../../src/version.js';
import { tmp } from '../study/reconstruct-helpers.js';

const SRC = join(process.cwd(), 'dist', 'src');
const asRoot = process.getuid?.() === 0;

/** In a child: for each hub given, the exit code and message `runStudy` and `submitStudy` end with (JSON on stdout). */
const CHILD = `
const [{ runStudy }, { submitStudy }, { parseStudySettings }, { exitCodeFor }] = await Promise.all(
  ['study/run/study.js', 'study/slurm/submit.js', 'settings/parse.js', 'errors.js'].map((m) => import(${JSON.stringify(SRC)} + '/' + m)));
const settings = parseStudySettings({ preset: 'quick' });
const env = { argv: ['ptychostudy', 'run'], node: process.execPath, nodeVersion: process.version, entry: ${JSON.stringify(join(SRC, 'cli', 'main.js'))}, cwd: process.cwd() };
const outcome = async (f) => { try { await f(); return { code: 0, message: 'accepted' }; } catch (e) { return { code: exitCodeFor(e), message: e.message }; } };
const out = [];
for (const hub of process.argv.slice(1)) {
  out.push({ local: await outcome(() => runStudy(hub, settings)),
    slurm: await outcome(() => submitStudy(hub, parseStudySettings({ preset: 'quick', execution: { executor: 'slurm' } }), env)) });
}
process.stdout.write(JSON.stringify(out));
`;

/** A folder of stand-ins for SLURM's commands that log their call into `log` and fail. */
function fakeSlurm(root: string, log: string): string {
  const bin = join(root, 'bin');
  mkdirSync(bin);
  for (const p of ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo']) {
    writeFileSync(join(bin, p), `#!/bin/sh\necho "${p} $*" >> '${log}'\nexit 1\n`);
    chmodSync(join(bin, p), 0o755);
  }
  return bin;
}

/** Every entry under `dir`, as the test's user sees it. */
function entries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/**
 * Runs the child on `hubs`, after `lock` (which takes permissions away); asserts that both paths refuse each hub with
 * exit code 2 and the same line, that nothing was written, and returns those lines.
 */
function refusals(root: string, hubs: string[], user: SpawnSyncOptions = {}, lock = (): void => {}): string[] {
  const calls = join(root, 'calls');
  mkdirSync(calls, { mode: 0o777 });
  chmodSync(calls, 0o777);
  const log = join(calls, 'slurm-calls');
  const bin = fakeSlurm(root, log);
  const before = entries(root);
  lock();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, ...hubs], {
    encoding: 'utf8', timeout: 30_000, cwd: root, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, SBATCH_CLUSTERS: '' }, ...user,
  });
  assert.equal(r.status, 0, `the child ended with ${r.status ?? r.signal} (a read that blocks?): ${String(r.stderr)}`);
  const out = JSON.parse(String(r.stdout)) as { local: { code: number; message: string }; slurm: { code: number; message: string } }[];
  const lines = out.map((o, i) => {
    assert.equal(o.local.code, 2, `local run of ${hubs[i]}: ${o.local.message}`);
    assert.deepEqual(o.slurm, o.local, `the SLURM submission of ${hubs[i]} answers as the local run`);
    return o.local.message;
  });
  assert.equal(existsSync(log), false, 'no SLURM command was run');
  for (const hub of hubs) if (existsSync(hub)) chmodSync(hub, 0o755); // (the unreadable case) listed as it was
  assert.deepEqual(entries(root).filter((e) => !e.startsWith('calls') && !e.startsWith('bin')), before.filter((e) => !e.startsWith('calls') && !e.startsWith('bin')), 'nothing written');
  return lines;
}

/** A hub that holds a run: run.json and settings.json of the quick preset. */
function hubWithRun(hub: string): void {
  mkdirSync(hub, { recursive: true });
  const settings = parseStudySettings({ preset: 'quick' });
  writeRunState(hub, newRunState(settings, packageVersion(), '2026-01-01T00:00:00Z'));
  writeHubSettings(hub, settings);
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('a hub path that is a link to nothing, a run.json or settings.json that is a named pipe, a directory or a link to nothing, a phase root given for a hub: one line, local and SLURM', () => {
  const root = tmp('open-hub');
  const link = join(root, 'link-hub');
  symlinkSync(join(root, 'gone'), link);
  const pipe = join(root, 'pipe-run'), dir = join(root, 'dir-run'), dangling = join(root, 'dangling-run'), settingsPipe = join(root, 'pipe-settings');
  for (const h of [pipe, dir, dangling]) mkdirSync(h);
  mkfifo(join(pipe, 'run.json'));
  mkdirSync(join(dir, 'run.json'));
  symlinkSync(join(root, 'gone.json'), join(dangling, 'run.json'));
  // a hub's Phase C root given for the hub: not a hub, and what it is named
  const phaseC = join(root, 'phase_c');
  mkdirSync(phaseC);
  writeFileSync(join(phaseC, 'run_manifest.json'), '{}\n');
  hubWithRun(settingsPipe);
  rmSync(join(settingsPipe, 'settings.json'));
  mkfifo(join(settingsPipe, 'settings.json'));
  const resume = 'this hub cannot be resumed — use a new hub';
  assert.deepEqual(refusals(root, [link, pipe, dir, dangling, settingsPipe, phaseC]), [
    `\`hub\` ${link}: expected a directory; found a symbolic link to ${join(root, 'gone')}, which does not exist`,
    `${join(pipe, 'run.json')}: expected a hub's run record (a JSON file); found a named pipe; ${resume}`,
    `${join(dir, 'run.json')}: expected a hub's run record (a JSON file); found a directory; ${resume}`,
    `${join(dangling, 'run.json')}: expected a hub's run record (a JSON file); found a symbolic link to ${join(root, 'gone.json')}, which does not exist; ${resume}`,
    `${join(settingsPipe, 'settings.json')}: expected the hub's settings file; found a named pipe; this hub cannot be resumed until it is repaired`,
    `\`hub\` ${phaseC}: the directory exists, is not empty and holds no run.json, so it is not a ptychostudy hub (it holds a Phase C root ` +
      '(`ptychostudy generate --out`): run_manifest.json); choose a new `hub`',
  ]);
});

test('a hub folder whose entries cannot be listed, and a run.json that cannot be read: refused, never taken for a new hub, local and SLURM', (t) => {
  const root = tmp('open-hub-unreadable');
  chmodSync(root, 0o755); // reachable for the unprivileged user of the root case
  const user: SpawnSyncOptions = asRoot ? { uid: 65534, gid: 65534 } : {};
  if (asRoot) {
    const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(SRC, 'study', 'run', 'study.js'))})`], { ...user, encoding: 'utf8' });
    if (probe.status !== 0) { t.skip(`running as root, and user 65534 cannot read ${SRC} here`); return; }
  }
  // writable and searchable, not listable: what it holds cannot be told, so no study starts in it
  const unlisted = join(root, 'unlisted');
  mkdirSync(unlisted);
  writeFileSync(join(unlisted, 'notes.txt'), 'not a hub\n');
  const unreadable = join(root, 'unreadable-run');
  hubWithRun(unreadable);
  if (asRoot) for (const h of [unlisted, unreadable]) chownSync(h, 65534, 65534);
  const lock = (): void => { chmodSync(unlisted, 0o300); chmodSync(join(unreadable, 'run.json'), 0o000); };
  assert.deepEqual(refusals(root, [unlisted, unreadable], user, lock), [
    `\`hub\` ${unlisted}: expected a directory whose entries can be listed; found one that cannot be read (EACCES); nothing was written`,
    `${join(unreadable, 'run.json')}: expected a hub's run record (a JSON file); found one that cannot be read (EACCES); this hub cannot be resumed — use a new hub`,
  ]);
  assert.deepEqual(readdirSync(unlisted), ['notes.txt'], 'no run.json, design.json, settings.json or slurm/ beside what it held');
});
