/**
 * The dataset contract (DATA-001, spec study.md §3.2): what a ptychography NPZ must hold.
 *
 * Required: `diffraction` float [n,H,W] amplitudes (finite, ≥ 0), `probeGuess` complex [H,W],
 * `xcoords` / `ycoords` float [n] (finite). Optional keys are checked when present; `objectGuess`
 * (complex 2-D, the ground truth of simulated data) is optional: measured data has none, reconstructs
 * all the same, and cannot be scored. A legacy [H,W,n] `diffraction` is transposed to [n,H,W] with a warning. Every violation is
 * one line `FILE: key 'KEY': expected …; found …`; all of them are reported together in one InputError.
 */
import { InputError } from '../errors.js';
import { NpzReader, saveNpz, type MemberHeader, type NpzReadOptions, type NpzWriteOptions } from '../npy/npz.js';
import { formatShape } from '../npy/npy.js';
import { c128, isComplexDtype, isFloatDtype, sizeOf, type NdArray } from '../npy/types.js';
import { METADATA_KEY, metadataArray, readMetadata, requireReadableMetadata, type MetadataResult } from './metadata.js';
import { checkDecodeFits } from './memory.js';
import { counted } from '../text.js';
import { floatStep, WARN_POSITION_STEP_PX } from './geometry.js';
import { nonSquarePatternsMessage } from './hdf5/frames.js';

export const REQUIRED_KEYS = ['diffraction', 'probeGuess', 'xcoords', 'ycoords'] as const;
export const OPTIONAL_KEYS = ['objectGuess', 'xcoords_start', 'ycoords_start', 'scan_index', 'Y', 'ground_truth_patches', 'filenames', METADATA_KEY] as const;
/**
 * The arrays a reconstruction reads of a dataset NPZ (`loadDataset` with `keys: 'required'`, as `lsqml` and a Phase F job
 * read it), besides `_metadata`: the required keys and `objectGuess`. The other optional keys are not read for it.
 */
export const RECONSTRUCTION_KEYS = [...REQUIRED_KEYS, 'objectGuess'] as const;
/** What ends a line about a key a reconstruction does not read (`ValidateOptions.unreadKeys`). */
export const UNREAD_KEY_NOTE = '(a reconstruction does not read this key)';

/**
 * Largest |coordinate| accepted, in pixels: 2^24, where float32 still holds every integer and far
 * inside Int32, so a coordinate can never wrap when the engine rounds it to a patch corner.
 */
export const MAX_COORDINATE = 2 ** 24;

export interface Dataset {
  /** Where it was read from (used in messages); absent for datasets built in memory. */
  file?: string;
  /** Number of diffraction patterns and their height and width. */
  n: number;
  H: number;
  W: number;
  /** Amplitudes, [n, H, W] row-major. */
  diffraction: Float32Array;
  /** Complex 2-D object ('<c8' or '<c16', interleaved re/im), as stored; absent for measured data (no ground truth). */
  objectGuess?: NdArray;
  /** Complex [H, W] probe ('<c8' or '<c16'), as stored; zeros when `probeAbsent`. */
  probeGuess: NdArray;
  /** The file holds no `probeGuess` (read with `probeOptional`): the caller supplies the probe. */
  probeAbsent?: boolean;
  /** Scan-centre coordinates in object pixels, length n. */
  xcoords: Float64Array;
  ycoords: Float64Array;
  /** The optional DATA-001 keys that were read, except `_metadata` (`loadDataset` reads no other key). */
  extra: Record<string, NdArray>;
  /** Keys `loadDataset` did not read (outside DATA-001, or not asked for). */
  skippedKeys?: string[];
  /** Parsed `_metadata`; undefined when absent or broken. */
  metadata?: Record<string, unknown>;
  /** Why `_metadata` is present but could not be read. */
  metadataError?: string;
  /** What validation changed or noticed without refusing the data (e.g. a legacy [H,W,n] layout). */
  warnings?: string[];
}

