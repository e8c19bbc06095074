/**
 * The files a cluster run keeps in its hub, under `<home>/slurm/` (home: the hub of `run`, or the output
 * root of a single-phase command):
 *
 *   jobs.json                       every submission: its command, settings, steps (phase arrays and the
 *                                   finish job), their SLURM job ids, tasks (job keys) and options
 *   <step>.sbatch, <step>.2.sbatch  the scripts submitted, kept as evidence (never overwritten: a later
 *                                   submission writes the next free number)
 *   logs/<step>-<job>_<task>.out    what each task printed (SLURM writes it)
 *   <n>/<step>/start.json           the step's start record (Phase F/G: run id, the jobs to run)
 *   <n>/<step>/prior-*.json         the merged evidence as it was when the step started
 *   <n>/<step>/claims/<job>.json    which array task took job <job> (index into the step's tasks): made
 *                                   by an exclusive link, so each job has one taker
 *   <n>/<step>/results/<job>.json   one result record per job, written atomically by the task that ran it
 *   <n>/<step>/final.json           written once, when every task's result or fate is merged
 *   <n>/finish.json                 written once, when the whole submission is merged (and reported)
 *   .lock                           the lock every merge of this home takes (files/lock.ts)
 *
 * Every record is checked against its schema when read (it is input, even when we wrote it).
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { writeFailed, writeJsonAtomic } from '../../files/atomic.js';
import { readCheckedRecord } from '../hub/json-records.js';

export const SLURM_DIR = 'slurm';
export const JOBS_SCHEMA_VERSION = 1;

/** The phases that run as arrays, in the order of a study, and the closing job. */
export const ARRAY_STEPS = ['generate', 'overlap', 'reconstruct', 'compare'] as const;
export type ArrayStep = (typeof ARRAY_STEPS)[number];
export type StepName = ArrayStep | 'finish';
/** Commands that can submit. */
export const SUBMIT_COMMANDS = ['run', 'generate', 'overlap', 'reconstruct', 'compare'] as const;
export type SubmitCommand = (typeof SUBMIT_COMMANDS)[number];

const isoUtc = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'a UTC time');

export const StepRecordSchema = z.object({
  step: z.enum([...ARRAY_STEPS, 'finish']),
  /** null only between the record and sbatch's answer (the record is written first, so no task misses it). */
  job_id: z.string().regex(/^\d+$/).nullable(),
  /** The script, relative to the home. */
  script: z.string(),
  /** The job keys of the step, in order (a job's index is its place here); empty for the finish job. */
  tasks: z.array(z.string()),
  /**
   * How many array tasks take the step's jobs: each task first tries the job of its own index, then the
   * next job that no task has taken, until none is left. Absent in records of versions that ran one job
   * per task (task i ran tasks[i]); 0 for the finish job.
   */
  array_tasks: z.number().int().min(0).optional(),
  depends_on: z.string().nullable(),
  /** What the step's tasks need beyond the settings (roots, filters…), as the submitting command gave it. */
  options: z.record(z.string(), z.unknown()),
}).strict();
export type StepRecord = z.infer<typeof StepRecordSchema>;

export const SubmissionSchema = z.object({
  number: z.number().int().min(1),
  submitted_at: isoUtc,
  command: z.enum(SUBMIT_COMMANDS),
  /** The command line as typed (for people; the tasks read `settings` and `options`). */
  argv: z.array(z.string()),
  version: z.string(),
  node: z.string(),
  entry: z.string(),
  cwd: z.string(),
  /** The hub of a `run` (its run.json and report); null for a single-phase command. */
  hub: z.string().nullable(),
  /** The study settings every task parses again (settings/parse.ts). */
  settings: z.record(z.string(), z.unknown()),
  steps: z.array(StepRecordSchema),
  cancelled: z.array(z.object({ at: isoUtc, job_ids: z.array(z.string()) }).strict()),
  /** The step sbatch refused, and its message (nothing of this submission runs then). */
  rejected: z.object({ step: z.string(), message: z.string() }).strict().nullable(),
  /**
   * The submitting command was stopped (Ctrl-C, SIGTERM, SIGHUP) between two sbatch calls: `steps` holds what was
   * submitted (those jobs run), `not_submitted` the steps it did not reach. Absent when it was not stopped.
   */
  stopped: z.object({ at: isoUtc, signal: z.string(), not_submitted: z.array(z.string()) }).strict().optional(),
}).strict();
export type Submission = z.infer<typeof SubmissionSchema>;

