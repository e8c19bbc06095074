/**
 * CXI reader benchmark: reading a 1 GiB diffraction stack.
 *
 * Writes (with h5wasm, into a temporary directory that is deleted afterwards) a CXI file whose
 * entry_1/data_1/data is uint32 [4096, 256, 256] = 1 GiB, chunked one frame per chunk (as detectors
 * write), uncompressed, plus positions, energy, distance and pixel sizes; then reads it with
 * `readCxi` in a fresh child process and reports the wall and CPU time, the throughput, and the peak
 * memory: `process.resourceUsage().maxRSS` minus the RSS before reading, and `/usr/bin/time -v`'s
 * maximum resident set size when that tool exists. The output (float32 amplitudes) is itself 1 GiB,
 * so a reader that holds one extra copy would show ≈ 2 GiB. `floor_allocate_and_fill_output` is what merely
 * allocating and writing a float32 array of the output's size costs in a fresh process (first-touch
 * page faults dominate on virtual machines): the floor of any reader.
 *
 * CXI_BENCH_FRAMES sets the number of 256 × 256 frames (default 4096; 0 skips the bench);
 * CXI_BENCH_GZIP=1 also measures a gzip-compressed (level 1) copy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCxi } from '../src/data/cxi.js';

const self = fileURLToPath(import.meta.url);
const MB = 1e6;

/** Child mode: read one CXI file and print time and memory figures as JSON. */
async function readChild(file: string): Promise<void> {
  const before = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const m = await readCxi(file, { maxDatasetBytes: 8 * 1024 ** 3 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  let check = 0;
  for (let i = 0; i < m.diffraction.length; i += 65537) check += m.diffraction[i]!;
  process.stdout.write(JSON.stringify({
    bytes: m.diffraction.byteLength, n: m.n, rss_before: before, max_rss: maxRss, ms,
    cpu_s: (cpu.user + cpu.system) / 1e6, cpu_system_s: cpu.system / 1e6, check,
  }) + '\n');
}

/** Child mode: the floor any reader pays — allocate and fill a float32 array of the output's size. */
function touchChild(bytes: number): void {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const a = new Float32Array(bytes / 4);
  for (let i = 0; i < a.length; i++) a[i] = Math.sqrt(i & 1023);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ms, cpu_s: (cpu.user + cpu.system) / 1e6, cpu_system_s: cpu.system / 1e6, check: a[12345] }) + '\n');
}

/** Writes the CXI file with h5wasm, a slab of frames at a time. */
async function writeCxi(path: string, frames: number, N: number, gzip: boolean): Promise<number> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const t0 = Date.now();
  const f = new h5wasm.File(path, 'w');
  try {
    for (const g of ['entry_1', 'entry_1/data_1', 'entry_1/sample_1', 'entry_1/sample_1/geometry_1', 'entry_1/instrument_1',
      'entry_1/instrument_1/source_1', 'entry_1/instrument_1/detector_1']) f.create_group(g);
    const slab = 64;
    const buf = new Uint32Array(slab * N * N);
    const d = f.create_dataset({
      name: 'entry_1/data_1/data', data: new Uint32Array(N * N), shape: [1, N, N], dtype: '<I', maxshape: [null, N, N], chunks: [1, N, N],
      ...(gzip ? { compression: 'gzip' as const, compression_opts: 1 } : {}),
    });
    d.resize([frames, N, N]);
    for (let s = 0; s < frames; s += slab) {
      const k = Math.min(slab, frames - s);
      // Counts falling off from the centre, different in every frame (cheap, deterministic).
      for (let j = 0; j < k; j++) {
        for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
          const r2 = (y - N / 2) ** 2 + (x - N / 2) ** 2;
          buf[(j * N + y) * N + x] = (Math.floor(5000 / (1 + r2 / 64)) + ((s + j) * 7 + x * 3 + y) % 5) >>> 0;
        }
      }
      d.write_slice([[s, s + k]], k === slab ? buf : buf.subarray(0, k * N * N));
    }
    const t = new Float64Array(3 * frames);
    for (let i = 0; i < frames; i++) { t[3 * i] = (i % 64) * 1e-7; t[3 * i + 1] = Math.floor(i / 64) * 1e-7; }
    f.create_dataset({ name: 'entry_1/sample_1/geometry_1/translation', data: t, shape: [frames, 3], dtype: '<d' });
    f.create_dataset({ name: 'entry_1/instrument_1/source_1/energy', data: 1.2817e-15, dtype: '<d' });
    f.create_dataset({ name: 'entry_1/instrument_1/detector_1/distance', data: 2, dtype: '<d' });
    f.create_dataset({ name: 'entry_1/instrument_1/detector_1/x_pixel_size', data: 75e-6, dtype: '<d' });
    f.create_dataset({ name: 'entry_1/instrument_1/detector_1/y_pixel_size', data: 75e-6, dtype: '<d' });
  } finally {
    f.close();
  }
  return Date.now() - t0;
}

