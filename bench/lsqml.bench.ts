/**
 * LSQML engine benchmark (`npm run bench -- lsqml`): seconds per update epoch on
 *  - the reference problem of DESIGN.md / issue 5: 1024 positions, 64×64 probe, 256×256 object, one
 *    mode, batch 96, Gaussian — with 1 and 2 threads (pty-chi on this 2-core CPU: 0.41 s/epoch);
 *  - a fly64-sized job: 5000 positions of 128×128 on a 464×464 object, batch 96, a few epochs;
 * and each scenario's peak resident memory. Every scenario runs in its own child process, so the
 * peak RSS (process.resourceUsage().maxRSS) is that scenario's alone.
 *
 * Epoch 0 (pty-chi's probe-rescaling dry run) is reported separately; "s/epoch" is the median wall
 * time over the update epochs; "cpu_s_per_epoch" is the CPU time of all threads of the process in
 * that epoch (with the 1-minute load average: on a busy machine the wall time is not the engine's).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { LsqmlEngine } from '../src/engine/lsqml.js';
import { syntheticProblem } from '../src/engine/synthetic.js';

interface Scenario { name: string; size: number; height: number; width: number; positions: number; random: boolean; epochs: number; threads: number }

const SCENARIOS: Scenario[] = [
  { name: 'reference_1thread', size: 64, height: 256, width: 256, positions: 1024, random: false, epochs: 8, threads: 1 },
  { name: 'reference_2threads', size: 64, height: 256, width: 256, positions: 1024, random: false, epochs: 8, threads: 2 },
  { name: 'fly64_5000x128_2threads', size: 128, height: 464, width: 464, positions: 5000, random: true, epochs: 3, threads: 2 },
];

const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

async function child(name: string): Promise<Record<string, unknown>> {
  const s = SCENARIOS.find((x) => x.name === name)!;
  const t0 = performance.now();
  const prob = syntheticProblem({ size: s.size, height: s.height, width: s.width, positions: s.positions, random: s.random,
    photons: 1e6, poisson: true, seed: 5, float32: true });
  const simSeconds = (performance.now() - t0) / 1000;
  const engine = await LsqmlEngine.create(prob.input, { epochs: s.epochs, batchSize: 96, threads: s.threads, seed: 1 });
  try {
    const cpu: number[] = [];
    for (let e = 0; e < s.epochs; e++) {
      const c0 = process.cpuUsage();
      engine.runEpoch(e);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
    }
    const upd = engine.epochSeconds.slice(1);
    return {
      positions: s.positions, probe: `${s.size}x${s.size}`, object: `${s.height}x${s.width}`, batch: 96, modes: 1, threads: s.threads,
      fft_backend: engine.fftBackend,
      epoch0_rescale_s: +engine.epochSeconds[0]!.toFixed(4),
      s_per_epoch_median: +median(upd).toFixed(4),
      s_per_epoch_all: upd.map((x) => +x.toFixed(4)),
      cpu_s_per_epoch_median: +median(cpu.slice(1)).toFixed(4),
      load_average_1min: +os.loadavg()[0]!.toFixed(2),
      loss_first_last: [engine.lossHistory[0], engine.lossHistory[engine.lossHistory.length - 1]],
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      simulate_s: +simSeconds.toFixed(2),
    };
  } finally {
    await engine.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ptychi_reference_s_per_epoch: 0.41, target_s_per_epoch: 0.2 };
  const self = fileURLToPath(import.meta.url);
  for (const s of SCENARIOS) {
    process.stderr.write(`bench lsqml: ${s.name}…\n`);
    const r = spawnSync(process.execPath, [self, '--child', s.name], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) { out[s.name] = { error: (r.stderr || '').trim().split('\n').slice(-3).join(' ') }; continue; }
    out[s.name] = JSON.parse(r.stdout.trim().split('\n').pop()!);
  }
  return out;
}

if (process.argv[2] === '--child') {
  const res = await child(process.argv[3]!);
  process.stdout.write(JSON.stringify(res) + '\n');
  process.exit(0);
}
