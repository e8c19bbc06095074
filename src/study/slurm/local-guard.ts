/**
 * What every local run a script starts through the library checks before it writes a root (a study hub, or one
 * phase's root): `runStudy`, `runSimulation`, `runOverlap`, `runReconstruction` and `runComparison` refuse while
 * SLURM jobs that write that root are queued or running, and finish the submissions that ended first
 * (`prepareHomes`), as the command line does before a local run (cli/cluster.ts): a local run beside them would
 * write what their merges then drop. Loading this module sets the check (`setLocalRunCheck`); src/index.ts loads
 * it. Where no home of the root holds a SLURM record (`slurm/jobs.json`), SLURM is not asked.
 */
import { existsSync } from 'node:fs';
import { setLocalRunCheck } from '../phase.js';
import { slurmPaths } from './records.js';
import { homesWriting, prepareHomes } from './submit.js';

/**
 * Before a local run writes `root` (a hub when `isHub`): a UsageError while SLURM jobs that write it are queued
 * or running (naming them, and how to wait for or cancel them), an InputError when a SLURM record there cannot
 * be read; the submissions that ended are finished first.
 */
export async function guardLocalRun(root: string, isHub: boolean): Promise<void> {
  const homes = homesWriting(root, isHub);
  if (!homes.some((home) => existsSync(slurmPaths(home).jobs))) return;
  await prepareHomes(root, homes, true);
}

setLocalRunCheck(guardLocalRun);
