/**
 * The whole study through `ptychostudy run`, on a reduced quick configuration: every phase's files,
 * manifests that validate against their schemas, a report whose images exist, the dose trend, and
 * resume after SIGINT and SIGKILL without redoing finished reconstructions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestSchema, SkipSummarySchema } from '../../src/study/hub/reconstruction-files.js';
import { MetricsSummarySchema } from '../../src/study/hub/metrics-summary.js';
import { loadDataset } from '../../src/data/dataset.js';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { waitFor } from './child.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
// QUICK is the quick study exactly as `npm start` runs it (about a minute on 2 cores; the seed makes it
// deterministic). SMALL is a reduced one for the resume test: two doses of the tiny study the other resume tests
// run (24 positions, 2 epochs; test/e2e/resume.test.ts): twelve jobs of about half a second each. Each signal is
// sent once a job has finished, whatever the jobs' size.
const QUICK = ['--preset', 'quick', '--jobs', '2'];
const SMALL = ['--preset', 'quick', '--n-images', '24', '--epochs', '2', '--dose', '1000', '--dose', '100000'];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', timeout: 480_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('ptychostudy run writes a complete hub for the quick study', { timeout: 900_000 }, () => {
  const hub = join(tempDir('run'), 'hub');
  const r = run([...QUICK, '--out', hub, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { hub: string; report: string; summary: { dose: number; view: string; ms_ssim_phase: number | null }[] };
  assert.equal(out.hub, hub);
  assert.equal(out.report, join(hub, 'report', 'index.html'));

  // run.json: every phase complete.
  const state = json(join(hub, 'run.json')) as { status: string; phases: Record<string, { status: string }> };
  assert.equal(state.status, 'complete');
  for (const p of ['design', 'generate', 'overlap', 'reconstruct', 'compare', 'report']) assert.equal(state.phases[p]?.status, 'complete', p);

  // Phase C: both splits of both doses pass the dataset contract.
  for (const d of [1000, 10000, 100000]) {
    for (const s of ['train', 'test']) {
      const ds = loadDataset(join(hub, 'phase_c', `dose_${d}`, `patched_${s}.npz`));
      assert.ok(ds.n > 0);
    }
  }
  // Phase D: views with truthful metadata.
  for (const v of ['dense', 'sparse']) {
    const file = join(hub, 'phase_d', 'dose_1000', v, `${v}_train.npz`);
    const arrays = loadNpz(file);
    const meta = readMetadata(arrays);
    assert.equal(meta.status, 'ok');
    const value = (meta as { value: Record<string, unknown> }).value;
    assert.equal(value['overlap_view'], v);
    assert.equal(value['n_accepted'], arrays['xcoords']!.shape[0]);
  }
  // Phase F: manifests validate; 18 jobs, every one succeeded and left its files.
  const manifest = ManifestSchema.parse(json(join(hub, 'phase_f', 'reconstruction_manifest.json')));
  SkipSummarySchema.parse(json(join(hub, 'phase_f', 'skip_summary.json')));
  assert.equal(manifest.execution_results.length, 18);
  for (const res of manifest.execution_results) {
    assert.equal(res.status, 'success', `${res.dose}/${res.view}/${res.split}: ${res.error}`);
    const dir = join(hub, 'phase_f', `dose_${res.dose}`, res.view, res.split);
    for (const f of ['reconstruction.npz', 'reconstruction.png', 'lsqml.log', 'reconstruction.log']) assert.ok(existsSync(join(dir, f)), join(dir, f));
  }
  // Phase G: summary validates and holds a row per job for our model.
  const summary = MetricsSummarySchema.parse(json(join(hub, 'phase_g', 'metrics_summary.json')));
  const ours = summary.rows.filter((row) => row.model === 'LSQML');
  assert.equal(ours.length, 18);
  assert.ok(ours.every((row) => row.status === 'ok'));
  assert.ok(existsSync(join(hub, 'phase_g', 'metrics_summary.md')));

  // Dose trend (sanity, with a tolerance, not fixed numbers): for the dense view, MS-SSIM does not get
  // worse from one dose to the next (beyond 0.03) and is clearly better at 1e5 than at 1e3 photons.
  for (const split of ['train', 'test']) {
    const series = [1000, 10000, 100000].map((dose) =>
      ours.find((row) => row.view === 'dense' && row.split === split && row.dose === dose)!.metrics['ms_ssim']!);
    const text = (k: 'amplitude' | 'phase') => series.map((m) => m[k]!.toFixed(3)).join(' → ');
    for (const k of ['amplitude', 'phase'] as const) {
      for (let i = 1; i < series.length; i++) {
        assert.ok(series[i]![k]! > series[i - 1]![k]! - 0.03, `dense ${split} ${k} MS-SSIM not monotonic: ${text(k)}`);
      }
      assert.ok(series[2]![k]! > series[0]![k]! + 0.02, `dense ${split} ${k} MS-SSIM does not improve with dose: ${text(k)}`);
    }
  }

  // Report: the page exists and every image it references is on disk.
  const html = readFileSync(out.report, 'utf8');
  const srcs = [...html.matchAll(/<img[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(srcs.length >= 12, `only ${srcs.length} images in the report`);
  for (const src of srcs) {
    if (src.startsWith('data:')) continue;
    assert.ok(existsSync(join(hub, 'report', decodeURIComponent(src))), `missing image ${src}`);
  }

  // A second run on the finished hub redoes nothing: every job is already complete.
  const again = run([...QUICK, '--out', hub, '--json']);
  assert.equal(again.status, 0, again.stderr);
  const manifest2 = ManifestSchema.parse(json(join(hub, 'phase_f', 'reconstruction_manifest.json')));
  for (const res of manifest2.execution_results) {
    const before = manifest.execution_results.find((x) => x.dose === res.dose && x.view === res.view && x.split === res.split)!;
    assert.equal(res.finished_at, before.finished_at, 'a finished job was run again');
  }

  // Other settings on the same hub are refused (exit 2) instead of mixing results.
  const other = run(['--preset', 'quick', '--dose', '1000', '--epochs', '3', '--out', hub]);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /other settings/);
});

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Finished jobs of a hub: key → finished_at, from the manifest on disk (which is always complete JSON). */
function finishedJobs(hub: string): Map<string, string> {
  const path = join(hub, 'phase_f', 'reconstruction_manifest.json');
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  const m = ManifestSchema.parse(json(path));
  for (const r of m.execution_results) if (r.status === 'success') out.set(`${r.dose}/${r.view}/${r.split}`, r.finished_at ?? '');
  return out;
}

