/**
 * Phase F orchestration: build the job matrix, filter it, resume, run the selected jobs on a pool of worker
 * threads, and keep the evidence (merged manifest + skip summary at the artifact root, an immutable
 * per-run snapshot under `runs/`). This is the one code path of `ptychostudy reconstruct` and of the
 * whole-study `run` command; it neither parses argv nor prints.
 */
import { availableParallelism } from 'node:os';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../files/atomic.js';
import { InputError, UsageError } from '../../errors.js';
import { checkWritableDir } from '../../files/writable.js';
import { checkProbeModes } from '../../data/memory.js';
import {
  buildJobs, commandFor, DEFAULT_DOSES, DEFAULT_ENGINE_SETTINGS, doseDir, gridsizeOf, jobKey, shellJoin, SPLITS, VIEWS,
  type EngineSettings, type ReconstructionJob,
} from './jobs.js';
import { applyFilters, filterLabel, validateFilters, type JobFilters } from './filters.js';
import { mergeManifest, mergeSkipSummary, readManifest, readSkipSummary } from './manifest.js';
import {
  SCHEMA_VERSION,
  type ExecutionResult, type JobRecord, type Manifest, type RunRecord, type SkipEntry, type SkipSummary,
} from './schema.js';
import { workerExecutor, type EpochProgress, type JobExecutor } from './engine.js';
import {
  acquireLock, archiveOutputs, compactUtc, createUniqueDir, fingerprint, isDirectory, moveFilesInto, removeStaleStaging,
  type Fingerprint,
} from './files.js';
import { selectionFacts } from './selection.js';

export const MANIFEST_FILE = 'reconstruction_manifest.json';
export const SKIP_SUMMARY_FILE = 'skip_summary.json';
export const JOB_LOG_FILE = 'reconstruction.log';

export interface PhaseFOptions {
  phaseCRoot: string;
  phaseDRoot: string;
  artifactRoot: string;
  /** Doses of the study design (default: the reference's 1e3, 1e4, 1e5). */
  doses?: readonly number[];
  filters?: Partial<JobFilters>;
  dryRun?: boolean;
  allowMissingPhaseD?: boolean;
  /** Re-run jobs that are already complete. */
  force?: boolean;
  /** Engine settings shared by every job (defaults: 100 epochs, batch 96, Gaussian, 1 mode, seed 42). */
  settings?: Partial<EngineSettings>;
  /** Jobs run at once (default: the number of cores). */
  jobs?: number;
  /** Runs one job; default: a worker thread running the LSQML engine. */
  executor?: JobExecutor;
}

export interface JobRef {
  dose: number;
  view: string;
  split: string;
}

export type PhaseFEvent =
  | { type: 'plan'; runId: string; snapshotDir: string; totalJobs: number; selected: JobRef[]; toRun: JobRef[];
      alreadyComplete: JobRef[]; skipped: SkipEntry[]; dryRun: boolean; concurrency: number }
  | { type: 'dry-run'; job: JobRef; preview: string }
  | { type: 'job-start'; job: JobRef; index: number; count: number; command: string }
  | { type: 'epoch'; job: JobRef; progress: EpochProgress }
  | { type: 'job-end'; job: JobRef; result: ExecutionResult; done: number; failed: number; count: number }
  | { type: 'manifest-written'; path: string; results: number };

export interface PhaseFSummary {
  runId: string;
  snapshotDir: string;
  manifestPath: string;
  skipSummaryPath: string;
  totalJobs: number;
  filteredJobs: number;
  skippedCount: number;
  missingPhaseDCount: number;
  alreadyComplete: number;
  executed: number;
  succeeded: number;
  failed: number;
  dryRun: boolean;
  /** 0: every selected job succeeded (or dry run); 1: some failed. */
  exitCode: 0 | 1;
  results: ExecutionResult[];
  manifest: Manifest;
  skipSummary: SkipSummary;
}

const ALREADY_COMPLETE = 'already complete';

function checkPositiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`${name} ${v}: expected a positive integer`);
}

