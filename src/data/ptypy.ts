/**
 * PtyPy's HDF5 files (layout of ptypy's io.h5write, as PtyScan and Ptycho.save_run write them).
 *
 * Prepared data, .ptyd (PtyScan with `save`): measured data.
 *   chunks/<k>/data         [n_k, H, W] intensities (counts), chunks concatenated in numeric order of k
 *   chunks/<k>/positions    [n_k, 2] metres, (y, x) pairs — the order of PtyPy's array axes
 *   chunks/<k>/weights      (optional) per-pixel weights [n_k, H, W] or [H, W], > 0 = use, 0 = ignore: a pixel
 *                           of weight 0 in any frame is masked (hdf5/mask.ts; all chunks or none have them)
 *   meta/energy             keV, a photon energy: PtyPy turns it into λ = hc/E, and its Hdf5Loader with
 *                           `electron_data` writes an electron energy as the photon energy of the same wavelength
 *                           (reconstruction.radiation: electron is refused for a .ptyd, it would convert it twice)
 *   meta/distance           m
 *   meta/psize              detector pixel size, m: a scalar or [y, x]
 *   meta/shape              (optional) the frames' shape [H, W], 2 integers (PtyScan writes int64): must be the frames'
 *   meta/center             (optional) the direct beam in pixels [y, x], finite; must be within 1 px of [H/2, W/2], or of
 *                           the centre of a crop (reconstruction.crop), which re-centres the frames about it
 *   info/rebin              (optional) PtyScan's rebin factor: > 1 gives a warning (its patterns are means, not counts), and
 *                           so does one that is not a whole number from 1 to 32 (whether they are is then not known)
 * A chunk stored as an external link (PtyScan's 'link' mode) is refused: nothing outside the named file
 * is read; so are PtyPy's None (a [0.] dataset of type 'None') for energy, distance or psize, and positions
 * never given (a 'list' group of None).
 *
 * Reconstructions, .ptyr (Ptycho.save_run): the probe (`readPtyrProbe`) and the object (`readPtyrObject`, an
 * initial object), each from the first storage in HDF5's order.
 *   content/probe/<storage id>/data     complex [M, H, W], on the scale of PtyPy's unitary far-field propagator:
 *                                       read divided by √(H·W), the scale of this engine's plain FFT2
 *   content/probe/<storage id>/_psize   [y, x] m
 *   content/obj/<storage id>/data       complex [1, H, W] (one layer: more are refused)
 *   content/obj/<storage id>/_psize     [y, x] m
 *   content/obj/<storage id>/_origin    [y, x] m at the storage's pixel [0, 0], in the frame of PtyPy's positions: on
 *                                       data whose positions are in metres, an object of another shape is placed by it
 */
import { InputError } from '../errors.js';
import { ELECTRON_VOLT_J, checkPositionPrecision, frameFromMetres, sparseScanWarning, makeGeometry, DEFAULT_OBJECT_MARGIN } from './geometry.js';
import type { MeasuredData, ProbeData } from './measured.js';
import { DISTANCE_M, PIXEL_M, pixelSizeOk, readPhysical, type PhysicalValue } from './hdf5/checks.js';
import { Hdf5Error, shown, type Hdf5Reader } from './hdf5/reader.js';
import { checkStackInfo, checkStackOutput, negativesWarning, nonFiniteMaskedWarning, readIntensityStack, typeMaxWarnings } from './hdf5/stack.js';
import { cxiEntryMessage, patternFlags, readProbeDataset, type ReadMeasuredOptions } from './cxi.js';
import { binFlags, checkSquarePatterns, cropFlags, frameRecord, frameWindow, orientedPixel, orientStack, paddedNeedsMaskWant, withPadding } from './hdf5/frames.js';
import { estimateBeam, suggestedCropSize, type BeamEstimate } from './hdf5/beam.js';
import { countFlags, maskOffRecord, maskOf, ptypyWeightBad, readMaskFlags, type MaskSource } from './hdf5/mask.js';
import { checkHdf5ProbeFits, checkMeasuredStackFits, checkObjectFrameFits } from './memory.js';
import { hasUnprintable, printable, quoted } from '../text.js';
import { otherShapeHint, readObjectDataset, type ObjectFromFile } from './ptychodus.js';

const ENERGY_KEV: PhysicalValue = {
  what: 'the photon energy in keV', max: 1000, hint: '(is it in eV? PtyPy stores keV)',
  min: 1e-5, minHint: '(under 10 meV: is it in J? PtyPy stores keV: 8 keV is 8)', unit: 'keV',
};

