/**
 * CXI (Coherent X-ray Imaging data bank format, HDF5) ptychography files → measured data.
 *
 * Read, in order of preference (the first present of each list):
 *   diffraction   entry_1/data_1/data, entry_1/instrument_1/detector_1/data
 *                 [n, H, W] counts or intensities, any integer or float type; √ → float32 amplitudes
 *   positions     entry_1/sample_1/geometry_1/translation, entry_1/data_1/translation
 *                 [n, 3] (or [n, 2]) metres; column 0 = x, column 1 = y of the probe position, as
 *                 ptychodus's CXI reader reads it (checked by running it: test/data/cxi-ptychodus.test.ts);
 *                 z ignored; when both keys are present as different datasets, they must hold the same values
 *   energy        entry_1/instrument_1/source_1/energy               J: a photon's, or an electron's kinetic energy
 *   radiation     entry_1/instrument_1/source_1/probe when it is a string (NeXus NXsource `probe`: 'x-ray',
 *                 'electron', …; optional): which formula turns the energy into the wavelength (readCxiRadiation)
 *   distance      entry_1/instrument_1/detector_1/distance           m
 *   pixel size    entry_1/instrument_1/detector_1/x_pixel_size, y_pixel_size   m
 *   probe         entry_1/instrument_1/source_1/illumination, entry_1/instrument_1/source_1/probe
 *                 (optional) complex [H, W] or [M, H, W], pixel size = the object pixel size
 *   mask          entry_1/instrument_1/detector_1/mask (optional) bit field [H, W] or [n, H, W], 0 = good:
 *                 pixels with a bit of CXI_MASK_DO_NOT_USE set are masked (hdf5/mask.ts), and so are pixels
 *                 at the largest value of an integer type (detector gaps); `detectorMask: false` reads neither
 */
import { checkPositionPrecision, frameFromMetres, sparseScanWarning, makeGeometry, wavelengthFromEnergy, DEFAULT_OBJECT_MARGIN, ELECTRON_VOLT_J, type Radiation } from './geometry.js';
import type { MeasuredData, ProbeData, RadiationFrom } from './measured.js';
import { DISTANCE_M, ELECTRON_ENERGY_J, ENERGY_J, PIXEL_M, UNSTATED_ENERGY_J, UNSTATED_PHOTON_WARN_J, pixelSizeOk, checkUnits, firstPresent, readPhysical } from './hdf5/checks.js';
import { shown, withHdf5, type Hdf5OpenOptions, type Hdf5Reader } from './hdf5/reader.js';
import { checkStackInfo, checkStackOutput, negativesWarning, nonFiniteMaskedWarning, readIntensityStack, typeMaxWarnings } from './hdf5/stack.js';
import { CXI_MASK_DO_NOT_USE, countFlags, maskOffRecord, cxiMaskBad, maskOf, readMaskFlags, type MaskSource } from './hdf5/mask.js';
import { MAX_PROBE_MODES, checkMeasuredStackFits, checkObjectFrameFits, type LsqmlJobRequest } from './memory.js';
import { binFlags, checkSquarePatterns, cropFlags, frameRecord, frameWindow, orientedPixel, orientProbe, orientStack, paddedNeedsMaskWant, withPadding, type FramePrep, type FrameWindow } from './hdf5/frames.js';
import { estimateBeam, type BeamEstimate } from './hdf5/beam.js';
import { printable } from '../text.js';
import { otherShapeHint, readObjectDataset, type ObjectFromFile } from './ptychodus.js';

export const CXI_KEYS = {
  data: ['entry_1/data_1/data', 'entry_1/instrument_1/detector_1/data'],
  translation: ['entry_1/sample_1/geometry_1/translation', 'entry_1/data_1/translation'],
  energy: ['entry_1/instrument_1/source_1/energy'],
  radiation: ['entry_1/instrument_1/source_1/probe'],
  distance: ['entry_1/instrument_1/detector_1/distance'],
  xPixel: ['entry_1/instrument_1/detector_1/x_pixel_size'],
  yPixel: ['entry_1/instrument_1/detector_1/y_pixel_size'],
  probe: ['entry_1/instrument_1/source_1/illumination', 'entry_1/instrument_1/source_1/probe'],
  mask: ['entry_1/instrument_1/detector_1/mask'],
} as const;

/** Largest probe read (elements, all modes): 64 modes of 1024². */
export const MAX_PROBE_ELEMENTS = 64 * 1024 * 1024;

