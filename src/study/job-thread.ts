/**
 * Jobs run in worker threads, one job at a time per thread: Phase F's reconstructions (reconstruct/engine-runner.ts)
 * and, where several run at once, Phase G's comparisons (compare/threads.ts). A thread whose job ended well takes the
 * next job of the same kind that starts within `IDLE_WORKER_MS` (its modules loaded and compiled once, not once per
 * job); one left idle longer ends, and so does one whose job failed or was stopped.
 *
 * The parent side is `runInThread`; a worker module's body is `serveJobs(run)`. Messages between them are
 * `ThreadMessage`s: the job's progress events, then its result or its error (name, message, stack, a file error's code).
 * Each thread also shares three integers with its parent (`ThreadControl`): whether it has a job under way, how many
 * jobs it has ended, and whether the job it ended last reported a result the parent has not read yet — so that a stop
 * handler, which blocks this thread, can first let the jobs under way finish their files (`finishJobsUnderWay`), count
 * them (`jobsEnded`), and tell whether one finished with its result meanwhile (`resultsUnread`), whose message only
 * the event loop delivers.
 * A job may be asked to stop (`{ type: 'stop' }` from the parent: its `signal` inside the thread is aborted): by the
 * caller's own signal (`runInThread`, with `stopWaitMs`) or by a stop handler (`stopJobsUnderWay`), so that Phase F's
 * engine ends the epoch under way and saves its checkpoint, as `ptychostudy lsqml` does in its own thread.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';

/** Messages a job's thread posts to its parent. */
export type ThreadMessage<P, R> =
  | { type: 'progress'; progress: P }
  | { type: 'result'; result: R }
  | { type: 'error'; name: string; message: string; stack?: string; code?: string };

/** The error a job's thread reported (its name and message, and a file error's code, `ENOSPC`), or why the thread died. */
export class JobError extends Error {
  readonly code?: string;
  constructor(message: string, readonly kind: string = 'Error', code?: string) {
    super(message);
    this.name = 'JobError';
    if (code !== undefined) this.code = code;
  }
}

/**
 * How long a worker thread whose job ended well waits for the next job before it ends (its memory then freed). The
 * phases start a lane's next job as soon as the last one's files are stored, well within this.
 */
export const IDLE_WORKER_MS = 2000;

/**
 * What a thread shares with its parent: [BUSY] 1 while a job is under way, [ENDED] the jobs it has ended, [RESULT] 1
 * when the job it ended last reported its result and the parent has not read that message yet.
 */
const BUSY = 0, ENDED = 1, RESULT = 2;
const CONTROL_INTEGERS = 3;
type ThreadControl = Int32Array;

/** What the parent posts to a thread: a job to run, or a stop of the job under way (its signal aborted with `reason`). */
type ParentMessage<J> = { type: 'job'; job: J } | { type: 'stop'; reason: unknown };

/** What a thread is started with: its first job and its control integers. */
interface ThreadStart { job: object; control: SharedArrayBuffer }

interface IdleThread { worker: Worker; control: ThreadControl; timer: NodeJS.Timeout; onExit: () => void; onError: () => void }

/** Per worker module: the threads whose last job ended well, waiting for the next (most recent last). */
const idle = new Map<string, IdleThread[]>();
/** Per worker module: the control integers of every thread started (ended ones keep their count of jobs). */
const controls = new Map<string, ThreadControl[]>();
/** A thread with a job under way, as `stopJobsUnderWay` and `endJobsUnderWay` see it. */
interface RunningJob {
  control: ThreadControl;
  /** Stops reading the thread's messages: its call never settles (the process ends next). */
  abandon: () => void;
  /** Removes what the job writes under a temporary name, once its thread is ended (runInThread's `ownTemporaries`). */
  ownTemporaries: (() => void) | undefined;
}

/** Per worker module: the threads with a job under way, which `stopJobsUnderWay` asks to stop. */
const running = new Map<string, Map<Worker, RunningJob>>();

/** How many threads of the worker module `url` this process has started (each runs one job or several in turn). */
export function threadsStarted(url: URL): number {
  return controls.get(url.href)?.length ?? 0;
}

/** How many jobs the threads of `url` have ended in this process (well or not), counted by the threads themselves. */
export function jobsEnded(url: URL): number {
  return (controls.get(url.href) ?? []).reduce((n, c) => n + Atomics.load(c, ENDED), 0);
}

/**
 * Blocks this thread until no thread of `url` has a job under way, or `timeoutMs` has passed; true when none has. For
 * a stop handler that ends the process right after: the jobs under way write their files whole, and no job starts
 * meanwhile (the next is started from this thread).
 */