/**
 * Most chunk groups of a .ptyd read. PtyPy writes one per block of frames it prepares (tens to
 * thousands of frames; an on-the-fly preparation with small blocks makes more). Each costs the library
 * ~0.6 ms to check and read (measured: 20 000 one-frame chunks, a 44 MB file, took 12.3 s), so a file
 * of a million tiny chunks took minutes; at the bound about 40 s.
 */
export const MAX_PTYD_CHUNKS = 65536;

/** True when the open file has PtyPy's prepared-data layout (chunks/ and meta/). */
export function looksLikePtyd(r: Hdf5Reader): boolean {
  return r.kind('chunks') === 'group' && r.kind('meta') === 'group';
}

/** True when the open file is a PtyPy reconstruction (content/probe/). */
export function looksLikePtyr(r: Hdf5Reader): boolean {
  return r.kind('content/probe') === 'group';
}

/**
 * PtyPy's None (io.h5write stores it as a dataset [0.] whose `type` attribute is 'None'), where a value is needed:
 * refused saying the file states none, never read as the 0 it holds.
 */
function refusePtypyNone(r: Hdf5Reader, key: string, want: string, name: string): void {
  if (r.kind(key) === 'dataset' && r.attr(key, 'type') === 'None') {
    throw r.bad(key, want, `None: PtyPy wrote no value, as a PtyScan without its ${name} saves it; prepare the data with the PtyScan's ${name.split(' ')[0]} set`);
  }
}

/**
 * The warning of PtyScan's rebin factor as it recorded it in `info/rebin` (its parameters, not read otherwise): a whole
 * number > 1 says the patterns are means, not counts; none, 1 or PtyPy's None say nothing. A record that is there but
 * not one whole number from 1 to 32 (PtyScan's range) is said, never taken for an absent one: whether the patterns are
 * means is then not known (the record only feeds a warning: the file is read all the same).
 */
function rebinWarning(r: Hdf5Reader): string | undefined {
  const key = 'info/rebin';
  const kind = r.kind(key);
  if (kind === 'missing' || (kind === 'dataset' && r.attr(key, 'type') === 'None')) return undefined;
  const want = 'PtyScan\'s rebin factor, a whole number from 1 to 32';
  try {
    if (kind !== 'dataset') throw r.bad(key, want, `a ${kind}`);
    const v = r.readScalar(key, want);
    if (!(Number.isInteger(v) && v >= 1 && v <= 32)) throw r.bad(key, want, String(v));
    if (v === 1) return undefined;
    return `${r.file}: key '${key}': ${v}: PtyScan averaged ${v}×${v} detector pixels into each pixel (ptypy ` +
      `utils rebin_2d), so the patterns hold counts / ${v * v}, not photon counts; the Poisson noise model takes them as counts`;
  } catch (e) {
    if (!(e instanceof Hdf5Error)) throw e;
    return `${e.message}: whether PtyScan averaged detector pixels (its patterns then hold counts / rebin², not photon counts) is not known; ` +
      'the Poisson noise model takes the patterns as counts';
  }
}

/** Where PtyScan records the frames' shape. */
const FRAME_SHAPE_KEY = 'meta/shape';

/**
 * meta/shape, the frames' shape PtyScan records (optional; PtyPy's None is none): checked against the frames stored
 * (`[FH, FW]`, of dataset `frameKey`). PtyScan writes `u.expect2(sh) // rebin` (core/data.py), the shape after its crop
 * and rebin: 2 integers [H, W], int64 (an int64 [2] in every file PtyPy wrote, test/fixtures/ptypy); one integer n (a
 * 0-d dataset, as another writer may store a square shape) is read as [n, n] (`u.expect2` in PtyPy's source expands a
 * number so; not checked against PtyPy's reader). Anything
 * else — another type, another count, a shape that is not the frames' — is refused, never taken for an absent one.
 * True when it was there and checked.
 */