export interface ReadMeasuredOptions extends Hdf5OpenOptions {
  /** Pixels between the outermost patch and the object's edge (default 2). */
  margin?: number;
  /**
   * Mask the pixels the file marks as not measured (CXI mask, PtyPy weights, integer-maximum values):
   * they are set to 0 and handed on as `MeasuredData.detectorMask` (default true; false: every pixel as read).
   */
  detectorMask?: boolean;
  /**
   * What the file's energy is the energy of (reconstruction.radiation): undefined or null, what the file states
   * (photon when it states nothing); a value the file contradicts is refused (readCxiRadiation).
   */
  radiation?: Radiation | null;
  /**
   * Measured data: the window of the file's frames to read and the binning (reconstruction.crop, binSize;
   * hdf5/frames.ts); absent: the frames as they are.
   */
  frames?: FramePrep;
  /**
   * The patterns must be square (an LSQML reconstruction, `inspect --check`): patterns of another shape after the
   * crop and the binning are refused from the dataset's shape, before anything else is read (nonSquarePatternsMessage).
   */
  squarePatterns?: boolean;
  /**
   * Read for an LSQML job of this size: its memory is checked before anything large is read — from the stack's shape
   * (`checkMeasuredStackFits`), then, once the positions are read, with the object frame of the scan's extent
   * (`checkObjectFrameFits`), in the lines `lsqml` gives.
   */
  job?: LsqmlJobRequest;
}

/** The refusal of reconstruction.cxiEntry (`--cxi-entry`) for a file that is not CXI (`what`: a dataset NPZ, a PtyPy .ptyd). */
export function cxiEntryMessage(file: string, entry: string, what: string): string {
  return `${file}: reconstruction.cxiEntry (--cxi-entry) ${entry}: expected a CXI file, whose entries it names; found ${what}: leave the setting out`;
}

/** NeXus NXsource `probe` values (compared trimmed, in lower case) whose energy is a photon's. */
export const PHOTON_PROBE_NAMES: readonly string[] = ['x-ray', 'photon', 'ultraviolet', 'visible light'];
/** Longest radiation text read (characters). */
export const MAX_RADIATION_CHARS = 64;

/** True when `key` is a string dataset: at …/source_1/probe, the radiation, not a complex probe. */
function isText(r: Hdf5Reader, key: string): boolean {
  return r.kind(key) === 'dataset' && r.info(key).kind === 'string';
}

/**
 * Which radiation the energy of a CXI file is the energy of, and where that comes from. CXI 1.6's Source class
 * has no such field (its `energy` is "of each photon"), but CXI takes NeXus's fields where it can, and NeXus's
 * NXsource has `probe`, a string ('x-ray', 'electron', 'neutron', …): a file of electron data states it at
 * entry_1/instrument_1/source_1/probe — the path where some writers keep the complex probe instead, so only a
 * string there is read as the radiation. 'electron' is an electron's kinetic energy; 'x-ray', 'photon',
 * 'ultraviolet' and 'visible light' a photon's; anything else is refused (no wavelength formula for it). `requested`
 * (the setting, or with `requestedBy` 'data' the radiation of the data a probe file is for) applies where the file
 * states nothing, and one the file contradicts is refused, naming which of the two it contradicts: a file that states
 * electrons is never read with the photon formula, nor one that states X-rays with the electron's.
 */
export function readCxiRadiation(r: Hdf5Reader, requested?: Radiation | null, requestedBy: 'setting' | 'data' = 'setting', K: CxiKeys = CXI_KEYS): { radiation: Radiation; from: RadiationFrom } {
  const key = K.radiation[0];
  if (!isText(r, key)) return requested ? { radiation: requested, from: { source: 'setting' } } : { radiation: 'photon', from: { source: 'default' } };
  const want = `the radiation (NeXus NXsource probe): 'electron', or 'x-ray' ('photon', 'ultraviolet', 'visible light') for photons`;
  const text = r.readText(key, want, MAX_RADIATION_CHARS);
  const t = text.trim().toLowerCase();
  const stated: Radiation | undefined = t === 'electron' ? 'electron' : PHOTON_PROBE_NAMES.includes(t) ? 'photon' : undefined;
  if (stated === undefined) throw r.bad(key, want, `'${shown(text)}' (no wavelength formula here for it)`);
  if (requested && requested !== stated) {
    const want = requested === 'electron' ? "'electron'" : "'x-ray' or another photon";
    // a probe file (--init-probe file:) is checked against the data it is for, whose radiation need not be a setting
    if (requestedBy === 'data') {
      throw r.bad(key, `the radiation of the data this probe is for, ${want}`,
        `'${shown(text)}': the probe file and the data disagree (a probe is sampled at the wavelength of the radiation its file states: ` +
        'give a probe of the same radiation, or correct the file)');
    }
    throw r.bad(key, `the radiation reconstruction.radiation (--radiation) gives, ${want}`,
      `'${shown(text)}': the file and the setting disagree (leave the setting out to read the file as it states, or correct the file)`);
  }
  return { radiation: stated, from: { source: 'file', key, stated: text } };
}

