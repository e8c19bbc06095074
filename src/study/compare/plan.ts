/**
 * Phase G job planning: which (dose, view, split) comparisons exist, where each one's reconstruction and
 * ground-truth dataset are, and why a job cannot be compared (missing or failed reconstruction).
 *
 * Sources, most specific first: the Phase F merged manifest (`reconstruction_manifest.json`: each job's
 * status, `reconstruction_npz`, `input_npz`, error), its `skip_summary.json` (reasons), and the Phase F
 * directory layout `<phase-f-root>/dose_<D>/<view>/<split>/reconstruction.npz` when there is no manifest.
 * A manifest or skip summary that is there but unreadable or invalid, and a path where a reconstruction or
 * dataset belongs that is not a regular file (a directory, a dangling link), are InputErrors naming the
 * file (exit 2), raised before anything is written: never read as "absent". So is a ground-truth dataset or a
 * reconstruction whose size or SHA-256 is not what its producer's manifest records it wrote (Phase C's, Phase D's,
 * Phase F's; hub/recorded-files.ts): a file replaced or edited since is not compared as the recorded one. The
 * Phase C splits the summary's metadata compliance reads (phase-c-compliance.ts) are checked the same way.
 * Without a Phase D root (`compare` without --phase-d-root) the one the Phase F manifest records is used.
 * Doses: the `dose_<D>` directories of Phase C and Phase F, and the doses in the manifest.
 *
 * The manifest's paths are resolved against the roots given here (relative paths against the Phase F root)
 * and confined to them (files/paths.ts): inputs to the Phase C and Phase D roots, reconstructions to the
 * Phase F root. A recorded path outside them — the absolute paths of a hub written before paths were
 * relative, after it was copied — is not followed: the job's place in the layout is used, and one warning
 * says how many were ignored. So a copied hub is compared with its own files.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { resolveRecorded } from '../../files/paths.js';
import { isDirectory } from '../../files/dirs.js';
import { phaseCComplianceFiles } from './phase-c-compliance.js';
import {
  compareJobs, datasetCandidates, doseDirName as doseDir, dosesUnder, jobDir, PHASE_F, SPLITS, VIEWS, type Split, type View,
} from '../hub/layout.js';
import { readManifest, readSkipSummary, type ExecutionResult, type SkipEntry } from '../hub/reconstruction-files.js';
import { checkFilesRead, checkPhaseFFiles, recordedReconstruction, type RecordedFile } from '../hub/recorded-files.js';
import type { PlannedJob } from '../phase.js';
import { counted } from '../../text.js';

export interface CompareFilters {
  /** One dose, or several. */
  dose?: number | number[] | null;
  view?: string | null;
  split?: string | null;
}

export interface CompareJob extends PlannedJob {
  dose: number;
  view: View;
  split: Split;
  /** The dataset the reconstruction was made from (its `objectGuess` is the ground truth); null when unknown. */
  inputNpz: string | null;
  /** Our reconstruction; null when there is none. */
  reconstructionNpz: string | null;
  /** Why our reconstruction cannot be compared (null when it can). External arms may still be compared. */
  reason: string | null;
  /** Phase F wall-clock seconds of the job (manifest), when known. */
  phaseFSeconds: number | null;
}

export interface ComparePlan {
  doses: number[];
  jobs: CompareJob[];
  /** What a person should know about the Phase F evidence (recorded paths that were not followed). */
  warnings: string[];
}

export interface PlanOptions extends CompareFilters {
  phaseCRoot: string;
  phaseDRoot: string;
  phaseFRoot: string;
}

/**
 * Whether `path` is a regular file (symbolic links followed): false when nothing is there; an InputError
 * naming it when something else is (a directory in place of a reconstruction is not "missing").
 */
export function regularFile(path: string): boolean {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // a dangling symbolic link is something there that cannot be read, not an absent file
      let link = false;
      try { link = lstatSync(path).isSymbolicLink(); } catch { /* absent */ }
      if (!link) return false;
      throw new InputError(`${path}: expected a regular file; found a symbolic link to nothing`);
    }
    throw new InputError(`${path}: expected a regular file; cannot inspect it (${code === 'ENOTDIR' ? 'a part of the path is not a directory' : code ?? String(err)})`);
  }
  if (st.isFile()) return true;
  throw new InputError(`${path}: expected a regular file; found ${st.isDirectory() ? 'a directory' : 'something else (not a regular file)'}`);
}

