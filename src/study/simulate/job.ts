/**
 * Phase C jobs: one job writes both splits of one dose, `dose_<D>/patched_train.npz` and
 * `patched_test.npz` (DATA-001 keys plus `_metadata`), each atomically.
 *
 * The object, the probe and the scan positions are the same for every dose (as in the reference study,
 * whose simulation re-seeds with the same seed per dose); only the Poisson noise differs, drawn from a
 * stream forked per dose (`fork('noise:<dose>')`: train patterns, then test patterns), so a dose simulated
 * alone gives the same bytes as the same dose among others. Jobs run together share the scene and the
 * noise-free far field: it is computed once per split (the splits one after the other, so only one
 * split's intensities are held) and every dose only scales and samples it.
 *
 * The NPZ files carry no wall-clock time unless the plan has a `timestamp` (the CLI passes
 * SOURCE_DATE_EPOCH when set), so the same inputs give the same bytes.
 */
import { metadataArray } from '../../data/metadata.js';
import { validateDataset } from '../../data/dataset.js';
import { encodeNpz } from '../../npy/npz.js';
import { fingerprintOfBytes } from '../../files/fingerprint.js';
import { writeFileAtomic } from '../../files/atomic.js';
import type { NdArray } from '../../npy/types.js';
import type { ComplexImage } from '../../math/image.js';
import { Rng } from '../../math/rng.js';
import { FarFieldSimulator, sampleDose, totalsStats, type TotalsStats } from '../../physics/forward.js';
import { DEFAULT_OBJECT, makeObject, type ObjectParams } from '../../physics/object.js';
import { DEFAULT_PROBE, makeProbe, type ProbeParams } from '../../physics/probe.js';
import { randomPositions, splitPositions, type SplitResult } from '../../physics/scan.js';
import { roundToComplex64, type ScanPositions } from '../../physics/types.js';
import { UsageError } from '../../errors.js';
import { packageVersion } from '../../version.js';
import { SPLITS } from '../hub/layout.js';
import { yieldToEventLoop } from '../phase.js';
import { METADATA_SCHEMA_VERSION, PHASE_C_TOOL, type PhaseCProgress, type SimulationJob, type SimulationPlan } from './plan.js';

/** The synthetic object's and probe's parameters (the physics defaults; recorded in the outputs). */
export function sceneParameters(): { object: ObjectParams; probe: ProbeParams } {
  return {
    object: { ...DEFAULT_OBJECT, textureSigmas: [...DEFAULT_OBJECT.textureSigmas], textureWeights: [...DEFAULT_OBJECT.textureWeights] },
    probe: { ...DEFAULT_PROBE },
  };
}

/** What a job reports once both files of its dose are written. */
export interface SimulationJobResult {
  dose: number;
  doseDir: string;
  train: string;
  test: string;
  trainCount: number;
  testCount: number;
  intensityScale: number;
  /** Counted photons per pattern over every position of the dose. */
  photons: TotalsStats;
  /** The train/test split every dose shares. */
  split: { axis: 'x' | 'y'; splitPoint: number };
  /** Mean counted photons per pattern of each split. */
  meanTrain: number;
  meanTest: number;
  seconds: number;
  /** Size and SHA-256 of each split's file, from the bytes written (the manifest records them). */
  files: Record<'train' | 'test', { size: number; sha256: string }>;
}

/** What every dose shares: object, probe, positions, their split, the mean exit-wave power. */
interface Scene {
  object: ComplexImage;
  probe: ComplexImage;
  positions: ScanPositions;
  split: SplitResult;
  splitCoords: Record<'train' | 'test', ScanPositions>;
  meanPower: number;
  sim: FarFieldSimulator;
  root: Rng;
}

function pick(src: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = src[idx[j]];
  return out;
}

function round6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(10)) : v;
}

function statsJson(s: TotalsStats): Record<string, number> {
  return { count: s.count, mean: round6(s.mean), std: round6(s.std), min: round6(s.min), max: round6(s.max), total: round6(s.sum) };
}

function c64Array(img: ComplexImage): NdArray {
  return { dtype: '<c8', shape: [img.h, img.w], data: Float32Array.from(img.data) };
}

/**
 * Object, probe and positions of the plan. Stored as complex64, so the simulation uses the
 * complex64-rounded values: the stored ground truth is exactly what produced the data.
 */
