/**
 * Submitting a study (or one phase) to SLURM: one `sbatch --array` per phase, each depending on the one
 * before with `afterany` (a failed job never strands the rest), and a finish job last; the scripts are
 * written into the home first and kept; the submission is recorded in `slurm/jobs.json` before each
 * sbatch call, so a task that starts at once finds its step.
 *
 * Before submitting: SLURM's commands must be on PATH; an earlier submission of the same home, or of a
 * home that writes the same roots (a study hub and its phase roots), whose jobs are still queued or running
 * is refused (two submissions never work on one root at once); an earlier one that has ended is finished
 * first (its merges completed), so what still needs to run is read from complete evidence. When sbatch
 * refuses a step, the steps already submitted are cancelled, the refusal is recorded with sbatch's own message,
 * and a SlurmError says it: a SlurmOptionsError (exit code 2, naming the options the job asked) when sbatch refused
 * what the user asked of SLURM (a bad partition, account, QOS, time, memory or option), else exit code 1.
 *
 * A command stopped (Ctrl-C, SIGTERM, SIGHUP) while it submits stops between two sbatch calls — the only places the
 * loop lets a signal handler run, where `slurm/jobs.json` names exactly the jobs in the queue — and
 * `recordStop` records which steps were submitted (they run, and `status` and `cancel` know them) and which
 * were not; finishing such a submission writes no report, and a later submission runs what is missing.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { exitCodeFor, UsageError } from '../../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../files/atomic.js';
import { utcSeconds } from '../../files/dirs.js';
import { tryLock } from '../../files/lock.js';
import { checkWritableDir } from '../../files/writable.js';
import { withAbsolutePaths } from '../../settings/file.js';
import type { StudySettings } from '../../settings/schema.js';
import type { SettingsOrigin } from '../../settings/origin.js';
import { packageVersion } from '../../version.js';
import { designFromSettings } from '../design/design.js';
import { HUB, hubRoots, PHASE_G } from '../hub/layout.js';
import { removeStaleRunningLocks, runningLockIds } from '../compare/reuse.js';
import { checkCarriedModels, type ExternalModel } from '../compare/plan.js';
import { shellJoin } from '../../text.js';
import { yieldToEventLoop, type PhaseName } from '../phase.js';
import {
  newRunState, recordResumedRun, RUN_STATE_SCHEMA_VERSION, readRunState, writeHubSettings, writeRunState, type RunState,
} from '../run/state.js';
import { compareUnchanged, reportUnchanged } from '../run/fingerprints.js';
import { checkHubPath, openHub } from '../run/open-hub.js';
import { checkStudyProbe, checkPhaseRootUnchanged, designRecord, HUB_RECORDS, removeStaleTemporaries, resumeStartFiles } from '../run/study.js';
import { finishSubmission, neverStarts } from './finish.js';
import { hubsQueue } from './identity.js';
import { withMergeLock } from './merge-lock.js';
import { studySteps, type PlannedStep } from './plans.js';
import {
  JOBS_SCHEMA_VERSION, arrayTasksOf, claimScriptPath, readJobs, readRecord, slurmPaths, writeJobs, FinishSchema,
  type JobsRecord, type StepName, type StepRecord, type Submission, type SubmitCommand,
} from './records.js';
import { checkSlurmEnvironment, partitionCpus, refusesJobOptions, requireSlurmCommands, sbatch, scancel, squeue, SlurmError, SlurmOptionsError } from './scheduler.js';
import { checkScriptPath, sbatchOptions, shellQuote, slurmFilePattern, stepScript, type ScriptRequest } from './script.js';

/** Where the submitting command runs from, and how the tasks start ptychostudy on the nodes. */
export interface SubmitEnvironment {
  /** The command line as typed (recorded for people). */
  argv: string[];
  /** The Node.js that runs the tasks (the submitting one's path). */
  node: string;
  nodeVersion: string;
  /** The ptychostudy entry the tasks run (`worker`). */
  entry: string;
  cwd: string;
}