/** A dataset that breaks the contract; `violations` holds one line per problem (the message: that line alone, or all of them under a heading). */
export class DatasetError extends InputError {
  constructor(readonly file: string, readonly violations: string[]) {
    // one problem: its own line (it names the file, the key, what was expected and what was found)
    super(violations.length === 1 ? violations[0]! : `${file}: not a valid dataset (DATA-001), ${violations.length} problems:\n` +
      violations.map((v) => `  ${v}`).join('\n'));
    this.name = 'DatasetError';
  }
}

const isFloat = (a: NdArray): boolean => isFloatDtype(a.dtype);
const isComplex = (a: NdArray): boolean => isComplexDtype(a.dtype);
const isInt = (a: NdArray): boolean => /^[<|][iu][1248]$/.test(a.dtype);

/** Counts non-finite (and, with `nonNegative`, negative) values; describes the first one. */
function scanValues(data: ArrayLike<number>, nonNegative: boolean): string | null {
  let nonFinite = 0;
  let negative = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) { nonFinite++; if (first < 0) first = i; } else if (nonNegative && v < 0) { negative++; if (first < 0) first = i; }
  }
  if (first < 0) return null;
  const parts: string[] = [];
  if (nonFinite) parts.push(counted(nonFinite, 'non-finite value'));
  if (negative) parts.push(counted(negative, 'negative value'));
  return `${parts.join(' and ')} (first: ${data[first]} at flat index ${first})`;
}

/** Values outside [lo, hi] (NaN-free input): how many and the first, or null when there are none. */
export function outside(data: ArrayLike<number>, lo: number, hi: number): string | null {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo || v > hi) { count++; if (first < 0) first = i; }
  }
  if (first < 0) return null;
  return `${data[first]} at index ${first}${count > 1 ? ` (${count} values outside)` : ''}`;
}

/**
 * Scan coordinates read outside `validateDataset` (Phase G's ground truth, the report): finite and within
 * ±MAX_COORDINATE, else an InputError `FILE: key 'KEY': expected …; found …` — the same bound the dataset
 * contract applies, so no reader turns a coordinate of 1e300 into another position.
 */
export function checkCoordinates(data: ArrayLike<number>, file: string, key: string): void {
  const why = scanValues(data, false);
  if (why) throw new InputError(`${file}: key '${key}': expected finite coordinates; found ${why}`);
  const far = outside(data, -MAX_COORDINATE, MAX_COORDINATE);
  if (far) throw new InputError(`${file}: key '${key}': expected coordinates within ±${MAX_COORDINATE} pixels (MAX_COORDINATE); found ${far}`);
}

/**
 * Whether the summed intensity of the patterns of an [n, H, W] stack peaks within 2 pixels of [H/2, W/2], where
 * the zero frequency of a centred far field is; a legacy [H, W, n] stack read as [n, H, W] does not, but by chance.
 */
function brightestNearCentre(src: ArrayLike<number>, n: number, H: number, W: number): boolean {
  const sum = new Float64Array(H * W);
  for (let k = 0; k < n; k++) for (let i = 0; i < H * W; i++) { const v = src[k * H * W + i]!; sum[i]! += v * v; }
  let best = 0;
  for (let i = 1; i < H * W; i++) if (sum[i]! > sum[best]!) best = i;
  return Math.abs(Math.floor(best / W) - H / 2) <= 2 && Math.abs((best % W) - W / 2) <= 2;
}

/** [H,W,n] → [n,H,W]. */
function transposeHWN(src: ArrayLike<number>, H: number, W: number, n: number): Float32Array {
  const out = new Float32Array(n * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const base = (y * W + x) * n;
      const o = y * W + x;
      for (let k = 0; k < n; k++) out[k * H * W + o] = src[base + k]!;
    }
  }
  return out;
}

export interface ValidateOptions {
  /** Metadata already read by the caller (e.g. `loadDataset`), used instead of `arrays._metadata`. */
  metadata?: MetadataResult;
  /**
   * An absent `probeGuess` is no violation: the dataset then holds zeros of [H, W] and `probeAbsent`, for a
   * reconstruction whose probe comes from elsewhere (a probe model, a probe file) or that refuses it itself.
   */
  probeOptional?: boolean;
  /**
   * Optional keys a reconstruction does not read (xcoords_start, scan_index, Y, …: `inspect --check` of the file for
   * `lsqml`): a problem of one of them is a warning ending UNREAD_KEY_NOTE, not a violation, as `lsqml` runs the file.
   */
  unreadKeys?: readonly string[];
  /** Every key of the file (read or not): a missing `diffraction` beside PtychoPINN's raw-data name `diff3d` is refused saying so. */
  fileKeys?: readonly string[];
}