/**
 * The warning of a photon energy of 50 keV or more in a CXI file that states no radiation and was given none
 * (reconstruction.radiation null): likely electron data read with the photon formula, whose scan then comes out
 * too small in pixels (2.1 times at 300 keV) with no error. Giving --radiation, either value, silences it.
 */
export function unstatedHighEnergyWarning(file: string, key: string, energyJ: number): string {
  const p5 = (v: number): string => String(Number(v.toPrecision(5)));
  return `${file}: key '${key}': a photon energy of ${p5(energyJ / ELECTRON_VOLT_J / 1e3)} keV (λ = hc/E = ${p5(wavelengthFromEnergy(energyJ, 'photon'))} m), ` +
    `and the file states no radiation at ${CXI_KEYS.radiation[0]}: X-ray ptychography rarely goes above 50 keV, electron microscopes work at 60–300 kV. ` +
    `If this is electron data, give --radiation electron (reconstruction.radiation: electron): λ = ${p5(wavelengthFromEnergy(energyJ, 'electron'))} m; ` +
    '--radiation photon says it is photon data';
}

/**
 * Where a missing CXI probe was also looked for, for the refusal: "also looked at …/source_1/probe", and when a string
 * is there (`radiationKey`, the file's statement of its radiation) that it holds the radiation, not a probe.
 */
export function probeAlsoLookedAt(radiationKey: string | undefined, K: CxiKeys = CXI_KEYS): string {
  const other = K.probe[1]!;
  return `also looked at ${other}${radiationKey === other ? ', which holds the radiation (a string), not a complex probe' : ''}`;
}

/** The key of the CXI complex probe: the first of CXI_KEYS.probe present, a string at …/source_1/probe (the radiation) passed over. */
export function cxiProbeKey(r: Hdf5Reader, K: CxiKeys = CXI_KEYS): string | undefined {
  return K.probe.find((k) => r.has(k) && !(K.radiation.includes(k) && isText(r, k)));
}

/** True when the open file looks like CXI: it has CXI diffraction data, or at least an entry_N group. */
export function looksLikeCxi(r: Hdf5Reader): boolean {
  return firstPresent(r, CXI_KEYS.data) !== undefined || r.kind('entry_1') === 'group' || cxiEntries(r).length > 0;
}

/** The keys of CXI_KEYS, each a list of paths in order of preference. */
export type CxiKeys = { readonly [K in keyof typeof CXI_KEYS]: readonly string[] };

/** The keys of the CXI entry `entry` (CXI_KEYS are entry_1's). */
export function cxiKeysOf(entry: string): CxiKeys {
  if (entry === 'entry_1') return CXI_KEYS;
  return Object.fromEntries(Object.entries(CXI_KEYS).map(([k, v]) => [k, v.map((p) => `${entry}/${p.slice('entry_1/'.length)}`)])) as unknown as CxiKeys;
}

/** A CXI entry's name: entry_1, entry_2, … (CXI 1.6: entry_N, N from 1). */
const CXI_ENTRY = /^entry_([1-9][0-9]{0,5})$/;

/** The CXI entries of the file: groups entry_N at its root, in numeric order. */
export function cxiEntries(r: Hdf5Reader): string[] {
  return r.keys('/').filter((k) => CXI_ENTRY.test(k) && r.kind(k) === 'group')
    .sort((a, b) => Number(CXI_ENTRY.exec(a)![1]) - Number(CXI_ENTRY.exec(b)![1]));
}

/**
 * The entry a reconstruction reads: `named` (reconstruction.cxiEntry), which must be one of the file's entries (a probe
 * or object file of a single entry, `onlyEntryServes`, is read at that entry whatever is named); else the file's only entry (entry_1 when it has none, whose keys are then said to be missing). A file with several
 * entries and none named is refused, naming them: which measurement to reconstruct is the user's choice. Every reader
 * of a CXI file chooses its entry here — the measured data, a probe file, an object file (a CXI image) and `inspect`'s
 * estimate of the beam — so that each reads the same entry and refuses the same file in the same line.
 */
