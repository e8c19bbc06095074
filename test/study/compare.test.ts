import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runComparison } from '../../src/study/compare/phase.js';
import { StudyAbortedError } from '../../src/study/phase.js';
import { regionOf } from '../../src/study/compare/job.js';
import { scannedRegion } from '../../src/metrics/index.js';
import { expandPattern, parseModelSpec } from '../../src/study/compare/plan.js';
import { metricSeries } from '../../src/study/compare/summary.js';
import { metricsSection, type ReportContext } from '../../src/study/report/sections.js';
import { OWN_MODEL, readMetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { c128 } from '../../src/npy/types.js';
import { makeHub, toC64, H, W } from './compare-hub.js';
import { syntheticObject } from '../metrics/synthetic.js';
import { tempDir } from '../tmp.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'ptychostudy-compare-'));
}

test('compare: per-job files, merged summary, charts; metrics improve with dose', async () => {
  const root = tmp();
  try {
    const r = makeHub(root, { omit: ['1000|baseline|test'] });
    const events: string[] = [];
    const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline' }, (p) => events.push(p.message));
    assert.equal(s.compared, 5);
    assert.equal(s.failed, 0);
    assert.equal(s.skipped, 1);
    assert.match(s.skippedJobs[0]!.reason, /no reconstruction: .*dose_1000\/baseline\/test\/reconstruction\.npz not found/);
    assert.ok(events.some((e) => /skipped/.test(e)));
    const job = join(r.g, 'dose_10000', 'baseline', 'train');
    const csv = readFileSync(join(job, 'comparison_metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'model,metric,amplitude,phase,value');
    for (const m of ['mae', 'mse', 'psnr', 'ssim', 'ms_ssim', 'frc50', 'frc1over7']) {
      assert.ok(csv.some((l) => new RegExp(`^${OWN_MODEL},${m},-?\\d+\\.\\d{6},-?\\d+\\.\\d{6},$`).test(l)), `row ${m}`);
    }
    const dy = csv.find((l) => l.startsWith(`${OWN_MODEL},registration_offset_dy,`))!;
    assert.ok(Math.abs(Number(dy.split(',')[4]) + 0.4) < 0.15, dy); // 6 % noise at this dose
    assert.ok(csv.some((l) => l === `${OWN_MODEL},computation_time_s,,,1.000000`));
    const frc = readFileSync(join(job, 'frc_curves.csv'), 'utf8').split('\n');
    assert.equal(frc[0], 'model,frequency_bin,amplitude_frc,phase_frc,spatial_frequency');
    const npz = loadNpz(join(job, 'reconstructions_aligned.npz'));
    for (const k of ['ground_truth_complex', 'ground_truth_amplitude', 'ground_truth_phase', 'lsqml_complex', 'lsqml_amplitude', 'lsqml_phase', 'lsqml_offset_dy', '_metadata']) assert.ok(npz[k], `key ${k}`);
    const png = PNG.sync.read(readFileSync(join(job, 'comparison.png')));
    assert.ok(png.width > 400 && png.height > 300);
    // aggregates
    const sum = readMetricsSummary(join(r.g, 'metrics_summary.json'))!;
    assert.equal(sum.rows.length, 5);
    assert.equal(sum.skipped_jobs.length, 1);
    assert.match(readFileSync(join(r.g, 'metrics_summary.md'), 'utf8'), /\| 10000 \| baseline \| train \| LSQML \| ok \|/);
    for (const m of ['ms_ssim', 'mae', 'psnr', 'frc50']) {
      assert.ok(existsSync(join(r.g, 'charts', `${m}.svg`)) && existsSync(join(r.g, 'charts', `${m}.png`)), `chart ${m}`);
    }
    // better with dose (train split has all three doses)
    for (const component of ['amplitude', 'phase'] as const) {
      const ms = metricSeries(sum, { view: 'baseline', split: 'train', model: OWN_MODEL, metric: 'ms_ssim', component }).map((p) => p.value!);
      const mae = metricSeries(sum, { view: 'baseline', split: 'train', model: OWN_MODEL, metric: 'mae', component }).map((p) => p.value!);
      assert.equal(ms.length, 3);
      assert.ok(ms[0]! < ms[1]! && ms[1]! < ms[2]!, `ms_ssim ${component} ${ms}`);
      assert.ok(mae[0]! > mae[1]! && mae[1]! > mae[2]!, `mae ${component} ${mae}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('compare: stopped after its first job, the job computed meanwhile (while the first one\'s figure was drawn) leaves no file', async () => {
  const root = tmp();
  try {
    const r = makeHub(root);
    const stop = new AbortController();
    const jobs: string[] = [];
    await assert.rejects(runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline', signal: stop.signal }, (p) => {
      if (p.kind === 'job') { jobs.push(`${p.dose}/${p.split}`); stop.abort(); }
    }), (e: unknown) => e instanceof StudyAbortedError && e.finishedJobs.length === 1);
    assert.deepEqual(jobs, ['1000/train'], 'one job reported');
    assert.deepEqual(readdirSync(join(r.g, 'dose_1000', 'baseline', 'train')).sort(),
      ['comparison.json', 'comparison.png', 'comparison_metrics.csv', 'frc_curves.csv', 'reconstructions_aligned.npz']);
    assert.ok(!existsSync(join(r.g, 'dose_1000', 'baseline', 'test')), 'the second job wrote nothing, not even its folder');
    assert.ok(!existsSync(join(r.g, 'metrics_summary.json')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('compare: runs merge by (dose, view, split, model); a recomputed row keeps the old one in history', async () => {
  const root = tmp();
  try {
    const r = makeHub(root, { doses: [1000, 10000] });
    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train' });
    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'test' });
    let sum = readMetricsSummary(join(r.g, 'metrics_summary.json'))!;
    assert.equal(sum.rows.length, 4, 'train and test rows both kept');
    assert.equal(sum.runs.length, 2);
    assert.deepEqual(new Set(sum.rows.map((x) => x.split)), new Set(['train', 'test']));
    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'test', dose: 1000 });
    sum = readMetricsSummary(join(r.g, 'metrics_summary.json'))!;
    assert.equal(sum.rows.length, 4);
    const again = sum.rows.find((x) => x.dose === 1000 && x.split === 'test')!;
    assert.equal(again.history.length, 1, 'the replaced row is in history');
    assert.equal(sum.runs.length, 3);
    for (const run of sum.runs) assert.ok(existsSync(join(r.g, run.snapshot, 'metrics_summary.json')), `snapshot ${run.snapshot}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('compare: external models by NAME=PATTERN sit beside ours, aligned the same way', async () => {
  const root = tmp();
  try {
    const r = makeHub(root, { doses: [1000, 10000] });
    // "Perfect": the ground truth itself, shifted by a pixel and scaled; "Other": a different frame (cropped).
    const ext = join(root, 'ext');
    for (const dose of [1000, 10000]) {
      for (const split of ['train', 'test']) {
        mkdirSync(join(ext, `dose_${dose}`), { recursive: true });
        saveNpz(join(ext, `dose_${dose}`, `perfect_${split}.npz`), { reconstructed_object: toC64(syntheticObject(H, W, 11, [1, 0])) });
      }
    }
    saveNpz(join(ext, 'broken.npz'), { something_else: toC64(syntheticObject(8, 8)) });
    const models = [parseModelSpec(`Perfect=${ext}/dose_{dose}/perfect_{split}.npz`), parseModelSpec(`Broken=${ext}/broken.npz`), parseModelSpec(`Absent=${ext}/{view}/none.npz`)];
    const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, models });
    assert.equal(s.compared, 4);
    assert.equal(s.failed, 4, 'Broken fails in every job');
    const sum = s.summary;
    const perfect = sum.rows.filter((x) => x.model === 'Perfect');
    assert.equal(perfect.length, 4);
    for (const p of perfect) {
      assert.equal(p.status, 'ok');
      assert.ok(p.metrics.ssim!.amplitude! > 0.99 && p.metrics.ssim!.phase! > 0.99, JSON.stringify(p.metrics.ssim));
      assert.ok(Math.abs(p.values.registration_offset_dy! + 1) < 0.05);
    }
    const broken = sum.rows.find((x) => x.model === 'Broken')!;
    assert.equal(broken.status, 'failed');
    assert.match(broken.error!, /no 'reconstructed_object'/);
    const absent = sum.rows.find((x) => x.model === 'Absent')!;
    assert.equal(absent.status, 'missing');
    assert.match(absent.error!, /not found: .*baseline\/none\.npz/);
    const csv = readFileSync(join(r.g, 'dose_1000', 'baseline', 'train', 'comparison_metrics.csv'), 'utf8');
    assert.match(csv, /^Perfect,ms_ssim,/m);
    assert.match(csv, /^LSQML,ms_ssim,/m);
    const npz = loadNpz(join(r.g, 'dose_1000', 'baseline', 'train', 'reconstructions_aligned.npz'));
    assert.ok(npz.perfect_complex && npz.lsqml_complex);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('compare: a job takes an earlier job\'s scanned region only when its positions and probe are the same values', () => {
  const N = 8;
  const P = new Float64Array(N * N).map((_, i) => 1 + (i % 5));
  const ys = Float64Array.of(10, 10, 20, 20), xs = Float64Array.of(10, 20, 10, 20);
  const fresh = (y: Float64Array, x: Float64Array, p: Float64Array | null): ReturnType<typeof scannedRegion> =>
    scannedRegion(40, 40, y, x, N, p ? { mode: 'illumination', probeIntensity: p } : { mode: 'patches' });
  const a = regionOf(40, 40, ys, xs, N, P);
  assert.deepEqual(a, fresh(ys, xs, P));
  a.y0 = -1; // the caller's copy: the remembered region is not changed by it
  const moved = Float64Array.from(xs); moved[3] = 30;
  assert.deepEqual(regionOf(40, 40, ys, moved, N, P), fresh(ys, moved, P));
  assert.notDeepEqual(fresh(ys, moved, P), fresh(ys, xs, P));
  const P2 = P.map((v, i) => (i < N * N / 2 ? v * 40 : v)); // brighter top half: a smaller box
  assert.notDeepEqual(fresh(ys, xs, P2), fresh(ys, xs, P));
  assert.deepEqual(regionOf(40, 40, ys, xs, N, P2), fresh(ys, xs, P2));
  assert.deepEqual(regionOf(40, 40, ys, xs, N, null), fresh(ys, xs, null));
  assert.deepEqual(regionOf(48, 40, ys, xs, N, P), scannedRegion(48, 40, ys, xs, N, { mode: 'illumination', probeIntensity: P }));
  // the inputs are copied: changing the caller's arrays afterwards does not make a stale match
  const ys3 = Float64Array.from(ys);
  const r3 = regionOf(40, 40, ys3, xs, N, P);
  assert.deepEqual(r3, fresh(ys, xs, P));
  ys3[0] = 2;
  assert.deepEqual(regionOf(40, 40, ys3, xs, N, P), fresh(ys3, xs, P));
  assert.deepEqual(regionOf(40, 40, ys, xs, N, P), fresh(ys, xs, P));
});

test('compare: patterns and model specs', () => {
  assert.equal(expandPattern('/x/{dose_dir}/{view}/{split}/r_{dose}.npz', { dose: 1e4, view: 'dense', split: 'test' }), '/x/dose_10000/dense/test/r_10000.npz');
  assert.deepEqual(parseModelSpec('PtyChi=/a/b={view}.npz'), { name: 'PtyChi', pattern: '/a/b={view}.npz' });
  assert.throws(() => parseModelSpec('nopattern'), /NAME=PATH_PATTERN/);
  assert.throws(() => parseModelSpec('X=/a/{nope}.npz'), /unknown placeholder \{nope\}/);
});

test('compare: a reconstruction with NaN or infinite pixels is a failed row naming the file, not a score', async () => {
  const root = tempDir('compare-nonfinite');
  const r = makeHub(root, { doses: [1000] });
  const ext = join(root, 'ext');
  mkdirSync(ext, { recursive: true });
  for (const [name, value] of [['nan', NaN], ['inf', Infinity]] as const) {
    const obj = syntheticObject(H, W, 11);
    obj.data[2 * (48 * W + 52)] = value; // the middle of the scanned region
    saveNpz(join(ext, `${name}.npz`), { reconstructed_object: toC64(obj) });
  }
  // A finite pixel too large to square (complex128): the amplitude scale and every metric would be NaN.
  const huge = syntheticObject(H, W, 11);
  huge.data[2 * (48 * W + 52)] = 1e200;
  saveNpz(join(ext, 'huge.npz'), { reconstructed_object: c128([H, W], Float64Array.from(huge.data)) });
  const models = [parseModelSpec(`WithNaN=${ext}/nan.npz`), parseModelSpec(`WithInf=${ext}/inf.npz`), parseModelSpec(`Huge=${ext}/huge.npz`)];
  const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train', models });
  assert.equal(s.compared, 1);
  assert.equal(s.failed, 3);
  const hugeRow = s.summary.rows.find((x) => x.model === 'Huge')!;
  assert.equal(hugeRow.status, 'failed', JSON.stringify(hugeRow.metrics.ms_ssim));
  assert.match(hugeRow.error!, /huge\.npz: key 'reconstructed_object': expected pixels whose squared magnitudes sum to a finite number .*; found a pixel of magnitude above 1\.3e154$/);
  for (const [model, file] of [['WithNaN', 'nan.npz'], ['WithInf', 'inf.npz']]) {
    const row = s.summary.rows.find((x) => x.model === model)!;
    assert.equal(row.status, 'failed', `${model}: ${JSON.stringify(row.metrics.ms_ssim)}`);
    assert.match(row.error!, new RegExp(`${file}: key 'reconstructed_object': expected finite pixels .*; found 1 NaN or infinite pixel$`));
    assert.deepEqual(row.metrics, {});
  }
  assert.equal(s.summary.rows.find((x) => x.model === OWN_MODEL)!.status, 'ok');
  const csv = readFileSync(join(r.g, 'dose_1000', 'baseline', 'train', 'comparison_metrics.csv'), 'utf8');
  assert.doesNotMatch(csv, /^(With(NaN|Inf)|Huge),/m);
});

test('compare: a reconstruction too small to score (compared window below 7×7 px) is a failed row, not a perfect score', async () => {
  const root = tempDir('compare-tiny');
  const r = makeHub(root, { doses: [1000] });
  const ext = join(root, 'ext');
  mkdirSync(ext, { recursive: true });
  // 5×5 px of the ground truth itself: centre-cropped with the window and cut by the 2 px border, 1×1 px are left,
  // on which the fitted phase offset and amplitude scale leave no error at all
  saveNpz(join(ext, 'tiny.npz'), { reconstructed_object: toC64(syntheticObject(5, 5, 11)) });
  const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train', models: [parseModelSpec(`Tiny=${ext}/tiny.npz`)] });
  const row = s.summary.rows.find((x) => x.model === 'Tiny')!;
  assert.equal(row.status, 'failed', JSON.stringify(row.metrics.mae));
  assert.match(row.error!, /tiny\.npz: key 'reconstructed_object': expected a compared window of at least 7×7 px; found 1×1 px \(reconstruction 5×5 px, /);
  assert.deepEqual(row.metrics, {});
  assert.equal(s.failed, 1);
  assert.equal(s.summary.rows.find((x) => x.model === OWN_MODEL)!.status, 'ok');
});

test('compare: the ground truth itself scores an infinite PSNR, written `inf` in every CSV and the Markdown (not as "not computable")', async () => {
  const root = tempDir('compare-identical');
  const r = makeHub(root, { doses: [1000] });
  const ext = join(root, 'ext');
  mkdirSync(ext, { recursive: true });
  saveNpz(join(ext, 'same.npz'), { reconstructed_object: toC64(syntheticObject(H, W, 11)) });
  const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train', models: [parseModelSpec(`Same=${ext}/same.npz`)] });
  const row = s.summary.rows.find((x) => x.model === 'Same')!;
  assert.equal(row.status, 'ok');
  assert.deepEqual(row.metrics.mse, { amplitude: 0, phase: 0 });
  assert.deepEqual(row.metrics.psnr, { amplitude: null, phase: null }, 'JSON has no infinity');
  const summaryCsv = readFileSync(join(r.g, 'metrics_summary.csv'), 'utf8');
  assert.match(summaryCsv, /^1000,baseline,train,Same,ok,psnr,inf,inf,$/m);
  assert.match(readFileSync(join(r.g, 'dose_1000', 'baseline', 'train', 'comparison_metrics.csv'), 'utf8'), /^Same,psnr,inf,inf,$/m);
  assert.match(readFileSync(join(r.g, 'metrics_summary.md'), 'utf8'), /\| 1000 \| baseline \| train \| Same \| ok \| [^|]+ \| [^|]+ \| inf \/ inf \|/);
  // a PSNR that is not computable stays empty: our own reconstruction's is finite, so its fields hold digits
  assert.match(summaryCsv, /^1000,baseline,train,LSQML,ok,psnr,\d+\.\d+,\d+\.\d+,$/m);
  // the report's metrics table likewise
  const html = metricsSection({ plan: { summary: s.summary } } as unknown as ReportContext).body;
  assert.match(html, /<td>Same<\/td>.*?<td class="num">∞ \/ ∞<\/td>/s);
});
