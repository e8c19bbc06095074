/**
 * WASM-SIMD backend of the 2-D FFT and the shared-memory arena it runs in.
 *
 * The kernel (assembly/fft.ts → dist/wasm/fft.wasm) imports one shared `WebAssembly.Memory` — the
 * arena — created once per process on the main thread and handed to FFT worker threads, so every
 * thread runs the same kernel on the same bytes. The arena's buffer is a SharedArrayBuffer:
 * `allocShared(n)` hands out Float64Arrays inside it. A transform on such an array runs in place with
 * no copy (and can be split across threads); any other Float64Array is streamed through a per-thread
 * scratch area a few images at a time (copy in, transform, copy out, the chunk staying in cache).
 *
 * Plan tables (bit-reversal swap lists and twiddles) live in the arena too, built once per size.
 * Sides that are powers of two run the radix-4/2 kernel; other sides whose prime factors are 2, 3 and
 * 5 run the mixed-radix (Stockham) one, which needs a work area of one image and one row per thread.
 */
import { readFileSync } from 'node:fs';
import { checkBuffer, isPowerOfTwo, makePow2Plan, smoothRadices, type Pow2Plan } from './fft-ts.js';

interface FftExports {
  heapBase(): number;
  fft2(data: number, count: number, h: number, w: number,
    swR: number, nswR: number, twR: number, r2R: number,
    swC: number, nswC: number, twC: number, r2C: number, sg: number, sc: number): void;
  fft2mix(data: number, count: number, h: number, w: number, stR: number, nR: number, stC: number, nC: number,
    work: number, sg: number, sc: number): void;
  fft2mix_32(data: number, count: number, h: number, w: number, stR: number, nR: number, stC: number, nC: number,
    work: number, sg: number, sc: number): void;
  fft2_32(data: number, count: number, h: number, w: number,
    swR: number, nswR: number, twR: number, r2R: number,
    swC: number, nswC: number, twC: number, r2C: number, sg: number, sc: number): void;
  fft2dif_32(data: number, count: number, h: number, w: number, twR: number, r2R: number, twC: number, r2C: number, sg: number): void;
  bitrevCopyReal32(dst: number, src: number, count: number, h: number, w: number): void;
  ifftRamp32(dst: number, src: number, ramp: number, h: number, w: number, swR: number, twR: number, r2R: number,
    swC: number, twC: number, r2C: number, sc: number): void;
  fftProductDif32(dst: number, a: number, aStride: number, b: number, h: number, w: number, twR: number, r2R: number,
    twC: number, r2C: number, count: number, dstStep: number, bStep: number): void;
  ifft2_32Strided(data: number, step: number, count: number, h: number, w: number, swR: number, twR: number, r2R: number,
    swC: number, twC: number, r2C: number): void;
  upsampledDftRows(data: number, h: number, w: number, kr: number, ki: number, size: number, out: number): void;
}

/** 4 GiB: the whole wasm32 address space (reserved, not committed). */
const MAX_PAGES = 65536;
const PAGE = 65536;

let cached: { module: WebAssembly.Module | null; error: string | null } | undefined;

/** The compiled kernel, or null when dist/wasm/fft.wasm is missing or this runtime lacks WASM SIMD/threads. */
export function fftWasmModule(): WebAssembly.Module | null {
  if (cached === undefined) {
    try {
      const bytes = readFileSync(new URL('../../wasm/fft.wasm', import.meta.url));
      const module = new WebAssembly.Module(bytes);
      // Instantiate once to be sure it links here (shared memory, SIMD); a 1-page memory is enough.
      new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) } });
      cached = { module, error: null };
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

/**
 * Addresses of one 1-D plan's tables in the arena: the swap list, the complex128 twiddles (twF, twI)
 * and the complex64 ones, paired for the row pass (row32F/I) and splatted for the column pass
 * (col32F/I); see assembly/fft.ts.
 */
export interface WasmPlan1 {
  swaps: number; nsw: number; twF: number; twI: number; r2: number;
  row32F: number; row32I: number; col32F: number; col32I: number;
}
/**
 * A 2-D plan for power-of-two sides: row (length w) and column (length h) tables. Plain data, so it
 * can be posted to workers. The complex64 kernels with spectra in bit-reversed order and the fused
 * ones take these only.
 */
