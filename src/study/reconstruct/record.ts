/**
 * Phase F record: a run of Phase F from its start to its end, as the evidence files see it.
 *
 * `startReconstruction` takes the artifact root's lock, decides which selected jobs are already complete
 * (an earlier success whose outputs exist and whose input's size and SHA-256 are unchanged; a present but
 * broken reconstruction or input of such a success is an InputError, before anything is written, and so is a
 * probe or object file changed since the results it keeps started from it: start-files.ts), allocates
 * the run id and its snapshot directory `runs/<UTC time>-<filters>/`, and writes the merged manifest and
 * skip summary with the plan. `recordResult` adds one job's result and rewrites them (so an interrupted
 * run keeps every finished job); `finishReconstruction` writes the run's own immutable snapshot, the
 * merged files once more with the same timestamp, and releases the lock.
 */
import { chmodSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeJsonAtomic } from '../../files/atomic.js';
import { compactUtc, createUniqueDir, missingDirs, removeEmptyDirs } from '../../files/dirs.js';
import { fingerprint } from '../../files/fingerprint.js';
import { releaseChecked, tryLock } from '../../files/lock.js';
import { recordPath } from '../../files/paths.js';
import { NpzReader } from '../../npy/npz.js';
import { reconstructionSettingsSha256, stableJson } from '../../settings/fingerprint.js';
import { gridsizeOf, jobKey, PHASE_F, type JobAddress } from '../hub/layout.js';
import { checkPhaseFFiles, recordedReconstruction } from '../hub/recorded-files.js';
import { filterLabel, keptByFilters } from './filters.js';
import { absentStartFiles, checkStartFilesUnchanged, startFileAbsentError, type StartFile } from './start-files.js';
import { commandFor, type ReconstructionJob } from './jobs.js';
import { mergeManifest, mergeSkipSummary, relativiseManifest } from './manifest.js';
import type { ReconstructionPlan } from './plan.js';
import {
  readManifest, readSkipSummary, SCHEMA_VERSION,
  type ExecutionResult, type JobRecord, type Manifest, type RunRecord, type SkipEntry, type SkipSummary,
} from '../hub/reconstruction-files.js';
import type { EpochProgress } from './engine-runner.js';

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

export const ALREADY_COMPLETE = 'already complete';

export function ref(j: JobAddress): JobRef {
  return { dose: j.dose, view: j.view, split: j.split };
}

/** One Phase F run in progress: what its jobs need (run id, thread count) and what its record holds. */
export interface ReconstructionRun {
  plan: ReconstructionPlan;
  runId: string;
  snapshotDir: string;
  started: Date;
  /** Earlier result of each job key (from the merged manifest). */
  priorResults: Map<string, ExecutionResult>;
  alreadyComplete: ReconstructionJob[];
  toRun: ReconstructionJob[];
  skippedJobs: SkipEntry[];
  /** Jobs run at once. */
  concurrency: number;
  /** Threads of each job's engine (undefined: the job chooses). */
  threads: number | undefined;
  results: ExecutionResult[];
  /** Where each re-run job's earlier outputs were moved. */
  archived: Map<string, string>;
  failed: number;
  priorManifest: Manifest | null;
  priorSkip: SkipSummary | null;
  release: () => void;
  /** Releases the lock at the end of the run; throws when it was taken over meanwhile (another writer may have written). */
  releaseAtEnd: () => void;
}

function jobRecord(job: ReconstructionJob): JobRecord {
  const s = job.settings;
  return {
    dose: job.dose, view: job.view, split: job.split, gridsize: gridsizeOf(job.view),
    input_npz: recordPath(job.artifactRoot, job.inputNpz), output_dir: recordPath(job.artifactRoot, job.outputDir), algorithm: job.algorithm,
    num_epochs: s.epochs, batch_size: s.batchSize, noise_model: s.noiseModel, modes: s.modes,
    n_images: s.nImages, seed: s.seed, init_object: s.initObject, init_probe: s.initProbe,
    command: commandFor(job), settings_sha256: reconstructionSettingsSha256(s),
  };
}

