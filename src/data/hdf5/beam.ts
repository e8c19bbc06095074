/**
 * Where the direct beam is on a file's detector frames (`inspect`, `inspect --check`), so that a user holding whole
 * frames knows what to give `--crop-center Y,X --crop-size N` (hdf5/frames.ts; docs/real-data.md, "Where the beam is").
 *
 *   summed   at most BEAM_PATTERNS patterns, evenly spread over the file's (first and last included; all of them when
 *            there are fewer), summed per pixel in float64: the direct beam is at the same detector pixel in every
 *            pattern, while the sample's structure moves with the scan, so a bounded sample finds it as well as all of
 *            them would, and the time is that of reading BEAM_PATTERNS frames whatever the file's size. Each pattern is
 *            read alone (`Hdf5Reader.readRowsFloat64`), the sum and one frame held (checked against the memory limit).
 *            Fewer when the file's chunks hold several patterns each (`beamPatterns`): each read inflates its chunks whole.
 *   left out pixels the file's detector mask masks (CXI mask bits 0x2ff, PtyPy weights 0), values at their integer
 *            type's maximum (gaps, dead and saturated pixels) and values that are not finite, in any pattern summed;
 *            negative values count as 0.
 *   centre   the centre of mass of the bright part of the summed pattern: the weights are the sum less a threshold,
 *            the background (the median unmasked pixel) plus BEAM_THRESHOLD of the way to the brightest pixel, over the
 *            pixels above it. A plain centre of mass of whole frames is pulled towards the frames' centre by every
 *            background count (on test/fixtures/cxi/frames.cxi, whose frames hold 1000 counts a pixel outside the
 *            beam's window, it lies 29 columns off); the bright part is the beam and the pattern about it. A beam stop
 *            or a masked, saturated centre leaves a ring about the beam, whose centre of mass is still the beam's. Then
 *            again over the bright pixels whose mirror image about the centre is not left out (a gap on one side).
 *   alone    a pixel above the threshold none of whose unmasked neighbours is above it: a hot pixel the mask does not
 *            flag (the beam's bright part spans at least 2 pixels). Left out of the centre, and listed.
 *   brightest the brightest unmasked pixel of the sum that is not alone (the first in row-major order on a tie). It is
 *            off the beam when the beam is stopped or masked (it lands on the ring), or at hot pixels that touch.
 *
 * A suggested crop is made when the frames are not centred on the beam (within 1 pixel of [⌊H/2⌋, ⌊W/2⌋]) or are not
 * square of a side float32 takes (`float32Side`: even, no prime factor above 13): the centre rounded to whole pixels,
 * and the largest such side, at most SUGGESTED_CROP_MAX, whose window fits inside the frames about it.
 */
import { float32Side, float32SidesAbout } from './frames.js';
import { integerTypeMax } from './stack.js';
import type { Hdf5DatasetInfo, Hdf5Reader } from './reader.js';

/** Patterns summed at most. */
export const BEAM_PATTERNS = 64;
/** Fraction of the way from the background to the brightest pixel below which pixels are left out of the centre. */
export const BEAM_THRESHOLD = 0.1;
/** The largest crop suggested: FFTs of larger patterns cost N² log N for a resolution few scans need; a larger one may be given. */
export const SUGGESTED_CROP_MAX = 512;
/** Passes of the centre of mass over the bright pixels whose mirror image about the centre is not left out. */
export const BEAM_SYMMETRIC_PASSES = 3;
/** Bright pixels standing alone (hot pixels the mask does not flag) set aside at most before the brightest is taken as the beam's. */
export const BEAM_ISOLATED_MAX = 64;

/**
 * The crop size suggested about whole pixel `c` [y, x] of frames [H, W]: the largest side float32 takes (`float32Side`),
 * at most SUGGESTED_CROP_MAX, whose window fits inside the frames about it; null when none does (the beam at their edge).
 */
export function suggestedCropSize(c: readonly [number, number], H: number, W: number): number | null {
  const room = Math.min(2 * Math.min(c[0], H - c[0], c[1], W - c[1]), SUGGESTED_CROP_MAX);
  return room >= 2 ? float32SidesAbout(room).below : null;
}

