/**
 * Following a cluster run: the state of each step (its jobs queued / running / done / failed) from the
 * scheduler (squeue), the jobs' claims and their result records, the failures with their SLURM reasons, and a loop
 * that waits until every job has ended and the submission is finished. Following never changes a job:
 * stopping it (Ctrl-C) leaves the jobs running, and `status` shows the same view later. `cancel` runs
 * scancel on a home's jobs, records it, and finishes the submissions once their jobs have ended.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isInside } from '../../files/paths.js';
import { UsageError } from '../../errors.js';
import { HUB, REPORT } from '../hub/layout.js';
import { utcSeconds } from '../../files/dirs.js';
import { releaseChecked, waitForLockSync } from '../../files/lock.js';
import { cancelHeldFinishJob, finishSubmission, neverStarts } from './finish.js';
import { hubsQueue } from './identity.js';
import { withMergeLock } from './merge-lock.js';
import {
  arrayTasksOf, FinishSchema, readClaim, readJobs, readRecord, readResults, slurmPaths, StepFinalSchema, writeJobs,
  type ArrayStep, type Finish, type Submission,
} from './records.js';
import { requireSlurmCommands, scancelEach, squeue, type QueueEntry } from './scheduler.js';
import { jobIdsOf } from './submit.js';
import { submissionSettings } from './task.js';
import type { StudySettings } from '../../settings/schema.js';

export interface StepView {
  step: ArrayStep;
  jobId: string | null;
  /** The step's jobs (the counts below are of jobs). */
  tasks: number;
  /** The SLURM array tasks that take them. */
  arrayTasks: number;
  /** Jobs no task has taken yet while some task of the array is still queued or running. */
  queued: number;
  /** Jobs taken by a task SLURM requeued, which waits to run again and take them back. */
  requeued: number;
  /** Why each requeued task that holds a job waits (`task 3: BeginTime`). */
  requeuedWaiting: string[];
  /** Jobs taken by a task that is running. */
  running: number;
  done: number;
  /** Jobs that failed, or were left without a result by a task that ended. */
  failed: number;
  /**
   * Why the queued tasks that hold no job wait, those that take the jobs no task has taken yet (SLURM's reasons:
   * Dependency, Resources, Priority, JobHeldUser…); empty when none is queued (the running tasks take those jobs).
   */
  waiting: string[];
  /** Whether the step's results are merged for good (final.json). */
  final: boolean;
  /** slurmState: SLURM's JobState of the task that left the job without a result (TIMEOUT, OUT_OF_MEMORY…), when known. */
  failures: { key: string; slurmJob: string | null; message: string; slurmState?: string }[];
  detail: string | null;
}

/** The limits a submission's tasks asked of SLURM, as its settings recorded them (null: the cluster's default). */
export interface AskedLimits {
  /** `--slurm-time`. */
  time: string | null;
  /** `--slurm-mem`. */
  mem: string | null;
  /** `--slurm-tasks`. */
  tasks: number | null;
  /**
   * The memory asked per CPU (`--slurm-sbatch-arg=--mem-per-cpu=2G`: '2G'; '' when the option names no value), or null
   * when it is not asked per CPU.
   */
  memPerCpu: string | null;
  /**
   * The memory asked with `--slurm-sbatch-arg=--mem=4G` ('4G'; '' when the option names no value), or null when none is
   * asked so. It follows --slurm-mem among the job's options, so it is the one SLURM applies.
   */
  memArg: string | null;
}

/**
 * The value of the last `option` (`--mem-per-cpu` or `--mem`) among sbatch options, each one argument (`--mem-per-cpu=2G`,
 * or `--mem-per-cpu 2G` as an #SBATCH line takes it): '2G'; '' for the option without a value; null when none gives it.
 */
function memOptionOf(args: readonly string[], option: '--mem' | '--mem-per-cpu'): string | null {
  let value: string | null = null;
  for (const a of args) {
    const m = new RegExp(`^${option}(?:(?:=|\\s+)(.*))?$`).exec(a.trim());
    if (m) value = (m[1] ?? '').trim();
  }
  return value;
}

