/**
 * Presets: named sets of setting values, applied under the values a caller gives (never a second
 * default: a setting a preset does not name keeps the schema's default, schema.ts).
 *
 * - `quick`: N = 64, a 320×320 object, 1000 positions per dose, the default 50 LSQML epochs — sized so the
 *   whole study (generate, overlap views, 18 reconstructions, comparison, report) runs in a minute or two.
 * - `fly64`: the reference study's size, which is what the schema's defaults already are (N = 128, a 464×464
 *   object, 10 304 positions), and the reference's (and pty-chi's) 100 epochs.
 * Both keep the reference seeds (simulation 42, view selection 456) and overlap fractions (dense 0.7,
 * sparse 0.2), so the spacing thresholds are (1 − f)·N: 19.2/51.2 px (quick) and 38.4/102.4 px (fly64).
 */
import type { PresetName, StudySettingsInput } from './schema.js';
import { UsageError } from '../errors.js';

export interface Preset {
  name: PresetName;
  /** One line for people (recorded in design.json). */
  description: string;
  /** The values it sets. */
  values: StudySettingsInput;
}

const PRESETS: Record<PresetName, Preset> = {
  quick: {
    name: 'quick',
    description: 'N = 64, 320×320 object, 1000 positions per dose, doses 1e3/1e4/1e5, 50 epochs (minutes on 2 cores)',
    values: { simulation: { patchSize: 64, objectShape: [320, 320], nPositions: 1000 } },
  },
  fly64: {
    name: 'fly64',
    description: 'reference size: N = 128, 464×464 object, 10 304 positions per dose, doses 1e3/1e4/1e5, 100 epochs',
    values: { reconstruction: { epochs: 100 } },
  },
};

/** A preset by name (a deep copy: callers may change it). */
export function getPreset(name: PresetName): Preset {
  // a JavaScript caller's unknown name: one line naming the presets, not undefined
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw new UsageError(`\`preset\` ${String(name)}: expected one of ${Object.keys(PRESETS).join(', ')}`);
  }
  return structuredClone(PRESETS[name]);
}
