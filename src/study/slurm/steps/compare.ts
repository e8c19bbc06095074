/**
 * Phase G as a cluster step: one job per dose × view × split. The first task plans the comparisons from
 * Phase F's merged manifest (Phase F is finalized by then), allocates the run id and keeps the merged
 * summary as it was; each job is compared (`compareJob`, the local code, writing the job's files)
 * and every merge folds every result so far into `metrics_summary.json` as it is then (`mergeSummary`, as a
 * local run), under the output root's lock that a local `compare` takes too: rows another run merged
 * meanwhile are kept, this run's own earlier merges replaced. The final merge also writes the run's snapshot, the Markdown and CSV
 * tables and the charts. A job whose task SLURM killed becomes a failed row of each model.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, writeJsonAtomic } from '../../../files/atomic.js';
import { compactUtc, createUniqueDir } from '../../../files/dirs.js';
import { compareJob, type CompareJobResult, type ComparisonRun } from '../../compare/job.js';
import { planComparisons, type CompareJob, type ExternalModel } from '../../compare/plan.js';
import { mergeSummary, modelRecord, summaryCsv, summaryMarkdown, type JobOutcome } from '../../compare/summary.js';
import { phaseCMetadataCompliance } from '../../compare/phase-c-compliance.js';
import { checkJobOutputs, STAGING_PREFIX } from '../../compare/files.js';
import { reusedNote, withOwner } from '../../compare/phase.js';
import { mergeUnmerged, unmergedRuns } from '../../compare/unmerged.js';
import { removeStaleRunningLocks, runningLockIds, usedRunIds } from '../../compare/reuse.js';
import { recordPath } from '../../../files/paths.js';
import { doseDirName, jobDir, PHASE_G, SPLITS, VIEWS, type Split, type View } from '../../hub/layout.js';
import {
  OWN_MODEL, readMetricsSummary, type PhaseGRun, type SkippedJob, type SummaryRowCore,
} from '../../hub/metrics-summary.js';
import { slurmPaths, type TaskResult } from '../records.js';
import { outputRootOption, pathOption, type ClusterStep, type StepContext } from './step.js';

const StartSchema = z.object({
  run_id: z.string(),
  started_at: z.string(),
  jobs: z.array(z.custom<CompareJob>((v) => v !== null && typeof v === 'object' && typeof (v as CompareJob).key === 'string')),
  warnings: z.array(z.string()),
}).strict();
type Start = z.infer<typeof StartSchema>;

interface CompareOptions {
  phaseCRoot: string;
  phaseDRoot: string;
  phaseFRoot: string;
  outputRoot: string;
  dose: number | null;
  view: View | null;
  split: Split | null;
  models: ExternalModel[];
  region: 'illumination' | 'patches';
  figures: boolean;
  charts: boolean;
}

export function compareOptions(ctx: StepContext): CompareOptions {
  const o = ctx.record.options;
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const models = Array.isArray(o['models']) ? (o['models'] as ExternalModel[]).filter((m) => typeof m?.name === 'string' && typeof m?.pattern === 'string') : [];
  return {
    phaseCRoot: pathOption(ctx.record, 'phaseCRoot'), phaseDRoot: str(o['phaseDRoot']) ?? '',
    phaseFRoot: pathOption(ctx.record, 'phaseFRoot'), outputRoot: outputRootOption(ctx, 'outputRoot'),
    dose: num(o['dose']), view: VIEWS.find((v) => v === o['view']) ?? null, split: SPLITS.find((v) => v === o['split']) ?? null, models,
    region: o['region'] === 'patches' ? 'patches' : 'illumination', figures: o['figures'] !== false, charts: o['charts'] !== false,
  };
}

function isJobResult(v: unknown): v is CompareJobResult {
  const r = v as Partial<CompareJobResult> | null;
  return r !== null && typeof r === 'object' && Array.isArray(r.rows) && typeof r.compared === 'number' && typeof r.failed === 'number';
}

/** A (dose, view, split) from a key `dose_<D>/<view>/<split>`. */
function addressOf(key: string): { dose: number; view: View; split: Split } {
  const m = /^dose_(\d+)\/(baseline|dense|sparse)\/(train|test)$/.exec(key);
  if (!m) throw new Error(`internal: ${key} is not a job key`);
  return { dose: Number(m[1]), view: m[2] as View, split: m[3] as Split };
}

