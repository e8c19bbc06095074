/**
 * `generate` and `overlap` record where each setting of their phase came from — a flag, the settings file, the preset —
 * in their manifests (`provenance.settings_origin`), as run.json, reconstruction_run.json and Phase F's runs do; only
 * their own phase's settings. It is provenance, like the roots and times beside it: the same settings given another way
 * (flags instead of a file) make the same data, and what run.json records the phase holds (the manifest without those)
 * is the same, so a hub resumes; other settings change it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { phaseCContent, phaseDContent } from '../../src/study/run/fingerprints.js';
import { tempDir } from '../tmp.js';

const CLI = join('dist', 'src', 'cli', 'main.js');

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

const json = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));

test('generate and overlap record where each of their settings came from; given by flags instead of the file, the phase holds the same', () => {
  const hub = tempDir('phase-origin');
  const c = join(hub, 'phase_c'), d = join(hub, 'phase_d');
  const file = join(hub, 'study.yaml');
  writeFileSync(file, 'simulation:\n  seed: 7\noverlap:\n  seed: 9\nreconstruction:\n  epochs: 3\n');
  const small = ['--dose', '1e4', '--n-images', '24'];

  cli(['generate', '--config', file, '--out', c, ...small]);
  const fromFile = {
    'simulation.doses': 'flag --dose', 'simulation.nImages': 'flag --n-images', 'simulation.nPositions': 'preset quick',
    'simulation.objectShape': 'preset quick', 'simulation.patchSize': 'preset quick', 'simulation.seed': `file ${file}`,
  };
  assert.deepEqual(json(join(c, 'run_manifest.json'))._run.provenance.settings_origin, fromFile);
  cli(['overlap', '--config', file, '--phase-c-root', c, '--out', d, '--order', 'raster']);
  assert.deepEqual(json(join(d, 'overlap_manifest.json')).provenance.settings_origin, { 'overlap.order': 'flag --order', 'overlap.seed': `file ${file}` });
  const held = { c: phaseCContent(hub), d: phaseDContent(hub) };

  // the same settings by flags: another origin, the same data, and the same record of what each phase holds
  cli(['generate', '--seed', '7', '--out', c, ...small, '--overwrite']);
  assert.deepEqual(json(join(c, 'run_manifest.json'))._run.provenance.settings_origin, { ...fromFile, 'simulation.seed': 'flag --seed' });
  cli(['overlap', '--seed', '9', '--phase-c-root', c, '--out', d, '--order', 'raster', '--overwrite']);
  assert.deepEqual(json(join(d, 'overlap_manifest.json')).provenance.settings_origin, { 'overlap.order': 'flag --order', 'overlap.seed': 'flag --seed' });
  assert.deepEqual({ c: phaseCContent(hub), d: phaseDContent(hub) }, held);

  // other settings: what the phases hold differs
  cli(['overlap', '--seed', '10', '--phase-c-root', c, '--out', d, '--overwrite']);
  assert.notEqual(phaseDContent(hub), held.d);
  cli(['generate', '--seed', '8', '--out', c, ...small, '--overwrite']);
  assert.notEqual(phaseCContent(hub), held.c);
});
