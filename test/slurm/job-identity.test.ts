/**
 * Which of SLURM's records of a job id is the hub's job, on real output of a reused id (test/fixtures/slurm/README.md:
 * job 1 of this cluster given again after its ids wrapped at MaxJobId) and of a requeued array task.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSacct, parseScontrol, slurmUtcTime } from '../../src/study/slurm/scheduler.js';
import { describeFate, taskFates } from '../../src/study/slurm/fate.js';
import { CLOCK_SKEW_MS, describeOtherJob, isHubsJob, recordsOf, scriptJobName, type JobIdentity } from '../../src/study/slurm/identity.js';

const text = (name: string): string => readFileSync(join('test', 'fixtures', 'slurm', `${name}.txt`), 'utf8');
const identity = (name: string, submittedAt: string, nextSubmittedAt: string | null = null): JobIdentity => ({ jobId: '1', name, submittedAt, nextSubmittedAt });

test('scontrol and sacct give each record its job\'s name and submit time, in UTC as the hub writes its own', () => {
  const scontrol = parseScontrol(text('scontrol-reused-id'));
  assert.deepEqual(scontrol.map((r) => [r.jobId, r.arrayTaskId, r.name, r.submitTime]),
    [['1', '1', 'reused-probe', '2026-12-07T14:47:03Z'], ['1086', '0', 'reused-probe', '2026-12-07T14:47:03Z']]);
  // --duplicates: both jobs SLURM gave the id 1, oldest first; each batch step's exit code goes to the record before it
  const sacct = parseSacct(text('sacct-reused-id'), '1');
  assert.deepEqual(sacct.map((r) => [r.jobId, r.state, r.exitCode, r.name, r.submitTime]), [
    ['1', 'FAILED', '3:0', 'j.sh', '2026-12-07T11:49:59Z'],
    ['1_0', 'COMPLETED', '0:0', 'reused-probe', '2026-12-07T14:47:03Z'],
    ['1_1', 'COMPLETED', '0:0', 'reused-probe', '2026-12-07T14:47:03Z'],
  ]);
  // without it, sacct holds back the older job of the id
  assert.deepEqual(parseSacct(text('sacct-reused-id-latest'), '1').map((r) => r.name), ['reused-probe', 'reused-probe']);
  assert.deepEqual(['2026-12-07T14:47:03', 'Unknown', 'None', '14:47:03', undefined].map(slurmUtcTime), ['2026-12-07T14:47:03Z', '', '', '', '']);
  // a name with spaces (and sacct's field separator) is read whole
  assert.deepEqual(parseScontrol(text('scontrol-name-with-spaces')).map((r) => [r.name, r.state]), [['my study | two', 'PENDING']]);
});

test('of a reused id, the hub\'s job is the record with its name submitted within its submission; another job is named as such', () => {
  const scontrol = parseScontrol(text('scontrol-reused-id'));
  const sacct = parseSacct(text('sacct-reused-id'), '1');
  // the newer job's submission: scontrol's records and sacct's of the array are its own, the old job 1 another's
  const newer = identity('reused-probe', '2026-12-07T14:47:02Z');
  assert.equal(recordsOf(scontrol, newer).mine.length, 2);
  assert.deepEqual(recordsOf(sacct, newer).mine.map((r) => r.jobId), ['1_0', '1_1']);
  assert.equal(recordsOf(sacct, newer).other?.name, 'j.sh');
  // the older job's, whose home submitted again at 12:00: scontrol shows only the newer job; sacct holds the older one
  const older = identity('j.sh', '2026-12-07T11:49:58Z', '2026-12-07T12:00:00Z');
  assert.deepEqual(recordsOf(scontrol, older).mine, []);
  assert.deepEqual(recordsOf(sacct, older).mine.map((r) => [r.jobId, r.state, r.exitCode]), [['1', 'FAILED', '3:0']]);
  assert.deepEqual(recordsOf(parseSacct(text('sacct-reused-id-latest'), '1'), older).mine, []);
  // a hub's array of that id that neither holds: its tasks are gone, and the line names the job that has the id now
  const hub = identity('generate-fly64', '2026-12-07T11:49:50Z');
  const { mine, other } = recordsOf([...scontrol, ...sacct], hub);
  assert.deepEqual(mine, []);
  assert.deepEqual([other?.name, other?.submitTime], ['reused-probe', '2026-12-07T14:47:03Z']);
  const fates = taskFates('1', 2, [], mine, describeOtherJob('1', other!, hub));
  assert.deepEqual(fates.map((f) => f.where), ['gone', 'gone']);
  assert.equal(describeFate(fates[0]!, null), 'left no result, and SLURM no longer knows the job: job 1 is now another job (name reused-probe, ' +
    'submitted 2026-12-07T14:47:03Z; the hub\'s job: name generate-fly64, submitted at or after 2026-12-07T11:49:50Z), and sacct holds no record of this hub\'s job');
  // what the records say when taken whatever job they are of: the other job's tasks completed
  assert.deepEqual(taskFates('1', 2, [], scontrol).map((f) => f.state), ['COMPLETED', 'COMPLETED']);
});

test('the submit times a hub\'s job may have: from its submission less the clock difference munge allows, requeues included, before its next submission', () => {
  const r = { name: 'probe-x', submitTime: '2026-12-07T14:42:27Z' };
  const at = (ms: number): string => new Date(Date.parse(r.submitTime) + ms).toISOString().replace(/\.000Z$/, 'Z');
  assert.equal(isHubsJob(r, identity('probe-x', at(-1000))), true);
  assert.equal(isHubsJob(r, identity('probe-x', at(CLOCK_SKEW_MS))), true, 'the submitting machine\'s clock ahead of slurmctld\'s');
  assert.equal(isHubsJob(r, identity('probe-x', at(CLOCK_SKEW_MS + 1000))), false);
  assert.equal(isHubsJob(r, identity('probe-x', at(-60_000), at(0))), false, 'taken once the next submission had begun');
  assert.equal(isHubsJob(r, identity('probe-y', at(-1000))), false);
  assert.equal(isHubsJob({ name: 'probe-x', submitTime: '' }, identity('probe-x', at(-1000))), false);
  // a requeued task: sacct --duplicates holds each run, the later one submitted at its requeue; the task's fate is the last run's
  const sacct = parseSacct(text('sacct-requeued-array'), '1008');
  assert.deepEqual(sacct.map((r) => [r.jobId, r.state, r.exitCode, r.submitTime]), [
    ['1008_0', 'REQUEUED', '0:0', '2026-12-07T14:42:27Z'], ['1008_1', 'COMPLETED', '0:0', '2026-12-07T14:42:27Z'], ['1008_0', 'COMPLETED', '0:0', '2026-12-07T14:42:30Z'],
  ]);
  const hub = identity('probe-x', '2026-12-07T14:42:26Z');
  assert.equal(recordsOf(sacct, hub).mine.length, 3);
  assert.deepEqual(taskFates('1008', 2, [], recordsOf(sacct, hub).mine).map((f) => [f.state, f.exitCode]), [['COMPLETED', '0:0'], ['COMPLETED', '0:0']]);
  const scontrol = parseScontrol(text('scontrol-requeued-array'));
  assert.deepEqual(scontrol.map((r) => [r.arrayTaskId, r.submitTime]), [['1', '2026-12-07T14:42:27Z'], ['0', '2026-12-07T14:42:30Z']]);
  assert.equal(recordsOf(scontrol, hub).mine.length, 2);
});

test('the job name a step script gave sbatch: its last --job-name or -J line', () => {
  const script = '#!/bin/bash\n#SBATCH --job-name=generate-fly64\n#SBATCH --array=0-3\nset -eu\n';
  assert.equal(scriptJobName(script, 'x'), 'generate-fly64');
  assert.equal(scriptJobName(`${script}#SBATCH --job-name="my study"\n`, 'x'), 'my study');
  assert.equal(scriptJobName(`${script}#SBATCH -J mine\n`, 'x'), 'mine');
  assert.equal(scriptJobName('#!/bin/bash\nexec true\n', 'generate-x'), 'generate-x');
});