/**
 * PtychoPINN's raw-data name for the patterns (hoidn/PtychoPINN ptycho/raw_data.py RawData.to_file, scripts/simulation/
 * simulate_and_save.py), which its canonical dataset renames to `diffraction` (scripts/tools/transpose_rename_convert_tool.py).
 */
export const PTYCHOPINN_RAW_DIFFRACTION = 'diff3d';

/** What is found of a missing `diffraction`: said to be under PtychoPINN's raw-data name when the file holds that. */
function missingDiffraction(fileKeys: readonly string[] | undefined): string {
  if (!fileKeys?.includes(PTYCHOPINN_RAW_DIFFRACTION)) return 'it missing';
  return `it missing, and the patterns under '${PTYCHOPINN_RAW_DIFFRACTION}', PtychoPINN's raw-data name (RawData.to_file), which its canonical ` +
    `datasets rename: rename the key to 'diffraction' (PtychoPINN's transpose_rename_convert_tool.py does; or in numpy: ` +
    `d = dict(np.load(F)); d['diffraction'] = d.pop('diff3d'); np.savez(G, **d))`;
}

/**
 * Checks `arrays` against DATA-001 and returns the typed dataset plus warnings, or throws a
 * `DatasetError` listing every violation. `file` names the source in messages.
 */
