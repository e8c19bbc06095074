/**
 * The library entry (`import … from 'ptychostudy'`) called from plain JavaScript, where nothing checks the
 * arguments' types: settings that are not complete, valid settings and a missing root are one clear
 * UsageError (exit code 2) naming what is wrong, thrown before anything is written — never a TypeError or
 * RangeError from deep inside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildReconstructionReport, buildReport, DEFAULT_LSQML_OPTIONS, engineOptions, getPreset, loadNpz, parseStudySettings, readHubSettings, readMetadata, readRunState, runComparison, saveNpz, runLsqmlJob, runOverlap, runReconstruction, runSimulation, runStudy,
  SettingsError, UsageError,
} from '../../src/index.js';
import { tempDir } from '../tmp.js';

function settingsError(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SettingsError, `expected a SettingsError, got ${String(e)}`);
    assert.ok(e instanceof UsageError);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, pattern);
    return true;
  };
}

test('runLsqmlJob: reconstruction settings out of bounds, of another type or missing are a SettingsError naming the setting, before the input is read', async () => {
  const dir = tempDir('lib-lsqml');
  const input = join(dir, 'missing.npz'); // never read: the settings are refused first
  const defaults = parseStudySettings().reconstruction;
  await assert.rejects(runLsqmlJob({ inputNpz: input, outputDir: join(dir, 'a'), settings: { epochs: 2, batchSize: 0 } as never }),
    settingsError(/`reconstruction\.batchSize` 0/));
  await assert.rejects(runLsqmlJob({ inputNpz: input, outputDir: join(dir, 'b'), settings: { ...defaults, epochs: -1 } }),
    settingsError(/`reconstruction\.epochs` -1: expected a positive integer/));
  await assert.rejects(runLsqmlJob({ inputNpz: input, outputDir: join(dir, 'c'), settings: { ...defaults, noiseModel: 'poison' } as never }),
    settingsError(/`reconstruction\.noiseModel` poison/));
  await assert.rejects(runLsqmlJob({ inputNpz: input, outputDir: join(dir, 'd') } as never),
    settingsError(/`reconstruction`.*: expected an object of reconstruction settings/));
  for (const d of ['a', 'b', 'c', 'd']) assert.ok(!existsSync(join(dir, d)), `${d}: nothing written`);
});

test('runStudy: settings that are not parsed settings are checked as parseStudySettings checks them; a bad one writes no hub', async () => {
  const dir = tempDir('lib-study');
  await assert.rejects(runStudy(join(dir, 'h1'), { reconstruction: { epochs: 0 } } as never),
    settingsError(/`reconstruction\.epochs` 0: expected a positive integer/));
  await assert.rejects(runStudy(join(dir, 'h2'), null as never), settingsError(/expected an object of settings groups/));
  await assert.rejects(runStudy(join(dir, 'h3'), { preset: 'quick', simulaton: {} } as never), settingsError(/`simulaton`: expected no such setting/));
  for (const h of ['h1', 'h2', 'h3']) assert.ok(!existsSync(join(dir, h)), `${h}: no hub written`);
});

test('buildReport: a hub that does not exist is a UsageError, and no directory is made for it', async () => {
  const dir = tempDir('lib-report');
  const hub = join(dir, 'no-such-hub');
  await assert.rejects(buildReport(hub), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, /no-such-hub: no such directory/);
    return true;
  });
  assert.ok(!existsSync(hub));
});

test('buildReconstructionReport: its errors name its argument and options as a script gives them; an option it does not take is refused', async () => {
  const dir = tempDir('lib-rec-report');
  await assert.rejects(buildReconstructionReport(join(dir, 'no-such-folder')), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, /^`dir` \S*no-such-folder: no such directory$/);
    return true;
  });
  await assert.rejects(buildReconstructionReport(dir, { froce: true } as never), /buildReconstructionReport: option `froce`: expected no such option \(it takes `force`, `input`, `onProgress`, `lockWaitMs`, `signal`\)/);
  await assert.rejects(buildReport(dir, { signal: 'stop' } as never), /`signal` string: expected an AbortSignal/);
  assert.ok(!existsSync(join(dir, 'report')));
});

test('the phases: settings that are not parsed settings, and a missing or misspelt root, are one UsageError naming it; nothing is written', async () => {
  const dir = tempDir('lib-phases');
  const settings = parseStudySettings({ preset: 'quick', simulation: { doses: [1e4], nImages: 24 } });
  const c = join(dir, 'c'), d = join(dir, 'd');
  const usage = (pattern: RegExp) => (e: unknown): boolean => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, pattern);
    return true;
  };
  await assert.rejects(runSimulation({ simulation: { doses: [-1] } } as never, { outputRoot: c }), settingsError(/`simulation\.doses\.0` -1/));
  await assert.rejects(runSimulation(settings, {} as never), usage(/`outputRoot` undefined: expected a path/));
  await assert.rejects(runOverlap(undefined as never, { phaseCRoot: c, outputRoot: d }), settingsError(/expected an object of settings groups/));
  await assert.rejects(runOverlap(settings, { phaseCRoot: c, out: d } as never), usage(/`outputRoot` undefined: expected a path/));
  // Phase F's output root is outputRoot too (artifactRoot, its earlier name, is accepted: library-api.test.ts)
  await assert.rejects(runReconstruction(settings, { phaseCRoot: c, phaseDRoot: d, out: join(dir, 'f') } as never),
    usage(/`outputRoot` undefined: expected a path/));
  await assert.rejects(runComparison({ phaseCRoot: c, phaseDRoot: d, outputRoot: join(dir, 'g') } as never),
    usage(/`phaseFRoot` undefined: expected a path/));
  await assert.rejects(runComparison(null as never), usage(/options null: expected an object/));
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});

test('engineOptions: settings as given are completed by the study\'s defaults, as runLsqmlJob takes them; a misspelt one or a bad thread count is refused', () => {
  const parsed = parseStudySettings({ reconstruction: { epochs: 20 } }).reconstruction;
  const given = engineOptions({ epochs: 20 }, 2);
  assert.deepEqual(given, engineOptions(parsed, 2));
  assert.deepEqual([given.epochs, given.batchSize, given.seed, given.threads], [20, 96, 42, 2]);
  assert.deepEqual(Object.keys(given).sort(), Object.keys(DEFAULT_LSQML_OPTIONS).sort());
  assert.throws(() => engineOptions({ epoch: 20 } as never, 2), settingsError(/`reconstruction\.epoch`: expected no such setting \(did you mean reconstruction\.epochs\?\)/));
  assert.throws(() => engineOptions(parsed, 0), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.message, '`threads` 0: expected a positive integer');
    return true;
  });
});

test('readRunState, readHubSettings: a hub that is no path is a UsageError naming it, not a TypeError', () => {
  for (const read of [readRunState, readHubSettings]) {
    for (const hub of [undefined, 42, '']) {
      assert.throws(() => read(hub as never), (e: unknown) => e instanceof UsageError && e.message === `\`hub\` ${JSON.stringify(hub) ?? 'undefined'}: expected a path (the hub directory)`, String(hub));
    }
  }
});

test('getPreset: an unknown name is a UsageError naming the presets, not undefined', () => {
  assert.equal(getPreset('quick').name, 'quick');
  assert.throws(() => getPreset('quik' as never), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, /`preset` quik: expected one of quick, fly64/);
    return true;
  });
});

test('readMetadata: an NPZ file named by its path is read, not reported absent', () => {
  const dir = tempDir('lib-metadata');
  const path = join(dir, 'm.npz');
  saveNpz(path, { a: { dtype: '<f8', shape: [1], data: new Float64Array(1) }, _metadata: { dtype: '<U9', shape: [], data: ['{"n": 42}'] } });
  assert.deepEqual(readMetadata(path), { status: 'ok', value: { n: 42 } });
  const missing = readMetadata(join(dir, 'none.npz'));
  assert.equal(missing.status, 'error');
  assert.match(missing.status === 'error' ? missing.error : '', /none\.npz: cannot open \(no such file\)/);
});

test('loadNpz: keys given as one string (or options in their place) are a UsageError, not "no key \'d\'"', () => {
  const dir = tempDir('lib-loadnpz');
  const path = join(dir, 'a.npz');
  saveNpz(path, { diffraction: { dtype: '<f8', shape: [1], data: new Float64Array(1) } });
  assert.deepEqual(Object.keys(loadNpz(path, ['diffraction'])), ['diffraction']);
  for (const keys of ['diffraction', { maxMemberBytes: 1 }]) {
    assert.throws(() => loadNpz(path, keys as never), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, /`keys` .*: expected an array of key names \(e\.g\. \['diffraction'\]\) or undefined for every key/);
      return true;
    });
  }
});