/** The directories the scripts' #SBATCH lines name (--output in the home, --chdir), checked before anything is written. */
function checkScriptPaths(home: string, env: SubmitEnvironment): void {
  checkScriptPath('--out', resolve(home));
  checkScriptPath('the current directory (the jobs\' --chdir)', env.cwd);
}

/** Job ids of a submission (arrays and the finish job). */
export function jobIdsOf(s: Submission): string[] {
  return s.steps.map((x) => x.job_id).filter((id): id is string => id !== null);
}

/** Submissions of a home with jobs still queued or running, and those jobs' ids. */
export function activeSubmissions(home: string): { number: number; ids: string[] }[] {
  const jobs = readJobs(home);
  if (jobs === null) return [];
  const open = jobs.submissions.filter((s) => readRecord(slurmPaths(home).finish(s.number), FinishSchema, 'finish record') === null);
  if (open.length === 0) return [];
  const queue = hubsQueue(home, jobs, open, squeue(open.flatMap(jobIdsOf)));
  return open.map((s) => {
    const mine = queue.filter((q) => jobIdsOf(s).includes(q.jobId));
    // a finish job held once every array has ended is not waited for: finishing the submission cancels it (finish.ts)
    const finishId = s.steps.find((r) => r.step === 'finish')?.job_id ?? null;
    const arraysEnded = !mine.some((q) => q.jobId !== finishId);
    return { number: s.number, ids: [...new Set(mine.filter((q) => !(arraysEnded && q.jobId === finishId && neverStarts(q))).map((q) => q.jobId))] };
  }).filter((x) => x.ids.length > 0);
}

/**
 * What a refused job asked of SLURM through the settings (partition, account, qos, time, CPUs, memory, other sbatch
 * options), so that a refusal for one of them (`Invalid partition name specified`) shows the value and where it comes
 * from: the hub's settings, which a later `run --out HUB` keeps unless a --slurm-… flag gives another. '' when none.
 */
function askedOfSlurm(options: readonly string[]): string {
  const asked = options.filter((o) => !/^--(job-name|array|output|open-mode|chdir|dependency)=/.test(o));
  return asked.length === 0 ? '' : `; the job asked ${asked.join(' ')} (execution.slurm, which a hub keeps for its next runs: ` +
    '--slurm-partition, --slurm-account, --slurm-qos, --slurm-time, --slurm-cpus-per-task, --slurm-mem or --slurm-sbatch-arg give another)';
}

/**
 * The homes whose SLURM submissions write `root`: the root itself; for a study hub also its phase roots
 * (a phase submitted on its own into `<hub>/phase_f`); for a phase root of a hub also that hub (a study
 * submission writes it). Absolute paths.
 */
export function homesWriting(root: string, isHub: boolean): string[] {
  const r = resolve(root);
  const phaseRoots = (hub: string): string[] => {
    const x = hubRoots(hub);
    return [x.c, x.d, x.f, x.g];
  };
  if (isHub) return [r, ...phaseRoots(r)];
  const parent = dirname(r);
  return phaseRoots(parent).includes(r) ? [r, parent] : [r];
}

/**
 * Before a command writes `root` — a local run, or a new submission whose home is `homes[0]` (`homes`:
 * homesWriting): refuses while a submission of any of `homes` has jobs queued or running, and finishes the
 * ones that ended. Two writers would otherwise work side by side, and a SLURM step's merges, which rebuild
 * the phase's evidence from what it held when the step started, would drop what the other one recorded;
 * finishing an ended submission first completes its merges before anything else is written.
 *
 * `local`: where SLURM's commands are missing (a hub copied off the cluster) nothing of this machine's can
 * be queued, and the ended submissions are left for a command on the cluster to finish.
 */
