/**
 * Phase D plan: one job per dose directory of a Phase C root (both splits, every view), what each writes
 * (`dose_<D>/<view>/<view>_{train,test}.npz`, `{train,test}_metrics.json`, `metrics_bundle.json`), and the
 * checks that must pass before anything is written: the roots, the dose and view selections and —
 * unless `overwrite` — that no output file exists yet.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { exists } from '../../files/atomic.js';
import { checkPhaseCFiles, checkPhaseCRecorded, recordedPhaseCFiles } from '../hub/recorded-files.js';
import { checkWritableDir } from '../../files/writable.js';
import type { StudySettings } from '../../settings/schema.js';
import { discoverDoses, doseDirName, phaseDViewFiles, SPLITS } from '../hub/layout.js';
import { phaseOrigin, type PlannedJob } from '../phase.js';
import type { SettingsOrigin } from '../../settings/origin.js';
import type { EarlierFiles } from '../../files/earlier.js';

/** Options of one Phase D run that are not study settings. */
export interface OverlapRunOptions {
  phaseCRoot: string;
  outputRoot: string;
  /** Doses to process (each must have a `dose_<int(D)>` directory); default: every `dose_*` directory. */
  doses?: readonly number[] | null;
  /** Views to build (of the settings' views); default: all of them. */
  views?: readonly string[] | null;
  /** Replace existing outputs (default: refuse, before anything is written). */
  overwrite?: boolean;
  /**
   * Stops the phase when aborted, between two doses (the dose under way is finished first; the manifest is written only by a run that finishes): the lock
   * is released and the call rejects with `StudyAbortedError`, as Ctrl-C leaves it; running it again continues.
   */
  signal?: AbortSignal;
  /**
   * Where each given setting came from (settings/origin.ts), as the command computed it: the entries of Phase D's settings
   * (`PHASE_D_SETTINGS`) are recorded in overlap_manifest.json (`provenance.settings_origin`).
   */
  settingsOrigin?: SettingsOrigin;
}

/** The settings Phase D uses, whose origin its manifest records: the `overlap` group (its doses are the command's choice). */
export const PHASE_D_SETTINGS = ['overlap'] as const;

export interface OverlapProgress {
  dose: number;
  view?: string;
  split?: string;
  message: string;
  /** View files handled so far (written, or given up with a failed dose) and in all (doses × views × splits). */
  done: number;
  total: number;
}

/** One job: every view of both splits of one dose. */
export interface OverlapJob extends PlannedJob {
  dose: number;
  /** The dose's Phase C directory. */
  dir: string;
}

export interface OverlapPlan {
  phaseCRoot: string;
  outputRoot: string;
  jobs: OverlapJob[];
  views: string[];
  fractions: Record<string, number>;
  seed: number;
  /** `overlap.order`: greedy selection's visiting order. */
  order: 'seeded' | 'raster';
  probeDiameterPx: number | null;
  neighborCount: number;
  /** Where the outputs this run replaces go (set under the root's lock); absent: replaced in place. */
  earlier?: EarlierFiles;
  /** Where each of Phase D's settings given came from (`PHASE_D_SETTINGS`), or null when the caller did not say. */
  settingsOrigin: SettingsOrigin | null;
}

/** The plan of a Phase D run; throws UsageError before anything is written. */
export function planOverlap(settings: StudySettings, opts: OverlapRunOptions): OverlapPlan {
  const phaseCRoot = resolve(opts.phaseCRoot);
  const outputRoot = resolve(opts.outputRoot);
  if (!exists(phaseCRoot) || !statSync(phaseCRoot).isDirectory()) throw new UsageError(`\`phaseCRoot\` ${opts.phaseCRoot} is not a directory`);
  if (exists(outputRoot) && !statSync(outputRoot).isDirectory()) throw new UsageError(`${opts.outputRoot} exists and is not a directory`);
  checkWritableDir(outputRoot, '`outputRoot`');
  const fractions = { ...settings.overlap.views };
  const views = [...new Set(opts.views ?? Object.keys(fractions))];
  if (views.length === 0) throw new UsageError('no overlap view selected');
  for (const v of views) {
    if (!(v in fractions)) throw new UsageError(`unknown view '${v}'. Expected one of: ${Object.keys(fractions).join(', ')}`);
  }
  const found = discoverDoses(phaseCRoot);
  let doses = found;
  if (opts.doses && opts.doses.length > 0) {
    doses = [];
    for (const d of opts.doses) {
      if (!(d > 0) || !Number.isFinite(d)) throw new UsageError(`\`doses\` must be positive numbers, got ${d}`);
      const hit = found.find((f) => f.dose === Math.trunc(d));
      if (!hit) throw new UsageError(`no ${doseDirName(d)} directory under ${opts.phaseCRoot} (found: ${found.map((f) => doseDirName(f.dose)).join(', ') || 'none'})`);
      if (!doses.includes(hit)) doses.push(hit);
    }
  }
  if (doses.length === 0) throw new UsageError(`no dose_<D> directories under ${opts.phaseCRoot}`);
  // Phase C data replaced or edited since Phase C wrote it (its manifest records size and SHA-256): refused, naming it
  checkPhaseCFiles(recordedPhaseCFiles(phaseCRoot, doses.map((d) => d.dose)),
    'nothing was written; remake Phase C (`ptychostudy generate … --overwrite`) or put the file back');
  // and so is a dataset the manifest does not record (Phase C could not write its record: a full disk)
  checkPhaseCRecorded(phaseCRoot, doses.flatMap((d) => SPLITS.map((s) => join(phaseCRoot, doseDirName(d.dose), `patched_${s}.npz`))).filter(exists));
  if (!opts.overwrite) {
    const clash: string[] = [];
    for (const { dose } of doses) {
      for (const view of views) {
        const p = phaseDViewFiles(outputRoot, dose, view);
        for (const f of [p.npz.train, p.npz.test, p.metrics.train, p.metrics.test, p.bundle]) if (exists(f)) clash.push(f);
      }
    }
    if (clash.length > 0) {
      throw new UsageError(`${clash[0]} already exists${clash.length > 1 ? ` (and ${clash.length - 1} more output files)` : ''}; pass \`overwrite\` to replace them`);
    }
  }
  return {
    phaseCRoot, outputRoot, views, fractions, seed: settings.overlap.seed, order: settings.overlap.order,
    probeDiameterPx: settings.overlap.probeDiameterPx, neighborCount: settings.overlap.neighborCount,
    settingsOrigin: phaseOrigin(opts.settingsOrigin, PHASE_D_SETTINGS),
    jobs: doses.map((d, index) => ({ index, key: doseDirName(d.dose), dose: d.dose, dir: d.dir })),
  };
}
