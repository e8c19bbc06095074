/**
 * An initial object from a file (`reconstruction.initObject: file:PATH`), to continue a reconstruction,
 * recognised by its first bytes:
 *   NPZ  `reconstructed_object` (ptychostudy's reconstruction.npz) or `objectGuess` (DATA-001): complex
 *        (complex64 or complex128) [H, W]
 *   ptychodus product (.h5)  `object` [H, W] or [1, H, W] (one layer), its pixel size (pixel_height_m,
 *        pixel_width_m) and centre (center_y_m, center_x_m) from its attributes (data/ptychodus.ts)
 *   ptychodus product (.npz)  the same `object`, its pixel size and centre from the members object_pixel_height_m,
 *        object_pixel_width_m, object_center_y_m, object_center_x_m (data/ptychodus-npz.ts)
 *   PtyPy reconstruction (.ptyr)  content/obj/<first storage>/data [1, H, W], pixel size from _psize, the metres at its
 *        pixel [0, 0] from _origin (in the frame of PtyPy's positions)
 *   CXI  entry_1/image_<k>/data (the CXI format's Image class, first k in numeric order whose data is complex: a
 *        phased real-space image; data_space is not read): complex [H, W] or [1, H, W], pixel size = image_size
 *        (width, height in m) / [W, H]; of the entry reconstruction.cxiEntry names, or the file's only one
 * A pixel size the file states must be the data's object pixel size within 1 % (objects are never resampled).
 * The object must have the shape of the object frame the reconstruction builds for its dataset ([H, W]:
 * objectGuess's shape, or the frame measured data's positions span), and its pixels are read in that frame as
 * they are: an object reconstructed from the same positions (the same dataset) lines up with it. The one
 * exception is a ptychodus product that states its centre, or a .ptyr whose storage states its _origin, on data that
 * states its positions in metres (measured data): its centre (the _origin, h/2 and w/2 pixels on) says where it lies,
 * so an object of any shape (ptychodus and PtyPy size their objects their own way) is
 * placed there, shifted by whole pixels (the offset rounded), its pixels outside the frame left out and the
 * frame's pixels it does not cover set to 1 (as `ones`), said in one warning; one that covers none of the frame
 * is refused. Only the object's rows that the frame holds are read (and checked for NaN and infinities).
 */
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { NpzReader } from '../npy/npz.js';
import { isComplexDtype } from '../npy/types.js';
import { printable } from '../text.js';
import { checkNpzObjectFits, memoryLimit, type MemoryLimit } from './memory.js';
import { withHdf5 } from './hdf5/reader.js';
import { sniffInputFile } from './hdf5/signature.js';
import { looksLikePtychodusProduct, otherShapeHint, PRODUCT_KEYS, readPtychodusObject, type ObjectFromFile } from './ptychodus.js';
import { looksLikePtyrObject, readPtyrObject } from './ptypy.js';
import { looksLikePtychodusNpz, readPtychodusNpzObject } from './ptychodus-npz.js';
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
  /** A ptychodus object not in the frame as it is (another shape, or another centre), and where it was placed. */
  placed?: ObjectPlacement;
  /** One line saying `placed`, for the run's warnings. */
  warning?: string;
}

/** Where an object of another shape or centre went in the frame: its [0, 0] at frame pixel `offset` [y, x]. */
export interface ObjectPlacement {
  /** The file's object shape [h, w]. */
  shape: [number, number];
  /** Frame pixel [y, x] of the file's pixel [0, 0] (rounded to whole pixels). */
  offset: [number, number];
  /** The offset before rounding, pixels. */
  exactOffset: [number, number];
  /** Frame pixels the file's object covers; the rest are 1 + 0i (`--init-object ones`). */
  covered: number;
  /** The file's pixels outside the frame (cropped). */
  cropped: number;
}

