/**
 * Phase C — synthetic datasets, one job per dose: plan.ts (what is written, checked before anything is),
 * job.ts (simulating and writing a dose's two splits), record.ts (run_manifest.json). `runSimulation` is
 * the code path of `ptychostudy generate` and of the whole-study runner. Nothing here prints or reads argv.
 */
import { join } from 'node:path';
import { EarlierFiles } from '../../files/earlier.js';
import { withLock } from '../../files/lock.js';
import type { PresetName, StudySettings, StudySettingsInput } from '../../settings/schema.js';
import { PHASE_C } from '../hub/layout.js';
import { checkStudySettings } from '../../settings/parse.js';
import { checkLocalRun, checkOptionNames, checkSignalOption, localExecutor, optionNames, requirePathOptions, type Executor, type Phase } from '../phase.js';
import { simulateDoses, type SimulationJobResult } from './job.js';
import {
  planSimulation, readRootState, type PhaseCProgress, type SimulationJob, type SimulationPlan, type SimulationRunOptions,
} from './plan.js';
import { SimulationManifest } from './record.js';

export const simulationPhase: Phase<SimulationPlan, SimulationJob, SimulationJobResult, PhaseCProgress> = {
  name: 'generate',
  local: 'together',
  runJobs: simulateDoses,
};

export interface PhaseCResult {
  outputRoot: string;
  manifestPath: string;
  preset: PresetName | null;
  seed: number;
  nPositions: number;
  patchSize: number;
  objectShape: [number, number];
  split: { axis: 'x' | 'y'; splitPoint: number; trainCount: number; testCount: number };
  doses: SimulationJobResult[];
  /** Where the files this run replaced went (`<root>/history/replaced-<time>`), or null when it replaced none. */
  keptIn: string | null;
  seconds: number;
}

/**
 * Runs Phase C: plan, every dose, manifest after each, holding the output root's lock (`.generate.lock`:
 * a second run into the same root fails at once, naming the holder). Files it replaces with other bytes
 * move to `<root>/history/replaced-<time>/` (files/earlier.ts). Throws UsageError/InputError (exit
 * code 2) before writing anything when an input is bad, an output exists without `overwrite`, or the root
 * is busy.
 */
export async function runSimulation(studySettings: StudySettings | StudySettingsInput, opts: SimulationRunOptions,
  onProgress: (p: PhaseCProgress) => void = () => {}, executor: Executor = localExecutor()): Promise<PhaseCResult> {
  const t0 = performance.now();
  const settings = checkStudySettings(studySettings);
  requirePathOptions(opts, ['outputRoot']);
  checkOptionNames(opts, 'runSimulation', optionNames<SimulationRunOptions>({ outputRoot: true, overwrite: true, timestamp: true, compress: true, compressLevel: true, signal: true, settingsOrigin: true }),
    { doses: 'the doses are a setting: `simulation.doses`' });
  const signal = checkSignalOption(opts.signal);
  const planned = planSimulation(settings, opts);
  await checkLocalRun(planned.outputRoot, false, settings.execution.executor);
  const doses: SimulationJobResult[] = [];
  const plan = await withLock(join(planned.outputRoot, PHASE_C.lock), 'generate run', 'Phase C root', async () => {
    // what the root holds, read again under the lock
    const plan: SimulationPlan = {
      ...planned, previousManifest: readRootState(planned.jobs, planned.manifestPath, opts.overwrite ?? false),
      earlier: new EarlierFiles(planned.outputRoot, [planned.manifestPath]),
    };
    const manifest = new SimulationManifest(plan);
    await executor.run(simulationPhase, plan, plan.jobs, onProgress, (_job, r) => {
      manifest.add(r);
      doses.push(r);
    }, signal);
    return plan;
  });
  const first = doses[0];
  if (first === undefined) throw new Error('internal: Phase C simulated no dose');
  return {
    outputRoot: opts.outputRoot,
    manifestPath: plan.manifestPath,
    preset: plan.preset,
    seed: plan.seed,
    nPositions: plan.nPositions,
    patchSize: plan.patchSize,
    objectShape: plan.objectShape,
    split: { axis: first.split.axis, splitPoint: first.split.splitPoint, trainCount: first.trainCount, testCount: first.testCount },
    doses,
    keptIn: plan.earlier?.historyDir ?? null,
    seconds: (performance.now() - t0) / 1000,
  };
}
