/**
 * How a step's jobs are shared among the tasks of its array: the number of tasks, the order in which a
 * task tries the jobs, the one-taker-per-job claim (raced by processes), and what a job left without a
 * result is recorded as, from the fate of the task that took it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseStudySettings } from '../../src/settings/parse.js';
import { describeMissing, mayStillRun, missingJobs, type TaskFate } from '../../src/study/slurm/fate.js';
import { claimJob, readClaim, replaceClaim, slurmPaths, type Claim, type StepRecord, type TaskResult } from '../../src/study/slurm/records.js';
import { parsePartitionCpus } from '../../src/study/slurm/scheduler.js';
import { arrayTaskCount, homesWriting, prepareHomes } from '../../src/study/slurm/submit.js';
import { InputError } from '../../src/errors.js';
import { jobOrder, missingFailure, readAllResults, takeBackJobs } from '../../src/study/slurm/task.js';

test('array size: slurm.tasks when set, else the partition\'s CPUs ÷ CPUs per task, else one task per job; never more than the jobs', () => {
  const s = (slurm: Record<string, unknown>) => parseStudySettings({ execution: { slurm } } as never);
  let asked = 0;
  const cpus = (n: number | null) => () => { asked++; return n; };
  assert.equal(arrayTaskCount(18, s({}), cpus(2)), 2);
  assert.equal(arrayTaskCount(18, s({}), cpus(64)), 18);
  assert.equal(arrayTaskCount(18, s({ cpusPerTask: 4 }), cpus(32)), 8);
  assert.equal(arrayTaskCount(18, s({ cpusPerTask: 4 }), cpus(2)), 1, 'a partition smaller than one task still gets one');
  assert.equal(arrayTaskCount(18, s({}), cpus(null)), 18, 'sinfo cannot tell: one task per job');
  asked = 0;
  assert.equal(arrayTaskCount(18, s({ tasks: 5 }), cpus(2)), 5);
  assert.equal(arrayTaskCount(3, s({ tasks: 5 }), cpus(2)), 3);
  assert.equal(asked, 0, 'with slurm.tasks set, sinfo is not asked');
  assert.equal(arrayTaskCount(0, s({}), cpus(2)), 0);
  assert.equal(arrayTaskCount(18, parseStudySettings({ execution: { jobs: 7 } }), cpus(2)), 2, 'execution.jobs is the local executor\'s');
});

test('sinfo\'s %P|%C: the total CPUs of the named partition, or of the default one (marked *)', () => {
  const text = 'debug*|0/2/0/2\ngpu|8/24/0/32\ngpu|0/16/0/16\nlong|x/y\n';
  assert.equal(parsePartitionCpus(text, null), 2);
  assert.equal(parsePartitionCpus(text, 'gpu'), 48);
  assert.equal(parsePartitionCpus(text, 'debug'), 2);
  assert.equal(parsePartitionCpus(text, 'long'), null);
  assert.equal(parsePartitionCpus(text, 'none'), null);
  assert.equal(parsePartitionCpus('', null), null);
});

test('a task tries its own job first, then every other job in order', () => {
  assert.deepEqual(jobOrder(0, 5), [0, 1, 2, 3, 4]);
  assert.deepEqual(jobOrder(1, 5), [1, 0, 2, 3, 4]);
  assert.deepEqual(jobOrder(3, 3), [0, 1, 2], 'a task beyond the jobs has no own job');
});

test('six processes racing to claim 40 jobs: every job is taken exactly once, and each claim names its taker', { timeout: 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'ptychostudy-claims-'));
  try {
    const records = pathToFileURL(resolve('dist/src/study/slurm/records.js')).href;
    const go = Date.now() + 1500;
    const racers = Array.from({ length: 6 }, (_, t) => new Promise<number[]>((done, fail) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e',
        `const { claimJob } = await import(${JSON.stringify(records)});` +
        `while (Date.now() < ${go}) {}` +
        `const mine = [];` +
        `for (let j = 0; j < 40; j++) if (claimJob(${JSON.stringify(home)}, 1, 'compare', j, { array_task: ${t}, slurm_job: null, host: 'h', pid: process.pid, claimed_at: '2026-01-01T00:00:00Z' })) mine.push(j);` +
        `console.log(JSON.stringify(mine));`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d) => { out += String(d); });
      child.once('exit', (code) => (code === 0 ? done(JSON.parse(out) as number[]) : fail(new Error(`racer ${t} exited ${code}`))));
    }));
    const taken = await Promise.all(racers);
    const all = taken.flat().sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 40 }, (_, j) => j), 'each job once');
    for (const [t, jobs] of taken.entries()) for (const j of jobs) assert.equal(readClaim(home, 1, 'compare', j)!.array_task, t);
    assert.deepEqual(readdirSync(join(home, 'slurm', '1', 'compare', 'claims')).filter((n) => n.startsWith('.tmp-')), [], 'no temporary left');
    assert.equal(claimJob(home, 1, 'compare', 7, { array_task: 9, slurm_job: null, host: 'h', pid: 1, claimed_at: '2026-01-01T00:00:00Z' }), false);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a requeued task takes back the jobs its earlier run took and left without a result, and only those', () => {
  const at = '2026-01-01T00:00:00Z';
  const claims = new Map<number, Claim>([
    [0, { array_task: 1, slurm_job: '77_1', host: 'n1', pid: 10, claimed_at: at }], // run 1 of 77_1, no result: taken back
    [1, { array_task: 0, slurm_job: '77_0', host: 'n2', pid: 11, claimed_at: at }], // another task's
    [2, { array_task: 1, slurm_job: '77_1', host: 'n1', pid: 10, claimed_at: at }], // run 1 of 77_1, with a result
    [3, { array_task: 1, slurm_job: '77_1', host: 'n3', pid: 12, claimed_at: at, restart: 1 }], // run 2, no result
    [4, { array_task: 1, slurm_job: '66_1', host: 'n1', pid: 13, claimed_at: at }], // an older array's task 1
  ]);
  const claimOf = (j: number): Claim | null => claims.get(j) ?? null;
  const hasResult = (j: number): boolean => j === 2;
  const jobs = (slurmJob: string | null, restart: number): number[] => {
    const back = takeBackJobs(6, slurmJob, restart, claimOf, hasResult);
    for (const { job, claim } of back) assert.deepEqual(claim, claims.get(job), `job ${job} comes back with the claim it was taken by`);
    return back.map((b) => b.job);
  };
  assert.deepEqual(jobs('77_1', 1), [0], 'after the first requeue: run 1\'s job without a result');
  assert.deepEqual(jobs('77_1', 2), [0, 3], 'after the second: runs 1 and 2');
  assert.deepEqual(jobs('77_1', 0), [], 'a task never requeued takes nothing back');
  assert.deepEqual(jobs(null, 1), [], 'outside SLURM nothing is taken back');
  assert.deepEqual(jobs('77_0', 1), [1], 'task 0, requeued, takes back its own job only');
});

test('a claim replaced by the requeued task keeps the earlier one; a claim written before restarts existed still reads', () => {
  const home = mkdtempSync(join(tmpdir(), 'ptychostudy-claims-'));
  try {
    const first = { array_task: 1, slurm_job: '77_1', host: 'n1', pid: 10, claimed_at: '2026-01-01T00:00:00Z' };
    assert.equal(claimJob(home, 1, 'reconstruct', 0, first), true);
    assert.deepEqual(readClaim(home, 1, 'reconstruct', 0), first);
    replaceClaim(home, 1, 'reconstruct', 0, { ...first, host: 'n2', pid: 20, restart: 1, taken_back_from: first });
    const now = readClaim(home, 1, 'reconstruct', 0)!;
    assert.equal(now.pid, 20);
    assert.equal(now.restart, 1);
    assert.deepEqual(now.taken_back_from, first);
    assert.equal(claimJob(home, 1, 'reconstruct', 0, { ...first, array_task: 0 }), false, 'still taken: no other task gets it');
    assert.deepEqual(readdirSync(join(home, 'slurm', '1', 'reconstruct', 'claims')), ['0.json']);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('merging after each job, a task reads each result file once: results read before come from memory', () => {
  const home = mkdtempSync(join(tmpdir(), 'ptychostudy-results-'));
  try {
    const record: StepRecord = { step: 'compare', job_id: '5', script: 'slurm/compare.sbatch', tasks: ['a', 'b', 'c'], array_tasks: 2, depends_on: null, options: {} };
    const result = (job: number): TaskResult => ({
      schema_version: 1, step: 'compare', key: record.tasks[job]!, task: job, array_task: job % 2, slurm_job: `5_${job % 2}`, host: 'n1', pid: 7,
      status: 'ok', error: null, started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:01Z', seconds: 1, cpu_seconds: 1, payload: { job },
    });
    const paths = slurmPaths(home);
    mkdirSync(paths.results(1, 'compare'), { recursive: true });
    writeFileSync(paths.result(1, 'compare', 0), JSON.stringify(result(0)));
    writeFileSync(paths.result(1, 'compare', 2), JSON.stringify(result(2)));
    assert.deepEqual([...readAllResults(home, 1, record).keys()], [0, 2]);
    writeFileSync(paths.result(1, 'compare', 1), JSON.stringify(result(1)));
    // Result 0, read already, is not read again: a broken copy on disk now goes unnoticed by this process…
    writeFileSync(paths.result(1, 'compare', 0), '{ broken');
    const all = readAllResults(home, 1, record);
    assert.deepEqual([...all.keys()], [0, 1, 2], 'the new result is read');
    assert.deepEqual(all.get(0), result(0));
    writeFileSync(paths.result(1, 'compare', 1), '{ broken');
    assert.deepEqual(readAllResults(home, 1, record).get(1), result(1), 'result 1 was read once already');
    // A result not read before is read from its file, and a broken one is an error naming it.
    const fresh = mkdtempSync(join(tmpdir(), 'ptychostudy-results-'));
    try {
      mkdirSync(slurmPaths(fresh).results(1, 'compare'), { recursive: true });
      writeFileSync(slurmPaths(fresh).result(1, 'compare', 0), '{ broken');
      assert.throws(() => readAllResults(fresh, 1, record), (e: unknown) => e instanceof Error && /0\.json: the task result is not valid JSON/.test(e.message));
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the homes that write a root: a hub and its phase roots, a phase root and its hub; a broken jobs record is an error, a missing one is none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-homes-'));
  try {
    const hub = join(dir, 'hub');
    assert.deepEqual(homesWriting(hub, true), [hub, ...['phase_c', 'phase_d', 'phase_f', 'phase_g'].map((p) => join(hub, p))]);
    assert.deepEqual(homesWriting(join(hub, 'phase_f'), false), [join(hub, 'phase_f'), hub]);
    assert.deepEqual(homesWriting(join(hub, 'elsewhere'), false), [join(hub, 'elsewhere')]);
    writeFileSync(join(dir, 'file'), 'x');
    await prepareHomes(join(dir, 'file'), homesWriting(join(dir, 'file'), false), true); // no directory: no record
    mkdirSync(join(hub, 'slurm'), { recursive: true });
    writeFileSync(join(hub, 'slurm', 'jobs.json'), '{ broken');
    await assert.rejects(prepareHomes(join(hub, 'phase_f'), homesWriting(join(hub, 'phase_f'), false), true),
      (e: unknown) => e instanceof InputError && e.message.startsWith(`${join(hub, 'slurm', 'jobs.json')}: the SLURM jobs record is not valid JSON`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const fate = (task: number, where: TaskFate['where'], state: string | null, extra: Partial<TaskFate> = {}): TaskFate => ({
  task, id: `77_${task}`, where, state, reason: null, exitCode: null, timeLimit: null, nodeList: null, arrayKnown: true, ...extra,
});

test('a job without a result: the fate of the task that took it, or, untaken, of the task of its own index', () => {
  const fates = [
    fate(0, 'ended', 'TIMEOUT', { timeLimit: '00:01:00' }),
    fate(1, 'ended', 'CANCELLED', { reason: 'JobHeldUser' }),
  ];
  const claims = new Map([[4, 0], [5, 1]]);
  const m = missingJobs([2, 3, 4, 5], (j) => claims.get(j) ?? null, fates);
  assert.deepEqual(m.map((x) => [x.job, x.arrayTask, x.claimed]), [[2, 0, false], [3, 1, false], [4, 0, true], [5, 1, true]]);
  assert.ok(m.every((x) => !mayStillRun(x, fates)));
  assert.match(describeMissing(m[2]!, 'epoch 7/50'), /^killed by SLURM at its time limit \(JobState=TIMEOUT, TimeLimit=00:01:00\); the limit is a task's, .* a longer --slurm-time or more --slurm-tasks$/);
  // Job 2 was not taken: task 0 was killed at its time limit in another job, before reaching it — it never ran (was: the time limit alone)
  assert.equal(describeMissing(m[0]!, null), 'ended before reaching this job, which no task took and which never ran: killed by SLURM at its time limit ' +
    '(JobState=TIMEOUT, TimeLimit=00:01:00); the limit is a task\'s, which takes its jobs one after another: resume with a longer --slurm-time or more --slurm-tasks');
  // No task took job 3: it never ran, whatever became of the task of its index.
  assert.equal(describeMissing(m[1]!, null),
    'cancelled before any task took it: it never ran (its task 77_1: JobState=CANCELLED, Reason=JobHeldUser) — by scancel, `ptychostudy cancel` or an administrator');
  // Job 5 was taken by task 1: cancelled, not said never to have run, even where SLURM's record shows no node (requeued).
  assert.match(describeMissing(m[3]!, null), /^cancelled \(JobState=CANCELLED, Reason=JobHeldUser\) — by scancel/);
  // the failure records the JobState of the task it is blamed on, taken or not: the closing line names the limit from it
  assert.deepEqual([m[0]!, m[2]!].map((x) => missingFailure(x, `key ${x.job}`, null).slurm_state), ['TIMEOUT', 'TIMEOUT']);
  assert.equal(missingFailure(m[3]!, 'key 5', null).slurm_state, 'CANCELLED');
  assert.equal(missingFailure(missingJobs([1], () => null, [fate(0, 'gone', null)])[0]!, 'key 1', null).slurm_state, undefined);
  const held = missingJobs([3, 5], (j) => claims.get(j) ?? null, [fates[0]!, { ...fates[1]!, nodeList: '' }]);
  assert.match(describeMissing(held[0]!, null), /^cancelled before it started: it never ran \(JobState=CANCELLED, Reason=JobHeldUser\)/);
  assert.match(describeMissing(held[1]!, null), /^cancelled \(JobState=CANCELLED, Reason=JobHeldUser\) — by scancel/);
  // Tasks that ran to their end and never took a job: said so, not blamed on SLURM.
  const ended = [fate(0, 'ended', 'COMPLETED', { exitCode: '0:0' }), fate(1, 'ended', 'COMPLETED', { exitCode: '0:0' })];
  const untaken = missingJobs([3], () => null, ended);
  assert.equal(describeMissing(untaken[0]!, null), 'was never taken: every task of its array ended before reaching it');
  // A taken job waits while its task runs; an untaken one while any task of the array may still take it.
  const live = [fate(0, 'running', 'RUNNING'), fate(1, 'ended', 'COMPLETED', { exitCode: '0:0' })];
  const [taken1, untaken1] = missingJobs([5, 6], (j) => (j === 5 ? 1 : null), live);
  assert.equal(mayStillRun(taken1!, live), false, 'its task ended: nothing more will come');
  assert.equal(mayStillRun(untaken1!, live), true, 'task 0 still runs and may take it');
  const [taken0] = missingJobs([5], () => 0, live);
  assert.equal(mayStillRun(taken0!, live), true);
});