export interface BeamEstimate {
  /** The file's frames [H, W]. */
  frame_shape: [number, number];
  patterns: number;
  /** Indices of the patterns summed (numbered on across a .ptyd's chunks). */
  patterns_summed: number[];
  /** Pixels left out: the detector mask's, and those holding an integer type's maximum or a non-finite value in a pattern summed. */
  pixels_left_out: number;
  /** The summed pattern's median unmasked pixel, and the threshold of the centre of mass. */
  background: number;
  threshold: number;
  /** The centre of mass of the sum above the threshold, [y, x] in the file's pixels (2 decimals); null when no pixel is above it. */
  centre_yx: [number, number] | null;
  /** The brightest unmasked pixel that does not stand alone, and its sum. */
  brightest_pixel_yx: [number, number];
  brightest_value: number;
  /** Pixels above the threshold (or brighter than the brightest) none of whose unmasked neighbours is above it: hot pixels the mask does not flag, left out of the centre. */
  isolated_pixels_yx: [number, number][];
  /** True when the rounded centre is within 1 pixel of [⌊H/2⌋, ⌊W/2⌋]. */
  frames_centred: boolean;
  suggestion: { crop_center: [number, number]; crop_size: number; flags: string } | null;
  /** Why there is no suggestion, or what to look at; one sentence each. */
  notes: string[];
}

/**
 * How many patterns the beam estimate reads: BEAM_PATTERNS, fewer when the stacks' chunks hold several patterns each.
 * HDF5 inflates every chunk a read touches, whole, and each read opens the dataset anew (its chunk cache with it), so
 * one pattern read from a chunk of c patterns costs c patterns' inflation: a 250 KB file whose 1024 patterns of 256²
 * were one gzip'd chunk of 256 MiB took 64 × 1 s (the sum of 64 patterns). The reads are cut to cost at most
 * BEAM_PATTERNS patterns' worth of chunks (and at least one read).
 */
export function beamPatterns(infos: readonly Hdf5DatasetInfo[]): number {
  let perPattern = 1; // chunk elements inflated per element of a pattern read
  for (const info of infos) {
    const c = info.chunks, rowElems = info.elements / Math.max(1, info.shape[0]!);
    if (!c || c.length !== info.shape.length || rowElems === 0) continue;
    const perRow = info.shape.slice(1).reduce((a, s, i) => a * Math.ceil(s / c[i + 1]!), 1);
    perPattern = Math.max(perPattern, (perRow * c.reduce((a, d) => a * d, 1)) / rowElems);
  }
  return Math.max(1, Math.min(BEAM_PATTERNS, Math.floor(BEAM_PATTERNS / perPattern)));
}

