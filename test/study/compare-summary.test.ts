/**
 * What `metrics_summary.json` says of a set of comparison rows: the per-job list of `{model, metric, amplitude,
 * phase}` / `{model, metric, value}`, the job counts, and the per-model aggregates (mean over the jobs; best =
 * highest for SSIM and MS-SSIM, none for MAE) — the rules of the reference study's Phase G summary, on the numbers
 * its own test used (two dense jobs of dose 1000; PtychoPINN MS-SSIM 0.95 / 0.92 and 0.945 / 0.915). Also the
 * order and count of the jobs a comparison plans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSummary } from '../../src/study/compare/summary.js';
import { planComparisons } from '../../src/study/compare/plan.js';
import type { SummaryRow } from '../../src/study/hub/metrics-summary.js';
import { makeHub } from './compare-hub.js';
import { tempDir } from '../tmp.js';

type Pairs = Record<string, [number, number]>;

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
    row('test', 'PtychoPINN', { ms_ssim: [0.945, 0.915], mae: [0.027, 0.037] }),
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
  assert.deepEqual(s.jobs[1]!.metrics.filter((m) => m.model === 'PtychoPINN'), [], 'a failed row lists no metrics');
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