export function finishJobsUnderWay(url: URL, timeoutMs: number): boolean {
  const end = performance.now() + timeoutMs;
  for (const c of controls.get(url.href) ?? []) {
    while (Atomics.load(c, BUSY) === 1) {
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(c, BUSY, 1, left);
    }
  }
  return true;
}

/**
 * Asks every thread of `url` with a job under way to stop it (the job's `signal` in the thread is aborted with
 * `reason`), then blocks as `finishJobsUnderWay` does, at most `timeoutMs`; true when every such job has ended. For a
 * stop handler that ends the process right after: a Phase F job ends the epoch under way and writes its checkpoint
 * first. The messages the threads post meanwhile are never read.
 */
export function stopJobsUnderWay(url: URL, reason: unknown, timeoutMs: number): boolean {
  for (const worker of running.get(url.href)?.keys() ?? []) worker.postMessage({ type: 'stop', reason } satisfies ParentMessage<never>);
  return finishJobsUnderWay(url, timeoutMs);
}

/**
 * How many jobs of the threads of `url` have ended with their result and the message that carries it is not read yet:
 * jobs that finished while a stop handler blocked this thread (`stopJobsUnderWay`), which the event loop then delivers.
 */
export function resultsUnread(url: URL): number {
  return (controls.get(url.href) ?? []).filter((c) => Atomics.load(c, RESULT) === 1).length;
}

/**
 * For a stop handler whose wait (`stopJobsUnderWay`) ran out: stops reading the messages of every thread of `url` with a
 * job under way (their calls never settle: the process ends next), ends those whose job is still under way, and once
 * each has stopped, removes what its job was writing under a temporary name (runInThread's `ownTemporaries`: a
 * checkpoint cut short).
 */
export async function endJobsUnderWay(url: URL): Promise<void> {
  const ending: Promise<void>[] = [];
  for (const [worker, job] of running.get(url.href) ?? new Map<Worker, RunningJob>()) {
    job.abandon();
    if (Atomics.load(job.control, BUSY) !== 1) continue;
    ending.push(endThread(worker, job.control, job.ownTemporaries));
  }
  await Promise.all(ending);
}

/**
 * Ends a thread with its job under way; once it has stopped (it then has no job under way), removes what the job was
 * writing under a temporary name (`ownTemporaries`). Rejects when that removal throws.
 */
function endThread(worker: Worker, control: ThreadControl, ownTemporaries: (() => void) | undefined): Promise<void> {
  const stopped = (): void => {
    Atomics.store(control, BUSY, 0);
    ownTemporaries?.();
  };
  return worker.terminate().then(stopped, stopped);
}

/** An idle thread of `url` given the job, else a new one started with it. */
function threadFor(url: URL, job: object): { worker: Worker; control: ThreadControl } {
  const w = idle.get(url.href)?.pop();
  if (w !== undefined) {
    clearTimeout(w.timer);
    w.worker.off('exit', w.onExit);
    w.worker.off('error', w.onError);
    w.worker.ref();
    Atomics.store(w.control, BUSY, 1);
    Atomics.store(w.control, RESULT, 0);
    w.worker.postMessage({ type: 'job', job } satisfies ParentMessage<object>);
    return w;
  }
  const shared = new SharedArrayBuffer(CONTROL_INTEGERS * Int32Array.BYTES_PER_ELEMENT);
  const control = new Int32Array(shared);
  Atomics.store(control, BUSY, 1);
  controls.set(url.href, [...(controls.get(url.href) ?? []), control]);
  const start: ThreadStart = { job, control: shared };
  return { worker: new Worker(url, { workerData: start }), control };
}

/** Keeps a thread whose job ended well for the next job of its module, for `IDLE_WORKER_MS`; it keeps no process alive. */
function keepIdle(url: URL, worker: Worker, control: ThreadControl): void {
  worker.unref();
  const list = idle.get(url.href) ?? [];
  idle.set(url.href, list);
  const drop = (): void => {
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  };
  const entry: IdleThread = {
    worker,
    control,
    timer: setTimeout(() => { drop(); worker.off('exit', entry.onExit); worker.off('error', entry.onError); void worker.terminate(); }, IDLE_WORKER_MS),
    // an idle thread that ends or fails by itself (it should not) is no longer offered, and is ended
    onExit: (): void => { drop(); clearTimeout(entry.timer); },
    onError: (): void => { drop(); clearTimeout(entry.timer); void worker.terminate(); },
  };
  entry.timer.unref();
  worker.once('exit', entry.onExit);
  worker.on('error', entry.onError);
  list.push(entry);
}

