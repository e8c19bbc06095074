import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildJobs, commandFor, type ReconstructionJob } from '../../src/study/reconstruct/jobs.js';
import { applyFilters, pyFloat, validateFilters, NO_FILTERS } from '../../src/study/reconstruct/filters.js';
import { InputError, UsageError } from '../../src/errors.js';
import { parseStudySettings, settingsDefaults } from '../../src/settings/parse.js';
import { tmp, writeTree } from './reconstruct-helpers.js';

/** The study's default doses and reconstruction settings. */
const STUDY = { doses: settingsDefaults().simulation.doses, settings: settingsDefaults().reconstruction };

const keys = (jobs: ReadonlyArray<{ dose: number; view: string; split: string }>): string[] => jobs.map((j) => `${j.dose}/${j.view}/${j.split}`);

test('the matrix has 18 jobs in the reference order with the reference paths', () => {
  const root = tmp('jobs');
  const t = writeTree(root);
  const { jobs, missing } = buildJobs({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, ...STUDY });
  assert.equal(jobs.length, 18);
  assert.equal(missing.length, 0);
  const expected: string[] = [];
  for (const d of [1000, 10000, 100000]) for (const s of ['train', 'test']) for (const v of ['baseline', 'dense', 'sparse']) expected.push(`${d}/${v}/${s}`);
  assert.deepEqual(keys(jobs), expected);
  for (const d of [1000, 10000, 100000]) assert.equal(jobs.filter((j) => j.dose === d).length, 6);
  for (const j of jobs) {
    assert.equal(j.outputDir, join(t.artifact, `dose_${j.dose}`, j.view, j.split));
    assert.equal(j.inputNpz, j.view === 'baseline'
      ? join(t.phaseC, `dose_${j.dose}`, `patched_${j.split}.npz`)
      : join(t.phaseD, `dose_${j.dose}`, j.view, `${j.view}_${j.split}.npz`));
  }
  assert.equal(jobs[0]!.algorithm, 'LSQML');
  assert.equal(jobs[0]!.settings.epochs, 50);
  // the object starts from ones (no ground truth in), and no cap on the patterns read (the reference's script took 2000)
  assert.equal(jobs[0]!.settings.initObject, 'ones');
  assert.equal(jobs[0]!.settings.nImages, null);
  const cmd = commandFor(jobs[0]!);
  assert.deepEqual(cmd.slice(0, 2), ['ptychostudy', 'lsqml']);
  assert.equal(cmd[cmd.indexOf('--epochs') + 1], '50');
  // relative to the artifact root (run it there), like every path the manifest records
  assert.equal(cmd[cmd.indexOf('--input') + 1], '../phase_c/dose_1000/patched_train.npz');
  assert.equal(cmd[cmd.indexOf('--out') + 1], 'dose_1000/baseline/train');
  assert.equal(join(t.artifact, cmd[cmd.indexOf('--input') + 1]!), jobs[0]!.inputNpz);
  rmSync(root, { recursive: true, force: true });
});

test('dense/sparse fall back to the <view>/<split>.npz layout', () => {
  const root = tmp('jobs-layout');
  const t = writeTree(root, { doses: [1000], newLayout: true });
  const { jobs } = buildJobs({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, ...STUDY, doses: [1000] });
  assert.equal(jobs.length, 6);
  const sparseTest = jobs.find((j) => j.view === 'sparse' && j.split === 'test')!;
  assert.equal(sparseTest.inputNpz, join(t.phaseD, 'dose_1000', 'sparse', 'test.npz'));
  rmSync(root, { recursive: true, force: true });
});

test('a missing input names the file; with allowMissing it is recorded with the reference reason', () => {
  const root = tmp('jobs-missing');
  const t = writeTree(root, { views: ['dense'] });
  assert.throws(() => buildJobs({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, ...STUDY }),
    (err: unknown) => err instanceof InputError && err.message.includes(join(t.phaseD, 'dose_1000', 'sparse', 'sparse_train.npz')) &&
      /Phase D overlap NPZ not found/.test(err.message));
  const { jobs, missing } = buildJobs({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, ...STUDY, allowMissing: true });
  assert.equal(jobs.length, 12);
  assert.equal(missing.length, 6);
  for (const m of missing) {
    assert.equal(m.view, 'sparse');
    assert.match(m.reason, /^Phase D overlap NPZ not found: /);
  }
  const full = writeTree(join(root, 'full'));
  rmSync(join(full.phaseC, 'dose_10000', 'patched_test.npz'));
  assert.throws(() => buildJobs({ phaseCRoot: full.phaseC, phaseDRoot: full.phaseD, artifactRoot: full.artifact, ...STUDY, allowMissing: false }),
    /Phase C baseline NPZ not found: .*dose_10000.patched_test\.npz/);
  const some = buildJobs({ phaseCRoot: full.phaseC, phaseDRoot: full.phaseD, artifactRoot: full.artifact, ...STUDY, allowMissing: true });
  assert.equal(some.jobs.length, 17);
  assert.deepEqual(some.missing.map((m) => m.reason), [`Phase C baseline NPZ not found: ${join(full.phaseC, 'dose_10000', 'patched_test.npz')}`]);
  rmSync(root, { recursive: true, force: true });
});

