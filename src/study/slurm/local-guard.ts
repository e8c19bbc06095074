/**
 * What every local run a script starts through the library checks before it writes a root (a study hub, or one
 * phase's root): `runStudy`, `runSimulation`, `runOverlap`, `runReconstruction` and `runComparison` refuse while
 * SLURM jobs that write that root are queued or running, and finish the submissions that ended first
 * (`prepareHomes`), as the command line does before a local run (cli/cluster.ts): a local run beside them would
 * write what their merges then drop. Loading this module sets the check (`setLocalRunCheck`); src/index.ts loads
 * it. Where no home of the root holds a SLURM record (`slurm/jobs.json`), SLURM is not asked. `buildReport` checks
 * the same of its hub: a page built beside running jobs would show what their merges are about to change, and one
 * built after a submission ended unfinished (its closing job cancelled) would miss what it merges.
 *
 * Settings asking for `execution.executor: 'slurm'` are refused (a UsageError): the library runs every job on this
 * machine, and submitting is the command line's (`ptychostudy run --executor slurm`) — a script's study would
 * otherwise run here while its settings, and the hub's settings.json, say SLURM.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { setLocalRunCheck } from '../phase.js';
import { slurmPaths } from './records.js';
import { homesWriting, prepareHomes } from './submit.js';

/**
 * Before a local run writes `root` (a hub when `isHub`): a UsageError while SLURM jobs that write it are queued
 * or running (naming them, and how to wait for or cancel them), an InputError when a SLURM record there cannot
 * be read; the submissions that ended are finished first. Then a UsageError for settings asking for SLURM.
 */
export async function guardLocalRun(root: string, isHub: boolean, executor: 'local' | 'slurm' | null): Promise<void> {
  const homes = homesWriting(root, isHub);
  // first the jobs still at work there (the more pressing: nothing may run beside them), then the settings
  if (homes.some((home) => existsSync(slurmPaths(home).jobs))) await prepareHomes(root, homes, true);
  if (executor === 'slurm') {
    throw new UsageError(`execution.executor 'slurm': expected 'local' from a script — the library runs every job on this machine; ` +
      `submit to SLURM with \`ptychostudy ${isHub ? 'run' : 'generate|overlap|reconstruct'} --executor slurm\` (docs/slurm.md), or pass ` +
      "`execution: { executor: 'local' }` to run here; nothing was run");
  }
}

setLocalRunCheck(guardLocalRun);
