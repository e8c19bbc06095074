/**
 * The shape every phase of a study has, and the executor that runs a phase's jobs.
 *
 *   plan     pure: the list of jobs with their inputs and outputs, what is filtered or skipped and why.
 *            Reads inputs, writes nothing; a bad option or input is an error before anything is written.
 *   start    (where the phase needs it) takes the phase's lock, allocates the run id, records the plan.
 *   jobs     each job writes its own result files atomically and returns its result record; a job
 *            depends only on the plan (and the run), so any process holding them can run it by index.
 *   record   merges job results into the phase's manifests and summaries (after each job, so an
 *            interrupted run keeps everything finished, and once more at the end).
 * Progress goes out as typed events; nothing here prints or reads argv.
 *
 * `Phase.runJobs` runs a set of jobs of one plan in the calling process and yields each job's result as
 * soon as its files are written. Jobs run together may share work (Phase C simulates the far field of a
 * split once for all doses), but sharing never changes a result: a job run alone writes the same bytes.
 * An executor decides which process runs which jobs: `localExecutor` runs them here — in one call when
 * the phase works in this thread, or up to `concurrency` single-job calls at once when each job runs in
 * a worker thread, one job at a time in each (Phase F). On a cluster (study/slurm/) each SLURM array task takes jobs one after another
 * and runs `runJobs(plan, [job])` for each in its own process (through `localExecutor`), writes each result
 * record, and the phase's record merges the results read back from those records.
 */

import { stoppedExitCode, UsageError } from '../errors.js';
import { shown } from '../settings/parse.js';
import { checkSettingsOrigin, originOf, type SettingsOrigin } from '../settings/origin.js';

/**
 * The paths a phase's options must name, checked where the phase is entered: options from a JavaScript
 * caller that are missing, or name a root by another name, are one UsageError naming the option — not a
 * TypeError from deep inside. Those in `mayBeEmpty` may be '' (a root the phase can do without), not absent.
 */
export function requirePathOptions<T extends object>(opts: T, names: readonly (keyof T & string)[], mayBeEmpty: readonly (keyof T & string)[] = []): void {
  if (opts === null || typeof opts !== 'object') {
    throw new UsageError(`options ${shown(opts)}: expected an object naming ${names.map((n) => `\`${n}\``).join(', ')}`);
  }
  for (const name of names) {
    const v: unknown = opts[name];
    if (typeof v !== 'string' || (v === '' && !mayBeEmpty.includes(name))) {
      throw new UsageError(`\`${name}\` ${v === undefined ? 'undefined' : shown(v)}: expected a path (the options name ${names.map((n) => `\`${n}\``).join(', ')})`);
    }
  }
}

/**
 * The option names a JavaScript caller gave an entry point: one it does not take is a UsageError naming it and
 * what the entry takes (with `hints[name]` where another entry takes that name), not an option silently ignored
 * — `runReconstruction(s, { dose: 1e4, … })` would otherwise reconstruct every dose.
 */
export function checkOptionNames(opts: object, entry: string, known: readonly string[], hints: Readonly<Record<string, string>> = {}): void {
  for (const name of Object.keys(opts)) {
    if (known.includes(name)) continue;
    const hint = Object.prototype.hasOwnProperty.call(hints, name) ? `${hints[name]}; ` : '';
    throw new UsageError(`${entry}: option \`${name}\`: expected no such option (${hint}it takes ${known.map((n) => `\`${n}\``).join(', ')})`);
  }
}

/**
 * The option names of an options type, as a list for `checkOptionNames`: written as `{ name: true, … }` typed by
 * the options interface, so an option added to the interface and not here fails to compile.
 */
export function optionNames<T>(names: { [K in keyof Required<T>]: true }): string[] {
  return Object.keys(names);
}

/** The phases of a study, in the order they run. */
export const PHASES = ['design', 'generate', 'overlap', 'reconstruct', 'compare', 'report'] as const;
export type PhaseName = (typeof PHASES)[number];

/** One unit of work of a phase: addressed by its index in the plan's job list. */
export interface PlannedJob {
  /** Position in the plan's job list (0-based). */
  index: number;
  /** Stable name of the job, e.g. `dose_1000/dense/train`. */
  key: string;
}

export interface Phase<Plan, Job extends PlannedJob, Result, Event> {
  readonly name: PhaseName;
  /**
   * How the local executor runs the jobs: 'together' — one `runJobs` call for all of them, in plan order
   * (the phase computes in this thread and may share work between jobs); 'each' — one call per job,
   * several at once (each job does its heavy work in a worker thread, which runs one job at a time).
   */
  readonly local: 'together' | 'each';
  /**
   * Runs `jobs` (of `plan`, in that order) in this process; yields each result when the job's files are written.
   * `signal`: a phase whose job does its work in a worker thread (Phase F) stops that job when it is aborted (at the
   * end of its epoch under way, its checkpoint written) and rejects without a result; the others finish the job under
   * way (the executor stops between jobs).
   */
  runJobs(plan: Plan, jobs: readonly Job[], emit: (e: Event) => void, signal?: AbortSignal): AsyncIterable<Result>;
}

/**
 * A study or a phase stopped through its `signal` (an AbortSignal that was aborted), as Ctrl-C stops the command
 * line's: what was finished is kept and recorded, the locks are released, a phase's worker threads are ended, and
 * running the same call again (or `ptychostudy run --out HUB`) continues it. `code` is `'ABORT_ERR'`, as on Node.js's
 * own AbortError; `cause` is the signal's reason.
 */
export class StudyAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  /** The command line's status when a signal stops it: 130, or 143 / 129 when `cause` is 'SIGTERM' / 'SIGHUP' (`exitCodeFor`). */
  readonly exitCode: number;
  constructor(
    /** The phase under way when the signal was seen. */
    readonly phase: PhaseName,
    /** The keys of that phase's jobs finished by this call (e.g. `dose_1000/dense/train`), in the order they finished. */
    readonly finishedJobs: readonly string[],
    cause: unknown,
    /** The phases of the study complete when it stopped (`runStudy`; empty from a phase's own entry point). */
    readonly completedPhases: readonly PhaseName[] = [],
  ) {
    super(`${phase}: stopped by its signal after ${finishedJobs.length} finished job${finishedJobs.length === 1 ? '' : 's'}; finished work is kept`, { cause });
    this.name = 'StudyAbortedError';
    this.exitCode = stoppedExitCode(cause);
  }
}

/** The `signal` option of an entry point: undefined or an AbortSignal (a UsageError otherwise). */
export function checkSignalOption(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new UsageError(`\`signal\` ${typeof signal}: expected an AbortSignal (new AbortController().signal) or undefined`);
  }
  return signal;
}

