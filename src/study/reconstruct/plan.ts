/**
 * Phase F plan: the job matrix of the study's doses, the filters applied to it (each excluded job
 * recorded with the first filter that excluded it), missing inputs, and the checks that must pass before
 * anything is written: the roots, the selected jobs' inputs against the size and SHA-256 Phase C and D recorded
 * writing them (hub/recorded-files.ts), and a readable existing manifest and skip summary. Reads, never writes.
 */
import { objectShapeOf, patternSizeOf } from '../../data/dataset.js';
import { readMetadata } from '../../data/metadata.js';
import { readObjectFile } from '../../data/object-file.js';
import { checkProbeModes } from '../../data/memory.js';
import { readProbeFile } from '../../data/probe-file.js';
import { checkHistoryDir } from '../../files/earlier.js';
import { checkWritableDir } from '../../files/writable.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { checkOptionNames, optionNames, requirePathOptions } from '../phase.js';
import { isDirectory } from '../../files/dirs.js';
import type { StudySettings } from '../../settings/schema.js';
import { withAbsolutePaths } from '../../settings/file.js';
import { checkDoses, jobKey, PHASE_F, SPLITS, VIEWS } from '../hub/layout.js';
import { checkFilesRead } from '../hub/recorded-files.js';
import { applyFilters, validateFilters, type FilterSkip, type JobFilters } from './filters.js';
import { buildJobs, type MissingJob, type ReconstructionJob } from './jobs.js';
import { sampling } from '../../data/input.js';
import { readManifest, readSkipSummary } from '../hub/reconstruction-files.js';
import type { EngineRunner } from './engine-runner.js';
import { checkSettingsOrigin, type SettingsOrigin } from '../../settings/origin.js';

/**
 * Options of one Phase F run (`runReconstruction`) that are not study settings. The root it writes is
 * `outputRoot`, as for every other phase; `artifactRoot`, its earlier name, is still accepted. One of the two
 * is needed (a UsageError names it otherwise); both, naming different directories, are a UsageError.
 */
/**
 * The settings Phase F uses within a study, whose origin `run` records with its Phase F run (`settings_origin`): the
 * preset, the doses (which jobs there are), the `reconstruction` group and the `execution` group. A `reconstruct` of its
 * own records every setting it was given.
 */
export const PHASE_F_SETTINGS = ['preset', 'simulation.doses', 'reconstruction', 'execution'] as const;

export interface ReconstructionRunOptions {
  phaseCRoot: string;
  phaseDRoot: string;
  /** The Phase F root: `dose_<D>/<view>/<split>/` per job, `reconstruction_manifest.json`, `runs/`. */
  outputRoot?: string;
  /** @deprecated The earlier name of `outputRoot` (still accepted). */
  artifactRoot?: string;
  filters?: Partial<JobFilters>;
  /** Record what each job would run; run nothing. */
  dryRun?: boolean;
  /** Skip (and record) jobs whose input NPZ is missing instead of failing. */
  allowMissingPhaseD?: boolean;
  /** Re-run jobs that are already complete. */
  force?: boolean;
  /** Runs one reconstruction; default: a worker thread running the LSQML engine (engine-runner.ts). */
  engine?: EngineRunner;
  /**
   * The settings file the settings came from (`reconstruct --config`, a hub's settings.json): a job's `ptychostudy
   * lsqml` command line names it with `--config` when the job has settings that line has no flag for, so that the
   * line runs the job again with all of its settings.
   */
  configFile?: string;
  /** Where each given setting came from (settings/origin.ts), recorded with the run (`settings_origin`). */
  settingsOrigin?: SettingsOrigin;
}

/** The options as the plan, the CLI and a SLURM submission hold them: the output root resolved into `artifactRoot`. */
export type ReconstructionPlanOptions = Omit<ReconstructionRunOptions, 'outputRoot' | 'artifactRoot'> & { artifactRoot: string };

/**
 * The plan's options from a caller's: `outputRoot` or its deprecated alias `artifactRoot` (one of them, or both
 * naming the same directory), checked with the input roots (a UsageError naming what is missing), and no option
 * but these and `extraNames` (the caller's own: runReconstruction's executor).
 */
export function planOptions(opts: ReconstructionRunOptions, extraNames: readonly string[] = []): ReconstructionPlanOptions {
  if (opts === null || typeof opts !== 'object') {
    throw new UsageError(`options ${opts === null ? 'null' : typeof opts}: expected an object naming \`phaseCRoot\`, \`phaseDRoot\`, \`outputRoot\``);
  }
  const { outputRoot, artifactRoot, ...rest } = opts;
  if (outputRoot !== undefined && artifactRoot !== undefined && (typeof outputRoot !== 'string' || typeof artifactRoot !== 'string' || resolve(outputRoot) !== resolve(artifactRoot))) {
    throw new UsageError(`\`outputRoot\` ${String(outputRoot)} and \`artifactRoot\` ${String(artifactRoot)}: expected one output root (artifactRoot is the earlier name of outputRoot); found two`);
  }
  const root = outputRoot ?? artifactRoot;
  requirePathOptions({ phaseCRoot: rest.phaseCRoot, phaseDRoot: rest.phaseDRoot, outputRoot: root }, ['phaseCRoot', 'phaseDRoot', 'outputRoot']);
  const filter = 'the job filters go in `filters: { dose, view, split, gridsize }`';
  checkOptionNames(opts, 'runReconstruction', [...optionNames<ReconstructionRunOptions>({
    phaseCRoot: true, phaseDRoot: true, outputRoot: true, artifactRoot: true, filters: true, dryRun: true, allowMissingPhaseD: true, force: true, engine: true,
    configFile: true, settingsOrigin: true,
  }), ...extraNames],
    { dose: filter, doses: filter, view: filter, split: filter, gridsize: filter });
  return { ...rest, artifactRoot: root! };
}