function normaliseSettings(s: Partial<EngineSettings> | undefined): EngineSettings {
  const out: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS };
  for (const [k, v] of Object.entries(s ?? {})) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  checkPositiveInt('--epochs', out.epochs);
  checkPositiveInt('--batch-size', out.batchSize);
  checkPositiveInt('--modes', out.modes);
  checkProbeModes(out.modes);
  checkPositiveInt('--n-images', out.nImages);
  if (!Number.isInteger(out.seed) || out.seed < 0) throw new UsageError(`--seed ${out.seed}: expected a non-negative integer`);
  if (out.noiseModel !== 'gaussian' && out.noiseModel !== 'poisson') {
    throw new UsageError(`--noise-model ${String(out.noiseModel)}: expected gaussian or poisson`);
  }
  if (out.initObject !== 'ones' && out.initObject !== 'guess') throw new UsageError(`--init-object ${String(out.initObject)}: expected ones or guess`);
  return out;
}

function jobRecord(job: ReconstructionJob): JobRecord {
  const s = job.settings;
  return {
    dose: job.dose, view: job.view, split: job.split, gridsize: gridsizeOf(job.view),
    input_npz: job.inputNpz, output_dir: job.outputDir, algorithm: job.algorithm,
    num_epochs: s.epochs, batch_size: s.batchSize, noise_model: s.noiseModel, modes: s.modes,
    n_images: s.nImages ?? null, seed: s.seed, init_object: s.initObject, init_probe: s.initProbe,
    command: commandFor(job),
  };
}

function ref(j: JobRef): JobRef {
  return { dose: j.dose, view: j.view, split: j.split };
}

function logHeader(job: ReconstructionJob, command: string, returncode: number): string {
  return '# ptychostudy LSQML Reconstruction Log\n' +
    `# Job: dose=${job.dose}, view=${job.view}, split=${job.split}\n` +
    `# Command: ${command}\n` +
    `# Return code: ${returncode}\n` +
    `#${'='.repeat(60)}\n\n`;
}

function epochLine(p: EpochProgress): string {
  return `epoch ${p.epoch}/${p.epochs} loss=${p.loss.toExponential(6)} seconds=${p.seconds.toFixed(3)}`;
}

/** Is the earlier result of this job still valid for this input (success, outputs present, input unchanged)? */
async function isAlreadyComplete(prior: ExecutionResult | undefined, job: ReconstructionJob): Promise<boolean> {
  if (prior === undefined || prior.status !== 'success' || prior.input_size === null || prior.input_sha256 === null) return false;
  if (!existsSync(join(job.outputDir, 'reconstruction.npz'))) return false;
  if (statSync(job.inputNpz).size !== prior.input_size) return false;
  const fp = await fingerprint(job.inputNpz);
  return fp.sha256 === prior.input_sha256;
}

/**
 * Runs Phase F. Throws `UsageError` / `InputError` (exit code 2) before writing anything when the options,
 * the input roots or an existing manifest are bad. A failing job never throws: it is recorded and the
 * others go on; `summary.exitCode` is 1 when any selected job failed.
 */