export const JobsRecordSchema = z.object({
  schema_version: z.literal(JOBS_SCHEMA_VERSION),
  tool: z.literal('ptychostudy'),
  submissions: z.array(SubmissionSchema),
}).strict();
export type JobsRecord = z.infer<typeof JobsRecordSchema>;

export const TaskResultSchema = z.object({
  schema_version: z.literal(1),
  step: z.enum(ARRAY_STEPS),
  key: z.string(),
  /** The job's index in the step's tasks. */
  task: z.number().int().min(0),
  /** The array task that ran it (absent in records of versions that ran one job per task: then = task). */
  array_task: z.number().int().min(0).optional(),
  /** `123_4` (the array task), or null when the task ran outside SLURM. */
  slurm_job: z.string().nullable(),
  host: z.string(),
  pid: z.number().int(),
  /** ok: the job did its work; failed: it did not (error says why); skipped: nothing to do (error says why). */
  status: z.enum(['ok', 'failed', 'skipped']),
  error: z.string().nullable(),
  started_at: isoUtc,
  finished_at: isoUtc,
  seconds: z.number().nonnegative(),
  /** CPU time of the task's process (all its threads) since its previous job's result (the first job: since the process started). */
  cpu_seconds: z.number().nonnegative(),
  /** The phase's own result record of the job (what the local executor hands to the phase's record). */
  payload: z.unknown(),
}).strict();
export type TaskResult = z.infer<typeof TaskResultSchema>;

/**
 * Which array task took a job (written before the job runs). `restart` is the task's SLURM_RESTART_COUNT
 * (absent: 0); a task that SLURM requeued takes back the jobs its earlier run had taken, and its claim then
 * replaces the earlier one, which it keeps as `taken_back_from`.
 */
const ClaimCoreSchema = z.object({
  array_task: z.number().int().min(0),
  slurm_job: z.string().nullable(),
  host: z.string(),
  pid: z.number().int(),
  claimed_at: isoUtc,
  restart: z.number().int().min(0).optional(),
});
export const ClaimSchema = ClaimCoreSchema.extend({ taken_back_from: ClaimCoreSchema.strict().optional() }).strict();
export type Claim = z.infer<typeof ClaimSchema>;

/** The number of array tasks of a step (records without `array_tasks` ran one job per task). */
export function arrayTasksOf(record: StepRecord): number {
  return record.array_tasks ?? record.tasks.length;
}

export const StepFinalSchema = z.object({
  finalized_at: isoUtc,
  finalized_by: z.string(),
  tasks: z.number().int(),
  ok: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  /** Whether the phase did everything it should (run.json: complete or failed). */
  complete: z.boolean(),
  detail: z.string(),
  failures: z.array(z.object({
    task: z.number().int(), key: z.string(), slurm_job: z.string().nullable(), message: z.string(),
    /** SLURM's JobState of the task that left the job without a result (`TIMEOUT`, `OUT_OF_MEMORY`, `CANCELLED`…), when SLURM gave one. */
    slurm_state: z.string().optional(),
  }).strict()),
}).strict();
export type StepFinal = z.infer<typeof StepFinalSchema>;

