/**
 * What a command does with `--executor slurm`: submit (study/slurm/submit.ts), print the job ids, and —
 * unless `--detach` — follow the run until it is finished, showing each step's tasks, each failure with
 * its SLURM reason, and the result. Ctrl-C stops following and cancels nothing. Ctrl-C (or SIGTERM, or SIGHUP) while the
 * steps are being submitted stops between two sbatch calls: the jobs submitted so far stay queued and are
 * recorded (`recordStop`), and the command names them — job id, what they compute, where they write — with
 * the commands that show, cancel and complete them (exit 130, 143, or 129 for SIGHUP). With the local executor
 * it only refuses to start while SLURM jobs that write the same roots are queued or running.
 *
 * Each command calls one function here (`runOnCluster`, `generateOnCluster`, …) with its parsed settings;
 * it returns the command's exit code, or null when the jobs are to run locally.
 */
import { onStop, stoppedWord, type StopSignal } from './interrupt.js';
import { sameCommand } from './rerun.js';
import { redrawsInPlace } from './progress/terminal.js';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StudySettings } from '../settings/schema.js';
import type { SettingsOrigin } from '../settings/origin.js';
import type { PhaseGOptions } from '../study/compare/phase.js';
import type { OverlapRunOptions } from '../study/overlap/plan.js';
import type { ReconstructionPlanOptions } from '../study/reconstruct/plan.js';
import { summaryTable } from '../study/run/summary.js';
import type { SimulationRunOptions } from '../study/simulate/plan.js';
import { hubRoots, REPORT } from '../study/hub/layout.js';
import { arrayTasksOf, finishedExitCode } from '../study/slurm/records.js';
import { askedLimits, followSubmission, submissionView, type SubmissionView } from '../study/slurm/follow.js';
import { compareSteps, generateSteps, overlapSteps, reconstructSteps } from '../study/slurm/plans.js';
import { shellQuote } from '../study/slurm/script.js';
import type { StepRecord, Submission } from '../study/slurm/records.js';
import {
  homesWriting, prepareHomes, recordStop, submitPhase, submitStudy, type SubmitEnvironment, type SubmitProgress,
} from '../study/slurm/submit.js';
import type { ExecutorFlags } from './executor-flags.js';
import { ClusterProgress, failureLines } from './progress/slurm.js';
import { limitResumeAdvice, repeatedLimitWarning } from './slurm-limits.js';
import { counted, shellJoin } from '../text.js';

interface OutputFlags extends ExecutorFlags {
  json?: boolean;
  quiet?: boolean;
}

/** How the tasks start ptychostudy: this Node.js, and the package's worker entry next to this file. */
function environment(): SubmitEnvironment {
  return {
    argv: ['ptychostudy', ...process.argv.slice(2)], node: process.execPath, nodeVersion: process.version,
    entry: fileURLToPath(new URL('./worker-main.js', import.meta.url)), cwd: process.cwd(),
  };
}

/**
 * With the local executor: refuse while SLURM jobs that write `root` are queued or running — of its own
 * home, or of the hub or phase roots around it (`homesWriting`) — and finish the submissions that ended.
 * (`--detach` without SLURM the command has refused already, with its other flags: executor-flags.ts.)
 */
async function guardLocal(root: string, isHub: boolean): Promise<null> {
  await prepareHomes(root, homesWriting(root, isHub), true);
  return null;
}

/**
 * `report` of a hub: refused while SLURM jobs that write the hub are queued or running, and the submissions that ended
 * finished first — the check the library's `buildReport` makes (study/slurm/local-guard.ts), with its one line: a page
 * built beside running jobs would show what their merges are about to change.
 */
export async function guardReport(hub: string): Promise<void> {
  await guardLocal(hub, true);
}

/** The stop handler of a command that submitted: what a signal does once every step is submitted (stop following). */
interface StopStage { following: ((signal: StopSignal) => void) | null }