export interface WasmPow2Plan2 { h: number; w: number; row: WasmPlan1; col: WasmPlan1; mix: null }
/**
 * A 2-D plan for sides 2^a·3^b·5^c·7^d·11^e·13^f (at least one not a power of two): the addresses of the stage
 * descriptors of rows (length w) and columns (length h), forward and inverse, complex128 (`mix`) and
 * complex64 (`mix32`, float32 twiddles; same stages), and the bytes of work area either kernel needs
 * per thread (one image and one row in complex128; one image and four rows in complex64).
 */
export interface WasmMixPlan2 {
  h: number; w: number;
  mix: { rowF: number; rowI: number; nR: number; colF: number; colI: number; nC: number };
  mix32: { rowF: number; rowI: number; colF: number; colI: number };
  workBytes: number;
}
/** Either kind of complex128 plan (`Arena.plan` picks it by size). */
export type WasmPlan2 = WasmPow2Plan2 | WasmMixPlan2;

/** True when the complex128 wasm kernel takes an n-long side: n = 2^a·3^b·5^c·7^d·11^e·13^f. */
export function wasmFftSize(n: number): boolean {
  return smoothRadices(n) !== null;
}

/**
 * True when the complex64 wasm kernel takes h×w: both sides 2^a·3^b·5^c·7^d·11^e·13^f and the width even (two
 * complexes of a row per vector; power-of-two sides need w ≥ 2 too).
 */
export function wasmFft32Size(h: number, w: number): boolean {
  return wasmFftSize(h) && wasmFftSize(w) && w % 2 === 0;
}

/**
 * `p` as a power-of-two plan (the complex64 kernels with bit-reversed spectra and the fused ones); a
 * RangeError for a mixed-radix one.
 */
export function pow2Plan(p: WasmPlan2): WasmPow2Plan2 {
  if (p.mix !== null) throw new RangeError(`the wasm complex64 FFT keeps spectra in bit-reversed order and fuses products for power-of-two sizes only, got ${p.h}×${p.w}`);
  return p;
}

