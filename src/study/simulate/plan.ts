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
import { accessSync, closeSync, constants, existsSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from '../../files/bounded-read.js';
import { brokenLink, openForReading } from '../../files/regular.js';
import { checkDecodeFits, formatBytes, MAX_SCAN_POSITIONS, memoryLimit, type MemoryLimit } from '../../data/memory.js';
import { formatShape } from '../../npy/npy.js';
import { NpzReader, type MemberHeader } from '../../npy/npz.js';
import { NpzError } from '../../npy/errors.js';
import { sniffFile } from '../../data/hdf5/signature.js';
import type { NdArray } from '../../npy/types.js';
import type { ComplexImage } from '../../math/image.js';
import { shown } from '../../settings/parse.js';
import type { PresetName, StudySettings } from '../../settings/schema.js';
import { counted, printable } from '../../text.js';
import { checkDoses, doseDirName, PHASE_C } from '../hub/layout.js';
import { phaseOrigin, type PlannedJob } from '../phase.js';
import type { SettingsOrigin } from '../../settings/origin.js';
import type { EarlierFiles } from '../../files/earlier.js';

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
  /**
   * Stops the phase when aborted, between two doses (the dose under way is finished and recorded first): the lock
   * is released and the call rejects with `StudyAbortedError`, as Ctrl-C leaves it; running it again continues.
   */
  signal?: AbortSignal;
  /**
   * Where each given setting came from (settings/origin.ts), as the command computed it: the entries of Phase C's settings
   * (`PHASE_C_SETTINGS`) are recorded in run_manifest.json (`_run.provenance.settings_origin`).
   */
  settingsOrigin?: SettingsOrigin;
}

/** The settings Phase C uses, whose origin its manifest records: the preset and the `simulation` group. */
export const PHASE_C_SETTINGS = ['preset', 'simulation'] as const;

export interface PhaseCProgress {
  stage: 'prepare' | 'far-field' | 'simulate' | 'write' | 'dose-done';
  /** Dose being processed (simulate/write/dose-done). */
  dose?: number;
  /** The file being written ('write'): whole once the event loop runs again (the simulation yields between files). */
  file?: string;
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
  /** Where the outputs this run replaces go (set under the root's lock); null: replaced in place (plans not yet run). */
  earlier: EarlierFiles | null;
  /** Where each of Phase C's settings given came from (`PHASE_C_SETTINGS`), or null when the caller did not say. */
  settingsOrigin: SettingsOrigin | null;
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

/** What a base NPZ's members are, from their headers alone (nothing decoded yet). */
export interface BaseShape {
  path: string;
  /** objectGuess [H, W] and the probe's side N. */
  objectShape: [number, number];
  N: number;
  /** Length of `xcoords` (null without one): the default image count. */
  count: number | null;
  /** The headers of the members that will be decoded. */
  headers: Record<string, MemberHeader>;
}

/** [H, W] of a complex 2-D member (leading singleton axes dropped: a probe stored as (1, N, N) is accepted), from its header. */
function complexShape(h: MemberHeader, file: string, key: string): [number, number] {
  if (h.info.kind !== 'c' || (h.info.dtype !== '<c8' && h.info.dtype !== '<c16')) {
    throw new InputError(`${file}: key '${key}' must be complex (complex64/complex128), found dtype ${h.info.dtype}`);
  }
  let shape = h.shape;
  while (shape.length > 2 && shape[0] === 1) shape = shape.slice(1);
  if (shape.length !== 2) throw new InputError(`${file}: key '${key}' must be a 2-D array, found shape (${h.shape.join(', ')})`);
  return [shape[0]!, shape[1]!];
}

function complexImage(arr: NdArray, [h, w]: [number, number], file: string, key: string): ComplexImage {
  const src = arr.data as Float32Array | Float64Array;
  const data = Float64Array.from(src);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new InputError(`${file}: key '${key}' contains a non-finite value at element ${i >> 1}`);
  }
  return { h, w, data };
}

/**
 * The positions a base NPZ's coordinates hold, from their headers: `xcoords` (and `ycoords` when present)
 * real 1-D arrays of one length, at most MAX_SCAN_POSITIONS — checked before anything is read, so a
 * header that declares 4·10⁸ positions in a 651-byte file plans nothing.
 */
function coordinateCount(reader: NpzReader, path: string): number | null {
  let count: number | null = null;
  for (const key of ['xcoords', 'ycoords']) {
    if (!reader.has(key)) continue;
    const h = reader.header(key);
    const want = `scan coordinates: a real 1-D array of at most ${MAX_SCAN_POSITIONS} positions (MAX_SCAN_POSITIONS)`;
    if (!'fiu'.includes(h.info.kind)) throw new InputError(`${path}: key '${key}': expected ${want}; found dtype ${h.info.dtype}`);
    if (h.shape.length !== 1 || h.shape[0]! > MAX_SCAN_POSITIONS) throw new InputError(`${path}: key '${key}': expected ${want}; found shape ${formatShape(h.shape)}`);
    if (count !== null && h.shape[0] !== count) {
      throw new InputError(`${path}: key '${key}': expected as many positions as xcoords (${count}); found shape ${formatShape(h.shape)}`);
    }
    if (key === 'xcoords') count = h.shape[0]!;
  }
  return count;
}