export function chooseCxiEntry(r: Hdf5Reader, named?: string | null, opts: { onlyEntryServes?: boolean } = {}): string {
  const entries = cxiEntries(r);
  const listed = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}: ${printable(entries.slice(0, 20).join(', '), 400)}${entries.length > 20 ? ', …' : ''}`;
  if (named != null) {
    // a probe or object file of one entry (often another file than the data's, e.g. an earlier reconstruction's) can only
    // mean that entry, whatever entry of the data is named
    if (opts.onlyEntryServes === true && entries.length === 1 && !entries.includes(named)) return entries[0]!;
    if (!entries.includes(named)) {
      throw r.bad(named, `the CXI entry reconstruction.cxiEntry (--cxi-entry) names, a group`, `it missing (the file holds ${entries.length === 0 ? 'no entry_N group' : listed})`);
    }
    return named;
  }
  if (entries.length > 1) {
    throw r.bad(entries[0]!, 'one CXI entry, or reconstruction.cxiEntry (--cxi-entry entry_N) naming the one to read', `${listed} (each may hold another measurement)`);
  }
  return entries[0] ?? 'entry_1';
}

/**
 * A complex probe [H, W] or [M, H, W] of `H`×`W` patterns, finite, with 1 ≤ M ≤ MAX_PROBE_MODES
 * (and, with `takeFirstOf4d`, ptychodus's [OPR, M, H, W] with OPR ≥ 1, of which only the first OPR
 * mode is read). Shape and mode count are checked from the metadata before anything is read.
 */
export function readProbeDataset(r: Hdf5Reader, key: string, H: number, W: number, opts: { pixelM?: [number, number]; takeFirstOf4d?: boolean } = {}): ProbeData {
  const four = opts.takeFirstOf4d ? `, [M, ${H}, ${W}] or [OPR, M, ${H}, ${W}]` : ` or [M, ${H}, ${W}]`;
  const expected = `a complex probe [${H}, ${W}]${four} (the size of the diffraction patterns)`;
  const info = r.info(key, expected);
  if (info.kind !== 'complex') throw r.bad(key, expected, `dtype ${info.dtype}`);
  let s = info.shape;
  // ptychodus stores [OPR modes, incoherent modes, H, W]; the first OPR mode is the main probe.
  const is4d = opts.takeFirstOf4d === true && s.length === 4;
  if (is4d) {
    if (s[0]! < 1) throw r.bad(key, expected, `shape [${info.shape.join(', ')}] (no OPR mode)`);
    s = s.slice(1);
  }
  const ok = (s.length === 2 && s[0] === H && s[1] === W) || (s.length === 3 && s[0]! >= 1 && s[1] === H && s[2] === W);
  if (!ok) throw r.bad(key, expected, `shape [${info.shape.join(', ')}]`);
  const modes = s.length === 3 ? s[0]! : 1;
  if (modes > MAX_PROBE_MODES) throw r.bad(key, `${expected} with at most ${MAX_PROBE_MODES} incoherent modes (MAX_PROBE_MODES)`, `shape [${info.shape.join(', ')}] (${modes} modes)`);
  const { data } = r.readComplex(key, expected, MAX_PROBE_ELEMENTS, is4d ? { firstRows: 1 } : {});
  const used = data.subarray(0, 2 * modes * H * W);
  if (used.length !== 2 * modes * H * W) throw r.bad(key, expected, `${used.length / 2} values read for shape [${info.shape.join(', ')}]`);
  let nonzero = false;
  for (let i = 0; i < used.length; i++) {
    if (!Number.isFinite(used[i]!)) throw r.bad(key, `${expected}, finite`, `${used[i]} at flat index ${i >> 1}`);
    if (used[i] !== 0) nonzero = true;
  }
  // a probe dataset allocated but never written holds its fill value, 0: there is nothing to fit
  if (!nonzero) throw r.bad(key, `${expected}, not zero everywhere`, `all ${used.length / 2} values zero`);
  return { modes, height: H, width: W, data: used.length === data.length ? data : Float64Array.from(used), source: `${r.file}: ${key}`, ...(opts.pixelM ? { pixelM: opts.pixelM } : {}) };
}

/** Reads a CXI file; every problem is one Hdf5Error line (exit code 2). */
export async function readCxi(path: string, opts: ReadMeasuredOptions = {}): Promise<MeasuredData> {
  return withHdf5(path, (r) => readCxiFrom(r, opts), opts);
}

export function readCxiFrom(r: Hdf5Reader, opts: ReadMeasuredOptions = {}): MeasuredData {
  const keys: Record<string, string> = {};
  const warnings: string[] = [];
  // the entry read: the one named (reconstruction.cxiEntry), else the file's only one; its keys are entry_1's renamed
  const entry = chooseCxiEntry(r, opts.frames?.cxiEntry);
  const K = cxiKeysOf(entry);
  if (entry !== 'entry_1') keys.entry = entry;
  const dataKey = firstPresent(r, K.data);
  const stackWant = 'diffraction data [n, H, W] (counts or intensities, integer or float)';
  if (dataKey === undefined) throw r.bad(K.data[0], stackWant, `it missing (also looked at ${K.data[1]})`);
  keys.diffraction = dataKey;
  const dataInfo = r.info(dataKey, stackWant);
  // Type, shape and size of the stack first: a huge or malformed declaration is refused before anything else.
  const [n, FH, FW] = checkStackInfo(r, dataInfo, stackWant);
  // an empty stack (a scan that recorded nothing) is named as such, before its positions are looked at
  if (n === 0) throw r.bad(dataKey, stackWant, `no patterns (shape [${dataInfo.shape.join(', ')}])`);
  // the patterns: the file's frames [FH, FW], or the window of them the settings crop and bin (checked before any read)
  const win = frameWindow(r, dataKey, FH, FW, opts.frames, warnings);
  if (opts.squarePatterns) checkSquarePatterns(r, dataKey, win);
  // the patterns cropped and binned [BH, BW], then oriented [H, W] (hdf5/frames.ts)
  const [BH, BW] = win.binned, [H, W] = win.out;
  const useMask = opts.detectorMask ?? true;
  if (win.padded > 0 && !useMask) throw r.bad(dataKey, paddedNeedsMaskWant(win, opts.frames!), 'reconstruction.detectorMask false (--no-detector-mask)');
  const margin = opts.margin ?? DEFAULT_OBJECT_MARGIN;
  if (opts.job) checkMeasuredStackFits(r.file, dataKey, { n, H, W, whole: win.whole }, margin, opts.job, r.memoryLimit());

  // Small things first, so a bad geometry is refused before the stack is read.
  const { radiation, from: radiationFrom } = readCxiRadiation(r, opts.radiation, 'setting', K);
  if (radiationFrom.key !== undefined) keys.radiation = radiationFrom.key;
  const energy = readPhysical(r, K.energy, radiation === 'electron' ? ELECTRON_ENERGY_J : radiationFrom.source === 'default' ? UNSTATED_ENERGY_J : ENERGY_J);
  if (radiationFrom.source === 'default' && energy.value >= UNSTATED_PHOTON_WARN_J) warnings.push(unstatedHighEnergyWarning(r.file, energy.key, energy.value));
  const distance = readPhysical(r, K.distance, DISTANCE_M);
  const px = readPhysical(r, K.xPixel, PIXEL_M);
  const py = readPhysical(r, K.yPixel, PIXEL_M);
  Object.assign(keys, { energy: energy.key, distance: distance.key, x_pixel_size: px.key, y_pixel_size: py.key });

  const tKey = firstPresent(r, K.translation);
  const tWant = `probe positions [n, 3] (x, y, z in m) with n = ${n} (the number of patterns)`;
  if (tKey === undefined) throw r.bad(K.translation[0], tWant, `it missing (also looked at ${K.translation[1]})`);
  keys.translation = tKey;
  const { x: xM, y: yM, itemsize, path: tPath } = readTranslation(r, tKey, n, tWant);
  // CXI's data_1/translation is a link to the sample's translation; a file in which the two are different datasets
  // is read as long as they hold the same positions (ptychodus reads data_1/translation, this reader the sample's)
  const otherKey = K.translation.find((k) => k !== tKey && r.has(k));
  if (otherKey !== undefined && r.info(otherKey, tWant).path !== tPath) {
    const other = readTranslation(r, otherKey, n, tWant);
    const round = itemsize === 4 || other.itemsize === 4 ? Math.fround : (v: number): number => v;
    for (let i = 0; i < n; i++) {
      if (round(other.x[i]!) !== round(xM[i]!) || round(other.y[i]!) !== round(yM[i]!)) {
        throw r.bad(otherKey, `the probe positions of ${tKey}, or a link to it (ptychodus reads ${otherKey}, ptychostudy ${tKey}: a file in which they differ reads differently in each)`,
          `other values: row ${i} (x, y) = (${other.x[i]}, ${other.y[i]}) m against (${xM[i]}, ${yM[i]}) m`);
      }
    }
  }

  const geometry = makeGeometry(energy.value, distance.value, orientedPixel(win, [py.value * win.bin, px.value * win.bin]), [H, W], radiation);
  const coarse = checkPositionPrecision(xM, yM, geometry.objectPixelM, itemsize, `${r.file}: key '${tKey}'`);
  if (coarse !== undefined) warnings.push(coarse);
  const frame = frameFromMetres(xM, yM, geometry.objectPixelM, [H, W], margin, `${r.file}: key '${tKey}'`);
  const sparse = sparseScanWarning(frame, [H, W], `${r.file}: key '${tKey}'`);
  if (sparse !== undefined) warnings.push(sparse);
  // the job on the scan's object frame, before the probe, the mask and the stack are read
  if (opts.job) checkObjectFrameFits(r.file, frame.objectShape, { n, H, W, positionKeys: `key '${printable(tKey)}'` }, opts.job, r.memoryLimit());

  let probe: ProbeData | undefined;
  let probeNotUsed: string | undefined;
  const probeKey = cxiProbeKey(r, K);
  if (probeKey !== undefined) {
    keys.probe = probeKey;
    // frames cropped or binned: a probe of the file's frames' size is sampled at another pixel size; not used
    const ps = win.whole ? undefined : r.info(probeKey).shape;
    if (ps !== undefined && (ps.length < 2 || ps[ps.length - 2] !== BH || ps[ps.length - 1] !== BW)) {
      probeNotUsed = `shape [${ps.join(', ')}], not of the ${BH}×${BW} patterns ${prepFlagsOf(win)} makes`;
      warnings.push(`${r.file}: key '${probeKey}': the file's probe, of ${probeNotUsed}, is not used`);
    } else probe = orientProbe(win, readProbeDataset(r, probeKey, BH, BW, { pixelM: geometry.objectPixelM }));
  }
  if (useMask) checkStackOutput(r, dataKey, n, BH, BW); // the stack's own bound first: the mask's arrays are [FH, FW]
  const maskKey = firstPresent(r, K.mask);
  const bad = useMask ? new Uint8Array(FH * FW) : undefined;
  const sources: MaskSource[] = [];
  if (maskKey !== undefined) {
    keys.mask = maskKey;
    if (bad) {
      // the mask is checked and read before the stack: a malformed one is refused before the big read
      const want = 'a CXI detector mask (an integer bit field per pixel, 0 = good)';
      const otherFull = new Uint8Array(FH * FW);
      const varying = readMaskFlags(r, [r.info(maskKey, want)], [n], FH, FW, want, ['int', 'uint', 'bool'], cxiMaskBad, bad, otherFull, win);
      // counted in the patterns (cropped, binned: a binned pixel is masked when any of its pixels is)
      const badOut = patternFlags(win, bad), other = patternFlags(win, otherFull);
      const pixels = countFlags(badOut);
      // pixels whose mask value is not 0 but carries none of the "do not use" bits (noisy, out of resolution, corrected, …): fitted
      let tagged = 0;
      for (let p = 0; p < BH * BW; p++) if (other[p] && !badOut[p]) tagged++;
      sources.push({ source: 'cxi mask', key: maskKey, pixels, bits: `0x${CXI_MASK_DO_NOT_USE.toString(16)}`, ...(varying > 0 ? { pixels_masked_in_some_patterns_only: varying } : {}),
        ...(tagged > 0 ? { pixels_with_other_bits_only_fitted: tagged } : {}) });
      if (pixels > 0) warnings.push(`${r.file}: key '${maskKey}': ${pixels} pixel${pixels === 1 ? '' : 's'} flagged not to be used (CXI mask bits 0x${CXI_MASK_DO_NOT_USE.toString(16)}: ` +
        'invalid, saturated, hot, dead, shadowed, peak mask, ignore, bad, missing) masked' +
        (varying > 0 ? `, ${varying} of them flagged in some patterns only (a pixel flagged in any pattern is masked in all)` : ''));
      if (tagged > 0) warnings.push(`${r.file}: key '${maskKey}': ${tagged} pixel${tagged === 1 ? '' : 's'} with mask bits other than 0x${CXI_MASK_DO_NOT_USE.toString(16)} only ` +
        '(out of resolution, noisy, artefact corrected, hit-finder peak, background corrected, …: still measured) fitted');
    } else warnings.push(`${r.file}: key '${maskKey}': a detector mask is present but not applied (the detector mask is off: every pixel is fitted)`);
  }

  // of the window of the frames that is read ([FH, FW] uncropped); binned into the patterns' after the read
  const typeMax = bad ? new Uint8Array(win.h * win.w) : undefined;
  const stack = readIntensityStack(r, [dataInfo], stackWant, typeMax, bad ? cropFlags(win, bad) : undefined, win);
  if (stack.nonFiniteMasked > 0) warnings.push(nonFiniteMaskedWarning(`${r.file}: key '${dataKey}'`, stack.nonFiniteMasked));
  const negative = negativesWarning(`${r.file}: key '${dataKey}'`, stack, `flag ${stack.negativeEverywhere === 1 ? 'it' : 'them'} in ${K.mask[0]} (bit 0, invalid)`);
  if (negative !== undefined) warnings.push(negative);
  const typeMaxOut = typeMax ? binFlags(win, typeMax) : undefined;
  const mask = bad && typeMaxOut ? maskOf(r, dataKey, stack.amplitudes, withPadding(win, patternFlags(win, bad), sources, dataKey), typeMaxOut, sources, stack.atTypeMax[0]) : undefined;
  warnings.push(...typeMaxWarnings(r.file, stack, typeMaxOut ? countFlags(typeMaxOut) : undefined));
  orientStack(win.orientation, stack.amplitudes, n, BH, BW);
  if (mask) orientStack(win.orientation, mask.valid, 1, BH, BW);
  return {
    file: r.file, format: 'cxi', n, H, W, diffraction: stack.amplitudes,
    xcoords: frame.x, ycoords: frame.y, positionsM: { x: xM, y: yM },
    objectShape: frame.objectShape, margin, originM: frame.originM, geometry, radiationFrom,
    ...(probe ? { probe } : {}), ...(probeNotUsed ? { probeNotUsed } : {}), keys, ...(mask ? { detectorMask: mask } : {}),
    ...(win.whole ? {} : { frames: frameRecord(win, opts.frames!, [py.value, px.value]) }),
    maskRecord: mask?.record ?? (bad ? { applied: true, pixels_masked: 0, pattern_pixels: H * W, sources }
      : maskOffRecord(maskKey !== undefined ? [{ source: 'cxi mask', key: maskKey }] : [], stack.atTypeMax)), warnings,
  };
}


