/**
 * Phase F reads and checks every job's input as `ptychostudy lsqml` does before any job starts, locally and when a
 * SLURM submission is planned: measured data without a probe is refused there, not inside its job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { reconstructSteps } from '../../src/study/slurm/plans.js';
import { tmp } from './reconstruct-helpers.js';

test('a SLURM submission of Phase F refuses a .ptyd without a probe before submitting; with a probe model it plans the job', async () => {
  const root = tmp('input-check-slurm');
  const phaseC = join(root, 'phase_c');
  mkdirSync(join(phaseC, 'dose_1'), { recursive: true });
  copyFileSync('test/fixtures/cxi/scan.ptyd', join(phaseC, 'dose_1', 'patched_train.npz'));
  const opts = { phaseCRoot: phaseC, phaseDRoot: join(root, 'phase_d'), artifactRoot: join(root, 'phase_f'), allowMissingPhaseD: true,
    filters: { dose: null, view: 'baseline' as const, split: 'train' as const, gridsize: null } };
  await assert.rejects(reconstructSteps(parseStudySettings({ simulation: { doses: [1] } }), opts),
    (e: unknown) => e instanceof InputError && /patched_train\.npz: has no probe \(PtyPy prepared data holds none\); give --probe-model/.test(e.message));
  assert.ok(!existsSync(opts.artifactRoot), 'nothing written');
  const steps = await reconstructSteps(parseStudySettings({ simulation: { doses: [1] }, reconstruction: { probeModel: 'aperture:diameter=2e-6,distance=1e-3' } }), opts);
  assert.deepEqual(steps.map((s) => [s.step, s.tasks]), [['reconstruct', ['dose_1/baseline/train']]]);
  rmSync(root, { recursive: true, force: true });
});
