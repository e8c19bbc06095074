/**
 * The wavelength of measured data: the photon formula λ = hc/E, and for electron data the relativistic de Broglie
 * wavelength of the electron's kinetic energy, against reference values computed in 60-digit arithmetic
 * (scripts/wavelength-reference.py, CODATA 2018); which radiation a CXI file states (NeXus NXsource `probe` at
 * entry_1/instrument_1/source_1/probe), the setting reconstruction.radiation where it states none, and the refusal
 * of the two disagreeing, of a radiation without a formula here, and of electron for a .ptyd or an NPZ; the same
 * setting as a flag of inspect --check and reconstruct, and the warning of a high photon energy from a file stating none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ELECTRON_MASS_KG, ELECTRON_VOLT_J, LIGHT_SPEED_M_S, PLANCK_J_S, wavelengthFromEnergy, type Radiation } from '../../src/data/geometry.js';
import { readCxi } from '../../src/data/cxi.js';
import { npzRadiationMessage, readInputData } from '../../src/data/input.js';
import type { MeasuredData } from '../../src/data/measured.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { probeFileRadiationMessage, summarizeHdf5 } from '../../src/data/inspect-hdf5.js';
import { summarizeNpz } from '../../src/data/inspect.js';
import { optionsFromFlags } from '../../src/cli/commands/reconstruct.js';
import { commandFor, settingsBeyondCommand, type ReconstructionJob } from '../../src/study/reconstruct/jobs.js';
import { energyFact } from '../../src/study/report/sections.js';
import { readReconstructionInput } from '../../src/study/reconstruct/input.js';
import { InputError } from '../../src/errors.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { exportPtychodusProduct } from '../../src/study/export/ptychodus.js';
import { withHdf5 } from '../../src/data/hdf5/reader.js';
import { readMetadata } from '../../src/data/metadata.js';
import { fixtureEntries, fixtureMeasurement, writeHdf5, type Entry } from './cxi-builder.js';
import { assertRefused, ptychostudy } from './cli-run.js';

interface Row { energy_eV: number; wavelength_m: number }
const reference = JSON.parse(readFileSync('test/fixtures/wavelength/reference.json', 'utf8')) as {
  constants: { h_J_s: number; c_m_s: number; e_C: number; m0_kg: number }; electron: Row[]; photon: Row[];
};

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-wavelength-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

// The fixture's measurement as a 300 keV electron data set: positions scaled by λ_electron(300 keV) / λ_photon(8 keV),
// so that with the electron formula the object frame is the fixture's own
const entries = await fixtureEntries();
const base = await fixtureMeasurement();
const E300 = 300e3 * ELECTRON_VOLT_J;
const scale = wavelengthFromEnergy(E300, 'electron') / base.geometry.wavelengthM;
const T = 'entry_1/sample_1/geometry_1/translation', SOURCE = 'entry_1/instrument_1/source_1';
const translation = Float64Array.from(entries[T]!.data as Float64Array, (v) => v * scale);
let counter = 0;
function electronFile(changes: Record<string, Entry | null> = {}): string {
  const path = join(root, `e${counter++}.cxi`);
  writeHdf5(path, { ...entries, [T]: { data: translation, shape: [base.n, 3], dtype: '<d' }, [`${SOURCE}/energy`]: { data: E300, dtype: '<d' }, ...changes });
  return path;
}
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

const stating = (text: string): Record<string, Entry> => ({ [`${SOURCE}/probe`]: { data: text } });

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes('\n'));
}

test('a CXI file stating electrons is read with the electron wavelength: its scan lands in the same object frame', async () => {
  const path = electronFile(stating('electron'));
  const m = await readCxi(path);
  assert.equal(m.geometry.radiation, 'electron');
  assert.equal(m.geometry.wavelengthM, wavelengthFromEnergy(E300, 'electron'));
  assert.deepEqual(m.radiationFrom, { source: 'file', key: `${SOURCE}/probe`, stated: 'electron' });
  assert.equal(m.keys.radiation, `${SOURCE}/probe`);
  assert.deepEqual(m.objectShape, base.objectShape);
  for (let i = 0; i < m.n; i++) {
    assert.ok(Math.abs(m.xcoords[i]! - base.xcoords[i]!) < 1e-6 && Math.abs(m.ycoords[i]! - base.ycoords[i]!) < 1e-6, `position ${i}`);
  }
  // the probe still comes from the illumination; the string at …/probe is not taken for one
  assert.equal(m.keys.probe, `${SOURCE}/illumination`);
  // and without an illumination the file has no probe (it was refused: "expected a complex probe …; found dtype str")
  assert.equal((await readCxi(electronFile({ ...stating('electron'), [`${SOURCE}/illumination`]: null }))).probe, undefined);
  // read with the photon formula (the setting given for a file that states nothing) the scan is 2.1 times smaller in pixels
  const photon = await readCxi(electronFile(), { radiation: 'photon' });
  assert.equal(photon.radiationFrom.source, 'setting');
  const spanX = (x: Float64Array): number => Math.max(...x) - Math.min(...x);
  assert.ok(Math.abs(spanX(photon.xcoords) / spanX(m.xcoords) - wavelengthFromEnergy(E300, 'electron') / wavelengthFromEnergy(E300, 'photon')) < 1e-9);
  // a file stating nothing: photon by default, electron by the setting
  assert.equal((await readCxi('test/fixtures/cxi/scan.cxi')).radiationFrom.source, 'default');
  const bySetting = await readCxi(electronFile(), { radiation: 'electron' });
  assert.deepEqual([bySetting.geometry.radiation, bySetting.radiationFrom.source], ['electron', 'setting']);
  assert.deepEqual(Array.from(bySetting.xcoords), Array.from(m.xcoords));
  // NeXus spellings of photons, in any case and with spaces around
  assert.equal((await readCxi(electronFile({ ...stating(' X-ray '), [T]: entries[T]!, [`${SOURCE}/energy`]: entries[`${SOURCE}/energy`]! }))).geometry.radiation, 'photon');
});

test('a radiation the file and the setting disagree on, or one without a formula here, is refused in one line', async () => {
  const electron = electronFile(stating('electron'));
  await refused(readCxi(electron, { radiation: 'photon' }), /key 'entry_1\/instrument_1\/source_1\/probe': expected the radiation reconstruction\.radiation \(--radiation\) gives, 'x-ray' or another photon; found 'electron': the file and the setting disagree/);
  await refused(readCxi(electronFile(stating('x-ray')), { radiation: 'electron' }), /expected the radiation reconstruction\.radiation \(--radiation\) gives, 'electron'; found 'x-ray'/);
  await refused(readCxi(electronFile(stating('neutron'))), /key 'entry_1\/instrument_1\/source_1\/probe': expected the radiation \(NeXus NXsource probe\).*; found 'neutron' \(no wavelength formula here for it\)$/);
  await refused(readCxi(electronFile(stating('e'.repeat(65)))), /found a string of \d+ (characters|bytes) \(more than 64\)/);
  // an electron energy out of range is named as one
  await refused(readCxi(electronFile({ ...stating('electron'), [`${SOURCE}/energy`]: { data: 300e3, dtype: '<d' } })), /energy': expected the electron energy in J, < 1e-12; found 300000 \(is it in eV or keV\? CXI stores joules: 300 keV = 4\.8065e-14 J\)/);
  // PtyPy's meta/energy is a photon energy (its loader stores electron data as the photon energy of the same wavelength)
  await refused(readInputData('test/fixtures/cxi/scan.ptyd', { radiation: 'electron' }), /scan\.ptyd: key 'meta\/energy': expected the photon energy in keV, as PtyPy stores it, not reconstruction\.radiation: electron/);
  const ptyd = await readInputData('test/fixtures/cxi/scan.ptyd', { radiation: 'photon' });
  assert.equal((ptyd as { measured: MeasuredData }).measured.radiationFrom.source, 'format');
  // an NPZ states no energy to convert
  await refused(readReconstructionInput('test/fixtures/numpy/phase_c_dataset.npz', { initProbe: 'guess', job: { modes: 1, batchSize: 8 }, radiation: 'electron' }),
    /phase_c_dataset\.npz: reconstruction\.radiation \(--radiation\) electron: expected measured data stating an energy \(CXI\); found a dataset NPZ/);
});

test('a CXI probe file is sampled at the wavelength of its own radiation, or of the data\'s; inspect names the formula', async () => {
  const probeFile = electronFile(stating('electron'));
  const m = await readCxi(probeFile);
  assert.deepEqual((await readProbeFile(probeFile, 32, 32)).pixelM, m.geometry.objectPixelM);
  // the radiation it is checked against is the data's, which need not come from the setting: the refusal says so
  await refused(readProbeFile(probeFile, 32, 32, { radiation: 'photon' }),
    /key 'entry_1\/instrument_1\/source_1\/probe': expected the radiation of the data this probe is for, 'x-ray' or another photon; found 'electron': the probe file and the data disagree/);
  // without a complex probe, the refusal says that the string at …/source_1/probe is the radiation (it said only
  // 'also looked at' there, as if nothing were at that key)
  const noProbe = electronFile({ ...stating('electron'), [`${SOURCE}/illumination`]: null });
  const why = `found it missing (also looked at ${SOURCE}/probe, which holds the radiation (a string), not a complex probe)`;
  await refused(readProbeFile(noProbe, 32, 32), new RegExp(`key '${SOURCE}/illumination': expected a complex probe \\[32, 32\\]; ${why.replace(/[()[\]]/g, '\\$&')}$`));
  await refused(readReconstructionInput(noProbe, { initProbe: 'guess', job: { modes: 1, batchSize: 8 } }),
    new RegExp(`key '${SOURCE}/illumination': expected the probe .*; ${why.replace(/[()[\]]/g, '\\$&')}; give --probe-model`));
  // a probe file stating nothing is read with the radiation of the data it is for
  const silent = electronFile();
  assert.deepEqual((await readProbeFile(silent, 32, 32, { radiation: 'electron' })).pixelM, m.geometry.objectPixelM);
  const s = await summarizeHdf5(probeFile, { check: true });
  assert.ok(s.check?.valid, s.check?.violations.join('; '));
  assert.ok(s.check.reads.some((l) => /^electron energy 300 keV = 4\.8065e-14 J, wavelength 1\.9687e-12 m,/.test(l)), s.check.reads.join('\n'));
  assert.ok(s.check.reads.includes(`radiation electron: λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (electron kinetic energy, relativistic; m0 CODATA 2018), as the file states at ${SOURCE}/probe ('electron')`), s.check.reads.join('\n'));
});

test('a reconstruction of electron data records its radiation; its ptychodus export gives ptychodus (λ = hc/E) the photon energy of its wavelength', async () => {
  const input = electronFile(stating('electron'));
  const settings = parseStudySettings({ reconstruction: { epochs: 2, batchSize: 20, threads: 1 } }).reconstruction;
  const job = await runLsqmlJob({ inputNpz: input, outputDir: join(root, 'recon'), settings });
  const meta = readMetadata(job.reconstructionNpz);
  assert.equal(meta.status, 'ok');
  const g = (meta as { value: Record<string, unknown> }).value.geometry as Record<string, unknown>;
  assert.equal(g.radiation, 'electron');
  assert.equal(g.wavelength_m, wavelengthFromEnergy(E300, 'electron'));
  assert.match(String(g.wavelength_formula), /^electron: λ = h\/√\(2·m0·E·\(1 \+ E\/\(2·m0·c²\)\)\) .*, as the file states at entry_1\/instrument_1\/source_1\/probe \('electron'\)$/);
  assert.deepEqual((g.keys as Record<string, string>).radiation, `${SOURCE}/probe`);
  // the report of the reconstruction (report --out) states it At a glance; a record without radiation is a photon's
  // said once: the energy, of what and why, then the wavelength and its formula (every fact of wavelength_formula kept)
  assert.equal(energyFact(g), `300 keV: an electron's kinetic energy, as the file states at ${SOURCE}/probe ('electron'); ` +
    'wavelength 1.96875 pm by λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (relativistic; m0 CODATA 2018)');
  assert.equal(energyFact({ energy_eV: 8000, wavelength_m: 1.5498e-10 }), 'photon 8 keV, wavelength 154.98 pm');
  const out = join(root, 'recon.h5');
  await exportPtychodusProduct({ input: job.reconstructionNpz, out });
  await withHdf5(out, (r) => {
    const ev = r.attr('/', 'probe_energy_eV') as number;
    // ptychodus's wavelength from it, hc/E, is the electron's
    assert.ok(Math.abs((PLANCK_J_S * LIGHT_SPEED_M_S) / (ev * ELECTRON_VOLT_J) / wavelengthFromEnergy(E300, 'electron') - 1) < 1e-12, `probe_energy_eV ${ev}`);
    assert.match(String(r.attr('/', 'comments')), /electron data of 300000 eV: probe_energy_eV 629761\.36 is the photon energy of its wavelength/);
  });
});

test('lsqml --radiation: the file\'s statement against the flag is refused in one line, nothing written; a bad value names the flag', () => {
  const out = join(root, 'out');
  assertRefused(ptychostudy(['lsqml', '--input', electronFile(stating('electron')), '--out', out, '--radiation', 'photon', '--epochs', '2']), 'lsqml',
    /e\d+\.cxi: key 'entry_1\/instrument_1\/source_1\/probe': expected the radiation reconstruction\.radiation \(--radiation\) gives, 'x-ray' or another photon; found 'electron'/);
  assert.equal(existsSync(out), false);
  assertRefused(ptychostudy(['lsqml', '--input', 'test/fixtures/cxi/scan.cxi', '--out', out, '--radiation', 'proton']), 'lsqml', '--radiation proton: expected photon or electron (in a settings file also null: as the file states)');
  assert.equal(existsSync(out), false);
});

test('inspect --check --radiation reads a file as lsqml --radiation does: the formula and where it came from, the same refusals', () => {
  const silent = electronFile();
  const asElectron = ptychostudy(['inspect', '--check', '--radiation', 'electron', silent]);
  assert.equal(asElectron.status, 0, asElectron.stderr);
  assert.match(asElectron.stdout, /^ {2}electron energy 300 keV = 4\.8065e-14 J, wavelength 1\.9687e-12 m,/m);
  assert.match(asElectron.stdout, /^ {2}radiation electron: λ = h\/√\(2·m0·E·\(1 \+ E\/\(2·m0·c²\)\)\) .*, as reconstruction\.radiation \(--radiation\) says$/m);
  // the file's statement against the flag: the reconstruction's refusal, exit 2
  const against = ptychostudy(['inspect', '--check', '--radiation', 'photon', electronFile(stating('electron'))]);
  assert.equal(against.status, 2);
  assert.match(against.stdout, /reconstruction check: 1 problem\n {2}\S+e\d+\.cxi: key 'entry_1\/instrument_1\/source_1\/probe': expected the radiation reconstruction\.radiation \(--radiation\) gives, 'x-ray' or another photon; found 'electron'/);
  // the schema's words for a bad value, and no --radiation without --check (it would say nothing)
  assertRefused(ptychostudy(['inspect', '--check', '--radiation', 'proton', silent]), 'inspect', '--radiation proton: expected photon or electron (in a settings file also null: as the file states)');
  assertRefused(ptychostudy(['inspect', '--radiation', 'electron', silent]), 'inspect', /^ptychostudy inspect: --radiation electron: expected with --check/);
});

test('inspect --check --radiation: a .ptyd and an NPZ are refused as a reconstruction refuses them, a probe file as having no energy', async () => {
  const ptyd = await summarizeHdf5('test/fixtures/cxi/scan.ptyd', { check: true, radiation: 'electron' });
  assert.equal(ptyd.check?.valid, false);
  assert.match(ptyd.check.violations[0]!, /scan\.ptyd: key 'meta\/energy': expected the photon energy in keV, as PtyPy stores it, not reconstruction\.radiation: electron/);
  const npz = await summarizeNpz('test/fixtures/numpy/phase_c_dataset.npz', { check: true, radiation: 'photon' });
  assert.equal(npz.check?.valid, false);
  assert.deepEqual(npz.check.violations, [npzRadiationMessage('test/fixtures/numpy/phase_c_dataset.npz', 'photon')]);
  assert.equal((await summarizeNpz('test/fixtures/numpy/phase_c_dataset.npz', { check: true })).check?.valid, true);
  // a ptychodus product states its pixel size and no energy: the setting has nothing to apply to (it was ignored)
  const product = 'test/fixtures/cxi/probe-product.h5';
  const p = await summarizeHdf5(product, { check: true, radiation: 'electron' });
  assert.equal(p.check?.valid, false);
  assert.deepEqual(p.check.violations, [probeFileRadiationMessage(product, 'ptychodus product', 'electron')]);
  assert.match(p.check.violations[0]!, /^test\/fixtures\/cxi\/probe-product\.h5: reconstruction\.radiation \(--radiation\) electron: expected measured data stating an energy \(CXI\); found a ptychodus product, /);
  assert.equal((await summarizeHdf5(product, { check: true })).check?.valid, true);
});

test('a photon energy of 50 keV or more from a file stating no radiation is warned of; an energy in eV names the electron case', async () => {
  const silent = electronFile();
  const warned = (await readCxi(silent)).warnings.filter((w) => w.includes('states no radiation'));
  assert.equal(warned.length, 1);
  assert.match(warned[0]!, /e\d+\.cxi: key 'entry_1\/instrument_1\/source_1\/energy': a photon energy of 300 keV \(λ = hc\/E = 4\.1328e-12 m\), and the file states no radiation .* If this is electron data, give --radiation electron \(reconstruction\.radiation: electron\): λ = 1\.9687e-12 m;/);
  // said either way, or stated by the file: no warning; nor at 8 keV
  for (const m of [await readCxi(silent, { radiation: 'photon' }), await readCxi(silent, { radiation: 'electron' }), await readCxi(electronFile(stating('electron'))), await readCxi('test/fixtures/cxi/scan.cxi')]) {
    assert.deepEqual(m.warnings.filter((w) => w.includes('states no radiation')), []);
  }
  await refused(readCxi(electronFile({ [`${SOURCE}/energy`]: { data: 300e3, dtype: '<d' } })),
    /energy': expected the photon energy in J, < 1e-12; found 300000 \(is it in eV or keV\? CXI stores joules: 8 keV = 1\.2817e-15 J; for electron data, 300 keV = 4\.8065e-14 J, with --radiation electron when the file states no radiation\)$/);
});

test('reconstruct takes --radiation and --no-detector-mask as lsqml does, into the one settings schema', () => {
  const phaseC = join(root, 'hub', 'phase_c');
  mkdirSync(join(phaseC, 'dose_1'), { recursive: true });
  copyFileSync(electronFile(), join(phaseC, 'dose_1', 'patched_train.npz'));
  const base = { phaseCRoot: phaseC, phaseDRoot: join(root, 'hub', 'phase_d'), out: join(root, 'hub', 'phase_f') };
  const given = optionsFromFlags({ ...base, radiation: 'electron', detectorMask: false }).settings.reconstruction;
  assert.deepEqual([given.radiation, given.detectorMask], ['electron', false]);
  const left = optionsFromFlags(base).settings.reconstruction;
  assert.deepEqual([left.radiation, left.detectorMask], [null, true]);
  // the lsqml line a job records (the manifest's command, its log, a dry run) reads the file the same way
  const job = { dose: 1, view: 'baseline', split: 'train', inputNpz: join(phaseC, 'dose_1', 'patched_train.npz'), outputDir: join(base.out, 'dose_1', 'baseline', 'train'),
    artifactRoot: base.out, algorithm: 'LSQML', settings: given } as unknown as ReconstructionJob;
  assert.deepEqual(commandFor(job).slice(-3), ['--no-detector-mask', '--radiation', 'electron']);
  assert.deepEqual(settingsBeyondCommand(job), []);
  assert.ok(!commandFor({ ...job, settings: left }).some((a) => a === '--radiation' || a === '--no-detector-mask'));
  assertRefused(ptychostudy(['reconstruct', '--phase-c-root', base.phaseCRoot, '--phase-d-root', base.phaseDRoot, '--out', base.out, '--radiation', 'proton']),
    'reconstruct', '--radiation proton: expected photon or electron (in a settings file also null: as the file states)');
  assert.equal(existsSync(base.out), false);
});