export const FinishSchema = z.object({
  finished_at: isoUtc,
  finished_by: z.string(),
  /**
   * The exit code of the submission: 0, 1 (a job failed, the report named broken hub files, sbatch refused a step for the
   * cluster's state), or 2 (sbatch refused an option the user asked: the submitting command's own exit code).
   */
  exit_code: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  report: z.string().nullable(),
  steps: z.array(z.object({ step: z.string(), complete: z.boolean(), failed: z.number().int(), detail: z.string() }).strict()),
  /** Hub files the report found there but broken (it is written from the rest; exit 1), relative to the hub (absolute in
   *  records written before); absent when none was. */
  broken: z.array(z.object({ file: z.string(), reason: z.string() }).strict()).optional(),
}).strict();
export type Finish = z.infer<typeof FinishSchema>;

/**
 * Whether finished submission `f` failed, and the exit code a command that follows it or shows it (`status`, `status
 * --wait`) ends with: 0 when it recorded 0; otherwise 1, also for a recorded 2 — sbatch refused an option asked, which
 * was the submitting command's exit code; to a command showing the submission it is one that failed. Not finished: 1.
 */
export function finishedExitCode(f: Finish | null): 0 | 1 {
  return f !== null && f.exit_code === 0 ? 0 : 1;
}

/** Every path of a home's cluster files. */
export function slurmPaths(home: string) {
  const dir = join(home, SLURM_DIR);
  return {
    dir,
    jobs: join(dir, 'jobs.json'),
    lock: join(dir, '.lock'),
    logs: join(dir, 'logs'),
    submission: (n: number) => join(dir, String(n)),
    step: (n: number, step: StepName) => join(dir, String(n), step),
    start: (n: number, step: ArrayStep) => join(dir, String(n), step, 'start.json'),
    prior: (n: number, step: ArrayStep, what: string) => join(dir, String(n), step, `prior-${what}.json`),
    results: (n: number, step: ArrayStep) => join(dir, String(n), step, 'results'),
    result: (n: number, step: ArrayStep, job: number) => join(dir, String(n), step, 'results', `${job}.json`),
    claims: (n: number, step: ArrayStep) => join(dir, String(n), step, 'claims'),
    claim: (n: number, step: ArrayStep, job: number) => join(dir, String(n), step, 'claims', `${job}.json`),
    final: (n: number, step: ArrayStep) => join(dir, String(n), step, 'final.json'),
    finish: (n: number) => join(dir, String(n), 'finish.json'),
    log: (step: StepName, jobId: string, task: number | null) => join(dir, 'logs', task === null ? `${step}-${jobId}.out` : `${step}-${jobId}_${task}.out`),
  };
}

/** Reads and checks a JSON record; null when the file does not exist; an InputError naming the file otherwise. */
export function readRecord<T>(path: string, schema: z.ZodType<T>, what: string): T | null {
  return readCheckedRecord(path, schema, {
    cannotRead: (err) => `cannot read the ${what}: ${err.message}`,
    notJson: (why) => `the ${what} is not valid JSON (${why})`,
    mismatch: (key, why) => `the ${what} does not match its schema at ${key.join('.') || '(top level)'}: ${why}`,
  });
}

/**
 * A step's start record (`<n>/<step>/start.json`, an object), or undefined when the step has not started yet; a
 * broken one (not JSON, not an object, past MAX_RECORD_BYTES) is an InputError naming it, never "not started".
 */
export function readStartRecord(path: string): Record<string, unknown> | undefined {
  return readRecord(path, z.record(z.string(), z.unknown()), 'step start record') ?? undefined;
}

/**
 * Evidence a step kept as it started (`prior-*.json`): the value it held, null for none (JSON null). The step writes
 * it before any task runs, so an absent one (nothing at the path) is an InputError too, as a broken one: a dangling
 * link, a directory (`readRecord`'s words: "expected a JSON file; found …"), not JSON, not `schema`, past the bound.
 */
export function readPriorRecord<T>(path: string, schema: z.ZodType<T>, what: string): T | null {
  // wrapped, so that the JSON null the step kept is told apart from nothing at the path (readRecord's null)
  const kept = readRecord(path, schema.nullable().transform((value) => ({ value })), what);
  if (kept === null) throw new InputError(`${path}: the ${what} is missing; the step wrote it when it started`);
  return kept.value;
}

