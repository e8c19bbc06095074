/**
 * Reading a stack of diffraction patterns (photon counts or intensities, [n, H, W], any integer or
 * float type) from one or more HDF5 datasets into DATA-001 amplitudes: float32 √I, [n, H, W]
 * row-major, in one preallocated array. The source is read in slabs of whole patterns (about 16 MiB
 * each) so the peak memory is the output plus one slab, whatever the file's size.
 *
 * Checked before anything is allocated: each source is [n, H, W] (or [n, 1, H, W]), numeric, of one pattern size, readable
 * (`Hdf5Reader.checkReadable`: size, filters, chunk layout, data in the file itself), and the
 * float32 output fits the reader's byte limit and the memory limit. A slab never spans more than
 * MAX_CHUNKS_PER_READ chunks (`readSlabs` cuts it at chunk boundaries). While reading:
 * a non-finite value is refused (naming the dataset, pattern and pixel) unless its pixel is one the file's
 * detector mask masks (`maskedPixels`: then it reads as 0, never fitted); negative values (a dark
 * subtraction below zero) are set to 0 and counted; values at the largest value of an integer type
 * (4294967295 in <u4, 65535 in <u2 …: what detectors such as the Eiger write into gaps and dead or
 * saturated pixels) are counted per dataset, for a warning, and, when asked (`typeMaxPixels`), the pixels
 * holding one in any pattern are flagged for the detector mask (hdf5/mask.ts), which sets them to 0.
 */
import { counted } from '../../text.js';
import { Hdf5Error, type Hdf5DatasetInfo, type Hdf5Reader, type SlabView } from './reader.js';
import { sumBins, type FrameWindow } from './frames.js';

export interface IntensityStack {
  n: number;
  H: number;
  W: number;
  /** √max(I, 0) as float32, [n, H, W]. */
  amplitudes: Float32Array;
  /** Number of negative values set to 0. */
  negatives: number;
  /** Pixels holding a negative value in every pattern (a detector's gap or bad-pixel mark: PILATUS writes −1, −2), but those the detector mask masks. */
  negativeEverywhere: number;
  /** Values that are not finite (or too large for float32 amplitudes) in pixels the detector mask masks, read as 0. */
  nonFiniteMasked: number;
  /** Source element type(s), e.g. '<u4'. */
  dtypes: string[];
  /** Per source dataset with any: how many values equal the largest value of its integer type. */
  atTypeMax: { key: string; dtype: string; value: string; count: number }[];
}

/** The largest value of an integer dtype ('<u4' → 4294967295), or undefined for other kinds. */
export function integerTypeMax(info: Pick<Hdf5DatasetInfo, 'kind' | 'itemsize'>): bigint | undefined {
  if (info.kind === 'uint') return 2n ** BigInt(8 * info.itemsize) - 1n;
  if (info.kind === 'int') return 2n ** BigInt(8 * info.itemsize - 1) - 1n;
  return undefined;
}

/**
 * The warning for values at the largest value of their integer type (`IntensityStack.atTypeMax`): masked
 * (`pixels`: how many pixels hold one) or, with the detector mask off, read as counts.
 */
export function typeMaxWarnings(file: string, stack: IntensityStack, pixels?: number): string[] {
  return stack.atTypeMax.map((a) => `${file}: key '${a.key}': ${a.count} value${a.count === 1 ? ' is' : 's are'} ${a.value}, the largest ${a.dtype} value, which detectors write ` +
    'into gap, dead and saturated pixels; ' + (pixels === undefined
    ? 'read as counts (the detector mask is off: set them to 0 in the file if they are not measured)'
    : `the ${pixels} pixel${pixels === 1 ? '' : 's'} holding it in any pattern ${pixels === 1 ? 'is' : 'are'} masked (--no-detector-mask reads them as counts)`));
}

/**
 * The warning for negative values (set to 0), or undefined when there are none. Pixels negative in every pattern
 * (of two or more) are named apart: no count is negative, so they are a detector's mark of gap or bad pixels
 * (PILATUS writes −1 and −2), which a reconstruction would fit as 0 counts; `maskHow` says how the file would
 * mark them for the detector mask.
 */
