/**
 * What an LSQML reconstruction refuses of the patterns it is given and of the file's own probe, whatever the format
 * (dataset NPZ, CXI, PtyPy .ptyd): one checker, `patternRefusals`, which `ptychostudy lsqml` (and a Phase F job)
 * calls before the engine runs, throwing the first line, and `inspect --check` calls to list every line — so the two
 * cannot name different problems, or the same problem in other words.
 *
 * The readers refuse what they cannot read (a type, a shape, a value that is not finite) in their own lines, the same
 * for both callers; some of the refusals below are also made from the headers before a read (patterns that are not
 * square, of no pixel), with these same lines.
 */
import type { NdArray } from '../npy/types.js';
import { formatShape } from '../npy/npy.js';
import { counted, printable, shownJson } from '../text.js';
import { nonSquarePatternsMessage, float32CropAdvice, wasmFftSide } from './hdf5/frames.js';

/**
 * The largest total intensity of one pattern the float32 engine takes: float32 holds 3.4e38; with counts
 * multiplied by up to 1e32 (pattern totals up to 7.8e37, 32² and 128² patches) Gaussian runs stayed finite,
 * every loss the unscaled run's times the factor (docs/lsqml.md). Beyond this bound the input is refused
 * rather than overflowing midway.
 */
export const MAX_FLOAT32_PATTERN_TOTAL = 1e37;

/**
 * The largest intensity of one pixel taken in any precision: float32's largest value. A large scan's intensities
 * are held as float32 whatever the precision (study/reconstruct/lsqml-job.ts), where a larger one becomes Infinity.
 */
export const MAX_PIXEL_INTENSITY = 3.4028234663852886e38;

/** LSQML's refusal of patterns of no pixel (`shape`: diffraction's); `lsqml`, a Phase F job and `inspect --check` give this line. */
export function noPixelPatternsMessage(file: string, shape: readonly number[]): string {
  return `${file}: key 'diffraction': expected patterns of at least 1×1 pixels; found shape ${formatShape(shape)}`;
}

/**
 * Patterns of a side the WebAssembly FFT does not take (at least 2, no prime factor above 13), with reconstruction.fftBackend wasm,
 * which is refused rather than run on the TypeScript FFT (`auto` does that, in float64). Of measured data (`frames`)
 * it names the crops that make them sides float32 takes (`bin`: reconstruction.binSize).
 */
export function wasmSizeMessage(file: string, key: string, side: number, frames: boolean, bin: number): string {
  const crop = frames && side >= 2 ? `${float32CropAdvice(file, side, bin)}; or ` : '';
  return `${file}: key '${printable(key)}': expected patterns whose side is ≥ 2 with no prime factor above 13 for reconstruction.fftBackend wasm ` +
    `(the WebAssembly FFT takes no other); found ${side}×${side}: ${crop}set fftBackend auto (the TypeScript FFT, in float64)`;
}

/** A file of no pattern at all (or none of the first reconstruction.nImages). */
export function noPatternsMessage(file: string): string {
  return `${file}: no diffraction patterns to reconstruct`;
}

/** `n` patterns (those a reconstruction takes) hold no count at all. */
export function noCountsMessage(file: string, key: string, n: number): string {
  return `${file}: key '${printable(key)}': expected diffraction patterns with some counts; found ${counted(n, 'pattern')} all zero: there is nothing to reconstruct`;
}

/** A probeGuess that is zero everywhere: it has no intensity to fit (the engine would divide by zero). */
export function zeroProbeMessage(file: string, values: number): string {
  return `${file}: key 'probeGuess': expected a probe with non-zero intensity; found all ${values} values zero`;
}

/** A dataset NPZ without probeGuess, when no probe model or probe file gives the probe: both ways are named. */
export function missingProbeGuessMessage(file: string, H: number, W: number): string {
  return `${file}: key 'probeGuess': expected the probe (complex [${H}, ${W}]); found it missing; give --probe-model aperture:diameter=…|fzp:diameter=…,outer-zone=…,defocus=… or --init-probe file:PATH`;
}

/**
 * `_metadata.intensity_scale` of a dataset NPZ (the amplitudes are multiplied by it before they are squared):
 * a positive number, or absent (1); anything else is a refusal line.
 */
export function intensityScale(metadata: Record<string, unknown> | undefined, file: string): { scale: number; present: boolean } | { refusal: string } {
  const raw = (metadata ?? {}).intensity_scale;
  const present = typeof raw === 'number' && Number.isFinite(raw) && raw > 0;
  if (raw !== undefined && !present) return { refusal: `${file}: _metadata.intensity_scale must be a positive number, found ${shownJson(raw)}` };
  return { scale: present ? (raw as number) : 1, present };
}

export interface PatternsToCheck {
  /** The file as messages name it, and the key the patterns were read from. */
  file: string;
  key: string;
  /** Patterns [n, H, W] as amplitudes √I (DATA-001), and diffraction's shape as stored (a legacy [H, W, n] too). */
  n: number;
  H: number;
  W: number;
  diffraction: Float32Array;
  storedShape?: readonly number[];
  /** The file holds detector frames (CXI, .ptyd): a crop about the beam makes them square. */
  frames?: boolean;
  /** reconstruction.nImages: only the first that many patterns are reconstructed (null or absent: all). */
  nImages?: number | null;
  /** The amplitudes' factor (`_metadata.intensity_scale`), or its refusal (`intensityScale`); absent: 1. */
  scale?: ReturnType<typeof intensityScale>;
  /** reconstruction.precision. */
  precision: 'float32' | 'float64';
  /** reconstruction.fftBackend (absent: auto); and reconstruction.binSize of detector frames (absent: 1), for the crop advice. */
  fftBackend?: 'auto' | 'ts' | 'wasm';
  binSize?: number;
  /** The file's probeGuess, when it is the probe the reconstruction starts from (no probe model, no probe file given). */
  probeGuess?: NdArray;
}