export function validateDataset(arrays: Readonly<Record<string, NdArray>>, file: string, opts: ValidateOptions = {}): { dataset: Dataset; warnings: string[] } {
  if (arrays === null || typeof arrays !== 'object' || Array.isArray(arrays)) {
    throw new DatasetError(file, [`${file}: expected the arrays by key ({ diffraction, probeGuess, xcoords, ycoords, … }, as loadNpz gives them); found ${arrays === null ? 'null' : Array.isArray(arrays) ? 'an array' : typeof arrays}`]);
  }
  const violations: string[] = [];
  const warnings: string[] = [];
  const unread = new Set(opts.unreadKeys ?? []);
  const bad = (key: string, expected: string, found: string): void => {
    const line = `${file}: key '${key}': expected ${expected}; found ${found}`;
    if (unread.has(key)) warnings.push(`${line} ${UNREAD_KEY_NOTE}`);
    else violations.push(line);
  };
  const get = (k: string): NdArray | undefined => (Object.prototype.hasOwnProperty.call(arrays, k) ? arrays[k] : undefined);

  for (const k of REQUIRED_KEYS) {
    if (!get(k) && !(k === 'probeGuess' && opts.probeOptional)) bad(k, 'a required DATA-001 key', k === 'diffraction' ? missingDiffraction(opts.fileKeys) : 'it missing');
  }

  // Length of the coordinate arrays, used to recognise a legacy [H,W,n] diffraction.
  const x0 = get('xcoords');
  const nCoords = x0 && x0.shape.length === 1 ? x0.shape[0]! : undefined;

  let n = 0, H = 0, W = 0;
  let diffraction: Float32Array | undefined;
  const d = get('diffraction');
  // A 3-D diffraction tells [n, H, W] whatever its dtype and values, so the other keys are checked against it in the
  // same pass (every problem at once: a complex stack and short coordinates are two lines, not one and then the other)
  const haveShape = d !== undefined && d.shape.length === 3;
  const legacy = haveShape && isLegacyLayout(d.shape, nCoords);
  if (haveShape) {
    const [a, b, c] = d.shape as [number, number, number];
    [n, H, W] = legacy ? [c, a, b] : [a, b, c];
  }
  if (d) {
    if (isComplex(d)) bad('diffraction', 'float amplitudes (<f4 or <f8)', `complex dtype ${d.dtype} — diffraction must be float (amplitude), not complex`);
    else if (!isFloat(d)) bad('diffraction', 'float amplitudes (<f4 or <f8)', `dtype ${d.dtype}`);
    else if (d.shape.length !== 3) bad('diffraction', '3-D [n, H, W]', `shape ${formatShape(d.shape)}`);
    else {
      const src = d.data as Float32Array | Float64Array;
      let [a, b, c] = d.shape as [number, number, number];
      if (legacy) {
        warnings.push(`${file}: key 'diffraction': legacy [H, W, n] layout ${formatShape(d.shape)} transposed to [n, H, W] (${c}, ${a}, ${b})`);
        diffraction = transposeHWN(src, a, b, c);
        [a, b, c] = [c, a, b];
      } else if (nCoords !== undefined && a === nCoords && c === nCoords && !brightestNearCentre(src, a, b, c)) {
        // [n, H, W] with n = W, or a legacy [H, W, n] with H = n: the shape cannot tell which (an 8×8 raster of 64×64
        // patterns); read as [n, H, W], the patterns' summed intensity should peak at the zero frequency [H/2, W/2]
        warnings.push(`${file}: key 'diffraction': shape ${formatShape(d.shape)} with ${nCoords} coordinates is read as [n, H, W], but the ` +
          `patterns' summed intensity does not peak at [H/2, W/2] (the zero frequency): a legacy [H, W, n] stack with H = n has the same shape; ` +
          'if it is one, save it as [n, H, W]');
      }
      if (diffraction === undefined && d.dtype === '<f8') {
        warnings.push(`${file}: key 'diffraction': float64 converted to float32`);
        diffraction = Float32Array.from(src);
      } else if (diffraction === undefined) {
        diffraction = src as Float32Array;
      }
      const why = scanValues(diffraction, true);
      if (why) { bad('diffraction', 'finite amplitudes ≥ 0', why); diffraction = undefined; }
    }
  }

  const complex2d = (key: string, hw?: [number, number]): NdArray | undefined => {
    const a = get(key);
    if (!a) return undefined;
    const want = hw ? `complex (<c8 or <c16) [H, W] = ${formatShape(hw)}` : 'complex (<c8 or <c16) 2-D array';
    if (!isComplex(a)) { bad(key, want, `dtype ${a.dtype}, shape ${formatShape(a.shape)}`); return undefined; }
    if (a.shape.length !== 2 || (hw && (a.shape[0] !== hw[0] || a.shape[1] !== hw[1]))) { bad(key, want, `shape ${formatShape(a.shape)}`); return undefined; }
    return a;
  };
  const objectGuess = complex2d('objectGuess');
  const probeAbsent = opts.probeOptional === true && !get('probeGuess');
  const probeGuess = probeAbsent ? c128([H, W], new Float64Array(2 * H * W)) : complex2d('probeGuess', haveShape ? [H, W] : undefined);
  for (const [key, a] of [['objectGuess', objectGuess], ['probeGuess', probeGuess]] as const) {
    const why = a ? scanValues(a.data as Float32Array | Float64Array, false) : null;
    if (why) bad(key, 'finite values', why.replace('at flat index', 'at interleaved re/im index'));
  }

  const coords = (key: string, required: boolean): Float64Array | undefined => {
    const a = get(key);
    if (!a) return undefined;
    const want = `float (<f4 or <f8) 1-D array${haveShape ? ` of length n = ${n}` : ''}, finite`;
    if (!isFloat(a)) { bad(key, want, `dtype ${a.dtype}`); return undefined; }
    if (a.shape.length !== 1) { bad(key, want, `shape ${formatShape(a.shape)}`); return undefined; }
    if (haveShape && a.shape[0] !== n) { bad(key, want, `length ${a.shape[0]} (diffraction has n = ${n})`); return undefined; }
    const why = scanValues(a.data as Float32Array | Float64Array, false);
    if (why) { bad(key, 'finite coordinates', why); return undefined; }
    const far = outside(a.data as Float32Array | Float64Array, -MAX_COORDINATE, MAX_COORDINATE);
    if (far) { bad(key, `coordinates within ±${MAX_COORDINATE} pixels (MAX_COORDINATE)`, far); return undefined; }
    if (!required) return undefined;
    if (a.dtype === '<f8') return a.data as Float64Array;
    // float32 holds 24 significant bits: near 1e7 pixels its values are a whole pixel apart, whatever the scan's span
    let big = 0;
    for (const v of a.data as Float32Array) big = Math.max(big, Math.abs(v));
    const step = floatStep(big, 23);
    if (step > WARN_POSITION_STEP_PX) {
      warnings.push(`${file}: key '${key}': coordinates are rounded by up to ${(step / 2).toPrecision(2)} pixels in the file (values up to ${big} stored as float32, which are ${step} pixel${step === 1 ? '' : 's'} apart there); store them as float64, or relative to the scan`);
    }
    return Float64Array.from(a.data as Float32Array);
  };
  const xcoords = coords('xcoords', true);
  const ycoords = coords('ycoords', true);
  coords('xcoords_start', false);
  coords('ycoords_start', false);

  const si = get('scan_index');
  if (si) {
    const want = `integer 1-D array${haveShape ? ` of length n = ${n}` : ''}`;
    if (!isInt(si)) bad('scan_index', want, `dtype ${si.dtype}`);
    else if (si.shape.length !== 1 || (haveShape && si.shape[0] !== n)) bad('scan_index', want, `shape ${formatShape(si.shape)}`);
  }
  for (const key of ['Y', 'ground_truth_patches']) {
    const a = get(key);
    if (!a) continue;
    const first = key === 'Y' ? 'm' : 'n';
    const want = `complex (<c8 or <c16) [${first}, H, W] or [${first}, H, W, 1]${haveShape ? ` with H, W = ${H}, ${W}${key === 'Y' ? '' : `, n = ${n}`}` : ''}`;
    const s = a.shape;
    const shapeOk = (s.length === 3 || (s.length === 4 && s[3] === 1)) &&
      (!haveShape || (s[1] === H && s[2] === W && (key === 'Y' || s[0] === n)));
    if (!isComplex(a)) bad(key, want, `dtype ${a.dtype}`);
    else if (!shapeOk) bad(key, want, `shape ${formatShape(s)}`);
  }
  const fn = get('filenames');
  if (fn && !/^(<U|\|S)\d+$/.test(fn.dtype)) bad('filenames', "a string array ('<U' or '|S')", `dtype ${fn.dtype}`);

  let metadata = opts.metadata;
  const m = get(METADATA_KEY);
  if (!metadata && m) {
    if (!/^(<U\d+|\|S\d+|\|O)$/.test(m.dtype) || sizeOf(m.shape) !== 1) {
      bad(METADATA_KEY, "a 0-d JSON string ('<U', '|S' or pickled str)", `dtype ${m.dtype}, shape ${formatShape(m.shape)}`);
    } else {
      metadata = readMetadata(m);
    }
  }
  if (metadata?.status === 'error') warnings.push(`${file}: key '${METADATA_KEY}': present but unreadable (${metadata.error})`);

  if (violations.length > 0) throw new DatasetError(file, violations);

  const extra: Record<string, NdArray> = {};
  for (const [k, v] of Object.entries(arrays)) {
    if (!(REQUIRED_KEYS as readonly string[]).includes(k) && k !== 'objectGuess' && k !== METADATA_KEY) extra[k] = v;
  }
  const dataset: Dataset = {
    file, n, H, W,
    diffraction: diffraction!, probeGuess: probeGuess!, xcoords: xcoords!, ycoords: ycoords!,
    extra, warnings,
  };
  if (objectGuess) dataset.objectGuess = objectGuess;
  if (probeAbsent) dataset.probeAbsent = true;
  if (metadata?.status === 'ok') dataset.metadata = metadata.value;
  if (metadata?.status === 'error') dataset.metadataError = metadata.error;
  return { dataset, warnings };
}

