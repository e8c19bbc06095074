/**
 * Fourier sub-pixel shift of complex images, pty-chi's `image_proc.shift_images(x, s, method=FOURIER)`:
 *
 *   x ← IFFT2( FFT2(x) · exp(−2πi (fy·u + fx·v)) ),   u = fftfreq(h) (rows), v = fftfreq(w) (columns),
 *
 * with numpy's fftfreq (the Nyquist bin of an even size is −0.5). A positive shift moves content
 * towards larger indices; `adjoint` shifts by −f (the adjoint of a Fourier shift is the opposite shift).
 */
import { fftfreq } from './shift.js';
import type { Fft2 } from './fft.js';

/**
 * Multiplies `count` h×w spectra in place by their shift ramps exp(−2πi·s·(fy·u + fx·v)), s = −1 when
 * `adjoint`. `shifts` holds [fy, fx] per image (length ≥ 2·count), or one pair used for all images.
 */
export function applyShiftRamp(spec: Float64Array, h: number, w: number, count: number,
  shifts: ArrayLike<number>, adjoint = false): void {
  if (shifts.length !== 2 && shifts.length < 2 * count) {
    throw new RangeError(`applyShiftRamp: need one [fy, fx] pair or ${count} pairs, got ${shifts.length} numbers`);
  }
  const u = fftfreq(h), v = fftfreq(w);
  const ey = new Float64Array(2 * h), ex = new Float64Array(2 * w);
  const s = adjoint ? 1 : -1; // exponent sign: forward e^{−2πi f·k}
  const plane = 2 * h * w;
  for (let b = 0; b < count; b++) {
    const j = shifts.length === 2 ? 0 : 2 * b;
    const fy = shifts[j], fx = shifts[j + 1];
    if (b === 0 || shifts.length !== 2) {
      for (let r = 0; r < h; r++) { const t = s * 2 * Math.PI * fy * u[r]; ey[2 * r] = Math.cos(t); ey[2 * r + 1] = Math.sin(t); }
      for (let c = 0; c < w; c++) { const t = s * 2 * Math.PI * fx * v[c]; ex[2 * c] = Math.cos(t); ex[2 * c + 1] = Math.sin(t); }
    }
    let k = b * plane;
    for (let r = 0; r < h; r++) {
      const yr = ey[2 * r], yi = ey[2 * r + 1];
      for (let c = 0; c < w; c++, k += 2) {
        const xr = ex[2 * c], xi = ex[2 * c + 1];
        const pr = yr * xr - yi * xi, pi = yr * xi + yi * xr;
        const a = spec[k], bb = spec[k + 1];
        spec[k] = a * pr - bb * pi;
        spec[k + 1] = a * pi + bb * pr;
      }
    }
  }
}

/**
 * Shifts `count` h×w complex images (interleaved, back to back in `buf`) in place by sub-pixel
 * amounts: `shifts` = [fy, fx] per image, or one pair for all. `fft` must be an h×w plan.
 */
export function fourierShift(fft: Fft2, buf: Float64Array, count: number, shifts: ArrayLike<number>, adjoint = false): void {
  fft.forward(buf, count);
  applyShiftRamp(buf, fft.h, fft.w, count, shifts, adjoint);
  fft.inverse(buf, count);
}
