/**
 * Names and paths read back from a hub's own files are untrusted (through the CLI, as a user meets them):
 *  - a run id with `..`, a separator or an absolute path in reconstruction_manifest.json (results, their
 *    history, runs) or skip_summary.json: `reconstruct --force` refuses with one line (file, key, expected,
 *    found), exit 2, well under 10 s, before anything moves; the same for metrics_summary.json (a view or
 *    run id that would name a directory) before `compare` writes anything;
 *  - a recorded path that leads outside the roots a command was given is never read;
 *  - a copied hub (`cp -a hubA hubB`) is compared with hubB's own files, whether its manifest records
 *    relative paths (now) or absolute ones (hubs written before), and a damaged file in hubB is noticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_VERSION, type ExecutionResult, type Manifest } from '../../src/study/hub/reconstruction-files.js';
import { MetricsSummarySchema } from '../../src/study/hub/metrics-summary.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { makeHub, toC64 } from './compare-hub.js';
import { syntheticObject } from '../metrics/synthetic.js';
import { treeListing } from './tree-listing.js';
import { tempDir } from '../tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = tempDir('evidence');

interface Run { status: number | null; stdout: string; stderr: string; seconds: number }
function ptychostudy(args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PTYCHOSTUDY_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}
function refused(r: Run, cmd: string, line: RegExp): void {
  assert.equal(r.status, 2, `exit ${r.status}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.ok(lines[0]!.startsWith(`ptychostudy ${cmd}: `), lines[0]);
  assert.match(lines[0]!, line);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.ok(r.seconds < 10, `hang guard: ${r.seconds.toFixed(1)} s`);
}
const snapshot = treeListing;

/** A Phase F manifest for the baseline jobs of a compare hub (as `reconstruct` writes it), paths relative or absolute. */
function manifestFor(hub: { c: string; f: string }, doses: number[], absolute: boolean, runId = '20261201T000000Z-all'): Manifest {
  const p = (rel: string): string => (absolute ? join(hub.f, rel) : rel);
  const results: ExecutionResult[] = [];
  for (const dose of doses) for (const split of ['train', 'test'] as const) {
    const dir = `dose_${dose}/baseline/${split}`;
    results.push({
      dose, view: 'baseline', split, status: 'success', returncode: 0, run_id: runId, started_at: '2026-12-01T00:00:00Z',
      finished_at: '2026-12-01T00:00:01Z', seconds: 1, input_npz: p(`../phase_c/dose_${dose}/patched_${split}.npz`), input_size: null,
      input_sha256: null, output_dir: p(dir), log_path: p(`${dir}/reconstruction.log`), stdout_preview: '', command: ['ptychostudy', 'lsqml'],
      reconstruction_npz: p(`${dir}/reconstruction.npz`), reconstruction_png: null, lsqml_log: null, epochs_run: 3, final_loss: 0.1,
      n_positions: 10, error: null, metadata: 'absent', history: [],
    });
  }
  return {
    schema_version: absolute ? '1.0.0' : SCHEMA_VERSION, timestamp: '2026-12-01T00:00:01Z', phase_c_root: p('../phase_c'),
    phase_d_root: p('../phase_d'), artifact_root: absolute ? hub.f : '.',
    filters: { dose: null, view: 'baseline', split: null, gridsize: null }, total_jobs: results.length, filtered_jobs: 0, missing_jobs: [],
    jobs: [], execution_results: results,
    runs: [{ run_id: runId, started_at: '2026-12-01T00:00:00Z', finished_at: '2026-12-01T00:00:01Z', dry_run: false, filters: { dose: null, view: 'baseline', split: null, gridsize: null },
      snapshot: `runs/${runId}`, total_jobs: results.length, filtered_jobs: results.length, executed: results.length, succeeded: results.length, failed: 0,
      already_complete: 0, skipped_count: 0, missing_phase_d_count: 0 }],
  };
}

