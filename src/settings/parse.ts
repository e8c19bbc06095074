/**
 * Parsing settings: the one place where input becomes settings (CLI flags, a hub's settings, a config
 * file all come through here). A preset's values go under the caller's; then the schema fills the
 * defaults and checks every bound. Every wrong field is reported, one line each, naming the setting by
 * its path in backticks — `reconstruction.epochs` 0: expected a positive integer — which the command line
 * shows under the flag's name instead; an unknown setting gets the closest known name ("did you mean").
 */
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { printable, shownJson } from '../text.js';
import { getPreset } from './presets.js';
import { ptychiHint } from './ptychi-names.js';
import { ptypyHint } from './ptypy-names.js';
import { otherNameHint } from './other-names.js';
import {
  PRESET_NAMES, StudySettingsSchema, type PresetName, type ReconstructionSettings, type StudySettings, type StudySettingsInput,
} from './schema.js';

/** One wrong setting: its path, the value found (undefined for an unknown key) and what was expected. */
export interface SettingsIssue {
  setting: string;
  found: unknown;
  expected: string;
  /** A setting a group needs that is not there (`crop` without `center`): found is undefined, as for an unknown name. */
  missing?: true;
}

/** Settings with values outside their bounds, or unknown settings: one line per wrong field (exit code 2). */
export class SettingsError extends UsageError {
  /** The first issue's setting and values (the common case is one). */
  readonly setting: string;
  readonly found: unknown;
  readonly expected: string;
  /** `message`: the issues' lines, unless the caller words them (a command naming some by the file they came from). */
  constructor(readonly issues: readonly SettingsIssue[], message?: string) {
    super(message ?? issues.map(issueLine).join('\n'));
    this.name = 'SettingsError';
    this.setting = issues[0]!.setting;
    this.found = issues[0]!.found;
    this.expected = issues[0]!.expected;
  }
}

/** `setting` value: expected … (the line an issue is shown as). */
export function issueLine(i: SettingsIssue): string {
  if (i.missing) return `\`${printable(i.setting)}\`: expected ${i.expected}; found it missing`;
  return `\`${printable(i.setting)}\`${i.found === undefined ? '' : ` ${shown(i.found)}`}: expected ${i.expected}`;
}

/** What zod's own messages (`Invalid input: expected boolean, received string`) say a type is, in settings' words. */
const TYPE_WORDS: Record<string, string> = {
  object: 'a group of settings (name: value pairs)', record: 'a group of settings (name: value pairs)',
  boolean: 'true or false', string: 'text', number: 'a number', array: 'a list',
};

/** Characters of a value an error message shows; a longer one is cut there, saying so. */
export const SHOWN_VALUE_CHARS = 200;

/**
 * A value as an error message shows it: strings bare, the rest as compact JSON — on one line (control
 * characters escaped: a value may come from a file) and at most `max` characters (cut, saying so).
 */
export function shown(v: unknown, max = SHOWN_VALUE_CHARS): string {
  if (typeof v === 'string') return printable(v, max);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === undefined) return 'undefined';
  return shownJson(v, max);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `over` on top of `under`: objects merge key by key, anything else (arrays included) replaces; undefined keeps `under`. */
export function mergeSettings(under: unknown, over: unknown): unknown {
  if (over === undefined) return under;
  if (!isPlainObject(under) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) out[k] = mergeSettings(under[k], v);
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

type Node = { _zod: { def: Record<string, unknown> & { type: string } } };

/** The schema node at `path` (through defaults, nullables, pipes and records), or null. */
function nodeAt(path: readonly PropertyKey[]): Node | null {
  let node = StudySettingsSchema as unknown as Node;
  const unwrap = (n: Node): Node => {
    let cur = n;
    for (let i = 0; i < 10; i++) {
      const d = cur._zod.def;
      if (d.innerType && ['default', 'prefault', 'nullable', 'optional', 'readonly', 'catch'].includes(d.type)) cur = d.innerType as Node;
      else if (d.type === 'pipe') cur = d.in as Node;
      else break;
    }
    return cur;
  };
  node = unwrap(node);
  for (const k of path) {
    const d = node._zod.def;
    if (d.type === 'object') {
      const next = (d.shape as Record<string, Node>)[String(k)];
      if (next === undefined) return null;
      node = unwrap(next);
    } else if (d.type === 'record') node = unwrap(d.valueType as Node);
    else return null;
  }
  return node;
}

/** The object schema at `path`, or null. */
function objectShapeAt(path: readonly PropertyKey[]): Record<string, Node> | null {
  const node = nodeAt(path);
  return node !== null && node._zod.def.type === 'object' ? (node._zod.def.shape as Record<string, Node>) : null;
}

/**
 * The schema's type of the setting at `path` ('boolean', 'number', 'string', 'enum', 'object', …; defaults and
 * nullables looked through), or null when there is no such setting.
 */
export function settingTypeAt(path: readonly PropertyKey[]): string | null {
  return nodeAt(path)?._zod.def.type ?? null;
}

/** Levenshtein distance, case-insensitive (a dozen lines; no package is needed for names this short). */
function distance(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length]!;
}

