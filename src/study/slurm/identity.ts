/**
 * Which of SLURM's records of a job id is the job a hub submitted under that id. SLURM gives an id again: after its
 * state is reset (a new StateSaveLocation, a cluster rebuilt), or when its ids wrap at MaxJobId. scontrol then shows
 * the newer job of that id, and `sacct --jobs` the most recent one unless `--duplicates` is given. A record is the hub's
 * when it has the name the hub's script gave the job and SLURM took it no earlier than the hub's submission began (less
 * the clock difference a working cluster allows) and before the hub's next submission from the same home began (a home
 * submits again only once none of its jobs is queued or running, so no task of an earlier submission is requeued
 * after). Any other record of the id is another job's: the hub's job is then one SLURM no longer knows.
 */
import { join, resolve } from 'node:path';
import { readTextAtMost } from '../../files/bounded-read.js';
import type { QueueEntry } from './scheduler.js';
import type { JobsRecord, StepRecord, Submission } from './records.js';
import { jobName } from './script.js';

/**
 * How far the submitting machine's clock may be from slurmctld's: 5 minutes, munge's default credential lifetime, past
 * which munged refuses the credentials sbatch sends (SLURM's own requirement that the clocks of a cluster agree).
 */
export const CLOCK_SKEW_MS = 300_000;

/** The bound on a step script read for its job name. */
const MAX_SCRIPT_BYTES = 1 << 20;

/** What the hub knows of the job it submitted for one step. */
export interface JobIdentity {
  /** The job id the hub recorded. */
  jobId: string;
  /** The job's name, as its kept script gave it to sbatch. */
  name: string;
  /** When the submission began (jobs.json `submitted_at`), before its first sbatch call; UTC, `…Z`. */
  submittedAt: string;
  /** When the next submission from the same home began, or null for the last one: no job of this submission was taken after it. */
  nextSubmittedAt: string | null;
}

/**
 * The name the job of a step script was submitted with: the last `--job-name` (`-J`) of its `#SBATCH` lines, as sbatch
 * takes the last (a `--slurm-sbatch-arg=--job-name=…` follows the tool's own); `fallback` when it names none.
 */
export function scriptJobName(script: string, fallback: string): string {
  let name = fallback;
  for (const line of script.split('\n')) {
    if (!line.startsWith('#SBATCH ')) continue;
    const m = /^#SBATCH\s+"?(?:--job-name(?:=|\s+)|-J\s*)("?)(.*?)\1"?\s*$/.exec(line);
    if (m !== null && m[2] !== '') name = m[2]!;
  }
  return name;
}

/**
 * What the hub at `home` knows of the job of step `record` of `submission` (`jobs`: its jobs.json, for the next
 * submission). The name is read from the step's kept script (its name is the home's name when it was submitted, which
 * a moved hub no longer has); a script that is gone gives the name the tool gives such a step here.
 */
export function jobIdentity(home: string, jobs: JobsRecord | null, submission: Submission, record: StepRecord): JobIdentity | null {
  if (record.job_id === null) return null;
  const fallback = jobName(record.step, resolve(home));
  let script: string | null = null;
  try {
    script = readTextAtMost(join(home, record.script), MAX_SCRIPT_BYTES, 'a step script');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const next = (jobs?.submissions ?? []).filter((s) => s.number > submission.number).map((s) => s.submitted_at).sort()[0] ?? null;
  return { jobId: record.job_id, name: script === null ? fallback : scriptJobName(script, fallback), submittedAt: submission.submitted_at, nextSubmittedAt: next };
}

/** Whether a record of the job id (scontrol's, sacct's or squeue's) is of the hub's job: its name, and SLURM's submit time within the hub's. */
export function isHubsJob(r: { name?: string; submitTime?: string }, id: JobIdentity): boolean {
  if (r.name !== id.name) return false;
  const at = Date.parse(r.submitTime ?? '');
  if (Number.isNaN(at)) return false;
  if (at < Date.parse(id.submittedAt) - CLOCK_SKEW_MS) return false;
  return id.nextSubmittedAt === null || at < Date.parse(id.nextSubmittedAt);
}

/** The records of the hub's job among SLURM's records of its id, and the newest record of another job of that id (null when none). */
export function recordsOf<R extends { name?: string; submitTime?: string }>(records: readonly R[], id: JobIdentity): { mine: R[]; other: R | null } {
  const mine = records.filter((r) => isHubsJob(r, id));
  const others = records.filter((r) => !isHubsJob(r, id));
  // the newest other job is the one that holds the id now
  const other = others.reduce<R | null>((a, r) => (a === null || (r.submitTime ?? '') > (a.submitTime ?? '') ? r : a), null);
  return { mine, other };
}

/** Another job that SLURM shows under the hub's job id: its name and submit time, as recorded in a failure's line. */
export interface OtherJob {
  name: string;
  submitTime: string;
}

/** `job 123 is now another job (name probe, submitted 2026-12-07T14:42:27Z; the hub's job: name generate-fly64, submitted at or after 2026-12-07T14:40:03Z)`. */
export function describeOtherJob(jobId: string, other: OtherJob, id: Pick<JobIdentity, 'name' | 'submittedAt'>): string {
  return `job ${jobId} is now another job (name ${other.name === '' ? '(none)' : other.name}, submitted ${other.submitTime === '' ? 'at a time SLURM does not give' : other.submitTime}; ` +
    `the hub's job: name ${id.name}, submitted at or after ${id.submittedAt})`;
}

/** squeue's entries of the hub's job only (see recordsOf). */
export function queueOf(queue: readonly QueueEntry[], id: JobIdentity): QueueEntry[] {
  return queue.filter((q) => q.jobId !== id.jobId || isHubsJob(q, id));
}

/**
 * squeue's entries of the jobs of `submissions` of `home` (`jobs`: its jobs.json), those of the hub's own jobs only: a job
 * that holds one of their ids now is left out, so that it is neither followed, waited for nor cancelled as theirs.
 */
export function hubsQueue(home: string, jobs: JobsRecord | null, submissions: readonly Submission[], queue: readonly QueueEntry[]): QueueEntry[] {
  const ids = submissions.flatMap((s) => s.steps.map((r) => jobIdentity(home, jobs, s, r)).filter((id): id is JobIdentity => id !== null));
  return queue.filter((q) => ids.some((id) => id.jobId === q.jobId && isHubsJob(q, id)));
}
