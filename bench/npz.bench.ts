/**
 * NPZ codec benchmark.
 *
 * 1. Load and save time of a 1000 × 64 × 64 dataset: float32 `diffraction` (Poisson amplitudes, many
 *    zeros, like simulated data) and complex64 `Y` patches of the same shape, plus object, probe and
 *    coordinates — stored (np.savez) and compressed (np.savez_compressed, zlib level 6), loading
 *    everything and loading `diffraction` alone. Median of `reps` runs.
 * 2. Peak memory of loading one 10 000 × 128 × 128 float32 `diffraction` member (655 MB), stored and
 *    compressed, each in a fresh child process: `process.resourceUsage().maxRSS` minus the RSS just before
 *    loading, and `/usr/bin/time -v`'s maximum resident set size when that tool exists.
 *    NPZ_BENCH_PEAK_N sets the number of patterns (default 10000; 0 skips this part).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NpzReader, loadNpz, saveNpz } from '../src/npy/npz.js';
import type { NdArray } from '../src/npy/types.js';

const self = fileURLToPath(import.meta.url);

/** xorshift32, so that the data (and its compressibility) are the same every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Amplitudes sqrt(Poisson(λ)) with λ falling off from the centre, divided by a scale: mostly small counts and zeros. */
function diffraction(n: number, N: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * N * N);
  const lam = new Float64Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    const d2 = ((y - N / 2) ** 2 + (x - N / 2) ** 2) / (N * N / 16);
    lam[y * N + x] = 200 * Math.exp(-d2) + 0.05;
  }
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < N * N; p++) {
      // Poisson by inversion for small λ, normal approximation above 30
      const l = lam[p]!;
      let c: number;
      if (l < 30) {
        let t = Math.exp(-l), s = t, u = r();
        c = 0;
        while (u > s && c < 200) { c++; t *= l / c; s += t; }
      } else {
        c = Math.max(0, Math.round(l + Math.sqrt(l) * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r())));
      }
      out[k * N * N + p] = Math.sqrt(c) / 31.6;
    }
  }
  return out;
}

function complexField(count: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const a = 0.5 + 0.5 * r(), ph = 2 * Math.PI * r();
    out[2 * i] = a * Math.cos(ph);
    out[2 * i + 1] = a * Math.sin(ph);
  }
  return out;
}

function dataset(n: number, N: number): Record<string, NdArray> {
  const xs = Float64Array.from({ length: n }, (_, i) => 40 + (i % 32) * 6.5);
  const ys = Float64Array.from({ length: n }, (_, i) => 40 + Math.floor(i / 32) * 6.5);
  return {
    diffraction: { dtype: '<f4', shape: [n, N, N], data: diffraction(n, N, 1) },
    Y: { dtype: '<c8', shape: [n, N, N], data: complexField(n * N * N, 2) },
    objectGuess: { dtype: '<c8', shape: [256, 256], data: complexField(256 * 256, 3) },
    probeGuess: { dtype: '<c8', shape: [N, N], data: complexField(N * N, 4) },
    xcoords: { dtype: '<f8', shape: [n], data: xs },
    ycoords: { dtype: '<f8', shape: [n], data: ys },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(fn: () => void, reps: number): number {
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Math.round(median(t) * 10) / 10;
}

const MB = 1e6;

/** Child mode: load one key of one file and print memory figures as JSON. */
function peakChild(file: string, key: string): void {
  const before = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const r = NpzReader.open(file);
  const a = r.get(key);
  r.close();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const bytes = (a.data as Float32Array).byteLength;
  process.stdout.write(JSON.stringify({ bytes, rss_before: before, max_rss: maxRss, ms }) + '\n');
}

function peak(n: number, dir: string): Record<string, unknown> {
  const N = 128;
  const member: NdArray = { dtype: '<f4', shape: [n, N, N], data: diffraction(n, N, 5) };
  const out: Record<string, unknown> = { shape: member.shape, member_mb: Math.round((member.data as Float32Array).byteLength / MB) };
  const files: Array<[string, boolean]> = [['stored', false], ['compressed', true]];
  for (const [name, compress] of files) {
    const p = join(dir, `peak-${name}.npz`);
    const t0 = Date.now();
    saveNpz(p, { diffraction: member }, { compress });
    out[`${name}_save_ms`] = Date.now() - t0;
    out[`${name}_file_mb`] = Math.round(statSync(p).size / MB);
  }
  (member as { data: unknown }).data = null; // let the parent's copy go before the children run
  const useTime = existsSync('/usr/bin/time');
  for (const [label] of files) {
    const args = [self, '--peak-child', join(dir, `peak-${label}.npz`), 'diffraction'];
    const r = useTime
      ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8' })
      : spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) { out[label] = { error: r.stderr.trim().split('\n').slice(-3).join(' | ') }; continue; }
    const c = JSON.parse(r.stdout.trim()) as { bytes: number; rss_before: number; max_rss: number; ms: number };
    const timeV = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    out[label] = {
      load_ms: Math.round(c.ms),
      peak_extra_mb: Math.round((c.max_rss - c.rss_before) / MB),
      peak_extra_over_member: Math.round(((c.max_rss - c.rss_before) / c.bytes) * 100) / 100,
      ...(timeV ? { time_v_max_rss_mb: Math.round((Number(timeV[1]) * 1024) / MB) } : {}),
    };
  }
  return out;
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'npz-bench-'));
  try {
    const n = 1000, N = 64, reps = 3;
    const ds = dataset(n, N);
    const result: Record<string, unknown> = { dataset: `diffraction f4 [${n},${N},${N}] + Y c8 [${n},${N},${N}] + objectGuess c8 [256,256] + probe + coords`, reps };
    for (const [name, compress] of [['stored', false], ['compressed', true]] as const) {
      const p = join(dir, `${name}.npz`);
      const save = timeMs(() => saveNpz(p, ds, { compress }), reps);
      const load = timeMs(() => loadNpz(p), reps);
      const loadDiff = timeMs(() => loadNpz(p, ['diffraction']), reps);
      const r = NpzReader.open(p);
      const diffStored = r.member('diffraction').compressedSize;
      r.close();
      result[name] = {
        save_ms: save, load_all_ms: load, load_diffraction_only_ms: loadDiff,
        file_mb: Math.round(statSync(p).size / MB * 10) / 10, diffraction_stored_mb: Math.round(diffStored / MB * 10) / 10,
      };
    }
    const peakN = Number(process.env.NPZ_BENCH_PEAK_N ?? 10000);
    if (peakN > 0) result.peak_memory = peak(peakN, dir);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--peak-child') peakChild(process.argv[3]!, process.argv[4]!);
