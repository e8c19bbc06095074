/**
 * `status` while SLURM holds a requeued task back (BeginTime): the task's reason is said beside the job it holds,
 * not beside the jobs no task has taken yet, which the queued tasks that hold none take (with their own reasons).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { stepLine } from '../../src/cli/progress/slurm.js';
import { viewOf } from '../../src/study/slurm/follow.js';
import { claimJob, JOBS_SCHEMA_VERSION, writeJobs, type Submission } from '../../src/study/slurm/records.js';
import type { QueueEntry } from '../../src/study/slurm/scheduler.js';
import { tempDir } from '../tmp.js';

test('a requeued task\'s BeginTime is said beside the job it holds; the jobs no task has taken show the other tasks\' reasons', () => {
  const home = join(tempDir('slurm-requeued'), 'hub');
  const keys = ['dose_10000/baseline/train', 'dose_10000/dense/train', 'dose_10000/sparse/train', 'dose_10000/baseline/test'];
  const submission: Submission = {
    number: 1, submitted_at: '2026-12-06T23:04:16Z', command: 'run', argv: ['ptychostudy', 'run'], version: '0', node: '/usr/bin/node', entry: '/x', cwd: '/',
    hub: home, settings: {}, cancelled: [], rejected: null,
    steps: [{ step: 'reconstruct', job_id: '900', script: 'slurm/reconstruct.sbatch', tasks: keys, array_tasks: 3, depends_on: null, options: {} }],
  };
  writeJobs(home, { schema_version: JOBS_SCHEMA_VERSION, tool: 'ptychostudy', submissions: [submission] });
  const claim = (task: number) => ({ array_task: task, slurm_job: `900_${task}`, host: 'node1', pid: 100 + task, claimed_at: '2026-12-06T23:04:30Z' });
  // task 0 runs job 0; task 1 took job 1 and was requeued by SLURM (it waits for its BeginTime); jobs 2 and 3 are not taken
  assert.ok(claimJob(home, 1, 'reconstruct', 0, claim(0)));
  assert.ok(claimJob(home, 1, 'reconstruct', 1, claim(1)));
  const entry = (task: number, state: string, reason: string): QueueEntry => ({ id: `900_${task}`, jobId: '900', task, state, reason });
  const requeued = entry(1, 'PENDING', 'BeginTime');

  const v = viewOf(home, submission, [entry(0, 'RUNNING', 'None'), requeued]).steps[0]!;
  assert.deepEqual([v.running, v.queued, v.requeued], [1, 2, 1]);
  assert.deepEqual(v.waiting, []); // the running task takes them: the requeued task's BeginTime is not theirs
  assert.deepEqual(v.requeuedWaiting, ['task 1: BeginTime']);
  assert.match(stepLine(v), /0\/4 done · 1 running · 2 queued · 1 requeued \(task 1: BeginTime\)$/);

  // a task that holds no job and waits for resources: its reason is the untaken jobs'
  const w = viewOf(home, submission, [entry(0, 'RUNNING', 'None'), requeued, entry(2, 'PENDING', 'Resources')]).steps[0]!;
  assert.deepEqual(w.waiting, ['Resources']);
  assert.match(stepLine(w), /1 running · 2 queued \(Resources\) · 1 requeued \(task 1: BeginTime\)$/);
});