/** Did the earlier result come from these settings? (Results recorded before settings hashes: by their command.) */
export function sameSettings(prior: ExecutionResult, job: ReconstructionJob): boolean {
  if (prior.settings_sha256 !== undefined) return prior.settings_sha256 === reconstructionSettingsSha256(job.settings);
  const OLD: Record<string, string> = { '--input-npz': '--input', '--output-dir': '--out' };
  const noThreads = (c: readonly string[]): string[] => c.filter((a, i) => a !== '--threads' && c[i - 1] !== '--threads').map((a) => OLD[a] ?? a);
  return stableJson(noThreads(prior.command)) === stableJson(noThreads(commandFor(job)));
}

/** The one line that refuses a finished job's file that cannot be read whole (`err`: why). */
function brokenFile(path: string, what: string, err: unknown): InputError {
  return new InputError(`${path}: ${what} is broken (${(err as Error).message.replace(`${path}: `, '')}); repair or remove it (nothing was written)`);
}

/**
 * Reads every member of the NPZ at `path` (inflated, CRC-checked); throws an `InputError` naming the file
 * when it cannot be read, is not a whole archive or a member is corrupt.
 */
function checkNpzIntact(path: string, what: string): void {
  try {
    const r = NpzReader.open(path);
    try {
      for (const key of r.keys()) r.raw(key);
    } finally {
      r.close();
    }
  } catch (err) {
    throw brokenFile(path, what, err);
  }
}

/**
 * The reconstruction.npz `output` of a recorded success with this job's settings: an `InputError` naming it when it is
 * broken, or not the file the manifest records the job wrote (size and SHA-256, when recorded). Reads that file only.
 */
export function checkFinishedReconstruction(prior: ExecutionResult, output: string): void {
  checkNpzIntact(output, 'the recorded reconstruction of a finished job');
  const written = recordedReconstruction(prior, output);
  if (written !== null) checkPhaseFFiles([written], 'put it back, or run the job again with `force` (the file then moves to its history); nothing was written');
}

/**
 * `checkNpzIntact` for a dataset, which may be larger than the memory of the machine that checks it (a SLURM
 * submission checks on its login node): every member read to its end in slices (`NpzReader.check`), nothing held.
 */
async function checkDatasetIntact(path: string, what: string): Promise<void> {
  try {
    const r = NpzReader.open(path);
    try {
      for (const key of r.keys()) await r.check(key);
    } finally {
      r.close();
    }
  } catch (err) {
    throw brokenFile(path, what, err);
  }
}

/**
 * Is the earlier result of this job still valid (success, same settings, outputs present, input unchanged)?
 * A recorded success whose reconstruction.npz is present but broken, or whose input no longer has the
 * recorded size and SHA-256 because it is broken (rather than replaced by another valid dataset), is an
 * `InputError` naming the file: neither "already complete" nor "input changed", so nothing is re-run or archived.
 */
async function isAlreadyComplete(prior: ExecutionResult | undefined, job: ReconstructionJob): Promise<boolean> {
  if (prior === undefined || prior.status !== 'success' || prior.input_size === null || prior.input_sha256 === null) return false;
  if (!sameSettings(prior, job)) return false;
  const output = join(job.outputDir, PHASE_F.reconstruction);
  // nothing at the path: the job runs again; anything else (a dangling link, a loop, a named pipe) is read and refused
  if (lstatSync(output, { throwIfNoEntry: false }) === undefined) return false;
  checkFinishedReconstruction(prior, output);
  if (statSync(job.inputNpz).size === prior.input_size && (await fingerprint(job.inputNpz)).sha256 === prior.input_sha256) return true;
  await checkDatasetIntact(job.inputNpz, 'the input of a finished job, changed since it ran,');
  return false;
}

