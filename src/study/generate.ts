/**
 * Phase C — synthetic dataset generation, one dataset per dose.
 *
 * For every dose D it writes `<root>/dose_<int(D)>/patched_train.npz` and `patched_test.npz`
 * (DATA-001 keys plus `_metadata`) and keeps `<root>/run_manifest.json` up to date. The object, the
 * probe and the scan positions are the same for every dose (as in the reference study, whose
 * simulation re-seeds with the same seed per dose); only the Poisson noise differs, drawn from a
 * stream forked per dose, so generating one dose alone gives the same bytes as generating it among
 * others.
 *
 * Nothing is written until every input has been checked: doses, image count, seed, the base NPZ,
 * the output root and — unless `overwrite` — that no output file exists yet. Every file is written
 * atomically (temporary sibling + rename). The NPZ files carry no wall-clock time unless a
 * `timestamp` is given (the CLI passes SOURCE_DATE_EPOCH when set), so the same inputs give the
 * same bytes; the run's time is recorded in run_manifest.json.
 *
 * This module neither reads argv nor prints: progress goes to the `onProgress` callback.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { metadataArray } from '../data/metadata.js';
import { validateDataset } from '../data/dataset.js';
import { NpzReader, saveNpz } from '../npy/npz.js';
import type { NdArray } from '../npy/types.js';
import { Rng } from '../math/rng.js';
import { FarFieldSimulator, sampleDose, totalsStats, type TotalsStats } from '../physics/forward.js';
import { makeObject } from '../physics/object.js';
import { makeProbe } from '../physics/probe.js';
import { randomPositions, splitPositions, type SplitResult } from '../physics/scan.js';
import { roundToComplex64, type ComplexImage, type ScanPositions } from '../physics/types.js';
import type { StudyDesign } from './design.js';
import { getPreset, type Preset, type PresetName } from './presets.js';

export const PHASE_C_TOOL = 'ptychostudy generate';
export const METADATA_SCHEMA_VERSION = '1.0.0';

export interface PhaseCOptions {
  /** Root directory of the Phase C outputs (`dose_<D>/…`, `run_manifest.json`). */
  outputRoot: string;
  /** Geometry and physics: a preset or its name (default 'quick'). */
  preset?: Preset | PresetName;
  /** Doses (expected photons per pattern); default the design's dose_list. */
  doses?: readonly number[];
  /** Number of scan positions (before the split); default the preset's, or the base NPZ's xcoords length. */
  nImages?: number;
  /** Simulation seed; default design.rng_seeds.simulation. */
  seed?: number;
  /** Take objectGuess and probeGuess from this NPZ instead of the synthetic object and probe. */
  baseNpz?: string;
  /** Replace existing outputs (otherwise an existing output file is an error and nothing is written). */
  overwrite?: boolean;
  /** UTC time (ISO 8601 ending in Z) to record inside the NPZ metadata; omitted when null/undefined. */
  timestamp?: string | null;
  /** Deflate the NPZ members like np.savez_compressed (default true). */
  compress?: boolean;
  /** zlib level when compressing (default 1: ~2.7× faster than NumPy's 6 on these data, files ~1.5× larger). */
  compressLevel?: number;
}

export interface PhaseCProgress {
  stage: 'prepare' | 'far-field' | 'simulate' | 'write' | 'dose-done';
  /** Dose being processed (simulate/write/dose-done). */
  dose?: number;
  done: number;
  total: number;
  message: string;
}

export interface PhaseCDoseResult {
  dose: number;
  doseDir: string;
  train: string;
  test: string;
  trainCount: number;
  testCount: number;
  intensityScale: number;
  /** Counted photons per pattern over every position of the dose. */
  photons: TotalsStats;
  seconds: number;
}

export interface PhaseCResult {
  outputRoot: string;
  manifestPath: string;
  preset: PresetName;
  seed: number;
  nPositions: number;
  patchSize: number;
  objectShape: [number, number];
  split: { axis: 'x' | 'y'; splitPoint: number; trainCount: number; testCount: number };
  doses: PhaseCDoseResult[];
  seconds: number;
}

