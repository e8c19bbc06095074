/**
 * Resuming a hub whose comparisons failed for a reason that has since gone (a full disk, a file size
 * limit): `run --out HUB` tries the comparison again — as it tries a failed reconstruction again — instead of
 * keeping the failure as the hub's final result. The failure is made real: the first run's process may write
 * no file larger than 850 KiB (`ulimit -f`), which every Phase C, D and F file of this tiny study fits and every
 * comparison's aligned reconstructions (≈ 0.9–1.1 MB) do not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  // and a hub with nothing failed is left as it is
  const third = run(['--out', hub]);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stderr, /compare: skipped \(inputs and outputs unchanged\)/);
});
