/**
 * What a SLURM array task does (`ptychostudy worker --hub H --submission N --step S --task I`), and the
 * merge steps that make the evidence whole:
 *
 *   1. the steps before this one ended (the array depends on them, afterany): each is finalized first
 *      (idempotent; usually a no-op) so this phase reads complete evidence;
 *   2. the step is started once (the first task, under the home's lock: Phase F's lock, resume check and
 *      run id, Phase G's plan and run id), and every later task reads that start record;
 *   3. the task takes the step's jobs one at a time — its own index first, then the next job no task
 *      has taken (claims/<job>.json, one taker per job) — until none is left; each job runs the phase's
 *      own code, `runJobs(plan, [job])`. A task that SLURM requeued first takes back the jobs its earlier
 *      run had taken and left without a result (`takeBackJobs`);
 *   4. each job's result is written atomically as `results/<job>.json` — from here on nothing can lose it;
 *   5. every result so far is merged into the phase's evidence under the lock, after each job;
 *   6. when every job of the step has a result, the step is finalized (and, after the last step, the
 *      whole submission with its report: worker.ts).
 *
 * An array has as many tasks as jobs can run at once (submit.ts), not one per job: every task that ends
 * costs a scheduling round (slurmd holds a finished task's CPUs about a second), which for jobs of a
 * second or two doubled a study's time.
 *
 * A step is finalized (final.json, written once) by whoever first sees it ended: its last task, the first
 * task of the next step, the finish job, or a command following the run (`run`, `status`, `cancel`).
 * Finalizing waits while a task may still write a result; a job left without one gets a failure with the
 * reason SLURM gives for the task that took it (fate.ts), merged as that job's failure.
 */
