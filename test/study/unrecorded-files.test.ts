/**
 * A phase whose manifest could not be written (a full disk) leaves files that the manifest does not record. Where
 * the manifest records each file's size and SHA-256, a later phase never takes such a file for that phase's result:
 * a Phase C or D dataset is refused (one line, nothing written), a Phase F reconstruction is not scored (its job is
 * skipped, saying why). A resumed `reconstruct` runs such a job again (its files move to history/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { checkFilesRead } from '../../src/study/hub/recorded-files.js';
import { planComparisons } from '../../src/study/compare/plan.js';
import { InputError } from '../../src/errors.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';
import { tempDir } from '../tmp.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes `bytes` at `root/rel` and returns its record as a manifest holds it. */
function file(root: string, rel: string, bytes: Buffer): { size: number; sha256: string } {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), bytes);
  return { size: bytes.length, sha256: sha(bytes) };
}

test('a Phase D view file that overlap_manifest.json (recording hashes) does not record is refused; a recorded one is read', () => {
  const d = tempDir('unrecorded-d');
  const dense = file(d, 'dose_1000/dense/dense_train.npz', Buffer.from('dense'));
  file(d, 'dose_1000/sparse/sparse_train.npz', Buffer.from('sparse')); // its run's record could not be written
  writeFileSync(join(d, 'overlap_manifest.json'), JSON.stringify({
    schema_version: 1, phase: 'D', doses: { dose_1000: { dose: 1000, status: 'ok', views: { dense: { files: { 'dose_1000/dense/dense_train.npz': dense } } } } },
  }));
  checkFilesRead([join(d, 'dose_1000/dense/dense_train.npz')], { phaseC: null, phaseD: d });
  const sparse = join(d, 'dose_1000/sparse/sparse_train.npz');
  assert.throws(() => checkFilesRead([sparse], { phaseC: null, phaseD: d }), (e: unknown) => e instanceof InputError &&
    e.message === `${sparse}: expected a file overlap_manifest.json records (with the size and SHA-256 Phase D wrote); found one it does not record — ` +
      'Phase D could not record it (its manifest could not be written: a full disk?) or it came by other means, so it is not taken as Phase D\'s result; ' +
      'nothing was written; make it again (`ptychostudy overlap … --dose 1000 --overwrite`)');
});

test('a Phase C dataset run_manifest.json names without hashes (an entry written before them) is read; one it does not name is refused', () => {
  const c = tempDir('unrecorded-c');
  const hashed = file(c, 'dose_1000/patched_train.npz', Buffer.from('a'));
  file(c, 'dose_2000/patched_train.npz', Buffer.from('b'));
  file(c, 'dose_3000/patched_train.npz', Buffer.from('c'));
  writeFileSync(join(c, 'run_manifest.json'), JSON.stringify({
    dose_1000: { dose: 1000, train: 'dose_1000/patched_train.npz', train_size: hashed.size, train_sha256: hashed.sha256 },
    dose_2000: { dose: 2000, train: 'dose_2000/patched_train.npz' },
  }));
  checkFilesRead([join(c, 'dose_1000/patched_train.npz'), join(c, 'dose_2000/patched_train.npz')], { phaseC: c, phaseD: null });
  assert.throws(() => checkFilesRead([join(c, 'dose_3000/patched_train.npz')], { phaseC: c, phaseD: null }),
    (e: unknown) => e instanceof InputError && e.message.startsWith(`${join(c, 'dose_3000/patched_train.npz')}: expected a file run_manifest.json records`));
});

test('overlap refuses a Phase C dose that run_manifest.json does not record (its record could not be written); a compare skips a reconstruction Phase F did not record', () => {
  const root = tempDir('unrecorded');
  const c = join(root, 'c'), f = join(root, 'f');
  assert.equal(ptychostudy(['generate', '--preset', 'quick', '--dose', '1e3,1e4', '--n-images', '24', '--out', c]).status, 0);
  // as after a disk that filled when the manifest was rewritten after the second dose: it records the first only
  const manifestPath = join(c, 'run_manifest.json');
  const whole = readFileSync(manifestPath, 'utf8');
  const manifest = JSON.parse(whole) as Record<string, unknown>;
  delete manifest['dose_10000'];
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  assertRefused(ptychostudy(['overlap', '--phase-c-root', c, '--out', join(root, 'd'), '--dose', '1e4']), 'overlap',
    `${join(c, 'dose_10000', 'patched_train.npz')}: expected a file run_manifest.json records (with the size and SHA-256 Phase C wrote); found one it does not record — ` +
    'Phase C could not record it (its manifest could not be written: a full disk?) or it came by other means, so it is not taken as Phase C\'s result; ' +
    'nothing was written; make it again (`ptychostudy generate … --dose 10000 --overwrite`)');
  writeFileSync(manifestPath, whole); // recorded again (as `generate … --overwrite` does): read as before
  // Phase F: one job recorded; the other's reconstruction is in its folder, but no record of it was written
  const rec = ptychostudy(['reconstruct', '--phase-c-root', c, '--phase-d-root', join(root, 'd'), '--allow-missing-phase-d', '--out', f,
    '--dose', '1e3', '--view', 'baseline', '--split', 'train', '--epochs', '2']);
  assert.equal(rec.status, 0, rec.stderr);
  cpSync(join(f, 'dose_1000', 'baseline', 'train', 'reconstruction.npz'), join(f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz'));
  const plan = planComparisons({ phaseCRoot: c, phaseDRoot: '', phaseFRoot: f, dose: 1000, view: 'baseline' });
  const byKey = new Map(plan.jobs.map((j) => [j.key, j]));
  assert.ok(byKey.get('dose_1000/baseline/train')?.reconstructionNpz !== null);
  const test = byKey.get('dose_1000/baseline/test')!;
  assert.equal(test.reconstructionNpz, null);
  assert.equal(test.reason, `reconstruction not recorded: ${join(f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz')} is there, but ` +
    `${join(f, 'reconstruction_manifest.json')} records no result of this job (its record could not be written, or the file came by other means); ` +
    'run the job again (`ptychostudy reconstruct …`: the file then moves to its history)');
});
