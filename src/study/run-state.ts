/**
 * The whole-study hub's own record, `<hub>/run.json`: which settings made the hub and which phases
 * are complete. Re-running `run` on a hub reads it to continue where the last run stopped; a hub made
 * with other settings is refused rather than silently mixed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../files/atomic.js';
import { InputError } from '../errors.js';

export const RUN_STATE_FILE = 'run.json';
export const RUN_STATE_SCHEMA_VERSION = 1;

/** The phases of a study, in the order they run. */
export const PHASES = ['design', 'generate', 'overlap', 'reconstruct', 'compare', 'report'] as const;
export type PhaseName = (typeof PHASES)[number];

/** What determines a hub's results; a resumed run must ask for exactly the same. */
export interface RunSettings {
  preset: string;
  doses: number[];
  epochs: number;
  seed: number;
  n_images: number | null;
  base_npz: string | null;
}

export interface PhaseRecord {
  status: 'running' | 'complete' | 'failed';
  started: string;
  finished?: string;
  seconds?: number;
  /** Short account of what the phase produced or why it failed. */
  detail?: string;
}

export interface RunState {
  schema_version: number;
  tool: 'ptychostudy';
  version: string;
  created: string;
  updated: string;
  settings: RunSettings;
  status: 'running' | 'complete' | 'failed' | 'interrupted';
  phases: Partial<Record<PhaseName, PhaseRecord>>;
}

export function utcNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function readRunState(hub: string): RunState | null {
  const path = join(hub, RUN_STATE_FILE);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message}); this hub cannot be resumed — use a new --out`);
  }
  const v = value as Partial<RunState>;
  if (v.tool !== 'ptychostudy' || typeof v.settings !== 'object' || v.settings === null || typeof v.phases !== 'object') {
    throw new InputError(`${path}: not a ptychostudy run record (expected keys tool, settings, phases); use a new --out`);
  }
  return v as RunState;
}

export function writeRunState(hub: string, state: RunState): void {
  state.updated = utcNow();
  writeJsonAtomic(join(hub, RUN_STATE_FILE), state);
}

/** Names of the settings that differ between a hub and a new request (empty when they agree). */
export function settingsDiff(a: RunSettings, b: RunSettings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(a) as (keyof RunSettings)[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out.push(`${key} (hub: ${JSON.stringify(a[key])}, requested: ${JSON.stringify(b[key])})`);
  }
  return out;
}
