/**
 * A finished reconstruction (an `lsqml --out` folder, or a Phase F job folder: its reconstruction.npz) written as
 * a ptychodus product file (.h5, data/ptychodus.ts), which ptychodus opens as it opens its own, and which
 * `--init-probe file:` / `--init-object file:` read back.
 *
 * What goes where:
 *   probe       reconstructed_probe [M, N, N] as it is (complex64); pixel size = the object pixel size
 *   object      reconstructed_object [H, W] as one layer [1, H, W] (complex64); object_layer_spacing_m empty
 *   positions   positions [n, 2] (y, x object pixel coordinates of the probe's centre) → metres:
 *               x_m = origin_x + x·pixel_x (likewise y), origin = `_metadata.geometry.object_origin_m_yx` (measured
 *               data: the metres the input file gave back), else 0
 *   centre      the metres at pixel coordinate (H/2, W/2): origin + pixel·[H/2, W/2] (ptychodus's mapping then
 *               gives each position its object pixel coordinate back)
 *   pixel size  `_metadata.geometry.object_pixel_size_m_yx`; data without a geometry (synthetic) needs `pixelSizeM`
 *   energy, distance  `_metadata.geometry` energy_eV, detector_distance_m; 0 when the data states none. ptychodus's
 *                     wavelength is hc/E, so for electron data (`radiation: 'electron'`) probe_energy_eV is the photon
 *                     energy of the electron's wavelength, hc/λ, and the comments name the electron energy
 *   loss        loss_history → loss_values, loss_epochs 0 … E − 1
 *   name, comments  the folder's name; engine, version, epochs and the input file's name and SHA-256; for frames
 *                   cropped or binned (`_metadata.geometry.frames`), the patterns' size and detector pixel size (b × the
 *                   file's) and the window: a product has no key of its own for the detector pixel
 * exposure_time_s, probe_photon_count and mass_attenuation_m2_kg (which ptychodus's reader needs or reads) are 0: not known.
 */
import { lstatSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { NpzReader, type MemberHeader } from '../../npy/npz.js';
import { isComplexDtype } from '../../npy/types.js';
import { checkDecodeFits, memoryLimit } from '../../data/memory.js';
import { METADATA_KEY, readMetadata } from '../../data/metadata.js';
import { outside } from '../../data/dataset.js';
import { ELECTRON_VOLT_J, LIGHT_SPEED_M_S, MAX_POSITION_STEP_PX, PLANCK_J_S, floatStep, wavelengthFromEnergy } from '../../data/geometry.js';
import { writePtychodusProduct, type PtychodusProduct } from '../../data/ptychodus.js';
import { pixelSizeOk } from '../../data/hdf5/checks.js';
import { isHdf5File } from '../../data/inspect-hdf5.js';
import { brokenLink, statEntry } from '../../files/regular.js';
import { shownJson } from '../../text.js';
import { PHASE_F } from '../hub/layout.js';
import { checkOptionNames, optionNames } from '../phase.js';

/**
 * The comment of a reconstruction whose patterns were cropped or binned from the file's detector frames
 * (`geometry.frames`, data/hdf5/frames.ts): the detector pixel the object pixel λz/(N·p) came from, binned.
 */
function framesComment(geometry: Record<string, unknown>): string | null {
  const f = geometry.frames;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return null;
  const r = f as Record<string, unknown>, px = geometry.detector_pixel_size_m_yx;
  const pair = (v: unknown): string => (Array.isArray(v) ? `[${v.map((x) => (typeof x === 'number' ? Number(x.toPrecision(6)) : String(x))).join(', ')}]` : String(v));
  return `patterns ${pair(r.pattern_shape)} made of the file's ${pair(r.file_frame_shape)} frames (${String(r.how)}): detector pixel ${pair(px)} m ` +
    `(${String(r.bin_size)} × the file's ${pair(r.file_pixel_size_m_yx)} m)`;
}

export interface PtychodusExportOptions {
  /** The reconstruction: a folder holding reconstruction.npz, or that file. */
  input: string;
  /** The product file to write (.h5). */
  out: string;
  /** Replace an existing `out` (without: refused). */
  force?: boolean;
  /** The object pixel size in m, for a reconstruction whose data states none (synthetic data); refused when the data states one. */
  pixelSizeM?: number;
}

export interface PtychodusExportResult {
  /** The reconstruction.npz read. */
  reconstruction: string;
  out: string;
  objectShape: [number, number];
  probeModes: number;
  positions: number;
  pixelM: [number, number];
  /** The `_metadata` key the pixel size was read from; null when it is `pixelSizeM`. */
  pixelKey: string | null;
}

/** reconstruction.npz of `input` (a folder, or the file itself). */
function reconstructionFile(input: string): string {
  let st;
  try {
    st = statSync(input);
  } catch (err) {
    throw new UsageError(`\`input\` ${input}: ${brokenLink(input, err) ?? 'no such file or folder'}; expected an \`lsqml --out\` folder, a Phase F job folder or its ${PHASE_F.reconstruction}`);
  }
  if (st.isDirectory()) {
    const f = join(input, PHASE_F.reconstruction);
    // anything at that name (a named pipe, a dangling link) is the folder's result, refused where it is read
    if (lstatSync(f, { throwIfNoEntry: false }) === undefined) throw new UsageError(`\`input\` ${input}: holds no ${PHASE_F.reconstruction}; expected a finished reconstruction's folder (\`lsqml --out\`, or a Phase F job folder)`);
    return f;
  }
  // an HDF5 file is measured data (or a product already), not a reconstruction.npz that is "truncated or not a zip"
  if (isHdf5File(input)) {
    throw new InputError(`${input}: expected a reconstruction (an \`lsqml --out\` folder, a Phase F job folder or its ${PHASE_F.reconstruction}); ` +
      'found an HDF5 file (measured data or a ptychodus product): reconstruct it first, `ptychostudy lsqml --input FILE --out DIR`, then export DIR');
  }
  return input;
}

const finitePair = (v: unknown, ok: (x: number) => boolean): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && ok(x));

