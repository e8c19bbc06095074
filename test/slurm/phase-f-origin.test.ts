/**
 * Phase F submitted to SLURM records what a local Phase F records of its settings: each job's `ptychostudy lsqml`
 * line names the settings file with --config when the job has settings no flag of that line carries (so that the
 * line runs the job again), and the run of `reconstruct` records where each setting came from (`settings_origin`).
 * The step's tasks plan from the options the submitting command stored in jobs.json; read back from there, they
 * give the local run's lines and record. No cluster is needed: the step's start and merge run here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { ManifestSchema } from '../../src/study/hub/reconstruction-files.js';
import { commandFor } from '../../src/study/reconstruct/jobs.js';
import { planReconstruction, type ReconstructionPlanOptions } from '../../src/study/reconstruct/plan.js';
import { reconstructSteps, studySteps, type PlannedStep } from '../../src/study/slurm/plans.js';
import type { StepRecord, Submission } from '../../src/study/slurm/records.js';
import { reconstructOptions, reconstructStep } from '../../src/study/slurm/steps/reconstruct.js';
import type { StepContext } from '../../src/study/slurm/steps/step.js';
import type { StudySettings } from '../../src/settings/schema.js';
import { phaseF, testEngine, tmp, writeTree } from '../study/reconstruct-helpers.js';

/** The step as its tasks meet it: its options through jobs.json's JSON, in submission 1 of `home`. */
function context(home: string, step: PlannedStep, settings: StudySettings): StepContext {
  const record = JSON.parse(JSON.stringify({
    step: step.step, job_id: '7', script: 'slurm/reconstruct.sbatch', tasks: step.tasks, array_tasks: 1, depends_on: null, options: step.options,
  })) as StepRecord;
  const submission: Submission = {
    number: 1, submitted_at: '2026-12-07T00:00:00Z', command: 'reconstruct', argv: [], version: '0', node: process.execPath, entry: '/x', cwd: home,
    hub: null, settings: JSON.parse(JSON.stringify(settings)) as Record<string, unknown>, steps: [record], cancelled: [], rejected: null,
  };
  return { home, submission, record, settings };
}

test('reconstruct --executor slurm: the jobs\' lsqml lines name --config and the run records settings_origin, as a local reconstruct does (were: dropped)', async () => {
  const root = tmp('slurm-f-origin');
  const t = writeTree(root, { doses: [1000] });
  // a setting no lsqml flag carries, from a settings file; the epochs from a flag
  const configFile = join(root, 'study.json');
  writeFileSync(configFile, JSON.stringify({ reconstruction: { objectStepSizeScaler: 0.5 } }));
  const reconstruction = { epochs: 2, objectStepSizeScaler: 0.5 };
  const settings = parseStudySettings({ simulation: { doses: [1000] }, reconstruction });
  const origin = { 'reconstruction.objectStepSizeScaler': `file ${configFile}`, 'reconstruction.epochs': 'flag --epochs' };
  const given = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, filters: { view: 'dense' as const }, configFile, settingsOrigin: origin };

  // the local run, into its own root
  const localRoot = join(root, 'local');
  const local = await phaseF({ ...given, artifactRoot: localRoot, doses: [1000], settings: reconstruction, executor: testEngine().executor });
  assert.equal(local.succeeded, 2);
  const localManifest = ManifestSchema.parse(JSON.parse(readFileSync(join(localRoot, 'reconstruction_manifest.json'), 'utf8')));
  assert.deepEqual(localManifest.runs[0]!.settings_origin, origin);

  // the submission, read back as its tasks read it
  const opts: ReconstructionPlanOptions = { ...given, artifactRoot: t.artifact };
  const [step] = await reconstructSteps(settings, opts);
  const ctx = context(t.artifact, step!, settings);
  const back = reconstructOptions(ctx);
  assert.equal(back.configFile, configFile);
  assert.deepEqual(back.settingsOrigin, origin);
  // each job's line, as the task prints it and the manifest records it: the local run's
  const lines = planReconstruction(settings, back, 1).selected.map((j) => commandFor(j));
  const noThreads = (c: readonly string[]): string[] => c.filter((a, i) => a !== '--threads' && c[i - 1] !== '--threads'); // how many threads ran it
  assert.deepEqual(lines, localManifest.execution_results.map((r) => noThreads(r.command)));
  assert.ok(lines.every((l) => l[2] === '--config' && l[3] === '../study.json'), JSON.stringify(lines[0]));
  // the run the step records (its start, then its last merge): settings_origin as the local run's
  const start = await reconstructStep.start(ctx);
  await reconstructStep.merge(ctx, start, [], []);
  const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(t.artifact, 'reconstruction_manifest.json'), 'utf8')));
  assert.deepEqual(manifest.runs.map((r) => r.settings_origin), [origin]);
  // a jobs.json edited by hand: its option refused on one line naming the file and the option
  const edited = context(t.artifact, { ...step!, options: { ...step!.options, settingsOrigin: ['flag --epochs'] } }, settings);
  assert.throws(() => reconstructOptions(edited), (e: Error) => e instanceof InputError && e.message ===
    `${join(t.artifact, 'slurm', 'jobs.json')}: submission 1, step reconstruct, option settingsOrigin: expected an object of setting paths and where each came from (text); found ["flag --epochs"]`);
});

test('run --executor slurm: Phase F\'s jobs name the hub\'s settings.json with --config, as a local run\'s Phase F names it (was: no --config)', async () => {
  const hub = tmp('slurm-f-hub-config');
  writeTree(hub, { doses: [1000] }); // phase_c and phase_d of a hub whose Phases C and D are complete
  const settings = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 2, objectStepSizeScaler: 0.5 } });
  const steps = await studySteps(hub, settings, (phase) => phase === 'generate' || phase === 'overlap');
  const f = steps.find((s) => s.step === 'reconstruct')!;
  const back = reconstructOptions(context(hub, f, settings));
  assert.equal(back.configFile, join(hub, 'settings.json'));
  const lines = planReconstruction(settings, back, 1).selected.map((j) => commandFor(j));
  assert.equal(lines.length, 6);
  assert.ok(lines.every((l) => l[2] === '--config' && l[3] === '../settings.json'), JSON.stringify(lines[0]));
});