/**
 * Runs `job` in a thread of the worker module `url` (an idle one, else a new one), passing its progress events to
 * `onProgress`; resolves with its result, rejects with a JobError. `signal` (a signal cannot cross to a thread): when
 * it is aborted the thread is ended at once and the call rejects saying so — or, with `stopWaitMs` > 0, the job is
 * first asked to stop (its own signal in the thread aborted with the same reason) and given that long to end: what it
 * then reports (its error, or its result when it was about to finish) settles the call; a job still under way after
 * it is ended as without `stopWaitMs`. A thread ended so, its job under way (here or by `endJobsUnderWay`), has
 * `ownTemporaries` called once it has stopped (before the call rejects): it removes what the job was writing under a
 * temporary name, which no one else would. A thread whose job failed, crashed or was stopped is ended; one whose job
 * ended well waits for the next (`IDLE_WORKER_MS`).
 */
export function runInThread<P, R>(url: URL, job: object, onProgress: (p: P) => void, signal?: AbortSignal, stopWaitMs = 0,
  ownTemporaries?: () => void): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    if (signal?.aborted) { reject(new JobError('stopped by its signal before it started')); return; }
    const { worker, control } = threadFor(url, job);
    const under = running.get(url.href) ?? new Map<Worker, RunningJob>();
    running.set(url.href, under);
    let settled = false;
    under.set(worker, { control, ownTemporaries, abandon: () => { settled = true; detach(); } });
    let giveUp: NodeJS.Timeout | undefined;
    const detach = (): void => {
      under.delete(worker);
      clearTimeout(giveUp);
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
      Atomics.store(control, BUSY, 0); // a thread that died, or was stopped, has no job under way
      Atomics.store(control, RESULT, 0);
      fn();
      if (keep) keepIdle(url, worker, control);
      else void worker.terminate();
    };
    // ended with its job under way: what the job was writing under a temporary name goes once the thread has stopped
    const end = (): void => settle(() => {
      const stopped = (): void => reject(new JobError('stopped by its signal'));
      endThread(worker, control, ownTemporaries).then(stopped, stopped);
    });
    const stop = (): void => {
      if (stopWaitMs <= 0) { end(); return; }
      worker.postMessage({ type: 'stop', reason: signal!.reason } satisfies ParentMessage<never>);
      giveUp = setTimeout(end, stopWaitMs);
    };
    const onMessage = (m: ThreadMessage<P, R>): void => {
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
}

/**
 * The body of a worker module: runs the job it was started with, posting its progress and then its result or its
 * error; then each job the parent posts (`{ type: 'job', job }`) the same way, one at a time. `run` gets the job's
 * `signal`, aborted when the parent posts `{ type: 'stop' }` (`runInThread` with `stopWaitMs`, `stopJobsUnderWay`); a
 * job that does not watch it runs to its end. Once a job has ended, before its result is posted, the thread counts it
 * and says it has none under way (`finishJobsUnderWay`).
 */
export async function serveJobs<J, P, R>(run: (job: J, progress: (p: P) => void, signal: AbortSignal) => Promise<R>): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('a job worker module must run in a worker thread');
  const start = workerData as ThreadStart;
  const control = new Int32Array(start.control);
  const post = (m: ThreadMessage<P, R>): void => port.postMessage(m);
  const ended = (): void => {
    Atomics.add(control, ENDED, 1);
    Atomics.store(control, BUSY, 0);
    Atomics.notify(control, BUSY);
  };
  let current: AbortController | null = null; // the stop of the job under way
  const one = async (job: J): Promise<void> => {
    const stop = new AbortController();
    current = stop;
    let message: ThreadMessage<P, R>;
    try {
      message = { type: 'result', result: await run(job, (progress) => post({ type: 'progress', progress }), stop.signal) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const code = (e as NodeJS.ErrnoException).code;
      message = { type: 'error', name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}), ...(typeof code === 'string' ? { code } : {}) };
    }
    current = null;
    Atomics.store(control, RESULT, message.type === 'result' ? 1 : 0);
    ended();
    post(message);
  };
  port.on('message', (m: ParentMessage<J>) => {
    if (m?.type === 'job') void one(m.job);
    // a stop that comes after its job ended (the two crossed) stops nothing
    else if (m?.type === 'stop') current?.abort(m.reason);
  });
  await one(start.job as J);
}
