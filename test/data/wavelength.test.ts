/**
 * The wavelength of measured data: the photon formula λ = hc/E, and for electron data the relativistic de Broglie
 * wavelength of the electron's kinetic energy, against reference values computed in 60-digit arithmetic
 * (scripts/wavelength-reference.py, CODATA 2018).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ELECTRON_MASS_KG, ELECTRON_VOLT_J, LIGHT_SPEED_M_S, PLANCK_J_S, wavelengthFromEnergy, type Radiation } from '../../src/data/geometry.js';

interface Row { energy_eV: number; wavelength_m: number }
const reference = JSON.parse(readFileSync('test/fixtures/wavelength/reference.json', 'utf8')) as {
  constants: { h_J_s: number; c_m_s: number; e_C: number; m0_kg: number }; electron: Row[]; photon: Row[];
};

test('the photon and the electron wavelength equal the 60-digit reference to 1e-12 (relative)', (t) => {
  assert.deepEqual(reference.constants, { h_J_s: PLANCK_J_S, c_m_s: LIGHT_SPEED_M_S, e_C: ELECTRON_VOLT_J, m0_kg: ELECTRON_MASS_KG });
  for (const [radiation, rows] of [['electron', reference.electron], ['photon', reference.photon]] as [Radiation, Row[]][]) {
    let worst = 0;
    for (const r of rows) {
      const ours = wavelengthFromEnergy(r.energy_eV * ELECTRON_VOLT_J, radiation);
      const rel = Math.abs(ours / r.wavelength_m - 1);
      assert.ok(rel <= 1e-12, `${radiation} ${r.energy_eV} eV: ${ours} m against ${r.wavelength_m} m (relative ${rel})`);
      worst = Math.max(worst, rel);
    }
    t.diagnostic(`${radiation}: ${rows.length} energies, largest relative difference ${worst.toExponential(2)}`);
  }
  // 300 keV: the photon formula is 2.1 times the electron's wavelength
  const e300 = 300e3 * ELECTRON_VOLT_J;
  assert.equal(Number(wavelengthFromEnergy(e300, 'electron').toPrecision(6)), 1.96875e-12);
  assert.equal(Number(wavelengthFromEnergy(e300, 'photon').toPrecision(6)), 4.13281e-12);
});
