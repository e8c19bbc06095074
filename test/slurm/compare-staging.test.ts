/**
 * A Phase G task of a cluster run killed while it wrote a job (scancel, its time limit) leaves that job's staging
 * folder, `<job>/.staging-<run id>/`, which no record names. The step's final merge, once every task has ended,
 * removes it, as what a killed local compare left is removed; the job's other files and other runs' staging stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import type { StepRecord, Submission } from '../../src/study/slurm/records.js';
import { compareStep } from '../../src/study/slurm/steps/compare.js';
import type { StepContext } from '../../src/study/slurm/steps/step.js';
import { tempDir } from '../tmp.js';

test('the final merge of a cluster Phase G removes the staging folder its killed task left; nothing else', async () => {
  const home = tempDir('compare-staging');
  const roots = { phaseCRoot: join(home, 'phase_c'), phaseDRoot: join(home, 'phase_d'), phaseFRoot: join(home, 'phase_f'), outputRoot: join(home, 'phase_g') };
  for (const r of Object.values(roots)) mkdirSync(r);
  const runId = '20261206T120000Z';
  const job = join(roots.outputRoot, 'dose_1000', 'dense', 'train');
  const staging = join(job, `.staging-${runId}`);
  const other = join(job, '.staging-20261206T110000Z'); // another run's: not this merge's to judge
  mkdirSync(staging, { recursive: true });
  mkdirSync(other);
  writeFileSync(join(staging, 'metrics.csv'), 'half written');
  writeFileSync(join(job, 'comparison.json'), '{}');
  const record = { step: 'compare', job_id: '9', script: 'slurm/compare.sbatch', tasks: ['dose_1000/dense/train'], array_tasks: 1, depends_on: null,
    options: { ...roots, models: [], figures: false, charts: false } } as unknown as StepRecord;
  const ctx: StepContext = { home, submission: { number: 1 } as unknown as Submission, record, settings: parseStudySettings({ preset: 'quick' }) };
  const start = { run_id: runId, started_at: '2026-12-06T12:00:00Z', jobs: [], warnings: [] };
  const failure = { task: 0, key: 'dose_1000/dense/train', slurm_job: '9_0', message: 'cancelled (JobState=CANCELLED) — by scancel' };
  // a merge before the end (no failures yet) leaves it: the task may still be writing
  await compareStep.merge(ctx, start, [], null);
  assert.ok(existsSync(staging));
  await compareStep.merge(ctx, start, [], [failure]);
  assert.ok(!existsSync(staging), 'the killed task\'s staging folder stays');
  assert.ok(existsSync(other) && existsSync(join(job, 'comparison.json')));
});
