/**
 * Phase G — every reconstruction against its ground truth, the same way for every model (ours and any
 * external one): plan.ts (which jobs, where their files are, why one cannot be compared), job.ts (one
 * comparison and its files), summary.ts (the merged metrics summary), charts.ts. `runComparison` is the
 * code path of `ptychostudy compare` and of the whole-study runner. Output root layout:
 *   dose_<D>/<view>/<split>/…                        the jobs' files (job.ts)
 *   metrics_summary.json / .md / .csv                merged across runs by (dose, view, split, model)
 *   charts/<metric>.svg / .png                       metric vs dose, one line per view and model
 *   runs/<run id>/metrics_summary.json               this run's own results (immutable snapshot)
 *
 * Several runs may compare into one output root at once (e.g. dense and sparse, or `run` and a `compare`):
 * the jobs write their own files; the merge into the summary (and the charts) happens under the root's
 * lock (`.compare.lock`, files/lock.ts), re-reading the summary inside it, so no run's rows are lost. The
 * merge follows the files, not the lock order: a job whose files another run has replaced since this run
 * wrote them (its comparison.json names the other run) keeps the current rows it has, this run's rows of
 * it going to `superseded_rows`. A run
 * waits for a busy lock (10 minutes by default); its own snapshot is written before, so a run that gives up
 * waiting, is stopped while it waits or finds the disk full keeps its rows there, and the next merge into the root
 * takes them in, its record included (unmerged.ts). A job a stopped run finished from the same inputs is taken
 * over, not compared again (reuse.ts); a run holds `.running-<run id>.lock` until its merge has ended, so that a
 * run still comparing or merging is never taken for a stopped one.
 */
