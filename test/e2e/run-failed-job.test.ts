/**
 * What `ptychostudy run` prints at its end when a reconstruction failed: the failed job in the summary table
 * (not left out), the job and the log that says why (a path that opens from where the command ran), and the
 * command that continues the hub — not a plain "done"; the phase with the failed job marked ✗, not ✓. And the
 * table's FRC50 column in cycles per pixel (each job's ring over the side of its own compared square), labelled so;
 * the plain progress lines, each after the time elapsed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--n-images', '24', '--epochs', '2', '--dose', '1000', '--jobs', '2'];

function run(cwd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a run whose reconstruction fails ends by naming the failed job, its log and the command that continues', { timeout: 600_000 }, () => {
  const cwd = tempDir('run-failed');
  const first = run(cwd, [...TINY, '--out', 'hub']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /\ndone in [\d.]+ s\. Report: hub\/report\/index\.html\n$/);
  // piped, each progress line begins with the time since the run started; the summary at the end does not
  assert.match(first.stderr, /^\[\+0:\d\d:\d\d\] hub: hub\n/);
  assert.match(first.stderr, /^\[\+0:\d\d:\d\d\] ✓ reconstruct \(.*: \d+ run \(\d+ ok, 0 failed\)/m);
  assert.match(first.stderr, /^\[\+0:\d\d:\d\d\] \[1\/6\] start dose=1000 /m);
  // the FRC50 column: each job's ring / n in cycles per pixel (the views' squares differ in side; docs/metrics.md), and says so
  const table = first.stderr.slice(first.stderr.indexOf('test split, model LSQML:'));
  assert.match(table, /^dose +view +MS-SSIM phase +MS-SSIM amplitude +FRC50 phase \(cycles\/px\)$/m);
  assert.match(table, /^FRC50: the spatial frequency where the phase FRC falls below 0\.5, in cycles per pixel \(the ring of the compared n×n square over n, at most 0\.5, Nyquist; the half period is 1\/\(2f\) px; docs\/metrics\.md\)$/m);
  const summary = JSON.parse(readFileSync(join(cwd, 'hub/phase_g/metrics_summary.json'), 'utf8')) as {
    rows: { dose: number; view: string; split: string; model: string; status: string; compared_shape: [number, number]; metrics: { frc50: { phase: number } } }[];
  };
  const scored = summary.rows.filter((x) => x.model === 'LSQML' && x.split === 'test' && x.status === 'ok');
  assert.equal(scored.length, 3, 'one test row per view');
  assert.ok(new Set(scored.map((x) => Math.min(...x.compared_shape))).size > 1, 'the views\' squares differ in side');
  for (const x of scored) {
    const f = Math.min(x.metrics.frc50.phase / Math.min(...x.compared_shape), 0.5).toFixed(3);
    assert.match(table, new RegExp(`^${x.dose} +${x.view} +\\S+ +\\S+ +${f.replace('.', '\\.')}$`, 'm'), `${x.view}: ring ${x.metrics.frc50.phase} of ${Math.min(...x.compared_shape)} px`);
  }

  // One job loses its result and its input is truncated: the resumed run re-runs it, and it fails.
  rmSync(join(cwd, 'hub/phase_f/dose_1000/sparse/test/reconstruction.npz'));
  const input = join(cwd, 'hub/phase_d/dose_1000/sparse/sparse_test.npz');
  writeFileSync(input, readFileSync(input).subarray(0, 3000));
  // A resume, and Phase F, refuse a Phase D file changed since Phase D wrote it (test/e2e/run-evidence.test.ts); a hub
  // recorded before run.json fingerprinted Phase D and its manifest recorded the files' hashes is not checked, and its job fails instead.
  const statePath = join(cwd, 'hub/run.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  delete state.phases.overlap.outputs_sha256;
  writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
  const overlapManifest = join(cwd, 'hub/phase_d/overlap_manifest.json');
  const d = JSON.parse(readFileSync(overlapManifest, 'utf8'));
  delete d.doses.dose_1000.views.sparse.files;
  writeFileSync(overlapManifest, JSON.stringify(d, null, 2) + '\n');
  const r = run(cwd, ['--out', 'hub']);
  assert.equal(r.status, 1, r.stderr);
  // the phase that ran to its end with a failed job is marked as such, not with ✓
  assert.match(r.stderr, /^\[\+0:\d\d:\d\d\] ✗ reconstruct \(.*: 1 run \(0 ok, 1 failed\)/m);
  assert.doesNotMatch(r.stderr, /✓ reconstruct/);
  const end = r.stderr.slice(r.stderr.indexOf('test split, model LSQML:'));
  assert.match(end, /\n1000 +sparse +not scored/, 'the failed job is a row of the table');
  assert.doesNotMatch(end, /^done in/m, 'a run with a failed job does not end with "done"');
  const failed = /^ {2}dose=1000 view=sparse split=test: .*not a valid \.npz.* \(log (\S+)\)$/m.exec(end);
  assert.ok(failed, end);
  assert.ok(existsSync(join(cwd, failed[1]!)), `${failed[1]} opens from the directory the command ran in`);
  assert.match(end, /finished with 1 failed job in [\d.]+ s\. Report: hub\/report\/index\.html\n/);
  assert.match(end, /Fix the cause, then continue with: ptychostudy run --out hub \(failed jobs are retried; finished ones are kept\)\n$/);

  // --json keeps stdout pure JSON, and its summary has the failed job's row too.
  const j = run(cwd, ['--out', 'hub', '--json']);
  assert.equal(j.status, 1, j.stderr);
  const out = JSON.parse(j.stdout) as { summary: { dose: number; view: string; split: string; status: string }[] };
  assert.ok(out.summary.some((s) => s.view === 'sparse' && s.split === 'test' && s.status === 'not scored'), j.stdout);
});
