/**
 * An initial object from a file (`reconstruction.initObject: file:PATH`), to continue a reconstruction,
 * recognised by its first bytes:
 *   NPZ  `reconstructed_object` (ptychostudy's reconstruction.npz) or `objectGuess` (DATA-001): complex
 *        (complex64 or complex128) [H, W]
 *   ptychodus product (.h5)  `object` [H, W] or [1, H, W] (one layer), its pixel size (pixel_height_m,
 *        pixel_width_m) and centre (center_y_m, center_x_m) from its attributes (data/ptychodus.ts)
 *   PtyPy reconstruction (.ptyr)  content/obj/<first storage>/data [1, H, W], pixel size from _psize
 *   CXI  entry_1/image_<k>/data (the CXI format's Image class, first k in numeric order whose data is complex: a
 *        phased real-space image; data_space is not read): complex [H, W] or [1, H, W], pixel size = image_size
 *        (width, height in m) / [W, H]
 * A pixel size the file states must be the data's object pixel size within 1 % (objects are never
 * resampled), and a ptychodus centre must put the object where the data's positions put it (within half
 * a pixel), when the data states its geometry (measured data).
 * The object must have the shape of the object frame the reconstruction builds for its dataset ([H, W]:
 * objectGuess's shape, or the frame measured data's positions span); it is never resampled or shifted.
 * Its pixels are read in that frame as they are: an object reconstructed from the same positions (the
 * same dataset) lines up with it.
 */
import { InputError } from '../errors.js';
import { NpzReader } from '../npy/npz.js';
import { isComplexDtype } from '../npy/types.js';
import { printable } from '../text.js';
import { formatBytes, memoryLimit, type MemoryLimit } from './memory.js';
import { withHdf5 } from './hdf5/reader.js';
import { sniffInputFile } from './hdf5/signature.js';
import { looksLikePtychodusProduct, readPtychodusObject, type ObjectFromFile } from './ptychodus.js';
import { looksLikePtyrObject, readPtyrObject } from './ptypy.js';
import { looksLikeCxiImage, readCxiImageObject } from './cxi.js';

/** The keys an object file is read from, first found first. */
export const OBJECT_FILE_KEYS = ['reconstructed_object', 'objectGuess'] as const;

export interface ObjectFileData {
  /** Interleaved complex128 [H, W]. */
  data: Float64Array;
  path: string;
  /** The key it was read from. */
  key: string;
  /** The pixel size [y, x] in m the file states, if any. */
  pixelM?: [number, number];
}

/** What the data states of its object frame, for the checks of an object file's geometry. */
export interface ObjectFrameGeometry {
  /** The data's object pixel size [y, x], m. */
  pixelM?: readonly [number, number];
  /** Metres [y, x] at the object's pixel coordinate 0 (measured data: position_m = originM + coord·pixelM). */
  originM?: readonly [number, number];
}

/** Relative difference of pixel sizes accepted, for object and probe files alike (neither is resampled). */
export const PIXEL_TOLERANCE = 0.01;

/** True when a file's pixel size [y, x] is the data's within PIXEL_TOLERANCE on both axes (never for a NaN). */
export function samePixelSize(found: readonly [number, number], data: readonly [number, number]): boolean {
  return [0, 1].every((a) => Math.abs(found[a]! / data[a]! - 1) <= PIXEL_TOLERANCE);
}

/**
 * Reads the object of `path` for an object frame of `H`×`W`; one-line InputError when there is none, it
 * does not have that shape, is not complex, holds a NaN or an infinity, would not fit the memory limit, or
 * states a pixel size or centre that does not fit `frame` (see the module comment).
 */
export async function readObjectFile(path: string, H: number, W: number, frame: ObjectFrameGeometry = {}, limit: MemoryLimit = memoryLimit()): Promise<ObjectFileData> {
  const kind = sniffInputFile(path, 'the object file');
  if (kind === 'zip') return readNpzObject(path, H, W, limit);
  if (kind !== 'hdf5') throw new InputError(`${path}: expected an object file (NPZ, ptychodus .h5, PtyPy .ptyr or CXI); found neither a zip nor an HDF5 signature`);
  const o = await withHdf5(path, (r): ObjectFromFile => {
    if (looksLikePtychodusProduct(r)) return readPtychodusObject(r, H, W);
    if (looksLikePtyrObject(r)) return readPtyrObject(r, H, W);
    if (looksLikeCxiImage(r)) return readCxiImageObject(r, H, W);
    throw new InputError(`${path}: expected an object at 'object' (ptychodus product), content/obj/*/data (PtyPy .ptyr) or entry_1/image_1/data (CXI); ` +
      `found top-level keys [${printable(r.keys('/').join(', '), 1000)}]`);
  }, { memoryLimit: limit });
  checkObjectGeometry(path, o, H, W, frame);
  return { data: o.data, path, key: o.key, ...(o.pixelM ? { pixelM: o.pixelM } : {}) };
}

/** The pixel size and centre an object file states against the data's own (each checked when both are known). */
function checkObjectGeometry(path: string, o: ObjectFromFile, H: number, W: number, frame: ObjectFrameGeometry): void {
  const p = frame.pixelM;
  if (o.pixelM && p && !samePixelSize(o.pixelM, p)) {
    throw new InputError(`${path}: key '${o.key}': expected an object sampled at the data's object pixel size [${p.join(', ')}] m (within 1 %); found [${o.pixelM.join(', ')}] m (objects are not resampled)`);
  }
  if (o.centerM && p && frame.originM) {
    // the data's frame centre: pixel coordinate (H/2, W/2) in metres
    const want: [number, number] = [frame.originM[0] + p[0] * H / 2, frame.originM[1] + p[1] * W / 2];
    const off = [0, 1].map((a) => (o.centerM![a]! - want[a]!) / p[a]!);
    if (!off.every((d) => Math.abs(d) <= 0.5)) {
      throw new InputError(`${path}: key '${o.key}': expected the object centred where the data's positions put its frame, center_y_m, center_x_m = ` +
        `[${want.map((v) => v.toPrecision(8)).join(', ')}] m (within half a pixel); found [${o.centerM.map((v) => v.toPrecision(8)).join(', ')}] m, ` +
        `[${off.map((d) => d.toFixed(1)).join(', ')}] pixels off (objects are not shifted)`);
    }
  }
}

function readNpzObject(path: string, H: number, W: number, limit: MemoryLimit): ObjectFileData {
  const want = `a complex object [${H}, ${W}] (the object frame of this dataset)`;
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
