/**
 * Options every command spells the same way (README, "Commands": the table of flags): `--out DIR` for the folder a command
 * writes, `--config FILE` for a settings file, `--dose` (repeatable, or comma-separated) — and the old
 * names, kept as hidden aliases that still work. Also where a command's settings come from: the settings
 * file under the flags (flags override it), a resumed hub's settings under both.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { fileIssueLine, readConfigFile, withReconstructionFiles } from '../settings/file.js';
import { issueLine, mergeSettings, parseStudySettings, SettingsError } from '../settings/parse.js';
import type { StudySettings, StudySettingsInput } from '../settings/schema.js';
import { settingsOrigin, type SettingsOrigin } from '../settings/origin.js';
import { getPreset } from '../settings/presets.js';

/** Adds `--out <dir>` (described by `what`) and the hidden old names of the same option. */
export function addOutOption(cmd: Command, what: string, oldNames: readonly string[] = []): Command {
  cmd.option('--out <dir>', what);
  for (const old of oldNames) cmd.addOption(new Option(`${old} <dir>`).hideHelp());
  return cmd;
}

/** commander's attribute name of a flag (`--output-root` → `outputRoot`). */
export function attributeOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * The value of an option given under its name or one of its hidden old names (the same value under two
 * names is fine; two different values are a usage error).
 */
export function aliased<T>(flags: Record<string, unknown>, flag: string, oldNames: readonly string[]): T | undefined {
  let found: { flag: string; value: unknown } | undefined;
  for (const f of [flag, ...oldNames]) {
    const v = flags[attributeOf(f)];
    if (v === undefined) continue;
    if (found !== undefined && JSON.stringify(found.value) !== JSON.stringify(v)) {
      throw new UsageError(`${found.flag} and ${f} name the same option with different values (${String(found.value)}, ${String(v)}); give one`);
    }
    found ??= { flag: f, value: v };
  }
  return found?.value as T | undefined;
}

/**
 * `--config`'s value; given twice, a usage error: settings files are not layered, and the last one alone was used,
 * the first dropped without a word (`--config study.yaml --config gpu.yaml` ran without study.yaml's settings).
 */
export function oneConfigFile(value: string, previous: string | undefined): string {
  if (previous !== undefined) {
    throw new InvalidArgumentError(`given twice (first ${previous}): settings files are not combined; give one, and flags for what differs`);
  }
  return value;
}

/** Adds `--config <file>`. */
export function addConfigOption(cmd: Command): Command {
  return cmd.option('--config <file>', 'settings file (JSON or YAML; `ptychostudy config --print-defaults` writes one); flags override it, and a relative path in it is taken from its folder', oneConfigFile);
}

/** The settings given by `--config` (as written, validated), or {} without it. */
export function configInput(file: string | undefined): StudySettingsInput {
  return file === undefined ? {} : readConfigFile(file);
}

/**
 * A command's settings: `under` (a preset default, or a resumed hub's settings), the settings file over
 * it, the flags over both; then the schema's defaults and checks (every wrong field named by its flag).
 */
export function settingsFrom(config: string | undefined, flags: StudySettingsInput, under: StudySettingsInput = {}): StudySettings {
  return settingsWithOrigin(config, flags, {}, under).settings;
}

/**
 * `settingsFrom`, with where each given setting came from (settings/origin.ts): `flagNames` names the flag of each
 * setting path (the command's FLAGS map), the settings file by its absolute path, the preset the settings name.
 */
export function settingsWithOrigin(config: string | undefined, flags: StudySettingsInput, flagNames: Readonly<Record<string, string>>,
  under: StudySettingsInput = {}): { settings: StudySettings; origin: SettingsOrigin } {
  const fromFile = configInput(config);
  let settings: StudySettings;
  try {
    settings = parseStudySettings(withReconstructionFiles(mergeSettings(mergeSettings(under, fromFile), flags) as StudySettingsInput));
  } catch (err) {
    throw config !== undefined && err instanceof SettingsError ? namedBySource(err, config, fromFile, flags) : err;
  }
  noteOverriddenSettings(config, fromFile, flags);
  const origin = settingsOrigin({
    flags, flagNames, file: config === undefined ? null : { path: resolve(config), values: fromFile },
    preset: settings.preset, presetValues: settings.preset === null ? undefined : getPreset(settings.preset).values,
  });
  return { settings, origin };
}

