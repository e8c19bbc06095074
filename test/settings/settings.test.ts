/**
 * The settings schema: one default per setting (documented, bounded), presets as values under the given
 * ones, one parse with errors that name the setting, the published JSON Schema, and run.json's record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_LSQML_OPTIONS, type LsqmlOptions } from '../../src/engine/options.js';
import { parseStudySettings, SettingsError, settingsDefaults } from '../../src/settings/parse.js';
import { SETTINGS_SCHEMA_FILE, settingsJsonSchema } from '../../src/settings/schema.js';
import { engineOptions } from '../../src/settings/engine-options.js';
import { runSettingsOf, settingsOfRecord, readRunState } from '../../src/study/run/state.js';
import { namesToFlags } from '../../src/cli/action.js';
import { fileIssueLine } from '../../src/settings/file.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

interface JsonSchemaNode { type?: string; properties?: Record<string, JsonSchemaNode>; default?: unknown; description?: string }

test('every setting has a default and one line of documentation in the published JSON Schema', () => {
  const schema = JSON.parse(settingsJsonSchema()) as JsonSchemaNode;
  const leaves: string[] = [];
  const walk = (node: JsonSchemaNode, path: string): void => {
    if (node.type === 'object' && node.properties && !path.endsWith('Plan') && path.split('.').length <= 1) {
      for (const [k, v] of Object.entries(node.properties)) walk(v, path === '' ? k : `${path}.${k}`);
      return;
    }
    leaves.push(path);
    assert.ok('default' in node, `${path} has no default`);
    assert.ok(typeof node.description === 'string' && node.description.length > 10 && !node.description.includes('\n'), `${path} has no one-line description`);
  };
  for (const [k, v] of Object.entries(schema.properties!)) walk(v, k);
  assert.ok(leaves.length > 40, `${leaves.length} settings`);
  assert.ok(leaves.includes('reconstruction.gaussianNoiseStd') && leaves.includes('overlap.seed') && leaves.includes('execution.jobs'));
});

test('the committed schemas/settings.schema.json is the one generated from the zod schema', () => {
  assert.equal(readFileSync(join('schemas', SETTINGS_SCHEMA_FILE), 'utf8'), settingsJsonSchema(),
    `schemas/${SETTINGS_SCHEMA_FILE} is stale: run npx tsc -p . && node scripts/gen-schemas.mjs`);
});

test('defaults: the reference study; the engine options are pty-chi\'s except the study\'s epochs, batch size, seed and thread choice', () => {
  const d = parseStudySettings();
  assert.equal(d.preset, null);
  assert.deepEqual(d.simulation.doses, [1e3, 1e4, 1e5]);
  assert.equal(d.simulation.patchSize, 128);
  assert.deepEqual(d.simulation.objectShape, [464, 464]);
  assert.equal(d.simulation.nPositions, 10304);
  assert.deepEqual(d.overlap.views, { dense: 0.7, sparse: 0.2 });
  // three seeds, one per random process
  assert.equal(d.simulation.seed, 42);
  assert.equal(d.overlap.seed, 456);
  assert.equal(d.reconstruction.seed, 42);
  assert.equal(d.reconstruction.epochs, 50, 'one default epoch count for every command');
  assert.equal(d.reconstruction.batchSize, 96);
  assert.equal(d.execution.jobs, null);
  // the engine receives every option; only the study's departures differ from the engine's own defaults
  const engine = engineOptions(d.reconstruction, 1);
  const differ = (Object.keys(DEFAULT_LSQML_OPTIONS) as (keyof LsqmlOptions)[])
    .filter((k) => JSON.stringify(engine[k]) !== JSON.stringify(DEFAULT_LSQML_OPTIONS[k]));
  assert.deepEqual(differ, ['epochs', 'batchSize', 'seed']);
  assert.deepEqual(Object.keys(engine), Object.keys(DEFAULT_LSQML_OPTIONS));
  // the shared defaults are the same values, and frozen
  assert.deepEqual(settingsDefaults(), d);
  assert.throws(() => { (settingsDefaults().simulation.doses as number[]).push(1); }, TypeError);
});

test('a preset is values under the given ones, not a second default', () => {
  const q = parseStudySettings({ preset: 'quick' });
  assert.equal(q.preset, 'quick');
  assert.equal(q.reconstruction.epochs, 50);
  assert.equal(q.simulation.patchSize, 64);
  assert.equal(q.reconstruction.batchSize, 96, 'a setting the preset does not name keeps the schema default');
  const given = parseStudySettings({ preset: 'quick', reconstruction: { epochs: 3 }, simulation: { seed: 7 } });
  assert.equal(given.reconstruction.epochs, 3);
  assert.equal(given.simulation.seed, 7);
  assert.equal(given.reconstruction.seed, 42, 'the simulation seed does not move the reconstruction seed');
  assert.equal(given.simulation.patchSize, 64);
  const f = parseStudySettings({ preset: 'fly64' });
  const { preset: _p, ...fly } = f;
  const { preset: _d, ...ref } = parseStudySettings({ reconstruction: { epochs: 100 } });
  assert.deepEqual(fly, ref, 'fly64 is the reference size, which the defaults are, with the reference\'s 100 epochs');
});

test('a bad value is one SettingsError (exit code 2) naming the setting, the value and what was expected', () => {
  const cases: [Parameters<typeof parseStudySettings>[0], RegExp][] = [
    [{ reconstruction: { epochs: 0 } }, /^`reconstruction\.epochs` 0: expected a positive integer$/],
    [{ reconstruction: { noiseModel: 'laplace' as never } }, /^`reconstruction\.noiseModel` laplace: expected gaussian or poisson$/],
    // PtyPy's name for the amplitude model gaussian is here
    [{ reconstruction: { noiseModel: 'euclid' as never } }, /^`reconstruction\.noiseModel` euclid: expected gaussian or poisson \(PtyPy's ML_type 'euclid', which fits amplitudes, is gaussian here\)$/],
    [{ simulation: { doses: [] } }, /^`simulation\.doses` \[\]: expected at least one dose$/],
    [{ simulation: { patchSize: 63 } }, /^`simulation\.patchSize` 63: expected an even integer ≥ 4$/],
    [{ overlap: { views: { dense: 1 } } }, /^`overlap\.views\.dense` 1: expected an overlap fraction in \[0, 1\)$/],
    [{ overlap: { seed: -1 } }, /^`overlap\.seed` -1: expected a non-negative integer$/],
    [{ reconstruction: { divergenceFactor: 1 } }, /^`reconstruction\.divergenceFactor` 1: expected a number > 1$/],
    [{ reconstruction: { objectPlan: { stride: 0 } } }, /^`reconstruction\.objectPlan\.stride` 0: expected a positive integer$/],
    [{ reconstruction: { probePlan: { start: 5, stop: 5 } } }, /^`reconstruction\.probePlan\.stop` 5: expected an integer > start, or null \(a stop at or before the start schedules no epoch; set probeOptimizable to false to turn it off\)$/],
    [{ reconstruction: { objectPlan: { stop: -3 } } }, /^`reconstruction\.objectPlan\.stop` -3: expected an integer ≥ 1 or null$/],
    [{ reconstruction: { threads: 5000 } }, /^`reconstruction\.threads` 5000: expected an integer from 1 to 256 \(MAX_LSQML_THREADS\)$/],
    [{ reconstruction: { epoch: 3 } as never }, /^`reconstruction\.epoch`: expected no such setting/],
    // an object file needs its path
    [{ reconstruction: { initObject: 'file:' } }, /^`reconstruction\.initObject` file:: expected ones, guess or file:PATH$/],
    [{ reconstruction: { initObject: 'truth' } }, /^`reconstruction\.initObject` truth: expected ones, guess or file:PATH$/],
    [{ preset: 'huge' as never }, /^`preset` huge: expected one of quick, fly64$/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseStudySettings(input), (e: unknown) => e instanceof SettingsError && e instanceof UsageError &&
      e.exitCode === 2 && re.test(e.message), JSON.stringify(input));
  }
  // the command line shows a setting under its flag
  assert.equal(namesToFlags('`reconstruction.epochs` 0: expected a positive integer', { 'reconstruction.epochs': '--epochs' }),
    '--epochs 0: expected a positive integer');
  assert.equal(namesToFlags('use `overwrite` or `other`', { overwrite: '--overwrite' }), 'use --overwrite or `other`');
});

/** The issues a settings object is refused with, as "setting: expected", sorted; fails when it is accepted. */
function refused(input: unknown): string[] {
  try {
    parseStudySettings(input as never);
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    return e.issues.map((i) => `${i.setting}: ${i.expected}`).sort();
  }
  assert.fail('accepted');
}

