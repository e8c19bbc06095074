/**
 * A comparison stopped after some jobs: the next run into the same output root takes over the finished jobs whose
 * inputs, settings and files are provably the same, and the result is the same bytes as a run never stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { runComparison, type PhaseGOptions, type StartedRun } from '../../src/study/compare/phase.js';
import { removeEmptyDirs } from '../../src/files/dirs.js';
import { runningLockPath } from '../../src/study/compare/reuse.js';
import { makeHub } from './compare-hub.js';
import { tempDir } from '../tmp.js';

const DOSES = [1000, 10000];
const JOBS = DOSES.flatMap((d) => ['train', 'test'].map((s) => join(`dose_${d}`, 'baseline', s)));
const FILES = ['comparison_metrics.csv', 'frc_curves.csv', 'reconstructions_aligned.npz', 'comparison.png'];

type Roots = ReturnType<typeof makeHub>;

function baseOptions(r: Roots, extra: Partial<PhaseGOptions> = {}): PhaseGOptions {
  return { phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline', charts: false, ...extra };
}

/**
 * A run stopped after `k` jobs, as the CLI leaves it: the jobs' files whole, its still empty run folder removed.
 * Returns how many of them it reused.
 */
async function stopRun(r: Roots, k: number, extra: Partial<PhaseGOptions> = {}): Promise<number> {
  let started: StartedRun | null = null;
  let done = 0;
  let reused = 0;
  await assert.rejects(runComparison({ ...baseOptions(r, extra), onRunStarted: (s) => { started = s; } }, (p) => {
    if (p.kind === 'job' && / reused from /.test(p.message)) reused++;
    if (p.kind === 'job' && ++done === k) throw new Error('stopped');
  }), /stopped/);
  removeEmptyDirs(started!.created);
  return reused;
}

/** Run ids and times taken out (the only things that differ between two runs of the same inputs), and each row's key order kept. */
function normalised(text: string): string {
  return text.replace(/\d{8}T\d{6}Z(-baseline)?(-\d+)?/g, '<run>').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<time>');
}

function comparisonJson(dir: string): Record<string, unknown> {
  const { inputs_sha256: _i, ...doc } = JSON.parse(normalised(readFileSync(join(dir, 'comparison.json'), 'utf8'))) as Record<string, unknown>;
  return doc; // inputs_sha256 names the output root: it differs between the two hubs
}

const options = baseOptions;
const stopAfter = stopRun;

test('compare: a run stopped after 2 of 4 jobs is finished by the next run, which reuses those 2; the files are those of a run never stopped', async () => {
  const whole = makeHub(tempDir('compare-whole'), { doses: DOSES });
  const stopped = makeHub(tempDir('compare-stopped'), { doses: DOSES });
  const w = await runComparison(options(whole));
  assert.equal(w.reused, 0);
  await stopAfter(stopped, 2);
  assert.ok(!existsSync(join(stopped.g, 'runs')), 'the stopped run leaves no run folder');
  const stoppedRun = (JSON.parse(readFileSync(join(stopped.g, JOBS[0]!, 'comparison.json'), 'utf8')) as { run_id: string }).run_id;
  const lines: string[] = [];
  const s = await runComparison(options(stopped), (p) => lines.push(p.message));
  assert.equal(s.compared, 4);
  assert.equal(s.reused, 2);
  assert.deepEqual(s.reusedFrom, [stoppedRun]);
  assert.match(lines[0]!, new RegExp(`^\\[1/4\\] dose_1000/baseline/train: reused from the stopped run ${stoppedRun} — LSQML MS-SSIM`));
  assert.ok(lines.includes(`4 compared (2 reused from the stopped run ${stoppedRun})`), lines.join('\n'));
  // the reused jobs keep the stopped run's files and rows; nothing moved to a history
  for (const [i, job] of JOBS.entries()) {
    const doc = JSON.parse(readFileSync(join(stopped.g, job, 'comparison.json'), 'utf8')) as { run_id: string };
    assert.equal(doc.run_id, i < 2 ? stoppedRun : s.runId, job);
    assert.ok(!existsSync(join(stopped.g, job, 'history')), job);
    for (const f of FILES) assert.ok(readFileSync(join(stopped.g, job, f)).equals(readFileSync(join(whole.g, job, f))), `${job}/${f}: the same bytes`);
    assert.deepEqual(comparisonJson(join(stopped.g, job)), comparisonJson(join(whole.g, job)), job);
  }
  for (const f of ['metrics_summary.csv', 'metrics_summary.md']) {
    assert.equal(normalised(readFileSync(join(stopped.g, f), 'utf8')), normalised(readFileSync(join(whole.g, f), 'utf8')), f);
  }
  const summary = (g: string): unknown => {
    const { runs: _r, generated_at: _g, ...rest } = JSON.parse(normalised(readFileSync(join(g, 'metrics_summary.json'), 'utf8'))) as Record<string, unknown>;
    return rest;
  };
  assert.deepEqual(summary(stopped.g), summary(whole.g));
  const runs = (JSON.parse(readFileSync(join(stopped.g, 'metrics_summary.json'), 'utf8')) as { runs: { run_id: string; reused?: number; reused_from?: string[] }[] }).runs;
  assert.deepEqual(runs.map((r) => [r.run_id, r.reused, r.reused_from]), [[s.runId, 2, [stoppedRun]]]);
  // once a finished run has taken the jobs over, comparing again recomputes them
  const again = await runComparison(options(stopped));
  assert.equal(again.reused, 0);
});