export function negativesWarning(where: string, stack: IntensityStack, maskHow: string): string | undefined {
  if (stack.negatives === 0) return undefined;
  const k = stack.negativeEverywhere;
  return `${where}: ${stack.negatives} negative values set to 0` + (stack.n >= 2 && k > 0
    ? `; ${counted(k, 'pixel')} ${k === 1 ? 'is' : 'are'} negative in every pattern, which no count is: a detector's mark of gap or bad pixels ` +
      `(PILATUS writes −1 and −2), fitted as 0 counts; ${maskHow} to leave ${k === 1 ? 'it' : 'them'} unfitted`
    : '');
}

/** The note of `IntensityStack.nonFiniteMasked`: values that are not finite, in masked pixels, read as 0. */
export function nonFiniteMaskedWarning(where: string, count: number): string {
  return `${where}: ${count} value${count === 1 ? ' is' : 's are'} not finite (NaN or infinite) in pixels the detector mask masks; read as 0, never fitted`;
}

/** Bytes of source read per slab. */
const SLAB_BYTES = 16 * 1024 * 1024;

/** The largest value whose square root float32 holds (3.4028235e38²); above it the amplitude would be Infinity. */
const MAX_VALUE = 3.4028234663852886e38 ** 2;

/**
 * out[base + i] = √src[i] (negative → 0, counted); stops at the first value that is not finite or whose
 * square root float32 cannot hold (NaN fails every test).
 */
/**
 * Per pixel of an H × W pattern (`hw` pixels): how many patterns hold a negative value there (`counts`, made at the
 * first one), and the pixels the detector mask masks (`masked`), whose values are never fitted.
 */
interface PixelBook { hw: number; counts?: Uint32Array; masked?: Uint8Array | undefined; nonFiniteMasked: number }

function convert(src: ArrayLike<number>, out: Float32Array | Float64Array, base: number, top: number, flags: Uint8Array | undefined, book: PixelBook, root = true): { negatives: number; atTop: number; bad: number } {
  let negatives = 0, atTop = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v >= 0 && v <= MAX_VALUE) {
      out[base + i] = root ? Math.sqrt(v) : v;
      if (v === top) { atTop++; if (flags) flags[(base + i) % flags.length] = 1; }
    }
    else if (v < 0 && v > -Infinity) { negatives++; out[base + i] = 0; (book.counts ??= new Uint32Array(book.hw))[(base + i) % book.hw]!++; }
    // a masked pixel's value is never fitted: NaN there (what flat-field pipelines write into gaps) reads as 0
    else if (book.masked && book.masked[(base + i) % book.hw]) { book.nonFiniteMasked++; out[base + i] = 0; }
    else return { negatives, atTop, bad: i };
  }
  return { negatives, atTop, bad: -1 };
}

function convertBig(src: BigInt64Array | BigUint64Array, out: Float32Array | Float64Array, base: number, top: bigint | undefined, flags: Uint8Array | undefined, book: PixelBook, root = true): { negatives: number; atTop: number } {
  let negatives = 0, atTop = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    const v = Number(b);
    if (v < 0) { negatives++; out[base + i] = 0; (book.counts ??= new Uint32Array(book.hw))[(base + i) % book.hw]!++; } else out[base + i] = root ? Math.sqrt(v) : v;
    if (b === top) { atTop++; if (flags) flags[(base + i) % flags.length] = 1; }
  }
  return { negatives, atTop };
}

/**
 * [n, H, W] of a stack of patterns of shape `shape`: [n, H, W] itself, or [n, 1, …, 1, H, W] — axes of length 1
 * between the patterns' index and the pattern (a detector's per-frame axis, as some beamlines write it), which hold
 * the same values in the same order; undefined for any other shape. The stack is read along its first axis either
 * way (`Hdf5Reader.readSlabs`, `readRowsFloat64`: one row is one pattern).
 */
export function stackShape(shape: readonly number[]): [number, number, number] | undefined {
  if (shape.length < 3 || shape.slice(1, -2).some((d) => d !== 1)) return undefined;
  return [shape[0]!, shape[shape.length - 2]!, shape[shape.length - 1]!];
}

