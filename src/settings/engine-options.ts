/**
 * The engine's options of a reconstruction's settings. Its own module, free of the schema, so a worker
 * thread running one job does not load zod (~0.1 s per job): the settings it receives are parsed already.
 */
import { DEFAULT_LSQML_OPTIONS, type LsqmlOptions } from '../engine/options.js';
import type { ReconstructionSettings } from './schema.js';

/** Every `LsqmlOptions` field from the settings (the job adds the thread count it chose). */
export function engineOptions(r: ReconstructionSettings, threads: number): LsqmlOptions {
  const out = {} as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_LSQML_OPTIONS) as (keyof LsqmlOptions)[]) out[k] = r[k as keyof ReconstructionSettings];
  out.threads = threads;
  return out as unknown as LsqmlOptions;
}