/** A name without '_' and '-', in lower case: `batch_size`, `batchSize` and `Batch-Size` are one name. */
function flatName(x: string): string {
  return x.replace(/[_-]/g, '').toLowerCase();
}

/** The known name closest to `name` (a typo, a snake_case spelling, another case), or null when none is close. */
export function closestName(name: string, known: readonly string[]): string | null {
  if (name.length > 64) return null; // no setting's name is that long (and the distance costs |name| × |known name|)
  const exact = known.find((k) => flatName(k) === flatName(name));
  if (exact !== undefined) return exact;
  let best: string | null = null, bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) { best = k; bestD = d; }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/** Every known setting name of the group at `path` (for "did you mean"). */
export function settingNamesAt(path: readonly PropertyKey[]): string[] {
  return Object.keys(objectShapeAt(path) ?? {});
}

/** Every setting's path, groups included (`reconstruction`, `reconstruction.crop`, `reconstruction.crop.size`); not a view's name. */
function allSettingPaths(): string[][] {
  const out: string[][] = [];
  const walk = (path: string[]): void => {
    for (const k of Object.keys(objectShapeAt(path) ?? {})) {
      out.push([...path, k]);
      if (path.length < 4) walk([...path, k]);
    }
  };
  walk([]);
  return out;
}

let settingPaths: string[][] | null = null;

/**
 * The settings of another group that `key`, unknown in the group at `group`, names — as the last part of their path
 * (`simulation.epochs` is reconstruction.epochs, `execution.threads` reconstruction.threads, a bare `epochs`
 * reconstruction.epochs) or as its last two run together (`crop_size` is reconstruction.crop.size) — with '_', '-' and
 * case ignored, as `closestName` ignores them: the key is right, its place in the file is not.
 */
export function settingsElsewhere(key: string, group: readonly PropertyKey[]): string[] {
  const flat = flatName(key);
  if (flat === '') return [];
  const here = group.map(String).join('.');
  return (settingPaths ??= allSettingPaths()).filter((p) => {
    const parent = p.slice(0, -1).join('.');
    if (flatName(p[p.length - 1]!) === flat) return parent !== here;
    return p.length >= 2 && flatName(p.slice(-2).join('')) === flat;
  }).map((p) => p.join('.'));
}

/** `a`, `a or b`, `a, b or c`. */
function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

const COMMENT_HINT = 'it begins with a // or /* comment, which YAML does not have (its comments begin with #) and JSON neither: ' +
  'the comment and the name after it were read as one name';

/** Unknown setting names of one group listed one a line; more are counted in one line. */
export const MAX_UNKNOWN_LISTED = 20;

function toIssues(issue: z.core.$ZodIssue, input: unknown): SettingsIssue[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path === '' ? '' : `${path}.`;
    const known = settingNamesAt(issue.path);
    // a line for each of the first few (with the nearest name, a distance to every known name); the rest in one line
    // (a 1 MiB file of 90 000 unknown names printed 90 000 lines, after 7 s of distances)
    const rest = issue.keys.slice(MAX_UNKNOWN_LISTED);
    const more: SettingsIssue[] = rest.length === 0 ? [] : [{ setting: path === '' ? '(settings)' : path, found: undefined,
      expected: `${rest.length} more names that are no settings (${printable(rest.slice(0, 3).join(', '), 120)}${rest.length > 3 ? ', …' : ''})` }];
    return [...issue.keys.slice(0, MAX_UNKNOWN_LISTED).map((name) => {
      // an empty name is shown as "" (`reconstruction.: no such setting` named nothing)
      const key = name === '' ? '""' : name;
      // a name of pty-chi's or PtyPy's own (batch_size is simply batchSize, but position_correction is not here at all)
      const near = name === '' ? null : closestName(key, known);
      const sameName = near !== null && flatName(near) === flatName(key);
      // a JSON file with // comments, read as YAML (.yaml, .jsonc): the comment and the key under it make one plain name
      const comment = /^\s*(?:\/\/|\/\*)/.test(name) ? COMMENT_HINT : null;
      const hint = comment ?? (sameName ? null : ptychiHint(where, key) ?? ptypyHint(where, key) ??
        otherNameHint(where, key));
      if (hint !== null) return { setting: `${where}${key}`, found: undefined, expected: `no such setting (${hint})` };
      // a setting of another group (`simulation.epochs`, `reconstruction.doses`, a bare `epochs`): that one, before a
      // near name of this group (`reconstruction.doses` was "did you mean reconstruction.modes?")
      const elsewhere = sameName || name === '' ? [] : settingsElsewhere(name, issue.path);
      if (elsewhere.length > 0) return { setting: `${where}${key}`, found: undefined, expected: `no such setting (did you mean ${orList(elsewhere)}?)` };
      return { setting: `${where}${key}`, found: undefined, expected: `no such setting${near === null ? ' (check the spelling)' : ` (did you mean ${where}${near}?)`}` };
    }), ...more];
  }
  // A name of a group of named entries (a view) that its schema refuses: zod says "Invalid key in record" of the
  // entry's value; said of the name, with the schema's own words for it
  if (issue.code === 'invalid_key') {
    const key = issue.path[issue.path.length - 1];
    return [{ setting: issue.path.slice(0, -1).map(String).join('.'), found: String(key), expected: issue.issues[0]?.message ?? 'another name' }];
  }
  // A type without its own message in the schema (a group, a boolean, a path): zod's default message, reworded.
  const named = issue.code === 'invalid_type' && issue.message.startsWith('Invalid input') ? TYPE_WORDS[issue.expected] ?? issue.expected : issue.message;
  const found = valueAt(input, issue.path);
  // one of a list of names written in another case (`Poisson`, `Float64`): the name as it is written
  const asWritten = issue.code === 'invalid_value' ? caseOf(found, issue.values) : null;
  const expected = asWritten === null ? named : `${named} (names are written in lower case: ${asWritten})`;
  // a setting its group needs, not given (`crop: { size: 64 }`): said to be missing (was shown as the bare rule)
  if (found === undefined && issue.code === 'invalid_type') return [{ setting: path, found, expected, missing: true }];
  return [{ setting: path, found, expected }];
}