/**
 * The process's shared wasm memory, a first-fit allocator over it (main thread only), and this
 * thread's kernel instance and scratch area. Workers attach to the main thread's memory.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernel: FftExports;
  /** True on the thread that created the memory (the only one that may allocate). */
  readonly owner: boolean;
  private top: number;
  private readonly freeList: { at: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly plans = new Map<string, WasmPlan2>();
  private view: Float64Array;
  private scratchAt = 0;
  private scratchSize = 0;
  private workAt = 0;
  private workSize = 0;

  constructor(module: WebAssembly.Module, memory?: WebAssembly.Memory, scratch?: { at: number; size: number }) {
    this.owner = memory === undefined;
    this.memory = memory ?? new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    this.kernel = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as FftExports;
    this.top = align(Math.max(this.kernel.heapBase(), 1024), 64);
    this.view = this.refresh();
    if (scratch !== undefined) { this.scratchAt = scratch.at; this.scratchSize = scratch.size; }
  }

  /** Byte address of `bytes` fresh bytes (64-byte aligned, zeroed). Main thread only. */
  alloc(bytes: number): number {
    if (!this.owner) throw new Error('the FFT arena allocates on the main thread only');
    const size = align(Math.max(bytes, 64), 64);
    let at = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i];
      if (f.size >= size) {
        at = f.at;
        if (f.size === size) this.freeList.splice(i, 1); else { f.at += size; f.size -= size; }
        break;
      }
    }
    if (at < 0) {
      if (this.top + size > MAX_PAGES * PAGE) throw new RangeError(`FFT arena exhausted: cannot allocate ${size} bytes in 4 GiB of wasm memory`);
      at = this.top;
      this.top += size;
      const have = this.memory.buffer.byteLength;
      if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
    }
    this.sizes.set(at, size);
    new Uint8Array(this.memory.buffer, at, size).fill(0);
    return at;
  }

  /** Returns a block from `alloc` to the free list (adjacent free blocks are merged). */
  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) throw new Error(`FFT arena: no allocation at ${at}`);
    this.sizes.delete(at);
    const fl = this.freeList;
    let i = 0;
    while (i < fl.length && fl[i].at < at) i++;
    fl.splice(i, 0, { at, size });
    if (i + 1 < fl.length && at + size === fl[i + 1].at) { fl[i].size += fl[i + 1].size; fl.splice(i + 1, 1); }
    if (i > 0 && fl[i - 1].at + fl[i - 1].size === at) { fl[i - 1].size += fl[i].size; fl.splice(i, 1); }
    const last = fl[fl.length - 1];
    if (last !== undefined && last.at + last.size === this.top) { this.top = last.at; fl.pop(); }
  }

  /** A Float64Array over the whole memory as it is now (views made earlier stay valid but shorter). */
  refresh(): Float64Array {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    this.view = new Float64Array(buffer);
    return this.view;
  }

  /** Current full view, refreshed when `end` (bytes) lies past it. */
  f64(end: number): Float64Array {
    return end <= this.view.byteLength ? this.view : this.refresh();
  }

  /** True when `a` lies in this arena (so the kernel can work on it in place). */
  contains(a: Float32Array | Float64Array): boolean {
    return this.buffers.has(a.buffer) || (a.buffer === this.memory.buffer && (this.buffers.add(a.buffer), true));
  }

  /** Size of this thread's scratch area now. */
  get scratchBytes(): number { return this.scratchSize; }

  /** This thread's scratch area of at least `bytes` bytes. */
  scratch(bytes: number): number {
    if (bytes > this.scratchSize) {
      if (this.scratchSize > 0) this.release(this.scratchAt);
      this.scratchSize = align(bytes, 64);
      this.scratchAt = this.alloc(this.scratchSize);
    }
    return this.scratchAt;
  }

  /**
   * The mixed-radix kernel's work area of at least `bytes` bytes on this thread: a block of its own on
   * the main thread; in a worker, the end of the scratch block it was given (which streaming leaves free).
   */
  work(bytes: number): number {
    if (!this.owner) {
      if (bytes > this.scratchSize) throw new RangeError(`FFT scratch block of ${this.scratchSize} bytes is smaller than the ${bytes}-byte work area`);
      return this.scratchAt + this.scratchSize - bytes;
    }
    if (bytes > this.workSize) {
      if (this.workSize > 0) this.release(this.workAt);
      this.workSize = align(bytes, 64);
      this.workAt = this.alloc(this.workSize);
    }
    return this.workAt;
  }

  /**
   * Tables for h×w, built once per size: power-of-two sides get the radix-4/2 plan; sides whose prime
   * factors are 2, 3, 5, 7, 11 and 13 the mixed-radix one; any other size is a RangeError.
   */
  plan(h: number, w: number): WasmPlan2 {
    const key = `${h}x${w}`;
    let p = this.plans.get(key);
    if (p === undefined) {
      if (isPowerOfTwo(h) && isPowerOfTwo(w)) {
        const row = this.plan1(w);
        p = { h, w, row, col: h === w ? row : this.plan1(h), mix: null };
      } else {
        const rowF = this.mixStages(w, 1, false), rowI = this.mixStages(w, -1, false);
        const colF = h === w ? rowF : this.mixStages(h, 1, false), colI = h === w ? rowI : this.mixStages(h, -1, false);
        const rowF32 = this.mixStages(w, 1, true), rowI32 = this.mixStages(w, -1, true);
        const colF32 = h === w ? rowF32 : this.mixStages(h, 1, true), colI32 = h === w ? rowI32 : this.mixStages(h, -1, true);
        p = {
          h, w, mix: { rowF: rowF.at, rowI: rowI.at, nR: rowF.n, colF: colF.at, colI: colI.at, nC: colF.n },
          mix32: { rowF: rowF32.at, rowI: rowI32.at, colF: colF32.at, colI: colI32.at },
          workBytes: Math.max(16 * w * (h + 1), 8 * w * (h + 4)),
        };
        // The main thread's work area is set aside now, not on the first transform (which would grow
        // the memory under views a caller may hold).
        if (this.owner) this.work(p.workBytes);
      }
      this.plans.set(key, p);
    }
    return p;
  }

  /**
   * Stage descriptors and twiddles of the mixed-radix kernel for length n (`sign` +1 forward, −1
   * inverse), complex128 or (`f32`) complex64.
   */
  private mixStages(n: number, sign: number, f32: boolean): { at: number; n: number } {
    const radices = smoothRadices(n);
    if (radices === null) throw new RangeError(`the wasm FFT backend supports sizes whose prime factors are 2, 3, 5, 7, 11 and 13 only, got ${n}`);
    const desc = this.alloc(16 * Math.max(1, radices.length));
    let L = 1;
    for (let s = 0; s < radices.length; s++) {
      const p = radices[s], Lp = L * p;
      const tw = mixTwiddles(L, p, Lp, sign, f32 ? 2 : 1);
      const ct = p > 7 ? oddPrimeConstants(p, f32 ? 2 : 1) : new Float64Array(0);
      const bytes = f32 ? 4 : 8;
      const at = this.alloc(bytes * (tw.length + ct.length));
      const view = f32 ? new Float32Array(this.memory.buffer, at, tw.length + ct.length) : new Float64Array(this.memory.buffer, at, tw.length + ct.length);
      view.set(tw);
      view.set(ct, tw.length);
      new Int32Array(this.memory.buffer, desc + 16 * s, 4).set([p, L, at, ct.length > 0 ? at + bytes * tw.length : 0]);
      L = Lp;
    }
    return { at: desc, n: radices.length };
  }

  private plan1(n: number): WasmPlan1 {
    const f = makePow2Plan(n, 1), inv = makePow2Plan(n, -1);
    const tf = wasmTwiddles(f), ti = wasmTwiddles(inv);
    const swaps = this.alloc(4 * f.swaps.length), twF = this.alloc(8 * tf.length), twI = this.alloc(8 * ti.length);
    const put32 = (t: Float32Array): number => {
      const at = this.alloc(4 * t.length);
      new Float32Array(this.memory.buffer, at, t.length).set(t);
      return at;
    };
    const row32F = put32(wasmRowTwiddles32(f)), row32I = put32(wasmRowTwiddles32(inv));
    const col32F = put32(wasmColTwiddles32(f)), col32I = put32(wasmColTwiddles32(inv));
    const buffer = this.memory.buffer;
    new Int32Array(buffer, swaps, f.swaps.length).set(f.swaps);
    new Float64Array(buffer, twF, tf.length).set(tf);
    new Float64Array(buffer, twI, ti.length).set(ti);
    return { swaps, nsw: f.swaps.length / 2, twF, twI, r2: f.radix2First ? 1 : 0, row32F, row32I, col32F, col32I };
  }

  /** Runs the complex128 kernel on `count` images at byte address `at` (in place). */
  run(p: WasmPlan2, at: number, count: number, forward: boolean): void {
    if (p.mix !== null) {
      const m = p.mix;
      this.kernel.fft2mix(at, count, p.h, p.w, forward ? m.rowF : m.rowI, m.nR, forward ? m.colF : m.colI, m.nC,
        this.work(p.workBytes), forward ? 1 : -1, forward ? 1 : 1 / (p.h * p.w));
      return;
    }
    const { row: R, col: C } = p;
    this.kernel.fft2(at, count, p.h, p.w, R.swaps, R.nsw, forward ? R.twF : R.twI, R.r2,
      C.swaps, C.nsw, forward ? C.twF : C.twI, C.r2, forward ? 1 : -1, forward ? 1 : 1 / (p.h * p.w));
  }

  /**
   * Runs the complex64 kernel on `count` images at byte address `at` (in place; w even). With
   * `bitrev` (power-of-two plans only) the spectrum is in bit-reversed order on both axes: forward
   * leaves it so (no output permutation), inverse expects it so (no input permutation). With
   * `unscaled` the inverse leaves out its 1/(h·w) (a caller that folded it into an earlier product).
   */
  run32(p: WasmPlan2, at: number, count: number, forward: boolean, bitrev = false, unscaled = false): void {
    if (p.mix !== null) {
      if (bitrev) pow2Plan(p);
      if (p.w % 2 !== 0) throw new RangeError(`the wasm complex64 FFT needs an even width, got ${p.h}×${p.w}`);
      const m = p.mix, m32 = p.mix32;
      this.kernel.fft2mix_32(at, count, p.h, p.w, forward ? m32.rowF : m32.rowI, m.nR, forward ? m32.colF : m32.colI, m.nC,
        this.work(p.workBytes), forward ? 1 : -1, forward || unscaled ? 1 : 1 / (p.h * p.w));
      return;
    }
    const { row: R, col: C } = p;
    if (bitrev && forward) { this.kernel.fft2dif_32(at, count, p.h, p.w, R.row32F, R.r2, C.col32F, C.r2, 1); return; }
    this.kernel.fft2_32(at, count, p.h, p.w, R.swaps, bitrev ? 0 : R.nsw, forward ? R.row32F : R.row32I, R.r2,
      C.swaps, bitrev ? 0 : C.nsw, forward ? C.col32F : C.col32I, C.r2, forward ? 1 : -1, forward || unscaled ? 1 : 1 / (p.h * p.w));
  }

  /**
   * Bit-reversed complex64 spectra: dst = inverse FFT of src·(ey ⊗ ex) (ey: h complexes at `ramp`, ex:
   * w after them), fused row by row. Byte addresses; dst and src may be the same image.
   */
  ifftRamp32(p: WasmPlan2, dst: number, src: number, ramp: number): void {
    const { row: R, col: C } = pow2Plan(p);
    this.kernel.ifftRamp32(dst, src, ramp, p.h, p.w, R.swaps, R.row32I, R.r2, C.swaps, C.col32I, C.r2, 1 / (p.h * p.w));
  }

  /**
   * Bit-reversed complex64 spectra: dst = forward FFT of a·b (a's rows `aStride` bytes apart), fused row
   * by row; `count` images, dst and b advancing by dstStep and bStep bytes.
   */
  fftProduct32(p: WasmPlan2, dst: number, a: number, aStride: number, b: number, count = 1, dstStep = 0, bStep = 0): void {
    const { row: R, col: C } = pow2Plan(p);
    this.kernel.fftProductDif32(dst, a, aStride, b, p.h, p.w, R.row32F, R.r2, C.col32F, C.r2, count, dstStep, bStep);
  }

  /** Bit-reversed complex64 spectra: in-place inverse FFTs of `count` images `step` bytes apart, without the 1/(h·w). */
  ifftUnscaled32(p: WasmPlan2, at: number, count = 1, step = 0): void {
    const { row: R, col: C } = pow2Plan(p);
    this.kernel.ifft2_32Strided(at, step, count, p.h, p.w, R.swaps, R.row32I, R.r2, C.swaps, C.col32I, C.r2);
  }

  /** Copies `count` real float32 h×w images (byte addresses, distinct) into bit-reversed order on both axes. */
  bitrevReal32(dst: number, src: number, count: number, h: number, w: number): void {
    this.kernel.bitrevCopyReal32(dst, src, count, h, w);
  }
}

