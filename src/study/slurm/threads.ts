/**
 * The threads of a SLURM task's reconstruction: `reconstruction.threads` when set, else the CPUs SLURM gave the
 * task (`SLURM_CPUS_PER_TASK`), else `execution.slurm.cpusPerTask`, else 1. The engine runs at most
 * MAX_LSQML_THREADS threads (the bound `--threads` and `reconstruction.threads` are checked against): a task
 * given more CPUs uses that many, and says so once (`note`). Results do not depend on the thread count.
 */
import { MAX_LSQML_THREADS } from '../../engine/options.js';
import type { StudySettings } from '../../settings/schema.js';

export function taskThreads(settings: StudySettings, env: NodeJS.ProcessEnv = process.env): { threads: number; note: string | null } {
  if (settings.reconstruction.threads !== null) return { threads: settings.reconstruction.threads, note: null };
  const fromSlurm = Number.parseInt(env['SLURM_CPUS_PER_TASK'] ?? '', 10);
  const [cpus, source] = Number.isInteger(fromSlurm) && fromSlurm > 0 ? [fromSlurm, 'SLURM_CPUS_PER_TASK']
    : [settings.execution.slurm.cpusPerTask ?? 1, 'execution.slurm.cpusPerTask'];
  if (cpus <= MAX_LSQML_THREADS) return { threads: cpus, note: null };
  return {
    threads: MAX_LSQML_THREADS,
    note: `note: ${source} is ${cpus}; a reconstruction runs at most ${MAX_LSQML_THREADS} threads (MAX_LSQML_THREADS), so it uses ${MAX_LSQML_THREADS}`,
  };
}
