/**
 * What `ptychostudy inspect` reports about an NPZ: per key dtype, shape, sizes and (numeric keys)
 * min / max / mean / NaN count — of the modulus for complex keys — plus the decoded `_metadata` and,
 * on request, the DATA-001 check. Keys are read one at a time, so only one array is held; a member
 * larger than INSPECT_WHOLE_BYTES is summarised slice by slice instead of read whole. The check needs
 * the DATA-001 keys in memory together: their sizes are checked against the memory limit first.
 */
import { InputError, UsageError } from '../errors.js';
import { NpzError } from '../npy/errors.js';
import { NpzReader, type MemberHeader, type NpzReadOptions } from '../npy/npz.js';
import { sniffFile } from './hdf5/signature.js';
import { decodeNumeric, type DtypeInfo } from '../npy/npy.js';
import type { NdArray, NumericData } from '../npy/types.js';
import { DatasetError, OPTIONAL_KEYS, RECONSTRUCTION_KEYS, UNREAD_KEY_NOTE, validateDataset, type Dataset } from './dataset.js';
import { checkDecodeFits, formatBytes, jobMemoryLine, memoryLimit, npzJobBytes, type LsqmlJobRequest } from './memory.js';
import { checkPositionsOnObject } from './job-input.js';
import { npzGeometry, npzRadiationMessage, frameSettingsMessage, sampling } from './input.js';
import { intensityScale, missingProbeGuessMessage, patternRefusals } from './reconstruction-refusals.js';
import { cxiEntryMessage } from './cxi.js';
import { DEFAULT_OBJECT_MARGIN, scanFrame, type Radiation } from './geometry.js';
import type { FramePrep } from './hdf5/frames.js';
import type { ProbeData } from './measured.js';
import { MAX_METADATA_BYTES, METADATA_KEY, readMetadata, requireReadableMetadata, type MetadataResult } from './metadata.js';
import { framesChanged } from './hdf5/frames.js';

/**
 * The patterns a reconstruction's starting probe is made or read for, whatever the input: their size and number, the
 * amplitudes (the model probe is scaled to their mean power), and what the data states of its sampling and radiation.
 */
export interface ProbePatterns {
  file: string;
  H: number;
  W: number;
  n: number;
  /** Amplitudes [n, H, W]. */
  diffraction: ArrayLike<number>;
  wavelengthM?: number;
  /** The object pixel size [y, x] in m. */
  pixelM?: [number, number];
  radiation?: Radiation;
}

/** See InitialProbeOf. */
export interface GivenProbe { probe: ProbeData; setting: 'reconstruction.probeModel' | 'reconstruction.initProbe'; notes: string[] }

/**
 * The probe a reconstruction starts from when its settings give one, for the patterns read, as `lsqml` makes it (given
 * by the caller, which holds the settings: `inspect --check` with --probe-model, --init-probe file:PATH or --config FILE):
 * reconstruction.probeModel's model, or reconstruction.initProbe's file read for the patterns' size (measured data: after
 * the crop and binning); `setting` names which, `notes` are said as warnings. It throws as `lsqml` does: InputError for
 * a probe file that does not fit, UsageError for a model the data cannot make. A dataset NPZ and measured data alike.
 */
export type InitialProbeOf = (p: ProbePatterns) => Promise<GivenProbe>;

/** The object frame a reconstruction of the data builds, for an object file given with it. */
export interface ObjectFrameOf {
  file: string;
  /** The object frame [H, W]. */
  shape: [number, number];
  /** The data's object pixel size [y, x] in m, when it states one. */
  pixelM?: [number, number];
  /** Measured data: metres [y, x] at the object's pixel coordinate 0. */
  originM?: readonly [number, number];
}

/**
 * The object file a reconstruction starts from when its settings name one (reconstruction.initObject file:PATH; given by
 * the caller, which holds the settings: `inspect --check --init-object`), read as `lsqml` reads it for the data's object
 * frame: the line `inspect --check` shows, and the warnings of its reading; it throws lsqml's InputError for one that
 * does not fit. A dataset NPZ and measured data alike.
 */
