/**
 * Memory bounds for work planned from a file's headers, checked before anything large is allocated:
 * the memory limit of this machine (or the one the user sets), what decoding a set of members costs,
 * and what one LSQML reconstruction job needs for the shapes it was given (docs/limits.md).
 *
 * The limit is PTYCHOSTUDY_MEMORY_LIMIT (bytes, or a number with a K/M/G/T suffix, powers of 1024)
 * when that is set: on a shared node, set it to your share. Else, in a SLURM job given memory (`--mem`,
 * or `--mem-per-cpu` × its CPUs: data/slurm-job.ts), all of that memory — the job's own, and what
 * `inspect --check`'s estimate is sized for — at most the machine's. Else half of the machine's
 * memory: the smaller of os.totalmem() and the cgroup limit (process.constrainedMemory()).
 */
import os from 'node:os';
import { InputError, UsageError } from '../errors.js';
import { formatShape } from '../npy/npy.js';
import type { MemberHeader } from '../npy/npz.js';
import type { Hdf5Reader } from './hdf5/reader.js';
import { counted } from '../text.js';
import { slurmJobMemory } from './slurm-job.js';
import { noPixelPatternsMessage } from './reconstruction-refusals.js';

export const MEMORY_LIMIT_ENV = 'PTYCHOSTUDY_MEMORY_LIMIT';

/** Fraction of the machine's memory one command may plan to use. */
export const MEMORY_FRACTION = 0.5;

/**
 * Incoherent probe modes LSQML accepts: each mode beyond the first takes 2 % of the probe's energy in
 * pty-chi's Hermite recipe, so at most 50 leave mode 0 anything (and never more than the N² pixels
 * of an N×N probe, the most orthogonal modes there can be).
 */
export const MAX_PROBE_MODES = 50;

/**
 * Scan positions one dataset may plan (a Phase C run, a base NPZ's xcoords): 2²⁴ = 16 777 216, 1600×
 * the reference study's 10 304 and far beyond any measured scan (10²–10⁵ positions), while a
 * position's index still fits Int32 many times over. A count from a header is checked against it
 * before anything is allocated for the positions.
 */
export const MAX_SCAN_POSITIONS = 2 ** 24;

/** Largest element count of one typed array in this Node.js (a complex object needs 2·H·W doubles). */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;

/**
 * Refuses more incoherent probe modes than LSQML can start from: MAX_PROBE_MODES, and with a known
 * N×N probe at most N² (a UsageError naming `name`: --modes, or the setting). Needs no data: callers check it as soon as
 * the option is parsed, and again once the probe size is known.
 */
export function checkProbeModes(modes: number, probe?: { N: number; file: string }, name = '--modes'): void {
  const small = probe !== undefined && probe.N * probe.N < MAX_PROBE_MODES;
  const max = small ? probe.N * probe.N : MAX_PROBE_MODES;
  if (modes <= max) return;
  throw new UsageError(`${name} ${modes}: expected at most ${max} incoherent probe modes ` +
    `(${small ? `the ${probe.N}×${probe.N} probe of ${probe.file} has ${max} pixels` : "each mode after the first takes 2 % of the probe's energy; MAX_PROBE_MODES"}); found ${modes}`);
}

export interface MemoryLimit {
  bytes: number;
  /** How the limit was set, for messages ("half of this machine's 16.0 GiB", "PTYCHOSTUDY_MEMORY_LIMIT=4G"). */
  source: string;
}

/** "1.50 GiB" */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Parses "4294967296", "4G", "512M", "1.5T" (powers of 1024). NaN when it is not one. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return NaN;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * scale);
}

/** The memory one command may plan to use (see the module comment). */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env): MemoryLimit {
  const set = env[MEMORY_LIMIT_ENV];
  if (set !== undefined && set.trim() !== '') {
    const bytes = parseByteSize(set);
    if (!Number.isFinite(bytes) || bytes <= 0) {
      throw new UsageError(`${MEMORY_LIMIT_ENV}=${set}: expected a positive number of bytes, optionally with a K, M, G or T suffix (e.g. 8G)`);
    }
    return { bytes, source: `${MEMORY_LIMIT_ENV}=${set.trim()}` };
  }
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() ?? 0 : 0;
  const machine = constrained > 0 ? Math.min(os.totalmem(), constrained) : os.totalmem();
  const job = slurmJobMemory(env);
  if (job !== null) {
    return job.bytes <= machine ? { bytes: job.bytes, source: `the SLURM job's ${formatBytes(job.bytes)}: ${job.source}; ${MEMORY_LIMIT_ENV} sets it` }
      : { bytes: machine, source: `this machine's ${formatBytes(machine)}, less than the SLURM job's ${formatBytes(job.bytes)} (${job.source}); ${MEMORY_LIMIT_ENV} sets it` };
  }
  return { bytes: Math.floor(machine * MEMORY_FRACTION), source: `half of this machine's ${formatBytes(machine)}; ${MEMORY_LIMIT_ENV} sets it` };
}