/** Whether `values` gives the setting at dotted `path`, or a group above it (undefined: not given). */
function gives(values: unknown, path: string): boolean {
  let v = values;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return true; // a value above the path: it gave that
    v = (v as Record<string, unknown>)[k];
    if (v === undefined) return false;
  }
  return true;
}

/**
 * A refusal of the settings once the flags are put over the file (a check of two settings together: a bin size that
 * does not divide a crop size the flags give): a setting that only the file gives is named as the file names it —
 * `FILE: reconstruction.binSize: expected …, found 3` — not by a flag that was not given; the rest by their flags.
 */
function namedBySource(err: SettingsError, config: string, fromFile: unknown, flags: unknown): Error {
  if (!err.issues.some((i) => gives(fromFile, i.setting) && !gives(flags, i.setting))) return err;
  return new SettingsError(err.issues, err.issues.map((i) => gives(fromFile, i.setting) && !gives(flags, i.setting)
    ? `${config}: ${fileIssueLine(i)}` : issueLine(i)).join('\n'));
}

/**
 * The settings of a settings file that one reconstruction (`lsqml`) does not use — `simulation`, `overlap`,
 * `execution.jobs` and `execution.slurm` — that differ from their defaults (the file's preset's, if it names
 * one), by their dotted names; a file `config --print-defaults` wrote, untouched, has none. `execution.executor`
 * is said on its own.
 */
export function settingsLsqmlIgnores(fromFile: StudySettingsInput): string[] {
  let given: StudySettings, base: StudySettings;
  try {
    given = parseStudySettings(fromFile);
    base = parseStudySettings(fromFile.preset != null ? { preset: fromFile.preset } : {});
  } catch {
    return []; // checked with the flags over it (settingsFrom): what the file alone lacks is not this list's business
  }
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    const isGroup = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isGroup(a) && isGroup(b)) {
      // the keys of both: a file's overlap.views without the preset's sparse view changes the study too
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], `${path}.${k}`);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  };
  walk(given.simulation, base.simulation, 'simulation');
  walk(given.overlap, base.overlap, 'overlap');
  walk(given.execution.jobs, base.execution.jobs, 'execution.jobs');
  walk(given.execution.slurm, base.execution.slurm, 'execution.slurm');
  return out;
}

/**
 * One `note:` line on stderr per setting a flag gives with another value than the settings file: the flag wins,
 * and says so. Written when the command ends having run (exit 0 or 1), so that a refusal stays one line.
 */
export function noteOverriddenSettings(config: string | undefined, fromFile: unknown, flags: unknown): void {
  const lines = overriddenByFlags(fromFile, flags)
    .map((o) => `note: the command line's ${o.setting} ${o.flag} was used, not ${config}'s ${o.file}\n`);
  if (lines.length === 0) return;
  process.once('exit', (code) => {
    if (code === 0 || code === 1) process.stderr.write(lines.join(''));
  });
}

/** The settings a flag gives with another value than the settings file (leaf by leaf; lists as a whole). */
export function overriddenByFlags(file: unknown, flags: unknown, path = ''): Array<{ setting: string; file: string; flag: string }> {
  const isGroup = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isGroup(file) || !isGroup(flags)) return [];
  const out: Array<{ setting: string; file: string; flag: string }> = [];
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined || !(k in file)) continue;
    const setting = path === '' ? k : `${path}.${k}`;
    if (isGroup(v)) out.push(...overriddenByFlags(file[k], v, setting));
    else if (JSON.stringify(file[k]) !== JSON.stringify(v)) out.push({ setting, file: JSON.stringify(file[k]), flag: JSON.stringify(v) });
  }
  return out;
}

/** Refuses (exit 2) a `--out` that names a file: a command that reads a hub needs its directory. */
export function refuseFileAsHub(hub: string): void {
  if (existsSync(hub) && !statSync(hub).isDirectory()) throw new UsageError(`--out ${hub}: expected a directory (the hub); found a file`);
}
