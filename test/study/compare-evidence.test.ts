/**
 * Phase G keeps its evidence: what it reads is never mistaken for "absent" when it is broken, a re-run moves
 * a job's earlier files into the job's history instead of overwriting them, the summary's current rows are
 * the ones whose files are current, and a job that cannot be written is that job's failure (through the
 * CLI, on the small synthetic hub of compare-hub.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runComparison } from '../../src/study/compare/phase.js';
import { compareJob } from '../../src/study/compare/job.js';
import { localExecutor, type Executor } from '../../src/study/phase.js';
import { parseModelSpec, planComparisons } from '../../src/study/compare/plan.js';
import { readMetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { syntheticObject } from '../metrics/synthetic.js';
import { H, makeHub, toC64, W } from './compare-hub.js';
import { treeListing } from './tree-listing.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Run { status: number | null; stdout: string; stderr: string }
function ptychostudy(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PTYCHOSTUDY_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const listing = treeListing;
function refused(r: Run, line: RegExp): void {
  assert.equal(r.status, 2, `exit ${r.status}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0]!, line);
}
function hub(name: string, doses = [1000]): { root: string; c: string; d: string; f: string; g: string; base: string[] } {
  const root = mkdtempSync(join(tmpdir(), `ptychostudy-compare-${name}-`));
  const r = makeHub(root, { doses });
  return { root, ...r, base: ['compare', '--phase-c-root', r.c, '--phase-d-root', r.d, '--phase-f-root', r.f, '--out', r.g, '--view', 'baseline', '--no-charts', '--quiet'] };
}

test('compare: a Phase F manifest or skip summary that is there but broken stops the run (exit 2, nothing written)', () => {
  const h = hub('manifest');
  try {
    assert.equal(ptychostudy(h.base).status, 0);
    const before = listing(h.g);
    for (const name of ['reconstruction_manifest.json', 'skip_summary.json']) {
      const p = join(h.f, name);
      writeFileSync(p, '{"schema_version": "1.0');
      refused(ptychostudy(h.base), new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*not valid JSON`));
      assert.deepEqual(listing(h.g), before, `${name}: nothing written`);
      rmSync(p);
    }
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: a directory where a reconstruction belongs is an error naming it, not a missing reconstruction', () => {
  const h = hub('dir');
  try {
    assert.equal(ptychostudy(h.base).status, 0);
    const before = listing(h.g);
    const rec = join(h.f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz');
    rmSync(rec);
    mkdirSync(rec);
    refused(ptychostudy(h.base), new RegExp(`${rec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected a regular file; found a directory`));
    assert.deepEqual(listing(h.g), before, 'nothing written');
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

function ids(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

test('compare: a re-run moves the job\'s earlier files into its history; a model it did not compare leaves the current rows', async () => {
  const h = hub('rerun');
  try {
    const ext = join(h.root, 'ext');
    mkdirSync(ext);
    saveNpz(join(ext, 'recon.npz'), { reconstructed_object: toC64(syntheticObject(H, W, 11, [1, 0])) });
    const opts = { phaseCRoot: h.c, phaseDRoot: h.d, phaseFRoot: h.f, outputRoot: h.g, view: 'baseline', split: 'test', charts: false };
    const first = await runComparison({ ...opts, models: [parseModelSpec(`Ext=${join(ext, 'recon.npz')}`)] });
    const job = join(h.g, 'dose_1000', 'baseline', 'test');
    const before = Object.fromEntries(['frc_curves.csv', 'reconstructions_aligned.npz', 'comparison.png', 'comparison.json', 'comparison_metrics.csv']
      .map((f) => [f, readFileSync(join(job, f))]));
    assert.match(before['frc_curves.csv']!.toString(), /^Ext,/m);
    const second = await runComparison(opts);
    // the earlier files, byte for byte, under history/<earlier run id>/
    assert.deepEqual(ids(join(job, 'history')), [first.runId]);
    const hist = join(job, 'history', first.runId);
    for (const [f, bytes] of Object.entries(before)) assert.ok(readFileSync(join(hist, f)).equals(bytes), `${f} kept`);
    assert.ok(loadNpz(join(hist, 'reconstructions_aligned.npz')).ext_complex, 'Ext aligned arrays kept');
    // the current files are the new run's, without Ext
    assert.doesNotMatch(readFileSync(join(job, 'frc_curves.csv'), 'utf8'), /^Ext,/m);
    assert.equal(loadNpz(join(job, 'reconstructions_aligned.npz')).ext_complex, undefined);
    const cmp = JSON.parse(readFileSync(join(job, 'comparison.json'), 'utf8')) as { run_id: string; replaced: { run_id: string; archived_to: string } };
    assert.equal(cmp.run_id, second.runId);
    assert.deepEqual(cmp.replaced, { run_id: first.runId, archived_to: `dose_1000/baseline/test/history/${first.runId}` });
    // the summary's current rows are the current files': Ext is no longer current, its row points at the history copy
    const sum = readMetricsSummary(join(h.g, 'metrics_summary.json'))!;
    const current = sum.rows.filter((r) => r.split === 'test');
    assert.deepEqual(current.map((r) => [r.model, r.run_id]), [['LSQML', second.runId]]);
    assert.equal(current[0]!.history.at(-1)!.archived_to, `dose_1000/baseline/test/history/${first.runId}`);
    const gone = sum.superseded_rows!.filter((r) => r.model === 'Ext');
    assert.equal(gone.length, 1);
    assert.equal(gone[0]!.status, 'ok');
    assert.equal(gone[0]!.run_id, first.runId);
    assert.equal(gone[0]!.superseded_by, second.runId);
    assert.equal(gone[0]!.archived_to, `dose_1000/baseline/test/history/${first.runId}`);
    assert.deepEqual(sum.models, ['LSQML']);
    // a third run: a second history folder, the first untouched
    const third = await runComparison(opts);
    assert.deepEqual(ids(join(job, 'history')), [first.runId, second.runId].sort());
    assert.ok(readFileSync(join(hist, 'frc_curves.csv')).equals(before['frc_curves.csv']!));
    assert.equal(readMetricsSummary(join(h.g, 'metrics_summary.json'))!.rows.find((r) => r.split === 'test')!.run_id, third.runId);
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: a merge that changes the summary keeps the earlier summary, its tables and charts in history/replaced-<time>/', async () => {
  const h = hub('summary-kept');
  try {
    const opts = { phaseCRoot: h.c, phaseDRoot: h.d, phaseFRoot: h.f, outputRoot: h.g, view: 'baseline', figures: false };
    await runComparison(opts);
    const names = ['metrics_summary.json', 'metrics_summary.md', 'metrics_summary.csv', ...readdirSync(join(h.g, 'charts')).map((n) => join('charts', n))];
    assert.ok(names.length > 3, 'charts drawn');
    const before = new Map(names.map((n) => [n, readFileSync(join(h.g, n))]));
    await runComparison({ ...opts, region: 'patches' }); // other metrics: every file of the summary changes
    const kept = readdirSync(join(h.g, 'history'));
    assert.equal(kept.length, 1);
    assert.match(kept[0]!, /^replaced-\d{8}T\d{6}Z$/);
    let changed = 0;
    for (const [n, bytes] of before) {
      if (readFileSync(join(h.g, n)).equals(bytes)) assert.ok(!existsSync(join(h.g, 'history', kept[0]!, n)), `${n}: same bytes, kept twice`);
      else { changed++; assert.ok(readFileSync(join(h.g, 'history', kept[0]!, n)).equals(bytes), `${n}: the earlier file is not kept`); }
    }
    assert.ok(changed >= 3 && existsSync(join(h.g, 'history', kept[0]!, 'metrics_summary.json')), `${changed} files changed`);
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: a job skipped now leaves no current row behind; its earlier rows and files go to history', async () => {
  const h = hub('skip');
  try {
    const opts = { phaseCRoot: h.c, phaseDRoot: h.d, phaseFRoot: h.f, outputRoot: h.g, view: 'baseline', charts: false };
    const first = await runComparison(opts);
    assert.equal(first.compared, 2);
    rmSync(join(h.f, 'dose_1000', 'baseline', 'train', 'reconstruction.npz'));
    const second = await runComparison(opts);
    assert.equal(second.skipped, 1);
    const sum = readMetricsSummary(join(h.g, 'metrics_summary.json'))!;
    assert.deepEqual(sum.rows.map((r) => [r.split, r.run_id]), [['test', second.runId]]);
    assert.deepEqual(sum.skipped_jobs.map((s) => [s.split, s.run_id]), [['train', second.runId]]);
    assert.deepEqual([sum.n_jobs, sum.n_success, sum.n_failed, sum.n_skipped], [1, 1, 0, 1]);
    const gone = sum.superseded_rows!;
    assert.deepEqual(gone.map((r) => [r.split, r.model, r.status, r.run_id, r.superseded_by]), [['train', 'LSQML', 'ok', first.runId, second.runId]]);
    const job = join(h.g, 'dose_1000', 'baseline', 'train');
    assert.equal(gone[0]!.archived_to, `dose_1000/baseline/train/history/${first.runId}`);
    assert.deepEqual(ids(job), ['history']);
    assert.ok(existsSync(join(job, 'history', first.runId, 'reconstructions_aligned.npz')));
    const md = readFileSync(join(h.g, 'metrics_summary.md'), 'utf8');
    assert.doesNotMatch(md, /\| 1000 \| baseline \| train \| LSQML \|/, 'not listed as a result');
    assert.match(md, /\| 1000 \| baseline \| train \| no reconstruction/);
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: a job output that cannot be written is refused before anything is written (exit 2, one line naming it)', () => {
  const h = hub('unwritable');
  try {
    assert.equal(ptychostudy(h.base).status, 0);
    const png = join(h.g, 'dose_1000', 'baseline', 'test', 'comparison.png');
    rmSync(png);
    mkdirSync(png);
    const before = listing(h.g);
    refused(ptychostudy(h.base), new RegExp(`${png.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected a regular file .*found a directory`));
    assert.deepEqual(listing(h.g), before, 'nothing written, no run directory');
    rmSync(png, { recursive: true });
    // a comparison.json that names no run: the history folder could not be named after it
    const cmp = join(h.g, 'dose_1000', 'baseline', 'train', 'comparison.json');
    writeFileSync(cmp, '{"run_id": "../x"}');
    const before2 = listing(h.g);
    refused(ptychostudy(h.base), new RegExp(`${cmp.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: key 'run_id': expected a run id`));
    assert.deepEqual(listing(h.g), before2);
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: a job whose files cannot be written is that job\'s failure; its earlier files stay, the run goes on', async () => {
  const h = hub('jobfail');
  try {
    const opts = { phaseCRoot: h.c, phaseDRoot: h.d, phaseFRoot: h.f, outputRoot: h.g, view: 'baseline', charts: false };
    const first = await runComparison(opts);
    const plan = planComparisons(opts);
    const job = plan.jobs.find((j) => j.split === 'test')!;
    const dir = join(h.g, 'dose_1000', 'baseline', 'test');
    const before = listing(dir);
    writeFileSync(join(dir, 'history'), 'in the way'); // past the up-front check: the earlier files cannot move
    const run = { outputRoot: h.g, runId: '20261205T000000Z-test', models: [], regionMode: 'illumination' as const, figures: true, total: 1 };
    const r = await compareJob(run, job, () => {});
    assert.equal(r.compared, 0);
    assert.equal(r.failed, 1);
    assert.equal(r.rows[0]!.status, 'failed');
    assert.match(r.rows[0]!.error!, /cannot write the job's files in .*dose_1000\/baseline\/test \(moving its earlier files to history\/\)/);
    assert.equal(r.files_run_id, first.runId, 'the earlier files are still the current ones');
    rmSync(join(dir, 'history'));
    assert.deepEqual(listing(dir), before, 'earlier files untouched, no staging folder left');
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: two runs of one job at once: the summary\'s current rows are those of the run whose files are current', async () => {
  const h = hub('race');
  try {
    const opts = { phaseCRoot: h.c, phaseDRoot: h.d, phaseFRoot: h.f, outputRoot: h.g, view: 'baseline', charts: false };
    // Run A computes and writes its files; before it merges, run B compares the train job, writes and merges.
    let b = '';
    const between: Executor = {
      async run(phase, plan, jobs, emit, onResult) {
        await localExecutor().run(phase, plan, jobs, emit, onResult);
        b = (await runComparison({ ...opts, split: 'train' })).runId;
      },
    };
    const a = (await runComparison(opts, () => {}, between)).runId;
    const sum = readMetricsSummary(join(h.g, 'metrics_summary.json'))!;
    const owner = (split: string): string => (JSON.parse(readFileSync(join(h.g, 'dose_1000', 'baseline', split, 'comparison.json'), 'utf8')) as { run_id: string }).run_id;
    assert.equal(owner('train'), b);
    assert.equal(owner('test'), a);
    assert.deepEqual(sum.rows.map((r) => [r.split, r.run_id]), [['train', b], ['test', a]]);
    // A's train row is an earlier version of B's, its files where B moved them
    const train = sum.rows.find((r) => r.split === 'train')!;
    assert.deepEqual(train.history.map((x) => [x.run_id, x.archived_to]), [[a, `dose_1000/baseline/train/history/${a}`]]);
    assert.equal(sum.superseded_rows, undefined);
    assert.ok(existsSync(join(h.g, 'dose_1000', 'baseline', 'train', 'history', a, 'comparison.json')), 'A\'s files are in history');
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});
