/**
 * Phase G (`ptychostudy compare`) on a quick study's hub: a quick study (seed 42, 3 doses, 18 reconstructions of
 * 64×64 probes on a 320×320 object) is run once, then `compare` runs RUNS times into fresh output folders as a
 * separate process each (its default: as many jobs at once as there are cores, each in a worker thread), interleaved
 * with `compare --jobs 1` (one job at a time in one thread) and `compare --no-figures --no-charts` (what the figures
 * and charts cost).
 * Then, in this process, one pass over the 18 jobs times each stage of a job on its own (medians per job, one
 * thread, each stage synchronous): reading the two files, the scanned region, the alignment, the metrics, the
 * comparison figure (panels, layout and resvg) and the deflating of reconstructions_aligned.npz. `compare` itself
 * draws the figures and deflates the arrays on libuv's thread pool while it computes the next job, so its wall
 * time is below the sum of the stages on a machine with a core to spare.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { cliSeconds, median } from './cli-timing.js';
import { readGroundTruth, readReconstruction } from '../src/study/hub/datasets.js';
import { alignReconstruction, amplitudeOf, computeMetrics, cutToRegion, phaseOf, scannedRegion } from '../src/metrics/index.js';
import { comparisonPanels } from '../src/study/hub/comparison-figure.js';
import { renderPanelsPng } from '../src/report/figure.js';
import { encodeNpz } from '../src/npy/npz.js';
import { c64, f32, type NdArray } from '../src/npy/types.js';

const RUNS = 3;

const ms = (xs: number[]): number => +median(xs).toFixed(1);

export async function run(): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-bench-compare-'));
  try {
    const hub = join(root, 'hub');
    const load0 = loadavg()[0]!;
    const made = cliSeconds(['run', '--preset', 'quick', '--out', hub, '--quiet']);
    const roots = ['--phase-c-root', join(hub, 'phase_c'), '--phase-f-root', join(hub, 'phase_f'), '--quiet'];
    const full: number[] = [], one: number[] = [], bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      full.push(cliSeconds(['compare', ...roots, '--out', join(root, `g${i}`)]));
      one.push(cliSeconds(['compare', ...roots, '--jobs', '1', '--out', join(root, `o${i}`)]));
      bare.push(cliSeconds(['compare', ...roots, '--no-figures', '--no-charts', '--out', join(root, `b${i}`)]));
    }
    const stages: Record<string, number[]> = { read: [], region: [], align: [], metrics: [], figure: [], npz: [] };
    const time = <T>(k: string, f: () => T): T => { const t0 = performance.now(); const r = f(); stages[k]!.push(performance.now() - t0); return r; };
    for (const dose of ['dose_1000', 'dose_10000', 'dose_100000']) {
      for (const view of ['baseline', 'dense', 'sparse']) {
        for (const split of ['train', 'test']) {
          const input = view === 'baseline' ? join(hub, 'phase_c', dose, `patched_${split}.npz`) : join(hub, 'phase_d', dose, view, `${view}_${split}.npz`);
          const [gt, rec] = time('read', () => [readGroundTruth(input), readReconstruction(join(hub, 'phase_f', dose, view, split, 'reconstruction.npz'))] as const);
          const scan = rec.positions ?? { ys: gt.ycoords, xs: gt.xcoords };
          const region = time('region', () => scannedRegion(gt.object.h, gt.object.w, scan.ys, scan.xs, gt.N,
            gt.probeIntensity ? { mode: 'illumination', probeIntensity: gt.probeIntensity } : { mode: 'patches' }));
          const cut = cutToRegion(gt.object, rec.object, region);
          const al = time('align', () => alignReconstruction(cut.gt, cut.rec));
          time('metrics', () => computeMetrics(al.gt, al.rec));
          time('figure', () => {
            const panels = comparisonPanels([{ model: 'LSQML', gt: al.gt, rec: al.rec }]);
            return renderPanelsPng(panels, { columns: panels.length / 2, title: 'bench', imageSize: 180 });
          });
          // the arrays reconstructions_aligned.npz holds for one model: complex, amplitude and phase of both
          const arrays: Record<string, NdArray> = {};
          for (const [name, img] of [['ground_truth', al.gt], ['lsqml', al.rec]] as const) {
            arrays[`${name}_complex`] = c64([img.h, img.w], Float32Array.from(img.data));
            arrays[`${name}_amplitude`] = f32([img.h, img.w], Float32Array.from(amplitudeOf(img).data));
            arrays[`${name}_phase`] = f32([img.h, img.w], Float32Array.from(phaseOf(img).data));
          }
          time('npz', () => encodeNpz(arrays));
        }
      }
    }
    return {
      load_average_1min_before: +load0.toFixed(2),
      load_average_1min_after: +loadavg()[0]!.toFixed(2),
      quick_study_s: +made.toFixed(1),
      compare_s_median: +median(full).toFixed(2),
      compare_s: full.map((x) => +x.toFixed(2)),
      compare_jobs_1_s_median: +median(one).toFixed(2),
      compare_jobs_1_s: one.map((x) => +x.toFixed(2)),
      compare_no_figures_no_charts_s_median: +median(bare).toFixed(2),
      compare_no_figures_no_charts_s: bare.map((x) => +x.toFixed(2)),
      job_stage_ms_median: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, ms(v)])),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
