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
import { sumBins } from '../../data/hdf5/frames.js';
import { Hdf5Reader } from '../../data/hdf5/reader.js';
import { stackShape } from '../../data/hdf5/stack.js';
import { MAX_PTYD_CHUNKS } from '../../data/ptypy.js';
import { NpzReader } from '../../npy/npz.js';
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
      const m = madeFrames(meta, geometry.frames);
      if (typeof m === 'string') return { why: m };
      made = m;
    }
    // a .ptyd keeps its frames in chunks, which the key lists in the order the reconstruction concatenated them
    return await readHdf5Patterns(inputPath, keys.diffraction.split(', '), count, made);
  } catch (err) {
    return { why: `reading ${inputPath}: ${(err as Error).message}` };
  }
}

/** How a reconstruction made its patterns of the file's frames: the window's first row and column, side, and bin size. */
interface MadeFrames { y0: number; x0: number; size: number | null; bin: number }

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/**
 * The crop and binning the reconstruction read its file with, from `_metadata.reconstruction_settings` (`crop`:
 * {center: [y, x], size}, `binSize`), checked against the window `_metadata.geometry.frames` records; why not, as a
 * sentence, when they are missing, malformed or disagree (the record is read from a file: hostile).
 */
function madeFrames(meta: Record<string, unknown>, frames: Record<string, unknown>): MadeFrames | string {
  const settings = isRecord(meta.reconstruction_settings) ? meta.reconstruction_settings : undefined;
  const where = 'the reconstruction fitted patterns made of the file\'s frames (_metadata.geometry.frames)';
  if (settings === undefined) return `${where}, but records no _metadata.reconstruction_settings to make them alike`;
  const crop = settings.crop, bin = settings.binSize ?? 1;
  if (!isInt(bin, 1, 64)) return `${where}, but _metadata.reconstruction_settings.binSize is not a whole number 1 … 64`;
  let made: MadeFrames = { y0: 0, x0: 0, size: null, bin };
  if (crop !== undefined && crop !== null) {
    const c = isRecord(crop) ? crop : {};
    const center = Array.isArray(c.center) ? c.center : [];
    if (!(center.length === 2 && isInt(center[0], 0, 2 ** 31) && isInt(center[1], 0, 2 ** 31) && isInt(c.size, 2, 16384) && (c.size as number) % bin === 0)) {
      return `${where}, but _metadata.reconstruction_settings.crop is not {center: [y, x], size} of whole numbers with a size 2 … 16384 that the bin size divides`;
    }
    const half = Math.floor((c.size as number) / 2);
    made = { y0: (center[0] as number) - half, x0: (center[1] as number) - half, size: c.size as number, bin };
  }
  // the window the reconstruction recorded is the one these settings make
  const rows = frames.window_rows, cols = frames.window_columns;
  if (made.size !== null && (!Array.isArray(rows) || !Array.isArray(cols) || rows[0] !== made.y0 || cols[0] !== made.x0 || frames.bin_size !== bin)) {
    return `${where}, but its window (rows ${JSON.stringify(rows)}, columns ${JSON.stringify(cols)}, bin ${JSON.stringify(frames.bin_size)}) is not the one _metadata.reconstruction_settings makes`;
  }
  return made;
}

/**
 * A frame [fh, fw] (`v`) as the reconstruction made it into a pattern: the window cropped, then b × b values summed;
 * undefined when the window does not lie inside the frame or the bin size does not divide it.
 */
function makePattern(v: Float64Array, fh: number, fw: number, m: MadeFrames): { values: Float64Array; h: number; w: number } | undefined {
  const [h, w] = m.size === null ? [fh, fw] : [m.size, m.size];
  if (m.y0 < 0 || m.x0 < 0 || m.y0 + h > fh || m.x0 + w > fw || h % m.bin !== 0 || w % m.bin !== 0) return undefined;
  const oh = h / m.bin, ow = w / m.bin;
  const out = new Float64Array(oh * ow);
  sumBins(v, m.y0 * fw + m.x0, fw, h, w, m.bin, out, ow);
  return { values: out, h: oh, w: ow };
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
    const rows: { index: number; values: Float64Array }[] = [];
    let ph = h, pw = w;
    for (const index of evenIndices(total, count)) {
      const s = stacks.find((x) => index >= x.first && index < x.first + x.n)!;
      const v = r.readRowsFloat64(s.info, [index - s.first])[0]!;
      if (made === undefined) { rows.push({ index, values: v }); continue; }
      const p = makePattern(v, h, w, made);
      if (p === undefined) return { why: `${path}: the crop and binning the reconstruction recorded do not fit the file's ${h}×${w} frames` };
      rows.push({ index, values: p.values });
      ph = p.h; pw = p.w;
    }
    let source = keys.length === 1 ? `${path}: ${keys[0]}` : `${path}: ${keys[0]} … ${keys[keys.length - 1]} (${keys.length} chunks, their patterns numbered on from one to the next)`;
    if (made !== undefined) {
      const [wh, ww] = made.size === null ? [h, w] : [made.size, made.size];
      source += `, its ${h}×${w} frames made into patterns as the reconstruction made them: rows ${made.y0} … ${made.y0 + wh - 1}, columns ${made.x0} … ${made.x0 + ww - 1}`;
    }
    return { rows, h: ph, w: pw, source, total, unit: made !== undefined && made.bin > 1 ? `values as stored in the file, summed ${made.bin}×${made.bin}` : 'values as stored in the file' };
  } finally {
    r.close();
  }
}