/** Flags [FH, FW] of the file's frames → those of the patterns (hdf5/frames.ts: cropped, then binned with any). */
export function patternFlags(win: FrameWindow, flags: Uint8Array): Uint8Array {
  return win.whole ? flags : binFlags(win, cropFlags(win, flags));
}

/** The settings' flags that made the patterns of `win`, for messages. */
function prepFlagsOf(win: FrameWindow): string {
  const crop = win.h !== win.fileShape[0] || win.w !== win.fileShape[1] ? `a ${win.h}×${win.w} crop` : '';
  const bin = win.bin > 1 ? `${win.bin}×${win.bin} binning` : '';
  return [crop, bin].filter(Boolean).join(' and ') + ` of the ${win.fileShape.join('×')} frames`;
}

/** Probe positions [n, 3] (or [n, 2]) in metres from `key`: column 0 = x, column 1 = y (as ptychodus's CXI reader), finite. */
function readTranslation(r: Hdf5Reader, key: string, n: number, want: string): { x: Float64Array; y: Float64Array; itemsize: number; path: string } {
  const info = r.info(key, want);
  if (info.shape.length !== 2 || info.shape[0] !== n || (info.shape[1] !== 3 && info.shape[1] !== 2)) throw r.bad(key, want, `shape [${info.shape.join(', ')}]`);
  if (info.kind !== 'float') throw r.bad(key, want, `dtype ${info.dtype}`);
  checkUnits(r, key, want, 'm');
  const t = r.readFloat64(key, want, 3 * n).data;
  const cols = info.shape[1]!;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = t[i * cols]!; y[i] = t[i * cols + 1]!;
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) throw r.bad(key, `${want}, finite`, `(${x[i]}, ${y[i]}) at row ${i}`);
  }
  return { x, y, itemsize: info.itemsize, path: info.path };
}

