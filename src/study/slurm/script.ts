/**
 * The batch script of one step: every sbatch option as an `#SBATCH` line (so the script alone says how
 * it was submitted), a header naming the package version, the Node.js that runs the tasks and the
 * command that submitted it, and one command: the ptychostudy worker for `$SLURM_ARRAY_TASK_ID`.
 * The tasks run that Node.js and that package on the compute nodes, so both must be at those paths there
 * (a shared installation, as for any cluster software); a missing Node.js ends the task with a clear line.
 */
import { basename, join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { SlurmSettings } from '../../settings/schema.js';
import type { StepName } from './records.js';

export interface ScriptRequest {
  submission: number;
  step: StepName;
  home: string;
  /** Array tasks (0…tasks−1); 0 for the finish job, which is not an array. */
  tasks: number;
  /** The step's jobs, which its tasks take one after another (0 for the finish job). */
  jobs: number;
  dependency: string | null;
  slurm: SlurmSettings;
  node: string;
  nodeVersion: string;
  entry: string;
  cwd: string;
  /** Where SLURM writes what the task prints (`%A`, `%a`, `%j` are SLURM's). */
  output: string;
  argv: readonly string[];
  version: string;
  writtenAt: string;
}

/**
 * SLURM's file name pattern (sbatch --output) of a file in `dir`: `name` may hold SLURM's `%A`, `%a`, `%j`;
 * a `%` of the directory is doubled, so that SLURM writes where the directory says (`%%` is a `%`).
 */
export function slurmFilePattern(dir: string, name: string): string {
  return join(dir.replace(/%/g, '%%'), name);
}

/**
 * Refuses (exit 2, before anything is written) a directory that cannot be written into an `#SBATCH` line:
 * sbatch reads such a line up to its end, and a value with spaces is read between double quotes.
 */
export function checkScriptPath(what: string, path: string): void {
  if (/[\n\r"]/.test(path)) {
    throw new UsageError(`${what} ${JSON.stringify(path)}: holds a newline or a double quote, which a SLURM job script's #SBATCH line cannot hold; ` +
      'choose a path without them');
  }
}

/** Text for a comment line of the script: a newline in it would end the comment and start a command. */
function commentText(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Single-quotes a word for the shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An sbatch option as sbatch reads it from an `#SBATCH` line (a value with spaces in double quotes). */
function directive(arg: string): string {
  if (/[\n"]/.test(arg)) throw new Error(`internal: sbatch option ${JSON.stringify(arg)} holds a newline or a double quote`);
  if (!/\s/.test(arg)) return `#SBATCH ${arg}`;
  const eq = arg.indexOf('=');
  return eq > 0 ? `#SBATCH ${arg.slice(0, eq + 1)}"${arg.slice(eq + 1)}"` : `#SBATCH "${arg}"`;
}

/**
 * A step's SLURM job name: the step, then the home's name (`reconstruct-fly64`), so that squeue's default view, which
 * shows a name's first 8 characters, tells the steps apart, and a wider one the hubs. At most 100 characters; a
 * character of the name other than a letter, digit, `.`, `_`, `+` or `-` is written `_` (no quoting, no newline).
 */
export function jobName(step: StepName, home: string): string {
  const name = basename(home).replace(/[^\w.+-]/g, '_');
  return (name === '' ? step : `${step}-${name}`).slice(0, 100);
}

/** The sbatch options of a step, in the order they are written. */
export function sbatchOptions(r: ScriptRequest): string[] {
  const s = r.slurm;
  const opts = [`--job-name=${jobName(r.step, r.home)}`];
  if (r.step !== 'finish') opts.push(`--array=0-${r.tasks - 1}`);
  // A task that SLURM requeues writes the same log: appended to, it keeps what the earlier run printed.
  opts.push(`--output=${r.output}`, '--open-mode=append', `--chdir=${r.cwd}`);
  if (r.dependency !== null) opts.push(`--dependency=afterany:${r.dependency}`);
  if (s.partition !== null) opts.push(`--partition=${s.partition}`);
  if (s.account !== null) opts.push(`--account=${s.account}`);
  if (s.qos !== null) opts.push(`--qos=${s.qos}`);
  if (s.time !== null) opts.push(`--time=${s.time}`);
  if (s.cpusPerTask !== null) opts.push(`--cpus-per-task=${s.cpusPerTask}`);
  if (s.mem !== null) opts.push(`--mem=${s.mem}`);
  opts.push(...s.sbatchArgs);
  return opts;
}

/**
 * Node's option for a job's tasks: optimised code compiled on the main thread, not beside it. Node 20 can deadlock as
 * a process ends while a concurrent optimising compile waits for a garbage collection only the main thread can run
 * (the same class as nodejs/node#54918); a task would then hold its allocation, its work done, until its time limit.
 */
const WORKER_NODE_OPTIONS = ['--no-concurrent-recompilation'] as const;

/** The worker command of a step's tasks. */
export function workerCommand(r: ScriptRequest): string[] {
  const base = [r.node, ...WORKER_NODE_OPTIONS, r.entry, 'worker', '--hub', r.home, '--submission', String(r.submission)];
  return r.step === 'finish' ? [...base, '--finish'] : [...base, '--step', r.step, '--task'];
}

export function stepScript(r: ScriptRequest): string {
  const what = r.step === 'finish'
    ? 'the closing job: merges every step once more (idempotently) and writes the report of a whole study'
    : `${r.tasks} task(s) taking the ${r.jobs} job(s) of Phase ${({ generate: 'C', overlap: 'D', reconstruct: 'F', compare: 'G' } as const)[r.step]} ` +
      'one at a time (each task its own index first, then the next job no task has taken)';
  const cmd = workerCommand(r).map(shellQuote).join(' ');
  return [
    '#!/bin/bash',
    `# ptychostudy ${r.version}: step "${r.step}" of submission ${r.submission} of ${commentText(r.home)}`,
    `# ${what}.`,
    `# Written ${r.writtenAt} by: ${commentText(r.argv.map(shellQuote).join(' '))}`,
    `# Node.js: ${commentText(r.node)} (${r.nodeVersion}); ptychostudy: ${commentText(r.entry)}`,
    ...sbatchOptions(r).map(directive),
    'set -eu',
    `if [ ! -x ${shellQuote(r.node)} ]; then`,
    `  echo "ptychostudy: Node.js not found at ${r.node.replace(/["$`\\]/g, '\\$&')} on $(hostname)" >&2`,
    '  exit 127',
    'fi',
    r.step === 'finish' ? `exec ${cmd}` : `exec ${cmd} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}