/** The commands that follow and cancel the SLURM jobs of `home`, quoted for a shell. */
function hubCommands(home: string): { follow: string; cancel: string } {
  const q = shellQuote(home);
  return { follow: `ptychostudy status --out ${q} --wait`, cancel: `ptychostudy cancel --out ${q}` };
}

/** What a step's jobs compute, and where they write (`home`: the hub of a `run`, else the command's output root). */
function stepDoes(r: StepRecord, command: string, home: string): string {
  const jobs = counted(r.tasks.length, 'job');
  const roots = command === 'run' ? hubRoots(home) : null;
  const into = (root: string | undefined): string => ` → ${resolve(root ?? home)}`;
  switch (r.step) {
    case 'generate': return `Phase C, simulates ${counted(r.tasks.length, 'dose')}${into(roots?.c)}`;
    case 'overlap': return `Phase D, builds the overlap views of ${counted(r.tasks.length, 'dose')}${into(roots?.d)}`;
    case 'reconstruct': return `Phase F, ${jobs}: one LSQML reconstruction each${into(roots?.f)}`;
    case 'compare': return `Phase G, ${jobs}: compares one reconstruction each${into(roots?.g)}`;
    case 'finish': return `merges every step${command === 'run' ? ' and writes the report' : ''}`;
  }
}

/**
 * The lines that say what a command stopped while submitting left: the jobs submitted (they are queued and
 * run), the steps not submitted, and the commands to see, cancel and complete them.
 */
export function stoppedSubmissionLines(command: string, home: string, s: Submission | null, signal: StopSignal, argv: readonly string[]): string[] {
  const head = `ptychostudy ${command}: ${stoppedWord(signal)} while submitting to SLURM`;
  if (s === null) return [`${head}; nothing was submitted`];
  const q = shellQuote(home);
  const submitted = [
    `${head}. These jobs of submission ${s.number} were submitted; they stay queued and run (recorded in ${resolve(home, 'slurm', 'jobs.json')}):`,
    ...s.steps.map((r) => `  ${r.step} ${r.job_id}: ${stepDoes(r, command, home)}`),
  ];
  const see = `See them: ptychostudy status --out ${q} · cancel them: ptychostudy cancel --out ${q}`;
  if (s.stopped === undefined) {
    // Only the finish job is missing (recordStop recorded nothing): the last task finishes the submission itself.
    return [...submitted, `Not submitted: the finish job only; the last task finishes the ${command === 'run' ? 'run (and writes the report)' : 'submission'} ` +
      `itself, or \`ptychostudy status --out ${q}\` does once every job has ended.`, see];
  }
  return [
    ...submitted,
    `Not submitted: ${s.stopped.not_submitted.join(', ')}${command === 'run' ? ' (so no report: run.json says interrupted)' : ''}.`,
    see,
    `Once they have ended or are cancelled, the same command submits what is missing: ${sameCommand(argv)}`,
  ];
}

/**
 * Submits (`submit`), then prints where the jobs went and follows them unless detached; returns the exit
 * code. One stop handler from the first check to the end: while the steps are being submitted it records
 * what was submitted and says it; once they are, it stops following.
 */
async function submitAndFollow(command: string, home: string, flags: OutputFlags,
  submit: (env: SubmitEnvironment, progress: SubmitProgress) => Promise<Submission | null>): Promise<number> {
  const progress: SubmitProgress = { current: null };
  const stage: StopStage = { following: null };
  const removeStopHandlers = onStop((signal) => {
    if (stage.following !== null) {
      stage.following(signal);
      return;
    }
    const stopped = recordStop(progress, signal);
    process.stderr.write(`\n${stoppedSubmissionLines(command, home, stopped, signal, process.argv.slice(2)).join('\n')}\n`);
  });
  try {
    const submission = await submit(environment(), progress);
    if (submission !== null) {
      stage.following = () => {
        const c = hubCommands(home);
        process.stderr.write(`\nptychostudy ${command}: every job of submission ${submission.number} was submitted; nothing was cancelled. ` +
          `Follow: ${c.follow} · cancel: ${c.cancel}\n`);
      };
    }
    return await afterSubmission(command, home, submission, flags, stage, progress.removedStaleRuns ?? []);
  } finally {
    removeStopHandlers();
  }
}

