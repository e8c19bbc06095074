/**
 * Every metric of one aligned reconstruction against its ground truth (docs/metrics.md).
 *
 * Amplitude: A_t = |gt|, A_p = |rec| (rec already scaled by the alignment).
 * Phase: φ_t = arg gt and φ_p = φ_t + wrap(arg rec − φ_t), i.e. the reconstruction's phase on the
 * ground truth's branch, so a wrap of ±2π never counts as an error (rec is already plane-aligned).
 *
 * - MAE, MSE: pixel means (amplitude; phase in radians).
 * - PSNR = 10·log10(peak²/MSE) with peak = max A_t for amplitude and 2π for phase (the full phase range).
 * - PSNR_255: the reference study's PSNR, OpenCV's `cv2.PSNR` = 20·log10(255 / (√MSE + ε)), ε = 2⁻⁵²,
 *   on the same MSE (phase in radians); for identical images it is 361.2 dB, not infinity.
 * - SSIM and MS-SSIM as PtychoPINN's `eval_reconstruction` computes them: amplitude SSIM with data range
 *   max A_t − min A_t, amplitude MS-SSIM with σ = 1 Gaussian pre-smoothing; for phase both phases are
 *   first mapped by u = (φ + π)/(2π), then SSIM with data range 1 and MS-SSIM without pre-smoothing (its
 *   data range is max(range u_t, range u_p)). The mapping is not a mere change of unit: SSIM's
 *   luminance term depends on the absolute means, so the +π shift changes the value.
 * - FRC: curve, frc50 and frc1over7 (ring index; see frc.ts).
 */
import { mae, mse, psnrFromMse, psnrOpenCv } from './basic.js';
import { frc, frcThreshold } from './frc.js';
import { amplitudeOf, checkComplexImage, minMax, phaseOf, type ComplexImage, type RealImage } from './image.js';
import { msSsim, ssim } from './ssim.js';

export interface Pair { amplitude: number; phase: number }

export interface MetricSet {
  mae: Pair;
  mse: Pair;
  psnr: Pair;
  psnr_255: Pair;
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
  /** Gaussian σ before MS-SSIM of the mapped phase (default 0, as the reference). */
  msSsimSigmaPhase?: number;
}

export const METRIC_KEYS = ['mae', 'mse', 'psnr', 'psnr_255', 'ssim', 'ms_ssim', 'frc50', 'frc1over7'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
/** Whether a larger value is better, per metric. */
export const HIGHER_IS_BETTER: Record<MetricKey, boolean> = {
  mae: false, mse: false, psnr: true, psnr_255: true, ssim: true, ms_ssim: true, frc50: true, frc1over7: true,
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

/** The reference's phase mapping before SSIM and MS-SSIM: u = (φ + π)/(2π) per pixel (a new image). */
export function unitPhase(phase: RealImage): RealImage {
  const out = new Float64Array(phase.data.length);
  const TWO_PI = 2 * Math.PI;
  for (let i = 0; i < out.length; i++) out[i] = (phase.data[i]! + Math.PI) / TWO_PI;
  return { h: phase.h, w: phase.w, data: out };
}

/** Amplitude SSIM: data range max − min of the ground-truth amplitude. */
export function ssimAmplitude(ampT: RealImage, ampP: RealImage): number {
  const [lo, hi] = minMax(ampT.data);
  return ssim(ampT, ampP, hi - lo);
}

/** Amplitude MS-SSIM: Gaussian pre-smoothing σ (default 1, the study's `ms_ssim_sigma`). */
export function msSsimAmplitude(ampT: RealImage, ampP: RealImage, sigma = 1.0): number {
  return msSsim(ampT, ampP, sigma);
}

/** Phase SSIM: both phases (radians) mapped by (φ + π)/(2π), data range 1. */
export function ssimPhase(phT: RealImage, phP: RealImage): number {
  return ssim(unitPhase(phT), unitPhase(phP), 1);
}

/** Phase MS-SSIM: both phases (radians) mapped by (φ + π)/(2π); σ (default 0) smooths the mapped phases. */
export function msSsimPhase(phT: RealImage, phP: RealImage, sigma = 0): number {
  return msSsim(unitPhase(phT), unitPhase(phP), sigma);
}

/** All metrics of an aligned ground truth / reconstruction pair. */
export function computeMetrics(gt: ComplexImage, rec: ComplexImage, opts: MetricOptions = {}): MetricSet {
  checkComplexImage(gt, 'computeMetrics', 'the first image (gt)');
  checkComplexImage(rec, 'computeMetrics', 'the second image (rec)');
  const { ampT, ampP, phT, phP } = comparisonImages(gt, rec);
  const amax = minMax(ampT.data)[1];
  const TWO_PI = 2 * Math.PI;
  const mseA = mse(ampT, ampP);
  const mseP = mse(phT, phP);
  const frcA = frc(ampT, ampP);
  const frcP = frc(phT, phP);
  return {
    mae: { amplitude: mae(ampT, ampP), phase: mae(phT, phP) },
    mse: { amplitude: mseA, phase: mseP },
    psnr: { amplitude: psnrFromMse(mseA, amax), phase: psnrFromMse(mseP, TWO_PI) },
    psnr_255: { amplitude: psnrOpenCv(mseA), phase: psnrOpenCv(mseP) },
    ssim: { amplitude: ssimAmplitude(ampT, ampP), phase: ssimPhase(phT, phP) },
    ms_ssim: {
      amplitude: msSsimAmplitude(ampT, ampP, opts.msSsimSigmaAmplitude ?? 1.0),
      phase: msSsimPhase(phT, phP, opts.msSsimSigmaPhase ?? 0),
    },
    frc50: { amplitude: frcThreshold(frcA.curve, 0.5), phase: frcThreshold(frcP.curve, 0.5) },
    frc1over7: { amplitude: frcThreshold(frcA.curve, 1 / 7), phase: frcThreshold(frcP.curve, 1 / 7) },
    frc: { amplitude: frcA.curve, phase: frcP.curve, n: frcA.n },
  };
}
