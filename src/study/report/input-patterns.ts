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
import { Hdf5Reader } from '../../data/hdf5/reader.js';
import { stackShape } from '../../data/hdf5/stack.js';
import { MAX_PTYD_CHUNKS } from '../../data/ptypy.js';
import { NpzReader } from '../../npy/npz.js';
import { MAX_SAMPLED_PATTERN_PIXELS, readDiffractionSample } from '../hub/datasets.js';

/** Patterns drawn from the input file, or why none are. */
export type InputPatterns = { rows: { index: number; values: Float64Array }[]; h: number; w: number; source: string; total: number; unit: string } | { why: string };

/** `k` indices spread evenly over `0 … n − 1`, first and last included (all of them when `n ≤ k`). */
export function evenlySpread(n: number, k: number): number[] {
  return k >= n ? [...Array(n).keys()] : Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

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
      const s = await readDiffractionSample(inputPath, evenlySpread(n, count));
      return { rows: s.indices.map((index, k) => ({ index, values: s.counts[k]! })), h: s.h, w: s.w, source: `${inputPath}: diffraction`, total: n,
        unit: 'counts = (diffraction · intensity_scale)²' };
    }
    const geometry = isRecord(meta.geometry) ? meta.geometry : {};
    const keys = isRecord(geometry.keys) ? geometry.keys : {};
    if (typeof keys.diffraction !== 'string' || keys.diffraction === '') {
      return { why: 'the reconstruction records no key of the patterns (_metadata.geometry.keys.diffraction)' };
    }
    // frames cropped or binned: the file's rows are not the patterns the reconstruction fitted
    if (isRecord(geometry.frames)) {
      return { why: `the reconstruction fitted patterns made of the file's frames (_metadata.geometry.frames: ${String(geometry.frames.how)}), not the frames as stored` };
    }
    // a .ptyd keeps its frames in chunks, which the key lists in the order the reconstruction concatenated them
    return await readHdf5Patterns(inputPath, keys.diffraction.split(', '), count);
  } catch (err) {
    return { why: `reading ${inputPath}: ${(err as Error).message}` };
  }
}

/**
 * `count` patterns of the stacks `keys` of an HDF5 file, taken as one stack of their rows in that order (a `.ptyd`'s
 * chunks), each [n_k, H, W] of one H × W; only the rows drawn are read.
 */
async function readHdf5Patterns(path: string, keys: string[], count: number): Promise<InputPatterns> {
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
    for (const index of evenlySpread(total, count)) {
      const s = stacks.find((x) => index >= x.first && index < x.first + x.n)!;
      rows.push({ index, values: r.readRowsFloat64(s.info, [index - s.first])[0]! });
    }
    const source = keys.length === 1 ? `${path}: ${keys[0]}` : `${path}: ${keys[0]} … ${keys[keys.length - 1]} (${keys.length} chunks, their patterns numbered on from one to the next)`;
    return { rows, h, w, source, total, unit: 'values as stored in the file' };
  } finally {
    r.close();
  }
}