function checkFrameShape(r: Hdf5Reader, frameKey: string, FH: number, FW: number): boolean {
  const key = FRAME_SHAPE_KEY;
  const kind = r.kind(key);
  if (kind === 'missing' || (kind === 'dataset' && r.attr(key, 'type') === 'None')) return false;
  const want = 'the frames\' shape [H, W], 2 integers as PtyScan writes it, or one integer n for [n, n] (or None)';
  if (kind !== 'dataset') throw r.bad(key, want, `a ${kind}`);
  const info = r.info(key, want);
  if (info.kind !== 'int' && info.kind !== 'uint') throw r.bad(key, want, `dtype ${info.dtype}`);
  const square = info.shape.length === 0;
  if (!square && (info.shape.length !== 1 || info.elements !== 2)) throw r.bad(key, want, `shape [${info.shape.join(', ')}]`);
  // compared and shown as the file's integers, exactly (64-bit ones as bigints: not rounded to a float64's 53 bits)
  r.checkReadable(info);
  const s: string[] = [];
  r.readSlabs(info, square ? 1 : 2, (slab) => { s.push(...Array.from(slab as ArrayLike<number | bigint>, (v) => String(v))); });
  if (square) s.push(s[0]!);
  if (s[0] !== String(FH) || s[1] !== String(FW)) {
    throw r.bad(key, `${want}, that of the frames stored: [${FH}, ${FW}] (${frameKey})`, `[${s.join(', ')}]`);
  }
  return true;
}