function runRecord(run: ReconstructionRun, finishedAt: string | null): RunRecord {
  const { plan } = run;
  return {
    run_id: run.runId, started_at: run.started.toISOString(), finished_at: finishedAt, dry_run: plan.dryRun, filters: plan.filters,
    snapshot: `${PHASE_F.runs}/${run.runId}`, total_jobs: plan.allJobs.length, filtered_jobs: plan.selected.length,
    executed: plan.dryRun ? 0 : run.results.length, succeeded: run.results.filter((r) => r.status === 'success').length,
    failed: run.failed, already_complete: run.alreadyComplete.length, skipped_count: run.skippedJobs.length,
    missing_phase_d_count: plan.missing.length,
    reconstruction_settings: JSON.parse(JSON.stringify(plan.settings)) as Record<string, unknown>,
    ...(plan.settingsOrigin !== null ? { settings_origin: plan.settingsOrigin } : {}),
  };
}

/** This run's own manifest (what its snapshot holds). */
function runManifest(run: ReconstructionRun, timestamp: string, finishedAt: string | null): Manifest {
  const { plan } = run;
  const order = new Map(plan.selected.map((j, i) => [jobKey(j), i]));
  return {
    schema_version: SCHEMA_VERSION, timestamp, phase_c_root: recordPath(plan.artifactRoot, plan.phaseCRoot),
    phase_d_root: recordPath(plan.artifactRoot, plan.phaseDRoot), artifact_root: '.',
    provenance: { artifact_root: plan.artifactRoot, phase_c_root: plan.phaseCRoot, phase_d_root: plan.phaseDRoot },
    filters: plan.filters, total_jobs: plan.allJobs.length, filtered_jobs: plan.selected.length,
    missing_jobs: plan.missing.map((m) => ({ dose: m.dose, view: m.view, split: m.split, reason: m.reason })),
    jobs: plan.selected.map(jobRecord),
    execution_results: [...run.results].sort((a, b) => (order.get(jobKey(a)) ?? -1) - (order.get(jobKey(b)) ?? -1)),
    runs: [runRecord(run, finishedAt)],
  };
}

function runSkip(run: ReconstructionRun, timestamp: string): SkipSummary {
  return {
    schema_version: SCHEMA_VERSION, timestamp, skipped_count: run.skippedJobs.length, skipped_jobs: run.skippedJobs,
    missing_phase_d_count: run.plan.missing.length,
  };
}

/** Writes the merged files at the artifact root (each atomically; the manifest last). */
function writeMerged(run: ReconstructionRun, timestamp: string, finishedAt: string | null,
  emit: (e: PhaseFEvent) => void, skipWritten?: () => void): { manifest: Manifest; skip: SkipSummary } {
  const { plan } = run;
  const manifest = mergeManifest(run.priorManifest, runManifest(run, timestamp, finishedAt), plan.considered, run.archived);
  const skip = mergeSkipSummary(run.priorSkip, runSkip(run, timestamp), manifest, plan.considered);
  writeJsonAtomic(plan.skipSummaryPath, skip);
  skipWritten?.(); // from here on the merged files name the run (its skip entries)
  writeJsonAtomic(plan.manifestPath, manifest);
  emit({ type: 'manifest-written', path: plan.manifestPath, results: manifest.execution_results.length });
  return { manifest, skip };
}

/** Keys of the jobs a run does again whatever their earlier result (`force`: every selected job). */
export function redoneKeys(plan: ReconstructionPlan): Set<string> {
  return new Set(plan.force ? plan.selected.map((j) => jobKey(j)) : []);
}

/** The selected jobs a run would execute now (those not already complete); reads only: no lock, nothing written. */
export async function jobsToRun(plan: ReconstructionPlan): Promise<ReconstructionJob[]> {
  const prior = new Map((readManifest(plan.manifestPath)?.execution_results ?? []).map((r) => [jobKey(r), r]));
  await checkStartFilesUnchanged(plan.settings, prior.values(), redoneKeys(plan));
  const out: ReconstructionJob[] = [];
  for (const job of plan.selected) if (plan.force || !(await isAlreadyComplete(prior.get(jobKey(job)), job))) out.push(job);
  return out;
}