let mainArena: Arena | null | undefined;

/** The process's arena (created on first use), or null when the kernel is unavailable. */
export function getArena(): Arena | null {
  if (mainArena === undefined) {
    const m = fftWasmModule();
    mainArena = m === null ? null : new Arena(m);
  }
  return mainArena;
}

/** In a worker thread: attach to the main thread's memory (instead of creating a new arena). */
export function attachArena(memory: WebAssembly.Memory, scratch: { at: number; size: number }): Arena {
  const m = fftWasmModule();
  if (m === null) throw new Error(`the wasm FFT kernel is unavailable in this worker: ${fftWasmError()}`);
  mainArena = new Arena(m, memory, scratch);
  return mainArena;
}

/**
 * A zeroed Float64Array of n doubles backed by a SharedArrayBuffer: inside the wasm arena when the
 * kernel is available (FFTs on it then run in place, on several threads with createParallelFft2),
 * otherwise a fresh SharedArrayBuffer. Give arena arrays back with `freeShared` when done.
 */
export function allocShared(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`allocShared: n must be a non-negative integer, got ${n}`);
  const arena = getArena();
  if (arena === null) return new Float64Array(new SharedArrayBuffer(8 * n));
  const at = arena.alloc(8 * n);
  return new Float64Array(arena.f64(at + 8 * n).buffer, at, n);
}

