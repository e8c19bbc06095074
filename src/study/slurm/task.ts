/**
 * What a SLURM task does (`ptychostudy worker --hub H --submission N --step S --task I`), and the merge
 * steps that make the evidence whole:
 *
 *   1. the steps before this one ended (the array depends on them, afterany): each is finalized first
 *      (idempotent; usually a no-op) so this phase reads complete evidence;
 *   2. the step is started once (the first task, under the home's lock: Phase F's lock, resume check and
 *      run id, Phase G's plan and run id), and every later task reads that start record;
 *   3. the task's one job runs — the phase's own code, `runJobs(plan, [job])`;
 *   4. its result is written atomically as `results/<task>.json` — from here on nothing can lose it;
 *   5. every result so far is merged into the phase's evidence under the lock;
 *   6. when every task of the step has a result, the step is finalized.
 *
 * A step is finalized (final.json, written once) by whoever first sees it ended: its last task, the first
 * task of the next step, the finish job, or a command following the run (`run`, `status`, `cancel`).
 * Finalizing waits while a task may still write its result; a task that left none gets a failure with the
 * reason SLURM gives (fate.ts), merged as that job's failure.
 */
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../../errors.js';
import { writeJsonAtomic } from '../../files/atomic.js';
import { utcSeconds } from '../../files/dirs.js';
import { parseStudySettings } from '../../settings/parse.js';
import type { StudySettingsInput } from '../../settings/schema.js';
import { compareInputs, compareOutputs } from '../run/fingerprints.js';
import { readRunState, writeRunState, type PhaseRecord } from '../run/state.js';
import { describeFate, endedByItself, taskFates, type TaskFate } from './fate.js';
import { withMergeLock } from './merge-lock.js';
import {
  readRecord, readResult, readSubmission, slurmPaths, StepFinalSchema,
  type ArrayStep, type StepFinal, type StepRecord, type Submission, type TaskResult,
} from './records.js';
import { scontrolJob, squeue } from './scheduler.js';
import { loadStep } from './steps/index.js';
import type { ClusterStep, StepContext, TaskFailure, TaskOutcome } from './steps/step.js';