export { doseDirName } from './layout.js';
export { packageVersion } from '../version.js';
import { doseDirName } from './layout.js';
import { packageVersion } from '../version.js';

/** Checks the dose list: every dose finite and > 0, no two in the same `dose_<int>` directory. */
export function checkDoses(doses: readonly number[]): number[] {
  if (doses.length === 0) throw new UsageError('no dose given (the dose list is empty)');
  const seen = new Map<string, number>();
  for (const d of doses) {
    if (typeof d !== 'number' || !Number.isFinite(d) || !(d > 0)) {
      throw new UsageError(`dose must be a positive finite number of photons per pattern, found ${String(d)}`);
    }
    const dir = doseDirName(d);
    const prev = seen.get(dir);
    if (prev !== undefined) {
      throw new UsageError(prev === d ? `dose ${d} is given twice` : `doses ${prev} and ${d} would share the directory ${dir}`);
    }
    seen.set(dir, d);
  }
  return [...doses];
}

/** Parses one dose given on the command line ("1e4", "10000"); throws UsageError otherwise. */
export function parseDose(text: string): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v) || !(v > 0)) {
    throw new UsageError(`--dose: expected a positive number of photons per pattern, found '${text}'`);
  }
  return v;
}

/** The nearest existing ancestor of `p` (or `p` itself). */
function existingAncestor(p: string): string {
  let cur = resolve(p);
  for (;;) {
    if (existsSync(cur)) return cur;
    const up = dirname(cur);
    if (up === cur) return cur;
    cur = up;
  }
}

/** Throws InputError unless `root` is (or can be created as) a writable directory. */
export function checkOutputRoot(root: string): void {
  if (!root) throw new UsageError('an output root directory is required');
  const abs = resolve(root);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new InputError(`output root ${root} exists and is not a directory`);
  }
  const anc = existingAncestor(abs);
  if (!statSync(anc).isDirectory()) throw new InputError(`output root ${root}: ${anc} is not a directory`);
  try {
    accessSync(anc, constants.W_OK | constants.X_OK);
  } catch {
    throw new InputError(`output root ${root}: ${anc} is not writable`);
  }
}

interface BaseInput {
  path: string;
  object: ComplexImage;
  probe: ComplexImage;
  nPositions: number | null;
  sha256: string;
  bytes: number;
}

function complexImage(arr: NdArray, file: string, key: string): ComplexImage {
  if (arr.dtype !== '<c8' && arr.dtype !== '<c16') {
    throw new InputError(`${file}: key '${key}' must be complex (complex64/complex128), found dtype ${arr.dtype}`);
  }
  let shape = arr.shape;
  // a probe stored with leading singleton axes (e.g. (1, N, N)) is accepted
  while (shape.length > 2 && shape[0] === 1) shape = shape.slice(1);
  if (shape.length !== 2) throw new InputError(`${file}: key '${key}' must be a 2-D array, found shape (${arr.shape.join(', ')})`);
  const src = arr.data as Float32Array | Float64Array;
  const data = Float64Array.from(src);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new InputError(`${file}: key '${key}' contains a non-finite value at element ${i >> 1}`);
  }
  return { h: shape[0], w: shape[1], data };
}

