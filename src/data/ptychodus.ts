/**
 * ptychodus's HDF5 product file (.h5), the layout of its plugin H5ProductFileIO
 * (AdvancedPhotonSource/ptychodus 7ccf581, src/ptychodus/plugins/h5_product_file.py). What its reader requires:
 *   root attributes  name (str), comments (str), detector_object_distance_m, probe_energy_eV, exposure_time_s;
 *                    optional: probe_photon_count, mass_attenuation_m2_kg, tomography_angle_deg
 *   probe_position_indexes [n] int, probe_position_x_m [n], probe_position_y_m [n]  (the probe's centre, metres)
 *   probe            complex [H, W], [M, H, W] or [OPR, M, H, W]; attributes pixel_width_m, pixel_height_m
 *   object           complex [H, W] or [L, H, W] (L layers); attributes pixel_width_m, pixel_height_m,
 *                    center_x_m, center_y_m (metres at the object's pixel coordinate (W/2, H/2))
 *   object_layer_spacing_m [L − 1]
 *   loss_values [E] (or `costs`), loss_epochs [E] (optional)
 * ptychodus maps a probe position to object pixels as x_px = (x_m − center_x_m) / pixel_width_m + W/2 (likewise y):
 * the object pixel coordinate of the probe's centre, the coordinate ptychostudy's positions are in (xcoords, ycoords).
 * Complex values are HDF5 compounds of two floats named r and i, as h5py writes them.
 *
 * Here: the product's object as an initial object (`readPtychodusObject`), and a reconstruction written as a
 * product (`writePtychodusProduct`). The probe is read by probe-file.ts.
 */
import { closeSync, lstatSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { linkNew, tempNameFor } from '../files/atomic.js';
import { EarlierFiles } from '../files/earlier.js';
import { innermostHdf5Message, quietly, type Hdf5Reader } from './hdf5/reader.js';
import { PIXEL_M, pixelSizeOk } from './hdf5/checks.js';
import { MAX_OBJECT_SIDE } from './geometry.js';
import { printable, quoted } from '../text.js';

/** The product's keys and attribute names (ptychodus's H5ProductFileIO). */
export const PRODUCT_KEYS = {
  name: 'name', comments: 'comments', distance: 'detector_object_distance_m', energy: 'probe_energy_eV',
  photonCount: 'probe_photon_count', exposure: 'exposure_time_s', massAttenuation: 'mass_attenuation_m2_kg',
  probe: 'probe', pixelHeight: 'pixel_height_m', pixelWidth: 'pixel_width_m',
  indexes: 'probe_position_indexes', x: 'probe_position_x_m', y: 'probe_position_y_m',
  object: 'object', centerX: 'center_x_m', centerY: 'center_y_m', layerSpacing: 'object_layer_spacing_m',
  lossEpochs: 'loss_epochs', lossValues: 'loss_values',
} as const;

/** A numeric attribute value (a number, or an array of one number) as a number; undefined otherwise. */
export function attrNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if ((ArrayBuffer.isView(v) || Array.isArray(v)) && (v as ArrayLike<unknown>).length === 1) {
    const x = (v as ArrayLike<unknown>)[0];
    if (typeof x === 'number' || typeof x === 'bigint') return Number(x);
  }
  return undefined;
}

/** An attribute value as a message shows it: '5e-6' (a string), [5e-6, 5e-6] (2 numbers), … */
export function describeAttr(v: unknown): string {
  if (typeof v === 'string') return `the string ${quoted(v)}`;
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const a = Array.from(v as ArrayLike<unknown>);
    return `an array of ${a.length} values [${printable(a.slice(0, 4).map(String).join(', '))}${a.length > 4 ? ', …' : ''}]`;
  }
  return printable(String(v));
}

/**
 * A pair of optional attributes of `key` that go together (pixel height and width, centre x and y): both
 * absent → undefined; one without the other, or one that is not a number passing `ok`, is refused — never
 * taken for an absent pair (which would skip a check). Returned in the order of `names`.
 */
