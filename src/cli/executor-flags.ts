/**
 * The executor flags every command that runs many jobs takes (`run`, `generate`, `overlap`,
 * `reconstruct`, `compare`): `--executor local|slurm`, the SLURM options of the jobs, and `--detach`.
 * They map to the settings' `execution` group (src/settings/schema.ts: executor, slurm.*), where a resumed
 * hub finds them again; `--detach` is how the command behaves, not a setting.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { StudySettingsInput } from '../settings/schema.js';
import { every, integerFlag } from './flags.js';

export interface ExecutorFlags {
  executor?: string;
  slurmPartition?: string;
  slurmAccount?: string;
  slurmTime?: string;
  slurmCpusPerTask?: string;
  slurmMem?: string;
  slurmQos?: string;
  slurmTasks?: string;
  slurmSbatchArg?: string[];
  detach?: boolean;
}

/** The flag of each execution setting (library messages name settings in backticks; commands show flags). */
export const EXECUTOR_FLAGS: Record<string, string> = {
  'execution.executor': '--executor', 'execution.slurm.partition': '--slurm-partition', 'execution.slurm.account': '--slurm-account',
  'execution.slurm.time': '--slurm-time', 'execution.slurm.cpusPerTask': '--slurm-cpus-per-task', 'execution.slurm.mem': '--slurm-mem',
  'execution.slurm.qos': '--slurm-qos', 'execution.slurm.tasks': '--slurm-tasks', 'execution.slurm.sbatchArgs': '--slurm-sbatch-arg', executor: '--executor', dryRun: '--dry-run',
};

/** Adds the executor flags to a command (in --help after its own flags). */
export function addExecutorOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--executor <name>', 'who runs the jobs: local (this machine, default) | slurm (one SLURM job array per phase; any --slurm-* option implies it; ' +
      'a step sbatch refuses for what a --slurm-* option asked — a partition, account or QOS the cluster lacks, a time or memory no partition gives, ' +
      'an option sbatch does not know — ends the command with one line naming sbatch\'s reason and the options, exit 2; a refusal by the cluster ' +
      'itself — slurmctld not answering, a limit on your jobs — exit 1; docs/slurm.md)')
      .choices(['local', 'slurm']))
    .option('--slurm-partition <name>', 'SLURM partition of the jobs')
    .option('--slurm-account <name>', 'SLURM account charged')
    .option('--slurm-time <limit>', 'time limit of each task, as sbatch --time takes it (e.g. 30, 2:00:00, 1-00)')
    .option('--slurm-cpus-per-task <n>', 'CPUs of each task; a reconstruction uses that many threads (default: SLURM\'s, 1)')
    .option('--slurm-mem <size>', 'memory of each task, e.g. 8G')
    .option('--slurm-qos <name>', 'SLURM quality of service')
    .option('--slurm-tasks <n>', 'array tasks of each phase; each takes the phase\'s jobs one after another (default: as many as the partition\'s CPUs hold at once, at most one per job)')
    .option('--slurm-sbatch-arg <arg>', 'another sbatch option for every job, e.g. --slurm-sbatch-arg=--constraint=haswell (repeatable; not --array, --dependency, --output or --open-mode, which the job scripts set, nor --wait: the command follows the jobs itself; a comma stays in the option: --slurm-sbatch-arg=--mail-type=END,FAIL)', every)
    .option('--detach', 'with --executor slurm: print the SLURM job ids and return (follow later with `ptychostudy status --out DIR`)');
}

/** The execution settings the flags give (unset flags stay unset, so the defaults or a resumed hub's values hold). */
export function executorSettingsFromFlags(f: ExecutorFlags): NonNullable<StudySettingsInput['execution']> {
  const slurm = {
    partition: f.slurmPartition, account: f.slurmAccount, time: f.slurmTime,
    cpusPerTask: integerFlag('--slurm-cpus-per-task', f.slurmCpusPerTask), mem: f.slurmMem, qos: f.slurmQos,
    tasks: integerFlag('--slurm-tasks', f.slurmTasks), sbatchArgs: f.slurmSbatchArg,
  };
  const anySlurm = Object.values(slurm).some((v) => v !== undefined);
  if (anySlurm && f.executor === 'local') {
    const flag = Object.entries(slurm).find(([, v]) => v !== undefined)![0];
    throw new UsageError(`${EXECUTOR_FLAGS[`execution.slurm.${flag}`]}: a SLURM option, but --executor local runs the jobs on this machine`);
  }
  return { executor: (f.executor as 'local' | 'slurm' | undefined) ?? (anySlurm ? 'slurm' : undefined), slurm };
}

/**
 * Refuses `--detach` when the jobs run on this machine (a local run is followed to its end). The executor may come
 * from a settings file, so this is checked once the settings are parsed — and before any folder is looked at.
 */
export function refuseDetachWithoutSlurm(executor: 'local' | 'slurm', f: Pick<ExecutorFlags, 'detach'>): void {
  if (f.detach && executor !== 'slurm') throw new UsageError('--detach: only with --executor slurm (a local run is followed to its end)');
}
