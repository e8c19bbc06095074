/**
 * What runs one reconstruction for Phase F: by default a worker thread (engine-worker.ts) that calls the file-level
 * entry point `runLsqmlJob`, so several jobs run at once without sharing a heap. A thread whose job ended well takes
 * the next job that starts within `IDLE_WORKER_MS` (study/job-thread.ts); one left idle longer ends, and so does one
 * whose job failed or was stopped. Tests inject an in-process runner of the same type.
 */
import { basename, dirname } from 'node:path';
import { TEMPORARY_PREFIX } from '../../files/atomic.js';
import { removeEntriesStartingWith } from '../../files/dirs.js';
import { endJobsUnderWay, resultsUnread, runInThread, stopJobsUnderWay, threadsStarted } from '../job-thread.js';
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
 * How long a stopped job may take to end the epoch under way and write its checkpoint before its thread is ended
 * anyway (and the job continues from its last periodic checkpoint instead). An epoch of a fly64-sized job takes
 * 1–2.5 s (docs/lsqml.md, "Checkpoints"), a checkpoint's write 10 ms; SLURM sends SIGKILL 30 s after SIGTERM by
 * default (KillWait), which leaves the task time to exit after it.
 */
export const STOP_CHECKPOINT_WAIT_MS = 10_000;

/**
 * Runs the job in a worker thread (`engine-worker.js`: an idle one, else a new one), which calls `runLsqmlJob`. The
 * job's `signal` stays here (a signal cannot cross to a thread): when it is aborted the thread's job is asked to stop
 * (its own signal there aborted: the engine ends the epoch under way and writes its checkpoint, as `ptychostudy lsqml`
 * does) and the call rejects with what it reports — or, still under way after `STOP_CHECKPOINT_WAIT_MS`, the thread
 * is ended, the checkpoint it may have been writing (`.tmp-lsqml-checkpoint.npz.<pid>.…`, never whole) is removed, and
 * the call rejects with a JobError saying so. A thread whose job failed, crashed or was stopped is ended; one whose job
 * ended well waits for the next (`IDLE_WORKER_MS`).
 */
export const workerEngine: EngineRunner = ({ signal, ...job }, onProgress) =>
  runInThread<EpochProgress, LsqmlJobResult>(ENGINE_WORKER, job, onProgress, signal, STOP_CHECKPOINT_WAIT_MS,
    job.checkpoint !== undefined ? ownCheckpointTemporaries(job.checkpoint.path) : undefined);

/**
 * Removes the checkpoint at `path` that this process was writing (`.tmp-lsqml-checkpoint.npz.<pid>.…`: files/atomic.ts
 * names a temporary after its file and its process): for a job whose thread was ended meanwhile. The job's next run
 * removes any such file too (job.ts), whoever left it.
 */
export function ownCheckpointTemporaries(path: string): () => void {
  return () => removeEntriesStartingWith(dirname(path), `${TEMPORARY_PREFIX}${basename(path)}.${process.pid}.`);
}

/**
 * For a stop handler that ends the process right after (`ptychostudy run`, `reconstruct`, a SLURM task): asks every
 * Phase F job under way in this process's worker threads to stop — each ends the epoch under way and writes its
 * checkpoint — and blocks this thread until they have, at most `STOP_CHECKPOINT_WAIT_MS`; true when every one ended
 * in time (none under way: true at once). `reason`: the signal's name, the reason their engines stop with.
 */
export function checkpointJobsUnderWay(reason: string, timeoutMs = STOP_CHECKPOINT_WAIT_MS): boolean {
  return stopJobsUnderWay(ENGINE_WORKER, reason, timeoutMs);
}

/**
 * Phase F jobs of this process whose engine finished (their last epoch ended, their result reported) and that their
 * `reconstructJob` is still storing: moving the outputs in from staging, waiting for the input's fingerprint — which
 * lets the event loop, and so a stop handler, run meanwhile. Its caller records each in the same turn as it returns.
 */
let finishedInHand = 0;

/**
 * Counts a job whose engine finished as unrecorded until the returned function is called (once; later calls do
 * nothing): `reconstructJob` holds it from its engine's result to its own return, so that a stop landing in between
 * records the job (`finishedJobsUnrecorded`) instead of ending the process without it.
 */
export function holdFinishedJob(): () => void {
  finishedInHand++;
  let held = true;
  return () => {
    if (held) { held = false; finishedInHand--; }
  };
}

/**
 * After `checkpointJobsUnderWay`: how many Phase F jobs finished their last epoch and are not recorded yet — those that
 * ended with their result (stopped in their last epoch, they finished it) whose message the event loop has not yet
 * delivered to the job's `workerEngine` call, and those whose result Phase F is storing (`holdFinishedJob`). Phase F
 * then stores and records them as any finished job's, once the command's signal is aborted.
 */
export function finishedJobsUnrecorded(): number {
  return resultsUnread(ENGINE_WORKER) + finishedInHand;
}

/**
 * After `checkpointJobsUnderWay` gave up (a job still in its epoch): ends the threads of the Phase F jobs still under way
 * (the results of the others are not read: the process ends next) and removes the checkpoint each may have been
 * writing. Resolves once they have stopped.
 */
export function endJobsStillUnderWay(): Promise<void> {
  return endJobsUnderWay(ENGINE_WORKER);
}
