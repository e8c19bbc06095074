/**
 * The Phase F job matrix: one LSQML reconstruction per dose × split × view.
 *
 * Order is deterministic (hub/layout.ts `compareJobs`): doses ascending; within a dose the split `train`
 * then `test`; within a split the views `baseline`, `dense`, `sparse`. Three doses give 18 jobs.
 *
 * Inputs: baseline reads the Phase C split `phase_c_root/dose_<D>/patched_<split>.npz`; dense and sparse
 * read the Phase D view `phase_d_root/dose_<D>/<view>/<view>_<split>.npz`, falling back to the newer
 * layout `phase_d_root/dose_<D>/<view>/<split>.npz`. Outputs go to `artifact_root/dose_<D>/<view>/<split>/`.
 */
import { InputError } from '../../errors.js';
import { isFile } from '../../files/dirs.js';
import { recordPath } from '../../files/paths.js';
import type { ReconstructionSettings } from '../../settings/schema.js';
import { settingsDefaults } from '../../settings/parse.js';
import { datasetCandidates, discoverDoses, doseDirName, jobDir, SPLITS, VIEWS, type Split, type View } from '../hub/layout.js';
import type { PlannedJob } from '../phase.js';
import { keptByFilters, type JobFilters } from './filters.js';
import { flagName, orientationNames, orientationOf } from '../../data/hdf5/frames.js';

export interface ReconstructionJob extends PlannedJob {
  dose: number;
  view: View;
  split: Split;
  inputNpz: string;
  outputDir: string;
  /** The artifact root: the paths the manifest records are relative to it. */
  artifactRoot: string;
  algorithm: 'LSQML';
  settings: ReconstructionSettings;
  /** The settings file the settings came from (absolute), or null: `commandFor` names it when the job needs it. */
  configFile?: string | null;
}

/** A job whose input file does not exist (recorded when missing inputs are allowed). */
export interface MissingJob {
  dose: number;
  view: View;
  split: Split;
  reason: string;
}

export interface BuildJobsOptions {
  phaseCRoot: string;
  phaseDRoot: string;
  artifactRoot: string;
  doses: readonly number[];
  allowMissing?: boolean;
  settings: ReconstructionSettings;
  /** The run's filters: a missing input of a job they skip is named as such. */
  filters?: JobFilters;
  /** The settings file the settings came from (absolute), or null. */
  configFile?: string | null;
}

export interface BuiltJobs {
  jobs: ReconstructionJob[];
  missing: MissingJob[];
}

/**
 * Builds every job of the matrix. A missing input is an `InputError` naming the file, unless
 * `allowMissing`, in which case the job is left out and recorded in `missing` with its reason.
 */
export function buildJobs(opts: BuildJobsOptions): BuiltJobs {
  const doses = [...opts.doses].sort((a, b) => a - b);
  const jobs: ReconstructionJob[] = [];
  const missing: MissingJob[] = [];
  for (const dose of doses) {
    for (const split of SPLITS) {
      for (const view of VIEWS) {
        const candidates = datasetCandidates(opts.phaseCRoot, opts.phaseDRoot, dose, view, split);
        const found = candidates.find(isFile);
        if (found === undefined) {
          const p = candidates[0]!;
          const alt = candidates.length > 1 ? ` (nor ${candidates.slice(1).join(', ')})` : '';
          const reason = view === 'baseline'
            ? `Phase C baseline NPZ not found: ${p}`
            : `Phase D overlap NPZ not found: ${p}${alt}`;
          if (!opts.allowMissing) {
            const others = otherDoses(opts.phaseCRoot, doses, dose); // says, when it applies, that the filters do not change the matrix
            const skipped = others === '' && opts.filters !== undefined && !keptByFilters({ dose, view, split }, opts.filters);
            const hint = view === 'baseline' ? 'Expected from Phase C patching (ptychostudy generate).'
              : `Expected from Phase D overlap filtering (ptychostudy overlap)${skipped ? '.' : '; `allowMissingPhaseD` skips it.'}`;
            const why = skipped ? ' The filters skip this job, but the inputs of the whole matrix (the study\'s doses × views × splits) are looked for, ' +
              'so that a wrong root or dose list shows; `allowMissingPhaseD` records the missing ones as skipped and runs the selected jobs.' : '';
            throw new InputError(`${reason}. ${hint}${others}${why}`);
          }
          missing.push({ dose, view, split, reason });
          continue;
        }
        jobs.push({
          index: jobs.length, key: `${doseDirName(dose)}/${view}/${split}`,
          dose, view, split,
          inputNpz: found,
          outputDir: jobDir(opts.artifactRoot, { dose, view, split }),
          artifactRoot: opts.artifactRoot,
          algorithm: 'LSQML',
          settings: opts.settings,
          configFile: opts.configFile ?? null,
        });
      }
    }
  }
  return { jobs, missing };
}

