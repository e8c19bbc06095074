/**
 * FFT benchmark (`npm run bench -- fft`): a batch of 1000 complex128 images of 64×64 and 128×128,
 * forward only and forward + inverse, for
 *  - ts_1thread          pure TypeScript, plain Float64Array;
 *  - wasm_1thread        WASM SIMD kernel, plain Float64Array (streamed through wasm memory in chunks);
 *  - wasm_1thread_arena  WASM SIMD kernel in place on an `allocShared` array (no copies);
 *  - ts_2threads         pure TypeScript, calling thread + 1 worker, on a SharedArrayBuffer;
 *  - wasm_2threads_arena WASM SIMD kernel, calling thread + 1 worker, in place on an `allocShared` array;
 *  - c64_wasm_1thread_arena          complex64 (f32x4) kernel in place on an `allocShared32` array;
 *  - c64_wasm_1thread_arena_bitrev   the same, spectrum left in bit-reversed order (forward by
 *                                    decimation in frequency, inverse without its input permutation).
 * Sides 2^a·3^b·5^c (`96x96`, `192x192`: the mixed-radix kernels) are measured on wasm_1thread_arena,
 * wasm_2threads_arena and c64_wasm_1thread_arena with batches of 1000, and on ts_1thread (Bluestein) with batches of 100 (`batch` in
 * their entry); FFTW has no recorded figure for them (`vs_fftw_float` null).
 * Each figure is the median (and minimum) of several repetitions in ms per batch. `vs_fftw_float` is the
 * ratio to FFTW 3.3.10 float's time *as recorded in shared/spec/numerics.md* on this machine kind
 * (6.8 ms for 64² forward, 15.1 ms f+i; 39.5 ms for 128² forward, 84 ms f+i) — a ratio to that recorded
 * figure, not to an FFTW run made here. Other processes share the two cores, so medians vary; repeat
 * (`cpu_ms`, the process's CPU time per call, shows how much of a slow median is waiting for a core).
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { createFft2, createFft2F32, createParallelFft2, allocShared, allocShared32, freeShared, wasmAvailable, type Fft2, type Fft2F32 } from '../src/math/fft.js';
import { WasmFft2F32 } from '../src/math/fft-wasm.js';
import { Rng } from '../src/math/rng.js';

const BATCH = 1000;
const FFTW_FLOAT_MS: Record<number, { fwd: number; fwd_inv: number }> = {
  64: { fwd: 6.8, fwd_inv: 15.1 },
  128: { fwd: 39.5, fwd_inv: 84 },
};

interface Stat { median_ms: number; min_ms: number; reps: number; vs_fftw_float: number; cpu_ms: number }

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/**
 * Wall-clock median and minimum per call, and the median CPU time of the whole process per call
 * (all threads: about threads × wall on an idle machine). When other processes load the cores, the
 * wall time grows and the CPU time much less, so a large wall/CPU gap means a busy machine.
 */