/** The SHA-256 of a file, read 8 MiB at a time (a base NPZ may be large; it is never held whole). */
function sha256OfFile(path: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  const { fd } = openForReading(path);
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    let bytes = 0;
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) { hash.update(buf.subarray(0, n)); bytes += n; }
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and checks `objectGuess` and `probeGuess` (and the xcoords count) of a base NPZ. Every header is
 * checked first (dtype, shape, the coordinates' count); then `beforeDecoding` sees the shapes (the plan
 * checks the run's memory there), the members to decode are checked against the memory limit, and
 * only then are they read — and the coordinates too, so a member whose data is not what its header
 * declares is refused, never planned from.
 */
export function loadBaseNpz(path: string, beforeDecoding: (shape: BaseShape) => void = () => {}): BaseInput {
  if (!existsSync(path)) {
    let why = 'no such file';
    try { statSync(path); } catch (err) { why = brokenLink(path, err) ?? why; }
    throw new InputError(`base NPZ ${path}: ${why}`);
  }
  let reader: NpzReader;
  try {
    reader = NpzReader.open(path);
  } catch (err) {
    // measured data (CXI, PtyPy .ptyd) is reconstructed, not simulated from: say so rather than "not a valid .npz"
    let hdf5 = false;
    try { hdf5 = err instanceof NpzError && sniffFile(path) === 'hdf5'; } catch { /* the NPZ reader's message stands */ }
    if (hdf5) {
      throw new InputError(`base NPZ ${path}: expected a dataset NPZ (zip) holding objectGuess and probeGuess, the object and probe the study simulates ` +
        'from; found an HDF5 file (CXI or PtyPy .ptyd: measured data, which is reconstructed, not simulated from: ptychostudy lsqml --input FILE, ' +
        'or a Phase F job of a hub, docs/real-data.md)');
    }
    throw err;
  }
  try {
    for (const key of ['objectGuess', 'probeGuess']) {
      if (!reader.has(key)) {
        throw new InputError(`base NPZ ${path}: missing key '${key}' (expected a complex 2-D array; found keys: ${printable(reader.keys().join(', '), 1000) || 'none'})`);
      }
    }
    const headers: Record<string, MemberHeader> = { objectGuess: reader.header('objectGuess'), probeGuess: reader.header('probeGuess') };
    const objectShape = complexShape(headers.objectGuess!, path, 'objectGuess');
    const probeShape = complexShape(headers.probeGuess!, path, 'probeGuess');
    const [ph, pw] = probeShape;
    if (ph !== pw) throw new InputError(`${path}: key 'probeGuess' must be square, found ${ph}×${pw}`);
    if (ph % 2 !== 0 || ph < 4) throw new InputError(`${path}: key 'probeGuess' must have an even size ≥ 4, found ${ph}×${pw}`);
    if (objectShape[0] < ph || objectShape[1] < pw) {
      throw new InputError(`${path}: key 'objectGuess' (${objectShape[0]}×${objectShape[1]}) must be at least as large as probeGuess (${ph}×${pw})`);
    }
    const count = coordinateCount(reader, path);
    for (const key of ['xcoords', 'ycoords']) if (reader.has(key)) headers[key] = reader.header(key);
    beforeDecoding({ path, objectShape, N: ph, count, headers });
    checkDecodeFits(path, headers);
    const object = complexImage(reader.get('objectGuess'), objectShape, path, 'objectGuess');
    const probe = complexImage(reader.get('probeGuess'), probeShape, path, 'probeGuess');
    if (!probe.data.some((v) => v !== 0)) throw new InputError(`${path}: key 'probeGuess': expected a probe with non-zero intensity; found all ${probe.h * probe.w} values zero`);
    // the coordinates are not used (the run draws its own), but their count is: it must be what the data holds
    for (const key of ['xcoords', 'ycoords']) if (reader.has(key)) reader.get(key);
    return { path, object, probe, nPositions: count, ...sha256OfFile(path) };
  } finally {
    reader.close();
  }
}

/**
 * The probe size a base NPZ sets (the rows of its 2-D `probeGuess`, from the header alone), or null when the
 * file cannot tell: `loadBaseNpz` then refuses it with its own message.
 */
export function baseProbeSizeOf(path: string): number | null {
  try {
    const reader = NpzReader.open(path);
    try {
      const h = reader.header('probeGuess');
      return h.shape.length === 2 ? h.shape[0]! : null;
    } finally {
      reader.close();
    }
  } catch {
    return null;
  }
}

/** Bytes the simulation needs besides the fixed part, per object pixel (measured ~40 B, docs/limits.md). */
const SIM_BYTES_PER_OBJECT_PIXEL = 64;
/**
 * … per pattern value of the whole scan (n·N²): 6 B with one dose, 10 B with several (measured up to
 * 4.0 B and 6.5 B, at 10⁹ photons, where the compressed output is largest).
 */
const simBytesPerPatternValue = (doses: number): number => (doses > 1 ? 10 : 6);
/** … per position: coordinates, powers, split indices and copies, one total per dose. */
const simBytesPerPosition = (doses: number): number => 128 + 8 * doses;
/** The fixed part: node, the modules, the FFT work space. */
const SIM_FIXED_BYTES = 160 * 2 ** 20;

/**
 * Bytes a Phase C run needs at its peak, an upper bound fitted to measurements of `ptychostudy generate`
 * (peak RSS by /usr/bin/time; docs/limits.md): a fixed 160 MiB, 64 B per object pixel (the object as read,
 * as simulated and as written), 6 B per pattern value of the scan with one dose and 10 B with several
 * (one split's far-field intensities, a second buffer for the other doses, the compressed output), and
 * 128 + 8·doses B per position.
 */
export function simulationBytes(s: { objectShape: readonly [number, number]; N: number; nPositions: number; doses: number }): number {
  return SIM_FIXED_BYTES + SIM_BYTES_PER_OBJECT_PIXEL * s.objectShape[0] * s.objectShape[1] +
    simBytesPerPatternValue(s.doses) * s.nPositions * s.N * s.N + simBytesPerPosition(s.doses) * s.nPositions;
}

/** Where a size of the run came from, for the message that refuses it: a base NPZ's key, or a setting. */
type SizeSource = { file: string; key: string; shape: readonly number[] } | { setting: string; value: unknown };

/**
 * Refuses a run whose peak (`simulationBytes`) exceeds the memory limit, before anything is read or
 * allocated for it: one line naming what makes it large — the object (objectGuess, or
 * `simulation.objectShape`) or the positions (a base NPZ's xcoords, or `simulation.nImages` /
 * `simulation.nPositions`).
 */
export function checkSimulationFits(s: { objectShape: readonly [number, number]; N: number; nPositions: number; doses: number },
  object: SizeSource, positions: SizeSource, limit: MemoryLimit = memoryLimit()): void {
  const need = simulationBytes(s);
  if (need <= limit.bytes) return;
  const objectPart = SIM_BYTES_PER_OBJECT_PIXEL * s.objectShape[0] * s.objectShape[1];
  const byObject = objectPart >= need - SIM_FIXED_BYTES - objectPart;
  const src = byObject ? object : positions;
  const expected = `expected a simulation that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source})`;
  const found = byObject ? `an object of ${s.objectShape[0]}×${s.objectShape[1]} pixels`
    : `${counted(s.nPositions, 'position')} of ${s.N}×${s.N} patterns${s.doses > 1 ? ` at ${s.doses} doses` : ''}`;
  const tail = `for which the simulation needs about ${formatBytes(need)}`;
  if ('file' in src) {
    throw new InputError(`${src.file}: key '${src.key}': ${expected}; found shape ${formatShape(src.shape)}${byObject ? '' : ` (${found})`}, ${tail}`);
  }
  throw new UsageError(`\`${src.setting}\` ${shown(src.value)}: ${expected}; found ${found}, ${tail}`);
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
    const v = JSON.parse(readJsonTextAtMost(manifestPath, MAX_RECORD_BYTES, 'a record')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    if (!overwrite) {
      if (e instanceof InputError) throw e; // past the bound, in the bounded reader's own words
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
  const sizes = (N: number, objectShape: [number, number], count: number | null) => ({
    N, objectShape, nPositions: sim.nImages ?? count ?? sim.nPositions, doses: doses.length,
  });
  const setting = (name: 'nImages' | 'nPositions' | 'objectShape') => ({ setting: `simulation.${name}`, value: sim[name] });
  const positionsSource = (b: BaseShape | null): SizeSource => (sim.nImages !== null ? setting('nImages')
    : b?.count != null ? { file: b.path, key: 'xcoords', shape: b.headers.xcoords!.shape } : setting('nPositions'));
  // the run's memory is checked from the base NPZ's headers, before its members are decoded
  const base = sim.baseNpz !== null ? loadBaseNpz(sim.baseNpz, (b) => {
    checkSimulationFits(sizes(b.N, b.objectShape, b.count), { file: b.path, key: 'objectGuess', shape: b.headers.objectGuess!.shape }, positionsSource(b));
  }) : null;
  const patchSize = base ? base.probe.h : sim.patchSize;
  const [h, w] = base ? [base.object.h, base.object.w] : sim.objectShape;
  if (h < patchSize || w < patchSize) throw new UsageError(`object ${h}×${w} is smaller than the ${patchSize}×${patchSize} patch`);
  const nPositions = sim.nImages ?? base?.nPositions ?? sim.nPositions;
  if (!(nPositions >= 2)) throw new UsageError(`number of images must be ≥ 2, found ${nPositions}`);
  if (!base) checkSimulationFits(sizes(patchSize, [h, w], null), setting('objectShape'), positionsSource(null));
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
    compress: opts.compress ?? true, compressLevel: opts.compressLevel ?? 1, earlier: null,
    settingsOrigin: phaseOrigin(opts.settingsOrigin, PHASE_C_SETTINGS),
  };
}
