/**
 * Batched 2-D complex FFT — the public entry point (see docs/fft.md).
 *
 * Data layout: interleaved complex128 in a `Float64Array` (re, im, re, im, …), row-major; `count`
 * images of h×w stored back to back from index 0 of the buffer (pass `buf.subarray(…)` for other
 * ranges). Transforms are in place. Forward is unscaled, X[k] = Σ x[n]·e^{−2πi k·n/N}; inverse is
 * scaled by 1/(h·w), so `inverse(forward(x)) = x` — the same conventions as `numpy.fft.fft2/ifft2`.
 *
 * Backends: 'ts' (pure TypeScript, always available) and 'wasm' (AssemblyScript SIMD kernel in
 * dist/wasm/fft.wasm). 'auto' picks wasm when it loads, else ts; for a side with a prime factor above 13 'auto'
 * gives Bluestein's algorithm on the wasm kernel (backend 'wasm-bluestein', fft-bluestein.ts).
 */
import { TsFft2, TsFft2F32 } from './fft-ts.js';
import { BluesteinWasmFft2 } from './fft-bluestein.js';
import { WasmFft2, WasmFft2F32, fftWasmModule, wasmFft32Size, wasmFftSize } from './fft-wasm.js';

export { fftshift2, ifftshift2, fftfreq, roundHalfEven } from './shift.js';
export { isPowerOfTwo, Fft1d } from './fft-ts.js';
export { fftWasmError, allocShared, allocShared32, freeShared, wasmFftSize } from './fft-wasm.js';
export { fourierShift, applyShiftRamp } from './subpixel.js';
export { createParallelFft2, type ParallelFft2, type ParallelFft2Options } from './fft-parallel.js';

export type FftBackend = 'ts' | 'wasm';

export interface Fft2Options {
  /**
   * 'auto' (default): wasm when available and both sizes are 2^a·3^b·5^c·7^d·11^e·13^f, Bluestein on the wasm kernel
   * ('wasm-bluestein') for other sizes when available, else ts.
   */
  backend?: 'auto' | FftBackend;
  /** wasm only: bytes of images streamed through wasm memory per kernel call (default 512 KiB). */
  chunkBytes?: number;
}

export interface Fft2 {
  readonly h: number;
  readonly w: number;
  /**
   * The backend actually in use: 'wasm-bluestein' is 'auto''s choice for a side with a prime factor above 13 where
   * the kernel loads (Bluestein's algorithm with its convolutions on the wasm kernel).
   */
  readonly backend: FftBackend | 'wasm-bluestein';
  /** In-place unscaled forward transform of `count` images at the start of `buf`. */
  forward(buf: Float64Array, count?: number): void;
  /** In-place inverse transform (scaled by 1/(h·w)) of `count` images at the start of `buf`. */
  inverse(buf: Float64Array, count?: number): void;
}

function checkSize(h: number, w: number): void {
  for (const [name, n] of [['height', h], ['width', w]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT ${name} must be a positive integer, got ${n}`);
  }
}

/**
 * Creates a reusable 2-D FFT plan for h×w images (any positive sizes; powers of two are fastest, then
 * other sizes with no prime factor above 13; the rest run Bluestein's algorithm, its convolutions on the wasm kernel
 * where it loads, else in TypeScript).
 */
export function createFft2(h: number, w: number, opts: Fft2Options = {}): Fft2 {
  checkSize(h, w);
  const backend = opts.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'ts' && backend !== 'wasm') {
    throw new RangeError(`unknown FFT backend '${String(backend)}' (expected auto, ts or wasm)`);
  }
  if (backend === 'ts') return new TsFft2(h, w);
  if (backend === 'wasm') return new WasmFft2(h, w, opts);
  if (!wasmAvailable()) return new TsFft2(h, w);
  return wasmFftSize(h) && wasmFftSize(w) ? new WasmFft2(h, w, opts) : new BluesteinWasmFft2(h, w);
}

/**
 * A complex64 FFT plan: the same transforms on interleaved complex64 in a `Float32Array`.
 * The 'wasm' backend computes in float32 (f32x4, two complexes per vector; sides 2^a·3^b·5^c·7^d·11^e·13^f with an
 * even width); the 'ts' backend widens each image to float64, transforms it and rounds back.
 */
export interface Fft2F32 {
  readonly h: number;
  readonly w: number;
  readonly backend: FftBackend;
  forward(buf: Float32Array, count?: number): void;
  inverse(buf: Float32Array, count?: number): void;
}

/** Creates a reusable complex64 2-D FFT plan for h×w images ('auto': wasm when available and `wasmFft32Size(h, w)`). */
export function createFft2F32(h: number, w: number, opts: Fft2Options = {}): Fft2F32 {
  checkSize(h, w);
  const backend = opts.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'ts' && backend !== 'wasm') {
    throw new RangeError(`unknown FFT backend '${String(backend)}' (expected auto, ts or wasm)`);
  }
  if (backend === 'ts') return new TsFft2F32(h, w);
  if (backend === 'wasm') return new WasmFft2F32(h, w, opts);
  return wasmAvailable() && wasmFft32Size(h, w) ? new WasmFft2F32(h, w, opts) : new TsFft2F32(h, w);
}

/** True when the wasm SIMD kernel (dist/wasm/fft.wasm) loads in this runtime. */
export function wasmAvailable(): boolean {
  return fftWasmModule() !== null;
}