export interface ReconstructionPlan {
  phaseCRoot: string;
  phaseDRoot: string;
  artifactRoot: string;
  doses: number[];
  filters: JobFilters;
  /** Every job of the matrix whose input exists. */
  allJobs: ReconstructionJob[];
  /** Jobs whose input is missing (only with `allowMissingPhaseD`). */
  missing: MissingJob[];
  /** The jobs the filters keep, in matrix order. */
  selected: ReconstructionJob[];
  filterSkips: FilterSkip[];
  /** Keys of every (dose, view, split) of the study's doses. */
  considered: Set<string>;
  manifestPath: string;
  skipSummaryPath: string;
  dryRun: boolean;
  force: boolean;
  /** Jobs run at once at most (the `execution.jobs` setting, or the number of cores). */
  concurrencyLimit: number;
  /** `reconstruction.threads`: fixed threads per job, or null (chosen from the concurrency). */
  threads: number | null;
  /** `execution.checkpointEvery`: epochs between two checkpoints of a job (`<job>/lsqml-checkpoint.npz`), 0: none. */
  checkpointEvery: number;
  /** The reconstruction settings of every job (recorded with the run; their hash decides "already complete"). */
  settings: StudySettings['reconstruction'];
  /** Where each given setting came from (recorded with the run), or null when the caller did not say. */
  settingsOrigin: SettingsOrigin | null;
}

/**
 * The plan of a Phase F run (the study's doses are `simulation.doses`). Throws `UsageError` / `InputError`
 * (exit code 2) when the filters, the input roots or an existing manifest are bad.
 */
export function planReconstruction(given: StudySettings, opts: ReconstructionPlanOptions, cores: number): ReconstructionPlan {
  // a probe or object file is a setting by its absolute path (README): the manifest records it so, and the settings
  // hash that decides "already complete" does not depend on the folder the command ran from
  const settings = withAbsolutePaths(given);
  const phaseCRoot = resolve(opts.phaseCRoot);
  const phaseDRoot = resolve(opts.phaseDRoot);
  const artifactRoot = resolve(opts.artifactRoot);
  const doses = checkDoses(settings.simulation.doses).sort((a, b) => a - b); // one job directory per job
  const dose = opts.filters?.dose ?? null;
  const filters: JobFilters = {
    dose: Array.isArray(dose) && dose.length === 1 ? dose[0]! : dose, view: opts.filters?.view ?? null,
    split: opts.filters?.split ?? null, gridsize: opts.filters?.gridsize ?? null,
  };
  validateFilters(filters, doses);
  checkProbeModes(settings.reconstruction.modes);
  if (!isDirectory(phaseCRoot)) throw new InputError(`\`phaseCRoot\` ${phaseCRoot}: not a directory (expected dose_<D>/patched_{train,test}.npz from Phase C)`);
  if (!isDirectory(phaseDRoot) && !opts.allowMissingPhaseD) {
    throw new InputError(`\`phaseDRoot\` ${phaseDRoot}: not a directory (expected dose_<D>/<view>/<view>_{train,test}.npz from Phase D; \`allowMissingPhaseD\` skips those jobs)`);
  }
  if (existsSync(artifactRoot) && !isDirectory(artifactRoot)) throw new InputError(`\`artifactRoot\` ${artifactRoot}: exists and is not a directory`);

  const { jobs: allJobs, missing } = buildJobs({
    phaseCRoot, phaseDRoot, artifactRoot, doses, allowMissing: opts.allowMissingPhaseD ?? false, settings: settings.reconstruction, filters,
    configFile: opts.configFile === undefined ? null : resolve(opts.configFile),
  });
  const { selected, skipped: filterSkips } = applyFilters(allJobs, filters);
  // a Phase C or D file replaced or edited since its phase wrote it (its manifest records size and SHA-256): refused, naming it
  checkFilesRead(selected.map((j) => j.inputNpz), { phaseC: phaseCRoot, phaseD: phaseDRoot });
  for (const dir of [artifactRoot, ...selected.map((j) => j.outputDir)]) checkWritableDir(dir, dir === artifactRoot ? '`artifactRoot`' : 'job output directory');
  for (const j of selected) checkHistoryDir(j.outputDir, 'where a job\'s earlier outputs are kept');
  const considered = new Set<string>();
  for (const dose of doses) for (const view of VIEWS) for (const split of SPLITS) considered.add(jobKey({ dose, view, split }));

  const manifestPath = join(artifactRoot, PHASE_F.manifest);
  const skipSummaryPath = join(artifactRoot, PHASE_F.skipSummary);
  readManifest(manifestPath);
  readSkipSummary(skipSummaryPath);
  return {
    phaseCRoot, phaseDRoot, artifactRoot, doses, filters, allJobs, missing, selected, filterSkips, considered,
    manifestPath, skipSummaryPath, dryRun: opts.dryRun ?? false, force: opts.force ?? false,
    concurrencyLimit: settings.execution.jobs ?? cores, threads: settings.reconstruction.threads, settings: settings.reconstruction,
    checkpointEvery: settings.execution.checkpointEvery,
    settingsOrigin: checkSettingsOrigin(opts.settingsOrigin) ?? null,
  };
}