/**
 * Refuses (one line, before anything is written) a probe or object file the settings name that is not there
 * when some selected job still has to run from it (a dry run too, as it would); a root whose jobs are all complete needs none.
 */
export async function checkStartFilesPresent(plan: ReconstructionPlan, where?: string): Promise<void> {
  const absent = absentStartFiles(plan.settings);
  if (absent.length === 0) return;
  const pending = await jobsToRun(plan);
  if (pending.length === 0) return;
  const f = absent[0]!;
  throw startFileAbsentError(f, pending.length, where, startFileUsed(plan, f));
}

/**
 * Whether a job recorded in the plan's manifest (or its history) started from the path of `f` (its command names
 * it): then a file that is not there more likely moved than was mistyped (`startFileAbsentError`'s two ways on).
 */
export function startFileUsed(plan: ReconstructionPlan, f: StartFile): boolean {
  const spec = f.setting === 'reconstruction.initProbe' ? plan.settings.initProbe : plan.settings.initObject;
  const named = (r: { command: string[] }): boolean => r.command.includes(spec) || r.command.includes(`file:${f.path}`);
  return (readManifest(plan.manifestPath)?.execution_results ?? []).some((r) => named(r) || r.history.some(named));
}

/** Starts a run: lock, resume check, run id, the first merged record; emits the 'plan' event. */
export async function startReconstruction(plan: ReconstructionPlan, emit: (e: PhaseFEvent) => void): Promise<ReconstructionRun> {
  mkdirSync(plan.artifactRoot, { recursive: true });
  const lockPath = join(plan.artifactRoot, PHASE_F.lock);
  const lock = tryLock(lockPath, 'reconstruct run', 'artifact root');
  const release = (): void => lock.release();
  /** At the end of a run that succeeded: an Error when the lock was taken over meanwhile. */
  const releaseAtEnd = (): void => releaseChecked(lock, lockPath, 'reconstruct run', 'artifact root');
  try {
    // read again under the lock: the plan's read may predate another run's last merge
    const read = readManifest(plan.manifestPath);
    const priorManifest = read && relativiseManifest(read, plan.artifactRoot, [plan.artifactRoot, plan.phaseCRoot, plan.phaseDRoot]);
    const priorSkip = readSkipSummary(plan.skipSummaryPath);
    const priorResults = new Map((priorManifest?.execution_results ?? []).map((r) => [jobKey(r), r]));
    // a probe or object file changed since the results kept here started from it: refused before anything is written
    await checkStartFilesUnchanged(plan.settings, priorResults.values(), redoneKeys(plan));
    const alreadyComplete: ReconstructionJob[] = [];
    const toRun: ReconstructionJob[] = [];
    for (const job of plan.selected) {
      if (!plan.force && (await isAlreadyComplete(priorResults.get(jobKey(job)), job))) alreadyComplete.push(job);
      else toRun.push(job);
    }
    const started = new Date();
    const runsDir = join(plan.artifactRoot, PHASE_F.runs);
    const created = missingDirs(runsDir);
    const runId = createUniqueDir(runsDir, `${compactUtc(started)}-${filterLabel(plan.filters)}${plan.dryRun ? '-dry-run' : ''}`);
    const skippedJobs: SkipEntry[] = [
      ...plan.filterSkips.map((s) => ({ ...s, run_id: runId })),
      ...plan.missing.map((m) => ({ ...m, run_id: runId })),
      ...alreadyComplete.map((j) => ({ dose: j.dose, view: j.view, split: j.split, reason: ALREADY_COMPLETE, run_id: runId })),
    ];
    const concurrency = Math.max(1, Math.min(plan.concurrencyLimit, toRun.length));
    const run: ReconstructionRun = {
      plan, runId, snapshotDir: join(runsDir, runId), started, priorResults, alreadyComplete, toRun, skippedJobs, concurrency,
      threads: plan.threads ?? (concurrency > 1 ? 1 : undefined),
      results: [], archived: new Map(), failed: 0, priorManifest, priorSkip, release, releaseAtEnd,
    };
    emit({
      type: 'plan', runId, snapshotDir: run.snapshotDir, totalJobs: plan.allJobs.length, selected: plan.selected.map(ref),
      toRun: toRun.map(ref), alreadyComplete: alreadyComplete.map(ref), skipped: skippedJobs, dryRun: plan.dryRun, concurrency,
    });
    // The first merged record cannot be written (a full disk): the run folder, still empty, is removed with the
    // folders made for it unless the skip summary was written, which names the run (its snapshot is then kept for it).
    let named = false;
    try {
      writeMerged(run, new Date().toISOString(), null, emit, () => { named = true; });
    } catch (err) {
      if (!named) removeEmptyDirs([...created, run.snapshotDir]);
      throw err;
    }
    return run;
  } catch (err) {
    release();
    throw err;
  }
}

