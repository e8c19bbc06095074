/**
 * The engine's options of a reconstruction's settings, for a library caller (exported as `engineOptions`): the
 * settings parsed or as given (`{ epochs: 20 }`: the defaults complete them; a misspelt or out-of-range one is a
 * SettingsError naming it) and the thread count checked. The study's own code, which holds parsed settings, calls
 * `engineOptions` of engine-options.ts, which loads no schema.
 */
import type { LsqmlOptions } from '../engine/options.js';
import { UsageError } from '../errors.js';
import { engineOptions } from './engine-options.js';
import { checkReconstructionSettings, shown } from './parse.js';
import type { ReconstructionSettings, ReconstructionSettingsInput } from './schema.js';

/** Every `LsqmlOptions` field from the settings, with `threads` threads. */
export function checkedEngineOptions(r: ReconstructionSettings | ReconstructionSettingsInput, threads: number): LsqmlOptions {
  const settings = checkReconstructionSettings(r);
  if (!Number.isSafeInteger(threads) || threads < 1) throw new UsageError(`\`threads\` ${shown(threads)}: expected a positive integer`);
  return engineOptions(settings, threads);
}