export async function prepareHomes(root: string, homes: readonly string[], local: boolean): Promise<void> {
  const r = resolve(root);
  // A home that is no directory (or none yet) holds no record; a record that cannot be read is an error.
  const records = homes.flatMap((home) => {
    const jobs = existsSync(slurmPaths(home).jobs) ? readJobs(home) : null;
    return jobs === null ? [] : [{ home, jobs }];
  });
  for (const { home } of records) {
    let active: { number: number; ids: string[] }[];
    try {
      active = activeSubmissions(home);
    } catch (err) {
      if (local && err instanceof SlurmError) return;
      throw err;
    }
    if (active.length === 0) continue;
    const whose = home === r ? 'SLURM jobs of this hub' : `SLURM jobs of ${home}, which write this root,`;
    throw new UsageError(`${r}: ${whose} are queued or running (submission ${active.map((a) => a.number).join(', ')}: ` +
      `${active.flatMap((a) => a.ids).join(', ')}); ${local ? 'a local run would write beside them' : 'a second submission would write beside them'} — ` +
      `wait for them (\`ptychostudy status --out ${shellQuote(home)} --wait\`) or cancel them (\`ptychostudy cancel --out ${shellQuote(home)}\`)`);
  }
  for (const { home, jobs } of records) {
    for (const s of jobs.submissions) {
      if (s.rejected === null) await finishSubmission(home, s.number, home === r ? `submission ${jobs.submissions.length + 1}` : `a command on ${r}`);
    }
  }
}

/**
 * How many array tasks take a step's `jobs` jobs (each task takes one job after another, task.ts):
 * `execution.slurm.tasks` when set; otherwise as many as the partition's CPUs hold at once (its total
 * CPUs, busy or not, ÷ CPUs per task), so a step is one scheduling round on a free partition; one task per
 * job when sinfo cannot tell. Never more than `jobs`.
 */
export function arrayTaskCount(jobs: number, settings: StudySettings, partitionCpus: () => number | null): number {
  if (jobs === 0) return 0;
  const slurm = settings.execution.slurm;
  const cpus = slurm.tasks === null ? partitionCpus() : null;
  const atOnce = slurm.tasks ?? (cpus === null ? jobs : Math.floor(cpus / (slurm.cpusPerTask ?? 1)));
  return Math.max(1, Math.min(jobs, atOnce));
}

export interface SubmitRequest {
  command: SubmitCommand;
  /** The directory that holds `slurm/` (absolute). */
  home: string;
  hub: string | null;
  settings: StudySettings;
  steps: PlannedStep[];
}

/**
 * A submission under way, as far as it got: set while its steps are being submitted (the hub's `slurm/.lock`
 * held), at the points between two sbatch calls where a signal handler can run; null before and after.
 */
export interface SubmitProgress {
  current: { home: string; jobs: JobsRecord; submission: Submission; planned: StepName[] } | null;
  /** A finished hub (nothing submitted): the ids of the stopped compare runs whose leftovers were removed. */
  removedStaleRuns?: string[];
}

/**
 * Records that the command submitting `progress` stopped (`signal`), from a signal handler: the steps
 * submitted so far stay (their jobs are queued), `stopped` names the steps not submitted, and the run.json
 * of a study says `interrupted`. Synchronous, so it completes before the process exits (which releases the
 * lock the submission holds). Returns the submission, or null when none of its steps had been submitted
 * (nothing of it is recorded then) or no submission was under way. When only the finish job is missing nothing
 * is recorded either: every array is queued, and the last task finishes the submission itself (the finish job
 * is there for when it cannot; `status` and the next command then do it).
 */
export function recordStop(progress: SubmitProgress, signal: string): Submission | null {
  const c = progress.current;
  progress.current = null;
  if (c === null || c.submission.steps.length === 0) return null;
  const done = c.submission.steps.map((s) => s.step);
  const missing = c.planned.filter((p) => !done.includes(p));
  if (missing.length === 1 && missing[0] === 'finish') return c.submission;
  c.submission.stopped = { at: utcSeconds(), signal, not_submitted: missing };
  writeJobs(c.home, c.jobs);
  if (c.submission.hub !== null) {
    const state = readRunState(c.submission.hub);
    if (state !== null && state.status === 'running') {
      state.status = 'interrupted';
      writeRunState(c.submission.hub, state);
    }
  }
  return c.submission;
}

