/**
 * What runs one reconstruction for Phase F: by default a worker thread (engine-worker.ts) that calls the file-level
 * entry point `runLsqmlJob`, so several jobs run at once without sharing a heap. A thread whose job ended well takes
 * the next job that starts within `IDLE_WORKER_MS` (its modules loaded and compiled once, not once per job); one
 * left idle longer ends, and so does one whose job failed or was stopped. Tests inject an in-process runner of the
 * same type.
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
 * How long a worker thread whose job ended well waits for the next job before it ends (its memory then freed). Phase F
 * starts a lane's next job as soon as the last one's files are stored, well within this.
 */
export const IDLE_WORKER_MS = 2000;

/** Worker threads whose last job ended well, waiting for the next (most recent last). */
const idle: { worker: Worker; timer: NodeJS.Timeout; onExit: () => void; onError: () => void }[] = [];
let started = 0;

/** How many job worker threads `workerEngine` has started in this process (each runs one job or several in turn). */
export function jobWorkersStarted(): number {
  return started;
}

/** An idle worker thread given the job, else a new one started with it. */
function workerFor(job: object): Worker {
  const w = idle.pop();
  if (w !== undefined) {
    clearTimeout(w.timer);
    w.worker.off('exit', w.onExit);
    w.worker.off('error', w.onError);
    w.worker.ref();
    w.worker.postMessage({ type: 'job', job });
    return w.worker;
  }
  started++;
  return new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: job });
}

/** Keeps a worker thread whose job ended well for the next job, for `IDLE_WORKER_MS`; it keeps no process alive. */
function keepIdle(worker: Worker): void {
  worker.unref();
  const drop = (): void => {
    const i = idle.indexOf(entry);
    if (i >= 0) idle.splice(i, 1);
  };
  const entry = {
    worker,
    timer: setTimeout(() => { drop(); worker.off('exit', entry.onExit); worker.off('error', entry.onError); void worker.terminate(); }, IDLE_WORKER_MS),
    // an idle thread that ends or fails by itself (it should not) is no longer offered, and is ended
    onExit: (): void => { drop(); clearTimeout(entry.timer); },
    onError: (): void => { drop(); clearTimeout(entry.timer); void worker.terminate(); },
  };
  entry.timer.unref();
  worker.once('exit', entry.onExit);
  worker.on('error', entry.onError);
  idle.push(entry);
}

/**
 * Runs the job in a worker thread (`engine-worker.js`: an idle one, else a new one), which calls `runLsqmlJob`. The
 * job's `signal` stays here (a signal cannot cross to a thread): when it is aborted the thread is ended at once, and
 * the call rejects with a JobError saying so. A thread whose job failed, crashed or was stopped is ended; one whose
 * job ended well waits for the next (`IDLE_WORKER_MS`).
 */
export const workerEngine: EngineRunner = ({ signal, ...job }, onProgress) => new Promise<LsqmlJobResult>((resolve, reject) => {
  if (signal?.aborted) { reject(new JobError('stopped by its signal before it started')); return; }
  const worker = workerFor(job);
  let settled = false;
  const detach = (): void => {
    signal?.removeEventListener('abort', stop);
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
  };
  // The job is over either way: a thread whose job failed is ended (and anything it started), its memory freed now;
  // one whose job ended well is kept for the next job.
  const settle = (fn: () => void, keep = false): void => {
    if (settled) return;
    settled = true;
    detach();
    fn();
    if (keep) keepIdle(worker);
    else void worker.terminate();
  };
  const stop = (): void => settle(() => reject(new JobError('stopped by its signal')));
  const onMessage = (m: WorkerMessage): void => {
    if (m.type === 'progress') onProgress(m.progress);
    else if (m.type === 'result') settle(() => resolve(m.result), true);
    else settle(() => reject(new JobError(m.message, m.name, m.code)));
  };
  const onError = (err: Error): void => settle(() => reject(new JobError(`worker crashed: ${err.message}`, err.name)));
  const onExit = (code: number): void => settle(() => reject(new JobError(`worker exited (code ${code}) before reporting a result`)));
  signal?.addEventListener('abort', stop, { once: true });
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
});
