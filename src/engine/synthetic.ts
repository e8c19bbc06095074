/**
 * Small synthetic LSQML problems for the engine's tests and benchmarks, and for a script that tries the engine
 * on in-memory arrays with a known answer (`import { syntheticProblem } from 'ptychostudy'`): a smooth complex object, a
 * defocused circular-aperture probe, a jittered raster (or uniform random) scan, and intensities
 * from the forward model (optionally with Poisson noise). The study's physics layer has the full
 * simulator; this keeps the engine's own checks self-contained.
 */
import { createFft2, fftfreq } from '../math/fft.js';
import { Rng } from '../math/rng.js';
import { UsageError } from '../errors.js';
import { forwardIntensities } from './forward.js';
import type { LsqmlInput } from './lsqml.js';
import { positionOrigin } from './patches.js';

export interface SyntheticSpec {
  /** Probe side N. */
  size: number;
  /** Object shape. */
  height: number; width: number;
  /** Number of positions: a jittered raster of ⌈√n⌉² points cut to n, or uniform random with `random`. */
  positions: number;
  random?: boolean;
  /** Expected photons per pattern (probe scaled so N²·Σ|P|² equals it). */
  photons: number;
  /** Draw Poisson counts (default false: noiseless intensities). */
  poisson?: boolean;
  /** Aperture diameter in pixels (default N/3) and Fresnel defocus λz in px² (default N/2). */
  aperture?: number; defocus?: number;
  /** Phase range of the object in radians (default 1) and amplitude minimum (default 0.7). */
  phaseRange?: number; amplitudeMin?: number;
  seed?: number | string;
  /** Intensities as Float32Array (memory) instead of Float64Array. */
  float32?: boolean;
}

export interface SyntheticProblem {
  input: LsqmlInput;
  /** Ground-truth object and probe. */
  trueObject: Float64Array;
  trueProbe: Float64Array;
}

/** Defocused circular aperture, N×N complex, unit peak before scaling. */
export function apertureProbe(n: number, diameter: number, defocus: number): Float64Array {
  const p = new Float64Array(2 * n * n);
  const c = (n - 1) / 2, r2 = (diameter / 2) ** 2;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if ((y - c) ** 2 + (x - c) ** 2 <= r2) p[2 * (y * n + x)] = 1;
  const fft = createFft2(n, n);
  fft.forward(p, 1);
  const f = fftfreq(n);
  for (let u = 0; u < n; u++) {
    for (let v = 0; v < n; v++) {
      const ph = -Math.PI * defocus * (f[u]! ** 2 + f[v]! ** 2);
      const k = 2 * (u * n + v), a = p[k]!, b = p[k + 1]!, cr = Math.cos(ph), ci = Math.sin(ph);
      p[k] = a * cr - b * ci; p[k + 1] = a * ci + b * cr;
    }
  }
  fft.inverse(p, 1);
  return p;
}

/** Smooth complex object: sums of random low-frequency cosines for amplitude and phase. */
export function smoothObject(h: number, w: number, rng: Rng, phaseRange = 1, amplitudeMin = 0.7): Float64Array {
  const terms = 6;
  const field = (): Float64Array => {
    const out = new Float64Array(h * w);
    for (let t = 0; t < terms; t++) {
      const ky = (rng.uniform() * 2 - 1) * 0.08, kx = (rng.uniform() * 2 - 1) * 0.08, ph = rng.uniform() * 2 * Math.PI;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] += Math.cos(2 * Math.PI * (ky * y + kx * x) + ph);
    }
    let lo = Infinity, hi = -Infinity;
    for (const v of out) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (let j = 0; j < out.length; j++) out[j] = (out[j]! - lo) / (hi - lo);
    return out;
  };
  const amp = field(), phase = field();
  const o = new Float64Array(2 * h * w);
  for (let j = 0; j < h * w; j++) {
    const a = amplitudeMin + (1 - amplitudeMin) * amp[j]!, p = phaseRange * (2 * phase[j]! - 1);
    o[2 * j] = a * Math.cos(p); o[2 * j + 1] = a * Math.sin(p);
  }
  return o;
}

/** The most values a synthetic problem's intensities (or its object's pixels) may hold: 2^28, 2 GiB in float64 — a test problem, not a study. */
export const MAX_SYNTHETIC_VALUES = 2 ** 28;