/**
 * Writes each step's script and submits the chain (see the module comment); returns the recorded submission.
 * Between two steps it lets signal handlers run, with `progress.current` telling them what was submitted.
 */
export async function submitSteps(req: SubmitRequest, env: SubmitEnvironment, onSubmitted: (s: StepRecord) => void = () => {},
  progress: SubmitProgress = { current: null }): Promise<Submission> {
  const home = resolve(req.home);
  const paths = slurmPaths(home);
  mkdirSync(paths.logs, { recursive: true });
  return withMergeLock(paths.lock, 'ptychostudy submission', 'hub', async () => {
    // Checked again under the lock: two commands submitting to one hub at once would both pass a check before it.
    const active = activeSubmissions(home);
    if (active.length > 0) throw new UsageError(`${home}: SLURM jobs ${active.flatMap((a) => a.ids).join(', ')} of this hub are queued or running; not submitting beside them`);
    const jobs: JobsRecord = readJobs(home) ?? { schema_version: JOBS_SCHEMA_VERSION, tool: 'ptychostudy', submissions: [] };
    const number = Math.max(0, ...jobs.submissions.map((s) => s.number)) + 1;
    const submission: Submission = {
      number, submitted_at: utcSeconds(), command: req.command, argv: env.argv, version: packageVersion(), node: env.node, entry: env.entry,
      cwd: env.cwd, hub: req.hub === null ? null : resolve(req.hub), settings: JSON.parse(JSON.stringify(req.settings)) as Record<string, unknown>,
      steps: [], cancelled: [], rejected: null,
    };
    jobs.submissions.push(submission);
    const planned = [...req.steps.map((s) => ({ ...s })), { step: 'finish' as const, tasks: [] as string[], options: {} }];
    let cpus: number | null | undefined;
    const slots = (): number | null => (cpus === undefined ? (cpus = partitionCpus(req.settings.execution.slurm.partition)) : cpus);
    let previous: string | null = null;
    progress.current = { home, jobs, submission, planned: planned.map((p) => p.step) };
    try {
      for (const p of planned) {
        // A stop is handled here: every step before this one is submitted and recorded, nothing of this one is written.
        await yieldToEventLoop();
        submitOne(p);
      }
    } finally {
      progress.current = null;
    }
    return submission;

    function submitOne(p: typeof planned[number]): void {
      const script = claimScriptPath(home, p.step);
      const arrayTasks = p.step === 'finish' ? 0 : arrayTaskCount(p.tasks.length, req.settings, slots);
      const record: StepRecord = {
        step: p.step, job_id: null, script: script.relative, tasks: p.tasks, array_tasks: arrayTasks, depends_on: previous, options: p.options,
      };
      const output = slurmFilePattern(paths.logs, p.step === 'finish' ? 'finish-%j.out' : `${p.step}-%A_%a.out`);
      const request: ScriptRequest = {
        submission: number, step: p.step, home, tasks: arrayTasks, jobs: p.tasks.length,
        dependency: previous, slurm: req.settings.execution.slurm, node: env.node, nodeVersion: env.nodeVersion, entry: env.entry,
        cwd: env.cwd, output, argv: env.argv, version: packageVersion(), writtenAt: submission.submitted_at,
      };
      writeFileAtomic(script.path, stepScript(request));
      submission.steps.push(record);
      writeJobs(home, jobs);
      try {
        record.job_id = sbatch(script.path, env.cwd, sbatchOptions(request));
      } catch (err) {
        if (!(err instanceof SlurmError)) throw err;
        submission.steps.pop();
        submission.rejected = { step: p.step, message: err.message };
        const cancelled = jobIdsOf(submission);
        if (cancelled.length > 0) {
          scancel(cancelled);
          submission.cancelled.push({ at: utcSeconds(), job_ids: cancelled });
        }
        writeJobs(home, jobs);
        // what the user asked of SLURM that sbatch refuses (a partition, a time limit, an option): exit code 2, the
        // options named on the line; anything else (the controller not answering, a limit on the user's jobs): 1
        const asked = askedOfSlurm(sbatchOptions(request));
        const line = `sbatch refused the ${p.step} job (${script.relative})${cancelled.length > 0 ? `; cancelled the jobs already submitted (${cancelled.join(', ')})` : ''}: ${err.message}` + asked;
        const refusal = asked !== '' && refusesJobOptions(err.message) ? new SlurmOptionsError(line) : new SlurmError(line);
        // the finish record says the exit code the submitting command ends with
        writeJsonAtomic(paths.finish(number), {
          finished_at: utcSeconds(), finished_by: 'sbatch refused the submission', exit_code: exitCodeFor(refusal), report: null, steps: [],
        });
        throw refusal;
      }
      writeJobs(home, jobs);
      onSubmitted(record);
      previous = record.job_id;
    }
  });
}

