/**
 * Phase F jobs: one LSQML reconstruction each. The engine writes into a staging directory
 * `.staging-<run id>/`; when it ends, the job's earlier outputs move to `history/<run id>/` and the new
 * ones move in (each an atomic rename), then `reconstruction.log` is written: a header (job, the
 * equivalent `ptychostudy lsqml` command, return code), one line per epoch, and the outcome. A failing
 * job never throws: its result says why. What a killed run of the job left in its staging directory moves to
 * `history/interrupted-<run id>/` when the job starts again. Every `execution.checkpointEvery` epochs, and at the end
 * of the epoch under way when the job is stopped (its signal, or a stop handler's `checkpointJobsUnderWay`), the job's
 * state goes to `<job>/lsqml-checkpoint.npz` (checkpoint.ts), from which a job stopped midway (a SLURM task taken back
 * and requeued, a study stopped) continues when it runs again; it is removed once the job's result is in place. One of
 * another run (the job's settings changed since) moves to `history/other-run-checkpoint…/` and the job starts over.
 * A job that continued says so in `reconstruction.log` ("continued from epoch k of N (checkpoint …)") and lists every
 * epoch there, the earlier ones from the checkpoint's history (they come with the engine's first progress).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { namedInPlace, TEMPORARY_PREFIX, writeFailed, writeFileAtomic } from '../../files/atomic.js';
import { entriesStartingWith, moveFilesInto, removeEntriesStartingWith } from '../../files/dirs.js';
import { recordPath } from '../../files/paths.js';
import { fingerprint, fingerprintSync, type Fingerprint } from '../../files/fingerprint.js';
import { reconstructionSettingsSha256 } from '../../settings/fingerprint.js';
import { jobKey, PHASE_F } from '../hub/layout.js';
import type { Phase } from '../phase.js';
import { holdFinishedJob, workerEngine, type EngineRunner, type EpochProgress } from './engine-runner.js';
import { archiveOutputs, keepInterrupted } from './files.js';
import { commandFor, settingsBeyondCommand, type ReconstructionJob } from './jobs.js';
import { shellJoin } from '../../text.js';
import type { LsqmlJobResult } from './lsqml-job.js';
import { ref, type PhaseFEvent, type ReconstructionRun } from './record.js';
import type { ExecutionResult } from '../hub/reconstruction-files.js';
import { selectionFacts } from './selection.js';
import { startFilesRecord } from './start-files.js';

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

/** The result a dry run records for a job (what would run, where it would log). */
function dryRunJob(run: ReconstructionRun, job: ReconstructionJob, emit: (e: PhaseFEvent) => void): ExecutionResult {
  const now = new Date().toISOString();
  const command = commandFor(job);
  const logPath = join(job.outputDir, PHASE_F.jobLog);
  // settings only a settings file gives have no flag: without the file on the line (a library caller's settings) they
  // are named, so that the line is not taken for all of them
  const beyond = job.configFile != null ? [] : settingsBeyondCommand(job);
  const preview = `[DRY RUN] Would execute: ${shellJoin(commandFor(job, undefined, true))}\n` +
    (beyond.length > 0 ? `[DRY RUN] With settings not on that line (lsqml takes them from a settings file, --config FILE): ${beyond.join(', ')}\n` : '') +
    `[DRY RUN] Would log to: ${logPath}`;
  emit({ type: 'dry-run', job: ref(job), preview });
  const rel = (p: string): string => recordPath(job.artifactRoot, p);
  return {
    dose: job.dose, view: job.view, split: job.split, status: 'dry_run', returncode: 0, run_id: run.runId,
    started_at: now, finished_at: now, seconds: 0, input_npz: rel(job.inputNpz), input_size: statSync(job.inputNpz).size,
    input_sha256: null, output_dir: rel(job.outputDir), log_path: rel(logPath), stdout_preview: preview.slice(0, 200), command,
    reconstruction_npz: null, reconstruction_png: null, lsqml_log: null, epochs_run: null, final_loss: null,
    n_positions: null, error: null, ...selectionFacts(job.inputNpz, job.view), history: [],
  };
}