export type InitialObjectOf = (f: ObjectFrameOf) => Promise<{ line: string; warnings: string[] }>;

/** A number to five significant digits, as `inspect --check` writes lengths and energies. */
export const p5 = (v: number): string => String(Number(v.toPrecision(5)));

/** A probe's modes, size and (when stated) pixel size, as `inspect --check` shows it. */
export const probeText = (p: Pick<ProbeData, 'modes' | 'height' | 'width' | 'pixelM'>): string =>
  `${p.modes} mode${p.modes === 1 ? '' : 's'} of ${p.height}×${p.width}${p.pixelM ? `, pixel [${p.pixelM.map(p5).join(', ')}] m` : ''}`;

/** The notes of a probe the settings give, as warnings: each named by the setting that gave it, with its flag (as lsqml names them). */
export function givenProbeWarnings(given: GivenProbe | undefined): string[] {
  if (given === undefined) return [];
  const setting = given.setting === 'reconstruction.probeModel' ? 'reconstruction.probeModel (--probe-model)' : 'reconstruction.initProbe (--init-probe)';
  return given.notes.map((n) => `${setting}: ${n}`);
}

/** The probe line of `inspect --check` for a probe the settings give. */
export function givenProbeLine(given: GivenProbe): string {
  return `probe: ${given.probe.source} (${given.setting}), ${probeText(given.probe)}${given.setting === 'reconstruction.initProbe' ? ', the patterns\' size' : ''}`;
}

/**
 * Members up to this many bytes are read whole; larger numeric ones are summarised slice by slice
 * (their statistics are the same; memory is one slice), larger string arrays get no preview.
 */
export const INSPECT_WHOLE_BYTES = 256 * 2 ** 20;

export interface ArrayStats {
  /** 'modulus' for complex arrays (statistics of |z|), 'value' otherwise (bool counts as 0/1). */
  of: 'value' | 'modulus';
  /** Elements that are not NaN (for complex: neither part NaN). */
  count: number;
  /** Over the non-NaN elements; null when there are none. int64/uint64 extremes are exact bigints. */
  min: number | bigint | null;
  max: number | bigint | null;
  mean: number | null;
  /** NaN elements (complex: either part NaN). */
  nan: number;
}

export interface KeySummary {
  key: string;
  dtype: string;
  shape: number[];
  /** Bytes of the `.npy` member, and as stored in the archive. */
  bytes: number;
  storedBytes: number;
  compression: 'stored' | 'deflate';
  stats?: ArrayStats;
  /** For string, bytes and object arrays: display forms of the first elements (shortened). */
  preview?: string[];
}

export interface NpzSummary {
  file: string;
  /** What the NPZ is when it is not a dataset: ptychodus's NPZ product (its check is then the probe and object files'). */
  kind?: 'ptychodus product (NPZ)';
  fileBytes: number;
  keys: KeySummary[];
  metadata: MetadataResult;
  /** Present when the DATA-001 check was asked for; `reads`: what a reconstruction takes besides the contract (its probe), when valid. */
  check?: { valid: boolean; reads: string[]; violations: string[]; warnings: string[] };
}

/**
 * Running min / max / mean / NaN count of numeric data fed in pieces (whole elements each), so a member
 * can be summarised slice by slice. Complex data (interleaved) counts the modulus; bool 0/1; int64 and
 * uint64 extremes stay exact bigints.
 */
export class StatsAccumulator {
  private min = Infinity;
  private max = -Infinity;
  private bigMin: bigint | null = null;
  private bigMax: bigint | null = null;
  private sum = 0;
  private count = 0;
  private nan = 0;

  constructor(private readonly kind: 'f' | 'c' | 'i' | 'u' | 'b') {}

