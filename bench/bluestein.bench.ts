/**
 * Sides the power-of-two kernel does not take (`npm run bench -- bluestein`), CPU µs per 2-D transform, one thread:
 *  - `smooth`: sides with a prime factor 7, 11 or 13 (56², 88², 104², 112², 224²), forward and inverse, on the TypeScript
 *    Bluestein path (`createFft2(n, n, { backend: 'ts' })`, what 'auto' ran before the mixed-radix kernel) on a plain
 *    array, and on the mixed-radix kernels in the arena: complex128 (`createFft2`, 'wasm') and complex64
 *    (`createFft2F32`, 'wasm'); batches of about 2·10⁶ pixels (2·10⁵ for Bluestein), the least of 30 (7 for Bluestein);
 *  - `prime`: sides with a prime factor above 13 (17², 97², 994² = (2·7·71)², 1958² = (2·11·89)²), forward and inverse, on
 *    a plain `Float64Array` (as FRC passes it): the TypeScript Bluestein path (`'ts'`) and Bluestein on the wasm kernel
 *    (`'auto'`, backend `wasm-bluestein`); batches of about 2·10⁵ pixels (one image at 994² and 1958²), the least of
 *    7 (3 at 994², 2 at 1958²).
 * Each entry: `min_us` (the least CPU time per transform, the figure docs/fft.md quotes) and `median_us`. The
 * process's CPU time (`process.cpuUsage`) counts what this thread ran, not the time it waited for a core.
 */
import { loadavg } from 'node:os';
import { allocShared, allocShared32, createFft2, createFft2F32, freeShared, wasmAvailable } from '../src/math/fft.js';
import { Rng } from '../src/math/rng.js';

interface Stat { min_us: number; median_us: number; reps: number; batch: number }

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

/**
 * CPU µs per forward and per inverse transform of a plan on `batch` images, forward and inverse in turn (so the
 * data keep their scale), after one pair that is not counted.
 */
function cpuPerTransform<B extends Float64Array | Float32Array>(fft: { forward(b: B, c: number): void; inverse(b: B, c: number): void }, buf: B,
  batch: number, reps: number): { forward: Stat; inverse: Stat } {
  fft.forward(buf, batch);
  fft.inverse(buf, batch);
  const fw: number[] = [], inv: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const [dir, times] of [['forward', fw], ['inverse', inv]] as const) {
      const c0 = process.cpuUsage();
      fft[dir](buf, batch);
      const c = process.cpuUsage(c0);
      times.push((c.user + c.system) / batch);
    }
  }
  const round = (x: number): number => +x.toPrecision(4);
  const stat = (t: number[]): Stat => ({ min_us: round(Math.min(...t)), median_us: round(median(t)), reps, batch });
  return { forward: stat(fw), inverse: stat(inv) };
}

function randomImages(n: number, count: number, label: string): Float64Array {
  const rng = new Rng(`bluestein-bench-${label}-${n}`);
  const a = new Float64Array(2 * n * n * count);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { load_average_1min_before: +loadavg()[0]!.toFixed(2), wasm_available: wasmAvailable() };
  const smooth: Record<string, unknown> = {};
  for (const n of [56, 88, 104, 112, 224]) {
    process.stderr.write(`bench bluestein: ${n}x${n} (7, 11 or 13)…\n`);
    const res: Record<string, unknown> = {};
    const small = Math.max(1, Math.round(2e5 / (n * n)));
    const plain = randomImages(n, small, 'ts');
    const ts = createFft2(n, n, { backend: 'ts' });
    res.bluestein_ts = cpuPerTransform(ts, plain, small, 7);
    if (wasmAvailable()) {
      const count = Math.max(1, Math.round(2e6 / (n * n)));
      const arena = allocShared(2 * n * n * count);
      arena.set(randomImages(n, count, 'c128'));
      const k128 = createFft2(n, n, { backend: 'wasm' });
      res.complex128 = cpuPerTransform(k128, arena, count, 30);
      const arena32 = allocShared32(2 * n * n * count);
      arena32.set(arena);
      const k64 = createFft2F32(n, n, { backend: 'wasm' });
      res.complex64 = cpuPerTransform(k64, arena32, count, 30);
      freeShared(arena32);
      freeShared(arena);
    }
    smooth[`${n}x${n}`] = res;
  }
  out.smooth = smooth;
  const prime: Record<string, unknown> = {};
  for (const [n, reps] of [[17, 7], [97, 7], [994, 3], [1958, 2]] as const) {
    process.stderr.write(`bench bluestein: ${n}x${n} (a prime factor above 13)…\n`);
    const count = Math.max(1, Math.round(2e5 / (n * n)));
    const plain = randomImages(n, count, 'prime');
    const res: Record<string, unknown> = {};
    for (const backend of ['ts', 'auto'] as const) {
      const fft = createFft2(n, n, { backend });
      res[backend === 'ts' ? 'bluestein_ts' : fft.backend] = cpuPerTransform(fft, plain, count, reps);
    }
    prime[`${n}x${n}`] = res;
  }
  out.prime = prime;
  out.load_average_1min_after = +loadavg()[0]!.toFixed(2);
  return out;
}
