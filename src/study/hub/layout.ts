/**
 * The hub's file contract: every directory and file name a study writes, how a dose's directory is named
 * and found, the views and splits, and the canonical job order. Phases import this module, never each
 * other, for where their inputs and outputs live.
 *
 *   <hub>/run.json                   settings and per-phase status (study/run/state.ts)
 *   <hub>/settings.json              every setting of the study (a settings file: `--config` reads it)
 *   <hub>/design.json                the study design (Phase A)
 *   <hub>/phase_c/                   dose_<D>/patched_{train,test}.npz, run_manifest.json,
 *                                    history/replaced-<time>/ (what a run replaced: files/earlier.ts)
 *   <hub>/phase_d/                   dose_<D>/<view>/<view>_{train,test}.npz, {train,test}_metrics.json,
 *                                    metrics_bundle.json; overlap_manifest.json, history/replaced-<time>/
 *   <hub>/phase_f/                   dose_<D>/<view>/<split>/{reconstruction.npz, reconstruction.png,
 *                                    reconstruction_run.json, lsqml.log, reconstruction.log, history/};
 *                                    reconstruction_manifest.json,
 *                                    skip_summary.json, runs/<run id>/
 *   <hub>/phase_g/                   dose_<D>/<view>/<split>/{comparison_metrics.csv, frc_curves.csv,
 *                                    reconstructions_aligned.npz, comparison.png, comparison.json};
 *                                    metrics_summary.{json,md,csv}, charts/<metric>.{svg,png}, runs/<run id>/
 *   <hub>/report/index.html, img/    the HTML report
 *
 * Each phase's root may also be given on its own (`ptychostudy generate --out …` etc.); the names
 * below it are the same.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { HISTORY_DIR } from '../../files/earlier.js';
import { RECONSTRUCTION_FILE } from '../../settings/file.js';
import { doseFolderClash } from '../../settings/parse.js';

/** Files and sub-directories at the top of a hub. */
export const HUB = {
  runState: 'run.json',
  /** Held by `run` while it works on the hub (src/files/lock.ts). */
  lock: '.run.lock',
  settings: 'settings.json',
  design: 'design.json',
  phaseC: 'phase_c',
  phaseD: 'phase_d',
  phaseF: 'phase_f',
  phaseG: 'phase_g',
  report: 'report',
} as const;

/** The roots of every phase of a hub. */
export function hubRoots(hub: string): { c: string; d: string; f: string; g: string; report: string } {
  return { c: join(hub, HUB.phaseC), d: join(hub, HUB.phaseD), f: join(hub, HUB.phaseF), g: join(hub, HUB.phaseG), report: join(hub, HUB.report) };
}

// ─── doses ───────────────────────────────────────────────────────────────────────────────────────────

/** `dose_<int(D)>`, the reference's directory name of a dose (1e3 → dose_1000). */
export function doseDirName(dose: number): string {
  return `dose_${Math.trunc(dose)}`;
}

/** Checks that no two doses share a `dose_<int>` directory (doseDirName); returns the doses. */
export function checkDoses(doses: readonly number[]): number[] {
  const clash = doseFolderClash(doses);
  if (clash !== null) throw new UsageError(`\`simulation.doses\`: ${clash}`);
  return [...doses];
}

const DOSE_DIR = /^dose_(\d+)$/;