  add(d: NumericData): this {
    if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
      for (const v of d) {
        if (this.bigMin === null || v < this.bigMin) this.bigMin = v;
        if (this.bigMax === null || v > this.bigMax) this.bigMax = v;
        this.sum += Number(v);
      }
      this.count += d.length;
      return this;
    }
    const x = d as ArrayLike<number>;
    let { min, max, sum, count, nan } = this;
    if (this.kind === 'c') {
      for (let i = 0; i + 1 < x.length; i += 2) {
        const re = x[i]!, im = x[i + 1]!;
        if (Number.isNaN(re) || Number.isNaN(im)) { nan++; continue; }
        const m = Math.hypot(re, im);
        if (m < min) min = m;
        if (m > max) max = m;
        sum += m;
        count++;
      }
    } else {
      const bool = this.kind === 'b';
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (Number.isNaN(v)) { nan++; continue; }
        const w = bool ? (v ? 1 : 0) : v;
        if (w < min) min = w;
        if (w > max) max = w;
        sum += w;
        count++;
      }
    }
    Object.assign(this, { min, max, sum, count, nan });
    return this;
  }

  result(): ArrayStats {
    if (this.bigMin !== null || this.bigMax !== null) {
      const exact = (v: bigint | null): number | bigint | null => (v !== null && Number.isSafeInteger(Number(v)) ? Number(v) : v);
      return { of: 'value', count: this.count, min: exact(this.bigMin), max: exact(this.bigMax), mean: this.count ? this.sum / this.count : null, nan: 0 };
    }
    const c = this.count;
    return { of: this.kind === 'c' ? 'modulus' : 'value', count: c, min: c ? this.min : null, max: c ? this.max : null, mean: c ? this.sum / c : null, nan: this.nan };
  }
}

const numericKind = (dtype: string): 'f' | 'c' | 'i' | 'u' | 'b' | null => {
  const k = dtype.replace(/^[<>|=]/, '')[0];
  return k === 'f' || k === 'c' || k === 'i' || k === 'u' || k === 'b' ? k : null;
};

/** min / max / mean / NaN count of a numeric array; undefined for strings, bytes and objects. */
export function arrayStats(a: NdArray): ArrayStats | undefined {
  const kind = numericKind(a.dtype);
  if (kind === null || Array.isArray(a.data)) return undefined;
  return new StatsAccumulator(kind).add(a.data as NumericData).result();
}

/** Statistics of a numeric member read slice by slice (`NpzReader.stream`): memory of one slice. */
async function streamedStats(r: NpzReader, key: string, info: DtypeInfo): Promise<ArrayStats> {
  const kind = numericKind(info.dtype)!;
  const acc = new StatsAccumulator(kind);
  const es = info.itemsize;
  const carry = new Uint8Array(es);
  let held = 0;
  await r.stream(key, (bytes) => {
    let off = 0;
    if (held > 0) { // complete the element split across slices
      const take = Math.min(es - held, bytes.length);
      carry.set(bytes.subarray(0, take), held);
      held += take;
      off = take;
      if (held < es) return;
      acc.add(decodeNumeric(carry, info));
      held = 0;
    }
    const whole = Math.floor((bytes.length - off) / es) * es;
    if (whole > 0) acc.add(decodeNumeric(bytes.subarray(off, off + whole), info));
    off += whole;
    if (off < bytes.length) { carry.set(bytes.subarray(off), 0); held = bytes.length - off; }
  });
  return acc.result();
}

/** Display form of the first elements of a string, bytes or object array: "str", b'bytes', 3, None. */
function preview(a: NdArray, n = 3, width = 60): string[] | undefined {
  if (!Array.isArray(a.data)) return undefined;
  const shorten = (s: string): string => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  return (a.data as unknown[]).slice(0, n).map((v) => {
    if (typeof v === 'string') return JSON.stringify(shorten(v));
    if (v instanceof Uint8Array) return shorten(`b'${Buffer.from(v).toString('latin1').replace(/[^\x20-\x7e]|['\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`);
    if (v === null) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    return String(v);
  });
}