/** The limits submission `s` asked (its recorded settings, parsed as its tasks parse them); all null when they cannot be read. */
export function askedLimits(s: Submission): AskedLimits {
  let slurm: StudySettings['execution']['slurm'];
  try {
    slurm = submissionSettings(s).execution.slurm;
  } catch {
    return { time: null, mem: null, tasks: null, memPerCpu: null, memArg: null };
  }
  return { time: slurm.time, mem: slurm.mem, tasks: slurm.tasks, memPerCpu: memOptionOf(slurm.sbatchArgs, '--mem-per-cpu'),
    memArg: memOptionOf(slurm.sbatchArgs, '--mem') };
}

export interface SubmissionView {
  home: string;
  number: number;
  command: string;
  /** The command line that submitted it, as typed. */
  argv: string[];
  submittedAt: string;
  steps: StepView[];
  /**
   * The finish job: queued (with SLURM's reason: Dependency, JobHeldUser…), running, ended, or cancelled (recorded so in
   * jobs.json and no longer queued: by `cancel`, or by whoever finished the submission while it was held).
   */
  finishJob: { jobId: string | null; state: 'queued' | 'running' | 'ended' | 'cancelled'; reason: string | null };
  /** Some job of the submission is queued or running. */
  active: boolean;
  /**
   * `active`: some job is queued or running; `ended`: none is, and the results are not merged yet; `finished`: merged
   * (finish.json); `cancelled`: merged, and some job of its arrays was cancelled by `ptychostudy cancel` before it ended.
   */
  state: 'active' | 'ended' | 'finished' | 'cancelled';
  finish: Finish | null;
  rejected: { step: string; message: string } | null;
  /** The submitting command was stopped before it submitted `not_submitted` (jobs.json `stopped`). */
  stopped: { at: string; signal: string; not_submitted: string[] } | null;
  cancelled: { at: string; job_ids: string[] }[];
  /** The limits its tasks asked of SLURM (time, memory, tasks). */
  limits: AskedLimits;
}