/**
 * One window [h, w] of intensities (`src` from `at`, rows of `w`) summed b × b into `acc` [h/b, w/b] and written as
 * float32 √ into `out` from `outAt`: the sum of counts is exact in float64 (below 2^53), its square root rounded once.
 * A sum whose square root float32 cannot hold (above MAX_VALUE, each value being at most that) is refused: the index of
 * the first such binned pixel is returned (-1: none), unless one of its pixels is one `masked` ([h, w]) flags, whose
 * bin the detector mask leaves unfitted (written 0, as a masked pixel's value that is not finite is read).
 */
function binFrame(src: Float64Array, at: number, w: number, b: number, acc: Float64Array, ow: number, out: Float32Array, outAt: number,
  masked: Uint8Array | undefined): number {
  sumBins(src, at, w, (acc.length / ow) * b, w, b, acc, ow);
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i]!;
    if (v <= MAX_VALUE) { out[outAt + i] = Math.sqrt(v); continue; }
    const [y0, x0] = [Math.floor(i / ow) * b, (i % ow) * b];
    let binMasked = false;
    for (let y = y0; y < y0 + b && !binMasked; y++) for (let x = x0; x < x0 + b; x++) if (masked?.[y * w + x]) { binMasked = true; break; }
    if (!binMasked) return i;
    out[outAt + i] = 0;
  }
  return -1;
}

/** Of values [h, w] of the window, those of its part inside the frames ([read.h, read.w]). */
function windowPart(win: FrameWindow, v: Uint8Array): Uint8Array {
  const rd = win.read, out = new Uint8Array(rd.h * rd.w);
  for (let y = 0; y < rd.h; y++) {
    const at = (rd.y0 - win.y0 + y) * win.w + (rd.x0 - win.x0);
    out.set(v.subarray(at, at + rd.w), y * rd.w);
  }
  return out;
}

/** Values of the part of the window inside the frames ([read.h, read.w]) put at their place in `out` [h, w]; the rest of `out` is left as it is. */
function placeInWindow(win: FrameWindow, part: Float64Array | Uint8Array, out: Float64Array | Uint8Array): void {
  const rd = win.read;
  for (let y = 0; y < rd.h; y++) out.set(part.subarray(y * rd.w, (y + 1) * rd.w), (rd.y0 - win.y0 + y) * win.w + (rd.x0 - win.x0));
}

/** Checks that `info` is a numeric stack [n, H, W] (or [n, 1, …, 1, H, W]: `stackShape`); returns [n, H, W]. */
export function checkStackInfo(r: Hdf5Reader, info: Hdf5DatasetInfo, expected: string): [number, number, number] {
  if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw r.bad(info.key, expected, `dtype ${info.dtype}`);
  if (info.dtype === '<f2' || info.itemsize > 8) throw r.bad(info.key, expected, `dtype ${info.dtype} (unsupported width)`);
  const nhw = stackShape(info.shape);
  if (nhw === undefined) {
    // a leading axis of length 1 ([1, n, H, W]) is not dropped: the stack is read along its first axis
    const lead = info.shape.length > 3 && info.shape[0] === 1 ? ' (an axis of length 1 first: store the patterns along the first axis, [n, H, W])' : '';
    throw r.bad(info.key, expected, `shape [${info.shape.join(', ')}]${lead}`);
  }
  const [n, H, W] = nhw;
  if (H < 2 || W < 2) throw r.bad(info.key, expected, `patterns of ${H}×${W} pixels`);
  r.checkReadable(info);
  return [n, H, W];
}

/**
 * Refuses a stack whose float32 amplitudes would exceed the reader's byte limit or the memory limit
 * (called before the stack, and anything of its size such as a detector mask, is allocated).
 */
export function checkStackOutput(r: Hdf5Reader, key: string, n: number, H: number, W: number): void {
  const outBytes = n * H * W * 4;
  if (outBytes > r.maxDatasetBytes) {
    throw r.bad(key, `at most ${r.maxDatasetBytes} bytes of float32 amplitudes`, `${n} patterns of ${H}×${W} (${outBytes} bytes)`);
  }
  r.checkFitsMemory(key, outBytes, `${n} patterns of ${H}×${W} (float32 amplitudes)`);
}

