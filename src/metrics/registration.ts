/**
 * Sub-pixel image registration and Fourier shifts.
 *
 * `phaseCrossCorrelation(reference, moving, upsampleFactor)` follows scikit-image's
 * `registration.phase_cross_correlation` (default `normalization='phase'`): the cross-power spectrum
 * R·M* is normalised to unit modulus (floor 100·ε), its inverse FFT's peak gives the integer shift, and
 * the peak is refined on a ⌈1.5·u⌉-point grid of spacing 1/u around it by a matrix-multiply DFT (Guizar-
 * Sicairos et al. 2008). `normalization: 'none'` skips the unit-modulus step (plain cross-correlation,
 * skimage's `normalization=None`). The result is the (dy, dx) that, applied to `moving` with `fourierShift`, aligns
 * it with `reference`: if moving(y, x) = reference(y − s_y, x − s_x), the answer is (−s_y, −s_x).
 *
 * `fourierShift(img, dy, dx)` multiplies the spectrum by exp(−2πi(dy·f_y + dx·f_x)) with numpy's
 * `fftfreq` frequencies, so out(y, x) = img(y − dy, x − dx) (circularly).
 */
import { createFft2, fftfreq } from '../math/fft.js';
import { upsampledDftRowsWasm } from '../math/fft-wasm.js';

/** Whether `upsampledDft` runs its row stage in the wasm kernel when there is one (tests compare both). */
let useWasmRows = true;
export function setUpsampledDftWasm(on: boolean): void { useWasmRows = on; }
import { reflectIndex } from './filters.js';
import type { ComplexImage, RealImage } from './image.js';

export interface Registration {
  /** Row shift to apply to `moving` (pixels). */
  dy: number;
  /** Column shift to apply to `moving` (pixels). */
  dx: number;
}

function spectrum(img: RealImage | ComplexImage, complex: boolean): Float64Array {
  const n = img.h * img.w;
  let buf: Float64Array;
  if (complex) buf = Float64Array.from(img.data);
  else {
    buf = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) buf[2 * i] = img.data[i]!;
  }
  createFft2(img.h, img.w).forward(buf, 1);
  return buf;
}

/**
 * Σ over the spectrum of `data` (h×w, interleaved) of exp(−2πi·(u − off)·f(k)) along each axis, on an
 * `size`×`size` grid: scikit-image's `_upsampled_dft` (f = fftfreq(n, u)).
 * Returns interleaved complex values, row-major [size_y, size_x].
 */
export function upsampledDft(data: Float64Array, h: number, w: number, size: number, upsample: number,
  offY: number, offX: number): Float64Array {
  const fy = fftfreq(h, upsample);
  const fx = fftfreq(w, upsample);
  // kernel_x[u][kx] = exp(−2πi (u − offX) fx[kx]); first contract over columns: T[ky][ux]
  let T: Float64Array = new Float64Array(2 * h * size);
  const kxr = new Float64Array(size * w), kxi = new Float64Array(size * w);
  for (let u = 0; u < size; u++) {
    for (let k = 0; k < w; k++) {
      const a = -2 * Math.PI * (u - offX) * fx[k]!;
      kxr[u * w + k] = Math.cos(a);
      kxi[u * w + k] = Math.sin(a);
    }
  }
  // The wasm kernel, when there is one, does this stage two grid points per SIMD vector with the same
  // operations in the same order (the same T to the last bit); it takes the kernel transposed.
  const trR = new Float64Array(size * w), trI = new Float64Array(size * w);
  for (let u = 0; u < size; u++) for (let k = 0; k < w; k++) { trR[k * size + u] = kxr[u * w + k]!; trI[k * size + u] = kxi[u * w + k]!; }
  const fromWasm = useWasmRows ? upsampledDftRowsWasm(data, h, w, trR, trI, size) : null;
  if (fromWasm) T = fromWasm;
  else for (let ky = 0; ky < h; ky++) {
    for (let u = 0; u < size; u++) {
      let sr = 0, si = 0;
      for (let k = 0; k < w; k++) {
        const dr = data[2 * (ky * w + k)]!, di = data[2 * (ky * w + k) + 1]!;
        const cr = kxr[u * w + k]!, ci = kxi[u * w + k]!;
        sr += cr * dr - ci * di;
        si += cr * di + ci * dr;
      }
      T[2 * (ky * size + u)] = sr;
      T[2 * (ky * size + u) + 1] = si;
    }
  }
  const out = new Float64Array(2 * size * size);
  for (let v = 0; v < size; v++) {
    const kyr = new Float64Array(h), kyi = new Float64Array(h);
    for (let k = 0; k < h; k++) {
      const a = -2 * Math.PI * (v - offY) * fy[k]!;
      kyr[k] = Math.cos(a);
      kyi[k] = Math.sin(a);
    }
    for (let u = 0; u < size; u++) {
      let sr = 0, si = 0;
      for (let k = 0; k < h; k++) {
        const dr = T[2 * (k * size + u)]!, di = T[2 * (k * size + u) + 1]!;
        sr += kyr[k]! * dr - kyi[k]! * di;
        si += kyr[k]! * di + kyi[k]! * dr;
      }
      out[2 * (v * size + u)] = sr;
      out[2 * (v * size + u) + 1] = si;
    }
  }
  return out;
}

