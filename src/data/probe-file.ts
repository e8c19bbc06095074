/**
 * A probe from a file, recognised by its first bytes:
 *   NPZ      `reconstructed_probe` (ptychostudy) or `probeGuess` (DATA-001): complex [H, W] or [M, H, W]
 *   CXI      entry_1/instrument_1/source_1/illumination (or …/probe); pixel size = λz/(N·p) of the file, λ of the
 *            radiation the file states (…/source_1/probe as a string), else that of the data it is for
 *   ptychodus product (.h5)  `probe` [H, W], [M, H, W] or [OPR, M, H, W] (first OPR mode), pixel size
 *            from its attributes pixel_height_m / pixel_width_m (layout of ptychodus's H5ProductFileIO)
 *   ptychodus product (.npz)  the same `probe`, pixel size from the members probe_pixel_height_m /
 *            probe_pixel_width_m (layout of ptychodus's NPZProductFileIO; data/ptychodus-npz.ts)
 *   PtyPy reconstruction (.ptyr)  content/probe/<first storage>/data, pixel size from _psize
 * The probe must have the patterns' size [H, W]: it is never resampled. Modes are kept.
 */
import { InputError } from '../errors.js';
import { NpzReader } from '../npy/npz.js';
import { isComplexDtype } from '../npy/types.js';
import { makeGeometry, type Radiation } from './geometry.js';
import { METADATA_KEY, readMetadata } from './metadata.js';
import { checkHdf5ProbeFits, checkProbeFits } from './memory.js';
import { printable, shownJson } from '../text.js';
import { looksLikePtychodusProduct, productPixel } from './ptychodus.js';
import type { ProbeData } from './measured.js';
import { CXI_KEYS, chooseCxiEntry, cxiKeysOf, cxiProbeKey, looksLikeCxi, probeAlsoLookedAt, readCxiRadiation, readProbeDataset } from './cxi.js';
import { DISTANCE_M, ELECTRON_ENERGY_J, ENERGY_J, PIXEL_M, pixelSizeOk, firstPresent, readPhysical } from './hdf5/checks.js';
import { withHdf5, type Hdf5Reader } from './hdf5/reader.js';
import { sniffInputFile } from './hdf5/signature.js';
import { looksLikePtyr, readPtyrProbe } from './ptypy.js';
import { looksLikePtychodusNpz, readPtychodusNpzProbe } from './ptychodus-npz.js';

export { looksLikePtychodusProduct } from './ptychodus.js';

/**
 * The probe of a ptychodus product file. Its pixel size is optional — but when either attribute is
 * there, both must be, each one positive number below 1 cm: a malformed one (a string, two numbers,
 * NaN) is refused, never taken for an absent one (which would skip the pixel-size check).
 */
export function readPtychodusProbe(r: Hdf5Reader, H: number, W: number): ProbeData {
  const pixelM = productPixel(r, 'probe');
  checkHdf5ProbeFits(r, 'probe', { oprAxis: true });
  return readProbeDataset(r, 'probe', H, W, { takeFirstOf4d: true, ...(pixelM ? { pixelM } : {}) });
}

function readCxiProbe(r: Hdf5Reader, H: number, W: number, radiation?: Radiation, named?: string | null): ProbeData {
  // the entry the data is read from (reconstruction.cxiEntry), or the file's only one: chosen as the data's reader chooses it
  // (a probe file of one entry is read at it whatever entry of the data is named)
  const K = cxiKeysOf(chooseCxiEntry(r, named, { onlyEntryServes: true }));
  const key = cxiProbeKey(r, K);
  if (key === undefined) {
    throw r.bad(K.probe[0]!, `a complex probe [${H}, ${W}]`, `it missing (${probeAlsoLookedAt(r.has(K.probe[1]!) ? K.radiation[0] : undefined, K)})`);
  }
  let pixelM: [number, number] | undefined;
  // The CXI probe is sampled like the object: λz/(N·p) of the file's own geometry, when it has one, λ of the radiation
  // the file states, or else of the data's (a file that states another radiation than the data's is refused)
  if (K.energy.every((k) => r.has(k)) && r.has(K.distance[0]!) && r.has(K.xPixel[0]!) && r.has(K.yPixel[0]!)) {
    const rad = readCxiRadiation(r, radiation, 'data', K).radiation;
    const g = makeGeometry(readPhysical(r, K.energy, rad === 'electron' ? ELECTRON_ENERGY_J : ENERGY_J).value, readPhysical(r, K.distance, DISTANCE_M).value,
      [readPhysical(r, K.yPixel, PIXEL_M).value, readPhysical(r, K.xPixel, PIXEL_M).value], [H, W], rad);
    pixelM = g.objectPixelM;
  }
  checkHdf5ProbeFits(r, key);
  return readProbeDataset(r, key, H, W, pixelM ? { pixelM } : {});
}

