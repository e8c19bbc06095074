/**
 * Phase F and an object file that states its pixel size (`initObject: file:PRODUCT.h5`): the file is a setting
 * of the whole run, so when every selected input states the same object pixel size (`_metadata.geometry`), a
 * file sampled otherwise is refused once, before any job starts and before anything is written — not as every
 * job's recorded failure. Inputs that state different pixel sizes leave the check to each job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { c64 } from '../../src/npy/types.js';
import { writeProductObject } from '../data/cxi-builder.js';
import { DENSE_META, phaseF, testEngine, tmp, unicode0d, writeTree } from './reconstruct-helpers.js';

const CLI = 'dist/src/cli/main.js';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Gives the dense inputs of dose 1000 a [30, 30] objectGuess and `_metadata.geometry` stating `pixel` [y, x] (train, test). */
function stateGeometry(phaseD: string, pixel: { train: number; test: number }): string[] {
  return (['train', 'test'] as const).map((split) => {
    const input = join(phaseD, 'dose_1000', 'dense', `dense_${split}.npz`);
    const meta = { ...DENSE_META, geometry: { wavelength_m: 1e-10, object_pixel_size_m_yx: [pixel[split], pixel[split]] } };
    saveNpz(input, { ...loadNpz(input), objectGuess: c64([30, 30], new Float32Array(1800).fill(1)), _metadata: unicode0d(JSON.stringify(meta)) });
    return input;
  });
}

test('an object file of another pixel size than every input states is refused once, before any job starts; differing inputs leave it to each job', async () => {
  const root = tmp('object-geometry');
  const t = writeTree(root, { doses: [1000] });
  const [train] = stateGeometry(t.phaseD, { train: 1e-8, test: 1e-8 });
  const coarse = writeProductObject(join(root, 'coarse.h5'), 2e-8), fine = writeProductObject(join(root, 'fine.h5'), 1e-8);
  const filters = { dose: 1000, view: 'dense' as const };
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], filters };

  const refused = (e: unknown): boolean => e instanceof InputError && new RegExp(`^${esc(coarse)}: key 'object': expected an object sampled at the data's ` +
    `object pixel size \\[1e-8, 1e-8\\] m \\(within 1 %\\); found \\[2e-8, 2e-8\\] m \\(objects are not resampled\\) — the object file reconstruction\\.initObject ` +
    `names for every selected job, whose inputs all state the object pixel size \\[1e-8, 1e-8\\] m \\(_metadata\\.geometry\\.object_pixel_size_m_yx, ` +
    `e\\.g\\. ${esc(train!)}\\); nothing was written$`).test(e.message);
  const engine = testEngine();
  await assert.rejects(phaseF({ ...base, settings: { initObject: `file:${coarse}` }, executor: engine.executor }), refused);
  assert.equal(engine.calls.length, 0, 'no job started');
  assert.equal(existsSync(t.artifact), false, 'nothing written');

  // through the CLI: one line, exit 2, nothing written
  const r = spawnSync(process.execPath, [CLI, 'reconstruct', '--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact,
    '--doses', '1000', '--dose', '1000', '--view', 'dense', '--init-object', `file:${coarse}`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(refused(new InputError(lines[0]!.replace(/^ptychostudy reconstruct: /, ''))), lines[0]);
  assert.equal(existsSync(t.artifact), false, 'nothing written');

  // the file the inputs' pixel size: the jobs run
  assert.equal((await phaseF({ ...base, settings: { initObject: `file:${fine}` }, executor: engine.executor })).succeeded, 2);

  // inputs that state different pixel sizes: the run starts, and each job checks the file against its own input
  const other = tmp('object-geometry-mixed');
  const u = writeTree(other, { doses: [1000] });
  stateGeometry(u.phaseD, { train: 1e-8, test: 2e-8 });
  const mixed = testEngine();
  const summary = await phaseF({ phaseCRoot: u.phaseC, phaseDRoot: u.phaseD, artifactRoot: u.artifact, doses: [1000], filters,
    settings: { initObject: `file:${coarse}` }, executor: mixed.executor });
  assert.equal(mixed.calls.length, 2);
  assert.equal(summary.succeeded, 2);
});
