/**
 * Every metric of one aligned reconstruction against its ground truth (docs/metrics.md).
 *
 * Amplitude: A_t = |gt|, A_p = |rec| (rec already scaled by the alignment).
 * Phase: φ_t = arg gt and φ_p = φ_t + wrap(arg rec − φ_t), i.e. the reconstruction's phase on the
 * ground truth's branch, so a wrap of ±2π never counts as an error (rec is already plane-aligned).
 *
 * - MAE, MSE: pixel means.
 * - PSNR = 10·log10(peak²/MSE) with peak = max A_t for amplitude and 2π for phase (the full phase range;
 *   the reference's OpenCV PSNR with peak 255 on [0, 1] data is not reproduced).
 * - SSIM: scikit-image defaults (7×7 uniform window); data range max A_t − min A_t for amplitude (as the
 *   reference) and 2π for phase (the reference maps phases by (φ + π)/2π and uses range 1: the same number).
 * - MS-SSIM: the reference's 5-level definition, σ = 1 pre-smoothing for amplitude and 0 for phase.
 * - FRC: curve, frc50 and frc1over7 (ring index; see frc.ts).
 */
import { mae, mse, psnrFromMse } from './basic.js';
import { frc, frcThreshold } from './frc.js';
import { amplitudeOf, minMax, phaseOf, type ComplexImage, type RealImage } from './image.js';
import { msSsim, ssim } from './ssim.js';

export interface Pair { amplitude: number; phase: number }

export interface MetricSet {
  mae: Pair;
  mse: Pair;
  psnr: Pair;
  ssim: Pair;
  ms_ssim: Pair;
  frc50: Pair;
  frc1over7: Pair;
  /** FRC curves (ring 0 first) and the side n of the square they were computed on. */
  frc: { amplitude: Float64Array; phase: Float64Array; n: number };
}

export interface MetricOptions {
  /** Gaussian σ before MS-SSIM of the amplitude (default 1.0, the study's `ms_ssim_sigma`). */
  msSsimSigmaAmplitude?: number;
  /** Gaussian σ before MS-SSIM of the phase (default 0). */
  msSsimSigmaPhase?: number;
}

export const METRIC_KEYS = ['mae', 'mse', 'psnr', 'ssim', 'ms_ssim', 'frc50', 'frc1over7'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
/** Whether a larger value is better, per metric. */
export const HIGHER_IS_BETTER: Record<MetricKey, boolean> = {
  mae: false, mse: false, psnr: true, ssim: true, ms_ssim: true, frc50: true, frc1over7: true,
};

/** Amplitude and branch-matched phase images of an aligned pair. */
export function comparisonImages(gt: ComplexImage, rec: ComplexImage): { ampT: RealImage; ampP: RealImage; phT: RealImage; phP: RealImage } {
  const ampT = amplitudeOf(gt);
  const ampP = amplitudeOf(rec);
  const phT = phaseOf(gt);
  const raw = phaseOf(rec);
  const phP: RealImage = { h: raw.h, w: raw.w, data: new Float64Array(raw.data.length) };
  for (let i = 0; i < raw.data.length; i++) {
    const d = raw.data[i]! - phT.data[i]!;
    phP.data[i] = phT.data[i]! + (d - 2 * Math.PI * Math.round(d / (2 * Math.PI)));
  }
  return { ampT, ampP, phT, phP };
}

/** All metrics of an aligned ground truth / reconstruction pair. */
export function computeMetrics(gt: ComplexImage, rec: ComplexImage, opts: MetricOptions = {}): MetricSet {
  const { ampT, ampP, phT, phP } = comparisonImages(gt, rec);
  const [amin, amax] = minMax(ampT.data);
  const TWO_PI = 2 * Math.PI;
  const mseA = mse(ampT, ampP);
  const mseP = mse(phT, phP);
  const frcA = frc(ampT, ampP);
  const frcP = frc(phT, phP);
  return {
    mae: { amplitude: mae(ampT, ampP), phase: mae(phT, phP) },
    mse: { amplitude: mseA, phase: mseP },
    psnr: { amplitude: psnrFromMse(mseA, amax), phase: psnrFromMse(mseP, TWO_PI) },
    ssim: { amplitude: ssim(ampT, ampP, amax - amin), phase: ssim(phT, phP, TWO_PI) },
    ms_ssim: {
      amplitude: msSsim(ampT, ampP, opts.msSsimSigmaAmplitude ?? 1.0),
      phase: msSsim(phT, phP, opts.msSsimSigmaPhase ?? 0),
    },
    frc50: { amplitude: frcThreshold(frcA.curve, 0.5), phase: frcThreshold(frcP.curve, 0.5) },
    frc1over7: { amplitude: frcThreshold(frcA.curve, 1 / 7), phase: frcThreshold(frcP.curve, 1 / 7) },
    frc: { amplitude: frcA.curve, phase: frcP.curve, n: frcA.n },
  };
}
