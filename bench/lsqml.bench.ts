/**
 * LSQML engine benchmark (`npm run bench -- lsqml`): seconds per update epoch on
 *  - the reference problem of DESIGN.md: 1024 positions on a jittered raster, 64×64 probe, 256×256
 *    object, one mode, batch 96, Gaussian — float32 and float64, 1 and 2 threads (pty-chi on this
 *    2-core CPU: 0.41 s/epoch; target ≤ 0.25 × that = 0.10 s on 2 threads);
 *  - the same problem with the Poisson noise model, and with 3 incoherent probe modes (float32,
 *    2 threads; target: within 1.5× of the Gaussian one-mode epoch);
 *  - a fly64-sized job: 5000 random positions of 128×128 on a 464×464 object, batch 96 — float32 on
 *    1 thread (how the study runs it: two jobs at once, one thread each) and on 2 threads, float64 on
 *    2 threads;
 * and each scenario's peak resident memory. Every scenario runs in its own child process, so the
 * peak RSS (process.resourceUsage().maxRSS) is that scenario's alone.
 *
 * The ratios to the Gaussian one-mode epoch (Poisson, 3 modes; 1 and 2 threads) come from paired
 * runs: one child process holds the one-mode, Poisson and 3-mode engines of the reference problem
 * and runs their update epochs interleaved (one epoch of each in turn, PAIRED_EPOCHS of each), so
 * that every epoch of one has epochs of the others next to it; the ratio divides the medians of
 * their epochs (wall, and CPU of all threads). On this shared machine the speed of a whole process
 * moves by tens of per cent from one run to the next, and within a run (other work, the host), so a
 * ratio of two children would be a ratio of two draws. PAIRED_ROUNDS such children per thread count;
 * the ratio printed is the median over them (`…_rounds` lists them).
 *
 * Epoch 0 (pty-chi's probe-rescaling dry run) is reported separately; `s_per_epoch_median` /
 * `s_per_epoch_min` are over the update epochs' wall times; `cpu_s_per_epoch_median` is the CPU time
 * of all threads of the process per update epoch. The machine is shared: wall times move with the
 * load average (printed at the start and end of each scenario); CPU seconds move much less.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { LsqmlEngine } from '../src/engine/lsqml.js';
import { addProbeModes } from '../src/engine/probe-modes.js';
import { syntheticProblem } from '../src/engine/synthetic.js';
import { cpuSecondsSince } from './cpu-time.js';

interface Scenario {
  name: string; size: number; height: number; width: number; positions: number; random: boolean; epochs: number; threads: number;
  precision: 'float32' | 'float64'; noise: 'gaussian' | 'poisson'; modes: number;
}

const ref = { size: 64, height: 256, width: 256, positions: 1024, random: false, epochs: 12, noise: 'gaussian', modes: 1 } as const;
const fly = { size: 128, height: 464, width: 464, positions: 5000, random: true, epochs: 3, noise: 'gaussian', modes: 1 } as const;
const SCENARIOS: Scenario[] = [
  { ...ref, name: 'reference_float32_1thread', threads: 1, precision: 'float32' },
  { ...ref, name: 'reference_float32_2threads', threads: 2, precision: 'float32' },
  { ...ref, name: 'reference_float64_1thread', threads: 1, precision: 'float64' },
  { ...ref, name: 'reference_float64_2threads', threads: 2, precision: 'float64' },
  { ...ref, name: 'poisson_float32_2threads', threads: 2, precision: 'float32', noise: 'poisson' },
  { ...ref, name: 'modes3_float32_2threads', threads: 2, precision: 'float32', modes: 3 },
  { ...ref, name: 'poisson_float32_1thread', threads: 1, precision: 'float32', noise: 'poisson' },
  { ...ref, name: 'modes3_float32_1thread', threads: 1, precision: 'float32', modes: 3 },
  { ...fly, name: 'fly64_5000x128_float32_1thread', threads: 1, precision: 'float32' },
  { ...fly, name: 'fly64_5000x128_float32_2threads', threads: 2, precision: 'float32' },
  { ...fly, name: 'fly64_5000x128_float64_2threads', threads: 2, precision: 'float64' },
];

const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const load = (): number => +os.loadavg()[0]!.toFixed(2);

async function child(name: string): Promise<Record<string, unknown>> {
  const s = SCENARIOS.find((x) => x.name === name)!;
  const load0 = load();
  const t0 = performance.now();
  const prob = syntheticProblem({ size: s.size, height: s.height, width: s.width, positions: s.positions, random: s.random,
    photons: 1e6, poisson: true, seed: 5, float32: true });
  let input = prob.input;
  if (s.modes > 1) input = { ...input, probe: { modes: s.modes, size: s.size, data: addProbeModes(Float64Array.from(prob.input.probe.data), s.size, s.modes) } };
  const simSeconds = (performance.now() - t0) / 1000;
  // As ptychostudy lsqml: the intensities are the run's own, so the engine may reorder them once.
  const engine = await LsqmlEngine.create({ ...input, reorderIntensities: true }, { epochs: s.epochs, batchSize: 96, threads: s.threads, seed: 1, noiseModel: s.noise, precision: s.precision });
  try {
    const cpu: number[] = [];
    for (let e = 0; e < s.epochs; e++) {
      const c0 = process.cpuUsage();
      engine.runEpoch(e);
      cpu.push(cpuSecondsSince(c0));
    }
    const upd = engine.epochSeconds.slice(1);
    return {
      positions: s.positions, probe: `${s.size}x${s.size}`, object: `${s.height}x${s.width}`, batch: 96, modes: s.modes, noise_model: s.noise,
      threads: s.threads, precision: engine.precision, fft_backend: engine.fftBackend, wasm_kernels: engine.wasmKernels,
      epoch0_rescale_s: +engine.epochSeconds[0]!.toFixed(4),
      s_per_epoch_median: +median(upd).toFixed(4),
      s_per_epoch_min: +Math.min(...upd).toFixed(4),
      s_per_epoch_all: upd.map((x) => +x.toFixed(4)),
      cpu_s_per_epoch_median: +median(cpu.slice(1)).toFixed(4),
      load_average_1min: [load0, load()],
      loss_first_last: [engine.lossHistory[0], engine.lossHistory[engine.lossHistory.length - 1]],
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      simulate_s: +simSeconds.toFixed(2),
    };
  } finally {
    await engine.close();
  }
}

/** Paired children per thread count, and update epochs of each engine in one (see the module comment). */
const PAIRED_ROUNDS = 3;
const PAIRED_EPOCHS = 21;