/**
 * Every refusal of `p`, one line each, in the order `lsqml` meets them (it refuses with the first): patterns that are
 * not square, of no pixel, of a side fftBackend wasm does not take, none to reconstruct, a malformed intensity scale, a probeGuess of zeros, a pattern whose
 * intensities (× the scale, squared) a float32 engine's sums cannot hold or a pixel float32 cannot hold at all, and
 * patterns without a single count. Empty when a reconstruction takes them.
 */
export function patternRefusals(p: PatternsToCheck): string[] {
  const out: string[] = [];
  if (p.H !== p.W) out.push(nonSquarePatternsMessage(p.file, p.key, p.H, p.W, p.frames ?? false));
  else if (p.H === 0) out.push(noPixelPatternsMessage(p.file, p.storedShape ?? [p.n, p.H, p.W]));
  else if (p.fftBackend === 'wasm' && (p.H < 2 || !wasmFftSide(p.H))) out.push(wasmSizeMessage(p.file, p.key, p.H, p.frames ?? false, p.binSize ?? 1));
  const n = p.nImages !== undefined && p.nImages !== null ? Math.min(p.nImages, p.n) : p.n;
  if (n < 1) out.push(noPatternsMessage(p.file));
  const sc = p.scale ?? { scale: 1, present: false };
  if ('refusal' in sc) out.push(sc.refusal);
  if (p.probeGuess) {
    const d = p.probeGuess.data as Float32Array | Float64Array;
    let nonzero = false;
    for (let i = 0; i < d.length && !nonzero; i++) nonzero = d[i] !== 0;
    if (!nonzero && d.length > 0) out.push(zeroProbeMessage(p.file, d.length / 2));
  }
  if (n < 1 || p.H * p.W === 0) return out;
  const s = 'refusal' in sc ? 1 : sc.scale;
  const t = patternTotals(p.diffraction, n, p.H * p.W, s);
  const key = `key '${printable(p.key)}'`;
  const scaled = 'present' in sc && sc.present ? ` (× _metadata.intensity_scale ${s} squared)` : '';
  if (!Number.isFinite(t.maxTotal) || (p.precision === 'float32' && t.maxTotal > MAX_FLOAT32_PATTERN_TOTAL)) {
    const f32 = p.precision === 'float32';
    out.push(`${p.file}: ${key}: expected patterns of at most ${MAX_FLOAT32_PATTERN_TOTAL} photons each${f32 ? ' in float32 (its sums would overflow)' : ''}; ` +
      `found pattern ${t.brightest} totalling ${t.maxTotal.toPrecision(3)}${scaled}${f32 ? ': use precision float64' : ''}`);
  } else if (t.maxPixel > MAX_PIXEL_INTENSITY) {
    out.push(`${p.file}: ${key}: expected intensities of at most ${MAX_PIXEL_INTENSITY.toPrecision(4)} photons per pixel (float32's largest value, in which a ` +
      `large scan's intensities are held); found ${t.maxPixel.toPrecision(3)} in pattern ${t.pixelAt[0]} at pixel ${t.pixelAt[1]}${scaled}`);
  }
  if (!(t.total > 0)) out.push(noCountsMessage(p.file, p.key, n));
  return out;
}

/**
 * Sums of the intensities (amplitude × `scale`, squared, in float64) of the first `n` patterns of `hw` pixels: in all,
 * of the brightest pattern (and which), and the brightest pixel (pattern, pixel). Amplitudes are ≥ 0 (the readers and
 * the dataset contract refuse others); the scale squared multiplies each pattern's sum, one pass over the patterns.
 */
export function patternTotals(amplitudes: ArrayLike<number>, n: number, hw: number, scale: number): {
  total: number; maxTotal: number; brightest: number; maxPixel: number; pixelAt: [number, number];
} {
  let total = 0, maxTotal = 0, brightest = 0, maxAmp = 0;
  const s2 = scale * scale;
  for (let i = 0; i < n; i++) {
    let t = 0, m = 0;
    for (let k = i * hw, e = k + hw; k < e; k++) {
      const a = amplitudes[k]!;
      t += a * a;
      if (a > m) m = a;
    }
    t *= s2;
    if (m > maxAmp) maxAmp = m;
    if (!(t <= maxTotal)) { maxTotal = t; brightest = i; }
    total += t;
  }
  // where the brightest pixel is: looked for only when it is refused (the hot loop above keeps no index)
  const maxPixel = (maxAmp * scale) ** 2;
  let at = 0;
  if (maxPixel > MAX_PIXEL_INTENSITY) while (at < n * hw && amplitudes[at]! !== maxAmp) at++;
  return { total, maxTotal, brightest, maxPixel, pixelAt: [Math.floor(at / Math.max(1, hw)), at % Math.max(1, hw)] };
}
