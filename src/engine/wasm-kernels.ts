/**
 * Loader of the engine's WASM-SIMD kernels (assembly/lsqml.ts → dist/wasm/lsqml.wasm). They run on
 * the wasm FFT arena's shared memory (src/math/fft-wasm.ts), so every buffer they touch must be an
 * arena block; arguments are byte addresses. When the module is missing (or the FFT runs on the
 * TypeScript backend) the engine uses the equivalent TypeScript loops of kernels.ts.
 */
import { readFileSync } from 'node:fs';

export interface LsqmlWasm {
  rampMul(dst: number, src: number, srcStep: number, ramp: number, n: number, count: number, conj: number): void;
  exitWave(far: number, o: number, stride: number, p: number, n: number): void;
  gaussIntensity(far: number, yb: number, yhat: number, n2: number, w: number, keepYhat: number, out: number): void;
  chiDirections(far: number, dP: number, dO: number, p: number, o: number, stride: number, n: number): void;
  stepSums(d: number, dStride: number, o: number, oStride: number, p: number, h: number, c: number, n: number, out: number): void;
  addTo(dst: number, src: number, count: number): void;
}

let cached: { module: WebAssembly.Module | null } | undefined;

/** The compiled kernel module, or null when dist/wasm/lsqml.wasm is missing or does not compile here. */
export function lsqmlWasmModule(): WebAssembly.Module | null {
  if (cached === undefined) {
    try {
      cached = { module: new WebAssembly.Module(readFileSync(new URL('../../wasm/lsqml.wasm', import.meta.url))) };
    } catch {
      cached = { module: null };
    }
  }
  return cached.module;
}

/** An instance of the kernels on `memory` (the FFT arena's), or null when unavailable. */
export function lsqmlWasmKernels(memory: WebAssembly.Memory): LsqmlWasm | null {
  const m = lsqmlWasmModule();
  if (m === null) return null;
  try {
    return new WebAssembly.Instance(m, { env: { memory } }).exports as unknown as LsqmlWasm;
  } catch {
    cached = { module: null };
    return null;
  }
}
