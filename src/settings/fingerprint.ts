/**
 * Comparing settings: a stable text and SHA-256 of the settings a reconstruction's result depends on,
 * the differences between two sets of settings (setting by setting), and which settings never change a
 * result (how work is run: jobs at once, threads), so that a resumed study may change them. Free of the
 * schema (a worker thread hashes its own settings without loading zod).
 */
import { orientationNames, orientationOf } from '../data/hdf5/frames.js';
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ReconstructionSettings } from './schema.js';

/** JSON with every object's keys sorted: the same settings always give the same text. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Settings that decide how work is run, never what it produces (results do not depend on them): a study
 * resumed with other values of these continues, with the new values. Paths name a group or one setting.
 */
export const RESULT_NEUTRAL_SETTINGS: readonly string[] = ['execution', 'reconstruction.threads'];

export function isResultNeutral(setting: string): boolean {
  return RESULT_NEUTRAL_SETTINGS.some((p) => setting === p || setting.startsWith(`${p}.`));
}

/**
 * SHA-256 of the reconstruction settings a result depends on (every setting but the thread count).
 * `detectorMask` and `radiation`, added after hubs recorded these hashes, are left out at their defaults (true,
 * null): they act only on measured data (CXI, .ptyd), never on a study's NPZ datasets, so an earlier hub's results
 * keep their hash. `crop` and `binSize` (measured data's frames) have no default: absent, they are not hashed; a
 * crop of null and a binSize of 1 (neither crops nor bins) are left out as absent. So is an `orientation` that names
 * none; one that does is hashed as its names in their order (PtyPy's 4 as ['transpose']: the same patterns). A
 * `cxiEntry` of null is left out as absent.
 */
export function reconstructionSettingsSha256(r: ReconstructionSettings): string {
  if (!isPlainObject(r)) throw new UsageError(`reconstructionSettingsSha256: the settings ${kindOf(r)}: expected the reconstruction settings (an object, as parseStudySettings(…).reconstruction gives them)`);
  const { threads: _threads, detectorMask, radiation, crop, binSize, orientation, cxiEntry, ...rest } = r;
  const oriented = orientationNames(orientationOf(orientation));
  return createHash('sha256').update(stableJson({ ...rest, ...(detectorMask === false ? { detectorMask } : {}), ...(radiation != null ? { radiation } : {}),
    ...(crop != null ? { crop } : {}), ...(binSize !== undefined && binSize !== 1 ? { binSize } : {}),
    ...(oriented.length > 0 ? { orientation: oriented } : {}), ...(cxiEntry != null ? { cxiEntry } : {}) })).digest('hex');
}

/** One setting whose value differs. */
export interface SettingDifference {
  setting: string;
  was: unknown;
  now: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * Every setting (leaf path; lists compared whole) whose value differs between `was` and `now`, two sets of
 * settings (objects; a UsageError names the one that is not).
 */
export function settingsDifferences(was: unknown, now: unknown): SettingDifference[] {
  for (const [name, v] of [['was', was], ['now', now]] as const) {
    if (!isPlainObject(v)) throw new UsageError(`settingsDifferences: \`${name}\` ${kindOf(v)}: expected a set of settings (an object)`);
  }
  return differences(was, now, '');
}

function differences(was: unknown, now: unknown, prefix: string): SettingDifference[] {
  if (isPlainObject(was) && isPlainObject(now)) {
    const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])];
    return keys.flatMap((k) => differences(was[k], now[k], prefix === '' ? k : `${prefix}.${k}`));
  }
  return stableJson(was) === stableJson(now) ? [] : [{ setting: prefix, was, now }];
}