/** The comparison jobs, in Phase F's canonical order (dose ↑, split train → test, view baseline → dense → sparse). */
export function planComparisons(opts: PlanOptions): ComparePlan {
  const warnings: string[] = [];
  if (!existsSync(opts.phaseFRoot)) throw new InputError(`Phase F root not found: ${opts.phaseFRoot}`);
  if (opts.view != null && !(VIEWS as readonly string[]).includes(opts.view)) {
    throw new InputError(`unknown view '${opts.view}' (expected ${VIEWS.join(', ')})`);
  }
  if (opts.split != null && !(SPLITS as readonly string[]).includes(opts.split)) {
    throw new InputError(`unknown split '${opts.split}' (expected ${SPLITS.join(', ')})`);
  }
  const results = new Map<string, ExecutionResult>();
  const skips = new Map<string, SkipEntry>();
  const key = (d: number, v: string, s: string): string => `${doseDir(d)}|${v}|${s}`;
  const fRoot = resolve(opts.phaseFRoot);
  // Absent: the directory layout is used. Present but unreadable or invalid: an InputError naming the file
  // (readManifest / readSkipSummary), before anything is written.
  const m = readManifest(join(opts.phaseFRoot, PHASE_F.manifest));
  // No Phase D root given: the one Phase F read its dense and sparse inputs from (so they are checked against
  // Phase D's manifest like any other); none when Phase F recorded none of its own (no dataset relative to the cwd).
  const phaseDRoot = opts.phaseDRoot ? opts.phaseDRoot : recordedPhaseDRoot(m?.phase_d_root, fRoot);
  const inputRoots = [opts.phaseCRoot, phaseDRoot].filter((r) => r).map((r) => resolve(r));
  const outside: string[] = [];
  /** A path the manifest recorded, resolved and confined; null (and counted) when it lies outside `roots`. */
  const recorded = (p: string | null | undefined, roots: string[]): string | null => {
    if (!p) return null;
    const r = resolveRecorded(fRoot, p, roots);
    if (r === null) outside.push(p);
    return r;
  };
  for (const r of m?.execution_results ?? []) results.set(key(r.dose, r.view, r.split), r);
  const s = readSkipSummary(join(opts.phaseFRoot, PHASE_F.skipSummary));
  for (const e of s?.skipped_jobs ?? []) skips.set(key(e.dose, e.view, e.split), e);
  const doseSet = new Map<string, number>();
  for (const d of [...(opts.phaseCRoot ? dosesUnder(opts.phaseCRoot) : []), ...dosesUnder(opts.phaseFRoot), ...[...results.values()].map((r) => r.dose)]) {
    if (!doseSet.has(doseDir(d))) doseSet.set(doseDir(d), d);
  }
  const doses = [...doseSet.values()].sort((a, b) => a - b);
  const wanted = opts.dose == null ? null : new Set((Array.isArray(opts.dose) ? opts.dose : [opts.dose]).map(doseDir));
  for (const w of wanted ?? []) {
    if (!doses.some((d) => doseDir(d) === w)) {
      throw new InputError(`dose ${w.slice(5)} not found (the Phase C / Phase F roots have ${doses.length ? doses.join(', ') : 'no dose directories'})`);
    }
  }
  const jobs: CompareJob[] = [];
  /** The reconstructions to be compared, with the size and SHA-256 Phase F recorded writing them. */
  const written: RecordedFile[] = [];
  for (const dose of doses) {
    if (wanted !== null && !wanted.has(doseDir(dose))) continue;
    for (const split of SPLITS) {
      if (opts.split != null && split !== opts.split) continue;
      for (const view of VIEWS) {
        if (opts.view != null && view !== opts.view) continue;
        const k = key(dose, view, split);
        const r = results.get(k);
        const candidates = view !== 'baseline' && !phaseDRoot ? [] : datasetCandidates(opts.phaseCRoot, phaseDRoot, dose, view, split);
        const notFound = candidates.length > 0 ? `${candidates.join(' or ')} not found` : 'no Phase D root given, and Phase F recorded none';
        let inputNpz = candidates.find(regularFile) ?? null;
        const recordedInput = recorded(r?.input_npz, inputRoots);
        if (recordedInput !== null && regularFile(recordedInput)) inputNpz = recordedInput;
        const defaultRecon = join(jobDir(opts.phaseFRoot, { dose, view, split }), PHASE_F.reconstruction);
        let reconstructionNpz: string | null = null;
        let reason: string | null = null;
        if (r) {
          if (r.status === 'success') {
            const rec = recorded(r.reconstruction_npz, [fRoot]);
            const p = rec !== null && regularFile(rec) ? rec : defaultRecon;
            if (regularFile(p)) {
              reconstructionNpz = p;
              const w = recordedReconstruction(r, p); // the job's record applies where its file now is (a copied hub: defaultRecon)
              if (w !== null) written.push(w);
            } else reason = `reconstruction missing: ${defaultRecon} not found (Phase F recorded success)`;
          } else if (r.status === 'failed') {
            reason = `Phase F reconstruction failed: ${r.error ?? `return code ${r.returncode}`}`;
          } else {
            reason = 'Phase F dry run only (no reconstruction)';
          }
        } else if (regularFile(defaultRecon)) {
          // without a manifest the layout says what there is; a manifest records every job it ran, so a reconstruction it
          // does not record is one whose record could not be written (a full disk) or that came by other means: not scored
          if (m === null) reconstructionNpz = defaultRecon;
          else {
            reason = `reconstruction not recorded: ${defaultRecon} is there, but ${join(opts.phaseFRoot, PHASE_F.manifest)} records no result of this job ` +
              '(its record could not be written, or the file came by other means); run the job again (`ptychostudy reconstruct …`: the file then moves to its history)';
          }
        } else {
          const s = skips.get(k);
          reason = s ? `Phase F skipped: ${s.reason}`
            : inputNpz === null ? `no input dataset (${notFound}) and no reconstruction`
              : `no reconstruction: ${defaultRecon} not found`;
        }
        if (inputNpz === null && reason === null) reason = `ground-truth dataset not found: ${notFound}`;
        jobs.push({ index: 0, key: `${doseDir(dose)}/${view}/${split}`, dose, view, split, inputNpz, reconstructionNpz, reason, phaseFSeconds: r?.seconds ?? null });
      }
    }
  }
  jobs.sort(compareJobs);
  jobs.forEach((j, i) => { j.index = i; });
  // a ground truth or reconstruction replaced or edited since the phase that wrote it recorded it: refused, naming it
  const root = (r: string): string | null => (r ? resolve(r) : null);
  checkFilesRead(jobs.flatMap((j) => (j.inputNpz === null ? [] : [j.inputNpz])), { phaseC: root(opts.phaseCRoot), phaseD: root(phaseDRoot) });
  // and so is a Phase C split the summary's metadata compliance reads (every split of the root, whatever the filters)
  if (opts.phaseCRoot) checkFilesRead(phaseCComplianceFiles(opts.phaseCRoot), { phaseC: resolve(opts.phaseCRoot), phaseD: null });
  checkPhaseFFiles(written, 'put it back, or run the job again (`ptychostudy reconstruct … --force`: the file then moves to its history); nothing was written');
  if (outside.length > 0) {
    warnings.push(`${join(opts.phaseFRoot, PHASE_F.manifest)}: ${counted(outside.length, 'recorded path')} (e.g. ${outside[0]}) ` +
      `lie outside the roots given (${[fRoot, ...inputRoots].join(', ')}), e.g. of the hub this one was copied from; the files of this hub's own layout were used`);
  }
  return { doses, jobs, warnings };
}