function argmaxAbs(buf: Float64Array, n: number): number {
  let best = -1;
  let bi = 0;
  for (let i = 0; i < n; i++) {
    const m = buf[2 * i]! * buf[2 * i]! + buf[2 * i + 1]! * buf[2 * i + 1]!;
    if (m > best) { best = m; bi = i; }
  }
  return bi;
}

/**
 * The shift that registers `moving` onto `reference` (scikit-image's algorithm, `normalization='phase'`).
 * Real or complex images of the same shape. NaN shifts when an image holds non-finite values.
 */
export function phaseCrossCorrelation(reference: RealImage | ComplexImage, moving: RealImage | ComplexImage,
  upsampleFactor = 50, opts: { complex?: boolean; normalization?: 'phase' | 'none' } = {}): Registration {
  if (reference.h !== moving.h || reference.w !== moving.w) {
    throw new RangeError(`phaseCrossCorrelation: shapes differ (${reference.h}×${reference.w} vs ${moving.h}×${moving.w})`);
  }
  const complex = opts.complex ?? false;
  const phaseNorm = (opts.normalization ?? 'phase') === 'phase';
  const { h, w } = reference;
  const n = h * w;
  for (const img of [reference, moving]) {
    for (let i = 0; i < img.data.length; i++) if (!Number.isFinite(img.data[i]!)) return { dy: NaN, dx: NaN };
  }
  const A = spectrum(reference, complex);
  const B = spectrum(moving, complex);
  const prod = new Float64Array(2 * n);
  const floor = 100 * Number.EPSILON;
  for (let i = 0; i < n; i++) {
    const ar = A[2 * i]!, ai = A[2 * i + 1]!, br = B[2 * i]!, bi = B[2 * i + 1]!;
    let re = ar * br + ai * bi;
    let im = ai * br - ar * bi;
    const m = phaseNorm ? Math.max(Math.hypot(re, im), floor) : 1;
    re /= m; im /= m;
    prod[2 * i] = re;
    prod[2 * i + 1] = im;
  }
  const cc = Float64Array.from(prod);
  createFft2(h, w).inverse(cc, 1);
  const peak = argmaxAbs(cc, n);
  let sy = Math.floor(peak / w);
  let sx = peak % w;
  if (sy > Math.trunc(h / 2)) sy -= h;
  if (sx > Math.trunc(w / 2)) sx -= w;
  if (upsampleFactor <= 1) return { dy: h === 1 ? 0 : sy, dx: w === 1 ? 0 : sx };
  const u = upsampleFactor;
  sy = Math.round(sy * u) / u;
  sx = Math.round(sx * u) / u;
  const size = Math.ceil(u * 1.5);
  const dftShift = Math.trunc(size / 2);
  // conj(product) through the upsampled DFT, then conj of the result: |·| is all that matters for the peak.
  const conjProd = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) { conjProd[2 * i] = prod[2 * i]!; conjProd[2 * i + 1] = -prod[2 * i + 1]!; }
  const up = upsampledDft(conjProd, h, w, size, u, dftShift - sy * u, dftShift - sx * u);
  const p = argmaxAbs(up, size * size);
  const my = Math.floor(p / size) - dftShift;
  const mx = (p % size) - dftShift;
  return { dy: h === 1 ? 0 : sy + my / u, dx: w === 1 ? 0 : sx + mx / u };
}

