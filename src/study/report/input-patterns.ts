/**
 * A few diffraction patterns of the file a reconstruction of measured data read, for both reports (the report of
 * one `lsqml --out` folder and the study report of a hub whose Phase C holds a CXI or `.ptyd` file). The file is
 * read only when it is still the one the reconstruction read: its size and SHA-256 must be those recorded in
 * `_metadata.input`. From an HDF5 file only the patterns drawn are read (one row of the stack at a time), at the
 * key the reconstruction recorded (`_metadata.geometry.keys.diffraction`; a `.ptyd`'s lists its chunks, whose
 * rows are numbered on across them as the reconstruction concatenated them).
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { fingerprintSync } from '../../files/fingerprint.js';
import { evenIndices } from '../../data/hdf5/beam.js';
import { frameWindow, orientPlane, sumBins, type FramePrep, type FrameWindow } from '../../data/hdf5/frames.js';
import { Hdf5Reader } from '../../data/hdf5/reader.js';
import { stackShape } from '../../data/hdf5/stack.js';
import { MAX_PTYD_CHUNKS } from '../../data/ptypy.js';
import { NpzReader } from '../../npy/npz.js';
import { InputError } from '../../errors.js';
import { FrameSettingsSchema } from '../../settings/schema.js';
import { shownJson } from '../../text.js';
import { MAX_SAMPLED_PATTERN_PIXELS, readDiffractionSample } from '../hub/datasets.js';

/** Patterns drawn from the input file, or why none are. */
export type InputPatterns = { rows: { index: number; values: Float64Array }[]; h: number; w: number; source: string; total: number; unit: string } | { why: string };


const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `count` patterns of `inputPath`, evenly spread over the file's, when the file is a regular file whose size and
 * SHA-256 are those `meta.input` records; else why not (never an exception: a file that changed, vanished or
 * cannot be read is said, not fatal).
 */
export async function readInputPatterns(meta: Record<string, unknown>, inputPath: string, count: number): Promise<InputPatterns> {
  const input = isRecord(meta.input) ? meta.input : {};
  if (!existsSync(inputPath)) {
    // a link that leads nowhere is a broken file, not an absent one
    const link = lstatSync(inputPath, { throwIfNoEntry: false });
    return { why: link === undefined ? `${inputPath} is not there any more` : `${inputPath} is a symbolic link that leads to no file (to nothing, or round in a loop)` };
  }
  const st = statSync(inputPath);
  if (!st.isFile()) return { why: `${inputPath} is not a regular file` };
  if (typeof input.sha256 !== 'string') return { why: 'the reconstruction records no SHA-256 of its input to check the file against' };
  if (typeof input.size_bytes === 'number' && st.size !== input.size_bytes) {
    return { why: `${inputPath} is ${st.size} bytes, not the ${input.size_bytes} the reconstruction read (the file has changed)` };
  }
  try {
    if (fingerprintSync(inputPath).sha256 !== input.sha256) return { why: `the SHA-256 of ${inputPath} is not the one recorded (the file has changed)` };
    if (meta.input_format === 'npz') {
      const n = (() => { const r = NpzReader.open(inputPath); try { return r.has('diffraction') ? r.header('diffraction').shape[0] ?? 0 : 0; } finally { r.close(); } })();
      if (!n) return { why: `${inputPath} holds no patterns ('diffraction')` };
      const s = await readDiffractionSample(inputPath, evenIndices(n, count));
      return { rows: s.indices.map((index, k) => ({ index, values: s.counts[k]! })), h: s.h, w: s.w, source: `${inputPath}: diffraction`, total: n,
        unit: 'counts = (diffraction · intensity_scale)²' };
    }
    const geometry = isRecord(meta.geometry) ? meta.geometry : {};
    const keys = isRecord(geometry.keys) ? geometry.keys : {};
    if (typeof keys.diffraction !== 'string' || keys.diffraction === '') {
      return { why: 'the reconstruction records no key of the patterns (_metadata.geometry.keys.diffraction)' };
    }
    // frames cropped or binned: the patterns are made of the rows as the reconstruction made them
    let made: MadeFrames | undefined;
    if (isRecord(geometry.frames)) {
      const prep = recordedFramePrep(meta);
      if (typeof prep === 'string') return { why: prep };
      made = { prep, frames: geometry.frames };
    }
    // a .ptyd keeps its frames in chunks, which the key lists in the order the reconstruction concatenated them
    return await readHdf5Patterns(inputPath, keys.diffraction.split(', '), count, made);
  } catch (err) {
    return { why: `reading ${inputPath}: ${(err as Error).message}` };
  }
}

