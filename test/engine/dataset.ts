/** Writes small synthetic DATA-001 dataset NPZ files (for the job and CLI tests). */
import { saveNpz } from '../../src/npy/npz.js';
import { c128, c64, f32, f64, type NdArray } from '../../src/npy/types.js';
import { metadataArray } from '../../src/data/metadata.js';
import { fftshift2 } from '../../src/math/fft.js';
import { positionOrigin } from '../../src/engine/patches.js';
import { syntheticProblem, type SyntheticProblem, type SyntheticSpec } from '../../src/engine/synthetic.js';

export interface WrittenDataset { path: string; problem: SyntheticProblem; coords: { x: Float64Array; y: Float64Array } }

/**
 * A dataset whose `diffraction` holds √counts / s (DC centred) with `_metadata.intensity_scale` = s
 * (omitted when s is undefined), the true object as `objectGuess` and the perturbed initial probe as
 * `probeGuess`.
 */
export function writeSyntheticDataset(path: string, spec: SyntheticSpec, scale?: number, extra: Record<string, NdArray> = {}): WrittenDataset {
  const problem = syntheticProblem(spec);
  const { input } = problem;
  const N = spec.size, n = spec.positions, n2 = N * N;
  const centred = new Float64Array(n * n2);
  fftshift2(Float64Array.from(input.intensities), centred, N, N, n, false);
  const s = scale ?? 1;
  const diffraction = Float32Array.from(centred, (v) => Math.sqrt(v) / s);
  const o = positionOrigin(spec.height, spec.width);
  const shift = Math.floor(N / 2) - (N - 1) / 2;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (input.positions[2 * i] as number) + o[0] + shift;
    x[i] = (input.positions[2 * i + 1] as number) + o[1] + shift;
  }
  const arrays: Record<string, NdArray> = {
    diffraction: f32([n, N, N], diffraction),
    objectGuess: c128([spec.height, spec.width], problem.trueObject),
    probeGuess: c64([N, N], Float32Array.from(input.probe.data)),
    xcoords: f64([n], x),
    ycoords: f64([n], y),
    ...extra,
  };
  if (scale !== undefined) arrays._metadata = metadataArray({ intensity_scale: scale, photons_per_pattern: spec.photons });
  saveNpz(path, arrays);
  return { path, problem, coords: { x, y } };
}
