/**
 * A resumed hub's record of where its settings came from: run.json keeps the first run's `settings_origin` as it was,
 * and each later run that does work — locally, or submitting to SLURM — adds an entry to `resumed_runs` (when it
 * started, who ran its jobs, and where each of its settings came from: a flag, another settings file that repeats the
 * hub's settings, the hub's own settings.json). A finished hub's resume records nothing (it writes nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1'];

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: r.status, stderr: r.stderr };
}

const json = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));

/** A PATH whose sbatch takes every job (job id 4242) and whose squeue, scontrol, scancel and sinfo answer nothing. */
function acceptingPath(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sbatch'), '#!/bin/sh\necho 4242\n', { mode: 0o755 });
  for (const p of ['squeue', 'scontrol', 'scancel', 'sinfo']) writeFileSync(join(bin, p), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return `${bin}:${process.env.PATH ?? ''}`;
}

test('each resume that does work records where its settings came from in run.json\'s resumed_runs; the first run\'s and earlier entries stay (was: the first run\'s only)', { timeout: 600_000 }, () => {
  const dir = tempDir('resumed-origin');
  const hub = join(dir, 'hub');
  const runJson = join(hub, 'run.json');
  const hubFile = `hub ${join(hub, 'settings.json')}`;
  assert.equal(run([...TINY, '--out', hub, '--quiet']).status, 0);
  const first = json(runJson);
  assert.equal(first.settings_origin['simulation.doses'], 'flag --dose');
  assert.equal(first.resumed_runs, undefined);

  // another settings file that repeats the hub's epochs: a finished hub writes nothing, so records nothing
  const other = join(dir, 'other.yaml');
  writeFileSync(other, 'reconstruction:\n  epochs: 2\n');
  const bytes = readFileSync(runJson);
  assert.equal(run(['--out', hub, '--config', other, '--quiet']).status, 0);
  assert.deepEqual(readFileSync(runJson), bytes);

  // the report gone: the resume builds it again, and records this run's origin beside the first run's
  rmSync(join(hub, 'report', 'index.html'));
  assert.equal(run(['--out', hub, '--config', other, '--jobs', '1', '--quiet']).status, 0);
  const once = json(runJson);
  assert.deepEqual(once.settings_origin, first.settings_origin);
  assert.equal(once.resumed_runs.length, 1);
  const [r1] = once.resumed_runs;
  assert.match(r1.started, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(r1.executor, 'local');
  assert.equal(r1.settings_origin['reconstruction.epochs'], `file ${other}`);
  assert.equal(r1.settings_origin['execution.jobs'], 'flag --jobs');
  // every other setting the hub holds that is not its default: the hub's own settings.json
  assert.equal(r1.settings_origin['simulation.doses'], hubFile);
  assert.equal(r1.settings_origin['simulation.patchSize'], hubFile);
  assert.equal(r1.settings_origin['reconstruction.seed'], undefined, 'a default is not listed');

  // the flags that repeat the hub's settings, submitted to SLURM: a second entry, the first unchanged
  rmSync(join(hub, 'report', 'index.html'));
  const slurm = run(['--out', hub, '--epochs', '2', '--executor', 'slurm', '--slurm-tasks', '1', '--detach', '--quiet'], { PATH: acceptingPath(dir) });
  assert.equal(slurm.status, 0, slurm.stderr);
  const twice = json(runJson);
  assert.deepEqual(twice.settings_origin, first.settings_origin);
  assert.deepEqual(twice.resumed_runs[0], r1);
  assert.equal(twice.resumed_runs.length, 2);
  assert.equal(twice.resumed_runs[1].executor, 'slurm');
  assert.equal(twice.resumed_runs[1].settings_origin['reconstruction.epochs'], 'flag --epochs');
  assert.equal(twice.resumed_runs[1].settings_origin['execution.executor'], 'flag --executor');
  assert.equal(twice.resumed_runs[1].settings_origin['simulation.doses'], hubFile);
});

test('a run.json whose resumed_runs is not a list of runs is refused on resume (exit 2, one line naming the key), not extended', { timeout: 600_000 }, () => {
  const hub = join(tempDir('resumed-origin-broken'), 'hub');
  mkdirSync(hub);
  writeFileSync(join(hub, 'run.json'), JSON.stringify({
    tool: 'ptychostudy', schema_version: 3, version: '0', created: '2026-12-07T00:00:00Z', updated: '2026-12-07T00:00:00Z',
    settings: { preset: 'quick', doses: [10000], epochs: 2, simulation_seed: 42, overlap_seed: 456, reconstruction_seed: 42, n_images: 24, base_npz: null },
    resumed_runs: 'x', status: 'interrupted', phases: {},
  }));
  const bytes = readFileSync(join(hub, 'run.json'));
  const r = run(['--out', hub, '--quiet']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `ptychostudy run: ${join(hub, 'run.json')}: key 'resumed_runs': expected a list of runs (started, executor, settings_origin); ` +
    'found "x"; this hub cannot be resumed until it is repaired');
  assert.deepEqual(readFileSync(join(hub, 'run.json')), bytes);
});