export interface LoadDatasetOptions extends NpzReadOptions {
  /**
   * Which keys are read: 'contract' (default) every DATA-001 key present; 'required' only what a
   * reconstruction uses — the four required keys and `objectGuess` when present (other optional keys
   * are then neither read nor checked). `_metadata` is always read; keys
   * outside DATA-001 never are (they are listed in `skippedKeys`).
   */
  keys?: 'contract' | 'required';
  /** See `ValidateOptions.probeOptional`. */
  probeOptional?: boolean;
  /**
   * 'record' (default): a present but unreadable `_metadata` is recorded in `metadataError` and the
   * data is still returned; 'strict': it is an InputError (`requireReadableMetadata`), for a job whose
   * result depends on it. Absent metadata is allowed either way.
   */
  metadata?: 'record' | 'strict';
  /**
   * Called with the headers of the members about to be read — before any of them is read — to refuse
   * work that cannot fit (e.g. `checkLsqmlJobFits`). The sum of their sizes is always checked against
   * the memory limit (`checkDecodeFits`).
   */
  beforeDecode?: (headers: Record<string, MemberHeader>) => void;
  /**
   * Patterns that are not square are refused from `diffraction`'s header (LSQML's line, `nonSquarePatternsMessage`),
   * before the memory checks and before any member is inflated, as the CXI and .ptyd readers refuse them.
   */
  squarePatterns?: boolean;
}