/**
 * A zeroed Float32Array of n floats backed by a SharedArrayBuffer: inside the wasm arena when the
 * kernel is available (complex64 FFTs on it run in place), otherwise a fresh SharedArrayBuffer.
 * Give it back with `freeShared`.
 */
export function allocShared32(n: number): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`allocShared32: n must be a non-negative integer, got ${n}`);
  const arena = getArena();
  if (arena === null) return new Float32Array(new SharedArrayBuffer(4 * n));
  const at = arena.alloc(4 * n);
  return new Float32Array(arena.f64(at + 4 * n).buffer, at, n);
}

/** Returns an array from `allocShared` / `allocShared32` to the arena; the array must not be used afterwards. */
export function freeShared(a: Float32Array | Float64Array): void {
  const arena = getArena();
  if (arena !== null && arena.contains(a)) arena.release(a.byteOffset);
}

/** Default bytes of images streamed through the scratch area per kernel call (non-arena buffers). */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;

/** Single-thread wasm 2-D FFT. */
export class WasmFft2 {
  readonly h: number;
  readonly w: number;
  readonly backend = 'wasm' as const;
  /** Images per chunk when streaming a buffer that is not in the arena. */
  readonly chunk: number;
  private readonly arena: Arena;
  private readonly plan: WasmPlan2;

