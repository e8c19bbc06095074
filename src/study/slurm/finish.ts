/**
 * The end of a submission: every step finalized (idempotent; each usually already is), then, for a whole
 * study, the report written and run.json closed — written once as `<n>/finish.json`. The finish job runs
 * this after the last array (afterany); a command following the run, `status` and `cancel` run it too when
 * every job has ended, so a killed or cancelled finish job loses nothing either.
 *
 * A submission whose command was stopped before it submitted every step (`stopped` in jobs.json) is finished
 * without a report: run.json stays `interrupted`, and the next submission runs the steps that are missing.
 *
 * Whoever finishes a submission other than its finish job leaves nothing of it queued: a finish job still held
 * (a user's `--hold` or `scontrol hold`, which it keeps after the arrays are released or cancelled) would never run
 * by itself, and it has nothing left to do, so it is cancelled and recorded as cancelled in jobs.json. Under
 * `ptychostudy cancel` a finish job still queued for any reason is cancelled so.
 */
import { join, relative } from 'node:path';
import { utcSeconds } from '../../files/dirs.js';
import { writeJsonAtomic } from '../../files/atomic.js';
import { hubRoots, REPORT } from '../hub/layout.js';
import { reportInputs, reportOutputs } from '../run/fingerprints.js';
import { readRunState, writeRunState, type RunState } from '../run/state.js';
import {
  FinishSchema, readJobs, readRecord, readSubmission, slurmPaths, writeJobs, type ArrayStep, type Finish, type StepFinal, type Submission,
} from './records.js';
import { scancel, slurmCommandsOnPath, squeue, SlurmError, type QueueEntry } from './scheduler.js';
import { hubsQueue } from './identity.js';
import { finalizeStep, homeLock, recordPhase } from './task.js';

/** A run is complete when every phase it recorded is (a phase may be complete with failed jobs). */
function runStatus(state: RunState): RunState['status'] {
  return Object.values(state.phases).every((p) => p?.status === 'complete') ? 'complete' : 'failed';
}

/**
 * Whether a queued job is one SLURM never starts by itself: held by its user or an administrator (or held after a
 * requeue), or waiting on a dependency that can no longer be met.
 */
export function neverStarts(q: QueueEntry): boolean {
  return (q.state === 'PENDING' && /^(JobHeldUser|JobHeldAdmin|DependencyNeverSatisfied)$/.test(q.reason)) || q.state === 'REQUEUE_HOLD';
}

/** The job id of submission `s`'s finish job, or null when it has none. */
function finishJobId(s: Submission): string | null {
  return s.steps.find((r) => r.step === 'finish')?.job_id ?? null;
}

/**
 * Whether job `id` is in SLURM's queue as the finish job of submission `s` of `home` (the name its script gave it, and
 * a submit time within the submission: identity.ts; a hub copied to another cluster records job ids that name other
 * jobs there, and SLURM gives an id again after its ids were reset or wrapped) in a state `cancel` takes; false when
 * squeue cannot answer.
 */
function queuedAsFinishJob(home: string, s: Submission, id: string, cancel: (q: QueueEntry) => boolean): boolean {
  try {
    return hubsQueue(home, readJobs(home), [s], squeue([id])).some((q) => q.jobId === id && cancel(q));
  } catch (err) {
    if (err instanceof SlurmError) return false;
    throw err;
  }
}

/**
 * Cancels job `id` and records it in submission `n`'s `cancelled` in jobs.json (the caller holds the hub's lock);
 * false when scancel refused it (another user's job: it stays, and is not recorded) or the record is gone.
 */
function cancelAndRecord(home: string, n: number, id: string): boolean {
  if (scancel([id]) !== null) return false;
  const jobs = readJobs(home);
  const s = jobs?.submissions.find((x) => x.number === n);
  if (jobs === null || s === undefined) return false;
  s.cancelled.push({ at: utcSeconds(), job_ids: [id] });
  writeJobs(home, jobs);
  return true;
}

/**
 * Cancels the finish job of submission `now` when it is still queued and would never start by itself (held), or,
 * with `cancelling`, queued at all; records it in jobs.json's `cancelled` (the caller holds the hub's lock). Without
 * SLURM's commands (a hub copied off the cluster) there is nothing to ask: the record stays as it is.
 */
function cancelQueuedFinishJob(home: string, now: Submission, cancelling: boolean): void {
  const id = finishJobId(now);
  if (id === null || !queuedAsFinishJob(home, now, id, (q) => (cancelling && q.state === 'PENDING') || neverStarts(q))) return;
  cancelAndRecord(home, now.number, id);
}

/**
 * The finish job of submission `n`, finished before now, still held in SLURM's queue (a hold put on it after the last
 * task had merged the submission, or left by an earlier version): cancelled and recorded in jobs.json, so `status`
 * never shows a finished submission with a job of its own queued for ever. Only where squeue and scancel are on PATH,
 * and only a job that has the name the submission gave it. Returns the job id cancelled, or null.
 */