function fakeJobs(): ReconstructionJob[] {
  const out: ReconstructionJob[] = [];
  const settings = parseStudySettings({ reconstruction: { epochs: 2, batchSize: 1, seed: 0 } }).reconstruction;
  for (const dose of [1000, 10000, 100000]) for (const split of ['train', 'test'] as const) for (const view of ['baseline', 'dense', 'sparse'] as const) {
    out.push({ index: out.length, key: `dose_${dose}/${view}/${split}`, dose, view, split, inputNpz: `in/${dose}/${view}/${split}`,
      outputDir: `out/${dose}/${view}/${split}`, artifactRoot: 'out', algorithm: 'LSQML', settings });
  }
  return out;
}

test('filters apply dose → view → split → gridsize; each excluded job is recorded once with the first filter', () => {
  const jobs = fakeJobs();
  const r = applyFilters(jobs, { dose: 1000, view: 'dense', split: 'train', gridsize: null });
  assert.deepEqual(keys(r.selected), ['1000/dense/train']);
  assert.equal(r.skipped.length, 17);
  assert.equal(new Set(keys(r.skipped)).size, 17);
  assert.equal(r.skipped.filter((s) => s.reason === 'dose filter (requested: 1000.0)').length, 12);
  assert.equal(r.skipped.filter((s) => s.reason === 'view filter (requested: dense)').length, 4);
  assert.deepEqual(r.skipped.filter((s) => s.reason === 'split filter (requested: train)').map((s) => `${s.dose}/${s.view}/${s.split}`), ['1000/dense/test']);

  const two = applyFilters(jobs, { dose: 1000, view: 'dense', split: null, gridsize: null });
  assert.deepEqual(keys(two.selected), ['1000/dense/train', '1000/dense/test']);
  assert.equal(two.skipped.length, 16);

  const gs = applyFilters(jobs, { dose: null, view: null, split: 'test', gridsize: 1 });
  assert.deepEqual(keys(gs.selected), ['1000/baseline/test', '10000/baseline/test', '100000/baseline/test']);
  assert.equal(gs.skipped.filter((s) => s.reason === 'gridsize filter (requested: 1)').length, 6);
  assert.equal(gs.skipped.filter((s) => s.reason === 'split filter (requested: test)').length, 9);

  const none = applyFilters(jobs, NO_FILTERS);
  assert.equal(none.selected.length, 18);
  assert.equal(none.skipped.length, 0);
});

test('an invalid gridsize, view or unknown dose is a usage error, not a silent skip-everything', () => {
  const doses = [1000, 10000, 100000];
  assert.throws(() => validateFilters({ ...NO_FILTERS, gridsize: 3 }, doses), (e: unknown) => e instanceof UsageError && /`filters\.gridsize` 3: expected 1 \(baseline\) or 2/.test(e.message));
  assert.throws(() => validateFilters({ ...NO_FILTERS, gridsize: 0 }, doses), UsageError);
  assert.throws(() => validateFilters({ ...NO_FILTERS, dose: 500 }, doses), (e: unknown) => e instanceof UsageError && /`filters\.dose` 500\.0: not one of the study's doses/.test(e.message));
  assert.throws(() => validateFilters({ ...NO_FILTERS, view: 'medium' as never }, doses), UsageError);
  validateFilters({ dose: 1e4, view: 'sparse', split: 'test', gridsize: 2 }, doses);
});

test('doses print as Python floats in reasons', () => {
  assert.equal(pyFloat(1000), '1000.0');
  assert.equal(pyFloat(1e5), '100000.0');
  assert.equal(pyFloat(2.5), '2.5');
  assert.equal(pyFloat(1e-5), '1e-05');
  assert.equal(pyFloat(1e16), '1e+16');
  assert.equal(pyFloat(1.5e20), '1.5e+20');
});

test('a job\'s command line names the settings file only when the job has settings lsqml\'s flags do not carry, and then says --bin-size 1 too', () => {
  const root = tmp('jobs-config');
  const t = writeTree(root, { doses: [1000] });
  const hub = join(root, 'settings.json');
  const at = (settings: Record<string, unknown>) => buildJobs({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000],
    settings: parseStudySettings({ reconstruction: settings }).reconstruction, configFile: hub }).jobs[0]!;
  // every setting on the line: no file needed, the line as before
  assert.ok(!commandFor(at({ epochs: 3, binSize: 1 })).includes('--config'));
  assert.ok(!commandFor(at({ epochs: 3, binSize: 1 })).includes('--bin-size'));
  // a step-size scaler has no flag: the file gives it, named relative to the artifact root as every recorded path
  const cmd = commandFor(at({ objectStepSizeScaler: 0.8, binSize: 1 }));
  assert.deepEqual(cmd.slice(0, 4), ['ptychostudy', 'lsqml', '--config', '../settings.json']);
  // the file may bin where the job did not (a flag put 1 over it): the line says 1
  assert.deepEqual(cmd.slice(cmd.indexOf('--bin-size'), cmd.indexOf('--bin-size') + 2), ['--bin-size', '1']);
  assert.deepEqual(commandFor(at({ objectStepSizeScaler: 0.8 }), undefined, true).slice(2, 4), ['--config', hub]);
  rmSync(root, { recursive: true, force: true });
});
