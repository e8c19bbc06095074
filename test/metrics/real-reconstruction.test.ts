/**
 * On real reconstructions of a small study (`ptychostudy run`, one dose, few positions and epochs): the SSIM
 * and MS-SSIM values in each job's comparison_metrics.csv are those of the arrays saved beside them in
 * reconstructions_aligned.npz — recomputed here by our own functions, and by scikit-image with the
 * reference's formulas (scripts/score-aligned-npz.py) when Debian's python3 has scikit-image.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { comparisonImages, msSsimAmplitude, msSsimPhase, ssimAmplitude, ssimPhase, type ComplexImage } from '../../src/metrics/index.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-real-metrics-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Job { dir: string; csv: Record<string, [number, number]> }
let jobs: Job[] | null = null;

/** The study's Phase G job directories with their CSV SSIM / MS-SSIM rows (the study runs once). */
function studyJobs(): Job[] {
  if (jobs) return jobs;
  const hub = join(root, 'hub');
  const r = spawnSync(process.execPath, [CLI, 'run', '--preset', 'quick', '--n-images', '300', '--epochs', '8', '--dose', '100000', '--out', hub, '--quiet'],
    { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const g = join(hub, 'phase_g', 'dose_100000');
  jobs = [];
  for (const view of readdirSync(g)) {
    for (const split of readdirSync(join(g, view))) {
      const dir = join(g, view, split);
      const csv: Job['csv'] = {};
      for (const line of readFileSync(join(dir, 'comparison_metrics.csv'), 'utf8').trim().split('\n').slice(1)) {
        const [model, metric, a, p] = line.split(',');
        if (model === 'LSQML' && (metric === 'ssim' || metric === 'ms_ssim')) csv[metric] = [Number(a), Number(p)];
      }
      jobs.push({ dir, csv });
    }
  }
  assert.equal(jobs.length, 6, 'baseline, dense and sparse × train, test');
  return jobs;
}

function complexOf(arr: NdArray): ComplexImage {
  assert.equal(arr.dtype, '<c8');
  return { h: arr.shape[0]!, w: arr.shape[1]!, data: Float64Array.from(arr.data as Float32Array) };
}

// CSV values have 6 decimals and the saved arrays are complex64: 1e-5 covers both (measured ≤ 5e-7 on the
// quick study).
const TOL = 1e-5;

test('real study: CSV SSIM and MS-SSIM equal our functions on the saved aligned arrays', { timeout: 400_000 }, () => {
  for (const job of studyJobs()) {
    const z = loadNpz(join(job.dir, 'reconstructions_aligned.npz'));
    const { ampT, ampP, phT, phP } = comparisonImages(complexOf(z.ground_truth_complex!), complexOf(z.lsqml_complex!));
    const got = { ssim: [ssimAmplitude(ampT, ampP), ssimPhase(phT, phP)], ms_ssim: [msSsimAmplitude(ampT, ampP), msSsimPhase(phT, phP)] };
    for (const m of ['ssim', 'ms_ssim'] as const) {
      for (const i of [0, 1]) {
        assert.ok(Math.abs(got[m][i]! - job.csv[m]![i]!) <= TOL, `${job.dir} ${m}[${i}]: CSV ${job.csv[m]![i]} vs arrays ${got[m][i]}`);
      }
    }
  }
});

function hasSkimage(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import skimage, scipy, numpy'], { encoding: 'utf8' }).status === 0;
}

test('real study: CSV SSIM and MS-SSIM equal scikit-image with the reference\'s formulas on the saved arrays', { timeout: 400_000 }, (t) => {
  if (!hasSkimage()) { t.skip('/usr/bin/python3 with scikit-image, scipy and numpy is not installed (CI installs python3-skimage)'); return; }
  const list = studyJobs();
  const r = spawnSync('/usr/bin/python3', ['scripts/score-aligned-npz.py', ...list.map((j) => join(j.dir, 'reconstructions_aligned.npz'))], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const scores = JSON.parse(r.stdout) as Record<string, Record<string, { ssim: [number, number]; ms_ssim: [number, number] }>>;
  for (const job of list) {
    const s = scores[join(job.dir, 'reconstructions_aligned.npz')]!.lsqml!;
    for (const m of ['ssim', 'ms_ssim'] as const) {
      for (const i of [0, 1]) {
        assert.ok(Math.abs(s[m][i] - job.csv[m]![i]!) <= TOL, `${job.dir} ${m}[${i}]: CSV ${job.csv[m]![i]} vs scikit-image ${s[m][i]}`);
      }
    }
  }
});