/**
 * The `settingsOrigin` option of a phase's entry point (undefined, or setting paths and where each came from; a UsageError
 * otherwise) narrowed to the settings the phase uses (`settings`: its groups and settings, `originOf`); null when not given.
 */
export function phaseOrigin(origin: unknown, settings: readonly string[]): SettingsOrigin | null {
  const checked = checkSettingsOrigin(origin);
  return checked === undefined ? null : originOf(checked, settings);
}

/**
 * What a local run checks before it writes `root` (a study hub when `isHub`, else one phase's root); `executor`: the
 * settings' `execution.executor`, null for an entry that takes no settings (`runComparison`, `buildReport`).
 */
export type LocalRunCheck = (root: string, isHub: boolean, executor: 'local' | 'slurm' | null) => Promise<void>;

let localRunCheck: LocalRunCheck | null = null;

/**
 * Sets the check `checkLocalRun` makes: the library's entry (src/index.ts, through slurm/local-guard.ts) sets the one
 * that refuses a root SLURM jobs still write, so that the phases need not import the SLURM code that drives them.
 * The command line checks that itself, before it says anything of its run (cli/cluster.ts), and sets none.
 */
export function setLocalRunCheck(check: LocalRunCheck | null): void {
  localRunCheck = check;
}

/** The check `setLocalRunCheck` set, for `root`; nothing when none is set. */
export async function checkLocalRun(root: string, isHub: boolean, executor: 'local' | 'slurm' | null): Promise<void> {
  if (localRunCheck !== null) await localRunCheck(root, isHub, executor);
}

/** Throws StudyAbortedError for `phase` when `signal` is aborted. */
export function throwIfStopped(signal: AbortSignal | undefined, phase: PhaseName, finishedJobs: readonly string[] = []): void {
  if (signal?.aborted) throw new StudyAbortedError(phase, finishedJobs, signal.reason);
}

/** Runs the jobs of a phase's plan somewhere and reports each result as it arrives. */
export interface Executor {
  /**
   * `signal`, when given and aborted: no job is started after it, and the call rejects with StudyAbortedError once
   * the jobs under way have ended (the results they reported recorded first).
   */
  run<Plan, Job extends PlannedJob, Result, Event>(phase: Phase<Plan, Job, Result, Event>, plan: Plan, jobs: readonly Job[],
    emit: (e: Event) => void, onResult: (job: Job, result: Result) => void, signal?: AbortSignal): Promise<void>;
}

/**
 * In this process: all jobs in one call ('together'), or `concurrency` single-job calls at a time ('each').
 * With a `signal`, checked after each job: the next one is not started once it is aborted.
 */
export function localExecutor(concurrency = 1): Executor {
  return {
    async run(phase, plan, jobs, emit, onResult, signal) {
      const finished: string[] = [];
      const done = (job: (typeof jobs)[number], r: Parameters<typeof onResult>[1]): void => { onResult(job, r); finished.push(job.key); };
      throwIfStopped(signal, phase.name);
      if (phase.local === 'together') {
        let i = 0;
        for await (const r of phase.runJobs(plan, jobs, emit, signal)) {
          done(jobs[i++]!, r);
          if (signal?.aborted) break; // ends the phase's generator (its finally blocks run)
        }
        throwIfStopped(signal, phase.name, finished);
        return;
      }
      let next = 0;
      let failed = false;
      const lane = async (): Promise<void> => {
        while (next < jobs.length && !failed && !signal?.aborted) {
          const job = jobs[next++]!;
          try {
            for await (const r of phase.runJobs(plan, [job], emit, signal)) done(job, r);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      // every lane ends before the call does: a caller that releases its lock on an error finds no job under way
      const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, lane));
      throwIfStopped(signal, phase.name, finished);
      const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (rejected !== undefined) throw rejected.reason;
    },
  };
}

/**
 * Lets timers, I/O callbacks and signal handlers run between jobs (a progress display's redraw, a Ctrl-C handler).
 * Two turns: a setImmediate queued while the loop handles I/O (a file read, a child's message) runs in the same
 * iteration, before the loop polls again — where a signal is seen; the second is queued from that turn, so the
 * loop polls in between. With one, a signal that came during the work before the first pause waited for the
 * next one (a fly64 far field, 5 s).
 */
export async function yieldToEventLoop(): Promise<void> {
  await new Promise((done) => setImmediate(done));
  await new Promise((done) => setImmediate(done));
}