function filterTag(o: CompareOptions): string {
  return [o.dose != null ? doseDirName(o.dose) : '', o.view ?? '', o.split ?? ''].filter(Boolean).join('-');
}

export const compareStep: ClusterStep = {
  name: 'compare',
  // the lock a local `compare` into the same output root merges under too
  phaseLock: (ctx) => join(compareOptions(ctx).outputRoot, PHASE_G.lock),
  async start(ctx): Promise<Start> {
    const o = compareOptions(ctx);
    const started = new Date();
    const plan = planComparisons(o);
    // A broken summary stops the phase here, before any job writes.
    const prior = readMetricsSummary(join(o.outputRoot, PHASE_G.summaryJson));
    // So does a job directory that cannot be written, as in a local run (compare/files.ts).
    checkJobOutputs(o.outputRoot, plan.jobs);
    const tag = filterTag(o);
    // never the id of an earlier run of this root, as in a local run
    const used = usedRunIds(o.outputRoot, plan.jobs.map((j) => jobDir(o.outputRoot, j)));
    const runId = createUniqueDir(join(o.outputRoot, PHASE_G.runs), `${compactUtc(started)}${tag ? `-${tag}` : ''}`, (name) => used.has(name));
    writeJsonAtomic(slurmPaths(ctx.home).prior(ctx.submission.number, 'compare', 'summary'), prior);
    return { run_id: runId, started_at: started.toISOString().replace(/\.\d+Z$/, 'Z'), jobs: plan.jobs, warnings: plan.warnings };
  },
  async runTask(ctx, startRecord, key, say) {
    const start = StartSchema.parse(startRecord);
    const o = compareOptions(ctx);
    for (const w of start.warnings) say(`warning: ${w}`);
    const job = start.jobs.find((j) => j.key === key);
    if (job === undefined) {
      const a = addressOf(key);
      const skipped: SkippedJob = { ...a, reason: 'not in the Phase G plan (no such dose, view or split found)', run_id: start.run_id };
      return { status: 'ok', error: null, payload: { rows: [], skipped, compared: 0, failed: 0 } satisfies CompareJobResult };
    }
    const run: ComparisonRun = {
      outputRoot: o.outputRoot, runId: start.run_id, models: o.models, regionMode: o.region, figures: o.figures, total: start.jobs.length,
    };
    // compareJob is the whole of Phase G's job, the same work comparisonPhase.runJobs does per job (there split in
    // prepareJob and its FinishJob, so that the next job is computed while this one's files are made).
    const r = await compareJob(run, job, (p) => say(p.message));
    const errors = r.rows.filter((row) => row.status === 'failed').map((row) => `${row.model}: ${row.error ?? 'failed'}`);
    return { status: r.failed > 0 ? 'failed' : 'ok', error: errors.length > 0 ? errors.join('; ') : null, payload: r };
  },
  async merge(ctx, startRecord, results: readonly TaskResult[], failures) {
    const start = StartSchema.parse(startRecord);
    const o = compareOptions(ctx);
    const rows: SummaryRowCore[] = [];
    const skipped: SkippedJob[] = [];
    const jobs: (JobOutcome & { filesRunId: string | null })[] = [];
    let compared = 0;
    let failed = 0;
    const reusedFrom: string[] = [];
    for (const t of [...results].sort((a, b) => a.task - b.task)) {
      if (!isJobResult(t.payload)) continue;
      rows.push(...t.payload.rows);
      if (t.payload.skipped) skipped.push(t.payload.skipped);
      const a = addressOf(t.key);
      jobs.push({ ...a, archived: t.payload.archived ?? null, filesRunId: t.payload.files_run_id ?? null });
      compared += t.payload.compared;
      failed += t.payload.failed;
      if (typeof t.payload.reused_from === 'string') reusedFrom.push(t.payload.reused_from);
    }
    const from = [...new Set(reusedFrom)];
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const f of failures ?? []) {
      const job = start.jobs.find((j) => j.key === f.key);
      const a = job ?? addressOf(f.key);
      for (const model of [OWN_MODEL, ...o.models.map((m) => m.name)]) {
        rows.push({
          dose: a.dose, view: a.view, split: a.split, model, source: model === OWN_MODEL ? 'ptychostudy' : 'external', status: 'failed',
          error: `SLURM task ${f.slurm_job ?? f.task} ${f.message}`, reconstruction: job?.reconstructionNpz ? recordPath(o.outputRoot, job.reconstructionNpz) : null,
          ground_truth: job?.inputNpz ? recordPath(o.outputRoot, job.inputNpz) : null,
          region: null, compared_shape: null, same_frame: null, registered_on: null, metrics: {}, values: {}, run_id: start.run_id, computed_at: at,
        });
        failed++;
      }
    }
    const record: PhaseGRun = {
      run_id: start.run_id, started_at: start.started_at, finished_at: failures === null ? null : at,
      filters: { dose: o.dose, view: o.view, split: o.split }, models: o.models.map((m) => modelRecord(m, o)),
      compared, failed, skipped: skipped.length, ...(reusedFrom.length > 0 ? { reused: reusedFrom.length, reused_from: from } : {}), snapshot: `${PHASE_G.runs}/${start.run_id}`,
    };
    // Merged into the summary as it is now (read under the output root's lock, which a local compare takes
    // too): rows another run merged since this one started are kept; this run's earlier merges are replaced.
    // A job whose files another run has replaced since keeps that run's rows current (as a local run).
    const outcomes = jobs.map((j) => withOwner(o.outputRoot, j));
    const phaseC = phaseCMetadataCompliance(o.phaseCRoot, o.outputRoot);
    // the runs that kept their rows in their snapshot without merging them (a full disk, a stop while waiting) first
    const prior = readMetricsSummary(join(o.outputRoot, PHASE_G.summaryJson));
    const earlier = mergeUnmerged(o.outputRoot, prior, unmergedRuns(o.outputRoot, prior, start.run_id), start.run_id);
    const merged = mergeSummary(earlier, { rows, skipped, record, jobs: outcomes, phaseC });
    if (failures !== null) {
      writeJsonAtomic(join(o.outputRoot, PHASE_G.runs, start.run_id, PHASE_G.summaryJson),
        mergeSummary(null, { rows, skipped, record, jobs: jobs.map(({ filesRunId: _f, ...j }) => j), phaseC }));
    }
    writeJsonAtomic(join(o.outputRoot, PHASE_G.summaryJson), merged);
    if (failures !== null) {
      writeFileAtomic(join(o.outputRoot, PHASE_G.summaryMd), summaryMarkdown(merged));
      writeFileAtomic(join(o.outputRoot, PHASE_G.summaryCsv), summaryCsv(merged));
      if (o.charts) {
        // The charts need the chart renderer, which only the final merge loads.
        const { writeCharts } = await import('../../compare/charts.js');
        await writeCharts(merged, join(o.outputRoot, PHASE_G.charts));
      }
      // the running locks killed runs left (those of the stopped runs whose jobs this run took over among them), as a
      // local run removes them (stale only)
      removeStaleRunningLocks(o.outputRoot, runningLockIds(o.outputRoot));
      // A task killed while it wrote a job (scancel, its time limit) left that job's staging folder: no record names its
      // files. Every task of this run has ended (the final merge waits for them), so it goes, as a killed local run's does.
      for (const f of failures) {
        const job = start.jobs.find((j) => j.key === f.key) ?? addressOf(f.key);
        rmSync(join(jobDir(o.outputRoot, job), `${STAGING_PREFIX}${start.run_id}`), { recursive: true, force: true });
      }
    }
    return { complete: true, detail: `${compared} compared${reusedNote(reusedFrom.length, from)}, ${failed} failed, ${skipped.length} skipped` };
  },
};
