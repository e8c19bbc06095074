// Phase G with several comparisons at once (`jobs` > 1: each in a worker thread) writes what one at a time in this
// thread writes — every job file, the summary, its tables and charts — but for the run's id and times; a stop lets
// the jobs under way finish whole and starts no other; an error that ends a job reaches the caller as it does in this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { comparisonPhase, comparisonPhaseInThreads, runComparison } from '../../src/study/compare/phase.js';
import type { ComparisonRun } from '../../src/study/compare/job.js';
import type { CompareJob } from '../../src/study/compare/plan.js';
import { JobError } from '../../src/study/job-thread.js';
import { exitCodeFor } from '../../src/errors.js';
import { comparisonThreadsStarted, defaultComparisonJobs } from '../../src/study/compare/threads.js';
import { StudyAbortedError } from '../../src/study/phase.js';
import { makeHub } from './compare-hub.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compare-threads-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir` (its runs/ snapshots aside), by path relative to it. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) { if (relative(dir, p) !== 'runs') walk(p); } else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** A text file with the run's id, its times, its root and the fingerprint that names the root taken out. */
function normalized(path: string, runId: string, outRoot: string): string {
  return readFileSync(path, 'utf8').split(runId).join('RUN').split(outRoot).join('ROOT')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME').replace(/"inputs_sha256": "[0-9a-f]{64}"/g, '"inputs_sha256": "H"');
}

test('compare with jobs 2: the jobs run in worker threads and write the bytes jobs 1 writes in this thread', async () => {
  const r = makeHub(join(root, 'hub'), { doses: [1000, 10000], omit: ['1000|baseline|test'] }); // 3 jobs compared, 9 skipped (no reconstruction)
  const one = join(root, 'one'), two = join(root, 'two');
  const a = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: one, jobs: 1 });
  const before = comparisonThreadsStarted();
  const lines: string[] = [];
  const b = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: two, jobs: 2 }, (p) => lines.push(p.message));
  assert.equal(comparisonThreadsStarted() - before, 2, 'two threads, each taking jobs in turn');
  assert.deepEqual([a.compared, a.skipped], [3, 9]);
  assert.deepEqual([b.compared, b.failed, b.skipped], [a.compared, a.failed, a.skipped]);
  assert.equal(lines.filter((l) => /^\[\d+\/12\]/.test(l)).length, 12, 'a progress line per job, passed on from its thread');
  const names = files(one);
  assert.deepEqual(files(two), names);
  assert.ok(names.includes('dose_10000/baseline/train/reconstructions_aligned.npz') && names.includes('charts/ms_ssim.png'));
  for (const f of names) {
    if (/\.(json|md|csv)$/.test(f) && /comparison\.json|metrics_summary/.test(f)) {
      assert.equal(normalized(join(two, f), b.runId, two), normalized(join(one, f), a.runId, one), f);
    } else {
      assert.ok(readFileSync(join(two, f)).equals(readFileSync(join(one, f))), `${f}: the same bytes`);
    }
  }
});

test('compare with jobs 2, stopped after its first job: the job under way in the other thread finishes whole, no job starts after', async () => {
  const r = makeHub(join(root, 'stop'), { doses: [1000, 10000] });
  const stop = new AbortController();
  const done: string[] = [];
  await assert.rejects(runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline', jobs: 2, signal: stop.signal }, (p) => {
    if (p.kind === 'job') { done.push(`dose_${p.dose}/${p.view}/${p.split}`); stop.abort(); }
  }), (e: unknown) => e instanceof StudyAbortedError && e.finishedJobs.length === done.length);
  assert.equal(done.length, 2, 'the first job and the one under way beside it');
  const written = files(r.g).filter((f) => f.startsWith('dose_')).map((f) => f.split('/').slice(0, 3).join('/'));
  assert.deepEqual([...new Set(written)].sort(), [...done].sort(), 'only the finished jobs wrote files');
  for (const d of done) {
    assert.deepEqual(readdirSync(join(r.g, d)).sort(),
      ['comparison.json', 'comparison.png', 'comparison_metrics.csv', 'frc_curves.csv', 'reconstructions_aligned.npz'], d);
  }
  assert.ok(!existsSync(join(r.g, 'metrics_summary.json')));
});

test('compare refuses a jobs option that is not a positive integer', async () => {
  const r = makeHub(join(root, 'bad'), { doses: [1000] });
  for (const jobs of [0, 1.5, -2]) {
    await assert.rejects(runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, jobs }),
      /`jobs` .*expected a positive integer/);
  }
  assert.ok(!existsSync(r.g), 'nothing written');
});

test('the commands\' default: one comparison at a time on one or two cores (it keeps a second core busy already), else one per core', () => {
  assert.deepEqual([1, 2, 3, 8].map((c) => defaultComparisonJobs(c)), [1, 1, 3, 8]);
});

test('a comparison that ends outside its own problems (a fault of the code here: a run without its models) rejects in a thread with the error the same job throws in this thread: its name and message', async () => {
  const run = { runId: 'r', models: null, total: 1 } as unknown as ComparisonRun;
  const job = { index: 0, dose: 1000, view: 'baseline', split: 'test' } as unknown as CompareJob;
  const drain = async (phase: typeof comparisonPhase): Promise<void> => { for await (const r of phase.runJobs(run, [job], () => {})) void r; };
  let here: Error | undefined;
  await drain(comparisonPhase).catch((e: Error) => { here = e; });
  assert.ok(here instanceof TypeError, String(here));
  await assert.rejects(drain(comparisonPhaseInThreads), (e: unknown) => {
    assert.ok(e instanceof JobError, String(e));
    assert.equal(e.kind, 'TypeError');
    assert.equal(e.message, here!.message);
    assert.equal(exitCodeFor(e), exitCodeFor(here));
    return true;
  });
});
