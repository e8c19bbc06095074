/**
 * WASM-SIMD backend of the 2-D FFT: loads dist/wasm/fft.wasm (AssemblyScript, assembly/fft.ts) and
 * drives it. One wasm instance per plan (the compiled module is shared); the instance's memory holds
 * the plan tables and a fixed scratch area of a few images. A batch is streamed through the scratch
 * area chunk by chunk (copy in, transform, copy out): the chunk stays in cache, so the copies cost
 * little next to the transform (measured in docs/fft.md) and callers keep plain Float64Arrays.
 */
import { readFileSync } from 'node:fs';
import { checkBuffer, isPowerOfTwo, makePow2Plan, type Pow2Plan } from './fft-ts.js';

interface FftExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  fft2(data: number, count: number, h: number, w: number,
    swR: number, nswR: number, twR: number, r2R: number,
    swC: number, nswC: number, twC: number, r2C: number, sg: number, sc: number): void;
}

let cached: { module: WebAssembly.Module | null; error: string | null } | undefined;

/** The compiled kernel, or null when dist/wasm/fft.wasm is missing or this runtime lacks WASM SIMD. */
export function fftWasmModule(): WebAssembly.Module | null {
  if (cached === undefined) {
    try {
      const bytes = readFileSync(new URL('../../wasm/fft.wasm', import.meta.url));
      cached = { module: new WebAssembly.Module(bytes), error: null };
    } catch (e) {
      cached = { module: null, error: e instanceof Error ? e.message : String(e) };
    }
  }
  return cached.module;
}

/** Why the wasm kernel is unavailable (null when it loaded). */
export function fftWasmError(): string | null {
  fftWasmModule();
  return cached?.error ?? null;
}

/** Default scratch area: this many bytes of images per chunk (at least one image). */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;

interface WasmPlan { swaps: number; nsw: number; twF: number; twI: number; r2: number }

export class WasmFft2 {
  readonly h: number;
  readonly w: number;
  readonly backend = 'wasm' as const;
  /** Images per chunk streamed through wasm memory. */
  readonly chunk: number;
  private readonly ex: FftExports;
  private readonly rowPlan: WasmPlan;
  private readonly colPlan: WasmPlan;
  private readonly data: number;
  private mem: Float64Array;

  constructor(h: number, w: number, opts: { chunkBytes?: number } = {}) {
    if (!isPowerOfTwo(h) || !isPowerOfTwo(w)) {
      throw new RangeError(`the wasm FFT backend supports power-of-two sizes only, got ${h}×${w} (use backend 'ts' or 'auto')`);
    }
    const module = fftWasmModule();
    if (module === null) throw new Error(`the wasm FFT backend is unavailable: ${fftWasmError()}`);
    const instance = new WebAssembly.Instance(module, {
      env: { abort: () => { throw new Error('fft.wasm aborted'); } },
    });
    this.ex = instance.exports as unknown as FftExports;
    this.h = h; this.w = w;
    const imgBytes = 16 * h * w;
    this.chunk = Math.max(1, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK_BYTES) / imgBytes));

    // Lay out: [row plan][column plan if h ≠ w][data chunk], all 16-byte aligned.
    let top = align(this.ex.heapBase());
    const tables: { at: number; values: ArrayLike<number>; kind: 'f64' | 'i32' }[] = [];
    const place = (n: number): WasmPlan => {
      const f = makePow2Plan(n, 1), inv = makePow2Plan(n, -1);
      const swaps = top; top = align(top + 4 * f.swaps.length);
      tables.push({ at: swaps, values: f.swaps, kind: 'i32' });
      const twF = top; const tf = wasmTwiddles(f); top = align(top + 8 * tf.length);
      tables.push({ at: twF, values: tf, kind: 'f64' });
      const twI = top; const ti = wasmTwiddles(inv); top = align(top + 8 * ti.length);
      tables.push({ at: twI, values: ti, kind: 'f64' });
      return { swaps, nsw: f.swaps.length / 2, twF, twI, r2: f.radix2First ? 1 : 0 };
    };
    this.rowPlan = place(w);
    this.colPlan = h === w ? this.rowPlan : place(h);
    this.data = top;
    top += this.chunk * imgBytes;
    const need = Math.ceil(top / 65536) - this.ex.memory.buffer.byteLength / 65536;
    if (need > 0) this.ex.memory.grow(need);
    const buffer = this.ex.memory.buffer;
    for (const t of tables) {
      if (t.kind === 'i32') new Int32Array(buffer, t.at, t.values.length).set(t.values);
      else new Float64Array(buffer, t.at, t.values.length).set(t.values);
    }
    this.mem = new Float64Array(buffer);
  }

  forward(buf: Float64Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float64Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float64Array, count: number, forward: boolean): void {
    const { h, w, rowPlan: R, colPlan: C } = this;
    const hw = h * w;
    checkBuffer(buf, count, hw);
    const per = 2 * hw;
    const d0 = this.data / 8;
    const sg = forward ? 1 : -1, sc = forward ? 1 : 1 / hw;
    const twR = forward ? R.twF : R.twI, twC = forward ? C.twF : C.twI;
    for (let b = 0; b < count; b += this.chunk) {
      const k = Math.min(this.chunk, count - b);
      const lo = b * per, hi = lo + k * per;
      this.mem.set(buf.subarray(lo, hi), d0);
      this.ex.fft2(this.data, k, h, w, R.swaps, R.nsw, twR, R.r2, C.swaps, C.nsw, twC, C.r2, sg, sc);
      buf.set(this.mem.subarray(d0, d0 + k * per), lo);
    }
  }
}

function align(p: number): number {
  return (p + 15) & ~15;
}

/** Twiddles in the kernel's layout: per stage, per k, (w1r, w1r, −w1i, w1i, w2r, w2r, −w2i, w2i, w3r, …). */
function wasmTwiddles(p: Pow2Plan): Float64Array {
  let total = 0;
  for (const s of p.stages) total += 12 * s.L;
  const out = new Float64Array(total);
  let o = 0;
  for (const { L, tw } of p.stages) {
    for (let k = 0; k < L; k++) {
      for (let j = 0; j < 3; j++) {
        const re = tw[6 * k + 2 * j], im = tw[6 * k + 2 * j + 1];
        out[o++] = re; out[o++] = re; out[o++] = -im; out[o++] = im;
      }
    }
  }
  return out;
}