/** out(y, x) = img(y − dy, x − dx), by a phase ramp on the spectrum (circular). Complex in, complex out. */
export function fourierShift(img: ComplexImage, dy: number, dx: number): ComplexImage {
  const { h, w } = img;
  const buf = Float64Array.from(img.data);
  if (dy === 0 && dx === 0) return { h, w, data: buf };
  const fft = createFft2(h, w);
  fft.forward(buf, 1);
  const fy = fftfreq(h);
  const fx = fftfreq(w);
  const ex = new Float64Array(2 * w);
  for (let x = 0; x < w; x++) { const a = -2 * Math.PI * dx * fx[x]!; ex[2 * x] = Math.cos(a); ex[2 * x + 1] = Math.sin(a); }
  for (let y = 0; y < h; y++) {
    const ay = -2 * Math.PI * dy * fy[y]!;
    const cyr = Math.cos(ay), cyi = Math.sin(ay);
    for (let x = 0; x < w; x++) {
      const er = cyr * ex[2 * x]! - cyi * ex[2 * x + 1]!;
      const ei = cyr * ex[2 * x + 1]! + cyi * ex[2 * x]!;
      const i = 2 * (y * w + x);
      const re = buf[i]!, im = buf[i + 1]!;
      buf[i] = re * er - im * ei;
      buf[i + 1] = re * ei + im * er;
    }
  }
  fft.inverse(buf, 1);
  return { h, w, data: buf };
}

/** The smallest power of two ≥ n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The image in the top-left corner of an H×W frame of zeros (a copy). */
export function zeroPad(img: RealImage, H: number, W: number): RealImage {
  if (H === img.h && W === img.w) return { h: H, w: W, data: Float64Array.from(img.data) };
  const out = new Float64Array(H * W);
  for (let y = 0; y < img.h; y++) out.set(img.data.subarray(y * img.w, (y + 1) * img.w), y * W);
  return { h: H, w: W, data: out };
}

/**
 * `fourierShift` of the image extended by mirror reflection (half-sample symmetric,
 * `numpy.pad(mode='symmetric')`) by at least `pad` pixels on every side, up to power-of-two sides (so the
 * FFTs are fast), then cut back to the original window. The extension makes the periodic continuation
 * continuous, so the sub-pixel shift rings far less from the window's edges.
 */
export function fourierShiftReflect(img: ComplexImage, dy: number, dx: number, pad = 16): ComplexImage {
  const { h, w } = img;
  if (dy === 0 && dx === 0) return { h, w, data: Float64Array.from(img.data) };
  const H = nextPow2(h + 2 * pad), W = nextPow2(w + 2 * pad);
  const top = Math.floor((H - h) / 2), left = Math.floor((W - w) / 2);
  const ext = new Float64Array(2 * H * W);
  for (let y = 0; y < H; y++) {
    const sy = reflectIndex(y - top, h);
    for (let x = 0; x < W; x++) {
      const sx = reflectIndex(x - left, w);
      ext[2 * (y * W + x)] = img.data[2 * (sy * w + sx)]!;
      ext[2 * (y * W + x) + 1] = img.data[2 * (sy * w + sx) + 1]!;
    }
  }
  const shifted = fourierShift({ h: H, w: W, data: ext }, dy, dx);
  const out = new Float64Array(2 * h * w);
  for (let y = 0; y < h; y++) out.set(shifted.data.subarray(2 * ((y + top) * W + left), 2 * ((y + top) * W + left + w)), 2 * y * w);
  return { h, w, data: out };
}