  constructor(h: number, w: number, opts: { chunkBytes?: number; arena?: Arena; plan?: WasmPlan2 } = {}) {
    if (!wasmFftSize(h) || !wasmFftSize(w)) {
      throw new RangeError(`the wasm FFT backend supports sizes whose prime factors are 2, 3, 5, 7, 11 and 13 only, got ${h}×${w} (use backend 'ts' or 'auto')`);
    }
    const arena = opts.arena ?? getArena();
    if (arena === null) throw new Error(`the wasm FFT backend is unavailable: ${fftWasmError()}`);
    this.arena = arena;
    this.h = h; this.w = w;
    this.plan = opts.plan ?? arena.plan(h, w);
    this.chunk = Math.max(1, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK_BYTES) / (16 * h * w)));
  }

  forward(buf: Float64Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float64Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float64Array, count: number, forward: boolean): void {
    const hw = this.h * this.w;
    checkBuffer(buf, count, hw);
    if (count === 0) return;
    const arena = this.arena;
    if (arena.contains(buf)) { arena.run(this.plan, buf.byteOffset, count, forward); return; }
    const per = 2 * hw;
    // A worker's arena cannot allocate: stream through the scratch block it was given (less the
    // mixed-radix work area at its end).
    const work = this.plan.mix !== null ? this.plan.workBytes : 0;
    const chunk = arena.owner ? this.chunk : Math.min(this.chunk, Math.floor((arena.scratchBytes - work) / (8 * per)));
    if (chunk < 1) throw new RangeError(`FFT scratch block of ${arena.scratchBytes} bytes is smaller than one ${this.h}×${this.w} image`);
    const at = arena.scratch(Math.min(chunk, count) * 8 * per);
    const mem = arena.f64(at + Math.min(chunk, count) * 8 * per);
    const d0 = at / 8;
    for (let b = 0; b < count; b += chunk) {
      const k = Math.min(chunk, count - b);
      const lo = b * per, hi = lo + k * per;
      mem.set(buf.subarray(lo, hi), d0);
      arena.run(this.plan, at, k, forward);
      buf.set(mem.subarray(d0, d0 + k * per), lo);
    }
  }
}

/**
 * Single-thread wasm 2-D FFT on interleaved complex64 (Float32Array): the f32x4 kernels, two
 * complexes per vector. Sides 2^a·3^b·5^c·7^d·11^e·13^f with an even width (powers of two: the radix-4/2 kernel;
 * others: the mixed-radix one). With `order: 'bitrev'` (powers of two only) the spectrum is kept in
 * bit-reversed order on both axes (row u at rev(u), column v at rev(v)): forward skips the output
 * permutation and inverse the input one — for callers that only multiply spectra pointwise by arrays
 * they can store in the same order (about a fifth faster per transform).
 */
