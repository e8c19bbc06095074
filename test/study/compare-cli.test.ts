import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { makeHub, toC64 } from './compare-hub.js';
import { syntheticObject } from '../metrics/synthetic.js';

const cli = 'dist/src/cli/main.js';
function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

test('ptychostudy compare / report: exit codes, --json, external models, usage errors', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compare-cli-'));
  try {
    const r = makeHub(root, { doses: [1000, 10000] });
    const base = ['compare', '--phase-c-root', r.c, '--phase-d-root', r.d, '--phase-f-root', r.f, '--output-root', r.g, '--quiet', '--no-charts'];
    const ok = run([...base, '--json', '--split', 'train']);
    assert.equal(ok.status, 0, ok.stderr);
    const j = JSON.parse(ok.stdout) as { compared: number; failed: number; skipped: number; summary: string };
    assert.deepEqual([j.compared, j.failed, j.skipped], [2, 0, 4]); // dense and sparse have no input in this hub
    assert.ok(existsSync(j.summary));
    // A broken external file: recorded, exit 1, the rest still written.
    saveNpz(join(root, 'bad.npz'), { not_an_object: toC64(syntheticObject(4, 4)) });
    const bad = run([...base, '--split', 'test', '--model', `Bad=${join(root, 'bad.npz')}`]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /compared 2 job\(s\), 2 comparison\(s\) failed/);
    // --quiet keeps each failed comparison's line (which job, why), and nothing else of the progress
    assert.match(bad.stderr, /^\[1\/6\] dose_1000\/baseline\/test: .*Bad failed/m, bad.stderr);
    assert.doesNotMatch(bad.stderr, /summary|charts/, bad.stderr);
    assert.ok(existsSync(join(r.g, 'dose_1000', 'baseline', 'test', 'comparison_metrics.csv')));
    // Usage errors: exit 2, nothing run.
    assert.equal(run(['compare', '--phase-c-root', r.c]).status, 2);
    assert.match(run([...base, '--view', 'nope']).stderr, /--view nope/);
    // a filter given twice selects one value: refused (exit 2), never the last one silently kept
    const twoViews = run([...base, '--view', 'baseline', '--view', 'dense']);
    assert.equal(twoViews.status, 2);
    assert.match(twoViews.stderr, /^ptychostudy compare: --view: one view at a time, found baseline, dense/);
    assert.equal(run([...base, '--split', 'train', '--split', 'test']).status, 2);
    assert.equal(run([...base, '--model', 'no-equals-sign']).status, 2);
    // names that differ only in their file-name form would share the keys of reconstructions_aligned.npz
    const same = run([...base, '--model', `Pty-Chi=${join(root, 'a.npz')}`, '--model', `Pty_Chi=${join(root, 'b.npz')}`]);
    assert.equal(same.status, 2);
    assert.match(same.stderr, /^ptychostudy compare: --model name 'Pty_Chi' is used twice .*'Pty-Chi' and 'Pty_Chi' both name their files pty_chi_\*$/m);
    assert.equal(run([...base, '--model', `lsqml.=${join(root, 'a.npz')}`]).status, 2);
    assert.equal(run([...base, '--dose', '5']).status, 2);
    const never = run([...base, '--split', 'train', '--model', `Ghost=${join(root, 'ghost_{dose}.npz')}`]);
    assert.equal(never.status, 0);
    assert.match(never.stderr, /--model Ghost: no file matched/);
    // report
    const rep = run(['report', '--hub', root, '--quiet']);
    assert.equal(rep.status, 0, rep.stderr);
    assert.ok(existsSync(join(root, 'report', 'index.html')));
    assert.equal(run(['report', '--hub', join(root, 'nope')]).status, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ptychostudy compare: an --out that is a file is bad usage (exit 2, one line naming it), the file left as it was', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compare-cli-'));
  try {
    const r = makeHub(root, { doses: [1000] });
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory\n');
    const res = run(['compare', '--phase-c-root', r.c, '--phase-d-root', r.d, '--phase-f-root', r.f, '--out', file, '--quiet']);
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /^ptychostudy compare: \S*a-file exists and is not a directory\n$/);
    assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ptychostudy compare takes the reference comparison CLI\'s --artifact-root for --out', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compare-cli-'));
  try {
    const r = makeHub(root, { doses: [1000] });
    const base = ['compare', '--phase-c-root', r.c, '--phase-d-root', r.d, '--phase-f-root', r.f, '--quiet', '--no-charts', '--no-figures', '--split', 'train'];
    const viaOld = run([...base, '--artifact-root', r.g]);
    assert.equal(viaOld.status, 0, viaOld.stderr);
    assert.ok(existsSync(join(r.g, 'metrics_summary.json')));
    assert.ok(existsSync(join(r.g, 'dose_1000', 'baseline', 'train', 'comparison_metrics.csv')));
    const both = run([...base, '--out', join(root, 'a'), '--artifact-root', join(root, 'b')]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--out and --artifact-root name the same option with different values/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ptychostudy compare whose charts cannot be written after the merge: its line says the rows are merged, not that they were kept unmerged', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compare-cli-'));
  try {
    const r = makeHub(root, { doses: [1000] });
    mkdirSync(r.g, { recursive: true });
    writeFileSync(join(r.g, 'charts'), 'a file where the charts folder goes\n'); // the first chart's write fails, after the merge
    const res = run(['compare', '--phase-c-root', r.c, '--phase-d-root', r.d, '--phase-f-root', r.f, '--out', r.g, '--quiet', '--no-figures',
      '--split', 'train', '--view', 'baseline']);
    assert.equal(res.status, 1, res.stderr);
    const summary = join(r.g, 'metrics_summary.json');
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    assert.match(res.stderr, new RegExp(`^ptychostudy compare: ${esc(r.g)}/charts/\\w+\\.svg: cannot be written \\([^)]*\\); this run's rows are merged into ${esc(summary)}, ` +
      'but metrics_summary\\.md, metrics_summary\\.csv and the charts are not all written from it; compare again to write them\\n$'), res.stderr);
    const merged = JSON.parse(readFileSync(summary, 'utf8')) as { runs: { run_id: string }[]; rows: { run_id: string; status: string }[] };
    assert.equal(merged.runs.length, 1);
    assert.deepEqual(merged.rows.map((x) => [x.run_id, x.status]), [[merged.runs[0]!.run_id, 'ok']]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
