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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { checkSlurmEnvironment, commandEnv, scancel, sbatch, scontrolJob, squeue } from '../../src/study/slurm/scheduler.js';
import { tempDir } from '../tmp.js';
import { noSlurm } from './slurm-helpers.js';

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
  };
  assert.deepEqual(Object.keys(commandEnv('sbatch', env)).sort(), ['PATH', 'SBATCH_PARTITION', 'SBATCH_TIMELIMIT', 'SCANCEL_STATE', 'SCONTROL_LOCAL', 'SLURM_CLUSTERS', 'SQUEUE_STATES', 'SQUEUE_USERS']);
  assert.deepEqual(Object.keys(commandEnv('squeue', env)).sort(), ['PATH', 'SBATCH_ERROR', 'SBATCH_EXPORT', 'SBATCH_PARTITION', 'SBATCH_TIMELIMIT', 'SBATCH_WAIT', 'SCANCEL_STATE', 'SCONTROL_LOCAL', 'SLURM_CLUSTERS']);
  assert.ok(!('SCANCEL_STATE' in commandEnv('scancel', env)) && !('SCONTROL_LOCAL' in commandEnv('scontrol', env)));
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
