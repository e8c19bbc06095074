/**
 * Phase C timing: generating datasets for each preset, split into the shared setup (object, probe,
 * positions, far-field intensities — once per run) and the per-dose work (Poisson counts, contract
 * check, compressed NPZ writes).
 *
 * - quick: the whole default run (three doses), as `ptychostudy generate --preset quick` does it.
 * - fly64: two doses (1e3, 1e4), so that both "one dose from scratch" and the marginal cost of each
 *   further dose are measured.
 * Output goes to a temporary directory that is removed afterwards. Set PTYCHOSTUDY_BENCH_PRESETS
 * (e.g. "quick") to run a subset.
 */
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStudySettings } from '../src/settings/parse.js';
import type { PresetName } from '../src/settings/schema.js';
import { runSimulation } from '../src/study/simulate/phase.js';
import type { PhaseCProgress } from '../src/study/simulate/plan.js';
import { cpuSecondsSince } from './cpu-time.js';

interface StageClock {
  stage: string;
  since: number;
  totals: Record<string, number>;
}

function clock(): { onProgress: (p: PhaseCProgress) => void; finish: () => Record<string, number> } {
  const c: StageClock = { stage: 'prepare', since: performance.now(), totals: {} };
  const key = (p: PhaseCProgress): string => (p.stage === 'write' || p.stage === 'simulate' || p.stage === 'dose-done'
    ? (p.stage === 'dose-done' ? 'other' : p.stage === 'write' ? 'write_npz' : 'poisson')
    : p.stage === 'far-field' ? 'far_field' : 'prepare');
  const switchTo = (k: string): void => {
    const now = performance.now();
    c.totals[c.stage] = (c.totals[c.stage] ?? 0) + (now - c.since) / 1000;
    c.stage = k;
    c.since = now;
  };
  return {
    onProgress: (p) => { const k = key(p); if (k !== c.stage) switchTo(k); },
    finish: () => { switchTo('done'); delete c.totals.done; return c.totals; },
  };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

async function one(name: PresetName, doses: number[]): Promise<Record<string, unknown>> {
  const settings = parseStudySettings({ preset: name, simulation: { doses } });
  const root = mkdtempSync(join(tmpdir(), `ptychostudy-bench-gen-${name}-`));
  try {
    const c = clock();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await runSimulation(settings, { outputRoot: root }, c.onProgress);
    const total = (performance.now() - t0) / 1000;
    const cpu = cpuSecondsSince(cpu0);
    const stages = c.finish();
    const perDose = res.doses.map((d) => ({ dose: d.dose, seconds: Number(d.seconds.toFixed(3)), mean_photons: Number(d.photons.mean.toFixed(1)) }));
    const setup = total - res.doses.reduce((a, d) => a + d.seconds, 0);
    return {
      n_positions: res.nPositions,
      patch: res.patchSize,
      object: res.objectShape,
      doses,
      total_s: Number(total.toFixed(3)),
      // CPU time of this process (user + system): less sensitive than wall time to other load
      cpu_s: Number(cpu.toFixed(3)),
      setup_s: Number(setup.toFixed(3)),
      one_dose_from_scratch_s: Number((setup + res.doses[0].seconds).toFixed(3)),
      per_dose: perDose,
      stages_s: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Number(v.toFixed(3))])),
      output_bytes: dirBytes(root),
      rss_mb_after: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const only = (process.env.PTYCHOSTUDY_BENCH_PRESETS ?? 'quick,fly64').split(',').map((s) => s.trim());
  const out: Record<string, unknown> = {};
  if (only.includes('quick')) {
    await one('quick', [1e3]); // warm-up (JIT, wasm compile), not reported
    out.quick = await one('quick', [1e3, 1e4, 1e5]);
  }
  if (only.includes('fly64')) out.fly64 = await one('fly64', [1e3, 1e4]);
  out.note = 'seconds of wall time on this machine; setup = object, probe, positions and the far-field pass shared by all doses';
  return out;
}