import { join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../files/atomic.js';
import { EarlierFiles } from '../../files/earlier.js';
import { compactUtc, createUniqueDir, missingDirs, removeEmptyDirs } from '../../files/dirs.js';
import { acquireLock, LockBusyError, LockWaitAbortedError, MERGE_WAIT_MS, withLock } from '../../files/lock.js';
import { statEntry } from '../../files/regular.js';
import { shown } from '../../settings/parse.js';
import { doseDirName as doseDir, jobDir, PHASE_G } from '../hub/layout.js';
import {
  OWN_MODEL, readMetricsSummary, type MetricsSummary, type PhaseGRun, type SkippedJob, type SummaryRowCore,
} from '../hub/metrics-summary.js';
import { runInThread } from '../job-thread.js';
import { COMPARE_WORKER } from './threads.js';
import { checkLocalRun, checkOptionNames, checkSignalOption, localExecutor, StudyAbortedError, optionNames, requirePathOptions, yieldToEventLoop, type Executor, type Phase } from '../phase.js';
import { writeCharts } from './charts.js';
import { checkJobOutputs } from './files.js';
import { mergeUnmerged, unmergedRuns, withOwner } from './unmerged.js';
import { modelSlug, prepareJob, type CompareJobResult, type ComparisonRun, type FinishJob, type PhaseGProgress } from './job.js';
import { planComparisons, type CompareFilters, type CompareJob, type ComparePlan, type ExternalModel } from './plan.js';
import { removeStaleRunningLocks, runningLockIds, runningLockPath, usedRunIds } from './reuse.js';
import { mergeSummary, modelRecord, summaryCsv, summaryMarkdown, type JobOutcome } from './summary.js';
import { phaseCMetadataCompliance } from './phase-c-compliance.js';

export interface PhaseGOptions extends CompareFilters {
  phaseCRoot: string;
  phaseDRoot: string;
  phaseFRoot: string;
  outputRoot: string;
  /** External reconstructions to compare beside ours (`NAME=PATTERN`, plan.ts). */
  models?: ExternalModel[];
  /** How the scanned region is found (default 'illumination'; see metrics/align.ts). */
  region?: 'illumination' | 'patches';
  /** Write comparison.png per job (default true). */
  figures?: boolean;
  /** Write charts (default true). */
  charts?: boolean;
  /**
   * Comparisons run at once (default 1). With one, the jobs run in this thread, the next job computed while a job's
   * figure is drawn and its arrays deflated; with more, each runs in a worker thread (`comparisonPhaseInThreads`), with
   * the same files and rows. The commands give `execution.jobs` (`--jobs`), by default `defaultComparisonJobs()` (threads.ts).
   */
  jobs?: number;
  /** How long the merge waits for another run's merge into the same root (ms; default 10 minutes). */
  lockWaitMs?: number;
  /**
   * Called once the run has reserved its folder (`runs/<run id>/`), before the first job, with the folders it
   * created: a caller that ends the process between two jobs (Ctrl-C) releases the run's running lock and removes
   * them while they are empty (`removeEmptyDirs`), so an interrupted run leaves no empty run folder.
   */
  onRunStarted?: (run: StartedRun) => void;
  /**
   * Stops the phase when aborted, between two jobs (the job under way is finished first): the run's running lock
   * is released and the run folder it created removed while empty, as Ctrl-C leaves them; the finished jobs' files
   * stay, and the next run takes them over (reuse.ts). The call rejects with `StudyAbortedError`. Aborted while the
   * run waits for another run's merge into the root (`lockWaitMs`), it stops waiting: every job is finished and its
   * rows are in this run's snapshot (`runs/<run id>/`), not merged into the summary (compare again to merge them).
   */
  signal?: AbortSignal;
}

/**
 * A run's id, the folders it created to hold `runs/<run id>/`, outermost first (that folder last), and the release
 * of its running lock (reuse.ts), which a caller that ends the process between two jobs calls before it removes them.
 */
export interface StartedRun {
  runId: string;
  /** The run's jobs (those it will skip included). */
  total: number;
  created: string[];
  release: () => void;
}

export interface PhaseGSummary {
  runId: string;
  /** Jobs with at least one model compared (those reused included). */
  compared: number;
  /** Of them, the jobs whose files and rows a stopped run left and this run took over (reuse.ts). */
  reused: number;
  /** The stopped runs they came from. */
  reusedFrom: string[];
  /** Model comparisons that failed with an error (bad file, shape mismatch…). */
  failed: number;
  /** Jobs with nothing to compare (our reconstruction missing or failed and no external model). */
  skipped: number;
  rows: SummaryRowCore[];
  skippedJobs: SkippedJob[];
  summary: MetricsSummary;
  files: { summaryJson: string; summaryMd: string; summaryCsv: string; charts: string[]; snapshot: string };
  warnings: string[];
}

export const comparisonPhase: Phase<ComparisonRun, CompareJob, CompareJobResult, PhaseGProgress> = {
  name: 'compare',
  local: 'together',
  // Each job's figure is drawn and its aligned arrays deflated on libuv's thread pool while this thread computes
  // the next job (prepareJob), whose files are written after those of the job before it. After a stop (signal) no
  // further job is started; a job already computed is still written in full and handed over, so nothing computed
  // is lost and nothing is half-written.
  async *runJobs(run, jobs, emit, signal) {
    let previous: FinishJob | null = null;
    for (const job of jobs) {
      await yieldToEventLoop(); // a job computes synchronously: let signals (Ctrl-C) and progress through between jobs
      if (signal?.aborted) break;
      let next: FinishJob;
      try {
        next = prepareJob(run, job, emit);
      } catch (err) {
        if (previous !== null) yield await previous(); // the job before keeps its files and result
        throw err;
      }
      if (previous !== null) yield await previous();
      previous = next;
    }
    if (previous !== null) yield await previous();
  },
};

/**
 * Phase G with its jobs in worker threads, one job per thread at a time and several threads at once (the local
 * executor's concurrency): each job computes and writes what `comparisonPhase` would (`compareJob`). A stop lets
 * the jobs under way finish (their files whole); no job starts after it. `compareJob` never throws for a job's own
 * problems (an unreadable input, a full disk: failed rows); what else ends a job — a fault of the code, memory that
 * cannot be had, a thread that died — rejects as the JobError `runInThread` makes of it (the error's name, message
 * and file error code as the thread posted them), exit 1 as the same error in this thread.
 */
export const comparisonPhaseInThreads: Phase<ComparisonRun, CompareJob, CompareJobResult, PhaseGProgress> = {
  name: 'compare',
  local: 'each',
  async *runJobs(run, jobs, emit) {
    for (const job of jobs) yield await runInThread<PhaseGProgress, CompareJobResult>(COMPARE_WORKER, { run, job }, emit);
  },
};

export { withOwner } from './unmerged.js';

/**
 * External model names must differ from each other and from ours in their file-name form (`modelSlug`: the keys
 * of reconstructions_aligned.npz), not only in case: 'Pty-Chi' and 'Pty_Chi' would write one set of keys.
 */
export function checkModelNames(models: readonly ExternalModel[]): void {
  const seen = new Map([[modelSlug(OWN_MODEL), OWN_MODEL]]);
  for (const m of models) {
    const slug = modelSlug(m.name);
    const other = seen.get(slug);
    if (other !== undefined) {
      throw new UsageError(`\`models\` name '${m.name}' is used twice (or is the built-in '${OWN_MODEL}')` +
        (other.toLowerCase() === m.name.toLowerCase() ? '' : `: '${other}' and '${m.name}' both name their files ${slug}_*`));
    }
    seen.set(slug, m.name);
  }
}

/** ' (7 reused from the stopped run <id>)' after a count of jobs compared; '' when none was reused. */
export function reusedNote(reused: number, from: readonly string[]): string {
  return reused === 0 ? '' : ` (${reused} reused from the stopped run${from.length === 1 ? '' : 's'} ${from.join(', ')})`;
}

const unmerged = new WeakSet<Error>();
const tablesUnwritten = new WeakSet<Error>();

/** Whether `err` ended a comparison after its rows were kept in its run's snapshot, before they were merged (compare again merges them). */
export function rowsKeptUnmerged(err: unknown): boolean {
  return err instanceof Error && unmerged.has(err);
}

/**
 * Whether `err` ended a comparison after its rows were merged into metrics_summary.json, while the files made from
 * it (metrics_summary.md, metrics_summary.csv, the charts) were written: some of them are missing or an earlier
 * run's (compare again writes them).
 */
export function summaryFilesUnwritten(err: unknown): boolean {
  return err instanceof Error && tablesUnwritten.has(err);
}

/**
 * What a Phase G run checks before it writes anything (`compare --executor slurm` makes the same checks before it
 * submits): an output root that is a file, the external models' names, a broken `metrics_summary.json` (the prior
 * summary is read first), a job directory that cannot be written (a read-only root), a directory where a job's file
 * belongs, or a job's comparison.json that does not name its run — a later per-job write error is that job's failure.
 */
export function checkBeforeComparing(opts: PhaseGOptions, plan: ComparePlan): void {
  const out = statEntry(opts.outputRoot);
  if (out && !out.isDirectory()) throw new UsageError(`${opts.outputRoot} exists and is not a directory`);
  checkModelNames(opts.models ?? []);
  // and so is a broken snapshot of a run whose rows were never merged (its merge, under the lock, takes them in)
  unmergedRuns(opts.outputRoot, readMetricsSummary(join(opts.outputRoot, PHASE_G.summaryJson)), null);
  checkJobOutputs(opts.outputRoot, plan.jobs);
}

/** The `jobs` option: undefined (1) or a positive integer; a UsageError otherwise. */
function checkJobsOption(jobs: unknown): number {
  if (jobs === undefined) return 1;
  if (typeof jobs !== 'number' || !Number.isInteger(jobs) || jobs < 1) throw new UsageError(`\`jobs\` ${shown(jobs)}: expected a positive integer (comparisons run at once)`);
  return jobs;
}

/** Runs Phase G (see the module comment). Never throws for a single job's problem: it is recorded. */
export async function runComparison(opts: PhaseGOptions, onProgress: (p: PhaseGProgress) => void = () => {},
  executor?: Executor): Promise<PhaseGSummary> {
  requirePathOptions(opts, ['phaseCRoot', 'phaseDRoot', 'phaseFRoot', 'outputRoot'], ['phaseDRoot']); // '' : no Phase D root (`compare` without --phase-d-root)
  checkOptionNames(opts, 'runComparison', optionNames<PhaseGOptions>({
    phaseCRoot: true, phaseDRoot: true, phaseFRoot: true, outputRoot: true, dose: true, view: true, split: true, models: true, region: true, figures: true,
    charts: true, jobs: true, lockWaitMs: true, onRunStarted: true, signal: true,
  }),
    { filters: 'the job filters are options themselves: `dose`, `view`, `split`', doses: 'the doses are `dose: 1e4` or `dose: [1e3, 1e4]`' });
  const signal = checkSignalOption(opts.signal);
  const jobsAtOnce = checkJobsOption(opts.jobs);
  const started = new Date();
  const startedAt = started.toISOString().replace(/\.\d+Z$/, 'Z');
  const plan = planComparisons(opts);
  checkBeforeComparing(opts, plan);
  await checkLocalRun(opts.outputRoot, false, null);
  const warnings = [...plan.warnings];
  for (const w of plan.warnings) onProgress({ kind: 'warning', message: w });
  const models = opts.models ?? [];
  const summaryPath = join(opts.outputRoot, PHASE_G.summaryJson);
  const doseTag = opts.dose == null ? '' : (Array.isArray(opts.dose) ? opts.dose : [opts.dose]).map(doseDir).join('+');
  const filterTag = [doseTag, opts.view ?? '', opts.split ?? ''].filter(Boolean).join('-');
  const runsDir = join(opts.outputRoot, PHASE_G.runs);
  const created = missingDirs(runsDir);
  // never the id of an earlier run of this root (a run started in the same second as a stopped one would take it)
  const named = usedRunIds(opts.outputRoot, plan.jobs.map((j) => jobDir(opts.outputRoot, j)));
  const runId = createUniqueDir(runsDir, `${compactUtc(started)}${filterTag ? `-${filterTag}` : ''}`, (name) => named.has(name));
  const run: ComparisonRun = {
    outputRoot: opts.outputRoot, runId, models, regionMode: opts.region ?? 'illumination', figures: opts.figures !== false,
    total: plan.jobs.length,
  };

  // held until the run's merge has ended: a run that holds it is not stopped, its jobs are not reused (reuse.ts) and its snapshot is its own to merge (unmerged.ts)
  const runDirs = [...created, resolve(runsDir, runId)];
  let releaseRunning: () => void;
  try {
    releaseRunning = acquireLock(runningLockPath(opts.outputRoot, runId), 'compare run', 'output root');
  } catch (err) {
    removeEmptyDirs(runDirs); // a full disk: no run folder is left empty
    throw err;
  }
  const rows: SummaryRowCore[] = [];
  const skipped: SkippedJob[] = [];
  const jobs: (JobOutcome & { filesRunId: string | null })[] = [];
  const finishedKeys: string[] = [];
  let compared = 0;
  let failed = 0;
  const reusedFrom: string[] = [];
  try {
    opts.onRunStarted?.({ runId, total: plan.jobs.length, created: runDirs, release: releaseRunning });
    const atOnce = Math.min(jobsAtOnce, plan.jobs.length);
    const phase = executor === undefined && atOnce > 1 ? comparisonPhaseInThreads : comparisonPhase;
    await (executor ?? localExecutor(atOnce)).run(phase, run, plan.jobs, onProgress, (job, r) => {
      rows.push(...r.rows);
      if (r.skipped) skipped.push(r.skipped);
      jobs.push({ dose: job.dose, view: job.view, split: job.split, archived: r.archived ?? null, filesRunId: r.files_run_id ?? null });
      compared += r.compared;
      failed += r.failed;
      if (r.reused_from) reusedFrom.push(r.reused_from);
      finishedKeys.push(job.key);
    }, signal);
  } catch (err) {
    releaseRunning();
    if (err instanceof StudyAbortedError) removeEmptyDirs(runDirs);
    throw err;
  }
  const reused = reusedFrom.length;
  const from = [...new Set(reusedFrom)];
  if (reused > 0) onProgress({ kind: 'summary', message: `${compared} compared${reusedNote(reused, from)}` });
  // the running locks killed runs left (stale: their process is gone) are removed by taking them over, with the
  // staging folder and empty run folder each left: every lock in the root (those of the runs whose jobs this run
  // took over among them) but this run's own
  removeStaleRunningLocks(opts.outputRoot, runningLockIds(opts.outputRoot).filter((id) => id !== runId));

  const record: PhaseGRun = {
    run_id: runId, started_at: startedAt, finished_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    filters: { dose: opts.dose ?? null, view: (opts.view ?? null) as PhaseGRun['filters']['view'], split: (opts.split ?? null) as PhaseGRun['filters']['split'] },
    models: models.map((m) => modelRecord(m, opts)),
    compared, failed, skipped: skipped.length, ...(reused > 0 ? { reused, reused_from: from } : {}), snapshot: `${PHASE_G.runs}/${runId}`,
  };
  // This run's own rows first (its private directory): kept whatever happens to the merge.
  const snapshot = join(opts.outputRoot, PHASE_G.runs, runId);
  const snapshotJson = join(snapshot, PHASE_G.summaryJson);
  const phaseC = phaseCMetadataCompliance(opts.phaseCRoot, opts.outputRoot);
  try {
    writeJsonAtomic(snapshotJson, mergeSummary(null, { rows, skipped, record, jobs, phaseC }));
  } catch (err) {
    // a full disk: the jobs' own files stay (a later run reuses them); the run folder, still empty, does not
    releaseRunning();
    removeEmptyDirs(runDirs);
    throw err;
  }
  // the running lock stays held until the merge has ended: another run's merge then never takes this run's snapshot
  // for that of a run that stopped before merging (unmerged.ts)
  const mdPath = join(opts.outputRoot, PHASE_G.summaryMd);
  const csvPath = join(opts.outputRoot, PHASE_G.summaryCsv);
  const chartsDir = join(opts.outputRoot, PHASE_G.charts);
  let merged: MetricsSummary;
  let charts: string[];
  let earlier: string[] = [];
  let summaryMerged = false; // metrics_summary.json holds this run's rows: what fails after it is the files made from it
  try {
    ({ merged, charts } = await withLock(join(opts.outputRoot, PHASE_G.lock), 'compare run', 'output root', async () => {
      // read again under the lock: another run may have merged since this one started, or replaced the
      // files of one of this run's jobs since (then that job's current rows stay the other run's)
      const prior = readMetricsSummary(summaryPath);
      // the runs that kept their rows in their snapshot without merging them (a full disk, a stop while waiting) first
      const unmerged = unmergedRuns(opts.outputRoot, prior, runId);
      earlier = unmerged.map((u) => u.record.run_id);
      const m = mergeSummary(mergeUnmerged(opts.outputRoot, prior, unmerged, runId),
        { rows, skipped, record, jobs: jobs.map((j) => withOwner(opts.outputRoot, j)), phaseC });
      // the summary, its tables and charts as they were move to history/replaced-<time>/ when this merge changes them
      const keep = new EarlierFiles(opts.outputRoot);
      writeJsonAtomic(summaryPath, m, keep.beforeRename);
      summaryMerged = true;
      writeFileAtomic(mdPath, summaryMarkdown(m), keep.beforeRename);
      writeFileAtomic(csvPath, summaryCsv(m), keep.beforeRename);
      return { merged: m, charts: opts.charts === false ? [] : await writeCharts(m, chartsDir, keep.beforeRename) };
    }, { waitMs: opts.lockWaitMs ?? MERGE_WAIT_MS, ...(signal !== undefined ? { signal } : {}) }));
  } catch (err) {
    releaseRunning();
    // stopped while another run merges: every job is finished and its rows are in this run's snapshot; not merged
    if (err instanceof LockWaitAbortedError) throw new StudyAbortedError('compare', finishedKeys, err.cause);
    if (err instanceof LockBusyError) {
      throw new Error(`${err.message}; this run's rows are kept in ${snapshotJson} but were not merged into ${summaryPath} (compare again to merge)`);
    }
    // a full disk: the rows are in the snapshot; what to do next is the command's to say (compare again; run --out)
    if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string') {
      if (summaryMerged) {
        err.message += `; this run's rows are merged into ${summaryPath}, but ${PHASE_G.summaryMd}, ${PHASE_G.summaryCsv} and the charts are not all written from it`;
        tablesUnwritten.add(err);
      } else {
        err.message += `; this run's rows are kept in ${snapshotJson} but were not merged into ${summaryPath}`;
        unmerged.add(err);
      }
    }
    throw err;
  }
  releaseRunning();
  if (earlier.length > 0) {
    onProgress({ kind: 'summary', message: `merged the rows that the earlier run${earlier.length === 1 ? '' : 's'} ${earlier.join(', ')} kept in ${earlier.length === 1 ? 'its snapshot' : 'their snapshots'}` });
  }
  onProgress({ kind: 'summary', message: `metrics summary: ${summaryPath} (${merged.rows.length} rows, ${merged.skipped_jobs.length} skipped jobs)` });
  if (charts.length > 0) onProgress({ kind: 'charts', message: `charts: ${charts.length / 2} metrics in ${chartsDir}` });
  return {
    runId, compared, reused, reusedFrom: from, failed, skipped: skipped.length, rows, skippedJobs: skipped, summary: merged,
    files: { summaryJson: summaryPath, summaryMd: mdPath, summaryCsv: csvPath, charts, snapshot },
    warnings,
  };
}