function buildScene(plan: SimulationPlan, emit: (p: PhaseCProgress) => void): Scene {
  const { base, patchSize: N, nPositions, objectShape } = plan;
  const params = sceneParameters();
  emit({ stage: 'prepare', done: 0, total: 1, message: base ? `reading object and probe from ${base.path}` : `building ${objectShape[0]}×${objectShape[1]} object and ${N}×${N} probe` });
  const root = new Rng(plan.seed);
  const object = roundToComplex64(base ? base.object : makeObject(objectShape[0], objectShape[1], root.fork('object'), params.object));
  const probe = roundToComplex64(base ? base.probe : makeProbe(N, params.probe));
  const positions = randomPositions(nPositions, object.h, object.w, N, root.fork('positions'));
  const split = splitPositions(positions, plan.settings.simulation.splitAxis, 0.5);
  if (split.train.length === 0 || split.test.length === 0) {
    throw new UsageError(`the ${nPositions} positions give an empty ${split.train.length === 0 ? 'train' : 'test'} split; use more images`);
  }
  emit({ stage: 'prepare', done: 1, total: 1, message: `${nPositions} positions, split at ${split.axis} = ${split.splitPoint.toFixed(2)}: train ${split.train.length}, test ${split.test.length}` });
  // The intensity scale needs the mean exit-wave power over the whole scan: a cheap pass (one inverse
  // FFT per position) computes it before any split is simulated.
  const sim = new FarFieldSimulator(object, probe);
  const powers = sim.exitWavePowers(positions, (done, total) => emit({ stage: 'far-field', done, total, message: 'exit-wave power' }));
  let meanPower = 0;
  for (const p of powers) meanPower += p;
  meanPower /= nPositions;
  const splitCoords = {
    train: { x: pick(positions.x, split.train), y: pick(positions.y, split.train) },
    test: { x: pick(positions.x, split.test), y: pick(positions.y, split.test) },
  };
  return { object, probe, positions, split, splitCoords, meanPower, sim, root };
}

/** The `_metadata` parts every file of the run shares. */
function sharedMetadata(plan: SimulationPlan, scene: Scene) {
  const { base, patchSize: N } = plan;
  const { split, object, meanPower } = scene;
  const params = sceneParameters();
  const creation: Record<string, unknown> = { tool: PHASE_C_TOOL, ptychostudy_version: packageVersion() };
  if (plan.timestamp) creation.timestamp = plan.timestamp;
  const stamp = (o: Record<string, unknown>): Record<string, unknown> => (plan.timestamp ? { ...o, timestamp: plan.timestamp } : o);
  const physicsFor = (dose: number, s: number): Record<string, unknown> => ({
    nphotons: dose,
    dose,
    N,
    gridsize: 1,
    intensity_scale: s,
    mean_exit_wave_power: meanPower,
    noise_model: 'poisson',
    forward_model: 'far field, single slice: object patch on the integer grid times the Fourier-shifted probe (sub-pixel part of the position), unscaled FFT2',
    expected_counts: 'lambda = |FFT2(intensity_scale * exit_wave)|^2 / N^2 per pixel; mean over all positions of sum(lambda) = dose',
    diffraction: 'sqrt(counts) / intensity_scale, float32, DC at [N//2, N//2] (fftshift)',
    photon_counts_from_diffraction: '(diffraction * intensity_scale)**2',
  });
  const splitRecord = {
    tool: PHASE_C_TOOL,
    operation: 'train_test_split',
    parameters: {
      split_fraction: split.fraction,
      split_axis: split.axis,
      split_point: split.splitPoint,
      coordinate_range: split.range,
      rule: `train: ${split.axis}coords < split_point; test: ${split.axis}coords >= split_point`,
      train_count: split.train.length,
      test_count: split.test.length,
    },
  };
  const additional = {
    seed: plan.seed,
    rng: 'xoshiro128** (ptychostudy Rng); streams fork("object"), fork("positions"), fork("noise:<dose>") (train patterns, then test patterns, each in scan order)',
    buffer: N / 2,
    simulation_type: 'coordinate_based',
    position_distribution: 'uniform in [N/2, size - N/2) per axis',
    preset: plan.preset,
    object_source: base ? 'base_npz' : 'synthetic',
    probe_source: base ? 'base_npz' : 'synthetic',
    input_file: base ? base.path : null,
    input_file_sha256: base ? base.sha256 : null,
    object_shape: [object.h, object.w],
    object_parameters: base ? null : params.object,
    probe_parameters: base ? null : params.probe,
  };
  return { creation, stamp, physicsFor, splitRecord, additional };
}

/**
 * Runs the `jobs` (doses) of the plan: the far field of each split once, then every dose's patterns of that
 * split. Yields each dose's result (in job order) as soon as both of its files are written.
 */