/** The view of submission `s` of `home`, given its jobs SLURM still shows (`queue`: squeue's). */
export function viewOf(home: string, s: Submission, queue: readonly QueueEntry[]): SubmissionView {
  const paths = slurmPaths(home);
  const steps: StepView[] = [];
  for (const rec of s.steps) {
    if (rec.step === 'finish') continue;
    const results = readResults(home, s.number, rec.step);
    const final = readRecord(paths.final(s.number, rec.step), StepFinalSchema, 'step record');
    const mine = new Map(queue.filter((q) => q.jobId === rec.job_id && q.task !== null).map((q) => [q.task!, q]));
    const v: StepView = {
      step: rec.step, jobId: rec.job_id, tasks: rec.tasks.length, arrayTasks: arrayTasksOf(rec), queued: 0, requeued: 0, running: 0, done: 0, failed: 0,
      waiting: [], requeuedWaiting: [], final: final !== null, failures: [], detail: final?.detail ?? null,
    };
    const isQueued = (q: QueueEntry): boolean => q.state === 'PENDING' || q.state.startsWith('REQUEUE');
    const reasonOf = (q: QueueEntry): string | null => (q.reason && q.reason !== 'None' ? q.reason : null);
    /** Array tasks that hold a job without its result: a queued one is a requeued task waiting to take it back. */
    const holding = new Set<number>();
    for (let j = 0; j < rec.tasks.length; j++) {
      const r = results.get(j);
      if (r !== undefined) {
        if (r.status === 'failed') v.failed++;
        else v.done++;
        continue;
      }
      const claim = final === null ? readClaim(home, s.number, rec.step, j) : null;
      if (claim !== null) {
        // Taken: running while its task is; queued while its task, requeued by SLURM, waits to run again and
        // take it back; a task that ended without its result is counted failed (the final merge records SLURM's reason).
        const q = mine.get(claim.array_task);
        if (q === undefined) v.failed++;
        else if (isQueued(q)) { v.requeued++; holding.add(claim.array_task); }
        else v.running++;
      } else if (final === null && mine.size > 0) {
        v.queued++;
      } else {
        v.failed++;
      }
    }
    // which task waits for what: a requeued task's reason (BeginTime…) is not that of the jobs no task has taken yet
    for (const [task, q] of [...mine].sort((a, b) => a[0] - b[0])) {
      const reason = reasonOf(q);
      if (!isQueued(q) || reason === null) continue;
      if (holding.has(task)) v.requeuedWaiting.push(`task ${task}: ${reason}`);
      else if (!v.waiting.includes(reason)) v.waiting.push(reason);
    }
    if (final !== null) {
      v.failures = final.failures.map((f) => ({ key: f.key, slurmJob: f.slurm_job, message: f.message, ...(f.slurm_state !== undefined ? { slurmState: f.slurm_state } : {}) }));
    } else {
      for (const r of results.values()) if (r.status === 'failed') v.failures.push({ key: r.key, slurmJob: r.slurm_job, message: `failed: ${r.error ?? ''}` });
    }
    steps.push(v);
  }
  const finishRec = s.steps.find((x) => x.step === 'finish');
  const fq = queue.find((q) => finishRec !== undefined && q.jobId === finishRec.job_id);
  const recorded = readRecord(paths.finish(s.number), FinishSchema, 'finish record');
  // the report where it is now: a hub copied off the cluster holds it under its own path, not the recorded one
  const finish = recorded?.report && s.hub !== null && isInside(s.hub, recorded.report)
    ? { ...recorded, report: join(resolve(home), relative(resolve(s.hub), resolve(recorded.report))) } : recorded;
  const recordedCancelled = new Set(s.cancelled.flatMap((c) => c.job_ids));
  const finishId = finishRec?.job_id ?? null;
  const finishState: SubmissionView['finishJob']['state'] = fq !== undefined ? (fq.state === 'PENDING' || fq.state.startsWith('REQUEUE') ? 'queued' : 'running')
    : finishId !== null && recordedCancelled.has(finishId) ? 'cancelled' : 'ended';
  // A finish job held (or never to start) once every array has ended is not waited for: the submission is finished
  // without it, and whoever finishes it cancels it (finish.ts).
  const arraysEnded = !queue.some((q) => q.jobId !== finishId && jobIdsOf(s).includes(q.jobId));
  const active = queue.some((q) => jobIdsOf(s).includes(q.jobId) && !(q.jobId === finishId && arraysEnded && neverStarts(q)));
  const arraysCancelled = s.steps.some((r) => r.step !== 'finish' && r.job_id !== null && recordedCancelled.has(r.job_id));
  return {
    home, number: s.number, command: s.command, argv: s.argv, submittedAt: s.submitted_at, steps,
    finishJob: { jobId: finishId, state: finishState, reason: fq !== undefined && fq.reason !== '' && fq.reason !== 'None' ? fq.reason : null },
    active, state: finish !== null ? (arraysCancelled ? 'cancelled' : 'finished') : active ? 'active' : 'ended',
    finish, rejected: s.rejected, stopped: s.stopped ?? null, cancelled: s.cancelled, limits: askedLimits(s),
  };
}

function submissionOf(home: string, n: number | null): Submission {
  const jobs = readJobs(home);
  if (jobs === null || jobs.submissions.length === 0) {
    if (!existsSync(home)) throw new UsageError(`\`hub\` ${home}: expected a hub folder; found no such folder`);
    // a hub run on this machine: where its state and its report are instead
    const report = join(home, HUB.report, REPORT.index);
    const local = existsSync(join(home, HUB.runState))
      ? `; this hub ran without SLURM: ${join(home, HUB.runState)} records its phases, ${existsSync(report) ? `its report is ${report}, ` : ''}and \`ptychostudy run --out ${home}\` resumes it`
      : '';
    throw new UsageError(`${home}: no SLURM jobs were submitted from here (no ${slurmPaths(home).jobs}); \`status\` and \`cancel\` follow runs made with --executor slurm${local}`);
  }
  const s = n === null ? jobs.submissions[jobs.submissions.length - 1]! : jobs.submissions.find((x) => x.number === n);
  if (s === undefined) throw new UsageError(`${slurmPaths(home).jobs}: no submission ${n} (found ${jobs.submissions.map((x) => x.number).join(', ')})`);
  return s;
}

/**
 * The view of submission `n` of `home` (default: the latest) now. A finished submission is read from the hub
 * alone (its records say everything), so it shows where SLURM's commands are not (a hub copied off the cluster).
 */