export class WasmFft2F32 {
  readonly h: number;
  readonly w: number;
  readonly backend = 'wasm' as const;
  readonly precision = 'float32' as const;
  readonly order: 'natural' | 'bitrev';
  readonly chunk: number;
  private readonly arena: Arena;
  private readonly plan: WasmPlan2;

  constructor(h: number, w: number, opts: { chunkBytes?: number; arena?: Arena; plan?: WasmPlan2; order?: 'natural' | 'bitrev' } = {}) {
    if (!wasmFft32Size(h, w)) {
      throw new RangeError(`the wasm complex64 FFT supports sizes whose prime factors are 2, 3, 5, 7, 11 and 13 with an even width only, got ${h}×${w} (use backend 'ts' or 'auto')`);
    }
    const order = opts.order ?? 'natural';
    if (order === 'bitrev' && !(isPowerOfTwo(h) && isPowerOfTwo(w))) {
      throw new RangeError(`the wasm complex64 FFT keeps spectra in bit-reversed order for power-of-two sizes only, got ${h}×${w} (use order 'natural')`);
    }
    const arena = opts.arena ?? getArena();
    if (arena === null) throw new Error(`the wasm FFT backend is unavailable: ${fftWasmError()}`);
    this.arena = arena;
    this.h = h; this.w = w;
    this.plan = opts.plan ?? arena.plan(h, w);
    this.order = order;
    this.chunk = Math.max(1, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK_BYTES) / (8 * h * w)));
  }

  forward(buf: Float32Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float32Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float32Array, count: number, forward: boolean): void {
    const hw = this.h * this.w;
    checkBuffer(buf, count, hw);
    if (count === 0) return;
    const arena = this.arena;
    const bitrev = this.order === 'bitrev';
    if (arena.contains(buf)) { arena.run32(this.plan, buf.byteOffset, count, forward, bitrev); return; }
    const per = 2 * hw;
    // A worker streams through its scratch block less the mixed-radix work area at its end.
    const work = this.plan.mix !== null ? this.plan.workBytes : 0;
    const chunk = arena.owner ? this.chunk : Math.min(this.chunk, Math.floor((arena.scratchBytes - work) / (4 * per)));
    if (chunk < 1) throw new RangeError(`FFT scratch block of ${arena.scratchBytes} bytes is smaller than one ${this.h}×${this.w} image`);
    const at = arena.scratch(Math.min(chunk, count) * 4 * per);
    const mem = new Float32Array(arena.f64(at + Math.min(chunk, count) * 4 * per).buffer);
    const d0 = at / 4;
    for (let b = 0; b < count; b += chunk) {
      const k = Math.min(chunk, count - b);
      const lo = b * per, hi = lo + k * per;
      mem.set(buf.subarray(lo, hi), d0);
      arena.run32(this.plan, at, k, forward, bitrev);
      buf.set(mem.subarray(d0, d0 + k * per), lo);
    }
  }
}

function align(p: number, a: number): number {
  return Math.ceil(p / a) * a;
}

/**
 * complex64 column-pass twiddles: per stage, per k, each of w1, w2, w3 as (wr ×4), (−wi, wi, −wi, wi)
 * (splatted over the two complexes of a vector).
 */
function wasmColTwiddles32(p: Pow2Plan): Float32Array {
  let total = 0;
  for (const s of p.stages) total += 24 * s.L;
  const out = new Float32Array(total);
  let o = 0;
  for (const { L, tw } of p.stages) {
    for (let k = 0; k < L; k++) {
      for (let j = 0; j < 3; j++) {
        const re = tw[6 * k + 2 * j], im = tw[6 * k + 2 * j + 1];
        out.set([re, re, re, re, -im, im, -im, im], o);
        o += 8;
      }
    }
  }
  return out;
}

/**
 * complex64 row-pass twiddles: for each stage with L ≥ 2 (the kernel does an L = 1 stage by shuffles),
 * per pair k = 2j, 2j + 1, each of w1, w2, w3 as (wr_k, wr_k, wr_k+1, wr_k+1), (−wi_k, wi_k, −wi_k+1, wi_k+1).
 */