/** Reads and checks `objectGuess` and `probeGuess` (and the xcoords count) of a base NPZ. */
export function loadBaseNpz(path: string): BaseInput {
  if (!existsSync(path)) throw new InputError(`base NPZ ${path}: no such file`);
  const reader = NpzReader.open(path);
  try {
    for (const key of ['objectGuess', 'probeGuess']) {
      if (!reader.has(key)) {
        throw new InputError(`base NPZ ${path}: missing key '${key}' (expected a complex 2-D array; found keys: ${reader.keys().join(', ') || 'none'})`);
      }
    }
    const object = complexImage(reader.get('objectGuess'), path, 'objectGuess');
    const probe = complexImage(reader.get('probeGuess'), path, 'probeGuess');
    if (probe.h !== probe.w) throw new InputError(`${path}: key 'probeGuess' must be square, found ${probe.h}×${probe.w}`);
    if (probe.h % 2 !== 0 || probe.h < 4) throw new InputError(`${path}: key 'probeGuess' must have an even size ≥ 4, found ${probe.h}×${probe.w}`);
    if (!probe.data.some((v) => v !== 0)) throw new InputError(`${path}: key 'probeGuess': expected a probe with non-zero intensity; found all ${probe.h * probe.w} values zero`);
    if (object.h < probe.h || object.w < probe.w) {
      throw new InputError(`${path}: key 'objectGuess' (${object.h}×${object.w}) must be at least as large as probeGuess (${probe.h}×${probe.w})`);
    }
    let nPositions: number | null = null;
    if (reader.has('xcoords')) {
      const xs = reader.get('xcoords');
      nPositions = xs.shape.length >= 1 ? xs.shape[0] : null;
    }
    const buf = readFileSync(path);
    return {
      path, object, probe, nPositions,
      sha256: createHash('sha256').update(buf).digest('hex'),
      bytes: buf.length,
    };
  } finally {
    reader.close();
  }
}

/**
 * What Phase C will simulate for one dose (the reference's `build_simulation_plan`): the dose and
 * its integer photon count, the number of images, the seed, the patch size N and grid size 1.
 * With a base NPZ, N is its probe's size and the image count defaults to its `xcoords` length;
 * the base file's `_metadata` (even a pickled one) is never read.
 */
export interface SimulationPlan {
  dose: number;
  /** int(dose), as the reference's training config records it. */
  nphotons: number;
  nImages: number;
  seed: number;
  patchSize: number;
  gridsize: 1;
  objectShape: [number, number];
  baseNpz: string | null;
}

export function buildSimulationPlan(dose: number, design: StudyDesign,
  opts: { preset?: Preset | PresetName; baseNpz?: string; nImages?: number; seed?: number } = {}): SimulationPlan {
  checkDoses([dose]);
  const preset = typeof opts.preset === 'object' ? opts.preset : getPreset(opts.preset ?? 'quick');
  const base = opts.baseNpz ? loadBaseNpz(opts.baseNpz) : null;
  return {
    dose,
    nphotons: Math.trunc(dose),
    nImages: opts.nImages ?? base?.nPositions ?? preset.nPositions,
    seed: opts.seed ?? design.rng_seeds.simulation,
    patchSize: base ? base.probe.h : design.patch_size_pixels,
    gridsize: 1,
    objectShape: base ? [base.object.h, base.object.w] : [preset.objectShape[0], preset.objectShape[1]],
    baseNpz: opts.baseNpz ?? null,
  };
}

interface ResolvedPlan {
  preset: Preset;
  doses: number[];
  seed: number;
  nPositions: number;
  patchSize: number;
  base: BaseInput | null;
  outputs: Array<{ dose: number; dir: string; train: string; test: string }>;
  manifestPath: string;
  previousManifest: Record<string, unknown> | null;
}