/** `k` indices evenly spread over 0 … n − 1, first and last included (all of them when n ≤ k). */
export function evenIndices(n: number, k: number): number[] {
  if (k >= n) return [...Array(n).keys()];
  if (k <= 1) return k === 1 ? [0] : []; // (the spacing of one index would be 0 / 0)
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * The direct beam of the stacks `infos` ([n_k, H, W] each, taken as one stack of their rows in order), `masked` ([H, W],
 * 1 = masked) the file's detector mask. The stacks are checked as a reconstruction checks them (`checkStackInfo`) by the
 * caller; the sum and one frame are checked against the memory limit here before they are allocated.
 */
export function estimateBeam(r: Hdf5Reader, infos: Hdf5DatasetInfo[], H: number, W: number, masked: Uint8Array | undefined): BeamEstimate {
  const hw = H * W;
  r.checkFitsMemory(infos[0]!.key, hw * (8 + 8 + 8 + 1), `the sum of frames of ${H}×${W} (float64) to find the direct beam`);
  const stacks: { info: Hdf5DatasetInfo; first: number; n: number }[] = [];
  let n = 0;
  for (const info of infos) { stacks.push({ info, first: n, n: info.shape[0]! }); n += info.shape[0]!; }
  const rows = evenIndices(n, beamPatterns(infos));
  const sum = new Float64Array(hw);
  const out = new Uint8Array(hw);
  if (masked) out.set(masked);
  for (const row of rows) {
    const s = stacks.find((x) => row >= x.first && row < x.first + x.n)!;
    const top = integerTypeMax(s.info);
    const topValue = top === undefined ? NaN : Number(top);
    const v = r.readRowsFloat64(s.info, [row - s.first])[0]!;
    for (let p = 0; p < hw; p++) {
      const x = v[p]!;
      if (!Number.isFinite(x) || x === topValue) out[p] = 1;
      else if (x > 0) sum[p]! += x;
    }
  }
  let left = 0, best = -1, bestValue = -Infinity;
  for (let p = 0; p < hw; p++) left += out[p]!;
  const kept = new Float64Array(hw - left);
  for (let p = 0, k = 0; p < hw; p++) {
    if (out[p]) continue;
    kept[k++] = sum[p]!;
    if (sum[p]! > bestValue) { bestValue = sum[p]!; best = p; }
  }
  const notes: string[] = [];
  const base = { frame_shape: [H, W] as [number, number], patterns: n, patterns_summed: rows, pixels_left_out: left };
  if (best < 0 || !(bestValue > 0)) {
    notes.push(best < 0 ? 'every pixel is masked' : 'no unmasked pixel holds a count in the patterns summed');
    return { ...base, background: 0, threshold: 0, centre_yx: null, isolated_pixels_yx: [], brightest_pixel_yx: best < 0 ? [0, 0] : [Math.floor(best / W), best % W],
      brightest_value: best < 0 ? 0 : bestValue, frames_centred: false, suggestion: null, notes };
  }
  kept.sort();
  const background = kept[Math.floor((kept.length - 1) / 2)]!;
  // Whether pixel p stands alone above level t: it has unmasked neighbours (of its 8) and none of them is above t.
  const alone = (p: number, t: number): boolean => {
    const y = Math.floor(p / W), x = p % W;
    let seen = 0;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(H - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(W - 1, x + 1); xx++) {
        const q = yy * W + xx;
        if (q === p || out[q]) continue;
        if (sum[q]! > t) return false;
        seen++;
      }
    }
    return seen > 0;
  };
  // A hot pixel the mask does not flag is bright in every pattern, as the beam is, but alone: the beam's bright part is
  // never one pixel (its far-field spot spans the detector's oversampling, ≥ 2 pixels). The brightest pixel that stands
  // alone above BEAM_THRESHOLD of its own height is set aside, and the next brightest tried, at most BEAM_ISOLATED_MAX
  // times; when every pixel tried stands alone, the first is taken as the beam.
  const isolated = new Set<number>();
  const first = best, firstValue = bestValue;
  while (isolated.size < BEAM_ISOLATED_MAX && alone(best, background + BEAM_THRESHOLD * (bestValue - background))) {
    isolated.add(best);
    let next = -1, nextValue = -Infinity;
    for (let p = 0; p < hw; p++) if (!out[p] && !isolated.has(p) && sum[p]! > nextValue) { nextValue = sum[p]!; next = p; }
    if (next < 0 || !(nextValue > background)) { isolated.clear(); best = first; bestValue = firstValue; break; }
    best = next; bestValue = nextValue;
  }
  const threshold = background + BEAM_THRESHOLD * (bestValue - background);
  // every pixel above the threshold that stands alone is left out of the centre, the brighter ones set aside above included
  for (let p = 0; p < hw; p++) if (!out[p] && sum[p]! > threshold && p !== best && alone(p, threshold)) isolated.add(p);
  // The centre of mass of the bright pixels; then again, BEAM_SYMMETRIC_PASSES times, of those whose mirror image about the
  // centre found is inside the frames and not left out: a masked gap or pixel on one side of the beam would pull the
  // centre to the other side (an Eiger module gap two columns from the beam moved it 0.65 pixel), its mirror image does not.
  const bright = (p: number): boolean => !out[p] && sum[p]! > threshold && !isolated.has(p);
  const centreOf = (mirror: [number, number] | null): [number, number, number] => {
    let sw = 0, sy = 0, sx = 0;
    for (let p = 0; p < hw; p++) {
      if (!bright(p)) continue;
      const y = Math.floor(p / W), x = p % W;
      if (mirror !== null) {
        const my = mirror[0] - y, mx = mirror[1] - x;
        if (my < 0 || my >= H || mx < 0 || mx >= W || out[my * W + mx] || isolated.has(my * W + mx)) continue;
      }
      const w = sum[p]! - threshold;
      sw += w; sy += w * y; sx += w * x;
    }
    return [sw, sy, sx];
  };
  let [sw, sy, sx] = centreOf(null);
  for (let pass = 0; pass < BEAM_SYMMETRIC_PASSES && sw > 0; pass++) {
    const [w2, y2, x2] = centreOf([Math.round((2 * sy) / sw), Math.round((2 * sx) / sw)]);
    if (!(w2 > 0)) break;
    [sw, sy, sx] = [w2, y2, x2];
  }
  const isolated_pixels_yx = [...isolated].sort((a, b) => a - b).map((p): [number, number] => [Math.floor(p / W), p % W]);
  if (isolated_pixels_yx.length > 0) {
    const shown = isolated_pixels_yx.slice(0, 8).map((q) => `[${q.join(', ')}]`).join(', ');
    const one = isolated_pixels_yx.length === 1;
    notes.push(`${one ? 'a pixel' : `${isolated_pixels_yx.length} pixels`} bright but alone (no unmasked neighbour above the threshold) left out of the ` +
      `centre: ${shown}${isolated_pixels_yx.length > 8 ? ', …' : ''}, ${one ? 'a hot pixel' : 'hot pixels'} the detector mask does not flag? A crop ` +
      `that holds ${one ? 'it fits it' : 'them fits them'} as counts`);
  }
  const brightest: [number, number] = [Math.floor(best / W), best % W];
  // the brightest pixel is above the threshold whenever it is above the background: sw > 0 then
  const centre: [number, number] = sw > 0 ? [sy / sw, sx / sw] : [brightest[0], brightest[1]];
  const c: [number, number] = [Math.round(centre[0]), Math.round(centre[1])];
  const frames_centred = Math.abs(c[0] - Math.floor(H / 2)) <= 1 && Math.abs(c[1] - Math.floor(W / 2)) <= 1;
  const apart = Math.hypot(centre[0] - brightest[0], centre[1] - brightest[1]);
  if (apart > 2) {
    notes.push(`the brightest pixel is ${round2(apart)} pixels from the centre: a beam stop, a saturated or masked centre, or a hot pixel the mask ` +
      'does not flag, or a beam that is not the brightest part of the patterns; look at a pattern before cropping');
  }
  let suggestion: BeamEstimate['suggestion'] = null;
  if (!(frames_centred && H === W && float32Side(H))) {
    const size = suggestedCropSize(c, H, W);
    if (size !== null) suggestion = { crop_center: c, crop_size: size, flags: `--crop-center ${c[0]},${c[1]} --crop-size ${size}` };
    else notes.push('the beam is at the frames\' edge: no window about it fits inside them');
  }
  return { ...base, background, threshold, centre_yx: [round2(centre[0]), round2(centre[1])], brightest_pixel_yx: brightest, brightest_value: bestValue,
    isolated_pixels_yx, frames_centred, suggestion, notes };
}