/**
 * The probe a reconstruction of the dataset starts from, as `lsqml` takes it: the settings' model or probe file
 * (`initialProbe`, for the patterns and what `_metadata.geometry` states of their sampling), else probeGuess.
 * Throws lsqml's refusals: InputError (a malformed `_metadata.geometry`, a probe file that does not fit) or UsageError.
 */
async function npzProbe(path: string, ds: Dataset, initialProbe?: InitialProbeOf): Promise<{ line: string; notes: string[] }> {
  const geometry = npzGeometry(ds, path);
  const s = sampling(geometry, path);
  if (initialProbe) {
    const radiation = geometry?.radiation === 'electron' || geometry?.radiation === 'photon' ? geometry.radiation : undefined;
    const given = await initialProbe({ file: path, H: ds.H, W: ds.W, n: ds.n, diffraction: ds.diffraction, ...s, ...(radiation ? { radiation } : {}) });
    return { line: givenProbeLine(given), notes: givenProbeWarnings(given) };
  }
  return { line: `probe: probeGuess, ${probeText({ modes: 1, height: ds.H, width: ds.W })}`, notes: [] };
}

/**
 * Reads an NPZ key by key and summarises it. Throws NpzError / NpyError when a key cannot be decoded
 * (a `_metadata` that cannot be decoded included); a `_metadata` that decodes but is not a JSON object,
 * or declares more than MAX_METADATA_BYTES, is reported as unreadable — and fails the check.
 */