/**
 * A whole study into `hub` on SLURM: the checks `runStudy` makes (a directory that is not a hub, other
 * settings), design.json written here, then every phase that is not complete submitted as an array, and
 * run.json recording each phase as submitted. Returns the submission, or null for a finished hub.
 */
export async function submitStudy(hub: string, settings: StudySettings, env: SubmitEnvironment,
  progress: SubmitProgress = { current: null }, origin?: SettingsOrigin): Promise<Submission | null> {
  requireSlurmCommands();
  checkSlurmEnvironment();
  checkScriptPaths(hub, env);
  // a hub that is a file, a link to nothing or cannot be written: the local run's one line, not the lock's temporary file
  checkHubPath(hub);
  checkWritableDir(hub, '`hub`');
  // the hub's lock, as a local `run` holds it: no submission into a hub a local run is writing (and no
  // local run starts while this one checks and records the hub)
  const lock = tryLock(join(hub, HUB.lock), 'study submission', 'hub');
  try {
    return await submitStudyLocked(hub, withAbsolutePaths(settings), env, progress, origin); // as runStudy: the files named as the hub records them
  } finally {
    lock.release();
  }
}

/**
 * Whether a hub needs no submission: run.json complete without a failure, no array but Phase G planned, and
 * Phase G and the report unchanged since they were recorded (the fingerprints a local run's resume checks).
 */
function isFinished(hub: string, steps: readonly PlannedStep[]): boolean {
  const state = readRunState(hub);
  if (state === null || state.status !== 'complete' || steps.some((s) => s.step !== 'compare')) return false;
  if (Object.values(state.phases).some((p) => p !== undefined && (p.status !== 'complete' || (p.failures ?? 0) > 0))) return false;
  return compareUnchanged(hub, state) && reportUnchanged(hub, state);
}

