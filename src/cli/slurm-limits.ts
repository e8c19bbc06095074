/**
 * Jobs lost to a limit their SLURM tasks asked (killed at the time limit, or at the memory limit by the out-of-memory
 * killer): a resume asks the limit the hub recorded unless the flag is given again, so a plain `run --out HUB` would
 * ask the same one. The closing line of a finished submission names the flag and the value to raise, in the command it
 * prints; a resume that asks the same limits again is told so before it submits.
 */
import type { AskedLimits, SubmissionView } from '../study/slurm/follow.js';
import { counted, shellJoin } from '../text.js';

/** The jobs of a submission its tasks' limits cost: killed at the time limit, or at the memory limit. */
export function jobsLostToLimits(v: SubmissionView): { time: number; memory: number } {
  const all = v.steps.flatMap((s) => s.failures);
  return { time: all.filter((f) => f.slurmState === 'TIMEOUT').length, memory: all.filter((f) => f.slurmState === 'OUT_OF_MEMORY').length };
}

const asked = (flag: string, value: string | null, otherwise: string): string => (value !== null ? `${flag} ${value}` : `no ${flag}: ${otherwise}`);
/** `--mem-per-cpu 2G` (its value as recorded; none named: the option alone). */
const perCpu = (value: string): string => (value !== '' ? `--mem-per-cpu ${value}` : '--mem-per-cpu');
/** `--mem 4G` given in --slurm-sbatch-arg (its value as recorded; none named: the option alone). */
const memArg = (value: string): string => (value !== '' ? `--mem ${value}` : '--mem');

/**
 * What the closing line of finished submission `v` says instead of its plain `continue with` when jobs were lost to a
 * limit: which limit (as recorded), that a plain resume asks it again, and the command with the flag to raise (`resume`:
 * the command that resumes it). Null when no job was lost to a limit.
 */
export function limitResumeAdvice(v: SubmissionView, resume: readonly string[]): string | null {
  const lost = jobsLostToLimits(v);
  if (lost.time === 0 && lost.memory === 0) return null;
  const what: string[] = [];
  const flags: string[] = [];
  const values: string[] = [];
  if (lost.time > 0) {
    what.push(`${counted(lost.time, 'job')} to their tasks' time limit (${asked('--slurm-time', v.limits.time, 'the partition\'s default')})`);
    flags.push('--slurm-time', 'LIMIT');
    values.push(`LIMIT longer than ${v.limits.time ?? 'the default'}, or more --slurm-tasks: fewer jobs per task`);
  }
  if (lost.memory > 0) {
    if (v.limits.memPerCpu !== null) {
      what.push(`${counted(lost.memory, 'job')} to their tasks' memory limit (${perCpu(v.limits.memPerCpu)}, in --slurm-sbatch-arg)`);
      flags.push('--slurm-sbatch-arg=--mem-per-cpu=SIZE');
      values.push(`SIZE larger than ${v.limits.memPerCpu || 'before'}; --slurm-sbatch-arg replaces the whole list: give the others again`);
    } else if (v.limits.memArg != null) {
      // --mem in --slurm-sbatch-arg follows --slurm-mem among the job's options: SLURM applies it
      what.push(`${counted(lost.memory, 'job')} to their tasks' memory limit (${memArg(v.limits.memArg)}, in --slurm-sbatch-arg)`);
      flags.push('--slurm-sbatch-arg=--mem=SIZE');
      values.push(`SIZE larger than ${v.limits.memArg || 'before'}; --slurm-sbatch-arg replaces the whole list: give the others again`);
    } else {
      what.push(`${counted(lost.memory, 'job')} to their tasks' memory limit (${asked('--slurm-mem', v.limits.mem, 'the cluster\'s default')})`);
      flags.push('--slurm-mem', 'SIZE');
      values.push(`SIZE larger than ${v.limits.mem ?? 'the default'}`);
    }
  }
  return `lost ${what.join(' and ')}, which the hub records and a plain resume asks again; continue with: ` +
    `${shellJoin([...resume])} ${flags.join(' ')} (${values.join('; ')}; the failed and missing jobs are submitted again, finished ones are kept)`;
}

/**
 * A warning for a resume about to ask the limits that cost earlier submission `earlier` jobs (the same time limit with as
 * many tasks, the same memory), or null. `now`: the limits the resume asks.
 */
export function repeatedLimitWarning(earlier: SubmissionView, now: AskedLimits): string | null {
  const lost = jobsLostToLimits(earlier);
  const parts: string[] = [];
  const before = earlier.limits;
  if (lost.time > 0 && now.time === before.time && now.tasks === before.tasks) {
    parts.push(`${counted(lost.time, 'job')} to its tasks' time limit (${asked('--slurm-time', before.time, 'the partition\'s default')}), ` +
      `and this submission asks the same limit with as many tasks (give a longer --slurm-time or more --slurm-tasks)`);
  }
  // the same memory: the same --slurm-mem and the same --mem-per-cpu value (a raised --mem-per-cpu is not the same)
  if (lost.memory > 0 && now.mem === before.mem && now.memPerCpu === before.memPerCpu && (now.memArg ?? null) === (before.memArg ?? null)) {
    const [was, raise] = before.memPerCpu !== null ? [`${perCpu(before.memPerCpu)}, in --slurm-sbatch-arg`, 'a larger --slurm-sbatch-arg=--mem-per-cpu=…']
      : before.memArg != null ? [`${memArg(before.memArg)}, in --slurm-sbatch-arg`, 'a larger --slurm-sbatch-arg=--mem=…']
        : [asked('--slurm-mem', before.mem, 'the cluster\'s default'), 'a larger --slurm-mem'];
    parts.push(`${counted(lost.memory, 'job')} to its tasks' memory limit (${was}), and this submission asks the same memory (give ${raise})`);
  }
  return parts.length === 0 ? null
    : `warning: submission ${earlier.number} lost ${parts.join('; and ')}: the jobs submitted again may be killed the same way`;
}
