/**
 * Detector frames made into the patterns a reconstruction fits: a crop around the direct beam, then a binning
 * (reconstruction.crop, reconstruction.binSize; ptychodus's Diffraction settings CropCenterXInPixels,
 * CropCenterYInPixels, CropWidthInPixels, CropHeightInPixels and BinSizeX, BinSizeY do the same, docs/real-data.md,
 * "Cropping and binning detector frames").
 *
 *   crop    a size × size window of the file's frames, rows cy − ⌊size/2⌋ … cy − ⌊size/2⌋ + size − 1 and the same
 *           columns about cx (ptychodus's slice center − size//2 : center + size//2 for an even size; for an odd one
 *           its slice holds size − 1 pixels, this window size): the given centre lands at
 *           [⌊size/2⌋, ⌊size/2⌋], where this engine puts the direct beam. A window not wholly inside the frames is
 *           refused (ptychodus moves the centre until it fits; nothing is padded or moved here);
 *   bin     b × b pixels summed into one (counts stay counts, so the Poisson model stays right); the detector pixel
 *           becomes b·p and the patterns size/b, so the object pixel λz/(N·p) is that of the crop;
 *   mask    the detector mask (CXI mask bits, PtyPy weights, integer-maximum values) is cropped the same way, and a
 *           binned pixel is masked when ANY of its b² pixels is (ptychodus keeps a binned pixel unless ALL are bad).
 *
 * The stack is read a slab of frames at a time, and of each frame only the window (`Hdf5Reader.readSlabs` with a
 * window): whole frames are never held, whatever the file's frame size.
 */
import { InputError } from '../../errors.js';
import { printable } from '../../text.js';
import type { Hdf5Reader, SlabWindow } from './reader.js';

/** The settings that make the frames (absent: the file's frames as they are). */
export interface FramePrep {
  /** The window's centre [y, x] in the file's pixels and its side. */
  crop?: { center: readonly [number, number]; size: number } | null | undefined;
  /** Pixels summed along each side (1: none). */
  binSize?: number | undefined;
}

/** How the file's frames become the patterns. */
export interface FrameWindow extends SlabWindow {
  /** The file's frames [H, W]. */
  fileShape: [number, number];
  bin: number;
  /** The patterns [H, W] after the crop and the binning. */
  out: [number, number];
  /** True when the frames are used as they are (no crop, no binning). */
  whole: boolean;
}

/** True when `n` is a power of two. */
export const powerOfTwo = (n: number): boolean => n >= 1 && (n & (n - 1)) === 0;

/** The flags of the settings, for messages. */
export function prepFlags(prep: FramePrep): string {
  const parts: string[] = [];
  if (prep.crop) parts.push(`--crop-center ${prep.crop.center[0]},${prep.crop.center[1]} --crop-size ${prep.crop.size}`);
  if ((prep.binSize ?? 1) !== 1) parts.push(`--bin-size ${prep.binSize}`);
  return parts.join(' ');
}

/**
 * The window of `prep` on frames [H, W] of dataset `key`, checked before anything is read: a crop wholly inside the
 * frames, a binning that divides the window's sides. A side of the patterns that is not a power of two is a warning
 * (pushed on `warnings`): the WebAssembly FFT, and so the float32 precision, needs one.
 */
export function frameWindow(r: Hdf5Reader, key: string, H: number, W: number, prep: FramePrep | undefined, warnings: string[]): FrameWindow {
  const bin = prep?.binSize ?? 1;
  const crop = prep?.crop ?? undefined;
  if (!crop && bin === 1) return { fileShape: [H, W], y0: 0, x0: 0, h: H, w: W, bin: 1, out: [H, W], whole: true };
  const flags = prepFlags(prep!);
  let y0 = 0, x0 = 0, h = H, w = W;
  if (crop) {
    const [cy, cx] = crop.center, N = crop.size, half = Math.floor(N / 2);
    y0 = cy - half; x0 = cx - half; h = N; w = N;
    if (y0 < 0 || x0 < 0 || y0 + N > H || x0 + N > W) {
      // where the centre may be, or that no window of that size fits
      const room = N > H || N > W ? `at most ${Math.min(H, W)} pixels a side` : `centre rows ${half} … ${H - N + half}, columns ${half} … ${W - N + half}`;
      throw r.bad(key, `reconstruction.crop (${flags}): a ${N}×${N} window inside the file's ${H}×${W} frames (${room}; nothing is padded or moved)`,
        `rows ${y0} … ${y0 + N - 1}, columns ${x0} … ${x0 + N - 1}`);
    }
  }
  if (h % bin !== 0 || w % bin !== 0) {
    throw r.bad(key, `reconstruction.binSize (${flags}): a bin size that divides the ${crop ? 'cropped' : 'file\'s'} frames' sides`, `${h}×${w} frames`);
  }
  const out: [number, number] = [h / bin, w / bin];
  if (!powerOfTwo(out[0]) || !powerOfTwo(out[1])) {
    warnings.push(`${r.file}: key '${key}': ${flags} makes ${out[0]}×${out[1]} patterns, not a power of two: the WebAssembly FFT (and so ` +
      '--precision float32, the default) needs one: the reconstruction runs in float64 with the slower TypeScript FFT (fftBackend wasm refuses it; docs/fft.md)');
  }
  return { fileShape: [H, W], y0, x0, h, w, bin, out, whole: false };
}