/**
 * Reads and checks the reconstruction, then writes the product. Bad input: InputError; bad options (an existing `out`
 * without `force`, …): UsageError, options named in backticks by their names here (the command shows its flags); nothing written.
 */
export async function exportPtychodusProduct(opts: PtychodusExportOptions): Promise<PtychodusExportResult> {
  if (opts === null || typeof opts !== 'object') throw new UsageError(`exportPtychodusProduct: options ${shownJson(opts)}: expected an object naming \`input\`, \`out\``);
  checkOptionNames(opts, 'exportPtychodusProduct', optionNames<PtychodusExportOptions>({ input: true, out: true, force: true, pixelSizeM: true }));
  if (typeof opts.out !== 'string' || opts.out === '') throw new UsageError('`out` is required (the .h5 file to write)');
  if (opts.pixelSizeM !== undefined && !pixelSizeOk(opts.pixelSizeM)) {
    throw new UsageError(`\`pixelSizeM\` ${opts.pixelSizeM}: expected the object pixel size in m, a number > 0 and < 0.01`);
  }
  const file = reconstructionFile(opts.input);
  const out = resolve(opts.out);
  if (!statSync(dirname(out), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`\`out\` ${opts.out}: its folder ${dirname(out)} does not exist`);
  // the same file by another path too (a symlinked folder, a hard link): `force` would replace the reconstruction
  const outStat = statEntry(out), fileStat = statEntry(file);
  if (out === resolve(file) || (outStat && fileStat && outStat.dev === fileStat.dev && outStat.ino === fileStat.ino)) {
    throw new UsageError(`\`out\` ${opts.out}: is the reconstruction it exports; expected another file (.h5)`);
  }
  if (outStat && !opts.force) throw new UsageError(`\`out\` ${opts.out}: exists; expected a new file name (or \`force\` to replace it)`);

  const r = NpzReader.open(file);
  let product: PtychodusProduct;
  let pixelKey: string | null;
  try {
    const bad = (key: string, expected: string, found: string): InputError => new InputError(`${file}: key '${key}': expected ${expected}; found ${found}`);
    const want = {
      reconstructed_object: 'a complex object [H, W]',
      reconstructed_probe: 'complex probe modes [M, N, N]',
      positions: 'positions [n, 2] (y, x), float',
      loss_history: 'the loss per epoch [E], float',
    } as const;
    const headers: Record<string, MemberHeader> = {};
    for (const [key, expected] of Object.entries(want)) {
      if (!r.has(key)) throw bad(key, `${expected} (a ptychostudy reconstruction.npz)`, 'it missing');
      headers[key] = r.header(key);
    }
    const ho = headers.reconstructed_object!, hp = headers.reconstructed_probe!, hx = headers.positions!, hl = headers.loss_history!;
    if (!isComplexDtype(ho.info.dtype)) throw bad('reconstructed_object', want.reconstructed_object, `dtype ${ho.info.dtype}`);
    if (ho.shape.length !== 2 || ho.size === 0) throw bad('reconstructed_object', want.reconstructed_object, `shape [${ho.shape.join(', ')}]`);
    if (!isComplexDtype(hp.info.dtype)) throw bad('reconstructed_probe', want.reconstructed_probe, `dtype ${hp.info.dtype}`);
    if (hp.shape.length !== 3 || hp.shape[1] !== hp.shape[2] || hp.size === 0) throw bad('reconstructed_probe', want.reconstructed_probe, `shape [${hp.shape.join(', ')}]`);
    if (hx.info.kind !== 'f' || hx.shape.length !== 2 || hx.shape[1] !== 2 || hx.shape[0] === 0) throw bad('positions', want.positions, `shape [${hx.shape.join(', ')}] of ${hx.info.dtype}`);
    if (hl.info.kind !== 'f' || hl.shape.length !== 1) throw bad('loss_history', want.loss_history, `shape [${hl.shape.join(', ')}] of ${hl.info.dtype}`);
    // every array as read, as float64, and as written (complex64): bounded before anything is decoded
    checkDecodeFits(file, headers, memoryLimit());

    const m = readMetadata(r);
    if (m.status === 'error') throw new InputError(`${file}: key '${METADATA_KEY}': expected a JSON object (the reconstruction's record); found ${m.error}`);
    const meta = m.status === 'ok' ? m.value : {};
    const g = meta.geometry;
    if (g !== undefined && (g === null || typeof g !== 'object' || Array.isArray(g))) throw bad(`${METADATA_KEY}.geometry`, 'an object (energy_eV, object_pixel_size_m_yx, …)', shownJson(g, 200));
    const geometry = (g ?? {}) as Record<string, unknown>;
    const gkey = (k: string): string => `${METADATA_KEY}.geometry.${k}`;
    const px = geometry.object_pixel_size_m_yx;
    let pixelM: [number, number];
    if (px !== undefined) {
      if (!finitePair(px, pixelSizeOk)) throw bad(gkey('object_pixel_size_m_yx'), 'the object pixel size [y, x] in m, two numbers > 0 and < 0.01', shownJson(px, 200));
      if (opts.pixelSizeM !== undefined) throw new UsageError(`\`pixelSizeM\`: the reconstruction's data states its object pixel size, [${px.join(', ')}] m (${gkey('object_pixel_size_m_yx')}); leave \`pixelSizeM\` out`);
      pixelM = [px[0], px[1]];
      pixelKey = gkey('object_pixel_size_m_yx');
    } else {
      if (opts.pixelSizeM === undefined) {
        throw new UsageError(`${file}: states no object pixel size (${gkey('object_pixel_size_m_yx')}: synthetic data has no geometry), which a ptychodus product needs; give it with \`pixelSizeM\``);
      }
      pixelM = [opts.pixelSizeM, opts.pixelSizeM];
      pixelKey = null;
    }
    const og = geometry.object_origin_m_yx;
    if (og !== undefined && !finitePair(og, () => true)) throw bad(gkey('object_origin_m_yx'), 'the metres [y, x] at object pixel coordinate 0, two finite numbers', shownJson(og, 200));
    const origin: [number, number] = og !== undefined ? [og[0], og[1]] : [0, 0];
    const optionalPositive = (k: string, what: string): number => {
      const v = geometry[k];
      if (v === undefined) return 0;
      if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw bad(gkey(k), `${what}, a number > 0 (or no such key)`, shownJson(v, 200));
      return v;
    };
    const radiation = geometry.radiation;
    if (radiation !== undefined && radiation !== 'photon' && radiation !== 'electron') throw bad(gkey('radiation'), "'photon' or 'electron' (or no such key)", shownJson(radiation, 200));
    const statedEv = optionalPositive('energy_eV', radiation === 'electron' ? 'the electron energy in eV' : 'the photon energy in eV');
    // ptychodus turns probe_energy_eV into λ = hc/E: for electrons it gets the photon energy of the electron's wavelength
    const energyEv = radiation === 'electron' && statedEv > 0
      ? (PLANCK_J_S * LIGHT_SPEED_M_S) / wavelengthFromEnergy(statedEv * ELECTRON_VOLT_J, 'electron') / ELECTRON_VOLT_J : statedEv;
    const distanceM = optionalPositive('detector_distance_m', 'the sample–detector distance in m');

    const object = r.get('reconstructed_object'), probe = r.get('reconstructed_probe');
    const positions = r.get('positions'), loss = r.get('loss_history');
    const finite = (key: string, data: ArrayLike<number>): void => {
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) throw bad(key, 'finite values', `${data[i]} at flat index ${i}`);
    };
    const c64 = (key: string, data: ArrayLike<number>): Float32Array => {
      const f = Float32Array.from(data);
      finite(key, f);
      return f;
    };
    const [H, W] = [ho.shape[0]!, ho.shape[1]!];
    const n = hx.shape[0]!;
    const p = positions.data as Float32Array | Float64Array;
    finite('positions', p);
    // Every patch touches the object, as lsqml's job positions must (job-input.ts): a position beyond is a broken
    // file, not a scan (1e30 px, or a scan spanning more pixels than the object frame).
    const N = hp.shape[1]!;
    for (const [col, axis, size] of [[0, 'y', H], [1, 'x', W]] as const) {
      const c = Float64Array.from({ length: n }, (_, i) => p[2 * i + col]!);
      const far = outside(c, -N / 2, size + N / 2);
      if (far) {
        throw bad('positions', `probe positions (y, x) in object pixels whose ${N}×${N} patch touches the ${H}×${W} reconstructed_object ` +
          `(${-N / 2} ≤ ${axis} ≤ ${size + N / 2})`, `${axis} = ${far}`);
      }
    }
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) { y[i] = origin[0] + p[2 * i]! * pixelM[0]; x[i] = origin[1] + p[2 * i + 1]! * pixelM[1]; }
    // The product stores metres as float64: at an origin far out (1e30 m) neighbouring positions become one value.
    const centreM = [origin[0] + pixelM[0] * H / 2, origin[1] + pixelM[1] * W / 2];
    let big = Math.max(Math.abs(centreM[0]!), Math.abs(centreM[1]!));
    for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(x[i]!), Math.abs(y[i]!));
    const stepPx = floatStep(big, 52) / Math.min(pixelM[0], pixelM[1]);
    if (!Number.isFinite(big) || stepPx > MAX_POSITION_STEP_PX) {
      throw bad(og !== undefined ? gkey('object_origin_m_yx') : 'positions',
        `positions in metres that float64 holds to better than ${MAX_POSITION_STEP_PX} object pixel`,
        `${og !== undefined ? `origin ${shownJson(og, 100)} m, ` : ''}positions up to ${big.toPrecision(4)} m` +
        (Number.isFinite(big) ? `, where float64 values are ${stepPx.toPrecision(3)} object pixels of ${Math.min(pixelM[0], pixelM[1]).toPrecision(4)} m apart` : ''));
    }
    const lossHistory = Float64Array.from(loss.data as Float32Array | Float64Array);
    const input = meta.input as { file?: unknown; sha256?: unknown } | undefined;
    const name = basename(dirname(resolve(file)));
    const comments = [
      `${typeof meta.engine === 'string' ? meta.engine : 'ptychostudy'} ${typeof meta.engine_version === 'string' ? meta.engine_version : ''}`.trim(),
      typeof meta.algorithm === 'string' ? meta.algorithm : null,
      typeof meta.epochs_run === 'number' ? `${meta.epochs_run} epochs` : null,
      input && typeof input.file === 'string' ? `input ${input.file}${typeof input.sha256 === 'string' ? ` (SHA-256 ${input.sha256})` : ''}` : null,
      framesComment(geometry),
      radiation === 'electron' && statedEv > 0 ? `electron data of ${statedEv} eV: probe_energy_eV ${energyEv.toPrecision(8)} is the photon energy of its wavelength (ptychodus takes λ = hc/E)` : null,
      `exported from ${basename(file)}`,
    ].filter((s): s is string => s !== null).join('; ');
    product = {
      name, comments, detectorDistanceM: distanceM, probeEnergyEv: energyEv,
      probe: { modes: hp.shape[0]!, size: hp.shape[1]!, data: c64('reconstructed_probe', probe.data as Float32Array | Float64Array) },
      object: { height: H, width: W, data: c64('reconstructed_object', object.data as Float32Array | Float64Array) },
      pixelM, centerM: [centreM[0]!, centreM[1]!],
      positionsM: { x, y }, lossHistory,
    };
  } finally {
    r.close();
  }
  await writePtychodusProduct(out, product, { force: opts.force === true });
  return {
    reconstruction: file, out, objectShape: [product.object.height, product.object.width], probeModes: product.probe.modes,
    positions: product.positionsM.x.length, pixelM: product.pixelM, pixelKey,
  };
}