test('compare: a stopped run\'s job is compared again when its reconstruction, a setting, one of its files or the hub differs, or when its run finished', async () => {
  const r = makeHub(tempDir('compare-redo'), { doses: DOSES });
  const options = (r: Roots, extra: Partial<PhaseGOptions> = {}): PhaseGOptions => baseOptions(r, { figures: false, ...extra });
  const stopAfter = (r: Roots, k: number, extra: Partial<PhaseGOptions> = {}): Promise<number> => stopRun(r, k, { figures: false, ...extra });
  await stopAfter(r, 3);
  // the copy of a stopped hub is another hub: nothing is reused there
  const copy = tempDir('compare-redo-copy');
  cpSync(join(r.c, '..'), copy, { recursive: true });
  const c = await runComparison(options({ c: join(copy, 'phase_c'), d: join(copy, 'phase_d'), f: join(copy, 'phase_f'), g: join(copy, 'phase_g') }));
  assert.equal(c.reused, 0);
  // job 0: another reconstruction (the same bytes of another job's); job 1: a damaged FRC table; job 2 as it was left
  cpSync(join(r.f, JOBS[3]!, 'reconstruction.npz'), join(r.f, JOBS[0]!, 'reconstruction.npz'));
  const frc = join(r.g, JOBS[1]!, 'frc_curves.csv');
  writeFileSync(frc, readFileSync(frc).subarray(0, 100));
  const stoppedRun = (JSON.parse(readFileSync(join(r.g, JOBS[2]!, 'comparison.json'), 'utf8')) as { run_id: string }).run_id;
  const s = await runComparison(options(r));
  assert.equal(s.reused, 1);
  assert.deepEqual(s.reusedFrom, [stoppedRun]);
  for (const [i, job] of JOBS.entries()) {
    const doc = JSON.parse(readFileSync(join(r.g, job, 'comparison.json'), 'utf8')) as { run_id: string };
    assert.equal(doc.run_id, i === 2 ? stoppedRun : s.runId, job);
    // what the stopped run left of a job compared again moved to its history, the damaged figure too
    assert.deepEqual(existsSync(join(r.g, job, 'history')) ? readdirSync(join(r.g, job, 'history')) : [], i < 2 ? [stoppedRun] : [], job);
  }
  assert.equal(readFileSync(join(r.g, JOBS[1]!, 'history', stoppedRun, 'frc_curves.csv')).length, 100);
  // a finished run's jobs are not reused: stopped after 2 jobs now, the next run compares all 4 again
  assert.equal(await stopAfter(r, 2), 0);
  const again = await runComparison(options(r, { region: 'patches' }));
  assert.equal(again.reused, 0, 'another region mode: every job compared again');
  assert.equal(await stopAfter(r, 2), 0);
  const figures = await runComparison(options(r, { figures: true }));
  assert.equal(figures.reused, 0, 'figures drawn now, not then: every job compared again');
  assert.equal(await stopAfter(r, 2), 0);
  const same = await runComparison(options(r));
  assert.equal(same.reused, 2);
});