/**
 * The estimate in words, one line each (inspect). `cropped`: the frames are read with a crop (`inspect --check
 * --crop-center …`), and where the beam lands in its patterns is said instead: no crop is suggested, nor said needless.
 */
export function beamLines(b: BeamEstimate, opts: { cropped?: boolean } = {}): string[] {
  const summed = b.patterns_summed.length === b.patterns ? `all ${b.patterns} patterns` : `${b.patterns_summed.length} of the ${b.patterns} patterns (evenly spread)`;
  const lines = [b.centre_yx === null
    ? `direct beam: not found (${b.notes.join('; ')}; ${summed} summed)`
    : `direct beam: centre [${b.centre_yx.join(', ')}] (centre of mass of the summed pattern above ${BEAM_THRESHOLD * 100} % of the way from its ` +
      `background ${b.background} to its brightest pixel), brightest pixel [${b.brightest_pixel_yx.join(', ')}] (${b.brightest_value}); [y, x] in the file's ` +
      `${b.frame_shape.join('×')} frames; ${summed} summed, ${b.pixels_left_out} masked pixel${b.pixels_left_out === 1 ? '' : 's'} left out`];
  if (b.centre_yx !== null) {
    // with a crop, where the beam lands in its patterns is said by the check (inspect), not what to crop
    if (opts.cropped) { for (const note of b.notes) lines.push(`  note: ${note}`); return lines; }
    if (b.suggestion) {
      const why = [b.frames_centred ? '' : `not centred on it (their centre is [${Math.floor(b.frame_shape[0] / 2)}, ${Math.floor(b.frame_shape[1] / 2)}])`,
        b.frame_shape[0] === b.frame_shape[1] && float32Side(b.frame_shape[0]) ? '' : 'not square of a side float32 takes (even, no prime factor above 13)'].filter(Boolean).join(' and ');
      lines.push(`  the frames are ${why}: crop them about it with ${b.suggestion.flags}`);
    } else if (b.frames_centred && b.frame_shape[0] === b.frame_shape[1] && float32Side(b.frame_shape[0])) lines.push('  the frames are centred on it: no crop is needed');
    for (const note of b.notes) lines.push(`  note: ${note}`);
  }
  return lines;
}