/**
 * Reads and validates a dataset NPZ, reading only the keys asked for (see `LoadDatasetOptions`), each
 * only after every header has been checked. Throws NpzError/NpyError (unreadable), InputError (too
 * large for memory, or broken `_metadata` with `metadata: 'strict'`) or DatasetError (contract).
 */
export function loadDataset(path: string, opts: LoadDatasetOptions = {}): Dataset {
  const r = NpzReader.open(path, opts);
  try {
    const read = checkDatasetHeaders(r, path, opts);
    const arrays: Record<string, NdArray> = {};
    for (const k of read.keys) arrays[k] = r.get(k);
    return datasetOf(arrays, path, read, opts);
  } finally {
    r.close();
  }
}

/**
 * Reads a dataset NPZ as `loadDataset` does (the same checks, the same dataset), member by member without blocking the
 * event loop (`NpzReader.read`: a deflated member inflated in 1 MiB pieces): what an LSQML job reads its input with, so
 * that a stop reaches it during the read. `signal` aborted, seen between two members or two pieces of one, stops the
 * read: it rejects with `abortError` and nothing more is read.
 */
export async function loadDatasetStoppable(path: string, opts: LoadDatasetOptions = {}, signal?: AbortSignal): Promise<Dataset> {
  const r = NpzReader.open(path, opts);
  try {
    const read = checkDatasetHeaders(r, path, opts);
    const arrays: Record<string, NdArray> = {};
    for (const k of read.keys) arrays[k] = await r.read(k, signal);
    return datasetOf(arrays, path, read, opts);
  } finally {
    r.close();
  }
}

/** What `loadDataset` checks before it reads a member: the keys it will read, those it skips, `_metadata` (read). */
interface DatasetRead { keys: string[]; skippedKeys: string[]; metadata: ReturnType<typeof readMetadata>; fileKeys: string[] }

function checkDatasetHeaders(r: NpzReader, path: string, opts: LoadDatasetOptions): DatasetRead {
  const wanted = new Set<string>(opts.keys === 'required' ? [...RECONSTRUCTION_KEYS, METADATA_KEY] : [...REQUIRED_KEYS, ...OPTIONAL_KEYS]);
  const keys = r.keys().filter((k) => wanted.has(k) && k !== METADATA_KEY);
  const skippedKeys = r.keys().filter((k) => !wanted.has(k));
  // A broken `_metadata` (bad JSON, an unsafe pickle) is recorded, not fatal — unless the caller needs it.
  const metadata = readMetadata(r);
  if (opts.metadata === 'strict') requireReadableMetadata(metadata, path);
  const headers: Record<string, MemberHeader> = {};
  for (const k of keys) headers[k] = r.header(k);
  checkCoordinateCounts(path, headers);
  if (opts.squarePatterns) checkSquareFromHeaders(path, headers);
  checkDecodeFits(path, headers);
  opts.beforeDecode?.(headers);
  return { keys, skippedKeys, metadata, fileKeys: r.keys() };
}