export function attrPair(r: Hdf5Reader, key: string, names: readonly [string, string], what: string,
  ok: (v: number) => boolean): [number, number] | undefined {
  const raw = names.map((name) => r.attr(key, name));
  const want = (name: string): string => `attribute ${name}: ${what} (with ${name === names[0] ? names[1] : names[0]}, or neither)`;
  const present = names.filter((_, k) => raw[k] !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) {
    const missing = names.find((n) => !present.includes(n))!;
    throw r.bad(key, want(missing), `${present[0]} without ${missing}`);
  }
  return names.map((name, k) => {
    const v = attrNumber(raw[k]);
    if (v === undefined) throw r.bad(key, want(name), describeAttr(raw[k]));
    if (!ok(v)) throw r.bad(key, want(name), String(v));
    return v;
  }) as [number, number];
}

const PIXEL_WHAT = `a number in m, > 0 and < ${PIXEL_M.max}`;

/** The pixel size [y, x] of dataset `key` (attributes pixel_height_m, pixel_width_m), when it states one. */
export function productPixel(r: Hdf5Reader, key: string): [number, number] | undefined {
  return attrPair(r, key, [PRODUCT_KEYS.pixelHeight, PRODUCT_KEYS.pixelWidth], PIXEL_WHAT, pixelSizeOk);
}

/** True when the open file has ptychodus's product layout (a root `probe` dataset and probe_position_x_m). */
export function looksLikePtychodusProduct(r: Hdf5Reader): boolean {
  return r.kind(PRODUCT_KEYS.probe) === 'dataset' && r.kind(PRODUCT_KEYS.x) === 'dataset';
}

/** An object read from a file, with the geometry the file states (each part only when stated). */
export interface ObjectFromFile {
  /** Interleaved complex128 [H, W], or of a product read with `place`, rows `firstRow …` of [h, w] (those the frame holds). */
  data: Float64Array;
  /** [H, W] as the file holds it: the object frame's, except for a product read with `place`. */
  shape: [number, number];
  /** The file's row that `data` starts with (0 unless only some rows were read). */
  firstRow?: number;
  key: string;
  /** Object pixel size [y, x], m. */
  pixelM?: [number, number];
  /** Metres [y, x] at the object's pixel coordinate (H/2, W/2) (ptychodus's center_y_m, center_x_m). */
  centerM?: [number, number];
  /** Metres [y, x] at the object's pixel coordinate (0, 0) (a PtyPy storage's _origin). */
  originM?: [number, number];
}

/** What an object dataset is read as: the frame [H, W], and whether (and why not) another shape is taken. */
export interface ObjectDatasetFrame {
  H: number;
  W: number;
  /** Any [h, w] (each side at most MAX_OBJECT_SIDE), for an object its file places in the frame. */
  anyShape?: boolean;
  /** Added to the expected shape of a refusal: why another shape is not taken, and what to do. */
  hint?: string;
  /**
   * With `anyShape`: the rows [first, count] of an object of shape [h, w] that are needed (those the frame holds
   * where it is placed); only they are read. Called with the shape before anything is read; may refuse it.
   */
  rowsNeeded?: (shape: [number, number]) => [number, number];
}

/** The refusal's hint for an object file that states no centre (NPZ, .ptyr, CXI image): another shape is not placed. */
export function otherShapeHint(H: number, W: number): string {
  return `; only a ptychodus product's centre or a PtyPy .ptyr's origin places an object of another shape: crop or pad it to [${H}, ${W}]`;
}

/**
 * A complex object dataset of shape [H, W] or [1, H, W] (one layer of an [L, H, W] stack: a multislice object of
 * L > 1 layers is refused, since ptychostudy reconstructs a single slice), checked from its header before it is read;
 * with `anyShape`, of any [h, w] so stored.
 */