export async function run(): Promise<Record<string, unknown>> {
  const frames = Number(process.env.CXI_BENCH_FRAMES ?? 4096);
  if (!(frames > 0)) return { skipped: 'CXI_BENCH_FRAMES=0' };
  const N = 256;
  const dir = mkdtempSync(join(tmpdir(), 'cxi-bench-'));
  const out: Record<string, unknown> = { stack: `uint32 [${frames}, ${N}, ${N}], one frame per chunk`, load_average_1m_before: os.loadavg()[0] };
  try {
    const variants: [string, boolean][] = [['uncompressed', false]];
    if (process.env.CXI_BENCH_GZIP === '1') variants.push(['gzip1', true]);
    const useTime = existsSync('/usr/bin/time');
    for (const [name, gzip] of variants) {
      const file = join(dir, `${name}.cxi`);
      const writeMs = await writeCxi(file, frames, N, gzip);
      const args = [self, '--read-child', file];
      const r = useTime
        ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8' })
        : spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (r.status !== 0) { out[name] = { error: r.stderr.trim().split('\n').slice(-3).join(' | ') }; continue; }
      const c = JSON.parse(r.stdout.trim()) as { bytes: number; n: number; rss_before: number; max_rss: number; ms: number; cpu_s: number; cpu_system_s: number };
      const timeV = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
      out[name] = {
        file_mb: Math.round(statSync(file).size / MB), write_ms_h5wasm: writeMs,
        read_ms: Math.round(c.ms), read_cpu_s: Math.round(c.cpu_s * 100) / 100, read_cpu_system_s: Math.round(c.cpu_system_s * 100) / 100,
        read_mb_per_s: Math.round((statSync(file).size / MB) / (c.ms / 1000)),
        output_mb: Math.round(c.bytes / MB),
        peak_extra_mb: Math.round((c.max_rss - c.rss_before) / MB),
        peak_extra_over_output: Math.round(((c.max_rss - c.rss_before) / c.bytes) * 100) / 100,
        ...(timeV ? { time_v_max_rss_mb: Math.round((Number(timeV[1]) * 1024) / MB) } : {}),
      };
      rmSync(file, { force: true });
    }
    const t = spawnSync(process.execPath, [self, '--touch-child', String(frames * N * N * 4)], { encoding: 'utf8' });
    if (t.status === 0) {
      const c = JSON.parse(t.stdout.trim()) as { ms: number; cpu_s: number; cpu_system_s: number };
      out.floor_allocate_and_fill_output = { ms: Math.round(c.ms), cpu_s: Math.round(c.cpu_s * 100) / 100, cpu_system_s: Math.round(c.cpu_system_s * 100) / 100 };
    }
    out.load_average_1m_after = os.loadavg()[0];
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--read-child') await readChild(process.argv[3]!);
if (process.argv[2] === '--touch-child') touchChild(Number(process.argv[3]));