/**
 * A probe file named by `initProbe: file:PATH` is read against each pattern size among the selected jobs'
 * inputs (from their headers) before anything is written: a probe that cannot serve them is refused
 * (exit 2) instead of failing every job. An input whose headers do not tell its size is left to its job. A file
 * that is not there is `checkStartFilesPresent`'s (record.ts): refused only when some job still has to run.
 */
export async function checkInitProbeFits(plan: ReconstructionPlan): Promise<void> {
  const spec = plan.settings.initProbe;
  if (!spec.startsWith('file:') || !existsSync(spec.slice(5))) return; // absent: checkStartFilesPresent
  for (const [H, W] of distinctSizes(plan, patternSizeOf)) await readProbeFile(spec.slice(5), H, W, { cxiEntry: plan.settings.cxiEntry ?? null });
}

/**
 * An object file named by `initObject: file:PATH` is read against each object frame among the selected jobs'
 * inputs (their objectGuess headers) before anything is written: an object of another shape is refused
 * (exit 2) instead of failing every job. An input whose header does not tell its frame is left to its job.
 * The file is a setting of the whole run, so when every selected input states the same object pixel size
 * (`_metadata.geometry.object_pixel_size_m_yx`, read alone: nothing else of the input is decoded), a pixel size
 * the file states is checked against it here too, as each job would (an NPZ states no origin, so there is no
 * centre to check). Inputs that state different pixel sizes, or some none, or a `_metadata` that cannot be
 * read, leave that check to each job. The refusal is the job's one line, naming the setting and an input.
 */
export async function checkInitObjectFits(plan: ReconstructionPlan): Promise<void> {
  const spec = plan.settings.initObject;
  if (!spec.startsWith('file:') || !existsSync(spec.slice(5))) return; // absent: checkStartFilesPresent
  const common = commonPixelSize(plan);
  for (const [H, W] of distinctSizes(plan, objectShapeOf)) {
    try {
      await readObjectFile(spec.slice(5), H, W, { ...(common ? { pixelM: common.pixelM } : {}), cxiEntry: plan.settings.cxiEntry ?? null });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const stated = common ? `, whose inputs all state the object pixel size [${common.pixelM.join(', ')}] m (_metadata.geometry.object_pixel_size_m_yx, ` +
        `e.g. ${common.example})` : '';
      throw new InputError(`${err.message} — the object file reconstruction.initObject names for every selected job${stated}; nothing was written`);
    }
  }
}

/**
 * The object pixel size [y, x] every selected job's input states in `_metadata.geometry`, or null when they
 * do not all state the same one (or one cannot be told). Reads only each input's `_metadata`.
 */
function commonPixelSize(plan: ReconstructionPlan): { pixelM: [number, number]; example: string } | null {
  let common: [number, number] | null = null;
  for (const job of plan.selected) {
    const px = statedPixelSize(job.inputNpz);
    if (px === null) return null;
    if (common !== null && !(px[0] === common[0] && px[1] === common[1])) return null;
    common = px;
  }
  return common && plan.selected.length > 0 ? { pixelM: common, example: plan.selected[0]!.inputNpz } : null;
}

/** The object pixel size an input NPZ's `_metadata.geometry` states; null when it states none or it cannot be told (its job reads it). */
function statedPixelSize(path: string): [number, number] | null {
  const m = readMetadata(path);
  if (m.status !== 'ok') return null;
  const g = m.value.geometry;
  if (g === null || typeof g !== 'object' || Array.isArray(g)) return null;
  try {
    return sampling(g as Record<string, unknown>, path).pixelM ?? null;
  } catch {
    return null; // malformed: its job refuses it
  }
}

/** The distinct [H, W] that `sizeOf` finds in the selected jobs' inputs (from headers; an input it cannot tell is skipped). */
function distinctSizes(plan: ReconstructionPlan, sizeOf: (path: string) => [number, number] | null): [number, number][] {
  const sizes = new Map<string, [number, number]>();
  for (const job of plan.selected) {
    const size = sizeOf(job.inputNpz);
    if (size) sizes.set(size.join('x'), size);
  }
  return [...sizes.values()];
}