export function readObjectDataset(r: Hdf5Reader, key: string, frame: ObjectDatasetFrame, layers: string, plural = `${layers}s`): { data: Float64Array; shape: [number, number]; firstRow: number } {
  const want = objectWanted(frame);
  const info = r.info(key, want);
  if (info.kind !== 'complex') throw r.bad(key, want, `dtype ${info.dtype}`);
  const shape = objectShape(info.shape, frame, layers, plural, (expected, found) => r.bad(key, expected, found));
  // an object placed by its centre: only the rows the frame holds (a gzip'd 8000² object of 744 KB, read whole for a
  // 73 × 58 frame, took 4 s and 1.2 GB); bounded, and checked against the memory limit, before it is allocated
  const [firstRow, rows] = frame.anyShape && frame.rowsNeeded ? frame.rowsNeeded(shape) : [0, shape[0]];
  const data = r.readComplexRows(info, want, firstRow, rows);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw r.bad(key, `${want}, finite`, `${data[i]} at flat index ${(i >> 1) + firstRow * shape[1]}`);
  }
  return { data, shape, firstRow };
}

/** What an object dataset read for `frame` is expected to be, as its refusals say. */
export function objectWanted(frame: ObjectDatasetFrame): string {
  const { H, W } = frame;
  return frame.anyShape
    ? `a complex object [h, w] or [1, h, w], each side at most ${MAX_OBJECT_SIDE} (placed in this dataset's object frame [${H}, ${W}] by its centre)`
    : `a complex object [${H}, ${W}] or [1, ${H}, ${W}] (the object frame of this dataset${frame.hint ?? ''})`;
}

/**
 * The [h, w] of an object stored with shape `s` ([h, w] or one layer [1, h, w]) that `frame` takes; more layers, or
 * another shape, are refused through `bad` (the reader's own form of a refusal: expected, found).
 */
export function objectShape(s: readonly number[], frame: ObjectDatasetFrame, layers: string, plural: string,
  bad: (expected: string, found: string) => Error): [number, number] {
  const want = objectWanted(frame);
  const fits = (h: number, w: number): boolean => (frame.anyShape ? h >= 1 && w >= 1 && h <= MAX_OBJECT_SIDE && w <= MAX_OBJECT_SIDE : h === frame.H && w === frame.W);
  if (s.length === 3 && s[0]! > 1 && fits(s[1]!, s[2]!)) {
    throw bad(`${want}: one ${layers} (ptychostudy reconstructs a single slice)`, `shape [${s.join(', ')}] (${s[0]} ${plural})`);
  }
  if (!((s.length === 2 && fits(s[0]!, s[1]!)) || (s.length === 3 && s[0] === 1 && fits(s[1]!, s[2]!)))) throw bad(want, `shape [${s.join(', ')}]`);
  return [s[s.length - 2]!, s[s.length - 1]!];
}

/**
 * The refusal's hint of a ptychodus product (HDF5 or NPZ) whose object has not the frame's shape: with `placeable`
 * data, it states no centre (`centreKeys`) to place it by; otherwise the data's positions are not in metres.
 */
export function productShapeHint(placeable: boolean, centreKeys: readonly [string, string], H: number, W: number): string {
  return placeable
    ? `; this product states no centre (${centreKeys[0]}, ${centreKeys[1]}) to place an object of another shape by: crop or pad it to [${H}, ${W}]`
    : `; an object of another shape is placed by its centre only on data that states its positions in metres (CXI, PtyPy .ptyd): crop or pad it to [${H}, ${W}]`;
}

/**
 * The object of a ptychodus product, its pixel size and centre (each checked when stated). With `placeable` (the
 * data states its positions in metres) a product that states its centre may hold an object of any shape, which
 * object-file.ts places in the frame by that centre; otherwise the object must have the frame's shape. `rowsNeeded`
 * (given the shape and centre, before anything is read) says which rows of such an object to read.
 */
