/**
 * What `metrics_summary.json` says of a set of comparison rows: the per-job list of `{model, metric, amplitude,
 * phase}` / `{model, metric, value}`, the job counts, and the per-model aggregates (mean over the jobs; best =
 * highest for SSIM and MS-SSIM, none for MAE), against what the reference study's own `summarize_phase_g_outputs`
 * wrote for the same two dense jobs of dose 1000 (the numbers of its own test: PtychoPINN MS-SSIM 0.95 / 0.92 and
 * 0.945 / 0.915): hub `aggregates` of test/fixtures/phase-c-compliance/reference.json, made by
 * scripts/make-phase-c-compliance-fixture.py. Also the order and count of the jobs a comparison plans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSummary, summaryCsv, summaryMarkdown } from '../../src/study/compare/summary.js';
import { planComparisons } from '../../src/study/compare/plan.js';
import type { SummaryRow } from '../../src/study/hub/metrics-summary.js';
import { makeHub } from './compare-hub.js';
import { tempDir } from '../tmp.js';

type Pairs = Record<string, [number, number]>;

interface ReferenceSummary {
  n_jobs: number; n_success: number; n_failed: number;
  jobs: { dose: number; view: string; split: string; metrics: { model: string; metric: string; amplitude?: number; phase?: number; value?: number }[] }[];
  aggregate_metrics: Record<string, Record<string, Record<string, number>>>;
}
const reference = (JSON.parse(readFileSync(join('test', 'fixtures', 'phase-c-compliance', 'reference.json'), 'utf8')) as {
  hubs: Record<string, { summary?: ReferenceSummary }>;
}).hubs.aggregates!.summary!;

function row(split: 'train' | 'test', model: string, metrics: Pairs, values: Record<string, number> = {}, status: 'ok' | 'failed' = 'ok'): SummaryRow {
  return {
    dose: 1000, view: 'dense', split, model, source: 'external', status, error: status === 'ok' ? null : 'unreadable',
    reconstruction: null, ground_truth: null, region: null, compared_shape: null, same_frame: null, registered_on: null,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, [a, p]]) => [k, { amplitude: a, phase: p }])),
    values, run_id: 'r1', computed_at: '2026-01-01T00:00:00Z', history: [],
  };
}

const close = (a: number | null | undefined, b: number, what: string): void => {
  assert.ok(typeof a === 'number' && Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);
};

test('metrics_summary: per-job metric entries, counts, and per-model means and bests as the reference summary computes them', () => {
  const rows = [
    row('train', 'PtychoPINN', { ms_ssim: [0.95, 0.92], mae: [0.025, 0.035] }, { computation_time_s: 12.5 }),
    row('train', 'Baseline', { ms_ssim: [0.93, 0.90], mae: [0.03, 0.04] }),
    row('test', 'PtychoPINN', { ms_ssim: [0.945, 0.915], mae: [0.027, 0.037] }, { computation_time_s: 11 }),
    row('test', 'Baseline', { ms_ssim: [0.925, 0.895], mae: [0.032, 0.042] }),
  ];
  const s = buildSummary(rows, [], []);
  assert.equal(s.n_jobs, 2);
  assert.equal(s.n_success, 2);
  assert.equal(s.n_failed, 0);
  assert.deepEqual(s.jobs.map((j) => [j.dose, j.view, j.split]), [[1000, 'dense', 'train'], [1000, 'dense', 'test']]);
  const first = s.jobs[0]!.metrics;
  assert.deepEqual(first.find((m) => m.model === 'PtychoPINN' && m.metric === 'ms_ssim'), { model: 'PtychoPINN', metric: 'ms_ssim', amplitude: 0.95, phase: 0.92 });
  assert.deepEqual(first.find((m) => m.model === 'Baseline' && m.metric === 'mae'), { model: 'Baseline', metric: 'mae', amplitude: 0.03, phase: 0.04 });
  assert.deepEqual(first.find((m) => m.metric === 'computation_time_s'), { model: 'PtychoPINN', metric: 'computation_time_s', value: 12.5 });
  // the reference's own summary of the same CSVs: the same counts, entries and aggregates for these two models
  assert.deepEqual([reference.n_jobs, reference.n_success, reference.n_failed], [s.n_jobs, s.n_success, s.n_failed]);
  for (const [i, j] of reference.jobs.entries()) {
    assert.deepEqual([j.dose, j.view, j.split], [s.jobs[i]!.dose, s.jobs[i]!.view, s.jobs[i]!.split]);
    for (const e of j.metrics.filter((m) => m.model === 'PtychoPINN' || m.model === 'Baseline')) {
      assert.deepEqual(s.jobs[i]!.metrics.find((m) => m.model === e.model && m.metric === e.metric), e, `${j.split} ${e.model} ${e.metric}`);
    }
  }
  for (const model of ['PtychoPINN', 'Baseline']) {
    for (const metric of ['ms_ssim', 'mae']) {
      const ref = reference.aggregate_metrics[model]![metric]!;
      const ours = s.aggregate_metrics[model]![metric]!;
      for (const [k, v] of Object.entries(ref)) close(ours[k], v, `${model} ${metric} ${k} (reference)`);
      for (const k of ['best_amplitude', 'best_phase']) assert.equal(k in ours, k in ref, `${model} ${metric} ${k} present as in the reference`);
    }
  }

  const agg = s.aggregate_metrics;
  assert.deepEqual(Object.keys(agg), ['Baseline', 'PtychoPINN'], 'models sorted');
  const pinn = agg.PtychoPINN!, base = agg.Baseline!;
  close(pinn.ms_ssim!.mean_amplitude, 0.9475, 'PINN MS-SSIM mean amplitude');
  close(pinn.ms_ssim!.mean_phase, 0.9175, 'PINN MS-SSIM mean phase');
  close(pinn.ms_ssim!.best_amplitude, 0.95, 'PINN MS-SSIM best amplitude');
  close(pinn.ms_ssim!.best_phase, 0.92, 'PINN MS-SSIM best phase');
  close(pinn.mae!.mean_amplitude, 0.026, 'PINN MAE mean amplitude');
  close(pinn.mae!.mean_phase, 0.036, 'PINN MAE mean phase');
  assert.ok(!('best_amplitude' in pinn.mae!) && !('best_phase' in pinn.mae!), 'MAE has no best');
  close(base.ms_ssim!.mean_amplitude, 0.9275, 'Baseline MS-SSIM mean amplitude');
  close(base.ms_ssim!.mean_phase, 0.8975, 'Baseline MS-SSIM mean phase');
  close(base.ms_ssim!.best_amplitude, 0.93, 'Baseline MS-SSIM best amplitude');
  close(base.ms_ssim!.best_phase, 0.90, 'Baseline MS-SSIM best phase');
  close(base.mae!.mean_amplitude, 0.031, 'Baseline MAE mean amplitude');
  close(base.mae!.mean_phase, 0.041, 'Baseline MAE mean phase');
});

test('metrics_summary: a job with a failed row counts as failed (n_success + n_failed = n_jobs) and its failed row is left out of the means', () => {
  const rows = [
    row('train', 'PtychoPINN', { ms_ssim: [0.95, 0.92], mae: [0.025, 0.035] }),
    row('test', 'PtychoPINN', {}, {}, 'failed'),
    row('test', 'Baseline', { ms_ssim: [0.925, 0.895], mae: [0.032, 0.042] }),
  ];
  const s = buildSummary(rows, [], []);
  assert.equal(s.n_jobs, 2);
  assert.equal(s.n_failed, 1);
  assert.equal(s.n_success, 1);
  assert.equal(s.n_success + s.n_failed, s.n_jobs);
  close(s.aggregate_metrics.PtychoPINN!.ms_ssim!.mean_amplitude, 0.95, 'mean over the ok row only');
  // a value that is not a number (null) is left out of its own mean; the other half of the pair still counts.
  // The reference left out the whole CSV row (fixture: PtyChi 0.70 / 0.80 of the train job, 0.60 / empty of the test job)
  const gap = row('test', 'PtyChi', { ms_ssim: [0.6, 0.8] });
  gap.metrics.ms_ssim!.phase = null;
  const t = buildSummary([row('train', 'PtyChi', { ms_ssim: [0.7, 0.8] }), gap], [], []);
  close(t.aggregate_metrics.PtyChi!.ms_ssim!.mean_amplitude, 0.65, 'both amplitudes');
  close(t.aggregate_metrics.PtyChi!.ms_ssim!.mean_phase, 0.8, 'the one phase');
  close(reference.aggregate_metrics.PtyChi!.ms_ssim!.mean_amplitude, 0.7, 'the reference: the train row alone');
  // and its per-job entry keeps the computed half (null for the other); the reference's lists neither value
  assert.deepEqual(t.jobs[1]!.metrics.find((m) => m.metric === 'ms_ssim'), { model: 'PtyChi', metric: 'ms_ssim', amplitude: 0.6, phase: null });
  assert.deepEqual(reference.jobs[1]!.metrics.find((m) => m.model === 'PtyChi'), { model: 'PtyChi', metric: 'ms_ssim' });
  assert.deepEqual(s.jobs[1]!.metrics.filter((m) => m.model === 'PtychoPINN'), [], 'a failed row lists no metrics');
});

test('metrics_summary.md says over which jobs each model\'s means are taken: how many scored, of which grid, with a warning, left out', () => {
  const every = (a: number, p: number): Pairs => Object.fromEntries(['mae', 'mse', 'psnr', 'psnr_255', 'ssim', 'ms_ssim', 'frc50', 'frc1over7'].map((k) => [k, [a, p]]));
  // PtyChi's test job: scored with a warning (its registration failed), its MS-SSIM phase not computable
  const warned = row('test', 'PtyChi', every(0.6, 0.8));
  warned.error = 'registration shift (-29.26, -63.22) exceeds a quarter of the window; the unregistered image was used';
  warned.metrics.ms_ssim!.phase = null;
  const md = summaryMarkdown(buildSummary([row('train', 'PtyChi', every(0.7, 0.8)), warned,
    row('train', 'PtychoPINN', every(0.95, 0.92)), row('test', 'PtychoPINN', {}, {}, 'failed')], [], []));
  assert.match(md, /## Aggregate Metrics\n\nMeans of each model over its scored jobs, every dose, view and split together \(so not the score of any one of them\); best = the highest, of SSIM and MS-SSIM\.\n/);
  assert.doesNotMatch(md, /all compared jobs/);
  assert.ok(md.includes('### PtyChi\n\nAveraged: 2 scored jobs of 1 dose × 1 view × 2 splits (2 jobs); 1 of them scored with a warning (its unregistered image counted); '
    + 'a value that is not a number (not computable, or an infinite PSNR) left out: MS-SSIM phase over 1.\n'), md);
  assert.ok(md.includes('### PtychoPINN\n\nAveraged: 1 scored job of 1 dose × 1 view × 2 splits (2 jobs); 1 not scored (failed or skipped) left out.\n'), md);
});

test('metrics_summary: FRC means of jobs whose compared squares differ are taken on a common frequency axis (ring / n, cycles per pixel), never as ring indices', () => {
  // ring 10 of a 100-px square and ring 20 of a 200-px square are both 0.1 cycles per pixel: the same resolution,
  // whose ring-index mean (15) would be neither; the phase's ring 60 of 100 px is past Nyquist and counts as 0.5
  const sized = (split: 'train' | 'test', shape: [number, number], frc50: [number, number]): SummaryRow =>
    ({ ...row(split, 'LSQML', { frc50, frc1over7: [frc50[0] + 1, frc50[1] + 1], ms_ssim: [0.9, 0.8] }), compared_shape: shape });
  const two = buildSummary([sized('train', [100, 130], [10, 60]), sized('test', [210, 200], [20, 30])], [], []);
  const f = two.aggregate_metrics.LSQML!.frc50!;
  assert.equal(f.mean_amplitude, null, 'no mean of ring indices of squares of different sides');
  assert.equal(f.mean_phase, null);
  close(f.mean_cycles_per_pixel_amplitude, 0.1, 'FRC50 amplitude: (10/100 + 20/200) / 2');
  close(f.mean_cycles_per_pixel_phase, (0.5 + 0.15) / 2, 'FRC50 phase: (min(60/100, 0.5) + 30/200) / 2');
  assert.deepEqual([f.square_side_min_amplitude, f.square_side_max_amplitude], [100, 200]);
  close(two.aggregate_metrics.LSQML!.frc1over7!.mean_cycles_per_pixel_amplitude, (11 / 100 + 21 / 200) / 2, 'FRC1/7 amplitude');
  close(two.aggregate_metrics.LSQML!.ms_ssim!.mean_amplitude, 0.9, 'other metrics as before');
  assert.match(two.definitions.frc_means!, /mean_cycles_per_pixel_\* averages ring\/n/);
  const md = summaryMarkdown(two);
  assert.ok(md.includes('| FRC50 (ring) | — | — | — | — |\n'), md);
  assert.ok(md.includes('| FRC50 (cycles/px) | 0.1000 | 0.3250 | — | — |\n'), md);
  assert.match(md, /FRC means \(the rows in cycles\/px; in rings only where every compared square has one side\): the compared squares differ \(n = 100 to 200 px\), so a ring index is not the same frequency in every job and rings are not averaged/);
  // every row beside its ring: its square's side and its ring / n, in the Markdown table and in the CSV
  assert.match(md, /\| FRC50 \(ring\) \| FRC1\/7 \(ring\) \| n \(px\) \| FRC50 \(cycles\/px\) \| FRC1\/7 \(cycles\/px\) \|/);
  assert.ok(md.includes('| 10.00 / 60.00 | 11.00 / 61.00 | 100 | 0.1000 / 0.5000 | 0.1100 / 0.5000 |'), md);
  assert.ok(md.includes('| 20.00 / 30.00 | 21.00 / 31.00 | 200 | 0.1000 / 0.1500 | 0.1050 / 0.1550 |'), md);
  const csv = summaryCsv(two);
  assert.match(csv, /,train,LSQML,ok,frc50,10,60,\n[^\n]*,train,LSQML,ok,frc1over7,11,61,\n/, 'the rings as before');
  assert.match(csv, /,train,LSQML,ok,frc50_cycles_per_pixel,0\.1,0\.5,\n/);
  assert.match(csv, /,test,LSQML,ok,frc50_cycles_per_pixel,0\.1,0\.15,\n/);
  assert.match(csv, /,test,LSQML,ok,frc1over7_cycles_per_pixel,0\.105,0\.155,\n/);
  // squares of one side: a ring is one frequency in all of them, and both means are given
  const one = buildSummary([sized('train', [100, 130], [10, 30]), sized('test', [120, 100], [20, 40])], [], []).aggregate_metrics.LSQML!.frc50!;
  close(one.mean_amplitude, 15, 'ring mean on one side');
  close(one.mean_cycles_per_pixel_amplitude, 0.15, 'the same mean in cycles per pixel');
  assert.deepEqual([one.square_side_min_amplitude, one.square_side_max_amplitude], [100, 100]);
});

test('compare plans every dose × view × split of the hub, dose ascending, then split, then view; the filters select one job', () => {
  const root = tempDir('compare-order');
  const r = makeHub(root, { doses: [2000, 500, 1000], views: ['baseline', 'dense', 'sparse'] });
  const all = planComparisons({ phaseCRoot: r.c, phaseDRoot: '', phaseFRoot: r.f });
  const order = all.jobs.map((j) => `${j.dose}/${j.split}/${j.view}`);
  const expected: string[] = [];
  for (const dose of [500, 1000, 2000]) for (const split of ['train', 'test']) for (const view of ['baseline', 'dense', 'sparse']) expected.push(`${dose}/${split}/${view}`);
  assert.deepEqual(order, expected);
  const one = planComparisons({ phaseCRoot: r.c, phaseDRoot: '', phaseFRoot: r.f, dose: 1000, view: 'dense', split: 'train' });
  assert.deepEqual(one.jobs.map((j) => `${j.dose}/${j.view}/${j.split}`), ['1000/dense/train']);
});