function resolvePlan(design: StudyDesign, opts: PhaseCOptions): ResolvedPlan {
  const preset = typeof opts.preset === 'object' ? opts.preset : (() => {
    try { return getPreset(opts.preset ?? 'quick'); } catch (e) { throw new UsageError((e as Error).message); }
  })();
  try { design.validate(); } catch (e) { throw new UsageError(`study design: ${(e as Error).message}`); }
  const doses = checkDoses(opts.doses ?? design.dose_list);
  const seed = opts.seed ?? design.rng_seeds.simulation;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`seed must be a non-negative integer, found ${String(seed)}`);
  if (opts.nImages !== undefined && (!Number.isSafeInteger(opts.nImages) || opts.nImages < 2)) {
    throw new UsageError(`number of images must be an integer ≥ 2, found ${String(opts.nImages)}`);
  }
  if (opts.timestamp != null && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(opts.timestamp)) {
    throw new UsageError(`timestamp must be ISO 8601 UTC ending in Z, found '${opts.timestamp}'`);
  }
  checkOutputRoot(opts.outputRoot);
  const base = opts.baseNpz ? loadBaseNpz(opts.baseNpz) : null;
  const patchSize = base ? base.probe.h : design.patch_size_pixels;
  const [h, w] = base ? [base.object.h, base.object.w] : preset.objectShape;
  if (h < patchSize || w < patchSize) throw new UsageError(`object ${h}×${w} is smaller than the ${patchSize}×${patchSize} patch`);
  const nPositions = opts.nImages ?? base?.nPositions ?? preset.nPositions;
  if (!(nPositions >= 2)) throw new UsageError(`number of images must be ≥ 2, found ${nPositions}`);
  const outputs = doses.map((dose) => {
    const dir = join(opts.outputRoot, doseDirName(dose));
    return { dose, dir, train: join(dir, 'patched_train.npz'), test: join(dir, 'patched_test.npz') };
  });
  const manifestPath = join(opts.outputRoot, 'run_manifest.json');
  if (!opts.overwrite) {
    for (const o of outputs) {
      for (const f of [o.train, o.test]) {
        if (existsSync(f)) throw new InputError(`${f} already exists (use --overwrite to replace it)`);
      }
    }
  }
  for (const o of outputs) {
    if (existsSync(o.dir) && !statSync(o.dir).isDirectory()) throw new InputError(`${o.dir} exists and is not a directory`);
  }
  let previousManifest: Record<string, unknown> | null = null;
  if (existsSync(manifestPath)) {
    try {
      const v = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
      previousManifest = v as Record<string, unknown>;
    } catch (e) {
      if (!opts.overwrite) {
        throw new InputError(`${manifestPath} is not a valid run manifest (${(e as Error).message}); use --overwrite to replace it`);
      }
    }
  }
  return { preset, doses, seed, nPositions, patchSize, base, outputs, manifestPath, previousManifest };
}

/** Dose entries sorted by dose, other keys after them, `_run` last. */
function orderedManifest(m: Record<string, unknown>, run: Record<string, unknown>): Record<string, unknown> {
  const doseOf = (k: string): number => {
    const e = m[k] as { dose?: unknown } | undefined;
    return e && typeof e.dose === 'number' ? e.dose : Number(k.slice(5));
  };
  const doseKeys = Object.keys(m).filter((k) => /^dose_\d+$/.test(k)).sort((a, b) => doseOf(a) - doseOf(b));
  const others = Object.keys(m).filter((k) => !/^dose_\d+$/.test(k) && k !== '_run');
  const out: Record<string, unknown> = {};
  for (const k of [...doseKeys, ...others]) out[k] = m[k];
  out._run = run;
  return out;
}