export async function runPhaseF(opts: PhaseFOptions, onEvent: (e: PhaseFEvent) => void = () => {}): Promise<PhaseFSummary> {
  // ---- validation (read-only) ----
  const phaseCRoot = resolve(opts.phaseCRoot);
  const phaseDRoot = resolve(opts.phaseDRoot);
  const artifactRoot = resolve(opts.artifactRoot);
  const doses = [...(opts.doses ?? DEFAULT_DOSES)].sort((a, b) => a - b);
  if (doses.length === 0 || doses.some((d) => !Number.isFinite(d) || d <= 0)) {
    throw new UsageError(`doses ${doses.join(', ')}: expected one or more positive numbers`);
  }
  const filters: JobFilters = {
    dose: opts.filters?.dose ?? null, view: opts.filters?.view ?? null,
    split: opts.filters?.split ?? null, gridsize: opts.filters?.gridsize ?? null,
  };
  validateFilters(filters, doses);
  const settings = normaliseSettings(opts.settings);
  const concurrencyLimit = opts.jobs ?? availableParallelism();
  checkPositiveInt('--jobs', concurrencyLimit);
  if (!isDirectory(phaseCRoot)) throw new InputError(`--phase-c-root ${phaseCRoot}: not a directory (expected dose_<D>/patched_{train,test}.npz from Phase C)`);
  if (!isDirectory(phaseDRoot) && !opts.allowMissingPhaseD) {
    throw new InputError(`--phase-d-root ${phaseDRoot}: not a directory (expected dose_<D>/<view>/<view>_{train,test}.npz from Phase D; --allow-missing-phase-d skips those jobs)`);
  }
  if (existsSync(artifactRoot) && !isDirectory(artifactRoot)) throw new InputError(`--artifact-root ${artifactRoot}: exists and is not a directory`);

  const { jobs: allJobs, missing } = buildJobs({
    phaseCRoot, phaseDRoot, artifactRoot, doses, allowMissing: opts.allowMissingPhaseD ?? false, settings,
  });
  const { selected, skipped: filterSkips } = applyFilters(allJobs, filters);
  for (const dir of [artifactRoot, ...selected.map((j) => j.outputDir)]) checkWritableDir(dir, dir === artifactRoot ? '--artifact-root' : 'job output directory');
  const considered = new Set<string>();
  for (const dose of doses) for (const view of VIEWS) for (const split of SPLITS) considered.add(jobKey({ dose, view, split }));

  const manifestPath = join(artifactRoot, MANIFEST_FILE);
  const skipPath = join(artifactRoot, SKIP_SUMMARY_FILE);
  readManifest(manifestPath);
  readSkipSummary(skipPath);

  // ---- from here on we write ----
  const dryRun = opts.dryRun ?? false;
  mkdirSync(artifactRoot, { recursive: true });
  const release = acquireLock(artifactRoot);
  try {
    const priorManifest = readManifest(manifestPath);
    const priorSkip = readSkipSummary(skipPath);
    const priorResults = new Map((priorManifest?.execution_results ?? []).map((r) => [jobKey(r), r]));

    const alreadyComplete: ReconstructionJob[] = [];
    const toRun: ReconstructionJob[] = [];
    for (const job of selected) {
      if (!opts.force && (await isAlreadyComplete(priorResults.get(jobKey(job)), job))) alreadyComplete.push(job);
      else toRun.push(job);
    }

    const started = new Date();
    const runsDir = join(artifactRoot, 'runs');
    const runId = createUniqueDir(runsDir, `${compactUtc(started)}-${filterLabel(filters)}${dryRun ? '-dry-run' : ''}`);
    const snapshotDir = join(runsDir, runId);

    const missingSkips: SkipEntry[] = missing.map((m) => ({ ...m, run_id: runId }));
    const skippedJobs: SkipEntry[] = [
      ...filterSkips.map((s) => ({ ...s, run_id: runId })),
      ...missingSkips,
      ...alreadyComplete.map((j) => ({ dose: j.dose, view: j.view, split: j.split, reason: ALREADY_COMPLETE, run_id: runId })),
    ];
    const concurrency = Math.max(1, Math.min(concurrencyLimit, toRun.length));
    const threads = concurrency > 1 ? 1 : undefined;
    const executor = opts.executor ?? workerExecutor;

    const results: ExecutionResult[] = [];
    const archived = new Map<string, string>();
    let failed = 0;
    const runRecord = (finishedAt: string | null): RunRecord => ({
      run_id: runId, started_at: started.toISOString(), finished_at: finishedAt, dry_run: dryRun, filters,
      snapshot: `runs/${runId}`, total_jobs: allJobs.length, filtered_jobs: selected.length,
      executed: dryRun ? 0 : results.length, succeeded: results.filter((r) => r.status === 'success').length,
      failed, already_complete: alreadyComplete.length, skipped_count: skippedJobs.length,
      missing_phase_d_count: missing.length,
    });
    const runManifest = (timestamp: string, finishedAt: string | null): Manifest => ({
      schema_version: SCHEMA_VERSION, timestamp, phase_c_root: phaseCRoot, phase_d_root: phaseDRoot, artifact_root: artifactRoot,
      filters, total_jobs: allJobs.length, filtered_jobs: selected.length,
      missing_jobs: missing.map((m) => ({ dose: m.dose, view: m.view, split: m.split, reason: m.reason })),
      jobs: selected.map(jobRecord),
      execution_results: [...results].sort((a, b) => selected.findIndex((j) => jobKey(j) === jobKey(a)) - selected.findIndex((j) => jobKey(j) === jobKey(b))),
      runs: [runRecord(finishedAt)],
    });
    const runSkip = (timestamp: string): SkipSummary => ({
      schema_version: SCHEMA_VERSION, timestamp, skipped_count: skippedJobs.length, skipped_jobs: skippedJobs,
      missing_phase_d_count: missing.length,
    });
    /** Writes the merged files at the artifact root (each atomically; manifest last). */
    const writeMerged = (timestamp: string, finishedAt: string | null): { manifest: Manifest; skip: SkipSummary } => {
      const manifest = mergeManifest(priorManifest, runManifest(timestamp, finishedAt), considered, archived);
      const skip = mergeSkipSummary(priorSkip, runSkip(timestamp), manifest, considered);
      writeJsonAtomic(skipPath, skip);
      writeJsonAtomic(manifestPath, manifest);
      onEvent({ type: 'manifest-written', path: manifestPath, results: manifest.execution_results.length });
      return { manifest, skip };
    };

    onEvent({
      type: 'plan', runId, snapshotDir, totalJobs: allJobs.length, selected: selected.map(ref), toRun: toRun.map(ref),
      alreadyComplete: alreadyComplete.map(ref), skipped: skippedJobs, dryRun, concurrency,
    });
    writeMerged(new Date().toISOString(), null);

    if (dryRun) {
      for (const job of toRun) {
        const now = new Date().toISOString();
        const command = commandFor(job);
        const logPath = join(job.outputDir, JOB_LOG_FILE);
        const preview = `[DRY RUN] Would execute: ${shellJoin(command)}\n[DRY RUN] Would log to: ${logPath}`;
        onEvent({ type: 'dry-run', job: ref(job), preview });
        results.push({
          dose: job.dose, view: job.view, split: job.split, status: 'dry_run', returncode: 0, run_id: runId,
          started_at: now, finished_at: now, seconds: 0, input_npz: job.inputNpz, input_size: statSync(job.inputNpz).size,
          input_sha256: null, output_dir: job.outputDir, log_path: logPath, stdout_preview: preview.slice(0, 200), command,
          reconstruction_npz: null, reconstruction_png: null, lsqml_log: null, epochs_run: null, final_loss: null,
          n_positions: null, error: null, ...selectionFacts(job.inputNpz, job.view), history: [],
        });
      }
    } else {
      let next = 0;
      let done = 0;
      const runOne = async (job: ReconstructionJob, index: number): Promise<void> => {
        const k = jobKey(job);
        const t0 = new Date();
        const command = commandFor(job, threads);
        const commandText = shellJoin(command);
        onEvent({ type: 'job-start', job: ref(job), index, count: toRun.length, command: commandText });
        const staging = join(job.outputDir, `.staging-${runId}`);
        const fpPromise: Promise<Fingerprint | null> = fingerprint(job.inputNpz).catch(() => null);
        const lines: string[] = [];
        let engineResult: Awaited<ReturnType<JobExecutor>> | null = null;
        let error: string | null = null;
        try {
          mkdirSync(job.outputDir, { recursive: true });
          removeStaleStaging(job.outputDir);
          mkdirSync(staging, { recursive: true });
          engineResult = await executor({
            inputNpz: job.inputNpz, outputDir: staging, epochs: job.settings.epochs, batchSize: job.settings.batchSize,
            noiseModel: job.settings.noiseModel, modes: job.settings.modes, seed: job.settings.seed,
            initObject: job.settings.initObject, initProbe: job.settings.initProbe,
            ...(job.settings.nImages !== undefined ? { nImages: job.settings.nImages } : {}),
            ...(threads !== undefined ? { threads } : {}),
          }, (progress) => {
            lines.push(epochLine(progress));
            onEvent({ type: 'epoch', job: ref(job), progress });
          });
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
        const fp = await fpPromise;
        const facts = selectionFacts(job.inputNpz, job.view);
        let ok = error === null && engineResult !== null;
        const logPath = join(job.outputDir, JOB_LOG_FILE);
        const completed = (): string => `LSQML reconstruction completed: ${engineResult!.epochsRun} epochs, final loss ${engineResult!.finalLoss}, ` +
          `${engineResult!.nPositions} positions, ${engineResult!.seconds.toFixed(2)} s\n`;
        let tail = ok ? completed() : `=== ERROR ===\n${error}\n`;
        try {
          // Earlier outputs move to history/ instead of being overwritten; the new ones move in from staging.
          const prior = priorResults.get(k);
          const archivedTo = archiveOutputs(job.outputDir, prior?.run_id ?? `unrecorded-${runId}`);
          if (archivedTo !== null) archived.set(k, archivedTo);
          moveFilesInto(staging, job.outputDir);
          if (ok && !existsSync(join(job.outputDir, 'reconstruction.npz'))) {
            throw new Error('the engine reported success but wrote no reconstruction.npz');
          }
        } catch (err) {
          ok = false;
          error = `${error === null ? '' : `${error}; `}could not store the outputs in ${job.outputDir}: ${(err as Error).message}`;
          tail = `=== ERROR ===\n${error}\n`;
        }
        const returncode = ok ? 0 : 1;
        try {
          writeFileAtomic(logPath, logHeader(job, commandText, returncode) +
            (lines.length > 0 ? `=== EPOCHS ===\n${lines.join('\n')}\n\n` : '') + tail);
        } catch (err) {
          error = `${error === null ? '' : `${error}; `}could not write ${logPath}: ${(err as Error).message}`;
        }
        const t1 = new Date();
        const inOut = (p: string): string => join(job.outputDir, p);
        const result: ExecutionResult = {
          dose: job.dose, view: job.view, split: job.split, status: ok ? 'success' : 'failed', returncode, run_id: runId,
          started_at: t0.toISOString(), finished_at: t1.toISOString(), seconds: (t1.getTime() - t0.getTime()) / 1000,
          input_npz: job.inputNpz, input_size: fp?.size ?? null, input_sha256: fp?.sha256 ?? null,
          output_dir: job.outputDir, log_path: logPath, stdout_preview: (ok ? tail : error ?? '').slice(0, 200), command,
          reconstruction_npz: ok && existsSync(inOut('reconstruction.npz')) ? inOut('reconstruction.npz') : null,
          reconstruction_png: ok && existsSync(inOut('reconstruction.png')) ? inOut('reconstruction.png') : null,
          lsqml_log: existsSync(inOut('lsqml.log')) ? inOut('lsqml.log') : null,
          epochs_run: engineResult?.epochsRun ?? (lines.length > 0 ? lines.length : null),
          final_loss: engineResult !== null && Number.isFinite(engineResult.finalLoss) ? engineResult.finalLoss : null,
          n_positions: engineResult?.nPositions ?? null,
          error,
          ...facts,
          history: [],
        };
        results.push(result);
        if (!ok) failed++;
        done++;
        onEvent({ type: 'job-end', job: ref(job), result, done, failed, count: toRun.length });
        writeMerged(t1.toISOString(), null);
      };
      const lane = async (): Promise<void> => {
        while (next < toRun.length) {
          const i = next++;
          await runOne(toRun[i]!, i + 1);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
    }

    // ---- the run's own files (immutable snapshot), then the merged files with the same timestamp ----
    const finished = new Date().toISOString();
    const ownManifest = runManifest(finished, finished);
    const ownSkip = runSkip(finished);
    for (const [name, value] of [[MANIFEST_FILE, ownManifest], [SKIP_SUMMARY_FILE, ownSkip]] as const) {
      writeJsonAtomic(join(snapshotDir, name), value);
      chmodSync(join(snapshotDir, name), 0o444); // a snapshot is never rewritten
    }
    const { manifest, skip } = writeMerged(finished, finished);

    return {
      runId, snapshotDir, manifestPath, skipSummaryPath: skipPath,
      totalJobs: allJobs.length, filteredJobs: selected.length, skippedCount: skippedJobs.length,
      missingPhaseDCount: missing.length, alreadyComplete: alreadyComplete.length,
      executed: dryRun ? 0 : results.length, succeeded: results.filter((r) => r.status === 'success').length,
      failed, dryRun, exitCode: failed > 0 ? 1 : 0,
      results: ownManifest.execution_results, manifest, skipSummary: skip,
    };
  } finally {
    release();
  }
}

export { doseDir };