/**
 * Reads the stacks `infos` (concatenated along the first axis) as amplitudes. `expected` describes
 * the dataset in messages. `typeMaxPixels` ([H, W]), when given, gets a 1 at every pixel that holds
 * the largest value of its integer type in any pattern. `maskedPixels` ([H, W]), when given, flags the pixels
 * the file's detector mask (or weights) masks: a value there that is not finite is read as 0 (counted), not refused,
 * since the pixel is not fitted (its values are set to 0 afterwards: hdf5/mask.ts). With `window` (frames.ts), only
 * that window of each frame is read (`typeMaxPixels` and `maskedPixels` are then of the window, [h, w]) and, binned,
 * b × b intensities are summed before the square root; the result's H and W are the patterns' (`window.out`).
 */
export function readIntensityStack(r: Hdf5Reader, infos: Hdf5DatasetInfo[], expected: string, typeMaxPixels?: Uint8Array, maskedPixels?: Uint8Array, window?: FrameWindow): IntensityStack {
  if (infos.length === 0) throw new Hdf5Error(`${r.file}: expected ${expected}; found no dataset`);
  let n = 0, H = 0, W = 0;
  for (const info of infos) {
    const [k, h, w] = checkStackInfo(r, info, expected);
    if (n === 0 && H === 0) { H = h; W = w; }
    if (h !== H || w !== W) throw r.bad(info.key, `${expected} of ${H}×${W} patterns (as the first)`, `shape [${info.shape.join(', ')}]`);
    n += k;
  }
  if (n === 0) throw r.bad(infos[0]!.key, expected, 'no patterns (n = 0)');
  // the window of each frame that is read (the whole frame unless cropped; of a window reaching outside the frames, the
  // part inside them) and the patterns it makes (binned; padded with zeros outside the frames)
  const win = window && !window.whole ? window : undefined;
  if (win && (win.fileShape[0] !== H || win.fileShape[1] !== W)) throw new Error(`the window is of ${win.fileShape.join('×')} frames; the stack's are ${H}×${W}`);
  const slabWindow = win ? win.read : undefined;
  const pad = win !== undefined && win.padded > 0;
  if (win) { H = win.read.h; W = win.read.w; }
  const bin = win?.bin ?? 1;
  const [oh, ow] = win ? win.binned : [H, W];
  checkStackOutput(r, infos[0]!.key, n, oh, ow);
  const hw = H * W, ohw = oh * ow;
  const whw = win ? win.h * win.w : hw;
  // binned or padded: one frame's window as float64 intensities at a time (summed exactly, then √), held with the
  // patterns: both within the memory limit (a large frame binned coarsely makes small patterns, but its window is held whole)
  let sums: Float64Array | undefined, binned: Float64Array | undefined, padded: Float64Array | undefined;
  if (bin > 1 || pad) {
    const bytes = n * ohw * 4 + (hw + ohw + (pad ? whw : 0)) * 8;
    r.checkFitsMemory(infos[0]!.key, bytes, `${n} patterns of ${oh}×${ow} (float32 amplitudes) ${pad ? 'made from' : 'binned from'} ${win!.h}×${win!.w} windows, each held as float64 intensities`);
    sums = new Float64Array(hw); binned = new Float64Array(ohw);
    if (pad) padded = new Float64Array(whw);
  }
  const amplitudes = new Float32Array(n * oh * ow);
  let negatives = 0;
  let row = 0;
  const atTypeMax: IntensityStack['atTypeMax'] = [];
  if (typeMaxPixels && typeMaxPixels.length !== whw) throw new Error(`typeMaxPixels holds ${typeMaxPixels.length} flags; ${win?.h ?? H}×${win?.w ?? W} patterns need ${whw}`);
  if (maskedPixels && maskedPixels.length !== whw) throw new Error(`maskedPixels holds ${maskedPixels.length} flags; ${win?.h ?? H}×${win?.w ?? W} patterns need ${whw}`);
  // padded: the flags of the part inside the frames ([H, W] here), put back into the window's afterwards
  const flags = pad && typeMaxPixels ? new Uint8Array(hw) : typeMaxPixels;
  const maskedRead = pad && maskedPixels ? windowPart(win!, maskedPixels) : maskedPixels;
  const book: PixelBook = { hw, masked: maskedRead, nonFiniteMasked: 0 };
  for (const info of infos) {
    const perSlab = Math.max(1, Math.floor(SLAB_BYTES / (hw * info.itemsize)));
    const topBig = integerTypeMax(info);
    // 64-bit maxima are not exact as numbers; they are compared as bigints (convertBig)
    const top = topBig !== undefined && info.itemsize < 8 ? Number(topBig) : NaN;
    let atTop = 0;
    /** √ (or, binned, the intensities themselves) of `src` into `out` from `base`; `first`: the pattern (of this dataset) src starts with. */
    const take = (src: SlabView, out: Float32Array | Float64Array, base: number, first: number): void => {
      if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
        const c = convertBig(src, out, base, topBig, flags, book, bin === 1 && !pad);
        negatives += c.negatives; atTop += c.atTop;
        return;
      }
      const c = convert(src, out, base, top, flags, book, bin === 1 && !pad);
      atTop += c.atTop;
      if (c.bad >= 0) {
        const p = first + Math.floor(c.bad / hw), px = c.bad % hw;
        // with the detector mask on, the way out for a gap filled with NaN: mask that pixel (CXI mask, PtyPy weights)
        const orMasked = maskedPixels ? ', or in a pixel the detector mask masks' : '';
        // the pixel as the file numbers it
        const [py, pxx] = [Math.floor(px / W) + (slabWindow?.y0 ?? 0), (px % W) + (slabWindow?.x0 ?? 0)];
        throw r.bad(info.key, `${expected}, finite and at most ${MAX_VALUE.toPrecision(4)} (amplitudes are float32)${orMasked}`, `${src[c.bad]} in pattern ${p} at pixel (${py}, ${pxx})`);
      }
      negatives += c.negatives;
    };
    r.readSlabs(info, perSlab, (src, s, rows) => {
      if (bin === 1 && !pad) { take(src, amplitudes, (row + s) * hw, s); return; }
      // binned or padded: one frame's window at a time as float64 intensities (summed exactly, then √)
      for (let f = 0; f < rows; f++) {
        take(src.subarray(f * hw, (f + 1) * hw), sums!, 0, s + f);
        // padded: the part inside the frames put at its place in the window, zeros around it
        if (padded) placeInWindow(win!, sums!, padded);
        const big = binFrame(padded ?? sums!, 0, win!.w, bin, binned!, ow, amplitudes, (row + s + f) * ohw, maskedPixels);
        if (big < 0) continue;
        // the window's pixels of that bin as the file numbers them
        const [by, bx] = [Math.floor(big / ow) * bin + win!.y0, (big % ow) * bin + win!.x0];
        throw r.bad(info.key, `${expected}, whose ${bin}×${bin} sums (--bin-size ${bin}) are at most ${MAX_VALUE.toPrecision(4)} (amplitudes are float32)`,
          `a sum of ${binned![big]} in pattern ${s + f} over rows ${by} … ${by + bin - 1}, columns ${bx} … ${bx + bin - 1}`);
      }
    }, slabWindow);
    if (atTop > 0) atTypeMax.push({ key: info.key, dtype: info.dtype, value: String(topBig), count: atTop });
    row += info.shape[0]!;
  }
  let negativeEverywhere = 0;
  // pixels the detector mask masks already are not fitted: not named again
  if (book.counts) for (let p = 0; p < hw; p++) if (book.counts[p] === n && !maskedRead?.[p]) negativeEverywhere++;
  if (pad && typeMaxPixels && flags) placeInWindow(win!, flags, typeMaxPixels);
  return { n, H: oh, W: ow, amplitudes, negatives, negativeEverywhere, nonFiniteMasked: book.nonFiniteMasked, dtypes: [...new Set(infos.map((i) => i.dtype))], atTypeMax };
}
