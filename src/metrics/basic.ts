/** Pixel-wise error metrics of two same-shape real images. */
import { checkSameShape as check, type RealImage } from './image.js';

/** mean |t − p| */
export function mae(t: RealImage, p: RealImage): number {
  check(t, p, 'mae');
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += Math.abs(t.data[i]! - p.data[i]!);
  return s / t.data.length;
}

/** mean (t − p)² */
export function mse(t: RealImage, p: RealImage): number {
  check(t, p, 'mse');
  let s = 0;
  for (let i = 0; i < t.data.length; i++) { const d = t.data[i]! - p.data[i]!; s += d * d; }
  return s / t.data.length;
}

/** 10·log10(peak² / mse); +Infinity for identical images. */
export function psnrFromMse(mseValue: number, peak: number): number {
  if (mseValue === 0) return Infinity;
  return 10 * Math.log10((peak * peak) / mseValue);
}

/**
 * The reference study's PSNR: OpenCV's `cv2.PSNR(t, p)` with its default peak R = 255, which is
 * 20·log10(R / (√MSE + DBL_EPSILON)) — finite (361.2 dB) for identical images. The reference applied it
 * to amplitudes near 1 and to phases in radians, hence its 55–80 dB values.
 */
export function psnrOpenCv(mseValue: number, peak = 255): number {
  return 20 * Math.log10(peak / (Math.sqrt(mseValue) + Number.EPSILON));
}