/**
 * The Phase D root a Phase F manifest records (`phase_d_root`, relative to the Phase F root `fRoot`) when it is a
 * directory; '' otherwise. An absolute path (a manifest written before paths were relative) is not followed: it may
 * be the root of the hub this one was copied from.
 */
function recordedPhaseDRoot(recorded: string | undefined, fRoot: string): string {
  if (!recorded || isAbsolute(recorded) || recorded.includes('\0')) return '';
  const p = resolve(fRoot, ...recorded.split('/'));
  return isDirectory(p) ? p : '';
}

/** An external model: its name and the path pattern of its reconstruction NPZ. */
export interface ExternalModel {
  name: string;
  pattern: string;
}

/**
 * Parses `NAME=PATH_PATTERN`. PATTERN may contain `{dose}` (integer photons, as in `dose_<D>`),
 * `{dose_dir}` (`dose_<D>`), `{view}` and `{split}`.
 */
export function parseModelSpec(spec: string): ExternalModel {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new InputError(`\`models\` expects NAME=PATH_PATTERN, got '${spec}'`);
  const name = spec.slice(0, eq).trim();
  const pattern = spec.slice(eq + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$/.test(name)) {
    throw new InputError(`\`models\` name '${name}' must start with a letter or digit and use only letters, digits, space and ._()+-`);
  }
  const unknown = [...pattern.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !['dose', 'dose_dir', 'view', 'split'].includes(p));
  if (unknown.length > 0) throw new InputError(`\`models\` ${name}: unknown placeholder {${unknown[0]}} (use {dose}, {dose_dir}, {view}, {split})`);
  return { name, pattern };
}

/**
 * Refuses an external model that a comparison of the whole study would compare again (`currentExternalModels`)
 * when its pattern matches no file in any job of `doses` — its files moved (a hub copied to another place
 * with a model from outside it, or recorded before patterns inside a hub were kept relative to it) or were
 * removed —, rather than replacing every one of its rows with a `missing` one: one line naming the summary, the
 * model and the pattern, and the `compare` (`compareCommand`) that compares it from its new place, or drops it.
 */
export function checkCarriedModels(models: readonly ExternalModel[], doses: readonly number[], summaryPath: string, compareCommand: string): void {
  for (const m of models) {
    const found = doses.some((dose) => VIEWS.some((view) => SPLITS.some((split) => existsSync(expandPattern(m.pattern, { dose, view, split })))));
    if (found) continue;
    throw new InputError(`${summaryPath}: external model ${m.name} was last compared from ${m.pattern}, which matches no file of any job now ` +
      `(moved, or removed); compare it from where its files are — ${compareCommand} --model '${m.name}=NEW_PATTERN' — or without it to drop it, ` +
      `then run again; Phase G was not redone`);
  }
}

/** The path of an external model's reconstruction for one job. */
export function expandPattern(pattern: string, job: { dose: number; view: string; split: string }): string {
  return pattern
    .replaceAll('{dose_dir}', doseDir(job.dose))
    .replaceAll('{dose}', String(Math.trunc(job.dose)))
    .replaceAll('{view}', job.view)
    .replaceAll('{split}', job.split);
}