/**
 * The warning for a submission that asks again the limits that cost the one before it jobs (time limit, memory); null
 * when there is none, or the one before cannot be read from its records alone (not finished).
 */
function repeatedLimits(home: string, submission: Submission): string | null {
  if (submission.number <= 1) return null;
  try {
    const earlier = submissionView(home, submission.number - 1);
    return earlier.finish === null ? null : repeatedLimitWarning(earlier, askedLimits(submission));
  } catch {
    return null;
  }
}

/** Prints where the jobs went; follows them unless detached. Returns the exit code. */
async function afterSubmission(command: string, home: string, submission: Submission | null, flags: OutputFlags,
  stage: StopStage, removedStaleRuns: readonly string[]): Promise<number> {
  const err = process.stderr;
  const say = (line: string): void => { if (!flags.quiet) err.write(line + '\n'); };
  if (submission === null) {
    const report = join(hubRoots(home).report, REPORT.index);
    say(`${command}: nothing to submit — every selected job is already complete` +
      (command === 'run' && existsSync(report) ? ` (report: ${resolve(report)})` : '') +
      (removedStaleRuns.length > 0 ? `; removed what the stopped compare run${removedStaleRuns.length === 1 ? '' : 's'} ${removedStaleRuns.join(', ')} left ` +
        `(${removedStaleRuns.length === 1 ? 'its' : 'their'} running lock, staging and empty run folders)` : ''));
    return 0;
  }
  const ids = submission.steps.map((s) => `${s.step} ${s.job_id}${s.step === 'finish' ? '' : ` (${counted(s.tasks.length, 'job')}, ${counted(arrayTasksOf(s), 'task')})`}`);
  say(`submitted to SLURM (submission ${submission.number} of ${home}): ${ids.join(' → ')}`);
  say(`  scripts: ${resolve(home, 'slurm')}/*.sbatch · task logs: ${resolve(home, 'slurm', 'logs')}/`);
  const repeated = repeatedLimits(home, submission);
  if (repeated !== null) say(`${repeated} (to change it now: ${hubCommands(home).cancel}, then resume with the new limit)`);
  if (flags.detach) {
    if (flags.json) {
      process.stdout.write(JSON.stringify({ hub: home, submission: submission.number, jobs: Object.fromEntries(submission.steps.map((s) => [s.step, s.job_id])) }, null, 2) + '\n');
    } else {
      for (const s of submission.steps) process.stdout.write(`${s.step} ${s.job_id}\n`);
    }
    const c = hubCommands(home);
    say(`follow: ${c.follow} · cancel: ${c.cancel}`);
    return 0;
  }
  say('  following (Ctrl-C stops following; the jobs keep running)');
  return followAndReport(command, home, submission.number, flags, stage);
}

/**
 * Follows submission `n` of `home` to its end with a progress view; prints the outcome; returns its exit code.
 * `stage`: the stop handler of a command that submitted, which the following's own takes over (else one is installed here).
 * `whenFinished`: what the caller does with the finished submission before its outcome is printed (the view it returns is printed).
 */
