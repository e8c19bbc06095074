/**
 * Which arrays a submission holds and which tasks each has — the job keys, known before any input exists
 * (one per dose for Phases C and D, one per dose × view × split for F and G) — and the options each
 * step's tasks need. Each command checks its options and inputs here exactly as its local run would,
 * before anything is written or submitted.
 *
 * A resume submits only what is missing or failed: Phase C and D doses whose manifest entry is not a
 * success (or whose files are gone); Phase F jobs that are not complete by Phase F's own rule (an earlier
 * success made with the same reconstruction settings, whose outputs exist and whose input's size and SHA-256 are
 * unchanged) — every job when C or D runs again, since their inputs are then rewritten first, and Phase F's start
 * makes the exact choice; Phase G, like a local run, compares every job again but those a stopped run finished
 * with the same inputs (compare/reuse.ts).
 */
import { join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from '../../files/bounded-read.js';
import { isFile } from '../../files/dirs.js';
import { checkLockFree } from '../../files/lock.js';
import { checkSettingsOrigin, type SettingsOrigin } from '../../settings/origin.js';
import type { StudySettings } from '../../settings/schema.js';
import { checkBeforeComparing, type PhaseGOptions } from '../compare/phase.js';
import { planComparisons } from '../compare/plan.js';
import { currentExternalModels } from '../compare/summary.js';
import { readMetricsSummary } from '../hub/metrics-summary.js';
import { doseDirName, HUB, hubRoots, PHASE_C, PHASE_D, PHASE_F, PHASE_G, phaseDViewFiles, SPLITS, VIEWS } from '../hub/layout.js';
import { planOverlap, PHASE_D_SETTINGS, type OverlapRunOptions } from '../overlap/plan.js';
import { NO_FILTERS } from '../reconstruct/filters.js';
import { checkInitObjectFits, checkInitProbeFits, PHASE_F_SETTINGS, planReconstruction, type ReconstructionPlanOptions } from '../reconstruct/plan.js';
import { jobsToRun, startFileUsed } from '../reconstruct/record.js';
import { absentStartFiles, startFileAbsentError } from '../reconstruct/start-files.js';
import { PHASE_C_SETTINGS, planSimulation, type SimulationRunOptions } from '../simulate/plan.js';
import { phaseOrigin } from '../phase.js';
import type { ArrayStep } from './records.js';

/** One array of a submission, before it is submitted. */
export interface PlannedStep {
  step: ArrayStep;
  tasks: string[];
  options: Record<string, unknown>;
}

/** The JSON object at `path`; null when absent or not an object; past MAX_RECORD_BYTES an InputError naming it. */
function readJsonObject(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readJsonTextAtMost(path, MAX_RECORD_BYTES, 'a record')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch (err) {
    if (err instanceof InputError) throw err;
    return null;
  }
}

/** Every dose × view × split key of the study, in the job order of Phases F and G. */
export function matrixKeys(doses: readonly number[]): string[] {
  const out: string[] = [];
  for (const dose of [...doses].sort((a, b) => a - b)) for (const split of SPLITS) for (const view of VIEWS) out.push(`${doseDirName(dose)}/${view}/${split}`);
  return out;
}

/** Phase C doses of a hub that have no successful manifest entry with both files present. */
function dosesToGenerate(root: string, doses: readonly number[]): number[] {
  const m = readJsonObject(join(root, PHASE_C.manifest));
  return doses.filter((d) => {
    const e = m?.[doseDirName(d)] as Record<string, unknown> | undefined;
    return e === undefined || e['status'] === 'failed' || !(['train', 'test'] as const).every((s) => isFile(join(root, doseDirName(d), PHASE_C.split(s))));
  });
}

/** Phase D doses whose manifest entry is not `ok` or whose view files are missing. */
function dosesToOverlap(root: string, doses: readonly number[], views: readonly string[]): number[] {
  const m = readJsonObject(join(root, PHASE_D.manifest));
  const entries = (m?.['doses'] ?? {}) as Record<string, { status?: unknown }>;
  return doses.filter((d) => entries[doseDirName(d)]?.status !== 'ok'
    || !views.every((v) => { const p = phaseDViewFiles(root, d, v); return isFile(p.npz.train) && isFile(p.npz.test); }));
}

/**
 * How a submission's Phase F is checked as the local run it stands for: `reconstruct` (`runReconstruction`: the probe
 * and object files against the selected inputs whatever is left to run; a file that is not there named alone when no
 * earlier job started from its path), or a study's Phase F (`run`: only when some job is still to run, a file that is not
 * there named with the hub's settings.json, as `run`'s Phase F check does). With no Phase F job left, a `run` submits
 * only Phase G and the finish job, which read neither file (a comparison reads the reconstruction, the ground truth and
 * the view; the report the records), and a local `run` skips Phase F and its checks too; `checkStudyProbe` has still
 * read the files that are there against the study's patterns and object.
 */
type PhaseFCheck = { command: 'reconstruct' } | { command: 'run'; settingsFile: string };

/**
 * Phase F keys a submission runs: the selected jobs that are not complete (all of them with `force`), after the checks
 * the local run makes before it writes anything (reconstruct/phase.ts), so that a probe or object file every task would
 * refuse stops the submission here — nothing submitted, nothing written — not each task once it runs.
 */
async function reconstructKeys(opts: ReconstructionPlanOptions, settings: StudySettings, check: PhaseFCheck): Promise<string[]> {
  const plan = planReconstruction(settings, opts, 1);
  // The jobs the local run would execute now (`jobsToRun`: Phase F's own rule, record.ts), after its refusals: a probe or
  // object file changed since the results the run keeps started from it; a finished job's reconstruction.npz that is
  // broken or not the file it wrote; a finished job's input, changed since it ran, that is broken rather than another
  // dataset. Each input is hashed (streamed), and one that changed is read to its end in slices, never held whole.
  const keys = (await jobsToRun(plan)).map((j) => j.key);
  // a probe or object file that is not there (a hub copied elsewhere): refused only when some job still needs it
  const absent = absentStartFiles(plan.settings);
  if (keys.length > 0 && absent.length > 0) {
    throw check.command === 'run' ? startFileAbsentError(absent[0]!, keys.length, check.settingsFile)
      : startFileAbsentError(absent[0]!, keys.length, undefined, startFileUsed(plan, absent[0]!));
  }
  // A probe file that cannot serve the inputs' pattern size, an object file of another frame or pixel size than the
  // inputs state: refused as the local run refuses them. The inputs' headers and `_metadata` are all that is read of
  // them here — the submitting machine (a login node) is not where the jobs run, its memory limit is not theirs, and a
  // large dataset would be read whole on it; each job reads and checks its whole input on its node.
  if (check.command === 'reconstruct' || keys.length > 0) {
    await checkInitProbeFits(plan);
    await checkInitObjectFits(plan);
  }
  // a local run writing into the artifact root now: refused as a second local run is, not by the step once it starts
  checkLockFree(join(plan.artifactRoot, PHASE_F.lock), 'artifact root');
  return keys;
}

/**
 * Refuses a root whose lock a live local process holds (`root`, the lock's file name, the place as the local run
 * names it), with the line the local run's own `tryLock` gives: the lock is only read, never taken, and nothing is
 * written — the tasks take it themselves when they run.
 */
function checkRootsFree(roots: readonly (readonly [root: string, lock: string, place: string])[]): void {
  for (const [root, lock, place] of roots) checkLockFree(join(root, lock), place);
}

/** A step's `settingsOrigin` option: where each of its phase's settings given came from, when the command said. */
function originStored(origin: SettingsOrigin | null): { settingsOrigin?: SettingsOrigin } {
  return origin === null ? {} : { settingsOrigin: origin };
}

/**
 * The arrays of a whole study into `hub`, given which phases run.json records as complete; `origin`: where each setting
 * given came from, which Phases C and D record in their manifests as a local run's do.
 */
export async function studySteps(hub: string, settings: StudySettings, complete: (phase: ArrayStep) => boolean,
  origin?: SettingsOrigin): Promise<PlannedStep[]> {
  const roots = hubRoots(resolve(hub));
  const doses = [...settings.simulation.doses].sort((a, b) => a - b);
  const views = Object.keys(settings.overlap.views);
  // Checked as the local run checks them, before anything is written (a bad base NPZ, an unwritable hub).
  planSimulation(settings, { outputRoot: roots.c, overwrite: true });
  // A local command writing into the hub's Phase C, D or F root now (`generate`, `overlap`, `reconstruct` into it): a
  // local run refuses it when it reads a complete phase's root or starts that phase, the submission at once. Phase G's
  // root is not: a local `compare` holds its lock only while it merges, and a local run waits for it, as the step does.
  checkRootsFree([[roots.c, PHASE_C.lock, 'Phase C root'], [roots.d, PHASE_D.lock, 'Phase D root'], [roots.f, PHASE_F.lock, 'artifact root']]);
  const steps: PlannedStep[] = [];
  const c = complete('generate') ? [] : dosesToGenerate(roots.c, doses);
  if (c.length > 0) {
    steps.push({ step: 'generate', tasks: c.map(doseDirName), options: { outputRoot: roots.c, timestamp: null, ...originStored(phaseOrigin(origin, PHASE_C_SETTINGS)) } });
  }
  const d = complete('overlap') && c.length === 0 ? [] : dosesToOverlap(roots.d, doses, views);
  if (d.length > 0) {
    steps.push({ step: 'overlap', tasks: d.map(doseDirName), options: { phaseCRoot: roots.c, outputRoot: roots.d, views: null, ...originStored(phaseOrigin(origin, PHASE_D_SETTINGS)) } });
  }
  // the hub's settings.json named as a local run's Phase F names it: a job's `ptychostudy lsqml` line gives it with
  // --config when the job has settings that line has no flag for
  const fOptions = {
    phaseCRoot: roots.c, phaseDRoot: roots.d, artifactRoot: roots.f, filters: { ...NO_FILTERS }, allowMissingPhaseD: true, force: false,
    configFile: join(resolve(hub), HUB.settings), ...originStored(phaseOrigin(origin, PHASE_F_SETTINGS)),
  };
  const f = c.length > 0 || d.length > 0 ? matrixKeys(doses)
    : await reconstructKeys(fOptions, settings, { command: 'run', settingsFile: join(resolve(hub), HUB.settings) });
  if (f.length > 0) steps.push({ step: 'reconstruct', tasks: f, options: fOptions });
  steps.push({
    step: 'compare', tasks: matrixKeys(doses),
    options: {
      phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g,
      // the external models a `compare --model` merged into the summary are compared again, as a local run does
      dose: null, view: null, split: null,
      models: currentExternalModels(readMetricsSummary(join(roots.g, PHASE_G.summaryJson)), { phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g }),
      region: 'illumination', figures: true, charts: true,
    },
  });
  return steps;
}

/** `ptychostudy generate --executor slurm`: every dose of the plan (which refuses existing outputs without overwrite). */
export function generateSteps(settings: StudySettings, opts: SimulationRunOptions): PlannedStep[] {
  const plan = planSimulation(settings, opts);
  checkRootsFree([[plan.outputRoot, PHASE_C.lock, 'Phase C root']]); // a local `generate` writing there: refused as it refuses a second one
  return [{
    step: 'generate', tasks: plan.jobs.map((j) => j.key),
    options: { outputRoot: resolve(opts.outputRoot), timestamp: opts.timestamp ?? null, ...originStored(plan.settingsOrigin) },
  }];
}

/** `ptychostudy overlap --executor slurm`: every dose the plan selects. */
export function overlapSteps(settings: StudySettings, opts: OverlapRunOptions): PlannedStep[] {
  const plan = planOverlap(settings, opts);
  checkRootsFree([[plan.outputRoot, PHASE_D.lock, 'Phase D root']]); // a local `overlap` writing there: refused as it refuses a second one
  return [{
    step: 'overlap', tasks: plan.jobs.map((j) => j.key),
    options: { phaseCRoot: plan.phaseCRoot, outputRoot: plan.outputRoot, views: opts.views ? [...opts.views] : null, ...originStored(plan.settingsOrigin) },
  }];
}

/** `ptychostudy reconstruct --executor slurm`: the selected jobs that are not complete. */
export async function reconstructSteps(settings: StudySettings, opts: ReconstructionPlanOptions): Promise<PlannedStep[]> {
  if (opts.dryRun) throw new UsageError('`dryRun` runs nothing and needs no cluster: use it without `executor` slurm');
  if (opts.engine !== undefined) throw new UsageError('internal: a SLURM task runs the LSQML engine itself');
  // the settings file and where each setting came from, as a local `reconstruct` records them (the jobs' `lsqml` lines
  // with --config, the run's settings_origin): the tasks plan from these options
  const origin = checkSettingsOrigin(opts.settingsOrigin);
  const options = {
    phaseCRoot: resolve(opts.phaseCRoot), phaseDRoot: resolve(opts.phaseDRoot), artifactRoot: resolve(opts.artifactRoot),
    filters: { ...NO_FILTERS, ...opts.filters }, allowMissingPhaseD: opts.allowMissingPhaseD ?? false, force: opts.force ?? false,
    ...(opts.configFile !== undefined ? { configFile: resolve(opts.configFile) } : {}),
    ...(origin !== undefined ? { settingsOrigin: origin } : {}),
  };
  const tasks = await reconstructKeys(options, settings, { command: 'reconstruct' });
  return tasks.length === 0 ? [] : [{ step: 'reconstruct', tasks, options }];
}

/** `ptychostudy compare --executor slurm`: every job of the plan. */
export function compareSteps(opts: PhaseGOptions): PlannedStep[] {
  const plan = planComparisons(opts);
  checkBeforeComparing(opts, plan); // a read-only output root, a broken summary, …: refused here as the local run refuses them
  return [{
    step: 'compare', tasks: plan.jobs.map((j) => j.key),
    options: {
      phaseCRoot: resolve(opts.phaseCRoot), phaseDRoot: opts.phaseDRoot ? resolve(opts.phaseDRoot) : '', phaseFRoot: resolve(opts.phaseFRoot),
      outputRoot: resolve(opts.outputRoot), dose: opts.dose ?? null, view: opts.view ?? null, split: opts.split ?? null,
      models: opts.models ?? [], region: opts.region ?? 'illumination', figures: opts.figures !== false, charts: opts.charts !== false,
    },
  }];
}
