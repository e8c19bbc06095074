/**
 * Phase F orchestration costs:
 * - bookkeeping per job (manifest merge + atomic writes, input SHA-256, metadata decode, staging moves) with an
 *   engine that does no work, for 18 jobs;
 * - SHA-256 fingerprint throughput of a 256 MiB input;
 * - worker-thread start + engine import per job (a job whose input does not exist fails right after loading);
 * - wall time of 4 real LSQML jobs (quick-preset geometry, 200 positions at one dose) with --jobs 1 vs --jobs 2.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { saveNpz } from '../src/npy/npz.js';
import { fingerprint } from '../src/files/fingerprint.js';
import { parseStudySettings } from '../src/settings/parse.js';
import { workerEngine, type EngineRunner } from '../src/study/reconstruct/engine-runner.js';
import { runReconstruction } from '../src/study/reconstruct/phase.js';
import { runSimulation } from '../src/study/simulate/phase.js';
import { runOverlap } from '../src/study/overlap/phase.js';

function smallTree(root: string): { c: string; d: string } {
  const c = join(root, 'c');
  const d = join(root, 'd');
  const xy = { xcoords: { dtype: '<f8', shape: [64], data: new Float64Array(64) } };
  for (const dose of [1000, 10000, 100000]) {
    for (const split of ['train', 'test']) {
      mkdirSync(join(c, `dose_${dose}`), { recursive: true });
      saveNpz(join(c, `dose_${dose}`, `patched_${split}.npz`), xy);
      for (const view of ['dense', 'sparse']) {
        mkdirSync(join(d, `dose_${dose}`, view), { recursive: true });
        const meta = JSON.stringify({ selection_strategy: 'greedy', acceptance_rate: 0.5, spacing_threshold: 19.2, n_accepted: 32, n_rejected: 32 });
        saveNpz(join(d, `dose_${dose}`, view, `${view}_${split}.npz`), { ...xy, _metadata: { dtype: `<U${meta.length}`, shape: [], data: [meta] } });
      }
    }
  }
  return { c, d };
}

export async function run(): Promise<Record<string, unknown>> {
  const root = join(tmpdir(), `ptychostudy-bench-reconstruct-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const out: Record<string, unknown> = {};
  try {
    // 1. bookkeeping
    const t = smallTree(root);
    const one = parseStudySettings({ execution: { jobs: 1 } });
    const noop: EngineRunner = async (o) => {
      saveNpz(join(o.outputDir, 'reconstruction.npz'), {});
      return { reconstructionNpz: '', png: '', runRecord: '', log: '', epochsRun: 0, finalLoss: 0, seconds: 0, nPositions: 64, warnings: [] };
    };
    let t0 = performance.now();
    await runReconstruction(one, { phaseCRoot: t.c, phaseDRoot: t.d, outputRoot: join(root, 'f'), engine: noop });
    out.bookkeeping_ms_per_job_first_run = +((performance.now() - t0) / 18).toFixed(2);
    t0 = performance.now();
    await runReconstruction(one, { phaseCRoot: t.c, phaseDRoot: t.d, outputRoot: join(root, 'f'), engine: noop, force: true });
    out.bookkeeping_ms_per_job_forced_rerun = +((performance.now() - t0) / 18).toFixed(2);
    t0 = performance.now();
    await runReconstruction(one, { phaseCRoot: t.c, phaseDRoot: t.d, outputRoot: join(root, 'f'), engine: noop });
    out.resume_check_ms_per_job = +((performance.now() - t0) / 18).toFixed(2);

    // 2. fingerprint throughput
    const big = join(root, 'big.bin');
    const chunk = randomBytes(1 << 20);
    writeFileSync(big, Buffer.concat(Array.from({ length: 256 }, () => chunk)));
    t0 = performance.now();
    await fingerprint(big);
    out.sha256_MiB_per_s = +(256 / ((performance.now() - t0) / 1000)).toFixed(0);
    rmSync(big);

    // 3. worker start + engine import
    const n = 5;
    t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await workerEngine({ input: join(root, 'missing.npz'), inputNpz: join(root, 'missing.npz'), outputDir: join(root, 'w'),
        settings: parseStudySettings({ reconstruction: { epochs: 2, batchSize: 1, seed: 0 } }).reconstruction }, () => {}).catch(() => undefined);
    }
    out.worker_start_ms = +((performance.now() - t0) / n).toFixed(1);

    // 4. real jobs, 1 vs 2 at a time
    const quick = parseStudySettings({ preset: 'quick', simulation: { nPositions: 200, doses: [1000] } });
    await runSimulation(quick, { outputRoot: join(root, 'qc'), timestamp: null });
    await runOverlap(quick, { phaseCRoot: join(root, 'qc'), outputRoot: join(root, 'qd') });
    for (const jobs of [1, 2]) {
      const settings = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 20 }, execution: { jobs } });
      t0 = performance.now();
      const s = await runReconstruction(settings, { phaseCRoot: join(root, 'qc'), phaseDRoot: join(root, 'qd'), outputRoot: join(root, `qf${jobs}`),
        filters: { view: 'baseline' } });
      const dense = await runReconstruction(settings, { phaseCRoot: join(root, 'qc'), phaseDRoot: join(root, 'qd'), outputRoot: join(root, `qf${jobs}`),
        filters: { view: 'dense' } });
      out[`four_jobs_20_epochs_wall_s_jobs${jobs}`] = +((performance.now() - t0) / 1000).toFixed(2);
      out[`four_jobs_failed_jobs${jobs}`] = s.failed + dense.failed;
    }
    out.four_jobs_note = 'quick-preset geometry (N = 64, 320×320 object), dose 1000, 200 positions: baseline train/test (~100 positions each) and dense train/test (~35 each)';
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}