import { existsSync, mkdirSync, closeSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../../errors.js';
import { writeJsonAtomic } from '../../files/atomic.js';
import { utcSeconds } from '../../files/dirs.js';
import { openForReading } from '../../files/regular.js';
import { parseStudySettings } from '../../settings/parse.js';
import type { StudySettings, StudySettingsInput } from '../../settings/schema.js';
import { compareInputs, compareOutputs, phaseCContent, phaseDContent } from '../run/fingerprints.js';
import { readRunState, refusedSbatchArg, withSbatchArgs, writeRunState, type PhaseRecord } from '../run/state.js';
import { describeMissing, endedByItself, mayStillRun, missingJobs, settledFates, taskFates, type MissingJob, type TaskFate } from './fate.js';
import { withMergeLock } from './merge-lock.js';
import {
  arrayTasksOf, claimJob, readClaim, readJobs, readRecord, readResult, readStartRecord, readSubmission, replaceClaim, slurmPaths, StepFinalSchema,
  type ArrayStep, type Claim, type StepFinal, type StepRecord, type Submission, type TaskResult,
} from './records.js';
import { describeOtherJob, jobIdentity, queueOf, recordsOf } from './identity.js';
import { sacctJob, scontrolJob, squeue } from './scheduler.js';
import { loadStep } from './steps/index.js';
import type { ClusterStep, StepContext, TaskFailure, TaskOutcome } from './steps/step.js';
import { taskThreads } from './threads.js';

/** How long a finalize waits for the result of a task that ran to its end but whose file is not visible yet. */
export const RESULT_GRACE_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export function contextOf(home: string, submission: Submission, record: StepRecord): StepContext {
  return { home, submission, record, settings: submissionSettings(submission) };
}

/** The settings a submission's tasks run with, parsed from its record (as each task parses them). */
export function submissionSettings(submission: Submission): StudySettings {
  return parseStudySettings(submittedSettings(submission.settings as StudySettingsInput));
}

/**
 * The settings a submission's tasks parse. Its sbatch options served when it was submitted and no step reads them: a list
 * an earlier version recorded holding one that every job script now sets itself (`--output=…`) is read as none, so the
 * jobs it submitted are still finalized by this version (the record itself is not changed).
 */
function submittedSettings(recorded: StudySettingsInput): StudySettingsInput {
  const args = recorded.execution?.slurm?.sbatchArgs;
  return Array.isArray(args) && args.some(refusedSbatchArg) ? withSbatchArgs(recorded, []) as StudySettingsInput : recorded;
}

/** The home's lock: every merge, start and record update of a cluster run takes it. */
export function homeLock<T>(home: string, fn: () => T | Promise<T>): Promise<T> {
  return withMergeLock(slurmPaths(home).lock, 'ptychostudy merge', 'hub', fn);
}

/** Merges under the home's lock and, inside it, the phase's own lock (always in that order). */
function mergeLocks<T>(home: string, step: ClusterStep, ctx: StepContext, fn: () => Promise<T>): Promise<T> {
  return homeLock(home, () => {
    const inner = step.phaseLock(ctx);
    return inner === null ? fn() : withMergeLock(inner, 'ptychostudy merge', `${step.name} root`, fn);
  });
}

/** The step's start record, made by the first caller (under the home's lock; the phase's own lock inside `start`). */
async function ensureStarted(ctx: StepContext, step: ClusterStep): Promise<unknown> {
  const path = slurmPaths(ctx.home).start(ctx.submission.number, step.name);
  const existing = readStartRecord(path);
  if (existing !== undefined) return existing;
  return homeLock(ctx.home, async () => {
    const again = readStartRecord(path);
    if (again !== undefined) return again;
    mkdirSync(slurmPaths(ctx.home).step(ctx.submission.number, step.name), { recursive: true });
    const start = await step.start(ctx);
    writeJsonAtomic(path, start);
    return start;
  });
}

/** The last line a task printed (from the end of its SLURM log), or null. */
function lastLogLine(path: string): string | null {
  let fd: number, size: number;
  try {
    ({ fd, size } = openForReading(path)); // a named pipe in its place: no line, rather than a wait for a writer
  } catch {
    return null;
  }
  try {
    const n = Math.min(size, 4096);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    const line = lines[lines.length - 1];
    return line === undefined ? null : line.length > 300 ? `${line.slice(0, 300)}…` : line;
  } finally {
    closeSync(fd);
  }
}

/**
 * Results this process has read, by file. A result is written once, whole, and never changed (a job has
 * one taker and one result per submission), so a task that merges after each of its jobs reads each
 * result once instead of every result at every merge (n² reads for a step of n jobs).
 */
const resultsRead = new Map<string, TaskResult>();

/** Every result of a step so far, by job index (read by name; those read before from memory). */
export function readAllResults(home: string, n: number, record: StepRecord): Map<number, TaskResult> {
  const out = new Map<number, TaskResult>();
  const paths = slurmPaths(home);
  for (let t = 0; t < record.tasks.length; t++) {
    const path = paths.result(n, record.step as ArrayStep, t);
    let r = resultsRead.get(path) ?? null;
    if (r === null) {
      r = readResult(home, n, record.step as ArrayStep, t);
      if (r !== null) resultsRead.set(path, r);
    }
    if (r !== null) out.set(t, r);
  }
  return out;
}

/** Failed results that carry no phase record (the task's job threw before the phase could write one). */
function asFailures(results: Iterable<TaskResult>): TaskFailure[] {
  return [...results].filter((r) => r.status === 'failed' && (r.payload === null || r.payload === undefined))
    .map((r) => ({ task: r.task, key: r.key, slurm_job: r.slurm_job, message: `failed: ${r.error ?? 'no reason given'}` }));
}

/** run.json's record of a phase, when the submission is a whole study's. */
export function recordPhase(submission: Submission, phase: ArrayStep | 'report', status: 'complete' | 'failed', detail: string,
  extra: Pick<PhaseRecord, 'failures' | 'inputs_sha256' | 'outputs_sha256'> = {}): void {
  if (submission.hub === null) return;
  const state = readRunState(submission.hub);
  if (state === null) return;
  const prev = state.phases[phase];
  const started = prev?.started ?? utcSeconds();
  const finished = utcSeconds();
  // The fields in the order a local run writes them (run.json then has the same bytes, times aside).
  state.phases[phase] = {
    status, started, finished, seconds: Math.max(0, (Date.parse(finished) - Date.parse(started)) / 1000), detail, ...extra,
  };
  writeRunState(submission.hub, state);
}

/**
 * The failure recorded for a job left without a result: why, in one line (describeMissing), and the JobState of the
 * task it is blamed on (`TIMEOUT`, `OUT_OF_MEMORY`…), by which the closing line names the limit to raise.
 */
export function missingFailure(m: MissingJob, key: string, logLine: string | null): TaskFailure {
  return { task: m.job, key, slurm_job: m.fate.id, message: describeMissing(m, logLine), ...(m.fate.state !== null ? { slurm_state: m.fate.state } : {}) };
}

export interface FinalizeOptions {
  /** Who finalizes (recorded in final.json): `task 3 of reconstruct`, `the finish job`, `ptychostudy status`… */
  by: string;
  resultGraceMs?: number;
}

/**
 * Finalizes one step of a submission: the last merge, with a failure for every task that left no result,
 * written once as final.json. Returns null while a task of the step may still write its result.
 */
export async function finalizeStep(home: string, submission: Submission, record: StepRecord, opts: FinalizeOptions): Promise<StepFinal | null> {
  const name = record.step as ArrayStep;
  const n = submission.number;
  const paths = slurmPaths(home);
  const finalPath = paths.final(n, name);
  const done = readRecord(finalPath, StepFinalSchema, 'step record');
  if (done !== null) return done;
  let results = readAllResults(home, n, record);
  let fates: TaskFate[] = [];
  const missing = (): number[] => record.tasks.map((_, j) => j).filter((j) => !results.has(j));
  const claimedBy = (j: number): number | null => readClaim(home, n, name, j)?.array_task ?? null;
  const jobId = record.job_id;
  const arrayTasks = arrayTasksOf(record);
  if (missing().length > 0 && jobId !== null) {
    // once scontrol has forgotten the job (MinJobAge after its end), SLURM's accounting may still hold each task's end;
    // of either, only the records of the hub's own job: the id may name another job now (identity.ts)
    const id = jobIdentity(home, readJobs(home), submission, record)!;
    const look = (): TaskFate[] => {
      const byScontrol = recordsOf(scontrolJob(jobId), id);
      const bySacct = byScontrol.mine.length > 0 ? null : recordsOf(sacctJob(jobId), id);
      const records = bySacct === null ? byScontrol.mine : bySacct.mine;
      const other = records.length > 0 ? null : byScontrol.other ?? bySacct?.other ?? null;
      return taskFates(jobId, arrayTasks, queueOf(squeue([jobId]), id), records, other === null ? null : describeOtherJob(jobId, other, id));
    };
    // a task still COMPLETING shows neither how it ended nor whether it wrote its result: asked again until it has ended
    fates = await settledFates(look, opts.resultGraceMs ?? RESULT_GRACE_MS);
    if (missingJobs(missing(), claimedBy, fates).some((m) => mayStillRun(m, fates))) return null;
    // A task that ran to its end wrote its results before it exited; a shared file system may show them late.
    const deadline = Date.now() + (opts.resultGraceMs ?? RESULT_GRACE_MS);
    while (missingJobs(missing(), claimedBy, fates).some((m) => m.claimed && endedByItself(m.fate)) && Date.now() < deadline) {
      await sleep(1000);
      results = readAllResults(home, n, record);
    }
  }
  const ctx = contextOf(home, submission, record);
  const step = await loadStep(name);
  return homeLock(home, async () => {
    const again = readRecord(finalPath, StepFinalSchema, 'step record');
    if (again !== null) return again;
    results = readAllResults(home, n, record);
    const killed: TaskFailure[] = jobId === null
      ? missing().map((j) => ({
        task: j, key: record.tasks[j]!, slurm_job: null,
        message: 'was never submitted (sbatch refused the submission, or the submitting command stopped before it)',
      }))
      // No fates were looked up when every job had its result at first look: SLURM is then not asked again.
      : missingJobs(missing(), claimedBy, fates.length > 0 ? fates : taskFates(jobId, arrayTasks, [], []))
        .map((m) => missingFailure(m, record.tasks[m.job]!, lastLogLine(paths.log(name, jobId, m.arrayTask))));
    const failures = [...asFailures(results.values()), ...killed];
    const kept = [...results.values()].filter((r) => !(r.status === 'failed' && (r.payload === null || r.payload === undefined)));
    // A step none of whose tasks started (all cancelled while queued) is started now, so its failures land in its run.
    let start: unknown = readStartRecord(paths.start(n, name));
    let merged: { complete: boolean; detail: string };
    let starting = false;
    try {
      if (start === undefined) {
        starting = true;
        mkdirSync(paths.step(n, name), { recursive: true });
        start = await step.start(ctx);
        writeJsonAtomic(paths.start(n, name), start);
        starting = false;
      }
      const inner = step.phaseLock(ctx);
      const merge = (): Promise<{ complete: boolean; detail: string }> => step.merge(ctx, start, kept, failures);
      merged = inner === null ? await merge() : await withMergeLock(inner, 'ptychostudy merge', `${name} root`, merge);
    } catch (err) {
      // A step that cannot start (an input changed since its phase recorded it…) ran no job: nothing to merge.
      merged = { complete: false, detail: `${starting ? 'the step did not start, so no job ran' : 'the results could not be merged'}: ${(err as Error).message}` };
    }
    const failedCount = failures.length + kept.filter((r) => r.status === 'failed').length;
    const final: StepFinal = {
      finalized_at: utcSeconds(), finalized_by: opts.by, tasks: record.tasks.length,
      ok: kept.filter((r) => r.status === 'ok').length, failed: failedCount, skipped: kept.filter((r) => r.status === 'skipped').length,
      complete: merged.complete && (name === 'reconstruct' || name === 'compare' || failedCount === 0), detail: merged.detail,
      failures: [
        ...kept.filter((r) => r.status === 'failed').map((r) => ({ task: r.task, key: r.key, slurm_job: r.slurm_job, message: `failed: ${r.error ?? 'no reason given'}` })),
        ...failures,
      ].sort((a, b) => a.task - b.task),
    };
    writeJsonAtomic(finalPath, final);
    // As a local run records them: the failures of Phase F and G, and the fingerprints of Phases C, D and G.
    const extra = name === 'reconstruct' || name === 'compare' ? { failures: final.failed } : {};
    const hub = final.complete ? submission.hub : null;
    const prints = hub === null ? {}
      : name === 'compare' ? { inputs_sha256: compareInputs(hub), outputs_sha256: compareOutputs(hub) }
        : name === 'generate' ? { outputs_sha256: phaseCContent(hub) }
          : name === 'overlap' ? { outputs_sha256: phaseDContent(hub) } : {};
    recordPhase(submission, name, final.complete ? 'complete' : 'failed', final.detail, { ...extra, ...prints });
    return final;
  });
}

export interface TaskReport {
  /** Jobs this task took and ran. */
  jobs: number;
  failed: number;
  /** 0 every job it ran did its work (or had nothing to do), 1 one of them failed. */
  exitCode: 0 | 1;
  /** This task finalized the submission's last step: the submission can be finished now (worker.ts). */
  finishes: boolean;
}

/** The order in which array task `t` tries a step's `jobs` jobs: its own index first, then the rest in order. */
export function jobOrder(t: number, jobs: number): number[] {
  const own = t < jobs ? [t] : [];
  return [...own, ...Array.from({ length: jobs }, (_, j) => j).filter((j) => j !== t)];
}

/**
 * The jobs that array task `slurmJob` (`123_4`), in its run number `restart` (SLURM_RESTART_COUNT), takes
 * back: those an earlier run of the same task had taken and left without a result. SLURM runs one instance of
 * a task at a time, so when SLURM has requeued it (node failure, preemption, `scontrol requeue`) that earlier
 * run has ended; its jobs would otherwise stay taken by nobody and be recorded as failed.
 */
export function takeBackJobs(jobs: number, slurmJob: string | null, restart: number,
  claimOf: (job: number) => Claim | null, hasResult: (job: number) => boolean): Array<{ job: number; claim: Claim }> {
  if (slurmJob === null || restart === 0) return [];
  const out: Array<{ job: number; claim: Claim }> = [];
  for (let job = 0; job < jobs; job++) {
    const claim = claimOf(job);
    if (claim !== null && claim.slurm_job === slurmJob && (claim.restart ?? 0) < restart && !hasResult(job)) out.push({ job, claim });
  }
  return out;
}

/** SLURM_RESTART_COUNT: how often SLURM has requeued this task (0 when unset or not a count). */
function restartCount(): number {
  const v = process.env['SLURM_RESTART_COUNT'];
  return v !== undefined && /^\d{1,6}$/.test(v) ? Number(v) : 0;
}

/**
 * Runs array task `arrayTask` of step `stepName` of submission `n` of `home` (see the module comment): it
 * takes back the jobs an earlier run of it left without a result (after a requeue), then takes the step's
 * jobs one at a time until every job is taken. Once `signal` is aborted (the task was stopped while a job it ran
 * finished: the worker command's stop handler) it takes no other job and finalizes nothing: the job under way gets
 * its result and merge as any other, and the task returns.
 */
export async function runTask(home: string, n: number, stepName: ArrayStep, arrayTask: number, say: (line: string) => void,
  signal?: AbortSignal): Promise<TaskReport> {
  const submission = readSubmission(home, n);
  const record = submission.steps.find((s) => s.step === stepName);
  if (record === undefined) throw new UsageError(`submission ${n} of ${home} has no step ${stepName} (it has ${submission.steps.map((s) => s.step).join(', ')})`);
  const arrayTasks = arrayTasksOf(record);
  if (arrayTask >= arrayTasks) throw new UsageError(`step ${stepName} of submission ${n} has array tasks 0…${arrayTasks - 1}, not ${arrayTask}`);
  const paths = slurmPaths(home);
  const slurmJob = process.env['SLURM_ARRAY_JOB_ID'] !== undefined ? `${process.env['SLURM_ARRAY_JOB_ID']}_${arrayTask}` : null;
  const restart = restartCount();
  say(`${stepName}: task ${arrayTask} of ${arrayTasks} (submission ${n}${slurmJob ? `, SLURM job ${slurmJob}` : ''}${restart > 0 ? `, run ${restart + 1}: requeued by SLURM` : ''}) ` +
    `on ${hostname()}, pid ${process.pid}; takes the step's ${record.tasks.length} job(s) one at a time until none is left`);
  const ctx = contextOf(home, submission, record);
  if (stepName === 'reconstruct') {
    const note = taskThreads(ctx.settings).note;
    if (note !== null) say(note);
  }
  const step = await loadStep(stepName);
  const by = `task ${arrayTask} of ${stepName}`;

  // Once per task: the earlier steps finalized, the step started. A failure here fails every job the task takes.
  let start: unknown;
  let setupError: string | null = null;
  try {
    for (const earlier of submission.steps.slice(0, submission.steps.indexOf(record))) {
      if (await finalizeStep(home, submission, earlier, { by }) === null) say(`warning: step ${earlier.step} has tasks that have not ended`);
    }
    start = await ensureStarted(ctx, step);
  } catch (err) {
    setupError = err instanceof Error ? err.message : String(err);
    say(`${stepName}: the step cannot start, so every job this task takes fails with this reason: ${setupError}`);
  }

  let ran = 0;
  let failed = 0;
  // Each job's CPU is the process's since the job before (the first job's: since the process started).
  let cpuBefore: NodeJS.CpuUsage = { user: 0, system: 0 };
  const claimOf = (job: number): Claim | null => readClaim(home, n, stepName, job);
  const hasResult = (job: number): boolean => existsSync(paths.result(n, stepName, job));
  const mine = (): Claim => ({
    array_task: arrayTask, slurm_job: slurmJob, host: hostname(), pid: process.pid, claimed_at: utcSeconds(), ...(restart > 0 ? { restart } : {}),
  });
  const back: number[] = [];
  for (const { job, claim } of takeBackJobs(record.tasks.length, slurmJob, restart, claimOf, hasResult)) {
    const { taken_back_from: _, ...earlier } = claim;
    replaceClaim(home, n, stepName, job, { ...mine(), taken_back_from: earlier });
    say(`${stepName}: takes back job ${job} (${record.tasks[job]!}), taken by this task's run before the requeue (pid ${earlier.pid} on ${earlier.host})`);
    back.push(job);
  }
  const order = [...back, ...jobOrder(arrayTask, record.tasks.length).filter((j) => !back.includes(j))];
  for (const job of order) {
    if (signal?.aborted) break;
    if (hasResult(job)) continue;
    const t0 = Date.now();
    if (!back.includes(job) && !claimJob(home, n, stepName, job, mine())) continue;
    const key = record.tasks[job]!;
    say(`${stepName} ${key} (job ${job})`);
    let outcome: TaskOutcome;
    if (setupError !== null) {
      outcome = { status: 'failed', error: setupError, payload: null };
    } else {
      try {
        outcome = await step.runTask(ctx, start, key, say);
      } catch (err) {
        outcome = { status: 'failed', error: err instanceof Error ? err.message : String(err), payload: null };
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    cpuBefore = process.cpuUsage();
    const result: TaskResult = {
      schema_version: 1, step: stepName, key, task: job, array_task: arrayTask, slurm_job: slurmJob, host: hostname(), pid: process.pid,
      status: outcome.status, error: outcome.error, started_at: new Date(t0).toISOString(), finished_at: new Date().toISOString(),
      seconds: (Date.now() - t0) / 1000, cpu_seconds: (cpu.user + cpu.system) / 1e6, payload: outcome.payload ?? null,
    };
    mkdirSync(paths.results(n, stepName), { recursive: true });
    writeJsonAtomic(paths.result(n, stepName, job), result);
    ran++;
    if (outcome.status === 'failed') failed++;
    // The reason a step could not start was said once above; its result records it for every job.
    say(outcome.status === 'ok' ? `${stepName} ${key}: done in ${result.seconds.toFixed(1)} s`
      : `${stepName} ${key}: ${outcome.status.toUpperCase()}: ${setupError !== null ? 'the step did not start (the reason above)' : outcome.error ?? ''}`);

    // Merging may fail (a broken manifest, a lock held too long): the result stays on disk for the final merge.
    if (start !== undefined) {
      try {
        await mergeLocks(home, step, ctx, async () => {
          const all = readAllResults(home, n, record);
          const kept = [...all.values()].filter((r) => !(r.status === 'failed' && (r.payload === null || r.payload === undefined)));
          if (!existsSync(paths.final(n, stepName))) await step.merge(ctx, start, kept, null);
        });
      } catch (err) {
        say(`warning: merging the results failed (the final merge will do it): ${(err as Error).message}`);
      }
    }
  }
  if (signal?.aborted) return { jobs: ran, failed, exitCode: failed > 0 ? 1 : 0, finishes: false };
  say(`${stepName}: task ${arrayTask} ran ${ran} job(s)${failed > 0 ? `, ${failed} failed` : ''}; no job is left to take`);
  let finalized = false;
  if (readAllResults(home, n, record).size === record.tasks.length) {
    try {
      finalized = await finalizeStep(home, submission, record, { by }) !== null;
    } catch (err) {
      say(`warning: finalizing ${stepName} failed (the finish job will do it): ${(err as Error).message}`);
    }
  }
  const last = submission.steps.filter((s) => s.step !== 'finish').at(-1) === record;
  return { jobs: ran, failed, exitCode: failed > 0 ? 1 : 0, finishes: finalized && last };
}