/** Reads a .ptyd file's data, positions and geometry. */
export function readPtydFrom(r: Hdf5Reader, opts: ReadMeasuredOptions = {}): MeasuredData {
  if (opts.frames?.cxiEntry != null) throw new InputError(cxiEntryMessage(r.file, opts.frames.cxiEntry, 'a PtyPy .ptyd'));
  const keys: Record<string, string> = {};
  const warnings: string[] = [];
  const names = r.keys('chunks');
  const ids = names.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
  if (ids.length > MAX_PTYD_CHUNKS) {
    throw r.bad('chunks', `at most ${MAX_PTYD_CHUNKS} chunk groups (each costs the library about 0.6 ms to check and read)`, `${ids.length} chunk groups`);
  }
  if (ids.length === 0) throw r.bad('chunks', 'chunk groups chunks/0, chunks/1, … (PtyPy prepared data)', names.length ? `only [${printable(names.join(', '), 1000)}]` : 'an empty group');
  const stackWant = 'diffraction data [n, H, W] (PtyPy chunk)';
  const infos = ids.map((k) => {
    try {
      return r.info(`chunks/${k}/data`, stackWant);
    } catch (e) {
      // PtyScan's save='link' stores each chunk in a file of its own, FILE.part000, …, linked from chunks/<k>
      const link = e instanceof Hdf5Error ? r.linkOf('chunks', k) : undefined;
      if (link?.type !== 'external') throw e;
      throw new Hdf5Error(`${r.file}: key 'chunks/${k}': an external link to ${shown(link.file)}:${shown(link.path)}, the layout of PtyScan's ` +
        'save=\'link\' (each chunk in a file of its own); ptychostudy reads nothing outside the named file: prepare the data with ' +
        'save=\'append\' (one file), or copy the chunks into it (h5copy)');
    }
  });
  let H = 0, W = 0, n = 0;
  for (const info of infos) {
    const [nk, h, w] = checkStackInfo(r, info, stackWant);
    if (n === 0 && H === 0) { H = h; W = w; }
    n += nk;
  }
  if (n === 0) throw r.bad(infos[0]!.key, stackWant, `no patterns in ${ids.length === 1 ? 'its chunk' : `any of its ${ids.length} chunks`}`);
  // the patterns: the file's frames [FH, FW], or the window of them the settings crop and bin (checked before any read)
  const [FH, FW] = [H, W];
  const frameShapeRead = checkFrameShape(r, infos[0]!.key, FH, FW);
  const win = frameWindow(r, infos[0]!.key, FH, FW, opts.frames, warnings);
  if (opts.squarePatterns) checkSquarePatterns(r, ids.map((k) => `chunks/${k}/data`).join(', '), win);
  // the patterns cropped and binned [BH, BW], then oriented [H, W] (hdf5/frames.ts)
  const [BH, BW] = win.binned;
  [H, W] = win.out;
  const margin = opts.margin ?? DEFAULT_OBJECT_MARGIN;
  if (opts.job) checkMeasuredStackFits(r.file, ids.map((k) => `chunks/${k}/data`).join(', '), { n, H, W, whole: win.whole }, margin, opts.job, r.memoryLimit());
  const useMask = opts.detectorMask ?? true;
  if (win.padded > 0 && !useMask) throw r.bad(infos[0]!.key, paddedNeedsMaskWant(win, opts.frames!), 'reconstruction.detectorMask false (--no-detector-mask)');

  if (opts.radiation === 'electron') {
    throw r.bad('meta/energy', `${ENERGY_KEV.what}, as PtyPy stores it, not reconstruction.radiation: electron (--radiation electron)`,
      'the setting: PtyPy turns meta/energy into the wavelength as a photon energy, and its Hdf5Loader (electron_data) stores electron data ' +
      'as the photon energy of the same wavelength, so the electron formula would convert it a second time (leave the setting out for a .ptyd)');
  }
  refusePtypyNone(r, 'meta/energy', ENERGY_KEV.what, 'energy (keV)');
  refusePtypyNone(r, 'meta/distance', DISTANCE_M.what, 'distance (m)');
  const energy = readPhysical(r, ['meta/energy'], ENERGY_KEV);
  const distance = readPhysical(r, ['meta/distance'], DISTANCE_M);
  const psWant = 'the detector pixel size in m: a scalar or [y, x]';
  if (!r.has('meta/psize')) throw r.bad('meta/psize', psWant, 'it missing');
  refusePtypyNone(r, 'meta/psize', psWant, 'psize (m)');
  const ps = r.readFloat64('meta/psize', psWant, 2);
  if (!(ps.data.length === 1 || ps.data.length === 2)) throw r.bad('meta/psize', psWant, `shape [${ps.shape.join(', ')}]`);
  const pixel: [number, number] = ps.data.length === 2 ? [ps.data[0]!, ps.data[1]!] : [ps.data[0]!, ps.data[0]!];
  for (const p of pixel) {
    if (!Number.isFinite(p)) throw r.bad('meta/psize', `${psWant}, finite`, `[${pixel.join(', ')}]`);
    if (!pixelSizeOk(p)) throw r.bad('meta/psize', `${psWant}, > 0 and < ${PIXEL_M.max}`, `[${pixel.join(', ')}] ${PIXEL_M.hint}`);
    if (!(p > PIXEL_M.min)) throw r.bad('meta/psize', `${psWant}, > ${PIXEL_M.min}`, `[${pixel.join(', ')}] ${PIXEL_M.minHint}`);
  }
  Object.assign(keys, { energy: energy.key, distance: distance.key, pixel_size: 'meta/psize', diffraction: ids.map((k) => `chunks/${k}/data`).join(', ') });
  if (frameShapeRead) keys.frame_shape = FRAME_SHAPE_KEY;

  // meta/center is optional (PtyPy writes None, a dataset whose type attribute is 'None', when it is
  // unknown); one that is there must be two numbers [y, x], never taken for an absent one
  const centerKind = r.kind('meta/center');
  if (centerKind !== 'missing' && !(centerKind === 'dataset' && r.attr('meta/center', 'type') === 'None')) {
    const want = 'the direct beam [y, x] in pixels: 2 numbers (or None)';
    if (centerKind !== 'dataset') throw r.bad('meta/center', want, `a ${centerKind}`);
    const info = r.info('meta/center', want);
    if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw r.bad('meta/center', want, `dtype ${info.dtype}`);
    if (info.elements !== 2) throw r.bad('meta/center', want, `shape [${info.shape.join(', ')}]`);
    const c = r.readFloat64('meta/center', want, 2).data;
    if (!(Number.isFinite(c[0]!) && Number.isFinite(c[1]!))) throw r.bad('meta/center', want.replace('2 numbers', '2 finite numbers'), `[${c[0]}, ${c[1]}]`);
    const crop = opts.frames?.crop;
    if (crop) {
      // the crop puts its own centre at the patterns' centre: PtyPy's centre, when far from it, is said
      if (!(Math.abs(c[0]! - crop.center[0]) <= 1 && Math.abs(c[1]! - crop.center[1]) <= 1)) {
        warnings.push(`${r.file}: key 'meta/center': [${c[0]}, ${c[1]}], more than 1 pixel from the crop's centre [${crop.center.join(', ')}] ` +
          '(--crop-center), which is put at the patterns\' centre');
      }
    } else if (!(Math.abs(c[0]! - FH / 2) <= 1 && Math.abs(c[1]! - FW / 2) <= 1)) {
      // a crop about PtyPy's pixel (⌈center⌉) puts the beam at the patterns' centre, when a window fits about it
      const at: [number, number] = [Math.ceil(c[0]!), Math.ceil(c[1]!)];
      const size = at.every((v) => v >= 0) ? suggestedCropSize(at, FH, FW) : null;
      // a crop of the frames' own side about the beam re-centres them whole (hdf5/frames.ts: padded and masked outside them)
      const whole = at.every((v, a) => v >= 0 && v < [FH, FW][a]!) && FH === FW && FH !== size ? `; --crop-size ${FH}, the frames' own side, re-centres them whole, ` +
        'padding and masking what falls outside them' : '';
      const crop = size !== null ? `crop them about the beam: --crop-center ${at.join(',')} --crop-size ${size} (PtyPy's pixel ⌈center⌉, ` +
        `the largest window of a side float32 takes, even with no prime factor above 13, that fits inside the frames about it${whole}), or ` : '';
      throw r.bad('meta/center', `the direct beam within 1 pixel of the pattern centre [${FH / 2}, ${FW / 2}], or a crop about the beam (--crop-center, --crop-size: ` +
        'only a crop re-centres the frames)',
        `[${c[0]}, ${c[1]}] (${crop}prepare the frames again with the beam at their centre: PtyScan with a shape smaller than the raw frames ` +
        'crops them around center and writes center = shape/2)');
    }
    // PtyPy's far-field propagator puts the optical axis at ⌈center⌉ (core/manager.py); here it is at the pattern
    // centre, the pixel FFT-shifted data has its zero frequency at
    const axis = [Math.ceil(c[0]!), Math.ceil(c[1]!)], mid = [Math.floor(FH / 2), Math.floor(FW / 2)];
    if (crop) {
      // within 1 pixel of the crop's centre, but PtyPy's axis another pixel: the crop's centre is what lands at the patterns' centre
      const near = Math.abs(c[0]! - crop.center[0]) <= 1 && Math.abs(c[1]! - crop.center[1]) <= 1;
      if (near && (axis[0] !== crop.center[0] || axis[1] !== crop.center[1])) {
        warnings.push(`${r.file}: key 'meta/center': [${c[0]}, ${c[1]}], which PtyPy rounds to the pixel [${axis.join(', ')}], is not the crop's centre ` +
          `[${crop.center.join(', ')}] (--crop-center), which is put at the patterns' centre: the probe has to take up a tilt of the beam's offset ` +
          `(--crop-center ${axis.join(',')} puts PtyPy's pixel there)`);
      }
    } else if (axis[0] !== mid[0] || axis[1] !== mid[1]) {
      warnings.push(`${r.file}: key 'meta/center': [${c[0]}, ${c[1]}], which PtyPy rounds to the pixel [${axis.join(', ')}], is read as the ` +
        `pattern centre [${mid.join(', ')}]: the probe has to take up a tilt of the beam's offset (a crop about the beam re-centres the frames: ` +
        `--crop-center ${axis.join(',')} with --crop-size)`);
    }
  }

  const xM = new Float64Array(n), yM = new Float64Array(n);
  const itemsizes: number[] = [];
  let row = 0;
  for (let c = 0; c < ids.length; c++) {
    const nk = infos[c]!.shape[0]!;
    const key = `chunks/${ids[c]}/positions`;
    const want = `positions [${nk}, 2] in m, (y, x) pairs (one per frame of chunks/${ids[c]}/data)`;
    // a PtyScan that had no positions when it saved writes [None, None, …]: a 'list' group of 'None' datasets
    if (r.kind(key) === 'group' && r.attr(key, 'type') === 'list') {
      throw r.bad(key, want, 'no positions: PtyPy wrote None for each frame, as a PtyScan without positions saves them; prepare the ' +
        'data with positions (the PtyScan\'s load_positions or positions_theory)');
    }
    const pinfo = r.info(key, want);
    if (pinfo.kind !== 'float' || pinfo.shape.length !== 2 || pinfo.shape[0] !== nk || pinfo.shape[1] !== 2) {
      throw r.bad(key, want, pinfo.kind !== 'float' ? `dtype ${pinfo.dtype}` : `shape [${pinfo.shape.join(', ')}]`);
    }
    itemsizes.push(pinfo.itemsize);
    const p = r.readFloat64(key, want, 2 * nk).data;
    for (let i = 0; i < nk; i++) {
      yM[row + i] = p[2 * i]!; xM[row + i] = p[2 * i + 1]!;
      if (!Number.isFinite(p[2 * i]!) || !Number.isFinite(p[2 * i + 1]!)) throw r.bad(key, `${want}, finite`, `(${p[2 * i]}, ${p[2 * i + 1]}) at row ${i}`);
    }
    row += nk;
  }
  keys.positions = ids.map((k) => `chunks/${k}/positions`).join(', ');

  const geometry = makeGeometry(energy.value * 1e3 * ELECTRON_VOLT_J, distance.value, orientedPixel(win, [pixel[0] * win.bin, pixel[1] * win.bin]), [H, W]);
  row = 0;
  for (let c = 0; c < ids.length; c++) {
    const nk = infos[c]!.shape[0]!;
    const coarse = checkPositionPrecision(xM.subarray(row, row + nk), yM.subarray(row, row + nk), geometry.objectPixelM, itemsizes[c]!, `${r.file}: key 'chunks/${ids[c]}/positions'`);
    if (coarse !== undefined) { warnings.push(coarse); break; }
    row += nk;
  }
  const frame = frameFromMetres(xM, yM, geometry.objectPixelM, [H, W], margin, `${r.file}: key '${keys.positions}'`);
  const sparse = sparseScanWarning(frame, [H, W], `${r.file}: key '${keys.positions}'`);
  if (sparse !== undefined) warnings.push(sparse);
  // the job on the scan's object frame, before the weights and the stack are read
  if (opts.job) checkObjectFrameFits(r.file, frame.objectShape, { n, H, W, positionKeys: `key '${printable(keys.positions)}'` }, opts.job, r.memoryLimit());

  // PtyPy's weights: read (and checked) before the stack, combined into one mask for every frame
  if (useMask) checkStackOutput(r, infos[0]!.key, n, BH, BW); // the stack's own bound first: the mask's arrays are [FH, FW]
  const weightKeys = ids.map((k) => `chunks/${k}/weights`);
  const withWeights = weightKeys.filter((k) => r.kind(k) !== 'missing');
  const bad = useMask ? new Uint8Array(FH * FW) : undefined;
  const sources: MaskSource[] = [];
  const shownKeys = withWeights.length === 1 ? `key '${withWeights[0]}'` : `keys 'chunks/*/weights' (${withWeights.length} chunks)`;
  if (withWeights.length > 0) {
    keys.weights = withWeights.length === 1 ? withWeights[0]! : 'chunks/*/weights';
    if (bad) {
      const want = 'PtyPy weights per pixel (> 0: use, 0: ignore)';
      checkWeightsEverywhere(r, weightKeys, withWeights, want);
      const varying = readMaskFlags(r, weightKeys.map((k) => r.info(k, want)), infos.map((i) => i.shape[0]!), FH, FW, want, ['int', 'uint', 'bool', 'float'], ptypyWeightBad, bad, undefined, win);
      // counted in the patterns (cropped, binned: a binned pixel is masked when any of its pixels is)
      const pixels = countFlags(patternFlags(win, bad));
      sources.push({ source: 'ptypy weights', key: keys.weights, pixels, ...(varying > 0 ? { pixels_masked_in_some_frames_only: varying } : {}) });
      if (pixels > 0) warnings.push(`${r.file}: ${shownKeys}: ${pixels} pixel${pixels === 1 ? '' : 's'} of weight 0 masked` +
        (varying > 0 ? `, ${varying} of them of weight 0 in some frames only (a pixel of weight 0 in any frame is masked in all)` : ''));
    } else warnings.push(`${r.file}: ${shownKeys}: PtyPy weights are present but not applied (the detector mask is off: every pixel is fitted)`);
  }
  const rebin = rebinWarning(r);
  if (rebin !== undefined) warnings.push(rebin);
  // of the window of the frames that is read ([FH, FW] uncropped); binned into the patterns' after the read
  const typeMax = bad ? new Uint8Array(win.h * win.w) : undefined;
  const stack = readIntensityStack(r, infos, stackWant, typeMax, bad ? cropFlags(win, bad) : undefined, win);
  if (stack.nonFiniteMasked > 0) warnings.push(nonFiniteMaskedWarning(r.file, stack.nonFiniteMasked));
  const negative = negativesWarning(r.file, stack, `give ${stack.negativeEverywhere === 1 ? 'it' : 'them'} weight 0 in chunks/<k>/weights`);
  if (negative !== undefined) warnings.push(negative);
  const typeMaxOut = typeMax ? binFlags(win, typeMax) : undefined;
  const mask = bad && typeMaxOut ? maskOf(r, infos[0]!.key, stack.amplitudes, withPadding(win, patternFlags(win, bad), sources, infos[0]!.key), typeMaxOut, sources, stack.atTypeMax[0]) : undefined;
  warnings.push(...typeMaxWarnings(r.file, stack, typeMaxOut ? countFlags(typeMaxOut) : undefined));
  orientStack(win.orientation, stack.amplitudes, n, BH, BW);
  if (mask) orientStack(win.orientation, mask.valid, 1, BH, BW);
  return {
    file: r.file, format: 'ptyd', n, H, W, diffraction: stack.amplitudes,
    xcoords: frame.x, ycoords: frame.y, positionsM: { x: xM, y: yM },
    objectShape: frame.objectShape, margin, originM: frame.originM, geometry, radiationFrom: { source: 'format' }, keys,
    ...(mask ? { detectorMask: mask } : {}),
    ...(win.whole ? {} : { frames: frameRecord(win, opts.frames!, pixel) }),
    maskRecord: mask?.record ?? (bad ? { applied: true, pixels_masked: 0, pattern_pixels: H * W, sources }
      : maskOffRecord(keys.weights !== undefined ? [{ source: 'ptypy weights', key: keys.weights }] : [], stack.atTypeMax)), warnings,
  };
}

