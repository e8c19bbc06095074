/**
 * Reading a hub's datasets for their ground truth (objectGuess, probeGuess, scan coordinates; the
 * diffraction is not read for it) and reconstructions (`reconstructed_object` and what the file says about
 * time and positions): what Phase G compares and the report shows; and a few diffraction patterns of a
 * dataset, in photon counts, for the report's pictures (`readDiffractionSample`).
 */
import { dirname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { readJsonRecord } from '../../files/json-record.js';
import { shownJson } from '../../text.js';
import { checkCoordinates } from '../../data/dataset.js';
import { readMetadata } from '../../data/metadata.js';
import { isHdf5File } from '../../data/inspect-hdf5.js';
import { NpzReader } from '../../npy/npz.js';
import type { NdArray, NumericData } from '../../npy/types.js';
import type { ComplexImage } from '../../math/image.js';
import { PHASE_F } from './layout.js';

/** A complex 2-D image from a '<c8' / '<c16' array ([H, W], or with singleton axes to squeeze). */
export function complexImageOf(arr: NdArray, what: string): ComplexImage {
  if (arr.dtype !== '<c8' && arr.dtype !== '<c16') throw new InputError(`${what}: expected a complex array, found dtype ${arr.dtype}`);
  const dims = arr.shape.filter((d) => d !== 1);
  if (dims.length !== 2) throw new InputError(`${what}: expected a 2-D complex image, found shape [${arr.shape.join(', ')}]`);
  const data = arr.data as Float32Array | Float64Array;
  return { h: dims[0]!, w: dims[1]!, data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

/** A numeric array as Float64Array. */
export function float64Of(arr: NdArray, what: string): Float64Array {
  const d = numbersOf(arr, what);
  return d instanceof Float64Array ? d : Float64Array.from(d);
}

type NumberArray = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * A numeric array's values as they are stored (no copy), each read as the number it holds; 64-bit integers
 * (not a JS number array) are converted to a Float64Array.
 */
function numbersOf(arr: NdArray, what: string): NumberArray {
  const d = arr.data;
  if (d instanceof Float64Array || d instanceof Float32Array || d instanceof Int32Array || d instanceof Int16Array || d instanceof Int8Array
    || d instanceof Uint8Array || d instanceof Uint16Array || d instanceof Uint32Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (v) => Number(v));
  throw new InputError(`${what}: expected numbers, found dtype ${arr.dtype}`);
}

export interface GroundTruth {
  path: string;
  object: ComplexImage;
  /** |probe|² (N×N), or null when the file has no usable probe. */
  probeIntensity: Float64Array | null;
  /** Probe (first mode) as a complex image, for pictures. */
  probe: ComplexImage | null;
  N: number;
  xcoords: Float64Array;
  ycoords: Float64Array;
}

function withReader<T>(path: string, fn: (r: NpzReader) => T): T {
  const r = NpzReader.open(path);
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

/** A dataset without `objectGuess` (measured data): it reconstructs, but there is nothing to score it against. */
export class NoGroundTruthError extends InputError {
  constructor(message: string) { super(message); this.name = 'NoGroundTruthError'; }
}

/** objectGuess, probeGuess and the scan coordinates of a dataset (the diffraction is never read). */
export function readGroundTruth(path: string): GroundTruth {
  // measured data in an HDF5 file (a CXI or .ptyd placed in Phase C, docs/real-data.md) is not a corrupt NPZ
  if (isHdf5File(path)) {
    throw new NoGroundTruthError(`${path}: measured data in an HDF5 file (CXI or PtyPy .ptyd), which has no ground-truth object to score against (measured data reconstructs but is not scored)`);
  }
  return withReader(path, (r) => {
    if (!r.has('objectGuess')) {
      throw new NoGroundTruthError(`${path}: no 'objectGuess': the dataset has no ground-truth object to score against (measured data reconstructs but is not scored)`);
    }
    for (const k of ['xcoords', 'ycoords']) if (!r.has(k)) throw new InputError(`${path}: no '${k}' (needed as ground truth)`);
    const object = complexImageOf(r.get('objectGuess'), `${path}: key 'objectGuess'`);
    const xcoords = float64Of(r.get('xcoords'), `${path}: key 'xcoords'`);
    const ycoords = float64Of(r.get('ycoords'), `${path}: key 'ycoords'`);
    if (xcoords.length !== ycoords.length || xcoords.length === 0) throw new InputError(`${path}: xcoords and ycoords have ${xcoords.length} and ${ycoords.length} entries`);
    checkCoordinates(xcoords, path, 'xcoords');
    checkCoordinates(ycoords, path, 'ycoords');
    let probe: ComplexImage | null = null;
    let probeIntensity: Float64Array | null = null;
    let N = 0;
    if (r.has('probeGuess')) {
      const p = r.get('probeGuess');
      if ((p.dtype === '<c8' || p.dtype === '<c16') && p.shape.length >= 2) {
        const h = p.shape[p.shape.length - 2]!, w = p.shape[p.shape.length - 1]!;
        if (h === w) {
          N = h;
          const d = p.data as Float32Array | Float64Array;
          const first = Float64Array.from(d.subarray(0, 2 * h * w));
          probe = { h, w, data: first };
          probeIntensity = new Float64Array(h * w);
          const modes = d.length / (2 * h * w);
          for (let m = 0; m < modes; m++) {
            for (let i = 0; i < h * w; i++) {
              const re = d[2 * (m * h * w + i)]!, im = d[2 * (m * h * w + i) + 1]!;
              probeIntensity[i]! += re * re + im * im;
            }
          }
        }
      }
    }
    if (N === 0 && r.has('diffraction')) {
      const shape = r.header('diffraction').shape; // only when there is no probe: the patch size from the patterns' header
      N = shape[shape.length - 1] ?? 0;
    }
    if (N === 0) throw new InputError(`${path}: cannot tell the patch size (no square probeGuess)`);
    return { path, object, probeIntensity, probe, N, xcoords, ycoords };
  });
}

export interface Reconstruction {
  path: string;
  object: ComplexImage;
  /** Reconstruction time in seconds, when the file says (see `reconstructionSeconds`). */
  seconds: number | null;
  metadata: Record<string, unknown> | null;
  /** Loss per epoch, when stored. */
  lossHistory: Float64Array | null;
  /** Scan centres the reconstruction used ([y, x] rows), when stored. */
  positions: { ys: Float64Array; xs: Float64Array } | null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The reconstruction time a file records: `_metadata.computation_time_s`, else the sum of
 * `epoch_seconds`, else `_metadata.total_seconds` / `_metadata.timings.total_seconds` (external
 * reconstructions, and ours before timings moved to reconstruction_run.json).
 */
export function reconstructionSeconds(meta: Record<string, unknown> | null, epochSeconds: Float64Array | null): number | null {
  const direct = num(meta?.computation_time_s);
  if (direct !== null) return direct;
  if (epochSeconds && epochSeconds.length > 0) return epochSeconds.reduce((a, b) => a + b, 0);
  const timings = meta?.timings as Record<string, unknown> | undefined;
  return num(meta?.total_seconds) ?? num(timings?.total_seconds) ?? num(timings?.total_s) ?? null;
}

/**
 * `total_seconds` of the reconstruction_run.json beside a reconstruction of ours (null when there is
 * none); an InputError naming the file when it is there but unreadable (broken is not absent). It is read
 * as every record is (`readJsonRecord`): a regular file, at most MAX_RECORD_BYTES, nested at most 64 levels.
 */
export function runRecordSeconds(reconstructionNpz: string): number | null {
  const path = join(dirname(reconstructionNpz), PHASE_F.runRecord);
  const read = readJsonRecord(path, 'the reconstruction time it records (total_seconds) cannot be read');
  if (read === null) return null;
  const v = read.value;
  const t = (v as { total_seconds?: unknown } | null)?.total_seconds;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new InputError(`${path}: key 'total_seconds': expected a non-negative number; found ${shownJson(t)}`);
  }
  return t;
}

/** `reconstructed_object` (complex 2-D) and what the file (or reconstruction_run.json beside it) says about time. */
export function readReconstruction(path: string): Reconstruction {
  return withReader(path, (r) => {
    if (!r.has('reconstructed_object')) {
      throw new InputError(`${path}: no 'reconstructed_object' (keys: ${r.keys().join(', ') || 'none'})`);
    }
    const object = complexImageOf(r.get('reconstructed_object'), `${path}: key 'reconstructed_object'`);
    const meta = readMetadata(r);
    const metadata = meta.status === 'ok' ? meta.value : null;
    const epochSeconds = r.has('epoch_seconds') ? float64Of(r.get('epoch_seconds'), `${path}: key 'epoch_seconds'`) : null;
    const lossHistory = r.has('loss_history') ? float64Of(r.get('loss_history'), `${path}: key 'loss_history'`) : null;
    let positions: Reconstruction['positions'] = null;
    if (r.has('positions')) {
      const p = r.get('positions');
      if (p.shape.length === 2 && p.shape[1] === 2 && p.shape[0]! > 0) {
        const d = float64Of(p, `${path}: key 'positions'`);
        const n = p.shape[0]!;
        const ys = new Float64Array(n), xs = new Float64Array(n);
        for (let i = 0; i < n; i++) { ys[i] = d[2 * i]!; xs[i] = d[2 * i + 1]!; }
        if (ys.every(Number.isFinite) && xs.every(Number.isFinite)) positions = { ys, xs };
      }
    }
    const seconds = reconstructionSeconds(metadata, epochSeconds) ?? runRecordSeconds(path);
    return { path, object, seconds, metadata, lossHistory, positions };
  });
}

/** A few diffraction patterns of a dataset, in photon counts ((diffraction · s)², s = `_metadata.intensity_scale`). */
export interface DiffractionSample {
  path: string;
  /** Pattern side (patterns are N×N or H×W). */
  h: number;
  w: number;
  /** Patterns in the file. */
  n: number;
  /** The indices read, and each pattern's counts (row-major h·w). */
  indices: number[];
  counts: Float64Array[];
  /** The intensity scale applied (1 when the file states none). */
  intensityScale: number;
}

/**
 * Largest compressed (deflated) diffraction stack the report inflates to draw a few patterns (bytes, inflated; a Fortran-order one it reads whole, the same): its
 * rows can only be reached by inflating what comes before them (0.48 s for 256 MiB of float32 counts 0–1023 deflated to 119 MB, measured: about 2 s per GiB); a stored one has its
 * rows read where they lie, whatever its size.
 */
export const MAX_SAMPLED_DIFFRACTION_BYTES = 2 ** 30;
/** Most pixels a pattern drawn may have (4096²). */
export const MAX_SAMPLED_PATTERN_PIXELS = 2 ** 24;

/**
 * Patterns `indices` (clamped to the file's, duplicates dropped) of a dataset's `diffraction` [n, H, W],
 * as photon counts. Only those rows are read and held (`NpzReader.readRows`), but for a Fortran-order stack, whose
 * rows are not contiguous: it is read whole. The member's header is checked first: a pattern of more than
 * `MAX_SAMPLED_PATTERN_PIXELS` pixels, or a deflated or Fortran-order stack larger than `MAX_SAMPLED_DIFFRACTION_BYTES`,
 * is refused with an `InputError` rather than read.
 */
export async function readDiffractionSample(path: string, indices: readonly number[]): Promise<DiffractionSample> {
  const r = NpzReader.open(path);
  try {
    if (!r.has('diffraction')) throw new InputError(`${path}: no 'diffraction'`);
    const h = r.header('diffraction');
    if (h.shape.length !== 3) throw new InputError(`${path}: key 'diffraction': expected [n, H, W], found shape [${h.shape.join(', ')}]`);
    const [n, H, W] = h.shape as [number, number, number];
    if (H * W > MAX_SAMPLED_PATTERN_PIXELS) throw new InputError(`${path}: key 'diffraction': patterns of ${H}×${W} pixels, more than the ${MAX_SAMPLED_PATTERN_PIXELS} the report draws`);
    if (r.member('diffraction').method !== 0 && h.payloadBytes > MAX_SAMPLED_DIFFRACTION_BYTES) {
      throw new InputError(`${path}: key 'diffraction': ${h.payloadBytes} bytes compressed, more than the ${MAX_SAMPLED_DIFFRACTION_BYTES} the report inflates to sample it`);
    }
    const picked = n === 0 ? [] : [...new Set(indices.map((i) => Math.max(0, Math.min(n - 1, Math.round(i)))))];
    let rows: NumericData[];
    if (h.fortranOrder) {
      // a Fortran-order stack interleaves its patterns (NumPy writes one for a transposed array): read whole, in C order
      if (h.payloadBytes > MAX_SAMPLED_DIFFRACTION_BYTES) {
        throw new InputError(`${path}: key 'diffraction': ${h.payloadBytes} bytes in Fortran order (its patterns interleaved), more than the ${MAX_SAMPLED_DIFFRACTION_BYTES} the report reads whole to sample it`);
      }
      const whole = r.get('diffraction').data as NumericData;
      rows = picked.map((i) => whole.subarray(i * H * W, (i + 1) * H * W));
    } else {
      ({ rows } = await r.readRows('diffraction', picked));
    }
    const meta = readMetadata(r);
    const raw = meta.status === 'ok' ? meta.value.intensity_scale : undefined;
    const s = typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : 1;
    const counts = rows.map((row, k) => {
      const data = numbersOf({ dtype: h.info.dtype, shape: [H * W], data: row }, `${path}: key 'diffraction' row ${picked[k]}`);
      const out = new Float64Array(H * W);
      for (let q = 0; q < H * W; q++) { const a = data[q]! * s; out[q] = a * a; }
      return out;
    });
    return { path, h: H, w: W, n, indices: picked, counts, intensityScale: s };
  } finally {
    r.close();
  }
}