function datasetOf(arrays: Record<string, NdArray>, path: string, read: DatasetRead, opts: LoadDatasetOptions): Dataset {
  const { dataset } = validateDataset(arrays, path, { metadata: read.metadata, fileKeys: read.fileKeys, ...(opts.probeOptional ? { probeOptional: true } : {}) });
  if (read.skippedKeys.length > 0) dataset.skippedKeys = read.skippedKeys;
  return dataset;
}

/** The arrays to write for a dataset: the DATA-001 keys, `extra`, and `_metadata` (as 0-d '<U') when set. */
export function datasetToArrays(ds: Dataset): Record<string, NdArray> {
  const out: Record<string, NdArray> = {
    diffraction: { dtype: '<f4', shape: [ds.n, ds.H, ds.W], data: ds.diffraction },
    ...(ds.objectGuess ? { objectGuess: ds.objectGuess } : {}),
    probeGuess: ds.probeGuess,
    xcoords: { dtype: '<f8', shape: [ds.n], data: ds.xcoords },
    ycoords: { dtype: '<f8', shape: [ds.n], data: ds.ycoords },
  };
  for (const [k, v] of Object.entries(ds.extra ?? {})) if (k !== METADATA_KEY) out[k] = v;
  if (ds.metadata) out[METADATA_KEY] = metadataArray(ds.metadata);
  return out;
}

/**
 * Writes a dataset NPZ atomically (compressed unless `opts.compress === false`). A dataset of other parts than
 * `Dataset`'s (a script's, built in memory) is a DatasetError naming each, before anything is written; `extra`
 * may be left out.
 */
export function saveDataset(path: string, ds: Dataset, opts: NpzWriteOptions = {}): void {
  checkDatasetParts(path, ds);
  saveNpz(path, datasetToArrays(ds), opts);
}