/** The home's jobs.json, or null when nothing was ever submitted from it. */
export function readJobs(home: string): JobsRecord | null {
  return readRecord(slurmPaths(home).jobs, JobsRecordSchema, 'SLURM jobs record');
}

export function writeJobs(home: string, record: JobsRecord): void {
  writeJsonAtomic(slurmPaths(home).jobs, record);
}

/** Submission `n` of a home; an InputError when there is none. */
export function readSubmission(home: string, n: number): Submission {
  const jobs = readJobs(home);
  const s = jobs?.submissions.find((x) => x.number === n);
  if (s === undefined) throw new InputError(`${slurmPaths(home).jobs}: no submission ${n} (found: ${jobs?.submissions.map((x) => x.number).join(', ') || 'none'})`);
  return s;
}

/** The result records a step's tasks have written so far, by job index. */
export function readResults(home: string, n: number, step: ArrayStep): Map<number, TaskResult> {
  const dir = slurmPaths(home).results(n, step);
  const out = new Map<number, TaskResult>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m) continue;
    const r = readRecord(join(dir, name), TaskResultSchema, 'task result');
    if (r !== null) out.set(Number(m[1]), r);
  }
  return out;
}

/** One job's result, read by name (not by listing the directory: a network file system may list late). */
export function readResult(home: string, n: number, step: ArrayStep, job: number): TaskResult | null {
  return readRecord(slurmPaths(home).result(n, step, job), TaskResultSchema, 'task result');
}

/**
 * Takes job `job` of a step for an array task: true when this caller got it, false when another task
 * had. The claim is written whole to a private temporary file and then hard-linked to its name: link()
 * fails when the name exists, atomically, on local and NFS file systems alike (the classic exclusive
 * create over NFS), so two tasks never both take a job and no reader sees a half-written claim.
 */
export function claimJob(home: string, n: number, step: ArrayStep, job: number, claim: Claim): boolean {
  const paths = slurmPaths(home);
  const target = paths.claim(n, step, job);
  if (existsSync(target)) return false;
  mkdirSync(paths.claims(n, step), { recursive: true });
  const tmp = join(paths.claims(n, step), `.tmp-${job}-${hostname()}-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(tmp, `${JSON.stringify(claim)}\n`, { flag: 'wx' });
  } catch (err) {
    rmSync(tmp, { force: true }); // a full disk: no half-written claim left behind, and the claim's own name in the message
    throw writeFailed(target, err);
  }
  try {
    linkSync(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Replaces the claim of job `job` by `claim` (atomically: the name exists throughout, so no other task can
 * take the job meanwhile). Only for a task taking back a job its own earlier run had taken (`takeBackJobs`).
 */
export function replaceClaim(home: string, n: number, step: ArrayStep, job: number, claim: Claim): void {
  writeJsonAtomic(slurmPaths(home).claim(n, step, job), claim);
}

/** Who took job `job` of a step, or null when no task has. */
export function readClaim(home: string, n: number, step: ArrayStep, job: number): Claim | null {
  return readRecord(slurmPaths(home).claim(n, step, job), ClaimSchema, 'job claim');
}

/**
 * A new script path for `step`: `<step>.sbatch`, else `<step>.2.sbatch`, `<step>.3.sbatch`… The file is
 * created empty and exclusively here, so two submissions never pick the same name and none is overwritten.
 */
export function claimScriptPath(home: string, step: StepName): { path: string; relative: string } {
  const dir = slurmPaths(home).dir;
  mkdirSync(dir, { recursive: true });
  for (let i = 1; ; i++) {
    const name = i === 1 ? `${step}.sbatch` : `${step}.${i}.sbatch`;
    const path = join(dir, name);
    if (existsSync(path)) continue;
    try {
      closeSync(openSync(path, 'wx'));
      return { path, relative: join(SLURM_DIR, name) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
