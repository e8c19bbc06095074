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
import { allocShared, createFft2, fftfreq, freeShared } from '../math/fft.js';
import { upsampledDftRowsWasm } from '../math/fft-wasm.js';
import { nextPow2 } from '../math/fft-sides.js';
import { transformPair } from '../math/real-pair.js';

/** Whether `upsampledDft` runs its row and column stages in the wasm kernel when there is one (tests compare both). */
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

/** The last few kernels of the upsampled DFT (a registration's rounds, and its jobs, mostly share their offsets). */
const kernelMemo: { n: number; upsample: number; size: number; off: number; re: Float64Array; im: Float64Array }[] = [];
const KERNEL_MEMO_SIZE = 8;

/**
 * exp(−2πi (u − off) f[k]) for u < size and f = fftfreq(n, upsample), transposed: real and imaginary parts, [k][u].
 * Kept for the next call with the same arguments (the same values; the tables are never written to).
 */
function dftKernel(n: number, upsample: number, size: number, off: number): [Float64Array, Float64Array] {
  const hit = kernelMemo.find((m) => m.n === n && m.upsample === upsample && m.size === size && Object.is(m.off, off));
  if (hit) return [hit.re, hit.im];
  const f = fftfreq(n, upsample);
  const re = new Float64Array(size * n), im = new Float64Array(size * n);
  for (let k = 0; k < n; k++) {
    const fk = f[k]!;
    for (let u = 0; u < size; u++) {
      const a = -2 * Math.PI * (u - off) * fk;
      re[k * size + u] = Math.cos(a);
      im[k * size + u] = Math.sin(a);
    }
  }
  kernelMemo.push({ n, upsample, size, off, re, im });
  if (kernelMemo.length > KERNEL_MEMO_SIZE) kernelMemo.shift();
  return [re, im];
}

/**
 * Σ over the spectrum of `data` (h×w, interleaved) of exp(−2πi·(u − off)·f(k)) along each axis, on an
 * `size`×`size` grid: scikit-image's `_upsampled_dft` (f = fftfreq(n, u)).
 * Returns interleaved complex values, row-major [size_y, size_x].
 */
export function upsampledDft(data: Float64Array, h: number, w: number, size: number, upsample: number,
  offY: number, offX: number): Float64Array {
  return upsampledDftRows(data, h, w, size, upsample, offY, offX, h);
}

/**
 * `upsampledDft` of a Hermitian spectrum (data[−ky][−kx] = conj data[ky][kx], indices mod h and w: the spectrum of a
 * real image, or that of a cross-correlation of real images): the row stage runs on rows 0 … ⌊h/2⌋ only, and each
 * row h − ky above them is the conjugate of row ky, its Nyquist column (even w, whose frequency −1/2 has no partner
 * +1/2 in the kernel) put right — half the work, the same values up to rounding (the rows of a computed spectrum are
 * conjugate only up to rounding).
 */
export function upsampledDftHermitian(data: Float64Array, h: number, w: number, size: number, upsample: number,
  offY: number, offX: number): Float64Array {
  return upsampledDftRows(data, h, w, size, upsample, offY, offX, Math.floor(h / 2) + 1);
}

