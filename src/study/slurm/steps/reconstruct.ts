/**
 * Phase F as a cluster step: one job per dose × view × split, with Phase F's own rules unchanged.
 *
 * start   the first task runs `startReconstruction` exactly as a local run does (the artifact root's
 *         lock, the resume check, the run id and its snapshot directory, the merged files with the plan),
 *         keeps a copy of the merged manifest and skip summary as they were (the "prior" every merge of
 *         this run starts from, as a local run's merges do) and releases the lock.
 * task    `reconstructJob` for its job: staging, the earlier outputs moved to `history/<run id>/`, the new
 *         ones moved in, the log — the local code, in this process (its engine in a worker thread).
 * merge   the run rebuilt from the start record and every result so far, and `recordResult` /
 *         `finishReconstruction` write the merged manifest and skip summary (and, finally, the run's
 *         immutable snapshot) — so the evidence is what a local run with these results would write.
 * A task killed by SLURM becomes a failed result of its job, its error the SLURM reason.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../../../files/atomic.js';
import { recordPath } from '../../../files/paths.js';
import { jobKey, PHASE_F } from '../../hub/layout.js';
import {
  ManifestSchema, SkipEntrySchema, SkipSummarySchema, type ExecutionResult, type Manifest, type SkipSummary,
} from '../../hub/reconstruction-files.js';
import { localExecutor } from '../../phase.js';
import type { JobFilters } from '../../reconstruct/filters.js';
import { reconstructionPhase } from '../../reconstruct/job.js';
import { commandFor, type ReconstructionJob } from '../../reconstruct/jobs.js';
import { planReconstruction, type ReconstructionPlan, type ReconstructionPlanOptions } from '../../reconstruct/plan.js';
import { finishReconstruction, recordResult, startReconstruction, type ReconstructionRun } from '../../reconstruct/record.js';
import { selectionFacts } from '../../reconstruct/selection.js';
import { taskThreads } from '../threads.js';
import { readPriorRecord, slurmPaths, type TaskResult } from '../records.js';
import { originOption, outputRootOption, pathOption, type ClusterStep, type StepContext, type TaskFailure } from './step.js';

const StartSchema = z.object({
  run_id: z.string(),
  snapshot_dir: z.string(),
  started_at: z.string(),
  to_run: z.array(z.string()),
  already_complete: z.array(z.string()),
  skipped_jobs: z.array(SkipEntrySchema),
}).strict();
type Start = z.infer<typeof StartSchema>;

const PayloadSchema = z.object({ result: z.custom<ExecutionResult>((v) => v !== null && typeof v === 'object'), archived_to: z.string().nullable() });

/** The run's options as the submitting command stored them. */
export function reconstructOptions(ctx: StepContext): ReconstructionPlanOptions {
  const o = ctx.record.options;
  const filters = (o['filters'] ?? {}) as Partial<JobFilters>;
  return {
    phaseCRoot: pathOption(ctx.record, 'phaseCRoot'), phaseDRoot: pathOption(ctx.record, 'phaseDRoot'),
    artifactRoot: outputRootOption(ctx, 'artifactRoot'),
    filters: { dose: filters.dose ?? null, view: filters.view ?? null, split: filters.split ?? null, gridsize: filters.gridsize ?? null },
    allowMissingPhaseD: o['allowMissingPhaseD'] === true, force: o['force'] === true,
    // as the local run has them: the jobs' `lsqml` lines name the settings file (--config) when they need it, and the
    // run's record says where each setting came from (settings_origin)
    ...(typeof o['configFile'] === 'string' && o['configFile'] !== '' ? { configFile: o['configFile'] } : {}),
    ...originOption(ctx),
  };
}

const plans = new Map<string, ReconstructionPlan>();
function planOf(ctx: StepContext): ReconstructionPlan {
  const opts = reconstructOptions(ctx);
  const id = `${opts.artifactRoot}|${ctx.submission.number}`;
  let plan = plans.get(id);
  if (plan === undefined) {
    plan = planReconstruction(ctx.settings, opts, 1);
    plans.set(id, plan);
  }
  return plan;
}

/** Threads of a task's reconstruction (threads.ts). Results do not depend on it. */
function threadsOf(ctx: StepContext): number {
  return taskThreads(ctx.settings).threads;
}

/** The Phase F run of this submission, as `startReconstruction` made it, holding `results`. */
function rebuildRun(ctx: StepContext, start: Start, results: ExecutionResult[], archived: Map<string, string>): ReconstructionRun {
  const plan = planOf(ctx);
  const paths = slurmPaths(ctx.home);
  const n = ctx.submission.number;
  const priorManifest = readPriorRecord<Manifest>(paths.prior(n, 'reconstruct', 'manifest'), ManifestSchema, 'reconstruction manifest kept as the step started');
  const priorSkip = readPriorRecord<SkipSummary>(paths.prior(n, 'reconstruct', 'skip-summary'), SkipSummarySchema, 'skip summary kept as the step started');
  const byKey = new Map(plan.selected.map((j) => [j.key, j]));
  const jobs = (keys: string[]): ReconstructionJob[] => keys.map((k) => byKey.get(k)).filter((j): j is ReconstructionJob => j !== undefined);
  return {
    plan, runId: start.run_id, snapshotDir: start.snapshot_dir, started: new Date(start.started_at),
    priorResults: new Map((priorManifest?.execution_results ?? []).map((r) => [jobKey(r), r])),
    alreadyComplete: jobs(start.already_complete), toRun: jobs(start.to_run), skippedJobs: start.skipped_jobs,
    concurrency: 1, threads: threadsOf(ctx), results, archived, failed: results.filter((r) => r.status !== 'success').length,
    priorManifest, priorSkip, release: () => {}, releaseAtEnd: () => {}, // the merge step holds its own lock (merge-lock.ts)
  };
}