export function readPtychodusObject(r: Hdf5Reader, H: number, W: number, placeable = false,
  rowsNeeded?: (shape: [number, number], centerM: [number, number]) => [number, number]): ObjectFromFile {
  const key = PRODUCT_KEYS.object;
  if (r.kind(key) !== 'dataset') throw r.bad(key, `a complex object [${H}, ${W}] (ptychodus product)`, r.kind(key) === 'missing' ? 'it missing' : `a ${r.kind(key)}`);
  const pixelM = productPixel(r, key);
  const center = attrPair(r, key, [PRODUCT_KEYS.centerY, PRODUCT_KEYS.centerX], 'a finite number in m', Number.isFinite);
  const anyShape = placeable && center !== undefined;
  const hint = anyShape ? '' : productShapeHint(placeable, [PRODUCT_KEYS.centerY, PRODUCT_KEYS.centerX], H, W);
  const rows = anyShape && rowsNeeded ? { rowsNeeded: (shape: [number, number]) => rowsNeeded(shape, center) } : {};
  const { data, shape, firstRow } = readObjectDataset(r, key, { H, W, anyShape, hint, ...rows }, 'layer');
  return { data, shape, firstRow, key, ...(pixelM ? { pixelM } : {}), ...(center ? { centerM: center } : {}) };
}

/** What a product file holds, as `writePtychodusProduct` writes it. */
export interface PtychodusProduct {
  name: string;
  comments: string;
  /** m; 0 when not known. */
  detectorDistanceM: number;
  /** eV; 0 when not known. */
  probeEnergyEv: number;
  /** Probe modes [M, N, N], interleaved complex (written as complex64). */
  probe: { modes: number; size: number; data: Float32Array };
  /** Object [H, W], interleaved complex (written as complex64, one layer [1, H, W] as ptychodus writes it). */
  object: { height: number; width: number; data: Float32Array };
  /** Object (and probe) pixel size [y, x], m. */
  pixelM: [number, number];
  /** Metres [y, x] at the object's pixel coordinate (H/2, W/2). */
  centerM: [number, number];
  /** Probe positions (their centres), m. */
  positionsM: { x: Float64Array; y: Float64Array };
  lossHistory: Float64Array;
}

type H5File = import('h5wasm/node').File;

function complexMap(data: Float32Array): Map<string, Float32Array> {
  const n = data.length / 2;
  const re = new Float32Array(n), im = new Float32Array(n);
  for (let i = 0; i < n; i++) { re[i] = data[2 * i]!; im[i] = data[2 * i + 1]!; }
  return new Map([['r', re], ['i', im]]);
}

function writeProduct(f: H5File, p: PtychodusProduct): void {
  const K = PRODUCT_KEYS;
  f.create_attribute(K.name, p.name);
  f.create_attribute(K.comments, p.comments);
  f.create_attribute(K.distance, p.detectorDistanceM, null, '<d');
  f.create_attribute(K.energy, p.probeEnergyEv, null, '<d');
  f.create_attribute(K.photonCount, 0, null, '<d');
  f.create_attribute(K.exposure, 0, null, '<d');
  f.create_attribute(K.massAttenuation, 0, null, '<d');
  const n = p.positionsM.x.length;
  f.create_dataset({ name: K.indexes, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), shape: [n], dtype: '<q' });
  f.create_dataset({ name: K.x, data: p.positionsM.x, shape: [n], dtype: '<d' });
  f.create_dataset({ name: K.y, data: p.positionsM.y, shape: [n], dtype: '<d' });
  const probe = f.create_dataset({ name: K.probe, data: complexMap(p.probe.data), shape: [p.probe.modes, p.probe.size, p.probe.size] });
  probe.create_attribute(K.pixelWidth, p.pixelM[1], null, '<d');
  probe.create_attribute(K.pixelHeight, p.pixelM[0], null, '<d');
  const object = f.create_dataset({ name: K.object, data: complexMap(p.object.data), shape: [1, p.object.height, p.object.width] });
  object.create_attribute(K.centerX, p.centerM[1], null, '<d');
  object.create_attribute(K.centerY, p.centerM[0], null, '<d');
  object.create_attribute(K.pixelWidth, p.pixelM[1], null, '<d');
  object.create_attribute(K.pixelHeight, p.pixelM[0], null, '<d');
  f.create_dataset({ name: K.layerSpacing, data: new Float64Array(0), shape: [0], dtype: '<d' });
  const e = p.lossHistory.length;
  f.create_dataset({ name: K.lossEpochs, data: BigInt64Array.from({ length: e }, (_, i) => BigInt(i)), shape: [e], dtype: '<q' });
  f.create_dataset({ name: K.lossValues, data: p.lossHistory, shape: [e], dtype: '<d' });
}