/** What the data states of its object frame, for the checks of an object file's geometry. */
export interface ObjectFrameGeometry {
  /** The data's object pixel size [y, x], m. */
  pixelM?: readonly [number, number];
  /** Metres [y, x] at the object's pixel coordinate 0 (measured data: position_m = originM + coord·pixelM). */
  originM?: readonly [number, number];
  /** The CXI entry the data is read from (reconstruction.cxiEntry): a CXI object file is read at it (cxi.ts chooseCxiEntry). */
  cxiEntry?: string | null;
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
  if (kind === 'zip') return readNpzObject(path, H, W, frame, limit);
  if (kind !== 'hdf5') throw new InputError(`${path}: expected an object file (NPZ, ptychodus .h5, PtyPy .ptyr or CXI); found neither a zip nor an HDF5 signature`);
  // a ptychodus product that states its centre places an object of any shape, on data whose positions are in metres
  const placeable = frame.pixelM !== undefined && frame.originM !== undefined;
  // where such an object goes (null: the frame as it is), from its shape and centre, before any of it is read
  let placed = null as ObjectPlacement | null;
  // what placed it, for the warning: a product's centre, a .ptyr's origin
  let by = 'its centre';
  const o = await withHdf5(path, (r): ObjectFromFile => {
    // only the rows of a placed object that the frame holds are read; one that covers none of it is refused unread
    if (looksLikePtychodusProduct(r)) {
      return readPtychodusObject(r, H, W, placeable, (shape, centerM) => {
        placed = placement(path, { shape, centerM, key: PRODUCT_KEYS.object }, H, W, frame.pixelM!, frame.originM!);
        return rowsInFrame(placed, shape[0], H);
      });
    }
    // a .ptyr's storage states the metres at its pixel [0, 0]: its object is placed as a product's, by the centre that makes
    if (looksLikePtyrObject(r)) {
      const centre = (shape: [number, number], originM: [number, number]): [number, number] =>
        [originM[0] + frame.pixelM![0] * shape[0] / 2, originM[1] + frame.pixelM![1] * shape[1] / 2];
      by = 'its origin (_origin)';
      return readPtyrObject(r, H, W, placeable, (shape, originM, key) => {
        placed = placement(path, { shape, centerM: centre(shape, originM), key }, H, W, frame.pixelM!, frame.originM!);
        return rowsInFrame(placed, shape[0], H);
      });
    }
    if (looksLikeCxiImage(r)) return readCxiImageObject(r, H, W, frame.cxiEntry);
    throw new InputError(`${path}: expected an object at 'object' (ptychodus product), content/obj/*/data (PtyPy .ptyr) or entry_1/image_1/data (CXI); ` +
      `found top-level keys [${printable(r.keys('/').join(', '), 1000)}]`);
  }, { memoryLimit: limit });
  return objectFileData(path, o, frame, H, W, () => placed, by);
}

/**
 * An object file's object as the reconstruction takes it: its pixel size checked against the data's, then placed in the
 * frame where `place` (called after that check) gives a placement, with the warning that says so; as read otherwise.
 */
function objectFileData(path: string, o: Pick<ObjectFromFile, 'data' | 'key' | 'pixelM' | 'firstRow'>, frame: ObjectFrameGeometry, H: number, W: number,
  place: () => ObjectPlacement | null, by?: string): ObjectFileData {
  checkObjectPixel(path, o, frame);
  const base = { path, key: o.key, ...(o.pixelM ? { pixelM: o.pixelM } : {}) };
  const placed = place();
  if (placed === null) return { ...base, data: o.data };
  return { ...base, data: placeObject(o.data, placed, H, W, o.firstRow ?? 0), placed, warning: placementWarning(path, o.key, placed, H, W, by) };
}

/** A pixel size the object file states against the data's own. */
function checkObjectPixel(path: string, o: Pick<ObjectFromFile, 'key' | 'pixelM'>, frame: ObjectFrameGeometry): void {
  const p = frame.pixelM;
  if (o.pixelM && p && !samePixelSize(o.pixelM, p)) {
    throw new InputError(`${path}: key '${o.key}': expected an object sampled at the data's object pixel size [${p.join(', ')}] m (within 1 %); found [${o.pixelM.join(', ')}] m (objects are not resampled)`);
  }
}

/**
 * Where a ptychodus object lies in the data's frame, from its centre: ptychodus's pixel coordinate of metres m is
 * (m − centre) / pixel + [h/2, w/2], the frame's (m − origin) / pixel, so the file's pixel [0, 0] is the frame's
 * (centre − origin) / pixel − [h/2, w/2], rounded to whole pixels (objects are not resampled or shifted by less).
 * null when the object is the frame as it is (same shape, within half a pixel of the frame's centre); an object
 * that covers none of the frame is refused.
 */