/**
 * The CXI format's Image class (cxidb/CXI cxi_file_format.tex, "Image"): processed image data in
 * entry_1/image_<k>, `data` with implicit axes y:x, `image_size` the width, height and depth of the image
 * (lengths, for a real-space image). A complex `data` is a phased image — a reconstructed object; an image of
 * diffraction space holds intensities or unphased amplitudes, real numbers, and is passed over. `data_space`
 * and `data_type` (strings) are not read.
 */
export const CXI_IMAGE_GROUP = /^image_(\d+)$/;

/** The keys `<entry>/image_<k>/data` of the entry, k in numeric order, of whatever kind and type. */
function cxiImages(r: Hdf5Reader, entry: string): string[] {
  if (r.kind(entry) !== 'group') return [];
  const ids = r.keys(entry).map((k) => CXI_IMAGE_GROUP.exec(k)?.[1]).filter((k): k is string => k !== undefined)
    .sort((a, b) => Number(a) - Number(b));
  return ids.map((k) => `${entry}/image_${k}/data`);
}

/** True when the open file has a CXI Image (an entry_N/image_N group) in any entry: an object file is read from one. */
export function looksLikeCxiImage(r: Hdf5Reader): boolean {
  return cxiEntries(r).some((e) => cxiImages(r, e).length > 0);
}

