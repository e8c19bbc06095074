/**
 * The CPUs this process may use: the thread count of a reconstruction and the jobs run at once.
 *
 * `os.availableParallelism()` counts the CPUs of the process's affinity mask. A SLURM job's task is bound to its
 * CPUs only where the cluster binds tasks (task/affinity, task/cgroup); with task/none the mask is the whole node,
 * and a task given one CPU would run as many threads as the node has. Inside a SLURM job (`SLURM_JOB_ID` set) the
 * count is therefore at most the CPUs SLURM gave the task: `SLURM_CPUS_PER_TASK` (sbatch's or srun's
 * `--cpus-per-task`), else `SLURM_CPUS_ON_NODE` (the job's CPUs on this node, when it asked for no CPUs per task).
 */
import os from 'node:os';
import { slurmTaskCpusFrom } from '../data/slurm-job.js';
import { MAX_LSQML_THREADS } from './options.js';

/** The CPUs SLURM gave this process's task (module comment; data/slurm-job.ts), or null outside a SLURM job or when it names none. */
export function slurmTaskCpus(env: NodeJS.ProcessEnv = process.env): number | null {
  return slurmTaskCpusFrom(env)?.cpus ?? null;
}

/** The CPUs this process may use: `machine` (`os.availableParallelism()`), at most what SLURM gave its task. */
export function usableCpus(env: NodeJS.ProcessEnv = process.env, machine: number = os.availableParallelism()): number {
  const slurm = slurmTaskCpus(env);
  return Math.max(1, slurm === null ? machine : Math.min(slurm, machine));
}

/**
 * The threads of one reconstruction when none are asked for (`--threads`, `reconstruction.threads`): inside a SLURM
 * job, the CPUs SLURM gave the task, as a study's SLURM tasks take them (at most MAX_LSQML_THREADS); elsewhere
 * min(2, CPUs).
 */
export function defaultLsqmlThreads(env: NodeJS.ProcessEnv = process.env, machine: number = os.availableParallelism()): number {
  const cpus = usableCpus(env, machine);
  return slurmTaskCpus(env) === null ? Math.min(2, cpus) : Math.min(cpus, MAX_LSQML_THREADS);
}
