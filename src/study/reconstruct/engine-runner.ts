/**
 * What runs one reconstruction for Phase F: by default a fresh worker thread (engine-worker.ts) that calls
 * the file-level entry point `runLsqmlJob`, so several jobs run at once without sharing a heap and a job's
 * memory is freed the moment it ends. Tests inject an in-process runner of the same type.
 */
import { Worker } from 'node:worker_threads';
import type { JobProgress, LsqmlJobOptions, LsqmlJobResult } from './lsqml-job.js';
import type { ReconstructionSettings } from '../../settings/schema.js';

export type EpochProgress = JobProgress;

/**
 * Runs one reconstruction; rejects with the job's error. Phase F hands it parsed settings and the input under
 * both its names (`input`, and the earlier `inputNpz`), so a runner written for either reads it.
 */
export type EngineRunner = (job: LsqmlJobOptions & { input: string; inputNpz: string; settings: ReconstructionSettings }, onProgress: (p: EpochProgress) => void) => Promise<LsqmlJobResult>;

/** Messages a job worker posts to its parent. */
export type WorkerMessage =
  | { type: 'progress'; progress: EpochProgress }
  | { type: 'result'; result: LsqmlJobResult }
  | { type: 'error'; name: string; message: string; stack?: string; code?: string };

/** Error of a job that failed inside its worker (the engine's message, or why the worker died; a file error's code, `ENOSPC`). */
export class JobError extends Error {
  readonly code?: string;
  constructor(message: string, readonly kind: string = 'Error', code?: string) {
    super(message);
    this.name = 'JobError';
    if (code !== undefined) this.code = code;
  }
}

/**
 * Runs the job in a fresh worker thread (`engine-worker.js`), which calls `runLsqmlJob`. The job's `signal` stays
 * here (a signal cannot cross to a thread): when it is aborted the thread is ended at once, and the call rejects
 * with a JobError saying so.
 */
export const workerEngine: EngineRunner = ({ signal, ...job }, onProgress) => new Promise<LsqmlJobResult>((resolve, reject) => {
  if (signal?.aborted) { reject(new JobError('stopped by its signal before it started')); return; }
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: job });
  let settled = false;
  const settle = (fn: () => void): void => {
    if (settled) return;
    settled = true;
    fn();
    // The job is over either way: stop the thread (and anything it started) so its memory is freed now.
    void worker.terminate();
  };
  const stop = (): void => settle(() => reject(new JobError('stopped by its signal')));
  signal?.addEventListener('abort', stop, { once: true });
  worker.on('exit', () => signal?.removeEventListener('abort', stop));
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'progress') onProgress(m.progress);
    else if (m.type === 'result') settle(() => resolve(m.result));
    else settle(() => reject(new JobError(m.message, m.name, m.code)));
  });
  worker.on('error', (err) => settle(() => reject(new JobError(`worker crashed: ${err.message}`, err.name))));
  worker.on('exit', (code) => settle(() => reject(new JobError(`worker exited (code ${code}) before reporting a result`))));
});
