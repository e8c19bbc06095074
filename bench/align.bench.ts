/**
 * Phase G's alignment and metrics on large synthetic pairs (`npm run bench -- align`): for 600², 1000² and 2000²
 * pairs of `test/metrics/synthetic.ts` objects (seed 5; the reconstruction is the object shifted by (1.37, −2.71) px,
 * with 5 % noise, ×0.37 in amplitude and a phase ramp e^{i(0.21·x − 0.17·y + 2.5)}), CHILDREN child processes per
 * size, each a fresh process that
 *  - makes the pair (`pair_s`, wall),
 *  - aligns it twice (`alignReconstruction`; CPU seconds of the process for the first call, which pays for the FFT
 *    arena and the compiler, and for the second, as `compare` aligns job after job),
 *  - scores the aligned pair once (`computeMetrics`, CPU seconds), then once more its FRC part alone (`frc` of the
 *    amplitudes and of the phases, CPU seconds),
 *  - and reports the offset the registration found against the true one: (−1.37, 2.71) px is what moves the
 *    reconstruction back onto the ground truth; `offset_error_px` is the larger of the two errors, `within_step`
 *    whether that is at most the registration's 1/50-px step (the offset is a multiple of 0.02 px, the true one
 *    lies between two, so 0.01 is the least error possible).
 * Per size: every child's figures and their medians. One thread; the load average at the start and end.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { alignReconstruction, comparisonImages, computeMetrics, frc } from '../src/metrics/index.js';
import { addNoise, rampAndScale, syntheticObject } from '../test/metrics/synthetic.js';
import { median } from './cli-timing.js';
import { cpuSeconds } from './cpu-time.js';

const SIZES = [600, 1000, 2000];
const CHILDREN = 3;
const SEED = 5;
const SHIFT: [number, number] = [1.37, -2.71];
const STEP = 1 / 50;

type ChildResult = Record<string, number | boolean>;

function child(n: number): ChildResult {
  const t0 = performance.now();
  const gt = syntheticObject(n, n, SEED);
  const rec = rampAndScale(addNoise(syntheticObject(n, n, SEED, SHIFT), 0.05), 0.37, 0.21, -0.17, 2.5);
  const pairSeconds = (performance.now() - t0) / 1000;
  const [al, first] = cpuSeconds(() => alignReconstruction(gt, rec));
  const [, second] = cpuSeconds(() => alignReconstruction(gt, rec));
  const [, metrics] = cpuSeconds(() => computeMetrics(al.gt, al.rec));
  const { ampT, ampP, phT, phP } = comparisonImages(al.gt, al.rec);
  const [, frcSeconds] = cpuSeconds(() => { frc(ampT, ampP); frc(phT, phP); });
  const err = Math.max(Math.abs(al.dy + SHIFT[0]), Math.abs(al.dx + SHIFT[1]));
  return {
    pair_s: +pairSeconds.toFixed(2),
    align_first_cpu_s: +first.toFixed(3),
    align_second_cpu_s: +second.toFixed(3),
    metrics_cpu_s: +metrics.toFixed(3),
    frc_cpu_s: +frcSeconds.toFixed(3),
    window: al.gt.h,
    dy: +al.dy.toFixed(4),
    dx: +al.dx.toFixed(4),
    offset_error_px: +err.toFixed(4),
    within_step: err <= STEP + 1e-9,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const self = fileURLToPath(import.meta.url);
  const out: Record<string, unknown> = {
    load_average_1min_before: +loadavg()[0]!.toFixed(2),
    pair: `syntheticObject(n, n, ${SEED}); reconstruction shifted by (${SHIFT.join(', ')}) px, 5 % noise, ×0.37, phase ramp 0.21·x − 0.17·y + 2.5`,
    true_offset: [-SHIFT[0], -SHIFT[1]],
  };
  for (const n of SIZES) {
    const runs: ChildResult[] = [];
    for (let i = 0; i < CHILDREN; i++) {
      process.stderr.write(`bench align: ${n}x${n} (process ${i + 1} of ${CHILDREN})…\n`);
      const r = spawnSync(process.execPath, [self, '--child', String(n)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bench align ${n}x${n}: exit ${r.status}: ${r.stderr.slice(-400)}`);
      runs.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult);
    }
    const med = (k: string): number => median(runs.map((r) => r[k] as number));
    out[`${n}x${n}`] = {
      align_first_cpu_s_median: med('align_first_cpu_s'),
      align_second_cpu_s_median: med('align_second_cpu_s'),
      metrics_cpu_s_median: med('metrics_cpu_s'),
      frc_cpu_s_median: med('frc_cpu_s'),
      offset: [runs[0]!.dy, runs[0]!.dx],
      offset_error_px: runs[0]!.offset_error_px,
      within_step: runs.every((r) => r.within_step === true),
      runs,
    };
  }
  out.load_average_1min_after = +loadavg()[0]!.toFixed(2);
  return out;
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(child(Number(process.argv[3]))) + '\n');
}
