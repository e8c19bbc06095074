/**
 * A phase as a cluster step: what the tasks of its array do, and how their results are merged into the
 * phase's own evidence files. Each phase module (generate.ts, overlap.ts, reconstruct.ts, compare.ts)
 * builds on that phase's plan, jobs and record — the very code a local run uses — so a job run by a SLURM
 * task writes the bytes it would write locally, and its result is recorded the way the local executor
 * records it.
 *
 *   keys     the job keys of the phase for these settings (known before the inputs exist: one per dose
 *            for C and D, per dose × view × split for F and G), and which of them still need to run
 *   start    once per submission, by the first task (under the home's lock): what the local run does
 *            before its first job (Phase F: lock, resume check, run id; Phase G: plan, run id)
 *   runTask  one job, in the task's process: `runJobs(plan, [job])`; returns the job's result record
 *   merge    every result so far into the manifests and summaries (after each job, and a last time,
 *            `final`, with the failures of jobs left without a result)
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../../errors.js';
import { isInside } from '../../../files/paths.js';
import type { StudySettings } from '../../../settings/schema.js';
import { checkSettingsOrigin, type SettingsOrigin } from '../../../settings/origin.js';
import { slurmPaths, type ArrayStep, type StepRecord, type Submission, type TaskResult } from '../records.js';

export interface StepContext {
  /** The directory holding `slurm/` (a hub, or a single phase's output root). */
  home: string;
  submission: Submission;
  record: StepRecord;
  settings: StudySettings;
}

/** What a task's job came to; `payload` is the phase's own result record of the job. */
export interface TaskOutcome {
  status: 'ok' | 'failed' | 'skipped';
  error: string | null;
  payload: unknown;
}

/** A task that left no result, and why (one line from SLURM's record of it). */
export interface TaskFailure {
  task: number;
  key: string;
  slurm_job: string | null;
  message: string;
  /** SLURM's JobState of the task that left the job without a result (`TIMEOUT`, `OUT_OF_MEMORY`…), when SLURM gave one. */
  slurm_state?: string;
}

/** What a merge found: whether the phase did all it should, and one line for run.json. */
export interface StepSummary {
  complete: boolean;
  detail: string;
}

export interface ClusterStep {
  readonly name: ArrayStep;
  /** A lock the step's merges take inside the home's (Phase F: its artifact root's, which local runs take too). */
  phaseLock(ctx: StepContext): string | null;
  start(ctx: StepContext): Promise<unknown>;
  runTask(ctx: StepContext, start: unknown, key: string, say: (line: string) => void): Promise<TaskOutcome>;
  /** Merges `results` (and, when final, `failures`) into the phase's evidence; called under the locks. */
  merge(ctx: StepContext, start: unknown, results: readonly TaskResult[], failures: readonly TaskFailure[] | null): Promise<StepSummary>;
}

/** An absolute path option of a step (the submitting command stored it). */
export function pathOption(record: StepRecord, name: string): string {
  const v = record.options[name];
  if (typeof v !== 'string' || v === '') throw new Error(`internal: step ${record.step} has no option ${name}`);
  return v;
}

/**
 * The step's `settingsOrigin` option (where each setting the submitting command was given came from), as an option of
 * the phase's plan: `{ settingsOrigin }`, or `{}` when the command stored none. One that is not an object of texts (a
 * hand-edited jobs.json) is refused, naming it.
 */
export function originOption(ctx: StepContext): { settingsOrigin?: SettingsOrigin } {
  const v = ctx.record.options['settingsOrigin'];
  if (v === undefined) return {};
  try {
    return { settingsOrigin: checkSettingsOrigin(v)! };
  } catch {
    throw new InputError(`${slurmPaths(ctx.home).jobs}: submission ${ctx.submission.number}, step ${ctx.record.step}, option settingsOrigin: ` +
      `expected an object of setting paths and where each came from (text); found ${JSON.stringify(v).slice(0, 200)}`);
  }
}

/** Whether `p` lies in `root` once symbolic links are resolved (a hub named through a link to its folder). */
function isInsideReally(root: string, p: string): boolean {
  try { return isInside(realpathSync(root), realpathSync(p)); } catch { return false; }
}

/**
 * The root a step writes (its `name` option): the home itself or a folder inside it, as every submitting
 * command records it. A jobs.json naming another place — a hub moved or copied while its jobs ran, whose
 * records still name the original — is refused, so no task or merge of the copy writes the original's files
 * without the original's lock.
 */
export function outputRootOption(ctx: StepContext, name: string): string {
  const v = pathOption(ctx.record, name);
  if (!isInside(ctx.home, v) && !isInsideReally(ctx.home, v)) {
    throw new InputError(`${slurmPaths(ctx.home).jobs}: submission ${ctx.submission.number}, step ${ctx.record.step}, option ${name}: ` +
      `expected ${resolve(ctx.home)} or a folder inside it; found ${v} (was the hub moved or copied while its SLURM jobs ran? ` +
      'follow or cancel them where they were submitted)');
  }
  return v;
}
