/**
 * A comparison that finished its jobs but could not merge them (the merge lock stayed busy here; a full disk in
 * test/files/full-disk.test.ts) keeps its rows in its snapshot; the next merge into the root takes that run in —
 * its record in `runs[]`, its rows as the history of the rows the next run computed again — so the merged summary
 * holds every run's evidence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runComparison, type PhaseGOptions } from '../../src/study/compare/phase.js';
import { acquireLock } from '../../src/files/lock.js';
import { InputError } from '../../src/errors.js';
import { makeHub } from './compare-hub.js';
import { tempDir } from '../tmp.js';

type Roots = ReturnType<typeof makeHub>;

function options(r: Roots): PhaseGOptions {
  return { phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline', split: 'train', charts: false, figures: false };
}

interface Summary {
  runs: { run_id: string; finished_at: string | null }[];
  rows: { run_id: string; history: { run_id: string; archived_to?: string | null; metrics: unknown }[]; metrics: unknown }[];
}

/** A run whose merge finds the root's merge lock held: it ends keeping its rows in its snapshot only. */
async function unmergedRun(r: Roots): Promise<string> {
  mkdirSync(r.g, { recursive: true });
  const release = acquireLock(join(r.g, '.compare.lock'), 'another merge', 'output root');
  try {
    await assert.rejects(runComparison({ ...options(r), lockWaitMs: 0 }), /rows are kept in .* \(compare again to merge\)/);
  } finally {
    release();
  }
  const runs = readdirSync(join(r.g, 'runs'));
  assert.equal(runs.length, 1);
  assert.equal(existsSync(join(r.g, 'metrics_summary.json')), false);
  assert.deepEqual(readdirSync(r.g).filter((n) => n.startsWith('.running-')), [], 'the run left its running lock');
  return runs[0]!;
}

test('compare: the next run merges the rows and the record of a run whose merge did not happen, as history of its own rows', async () => {
  const r = makeHub(tempDir('compare-unmerged'), { doses: [10000] });
  const first = await unmergedRun(r);
  const kept = JSON.parse(readFileSync(join(r.g, 'runs', first, 'metrics_summary.json'), 'utf8')) as Summary;
  const progress: string[] = [];
  const second = await runComparison(options(r), (p) => progress.push(p.message));
  assert.ok(progress.includes(`merged the rows that the earlier run ${first} kept in its snapshot`), progress.join('\n'));
  const summary = JSON.parse(readFileSync(join(r.g, 'metrics_summary.json'), 'utf8')) as Summary;
  assert.deepEqual(summary.runs.map((x) => x.run_id), [first, second.runId]);
  assert.deepEqual(summary.runs[0], kept.runs[0], 'the stopped run\'s record is not the one its snapshot holds');
  assert.equal(summary.rows.length, 1);
  const row = summary.rows[0]!;
  assert.equal(row.run_id, second.runId);
  assert.deepEqual(row.history.map((h) => [h.run_id, h.archived_to]), [[first, `dose_10000/baseline/train/history/${first}`]]);
  assert.deepEqual(row.history[0]!.metrics, kept.rows[0]!.metrics);
  // merged once: a third run adds its own record only
  const third = await runComparison(options(r));
  const again = JSON.parse(readFileSync(join(r.g, 'metrics_summary.json'), 'utf8')) as Summary;
  assert.deepEqual(again.runs.map((x) => x.run_id), [first, second.runId, third.runId]);
  assert.deepEqual(again.rows[0]!.history.map((h) => h.run_id), [first, second.runId]);
});

test('compare: an unmerged run whose jobs no later run compared stays current once merged', async () => {
  const r = makeHub(tempDir('compare-unmerged-other'), { doses: [10000] });
  const first = await unmergedRun(r);
  const second = await runComparison({ ...options(r), split: 'test' });
  const summary = JSON.parse(readFileSync(join(r.g, 'metrics_summary.json'), 'utf8')) as Summary;
  assert.deepEqual(summary.runs.map((x) => x.run_id), [first, second.runId]);
  assert.deepEqual(summary.rows.map((x) => [x.run_id, x.history.length]), [[first, 0], [second.runId, 0]]);
});

test('compare: a broken snapshot of an unmerged run is refused before anything is written', async () => {
  const r = makeHub(tempDir('compare-unmerged-broken'), { doses: [10000] });
  const first = await unmergedRun(r);
  const path = join(r.g, 'runs', first, 'metrics_summary.json');
  writeFileSync(path, readFileSync(path, 'utf8').slice(0, 100));
  const before = readdirSync(join(r.g, 'runs'));
  await assert.rejects(runComparison(options(r)), (err: unknown) => err instanceof InputError && err.message.startsWith(path));
  assert.deepEqual(readdirSync(join(r.g, 'runs')), before);
  assert.equal(existsSync(join(r.g, 'metrics_summary.json')), false);
});
