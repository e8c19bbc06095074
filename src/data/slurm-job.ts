/**
 * What SLURM gave the job this process runs in, from the variables it sets in a job's environment: the task's
 * CPUs and the job's memory on this node. Outside a job (`SLURM_JOB_ID` unset) a variable left over from elsewhere
 * says nothing, and each is null.
 *
 * CPUs: `SLURM_CPUS_PER_TASK` (sbatch's or srun's `--cpus-per-task`), else `SLURM_CPUS_ON_NODE` (the job's CPUs on
 * this node, when it asked for no CPUs per task).
 *
 * Memory: `SLURM_MEM_PER_NODE` (`--mem`, in MiB), else `SLURM_MEM_PER_CPU` (`--mem-per-cpu`, in MiB) times those
 * CPUs — what SLURM confines the job to where it schedules memory. `--mem=0` (the node's whole memory) is none.
 */
import { UsageError } from '../errors.js';

const inJob = (env: NodeJS.ProcessEnv): boolean => (env['SLURM_JOB_ID'] ?? '').trim() !== '';

/** A positive count in a variable, or null when it holds none. */
function count(env: NodeJS.ProcessEnv, name: string): number | null {
  const text = env[name]?.trim() ?? '';
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null;
}

/** The CPUs SLURM gave this process's task and the variable that says so, or null outside a SLURM job or when none names them. */
export function slurmTaskCpusFrom(env: NodeJS.ProcessEnv = process.env): { cpus: number; variable: string } | null {
  if (!inJob(env)) return null;
  for (const variable of ['SLURM_CPUS_PER_TASK', 'SLURM_CPUS_ON_NODE']) {
    const cpus = count(env, variable);
    if (cpus !== null) return { cpus, variable };
  }
  return null;
}

export interface SlurmJobMemory {
  bytes: number;
  /** How SLURM stated it: "SLURM_MEM_PER_NODE=8192 (--mem, MiB)", "SLURM_MEM_PER_CPU=2048 (--mem-per-cpu, MiB) × SLURM_CPUS_PER_TASK=4". */
  source: string;
}

/**
 * The memory SLURM gave this job on this node (module comment), or null outside a job or when it was given none.
 * A variable SLURM sets to something other than a number of MiB is refused (a UsageError), never read as none.
 */
export function slurmJobMemory(env: NodeJS.ProcessEnv = process.env): SlurmJobMemory | null {
  if (!inJob(env)) return null;
  const mib = (name: string): number | null => {
    const text = env[name]?.trim() ?? '';
    if (text === '') return null;
    if (!/^\d+$/.test(text)) throw new UsageError(`${name}=${env[name]}: expected SLURM's memory of the job, a number of MiB; found no number`);
    return Number(text) > 0 ? Number(text) : null;
  };
  const perNode = mib('SLURM_MEM_PER_NODE');
  if (perNode !== null) return { bytes: perNode * 2 ** 20, source: `SLURM_MEM_PER_NODE=${perNode}, the job's --mem in MiB` };
  const perCpu = mib('SLURM_MEM_PER_CPU');
  if (perCpu === null) return null;
  const cpus = slurmTaskCpusFrom(env) ?? { cpus: 1, variable: 'one CPU' };
  return {
    bytes: perCpu * cpus.cpus * 2 ** 20,
    source: `SLURM_MEM_PER_CPU=${perCpu}, the job's --mem-per-cpu in MiB, × ${cpus.variable === 'one CPU' ? 'one CPU' : `${cpus.variable}=${cpus.cpus}`}`,
  };
}