test('an interrupted run (SIGINT, then SIGKILL) is completed by the next run without redoing finished jobs', { timeout: 400_000 }, async () => {
  const hub = join(tempDir('resume'), 'hub');
  const args = [CLI, 'run', ...SMALL, '--jobs', '1', '--out', hub];

  // 1. Ctrl-C after the first reconstruction lands: exit 130, run.json says interrupted.
  const first = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr1 = '';
  first.stderr!.on('data', (b: Buffer) => { stderr1 += b.toString(); });
  await waitFor(() => finishedJobs(hub).size >= 1, first, 240_000);
  first.kill('SIGINT');
  const e1 = await exited(first);
  assert.equal(e1.code, 130, stderr1);
  assert.match(stderr1, /interrupted; finished work is kept/);
  assert.equal((json(join(hub, 'run.json')) as { status: string }).status, 'interrupted');
  const afterInt = finishedJobs(hub);

  // 2. Resume, then SIGKILL once one more job has finished: the manifest on disk is still valid JSON.
  const second = spawn(process.execPath, args, { stdio: 'ignore' });
  await waitFor(() => finishedJobs(hub).size >= afterInt.size + 1, second, 240_000);
  second.kill('SIGKILL');
  await exited(second);
  const afterKill = finishedJobs(hub);
  for (const [k, t] of afterInt) assert.equal(afterKill.get(k), t, `job ${k} was redone by the resumed run`);

  // 3. The next run completes the hub, keeping every job that had finished.
  const third = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000 });
  assert.equal(third.status, 0, third.stderr);
  const final = finishedJobs(hub);
  assert.equal(final.size, 12);
  for (const [k, t] of afterKill) assert.equal(final.get(k), t, `job ${k} was redone after the kill`);
  assert.equal((json(join(hub, 'run.json')) as { status: string }).status, 'complete');
  // No temporary files are left behind in the hub.
  const leftovers: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.startsWith('.tmp-')) leftovers.push(p);
      else if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(hub);
  assert.deepEqual(leftovers, []);
});

test('run rejects bad usage with exit 2 and writes nothing', () => {
  const base = tempDir('usage');
  for (const [args, pattern] of [
    [['--preset', 'huge'], /--preset huge/],
    [['--epochs', '0'], /--epochs 0/],
    [['--dose', '-5'], /dose/i],
    [['--jobs', 'two'], /--jobs two/],
  ] as const) {
    const hub = join(base, `hub-${args.join('')}`);
    const r = run([...args, '--out', hub]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(hub), false, `${hub} was created`);
  }
  // A non-empty directory that is not a hub is refused, and its files are left alone.
  const foreign = join(base, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  const r = run(['--out', foreign]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /not a ptychostudy hub/);
  assert.deepEqual(readdirSync(foreign), ['notes.txt']);
});
