/**
 * The whole-study hub's own records: `<hub>/run.json` (which settings made the hub, which phases are
 * complete, and a fingerprint of each phase's inputs and outputs) and `<hub>/settings.json` (every setting
 * of the study, in the settings-file format). Re-running `run` on a hub reads them to continue where the
 * last run stopped with the hub's own settings; other settings are refused rather than silently mixed,
 * except those that never change a result (settings/fingerprint.ts). Both are places where settings enter:
 * they are parsed with the settings schema when read.
 *
 * The record holds what determines a hub's results and a person sets for a study: the preset, the doses,
 * the epochs, the three seeds (simulation, view selection, reconstruction), the image count and the base
 * NPZ. Version 1 records had one `seed`, which fed both the simulation and the reconstruction; they are
 * read as simulation_seed = reconstruction_seed = seed and overlap_seed = 456 (what those runs used).
 */
import { existsSync, lstatSync, statSync, type Stats } from 'node:fs';
import { entryKind, examineEntry } from '../../files/regular.js';
import { MAX_SETTINGS_FILE_BYTES, parseSettingsText, readAtMost, withAbsolutePaths } from '../../settings/file.js';
import { isResultNeutral, settingsDifferences, type SettingDifference } from '../../settings/fingerprint.js';
import { issueLine, SettingsError, settingsIssues, type SettingsIssue } from '../../settings/parse.js';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, UsageError } from '../../errors.js';
import { printable, shownJson } from '../../text.js';
import { writeJsonAtomic } from '../../files/atomic.js';
import { utcSeconds } from '../../files/dirs.js';
import { parseStudySettings, settingsDefaults } from '../../settings/parse.js';
import { holdsSbatch, PRESET_NAMES, setByScript, type StudySettings } from '../../settings/schema.js';
import type { SettingsOrigin } from '../../settings/origin.js';
import { HUB } from '../hub/layout.js';
import type { PhaseName } from '../phase.js';
import { readJsonTextAtMost } from '../../files/bounded-read.js';

export const RUN_STATE_FILE = HUB.runState;
export const RUN_STATE_SCHEMA_VERSION = 3;
export const SETTINGS_FILE = HUB.settings;

/** The settings record of run.json (and design.json). */
export const RunSettingsSchema = z.object({
  preset: z.enum(PRESET_NAMES).nullable(),
  doses: z.array(z.number()),
  epochs: z.number(),
  simulation_seed: z.number(),
  overlap_seed: z.number(),
  reconstruction_seed: z.number(),
  n_images: z.number().nullable(),
  base_npz: z.string().nullable(),
}).strict();
export type RunSettings = z.infer<typeof RunSettingsSchema>;

export interface PhaseRecord {
  status: 'running' | 'complete' | 'failed';
  started: string;
  finished?: string;
  seconds?: number;
  /** Short account of what the phase produced or why it failed. */
  detail?: string;
  /** SHA-256 over what the phase read when it completed (Phase G, the report): unchanged inputs, nothing to redo. */
  inputs_sha256?: string;
  /**
   * SHA-256 of the phase's main output when it completed: Phase G and the report redo when it changed;
   * Phases C and D (what their roots hold, run/fingerprints.ts) make a resume stop when it changed.
   */
  outputs_sha256?: string;
  /**
   * Jobs of the phase that failed (its exit code is 1 when some did, even when a resume skips it); of the report, the
   * hub files it found there but broken (a resume builds it again while there are any).
   */
  failures?: number;
}

export interface RunState {
  schema_version: number;
  tool: 'ptychostudy';
  version: string;
  created: string;
  updated: string;
  settings: RunSettings;
  /**
   * Every setting the hub was made with (settings.json as the first run wrote it, files named by absolute
   * path): a resume refuses a settings.json that differs from it in a setting that changes results. Absent in
   * hubs recorded before it (only `settings` is checked then).
   */
  study_settings?: Record<string, unknown>;
  /**
   * Where each setting the first run was given came from (settings/origin.ts: `flag --epochs`, `file /abs/study.yaml`,
   * `preset quick`), by its settings path; the others have their defaults. Absent when the caller did not say
   * (a library caller, hubs recorded before it).
   */
  settings_origin?: SettingsOrigin;
  /**
   * Each later run of the hub that did work (a resume that ran or submitted a phase; a finished hub's resume writes
   * nothing), in order: when it started, who ran its jobs, and where each of its settings came from (a flag, the settings
   * file, the hub's own settings.json). Earlier entries, and `settings_origin`, are never changed. Absent until a resume
   * that says where its settings came from (the CLI does; a library caller's `settingsOrigin`) does work.
   */
  resumed_runs?: ResumedRun[];
  status: 'running' | 'complete' | 'failed' | 'interrupted';
  phases: Partial<Record<PhaseName, PhaseRecord>>;
}

