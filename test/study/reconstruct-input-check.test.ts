/**
 * Phase F run locally reads and checks every job's input as `ptychostudy lsqml` does before any job starts (see
 * test/cli/reconstruct.test.ts); a SLURM submission leaves that to each job on its node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { reconstructSteps } from '../../src/study/slurm/plans.js';
import { checkLsqmlJobInput } from '../../src/study/reconstruct/lsqml-job.js';
import { tmp } from './reconstruct-helpers.js';

test('a SLURM submission of Phase F does not read the inputs on the submitting machine: a .ptyd without a probe is planned, and refused by its job', async () => {
  const root = tmp('input-check-slurm');
  const phaseC = join(root, 'phase_c');
  mkdirSync(join(phaseC, 'dose_1'), { recursive: true });
  copyFileSync('test/fixtures/cxi/scan.ptyd', join(phaseC, 'dose_1', 'patched_train.npz'));
  const opts = { phaseCRoot: phaseC, phaseDRoot: join(root, 'phase_d'), artifactRoot: join(root, 'phase_f'), allowMissingPhaseD: true,
    filters: { dose: null, view: 'baseline' as const, split: 'train' as const, gridsize: null } };
  const settings = parseStudySettings({ simulation: { doses: [1] } });
  const steps = await reconstructSteps(settings, opts);
  assert.deepEqual(steps.map((s) => [s.step, s.tasks]), [['reconstruct', ['dose_1/baseline/train']]]);
  assert.ok(!existsSync(opts.artifactRoot), 'nothing written by planning');
  // what the job on its node does first: the same refusal a local run gives before any job starts
  await assert.rejects(checkLsqmlJobInput(join(phaseC, 'dose_1', 'patched_train.npz'), settings.reconstruction),
    (e: unknown) => e instanceof InputError && /patched_train\.npz: has no probe \(PtyPy prepared data holds none\); give --probe-model/.test(e.message));
  rmSync(root, { recursive: true, force: true });
});
