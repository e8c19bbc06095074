/**
 * Jobs lost to a limit of their SLURM tasks (the time limit, the memory limit): the closing line of the finished
 * submission names the recorded limit and the flag that raises it in the command it prints — a plain `run --out HUB`
 * would ask the hub's recorded limit again — and a resume that asks the same limits is warned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitResumeAdvice, repeatedLimitWarning } from '../../src/cli/slurm-limits.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { askedLimits, submissionView, type AskedLimits, type SubmissionView } from '../../src/study/slurm/follow.js';
import { JOBS_SCHEMA_VERSION, slurmPaths, writeJobs, type Submission } from '../../src/study/slurm/records.js';
import { tempDir } from '../tmp.js';

const TIMEOUT = 'killed by SLURM at its time limit (JobState=TIMEOUT, Reason=TimeLimit, TimeLimit=00:01:00); the limit is a task\'s, …';
const RESUME = ['ptychostudy', 'run', '--out', '/shared/h2'];

function view(failures: { key: string; message: string; slurmState?: string }[], limits: Partial<AskedLimits> = {}): SubmissionView {
  return {
    home: '/shared/h2', number: 1, command: 'run', argv: ['ptychostudy', 'run'], state: 'finished', submittedAt: '2026-12-06T22:54:51Z', active: false, rejected: null, cancelled: [], stopped: null,
    finish: { finished_at: '2026-12-06T22:56:40Z', finished_by: 'task 0 of compare', exit_code: 1, report: null, steps: [] },
    finishJob: { jobId: '5320', state: 'ended', reason: null },
    limits: { time: '1', mem: null, tasks: 1, memPerCpu: null, memArg: null, ...limits },
    steps: [{ step: 'reconstruct', jobId: '5318', tasks: 6, arrayTasks: 1, queued: 0, requeued: 0, requeuedWaiting: [], running: 0, done: 3, failed: failures.length, waiting: [], final: true,
      failures: failures.map((f) => ({ slurmJob: '5318_0', ...f })), detail: null }],
  } as SubmissionView;
}

test('jobs lost to the time limit: the closing line names the recorded limit and resumes with --slurm-time', () => {
  // as the local cluster recorded them: the job the task was killed in, and two it never reached
  const v = view(['baseline/test', 'dense/test', 'sparse/test'].map((k, i) => ({ key: `dose_10000/${k}`, message: i === 0 ? TIMEOUT : `ended before reaching this job, …: ${TIMEOUT}`, slurmState: 'TIMEOUT' })));
  assert.equal(limitResumeAdvice(v, RESUME),
    'lost 3 jobs to their tasks\' time limit (--slurm-time 1), which the hub records and a plain resume asks again; continue with: ' +
    'ptychostudy run --out /shared/h2 --slurm-time LIMIT (LIMIT longer than 1, or more --slurm-tasks: fewer jobs per task; ' +
    'the failed and missing jobs are submitted again, finished ones are kept)');
  // the limit was the partition's own
  assert.match(limitResumeAdvice(view([{ key: 'k', message: TIMEOUT, slurmState: 'TIMEOUT' }], { time: null }), RESUME)!,
    /^lost 1 job to their tasks' time limit \(no --slurm-time: the partition's default\), .* --slurm-time LIMIT \(LIMIT longer than the default,/);
});

test('jobs lost to the memory limit: --slurm-mem, or --mem-per-cpu where that is how the memory was asked', () => {
  const oom = { key: 'dose_10000/dense/train', message: 'killed at its memory limit …', slurmState: 'OUT_OF_MEMORY' };
  assert.match(limitResumeAdvice(view([oom], { mem: '2G' }), RESUME)!,
    /^lost 1 job to their tasks' memory limit \(--slurm-mem 2G\), which the hub records .*: ptychostudy run --out \/shared\/h2 --slurm-mem SIZE \(SIZE larger than 2G;/);
  assert.match(limitResumeAdvice(view([oom], { memPerCpu: '1G' }), RESUME)!,
    /^lost 1 job to their tasks' memory limit \(--mem-per-cpu 1G, in --slurm-sbatch-arg\), .*--slurm-sbatch-arg=--mem-per-cpu=SIZE \(SIZE larger than 1G; --slurm-sbatch-arg replaces the whole list/);
});

test('failures of other causes keep the plain closing line', () => {
  assert.equal(limitResumeAdvice(view([
    { key: 'a', message: 'cancelled (JobState=CANCELLED) — by scancel, …', slurmState: 'CANCELLED' },
    { key: 'b', message: 'failed: not a valid .npz' },
  ]), RESUME), null);
});

test('a resume that asks the limits that cost the submission before it jobs is warned; a raised limit or more tasks is not', () => {
  const earlier = view([{ key: 'a', message: TIMEOUT, slurmState: 'TIMEOUT' }, { key: 'b', message: TIMEOUT, slurmState: 'TIMEOUT' }]);
  const same: AskedLimits = { time: '1', mem: null, tasks: 1, memPerCpu: null, memArg: null };
  assert.equal(repeatedLimitWarning(earlier, same),
    'warning: submission 1 lost 2 jobs to its tasks\' time limit (--slurm-time 1), and this submission asks the same limit with as many tasks ' +
    '(give a longer --slurm-time or more --slurm-tasks): the jobs submitted again may be killed the same way');
  assert.equal(repeatedLimitWarning(earlier, { ...same, time: '10' }), null);
  assert.equal(repeatedLimitWarning(earlier, { ...same, tasks: 3 }), null);
  const oom = view([{ key: 'a', message: 'killed at its memory limit …', slurmState: 'OUT_OF_MEMORY' }], { mem: '2G' });
  assert.match(repeatedLimitWarning(oom, { ...same, mem: '2G' })!, /lost 1 job to its tasks' memory limit \(--slurm-mem 2G\), and this submission asks the same memory \(give a larger --slurm-mem\)/);
  assert.equal(repeatedLimitWarning(oom, { ...same, mem: '4G' }), null);
  // memory asked per CPU: the same value is warned of; a raised --mem-per-cpu is not the same memory
  const perCpu = view([{ key: 'a', message: 'killed at its memory limit …', slurmState: 'OUT_OF_MEMORY' }], { memPerCpu: '1G' });
  assert.match(repeatedLimitWarning(perCpu, { ...same, memPerCpu: '1G' })!,
    /lost 1 job to its tasks' memory limit \(--mem-per-cpu 1G, in --slurm-sbatch-arg\), and this submission asks the same memory \(give a larger --slurm-sbatch-arg=--mem-per-cpu=…\)/);
  assert.equal(repeatedLimitWarning(perCpu, { ...same, memPerCpu: '4G' }), null);
  assert.equal(repeatedLimitWarning(view([{ key: 'a', message: 'failed: x' }]), same), null);
});

test('status of a finished submission reads the JobState and the limits from the hub\'s records', () => {
  const home = join(tempDir('slurm-limits'), 'hub');
  const record = { step: 'reconstruct' as const, job_id: '5349', script: 'slurm/reconstruct.sbatch', tasks: ['dose_10000/baseline/train', 'dose_10000/dense/train'], array_tasks: 1, depends_on: null, options: {} };
  const submission: Submission = {
    number: 1, submitted_at: '2026-12-06T23:04:16Z', command: 'run', argv: ['ptychostudy', 'run'], version: '0', node: '/usr/bin/node', entry: '/x', cwd: '/',
    hub: home, settings: { execution: { executor: 'slurm', slurm: { time: '1', mem: '2G', tasks: 1, sbatchArgs: [] } } }, steps: [record], cancelled: [], rejected: null,
  };
  writeJobs(home, { schema_version: JOBS_SCHEMA_VERSION, tool: 'ptychostudy', submissions: [submission] });
  const paths = slurmPaths(home);
  mkdirSync(dirname(paths.final(1, 'reconstruct')), { recursive: true });
  // as the step's final merge wrote them on the local cluster (a task killed at its 1-minute limit)
  writeFileSync(paths.final(1, 'reconstruct'), JSON.stringify({
    finalized_at: '2026-12-06T23:05:26Z', finalized_by: 'task 0 of compare', tasks: 2, ok: 1, failed: 1, skipped: 0, complete: true, detail: '2 run (1 ok, 1 failed)',
    failures: [{ task: 1, key: 'dose_10000/dense/train', slurm_job: '5349_0', message: TIMEOUT, slurm_state: 'TIMEOUT' }],
  }));
  writeFileSync(paths.finish(1), JSON.stringify({ finished_at: '2026-12-06T23:05:40Z', finished_by: 'task 0 of compare', exit_code: 1, report: null, steps: [] }));
  const v = submissionView(home);
  assert.deepEqual(v.limits, { time: '1', mem: '2G', tasks: 1, memPerCpu: null, memArg: null });
  assert.equal(v.steps[0]!.failures[0]!.slurmState, 'TIMEOUT');
  assert.match(limitResumeAdvice(v, ['ptychostudy', 'run', '--out', home])!, /^lost 1 job to their tasks' time limit \(--slurm-time 1\), .* --slurm-time LIMIT \(LIMIT longer than 1,/);
});

test('the memory a submission asked per CPU is read with its value, so that a resume raising it is not told it asks the same', () => {
  const base = { number: 1, submitted_at: '2026-12-06T23:04:16Z', command: 'run', argv: ['ptychostudy', 'run'], version: '0', node: '/usr/bin/node', entry: '/x', cwd: '/',
    hub: null, steps: [], cancelled: [], rejected: null } as unknown as Submission;
  const withArgs = (sbatchArgs: string[]): Submission => ({ ...base, settings: { execution: { executor: 'slurm', slurm: { sbatchArgs } } } });
  assert.equal(askedLimits(withArgs(['--constraint=haswell', '--mem-per-cpu=1G'])).memPerCpu, '1G');
  assert.equal(askedLimits(withArgs(['--mem-per-cpu 4G'])).memPerCpu, '4G');
  assert.equal(askedLimits(withArgs(['--constraint=haswell'])).memPerCpu, null);
  const earlier = view([{ key: 'a', message: 'killed at its memory limit …', slurmState: 'OUT_OF_MEMORY' }], askedLimits(withArgs(['--mem-per-cpu=1G'])));
  assert.equal(repeatedLimitWarning(earlier, askedLimits(withArgs(['--mem-per-cpu=4G']))), null);
  assert.match(repeatedLimitWarning(earlier, askedLimits(withArgs(['--mem-per-cpu=1G'])))!, /asks the same memory/);
});

test('memory asked with --slurm-sbatch-arg=--mem=… is named as asked after an out-of-memory kill, and raised there', () => {
  const base = { number: 1, submitted_at: '2026-12-06T23:04:16Z', command: 'run', argv: ['ptychostudy', 'run'], version: '0', node: '/usr/bin/node', entry: '/x', cwd: '/',
    hub: null, steps: [], cancelled: [], rejected: null } as unknown as Submission;
  const withArgs = (sbatchArgs: string[], mem: string | null = null): Submission => ({ ...base, settings: { execution: { executor: 'slurm', slurm: { mem, sbatchArgs } } } });
  assert.equal(askedLimits(withArgs(['--constraint=haswell', '--mem=3G'])).memArg, '3G');
  assert.equal(askedLimits(withArgs(['--mem-per-cpu=1G'])).memArg, null);
  const oom = { key: 'dose_10000/dense/train', message: 'killed at its memory limit …', slurmState: 'OUT_OF_MEMORY' };
  // --mem in the list follows --slurm-mem among the job's options: it is the one SLURM applied
  const v = view([oom], askedLimits(withArgs(['--mem=3G'], '2G')));
  const advice = limitResumeAdvice(v, RESUME)!;
  assert.match(advice, /^lost 1 job to their tasks' memory limit \(--mem 3G, in --slurm-sbatch-arg\), which the hub records .*: ptychostudy run --out \/shared\/h2 --slurm-sbatch-arg=--mem=SIZE \(SIZE larger than 3G; --slurm-sbatch-arg replaces the whole list/);
  assert.doesNotMatch(advice, /cluster's default|--slurm-mem/);
  assert.match(repeatedLimitWarning(v, askedLimits(withArgs(['--mem=3G'], '2G')))!, /memory limit \(--mem 3G, in --slurm-sbatch-arg\), and this submission asks the same memory \(give a larger --slurm-sbatch-arg=--mem=…\)/);
  assert.equal(repeatedLimitWarning(v, askedLimits(withArgs(['--mem=8G'], '2G'))), null);
});
