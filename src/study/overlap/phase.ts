/**
 * Phase D — overlap views, one job per dose: plan.ts (what is written, checked before anything is),
 * view.ts (one view of one split, in memory), job.ts (a dose's views and files), record.ts
 * (overlap_manifest.json). `runOverlap` is the code path of `ptychostudy overlap` and of the whole-study
 * runner. Nothing here prints or reads argv.
 */
import { join } from 'node:path';
import { EarlierFiles } from '../../files/earlier.js';
import { withLock } from '../../files/lock.js';
import type { StudySettings, StudySettingsInput } from '../../settings/schema.js';
import { PHASE_D } from '../hub/layout.js';
import { checkStudySettings } from '../../settings/parse.js';
import { checkLocalRun, checkOptionNames, checkSignalOption, localExecutor, optionNames, requirePathOptions, type Executor, type Phase } from '../phase.js';
import { overlapDoses, type DoseSummary } from './job.js';
import { planOverlap, type OverlapJob, type OverlapPlan, type OverlapProgress, type OverlapRunOptions } from './plan.js';
import { readOverlapManifest, writeOverlapManifest } from './record.js';

export const overlapPhase: Phase<OverlapPlan, OverlapJob, DoseSummary, OverlapProgress> = {
  name: 'overlap',
  local: 'together',
  runJobs: overlapDoses,
};

export interface OverlapSummary {
  doses: DoseSummary[];
  failed: number;
  manifest: string;
  /** Where the files this run replaced went (`<root>/history/replaced-<time>`), or null when it replaced none. */
  keptIn: string | null;
}

/**
 * Runs Phase D, holding the output root's lock (`.overlap.lock`: a second run into the same root fails at
 * once, naming the holder). Usage problems throw UsageError before anything is written. A dose whose Phase C files
 * cannot be read or are not valid is recorded as failed (with its error) and the other doses are still
 * processed; `summary.failed` counts them. An existing overlap_manifest.json that is not valid is an InputError
 * (exit code 2) naming it, before anything is written. Files it replaces with other bytes move to
 * `<root>/history/replaced-<time>/` (files/earlier.ts).
 */
export async function runOverlap(studySettings: StudySettings | StudySettingsInput, opts: OverlapRunOptions,
  onProgress: (p: OverlapProgress) => void = () => {}, executor: Executor = localExecutor()): Promise<OverlapSummary> {
  const settings = checkStudySettings(studySettings);
  requirePathOptions(opts, ['phaseCRoot', 'outputRoot']);
  checkOptionNames(opts, 'runOverlap', optionNames<OverlapRunOptions>({ phaseCRoot: true, outputRoot: true, doses: true, views: true, overwrite: true, signal: true, settingsOrigin: true }),
    { dose: 'the doses are `doses: [1e4, …]`', view: 'the views are `views: [\'dense\', …]`' });
  const signal = checkSignalOption(opts.signal);
  const planned = planOverlap(settings, opts);
  await checkLocalRun(planned.outputRoot, false, settings.execution.executor);
  const manifest = join(planned.outputRoot, PHASE_D.manifest);
  return withLock(join(planned.outputRoot, PHASE_D.lock), 'overlap run', 'Phase D root', async () => {
    // again under the lock: another run may have written meanwhile
    const earlier = new EarlierFiles(planned.outputRoot, [manifest]);
    const plan = { ...planOverlap(settings, opts), earlier };
    readOverlapManifest(manifest); // a broken manifest stops the run before any view is written
    const doses: DoseSummary[] = [];
    await executor.run(overlapPhase, plan, plan.jobs, onProgress, (_job, r) => { doses.push(r); }, signal);
    writeOverlapManifest(manifest, plan, doses);
    return { doses, failed: doses.filter((d) => d.status === 'failed').length, manifest, keptIn: earlier.historyDir };
  });
}