/** The `dose_<D>` directories under a root, by ascending dose (none when the root does not exist). */
export function discoverDoses(root: string): { dose: number; dir: string }[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: { dose: number; dir: string }[] = [];
  for (const name of names) {
    const m = DOSE_DIR.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    try { if (!statSync(dir).isDirectory()) continue; } catch { continue; }
    out.push({ dose: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.dose - b.dose);
}

/** The doses of the `dose_<D>` directories under a root, ascending. */
export function dosesUnder(root: string): number[] {
  return discoverDoses(root).map((d) => d.dose);
}

// ─── views, splits, the job matrix ───────────────────────────────────────────────────────────────────

/** What is reconstructed per dose and split: the Phase C baseline and the Phase D overlap views. */
export const VIEWS = ['baseline', 'dense', 'sparse'] as const;
export type View = (typeof VIEWS)[number];
/** The overlap views Phase D writes (every view but the baseline). */
export const OVERLAP_VIEWS = ['dense', 'sparse'] as const;
export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Gridsize a view is trained/reconstructed with in the reference study: 1 for baseline, 2 for dense and sparse. */
export function gridsizeOf(view: View): number {
  return view === 'baseline' ? 1 : 2;
}

export interface JobAddress { dose: number; view: string; split: string }

/** Key identifying a (dose, view, split) job across runs. */
export function jobKey(j: JobAddress): string {
  return `${j.dose}|${j.view}|${j.split}`;
}

/** The canonical order of jobs: dose ascending, then split train → test, then view baseline → dense → sparse. */
export function compareJobs(a: JobAddress, b: JobAddress): number {
  return a.dose - b.dose
    || SPLITS.indexOf(a.split as Split) - SPLITS.indexOf(b.split as Split)
    || VIEWS.indexOf(a.view as View) - VIEWS.indexOf(b.view as View);
}

// ─── Phase C ─────────────────────────────────────────────────────────────────────────────────────────

export const PHASE_C = {
  manifest: 'run_manifest.json',
  lock: '.generate.lock',
  split: (split: string) => `patched_${split}.npz`,
} as const;

/** `<phase-c-root>/dose_<D>/patched_<split>.npz`. */
export function phaseCSplitFile(root: string, dose: number, split: string): string {
  return join(root, doseDirName(dose), PHASE_C.split(split));
}

// ─── Phase D ─────────────────────────────────────────────────────────────────────────────────────────

export const PHASE_D = { manifest: 'overlap_manifest.json', bundle: 'metrics_bundle.json', lock: '.overlap.lock' } as const;

/** The files one view of one dose holds under a Phase D root. */
export function phaseDViewFiles(root: string, dose: number, view: string): {
  dir: string; npz: Record<Split, string>; metrics: Record<Split, string>; bundle: string;
} {
  const dir = join(root, doseDirName(dose), view);
  return {
    dir,
    npz: { train: join(dir, `${view}_train.npz`), test: join(dir, `${view}_test.npz`) },
    metrics: { train: join(dir, 'train_metrics.json'), test: join(dir, 'test_metrics.json') },
    bundle: join(dir, PHASE_D.bundle),
  };
}

/**
 * Where the dataset of a (dose, view, split) job is, most likely first: the baseline reads Phase C's split;
 * an overlap view reads Phase D's `<view>/<view>_<split>.npz`, or the newer layout `<view>/<split>.npz`.
 */
export function datasetCandidates(phaseCRoot: string, phaseDRoot: string, dose: number, view: string, split: string): string[] {
  if (view === 'baseline') return [phaseCSplitFile(phaseCRoot, dose, split)];
  const dir = join(phaseDRoot, doseDirName(dose), view);
  return [join(dir, `${view}_${split}.npz`), join(dir, `${split}.npz`)];
}

// ─── Phase F ─────────────────────────────────────────────────────────────────────────────────────────

export const PHASE_F = {
  manifest: 'reconstruction_manifest.json',
  skipSummary: 'skip_summary.json',
  /** Per-run snapshots: `runs/<run id>/`. */
  runs: 'runs',
  lock: '.reconstruct.lock',
  /** A job's outputs. */
  reconstruction: RECONSTRUCTION_FILE,
  figure: 'reconstruction.png',
  /** What varies from one execution to the next (times, threads, host, absolute input path): kept out of the NPZ. */
  runRecord: 'reconstruction_run.json',
  engineLog: 'lsqml.log',
  jobLog: 'reconstruction.log',
  /** Where `ptychostudy lsqml` keeps the state of its run every few epochs (study/reconstruct/checkpoint.ts). */
  checkpoint: 'lsqml-checkpoint.npz',
  /** Where a job's replaced outputs move: `history/<run id>/`. */
  history: HISTORY_DIR,
  /** A job writes into `.staging-<run id>/` and its files move into place when it ends. */
  stagingPrefix: '.staging-',
} as const;

/** Files a job leaves in its directory (moved away together when a later run replaces the result). */
export const JOB_OUTPUT_FILES = [PHASE_F.reconstruction, PHASE_F.figure, PHASE_F.runRecord, PHASE_F.engineLog, PHASE_F.jobLog] as const;

/** `<root>/dose_<D>/<view>/<split>`: the directory of one job (Phase F and Phase G alike). */
export function jobDir(root: string, j: JobAddress): string {
  return join(root, doseDirName(j.dose), j.view, j.split);
}

// ─── Phase G ─────────────────────────────────────────────────────────────────────────────────────────

export const PHASE_G = {
  metricsCsv: 'comparison_metrics.csv',
  frcCsv: 'frc_curves.csv',
  alignedNpz: 'reconstructions_aligned.npz',
  figure: 'comparison.png',
  json: 'comparison.json',
  summaryJson: 'metrics_summary.json',
  summaryMd: 'metrics_summary.md',
  summaryCsv: 'metrics_summary.csv',
  charts: 'charts',
  runs: 'runs',
  /** Held while a run merges into the summary (and writes the charts). */
  lock: '.compare.lock',
} as const;

// ─── report ──────────────────────────────────────────────────────────────────────────────────────────

export const REPORT = { index: 'index.html', images: 'img', lock: '.report.lock' } as const;
