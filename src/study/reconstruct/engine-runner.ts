/**
 * What runs one reconstruction for Phase F: by default a worker thread (engine-worker.ts) that calls the file-level
 * entry point `runLsqmlJob`, so several jobs run at once without sharing a heap. A thread whose job ended well takes
 * the next job that starts within `IDLE_WORKER_MS` (study/job-thread.ts); one left idle longer ends, and so does one
 * whose job failed or was stopped. Tests inject an in-process runner of the same type.
 */
import { runInThread, threadsStarted } from '../job-thread.js';
import type { JobProgress, LsqmlJobOptions, LsqmlJobResult } from './lsqml-job.js';
import type { ReconstructionSettings } from '../../settings/schema.js';

export { IDLE_WORKER_MS, JobError } from '../job-thread.js';

export type EpochProgress = JobProgress;

/**
 * Runs one reconstruction; rejects with the job's error. Phase F hands it parsed settings and the input under
 * both its names (`input`, and the earlier `inputNpz`), so a runner written for either reads it.
 */
export type EngineRunner = (job: LsqmlJobOptions & { input: string; inputNpz: string; settings: ReconstructionSettings }, onProgress: (p: EpochProgress) => void) => Promise<LsqmlJobResult>;

const ENGINE_WORKER = new URL('./engine-worker.js', import.meta.url);

/** How many job worker threads `workerEngine` has started in this process (each runs one job or several in turn). */
export function jobWorkersStarted(): number {
  return threadsStarted(ENGINE_WORKER);
}

/**
 * Runs the job in a worker thread (`engine-worker.js`: an idle one, else a new one), which calls `runLsqmlJob`. The
 * job's `signal` stays here (a signal cannot cross to a thread): when it is aborted the thread is ended at once, and
 * the call rejects with a JobError saying so. A thread whose job failed, crashed or was stopped is ended; one whose
 * job ended well waits for the next (`IDLE_WORKER_MS`).
 */
export const workerEngine: EngineRunner = ({ signal, ...job }, onProgress) =>
  runInThread<EpochProgress, LsqmlJobResult>(ENGINE_WORKER, job, onProgress, signal);