async function submitStudyLocked(hub: string, settings: StudySettings, env: SubmitEnvironment, progress: SubmitProgress,
  origin: SettingsOrigin | undefined): Promise<Submission | null> {
  const design = designFromSettings(settings).validate();
  // what the hub holds, as a local run opens it: a folder or run.json that cannot be read is refused, never taken for an empty one
  const previous = openHub(hub, settings);
  if (previous) {
    checkPhaseRootUnchanged(hub, previous, 'generate');
    checkPhaseRootUnchanged(hub, previous, 'overlap');
  }
  await checkStudyProbe(settings, resumeStartFiles(hub, previous, settings));
  mkdirSync(hub, { recursive: true });
  const home = resolve(hub);
  await prepareHomes(home, homesWriting(home, true), false);
  const complete = (p: PhaseName): boolean => readRunState(hub)?.phases[p]?.status === 'complete';
  const steps = await studySteps(hub, settings, complete, origin);
  // A finished hub, as a local run finds it: nothing to submit and no result written. What a `compare` killed before it
  // finished left in Phase G (its stale running lock, a job's staging folder, its empty run folder) goes, as a local run
  // of the finished hub removes it; a live compare's lock stays (the lock's own rule).
  if (isFinished(hub, steps)) {
    const g = hubRoots(hub).g;
    progress.removedStaleRuns = removeStaleRunningLocks(g, runningLockIds(g));
    return null;
  }
  // the external models its Phase G compares again must still match a file (a hub copied elsewhere: refused, as a local run)
  const g = steps.find((s) => s.step === 'compare');
  if (g !== undefined) {
    const o = g.options as { models: ExternalModel[]; phaseCRoot: string; phaseDRoot: string; phaseFRoot: string; outputRoot: string };
    checkCarriedModels(o.models, settings.simulation.doses, join(o.outputRoot, PHASE_G.summaryJson),
      `ptychostudy compare ${shellJoin(['--phase-c-root', o.phaseCRoot, '--phase-d-root', o.phaseDRoot, '--phase-f-root', o.phaseFRoot, '--out', o.outputRoot])}`);
  }
  if (previous) removeStaleTemporaries(hub, Date.now(), HUB_RECORDS);
  const now = utcSeconds();
  const earlier = readRunState(hub);
  const state: RunState = earlier ?? newRunState(settings, packageVersion(), now, origin);
  // a resume that submits work records where its settings came from beside the first run's, as a local one does
  if (earlier !== null) recordResumedRun(state, now, 'slurm', origin);
  state.schema_version = RUN_STATE_SCHEMA_VERSION;
  state.version = packageVersion();
  state.status = 'running';
  writeHubSettings(hub, settings);
  if (state.phases.design?.status !== 'complete') {
    writeJsonAtomic(join(hub, HUB.design), designRecord(settings, design));
    state.phases.design = { status: 'complete', started: now, finished: now, seconds: 0,
      detail: `${design.dose_list.length} doses, N = ${design.patch_size_pixels}, views ${Object.keys(design.overlap_views).join('/')}` };
  }
  writeRunState(hub, state);
  const submitted = (r: StepRecord): void => {
    const s = readRunState(hub);
    if (s === null) return;
    const phase = r.step === 'finish' ? 'report' : r.step;
    s.phases[phase] = { status: 'running', started: utcSeconds(),
      detail: `submitted to SLURM as job ${r.job_id}${r.step === 'finish' ? ' (merges, then the report)' : ` (${r.tasks.length} jobs, ${arrayTasksOf(r)} tasks)`}` };
    writeRunState(hub, s);
  };
  try {
    return await submitSteps({ command: 'run', home, hub: home, settings, steps }, env, submitted, progress);
  } catch (err) {
    const s = readRunState(hub);
    if (s !== null && err instanceof SlurmError) {
      s.status = 'failed';
      for (const p of ['generate', 'overlap', 'reconstruct', 'compare', 'report'] as const) {
        if (s.phases[p]?.status === 'running' || (steps.some((x) => x.step === p) && s.phases[p]?.status !== 'complete')) {
          s.phases[p] = { status: 'failed', started: s.phases[p]?.started ?? utcSeconds(), finished: utcSeconds(), detail: err.message };
        }
      }
      writeRunState(hub, s);
    }
    throw err;
  }
}

/** One phase (`generate`, `overlap`, `reconstruct`, `compare` with `--executor slurm`) into its output root. */
export async function submitPhase(command: Exclude<SubmitCommand, 'run'>, home: string, settings: StudySettings,
  plan: () => PlannedStep[] | Promise<PlannedStep[]>, env: SubmitEnvironment, progress: SubmitProgress = { current: null }): Promise<Submission | null> {
  requireSlurmCommands();
  checkSlurmEnvironment();
  checkScriptPaths(home, env);
  // An earlier submission is finished first: what still needs to run is read from its merged evidence.
  await prepareHomes(home, homesWriting(home, false), false);
  const steps = await plan();
  if (steps.length === 0) return null;
  return submitSteps({ command, home: resolve(home), hub: null, settings, steps }, env, () => {}, progress);
}