test('a run id that is not one safe name, anywhere in the Phase F evidence: reconstruct --force refuses before anything moves', () => {
  const hub = makeHub(join(root, 'runid'), { doses: [1000] });
  mkdirSync(join(hub.d), { recursive: true });
  const manifestPath = join(hub.f, 'reconstruction_manifest.json');
  const cases: [string, string, (m: Manifest) => void][] = [
    ['execution_results.0.run_id', '../../../escape', (m) => { m.execution_results[0]!.run_id = '../../../escape'; }],
    ['execution_results.1.run_id', 'a/b', (m) => { m.execution_results[1]!.run_id = 'a/b'; }],
    ['execution_results.0.history.0.run_id', '/tmp/abs', (m) => { const { history: _h, ...old } = m.execution_results[0]!; m.execution_results[0]!.history = [{ ...old, run_id: '/tmp/abs' }]; }],
    ['runs.0.run_id', '..', (m) => { m.runs[0]!.run_id = '..'; }],
    ['runs.0.snapshot', 'runs/../../x', (m) => { m.runs[0]!.snapshot = 'runs/../../x'; }],
  ];
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const [key, found, spoil] of cases) {
    const m = manifestFor(hub, [1000], false);
    spoil(m);
    writeFileSync(manifestPath, JSON.stringify(m, null, 2));
    const before = snapshot(join(root, 'runid'));
    const r = ptychostudy(['reconstruct', '--phase-c-root', hub.c, '--phase-d-root', hub.d, '--out', hub.f, '--doses', '1000',
      '--view', 'baseline', '--force', '--allow-missing-phase-d']);
    refused(r, 'reconstruct', new RegExp(`^ptychostudy reconstruct: ${esc(manifestPath)}: the existing reconstruction manifest does not match its schema at ${esc(key)}: expected .*; found ${esc(JSON.stringify(found))}; it was left untouched`));
    assert.deepEqual(snapshot(join(root, 'runid')), before, `${key}: nothing written or moved`);
    assert.ok(!existsSync(join(root, 'escape')) && !existsSync(join(hub.f, 'dose_1000', 'baseline', 'train', 'history')));
  }
  const skip = join(hub.f, 'skip_summary.json');
  writeFileSync(manifestPath, JSON.stringify(manifestFor(hub, [1000], false), null, 2));
  writeFileSync(skip, JSON.stringify({ schema_version: SCHEMA_VERSION, timestamp: '2026-12-01T00:00:01Z', skipped_count: 1,
    skipped_jobs: [{ dose: 1000, view: 'dense', split: 'train', reason: 'x', run_id: '../up' }], missing_phase_d_count: 0 }));
  const before = snapshot(join(root, 'runid'));
  refused(ptychostudy(['reconstruct', '--phase-c-root', hub.c, '--phase-d-root', hub.d, '--out', hub.f, '--doses', '1000', '--force', '--allow-missing-phase-d']),
    'reconstruct', /skip_summary\.json: the existing skip summary does not match its schema at skipped_jobs\.0\.run_id: expected a run id, .*; found "\.\.\/up"/);
  assert.deepEqual(snapshot(join(root, 'runid')), before);
});

