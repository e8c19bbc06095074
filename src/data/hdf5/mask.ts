/**
 * Detector masks of measured data: which pixels of a pattern a reconstruction leaves unfitted. One mask
 * [H, W] for every pattern (the engine's valid-pixel mask, pty-chi's `valid_pixel_mask`), in the
 * patterns' own (detector) order, the direct beam at [H/2, W/2]. Its sources (docs/real-data.md):
 *
 *   CXI    entry_1/instrument_1/detector_1/mask: a bit field per pixel, 0 = a good pixel (CXI 1.6); a
 *          pixel is masked when any of the bits CXI_MASK_DO_NOT_USE is set;
 *   .ptyd  chunks/<k>/weights: PtyPy's weights, > 0 = use, 0 = ignore;
 *   any    values at the largest value of an integer type (detector gaps, dead and saturated pixels:
 *          hdf5/stack.ts counts them).
 * A mask stored per frame ([n, H, W]) is combined: a pixel masked in any frame is masked in all (one mask
 * per detector); how many pixels that masks beyond those masked in every frame is reported. Masked pixels
 * are set to 0 in the amplitudes, so that nothing of their values reaches the reconstruction (pty-chi's
 * epoch-0 probe rescaling and its reported loss use every pixel of the data; docs/lsqml.md).
 */
import type { Hdf5DatasetInfo, Hdf5Reader } from './reader.js';
import type { FrameWindow } from './frames.js';

/**
 * The CXI mask bits that mean "do not use this pixel": invalid (bit 0), saturated (1), hot (2), dead (3),
 * shadowed (4), in the peak mask (5), to be ignored (6), bad (7) and missing (9) — PIXEL_IS_IN_MASK of
 * Condor (FXIhub/condor condor/utils/pixelmask.py, whose bit table follows the CXI specification; checked by running
 * Condor: test/data/cxi-mask-condor.test.ts; bits 5 and 6 are Condor's, not the specification's). The others
 * (8 out of resolution limits, 10 noisy, 11–14 corrections and hit-finding tags) describe a pixel that is
 * still measured.
 */
export const CXI_MASK_DO_NOT_USE = 0x2ff;

/** A CXI mask value that says "do not use" (any bit of CXI_MASK_DO_NOT_USE set). */
export const cxiMaskBad = (v: number | bigint): boolean => typeof v === 'bigint' ? (v & BigInt(CXI_MASK_DO_NOT_USE)) !== 0n : (v & CXI_MASK_DO_NOT_USE) !== 0;

/** A PtyPy weight that says "ignore": not > 0 (0, negative or NaN). */
export const ptypyWeightBad = (v: number | bigint): boolean => !(Number(v) > 0);

/** The `maskRecord` of data read with the detector mask switched off. */
export const MASK_OFF_RECORD = { applied: false, reason: 'reconstruction.detectorMask false (--no-detector-mask): every pixel is fitted as read' };

/**
 * The record of a mask switched off, with what the file holds that the mask would have used, fitted as read
 * instead (`fitted_as_read`: the mask or weights by key; values at an integer type's maximum by key and count).
 */
export function maskOffRecord(file: { key: string; source: string }[], stack: { key: string; dtype: string; value: string; count: number }[]): Record<string, unknown> {
  const present = [...file, ...stack.map((a) => ({ source: 'integer maximum', key: a.key, values: a.count, value: a.value, dtype: a.dtype }))];
  return present.length > 0 ? { ...MASK_OFF_RECORD, fitted_as_read: present } : { ...MASK_OFF_RECORD };
}

/** Bytes of a mask dataset read per slab. */
const SLAB_BYTES = 16 * 1024 * 1024;

/** One source of masked pixels, for messages and `_metadata.detector_mask`. */
export interface MaskSource {
  /** 'cxi mask', 'ptypy weights' or 'integer maximum'. */
  source: string;
  key: string;
  /** Pixels this source masks. */
  pixels: number;
  [more: string]: unknown;
}

/** What a reader hands on: the mask (1 = fitted, 0 = masked) and a record of where it came from. */
export interface DetectorMask {
  /** [H, W] in the patterns' order (direct beam at [H/2, W/2]); 1 = valid. */
  valid: Uint8Array;
  masked: number;
  record: Record<string, unknown>;
}

/**
 * Reads the mask datasets `infos` (each [H, W], or [k, H, W] — or [k, 1, H, W] — with one mask per frame, `frames` giving the
 * expected k of each) and sets `bad[p] = 1` for every pixel p that `isBad` flags in any frame. Shape and
 * type are checked before anything is read. Returns the number of pixels flagged in some frames but not all (a mask
 * [H, W] counts as one frame), counted in the patterns `win` makes (hdf5/frames.ts: the window cropped, then binned,
 * a binned pixel flagged in a frame when any of its pixels is) — the pixels a reconstruction fits — or in the file's
 * frames without `win`. `other`, when given, gets 1 for every pixel holding a value that is not 0 and not flagged (a
 * CXI mask's bits that leave a pixel measured) in some frame.
 */
