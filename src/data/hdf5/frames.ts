/**
 * Detector frames made into the patterns a reconstruction fits: a crop around the direct beam, then a binning
 * (reconstruction.crop, reconstruction.binSize; ptychodus's Diffraction settings CropCenterXInPixels,
 * CropCenterYInPixels, CropWidthInPixels, CropHeightInPixels and BinSizeX, BinSizeY do the same, docs/real-data.md,
 * "Cropping and binning detector frames").
 *
 *   crop    a size × size window of the file's frames, rows cy − ⌊size/2⌋ … cy − ⌊size/2⌋ + size − 1 and the same
 *           columns about cx (ptychodus's slice center − size//2 : center + size//2 for an even size; for an odd one
 *           its slice holds size − 1 pixels, this window size): the given centre lands at
 *           [⌊size/2⌋, ⌊size/2⌋], where this engine puts the direct beam. A window reaching outside the frames is
 *           padded with zeros, and its pixels outside the frames are masked (never fitted); its centre must be a pixel
 *           of the frames (ptychodus moves the centre until the window fits: nothing is moved here). A crop of the
 *           frames' own size about another centre re-centres them;
 *   bin     b × b pixels summed into one (counts stay counts, so the Poisson model stays right); the detector pixel
 *           becomes b·p and the patterns size/b, so the object pixel λz/(N·p) is that of the crop;
 *   mask    the detector mask (CXI mask bits, PtyPy weights, integer-maximum values, padding) is cropped the same way,
 *           and a binned pixel is masked when ANY of its b² pixels is (ptychodus keeps a binned pixel unless ALL are bad);
 *   orient  the binned patterns flipped left–right, flipped up–down, then transposed (ptychodus's FlipHorizontal,
 *           FlipVertical, Transpose, in its order; PtyPy's `orientation` 0–7 is read as the same three: orientationOf).
 *           The detector mask and the file's own probe are oriented with them; positions are not changed.
 *
 * The stack is read a slab of frames at a time, and of each frame only the window (`Hdf5Reader.readSlabs` with a
 * window): whole frames are never held, whatever the file's frame size.
 */
import { InputError } from '../../errors.js';
import { printable } from '../../text.js';
import type { Hdf5Reader, SlabWindow } from './reader.js';

/** The names of the flips and the transpose of reconstruction.orientation, applied in this order (ptychodus's). */
export const ORIENTATION_NAMES = ['flipHorizontal', 'flipVertical', 'transpose'] as const;
export type OrientationName = (typeof ORIENTATION_NAMES)[number];
/** reconstruction.orientation as the settings hold it: names of ORIENTATION_NAMES, or PtyPy's orientation 0–7. */
export type OrientationSetting = number | readonly OrientationName[] | null | undefined;

/** The settings that make the frames (absent: the file's frames as they are). */
export interface FramePrep {
  /** The window's centre [y, x] in the file's pixels and its side. */
  crop?: { center: readonly [number, number]; size: number } | null | undefined;
  /** Pixels summed along each side (1: none). */
  binSize?: number | undefined;
  /** Flips and transpose of the patterns (absent, null, [] or 0: none). */
  orientation?: OrientationSetting;
  /** CXI: the entry read (`entry_N`); absent or null: the file's one entry (entry_1 when it has none). */
  cxiEntry?: string | null | undefined;
}

/** What the patterns are of the binned window: flipped left–right (columns reversed), up–down (rows reversed), then transposed. */
export interface Orientation { flipHorizontal: boolean; flipVertical: boolean; transpose: boolean }

/**
 * The orientation a setting names, or undefined for none. Names apply in ptychodus's order: FlipHorizontal
 * (numpy.flip axis −1), FlipVertical (axis −2), then Transpose. PtyPy's integer (ptypy/utils/array_utils.py
 * `switch_orientation`, commit 1681bec) is the binary digits (transpose, flipud, fliplr) — 4 transpose, 2 flipud,
 * 1 fliplr — applied transpose first, then flipud, then fliplr: after a transpose its flipud reverses what were the
 * columns, so it is FlipHorizontal here (and its fliplr FlipVertical).
 */