test('a metrics summary naming a view, split or run id that is not the study\'s: compare refuses before writing; the report names it as broken and does not follow it', () => {
  const hub = makeHub(join(root, 'summary'), { doses: [1000] });
  const base = ['compare', '--phase-c-root', hub.c, '--phase-f-root', hub.f, '--out', hub.g, '--no-figures', '--no-charts', '--quiet'];
  assert.equal(ptychostudy(base).status, 0);
  const path = join(hub.g, 'metrics_summary.json');
  const good = JSON.parse(readFileSync(path, 'utf8')) as { rows: { view: string; run_id: string; split: string }[] };
  for (const [key, value, spoil] of [
    ['rows.0.view', '../../../../tmp/x', (s: typeof good) => { s.rows[0]!.view = '../../../../tmp/x'; }],
    ['rows.0.split', 'a/b', (s: typeof good) => { s.rows[0]!.split = 'a/b'; }],
    ['rows.0.run_id', '../r', (s: typeof good) => { s.rows[0]!.run_id = '../r'; }],
  ] as const) {
    const s = structuredClone(good);
    spoil(s);
    writeFileSync(path, JSON.stringify(s));
    const before = snapshot(join(root, 'summary'));
    const line = new RegExp(`${path}: key '${key.replace(/\./g, '\\.')}' does not match the metrics summary schema: .*${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`);
    refused(ptychostudy(base), 'compare', line);
    assert.deepEqual(snapshot(join(root, 'summary')), before, `${key}: nothing written`);
    // the report names it as broken evidence (exit 1, its page written from the rest), neither reading nor writing
    // where it points: nothing outside the report's own folder changes
    const reportDir = join(root, 'summary', 'report');
    const outsideReport = (l: string[]): string[] => l.filter((e) => !e.startsWith(reportDir));
    const r = ptychostudy(['report', '--hub', join(root, 'summary')]);
    assert.equal(r.status, 1, `${key}: exit ${r.status}: ${r.stderr}`);
    const named = r.stderr.split('\n').filter((l) => l.includes('(broken evidence'));
    assert.equal(named.length, 1, r.stderr);
    assert.match(named[0]!, line);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.match(readFileSync(join(reportDir, 'index.html'), 'utf8'), /Broken evidence/);
    assert.deepEqual(outsideReport(snapshot(join(root, 'summary'))), outsideReport(before), `${key}: the report wrote outside its folder`);
  }
});

test('a copied hub is compared with its own files (relative paths now; absolute paths of older hubs are not followed out of it)', () => {
  for (const absolute of [false, true]) {
    const a = join(root, `copy-${absolute}`, 'hubA');
    const hubA = makeHub(a, { doses: [1000, 10000] });
    writeFileSync(join(hubA.f, 'reconstruction_manifest.json'), JSON.stringify(manifestFor(hubA, [1000, 10000], absolute), null, 2));
    const b = join(root, `copy-${absolute}`, 'hubB');
    cpSync(a, b, { recursive: true, preserveTimestamps: true });
    // damage hubB only: a truncated reconstruction of one job, an unreadable ground truth of another
    const recB = join(b, 'phase_f', 'dose_1000', 'baseline', 'test', 'reconstruction.npz');
    writeFileSync(recB, readFileSync(recB).subarray(0, 100));
    saveNpz(join(b, 'phase_c', 'dose_10000', 'patched_train.npz'), { objectGuess: toC64(syntheticObject(8, 8)) });
    const aBefore = snapshot(a);
    const r = ptychostudy(['compare', '--phase-c-root', join(b, 'phase_c'), '--phase-f-root', join(b, 'phase_f'), '--out', join(b, 'phase_g'),
      '--no-figures', '--no-charts', '--json']);
    assert.equal(r.status, 1, r.stderr); // the two damaged jobs fail, the others are compared
    const s = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(b, 'phase_g', 'metrics_summary.json'), 'utf8')));
    const row = (dose: number, split: string) => s.rows.find((x) => x.dose === dose && x.split === split)!;
    assert.equal(row(1000, 'test').status, 'failed', 'hubB\'s truncated reconstruction was read, not hubA\'s');
    assert.match(row(1000, 'test').error ?? '', /hubB/);
    assert.equal(row(10000, 'train').status, 'failed', 'hubB\'s ground truth was read');
    assert.match(row(10000, 'train').error ?? '', /hubB.*xcoords|hubB.*needed as ground truth/);
    for (const [d, sp] of [[1000, 'train'], [10000, 'test']] as const) {
      assert.equal(row(d, sp).status, 'ok');
      assert.equal(row(d, sp).reconstruction, `../phase_f/dose_${d}/baseline/${sp}/reconstruction.npz`, 'recorded relative to the Phase G root');
      assert.equal(row(d, sp).ground_truth, `../phase_c/dose_${d}/patched_${sp}.npz`);
    }
    assert.equal(absolute, /recorded paths? .* lie outside the roots given/.test(r.stderr), 'a copied older hub says its recorded paths were not followed');
    assert.deepEqual(snapshot(a), aBefore, 'hubA untouched');
  }
});