/**
 * PtyPy's weights in some chunks only (`withWeights` of `weightKeys`): refused naming the first chunk without them, since
 * its frames' pixels would be left unmasked, silently.
 */
function checkWeightsEverywhere(r: Hdf5Reader, weightKeys: string[], withWeights: string[], want: string): void {
  if (withWeights.length === weightKeys.length) return;
  const missing = weightKeys.find((k) => !withWeights.includes(k))!;
  throw r.bad(missing, `${want} in every chunk, as in ${withWeights[0]}`, 'it missing');
}

/** True when the open file is a PtyPy reconstruction with an object (content/obj/). */
export function looksLikePtyrObject(r: Hdf5Reader): boolean {
  return r.kind('content/obj') === 'group';
}

/** The first storage of `group` (content/probe or content/obj), its name checked. */
export function firstStorage(r: Hdf5Reader, group: string, what: string): string {
  const ids = r.keys(group);
  if (ids.length === 0) throw r.bad(group, `${what} storage (PtyPy reconstruction)`, 'an empty group');
  // the storage's name becomes part of every key a message names: one that could forge a line is refused
  if (hasUnprintable(ids[0]!)) throw r.bad(group, `${what === 'a probe' ? 'probe' : 'object'} storages named without control characters (PtyPy names them S…G…)`, quoted(ids[0]!));
  return `${group}/${ids[0]}`;
}

