/**
 * The external models a comparison of the whole study compares again (currentExternalModels): those whose rows
 * are current in the metrics summary, each with the pattern of the latest run that compared it — so that `run`
 * redoing Phase G after a `compare --model` does not drop them (on the small synthetic hub of compare-hub.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runComparison } from '../../src/study/compare/phase.js';
import { checkCarriedModels, parseModelSpec } from '../../src/study/compare/plan.js';
import { InputError } from '../../src/errors.js';
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

test('a copied hub compares a model inside it from where it is now; a model whose files are gone is refused, naming the compare that moves it', async () => {
  const root = tempDir('carried-moved');
  const roots = (hub: string) => ({ phaseCRoot: join(hub, 'phase_c'), phaseDRoot: join(hub, 'phase_d'), phaseFRoot: join(hub, 'phase_f'), outputRoot: join(hub, 'phase_g') });
  const h = makeHub(join(root, 'scratch', 'hub'), { doses: [1000] });
  mkdirSync(join(root, 'outside'));
  cpSync(join(h.f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz'), join(root, 'outside', 'test.npz'));
  const inside = `${h.f}/{dose_dir}/{view}/{split}/reconstruction.npz`, outside = `${root}/outside/{split}.npz`;
  await runComparison({ ...roots(join(root, 'scratch', 'hub')), view: 'baseline', split: 'test', figures: false, charts: false,
    models: [parseModelSpec(`In=${inside}`), parseModelSpec(`Out=${outside}`)] });
  const summaryAt = (hub: string): string => join(hub, 'phase_g', 'metrics_summary.json');
  assert.deepEqual(readMetricsSummary(summaryAt(join(root, 'scratch', 'hub')))!.runs.at(-1)!.models, [
    { name: 'In', pattern: inside, relative_pattern: '../phase_f/{dose_dir}/{view}/{split}/reconstruction.npz' }, { name: 'Out', pattern: outside }]);

  // the hub's parent folder renamed (the old path is gone), the model outside it moved too
  renameSync(join(root, 'scratch'), join(root, 'laptop'));
  renameSync(join(root, 'outside'), join(root, 'elsewhere'));
  const hub = join(root, 'laptop', 'hub');
  const models = currentExternalModels(readMetricsSummary(summaryAt(hub)), roots(hub));
  assert.deepEqual(models, [{ name: 'In', pattern: `${hub}/phase_f/{dose_dir}/{view}/{split}/reconstruction.npz` }, { name: 'Out', pattern: outside }]);
  checkCarriedModels(models.slice(0, 1), [1000], summaryAt(hub), 'ptychostudy compare X');
  assert.throws(() => checkCarriedModels(models, [1000], summaryAt(hub), 'ptychostudy compare X'), (e: unknown) => e instanceof InputError &&
    e.message === `${summaryAt(hub)}: external model Out was last compared from ${outside}, which matches no file of any job now (moved, or removed); ` +
      `compare it from where its files are — ptychostudy compare X --model 'Out=NEW_PATTERN' — or without it to drop it, then run again; Phase G was not redone`);

  // a relative pattern that leads outside the hub's roots is not followed (here to a file that exists): the recorded one is kept
  const s = JSON.parse(readFileSync(summaryAt(hub), 'utf8')) as { runs: { models: { name: string; relative_pattern?: string }[] }[] };
  s.runs.at(-1)!.models[0]!.relative_pattern = '../../../elsewhere/{split}.npz';
  writeFileSync(summaryAt(hub), JSON.stringify(s));
  assert.deepEqual(currentExternalModels(readMetricsSummary(summaryAt(hub)), roots(hub))[0], { name: 'In', pattern: inside });
});
