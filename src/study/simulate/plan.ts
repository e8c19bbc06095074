/**
 * Phase C plan: which datasets a run writes (one job per dose: `dose_<D>/patched_{train,test}.npz`), from
 * what (the synthetic object and probe of the settings, or a base NPZ's), and the checks that must pass
 * before anything is written: the doses' directory names, the image count, the output root, the base NPZ
 * and — unless `overwrite` — that no output file exists yet. Reading the base NPZ is the only I/O.
 *
 * The plan carries what the reference's `build_simulation_plan` returns per dose (dose, int(dose) photons,
 * image count, seed, patch size, grid size 1); a base NPZ's probe sets N and its `xcoords` length the
 * default image count, and its `_metadata` (even a pickled one) is never read.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { NpzReader } from '../../npy/npz.js';
import type { NdArray } from '../../npy/types.js';
import type { ComplexImage } from '../../math/image.js';
import type { PresetName, StudySettings } from '../../settings/schema.js';
import { doseDirName, PHASE_C } from '../hub/layout.js';
import type { PlannedJob } from '../phase.js';

export const PHASE_C_TOOL = 'ptychostudy generate';
export const METADATA_SCHEMA_VERSION = '1.0.0';

/** Options of one Phase C run that are not study settings (where and how to write). */
export interface SimulationRunOptions {
  /** Root directory of the Phase C outputs (`dose_<D>/…`, `run_manifest.json`). */
  outputRoot: string;
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

/** A base NPZ's object and probe. */
export interface BaseInput {
  path: string;
  object: ComplexImage;
  probe: ComplexImage;
  nPositions: number | null;
  sha256: string;
  bytes: number;
}

/** One job: both splits of one dose. */
export interface SimulationJob extends PlannedJob {
  dose: number;
  /** int(dose), as the reference's training config records it. */
  nphotons: number;
  gridsize: 1;
  dir: string;
  train: string;
  test: string;
}

export interface SimulationPlan {
  settings: StudySettings;
  preset: PresetName | null;
  outputRoot: string;
  doses: number[];
  seed: number;
  /** Scan positions per dose, before the split. */
  nPositions: number;
  /** N. */
  patchSize: number;
  objectShape: [number, number];
  base: BaseInput | null;
  jobs: SimulationJob[];
  manifestPath: string;
  previousManifest: Record<string, unknown> | null;
  timestamp: string | null;
  compress: boolean;
  compressLevel: number;
}

/** Checks that no two doses share a `dose_<int>` directory; returns the doses. */
export function checkDoses(doses: readonly number[]): number[] {
  const seen = new Map<string, number>();
  for (const d of doses) {
    const dir = doseDirName(d);
    const prev = seen.get(dir);
    if (prev !== undefined) {
      throw new UsageError(prev === d ? `\`simulation.doses\`: dose ${d} is given twice`
        : `\`simulation.doses\`: doses ${prev} and ${d} would share the directory ${dir}`);
    }
    seen.set(dir, d);
  }
  return [...doses];
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
      const xs = reader.header('xcoords'); // the header only: a count needs no data
      nPositions = xs.shape.length >= 1 ? xs.shape[0]! : null;
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
 * What the output root holds that a run depends on: no output exists unless `overwrite`, no dose path is a
 * file, and the previous manifest (null when there is none). Called by the plan and again under the root's
 * lock (another run may have written meanwhile). Throws InputError; writes nothing.
 */
export function readRootState(jobs: readonly SimulationJob[], manifestPath: string, overwrite: boolean): Record<string, unknown> | null {
  if (!overwrite) {
    for (const o of jobs) {
      for (const f of [o.train, o.test]) {
        if (existsSync(f)) throw new InputError(`${f} already exists (use \`overwrite\` to replace it)`);
      }
    }
  }
  for (const o of jobs) {
    if (existsSync(o.dir) && !statSync(o.dir).isDirectory()) throw new InputError(`${o.dir} exists and is not a directory`);
  }
  if (!existsSync(manifestPath)) return null;
  try {
    const v = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    if (!overwrite) {
      throw new InputError(`${manifestPath} is not a valid run manifest (${(e as Error).message}); use \`overwrite\` to replace it`);
    }
    return null;
  }
}

/** The plan of a Phase C run; throws UsageError/InputError (exit code 2) before anything is written. */
export function planSimulation(settings: StudySettings, opts: SimulationRunOptions): SimulationPlan {
  const sim = settings.simulation;
  const doses = checkDoses(sim.doses);
  if (opts.timestamp != null && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(opts.timestamp)) {
    throw new UsageError(`timestamp must be ISO 8601 UTC ending in Z, found '${opts.timestamp}'`);
  }
  checkOutputRoot(opts.outputRoot);
  const base = sim.baseNpz !== null ? loadBaseNpz(sim.baseNpz) : null;
  const patchSize = base ? base.probe.h : sim.patchSize;
  const [h, w] = base ? [base.object.h, base.object.w] : sim.objectShape;
  if (h < patchSize || w < patchSize) throw new UsageError(`object ${h}×${w} is smaller than the ${patchSize}×${patchSize} patch`);
  const nPositions = sim.nImages ?? base?.nPositions ?? sim.nPositions;
  if (!(nPositions >= 2)) throw new UsageError(`number of images must be ≥ 2, found ${nPositions}`);
  const jobs: SimulationJob[] = doses.map((dose, index) => {
    const dir = join(opts.outputRoot, doseDirName(dose));
    return {
      index, key: doseDirName(dose), dose, nphotons: Math.trunc(dose), gridsize: 1,
      dir, train: join(dir, PHASE_C.split('train')), test: join(dir, PHASE_C.split('test')),
    };
  });
  const manifestPath = join(opts.outputRoot, PHASE_C.manifest);
  const previousManifest = readRootState(jobs, manifestPath, opts.overwrite ?? false);
  return {
    settings, preset: settings.preset, outputRoot: opts.outputRoot, doses, seed: sim.seed, nPositions, patchSize,
    objectShape: [h, w], base, jobs, manifestPath, previousManifest, timestamp: opts.timestamp ?? null,
    compress: opts.compress ?? true, compressLevel: opts.compressLevel ?? 1,
  };
}