/** A job whose task left no result: a failed result naming the SLURM reason. */
function killedResult(job: ReconstructionJob, runId: string, f: TaskFailure, at: string): ExecutionResult {
  const error = `SLURM task ${f.slurm_job ?? f.task} ${f.message}`;
  let facts: ReturnType<typeof selectionFacts>;
  try {
    facts = selectionFacts(job.inputNpz, job.view);
  } catch (err) {
    facts = { metadata: 'error', metadata_error: (err as Error).message };
  }
  return {
    dose: job.dose, view: job.view, split: job.split, status: 'failed', returncode: 1, run_id: runId,
    started_at: at, finished_at: at, seconds: 0, input_npz: recordPath(job.artifactRoot, job.inputNpz), input_size: null, input_sha256: null,
    output_dir: recordPath(job.artifactRoot, job.outputDir), log_path: recordPath(job.artifactRoot, join(job.outputDir, PHASE_F.jobLog)), stdout_preview: error.slice(0, 200), command: commandFor(job),
    reconstruction_npz: null, reconstruction_png: null, lsqml_log: null, epochs_run: null, final_loss: null, n_positions: null,
    error, ...facts, history: [],
  };
}

export const reconstructStep: ClusterStep = {
  name: 'reconstruct',
  phaseLock: (ctx) => join(reconstructOptions(ctx).artifactRoot, PHASE_F.lock),
  async start(ctx): Promise<Start> {
    const run = await startReconstruction(planOf(ctx), () => {});
    try {
      const paths = slurmPaths(ctx.home);
      const n = ctx.submission.number;
      writeJsonAtomic(paths.prior(n, 'reconstruct', 'manifest'), run.priorManifest);
      writeJsonAtomic(paths.prior(n, 'reconstruct', 'skip-summary'), run.priorSkip);
      return {
        run_id: run.runId, snapshot_dir: run.snapshotDir, started_at: run.started.toISOString(),
        to_run: run.toRun.map((j) => j.key), already_complete: run.alreadyComplete.map((j) => j.key), skipped_jobs: run.skippedJobs,
      };
    } finally {
      run.release();
    }
  },
  async runTask(ctx, startRecord, key, say) {
    const start = StartSchema.parse(startRecord);
    if (!start.to_run.includes(key)) {
      return { status: 'skipped', error: start.already_complete.includes(key) ? 'already complete' : 'not selected by this run', payload: null };
    }
    const run = rebuildRun(ctx, start, [], new Map());
    const job = run.toRun.find((j) => j.key === key)!;
    let result: ExecutionResult | null = null;
    let logged = 0;
    await localExecutor(1).run(reconstructionPhase(), run, [job], (e) => {
      if (e.type === 'job-start') say(`command: ${e.command}`);
      if (e.type === 'epoch' && e.progress.resumed !== undefined) {
        logged = e.progress.resumed.from;
        say(`continued from epoch ${e.progress.resumed.from} of ${e.progress.epochs} (checkpoint ${e.progress.resumed.checkpoint})`);
      }
      if (e.type === 'epoch' && (e.progress.epoch === e.progress.epochs || e.progress.epoch - logged >= Math.max(1, Math.round(e.progress.epochs / 10)))) {
        logged = e.progress.epoch;
        say(`epoch ${e.progress.epoch}/${e.progress.epochs} loss ${e.progress.loss.toExponential(4)}`);
      }
    }, (_job, r) => { result = r; });
    const r = result as ExecutionResult | null;
    if (r === null) return { status: 'failed', error: `Phase F recorded no result for ${key}`, payload: null };
    return { status: r.status === 'success' ? 'ok' : 'failed', error: r.error, payload: { result: r, archived_to: run.archived.get(jobKey(job)) ?? null } };
  },
  async merge(ctx, startRecord, results: readonly TaskResult[], failures) {
    const start = StartSchema.parse(startRecord);
    const done: ExecutionResult[] = [];
    const archived = new Map<string, string>();
    for (const r of results) {
      const p = PayloadSchema.safeParse(r.payload);
      if (!p.success) continue;
      done.push(p.data.result);
      if (p.data.archived_to !== null) archived.set(jobKey(p.data.result), p.data.archived_to);
    }
    const plan = planOf(ctx);
    const at = new Date().toISOString();
    for (const f of failures ?? []) {
      const job = plan.selected.find((j) => j.key === f.key);
      if (job !== undefined && start.to_run.includes(f.key)) done.push(killedResult(job, start.run_id, f, at));
    }
    const run = rebuildRun(ctx, start, done, archived);
    if (failures !== null) {
      finishReconstruction(run, () => {});
    } else if (done.length > 0) {
      const last = run.results.pop()!;
      run.failed = run.results.filter((r) => r.status !== 'success').length;
      recordResult(run, last, () => {});
    }
    const ok = done.filter((r) => r.status === 'success').length;
    // The jobs whose input is missing (the skip summary's `missing_phase_d_count`); skipped_jobs also holds
    // the already complete and filtered-out jobs.
    const missing = plan.missing.length;
    return {
      complete: true,
      // worded as a local run words it (run.json, the report)
      detail: `${done.length} run (${ok} ok, ${done.length - ok} failed), ${start.already_complete.length} already complete` +
        (missing > 0 ? `, ${missing} without input` : ''),
    };
  },
};
