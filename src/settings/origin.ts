/**
 * Where each setting a command was given came from: a flag, the settings file (`--config`), a preset, or a
 * command's own default (run's quick preset for a new hub). A setting no source gives has its schema default
 * and is left out. Recorded beside the settings (lsqml's reconstruction_run.json, a Phase F run's record in
 * reconstruction_manifest.json, a hub's run.json) and printed by `reconstruct --dry-run`, so that a reader of a
 * result can tell which values a flag put over the file's. Free of the schema, like fingerprint.ts.
 */
import { UsageError } from '../errors.js';

/** Setting path (`reconstruction.epochs`; a list whole: `simulation.doses`) → where its value came from. */
export type SettingsOrigin = Record<string, string>;

/**
 * The words of each source, as recorded: `flag --epochs`, `file /abs/study.yaml`, `preset quick`; a flag that the file
 * gives too: `flag --epochs, over 80 in file /abs/study.yaml` (or `, as in file …` when both give one value).
 */
export const FROM_FLAG = 'flag ';
export const FROM_FILE = 'file ';
export const FROM_PRESET = 'preset ';
/** A resumed hub's own setting: `hub /abs/hub/settings.json`. */
export const FROM_HUB = 'hub ';

export interface SettingsSources {
  /** The values the command line gave (undefined where a flag is absent). */
  flags?: unknown;
  /** The flag of each setting path (a group's flag names its settings too), as the command's FLAGS map holds them. */
  flagNames?: Readonly<Record<string, string>>;
  /** The settings file: its path as recorded (absolute) and its values as written. */
  file?: { path: string; values: unknown } | null;
  /** The values a command puts under the file and the flags (run's `{ preset: 'quick' }`), and how they are named. */
  base?: { name: string; values: unknown } | null;
  /** The preset the settings name (its values go under everything given), or null. */
  preset?: string | null;
  /** The preset's values. */
  presetValues?: unknown;
}

function isGroup(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every setting `values` gives (leaf paths; a list is one setting), in the order written. */
export function givenPaths(values: unknown, prefix = ''): string[] {
  if (!isGroup(values)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const path = prefix === '' ? k : `${prefix}.${k}`;
    // an empty group (`reconstruction: {}`) gives nothing
    if (isGroup(v)) out.push(...givenPaths(v, path));
    else out.push(path);
  }
  return out;
}

function valueAt(values: unknown, path: string): unknown {
  let v = values;
  for (const k of path.split('.')) v = isGroup(v) ? v[k] : undefined;
  return v;
}

/** The settings of `values` at `paths` (leaf paths, as `givenPaths` gives them), as a group of groups. */
export function settingsAt(values: unknown, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const keys = path.split('.');
    let group = out;
    for (const k of keys.slice(0, -1)) {
      if (!isGroup(group[k])) group[k] = {};
      group = group[k] as Record<string, unknown>;
    }
    group[keys.at(-1)!] = valueAt(values, path);
  }
  return out;
}

/** The flag of `path`: its own, or the one of the nearest group above it that has one. */
function flagOf(path: string, names: Readonly<Record<string, string>>): string {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const flag = names[p];
    if (flag !== undefined) return flag;
  }
  return 'on the command line';
}

/**
 * Where each given setting came from, the first source that gives it winning as the settings are merged: a
 * flag, then the settings file, then a command's own base values, then the preset. Keys in setting-path order.
 */
export function settingsOrigin(s: SettingsSources): SettingsOrigin {
  const origin = new Map<string, string>();
  const add = (paths: readonly string[], word: string | ((p: string) => string)): void => {
    for (const p of paths) if (!origin.has(p)) origin.set(p, typeof word === 'string' ? word : word(p));
  };
  const fileGives = new Set(s.file ? givenPaths(s.file.values) : []);
  // a flag over the file's value says so, with the value it replaced: which values a flag changed stays on record
  add(givenPaths(s.flags), (p) => {
    const flag = `${FROM_FLAG}${flagOf(p, s.flagNames ?? {})}`;
    if (!s.file || !fileGives.has(p)) return flag;
    const was = JSON.stringify(valueAt(s.file.values, p)), now = JSON.stringify(valueAt(s.flags, p));
    return was === now ? `${flag}, as in ${FROM_FILE}${s.file.path}` : `${flag}, over ${was} in ${FROM_FILE}${s.file.path}`;
  });
  if (s.file) add(givenPaths(s.file.values), `${FROM_FILE}${s.file.path}`);
  if (s.base) add(givenPaths(s.base.values), s.base.name);
  if (s.preset != null) add(givenPaths(s.presetValues), `${FROM_PRESET}${s.preset}`);
  return Object.fromEntries([...origin].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The entries of `origin` for the settings one phase uses: those under each of `settings` (a group, `simulation`, names
 * every setting in it; a setting, `simulation.doses`, itself), in `origin`'s order.
 */
export function originOf(origin: SettingsOrigin, settings: readonly string[]): SettingsOrigin {
  return Object.fromEntries(Object.entries(origin).filter(([p]) => settings.some((s) => p === s || p.startsWith(`${s}.`))));
}

/** `reconstruction.epochs` ← flag --epochs: one line per setting, as `reconstruct --dry-run` prints them. */
export function originLines(origin: SettingsOrigin, prefix = ''): string[] {
  return Object.entries(prefix === '' ? origin : originOf(origin, [prefix])).map(([p, from]) => `${p} from ${from}`);
}

/** A caller's `settingsOrigin` option: an object of setting paths and words (text), or undefined; a UsageError otherwise. */
export function checkSettingsOrigin(v: unknown, name = 'settingsOrigin'): SettingsOrigin | undefined {
  if (v === undefined) return undefined;
  if (!isGroup(v) || Object.values(v).some((w) => typeof w !== 'string')) {
    let shown: string;
    try { shown = JSON.stringify(v)?.slice(0, 200) ?? String(v); } catch { shown = typeof v; }
    throw new UsageError(`\`${name}\` ${shown}: expected an object of setting paths and where each came from (text), or undefined`);
  }
  return v as SettingsOrigin;
}