/**
 * One paired child: the reference problem's Gaussian one-mode, Poisson and 3-mode engines (float32,
 * `threads` threads), their update epochs interleaved; medians of each one's epochs and their ratios.
 */
async function pairedChild(threads: number): Promise<Record<string, unknown>> {
  const prob = syntheticProblem({ size: ref.size, height: ref.height, width: ref.width, positions: ref.positions, random: ref.random,
    photons: 1e6, poisson: true, seed: 5, float32: true });
  const kinds = [
    { key: 'gaussian', noise: 'gaussian', modes: 1 }, { key: 'poisson', noise: 'poisson', modes: 1 }, { key: 'modes3', noise: 'gaussian', modes: 3 },
  ] as const;
  const engines: { key: string; engine: LsqmlEngine; wall: number[]; cpu: number[] }[] = [];
  try {
    for (const k of kinds) {
      let input = prob.input;
      if (k.modes > 1) input = { ...input, probe: { modes: k.modes, size: ref.size, data: addProbeModes(Float64Array.from(prob.input.probe.data), ref.size, k.modes) } };
      const engine = await LsqmlEngine.create({ ...input, reorderIntensities: true },
        { epochs: PAIRED_EPOCHS + 1, batchSize: 96, threads, seed: 1, noiseModel: k.noise, precision: 'float32' });
      engines.push({ key: k.key, engine, wall: [], cpu: [] });
    }
    const load0 = load();
    for (let e = 0; e <= PAIRED_EPOCHS; e++) {
      for (const x of engines) {
        const c0 = process.cpuUsage(), t0 = performance.now();
        x.engine.runEpoch(e);
        const wall = (performance.now() - t0) / 1000, cpu = cpuSecondsSince(c0);
        if (e > 0) { x.wall.push(wall); x.cpu.push(cpu); }
      }
    }
    const out: Record<string, unknown> = { threads, update_epochs_each: PAIRED_EPOCHS, load_average_1min: [load0, load()] };
    const g = engines[0]!;
    for (const x of engines) {
      out[`${x.key}_s_per_epoch_median`] = +median(x.wall).toFixed(4);
      out[`${x.key}_cpu_s_per_epoch_median`] = +median(x.cpu).toFixed(4);
      if (x !== g) {
        out[`${x.key}_vs_gaussian_wall`] = +(median(x.wall) / median(g.wall)).toFixed(3);
        out[`${x.key}_vs_gaussian_cpu`] = +(median(x.cpu) / median(g.cpu)).toFixed(3);
      }
    }
    return out;
  } finally {
    for (const x of engines) await x.engine.close();
  }
}