/** Refuses to decode members whose declared sizes add up to more than the memory limit. */
export function checkDecodeFits(file: string, headers: Readonly<Record<string, MemberHeader>>, limit: MemoryLimit = memoryLimit()): void {
  let total = 0;
  let biggest: [string, MemberHeader] | null = null;
  for (const [key, h] of Object.entries(headers)) {
    total += h.dataOffset + h.payloadBytes;
    if (!biggest || h.payloadBytes > biggest[1].payloadBytes) biggest = [key, h];
  }
  if (total > limit.bytes && biggest) {
    const [key, h] = biggest;
    throw new InputError(`${file}: key '${key}': expected arrays that fit the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
      `found shape ${formatShape(h.shape)} of ${h.info.dtype}, and reading the file's arrays needs ${formatBytes(total)}`);
  }
}

/** LSQML's refusal of patterns of no pixel (reconstruction-refusals.ts): from the headers here, before any read. */
export { noPixelPatternsMessage };

export interface LsqmlJobShape {
  /** Patterns in the file, and how many the job uses. */
  nFile: number;
  nUsed: number;
  /** Patch (probe) size N and the diffraction dtype's bytes per value. */
  N: number;
  diffractionItemBytes: number;
  /** objectGuess shape. */
  objectHeight: number;
  objectWidth: number;
  modes: number;
  batchSize: number;
}

/**
 * Bytes an LSQML job needs at its peak, an upper bound fitted to measurements of `ptychostudy lsqml`
 * (Node 20, float64 engine; docs/limits.md): a fixed 192 MiB, 200 B per object pixel (the object,
 * its initial copy, the engine's object-sized accumulators and preconditioner, the output and the
 * figure), 2·itemsize + 8 B per diffraction value of the file (the inflated member, its compressed
 * bytes, the intensities), and 48 B per probe-mode pixel of a minibatch (the batch's exit waves,
 * gradients and FFT work space).
 */
export function lsqmlJobBytes(s: LsqmlJobShape): number {
  const n2 = s.N * s.N;
  return 192 * 2 ** 20 + 200 * s.objectHeight * s.objectWidth + (2 * s.diffractionItemBytes + 8) * s.nFile * n2 +
    48 * s.modes * n2 * Math.min(s.batchSize, Math.max(1, s.nUsed));
}

export interface LsqmlJobRequest {
  modes: number;
  batchSize: number;
  nImages?: number;
}

/**
 * Checks, from the members' headers alone, that an LSQML job can run: `modes` within MAX_PROBE_MODES
 * and N² (a UsageError naming --modes), the object within one typed array, and the job's estimated
 * peak (`lsqmlJobBytes`) within the memory limit — otherwise one InputError line naming the file,
 * the key that needs the memory, the shape found and the limit. Headers that are missing or of the
 * wrong rank are left to the dataset contract (validateDataset), which reports them.
 */
export function checkLsqmlJobFits(file: string, headers: Readonly<Record<string, MemberHeader>>, job: LsqmlJobRequest, limit: MemoryLimit = memoryLimit()): void {
  npzJobBytes(file, headers, job, limit);
}

/**
 * The estimated peak (`lsqmlJobBytes`) of an LSQML job of an NPZ, from its members' headers, as `checkLsqmlJobFits`
 * checks it (and throws what it throws); null when the headers are missing or of the wrong rank (the contract's to report).
 */
export function npzJobBytes(file: string, headers: Readonly<Record<string, MemberHeader>>, job: LsqmlJobRequest, limit: MemoryLimit = memoryLimit()): number | null {
  const d = headers.diffraction, o = headers.objectGuess;
  if (!d || d.shape.length !== 3 || (o && o.shape.length !== 2)) return null;
  // [n, H, W], or a legacy [H, W, n] whose last axis is the number of coordinates
  const nCoords = headers.xcoords?.shape.length === 1 ? headers.xcoords.shape[0] : undefined;
  const [a, b, c] = d.shape as [number, number, number];
  const [nFile, N] = nCoords !== undefined && a !== nCoords && c === nCoords ? [c, a] : [a, b];
  // patterns of no pixel: the data's fault, named as such (the mode count's bound N² would otherwise blame --modes)
  if (N < 1) throw new InputError(noPixelPatternsMessage(file, d.shape));
  checkProbeModes(job.modes, { N, file });
  // Without an objectGuess the object frame comes from the coordinates, checked once they are read
  // (checkObjectFrameFits); here the diffraction alone is checked.
  const [HO, WO] = o ? o.shape as [number, number] : [0, 0];
  if (2 * HO * WO > MAX_TYPED_ARRAY_LENGTH) {
    throw new InputError(`${file}: key 'objectGuess': expected at most ${MAX_TYPED_ARRAY_LENGTH / 2} pixels (one typed array of complex values); found shape ${formatShape(o.shape)}`);
  }
  const nUsed = job.nImages !== undefined ? Math.min(job.nImages, nFile) : nFile;
  const shape: LsqmlJobShape = {
    nFile, nUsed, N, diffractionItemBytes: d.info.itemsize, objectHeight: HO, objectWidth: WO, modes: job.modes, batchSize: job.batchSize,
  };
  const need = lsqmlJobBytes(shape);
  if (need <= limit.bytes) return need;
  const objectPart = 200 * HO * WO;
  // the minibatch's term grows with the patterns' size N², a size the diffraction sets
  const diffractionPart = need - 192 * 2 ** 20 - objectPart;
  const [key, h] = o && objectPart >= diffractionPart ? ['objectGuess', o] : ['diffraction', d];
  throw new InputError(`${file}: key '${key}': expected a reconstruction that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
    `found shape ${formatShape(h.shape)}, for which an LSQML job with ${counted(job.modes, 'mode')} needs about ${formatBytes(need)}`);
}

/** The line of `inspect --check` that says what a reconstruction needs, for sizing a batch job's memory (`--mem`). */
export function jobMemoryLine(bytes: number, job: LsqmlJobRequest, limit: MemoryLimit): string {
  const images = job.nImages !== undefined ? `, the first ${job.nImages} patterns` : '';
  return `memory: a reconstruction (${counted(job.modes, 'probe mode')}, batches of ${job.batchSize}${images}) needs at most about ${formatBytes(bytes)}; ` +
    `the limit here is ${formatBytes(limit.bytes)} (${limit.source})`;
}

/**
 * The estimated peak (`lsqmlJobBytes`) of an LSQML job of `data.n` patterns of H × W (held as float32 once read)
 * on an object frame of `objectShape`: what `checkObjectFrameFits` holds against the memory limit, and what
 * `inspect --check` prints for sizing a batch job's memory.
 */
export function measuredJobBytes(objectShape: readonly [number, number], data: { n: number; H: number; W: number }, job: LsqmlJobRequest): number {
  const nUsed = job.nImages !== undefined ? Math.min(job.nImages, data.n) : data.n;
  return lsqmlJobBytes({
    nFile: data.n, nUsed, N: Math.max(data.H, data.W), diffractionItemBytes: 4, objectHeight: objectShape[0], objectWidth: objectShape[1],
    modes: job.modes, batchSize: job.batchSize,
  });
}

/**
 * For measured data (CXI, .ptyd) read for an LSQML job, from the stack's shape alone, before its positions or its
 * patterns are read: `n` patterns of H × W (after the crop and binning) on the smallest object frame they can have
 * (one pattern with `margin` pixels around it) must fit the memory limit, as a dataset NPZ's headers are checked
 * (`checkLsqmlJobFits`). The frame the scan's extent makes is checked once the positions are read (`checkObjectFrameFits`).
 */
export function checkMeasuredStackFits(file: string, key: string, data: { n: number; H: number; W: number; /** the frames read whole (no crop, no binning) */ whole?: boolean },
  margin: number, job: LsqmlJobRequest, limit: MemoryLimit = memoryLimit()): void {
  const smallest: [number, number] = [data.H + 2 * margin, data.W + 2 * margin];
  const need = measuredJobBytes(smallest, data, job);
  if (need <= limit.bytes) return;
  // whole frames (no crop asked for: the default) are often larger than the diffraction the probe makes: a crop is the remedy
  const crop = data.whole ? `: the frames are read whole (no --crop-size); crop them about the direct beam with --crop-center Y,X --crop-size N ` +
    `(\`ptychostudy inspect ${file}\` says where the beam is and suggests both)` : '';
  throw new InputError(`${file}: key '${key}': expected a reconstruction that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
    `found ${counted(data.n, 'pattern')} of ${data.H}×${data.W}, for which an LSQML job with ${counted(job.modes, 'mode')} needs at least ${formatBytes(need)} ` +
    `(on the smallest object frame, before the scan's extent is known)${crop}`);
}

/**
 * For data without an objectGuess (measured data): the object frame made from the scan extent
 * (`objectShape`) must fit one typed array and, with the patterns, the memory limit. A scan whose
 * coordinates are spread over millions of pixels (a unit mistake) is refused here, before the
 * object is allocated.
 */
export function checkObjectFrameFits(file: string, objectShape: readonly [number, number],
  data: { n: number; H: number; W: number; /** where the positions came from, for messages (default: keys 'xcoords', 'ycoords') */ positionKeys?: string },
  job: LsqmlJobRequest, limit: MemoryLimit = memoryLimit()): void {
  const [HO, WO] = objectShape;
  const what = `${file}: ${data.positionKeys ?? "keys 'xcoords', 'ycoords'"}`;
  if (2 * HO * WO > MAX_TYPED_ARRAY_LENGTH) {
    throw new InputError(`${what}: expected a scan whose object frame has at most ${MAX_TYPED_ARRAY_LENGTH / 2} pixels; found a frame of ${HO}×${WO} (check the position units)`);
  }
  const need = measuredJobBytes(objectShape, data, job);
  if (need > limit.bytes) {
    throw new InputError(`${what}: expected a reconstruction that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
      `found an object frame of ${HO}×${WO} from the scan extent, for which an LSQML job needs about ${formatBytes(need)}` +
      // positions more than two patterns apart on average (as sparseScanWarning): the likelier cause is their unit
      (Math.sqrt((HO * WO) / Math.max(1, data.n)) > 2 * Math.max(data.H, data.W) ? ` (${data.n} positions over it: check the position units)` : ''));
  }
}

/**
 * Bytes reading one complex element of an HDF5 probe is taken to cost, bounded before the read
 * (`checkHdf5ProbeFits`): measured 246 B per element for a [2000, 32, 32] probe when h5wasm handed the
 * whole compound dataset over as one JavaScript [re, im] array per element. The reader now reads it in
 * bounded slabs (hdf5/reader.ts readComplex), which needs less; the bound was not measured again, so it
 * errs on the side of refusing.
 */
export const HDF5_COMPLEX_READ_BYTES = 256;

/**
 * Checks a probe file's probe before it is read, from its header or metadata alone: at most
 * MAX_PROBE_MODES incoherent modes (an [M, H, W] probe; for ptychodus's [OPR, M, H, W] the second
 * axis), and reading it within the memory limit. Anything else about its type and shape is left to the
 * reader, which names it. NPZ: `header` is the member's header; HDF5: the dataset's metadata.
 */
export function checkProbeFits(file: string, key: string, shape: readonly number[], readBytes: number, opts: { oprAxis?: boolean } = {},
  limit: MemoryLimit = memoryLimit()): void {
  const s = opts.oprAxis && shape.length === 4 ? shape.slice(1) : shape;
  const where = `${file}: key '${key}'`;
  if (s.length === 3 && s[0]! > MAX_PROBE_MODES) {
    throw new InputError(`${where}: expected a probe of at most ${MAX_PROBE_MODES} incoherent modes (MAX_PROBE_MODES); found shape [${shape.join(', ')}]`);
  }
  if (readBytes > limit.bytes) {
    throw new InputError(`${where}: expected a probe that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
      `found shape [${shape.join(', ')}], which needs about ${formatBytes(readBytes)} to read`);
  }
}

/**
 * An object member of an NPZ (`h`, its header) is read whole and widened to complex128: refused when that needs more
 * than `limit`, from the header, before anything is decoded.
 */
export function checkNpzObjectFits(file: string, key: string, h: MemberHeader, limit: MemoryLimit): void {
  const readBytes = h.dataOffset + h.payloadBytes + 16 * h.size;
  if (readBytes > limit.bytes) {
    throw new InputError(`${file}: key '${key}': expected an object that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
      `found shape [${h.shape.join(', ')}], which needs about ${formatBytes(readBytes)} to read`);
  }
}

/** `checkProbeFits` for the probe dataset `key` of an open HDF5 file (nothing is read; a missing or non-dataset key is left to the reader). */
export function checkHdf5ProbeFits(r: Hdf5Reader, key: string, opts: { oprAxis?: boolean } = {}, limit: MemoryLimit = memoryLimit()): void {
  if (r.kind(key) !== 'dataset') return;
  const info = r.info(key);
  if (info.kind !== 'complex') return;
  checkProbeFits(r.file, key, info.shape, info.elements * HDF5_COMPLEX_READ_BYTES, opts, limit);
}