test("pty-chi's own option names get the name used here, or that the engine does not have them", () => {
  assert.deepEqual(refused({
    object_options: { optimal_step_size_scaler: 0.8 },
    reconstruction: { num_epochs: 80, optimal_step_size_scaler: 0.8, position_correction: true, numProbeModes: 3, batch_size: 64 },
  }), [
    'object_options: no such setting (pty-chi\'s option groups are one group here, reconstruction: ' +
      'object_options.optimal_step_size_scaler is reconstruction.objectStepSizeScaler, …; docs/lsqml.md, "pty-chi\'s options here")',
    // a pty-chi name that is only spelled differently here keeps its "did you mean"
    'reconstruction.batch_size: no such setting (did you mean reconstruction.batchSize?)',
    'reconstruction.numProbeModes: no such setting (the number of incoherent probe modes is reconstruction.modes)',
    'reconstruction.num_epochs: no such setting (pty-chi\'s num_epochs is reconstruction.epochs)',
    'reconstruction.optimal_step_size_scaler: no such setting (pty-chi\'s optimal_step_size_scaler is ' +
      'reconstruction.objectStepSizeScaler (object_options) or reconstruction.probeStepSizeScaler (probe_options))',
    'reconstruction.position_correction: no such setting (pty-chi\'s position correction is not implemented here: ' +
      'positions stay as the data file gives them; docs/lsqml.md, "pty-chi\'s options here")',
  ]);
  // outside the top level and reconstruction a pty-chi name means nothing
  assert.deepEqual(refused({ simulation: { position_correction: true } }), ['simulation.position_correction: no such setting (check the spelling)']);
  // the section the hints name exists
  assert.match(readFileSync('docs/lsqml.md', 'utf8'), /^## pty-chi's options here$/m);
});

test('a setting put in the wrong group, or in none, is refused naming where it is (was: "check the spelling", or a near name of the wrong group)', () => {
  assert.deepEqual(refused({ epochs: 80, simulation: { epochs: 80 } }), [
    'epochs: no such setting (did you mean reconstruction.epochs?)',
    'simulation.epochs: no such setting (did you mean reconstruction.epochs?)',
  ]);
  // a near name of this group came first: reconstruction.doses was "did you mean reconstruction.modes?"
  assert.deepEqual(refused({ reconstruction: { doses: [1e3] } }), ['reconstruction.doses: no such setting (did you mean simulation.doses?)']);
  assert.deepEqual(refused({ execution: { threads: 4 }, reconstruction: { jobs: 2 } }), [
    'execution.threads: no such setting (did you mean reconstruction.threads?)',
    'reconstruction.jobs: no such setting (did you mean execution.jobs?)',
  ]);
  // a group's setting run together with it, spelled as people spell it
  assert.deepEqual(refused({ reconstruction: { crop_size: 64, cropCenter: [1, 2] } }), [
    'reconstruction.cropCenter: no such setting (did you mean reconstruction.crop.center?)',
    'reconstruction.crop_size: no such setting (did you mean reconstruction.crop.size?)',
  ]);
  // a name several groups have: each
  assert.deepEqual(refused({ execution: { seed: 1 } }), ['execution.seed: no such setting (did you mean simulation.seed, overlap.seed or reconstruction.seed?)']);
  // the data file is no setting
  assert.deepEqual(refused({ input: 'scan.cxi', reconstruction: { dataFile: 'scan.cxi' } }), [
    'input: no such setting (the data file is not a setting: lsqml reads it from --input FILE; reconstruct and run reconstruct the datasets of Phase C)',
    'reconstruction.dataFile: no such setting (the data file is not a setting: lsqml reads it from --input FILE; reconstruct and run reconstruct the datasets of Phase C)',
  ]);
  // other words for a setting
  assert.deepEqual(refused({ reconstruction: { iterations: 80, use_mask: false, gpu: true, algorithm: 'ML' } }), [
    'reconstruction.algorithm: no such setting (LSQML (pty-chi\'s) is the one engine here)',
    'reconstruction.gpu: no such setting (the engine runs on the CPU (WebAssembly kernels); its threads are reconstruction.threads, jobs at once execution.jobs)',
    'reconstruction.iterations: no such setting (the number of iterations is reconstruction.epochs (epoch 0 included))',
    'reconstruction.use_mask: no such setting (the detector mask of measured data is applied unless reconstruction.detectorMask is false)',
  ]);
  // a typo in the right group keeps its "did you mean"
  assert.deepEqual(refused({ reconstruction: { epoch: 80 } }), ['reconstruction.epoch: no such setting (did you mean reconstruction.epochs?)']);
});

test('a setting its group needs and that is not given is said to be missing (was: the bare rule, "reconstruction.crop.center: two integers …")', () => {
  assert.deepEqual(refused({ reconstruction: { crop: { size: 64 } } }), ['reconstruction.crop.center: two integers [y, x] ≥ 0 (pixels of the file\'s frames)']);
  let err: unknown;
  try { parseStudySettings({ reconstruction: { crop: { size: 64 } } } as never); } catch (e) { err = e; }
  assert.ok(err instanceof SettingsError);
  assert.equal(err.message, '`reconstruction.crop.center`: expected two integers [y, x] ≥ 0 (pixels of the file\'s frames); found it missing');
  assert.equal(fileIssueLine(err.issues[0]!), 'reconstruction.crop.center: expected two integers [y, x] ≥ 0 (pixels of the file\'s frames), found it missing');
});

test("PtyPy's crop, centre and rebin are named as this tool's crop and binning (was: 'not available', 'nothing is re-centred')", () => {
  const got = refused({ scan: { data: {} }, reconstruction: { rebin: 2, shape: 64, center: [38, 73], auto_center: true } });
  assert.equal(got.length, 5, got.join('\n'));
  assert.match(got[0]!, /^reconstruction\.auto_center: no such setting \(PtyPy's auto_center is not available here: .*ptychostudy inspect FILE finds it and suggests reconstruction\.crop/);
  assert.match(got[1]!, /^reconstruction\.center: no such setting \(PtyPy's data center .* is reconstruction\.crop\.center \(--crop-center Y,X\)/);
  assert.match(got[2]!, /^reconstruction\.rebin: no such setting \(PtyPy's rebin is reconstruction\.binSize \(--bin-size B\) here, but PtyScan averages the B × B pixels and this sums them/);
  assert.match(got[3]!, /^reconstruction\.shape: no such setting \(PtyPy's data shape .* is reconstruction\.crop\.size \(--crop-size N\)/);
  assert.match(got[4]!, /^scan: no such setting \(PtyPy's parameter tree is not read here/);
  for (const g of got) assert.doesNotMatch(g, /nothing is re-centred|reconstructed at the size the file holds/);
  assert.match(readFileSync('docs/real-data.md', 'utf8'), /^## Cropping and binning detector frames$/m);
});

test('an update plan given in part keeps the rest of its own defaults (ambiguityPlan: stride 10)', () => {
  const r = parseStudySettings({ reconstruction: { ambiguityPlan: { start: 20 }, objectPlan: { stride: 2 } } }).reconstruction;
  assert.deepEqual(r.ambiguityPlan, { start: 20, stop: null, stride: 10 });
  assert.deepEqual(r.objectPlan, { start: 0, stop: null, stride: 2 });
});

test("every pty-chi name of docs/lsqml.md's table gets what it is here, not a spelling guess", () => {
  const got = refused({ reconstruction: { valid_pixel_mask: true, orthogonalize_initial_probe: true } });
  assert.deepEqual(got, [
    'reconstruction.orthogonalize_initial_probe: no such setting (pty-chi\'s orthogonalize_initial_probe is done by ' +
      'reconstruction.modes: with more modes than the probe holds, the extra ones come from its Hermite recipe)',
    'reconstruction.valid_pixel_mask: no such setting (pty-chi\'s valid_pixel_mask is the measured data\'s own detector ' +
      'mask here, applied unless reconstruction.detectorMask is false; docs/real-data.md, "Detector mask")',
  ]);
});

test("PtyPy's parameter names in a settings file get what they are here, or that they are not here", () => {
  const got = refused({
    engines: { engine00: { name: 'ML', numiter: 100 } },
    reconstruction: { numiter: 100, ML_type: 'poisson', probe_update_start: 2, floating_intensities: true, illumination: { aperture: { size: 1e-6 } } },
  });
  assert.equal(got.length, 6, got.join('\n'));
  assert.match(got[0]!, /^engines: no such setting \(PtyPy's parameter tree is not read here: the engine's settings are the group reconstruction \(numiter is reconstruction\.epochs/);
  assert.match(got[1]!, /^reconstruction\.ML_type: no such setting \(PtyPy's ML_type is reconstruction\.noiseModel, but the models differ/);
  assert.match(got[2]!, /^reconstruction\.floating_intensities: no such setting \(PtyPy's floating intensities .* is not available here/);
  assert.match(got[3]!, /^reconstruction\.illumination: no such setting \(PtyPy's illumination model is --probe-model \(reconstruction\.probeModel\): aperture\.size with propagation\.parallel is aperture:diameter=D,distance=Z/);
  assert.match(got[4]!, /^reconstruction\.numiter: no such setting \(PtyPy's numiter is reconstruction\.epochs, plus one/);
  assert.match(got[5]!, /^reconstruction\.probe_update_start: no such setting \(PtyPy's probe_update_start is reconstruction\.probePlan \{ start \} plus one/);
  // outside the top level and reconstruction a PtyPy name means nothing
  assert.deepEqual(refused({ overlap: { numiter: 3 } }), ['overlap.numiter: no such setting (check the spelling)']);
  // the section the hints name exists
  assert.match(readFileSync('docs/real-data.md', 'utf8'), /^## Coming from PtyPy$/m);
});

test('run.json records the settings that determine a hub, reads them back, and reads a one-seed (version 1) record', () => {
  const s = parseStudySettings({ preset: 'quick', simulation: { doses: [1e3], seed: 5, nImages: 60 }, overlap: { seed: 9 },
    reconstruction: { epochs: 3, seed: 11 } });
  const record = runSettingsOf(s);
  assert.deepEqual(record, { preset: 'quick', doses: [1e3], epochs: 3, simulation_seed: 5, overlap_seed: 9, reconstruction_seed: 11,
    n_images: 60, base_npz: null });
  assert.deepEqual(settingsOfRecord(record), s);
  const hub = mkdtempSync(join(tmpdir(), 'ptychostudy-settings-'));
  try {
    writeFileSync(join(hub, 'run.json'), JSON.stringify({ schema_version: 1, tool: 'ptychostudy', status: 'complete', phases: {},
      settings: { preset: 'quick', doses: [1000], epochs: 3, seed: 7, n_images: null, base_npz: null } }));
    assert.deepEqual(readRunState(hub)!.settings, { preset: 'quick', doses: [1000], epochs: 3, simulation_seed: 7, overlap_seed: 456,
      reconstruction_seed: 7, n_images: null, base_npz: null });
    writeFileSync(join(hub, 'run.json'), JSON.stringify({ tool: 'ptychostudy', phases: {}, settings: { ...record, epochs: 'many' } }));
    assert.throws(() => readRunState(hub), /run\.json: key 'settings\.epochs'/);
  } finally {
    rmSync(hub, { recursive: true, force: true });
  }
});

test('a view name the schema refuses is named as the name, with the rule (was: "expected Invalid key in record", found its fraction)', () => {
  assert.throws(() => parseStudySettings({ overlap: { views: { 'dense view': 0.5, dense: 0.7 } } }), (err: unknown) => {
    assert.ok(err instanceof SettingsError);
    assert.deepEqual(err.issues, [{ setting: 'overlap.views', found: 'dense view', expected: VIEW_RULE }]);
    return true;
  });
});

const VIEW_RULE = 'a view named dense or sparse (baseline is every position; Phases F and G reconstruct and score these three views)';

test('overlap views are dense and sparse only: a view of another name would be cut and never reconstructed, one named baseline would shadow the full scan', () => {
  for (const name of ['medium', 'baseline']) {
    assert.throws(() => parseStudySettings({ overlap: { views: { dense: 0.7, [name]: 0.5 } } }), (err: unknown) => {
      assert.ok(err instanceof SettingsError);
      assert.deepEqual(err.issues, [{ setting: 'overlap.views', found: name, expected: VIEW_RULE }]);
      return true;
    });
  }
  assert.deepEqual(parseStudySettings({ overlap: { views: { dense: 0.6 } } }).overlap.views, { dense: 0.6 });
});

test('an empty setting name is shown as "" (was: `reconstruction.: no such setting`)', () => {
  assert.throws(() => parseStudySettings({ '': 1, reconstruction: { '': 2 } } as never), (err: unknown) => {
    assert.ok(err instanceof SettingsError);
    assert.deepEqual(err.issues.map((i) => `${i.setting}: ${i.expected}`).sort(),
      ['"": no such setting (check the spelling)', 'reconstruction."": no such setting (check the spelling)']);
    return true;
  });
});
