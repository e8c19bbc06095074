/**
 * Resuming a hub whose comparisons failed for a reason that has since gone (a full disk, a file size
 * limit): `run --out HUB` tries the comparison again — as it tries a failed reconstruction again — instead of
 * keeping the failure as the hub's final result. The failure is made real: the first run's process may write
 * no file larger than 850 KiB (`ulimit -f`), which every Phase C, D and F file of this tiny study fits and every
 * comparison's aligned reconstructions (≈ 0.9–1.1 MB) do not. An external model compared into the hub by hand
 * before the resume is compared again by it, not dropped from the summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmp } from '../study/reconstruct-helpers.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1'];

function run(args: string[], fileSizeLimitKiB?: number): { status: number | null; stderr: string } {
  const argv = [process.execPath, CLI, 'run', ...args];
  const r = fileSizeLimitKiB === undefined
    ? spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } })
    // POSIX sh counts `ulimit -f` in 512-byte blocks (dash does, and bash when run as sh)
    : spawnSync('/bin/sh', ['-c', `ulimit -f ${fileSizeLimitKiB * 2} && exec "$@"`, 'sh', ...argv],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr };
}

const json = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));

test('a resume tries failed comparisons again once their cause is gone', { timeout: 600_000 }, () => {
  const hub = join(tmp('resume-failed-compare'), 'hub');
  const first = run([...TINY, '--out', hub, '--quiet'], 850);
  assert.equal(first.status, 1, `the first run should end with failed comparisons (exit 1): ${first.stderr}`);
  const failed = json(join(hub, 'run.json')).phases.compare;
  assert.equal(failed.status, 'complete');
  assert.ok(failed.failures > 0, `the first run's comparisons should have failed: ${JSON.stringify(failed)}`);
  assert.equal(json(join(hub, 'run.json')).phases.reconstruct.failures, 0, 'the reconstructions fit the limit');

  // an external model compared into the hub by hand (one job has its file) is compared again by the resume, not dropped
  const ext = join(tmp('resume-failed-compare-ext'), 'baseline_test.npz');
  cpSync(join(hub, 'phase_f', 'dose_10000', 'baseline', 'test', 'reconstruction.npz'), ext);
  const pattern = join(dirname(ext), '{view}_{split}.npz');
  const g = join(hub, 'phase_g');
  const byHand = spawnSync(process.execPath, [CLI, 'compare', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'),
    '--phase-f-root', join(hub, 'phase_f'), '--out', g, '--view', 'baseline', '--split', 'test', '--model', `X=${pattern}`, '--no-figures', '--no-charts', '--quiet'],
  { encoding: 'utf8' });
  assert.equal(byHand.status, 0, byHand.stderr);

  // the limit is gone: the same command continues the hub
  const again = run(['--out', hub]);
  assert.doesNotMatch(again.stderr, /compare: skipped/, 'failed comparisons were kept as the result instead of being tried again');
  assert.equal(again.status, 0, again.stderr);
  const redone = json(join(hub, 'run.json')).phases.compare;
  assert.equal(redone.failures, 0);
  assert.match(redone.detail, /^6 compared, 0 failed/);
  assert.ok(existsSync(join(hub, 'phase_g', 'dose_10000', 'dense', 'train', 'reconstructions_aligned.npz')));
  const summary = json(join(hub, 'phase_g', 'metrics_summary.json'));
  assert.equal(summary.n_failed, 0, 'the merged summary still holds failed rows');
  assert.match(again.stderr, new RegExp(`external model X \\(current in metrics_summary\\.json\\): compared again, from ${pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.match(redone.detail, /; external models compared again: X$/);
  assert.deepEqual(summary.models, ['LSQML', 'X'], 'the resume dropped the model compared by hand');
  const x = summary.rows.filter((r: { model: string }) => r.model === 'X');
  assert.equal(x.length, 6, 'one X row per job');
  assert.deepEqual(x.filter((r: { status: string }) => r.status === 'ok').map((r: { view: string; split: string }) => `${r.view}/${r.split}`), ['baseline/test']);

  // and a hub with nothing failed is left as it is
  const third = run(['--out', hub]);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stderr, /compare: skipped \(inputs and outputs unchanged\)/);
});