/** How a reconstruction made its patterns of the file's frames: its settings, and the window it recorded (`_metadata.geometry.frames`). */
interface MadeFrames { prep: FramePrep; frames: Record<string, unknown> }

const MADE = 'the reconstruction fitted patterns made of the file\'s frames (_metadata.geometry.frames)';

/**
 * The crop and binning the reconstruction read its file with: `_metadata.reconstruction_settings` (`crop`:
 * {center: [y, x], size}, `binSize`) parsed by the settings schema's own pieces (FrameSettingsSchema), so with the
 * bounds and words of the settings parse; why not, as a sentence naming the key, what was expected and what was found,
 * when they are missing or malformed (the record is read from a file: hostile).
 */
function recordedFramePrep(meta: Record<string, unknown>): FramePrep | string {
  const settings = meta.reconstruction_settings;
  if (!isRecord(settings)) return `${MADE}, but records no _metadata.reconstruction_settings to make them alike`;
  const parsed = FrameSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let found: unknown = settings;
    for (const k of issue.path) found = found !== null && typeof found === 'object' ? (found as Record<PropertyKey, unknown>)[k] : undefined;
    return `${MADE}, but its key '_metadata.reconstruction_settings.${issue.path.map(String).join('.')}': expected ${issue.message}; found ${shownJson(found, 200)}`;
  }
  return { crop: parsed.data.crop ?? null, binSize: parsed.data.binSize ?? 1, orientation: parsed.data.orientation };
}

const pair = (v: unknown, a: number, b: number): boolean => Array.isArray(v) && v.length === 2 && v[0] === a && v[1] === b;

/**
 * The window the recorded settings make on the file's [h, w] frames, as the reader makes it (frames.ts frameWindow:
 * the same rows, columns and refusals), checked against the window the reconstruction recorded; why not, as a sentence.
 */
function madeWindow(r: Hdf5Reader, key: string, h: number, w: number, made: MadeFrames): FrameWindow | string {
  let win: FrameWindow;
  try {
    win = frameWindow(r, key, h, w, made.prep, []);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return `the crop and binning the reconstruction recorded do not make a window of the file's ${h}×${w} frames: ${err.message}`;
  }
  const f = made.frames;
  if (!pair(f.window_rows, win.y0, win.y0 + win.h) || !pair(f.window_columns, win.x0, win.x0 + win.w) || f.bin_size !== win.bin) {
    return `${MADE}, but its window (rows ${shownJson(f.window_rows, 100)}, columns ${shownJson(f.window_columns, 100)}, bin ${shownJson(f.bin_size, 100)}) ` +
      `is not the one _metadata.reconstruction_settings makes (rows [${win.y0}, ${win.y0 + win.h}], columns [${win.x0}, ${win.x0 + win.w}], bin ${win.bin})`;
  }
  return win;
}

/**
 * A frame [·, fw] (`v`) as the reconstruction made it into a pattern: the window cropped (zeros outside the frames),
 * then b × b values summed, then oriented.
 */
