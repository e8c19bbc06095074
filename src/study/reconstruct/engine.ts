/**
 * The contract between Phase F and the LSQML engine's file-level entry point (`src/study/lsqml-job.ts`),
 * and the executor that runs one job. The default executor runs each job in its own worker thread.
 */
import { Worker } from 'node:worker_threads';
import type { JobProgress, LsqmlJobOptions, LsqmlJobResult } from '../lsqml-job.js';

// The engine's own types (type-only import: the worker, not this module, loads the engine).
export type EngineJobOptions = LsqmlJobOptions;
export type EngineJobResult = LsqmlJobResult;
export type EpochProgress = JobProgress;

/** Runs one reconstruction; rejects with the job's error. */
export type JobExecutor = (opts: EngineJobOptions, onProgress: (p: EpochProgress) => void) => Promise<EngineJobResult>;

/** Messages a job worker posts to its parent. */
export type WorkerMessage =
  | { type: 'progress'; progress: EpochProgress }
  | { type: 'result'; result: EngineJobResult }
  | { type: 'error'; name: string; message: string; stack?: string };

/** Error of a job that failed inside its worker (the engine's message, or why the worker died). */
export class JobError extends Error {
  constructor(message: string, readonly kind: string = 'Error') {
    super(message);
    this.name = 'JobError';
  }
}

/** Runs the job in a fresh worker thread (`worker.js`), which calls the engine's `runLsqmlJob`. */
export const workerExecutor: JobExecutor = (opts, onProgress) => new Promise<EngineJobResult>((resolve, reject) => {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: opts });
  let settled = false;
  const settle = (fn: () => void): void => {
    if (settled) return;
    settled = true;
    fn();
    // The job is over either way: stop the thread (and anything it started) so its memory is freed now.
    void worker.terminate();
  };
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'progress') onProgress(m.progress);
    else if (m.type === 'result') settle(() => resolve(m.result));
    else settle(() => reject(new JobError(m.message, m.name)));
  });
  worker.on('error', (err) => settle(() => reject(new JobError(`worker crashed: ${err.message}`, err.name))));
  worker.on('exit', (code) => settle(() => reject(new JobError(`worker exited (code ${code}) before reporting a result`))));
});
