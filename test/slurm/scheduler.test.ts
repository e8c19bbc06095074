/**
 * Reading SLURM's view of a job (scontrol records of real jobs, test/fixtures/slurm/) and the one line that
 * says why a task left no result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandTaskRange, parseSacct, parseScontrol, type JobRecord } from '../../src/study/slurm/scheduler.js';
import { describeFate, describeMissing, endedByItself, missingJobs, settledFates, taskFates, type TaskFate } from '../../src/study/slurm/fate.js';

const fixture = (name: string): JobRecord[] => parseScontrol(readFileSync(join('test', 'fixtures', 'slurm', `scontrol-${name}.txt`), 'utf8'));

test('scontrol records: state, reason, exit code, time limit and the pending range of an array', () => {
  const [t] = fixture('timeout');
  assert.equal(t!.state, 'TIMEOUT');
  assert.equal(t!.reason, 'TimeLimit');
  assert.equal(t!.timeLimit, '00:01:00');
  assert.equal(t!.exitCode, '0:15');
  assert.equal(t!.arrayTaskId, null);
  const [p] = fixture('pending-array');
  assert.equal(p!.state, 'PENDING');
  assert.equal(p!.reason, 'JobHeldUser');
  assert.equal(p!.arrayJobId, p!.jobId);
  assert.deepEqual(expandTaskRange(p!.arrayTaskId!), [0, 1, 3, 4, 5]);
  assert.deepEqual(expandTaskRange('0-17%2'), Array.from({ length: 18 }, (_, i) => i));
  assert.deepEqual(expandTaskRange('4'), [4]);
  assert.deepEqual(expandTaskRange('0-6:3'), [0, 3, 6]);
});

test('a task\'s fate: SLURM\'s reason in one line; a task removed from its array while queued is named so', () => {
  const as = (r: JobRecord, task: number): JobRecord => ({ ...r, arrayJobId: '900', arrayTaskId: String(task) });
  const records = [as(fixture('timeout')[0]!, 0), as(fixture('cancelled-running')[0]!, 1), as(fixture('failed')[0]!, 2)];
  const fates = taskFates('900', 4, [], records);
  assert.deepEqual(fates.map((f) => f.where), ['ended', 'ended', 'ended', 'gone']);
  assert.equal(describeFate(fates[0]!, null), 'killed by SLURM at its time limit (JobState=TIMEOUT, Reason=TimeLimit, TimeLimit=00:01:00); ' +
    'the limit is a task\'s, which takes its jobs one after another: resume with a longer --slurm-time or more --slurm-tasks');
  assert.match(describeFate(fates[1]!, null), /^cancelled \(JobState=CANCELLED\) — by scancel/);
  assert.equal(describeFate(fates[2]!, 'about to fail'),
    'ended without writing its result (JobState=FAILED, Reason=NonZeroExitCode, ExitCode=3:0); last line of its log: about to fail');
  assert.equal(describeFate(fates[3]!, null), 'cancelled while queued (SLURM removed the task from its array before it started)');
  // killed by a signal SLURM did not send (the kernel's OOM killer without memory cgroups, a kill -9): SLURM says
  // FAILED with Reason=JobLaunchFailure and ExitCode=0:9 (seen on the local cluster); the line names the signal
  assert.equal(describeFate({ ...fates[2]!, reason: 'JobLaunchFailure', exitCode: '0:9' }, 'reconstruct: job 3 …'),
    'killed by signal 9 (SIGKILL: the kernel\'s out-of-memory killer, or a kill -9) (JobState=FAILED, Reason=JobLaunchFailure, ExitCode=0:9); ' +
    'last line of its log: reconstruct: job 3 …');
  assert.match(describeFate({ ...fates[2]!, exitCode: '0:11' }, null), /^killed by signal 11 \(SIGSEGV\) \(JobState=FAILED/);
  // exit status 3 is not the worker's (0 or 1 after writing its result): no result is waited for
  assert.equal(endedByItself(fates[2]!), false);
  assert.equal(endedByItself({ ...fates[2]!, exitCode: '1:0' }), true);
  // SLURM no longer knows the job at all
  const forgotten = taskFates('901', 1, [], records)[0]!;
  assert.match(describeFate(forgotten, null), /SLURM no longer knows the job/);
  // queued and running tasks come from squeue
  const live = taskFates('112', 6, [{ id: '112_4', jobId: '112', task: 4, state: 'RUNNING', reason: 'None' }], fixture('pending-array'));
  assert.deepEqual(live.map((f) => f.where), ['queued', 'queued', 'gone', 'queued', 'running', 'queued']);
  const cancelled = taskFates('112', 6, [], fixture('cancelled-array'));
  // cancelled while held in the queue: SLURM's record gives it no node, so it is said never to have run …
  assert.equal(cancelled[0]!.nodeList, '');
  assert.equal(describeFate(cancelled[0]!, null),
    'cancelled before it started: it never ran (JobState=CANCELLED, Reason=JobHeldUser) — by scancel, `ptychostudy cancel` or an administrator');
  // … unless its claims show that it took jobs (requeued, then cancelled while queued again)
  assert.match(describeFate(cancelled[0]!, null, true), /^cancelled \(JobState=CANCELLED, Reason=JobHeldUser\) — by scancel/);
  // a task cancelled while it ran had a node
  assert.equal(fates[1]!.nodeList, 'vm');
  assert.doesNotMatch(describeFate(fates[1]!, null), /never ran/);
});

test('a task killed at its memory limit is named so, with the memory it asked and the setting that raises it', () => {
  const [n] = fixture('out-of-memory');
  assert.equal(n!.state, 'OUT_OF_MEMORY');
  assert.equal(n!.memory, 'MinMemoryNode=2G');
  const [c] = fixture('out-of-memory-per-cpu');
  assert.equal(c!.memory, 'MinMemoryCPU=1G');
  // a job that asked no memory (MinMemoryNode=0) names none
  assert.equal(fixture('timeout')[0]!.memory, '');
  const as = (r: JobRecord, task: number): JobRecord => ({ ...r, arrayJobId: '910', arrayTaskId: String(task) });
  const fates = taskFates('910', 3, [], [as(n!, 0), as(c!, 1), as({ ...n!, memory: '' }, 2)]);
  const slurmstepd = 'slurmstepd: error: Detected 1 oom-kill event(s) in StepId=910_0.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.';
  assert.equal(describeFate(fates[0]!, slurmstepd),
    'killed at its memory limit by the out-of-memory killer of the cgroup SLURM ran it in (JobState=OUT_OF_MEMORY, Reason=OutOfMemory, MinMemoryNode=2G); ' +
    `the limit is a task's and holds for each job it runs, one after another: resume with a larger --slurm-mem; last line of its log: ${slurmstepd}`);
  // asked per CPU (--slurm-sbatch-arg=--mem-per-cpu=…): --slurm-mem would be refused beside it, so that option is named
  assert.match(describeFate(fates[1]!, null), /\(JobState=OUT_OF_MEMORY, Reason=OutOfMemory, MinMemoryCPU=1G\); .*resume with a larger --slurm-sbatch-arg=--mem-per-cpu=…$/);
  assert.match(describeFate(fates[2]!, null), /\(JobState=OUT_OF_MEMORY, Reason=OutOfMemory\); .*resume with a larger --slurm-mem$/);
  // never the words of a task that ended by itself, nor of one the user cancelled
  assert.equal(endedByItself(fates[0]!), false);
  assert.doesNotMatch(describeFate(fates[0]!, null), /cancelled|time limit|without writing/);
});

test('a task still COMPLETING is asked again until SLURM says how it ended, so a time limit is not taken for an end of its own', async () => {
  const [completing, ended] = fixture('completing-timeout');
  assert.equal(completing!.state, 'COMPLETING');
  assert.equal(ended!.state, 'TIMEOUT');
  const as = (r: JobRecord): JobRecord => ({ ...r, arrayJobId: '920', arrayTaskId: '0' });
  const squeueSays = { id: '920_0', jobId: '920', task: 0, state: 'COMPLETING', reason: 'TimeLimit' };
  // what SLURM answers on each look: twice still COMPLETING (squeue and scontrol alike), then its end
  const looks = [[[squeueSays], [as(completing!)]], [[squeueSays], [as(completing!)]], [[], [as(ended!)]]] as const;
  let n = 0;
  const look = () => { const [q, r] = looks[Math.min(n++, looks.length - 1)]!; return taskFates('920', 1, q, r); };
  const slept: number[] = [];
  const fates = await settledFates(look, 60_000, 1000, async (ms) => { slept.push(ms); });
  assert.equal(n, 3);
  assert.deepEqual(slept, [1000, 1000]);
  const [m] = missingJobs([0], () => 0, fates);
  assert.match(describeMissing(m!, null), /^killed by SLURM at its time limit \(JobState=TIMEOUT, Reason=TimeLimit, TimeLimit=00:01:00\)/);
  // taken at the first look, the job was said to have ended without its result, and waited for as if the task had ended by itself
  const early = taskFates('920', 1, [squeueSays], [as(completing!)]);
  assert.equal(endedByItself(early[0]!), true);
  assert.match(describeMissing(missingJobs([0], () => 0, early)[0]!, null), /^ended without writing its result \(JobState=COMPLETING/);
  // bounded: a task that stays COMPLETING is taken as it is once the wait is over
  n = 0;
  const stuck = await settledFates(() => { n++; return early; }, 0, 1000, async () => {});
  assert.equal(stuck[0]!.state, 'COMPLETING');
  assert.equal(n, 1);
});

test('once scontrol has forgotten a job, sacct\'s records of its tasks (real ones, with slurmdbd) say what scontrol said of each', () => {
  // test/fixtures/slurm/: `sacct --noheader --parsable2 --jobs ID --format JobID,State,ExitCode,Timelimit,NodeList` and
  // `scontrol show job --oneliner ID` of the same jobs, taken one after the other
  const pair = (name: string): { sacct: JobRecord[]; scontrol: JobRecord[] } => {
    const id = /^(\d+)/.exec(readFileSync(join('test', 'fixtures', 'slurm', `sacct-${name}.txt`), 'utf8'))![1]!;
    return { sacct: parseSacct(readFileSync(join('test', 'fixtures', 'slurm', `sacct-${name}.txt`), 'utf8'), id), scontrol: fixture(name) };
  };
  const seen = (f: TaskFate): unknown[] => [f.task, f.where, f.state, f.exitCode, f.nodeList];
  for (const [name, tasks] of [['array-ended', 3], ['cancelled-held-array', 6], ['killed-array', 1], ['throttled-array', 5]] as const) {
    const { sacct, scontrol } = pair(name);
    const id = scontrol[0]!.arrayJobId!;
    assert.deepEqual(taskFates(id, tasks, [], sacct).map(seen), taskFates(id, tasks, [], scontrol).map(seen), name);
  }
  const ended = taskFates('3', 3, [], pair('array-ended').sacct);
  assert.deepEqual(ended.map((f) => [f.state, f.exitCode]), [['COMPLETED', '0:0'], ['FAILED', '3:0'], ['CANCELLED', '0:15']]);
  assert.equal(endedByItself(ended[0]!), true);
  assert.equal(describeFate(ended[2]!, null), 'cancelled (JobState=CANCELLED) — by scancel, `ptychostudy cancel` or an administrator');
  // cancelled while held: one record of the range, `CANCELLED by 0`, `None assigned`; task 2, cancelled alone before, is in neither
  const held = taskFates('4', 6, [], pair('cancelled-held-array').sacct);
  assert.deepEqual(held.map((f) => f.where), ['ended', 'ended', 'gone', 'ended', 'ended', 'ended']);
  assert.match(describeFate(held[0]!, null), /^cancelled before it started: it never ran \(JobState=CANCELLED\)/);
  assert.equal(describeFate(held[2]!, null), 'cancelled while queued (SLURM removed the task from its array before it started)');
  assert.match(describeFate(taskFates('8', 1, [], pair('killed-array').sacct)[0]!, null), /^killed by signal 9 \(SIGKILL: .*\) \(JobState=FAILED, ExitCode=0:9\)$/);
  // a job killed at its time limit: its own line says 0:0, its batch step the SIGTERM SLURM sent, as scontrol does
  const { sacct: [t], scontrol: [u] } = pair('timeout-accounted');
  assert.deepEqual([t!.state, t!.exitCode, t!.timeLimit, t!.nodeList], [u!.state, u!.exitCode, u!.timeLimit, u!.nodeList]);
  assert.deepEqual([t!.state, t!.exitCode, t!.timeLimit], ['TIMEOUT', '0:15', '00:01:00']);
  // another job's lines (3760 is not 37600) and other steps are not taken
  const text = '3760_0|TIMEOUT|0:0|00:01:00|vm\n3760_0.batch|CANCELLED|0:15||vm\n3760_0.extern|COMPLETED|0:0||vm\n37600_0|TIMEOUT|0:0|00:01:00|vm\n';
  assert.deepEqual(parseSacct(text, '3760').map((r) => [r.jobId, r.exitCode]), [['3760_0', '0:15']]);
  // no accounting (sacct: "Slurm accounting storage is disabled", exit status 1) leaves the job forgotten, said so
  assert.match(describeFate(taskFates('3760', 1, [], parseSacct('', '3760'))[0]!, null), /SLURM no longer knows the job .*sacct/);
});