/**
 * A storage's _psize: optional; one that is there must be 1 or 2 positive numbers (a group, a string or NaN
 * would otherwise skip the pixel-size check).
 */
function storagePixel(r: Hdf5Reader, storage: string, what: string): [number, number] | undefined {
  const psKey = `${storage}/_psize`;
  const psKind = r.kind(psKey);
  if (psKind === 'missing') return undefined;
  const want = `the ${what} pixel size in m: a scalar or [y, x], > 0 and < ${PIXEL_M.max}`;
  if (psKind !== 'dataset') throw r.bad(psKey, want, `a ${psKind}`);
  const info = r.info(psKey, want);
  if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw r.bad(psKey, want, `dtype ${info.dtype}`);
  if (info.elements !== 1 && info.elements !== 2) throw r.bad(psKey, want, `shape [${info.shape.join(', ')}]`);
  const ps = r.readFloat64(psKey, want, 2).data;
  const pixelM: [number, number] = ps.length === 2 ? [ps[0]!, ps[1]!] : [ps[0]!, ps[0]!];
  if (!pixelM.every(pixelSizeOk)) throw r.bad(psKey, want, `[${Array.from(ps).join(', ')}] ${PIXEL_M.hint}`);
  return pixelM;
}

/** The probe of a .ptyr reconstruction: the first probe storage (in HDF5's order), all its modes. */
export function readPtyrProbe(r: Hdf5Reader, H: number, W: number): ProbeData {
  const storage = firstStorage(r, 'content/probe', 'a probe');
  const key = `${storage}/data`;
  const pixelM = storagePixel(r, storage, 'probe');
  checkHdf5ProbeFits(r, key);
  const probe = readProbeDataset(r, key, H, W, pixelM ? { pixelM } : {});
  // PtyPy's far-field propagator is unitary (its FFT scaled by 1/√(H·W), core/geometry.py assign_scaling); this
  // engine's FFT2 is not: the same intensities need the probe divided by √(H·W)
  const scale = 1 / Math.sqrt(H * W);
  for (let i = 0; i < probe.data.length; i++) probe.data[i] = probe.data[i]! * scale;
  return probe;
}