function placement(path: string, o: Pick<ObjectFromFile, 'shape' | 'centerM' | 'key'>, H: number, W: number, pixelM: readonly [number, number], originM: readonly [number, number]): ObjectPlacement | null {
  const [h, w] = o.shape;
  const exactOffset: [number, number] = [(o.centerM![0] - originM[0]) / pixelM[0] - h / 2, (o.centerM![1] - originM[1]) / pixelM[1] - w / 2];
  const offset: [number, number] = [Math.round(exactOffset[0]) + 0, Math.round(exactOffset[1]) + 0]; // + 0: never −0
  if (h === H && w === W && offset[0] === 0 && offset[1] === 0) return null;
  const rows = Math.max(0, Math.min(H, offset[0] + h) - Math.max(0, offset[0]));
  const cols = Math.max(0, Math.min(W, offset[1] + w) - Math.max(0, offset[1]));
  if (rows === 0 || cols === 0) {
    const want = [originM[0] + pixelM[0] * H / 2, originM[1] + pixelM[1] * W / 2];
    throw new InputError(`${path}: key '${o.key}': expected an object that covers some of the data's object frame [${H}, ${W}] (centred at ` +
      `[${want.map((v) => v.toPrecision(8)).join(', ')}] m, center_y_m, center_x_m); found [${h}, ${w}] centred at [${o.centerM!.map((v) => v.toPrecision(8)).join(', ')}] m, ` +
      `wholly outside it (is it a reconstruction of another scan?)`);
  }
  return { shape: [h, w], offset, exactOffset, covered: rows * cols, cropped: h * w - rows * cols };
}

/** The rows [first, count] of an object of `h` rows that a frame of `H` rows holds where placement `p` puts it (null: all). */
function rowsInFrame(p: ObjectPlacement | null, h: number, H: number): [number, number] {
  if (p === null) return [0, h];
  const first = Math.max(0, -p.offset[0]);
  return [first, Math.min(h, H - p.offset[0]) - first];
}

/** The frame [H, W]: the file's object where `p` puts it, 1 + 0i elsewhere (as `--init-object ones`); `src` holds its rows from `firstRow`. */
function placeObject(src: Float64Array, p: ObjectPlacement, H: number, W: number, firstRow: number): Float64Array {
  const [h, w] = p.shape, [dy, dx] = p.offset;
  const out = new Float64Array(2 * H * W);
  for (let j = 0; j < H * W; j++) out[2 * j] = 1;
  const c0 = Math.max(0, dx), c1 = Math.min(W, dx + w);
  for (let y = Math.max(0, dy); y < Math.min(H, dy + h); y++) {
    const from = 2 * ((y - dy - firstRow) * w + (c0 - dx));
    out.set(src.subarray(from, from + 2 * (c1 - c0)), 2 * (y * W + c0));
  }
  return out;
}

/** The warning of a placement (the file by its name: it goes into the reconstruction's `_metadata`, which holds no absolute path). */
function placementWarning(path: string, key: string, p: ObjectPlacement, H: number, W: number, by = 'its centre'): string {
  const [h, w] = p.shape, [dy, dx] = p.offset;
  const exact = p.exactOffset.some((v, a) => Math.abs(v - p.offset[a]!) > 1e-6) ? ` (${p.exactOffset.map((v) => v.toFixed(2)).join(', ')}, rounded)` : '';
  return `${basename(path)}: key '${key}': the object [${h}, ${w}] is placed in the data's object frame [${H}, ${W}] by ${by}, its pixel [0, 0] at frame pixel [${dy}, ${dx}]${exact}: ` +
    `${p.cropped} of its ${h * w} pixels lie outside the frame and are left out, ${H * W - p.covered} of the frame's ${H * W} pixels it does not cover start as 1 (as --init-object ones)`;
}

function readNpzObject(path: string, H: number, W: number, frame: ObjectFrameGeometry, limit: MemoryLimit): ObjectFileData {
  const want = `a complex object [${H}, ${W}] (the object frame of this dataset${otherShapeHint(H, W)})`;
  const r = NpzReader.open(path);
  try {
    // ptychodus's NPZ product: its object, pixel size and centre, placed as its HDF5 product's
    if (looksLikePtychodusNpz(r)) {
      const placeable = frame.pixelM !== undefined && frame.originM !== undefined;
      const o = readPtychodusNpzObject(r, path, H, W, placeable, limit);
      return objectFileData(path, o, frame, H, W, () => (placeable && o.centerM ? placement(path, o, H, W, frame.pixelM!, frame.originM!) : null));
    }
    const key = OBJECT_FILE_KEYS.find((k) => r.has(k));
    if (!key) throw new InputError(`${path}: key '${OBJECT_FILE_KEYS[0]}': expected ${want} (or '${OBJECT_FILE_KEYS[1]}'); found it missing`);
    // dtype, shape and memory from the header, before anything is decoded
    const h = r.header(key);
    if (!isComplexDtype(h.info.dtype)) throw new InputError(`${path}: key '${key}': expected ${want}; found dtype ${h.info.dtype}`);
    const s = h.shape;
    if (!(s.length === 2 && s[0] === H && s[1] === W)) throw new InputError(`${path}: key '${key}': expected ${want}; found shape [${s.join(', ')}]`);
    // the member as read, then as float64
    checkNpzObjectFits(path, key, h, limit);
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