/** The upsampled DFT with the row stage computed for the first `rows` rows and the others taken from their conjugates. */
function upsampledDftRows(data: Float64Array, h: number, w: number, size: number, upsample: number,
  offY: number, offX: number, rows: number): Float64Array {
  // kernel_x[u][kx] = exp(−2πi (u − offX) fx[kx]); first contract over columns: T[ky][ux].
  // The wasm kernel, when there is one, does this stage eight grid points per pass with the same operations
  // in the same order as the scalar loop below (the same T to the last bit); it takes the kernel transposed.
  const [trR, trI] = dftKernel(w, upsample, size, offX);
  const direct = useWasmRows ? upsampledDftRowsWasm(data, rows, w, trR, trI, size) : null;
  let T: Float64Array;
  if (direct !== null && rows === h) T = direct;
  else {
    T = new Float64Array(2 * h * size);
    if (direct !== null) T.set(direct);
    else {
      for (let ky = 0; ky < rows; ky++) {
        for (let u = 0; u < size; u++) {
          let sr = 0, si = 0;
          for (let k = 0; k < w; k++) {
            const dr = data[2 * (ky * w + k)]!, di = data[2 * (ky * w + k) + 1]!;
            const cr = trR[k * size + u]!, ci = trI[k * size + u]!;
            sr += cr * dr - ci * di;
            si += cr * di + ci * dr;
          }
          T[2 * (ky * size + u)] = sr;
          T[2 * (ky * size + u) + 1] = si;
        }
      }
    }
    // Row r = h − ky: Σ_k K[u][k]·data[r][k] = conj(Σ_k K[u][−k]·data[ky][k]) = conj(T[ky][u]), since K[u][−k] =
    // conj K[u][k] for every column but the Nyquist one (k = w/2 of an even w), whose term is swapped.
    const nyq = w % 2 === 0 ? w / 2 : -1;
    for (let r = rows; r < h; r++) {
      const src = 2 * (h - r) * size, dst = 2 * r * size;
      for (let u = 0; u < size; u++) {
        T[dst + 2 * u] = T[src + 2 * u]!;
        T[dst + 2 * u + 1] = -T[src + 2 * u + 1]!;
      }
      if (nyq < 0) continue;
      const sr = data[2 * ((h - r) * w + nyq)]!, si = data[2 * ((h - r) * w + nyq) + 1]!;
      const dr = data[2 * (r * w + nyq)]!, di = data[2 * (r * w + nyq) + 1]!;
      for (let u = 0; u < size; u++) {
        const cr = trR[nyq * size + u]!, ci = trI[nyq * size + u]!;
        // − conj(K·data[ky][nyq]) + K·data[r][nyq]
        T[dst + 2 * u] += -(cr * sr - ci * si) + (cr * dr - ci * di);
        T[dst + 2 * u + 1] += (cr * si + ci * sr) + (cr * di + ci * dr);
      }
    }
  }
  // Then over rows: out[v][u] = Σ_k kernel_y[v][k] · T[k][u], each sum taken in k order (in the scalar loop, rows
  // of T are read whole, every grid point u of a row v accumulating at once).
  // kernel_y[v][ky] = exp(−2πi (v − offY) fy[ky]), held transposed as kernel_x is: [ky][v]
  const [kyR, kyI] = dftKernel(h, upsample, size, offY);
  const out = new Float64Array(2 * size * size);
  if (useWasmRows) {
    // the same sums by the wasm row kernel on T transposed (out transposed = Σ_k kernel_y[k][v] · Tᵗ[u][k]): the
    // same operations in the same k order, so the same values to the last bit
    const Tt = new Float64Array(2 * size * h);
    for (let k = 0; k < h; k++) {
      for (let u = 0; u < size; u++) { Tt[2 * (u * h + k)] = T[2 * (k * size + u)]!; Tt[2 * (u * h + k) + 1] = T[2 * (k * size + u) + 1]!; }
    }
    const outT = upsampledDftRowsWasm(Tt, size, h, kyR, kyI, size);
    if (outT !== null) {
      for (let u = 0; u < size; u++) {
        for (let v = 0; v < size; v++) { out[2 * (v * size + u)] = outT[2 * (u * size + v)]!; out[2 * (v * size + u) + 1] = outT[2 * (u * size + v) + 1]!; }
      }
      return out;
    }
  }
  const accR = new Float64Array(size), accI = new Float64Array(size);
  for (let v = 0; v < size; v++) {
    accR.fill(0);
    accI.fill(0);
    for (let k = 0; k < h; k++) {
      const cr = kyR[k * size + v]!, ci = kyI[k * size + v]!;
      const row = 2 * k * size;
      for (let u = 0; u < size; u++) {
        const dr = T[row + 2 * u]!, di = T[row + 2 * u + 1]!;
        accR[u] += cr * dr - ci * di;
        accI[u] += cr * di + ci * dr;
      }
    }
    const o = 2 * v * size;
    for (let u = 0; u < size; u++) { out[o + 2 * u] = accR[u]!; out[o + 2 * u + 1] = accI[u]!; }
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
  return crossCorrelator(reference, upsampleFactor, opts)(moving);
}

/**
 * `phaseCrossCorrelation` against one reference, for several moving images (the rounds of a registration): the
 * reference's spectrum is taken once (of real images, in one transform with the first moving image's:
 * `transformPair`), with the answers of separate calls (their sums differ by rounding only).
 */
export function crossCorrelator(reference: RealImage | ComplexImage, upsampleFactor = 50,
  opts: { complex?: boolean; normalization?: 'phase' | 'none' } = {}): (moving: RealImage | ComplexImage) => Registration {
  const complex = opts.complex ?? false;
  const phaseNorm = (opts.normalization ?? 'phase') === 'phase';
  const { h, w } = reference;
  const n = h * w;
  const allFinite = (img: RealImage | ComplexImage): boolean => {
    for (let i = 0; i < img.data.length; i++) if (!Number.isFinite(img.data[i]!)) return false;
    return true;
  };
  const referenceFinite = allFinite(reference);
  const fft = createFft2(h, w);
  let A: Float64Array | null = null; // the reference's spectrum, once a finite moving image needs it
  const prod = new Float64Array(2 * n);
  const floor = 100 * Number.EPSILON;
  return (moving) => {
    if (moving.h !== h || moving.w !== w) {
      throw new RangeError(`phaseCrossCorrelation: shapes differ (${h}×${w} vs ${moving.h}×${moving.w})`);
    }
    if (!referenceFinite || !allFinite(moving)) return { dy: NaN, dx: NaN };
    // the moving image's spectrum and the correlation, in the wasm FFT's memory (transformed in place)
    const B = allocShared(2 * n), cc = allocShared(2 * n);
    try {
      return correlateWith(moving, B, cc);
    } finally {
      freeShared(cc);
      freeShared(B);
    }
  };
  function correlateWith(moving: RealImage | ComplexImage, B: Float64Array, cc: Float64Array): Registration {
    if (A === null && !complex) {
      // the first real moving image goes through the reference's transform: FFT(reference + i·moving)
      A = transformPair(reference.data, moving.data, h, w, (z) => fft.forward(z, 1), B)[0];
    } else {
      A ??= spectrum(reference, complex);
      if (complex) B.set(moving.data.subarray(0, 2 * n));
      else for (let i = 0; i < n; i++) { B[2 * i] = moving.data[i]!; B[2 * i + 1] = 0; }
      fft.forward(B, 1);
    }
    for (let i = 0; i < n; i++) {
      const ar = A[2 * i]!, ai = A[2 * i + 1]!, br = B[2 * i]!, bi = B[2 * i + 1]!;
      let re = ar * br + ai * bi;
      let im = ai * br - ar * bi;
      const m = phaseNorm ? Math.max(Math.hypot(re, im), floor) : 1;
      re /= m; im /= m;
      prod[2 * i] = re;
      prod[2 * i + 1] = im;
    }
    cc.set(prod);
    fft.inverse(cc, 1);
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
    for (let i = 0; i < n; i++) prod[2 * i + 1] = -prod[2 * i + 1]!;
    // real images have a Hermitian cross-power spectrum: half the upsampled DFT's row stage
    const up = (complex ? upsampledDft : upsampledDftHermitian)(prod, h, w, size, u, dftShift - sy * u, dftShift - sx * u);
    const p = argmaxAbs(up, size * size);
    const my = Math.floor(p / size) - dftShift;
    const mx = (p % size) - dftShift;
    return { dy: h === 1 ? 0 : sy + my / u, dx: w === 1 ? 0 : sx + mx / u };
  }
}

/** out(y, x) = img(y − dy, x − dx), by a phase ramp on the spectrum (circular). Complex in, complex out. */
export function fourierShift(img: ComplexImage, dy: number, dx: number): ComplexImage {
  const { h, w } = img;
  const buf = Float64Array.from(img.data);
  if (dy === 0 && dx === 0) return { h, w, data: buf };
  shiftInPlace(buf, h, w, dy, dx);
  return { h, w, data: buf };
}

/** `fourierShift` of the h×w interleaved complex image in `buf`, in place. */
function shiftInPlace(buf: Float64Array, h: number, w: number, dy: number, dx: number): void {
  const fft = createFft2(h, w);
  fft.forward(buf, 1);
  const ex = shiftRamp(w, dx), ey = shiftRamp(h, dy);
  for (let y = 0; y < h; y++) {
    const cyr = ey[2 * y]!, cyi = ey[2 * y + 1]!;
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
}

/** The image in the top-left corner of an H×W frame of zeros (a copy). */
export function zeroPad(img: RealImage, H: number, W: number): RealImage {
  if (H === img.h && W === img.w) return { h: H, w: W, data: Float64Array.from(img.data) };
  const out = new Float64Array(H * W);
  for (let y = 0; y < img.h; y++) out.set(img.data.subarray(y * img.w, (y + 1) * img.w), y * W);
  return { h: H, w: W, data: out };
}

/** exp(−2πi·d·f) for f = fftfreq(n): the 1-D phase ramp of a shift by d along an n-long axis (interleaved complex). */
function shiftRamp(n: number, d: number): Float64Array {
  const f = fftfreq(n);
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) { const a = -2 * Math.PI * d * f[k]!; out[2 * k] = Math.cos(a); out[2 * k + 1] = Math.sin(a); }
  return out;
}

/** Each of the `count` n-long interleaved complex lines in `buf` shifted by the ramp (`shiftRamp`), in place: FFT, ×, inverse. */
function shiftLines(buf: Float64Array, n: number, count: number, ramp: Float64Array): void {
  const fft = createFft2(1, n);
  fft.forward(buf, count);
  for (let l = 0; l < count; l++) {
    const o = 2 * l * n;
    for (let k = 0; k < n; k++) {
      const re = buf[o + 2 * k]!, im = buf[o + 2 * k + 1]!, er = ramp[2 * k]!, ei = ramp[2 * k + 1]!;
      buf[o + 2 * k] = re * er - im * ei;
      buf[o + 2 * k + 1] = re * ei + im * er;
    }
  }
  fft.inverse(buf, count);
}

/**
 * `fourierShift` of the image extended by mirror reflection (half-sample symmetric,
 * `numpy.pad(mode='symmetric')`) by at least `pad` pixels on every side, up to power-of-two sides H×W, then
 * cut back to the original window. The extension makes the periodic continuation continuous, so the
 * sub-pixel shift rings far less from the window's edges. Its extent (H, W) sets the result beyond rounding
 * (the shift is periodic in H and W), so it stays the power of two above h + 2·pad and w + 2·pad.
 * The 2-D phase ramp is the product of a ramp along rows and one along columns, so the shift is done in two
 * passes of 1-D transforms with the same values up to rounding: along x on the h rows of the image extended to
 * W (a row of the extension outside the image is the shifted copy of a row inside it), then along y on the w
 * columns of the window extended to H — h·W + w·H points transformed instead of 2·H·W.
 */
export function fourierShiftReflect(img: ComplexImage, dy: number, dx: number, pad = 16): ComplexImage {
  const { h, w } = img;
  if (dy === 0 && dx === 0) return { h, w, data: Float64Array.from(img.data) };
  const H = nextPow2(h + 2 * pad), W = nextPow2(w + 2 * pad);
  // the image's rows, each extended to W by reflection, then shifted along x
  // the two extended arrays live in the wasm FFT's memory, where their transforms run in place (not streamed
  // through it in chunks)
  const rows = allocShared(2 * h * W), cols = allocShared(2 * w * H);
  try {
    return shiftExtended(img, dy, dx, H, W, rows, cols);
  } finally {
    freeShared(cols);
    freeShared(rows);
  }
}

/** `fourierShiftReflect` on the extent H×W, with `rows` (h·W) and `cols` (w·H) complex values to work in. */
function shiftExtended(img: ComplexImage, dy: number, dx: number, H: number, W: number, rows: Float64Array, cols: Float64Array): ComplexImage {
  const { h, w } = img;
  const top = Math.floor((H - h) / 2), left = Math.floor((W - w) / 2);
  const col = new Int32Array(W);
  for (let x = 0; x < W; x++) col[x] = 2 * reflectIndex(x - left, w);
  for (let y = 0; y < h; y++) {
    const src = 2 * y * w, dst = 2 * y * W;
    for (let x = 0; x < W; x++) {
      const s = src + col[x]!;
      rows[dst + 2 * x] = img.data[s]!;
      rows[dst + 2 * x + 1] = img.data[s + 1]!;
    }
  }
  shiftLines(rows, W, h, shiftRamp(W, dx));
  // the window's w columns, each extended to H by reflection of those rows (one column a line), shifted along y
  // (both transpositions go in TILE×TILE blocks, so that the strided side stays in cache)
  for (let y0 = 0; y0 < H; y0 += TILE) {
    const y1 = Math.min(H, y0 + TILE);
    for (let x0 = 0; x0 < w; x0 += TILE) {
      const x1 = Math.min(w, x0 + TILE);
      for (let y = y0; y < y1; y++) {
        const src = 2 * (reflectIndex(y - top, h) * W + left);
        for (let x = x0; x < x1; x++) {
          cols[2 * (x * H + y)] = rows[src + 2 * x]!;
          cols[2 * (x * H + y) + 1] = rows[src + 2 * x + 1]!;
        }
      }
    }
  }
  shiftLines(cols, H, w, shiftRamp(H, dy));
  const out = new Float64Array(2 * h * w);
  for (let y0 = 0; y0 < h; y0 += TILE) {
    const y1 = Math.min(h, y0 + TILE);
    for (let x0 = 0; x0 < w; x0 += TILE) {
      const x1 = Math.min(w, x0 + TILE);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          out[2 * (y * w + x)] = cols[2 * (x * H + y + top)]!;
          out[2 * (y * w + x) + 1] = cols[2 * (x * H + y + top) + 1]!;
        }
      }
    }
  }
  return { h, w, data: out };
}

/** The side of the blocks in which `fourierShiftReflect` transposes (32 complex values: 512 bytes a line of a block). */
const TILE = 32;