/**
 * The object of a CXI file: the first CXI Image of the entry (chooseCxiEntry: `named`, reconstruction.cxiEntry, or
 * the file's only one) whose data is complex, as an object [H, W] (or [1, H, W]); pixel size = image_size / [W, H]
 * when stated. An entry whose images hold no complex data is refused naming the first image's key and its type.
 */
export function readCxiImageObject(r: Hdf5Reader, H: number, W: number, named?: string | null): ObjectFromFile {
  const entry = chooseCxiEntry(r, named, { onlyEntryServes: true });
  const images = cxiImages(r, entry);
  const key = images.find((k) => r.kind(k) === 'dataset' && r.info(k).kind === 'complex');
  if (key === undefined) {
    const want = `a complex object [${H}, ${W}] (a phased CXI image, ${entry}/image_N/data)`;
    const first = images.find((k) => r.kind(k) !== 'missing');
    if (first === undefined) throw r.bad(`${entry}/image_1/data`, want, images.length === 0 ? 'it missing (the entry holds no image_N group)' : 'it missing');
    const kind = r.kind(first);
    throw r.bad(first, want, kind !== 'dataset' ? `a ${kind}` : `dtype ${r.info(first, want).dtype}${images.length > 1 ? ` (nor is any other image_N/data of ${entry} complex)` : ''}`);
  }
  const sizeKey = key.replace(/data$/, 'image_size');
  let pixelM: [number, number] | undefined;
  if (r.kind(sizeKey) !== 'missing') {
    const want = `the image's width, height (and depth) in m: 2 or 3 numbers > 0, each under ${PIXEL_M.max} m per pixel`;
    const info = r.info(sizeKey, want);
    if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw r.bad(sizeKey, want, `dtype ${info.dtype}`);
    if (info.elements !== 2 && info.elements !== 3) throw r.bad(sizeKey, want, `shape [${info.shape.join(', ')}]`);
    const s = r.readFloat64(sizeKey, want, 3).data;
    pixelM = [s[1]! / H, s[0]! / W];
    if (!pixelM.every(pixelSizeOk)) throw r.bad(sizeKey, want, `[${Array.from(s).join(', ')}]`);
  }
  const { data, shape } = readObjectDataset(r, key, { H, W, hint: otherShapeHint(H, W) }, 'image');
  return { data, shape, key, ...(pixelM ? { pixelM } : {}) };
}

