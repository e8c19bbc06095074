/**
 * Synthetic X-ray probe: a circular (optionally zone-plate-like, centrally stopped) aperture
 * illuminated by a slightly converging wave and Fresnel-propagated a short distance downstream.
 *
 * The result looks like a real defocused focusing-optic probe: a bright central region with
 * Fresnel rings, a soft outer halo, and phase curvature across the beam. Every length is a fraction
 * of the patch size N, so the same parameters give the same-looking probe at N = 64 and N = 128.
 * The probe is centred on pixel [N/2, N/2] (the scan centre of a patch covering
 * [coord − N/2, coord + N/2)) and normalised to a peak amplitude of 1. It involves no randomness.
 */
import { createFft2, fftfreq } from '../math/fft.js';
import type { ComplexImage } from '../math/image.js';

export interface ProbeParams {
  /** Aperture diameter D as a fraction of N. */
  diameterFraction: number;
  /** Fresnel number of the propagation, F = D² / (4·λz): large F = close to the aperture (sharp, many rings). */
  fresnelNumber: number;
  /** Central stop diameter as a fraction of D (0 = open aperture; ~0.3 mimics a zone plate's stop). */
  centralStopFraction: number;
  /** Quadratic phase at the aperture edge, radians (positive = converging wave). */
  edgePhase: number;
  /** Width of the aperture's soft edge, as a fraction of N (a few tenths of a pixel to a pixel). */
  edgeWidthFraction: number;
}

/** The default probe: D = 0.6·N, F = 8, 30 % central stop, 1.5 rad converging curvature, edge N/64. */
export const DEFAULT_PROBE: Readonly<ProbeParams> = {
  diameterFraction: 0.6,
  fresnelNumber: 8,
  centralStopFraction: 0.3,
  edgePhase: 1.5,
  edgeWidthFraction: 1 / 64,
};

export function validateProbeParams(p: ProbeParams): void {
  const bad = (k: string, v: number, want: string): never => {
    throw new RangeError(`probe parameter ${k}=${v} must be ${want}`);
  };
  if (!(p.diameterFraction > 0 && p.diameterFraction <= 1)) bad('diameterFraction', p.diameterFraction, 'in (0, 1]');
  if (!(p.fresnelNumber > 0) || !Number.isFinite(p.fresnelNumber)) bad('fresnelNumber', p.fresnelNumber, 'positive');
  if (!(p.centralStopFraction >= 0 && p.centralStopFraction < 1)) bad('centralStopFraction', p.centralStopFraction, 'in [0, 1)');
  if (!Number.isFinite(p.edgePhase)) bad('edgePhase', p.edgePhase, 'finite');
  if (!(p.edgeWidthFraction >= 0 && p.edgeWidthFraction < 0.5)) bad('edgeWidthFraction', p.edgeWidthFraction, 'in [0, 0.5)');
}

/** Soft-edged 0..1 coverage of `r < R`: a linear ramp of width `w` pixels centred on R (w = 0: hard edge). */
function soft(r: number, R: number, w: number): number {
  if (w <= 0) return r < R ? 1 : 0;
  const t = (R - r) / w + 0.5;
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

/** Builds the N×N probe (interleaved complex128), peak amplitude 1, centred on [N/2, N/2]. */
export function makeProbe(n: number, params: ProbeParams = DEFAULT_PROBE): ComplexImage {
  if (!Number.isInteger(n) || n < 4) throw new RangeError(`probe size must be an integer ≥ 4, got ${n}`);
  validateProbeParams(params);
  const c = Math.floor(n / 2);
  const D = params.diameterFraction * n;
  const R = D / 2;
  const Rs = params.centralStopFraction * R;
  const edge = params.edgeWidthFraction * n;
  const lambdaZ = (D * D) / (4 * params.fresnelNumber);
  const buf = new Float64Array(2 * n * n);
  // Aperture field, placed so that its centre sits at index 0 (the FFT origin): pixel (i, j) holds
  // the field at displacement (i − c, j − c) after an ifftshift, done here by index arithmetic.
  for (let i = 0; i < n; i++) {
    const dy = i - c;
    for (let j = 0; j < n; j++) {
      const dx = j - c;
      const r = Math.hypot(dy, dx);
      const a = soft(r, R, edge) * (Rs > 0 ? 1 - soft(r, Rs, edge) : 1);
      if (a === 0) continue;
      const ph = -params.edgePhase * (r / R) * (r / R);
      const ii = (i - c + n) % n, jj = (j - c + n) % n;
      const k = 2 * (ii * n + jj);
      buf[k] = a * Math.cos(ph);
      buf[k + 1] = a * Math.sin(ph);
    }
  }
  // Fresnel propagation by λz: multiply the spectrum by exp(−iπ·λz·(u² + v²)), u, v in cycles/pixel.
  const fft = createFft2(n, n);
  fft.forward(buf, 1);
  const f = fftfreq(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const ph = -Math.PI * lambdaZ * (f[i] * f[i] + f[j] * f[j]);
      const cr = Math.cos(ph), ci = Math.sin(ph);
      const k = 2 * (i * n + j);
      const re = buf[k], im = buf[k + 1];
      buf[k] = re * cr - im * ci;
      buf[k + 1] = re * ci + im * cr;
    }
  }
  fft.inverse(buf, 1);
  // Move the origin back to the centre pixel and normalise the peak amplitude to 1.
  const out = new Float64Array(2 * n * n);
  let peak = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const s = 2 * (((i - c + n) % n) * n + ((j - c + n) % n));
      const d = 2 * (i * n + j);
      out[d] = buf[s];
      out[d + 1] = buf[s + 1];
      const m = out[d] * out[d] + out[d + 1] * out[d + 1];
      if (m > peak) peak = m;
    }
  }
  const scale = peak > 0 ? 1 / Math.sqrt(peak) : 1;
  for (let k = 0; k < out.length; k++) out[k] *= scale;
  return { h: n, w: n, data: out };
}

/** Radius (pixels, from [N/2, N/2]) that encloses `fraction` of the probe's power. */
export function enclosedPowerRadius(probe: ComplexImage, fraction: number): number {
  const n = probe.h, c = Math.floor(n / 2);
  const rs: number[] = [];
  const ps: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < probe.w; j++) {
      const k = 2 * (i * probe.w + j);
      const p = probe.data[k] ** 2 + probe.data[k + 1] ** 2;
      rs.push(Math.hypot(i - c, j - c));
      ps.push(p);
      total += p;
    }
  }
  const order = rs.map((_, i) => i).sort((a, b) => rs[a] - rs[b]);
  let acc = 0;
  for (const i of order) {
    acc += ps[i];
    if (acc >= fraction * total) return rs[i];
  }
  return rs[order[order.length - 1]];
}