function readNpzProbe(path: string, H: number, W: number): ProbeData {
  const r = NpzReader.open(path);
  try {
    if (looksLikePtychodusNpz(r)) return readPtychodusNpzProbe(r, path, H, W);
    const key = r.has('reconstructed_probe') ? 'reconstructed_probe' : r.has('probeGuess') ? 'probeGuess' : undefined;
    const want = `a complex probe [${H}, ${W}] or [M, ${H}, ${W}]`;
    if (!key) throw new InputError(`${path}: key 'reconstructed_probe': expected ${want} (or 'probeGuess'); found it missing`);
    // dtype, shape, modes and memory from the header, before anything is decoded
    const h = r.header(key);
    if (!isComplexDtype(h.info.dtype)) throw new InputError(`${path}: key '${key}': expected ${want}; found dtype ${h.info.dtype}`);
    const s = h.shape;
    const ok = (s.length === 2 && s[0] === H && s[1] === W) || (s.length === 3 && s[0]! >= 1 && s[1] === H && s[2] === W);
    if (!ok) throw new InputError(`${path}: key '${key}': expected ${want}; found shape [${s.join(', ')}]`);
    // the member as read, then as float64
    checkProbeFits(path, key, s, h.dataOffset + h.payloadBytes + 16 * h.size);
    const a = r.get(key);
    const data = Float64Array.from(a.data as Float32Array | Float64Array);
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) throw new InputError(`${path}: key '${key}': expected a finite probe; found ${data[i]} at flat index ${i >> 1}`);
    if (data.every((v) => v === 0)) throw new InputError(`${path}: key '${key}': expected ${want}, not zero everywhere; found all ${data.length / 2} values zero`);
    const pixelM = npzProbePixel(r, path);
    return { modes: s.length === 3 ? s[0]! : 1, height: H, width: W, data, source: `${path}: ${key}`, ...(pixelM ? { pixelM } : {}) };
  } finally {
    r.close();
  }
}

/**
 * The object pixel size [y, x] an NPZ states in `_metadata.geometry.object_pixel_size_m_yx` (a reconstruction
 * of measured data, or a dataset NPZ with its geometry), so that a probe reconstructed at another pixel size
 * is refused like one from a CXI or .ptyr file. Absent: undefined. A `_metadata` that cannot be read, or a
 * pixel size that is not two numbers > 0 and < 1 cm, is refused — never taken for an absent one.
 */
function npzProbePixel(r: NpzReader, path: string): [number, number] | undefined {
  const m = readMetadata(r);
  if (m.status === 'absent') return undefined;
  const key = `${METADATA_KEY}.geometry.object_pixel_size_m_yx`;
  if (m.status === 'error') throw new InputError(`${path}: key '${METADATA_KEY}': expected a JSON object (it may state the probe's pixel size), or no '${METADATA_KEY}' key at all; found ${m.error}`);
  const g = m.value.geometry;
  if (g === undefined || g === null) return undefined;
  const p = typeof g === 'object' && !Array.isArray(g) ? (g as Record<string, unknown>).object_pixel_size_m_yx : g;
  if (p === undefined && typeof g === 'object' && !Array.isArray(g)) return undefined;
  const ok = (v: unknown): v is number => typeof v === 'number' && pixelSizeOk(v);
  if (!(Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]))) {
    throw new InputError(`${path}: key '${key}': expected the object pixel size [y, x] in m, two numbers > 0 and < ${PIXEL_M.max}; found ${shownJson(p, 200)}`);
  }
  return [p[0], p[1]];
}

/**
 * Reads the probe of `path` for patterns of `H`×`W`; one-line InputError when there is none or it does not fit.
 * `radiation`: that of the data the probe is for; a CXI file's pixel size comes from its own energy with it when
 * the file states no radiation (one that states another is refused). `cxiEntry` (reconstruction.cxiEntry): a CXI
 * probe file is read at that entry, as the data is; none named, at the file's only entry (one of several is refused).
 */
export async function readProbeFile(path: string, H: number, W: number, opts: { radiation?: Radiation; cxiEntry?: string | null } = {}): Promise<ProbeData> {
  const kind = sniffInputFile(path, 'the probe file');
  if (kind === 'zip') return readNpzProbe(path, H, W);
  if (kind !== 'hdf5') throw new InputError(`${path}: expected a probe file (NPZ, CXI, ptychodus .h5 or PtyPy .ptyr); found neither a zip nor an HDF5 signature`);
  return withHdf5(path, (r) => {
    if (looksLikeCxi(r) || firstPresent(r, CXI_KEYS.probe) !== undefined) return readCxiProbe(r, H, W, opts.radiation, opts.cxiEntry);
    if (looksLikePtychodusProduct(r)) return readPtychodusProbe(r, H, W);
    if (looksLikePtyr(r)) return readPtyrProbe(r, H, W);
    throw new InputError(`${path}: expected a probe at ${CXI_KEYS.probe[0]} (CXI), 'probe' (ptychodus product) or content/probe/*/data (PtyPy .ptyr); found top-level keys [${printable(r.keys('/').join(', '), 1000)}]`);
  });
}