/**
 * When the Phase C root has no directory of `dose` at all, the study's doses (the whole matrix, whatever the
 * filters keep) are not this root's: says which doses it holds and which setting names them.
 */
function otherDoses(phaseCRoot: string, doses: readonly number[], dose: number): string {
  const found = discoverDoses(phaseCRoot);
  if (found.some((d) => d.dose === Math.trunc(dose))) return '';
  const have = found.length === 0 ? 'none' : found.map((d) => doseDirName(d.dose)).join(', ');
  return ` The study's doses (\`simulation.doses\`: ${doses.join(', ')}) make the job matrix, whatever the filters keep;` +
    ` ${phaseCRoot} holds ${have}: name its doses with \`simulation.doses\`.`;
}

/**
 * The `ptychostudy lsqml` command line that reproduces one job by hand. As the manifest (`command`) and the
 * job's log record it, its paths are relative to the artifact root (run it there), like every path the
 * manifest records; `absolute` gives the form printed to a person (dry runs, progress).
 */
export function commandFor(job: ReconstructionJob, threads?: number, absolute = false): string[] {
  const s = job.settings;
  const at = (p: string): string => (absolute ? p : recordPath(job.artifactRoot, p));
  // settings the line has no flag for (step-size scalers, update plans, …) come from the settings file they came from;
  // the flags after it give every other setting, whatever the file says of them
  const config = job.configFile != null && settingsBeyondCommand(job).length > 0 ? ['--config', at(job.configFile)] : [];
  const args = ['ptychostudy', 'lsqml', ...config, '--input', at(job.inputNpz), '--out', at(job.outputDir),
    '--epochs', String(s.epochs), '--batch-size', String(s.batchSize), '--noise-model', s.noiseModel,
    '--modes', String(s.modes), '--seed', String(s.seed), '--init-object', s.initObject, '--init-probe', s.initProbe];
  if (s.probeModel !== null) args.push('--probe-model', s.probeModel);
  if (s.nImages !== null) args.push('--n-images', String(s.nImages));
  // how a measured file is read: without them the line would read electron data as photons, or mask what the job fitted
  if (s.detectorMask === false) args.push('--no-detector-mask');
  if (s.radiation !== null) args.push('--radiation', s.radiation);
  if (s.crop != null) args.push('--crop-center', `${s.crop.center[0]},${s.crop.center[1]}`, '--crop-size', String(s.crop.size));
  // 1 is said when the line names a settings file: one that bins would bin the patterns the flag left unbinned
  if (s.binSize !== undefined && (s.binSize !== 1 || config.length > 0)) args.push('--bin-size', String(s.binSize));
  const oriented = orientationNames(orientationOf(s.orientation));
  if (oriented.length > 0) args.push('--orientation', oriented.map(flagName).join(','));
  if (s.cxiEntry != null) args.push('--cxi-entry', s.cxiEntry);
  if (threads !== undefined) args.push('--threads', String(threads));
  return args;
}

/** The reconstruction settings `commandFor` has no flag for (and that change a result). */
const FLAGGED = new Set(['epochs', 'batchSize', 'noiseModel', 'modes', 'seed', 'initObject', 'initProbe', 'probeModel', 'nImages', 'detectorMask', 'radiation', 'crop', 'binSize', 'orientation', 'cxiEntry', 'threads']);

/**
 * The settings of `job` that differ from the defaults but are not on its `commandFor` line (they come from a
 * settings file), as `reconstruction.<name> <value>` (a plan's fields one by one), in the schema's order.
 */
export function settingsBeyondCommand(job: ReconstructionJob): string[] {
  const defaults = settingsDefaults().reconstruction as unknown as Record<string, unknown>;
  const now = job.settings as unknown as Record<string, unknown>;
  const out: string[] = [];
  for (const [name, was] of Object.entries(defaults)) {
    if (FLAGGED.has(name)) continue;
    const v = now[name];
    if (v !== null && typeof v === 'object' && was !== null && typeof was === 'object') {
      for (const [k, w] of Object.entries(was)) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== w) out.push(`reconstruction.${name}.${k} ${JSON.stringify(x)}`);
      }
    } else if (v !== was) out.push(`reconstruction.${name} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return out;
}