export function orientationOf(v: OrientationSetting): Orientation | undefined {
  if (v === null || v === undefined) return undefined;
  let o: Orientation;
  if (typeof v === 'number') {
    const t = (v & 4) !== 0, ud = (v & 2) !== 0, lr = (v & 1) !== 0;
    o = t ? { flipHorizontal: ud, flipVertical: lr, transpose: true } : { flipHorizontal: lr, flipVertical: ud, transpose: false };
  } else o = { flipHorizontal: v.includes('flipHorizontal'), flipVertical: v.includes('flipVertical'), transpose: v.includes('transpose') };
  return o.flipHorizontal || o.flipVertical || o.transpose ? o : undefined;
}

/** The names of an orientation in their order ([] for none), for records and flags. */
export function orientationNames(o: Orientation | undefined): OrientationName[] {
  return o ? ORIENTATION_NAMES.filter((k) => o[k]) : [];
}

/** The shape [H, W] of patterns [H, W] once oriented. */
export function orientedShape(o: Orientation | undefined, H: number, W: number): [number, number] {
  return o?.transpose ? [W, H] : [H, W];
}

/**
 * `src` [H, W] (from `srcAt`, `comps` values per pixel: 2 for interleaved complex) oriented into `dst` from `dstAt`
 * ([W, H] when transposed): dst[i, j] = E[j, i] (transposed) or E[i, j], E[y, x] = src[flipVertical ? H − 1 − y : y,
 * flipHorizontal ? W − 1 − x : x]. `dst` must not overlap `src`.
 */
export function orientPlane(o: Orientation, src: ArrayLike<number>, H: number, W: number, dst: { [i: number]: number }, comps = 1, srcAt = 0, dstAt = 0): void {
  const [oh, ow] = orientedShape(o, H, W);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const y = o.transpose ? j : i, x = o.transpose ? i : j;
      const s = srcAt + ((o.flipVertical ? H - 1 - y : y) * W + (o.flipHorizontal ? W - 1 - x : x)) * comps, d = dstAt + (i * ow + j) * comps;
      for (let c = 0; c < comps; c++) dst[d + c] = src[s + c]!;
    }
  }
}

/** Each of the `n` patterns [H, W] of `stack` oriented in place (one pattern's copy held at a time). */
export function orientStack<T extends Float32Array | Float64Array | Uint8Array>(o: Orientation | undefined, stack: T, n: number, H: number, W: number, comps = 1): T {
  if (!o) return stack;
  const hw = H * W * comps;
  const scratch = stack.slice(0, hw) as T;
  for (let p = 0; p < n; p++) {
    scratch.set(stack.subarray(p * hw, (p + 1) * hw));
    orientPlane(o, scratch, H, W, stack, comps, 0, p * hw);
  }
  return stack;
}

/** How the file's frames become the patterns. */
export interface FrameWindow extends SlabWindow {
  /** The file's frames [H, W]. */
  fileShape: [number, number];
  bin: number;
  /** The binned patterns [H, W] after the crop and the binning, before the orientation. */
  binned: [number, number];
  /** The patterns [H, W]: `binned`, oriented. */
  out: [number, number];
  /** True when the frames are used as they are (no crop, no binning, no orientation). */
  whole: boolean;
  /** The part of the window inside the frames (the window itself unless it reaches outside them). */
  read: SlabWindow;
  /** Pixels of the window outside the frames: padded with zeros and masked. */
  padded: number;
  orientation?: Orientation | undefined;
}

/**
 * True when the WebAssembly complex128 FFT takes patterns of side `n`: n ≥ 1 with no prime factor above 13
 * (powers of two on its radix-4/2 path, the others on its mixed-radix one; float32 needs an even one, `float32Side`).
 */
export function wasmFftSide(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  for (const p of [2, 3, 5, 7, 11, 13]) while (n % p === 0) n /= p;
  return n === 1;
}

/**
 * True when patterns of side `n` run in float32: an even side with no prime factor above 13 (the complex64
 * WebAssembly FFT pairs two complexes of a row per vector).
 */
export const float32Side = (n: number): boolean => n % 2 === 0 && wasmFftSide(n);

/** The warnings' words for the sides `float32Side` takes. */
const FLOAT32_SIDE = 'an even side with no prime factor above 13';

/**
 * What patterns of a side `side` that float32 does not take run on, as the warnings say it: float64 on the
 * WebAssembly FFT (odd sides with no prime factor above 13), or float64 on the TypeScript FFT (any other).
 */