export async function followAndReport(command: string, home: string, n: number | null, flags: OutputFlags,
  stage: StopStage | null = null, whenFinished?: (v: SubmissionView) => Promise<SubmissionView>): Promise<number> {
  const err = process.stderr;
  const progress = flags.quiet ? null : new ClusterProgress(err, redrawsInPlace(err));
  let last: SubmissionView | null = null;
  const stopFollowing = (): void => {
    const c = hubCommands(home);
    progress?.finish();
    const jobs = last === null ? '' : ` (${[...last.steps.map((s) => s.jobId), last.finishJob.jobId].filter(Boolean).join(', ')})`;
    err.write(`\nptychostudy ${command}: stopped following. Nothing was cancelled: the SLURM jobs${jobs} keep running and merge their results ` +
      `into the hub. Follow again: ${c.follow} · cancel: ${c.cancel}\n`);
  };
  let removeStopHandlers = (): void => {};
  if (stage !== null) stage.following = stopFollowing;
  else removeStopHandlers = onStop(stopFollowing);
  try {
    let v = await followSubmission(home, n, (view) => { last = view; progress?.update(view); }, { by: `ptychostudy ${command} (following)` });
    progress?.finish();
    if (whenFinished !== undefined) v = await whenFinished(v);
    return report(command, home, v, flags);
  } finally {
    removeStopHandlers();
  }
}

/** The outcome of a finished submission (stderr; `--json` on stdout). */
function report(command: string, home: string, v: SubmissionView, flags: OutputFlags): number {
  const err = process.stderr;
  const code = finishedExitCode(v.finish);
  const table = v.command === 'run' && v.stopped === null ? summaryTable(hubRoots(home).g) : null;
  // a hub file the report found there but broken: one line each (also with --quiet and --json), as a local run says them
  for (const b of v.finish?.broken ?? []) err.write(`${resolve(home, b.file)}: ${b.reason} (broken evidence: the report shows it as broken)\n`);
  if (flags.json) {
    process.stdout.write(JSON.stringify({
      hub: home, submission: v.number, state: v.state, exit_code: code, report: v.finish?.report ?? null,
      jobs: Object.fromEntries([...v.steps.map((s) => [s.step, s.jobId]), ['finish', v.finishJob.jobId]]),
      steps: v.steps.map((s) => ({ step: s.step, tasks: s.tasks, done: s.done, failed: s.failed, detail: s.detail, failures: s.failures })),
      ...(table !== null ? { summary: table.rows } : {}),
    }, null, 2) + '\n');
    return code;
  }
  if (flags.quiet) {
    if (v.finish?.report) process.stdout.write(`${v.finish.report}\n`);
    return code;
  }
  for (const s of v.steps) err.write(`${s.failed > 0 ? '✗' : '✓'} ${s.step}: ${s.detail ?? `${s.done}/${s.tasks} done, ${s.failed} failed`}\n`);
  // Jobs that failed for one reason share a line; a reason the step's line above gives is not repeated.
  const failed = v.steps.reduce((n, s) => n + s.failures.length, 0);
  const failures = v.steps.flatMap((s) => failureLines(s.step, s.failures, s.detail));
  if (failed > 0) err.write(`${failed} job(s) failed:\n${failures.map((l) => `  ${l}`).join('\n')}\n`);
  if (table !== null) err.write(`\n${table.text}\n\n`);
  if (v.finish?.report) err.write(`Report: ${v.finish.report}\n`);
  // A study resumes from its hub's own settings (its command line may not name the hub); a phase by the command that submitted it.
  const resumeArgv = v.command === 'run' ? ['ptychostudy', 'run', '--out', home] : v.argv;
  const resume = shellJoin(resumeArgv);
  if (v.stopped !== null) {
    err.write(`ptychostudy ${command}: the submitted jobs have ended, but the command that submitted them was stopped (${v.stopped.signal}) ` +
      `before it submitted ${v.stopped.not_submitted.join(', ')}; submit what is missing with: ${resume}\n`);
    return code;
  }
  if (v.state === 'cancelled') {
    err.write(`ptychostudy ${command}: cancelled before it finished (ptychostudy cancel); what its jobs left is merged and the cancelled jobs are ` +
      `recorded as failures. Continue with: ${resume} (the failed and missing jobs are submitted again; finished ones are kept)\n`);
    return code;
  }
  err.write(`${closingLine(command, v, resumeArgv)}\n`);
  return code;
}