/** What `datasetToArrays` takes from a dataset, checked: the counts, the typed arrays and their lengths, the probe. */
function checkDatasetParts(path: string, ds: unknown): void {
  const what = (v: unknown): string => (v === null ? 'null' : v === undefined ? 'nothing' : ArrayBuffer.isView(v) ? `a ${v.constructor.name} of ${(v as Float64Array).length} values` : Array.isArray(v) ? `an array of ${v.length}` : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 40)}`);
  if (typeof ds !== 'object' || ds === null || Array.isArray(ds)) {
    throw new DatasetError(path, [`${path}: expected a dataset { n, H, W, diffraction, probeGuess, xcoords, ycoords }; found ${what(ds)}`]);
  }
  const d = ds as Record<string, unknown>;
  const problems: string[] = [];
  const bad = (key: string, expected: string): void => { problems.push(`${path}: key '${key}': expected ${expected}; found ${what(d[key])}`); };
  for (const k of ['n', 'H', 'W']) if (!Number.isSafeInteger(d[k]) || (d[k] as number) < 1) bad(k, 'a positive integer');
  const n = Number.isSafeInteger(d.n) ? d.n as number : NaN;
  const patterns = n * (d.H as number) * (d.W as number);
  if (!(d.diffraction instanceof Float32Array) || (Number.isFinite(patterns) && d.diffraction.length !== patterns)) {
    bad('diffraction', Number.isFinite(patterns) ? `a Float32Array of n·H·W = ${patterns} values` : 'a Float32Array of n·H·W values');
  }
  for (const k of ['xcoords', 'ycoords']) {
    if (!(d[k] instanceof Float64Array) || (Number.isFinite(n) && (d[k] as Float64Array).length !== n)) bad(k, Number.isFinite(n) ? `a Float64Array of n = ${n} values` : 'a Float64Array of n values');
  }
  for (const k of ['probeGuess', 'objectGuess']) {
    const a = d[k];
    if (a === undefined && k === 'objectGuess') continue;
    if (typeof a !== 'object' || a === null || !('dtype' in a) || !('shape' in a) || !('data' in a)) bad(k, 'an array { dtype, shape, data }');
  }
  if (d.extra !== undefined && (typeof d.extra !== 'object' || d.extra === null)) bad('extra', 'an object of further arrays, or none');
  if (problems.length > 0) throw new DatasetError(path, problems);
}

/** Whether a 3-D `diffraction` shape is the legacy [H, W, n] layout: its last axis, not its first, is the coordinates' count. */
/**
 * Coordinates whose count differs from the patterns' are refused from the headers, with the line
 * `validateDataset` gives after decoding: a small zip declaring 50 000 zero patterns beside 87
 * coordinates used to inflate 819 MB (8.7 s) before it was refused.
 */
function checkCoordinateCounts(path: string, headers: Readonly<Record<string, MemberHeader>>): void {
  const d = headers.diffraction, x = headers.xcoords;
  if (!d || d.shape.length !== 3 || !isFloatDtype(d.descr) || !x || x.shape.length !== 1) return;
  const n = isLegacyLayout(d.shape, x.shape[0]) ? d.shape[2]! : d.shape[0]!;
  const violations: string[] = [];
  for (const key of ['xcoords', 'ycoords']) {
    const h = headers[key];
    if (h && h.shape.length === 1 && isFloatDtype(h.descr) && h.shape[0] !== n) {
      violations.push(`${path}: key '${key}': expected float (<f4 or <f8) 1-D array of length n = ${n}, finite; found length ${h.shape[0]} (diffraction has n = ${n})`);
    }
  }
  if (violations.length > 0) throw new DatasetError(path, violations);
}

/**
 * LSQML's refusal of patterns that are not square, from the headers: a 3-D float `diffraction` [n, H, W] (or a legacy
 * [H, W, n], told by `xcoords`) whose H ≠ W. Other shapes and dtypes are left to the contract (validateDataset).
 */
function checkSquareFromHeaders(path: string, headers: Readonly<Record<string, MemberHeader>>): void {
  const d = headers.diffraction, x = headers.xcoords;
  if (!d || d.shape.length !== 3 || !isFloatDtype(d.descr)) return;
  const nCoords = x && x.shape.length === 1 ? x.shape[0] : undefined;
  const [a, b, c] = d.shape as [number, number, number];
  const [H, W] = isLegacyLayout(d.shape, nCoords) ? [a, b] : [b, c];
  if (H !== W) throw new InputError(nonSquarePatternsMessage(path, 'diffraction', H, W));
}

function isLegacyLayout(shape: readonly number[], nCoords: number | undefined): boolean {
  return nCoords !== undefined && shape[0] !== nCoords && shape[2] === nCoords;
}

/**
 * The pattern size [H, W] of a dataset NPZ from the headers of `diffraction` (and `xcoords`, which tells a
 * legacy [H, W, n] stack), nothing decoded; null when the file cannot tell it (unreadable, no 3-D float
 * `diffraction`) — a reconstruction of that file then reports why.
 */
export function patternSizeOf(path: string): [number, number] | null {
  return fromHeaders(path, (r) => {
    if (!r.has('diffraction')) return null;
    const d = r.header('diffraction');
    if (d.shape.length !== 3) return null;
    const x = r.has('xcoords') ? r.header('xcoords') : undefined;
    const nCoords = x && x.shape.length === 1 ? x.shape[0]! : undefined;
    const [a, b, c] = d.shape as [number, number, number];
    return isLegacyLayout(d.shape, nCoords) ? [a, b] : [b, c];
  });
}

/**
 * The object frame [H, W] of a dataset NPZ from the header of its `objectGuess`, nothing decoded; null when
 * the file cannot tell it (unreadable, no 2-D `objectGuess`: measured data, whose frame its scan makes).
 */
export function objectShapeOf(path: string): [number, number] | null {
  return fromHeaders(path, (r) => {
    if (!r.has('objectGuess')) return null;
    const s = r.header('objectGuess').shape;
    return s.length === 2 ? [s[0]!, s[1]!] : null;
  });
}

/** What `read` finds in the member headers of the NPZ `path`; null when the file or a header cannot be read. */
function fromHeaders<T>(path: string, read: (r: NpzReader) => T | null): T | null {
  let r: NpzReader;
  try {
    r = NpzReader.open(path);
  } catch {
    return null;
  }
  try {
    return read(r);
  } catch {
    return null;
  } finally {
    r.close();
  }
}