type Result = Record<string, number>;

function runChild(self: string, ...args: string[]): Result | { error: string } {
  const r = spawnSync(process.execPath, [self, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
}

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ptychi_reference_s_per_epoch: 0.41, target_reference_s_per_epoch_2threads: 0.1 };
  const self = fileURLToPath(import.meta.url);
  const res: Record<string, Result> = {};
  for (const s of SCENARIOS) {
    process.stderr.write(`bench lsqml: ${s.name}…\n`);
    const r = runChild(self, '--child', s.name);
    out[s.name] = r;
    if (!('error' in r)) res[s.name] = r;
  }
  // Ratios to the Gaussian one-mode epoch from paired children (module comment): median over rounds.
  const ratios: Record<string, unknown> = {};
  for (const threads of [1, 2]) {
    const paired: Result[] = [];
    for (let round = 0; round < PAIRED_ROUNDS; round++) {
      process.stderr.write(`bench lsqml: one mode, Poisson and 3 modes interleaved, ${threads} thread(s) (round ${round + 1} of ${PAIRED_ROUNDS})…\n`);
      const r = runChild(self, '--paired', String(threads));
      if ('error' in r) { ratios[`paired_${threads}thread_error`] = r.error; continue; }
      paired.push(r);
    }
    out[`paired_${threads}thread${threads === 1 ? '' : 's'}`] = paired;
    for (const kind of ['poisson', 'modes3']) {
      const of = (k: string): number[] => paired.map((r) => r[`${kind}_vs_gaussian_${k}`]!).filter((x) => typeof x === 'number');
      const wall = of('wall'), cpu = of('cpu');
      ratios[`${kind}_vs_gaussian_${threads}thread${threads === 1 ? '' : 's'}`] = {
        wall: wall.length ? +median(wall).toFixed(2) : null, cpu: cpu.length ? +median(cpu).toFixed(2) : null, wall_rounds: wall, cpu_rounds: cpu,
      };
    }
  }
  const ratio = (a: string, b: string, k: string): number | null => (res[a]?.[k] && res[b]?.[k] ? +(res[a]![k]! / res[b]![k]!).toFixed(2) : null);
  out.ratios = {
    ...ratios,
    float64_vs_float32_reference_1thread: { wall: ratio('reference_float64_1thread', 'reference_float32_1thread', 's_per_epoch_median'), cpu: ratio('reference_float64_1thread', 'reference_float32_1thread', 'cpu_s_per_epoch_median') },
    float64_vs_float32_fly64_2threads: { wall: ratio('fly64_5000x128_float64_2threads', 'fly64_5000x128_float32_2threads', 's_per_epoch_median'), cpu: ratio('fly64_5000x128_float64_2threads', 'fly64_5000x128_float32_2threads', 'cpu_s_per_epoch_median') },
    reference_float32_2threads_vs_ptychi: res.reference_float32_2threads?.s_per_epoch_median
      ? +(res.reference_float32_2threads.s_per_epoch_median / 0.41).toFixed(3) : null,
  };
  return out;
}

if (process.argv[2] === '--child' || process.argv[2] === '--paired') {
  const res = process.argv[2] === '--child' ? await child(process.argv[3]!) : await pairedChild(Number(process.argv[3]));
  process.stdout.write(JSON.stringify(res) + '\n');
  process.exit(0);
}