/** A caller's spec: whole numbers in range, the object larger than the probe, the intensities bounded before allocation. */
function checkSpec(s: SyntheticSpec): void {
  if (s === null || typeof s !== 'object') throw new UsageError(`spec ${String(s)}: expected { size, height, width, positions, photons }`);
  for (const k of ['size', 'height', 'width', 'positions'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new UsageError(`\`${k}\` ${String(s[k])}: expected a positive integer`);
  }
  if (s.height < s.size + 3 || s.width < s.size + 3) throw new UsageError(`\`height\` × \`width\` ${s.height}×${s.width}: expected at least size + 3 (${s.size + 3}) on each side`);
  if (!(Number.isFinite(s.photons) && s.photons > 0)) throw new UsageError(`\`photons\` ${String(s.photons)}: expected a positive number`);
  if (s.height * s.width > MAX_SYNTHETIC_VALUES) throw new UsageError(`\`height\` × \`width\` ${s.height}×${s.width}: expected at most ${MAX_SYNTHETIC_VALUES} pixels`);
  if (s.positions * s.size * s.size > MAX_SYNTHETIC_VALUES) {
    throw new UsageError(`\`positions\` × \`size\`² ${s.positions}×${s.size}²: expected at most ${MAX_SYNTHETIC_VALUES} intensity values`);
  }
}

/** Builds a problem; the initial object is ones and the initial probe the true one, 0.8× wider defocus. */
export function syntheticProblem(s: SyntheticSpec): SyntheticProblem {
  checkSpec(s);
  const N = s.size, H = s.height, W = s.width, n = s.positions;
  const rng = new Rng(s.seed ?? 1);
  const trueObject = smoothObject(H, W, rng.fork('object'), s.phaseRange ?? 1, s.amplitudeMin ?? 0.7);
  const aperture = s.aperture ?? N / 3, defocus = s.defocus ?? N / 2;
  const scaleProbe = (p: Float64Array): Float64Array => {
    let pw = 0;
    for (const v of p) pw += v * v;
    const f = Math.sqrt(s.photons / (N * N * pw));
    return p.map((v) => v * f);
  };
  const trueProbe = scaleProbe(apertureProbe(N, aperture, defocus));
  const origin = positionOrigin(H, W);
  const pos = new Float64Array(2 * n);
  const prng = rng.fork('positions');
  const spanY = H - N - 2, spanX = W - N - 2; // continuous top-left in [1, 1 + span]
  if (s.random) {
    for (let i = 0; i < n; i++) { pos[2 * i] = 1 + prng.uniform() * spanY; pos[2 * i + 1] = 1 + prng.uniform() * spanX; }
  } else {
    const g = Math.ceil(Math.sqrt(n));
    const sy = spanY / g, sx = spanX / g;
    for (let i = 0; i < n; i++) {
      const r = Math.floor(i / g), c = i % g;
      pos[2 * i] = 1 + (r + 0.1 + 0.8 * prng.uniform()) * sy;
      pos[2 * i + 1] = 1 + (c + 0.1 + 0.8 * prng.uniform()) * sx;
    }
  }
  for (let i = 0; i < n; i++) { pos[2 * i] += (N - 1) / 2 - origin[0]; pos[2 * i + 1] += (N - 1) / 2 - origin[1]; }
  const intensities = forwardIntensities({
    object: trueObject, height: H, width: W, probe: trueProbe, modes: 1, size: N, positions: pos, shiftAllModes: true,
    out: s.float32 ? new Float32Array(n * N * N) : new Float64Array(n * N * N),
  });
  if (s.poisson) {
    const nrng = rng.fork('noise');
    for (let j = 0; j < intensities.length; j++) intensities[j] = nrng.poisson(intensities[j]!);
  }
  const initObject = new Float64Array(2 * H * W);
  for (let j = 0; j < H * W; j++) initObject[2 * j] = 1;
  const initProbe = scaleProbe(apertureProbe(N, aperture * 0.9, defocus * 0.8));
  return {
    input: {
      intensities, positions: pos,
      object: { h: H, w: W, data: initObject },
      probe: { modes: 1, size: N, data: initProbe },
    },
    trueObject, trueProbe,
  };
}
