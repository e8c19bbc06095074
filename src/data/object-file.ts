/**
 * An initial object from a file (`reconstruction.initObject: file:PATH`), to continue a reconstruction:
 *   NPZ  `reconstructed_object` (ptychostudy's reconstruction.npz) or `objectGuess` (DATA-001): complex
 *        (complex64 or complex128) [H, W]
 * The object must have the shape of the object frame the reconstruction builds for its dataset ([H, W]:
 * objectGuess's shape, or the frame measured data's positions span); it is never resampled or shifted.
 * Its pixels are read in that frame as they are: an object reconstructed from the same positions (the
 * same dataset) lines up with it.
 */
import { InputError } from '../errors.js';
import { NpzReader } from '../npy/npz.js';
import { isComplexDtype } from '../npy/types.js';
import { formatBytes, memoryLimit, type MemoryLimit } from './memory.js';
import { sniffInputFile } from './hdf5/signature.js';

/** The keys an object file is read from, first found first. */
export const OBJECT_FILE_KEYS = ['reconstructed_object', 'objectGuess'] as const;

export interface ObjectFileData {
  /** Interleaved complex128 [H, W]. */
  data: Float64Array;
  path: string;
  /** The key it was read from. */
  key: string;
}

/**
 * Reads the object of `path` for an object frame of `H`×`W`; one-line InputError when there is none, it
 * does not have that shape, is not complex, holds a NaN or an infinity, or would not fit the memory limit.
 */
export function readObjectFile(path: string, H: number, W: number, limit: MemoryLimit = memoryLimit()): ObjectFileData {
  const kind = sniffInputFile(path, 'the object file');
  const want = `a complex object [${H}, ${W}] (the object frame of this dataset)`;
  if (kind !== 'zip') throw new InputError(`${path}: expected an NPZ object file (${OBJECT_FILE_KEYS.join(' or ')}); found no zip signature`);
  const r = NpzReader.open(path);
  try {
    const key = OBJECT_FILE_KEYS.find((k) => r.has(k));
    if (!key) throw new InputError(`${path}: key '${OBJECT_FILE_KEYS[0]}': expected ${want} (or '${OBJECT_FILE_KEYS[1]}'); found it missing`);
    // dtype, shape and memory from the header, before anything is decoded
    const h = r.header(key);
    if (!isComplexDtype(h.info.dtype)) throw new InputError(`${path}: key '${key}': expected ${want}; found dtype ${h.info.dtype}`);
    const s = h.shape;
    if (!(s.length === 2 && s[0] === H && s[1] === W)) throw new InputError(`${path}: key '${key}': expected ${want}; found shape [${s.join(', ')}]`);
    // the member as read, then as float64
    const readBytes = h.dataOffset + h.payloadBytes + 16 * h.size;
    if (readBytes > limit.bytes) {
      throw new InputError(`${path}: key '${key}': expected an object that fits the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ` +
        `found shape [${s.join(', ')}], which needs about ${formatBytes(readBytes)} to read`);
    }
    const a = r.get(key);
    const data = Float64Array.from(a.data as Float32Array | Float64Array);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new InputError(`${path}: key '${key}': expected a finite object; found ${data[i]} at flat index ${i >> 1}`);
    }
    return { data, path, key };
  } finally {
    r.close();
  }
}