export async function cancelHeldFinishJob(home: string, n: number): Promise<string | null> {
  const s = readSubmission(home, n);
  const id = finishJobId(s);
  if (id === null || s.cancelled.some((c) => c.job_ids.includes(id)) || !slurmCommandsOnPath(['squeue', 'scancel'])) return null;
  if (!queuedAsFinishJob(home, s, id, neverStarts)) return null;
  return homeLock(home, () => (queuedAsFinishJob(home, s, id, neverStarts) && cancelAndRecord(home, n, id) ? id : null));
}

export interface FinishOptions {
  /** `ptychostudy cancel` finishes it: a finish job still queued for any reason is cancelled, not only a held one. */
  cancelling?: boolean;
  /** The caller is the finish job itself (running, so never cancelled). */
  finishJob?: boolean;
}

/** Finishes submission `n` of `home`; null while one of its tasks may still write a result. */
export async function finishSubmission(home: string, n: number, by: string, opts: FinishOptions = {}): Promise<Finish | null> {
  const path = slurmPaths(home).finish(n);
  const done = readRecord(path, FinishSchema, 'finish record');
  if (done !== null) return done;
  const submission = readSubmission(home, n);
  const finals: { step: ArrayStep; final: StepFinal }[] = [];
  for (const record of submission.steps) {
    if (record.step === 'finish') continue;
    const final = await finalizeStep(home, submission, record, { by });
    if (final === null) return null;
    finals.push({ step: record.step, final });
  }
  return homeLock(home, async () => {
    const again = readRecord(path, FinishSchema, 'finish record');
    if (again !== null) return again;
    // Read again under the lock: a task may have read jobs.json while its submission was still being
    // submitted (a step recorded since, not finalized here) or before the submitting command was stopped.
    const now = readSubmission(home, n);
    if (now.steps.some((r) => r.step !== 'finish' && !finals.some((f) => f.step === r.step))) return null;
    const stopped = now.stopped !== undefined;
    let report: string | null = null;
    let reportFailed = false, reportBroken = false;
    let broken: { file: string; reason: string }[] = [];
    if (submission.command === 'run' && submission.hub !== null && submission.rejected === null && !stopped) {
      // As in a local run, the report shows run.json as it will be: its own phase written, the run complete
      // (unless a phase failed); run.json itself says so only once the report is in place (recordPhase), so
      // a finish killed while the report is built does not leave it complete.
      const hub = submission.hub;
      const before = readRunState(hub);
      const reportPath = join(hubRoots(hub).report, REPORT.index);
      const started = utcSeconds();
      let inputs: string | null = null;
      let shown: unknown;
      if (before !== null) {
        inputs = reportInputs(hub, before);
        before.phases.report = { status: 'running', started };
        writeRunState(hub, before);
        const s = JSON.parse(JSON.stringify(before)) as typeof before;
        s.phases.report = { status: 'complete', started, detail: relative(hub, reportPath) };
        s.status = runStatus(s);
        shown = s;
      }
      try {
        // The report's renderer is loaded only here (tasks never need it).
        const { buildReport } = await import('../report/phase.js');
        const built = await buildReport(hub, shown !== undefined ? { shownRun: shown } : {});
        report = built.indexPath;
        reportBroken = built.broken.length > 0; // the page is written from the rest; the finish exits 1, as `report` does
        broken = built.broken.map((b) => ({ file: relative(hub, b.file), reason: b.reason })); // hub-relative: the record stays true when the hub moves
        recordPhase(submission, 'report', 'complete', relative(hub, reportPath) + (reportBroken ? ` (broken evidence: ${built.broken.map((b) => relative(hub, b.file)).join(', ')})` : ''),
          // the broken files are the phase's failures, as a local run records them: the next run builds the report again
          { ...(reportBroken ? { failures: built.broken.length } : {}), ...(inputs !== null ? { inputs_sha256: inputs, outputs_sha256: reportOutputs(hub) } : {}) });
      } catch (err) {
        reportFailed = true;
        recordPhase(submission, 'report', 'failed', (err as Error).message);
      }
      const state = readRunState(hub);
      if (state !== null) {
        state.status = runStatus(state);
        writeRunState(hub, state);
      }
    }
    if (opts.finishJob !== true) cancelQueuedFinishJob(home, now, opts.cancelling === true);
    const failed = finals.some(({ final }) => final.failed > 0 || !final.complete) || reportFailed || reportBroken || submission.rejected !== null || stopped;
    const finish: Finish = {
      finished_at: utcSeconds(), finished_by: by, exit_code: failed ? 1 : 0, report,
      steps: finals.map(({ step, final }) => ({ step, complete: final.complete, failed: final.failed, detail: final.detail })),
      ...(broken.length > 0 ? { broken } : {}),
    };
    writeJsonAtomic(path, finish);
    return finish;
  });
}