/** The object of a .ptyr reconstruction: the first object storage (in HDF5's order), one layer. */
export function readPtyrObject(r: Hdf5Reader, H: number, W: number, placeable = false,
  rowsNeeded?: (shape: [number, number], originM: [number, number], key: string) => [number, number]): ObjectFromFile {
  const storage = firstStorage(r, 'content/obj', 'an object');
  const key = `${storage}/data`;
  const pixelM = storagePixel(r, storage, 'object');
  const originM = storageOrigin(r, storage);
  const anyShape = placeable && originM !== undefined;
  const hint = anyShape ? '' : placeable
    ? `; this .ptyr states no origin (${storage}/_origin) to place an object of another shape by: crop or pad it to [${H}, ${W}]`
    : otherShapeHint(H, W);
  const rows = anyShape && rowsNeeded ? { rowsNeeded: (shape: [number, number]) => rowsNeeded(shape, originM, key) } : {};
  const { data, shape, firstRow } = readObjectDataset(r, key, { H, W, anyShape, hint, ...rows }, 'layer or mode', 'layers or modes');
  return { data, shape, firstRow, key, ...(pixelM ? { pixelM } : {}), ...(originM ? { originM } : {}) };
}

/**
 * A storage's `_origin`: the metres [y, x] at its pixel coordinate [0, 0], in the frame of PtyPy's positions (a view at
 * position p has its top-left pixel at (p − _origin) / _psize − N/2: core/classes.py, checked on the views of
 * test/fixtures/ptypy/ml.ptyr). Absent: undefined; present, it must be 2 finite numbers, never taken for an absent one.
 */