/** The one of `names` that `found`, a text, is but for its case (`Poisson` is poisson), or null. */
function caseOf(found: unknown, names: readonly unknown[]): string | null {
  if (typeof found !== 'string') return null;
  const same = names.find((n) => typeof n === 'string' && n !== found && n.toLowerCase() === found.toLowerCase());
  return typeof same === 'string' ? same : null;
}

function check(input: unknown): { issues: SettingsIssue[]; settings: StudySettings | null } {
  if (!isPlainObject(input)) return { issues: [{ setting: '(settings)', found: input, expected: 'an object of settings groups' }], settings: null };
  const name = input.preset ?? null;
  if (name !== null && !(PRESET_NAMES as readonly unknown[]).includes(name)) {
    const asWritten = caseOf(name, PRESET_NAMES);
    return { issues: [{ setting: 'preset', found: name, expected: `one of ${PRESET_NAMES.join(', ')}${asWritten === null ? '' : ` (names are written in lower case: ${asWritten})`}` }], settings: null };
  }
  const merged = name === null ? input : mergeSettings(getPreset(name as PresetName).values, input);
  const r = StudySettingsSchema.safeParse(merged);
  return r.success ? { issues: [], settings: r.data } : { issues: r.error.issues.flatMap((i) => toIssues(i, merged)), settings: null };
}

/** Every problem of `input` as settings (empty when it parses), after the preset it names is applied under it. */
export function settingsIssues(input: unknown): SettingsIssue[] {
  return check(input).issues;
}

/**
 * The settings of a study from what a caller gives (every field optional): the preset named by `preset`
 * (if any) goes under the given values, the schema adds every default and checks every bound. Throws a
 * `SettingsError` listing every wrong field. Without a preset the defaults are the reference study's size
 * (N = 128, 10 304 positions per dose: tens of minutes); `ptychostudy run` and `runStudy(hub)` without
 * settings use `{ preset: 'quick' }` (a minute or two).
 */
export function parseStudySettings(input: StudySettingsInput = {}): StudySettings {
  const { issues, settings } = check(input);
  if (settings === null) throw new SettingsError(issues);
  return settings;
}

/**
 * Settings a library function was handed (`runStudy`, the phases): checked and completed exactly as
 * `parseStudySettings` does — settings it returned come back equal — but with no default for a missing
 * argument. A JavaScript caller's partial, hand-made or missing settings are a `SettingsError` naming every
 * wrong field, not a TypeError from deep inside.
 */
export function checkStudySettings(input: unknown): StudySettings {
  const { issues, settings } = check(input);
  if (settings === null) throw new SettingsError(issues);
  return settings;
}

/** The `reconstruction` group handed to `runLsqmlJob`, checked and completed as `checkStudySettings` does. */
export function checkReconstructionSettings(input: unknown): ReconstructionSettings {
  if (!isPlainObject(input)) throw new SettingsError([{ setting: 'reconstruction', found: input, expected: 'an object of reconstruction settings' }]);
  return checkStudySettings({ reconstruction: input }).reconstruction;
}

/**
 * Why two of `doses` would share one dose_<integer part> folder (each dose has its own: study/hub/layout.ts
 * doseDirName), or null: `dose 1000 is given twice`, `doses 1000 and 1000.5 would share the directory dose_1000`.
 */
export function doseFolderClash(doses: readonly number[]): string | null {
  const seen = new Map<number, number>();
  for (const d of doses) {
    const prev = seen.get(Math.trunc(d));
    if (prev !== undefined) return prev === d ? `dose ${d} is given twice` : `doses ${prev} and ${d} would share the directory dose_${Math.trunc(d)}`;
    seen.set(Math.trunc(d), d);
  }
  return null;
}

let defaults: StudySettings | null = null;

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Every setting at its default (no preset): what the schema alone gives (shared, frozen). */
export function settingsDefaults(): StudySettings {
  return (defaults ??= deepFreeze(parseStudySettings()));
}