function notFloat32Run(side: number): string {
  return wasmFftSide(side)
    ? '--precision float32 (the default) needs one: the reconstruction runs in float64, on the WebAssembly FFT (docs/fft.md)'
    : '--precision float32 (the default) needs one, and the WebAssembly FFT a side with no prime factor above 13: the reconstruction ' +
      'runs in float64 with the TypeScript FFT (12–19× the WebAssembly FFT\'s time per transform at similar sizes; fftBackend wasm refuses it; docs/fft.md)';
}

/**
 * The sides float32 takes (`float32Side`) nearest `n` (an integer ≥ 2): `below`, the largest at most n, and `above`, the
 * smallest at least n (both n when float32 takes it). They lie close: 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28 … 180, 182, 192, 196, 198, 200, 208 ….
 */
export function float32SidesAbout(n: number): { below: number; above: number } {
  let below = n, above = n;
  while (below > 2 && !float32Side(below)) below--;
  while (!float32Side(above)) above++;
  return { below, above };
}

/**
 * How the frames become patterns of a side float32 takes, as messages say it: a crop (`--crop-center Y,X --crop-size N`,
 * N over the bin size `bin` the nearest such sides below and above the patterns' side `side`, ≥ 2 and not one itself;
 * a window larger than the frames reaches outside them and is masked there), `ptychostudy inspect FILE` finding the beam.
 */
export function float32CropAdvice(file: string, side: number, bin: number): string {
  const { below, above } = float32SidesAbout(side);
  return `--crop-center Y,X --crop-size ${below * bin} or ${above * bin}${bin > 1 ? ` --bin-size ${bin}` : ''} makes patterns of ${below}×${below} or ` +
    `${above}×${above}, the nearest sides float32 takes (\`ptychostudy inspect ${file}\` says where the direct beam is, the crop's centre)`;
}

/** 'flipHorizontal' → 'flip-horizontal' (the flag's spelling). */
export const flagName = (n: string): string => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** True when `prep` changes the file's frames in any way (a crop, a binning or an orientation). */
export function framesChanged(prep: FramePrep | undefined): boolean {
  return prep !== undefined && (prep.crop != null || (prep.binSize ?? 1) !== 1 || orientationOf(prep.orientation) !== undefined);
}

/** The flags of the settings, for messages. */
export function prepFlags(prep: FramePrep): string {
  const parts: string[] = [];
  if (prep.crop) parts.push(`--crop-center ${prep.crop.center[0]},${prep.crop.center[1]} --crop-size ${prep.crop.size}`);
  if ((prep.binSize ?? 1) !== 1) parts.push(`--bin-size ${prep.binSize}`);
  const o = orientationNames(orientationOf(prep.orientation));
  if (o.length > 0) parts.push(`--orientation ${o.map(flagName).join(',')}`);
  return parts.join(' ');
}

/**
 * The window of `prep` on frames [H, W] of dataset `key`, checked before anything is read: a crop wholly inside the
 * frames, a binning that divides the window's sides. A side of the patterns that float32 does not take (`float32Side`) is
 * a warning (pushed on `warnings`), which names where they run instead and the crops that make them sides float32 takes.
 */