export async function summarizeNpz(path: string, opts: NpzReadOptions & { check?: boolean; radiation?: Radiation | null; frames?: FramePrep; initialProbe?: InitialProbeOf; initialObject?: InitialObjectOf;
  /** The reconstruction's size (modes, batch, reconstruction.nImages) and precision the check holds the file to, as `lsqml` would; default: one mode, all patterns, float32. */
  job?: LsqmlJobRequest; precision?: 'float32' | 'float64';
  /** reconstruction.fftBackend the check holds the patterns' size to, as `lsqml` would (default auto). */
  fftBackend?: 'auto' | 'ts' | 'wasm'; } = {}): Promise<NpzSummary> {
  // reconstruction.cxiEntry names an entry of a CXI measurement: an NPZ has none (with --check, a violation below), as
  // summarizeHdf5 refuses it for an HDF5 file that holds none
  if (!opts.check && opts.frames?.cxiEntry != null) throw new InputError(cxiEntryMessage(path, opts.frames.cxiEntry, 'a dataset NPZ'));
  let r: NpzReader;
  try {
    r = NpzReader.open(path, opts);
  } catch (err) {
    // A CXI or .ptyd file is not a broken NPZ: say what it is instead of "truncated or not a zip archive".
    let hdf5 = false;
    try { hdf5 = err instanceof NpzError && sniffFile(path) === 'hdf5'; } catch { /* the NPZ reader's message stands */ }
    if (hdf5) throw new InputError(`${path}: an HDF5 file (CXI, PtyPy .ptyd …), not an NPZ; \`summarizeHdf5\` summarises it (as \`ptychostudy inspect\` does)`);
    throw err;
  }
  try {
    const oversizedMetadata = r.has(METADATA_KEY) && r.member(METADATA_KEY).size > MAX_METADATA_BYTES;
    const headers: Record<string, MemberHeader> = {};
    const readByJob = new Set<string>(RECONSTRUCTION_KEYS);
    // With --check, a key lsqml never reads (an optional key besides objectGuess, or one outside DATA-001) that cannot be
    // read (a float16 array, a broken member) is a warning, as lsqml runs the file all the same; without it, the file's error
    const unreadable: string[] = [];
    const tolerated = (key: string, err: unknown): boolean => {
      if (!opts.check || readByJob.has(key) || key === METADATA_KEY || !(err instanceof InputError)) return false;
      unreadable.push(`${err.message} ${UNREAD_KEY_NOTE}`);
      return true;
    };
    const broken = new Set<string>();
    for (const key of r.keys()) {
      if (key === METADATA_KEY && oversizedMetadata) continue;
      try { headers[key] = r.header(key); } catch (err) { if (!tolerated(key, err)) throw err; broken.add(key); }
    }
    // The check holds what a reconstruction reads (RECONSTRUCTION_KEYS) and refuses what lsqml refuses of it, its memory
    // refusal included (the same headers); the other optional DATA-001 keys, which lsqml does not read, are checked too
    // when they fit beside them, and their problems are warnings (lsqml runs the file all the same).
    const unread = OPTIONAL_KEYS.filter((k) => !readByJob.has(k) && k !== METADATA_KEY && headers[k] !== undefined) as string[];
    const pick = (keys: (k: string) => boolean): Record<string, MemberHeader> => Object.fromEntries(Object.entries(headers).filter(([k]) => keys(k)));
    let checkUnread = false;
    const unreadWarnings: string[] = [];
    if (opts.check) {
      checkDecodeFits(path, pick((k) => readByJob.has(k)));
      if (unread.length > 0) {
        try { checkDecodeFits(path, pick((k) => readByJob.has(k) || unread.includes(k))); checkUnread = true; } catch (err) {
          if (!(err instanceof InputError)) throw err;
          unreadWarnings.push(`${path}: ${unread.map((k) => `key '${k}'`).join(', ')}: not checked against DATA-001: held with the arrays a reconstruction ` +
            `reads they would exceed the memory limit of ${formatBytes(memoryLimit().bytes)} ${UNREAD_KEY_NOTE.replace('this key', unread.length === 1 ? 'this key' : 'these keys')}`);
        }
      }
    }
    const hold = (key: string): boolean => opts.check === true && (readByJob.has(key) || (checkUnread && unread.includes(key)));
    // what lsqml refuses from the headers before it reads anything: the probe modes, the object's size, the job's memory
    // (estimated once: its bytes give the memory line below)
    let jobRefusal: string | undefined;
    let jobBytes: number | null = null;
    const limit = memoryLimit();
    if (opts.check) {
      try { jobBytes = npzJobBytes(path, headers, opts.job ?? { modes: 1, batchSize: 1 }, limit); } catch (err) {
        if (!(err instanceof InputError) && !(err instanceof UsageError)) throw err;
        jobRefusal = err.message;
      }
    }
    const keys: KeySummary[] = [];
    const held: Record<string, NdArray> = {};
    let metadata: MetadataResult = { status: 'absent' };
    for (const key of r.keys()) {
      const m = r.member(key);
      const h = headers[key];
      const s: KeySummary = {
        key, dtype: h ? h.info.dtype : '?', shape: h ? h.shape : [], bytes: m.size, storedBytes: m.compressedSize,
        compression: m.method === 8 ? 'deflate' : 'stored',
      };
      keys.push(s);
      if (broken.has(key)) continue; // its header cannot be read: a warning of the check
      if (!h) { metadata = readMetadata(r); continue; } // too large to read: readMetadata says so
      try {
        if (m.size <= INSPECT_WHOLE_BYTES || hold(key) || key === METADATA_KEY) {
          const a = r.get(key);
          const st = arrayStats(a);
          if (st) s.stats = st;
          const p = preview(a);
          if (p) s.preview = p;
          if (key === METADATA_KEY) metadata = readMetadata(a);
          else if (hold(key)) held[key] = a;
        } else if (numericKind(h.info.dtype) !== null) {
          s.stats = await streamedStats(r, key, h.info);
        }
      } catch (err) {
        if (!tolerated(key, err)) throw err;
      }
    }
    const summary: NpzSummary = { file: path, fileBytes: r.byteLength, keys, metadata };
    if (opts.check) {
      let violations: string[] = [];
      let warnings: string[] = [];
      const reads: string[] = [];
      try {
        // a probe the settings give stands for a missing probeGuess, as lsqml takes it; without one, lsqml's line names both ways
        const checked = validateDataset(held, path, { metadata, probeOptional: true, unreadKeys: unread, fileKeys: r.keys() });
        warnings = [...checked.warnings, ...unreadWarnings, ...unreadable];
        // what every reconstruction of the file would refuse besides the contract, in lsqml's words: the job's size (from
        // the headers), the patterns and the probeGuess it starts from (patternRefusals, the checker lsqml calls), positions off the object
        const ds = checked.dataset;
        if (jobRefusal !== undefined) violations.push(jobRefusal);
        if (ds.probeAbsent && !opts.initialProbe) violations.push(missingProbeGuessMessage(path, ds.H, ds.W));
        // the amplitudes' scale from `_metadata` (lsqml reads it strictly: a broken one is refused below)
        violations.push(...patternRefusals({
          file: path, key: 'diffraction', n: ds.n, H: ds.H, W: ds.W, diffraction: ds.diffraction, storedShape: held.diffraction!.shape,
          nImages: opts.job?.nImages ?? null, scale: intensityScale(ds.metadata, path), precision: opts.precision ?? 'float32',
          ...(opts.fftBackend ? { fftBackend: opts.fftBackend } : {}),
          ...(!ds.probeAbsent && !opts.initialProbe ? { probeGuess: ds.probeGuess } : {}),
        }));
        try { checkPositionsOnObject(ds, opts.job?.nImages); } catch (err) { if (!(err instanceof InputError)) throw err; violations.push(err.message); }
        // the probe it starts from: read or made as lsqml does, refused in its words
        try {
          const probe = await npzProbe(path, checked.dataset, opts.initialProbe);
          reads.push(probe.line);
          warnings.push(...probe.notes);
        } catch (err) {
          if (!(err instanceof InputError) && !(err instanceof UsageError)) throw err;
          violations.push(err.message);
        }
        // the object file it starts from, read as lsqml reads it for the object frame: objectGuess's, else the scan's
        if (opts.initialObject) {
          try {
            const shape: [number, number] = ds.objectGuess ? [ds.objectGuess.shape[0]!, ds.objectGuess.shape[1]!]
              : scanFrame(ds.xcoords, ds.ycoords, [ds.H, ds.W], DEFAULT_OBJECT_MARGIN, `${path}: keys 'xcoords', 'ycoords'`).objectShape;
            const { pixelM } = sampling(npzGeometry(ds, path), path);
            const o = await opts.initialObject({ file: path, shape, ...(pixelM ? { pixelM } : {}) });
            reads.push(o.line);
            warnings.push(...o.warnings);
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            violations.push(err.message);
          }
        }
      } catch (err) {
        if (!(err instanceof DatasetError)) throw err;
        violations = [...err.violations];
      }
      // the memory a reconstruction needs (from the headers, as lsqml estimates it; over the limit: the refusal above)
      if (opts.job && jobBytes !== null) reads.push(jobMemoryLine(jobBytes, opts.job, limit));
      // a job that reads this file fails on a broken _metadata (requireReadableMetadata); so does the check
      if (metadata.status === 'error') {
        try { requireReadableMetadata(metadata, path); } catch (err) { violations.push((err as Error).message); }
        warnings = warnings.filter((w) => !w.startsWith(`${path}: key '${METADATA_KEY}': present but unreadable`));
      }
      // reconstruction.radiation (inspect --radiation) has no energy to apply to in an NPZ: refused as a reconstruction refuses it
      if (opts.radiation) violations.push(npzRadiationMessage(path, opts.radiation));
      // and so have reconstruction.crop and binSize (--crop-center, --crop-size, --bin-size) no detector frames to make patterns of
      if (framesChanged(opts.frames)) violations.push(frameSettingsMessage(path, 'a dataset NPZ'));
      if (opts.frames?.cxiEntry != null) violations.push(cxiEntryMessage(path, opts.frames.cxiEntry, 'a dataset NPZ'));
      // a line said twice (the job's size and the patterns both refuse patterns of no pixel) is listed once
      violations = [...new Set(violations)];
      summary.check = { valid: violations.length === 0, reads: violations.length === 0 ? reads : [], violations, warnings };
    }
    return summary;
  } finally {
    r.close();
  }
}
