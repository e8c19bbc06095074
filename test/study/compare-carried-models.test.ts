/**
 * The external models a comparison of the whole study compares again (currentExternalModels): those whose rows
 * are current in the metrics summary, each with the pattern of the latest run that compared it — so that `run`
 * redoing Phase G after a `compare --model` does not drop them (on the small synthetic hub of compare-hub.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runComparison } from '../../src/study/compare/phase.js';
import { parseModelSpec } from '../../src/study/compare/plan.js';
import { currentExternalModels } from '../../src/study/compare/summary.js';
import { readMetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { makeHub } from './compare-hub.js';
import { tempDir } from '../tmp.js';

test('currentExternalModels: the external models of the current rows, with the pattern they were last compared from', async () => {
  const root = tempDir('carried-models');
  const h = makeHub(root, { doses: [1000] });
  const rec = join(h.f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz');
  for (const dir of ['a', 'b']) { mkdirSync(join(root, dir)); cpSync(rec, join(root, dir, 'test.npz')); }
  const opts = { phaseCRoot: h.c, phaseDRoot: h.d, phaseFRoot: h.f, outputRoot: h.g, view: 'baseline', split: 'test', figures: false, charts: false };
  const current = () => currentExternalModels(readMetricsSummary(join(h.g, 'metrics_summary.json')));
  assert.deepEqual(currentExternalModels(null), []);
  await runComparison(opts);
  assert.deepEqual(current(), [], 'ours only');
  await runComparison({ ...opts, models: [parseModelSpec(`X=${root}/a/{split}.npz`), parseModelSpec(`Y=${root}/a/{split}.npz`)] });
  assert.deepEqual(current(), [{ name: 'X', pattern: `${root}/a/{split}.npz` }, { name: 'Y', pattern: `${root}/a/{split}.npz` }]);
  // compared again from elsewhere: the latest pattern; a model the latest run of the job did not compare is no longer current
  await runComparison({ ...opts, models: [parseModelSpec(`X=${root}/b/{split}.npz`)] });
  assert.deepEqual(current(), [{ name: 'X', pattern: `${root}/b/{split}.npz` }]);
  await runComparison(opts);
  assert.deepEqual(current(), []);
});