export function frameWindow(r: Hdf5Reader, key: string, H: number, W: number, prep: FramePrep | undefined, warnings: string[]): FrameWindow {
  const bin = prep?.binSize ?? 1;
  const crop = prep?.crop ?? undefined;
  const orientation = orientationOf(prep?.orientation);
  const all = { y0: 0, x0: 0, h: H, w: W };
  if (!crop && bin === 1 && !orientation) {
    // no crop (reconstruction.crop null, the default): the frames are the patterns, whole; a square side that float32 does
    // not take runs (in float64); non-square frames are refused (checkSquarePatterns), with the advice to crop them
    if (H === W && H > 1 && !float32Side(H)) warnings.push(wholeFramesNotFloat32(r.file, key, H));
    return { fileShape: [H, W], ...all, bin: 1, binned: [H, W], out: [H, W], whole: true, read: all, padded: 0 };
  }
  const flags = prepFlags(prep!);
  let y0 = 0, x0 = 0, h = H, w = W;
  if (crop) {
    const [cy, cx] = crop.center, N = crop.size, half = Math.floor(N / 2);
    y0 = cy - half; x0 = cx - half; h = N; w = N;
    // the centre, where the direct beam is, must be a pixel of the frames; the window may reach outside them (padded)
    if (cy >= H || cx >= W) {
      throw r.bad(key, `reconstruction.crop (${flags}): a centre inside the file's ${H}×${W} frames (rows 0 … ${H - 1}, columns 0 … ${W - 1}; ` +
        'the window about it may reach outside them: zeros there, masked)', `centre [${cy}, ${cx}]`);
    }
  }
  if (h % bin !== 0 || w % bin !== 0) {
    throw r.bad(key, `reconstruction.binSize (${flags}): a bin size that divides the ${crop ? 'cropped' : 'file\'s'} frames' sides`, `${h}×${w} frames`);
  }
  const binned: [number, number] = [h / bin, w / bin];
  const out = orientedShape(orientation, binned[0], binned[1]);
  if (!float32Side(out[0]) || !float32Side(out[1])) {
    // a crop's side may be any; without one (a binning or an orientation of the whole frames) the frames' side is the patterns'
    const advice = out[0] === out[1] && out[0] > 1 ? `; ${float32CropAdvice(r.file, out[0], bin)}` : '';
    const run = out[0] === out[1] ? notFloat32Run(out[0]) : '--precision float32 (the default) needs one';
    warnings.push(`${r.file}: key '${key}': ${flags} makes ${out[0]}×${out[1]} patterns, not ${FLOAT32_SIDE}: ${run}${advice}`);
  }
  const ry0 = Math.max(0, y0), rx0 = Math.max(0, x0);
  const read = { y0: ry0, x0: rx0, h: Math.min(H, y0 + h) - ry0, w: Math.min(W, x0 + w) - rx0 };
  return { fileShape: [H, W], y0, x0, h, w, bin, binned, out, whole: false, read, padded: h * w - read.h * read.w, ...(orientation ? { orientation } : {}) };
}

/**
 * The warning of whole frames (no crop, the default) of a square side `side` that float32 does not take (`float32Side`):
 * they are reconstructed as they are, in float64, and a crop to the nearest side float32 takes below or above makes them float32's.
 */
export function wholeFramesNotFloat32(file: string, key: string, side: number): string {
  return `${file}: key '${printable(key)}': the file's ${side}×${side} frames are read whole (no --crop-size: the frames' own size, the default), ` +
    `not ${FLOAT32_SIDE}: ${notFloat32Run(side)}; ${float32CropAdvice(file, side, 1)}`;
}

/**
 * LSQML's refusal of patterns that are not square, whatever the settings (`frames`: the file holds detector frames,
 * CXI or .ptyd, which a crop about the beam makes square; else a dataset NPZ, whose patterns are used as stored). `ptychostudy lsqml` (and a Phase F job) and
 * `inspect --check` give this same line.
 */