test('compare: a run killed while comparing (its running lock left, its process gone) is a stopped run: its finished job is reused', async () => {
  const r = makeHub(tempDir('compare-killed'), { doses: [1000] });
  await stopAfter(r, 1, { figures: false });
  const killed = (JSON.parse(readFileSync(join(r.g, JOBS[0]!, 'comparison.json'), 'utf8')) as { run_id: string }).run_id;
  // the lock as a process killed with SIGKILL leaves it
  const lock = runningLockPath(r.g, killed);
  const child = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { acquireLock } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist', 'src', 'files', 'lock.js')).href)};` +
    `acquireLock(${JSON.stringify(lock)}, 'compare run', 'output root'); process.kill(process.pid, 'SIGKILL');`]);
  assert.equal(child.signal, 'SIGKILL', child.stderr.toString());
  assert.ok(existsSync(lock), 'the killed run left its lock');
  const s = await runComparison(options(r, { figures: false }));
  assert.equal(s.reused, 1);
  assert.deepEqual(s.reusedFrom, [killed]);
  assert.ok(!existsSync(lock), 'its stale lock is removed');
});

test('compare: a run killed before it finished a job (its running lock, empty run folder and a job\'s staging folder left) leaves nothing behind once the next run ends', async () => {
  const r = makeHub(tempDir('compare-killed-early'), { doses: [1000] });
  const killed = '20261206T090000Z';
  // what a process killed with SIGKILL while it wrote its first job's files leaves
  const lock = runningLockPath(r.g, killed);
  mkdirSync(join(r.g, 'runs', killed), { recursive: true });
  const staging = join(r.g, JOBS[0]!, `.staging-${killed}`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'comparison_metrics.csv'), 'model,metric\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { acquireLock } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist', 'src', 'files', 'lock.js')).href)};` +
    `acquireLock(${JSON.stringify(lock)}, 'compare run', 'output root'); process.kill(process.pid, 'SIGKILL');`]);
  assert.equal(child.signal, 'SIGKILL', child.stderr.toString());
  // a live run's staging folder is not the killed run's: it stays
  const live = join(r.g, JOBS[1]!, '.staging-20261206T100000Z');
  mkdirSync(live, { recursive: true });
  const s = await runComparison(options(r, { figures: false }));
  assert.equal(s.reused, 0);
  assert.equal(s.compared, 2);
  assert.ok(!existsSync(lock), 'its stale lock is removed');
  assert.ok(!existsSync(staging), 'its staging folder is removed');
  assert.ok(!existsSync(join(r.g, 'runs', killed)), 'its empty run folder is removed');
  assert.deepEqual(readdirSync(join(r.g, 'runs')), [s.runId]);
  assert.ok(existsSync(live), 'a folder no stale lock names stays');
  assert.deepEqual(readdirSync(r.g).filter((n) => n.startsWith('.')), []);
});

test('compare: a caller whose onRunStarted throws gets its error, and the run\'s running lock is released', async () => {
  const r = makeHub(tempDir('compare-started-throws'), { doses: [1000] });
  let runId: string | null = null;
  await assert.rejects(runComparison({ ...options(r), onRunStarted: (s) => { runId = s.runId; throw new Error('caller failed'); } }), /caller failed/);
  assert.ok(runId !== null);
  assert.ok(!existsSync(runningLockPath(r.g, runId)), 'no running lock left behind');
});
