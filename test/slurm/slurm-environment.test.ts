/**
 * SLURM's client commands read input environment variables a user may have set for their own jobs: sbatch takes
 * them over a script's `#SBATCH` lines, squeue and scancel filter by them. The tool's calls submit what the script
 * says, see every job they ask about and cancel what they cancel, whatever the environment holds; the variables a
 * user sets for where and how long jobs run (partition, account, QOS, time) still apply where the tool sets nothing.
 * The submissions here are held (`--hold`) and cancelled: nothing runs. Skipped, saying why, where no SLURM answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { writeJobs } from '../../src/study/slurm/records.js';
import { checkSlurmEnvironment, commandEnv, scancel, sbatch, scontrolJob, squeue } from '../../src/study/slurm/scheduler.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const skip = noSlurm() ?? false;

/** Runs `fn` with these variables set in this process's environment (what the SLURM commands inherit), then restores it. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('the environment of each SLURM command: sbatch loses what would stall or split a submission, squeue/scontrol/scancel their filters', () => {
  const env = {
    PATH: '/bin', SBATCH_WAIT: '1', SBATCH_ERROR: '/x.err', SBATCH_EXPORT: 'NONE', SBATCH_PARTITION: 'gpu', SBATCH_TIMELIMIT: '10',
    SQUEUE_STATES: 'RUNNING', SQUEUE_USERS: 'nobody', SCANCEL_STATE: 'RUNNING', SCONTROL_LOCAL: '1', SLURM_CLUSTERS: 'c1',
    TZ: 'America/Denver', SLURM_TIME_FORMAT: 'relative',
  };
  assert.deepEqual(Object.keys(commandEnv('sbatch', env)).sort(), ['PATH', 'SBATCH_PARTITION', 'SBATCH_TIMELIMIT', 'SCANCEL_STATE', 'SCONTROL_LOCAL', 'SLURM_CLUSTERS', 'SLURM_TIME_FORMAT', 'SQUEUE_STATES', 'SQUEUE_USERS', 'TZ']);
  assert.deepEqual(Object.keys(commandEnv('squeue', env)).sort(), ['PATH', 'SBATCH_ERROR', 'SBATCH_EXPORT', 'SBATCH_PARTITION', 'SBATCH_TIMELIMIT', 'SBATCH_WAIT', 'SCANCEL_STATE', 'SCONTROL_LOCAL', 'SLURM_CLUSTERS', 'SLURM_TIME_FORMAT', 'TZ']);
  assert.ok(!('SCANCEL_STATE' in commandEnv('scancel', env)) && !('SCONTROL_LOCAL' in commandEnv('scontrol', env)));
  // the times the tool reads back (a job's submit time) are asked in UTC and SLURM's standard format, whatever the user's
  for (const program of ['squeue', 'scontrol', 'sacct']) {
    assert.deepEqual([commandEnv(program, env)['TZ'], commandEnv(program, env)['SLURM_TIME_FORMAT']], ['UTC', 'standard'], program);
  }
  assert.equal(commandEnv('scancel', env)['TZ'], 'America/Denver');
  assert.throws(() => checkSlurmEnvironment({ SBATCH_CLUSTERS: 'other' }), (err: Error) => err instanceof UsageError && /^SBATCH_CLUSTERS="other": .*unset SBATCH_CLUSTERS/.test(err.message));
  checkSlurmEnvironment({ SBATCH_CLUSTERS: '', SLURM_CLUSTERS: 'c1', SBATCH_PARTITION: 'gpu' });
});

test('a job is submitted as its script says whatever SBATCH_* variables are set; squeue sees it and scancel cancels it under SQUEUE_/SCANCEL_ filters', { skip }, () => {
  const dir = tempDir('slurm-env');
  const script = join(dir, 'held.sbatch');
  const options = ['--job-name=envcheck', '--array=0-1', `--output=${join(dir, 'task-%A_%a.out')}`, '--open-mode=append', `--chdir=${dir}`, '--time=3', '--hold'];
  writeFileSync(script, ['#!/bin/bash', ...options.map((o) => `#SBATCH ${o}`), 'echo ran', ''].join('\n'));
  // every variable below, as sbatch reads them, replaces the script's line (checked by hand against slurm-wlm 22.05: env over #SBATCH)
  const id = withEnv({
    SBATCH_ARRAY_INX: '0-5', SBATCH_OUTPUT: join(dir, 'elsewhere-%j.out'), SBATCH_ERROR: join(dir, 'err-%j.err'), SBATCH_OPEN_MODE: 'truncate',
    SBATCH_TIMELIMIT: '7', SBATCH_JOB_NAME: 'renamed', SBATCH_WAIT: '1',
  }, () => sbatch(script, dir, options));
  try {
    const [rec] = scontrolJob(id);
    const line = spawnSync('scontrol', ['show', 'job', '--oneliner', id], { encoding: 'utf8' }).stdout.split('\n')[0]!;
    assert.equal(rec!.arrayTaskId, '0-1');
    assert.equal(rec!.timeLimit, '00:03:00');
    assert.match(line, /\bJobName=envcheck\b/);
    assert.match(line, new RegExp(`\\bStdOut=${join(dir, 'task-')}`));
    assert.match(line, new RegExp(`\\bStdErr=${join(dir, 'task-')}`)); // no SBATCH_ERROR: the task's errors go to its log
    // the tool's queries list the held tasks, and its scancel cancels them, whatever filters the user's environment sets
    const queued = withEnv({ SQUEUE_STATES: 'RUNNING', SQUEUE_USERS: 'nobody', SQUEUE_PARTITION: 'nosuch' }, () => squeue([id]));
    assert.deepEqual(queued.map((q) => q.id).sort(), [`${id}_0`, `${id}_1`]);
    assert.equal(withEnv({ SCANCEL_STATE: 'RUNNING', SCANCEL_USER: 'nobody' }, () => scancel([id])), null);
    assert.deepEqual(squeue([id]), []);
  } finally {
    spawnSync('scancel', [id]);
  }
});

test('where the tool sets nothing, SBATCH_TIMELIMIT applies as the user set it', { skip }, () => {
  const dir = tempDir('slurm-env-user');
  const script = join(dir, 'held.sbatch');
  const options = ['--job-name=envuser', `--output=${join(dir, 'out-%j.out')}`, '--hold'];
  writeFileSync(script, ['#!/bin/bash', ...options.map((o) => `#SBATCH ${o}`), 'echo ran', ''].join('\n'));
  const id = withEnv({ SBATCH_TIMELIMIT: '9' }, () => sbatch(script, dir, options));
  try {
    assert.equal(scontrolJob(id)[0]!.timeLimit, '00:09:00');
  } finally {
    spawnSync('scancel', [id]);
  }
});

test('without SLURM\'s commands on PATH, a submission, and status or cancel of a submission not finished, stop at once with exit 2 naming the program', () => {
  const dir = tempDir('no-slurm-commands');
  const empty = join(dir, 'bin');
  mkdirSync(empty);
  const cli = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, [resolve('dist', 'src', 'cli', 'main.js'), ...args], { encoding: 'utf8', env: { ...process.env, PATH: empty } });
    return { status: r.status, stderr: r.stderr };
  };
  const hub = join(dir, 'hub');
  const run = cli(['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--executor', 'slurm', '--out', hub]);
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stderr, 'ptychostudy run: sbatch not found on PATH: --executor slurm runs SLURM\'s client commands (sbatch, squeue, scontrol, scancel) ' +
    'on this machine; run from a cluster login node, or use --executor local\n');
  assert.ok(!existsSync(hub), 'nothing is written');
  // A submission not finished (no finish.json): following or cancelling it needs squeue.
  const home = join(dir, 'phase_c');
  mkdirSync(home);
  writeJobs(home, { schema_version: 1, tool: 'ptychostudy', submissions: [{
    number: 1, submitted_at: '2026-12-06T00:00:00Z', command: 'generate', argv: ['ptychostudy', 'generate'], version: '0', node: process.execPath,
    entry: resolve('dist', 'src', 'cli', 'worker-main.js'), cwd: dir, hub: null,
    settings: parseStudySettings({ simulation: { doses: [1000] } }) as unknown as Record<string, unknown>,
    steps: [{ step: 'finish', job_id: '999999', script: 'slurm/finish.sbatch', tasks: [], array_tasks: 0, depends_on: null, options: { outputRoot: home, timestamp: null } }],
    cancelled: [], rejected: null,
  }] });
  for (const command of ['status', 'cancel']) {
    const r = cli([command, '--out', home]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^ptychostudy ${command}: squeue not found on PATH: --executor slurm runs SLURM's client commands`));
  }
});
