/**
 * A SLURM submission's records name the roots its tasks write, as absolute paths inside the home (the hub,
 * or a single phase's root). Read from a copy of the home — a hub copied or moved while its jobs ran —
 * those paths still name the original: every step refuses them (one line naming jobs.json and the option)
 * instead of writing the original's files without the original's lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { compareOptions } from '../../src/study/slurm/steps/compare.js';
import { generateStep } from '../../src/study/slurm/steps/generate.js';
import { overlapStep } from '../../src/study/slurm/steps/overlap.js';
import { reconstructOptions, reconstructStep } from '../../src/study/slurm/steps/reconstruct.js';
import type { StepContext } from '../../src/study/slurm/steps/step.js';
import { JOBS_SCHEMA_VERSION, slurmPaths, writeJobs, type ArrayStep, type Submission } from '../../src/study/slurm/records.js';
import { submissionView } from '../../src/study/slurm/follow.js';
import { tempDir } from '../tmp.js';

function context(home: string, step: ArrayStep, recordedHub: string): StepContext {
  const roots = {
    phaseCRoot: join(recordedHub, 'phase_c'), phaseDRoot: join(recordedHub, 'phase_d'), phaseFRoot: join(recordedHub, 'phase_f'),
    outputRoot: join(recordedHub, step === 'generate' ? 'phase_c' : step === 'overlap' ? 'phase_d' : 'phase_g'),
    artifactRoot: join(recordedHub, 'phase_f'),
  };
  const record = { step, job_id: '7', script: `slurm/${step}.sbatch`, tasks: [], array_tasks: 1, depends_on: null, options: roots };
  const submission: Submission = {
    number: 1, submitted_at: '2026-12-05T00:00:00Z', command: 'run', argv: [], version: '0', node: '/usr/bin/node', entry: '/x', cwd: '/',
    hub: recordedHub, settings: {}, steps: [record], cancelled: [], rejected: null,
  };
  return { home, submission, record, settings: parseStudySettings({}) };
}

test('a step refuses an output root outside its home (a copied hub), naming jobs.json and the option; inside it, it reads', () => {
  const original = '/data/beamtime/hub', copy = '/scratch/copy-of-hub';
  const refused = (fn: () => unknown, option: string, step: string): void => {
    assert.throws(fn, (e: Error) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.message.split('\n').length, 1);
      assert.ok(e.message.startsWith(`${join(copy, 'slurm', 'jobs.json')}: submission 1, step ${step}, option ${option}: expected ${copy} or a folder inside it; found ${original}/`), e.message);
      assert.match(e.message, /moved or copied while its SLURM jobs ran/);
      return true;
    });
  };
  refused(() => generateStep.phaseLock(context(copy, 'generate', original)), 'outputRoot', 'generate');
  refused(() => overlapStep.phaseLock(context(copy, 'overlap', original)), 'outputRoot', 'overlap');
  refused(() => reconstructOptions(context(copy, 'reconstruct', original)), 'artifactRoot', 'reconstruct');
  refused(() => reconstructStep.phaseLock(context(copy, 'reconstruct', original)), 'artifactRoot', 'reconstruct');
  refused(() => compareOptions(context(copy, 'compare', original)), 'outputRoot', 'compare');
  // Where it was submitted, the same records read.
  assert.equal(generateStep.phaseLock(context(original, 'generate', original)), join(original, 'phase_c', '.generate.lock'));
  assert.equal(reconstructOptions(context(original, 'reconstruct', original)).artifactRoot, join(original, 'phase_f'));
  assert.equal(compareOptions(context(original, 'compare', original)).outputRoot, join(original, 'phase_g'));
  // A hub named through a symbolic link to its folder is the same hub.
  const dir = tempDir('moved-hub');
  mkdirSync(join(dir, 'real', 'hub', 'phase_f'), { recursive: true });
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  assert.equal(reconstructOptions(context(join(dir, 'link', 'hub'), 'reconstruct', join(dir, 'real', 'hub'))).artifactRoot, join(dir, 'real', 'hub', 'phase_f'));
  assert.equal(reconstructOptions(context(join(dir, 'real', 'hub'), 'reconstruct', join(dir, 'link', 'hub'))).artifactRoot, join(dir, 'link', 'hub', 'phase_f'));
});

test('status of a finished submission read from a copy of the hub names the copy\'s report, not the original\'s', () => {
  const original = '/data/beamtime/hub';
  const home = join(tempDir('moved-hub-status'), 'laptop', 'hub');
  const submission: Submission = {
    number: 1, submitted_at: '2026-12-05T00:00:00Z', command: 'run', argv: [], version: '0', node: '/usr/bin/node', entry: '/x', cwd: '/',
    hub: original, settings: {}, steps: [], cancelled: [], rejected: null,
  };
  writeJobs(home, { schema_version: JOBS_SCHEMA_VERSION, tool: 'ptychostudy', submissions: [submission] });
  const finish = slurmPaths(home).finish(1);
  mkdirSync(dirname(finish), { recursive: true });
  writeFileSync(finish, JSON.stringify({ finished_at: '2026-12-05T00:01:00Z', finished_by: 'finish job', exit_code: 0, report: `${original}/report/index.html`, steps: [] }));
  assert.equal(submissionView(home).finish?.report, join(home, 'report', 'index.html'));
});