/**
 * LSQML's refusal of patterns that are not square, whatever the settings (`frames`: the file holds detector frames,
 * CXI or .ptyd, which a crop about the beam makes square). `ptychostudy lsqml` (and a Phase F job) and
 * `inspect --check` give this same line.
 */
export function nonSquarePatternsMessage(file: string, key: string, H: number, W: number, frames = false): string {
  // measured data's detector frames (CXI, .ptyd) are made square by a crop about the beam, which inspect suggests
  const crop = frames ? `: crop the detector frames to a square about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${file}\` says where the beam is and suggests both)` : '';
  return `${file}: key '${printable(key)}': expected square diffraction patterns for LSQML (H = W); found ${H}×${W}${crop}`;
}

/**
 * For a reader asked for square patterns (ReadMeasuredOptions.squarePatterns): refuses a window whose patterns are
 * not square, from the dataset's shape and the settings alone — before the probe, the mask or the stack is read, so
 * that whole frames of a large detector get the advice to crop them, not a memory refusal after seconds of reading.
 */
export function checkSquarePatterns(r: Hdf5Reader, key: string, win: FrameWindow): void {
  const [H, W] = win.out;
  if (H !== W) throw new InputError(nonSquarePatternsMessage(r.file, key, H, W, true));
}

/**
 * The b × b sums of an h × w window of `src` (its first value at `at`, rows `stride` apart) into `acc` [h/b, w/b]
 * (`ow` = w/b columns), float64 and in row order: the binning of the reader (stack.ts) and of the report's patterns.
 */
export function sumBins(src: Float64Array, at: number, stride: number, h: number, w: number, b: number, acc: Float64Array, ow: number): void {
  acc.fill(0);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / b) * ow, s = at + y * stride;
    for (let x = 0; x < w; x++) acc[row + Math.floor(x / b)]! += src[s + x]!;
  }
}

/** Flags [H, W] of the file's frames → those of the window [h, w]. */
export function cropFlags(win: FrameWindow, flags: Uint8Array): Uint8Array {
  if (win.h === win.fileShape[0] && win.w === win.fileShape[1]) return flags;
  const W = win.fileShape[1];
  const out = new Uint8Array(win.h * win.w);
  for (let y = 0; y < win.h; y++) out.set(flags.subarray((win.y0 + y) * W + win.x0, (win.y0 + y) * W + win.x0 + win.w), y * win.w);
  return out;
}

/** Flags of the window [h, w] → those of the patterns [h/b, w/b]: a binned pixel is flagged when any of its pixels is. */
export function binFlags(win: FrameWindow, flags: Uint8Array): Uint8Array {
  const b = win.bin;
  if (b === 1) return flags;
  const [oh, ow] = win.out;
  const out = new Uint8Array(oh * ow);
  for (let y = 0; y < win.h; y++) {
    const row = Math.floor(y / b) * ow;
    for (let x = 0; x < win.w; x++) if (flags[y * win.w + x]) out[row + Math.floor(x / b)] = 1;
  }
  return out;
}

/** `_metadata.geometry.frames` and `inspect`: how the file's frames were made into the patterns. */
export function frameRecord(win: FrameWindow, prep: FramePrep, filePixelM: [number, number]): Record<string, unknown> {
  return {
    file_frame_shape: win.fileShape,
    ...(prep.crop ? { crop_center_yx: [...prep.crop.center], crop_size: prep.crop.size } : {}),
    window_rows: [win.y0, win.y0 + win.h], window_columns: [win.x0, win.x0 + win.w],
    bin_size: win.bin, pattern_shape: win.out,
    file_pixel_size_m_yx: filePixelM,
    how: `file rows ${win.y0} … ${win.y0 + win.h - 1}, columns ${win.x0} … ${win.x0 + win.w - 1}` +
      (win.bin > 1 ? `, ${win.bin}×${win.bin} pixels summed (counts); a binned pixel is masked when any of its pixels is` : ''),
  };
}