export function readMaskFlags(r: Hdf5Reader, infos: Hdf5DatasetInfo[], frames: number[], H: number, W: number, expected: string,
  kinds: readonly Hdf5DatasetInfo['kind'][], isBad: (v: number | bigint) => boolean, bad: Uint8Array, other?: Uint8Array, win?: FrameWindow): number {
  const hw = H * W;
  infos.forEach((info, j) => {
    if (!kinds.includes(info.kind)) throw r.bad(info.key, expected, `dtype ${info.dtype}`);
    const s = info.shape;
    // one per pattern may be stored as the patterns may: [k, 1, H, W] (axes of length 1 between)
    const ok = (s.length === 2 && s[0] === H && s[1] === W) ||
      (s.length >= 3 && s[0] === frames[j] && s.slice(1, -2).every((d) => d === 1) && s[s.length - 2] === H && s[s.length - 1] === W);
    if (!ok) throw r.bad(info.key, `${expected} of shape [${H}, ${W}] (the patterns' size) or [${frames[j]}, ${H}, ${W}] (one per pattern)`, `shape [${s.join(', ')}]`);
    r.checkReadable(info);
  });
  // each file pixel's pixel of the patterns (-1 outside the window), and per pattern pixel in how many frames it is flagged
  const [oh, ow] = win && !win.whole ? win.binned : [H, W];
  const to = new Int32Array(hw);
  for (let p = 0; p < hw; p++) {
    const y = Math.floor(p / W) - (win?.y0 ?? 0), x = (p % W) - (win?.x0 ?? 0), b = win?.bin ?? 1;
    to[p] = win && !win.whole && (y < 0 || x < 0 || y >= win.h || x >= win.w) ? -1 : Math.floor(y / b) * ow + Math.floor(x / b);
  }
  const flagged = new Uint32Array(oh * ow), inFrame = new Uint8Array(oh * ow);
  let total = 0;
  const endFrame = (): void => {
    for (let o = 0; o < inFrame.length; o++) flagged[o]! += inFrame[o]!;
    inFrame.fill(0);
    total++;
  };
  for (const info of infos) {
    const rowElems = info.elements / info.shape[0]!;
    r.readSlabs(info, Math.max(1, Math.floor(SLAB_BYTES / (rowElems * info.itemsize))), (slab, first) => {
      let p = (first * rowElems) % hw;
      for (let i = 0; i < slab.length; i++) {
        const v = slab[i]!;
        if (isBad(v)) { bad[p] = 1; if (to[p]! >= 0) inFrame[to[p]!] = 1; }
        else if (other && Number(v) !== 0) other[p] = 1;
        if (++p === hw) { p = 0; endFrame(); }
      }
    });
  }
  let varying = 0;
  for (let o = 0; o < flagged.length; o++) if (flagged[o]! > 0 && flagged[o]! < total) varying++;
  return varying;
}

/** Number of flagged pixels. */
export function countFlags(f: Uint8Array): number {
  let c = 0;
  for (let p = 0; p < f.length; p++) c += f[p]!;
  return c;
}

/**
 * The mask of `bad` (1 = masked), applied: every masked pixel of every pattern of `amplitudes` [n, H, W] is
 * set to 0. Refuses a mask that leaves no pixel to fit.
 */
export function applyMask(r: Hdf5Reader, key: string, bad: Uint8Array, amplitudes: Float32Array, sources: MaskSource[]): DetectorMask {
  const hw = bad.length, n = amplitudes.length / hw;
  const valid = new Uint8Array(hw);
  let masked = 0;
  for (let p = 0; p < hw; p++) {
    if (!bad[p]) { valid[p] = 1; continue; }
    masked++;
    for (let i = 0; i < n; i++) amplitudes[i * hw + p] = 0;
  }
  if (masked === hw) {
    throw r.bad(key, 'a detector mask that leaves some pixels to fit', `all ${hw} pixels masked (${sources.map((s) => `${s.source}: ${s.pixels}`).join(', ')}); --no-detector-mask uses every pixel`);
  }
  return { valid, masked, record: { applied: true, pixels_masked: masked, pattern_pixels: hw, sources } };
}

/**
 * The detector mask of a stack: the pixels `bad` flags and those holding an integer type's maximum
 * (`typeMax`, from `readIntensityStack`), set to 0 in `amplitudes`; undefined when none is masked.
 */
export function maskOf(r: Hdf5Reader, key: string, amplitudes: Float32Array, bad: Uint8Array, typeMax: Uint8Array,
  sources: MaskSource[], atMax: { key: string; dtype: string; value: string } | undefined): DetectorMask | undefined {
  const gaps = countFlags(typeMax);
  if (gaps > 0 && atMax) sources.push({ source: 'integer maximum', key: atMax.key, pixels: gaps, value: atMax.value, dtype: atMax.dtype });
  for (let p = 0; p < bad.length; p++) bad[p]! |= typeMax[p]!;
  return countFlags(bad) === 0 ? undefined : applyMask(r, key, bad, amplitudes, sources);
}