/**
 * Runs one job with `engine` and stores its outputs; never throws for the job's own failure. When `signal` is
 * aborted while the engine runs, the engine is stopped at the end of the epoch under way, having written its
 * checkpoint (a thread still under way after `STOP_CHECKPOINT_WAIT_MS` is ended), and this rejects with what the
 * engine threw, recording nothing: the job's staging directory is left as a killed run leaves it, and the next run
 * of the job continues from its checkpoint (or starts it over, with none). A job that ended its last epoch meanwhile
 * is stored and recorded as any other.
 */
export async function reconstructJob(run: ReconstructionRun, job: ReconstructionJob, engine: EngineRunner,
  emit: (e: PhaseFEvent) => void, signal?: AbortSignal): Promise<ExecutionResult> {
  const t0 = new Date();
  const threads = run.threads;
  const command = commandFor(job, threads);
  const commandText = shellJoin(command);
  emit({ type: 'job-start', job: ref(job), index: run.toRun.indexOf(job) + 1, count: run.toRun.length, command: shellJoin(commandFor(job, threads, true)) });
  const staging = join(job.outputDir, `${PHASE_F.stagingPrefix}${run.runId}`);
  const fpPromise: Promise<Fingerprint | null> = fingerprint(job.inputNpz).catch(() => null);
  const startPromise = startFilesRecord(job.settings); // the probe and object files as the job begins
  const lines: string[] = [];
  let continued = ''; // the log's line saying where the job continued from, when it did
  let engineResult: LsqmlJobResult | null = null;
  let error: string | null = null;
  // a checkpoint of another run (settings changed since the job was stopped) is kept in the job's history, and the job starts over
  const checkpoint = { path: join(job.outputDir, PHASE_F.checkpoint), every: run.plan.checkpointEvery, setAsideTo: join(job.outputDir, PHASE_F.history) };
  try {
    mkdirSync(job.outputDir, { recursive: true });
    keepInterrupted(job.outputDir, entriesStartingWith(job.outputDir, PHASE_F.stagingPrefix), PHASE_F.stagingPrefix); // a killed run's
    // a checkpoint a killed run was writing: never whole (the one before it is)
    removeEntriesStartingWith(job.outputDir, `${TEMPORARY_PREFIX}${PHASE_F.checkpoint}.`);
    try {
      mkdirSync(staging, { recursive: true });
    } catch (err) {
      throw writeFailed(staging, err); // a full disk (no inode left): named as the job's folder below
    }
    const settings = threads !== undefined ? { ...job.settings, threads } : job.settings;
    // both names of the input: an engine runner written for the earlier `inputNpz` reads it still
    engineResult = await engine({ input: job.inputNpz, inputNpz: job.inputNpz, outputDir: staging, settings, checkpoint, ...(signal !== undefined ? { signal } : {}) }, (progress) => {
      // a job that continued from its checkpoint: the epochs of the run that kept it, from the checkpoint's history
      if (progress.resumed !== undefined) {
        continued = `continued from epoch ${progress.resumed.from} of ${progress.epochs} (checkpoint ${progress.resumed.checkpoint})\n\n`;
        progress.resumed.earlier.forEach((e, i) => lines.push(epochLine({ epoch: i + 1, epochs: progress.epochs, loss: e.loss, seconds: e.seconds })));
      }
      lines.push(epochLine(progress));
      emit({ type: 'epoch', job: ref(job), progress });
    });
  } catch (err) {
    if (signal?.aborted) throw err; // stopped, not failed: nothing is recorded
    const named = namedInPlace(err, staging, job.outputDir); // a full disk: the file as the job's folder would hold it
    error = named instanceof Error ? named.message : String(named);
  }
  // A job whose engine finished is recorded whatever stop comes now: the awaits below let a stop handler run, which then
  // has the command's signal aborted and waits for this job's record (holdFinishedJob) instead of ending the process
  // without it — the next run would do the job again. Its caller records it in the turn this returns (onResult).
  const release = engineResult !== null ? holdFinishedJob() : (): void => {};
  try {
    const fp = await fpPromise;
    const started = await startPromise;
    const facts = selectionFacts(job.inputNpz, job.view);
    let ok = error === null && engineResult !== null;
    const logPath = join(job.outputDir, PHASE_F.jobLog);
    const completed = (): string => `LSQML reconstruction completed: ${engineResult!.epochsRun} epochs, final loss ${engineResult!.finalLoss}, ` +
      `${engineResult!.nPositions} positions, ${engineResult!.seconds.toFixed(2)} s\n`;
    // What the engine and the input reading warned of (also in the NPZ's _metadata.warnings), one line each.
    const warned = (): string => engineResult!.warnings.map((w) => `warning: ${w}\n`).join('');
    let tail = ok ? completed() + warned() : `=== ERROR ===\n${error}\n`;
    try {
      // Earlier outputs move to history/ instead of being overwritten; the new ones move in from staging.
      const prior = run.priorResults.get(jobKey(job));
      const archivedTo = archiveOutputs(job.outputDir, prior?.run_id ?? `unrecorded-${run.runId}`);
      if (archivedTo !== null) run.archived.set(jobKey(job), recordPath(job.artifactRoot, archivedTo));
      moveFilesInto(staging, job.outputDir);
      if (ok && !existsSync(join(job.outputDir, PHASE_F.reconstruction))) {
        throw new Error(`the engine reported success but wrote no ${PHASE_F.reconstruction}`);
      }
      if (ok) rmSync(checkpoint.path, { force: true }); // no result: the reconstruction holds what it led to
    } catch (err) {
      ok = false;
      error = `${error === null ? '' : `${error}; `}could not store the outputs in ${job.outputDir}: ${(err as Error).message}`;
      tail = `=== ERROR ===\n${error}\n`;
    }
    const returncode = ok ? 0 : 1;
    try {
      writeFileAtomic(logPath, logHeader(job, commandText, returncode) + continued +
        (lines.length > 0 ? `=== EPOCHS ===\n${lines.join('\n')}\n\n` : '') + tail);
    } catch (err) {
      error = `${error === null ? '' : `${error}; `}could not write ${logPath}: ${(err as Error).message}`;
    }
    const t1 = new Date();
    const inOut = (p: string): string => join(job.outputDir, p);
    // what the job wrote, as a resume checks it (record.ts): a reconstruction replaced by hand is refused, not compared
    let written: Fingerprint | null = null;
    if (ok) try { written = fingerprintSync(inOut(PHASE_F.reconstruction)); } catch { /* recorded without it */ }
    const rel = (p: string): string => recordPath(job.artifactRoot, p);
    return {
      dose: job.dose, view: job.view, split: job.split, status: ok ? 'success' : 'failed', returncode, run_id: run.runId,
      started_at: t0.toISOString(), finished_at: t1.toISOString(), seconds: (t1.getTime() - t0.getTime()) / 1000,
      input_npz: rel(job.inputNpz), input_size: fp?.size ?? null, input_sha256: fp?.sha256 ?? null,
      output_dir: rel(job.outputDir), log_path: rel(logPath), stdout_preview: (ok ? tail : error ?? '').slice(0, 200), command,
      settings_sha256: reconstructionSettingsSha256(job.settings),
      ...started,
      reconstruction_npz: ok && existsSync(inOut(PHASE_F.reconstruction)) ? rel(inOut(PHASE_F.reconstruction)) : null,
      ...(written !== null ? { reconstruction_size: written.size, reconstruction_sha256: written.sha256 } : {}),
      reconstruction_png: ok && existsSync(inOut(PHASE_F.figure)) ? rel(inOut(PHASE_F.figure)) : null,
      lsqml_log: existsSync(inOut(PHASE_F.engineLog)) ? rel(inOut(PHASE_F.engineLog)) : null,
      epochs_run: engineResult?.epochsRun ?? (lines.length > 0 ? lines.length : null),
      final_loss: engineResult !== null && Number.isFinite(engineResult.finalLoss) ? engineResult.finalLoss : null,
      n_positions: engineResult?.nPositions ?? null,
      error,
      ...facts,
      history: [],
    };
  } finally {
    release();
  }
}

/** Phase F as a `Phase`: each job in its own call (its engine runs in a worker thread, one job at a time), several at once. */
export function reconstructionPhase(engine: EngineRunner = workerEngine): Phase<ReconstructionRun, ReconstructionJob, ExecutionResult, PhaseFEvent> {
  return {
    name: 'reconstruct',
    local: 'each',
    async *runJobs(run, jobs, emit, signal) {
      for (const job of jobs) yield run.plan.dryRun ? dryRunJob(run, job, emit) : await reconstructJob(run, job, engine, emit, signal);
    },
  };
}