function makePattern(v: Float64Array, fw: number, win: FrameWindow): Float64Array {
  let src = v, at = win.y0 * fw + win.x0, stride = fw;
  if (win.padded > 0) {
    const rd = win.read;
    src = new Float64Array(win.h * win.w); at = 0; stride = win.w;
    for (let y = 0; y < rd.h; y++) src.set(v.subarray((rd.y0 + y) * fw + rd.x0, (rd.y0 + y) * fw + rd.x0 + rd.w), (rd.y0 - win.y0 + y) * win.w + (rd.x0 - win.x0));
  }
  const binned = new Float64Array(win.binned[0] * win.binned[1]);
  sumBins(src, at, stride, win.h, win.w, win.bin, binned, win.binned[1]);
  if (!win.orientation) return binned;
  const out = new Float64Array(binned.length);
  orientPlane(win.orientation, binned, win.binned[0], win.binned[1], out);
  return out;
}

/**
 * `count` patterns of the stacks `keys` of an HDF5 file, taken as one stack of their rows in that order (a `.ptyd`'s
 * chunks), each [n_k, H, W] of one H × W; only the rows drawn are read. With `made`, each row is cropped and binned
 * as the reconstruction made its patterns (the whole row read, then its window summed b × b).
 */
async function readHdf5Patterns(path: string, keys: string[], count: number, made?: MadeFrames): Promise<InputPatterns> {
  if (keys.length > MAX_PTYD_CHUNKS) return { why: `${path}: the reconstruction records ${keys.length} keys of patterns, more than the ${MAX_PTYD_CHUNKS} a file may hold` };
  const r = await Hdf5Reader.open(path);
  try {
    const stacks = [];
    let total = 0, h = 0, w = 0;
    for (const key of keys) {
      const info = r.info(key, 'a pattern stack [n, H, W]');
      const nhw = stackShape(info.shape);
      if (nhw === undefined) return { why: `${path}: key '${key}': expected [n, H, W]; found shape [${info.shape.join(', ')}]` };
      const [n, hk, wk] = nhw;
      if (hk * wk > MAX_SAMPLED_PATTERN_PIXELS) return { why: `${path}: key '${key}': patterns of ${hk}×${wk} pixels, more than the ${MAX_SAMPLED_PATTERN_PIXELS} drawn` };
      if (stacks.length > 0 && (hk !== h || wk !== w)) return { why: `${path}: key '${key}': patterns of ${hk}×${wk} pixels, not the ${h}×${w} of '${keys[0]}'` };
      h = hk; w = wk;
      stacks.push({ info, first: total, n });
      total += n;
    }
    if (total === 0) return { why: `${path}: key '${keys.join(', ')}' holds no patterns` };
    // the window of the frames, once for every chunk (they share one frame size)
    let win: FrameWindow | undefined;
    if (made !== undefined) {
      const m = madeWindow(r, keys[0]!, h, w, made);
      if (typeof m === 'string') return { why: m };
      win = m;
    }
    const rows: { index: number; values: Float64Array }[] = [];
    for (const index of evenIndices(total, count)) {
      const s = stacks.find((x) => index >= x.first && index < x.first + x.n)!;
      const v = r.readRowsFloat64(s.info, [index - s.first])[0]!;
      rows.push({ index, values: win === undefined ? v : makePattern(v, w, win) });
    }
    let source = keys.length === 1 ? `${path}: ${keys[0]}` : `${path}: ${keys[0]} … ${keys[keys.length - 1]} (${keys.length} chunks, their patterns numbered on from one to the next)`;
    if (win !== undefined) {
      source += `, its ${h}×${w} frames made into patterns as the reconstruction made them: rows ${win.y0} … ${win.y0 + win.h - 1}, columns ${win.x0} … ${win.x0 + win.w - 1}`;
    }
    const [ph, pw] = win === undefined ? [h, w] : win.out;
    return { rows, h: ph, w: pw, source, total, unit: win !== undefined && win.bin > 1 ? `values as stored in the file, summed ${win.bin}×${win.bin}` : 'values as stored in the file' };
  } finally {
    r.close();
  }
}