/** Adds one job's result to the run and rewrites the merged files (emits 'job-end', then 'manifest-written'). */
export function recordResult(run: ReconstructionRun, result: ExecutionResult, emit: (e: PhaseFEvent) => void): void {
  run.results.push(result);
  if (result.status === 'dry_run') return;
  if (result.status !== 'success') run.failed++;
  emit({ type: 'job-end', job: ref(result), result, done: run.results.length, failed: run.failed, count: run.toRun.length });
  writeMerged(run, result.finished_at, null, emit);
}

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
  /**
   * The jobs of the matrix whose input is missing (`allowMissingPhaseD`; counted in `missingPhaseDCount`), split by
   * whether the filters keep them: `missingSelected` are jobs the filters asked for and that did not run;
   * `missingFiltered` are jobs the filters leave out anyway.
   */
  missingSelected: JobRef[];
  missingFiltered: JobRef[];
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

/**
 * Ends the run: its own files (immutable snapshot), then the merged files with the same timestamp; releases the
 * lock — and throws when it was taken over while the run held it (another process may have written meanwhile).
 */
export function finishReconstruction(run: ReconstructionRun, emit: (e: PhaseFEvent) => void): PhaseFSummary {
  let summary: PhaseFSummary;
  try {
    const { plan } = run;
    const finished = new Date().toISOString();
    const ownManifest = runManifest(run, finished, finished);
    const ownSkip = runSkip(run, finished);
    for (const [name, value] of [[PHASE_F.manifest, ownManifest], [PHASE_F.skipSummary, ownSkip]] as const) {
      writeJsonAtomic(join(run.snapshotDir, name), value);
      chmodSync(join(run.snapshotDir, name), 0o444); // a snapshot is never rewritten
    }
    const { manifest, skip } = writeMerged(run, finished, finished, emit);
    summary = {
      runId: run.runId, snapshotDir: run.snapshotDir, manifestPath: plan.manifestPath, skipSummaryPath: plan.skipSummaryPath,
      totalJobs: plan.allJobs.length, filteredJobs: plan.selected.length, skippedCount: run.skippedJobs.length,
      missingPhaseDCount: plan.missing.length, alreadyComplete: run.alreadyComplete.length,
      missingSelected: plan.missing.filter((m) => keptByFilters(m, plan.filters)).map(ref),
      missingFiltered: plan.missing.filter((m) => !keptByFilters(m, plan.filters)).map(ref),
      executed: plan.dryRun ? 0 : run.results.length, succeeded: run.results.filter((r) => r.status === 'success').length,
      failed: run.failed, dryRun: plan.dryRun, exitCode: run.failed > 0 ? 1 : 0,
      results: ownManifest.execution_results, manifest, skipSummary: skip,
    };
  } catch (err) {
    run.release();
    throw err;
  }
  run.releaseAtEnd();
  return summary;
}