/**
 * Where the direct beam is on the file's frames (hdf5/beam.ts), for `inspect`: the stack checked as a reconstruction
 * checks it, the CXI mask read whole as a reconstruction reads it (any "do not use" bit in any frame masks the pixel).
 */
export function cxiBeam(r: Hdf5Reader, named?: string | null): BeamEstimate {
  const want = 'diffraction data [n, H, W] (counts or intensities, integer or float)';
  // the entry a reconstruction reads (chooseCxiEntry): the one named, or the file's only one
  const K = cxiKeysOf(chooseCxiEntry(r, named));
  const dataKey = firstPresent(r, K.data);
  if (dataKey === undefined) throw r.bad(K.data[0]!, want, `it missing (also looked at ${K.data[1]})`);
  const info = r.info(dataKey, want);
  const [n, H, W] = checkStackInfo(r, info, want);
  if (n === 0) throw r.bad(dataKey, want, `no patterns (shape [${info.shape.join(', ')}])`);
  const maskKey = firstPresent(r, K.mask);
  let bad: Uint8Array | undefined;
  if (maskKey !== undefined) {
    const mwant = 'a CXI detector mask (an integer bit field per pixel, 0 = good)';
    bad = new Uint8Array(H * W);
    readMaskFlags(r, [r.info(maskKey, mwant)], [n], H, W, mwant, ['int', 'uint', 'bool'], cxiMaskBad, bad);
  }
  return estimateBeam(r, [info], H, W, bad);
}
