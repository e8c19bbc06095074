/**
 * Parsing settings: the one place where input becomes settings (CLI flags, a hub's run.json, a config
 * file all come through here). A preset's values go under the caller's; then the schema fills the
 * defaults and checks every bound. The first problem is a `SettingsError` (exit code 2) that names the
 * setting by its path in backticks — `reconstruction.epochs` 0: expected a positive integer — which the
 * command line shows under the flag's name instead.
 */
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { getPreset } from './presets.js';
import { PRESET_NAMES, StudySettingsSchema, type PresetName, type StudySettings, type StudySettingsInput } from './schema.js';

/** A setting with a value outside its bounds (or an unknown setting). */
export class SettingsError extends UsageError {
  constructor(readonly setting: string, readonly found: unknown, readonly expected: string) {
    super(`\`${setting}\`${found === undefined ? '' : ` ${shown(found)}`}: expected ${expected}`);
    this.name = 'SettingsError';
  }
}

function shown(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v) ?? String(v);
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

function toError(issue: z.core.$ZodIssue, input: unknown): SettingsError {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path === '' ? '' : `${path}.`;
    return new SettingsError(`${where}${issue.keys[0]}`, undefined, 'no such setting (check the spelling)');
  }
  return new SettingsError(path, valueAt(input, issue.path), issue.message);
}

/**
 * The settings of a study from what a caller gives (every field optional): the preset named by `preset`
 * (if any) goes under the given values, the schema adds every default and checks every bound.
 */
export function parseStudySettings(input: StudySettingsInput = {}): StudySettings {
  if (!isPlainObject(input)) throw new SettingsError('(settings)', input, 'an object');
  const name = input.preset ?? null;
  if (name !== null && !(PRESET_NAMES as readonly unknown[]).includes(name)) {
    throw new SettingsError('preset', name, `one of ${PRESET_NAMES.join(', ')}`);
  }
  const merged = name === null ? input : mergeSettings(getPreset(name as PresetName).values, input);
  const r = StudySettingsSchema.safeParse(merged);
  if (!r.success) throw toError(r.error.issues[0]!, merged);
  return r.data;
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
