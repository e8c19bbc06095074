/**
 * Phase F — LSQML reconstruction of every dose × view × split, keeping all evidence: plan.ts (the job
 * matrix, filters, checks), record.ts (lock, resume, run id, the merged manifest and skip summary after
 * every job, the run's immutable snapshot), job.ts (one reconstruction: staging, archive, log),
 * lsqml-job.ts (the reconstruction itself, file to files), engine-runner.ts (a worker thread per job).
 * `runReconstruction` is the code path of `ptychostudy reconstruct` and of the whole-study runner; it
 * neither parses argv nor prints.
 */
import type { StudySettings, StudySettingsInput } from '../../settings/schema.js';
import { checkStudySettings } from '../../settings/parse.js';
import { usableCpus } from '../../engine/cpus.js';
import { checkLocalRun, checkSignalOption, localExecutor, optionNames, type Executor } from '../phase.js';
import { reconstructionPhase } from './job.js';
import { checkInitObjectFits, checkInitProbeFits, planOptions, planReconstruction, type ReconstructionRunOptions } from './plan.js';
import { checkStartFilesPresent, finishReconstruction, recordResult, startReconstruction, type PhaseFEvent, type PhaseFSummary } from './record.js';

export interface ReconstructionExecution {
  /** Runs the jobs; default: in this process, `execution.jobs` at once (each in a worker thread). */
  executor?: Executor;
  /** The file that records the settings (a hub's settings.json), named when a probe or object file it names is not there. */
  settingsFile?: string;
  /**
   * Stops the phase when aborted: no job starts after it, the jobs under way are stopped (each ends its epoch under
   * way and writes its checkpoint, from which it continues on the next run; one in its last epoch finishes it and is
   * recorded), the finished ones are kept in the manifest, the lock is released, and the call rejects with
   * `StudyAbortedError`.
   */
  signal?: AbortSignal;
}

/**
 * Runs Phase F. Throws `UsageError` / `InputError` (exit code 2) before writing anything when the options,
 * the input roots or an existing manifest are bad. A failing job never throws: it is recorded and the
 * others go on; `summary.exitCode` is 1 when any selected job failed.
 */
export async function runReconstruction(studySettings: StudySettings | StudySettingsInput, opts: ReconstructionRunOptions & ReconstructionExecution,
  onEvent: (e: PhaseFEvent) => void = () => {}): Promise<PhaseFSummary> {
  const settings = checkStudySettings(studySettings);
  const signal = checkSignalOption(opts?.signal);
  const plan = planReconstruction(settings, planOptions(opts, optionNames<ReconstructionExecution>({ executor: true, settingsFile: true, signal: true })), usableCpus());
  await checkLocalRun(plan.artifactRoot, false, settings.execution.executor);
  await checkStartFilesPresent(plan, opts.settingsFile);
  await checkInitProbeFits(plan);
  await checkInitObjectFits(plan);
  const run = await startReconstruction(plan, onEvent);
  try {
    const executor = opts.executor ?? localExecutor(plan.dryRun ? 1 : run.concurrency);
    await executor.run(reconstructionPhase(opts.engine), run, run.toRun, onEvent, (_job, result) => recordResult(run, result, onEvent), signal);
  } catch (err) {
    run.release();
    throw err;
  }
  return finishReconstruction(run, onEvent);
}
