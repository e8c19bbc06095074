/**
 * The Phase F job matrix: one LSQML reconstruction per dose × split × view.
 *
 * Order is deterministic: doses ascending; within a dose the split `train` then `test`; within a split
 * the views `baseline`, `dense`, `sparse`. Three doses give 18 jobs.
 *
 * Inputs: baseline reads the Phase C split `phase_c_root/dose_<D>/patched_<split>.npz`; dense and sparse
 * read the Phase D view `phase_d_root/dose_<D>/<view>/<view>_<split>.npz`, falling back to the newer
 * layout `phase_d_root/dose_<D>/<view>/<split>.npz`. Outputs go to `artifact_root/dose_<D>/<view>/<split>/`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { LsqmlJobOptions } from '../lsqml-job.js';

export const VIEWS = ['baseline', 'dense', 'sparse'] as const;
export const SPLITS = ['train', 'test'] as const;
export type View = (typeof VIEWS)[number];
export type Split = (typeof SPLITS)[number];

/** The reference study's dose list (photons per pattern), used when the caller names none. */
export const DEFAULT_DOSES: readonly number[] = [1e3, 1e4, 1e5];

/** Gridsize a view is trained/reconstructed with in the reference study: 1 for baseline, 2 for dense and sparse. */
export function gridsizeOf(view: View): number {
  return view === 'baseline' ? 1 : 2;
}

/** Engine settings every job of one run shares: the job options less the per-job paths and threads. */
export type EngineSettings = Omit<LsqmlJobOptions, 'inputNpz' | 'outputDir' | 'threads'>;

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  epochs: 100,
  batchSize: 96,
  noiseModel: 'gaussian',
  modes: 1,
  seed: 42,
  initObject: 'ones',
  initProbe: 'guess',
};

export interface ReconstructionJob {
  dose: number;
  view: View;
  split: Split;
  inputNpz: string;
  outputDir: string;
  algorithm: 'LSQML';
  settings: EngineSettings;
}

/** A job whose input file does not exist (recorded when missing inputs are allowed). */
export interface MissingJob {
  dose: number;
  view: View;
  split: Split;
  reason: string;
}

/** `dose_<int(D)>`, the directory name of a dose everywhere in the hub. */
export { doseDirName as doseDir } from '../layout.js';
import { doseDirName as doseDir } from '../layout.js';

/** Key identifying a job across runs. */
export function jobKey(j: { dose: number; view: string; split: string }): string {
  return `${j.dose}|${j.view}|${j.split}`;
}

/** Sort rank of a job in the canonical order (dose ascending, then split, then view). */
export function jobRank(j: { dose: number; view: string; split: string }): [number, number, number] {
  return [j.dose, SPLITS.indexOf(j.split as Split), VIEWS.indexOf(j.view as View)];
}

export function compareJobs(a: { dose: number; view: string; split: string }, b: { dose: number; view: string; split: string }): number {
  const ra = jobRank(a);
  const rb = jobRank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return 0;
}

/** The input file of a job, and every location that was tried (for messages). */
export function inputCandidates(phaseCRoot: string, phaseDRoot: string, dose: number, view: View, split: Split): string[] {
  if (view === 'baseline') return [join(phaseCRoot, doseDir(dose), `patched_${split}.npz`)];
  const dir = join(phaseDRoot, doseDir(dose), view);
  return [join(dir, `${view}_${split}.npz`), join(dir, `${split}.npz`)];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export interface BuildJobsOptions {
  phaseCRoot: string;
  phaseDRoot: string;
  artifactRoot: string;
  doses?: readonly number[];
  allowMissing?: boolean;
  settings?: EngineSettings;
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
  const doses = [...(opts.doses ?? DEFAULT_DOSES)].sort((a, b) => a - b);
  const settings = opts.settings ?? DEFAULT_ENGINE_SETTINGS;
  const jobs: ReconstructionJob[] = [];
  const missing: MissingJob[] = [];
  for (const dose of doses) {
    for (const split of SPLITS) {
      for (const view of VIEWS) {
        const candidates = inputCandidates(opts.phaseCRoot, opts.phaseDRoot, dose, view, split);
        const found = candidates.find(isFile);
        if (found === undefined) {
          const p = candidates[0]!;
          const alt = candidates.length > 1 ? ` (nor ${candidates.slice(1).join(', ')})` : '';
          const reason = view === 'baseline'
            ? `Phase C baseline NPZ not found: ${p}`
            : `Phase D overlap NPZ not found: ${p}${alt}`;
          if (!opts.allowMissing) {
            const hint = view === 'baseline' ? 'Expected from Phase C patching (ptychostudy generate).'
              : 'Expected from Phase D overlap filtering (ptychostudy overlap); --allow-missing-phase-d skips it.';
            throw new InputError(`${reason}. ${hint}`);
          }
          missing.push({ dose, view, split, reason });
          continue;
        }
        jobs.push({
          dose, view, split,
          inputNpz: found,
          outputDir: join(opts.artifactRoot, doseDir(dose), view, split),
          algorithm: 'LSQML',
          settings,
        });
      }
    }
  }
  return { jobs, missing };
}

/** The `ptychostudy lsqml` command line that reproduces one job by hand. */
export function commandFor(job: ReconstructionJob, threads?: number): string[] {
  const s = job.settings;
  const args = ['ptychostudy', 'lsqml', '--input-npz', job.inputNpz, '--output-dir', job.outputDir,
    '--epochs', String(s.epochs), '--batch-size', String(s.batchSize), '--noise-model', s.noiseModel,
    '--modes', String(s.modes), '--seed', String(s.seed), '--init-object', s.initObject, '--init-probe', s.initProbe];
  if (s.nImages !== undefined) args.push('--n-images', String(s.nImages));
  if (threads !== undefined) args.push('--threads', String(threads));
  return args;
}

/** Shell-quotes an argv for display (only where needed). */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