/** How long a finalize waits for the result of a task that ran to its end but whose file is not visible yet. */
export const RESULT_GRACE_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export function contextOf(home: string, submission: Submission, record: StepRecord): StepContext {
  return { home, submission, record, settings: parseStudySettings(submission.settings as StudySettingsInput) };
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

function readStart(path: string): unknown | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The step's start record, made by the first caller (under the home's lock; the phase's own lock inside `start`). */
async function ensureStarted(ctx: StepContext, step: ClusterStep): Promise<unknown> {
  const path = slurmPaths(ctx.home).start(ctx.submission.number, step.name);
  const existing = readStart(path);
  if (existing !== undefined) return existing;
  return homeLock(ctx.home, async () => {
    const again = readStart(path);
    if (again !== undefined) return again;
    mkdirSync(slurmPaths(ctx.home).step(ctx.submission.number, step.name), { recursive: true });
    const start = await step.start(ctx);
    writeJsonAtomic(path, start);
    return start;
  });
}

/** The last line a task printed (from the end of its SLURM log), or null. */
function lastLogLine(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
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

function readAllResults(home: string, n: number, record: StepRecord): Map<number, TaskResult> {
  const out = new Map<number, TaskResult>();
  for (let t = 0; t < record.tasks.length; t++) {
    const r = readResult(home, n, record.step as ArrayStep, t);
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
  const missing = (): number[] => record.tasks.map((_, t) => t).filter((t) => !results.has(t));
  const jobId = record.job_id;
  if (missing().length > 0 && jobId !== null) {
    fates = taskFates(jobId, record.tasks.length, squeue([jobId]), scontrolJob(jobId));
    if (missing().some((t) => fates[t]!.where === 'queued' || fates[t]!.where === 'running')) return null;
    // A task that ran to its end wrote its result before it exited; a shared file system may show it late.
    const deadline = Date.now() + (opts.resultGraceMs ?? RESULT_GRACE_MS);
    while (missing().some((t) => endedByItself(fates[t]!)) && Date.now() < deadline) {
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
    const killed: TaskFailure[] = missing().map((t) => ({
      task: t, key: record.tasks[t]!, slurm_job: jobId === null ? null : `${jobId}_${t}`,
      message: jobId === null ? 'was never submitted (sbatch refused the submission, or the submitting command stopped before it)'
        : describeFate(fates[t] ?? { task: t, id: `${jobId}_${t}`, where: 'gone', state: null, reason: null, exitCode: null,
          timeLimit: null, nodeList: null, arrayKnown: false }, lastLogLine(paths.log(name, jobId, t))),
    }));
    const failures = [...asFailures(results.values()), ...killed];
    const kept = [...results.values()].filter((r) => !(r.status === 'failed' && (r.payload === null || r.payload === undefined)));
    // A step none of whose tasks started (all cancelled while queued) is started now, so its failures land in its run.
    let start = readStart(paths.start(n, name));
    let merged: { complete: boolean; detail: string };
    try {
      if (start === undefined) {
        mkdirSync(paths.step(n, name), { recursive: true });
        start = await step.start(ctx);
        writeJsonAtomic(paths.start(n, name), start);
      }
      const inner = step.phaseLock(ctx);
      const merge = (): Promise<{ complete: boolean; detail: string }> => step.merge(ctx, start, kept, failures);
      merged = inner === null ? await merge() : await withMergeLock(inner, 'ptychostudy merge', `${name} root`, merge);
    } catch (err) {
      merged = { complete: false, detail: `the results could not be merged: ${(err as Error).message}` };
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
    // As a local run records them: the failures of Phase F and G, and the fingerprints of Phase G.
    const extra = name === 'reconstruct' || name === 'compare' ? { failures: final.failed } : {};
    const prints = name === 'compare' && submission.hub !== null && final.complete
      ? { inputs_sha256: compareInputs(submission.hub), outputs_sha256: compareOutputs(submission.hub) } : {};
    recordPhase(submission, name, final.complete ? 'complete' : 'failed', final.detail, { ...extra, ...prints });
    return final;
  });
}

export interface TaskReport {
  key: string;
  status: TaskOutcome['status'];
  error: string | null;
  /** 0 the job did its work (or had nothing to do), 1 it failed. */
  exitCode: 0 | 1;
}

/** Runs task `task` of step `stepName` of submission `n` of `home` (see the module comment). */
export async function runTask(home: string, n: number, stepName: ArrayStep, task: number, say: (line: string) => void): Promise<TaskReport> {
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const submission = readSubmission(home, n);
  const record = submission.steps.find((s) => s.step === stepName);
  if (record === undefined) throw new UsageError(`submission ${n} of ${home} has no step ${stepName} (it has ${submission.steps.map((s) => s.step).join(', ')})`);
  const key = record.tasks[task];
  if (key === undefined) throw new UsageError(`step ${stepName} of submission ${n} has tasks 0…${record.tasks.length - 1}, not ${task}`);
  const paths = slurmPaths(home);
  const resultPath = paths.result(n, stepName, task);
  if (existsSync(resultPath)) {
    const r = readResult(home, n, stepName, task)!;
    say(`${stepName} ${key}: this task already has its result (${r.status}); nothing to do`);
    return { key, status: r.status, error: r.error, exitCode: 0 };
  }
  const slurmJob = process.env['SLURM_ARRAY_JOB_ID'] !== undefined ? `${process.env['SLURM_ARRAY_JOB_ID']}_${task}` : null;
  say(`${stepName} ${key} (task ${task} of submission ${n}${slurmJob ? `, SLURM job ${slurmJob}` : ''}) on ${hostname()}, pid ${process.pid}`);
  const ctx = contextOf(home, submission, record);
  const step = await loadStep(stepName);
  const by = `task ${task} of ${stepName}`;

  let outcome: TaskOutcome;
  let start: unknown;
  try {
    for (const earlier of submission.steps.slice(0, submission.steps.indexOf(record))) {
      if (await finalizeStep(home, submission, earlier, { by }) === null) say(`warning: step ${earlier.step} has tasks that have not ended`);
    }
    start = await ensureStarted(ctx, step);
    outcome = await step.runTask(ctx, start, key, say);
  } catch (err) {
    outcome = { status: 'failed', error: err instanceof Error ? err.message : String(err), payload: null };
  }
  const cpu = process.cpuUsage();
  const result: TaskResult = {
    schema_version: 1, step: stepName, key, task, slurm_job: slurmJob, host: hostname(), pid: process.pid,
    status: outcome.status, error: outcome.error, started_at: startedAt, finished_at: new Date().toISOString(),
    seconds: (Date.now() - t0) / 1000, cpu_seconds: (cpu.user + cpu.system) / 1e6, payload: outcome.payload ?? null,
  };
  mkdirSync(paths.results(n, stepName), { recursive: true });
  writeJsonAtomic(resultPath, result);
  say(outcome.status === 'ok' ? `${stepName} ${key}: done in ${result.seconds.toFixed(1)} s`
    : `${stepName} ${key}: ${outcome.status.toUpperCase()}: ${outcome.error ?? ''}`);

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
  if (readAllResults(home, n, record).size === record.tasks.length) {
    try {
      await finalizeStep(home, submission, record, { by });
    } catch (err) {
      say(`warning: finalizing ${stepName} failed (the finish job will do it): ${(err as Error).message}`);
    }
  }
  return { key, status: outcome.status, error: outcome.error, exitCode: outcome.status === 'failed' ? 1 : 0 };
}