test('a Phase C file without objectGuess (measured data) is not scored, and the reason says there is no ground truth', () => {
  const hub = makeHub(join(root, 'no-gt'), { doses: [1000] });
  const input = join(hub.c, 'dose_1000', 'patched_test.npz');
  const { objectGuess: _dropped, ...rest } = loadNpz(input);
  saveNpz(input, rest);
  const r = ptychostudy(['compare', '--phase-c-root', hub.c, '--phase-f-root', hub.f, '--out', hub.g, '--no-figures', '--no-charts', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const s = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(hub.g, 'metrics_summary.json'), 'utf8')));
  const test = s.rows.find((x) => x.split === 'test')!;
  assert.equal(test.status, 'failed');
  assert.match(test.error ?? '', /^no ground truth: .*patched_test\.npz: no 'objectGuess'/);
  assert.doesNotMatch(test.error ?? '', /unreadable/);
  assert.equal(s.rows.find((x) => x.split === 'train')!.status, 'ok');
});

test('a CXI file placed in Phase C (docs/real-data.md) is not scored either: no ground truth, not a "truncated" NPZ', () => {
  const hub = makeHub(join(root, 'cxi-gt'), { doses: [1000] });
  cpSync(fileURLToPath(new URL('../../../test/fixtures/cxi/scan.cxi', import.meta.url)), join(hub.c, 'dose_1000', 'patched_test.npz'));
  const r = ptychostudy(['compare', '--phase-c-root', hub.c, '--phase-f-root', hub.f, '--out', hub.g, '--no-figures', '--no-charts', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const s = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(hub.g, 'metrics_summary.json'), 'utf8')));
  const test = s.rows.find((x) => x.split === 'test')!;
  assert.equal(test.status, 'failed');
  assert.match(test.error ?? '', /^no ground truth: .*patched_test\.npz: measured data in an HDF5 file \(CXI or PtyPy \.ptyd\), which has no ground-truth object to score against/);
  assert.doesNotMatch(test.error ?? '', /unreadable|truncated|zip/);
  assert.equal(s.rows.find((x) => x.split === 'train')!.status, 'ok');
});

test('a recorded path that leads out of the roots is never read, even when a file is there', () => {
  const hub = makeHub(join(root, 'escape', 'hub'), { doses: [1000] });
  const outside = join(root, 'escape', 'elsewhere', 'reconstruction.npz');
  mkdirSync(join(outside, '..'), { recursive: true });
  writeFileSync(outside, 'not an npz');
  const m = manifestFor(hub, [1000], false);
  m.execution_results[0]!.reconstruction_npz = '../../elsewhere/reconstruction.npz';
  m.execution_results[1]!.input_npz = '../../elsewhere/reconstruction.npz';
  writeFileSync(join(hub.f, 'reconstruction_manifest.json'), JSON.stringify(m, null, 2));
  const r = ptychostudy(['compare', '--phase-c-root', hub.c, '--phase-f-root', hub.f, '--out', hub.g, '--no-figures', '--no-charts']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /2 recorded paths \(e\.g\. \.\.\/\.\.\/elsewhere\/reconstruction\.npz\) lie outside the roots given/);
  const s = MetricsSummarySchema.parse(JSON.parse(readFileSync(join(hub.g, 'metrics_summary.json'), 'utf8')));
  for (const x of s.rows) assert.equal(x.status, 'ok', `${x.split}: the layout's own files were used`);
});