export function submissionView(home: string, n: number | null = null): SubmissionView {
  const s = submissionOf(home, n);
  const finished = readRecord(slurmPaths(home).finish(s.number), FinishSchema, 'finish record') !== null;
  if (!finished) requireSlurmCommands(['squeue', 'scontrol']);
  return viewOf(home, s, finished ? [] : hubsQueue(home, readJobs(home), [s], squeue(jobIdsOf(s))));
}

/** The numbers of a home's submissions, oldest first. */
export function submissionNumbers(home: string): number[] {
  return readJobs(home)?.submissions.map((s) => s.number) ?? [];
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export interface FollowOptions {
  /** Pause between two looks at the scheduler (default 1 s). */
  intervalMs?: number;
  /** Recorded as who finished the submission when this follower does it. */
  by?: string;
}

/**
 * Waits until every job of submission `n` has ended and the submission is finished (by its finish job,
 * or here when that job could not), calling `onView` after every look. Returns the last view.
 */
export async function followSubmission(home: string, n: number | null, onView: (v: SubmissionView) => void,
  opts: FollowOptions = {}): Promise<SubmissionView> {
  const number = submissionOf(home, n).number;
  for (;;) {
    const v = submissionView(home, number);
    onView(v);
    if (v.finish !== null) return v;
    if (!v.active) {
      const f = await finishSubmission(home, number, opts.by ?? 'a command following the run');
      if (f !== null) {
        const last = submissionView(home, number);
        onView(last);
        return last;
      }
    }
    // The scheduler is asked once per interval; the finish record, a file, is looked for more often, so
    // the command returns as soon as the last task has finished the submission.
    const until = Date.now() + (opts.intervalMs ?? 1000);
    while (Date.now() < until && !existsSync(slurmPaths(home).finish(number))) await sleep(Math.min(100, Math.max(0, until - Date.now())));
  }
}

/** What `cancel` has done so far, for its stop handler (`recordInterruptedCancel`). */
export interface CancelProgress {
  /** scancel was run on `ids` at `at` (its complaint, if any); null before. */
  sent: { ids: string[]; at: string; complaint: string | null } | null;
  /** The jobs recorded as cancelled in jobs.json; null until that record is written. */
  recorded: string[] | null;
}

/** How long a cancel stopped by a signal waits for the hub's lock to record what scancel was sent (merges take it for a moment). */
const STOP_RECORD_WAIT_MS = 30_000;

/** Adds `ids` to the `cancelled` record of the submissions they belong to. */
function addCancelled(home: string, ids: readonly string[], at: string): void {
  const now = readJobs(home)!;
  for (const s of now.submissions) {
    const mine = ids.filter((id) => jobIdsOf(s).includes(id));
    if (mine.length > 0) s.cancelled.push({ at, job_ids: mine });
  }
  writeJobs(home, now);
}

export interface CancelOutcome {
  /** The jobs scancel was given and SLURM ended (recorded as cancelled). */
  cancelled: string[];
  /** Jobs still queued or running after the wait. */
  remaining: string[];
  complaint: string | null;
  /** The submissions finished (merged) afterwards. */
  finished: number[];
  /** Finish jobs of those submissions, still queued (held) with nothing left to do, cancelled and recorded when they were finished. */
  finishJobs: string[];
}

/**
 * `ptychostudy cancel`: scancel on every queued or running job of `home`'s submissions (recorded in
 * jobs.json) — or, with `phase`, on that step's jobs only — then — once SLURM reports them ended — each
 * submission finished as far as its jobs have ended, so the cancelled tasks are recorded as failures. Returns
 * the job ids cancelled, and those still queued or running after `waitMs` (scancel refused them — another
 * user's jobs, say: not waited for when scancel names them — or SLURM did not end them in that time). When scancel took every job, they are recorded
 * as cancelled at once, before the wait; `progress` says how far it got, for a stop handler. A submission finished
 * here with its finish job still queued (a held one stays queued after its arrays are cancelled) has that job
 * cancelled too (`finishJobs`), so nothing of a cancelled submission stays in the queue.
 */
export async function cancelHome(home: string, waitMs = 60_000, phase: ArrayStep | null = null,
  progress: CancelProgress = { sent: null, recorded: null }): Promise<CancelOutcome> {
  const jobs = readJobs(home);
  if (jobs === null || jobs.submissions.length === 0) submissionOf(home, null);
  const open = jobs!.submissions.filter((s) => readRecord(slurmPaths(home).finish(s.number), FinishSchema, 'finish record') === null);
  if (open.length > 0) requireSlurmCommands(['squeue', 'scontrol', 'scancel']);
  const chosen = phase === null ? null : new Set(open.flatMap((s) => s.steps.filter((r) => r.step === phase && r.job_id !== null).map((r) => r.job_id!)));
  // only the hub's own jobs: one that SLURM gave one of their ids since is another's, not cancelled (identity.ts)
  const queue = hubsQueue(home, jobs, open, squeue(open.flatMap(jobIdsOf))).filter((q) => chosen === null || chosen.has(q.jobId));
  const ids = [...new Set(queue.map((q) => q.jobId))];
  const at = utcSeconds();
  const { complaint, refused } = scancelEach(ids);
  progress.sent = { ids, at, complaint };
  const record = async (cancelled: string[]): Promise<void> => {
    if (cancelled.length > 0) await withMergeLock(slurmPaths(home).lock, 'ptychostudy cancel', 'hub', () => addCancelled(home, cancelled, at));
    progress.recorded = cancelled;
  };
  // scancel took them all: recorded now, so a cancel stopped while it waits leaves the record whole.
  if (complaint === null) await record(ids);
  // waited for: the jobs scancel did not refuse by name (one it refused — another user's, say — will not end now)
  const deadline = Date.now() + waitMs;
  let left = ids;
  while (left.length > 0) {
    const now = new Set(hubsQueue(home, jobs, open, squeue(open.flatMap(jobIdsOf))).map((q) => q.jobId));
    left = ids.filter((id) => now.has(id));
    if (left.every((id) => refused.has(id)) || Date.now() >= deadline) break;
    await sleep(500);
  }
  // Recorded as cancelled: every job when scancel took them all; when it refused some, only those that ended.
  const cancelled = complaint === null ? ids : ids.filter((id) => !left.includes(id));
  if (complaint !== null) await record(cancelled);
  // Finishing a submission whose arrays have all ended cancels its finish job if still queued (held, say): it is
  // recorded in jobs.json by finishSubmission and said here, so a cancelled study leaves nothing of its own queued.
  const recordedBefore = new Set((readJobs(home)?.submissions ?? []).flatMap((s) => s.cancelled.flatMap((c) => c.job_ids)));
  const finished: number[] = [];
  for (const s of open) {
    if (await finishSubmission(home, s.number, 'ptychostudy cancel', { cancelling: true }) !== null) finished.push(s.number);
  }
  // A whole cancel also ends the finish job of a submission finished before, held in the queue all the same.
  if (phase === null) {
    for (const s of jobs!.submissions) if (!open.includes(s)) await cancelHeldFinishJob(home, s.number);
  }
  const finishJobs = (readJobs(home)?.submissions ?? []).flatMap((s) => s.cancelled.flatMap((c) => c.job_ids))
    .filter((id) => !recordedBefore.has(id) && !ids.includes(id));
  return { cancelled, remaining: left, complaint, finished, finishJobs };
}

/**
 * For `cancel` stopped by a signal after it ran scancel and before it recorded it: records the jobs scancel
 * took (all of them, or — when it refused some — those SLURM no longer lists) in jobs.json, synchronously
 * (the process exits after), and returns them; the submissions are finished later by `status` or the next
 * command, as after any cancel.
 */
export function recordInterruptedCancel(home: string, progress: CancelProgress): string[] {
  if (progress.sent === null) return [];
  if (progress.recorded !== null) return progress.recorded;
  const { ids, at, complaint } = progress.sent;
  let cancelled = ids;
  if (complaint !== null) {
    const jobs = readJobs(home);
    const now = new Set(squeue(jobs === null ? ids : jobs.submissions.flatMap(jobIdsOf)).map((q) => q.jobId));
    cancelled = ids.filter((id) => !now.has(id));
  }
  if (cancelled.length > 0) {
    const path = slurmPaths(home).lock;
    const lock = waitForLockSync(path, 'ptychostudy cancel', 'hub', { waitMs: STOP_RECORD_WAIT_MS });
    try {
      addCancelled(home, cancelled, at);
    } finally {
      releaseChecked(lock, path, 'ptychostudy cancel', 'hub');
    }
  }
  progress.recorded = cancelled;
  return cancelled;
}
