import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DesignError, designFromSettings, getStudyDesign, StudyDesign } from '../../src/study/design/design.js';
import { getPreset } from '../../src/settings/presets.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { PRESET_NAMES } from '../../src/settings/schema.js';

test('the reference design has the reference study\'s values', () => {
  const d = getStudyDesign();
  assert.ok(d instanceof StudyDesign);
  assert.deepEqual(d.dose_list, [1e3, 1e4, 1e5]);
  assert.deepEqual(d.gridsizes, [1, 2]);
  assert.equal(d.neighbor_count, 7);
  assert.ok(d.neighbor_count >= Math.max(...d.gridsizes) ** 2);
  assert.equal(d.patch_size_pixels, 128);
  assert.equal(d.overlap_views.dense, 0.7);
  assert.equal(d.overlap_views.sparse, 0.2);
  assert.ok(Math.abs(d.spacing_thresholds.dense - 38.4) < 1e-9);
  assert.ok(Math.abs(d.spacing_thresholds.sparse - 102.4) < 1e-9);
  assert.equal(d.train_test_split_axis, 'y');
  assert.deepEqual(d.rng_seeds, { simulation: 42, grouping: 123, subsampling: 456 });
  assert.equal(d.metrics_config.ms_ssim_sigma, 1.0);
  assert.equal(d.metrics_config.emphasize_phase, true);
  assert.equal(d.metrics_config.report_amplitude, true);
});

test('spacing thresholds are derived as (1 − f)·N and follow N and the views', () => {
  const d = new StudyDesign({ patch_size_pixels: 64, overlap_views: { dense: 0.5, medium: 0.25 } });
  assert.deepEqual(Object.keys(d.spacing_thresholds).sort(), ['dense', 'medium']);
  assert.equal(d.spacing_thresholds.dense, 32);
  assert.equal(d.spacing_thresholds.medium, 48);
  const e = d.with({ patch_size_pixels: 100 });
  assert.equal(e.spacing_thresholds.dense, 50);
  assert.equal(d.spacing_thresholds.dense, 32, 'the original is unchanged');
});

test('validate() raises the reference messages, in order', () => {
  assert.doesNotThrow(() => new StudyDesign().validate());
  assert.throws(() => new StudyDesign({ neighbor_count: 3, gridsizes: [1, 2] }).validate(),
    (e: unknown) => e instanceof DesignError && /neighbor_count.*must be ≥ C/.test(e.message) && /C=4/.test(e.message));
  assert.throws(() => new StudyDesign({ overlap_views: { dense: 1.5, sparse: 0.2 } }).validate(), /overlap_views.*must be in/);
  assert.throws(() => new StudyDesign({ overlap_views: { dense: -0.1 } }).validate(), /overlap_views\['dense'\]=-0.1 must be in \[0, 1\)/);
  assert.throws(() => new StudyDesign({ dose_list: [] }).validate(), /dose_list must not be empty/);
  assert.throws(() => new StudyDesign({ dose_list: [1e3, -5] }).validate(), /All doses must be positive/);
  assert.throws(() => new StudyDesign({ dose_list: [0] }).validate(), /All doses must be positive/);
  assert.throws(() => new StudyDesign({ dose_list: [NaN] }).validate(), /All doses must be positive/);
  // the first violation wins: K is checked before the doses
  assert.throws(() => new StudyDesign({ neighbor_count: 1, dose_list: [] }).validate(), /neighbor_count/);
  assert.throws(() => new StudyDesign({ patch_size_pixels: 0 }).validate(), /spacing_thresholds\['dense'\]=0 must be positive/);
});

test('toJSON() has exactly the nine reference keys and round-trips', () => {
  const d = getStudyDesign();
  const j = d.toJSON();
  assert.deepEqual(Object.keys(j), ['dose_list', 'gridsizes', 'neighbor_count', 'patch_size_pixels', 'overlap_views',
    'spacing_thresholds', 'train_test_split_axis', 'rng_seeds', 'metrics_config']);
  assert.deepEqual(j, {
    dose_list: [1e3, 1e4, 1e5], gridsizes: [1, 2], neighbor_count: 7, patch_size_pixels: 128,
    overlap_views: { dense: 0.7, sparse: 0.2 }, spacing_thresholds: { dense: (1 - 0.7) * 128, sparse: (1 - 0.2) * 128 },
    train_test_split_axis: 'y', rng_seeds: { simulation: 42, grouping: 123, subsampling: 456 },
    metrics_config: { ms_ssim_sigma: 1.0, emphasize_phase: true, report_amplitude: true, frc_threshold: 0.5 },
  });
  const parsed = JSON.parse(JSON.stringify(d)) as unknown;
  assert.deepEqual(parsed, j);
  assert.deepEqual(StudyDesign.fromJSON(parsed).toJSON(), j);
  j.dose_list.push(5);
  assert.deepEqual(d.dose_list, [1e3, 1e4, 1e5], 'toJSON returns a copy');
});

test('presets: quick is N = 64 and small, fly64 is the reference size', () => {
  assert.deepEqual([...PRESET_NAMES], ['quick', 'fly64']);
  const q = parseStudySettings({ preset: 'quick' });
  const qd = designFromSettings(q);
  assert.equal(qd.patch_size_pixels, 64);
  assert.ok(Math.abs(qd.spacing_thresholds.dense - 19.2) < 1e-9);
  assert.ok(Math.abs(qd.spacing_thresholds.sparse - 51.2) < 1e-9);
  assert.deepEqual(qd.dose_list, [1e3, 1e4, 1e5]);
  assert.ok(q.simulation.objectShape[0] >= 256 && q.simulation.objectShape[0] <= 320);
  assert.ok(q.simulation.nPositions >= 800 && q.simulation.nPositions <= 1200);
  assert.equal(q.simulation.seed, 42);
  const f = parseStudySettings({ preset: 'fly64' });
  assert.equal(designFromSettings(f).patch_size_pixels, 128);
  assert.deepEqual(f.simulation.objectShape, [464, 464]);
  assert.equal(f.simulation.nPositions, 10304);
  assert.equal(f.reconstruction.epochs, 100);
  assert.ok(q.reconstruction.epochs >= 20 && q.reconstruction.epochs <= 100);
  assert.doesNotThrow(() => qd.validate());
  assert.doesNotThrow(() => designFromSettings(f).validate());
  assert.throws(() => parseStudySettings({ preset: 'huge' as never }), /`preset` huge: expected one of quick, fly64/);
  // presets are fresh copies, and a given value wins over the preset's
  const p = getPreset('quick');
  (p.values.simulation as { patchSize: number }).patchSize = 1;
  assert.equal(parseStudySettings({ preset: 'quick' }).simulation.patchSize, 64);
  assert.equal(parseStudySettings({ preset: 'quick', reconstruction: { epochs: 7 } }).reconstruction.epochs, 7);
});
