// A first settings file, as someone coming from PtyPy, ptychodus or pty-chi writes it: each mistake refused in one
// line naming the file, the setting, what is expected and what was found — with what the value is here when the
// mistake is a name in another case, a percentage for a fraction, x-rays for photons, or the experiment's geometry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSettingsFile } from '../../src/settings/file.js';
import { tmp } from '../study/reconstruct-helpers.js';

const cli = resolve('dist/src/cli/main.js');

/** The message refusing a settings file holding `text`, whose name is given back too. */
function refusal(text: string): { file: string; message: string } {
  const file = join(tmp('first-file'), 'study.yaml');
  writeFileSync(file, text);
  try {
    readSettingsFile(file);
  } catch (err) {
    return { file, message: (err as Error).message };
  }
  assert.fail(`${text}: not refused`);
}

test('a name written in another case: said as it is written (preset, noise model, precision)', () => {
  let r = refusal('preset: Quick\n');
  assert.equal(r.message, `${r.file}: preset: expected one of quick, fly64 (names are written in lower case: quick), found Quick`);
  r = refusal('reconstruction:\n  noiseModel: Poisson\n');
  assert.equal(r.message, `${r.file}: reconstruction.noiseModel: expected gaussian or poisson (names are written in lower case: poisson), found Poisson`);
  // a name that is no option at all is said as before
  r = refusal('preset: tiny\n');
  assert.equal(r.message, `${r.file}: preset: expected one of quick, fly64, found tiny`);
});

test('a percentage for an overlap fraction, double for float64, x-ray for photon: what the value is here', () => {
  let r = refusal('overlap:\n  views: { dense: 70, sparse: 0.2 }\n');
  assert.equal(r.message, `${r.file}: overlap.views.dense: expected an overlap fraction in [0, 1), a fraction, not a percentage (0.7 for 70 %), found 70`);
  r = refusal('reconstruction:\n  precision: double\n');
  assert.equal(r.message, `${r.file}: reconstruction.precision: expected float32 or float64 (double precision is float64), found double`);
  r = refusal('reconstruction:\n  radiation: X-ray\n');
  assert.equal(r.message, `${r.file}: reconstruction.radiation: expected photon or electron (in a settings file also null: as the file states); x-rays are photons: photon, found X-ray`);
});

test('the experiment\'s geometry under ptychodus\'s or pty-chi\'s names (in eV, keV, metres): read from the data file, never set', () => {
  const r = refusal('reconstruction:\n  ProbeEnergyInElectronVolts: 8800\n  photon_energy_kev: 8.8\n  DetectorDistanceInMeters: 2.5\n  det_pixel_size: 75e-6\n  wavelength: 1.4e-10\n');
  const lines = r.message.split('\n');
  assert.equal(lines.length, 5);
  for (const [line, name] of lines.map((l, i) => [l, ['ProbeEnergyInElectronVolts', 'photon_energy_kev', 'DetectorDistanceInMeters', 'det_pixel_size', 'wavelength'][i]!])) {
    assert.equal(line, `${r.file}: reconstruction.${name}: no such setting (the energy, the detector distance and its pixel size are read from the data file ` +
      '(CXI, PtyPy .ptyd), in whatever unit it stores them, never set; for a file that states none, --probe-model …,wavelength=…,pixel=… gives them in metres (docs/real-data.md))');
  }
  const s = refusal('simulation:\n  energy_kev: 8.8\n');
  assert.equal(s.message, `${s.file}: simulation.energy_kev: no such setting (the synthetic study is in pixels and photons per pattern: it has no energy, ` +
    'distance or detector pixel size (measured data\'s are read from its file))');
});

test('a flag in another case or naming the geometry: one line saying the same', () => {
  const r = spawnSync(process.execPath, [cli, 'lsqml', '--input', 'x.npz', '--out', join(tmp('first-flag'), 'out'), '--noise-model', 'Poisson'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'ptychostudy lsqml: --noise-model Poisson: expected gaussian or poisson (names are written in lower case: poisson)\n');
  const w = spawnSync(process.execPath, [cli, 'lsqml', '--input', 'x.npz', '--out', join(tmp('first-flag'), 'out'), '--photon-energy', '8.8'], { encoding: 'utf8' });
  assert.equal(w.status, 2);
  assert.match(w.stderr, /^ptychostudy lsqml: unknown option '--photon-energy'; the energy, the detector distance and its pixel size are read from the data file /);
  assert.equal(w.stderr.split('\n').length, 2);
});
