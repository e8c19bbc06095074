/**
 * Study presets: the design plus the geometry and physics Phase C simulates and the reconstruction
 * defaults later phases use.
 *
 * - `quick`: N = 64, a 320×320 object, 1000 positions per dose, doses 1e3/1e4/1e5, 50 LSQML
 *   epochs — sized so the whole study (generate, overlap views, 18 reconstructions, comparison,
 *   report) runs in a few minutes on two cores.
 * - `fly64`: the reference study's size — N = 128, a 464×464 object, 10 304 positions, 100 epochs.
 * Both use the reference seeds (simulation seed 42) and overlap fractions (dense 0.7, sparse 0.2),
 * so the spacing thresholds are (1 − f)·N: 19.2/51.2 px (quick) and 38.4/102.4 px (fly64).
 */
import { StudyDesign } from './design.js';
import { DEFAULT_PROBE, type ProbeParams } from '../physics/probe.js';
import { DEFAULT_OBJECT, type ObjectParams } from '../physics/object.js';

export type PresetName = 'quick' | 'fly64';
export const PRESET_NAMES: readonly PresetName[] = ['quick', 'fly64'];

export interface Preset {
  name: PresetName;
  description: string;
  design: StudyDesign;
  /** Object shape [H, W] in pixels. */
  objectShape: [number, number];
  /** Scan positions simulated per dose (before the train/test split). */
  nPositions: number;
  /** Default LSQML epochs for Phase F. */
  epochs: number;
  /** Simulation seed (= design.rng_seeds.simulation). */
  seed: number;
  probe: ProbeParams;
  object: ObjectParams;
}

function quick(): Preset {
  const design = new StudyDesign({ patch_size_pixels: 64 });
  return {
    name: 'quick',
    description: 'N = 64, 320×320 object, 1000 positions per dose, doses 1e3/1e4/1e5, 50 epochs (minutes on 2 cores)',
    design,
    objectShape: [320, 320],
    nPositions: 1000,
    epochs: 50,
    seed: design.rng_seeds.simulation,
    probe: { ...DEFAULT_PROBE },
    object: { ...DEFAULT_OBJECT, textureSigmas: [...DEFAULT_OBJECT.textureSigmas], textureWeights: [...DEFAULT_OBJECT.textureWeights] },
  };
}

function fly64(): Preset {
  const design = new StudyDesign({ patch_size_pixels: 128 });
  return {
    name: 'fly64',
    description: 'reference size: N = 128, 464×464 object, 10 304 positions per dose, doses 1e3/1e4/1e5, 100 epochs',
    design,
    objectShape: [464, 464],
    nPositions: 10304,
    epochs: 100,
    seed: design.rng_seeds.simulation,
    probe: { ...DEFAULT_PROBE },
    object: { ...DEFAULT_OBJECT, textureSigmas: [...DEFAULT_OBJECT.textureSigmas], textureWeights: [...DEFAULT_OBJECT.textureWeights] },
  };
}

/** A fresh copy of a preset (callers may modify it). */
export function getPreset(name: string): Preset {
  if (name === 'quick') return quick();
  if (name === 'fly64') return fly64();
  throw new RangeError(`unknown preset '${name}' (expected one of: ${PRESET_NAMES.join(', ')})`);
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}