export function nonSquarePatternsMessage(file: string, key: string, H: number, W: number, frames = false): string {
  // measured data's detector frames (CXI, .ptyd) are made square by a crop about the beam, which inspect suggests
  // a dataset NPZ's patterns are used as stored (the crop flags are refused for it): they are made square where it is written
  const crop = frames ? `: crop the detector frames to a square about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${file}\` says where the beam is and suggests both)`
    : ': a dataset NPZ\'s patterns are used as stored (--crop-center, --crop-size crop the detector frames of CXI and .ptyd files only): crop them to a square about the direct beam where the NPZ is written';
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

/** Flags [H, W] of the file's frames → those of the window [h, w] (0 outside the frames). */
export function cropFlags(win: FrameWindow, flags: Uint8Array): Uint8Array {
  if (win.h === win.fileShape[0] && win.w === win.fileShape[1] && win.padded === 0) return flags;
  const W = win.fileShape[1], rd = win.read;
  const out = new Uint8Array(win.h * win.w);
  for (let y = rd.y0; y < rd.y0 + rd.h; y++) {
    out.set(flags.subarray(y * W + rd.x0, y * W + rd.x0 + rd.w), (y - win.y0) * win.w + (rd.x0 - win.x0));
  }
  return out;
}

/** Flags of the window [h, w]: 1 at each pixel outside the frames (padding), or undefined when there is none. */
export function padFlags(win: FrameWindow): Uint8Array | undefined {
  if (win.padded === 0) return undefined;
  const out = new Uint8Array(win.h * win.w).fill(1), rd = win.read;
  for (let y = rd.y0; y < rd.y0 + rd.h; y++) out.fill(0, (y - win.y0) * win.w + (rd.x0 - win.x0), (y - win.y0) * win.w + (rd.x0 - win.x0) + rd.w);
  return out;
}

/** Flags of the window [h, w] → those of the patterns [h/b, w/b]: a binned pixel is flagged when any of its pixels is. */
export function binFlags(win: FrameWindow, flags: Uint8Array): Uint8Array {
  const b = win.bin;
  if (b === 1) return flags;
  const [oh, ow] = win.binned;
  const out = new Uint8Array(oh * ow);
  for (let y = 0; y < win.h; y++) {
    const row = Math.floor(y / b) * ow;
    for (let x = 0; x < win.w; x++) if (flags[y * win.w + x]) out[row + Math.floor(x / b)] = 1;
  }
  return out;
}

/** How each name of an orientation is said. */
const ORIENTATION_WORDS: Record<OrientationName, string> = { flipHorizontal: 'flipped left–right', flipVertical: 'flipped up–down', transpose: 'transposed' };

/** `_metadata.geometry.frames` and `inspect`: how the file's frames were made into the patterns. */
export function frameRecord(win: FrameWindow, prep: FramePrep, filePixelM: [number, number]): Record<string, unknown> {
  return {
    file_frame_shape: win.fileShape,
    ...(prep.crop ? { crop_center_yx: [...prep.crop.center], crop_size: prep.crop.size } : {}),
    window_rows: [win.y0, win.y0 + win.h], window_columns: [win.x0, win.x0 + win.w],
    ...(win.padded > 0 ? { padded_pixels: win.padded } : {}),
    bin_size: win.bin, ...(win.orientation ? { orientation: orientationNames(win.orientation) } : {}), pattern_shape: win.out,
    file_pixel_size_m_yx: filePixelM,
    how: `file rows ${win.y0} … ${win.y0 + win.h - 1}, columns ${win.x0} … ${win.x0 + win.w - 1}` +
      (win.padded > 0 ? ` (${win.padded} pixels of it outside the frames: zeros, masked)` : '') +
      (win.bin > 1 ? `, ${win.bin}×${win.bin} pixels summed (counts); a binned pixel is masked when any of its pixels is` : '') +
      (win.orientation ? `, then ${orientationNames(win.orientation).map((n) => ORIENTATION_WORDS[n]).join(', then ')} (positions unchanged)` : ''),
  };
}

/** The detector pixel [y, x] of the binned patterns, as the oriented patterns have it (swapped when transposed). */
export function orientedPixel(win: FrameWindow, pixel: [number, number]): [number, number] {
  return win.orientation?.transpose ? [pixel[1], pixel[0]] : pixel;
}

/**
 * The file's own probe (of the binned patterns' shape, in the frames' orientation: the file holds both as its
 * detector wrote them) oriented as the patterns are; a probe file given with --init-probe file: is a reconstruction's,
 * already in the patterns' orientation, and is not oriented.
 */
export function orientProbe<P extends { modes: number; height: number; width: number; data: Float64Array }>(win: FrameWindow, p: P): P {
  const o = win.orientation;
  if (!o) return p;
  const data = orientStack(o, p.data.slice(), p.modes, p.height, p.width, 2);
  const [height, width] = orientedShape(o, p.height, p.width);
  return { ...p, data, height, width };
}

/** The refusal's "expected" of a padded window read with the detector mask off: its padding is masked. */
export function paddedNeedsMaskWant(win: FrameWindow, prep: FramePrep): string {
  return `the detector mask on with reconstruction.crop (${prepFlags(prep)}): the window reaches outside the file's ` +
    `${win.fileShape.join('×')} frames, and its ${win.padded} pixels there are zeros that are masked, never fitted`;
}

/**
 * The patterns' flags `bad` [h/b, w/b] with the window's padding added (a binned pixel holding a pixel outside the
 * frames is masked), its count pushed on `sources` as the 'padding' source; `bad` itself when nothing is padded.
 */
export function withPadding(win: FrameWindow, bad: Uint8Array, sources: { source: string; key: string; pixels: number; [k: string]: unknown }[], key: string): Uint8Array {
  const pad = padFlags(win);
  if (!pad) return bad;
  const out = binFlags(win, pad);
  let pixels = 0;
  for (let p = 0; p < out.length; p++) { if (out[p]) pixels++; out[p]! |= bad[p]!; }
  sources.push({ source: 'padding', key, pixels, window_pixels_outside_frames: win.padded });
  return out;
}
