/**
 * What an LSQML run carries from one epoch to the next (LsqmlEngine.saveState / restoreState): an engine made
 * from the same input and options and given this state after epoch k runs epochs k, k + 1, … to the same bytes as
 * the run it came from. Files are not this module's concern (study/reconstruct/checkpoint.ts writes and reads it).
 */
import type { RngState } from '../math/rng.js';
import type { Precision } from './options.js';

/** The layout of LsqmlState; a state of another version is refused. */
export const LSQML_STATE_VERSION = 1;

export interface LsqmlState {
  version: number;
  /** Epochs done (0 … k − 1): the next epoch run is `epochsDone`. */
  epochsDone: number;
  /** The precision the engine computed in: the object and probe are held in it (Float32Array for 'float32'). */
  precision: Precision;
  /** [H, W] complex, interleaved, as the engine holds it. */
  object: Float32Array | Float64Array;
  /** [M, N, N] complex, interleaved, as the engine holds it. */
  probe: Float32Array | Float64Array;
  /** The preconditioner's running illumination map [H, W] (null before epoch 0 has run). */
  preconditioner: Float64Array | null;
  /** Per-position Poisson far-field step state [n] (0.5 each until the Poisson model has run). */
  poissonStepState: Float64Array;
  /** The minibatch order's stream and the Poisson step perturbation's stream. */
  batchRng: RngState;
  noiseRng: RngState;
  lossHistory: number[];
  epochSeconds: number[];
  /** The divergence watch: first epoch of the current run of epochs above the limit, −1 when none. */
  risingSince: number;
  /** The warnings the epochs run gave (a loss that rose and fell back), not those of the engine's start. */
  warnings: string[];
}