function storageOrigin(r: Hdf5Reader, storage: string): [number, number] | undefined {
  const key = `${storage}/_origin`;
  const kind = r.kind(key);
  if (kind === 'missing') return undefined;
  const want = 'the metres [y, x] at the storage\'s pixel [0, 0] (PtyPy\'s _origin): 2 finite numbers';
  if (kind !== 'dataset') throw r.bad(key, want, `a ${kind}`);
  const info = r.info(key, want);
  if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw r.bad(key, want, `dtype ${info.dtype}`);
  if (info.elements !== 2) throw r.bad(key, want, `shape [${info.shape.join(', ')}]`);
  const o = r.readFloat64(key, want, 2).data;
  if (!Number.isFinite(o[0]!) || !Number.isFinite(o[1]!)) throw r.bad(key, want, `[${Array.from(o).join(', ')}]`);
  return [o[0]!, o[1]!];
}

/**
 * Where the direct beam is on the file's frames (hdf5/beam.ts), for `inspect`: the chunks' stacks checked as a
 * reconstruction checks them, numbered on from one chunk to the next, and PtyPy's weights read as a reconstruction
 * reads them (weight 0 in any frame masks the pixel).
 */
export function ptydBeam(r: Hdf5Reader): BeamEstimate {
  const ids = r.keys('chunks').filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
  if (ids.length > MAX_PTYD_CHUNKS) throw r.bad('chunks', `at most ${MAX_PTYD_CHUNKS} chunk groups`, `${ids.length} chunk groups`);
  if (ids.length === 0) throw r.bad('chunks', 'chunk groups chunks/0, chunks/1, … (PtyPy prepared data)', 'none');
  const want = 'diffraction data [n, H, W] (PtyPy chunk)';
  const infos = ids.map((k) => r.info(`chunks/${k}/data`, want));
  let H = 0, W = 0;
  for (const info of infos) {
    const [, h, w] = checkStackInfo(r, info, want);
    if (H === 0) { H = h; W = w; }
    if (h !== H || w !== W) throw r.bad(info.key, `${want} of ${H}×${W} patterns (as the first)`, `shape [${info.shape.join(', ')}]`);
  }
  const withData = infos.filter((i) => i.shape[0]! > 0);
  if (withData.length === 0) throw r.bad(infos[0]!.key, want, 'no patterns in any chunk');
  const weightKeys = ids.map((k) => `chunks/${k}/weights`);
  const withWeights = weightKeys.filter((k) => r.kind(k) !== 'missing');
  let bad: Uint8Array | undefined;
  if (withWeights.length > 0) {
    const wwant = 'PtyPy weights per pixel (> 0: use, 0: ignore)';
    // as a reconstruction reads them: weights in some chunks only are refused (the beam was found with no mask)
    checkWeightsEverywhere(r, weightKeys, withWeights, wwant);
    bad = new Uint8Array(H * W);
    readMaskFlags(r, weightKeys.map((k) => r.info(k, wwant)), infos.map((i) => i.shape[0]!), H, W, wwant, ['int', 'uint', 'bool', 'float'], ptypyWeightBad, bad);
  }
  return estimateBeam(r, withData, H, W, bad);
}