function time(fn: () => void, reps: number, ref: number): Stat {
  fn(); // warm-up (JIT, page faults, worker start)
  const t: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
    const dc = process.cpuUsage(c0);
    c.push((dc.user + dc.system) / 1000);
  }
  const m = median(t);
  return { median_ms: +m.toFixed(2), min_ms: +Math.min(...t).toFixed(2), reps, vs_fftw_float: +(m / ref).toFixed(2), cpu_ms: +median(c).toFixed(2) };
}

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    batch: BATCH,
    dtype: 'complex128 (interleaved Float64Array); c64_*: complex64 (interleaved Float32Array)',
    fftw_float_reference_ms: FFTW_FLOAT_MS,
    note: 'vs_fftw_float = median / FFTW float time recorded in shared/spec/numerics.md (not measured here)',
    wasm_available: wasmAvailable(),
    loadavg_1min_before: +os.loadavg()[0].toFixed(2),
  };
  for (const n of [64, 128]) {
    const size = 2 * n * n * BATCH;
    const src = new Float64Array(size);
    const rng = new Rng(`fft-bench-${n}`);
    for (let i = 0; i < size; i++) src[i] = rng.normal();
    const plain = src.slice();
    const sab = new Float64Array(new SharedArrayBuffer(8 * size));
    sab.set(src);
    const arena = allocShared(size);
    arena.set(src);
    const reps = n === 64 ? 11 : 7;
    const ref = FFTW_FLOAT_MS[n];
    const res: Record<string, unknown> = {};
    const measure = (name: string, fft: Fft2 | Fft2F32, buf: Float64Array | Float32Array): void => {
      process.stderr.write(`bench fft: ${n}x${n} ${name}…\n`);
      res[name] = {
        fwd: time(() => (fft as Fft2).forward(buf as Float64Array, BATCH), reps, ref.fwd),
        fwd_inv: time(() => { (fft as Fft2).forward(buf as Float64Array, BATCH); (fft as Fft2).inverse(buf as Float64Array, BATCH); }, reps, ref.fwd_inv),
      };
    };
    measure('ts_1thread', createFft2(n, n, { backend: 'ts' }), plain);
    const ts2 = createParallelFft2(n, n, { threads: 2, backend: 'ts' });
    measure('ts_2threads', ts2, sab);
    ts2.close();
    if (wasmAvailable()) {
      const w1 = createFft2(n, n, { backend: 'wasm' });
      measure('wasm_1thread', w1, plain);
      measure('wasm_1thread_arena', w1, arena);
      const w2 = createParallelFft2(n, n, { threads: 2, backend: 'wasm' });
      measure('wasm_2threads_arena', w2, arena);
      w2.close();
      const arena32 = allocShared32(size);
      arena32.set(src);
      measure('c64_wasm_1thread_arena', createFft2F32(n, n, { backend: 'wasm' }), arena32);
      measure('c64_wasm_1thread_arena_bitrev', new WasmFft2F32(n, n, { order: 'bitrev' }), arena32);
      freeShared(arena32);
    }
    freeShared(arena);
    out[`${n}x${n}`] = res;
  }
  for (const n of [96, 192]) {
    const res: Record<string, unknown> = { batch: { ts_1thread: BATCH / 10, wasm: BATCH } };
    const size = 2 * n * n * BATCH;
    const rng = new Rng(`fft-bench-${n}`);
    const arena = allocShared(size);
    for (let i = 0; i < size; i++) arena[i] = rng.normal();
    const plain = arena.slice(0, size / 10);
    const measure = <B extends Float64Array | Float32Array>(name: string, fft: { forward(b: B, c: number): void; inverse(b: B, c: number): void }, buf: B,
      count: number, reps: number): void => {
      process.stderr.write(`bench fft: ${n}x${n} ${name}…\n`);
      res[name] = {
        fwd: time(() => fft.forward(buf, count), reps, NaN),
        fwd_inv: time(() => { fft.forward(buf, count); fft.inverse(buf, count); }, reps, NaN),
      };
    };
    measure('ts_1thread', createFft2(n, n, { backend: 'ts' }), plain, BATCH / 10, 3);
    if (wasmAvailable()) {
      measure('wasm_1thread_arena', createFft2(n, n, { backend: 'wasm' }), arena, BATCH, 7);
      const w2 = createParallelFft2(n, n, { threads: 2, backend: 'wasm' });
      measure('wasm_2threads_arena', w2, arena, BATCH, 7);
      w2.close();
      const arena32 = allocShared32(size);
      arena32.set(arena);
      measure('c64_wasm_1thread_arena', createFft2F32(n, n, { backend: 'wasm' }), arena32, BATCH, 7);
      freeShared(arena32);
    }
    freeShared(arena);
    out[`${n}x${n}`] = res;
  }
  out.loadavg_1min_after = +os.loadavg()[0].toFixed(2);
  return out;
}