/**
 * The last line of finished submission `v` (neither stopped nor cancelled): done, or its failures and how to go on
 * (`resumeArgv`: the command that resumes it). A submission whose only failure is hub files its report found broken
 * names them, as a local run does: its jobs recorded none.
 */
export function closingLine(command: string, v: SubmissionView, resumeArgv: readonly string[]): string {
  if (finishedExitCode(v.finish) === 0) return `ptychostudy ${command}: done`;
  const resume = shellJoin([...resumeArgv]);
  const limits = limitResumeAdvice(v, resumeArgv);
  if (limits !== null) return `ptychostudy ${command}: finished with failures (recorded in the manifests): ${limits}`;
  const broken = v.finish?.broken ?? [];
  const jobsFailed = v.rejected !== null || v.steps.some((s) => s.failed > 0 || s.failures.length > 0)
    || (v.finish?.steps ?? []).some((s) => s.failed > 0 || !s.complete);
  if (broken.length > 0 && !jobsFailed) {
    return `ptychostudy ${command}: finished with ${counted(broken.length, 'broken hub file')} (named above and in the report's Broken evidence; ` +
      `its page is written from the rest). Fix the cause, then continue with: ${resume} (the report is built again; finished jobs are kept)`;
  }
  return `ptychostudy ${command}: finished with failures (recorded in the manifests). Fix the cause, then continue with: ${resume} ` +
    '(the failed and missing jobs are submitted again; finished ones are kept)';
}

/** `run`: the whole study. */
export async function runOnCluster(hub: string, settings: StudySettings, flags: OutputFlags, origin?: SettingsOrigin): Promise<number | null> {
  if (settings.execution.executor !== 'slurm') return guardLocal(hub, true);
  return submitAndFollow('run', hub, flags, async (env, progress) => {
    const submission = await submitStudy(hub, settings, env, progress, origin);
    // after the checks, as a local run names its hub once it starts: a refusal is its one line alone
    if (!flags.quiet) process.stderr.write(`hub: ${hub}\n`);
    return submission;
  });
}

export async function generateOnCluster(settings: StudySettings, opts: SimulationRunOptions, flags: OutputFlags): Promise<number | null> {
  if (settings.execution.executor !== 'slurm') return guardLocal(opts.outputRoot, false);
  return submitAndFollow('generate', opts.outputRoot, flags,
    (env, progress) => submitPhase('generate', opts.outputRoot, settings, () => generateSteps(settings, opts), env, progress));
}

export async function overlapOnCluster(settings: StudySettings, opts: OverlapRunOptions, flags: OutputFlags): Promise<number | null> {
  if (settings.execution.executor !== 'slurm') return guardLocal(opts.outputRoot, false);
  return submitAndFollow('overlap', opts.outputRoot, flags,
    (env, progress) => submitPhase('overlap', opts.outputRoot, settings, () => overlapSteps(settings, opts), env, progress));
}

export async function reconstructOnCluster(settings: StudySettings, opts: ReconstructionPlanOptions, flags: OutputFlags): Promise<number | null> {
  if (settings.execution.executor !== 'slurm') return guardLocal(opts.artifactRoot, false);
  return submitAndFollow('reconstruct', opts.artifactRoot, flags,
    (env, progress) => submitPhase('reconstruct', opts.artifactRoot, settings, () => reconstructSteps(settings, opts), env, progress));
}

export async function compareOnCluster(settings: StudySettings, opts: PhaseGOptions, flags: OutputFlags): Promise<number | null> {
  if (settings.execution.executor !== 'slurm') return guardLocal(opts.outputRoot, false);
  return submitAndFollow('compare', opts.outputRoot, flags,
    (env, progress) => submitPhase('compare', opts.outputRoot, settings, () => compareSteps(opts), env, progress));
}