function c64Array(img: ComplexImage): NdArray {
  return { dtype: '<c8', shape: [img.h, img.w], data: Float32Array.from(img.data) };
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

/**
 * Runs Phase C. Resolves once every dose is written; throws UsageError/InputError (exit code 2)
 * before writing anything when an input is bad or an output exists without `overwrite`.
 */
export async function generatePhaseC(design: StudyDesign, opts: PhaseCOptions,
  onProgress?: (p: PhaseCProgress) => void): Promise<PhaseCResult> {
  const t0 = performance.now();
  const plan = resolvePlan(design, opts);
  const { preset, doses, seed, nPositions, patchSize: N, base } = plan;
  const emit = (p: PhaseCProgress): void => { onProgress?.(p); };

  // Object, probe, positions: shared by all doses. Stored as complex64, so simulate with the
  // complex64-rounded values — the stored ground truth is exactly what produced the data.
  emit({ stage: 'prepare', done: 0, total: 1, message: base ? `reading object and probe from ${base.path}` : `building ${preset.objectShape[0]}×${preset.objectShape[1]} object and ${N}×${N} probe` });
  const root = new Rng(seed);
  const object = roundToComplex64(base ? base.object : makeObject(preset.objectShape[0], preset.objectShape[1], root.fork('object'), preset.object));
  const probe = roundToComplex64(base ? base.probe : makeProbe(N, preset.probe));
  const pos: ScanPositions = randomPositions(nPositions, object.h, object.w, N, root.fork('positions'));
  const split: SplitResult = splitPositions(pos, design.train_test_split_axis, 0.5);
  if (split.train.length === 0 || split.test.length === 0) {
    throw new UsageError(`the ${nPositions} positions give an empty ${split.train.length === 0 ? 'train' : 'test'} split; use more images`);
  }
  emit({ stage: 'prepare', done: 1, total: 1, message: `${nPositions} positions, split at ${split.axis} = ${split.splitPoint.toFixed(2)}: train ${split.train.length}, test ${split.test.length}` });

  // Memory plan: the splits are simulated one after the other, so only one split's patterns are
  // held at a time. The intensity scale needs the mean exit-wave power over the whole scan, so a
  // cheap pass (one inverse FFT per position) computes it first.
  const sim = new FarFieldSimulator(object, probe);
  const powers = sim.exitWavePowers(pos, (done, total) => emit({ stage: 'far-field', done, total, message: 'exit-wave power' }));
  let meanPower = 0;
  for (const p of powers) meanPower += p;
  meanPower /= nPositions;
  const splitCoords = {
    train: { x: pick(pos.x, split.train), y: pick(pos.y, split.train) },
    test: { x: pick(pos.x, split.test), y: pick(pos.y, split.test) },
  };
  const objectArr = c64Array(object);
  const probeArr = c64Array(probe);

  const manifest: Record<string, unknown> = { ...(plan.previousManifest ?? {}) };
  const results: PhaseCDoseResult[] = [];
  const creation: Record<string, unknown> = { tool: PHASE_C_TOOL, ptychostudy_version: packageVersion() };
  if (opts.timestamp) creation.timestamp = opts.timestamp;
  const stamp = (o: Record<string, unknown>): Record<string, unknown> => (opts.timestamp ? { ...o, timestamp: opts.timestamp } : o);
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
    seed,
    rng: 'xoshiro128** (ptychostudy Rng); streams fork("object"), fork("positions"), fork("noise:<dose>") (train patterns, then test patterns, each in scan order)',
    buffer: N / 2,
    simulation_type: 'coordinate_based',
    position_distribution: 'uniform in [N/2, size - N/2) per axis',
    preset: preset.name,
    object_source: base ? 'base_npz' : 'synthetic',
    probe_source: base ? 'base_npz' : 'synthetic',
    input_file: base ? base.path : null,
    input_file_sha256: base ? base.sha256 : null,
    object_shape: [object.h, object.w],
    object_parameters: base ? null : preset.object,
    probe_parameters: base ? null : preset.probe,
  };

  // Buffers: far-field intensities of one split, and one pattern buffer reused by every dose but
  // the last, which is sampled in place over the intensities.
  const nn = N * N;
  const maxSplit = Math.max(split.train.length, split.test.length);
  const ibuf = new Float32Array(maxSplit * nn);
  let work: Float32Array | null = null;
  const rngs = doses.map((d) => root.fork(`noise:${d}`));
  const perDose = doses.map(() => ({ seconds: 0, s: 0, counted: {} as Record<string, TotalsStats>, totals: new Float64Array(nPositions) }));

  for (const [name, idx] of [['train', split.train], ['test', split.test]] as const) {
    const coords = splitCoords[name];
    const m = idx.length;
    const ff = sim.farFieldIntensities(coords,
      (done, total) => emit({ stage: 'far-field', done, total, message: `far-field intensities (${name})` }), ibuf.subarray(0, m * nn));
    for (let d = 0; d < doses.length; d++) {
      const td = performance.now();
      const out = plan.outputs[d];
      const dose = out.dose;
      const patterns = d === doses.length - 1 ? ff.intensity : (work ??= new Float32Array(maxSplit * nn)).subarray(0, m * nn);
      const res = sampleDose(ff, dose, rngs[d], (j) => ({ data: patterns, offset: j * nn }), {
        meanPower,
        onBatch: (done, total) => emit({ stage: 'simulate', dose, done, total, message: `dose ${dose}: Poisson counts (${name})` }),
      });
      const counted = totalsStats(res.countTotals);
      const expected = totalsStats(res.expectedTotals);
      const pd = perDose[d];
      pd.s = res.intensityScale;
      pd.counted[name] = counted;
      for (let j = 0; j < m; j++) pd.totals[idx[j]] = res.countTotals[j];
      const path = name === 'train' ? out.train : out.test;
      const metadata: Record<string, unknown> = {
        schema_version: METADATA_SCHEMA_VERSION,
        creation_info: creation,
        split: name,
        dose,
        intensity_scale: res.intensityScale,
        physics_parameters: physicsFor(dose, res.intensityScale),
        photon_statistics: {
          expected_mean_per_pattern_all_positions: dose,
          counted_per_pattern_this_split: statsJson(counted),
          expected_per_pattern_this_split: statsJson(expected),
          max_pixel_count_this_split: res.maxPixelCount,
        },
        training_parameters: { n_images: nPositions, n_images_this_split: m },
        additional_parameters: additional,
        data_transformations: [
          stamp({
            tool: 'transpose_rename_convert',
            operation: 'canonicalize',
            parameters: { flipx: false, flipy: false },
            note: 'written directly in the canonical DATA-001 layout (diffraction [n, N, N] float32 amplitudes)',
          }),
          stamp(splitRecord),
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
      emit({ stage: 'write', dose, done: name === 'train' ? 0 : 1, total: 2, message: `writing ${path}` });
      saveNpz(path, arrays, { compress: opts.compress ?? true, level: opts.compressLevel ?? 1 });
      pd.seconds += (performance.now() - td) / 1000;
      if (name !== 'test') continue;

      // Both files of this dose exist: record the dose.
      const all = totalsStats(pd.totals);
      const entry = {
        dose,
        train: out.train,
        test: out.test,
        intermediate_dir: out.dir,
        train_count: split.train.length,
        test_count: split.test.length,
        intensity_scale: pd.s,
        mean_photons_per_pattern: round6(all.mean),
        photons_per_pattern_std: round6(all.std),
        mean_photons_per_pattern_train: round6(pd.counted.train.mean),
        mean_photons_per_pattern_test: round6(pd.counted.test.mean),
        seed,
        preset: preset.name,
        seconds: Number(pd.seconds.toFixed(3)),
        generated_utc: new Date().toISOString(),
      };
      manifest[doseDirName(dose)] = entry;
      const run = {
        tool: PHASE_C_TOOL,
        ptychostudy_version: packageVersion(),
        updated_utc: new Date().toISOString(),
        preset: preset.name,
        seed,
        n_images: nPositions,
        patch_size: N,
        object_shape: [object.h, object.w],
        object_source: base ? base.path : 'synthetic',
        split: { axis: split.axis, split_point: split.splitPoint, train_count: split.train.length, test_count: split.test.length },
        doses_this_run: doses,
      };
      writeJsonAtomic(plan.manifestPath, orderedManifest(manifest, run));
      results.push({
        dose, doseDir: out.dir, train: out.train, test: out.test,
        trainCount: split.train.length, testCount: split.test.length,
        intensityScale: pd.s, photons: all, seconds: pd.seconds,
      });
      emit({ stage: 'dose-done', dose, done: results.length, total: plan.outputs.length, message: `Dataset generation complete for dose=${dose} (${pd.seconds.toFixed(1)} s)` });
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  return {
    outputRoot: opts.outputRoot,
    manifestPath: plan.manifestPath,
    preset: preset.name,
    seed,
    nPositions,
    patchSize: N,
    objectShape: [object.h, object.w],
    split: { axis: split.axis, splitPoint: split.splitPoint, trainCount: split.train.length, testCount: split.test.length },
    doses: results,
    seconds: (performance.now() - t0) / 1000,
  };
}