export async function* simulateDoses(plan: SimulationPlan, jobs: readonly SimulationJob[],
  emit: (p: PhaseCProgress) => void): AsyncGenerator<SimulationJobResult> {
  if (jobs.length === 0) return;
  const N = plan.patchSize;
  const scene = buildScene(plan, emit);
  await yieldToEventLoop();
  const { split, splitCoords, sim, root } = scene;
  const objectArr = c64Array(scene.object);
  const probeArr = c64Array(scene.probe);
  const meta = sharedMetadata(plan, scene);

  // Buffers: far-field intensities of one split, and one pattern buffer reused by every dose but the
  // last, which is sampled in place over the intensities.
  const nn = N * N;
  const maxSplit = Math.max(split.train.length, split.test.length);
  const ibuf = new Float32Array(maxSplit * nn);
  let work: Float32Array | null = null;
  const rngs = jobs.map((j) => root.fork(`noise:${j.dose}`));
  const perDose = jobs.map(() => ({ seconds: 0, s: 0, counted: {} as Record<string, TotalsStats>, files: {} as Record<string, { size: number; sha256: string }>, totals: new Float64Array(plan.nPositions) }));

  for (const name of SPLITS) {
    const idx = split[name];
    const coords = splitCoords[name];
    const m = idx.length;
    const ff = sim.farFieldIntensities(coords,
      (done, total) => emit({ stage: 'far-field', done, total, message: `far-field intensities (${name})` }), ibuf.subarray(0, m * nn));
    await yieldToEventLoop();
    for (let d = 0; d < jobs.length; d++) {
      const td = performance.now();
      const job = jobs[d]!;
      const dose = job.dose;
      const patterns = d === jobs.length - 1 ? ff.intensity : (work ??= new Float32Array(maxSplit * nn)).subarray(0, m * nn);
      const res = sampleDose(ff, dose, rngs[d]!, (j) => ({ data: patterns, offset: j * nn }), {
        meanPower: scene.meanPower,
        onBatch: (done, total) => emit({ stage: 'simulate', dose, done, total, message: `dose ${dose}: Poisson counts (${name})` }),
      });
      const counted = totalsStats(res.countTotals);
      const expected = totalsStats(res.expectedTotals);
      const pd = perDose[d]!;
      pd.s = res.intensityScale;
      pd.counted[name] = counted;
      for (let j = 0; j < m; j++) pd.totals[idx[j]] = res.countTotals[j];
      const path = name === 'train' ? job.train : job.test;
      const metadata: Record<string, unknown> = {
        schema_version: METADATA_SCHEMA_VERSION,
        creation_info: meta.creation,
        split: name,
        dose,
        intensity_scale: res.intensityScale,
        physics_parameters: meta.physicsFor(dose, res.intensityScale),
        photon_statistics: {
          expected_mean_per_pattern_all_positions: dose,
          counted_per_pattern_this_split: statsJson(counted),
          expected_per_pattern_this_split: statsJson(expected),
          max_pixel_count_this_split: res.maxPixelCount,
        },
        training_parameters: { n_images: plan.nPositions, n_images_this_split: m },
        additional_parameters: meta.additional,
        data_transformations: [
          meta.stamp({
            tool: 'transpose_rename_convert',
            operation: 'canonicalize',
            parameters: { flipx: false, flipy: false },
            note: 'written directly in the canonical DATA-001 layout (diffraction [n, N, N] float32 amplitudes)',
          }),
          meta.stamp(meta.splitRecord),
        ],
      };
      const arrays: Record<string, NdArray> = {
        diffraction: { dtype: '<f4', shape: [m, N, N], data: patterns },
        objectGuess: objectArr,
        probeGuess: probeArr,
        xcoords: { dtype: '<f8', shape: [m], data: coords.x },
        ycoords: { dtype: '<f8', shape: [m], data: coords.y },
        xcoords_start: { dtype: '<f8', shape: [m], data: Float64Array.from(coords.x) },
        ycoords_start: { dtype: '<f8', shape: [m], data: Float64Array.from(coords.y) },
        scan_index: { dtype: '<i8', shape: [m], data: new BigInt64Array(m) },
        _metadata: metadataArray(metadata),
      };
      // The reference validated each split after writing it; checking the arrays first means a
      // file that breaks the contract is never written at all.
      const { warnings } = validateDataset(arrays, path);
      if (warnings.length > 0) throw new Error(`internal: generated data for ${path} raised warnings: ${warnings.join('; ')}`);
      emit({ stage: 'write', dose, file: path, done: name === 'train' ? 0 : 1, total: 2, message: `writing ${path}` });
      const bytes = encodeNpz(arrays, { compress: plan.compress, level: plan.compressLevel }, path);
      pd.files[name] = fingerprintOfBytes(bytes);
      writeFileAtomic(path, bytes, plan.earlier?.beforeRename);
      pd.seconds += (performance.now() - td) / 1000;
      // Between every two files: the work is synchronous, and a Ctrl-C or SIGTERM handler (and a progress
      // redraw) runs only when the event loop does.
      if (name !== 'test') { await yieldToEventLoop(); continue; }

      // Both files of this dose exist.
      yield {
        dose, doseDir: job.dir, train: job.train, test: job.test,
        trainCount: split.train.length, testCount: split.test.length, split: { axis: split.axis, splitPoint: split.splitPoint },
        intensityScale: pd.s, photons: totalsStats(pd.totals),
        meanTrain: pd.counted.train!.mean, meanTest: pd.counted.test!.mean, seconds: pd.seconds,
        files: { train: pd.files.train!, test: pd.files.test! },
      };
      emit({ stage: 'dose-done', dose, done: d + 1, total: jobs.length, message: `Dataset generation complete for dose=${dose} (${pd.seconds.toFixed(1)} s)` });
      await yieldToEventLoop();
    }
  }
}
