/**
 * ptychodus's NPZ product file (.npz), the layout of its plugin NPZProductFileIO (AdvancedPhotonSource/ptychodus
 * 7ccf581, src/ptychodus/plugins/npz_product_file.py), which ptychodus saves a product in as well as in HDF5 (ptychodus.ts):
 *   probe                    complex [H, W], [M, H, W] or [OPR, M, H, W]; probe_pixel_height_m, probe_pixel_width_m (0-d)
 *   object                   complex [H, W] or [L, H, W]; object_pixel_height_m, object_pixel_width_m,
 *                            object_center_y_m, object_center_x_m (0-d: metres at the object's pixel coordinate (H/2, W/2))
 *   probe_position_indexes, probe_position_x_m, probe_position_y_m [n]; name, comments, detector_object_distance_m,
 *   probe_energy_eV, …, object_layer_spacing_m, loss_epochs, loss_values (not read here)
 * The same arrays as the HDF5 product's, with the pixel sizes and the centre as members of their own instead of the
 * datasets' attributes. Read here as a probe file (`--init-probe file:`) and an object file (`--init-object file:`),
 * with the checks the HDF5 product's readers make: a pair of values comes whole (one alone is refused), each one number.
 */
import { InputError } from '../errors.js';
import { NpzReader } from '../npy/npz.js';
import { isComplexDtype } from '../npy/types.js';
import { PIXEL_M, pixelSizeOk } from './hdf5/checks.js';
import { checkNpzObjectFits, checkProbeFits, type MemoryLimit } from './memory.js';
import { objectShape, objectWanted, productShapeHint } from './ptychodus.js';
import type { ProbeData } from './measured.js';

/** The members of ptychodus's NPZ product read here (NPZProductFileIO's names). */
export const PTYCHODUS_NPZ_KEYS = {
  probe: 'probe', probePixelHeight: 'probe_pixel_height_m', probePixelWidth: 'probe_pixel_width_m',
  object: 'object', objectPixelHeight: 'object_pixel_height_m', objectPixelWidth: 'object_pixel_width_m',
  centerY: 'object_center_y_m', centerX: 'object_center_x_m', x: 'probe_position_x_m',
} as const;

/** True when the NPZ has ptychodus's product layout (a `probe` member and probe_position_x_m), as its HDF5 product is told. */
export function looksLikePtychodusNpz(r: NpzReader): boolean {
  return r.has(PTYCHODUS_NPZ_KEYS.probe) && r.has(PTYCHODUS_NPZ_KEYS.x);
}

/**
 * True when the zip at `path` is a ptychodus NPZ product; false when it is not, or cannot be opened as an NPZ (its
 * reader then says why, in its own words).
 */
export function isPtychodusNpzFile(path: string): boolean {
  let r: NpzReader;
  try { r = NpzReader.open(path); } catch { return false; }
  try { return looksLikePtychodusNpz(r); } finally { r.close(); }
}

/**
 * A pair of members that go together (pixel height and width, centre y and x), each one number (a 0-d array, as
 * numpy.savez stores a Python float, or one element) passing `ok`: both absent → undefined; one alone, or one that is
 * not such a number, is refused — never taken for an absent pair. Returned in the order of `names`.
 */
function memberPair(r: NpzReader, path: string, names: readonly [string, string], what: string, ok: (v: number) => boolean): [number, number] | undefined {
  const present = names.filter((k) => r.has(k));
  if (present.length === 0) return undefined;
  const want = (name: string): string => `${what} (with '${name === names[0] ? names[1] : names[0]}', or neither)`;
  if (present.length === 1) {
    const missing = names.find((k) => !present.includes(k))!;
    throw new InputError(`${path}: key '${missing}': expected ${want(missing)}; found it missing beside '${present[0]}'`);
  }
  return names.map((name) => {
    const h = r.header(name);
    if (h.size !== 1 || !/^[<>|]?[fiu]\d+$/.test(h.info.dtype)) throw new InputError(`${path}: key '${name}': expected ${want(name)}; found dtype ${h.info.dtype}, shape [${h.shape.join(', ')}]`);
    const v = Number((r.get(name).data as ArrayLike<number | bigint>)[0]);
    if (!ok(v)) throw new InputError(`${path}: key '${name}': expected ${want(name)}; found ${v}`);
    return v;
  }) as [number, number];
}

const PIXEL_WHAT = `one number in m, > 0 and < ${PIXEL_M.max}`;

/** Reads `key` of an NPZ as interleaved complex128, each value finite. */
function finiteComplex(r: NpzReader, path: string, key: string, what: string): Float64Array {
  const data = Float64Array.from(r.get(key).data as Float32Array | Float64Array);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) throw new InputError(`${path}: key '${key}': expected ${what}, finite; found ${data[i]} at flat index ${i >> 1}`);
  return data;
}

