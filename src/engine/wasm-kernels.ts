/**
 * Loader of the engine's WASM-SIMD kernels: assembly/lsqml.ts → dist/wasm/lsqml.wasm (complex128) and
 * assembly/lsqml32.ts → dist/wasm/lsqml32.wasm (complex64), two modules with the same functions. They
 * run on the wasm FFT arena's shared memory (src/math/fft-wasm.ts), so every buffer they touch must
 * be an arena block; arguments are byte addresses. When a module is missing (or the FFT runs on the
 * TypeScript backend) the engine uses the equivalent TypeScript loops of kernels.ts, in float64.
 */
import { readFileSync } from 'node:fs';
import type { ModeKernels } from './modes.js';
import type { Precision } from './options.js';

export type { Precision };

/** Flags of `intensity`, `farStep` and `poissonSums`. */
export const KEEP_YHAT = 1, GAUSS_STEP = 2, CONSTRAINED = 4, STEP_DIFFERENCE = 8;
/**
 * Flags of `chiDirections` (the object direction sums every mode; χ of modes m ≥ 1 is stored back;
 * the probe directions of modes m ≥ 1 are added to their destination; far holds χ itself, from
 * intensity's STEP_DIFFERENCE) and of `rampMul` (CONJ: the
 * conjugate ramp; ACCUMULATE: added to the destination).
 */
export const MULTIMODAL = 1, KEEP_CHI = 2, ACCUMULATE = 4, CHI_GIVEN = 8, CONJ = 1;
/** Flag of `chiDirections`: dO and dO0 are added to their destinations (rows `dStride` bytes apart: a placed patch). */
export const ADD_DIRECTIONS = 16;

export interface LsqmlWasm {
  rampMul(dst: number, src: number, srcStep: number, ramp: number, n: number, count: number, flags: number): void;
  exitWave(far: number, o: number, stride: number, p: number, n: number): void;
  intensity(far: number, mstride: number, modes: number, yb: number, yhat: number, n2: number, w: number,
    flags: number, mask: number, thr: number, out: number, s: number): void;
  farStep(far: number, mstride: number, modes: number, yb: number, yhat: number, n2: number, w: number, alpha: number,
    poisson: number, flags: number, mask: number, thr: number, s: number): void;
  poissonSums(yb: number, yhat: number, n2: number, abar: number, flags: number, mask: number, thr: number, out: number): void;
  chiDirections(far: number, mstride: number, modes: number, chi0: number, dP0: number, dP: number, dstride: number, dO: number,
    dO0: number, dStride: number, p0: number, probe: number, o: number, stride: number, n: number, flags: number): void;
  stepSums(d: number, dStride: number, o: number, oStride: number, p: number, h: number, c: number, n: number, out: number): void;
  addTo(dst: number, src: number, count: number): void;
  placePatch(img: number, rowBytes: number, src: number, srcRow: number, img0: number, src0: number, rows: number, count: number): void;
  mulReal(dst: number, s: number, count: number): void;
  axpy(dst: number, src: number, a: number, count: number): void;
  addReal64(dst: number, src: number, count: number): void;
  modeGram(modes: number, m: number, pixels: number, g: number): void;
  modeMix(modes: number, m: number, pixels: number, coef: number, scratch: number): void;
  divide(dst: number, src: number, count: number, b: number): void;
  axpyWide(dst: number, src: number, a: number, count: number): void;
}

const cached = new Map<Precision, WebAssembly.Module | null>();

/** The compiled kernel module of a precision, or null when its .wasm is missing or does not compile here. */
export function lsqmlWasmModule(precision: Precision = 'float64'): WebAssembly.Module | null {
  if (!cached.has(precision)) {
    const file = precision === 'float32' ? '../../wasm/lsqml32.wasm' : '../../wasm/lsqml.wasm';
    try {
      cached.set(precision, new WebAssembly.Module(readFileSync(new URL(file, import.meta.url))));
    } catch {
      cached.set(precision, null);
    }
  }
  return cached.get(precision) ?? null;
}

/** An instance of the kernels of `precision` on `memory` (the FFT arena's), or null when unavailable. */
export function lsqmlWasmKernels(memory: WebAssembly.Memory, precision: Precision = 'float64'): LsqmlWasm | null {
  const m = lsqmlWasmModule(precision);
  if (m === null) return null;
  try {
    return new WebAssembly.Instance(m, { env: { memory } }).exports as unknown as LsqmlWasm;
  } catch {
    cached.set(precision, null);
    return null;
  }
}

/**
 * The mode orthogonalisation's two loops over pixels (modes.ts, ModeKernels) on kernels `w`, for `m`
 * modes of `pixels` complexes at byte address `modesAt` of the arena. `scratch` is an arena block of
 * at least 4·m² + 2·m doubles for the m×m matrices (copied to and from the caller's arrays).
 */
export function modeKernelsOn(w: LsqmlWasm, modesAt: number, m: number, pixels: number, scratch: Float64Array): ModeKernels {
  if (scratch.length < 4 * m * m + 2 * m) throw new RangeError(`mode kernels need ${4 * m * m + 2 * m} doubles of scratch, got ${scratch.length}`);
  const g = scratch.subarray(0, 2 * m * m), coef = scratch.subarray(2 * m * m, 4 * m * m), px = scratch.subarray(4 * m * m);
  return {
    gram(out) { w.modeGram(modesAt, m, pixels, g.byteOffset); out.set(g); },
    mix(c) { coef.set(c); w.modeMix(modesAt, m, pixels, coef.byteOffset, px.byteOffset); },
  };
}