/** A resumed run's entry in run.json (`resumed_runs`). */
export interface ResumedRun {
  started: string;
  executor: 'local' | 'slurm';
  settings_origin: SettingsOrigin;
}

/** Records in `state` that a resumed run started at `now` does work with settings from `origin` (nothing when undefined). */
export function recordResumedRun(state: RunState, now: string, executor: 'local' | 'slurm', origin: SettingsOrigin | undefined): void {
  if (origin === undefined) return;
  state.resumed_runs = [...(state.resumed_runs ?? []), { started: now, executor, settings_origin: origin }];
}

/** The run.json of a new hub made with `settings` (files named by absolute path). */
export function newRunState(settings: StudySettings, version: string, now: string, origin?: SettingsOrigin): RunState {
  return {
    schema_version: RUN_STATE_SCHEMA_VERSION, tool: 'ptychostudy', version, created: now, updated: now,
    settings: runSettingsOf(settings), study_settings: JSON.parse(JSON.stringify(withAbsolutePaths(settings))) as Record<string, unknown>,
    ...(origin !== undefined ? { settings_origin: origin } : {}),
    status: 'running', phases: {},
  };
}

/** The record of a study's settings. */
export function runSettingsOf(s: StudySettings): RunSettings {
  return {
    preset: s.preset,
    doses: [...s.simulation.doses],
    epochs: s.reconstruction.epochs,
    simulation_seed: s.simulation.seed,
    overlap_seed: s.overlap.seed,
    reconstruction_seed: s.reconstruction.seed,
    n_images: s.simulation.nImages,
    base_npz: s.simulation.baseNpz,
  };
}

/** The study settings a record stands for (the preset's values under the recorded ones, schema defaults for the rest). */
export function settingsOfRecord(r: RunSettings): StudySettings {
  return parseStudySettings({
    preset: r.preset,
    simulation: { doses: r.doses, seed: r.simulation_seed, nImages: r.n_images, baseNpz: r.base_npz },
    overlap: { seed: r.overlap_seed },
    reconstruction: { epochs: r.epochs, seed: r.reconstruction_seed },
  });
}

/** A version-1 settings record (one `seed` for simulation and reconstruction) in the current form. */
function migrate(settings: Record<string, unknown>): Record<string, unknown> {
  if (!('seed' in settings) || 'simulation_seed' in settings) return settings;
  const { seed, ...rest } = settings;
  return {
    preset: rest.preset, doses: rest.doses, epochs: rest.epochs,
    simulation_seed: seed, overlap_seed: settingsDefaults().overlap.seed, reconstruction_seed: seed,
    n_images: rest.n_images, base_npz: rest.base_npz,
  };
}

/**
 * The hub's run.json (its settings checked and in the current form), or null when nothing is at its path (or the hub is
 * no directory, which the caller's check of the hub names); anything else there that is not a readable JSON record — a
 * link to nothing, a directory, a named pipe, a file that cannot be read — is an InputError naming it.
 */