/**
 * The probe of a ptychodus NPZ product for `H`×`W` patterns: [H, W], [M, H, W] or [OPR, M, H, W] (the first OPR mode,
 * as of the HDF5 product), at most MAX_PROBE_MODES modes and within the memory limit (checked from the header),
 * finite, not zero everywhere; its pixel size from probe_pixel_height_m and probe_pixel_width_m.
 */
export function readPtychodusNpzProbe(r: NpzReader, path: string, H: number, W: number): ProbeData {
  const key = PTYCHODUS_NPZ_KEYS.probe;
  const want = `a complex probe [${H}, ${W}], [M, ${H}, ${W}] or [OPR, M, ${H}, ${W}] (the size of the diffraction patterns)`;
  const h = r.header(key);
  if (!isComplexDtype(h.info.dtype)) throw new InputError(`${path}: key '${key}': expected ${want}; found dtype ${h.info.dtype}`);
  const s = h.shape.length === 4 && h.shape[0]! >= 1 ? h.shape.slice(1) : h.shape;
  const ok = (s.length === 2 && s[0] === H && s[1] === W) || (s.length === 3 && s[0]! >= 1 && s[1] === H && s[2] === W);
  if (!ok) throw new InputError(`${path}: key '${key}': expected ${want}; found shape [${h.shape.join(', ')}]`);
  checkProbeFits(path, key, h.shape, h.dataOffset + h.payloadBytes + 16 * h.size, { oprAxis: true });
  const pixelM = memberPair(r, path, [PTYCHODUS_NPZ_KEYS.probePixelHeight, PTYCHODUS_NPZ_KEYS.probePixelWidth], PIXEL_WHAT, pixelSizeOk);
  const modes = s.length === 3 ? s[0]! : 1;
  const all = finiteComplex(r, path, key, 'a probe');
  const data = all.length === 2 * modes * H * W ? all : all.slice(0, 2 * modes * H * W); // the first OPR mode
  if (data.every((v) => v === 0)) throw new InputError(`${path}: key '${key}': expected ${want}, not zero everywhere; found all ${data.length / 2} values zero`);
  return { modes, height: H, width: W, data, source: `${path}: ${key}`, ...(pixelM ? { pixelM } : {}) };
}

/** The object of a ptychodus NPZ product with what it states of its geometry (each part only when stated). */
export interface PtychodusNpzObject {
  /** Interleaved complex128 [h, w]. */
  data: Float64Array;
  shape: [number, number];
  key: string;
  pixelM?: [number, number];
  /** Metres [y, x] at the object's pixel coordinate (h/2, w/2). */
  centerM?: [number, number];
}

/**
 * The object of a ptychodus NPZ product: [h, w] or one layer [1, h, w] (more layers are refused: one slice is
 * reconstructed here), within the memory limit (from the header), finite. With `placeable` (the data states its
 * positions in metres) and a stated centre, any shape (each side at most MAX_OBJECT_SIDE), which object-file.ts
 * places in the frame by that centre; otherwise the frame's shape `H`×`W` (the refusal says why another is not taken).
 */
export function readPtychodusNpzObject(r: NpzReader, path: string, H: number, W: number, placeable: boolean, limit: MemoryLimit): PtychodusNpzObject {
  const key = PTYCHODUS_NPZ_KEYS.object;
  if (!r.has(key)) throw new InputError(`${path}: key '${key}': expected a complex object [${H}, ${W}] (ptychodus product); found it missing`);
  const pixelM = memberPair(r, path, [PTYCHODUS_NPZ_KEYS.objectPixelHeight, PTYCHODUS_NPZ_KEYS.objectPixelWidth], PIXEL_WHAT, pixelSizeOk);
  const centerM = memberPair(r, path, [PTYCHODUS_NPZ_KEYS.centerY, PTYCHODUS_NPZ_KEYS.centerX], 'one finite number in m', Number.isFinite);
  const anyShape = placeable && centerM !== undefined;
  const frame = { H, W, anyShape, hint: productShapeHint(placeable, [PTYCHODUS_NPZ_KEYS.centerY, PTYCHODUS_NPZ_KEYS.centerX], H, W) };
  const want = objectWanted(frame);
  const h = r.header(key);
  if (!isComplexDtype(h.info.dtype)) throw new InputError(`${path}: key '${key}': expected ${want}; found dtype ${h.info.dtype}`);
  const shape = objectShape(h.shape, frame, 'layer', 'layers', (expected, found) => new InputError(`${path}: key '${key}': expected ${expected}; found ${found}`));
  checkNpzObjectFits(path, key, h, limit);
  const data = finiteComplex(r, path, key, 'an object');
  return { data, shape, key, ...(pixelM ? { pixelM } : {}), ...(centerM ? { centerM } : {}) };
}