/**
 * The time HDF5 records in every object header it writes (access, modification, change and birth times, seconds):
 * a fixed one, 0 (1970-01-01), not the time of writing, so that one reconstruction gives one file, byte for byte.
 * h5wasm's HDF5 takes the time from JavaScript's `Date.now` (Emscripten's clock) and offers no way to turn the
 * times off (H5Pset_obj_track_times is not among its bindings), so `Date.now` gives this time for the duration of
 * `fn`, which is synchronous: no other JavaScript of this thread runs before it is put back.
 */
const PRODUCT_OBJECT_TIME_MS = 0;

function atProductObjectTime<T>(fn: () => T): T {
  const now = Date.now;
  Date.now = (): number => PRODUCT_OBJECT_TIME_MS;
  try {
    return fn();
  } finally {
    Date.now = now;
  }
}

/**
 * Writes `p` as a ptychodus product at `path`: into a temporary file beside it, renamed into place when complete.
 * An existing `path` is refused (UsageError) unless `force`, and then replaced whole, the earlier file moving to
 * `history/replaced-<time>/` beside it when its bytes differ (files/earlier.ts); without `force` the file is
 * linked into place (`linkNew`: on a file system without hard links, the name taken by an exclusive create), so a
 * file another writer put there meanwhile is not replaced either. The same `p` gives the
 * same bytes, whenever it is written (`atProductObjectTime`).
 */
export async function writePtychodusProduct(path: string, p: PtychodusProduct, opts: { force?: boolean } = {}): Promise<void> {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st && !opts.force) throw new UsageError(`${path}: exists; expected a new file name (or \`force\` to replace it)`);
  if (st && !st.isFile()) throw new UsageError(`${path}: exists and is not a regular file; expected a file name`);
  const earlier = st && opts.force ? new EarlierFiles(dirname(resolve(path))) : null; // a history/ that is not a folder: refused here
  const lib = await import('h5wasm/node');
  await lib.ready;
  const tmp = resolve(tempNameFor(path));
  try {
    // created here first, so that a folder that cannot be written is said in one line (HDF5 would print its error
    // stack and go on with an invalid file)
    try {
      closeSync(openSync(tmp, 'wx'));
    } catch (err) {
      throw new UsageError(`${path}: cannot be written in its folder (${err instanceof Error ? err.message : String(err)})`);
    }
    // HDF5's diagnostics (a full disk, …) are caught, not printed: the error says why in one line
    const w = quietly(() => atProductObjectTime(() => {
      const f = new lib.File(tmp, 'w');
      try {
        writeProduct(f, p);
      } finally {
        f.close();
      }
    }));
    if (w.thrown !== undefined || w.diag || w.runtime) {
      // the system's reason (ENOSPC: 'No space left on device') where HDF5's stack names one, else its innermost message
      const system = /error message = '([^'\n]*)'/.exec(w.diag)?.[1];
      throw new Error(`HDF5: ${system ?? innermostHdf5Message(w.diag) ?? (w.thrown instanceof Error ? w.thrown.message : w.runtime.split('\n')[0] ?? 'unknown error')}`);
    }
    if (opts.force) {
      earlier?.beforeRename(path, tmp);
      renameSync(tmp, path);
    }
    else if (!linkNew(tmp, path)) throw new UsageError(`${path}: exists; expected a new file name (or \`force\` to replace it)`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new Error(`${path}: cannot be written (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  } finally {
    rmSync(tmp, { force: true });
  }
}