export function readRunState(hub: string): RunState | null {
  if (typeof hub !== 'string' || hub === '') throw new UsageError(`\`hub\` ${shownJson(hub)}: expected a path (the hub directory)`);
  const path = join(hub, RUN_STATE_FILE);
  const consequence = 'this hub cannot be resumed — use a new hub';
  // Checked before it is opened: a named pipe would block the read for ever, and only nothing at the path (ENOENT;
  // ENOTDIR: the hub is no directory, which its caller's check names) is no run.json — a link to nothing, a
  // directory or a path that cannot be examined is a broken one
  const found = examineEntry(path);
  if ('absent' in found) return null;
  if ('why' in found) throw new InputError(`${path}: expected a hub's run record (a JSON file); found ${found.why}; ${consequence}`);
  const st = found.st;
  if (!st.isFile()) throw new InputError(`${path}: expected a hub's run record (a JSON file); found ${entryKind(st)}; ${consequence}`);
  let text: string;
  try {
    text = readJsonTextAtMost(path, MAX_SETTINGS_FILE_BYTES, 'a hub\'s run.json');
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${err.message}; ${consequence}`);
    throw new InputError(`${path}: expected a hub's run record (a JSON file); found one that cannot be read (${errorCode(err)}); ${consequence}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${printable((err as Error).message)}); ${consequence}`);
  }
  // JSON that is no object (null, a list, a number) is no run record either, as one without its keys
  const v = (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Partial<RunState>;
  if (v.tool !== 'ptychostudy' || typeof v.settings !== 'object' || v.settings === null || Array.isArray(v.settings) ||
    typeof v.phases !== 'object' || v.phases === null || Array.isArray(v.phases)) {
    throw new InputError(`${path}: not a ptychostudy run record (expected keys tool, settings, phases); use a new hub`);
  }
  const parsed = RunSettingsSchema.safeParse(migrate(v.settings as Record<string, unknown>));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${path}: key 'settings.${issue.path.join('.')}': ${issue.message}; this hub cannot be resumed — use a new hub`);
  }
  const full = v.study_settings;
  if (full !== undefined && (full === null || typeof full !== 'object' || Array.isArray(full))) {
    throw new InputError(`${path}: key 'study_settings': expected a group of settings; found ${shownJson(full)}; this hub cannot be resumed until it is repaired`);
  }
  const resumed = v.resumed_runs;
  if (resumed !== undefined && (!Array.isArray(resumed) || !resumed.every(isResumedRun))) {
    throw new InputError(`${path}: key 'resumed_runs': expected a list of runs (started, executor, settings_origin); found ` +
      `${shownJson(resumed)}; this hub cannot be resumed until it is repaired`);
  }
  return { ...(v as RunState), settings: parsed.data };
}

function isResumedRun(r: unknown): boolean {
  const e = r as Partial<ResumedRun> | null;
  return e !== null && typeof e === 'object' && typeof e.started === 'string' && (e.executor === 'local' || e.executor === 'slurm') &&
    e.settings_origin !== null && typeof e.settings_origin === 'object' && !Array.isArray(e.settings_origin) &&
    Object.values(e.settings_origin).every((w) => typeof w === 'string');
}

export function writeRunState(hub: string, state: RunState): void {
  state.updated = utcSeconds();
  writeJsonAtomic(join(hub, RUN_STATE_FILE), state);
}

/**
 * What a run stopped before its end records (Ctrl-C or a signal to `ptychostudy run`, an aborted `signal` of
 * `runStudy`): run.json's status 'interrupted' where it says 'running'; the phase under way stays 'running', so
 * that a resume recognises what it finished (a comparison) or runs it again. Nothing else changes.
 */
export function recordInterrupted(hub: string): void {
  const state = readRunState(hub);
  if (state && state.status === 'running') {
    state.status = 'interrupted';
    writeRunState(hub, state);
  }
}

/**
 * The settings a hub was made with: its settings.json, or (a hub written before there was one) the
 * record in run.json over the defaults of the time; null when the directory holds no run.json.
 */
export function readHubSettings(hub: string, sbatchArgs?: readonly string[]): StudySettings | null {
  const state = readRunState(hub);
  if (state === null) return null;
  // Options given now are the caller's, not yet parsed (`run --out HUB` passes its --slurm-sbatch-arg flags as given; a
  // library caller its own list): the schema checks them here, where they enter, before they replace the recorded list,
  // so that one refused names the option given and not the hub's settings.json ("records […]"). Not a second check:
  // without it the refusal would come from the merged value below and name the wrong file.
  if (sbatchArgs !== undefined) {
    const given = settingsIssues({ execution: { slurm: { sbatchArgs } } });
    if (given.length > 0) throw new SettingsError(given);
  }
  const path = join(hub, SETTINGS_FILE);
  // a named pipe would block the read for ever (a directory is refused by the read itself)
  const kind = statOrNull(path);
  if (kind !== null && !kind.isFile() && !kind.isDirectory()) {
    throw new InputError(`${path}: expected the hub's settings file; found ${entryKind(kind)}; this hub cannot be resumed until it is repaired`);
  }
  if (!existsSync(path)) {
    // a link to nothing is a broken settings.json, not an absent one
    if (lstatOrNull(path) !== null) throw new InputError(`${path}: expected the hub's settings file; found a symbolic link to nothing; this hub cannot be resumed until it is repaired`);
    // settings.json gone: run.json's full record holds every setting the hub was made with. Its short record (all a
    // hub from before the full one has) lacks most of them: resuming from it ran the defaults of the rest (a hub of
    // the Poisson model redid its reconstructions with the Gaussian one)
    if (state.study_settings !== undefined) return recordedStudySettings(state.study_settings, join(hub, RUN_STATE_FILE), sbatchArgs);
    return settingsOfRecord(state.settings);
  }
  let text: string;
  try {
    // at most a settings file's size limit: a settings.json grown to gigabytes is refused, not read whole
    text = readAtMost(path).toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${err.message}; this hub cannot be resumed until it is repaired`);
    throw new InputError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); this hub cannot be resumed until it is repaired`);
  }
  const value = withSbatchArgs(parseSettingsText(text, path), sbatchArgs);
  const issues = settingsIssues(value);
  if (issues.length > 0) {
    const refused = refusedSbatchArgs(path, 'execution.slurm.sbatchArgs', issues[0]!);
    if (refused !== null) throw refused;
    throw new InputError(`${path}: ${issueLine(issues[0]!).replace(/`/g, '')}; this hub cannot be resumed — use a new hub`);
  }
  const settings = parseStudySettings(value as Parameters<typeof parseStudySettings>[0]);
  checkAgainstRecord(path, settings, state.settings);
  // the record's sbatch options are compared as settings.json's: they change no result, and settings.json is the file a resume rewrites
  if (state.study_settings !== undefined) {
    checkAgainstFullRecord(path, settings, state.study_settings, join(hub, RUN_STATE_FILE), settings.execution.slurm.sbatchArgs);
  }
  return settings;
}

/**
 * A recorded settings value with its `execution.slurm.sbatchArgs` replaced by `args` (a copy), when given: the options a
 * resume asks for replace the recorded list (docs/slurm.md), so a list this version refuses can be replaced.
 */
export function withSbatchArgs(value: unknown, args: readonly string[] | undefined): unknown {
  const isGroup = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (args === undefined || !isGroup(value)) return value;
  const execution = value.execution === undefined ? {} : value.execution;
  if (!isGroup(execution)) return value;
  const slurm = execution.slurm === undefined ? {} : execution.slurm;
  if (!isGroup(slurm)) return value;
  return { ...value, execution: { ...execution, slurm: { ...slurm, sbatchArgs: [...args] } } };
}

/** A recorded sbatch option this version refuses: one every job script sets itself (`--output=…`), or `--wait`. */
export function refusedSbatchArg(arg: unknown): boolean {
  return typeof arg === 'string' && (setByScript(arg) || holdsSbatch(arg));
}

/**
 * The line for a hub whose recorded sbatch options hold one that every job script now sets itself (`--output`,
 * `--array`, `--dependency`, `--open-mode`) or `--wait`, which an earlier version took: the hub is not broken, but its recorded
 * list is neither submitted nor dropped behind the user's back — the line names the options to give instead.
 * Null for any other issue.
 */
function refusedSbatchArgs(path: string, key: string, issue: SettingsIssue): InputError | null {
  if (issue.setting !== 'execution.slurm.sbatchArgs' || !Array.isArray(issue.found)) return null;
  const found = issue.found as unknown[];
  if (!found.every((a) => typeof a === 'string' && /^-[^\n"]*$/.test(a))) return null;
  const refused = (found as string[]).filter(refusedSbatchArg);
  if (refused.length === 0) return null;
  return new InputError(`${path}: key '${key}': records ${shownJson(found)}; ${refused.map((a) => shownJson(a)).join(', ')} ` +
    `${refused.length === 1 ? 'is an sbatch option' : 'are sbatch options'} this version refuses (every job script sets --array, --dependency, --output and ` +
    '--open-mode itself; --wait would hold each sbatch until its job ended), so the hub is not submitted with its recorded list; resume it with the ' +
    'sbatch options to use instead: --slurm-sbatch-arg OPTION (repeatable) replaces the recorded list, or --config FILE holding ' +
    '{"execution": {"slurm": {"sbatchArgs": []}}} empties it');
}

/** The setting each key of the run.json record stands for (as messages name it). */
const RECORD_SETTING: Readonly<Record<Exclude<keyof RunSettings, 'base_npz'>, string>> = {
  preset: 'preset', doses: 'simulation.doses', epochs: 'reconstruction.epochs', simulation_seed: 'simulation.seed',
  overlap_seed: 'overlap.seed', reconstruction_seed: 'reconstruction.seed', n_images: 'simulation.nImages',
};

/**
 * Refuses a settings.json whose values differ from those run.json records the hub was made with (it was edited
 * since): resuming with it would redo part of the study with other settings while run.json and design.json still
 * describe the old ones. The base NPZ is left out: run.json records it as given, relative to that run's folder.
 */
function checkAgainstRecord(path: string, settings: StudySettings, recorded: RunSettings): void {
  const now = runSettingsOf(settings);
  for (const [key, setting] of Object.entries(RECORD_SETTING) as [keyof typeof RECORD_SETTING, string][]) {
    if (JSON.stringify(now[key]) === JSON.stringify(recorded[key])) continue;
    throw new InputError(`${path}: key '${setting}': expected ${shownJson(recorded[key])} (what ${RUN_STATE_FILE} records this hub was made with); ` +
      `found ${shownJson(now[key])}; it was changed since the hub ran — put the value back, or start a new hub from it (ptychostudy run --config ${path} --out NEW_HUB)`);
  }
}

/**
 * Refuses a settings.json that differs from every setting run.json records the hub was made with
 * (`study_settings`) in one that changes results — the batch size, the noise model, the overlap views, … —
 * since a resume would redo jobs with it beside results made with the recorded value. Settings that never
 * change a result (`execution`, the thread count) may differ: a resume with `--jobs` writes them there.
 */
function checkAgainstFullRecord(path: string, settings: StudySettings, recorded: Record<string, unknown>, runPath: string,
  sbatchArgs: readonly string[]): void {
  const was = withAbsolutePaths(recordedStudySettings(recorded, runPath, sbatchArgs));
  const diff = settingsDifferences(was, withAbsolutePaths(settings)).find((d) => !isResultNeutral(d.setting));
  if (diff === undefined) return;
  throw new InputError(`${path}: key '${diff.setting}': expected ${shownJson(diff.was)} (what ${RUN_STATE_FILE} records this hub was made with); ` +
    `found ${shownJson(diff.now)}; it was changed since the hub ran — put the value back, or start a new hub from it (ptychostudy run --config ${path} --out NEW_HUB)`);
}

/** run.json's full record of the settings (`study_settings`), checked. */
function recordedStudySettings(recorded: Record<string, unknown>, runPath: string, sbatchArgs: readonly string[] | undefined): StudySettings {
  const value = withSbatchArgs(recorded, sbatchArgs);
  const issues = settingsIssues(value);
  if (issues.length > 0) {
    const refused = refusedSbatchArgs(runPath, 'study_settings.execution.slurm.sbatchArgs', issues[0]!);
    if (refused !== null) throw refused;
    throw new InputError(`${runPath}: key 'study_settings': ${issueLine(issues[0]!).replace(/`/g, '')}; this hub cannot be resumed until it is repaired`);
  }
  return parseStudySettings(value as Parameters<typeof parseStudySettings>[0]);
}

function lstatOrNull(path: string): Stats | null {
  try { return lstatSync(path); } catch { return null; }
}

function statOrNull(path: string): Stats | null {
  try { return statSync(path); } catch { return null; }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The settings that differ between a hub and a request and would change its results (empty: it may resume). */
export function conflictingSettings(hubSettings: StudySettings, requested: StudySettings): SettingDifference[] {
  return settingsDifferences(withAbsolutePaths(hubSettings), withAbsolutePaths(requested)).filter((d) => !isResultNeutral(d.setting));
}

/**
 * Writes the hub's settings.json (every setting; a settings file for `--config`), the files it names as
 * absolute paths (a hub written before this recorded them relative to its run's working directory, which
 * is how `readHubSettings` still takes a relative one).
 */
export function writeHubSettings(hub: string, settings: StudySettings): void {
  writeJsonAtomic(join(hub, SETTINGS_FILE), withAbsolutePaths(settings));
}
