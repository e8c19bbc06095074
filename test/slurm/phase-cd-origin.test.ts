/**
 * Phases C and D submitted to SLURM record in their manifests where each of their settings came from
 * (`provenance.settings_origin`), as a local `generate` or `overlap` records it and as a study's submission passes it on:
 * the submitting command stores it in jobs.json with the step's options, and the step's merges, which write the
 * manifests, read it back. No cluster is needed: the steps' tasks and merges run here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import type { StudySettings } from '../../src/settings/schema.js';
import { runOverlap } from '../../src/study/overlap/phase.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import { generateSteps, overlapSteps, studySteps, type PlannedStep } from '../../src/study/slurm/plans.js';
import type { StepRecord, Submission, TaskResult } from '../../src/study/slurm/records.js';
import { generateStep } from '../../src/study/slurm/steps/generate.js';
import { overlapStep } from '../../src/study/slurm/steps/overlap.js';
import type { ClusterStep, StepContext } from '../../src/study/slurm/steps/step.js';
import { tempDir } from '../tmp.js';

/** The step as its tasks meet it: its options through jobs.json's JSON, in submission 1 of `home`. */
function context(home: string, step: PlannedStep, settings: StudySettings): StepContext {
  const record = JSON.parse(JSON.stringify({
    step: step.step, job_id: '7', script: `slurm/${step.step}.sbatch`, tasks: step.tasks, array_tasks: 1, depends_on: null, options: step.options,
  })) as StepRecord;
  const submission: Submission = {
    number: 1, submitted_at: '2026-12-07T00:00:00Z', command: step.step as Submission['command'], argv: [], version: '0', node: process.execPath,
    entry: '/x', cwd: home, hub: null, settings: JSON.parse(JSON.stringify(settings)) as Record<string, unknown>, steps: [record], cancelled: [], rejected: null,
  };
  return { home, submission, record, settings };
}

/** Every task of the step run here, then its last merge (which writes the manifest). */
async function runStep(step: ClusterStep, ctx: StepContext): Promise<void> {
  const results: TaskResult[] = [];
  for (const [task, key] of ctx.record.tasks.entries()) {
    const out = await step.runTask(ctx, {}, key, () => {});
    results.push({
      schema_version: 1, step: step.name, key, task, slurm_job: null, host: 'here', pid: process.pid, status: out.status, error: out.error,
      started_at: '2026-12-07T00:00:00Z', finished_at: '2026-12-07T00:00:01Z', seconds: 1, cpu_seconds: 1, payload: out.payload,
    });
  }
  await step.merge(ctx, {}, results, []);
}

const json = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));

test('generate and overlap --executor slurm: the manifests record settings_origin as a local run\'s do (was: none)', async () => {
  const root = tempDir('slurm-cd-origin');
  const settings = parseStudySettings({ preset: 'quick', simulation: { doses: [10000], nImages: 24, seed: 7 }, overlap: { seed: 9 } });
  const origin = {
    'simulation.doses': 'flag --dose', 'simulation.nImages': 'flag --n-images', 'simulation.seed': 'file /data/study.yaml',
    'overlap.seed': 'file /data/study.yaml', 'reconstruction.epochs': 'flag --epochs', 'simulation.patchSize': 'preset quick',
  };
  const phaseC = { 'simulation.doses': 'flag --dose', 'simulation.nImages': 'flag --n-images', 'simulation.seed': 'file /data/study.yaml', 'simulation.patchSize': 'preset quick' };

  // the local runs
  const local = join(root, 'local');
  await runSimulation(settings, { outputRoot: join(local, 'c'), settingsOrigin: origin });
  await runOverlap(settings, { phaseCRoot: join(local, 'c'), outputRoot: join(local, 'd'), settingsOrigin: origin });
  assert.deepEqual(json(join(local, 'c', 'run_manifest.json'))._run.provenance.settings_origin, phaseC);
  assert.deepEqual(json(join(local, 'd', 'overlap_manifest.json')).provenance.settings_origin, { 'overlap.seed': 'file /data/study.yaml' });

  // the submissions, their steps read back as their tasks and merges read them
  const c = join(root, 'c'), d = join(root, 'd');
  const [g] = generateSteps(settings, { outputRoot: c, settingsOrigin: origin });
  assert.deepEqual(g!.options['settingsOrigin'], phaseC);
  await runStep(generateStep, context(c, g!, settings));
  assert.deepEqual(json(join(c, 'run_manifest.json'))._run.provenance.settings_origin, phaseC);
  const [o] = overlapSteps(settings, { phaseCRoot: c, outputRoot: d, settingsOrigin: origin });
  await runStep(overlapStep, context(d, o!, settings));
  assert.deepEqual(json(join(d, 'overlap_manifest.json')).provenance.settings_origin, { 'overlap.seed': 'file /data/study.yaml' });

  // a study's submission stores each phase's own, for its tasks
  const hub = join(root, 'hub');
  const steps = await studySteps(hub, settings, () => false, origin);
  assert.deepEqual(steps.find((s) => s.step === 'generate')!.options['settingsOrigin'], phaseC);
  assert.deepEqual(steps.find((s) => s.step === 'overlap')!.options['settingsOrigin'], { 'overlap.seed': 'file /data/study.yaml' });
  // Phase F's: the doses (which jobs there are) and the reconstruction settings, as a local run's Phase F records them
  assert.deepEqual(steps.find((s) => s.step === 'reconstruct')!.options['settingsOrigin'],
    { 'reconstruction.epochs': 'flag --epochs', 'simulation.doses': 'flag --dose' });
  // without one (a library caller that did not say), none
  assert.equal((await studySteps(hub, settings, () => false)).find((s) => s.step === 'generate')!.options['settingsOrigin'], undefined);

  // a jobs.json edited by hand: its option refused on one line naming the file and the option
  const edited = context(join(root, 'c2'), { ...g!, options: { ...g!.options, outputRoot: join(root, 'c2'), settingsOrigin: ['flag --dose'] } }, settings);
  await assert.rejects(generateStep.runTask(edited, {}, 'dose_10000', () => {}), (e: Error) => e instanceof InputError && e.message ===
    `${join(root, 'c2', 'slurm', 'jobs.json')}: submission 1, step generate, option settingsOrigin: expected an object of setting paths and where each came from (text); found ["flag --dose"]`);
});