function wasmRowTwiddles32(p: Pow2Plan): Float32Array {
  let total = 0;
  for (const s of p.stages) if (s.L >= 2) total += 12 * s.L;
  const out = new Float32Array(Math.max(total, 4));
  let o = 0;
  for (const { L, tw } of p.stages) {
    if (L < 2) continue;
    for (let k = 0; k < L; k += 2) {
      for (let j = 0; j < 3; j++) {
        const r0 = tw[6 * k + 2 * j], i0 = tw[6 * k + 2 * j + 1];
        const r1 = tw[6 * (k + 1) + 2 * j], i1 = tw[6 * (k + 1) + 2 * j + 1];
        out.set([r0, r0, r1, r1, -i0, i0, -i1, i1], o);
        o += 8;
      }
    }
  }
  return out;
}

/**
 * Mixed-radix twiddles of one stage (radix p, L before it, Lp = L·p): per k < L, per c = 1 … p − 1,
 * w^{c·k} with w = e^{−2πi·sign/Lp} as (wr, wr, −wi, wi), each pair repeated `reps` times (2 for the
 * complex64 kernel: (wr ×4), (−wi, wi, −wi, wi)). The angle's numerator c·k is reduced mod Lp.
 */
function mixTwiddles(L: number, p: number, Lp: number, sign: number, reps: number): Float64Array {
  const out = new Float64Array(4 * reps * L * (p - 1));
  let o = 0;
  for (let k = 0; k < L; k++) {
    for (let c = 1; c < p; c++) {
      const a = (2 * Math.PI * ((c * k) % Lp)) / Lp;
      const re = Math.cos(a), im = -sign * Math.sin(a);
      for (let r = 0; r < reps; r++) { out[o++] = re; out[o++] = re; }
      for (let r = 0; r < reps; r++) { out[o++] = -im; out[o++] = im; }
    }
  }
  return out;
}

/**
 * The cos/sin table of the kernel's butterfly for an odd prime p > 7 (`radixOdd`): per m, per j
 * (1 … (p − 1)/2), cos(2πjm/p) and sin(2πjm/p), each in every lane (2·reps values apiece).
 */
function oddPrimeConstants(p: number, reps: number): Float64Array {
  const h = (p - 1) / 2;
  const out = new Float64Array(4 * reps * h * h);
  let o = 0;
  for (let m = 1; m <= h; m++) {
    for (let j = 1; j <= h; j++) {
      const a = (2 * Math.PI * ((j * m) % p)) / p;
      out.fill(Math.cos(a), o, o + 2 * reps); o += 2 * reps;
      out.fill(Math.sin(a), o, o + 2 * reps); o += 2 * reps;
    }
  }
  return out;
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

/**
 * The row stage of registration's upsampled DFT in the wasm kernel (assembly/fft.ts, `upsampledDftRows`):
 * T[ky][u] = Σ_k (kr[k][u] + i·ki[k][u]) · data[ky][k], data h×w interleaved complex, kr and ki [w][size];
 * returns T (h×size interleaved), the same values as the scalar loop. Null when the kernel is unavailable.
 */
export function upsampledDftRowsWasm(data: Float64Array, h: number, w: number, kr: Float64Array, ki: Float64Array, size: number): Float64Array | null {
  const arena = getArena();
  if (arena === null || !arena.owner) return null;
  const dBytes = 16 * h * w, kBytes = 8 * w * size, oBytes = 16 * h * size;
  const d = arena.alloc(dBytes), r = arena.alloc(kBytes), i = arena.alloc(kBytes), o = arena.alloc(oBytes);
  try {
    let view = arena.f64(Math.max(d + dBytes, r + kBytes, i + kBytes, o + oBytes));
    view.set(data.subarray(0, 2 * h * w), d / 8);
    view.set(kr.subarray(0, w * size), r / 8);
    view.set(ki.subarray(0, w * size), i / 8);
    arena.kernel.upsampledDftRows(d, h, w, r, i, size, o);
    view = arena.f64(o + oBytes);
    return view.slice(o / 8, o / 8 + 2 * h * size);
  } finally {
    arena.release(o); arena.release(i); arena.release(r); arena.release(d);
  }
}
