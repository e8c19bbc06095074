/**
 * `ptychostudy lsqml` on measured data: the h5py-written CXI fixture reconstructs (loss falls; the
 * geometry, object frame and probe source are recorded in _metadata), a file is recognised by its
 * HDF5 signature whatever its name, data without a probe reconstruct from a probe model or a probe
 * file, a dataset NPZ without objectGuess reconstructs, and hostile HDF5 input exits 2 with one line
 * and writes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { saveDataset } from '../../src/data/dataset.js';
import { readMetadata } from '../../src/data/metadata.js';
import { measuredToDataset, probeGuessOf } from '../../src/data/measured.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { parseNpy } from '../../src/npy/npy.js';
import { fixtureEntries, resizeDataset, writeHdf5 } from '../data/cxi-builder.js';
import h5wasm, { type Dataset } from 'h5wasm/node';

const cli = 'dist/src/cli/main.js';
const fx = (f: string): string => join('test/fixtures/cxi', f);
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-lsqml-real-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const measured = await readCxi(fx('scan.cxi'));

function lsqml(args: string[]) {
  return spawnSync(process.execPath, [cli, 'lsqml', ...args], { encoding: 'utf8' });
}

function metadataOf(dir: string): Record<string, unknown> {
  const m = readMetadata(loadNpz(join(dir, 'reconstruction.npz'))._metadata!);
  assert.equal(m.status, 'ok');
  return (m as { value: Record<string, unknown> }).value;
}

/** Exit 2, exactly one line on stderr naming the file, nothing written. */
function refusedInOneLine(args: string[], out: string, re: RegExp): void {
  const r = lsqml([...args, '--output-dir', out]);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, /^ptychostudy lsqml: /);
  assert.match(lines[0]!, re);
  assert.ok(!existsSync(join(out, 'reconstruction.npz')));
  assert.ok(!existsSync(join(out, 'lsqml.log')));
}

/**
 * Phase RMS error (global phase removed) and amplitude correlation of a reconstruction against the
 * fixture's true object (object.npy, the script's frame) over the scanned region (centres ± 6 px).
 */
function againstTruth(obj: Float32Array, W: number, pos: Float64Array, n: number): { phaseRms: number; ampCorr: number } {
  const exp = JSON.parse(readFileSync(fx('expected.json'), 'utf8')) as { centre_rows: number[]; centre_cols: number[] };
  const truth = parseNpy(new Uint8Array(readFileSync(fx('object.npy'))));
  const t = truth.data as Float32Array, TW = truth.shape[1]!;
  const dy = exp.centre_rows[0]! - pos[0]!, dx = exp.centre_cols[0]! - pos[1]!;
  const ys = Array.from({ length: n }, (_, i) => pos[2 * i]!), xs = Array.from({ length: n }, (_, i) => pos[2 * i + 1]!);
  const y0 = Math.ceil(Math.min(...ys)) - 6, y1 = Math.floor(Math.max(...ys)) + 6, x0 = Math.ceil(Math.min(...xs)) - 6, x1 = Math.floor(Math.max(...xs)) + 6;
  const px: [number, number, number, number][] = [];
  let sr = 0, si = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const k = 2 * (y * W + x), kt = 2 * ((y + dy) * TW + (x + dx));
      const or = obj[k]!, oi = obj[k + 1]!, tr = t[kt]!, ti = t[kt + 1]!;
      sr += tr * or + ti * oi; si += tr * oi - ti * or;
      px.push([Math.atan2(oi, or), Math.atan2(ti, tr), Math.hypot(or, oi), Math.hypot(tr, ti)]);
    }
  }
  const g = Math.atan2(si, sr);
  let e2 = 0, ma = 0, mb = 0;
  for (const [po, pt, ao, at] of px) { const d = Math.atan2(Math.sin(po - g - pt), Math.cos(po - g - pt)); e2 += d * d; ma += ao; mb += at; }
  ma /= px.length; mb /= px.length;
  let cab = 0, ca = 0, cb = 0;
  for (const [, , ao, at] of px) { cab += (ao - ma) * (at - mb); ca += (ao - ma) ** 2; cb += (at - mb) ** 2; }
  return { phaseRms: Math.sqrt(e2 / px.length), ampCorr: cab / Math.sqrt(ca * cb) };
}

test('a CXI file written by h5py reconstructs: the loss falls, the object matches the truth, the frame and geometry are recorded', () => {
  const out = join(root, 'cxi');
  const r = lsqml(['--input-npz', fx('scan.cxi'), '--output-dir', out, '--epochs', '20', '--batch-size', '10', '--seed', '3']);
  assert.equal(r.status, 0, r.stderr);
  const a = loadNpz(join(out, 'reconstruction.npz'));
  assert.deepEqual(a.reconstructed_object!.shape, measured.objectShape);
  assert.deepEqual(a.reconstructed_probe!.shape, [1, 32, 32]);
  const loss = a.loss_history!.data as Float64Array;
  assert.equal(loss.length, 20);
  // Epoch 0 only rescales the probe; from epoch 1 the updates must bring the loss well down.
  assert.ok(loss[19]! < 0.5 * loss[1]!, `loss ${loss[1]} → ${loss[19]}`);
  for (const v of loss) assert.ok(Number.isFinite(v));
  const pos = a.positions!.data as Float64Array;
  for (let i = 0; i < measured.n; i++) { assert.equal(pos[2 * i], measured.ycoords[i]); assert.equal(pos[2 * i + 1], measured.xcoords[i]); }
  // Measured 0.18 rad and 0.79 (the object's phase spans ±1.5 rad; 40 positions, 20 epochs).
  const q = againstTruth(a.reconstructed_object!.data as Float32Array, measured.objectShape[1], pos, measured.n);
  assert.ok(q.phaseRms < 0.3 && q.ampCorr > 0.6, `phase RMS ${q.phaseRms} rad, amplitude correlation ${q.ampCorr}`);
  const meta = metadataOf(out);
  assert.equal(meta.input_format, 'cxi');
  const g = meta.geometry as Record<string, unknown>;
  assert.equal(g.wavelength_m, measured.geometry.wavelengthM);
  assert.deepEqual(g.object_pixel_size_m_yx, measured.geometry.objectPixelM);
  assert.deepEqual(g.object_shape, measured.objectShape);
  assert.equal((meta.input as { file: string }).file, 'scan.cxi', 'the input by name, size and SHA-256 (its path is in reconstruction_run.json)');
  assert.match(String(meta.probe_source), /scan\.cxi: entry_1\/instrument_1\/source_1\/illumination$/);
  assert.deepEqual((meta.object_frame as { object_shape: number[] }).object_shape, measured.objectShape);
});

test('an HDF5 file is recognised by its signature, not its name', () => {
  const renamed = join(root, 'scan.dat');
  copyFileSync(fx('scan.cxi'), renamed);
  const out = join(root, 'renamed');
  const r = lsqml(['--input-npz', renamed, '--output-dir', out, '--epochs', '2', '--batch-size', '20']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(metadataOf(out).input_format, 'cxi');
});

test('data without a probe: refused in one line, then reconstructed from a zone-plate model or a probe file', () => {
  refusedInOneLine(['--input-npz', fx('scan-noprobe.cxi')], join(root, 'noprobe'),
    /scan-noprobe\.cxi: key 'entry_1\/instrument_1\/source_1\/illumination': expected the probe \(complex \[32, 32\] or \[M, 32, 32\]\); found it missing \(also looked at entry_1\/instrument_1\/source_1\/probe\); give --probe-model aperture:diameter=…\|fzp:.* or --init-probe file:PATH$/);
  // A zone plate in focus whose focus (Airy radius 1.22·Δr ≈ 4 px) is about the fixture's beam.
  const out = join(root, 'fzp');
  const r = lsqml(['--input-npz', fx('scan-noprobe.cxi'), '--output-dir', out, '--epochs', '10', '--batch-size', '10',
    '--probe-model', 'fzp:diameter=100e-6,outer-zone=400e-9,stop=0']);
  assert.equal(r.status, 0, r.stderr);
  const meta = metadataOf(out);
  const pm = meta.probe_model as Record<string, unknown>;
  assert.equal(pm.kind, 'fzp');
  assert.equal(pm.wavelength_m, measured.geometry.wavelengthM);
  assert.ok(((pm.derived as Record<string, number>).focal_length_m! - (100e-6 * 400e-9) / measured.geometry.wavelengthM) < 1e-12);
  const loss = loadNpz(join(out, 'reconstruction.npz')).loss_history!.data as Float64Array;
  assert.ok(loss[9]! < loss[1]!, `loss ${loss[1]} → ${loss[9]}`);
  // A probe file: ptychodus product (2 modes; its pixel size matches the data's).
  const out2 = join(root, 'probefile');
  const r2 = lsqml(['--input-npz', fx('scan-noprobe.cxi'), '--output-dir', out2, '--epochs', '3', '--batch-size', '20', '--modes', '2',
    '--init-probe', `file:${fx('probe-product.h5')}`]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(loadNpz(join(out2, 'reconstruction.npz')).reconstructed_probe!.shape, [2, 32, 32]);
  assert.match(String(metadataOf(out2).init_probe), /probe-product\.h5: probe$/);
});

test('a probe file sampled at another pixel size, a bad model, or both probe options are refused in one line', async () => {
  await h5wasm.ready;
  const wrong = join(root, 'wrong-pixel.h5');
  const f = new h5wasm.File(wrong, 'w');
  const re = new Float32Array(1024).fill(1), im = new Float32Array(1024);
  f.create_dataset({ name: 'probe', data: new Map([['r', re], ['i', im]]), shape: [32, 32] });
  f.create_dataset({ name: 'probe_position_x_m', data: new Float64Array(1) });
  (f.get('probe') as Dataset).create_attribute('pixel_width_m', 2e-7);
  (f.get('probe') as Dataset).create_attribute('pixel_height_m', 2e-7);
  f.close();
  refusedInOneLine(['--input-npz', fx('scan-noprobe.cxi'), '--init-probe', `file:${wrong}`], join(root, 'wp'),
    /wrong-pixel\.h5: probe: expected a probe sampled at the data's object pixel size \[1\.29\d*e-7, 1\.29\d*e-7\] m \(within 1 %\); found \[2e-7, 2e-7\] m/);
  refusedInOneLine(['--input-npz', fx('scan-noprobe.cxi'), '--probe-model', 'fzp:diameter=1e-4'], join(root, 'bm'), /--probe-model fzp:diameter=1e-4: expected a valid probe model \(fzp needs exactly one of outer-zone/);
  refusedInOneLine(['--input-npz', fx('scan-noprobe.cxi'), '--probe-model', 'aperture:diameter=1e-6', '--init-probe', `file:${fx('probe.ptyr')}`], join(root, 'both'),
    /give either reconstruction\.initProbe file:PATH \(--init-probe\) or reconstruction\.probeModel \(--probe-model\), not both/);
  refusedInOneLine(['--input-npz', fx('scan-noprobe.cxi'), '--probe-model', 'fzp:diameter=160e-6,outer-zone=50e-9,defocus=3e-3'], join(root, 'wide'),
    /reconstruction\.probeModel \(--probe-model\): the defocused beam .* is wider than the probe window/);
});

test('a probe model from a settings file is named as the setting, with its flag, in refusals and notes (was: --probe-model, a flag not given)', () => {
  const config = join(root, 'model.yaml');
  writeFileSync(config, 'reconstruction:\n  probeModel: aperture:diameter=1e-6\n  initProbe: file:' + join(process.cwd(), fx('probe.ptyr')) + '\n');
  refusedInOneLine(['--input', fx('scan-noprobe.cxi'), '--config', config], join(root, 'both-file'),
    /^ptychostudy lsqml: give either reconstruction\.initProbe file:PATH \(--init-probe\) or reconstruction\.probeModel \(--probe-model\), not both$/);
  writeFileSync(config, 'reconstruction:\n  probeModel: fzp:diameter=2e-6,outer-zone=5e-8\n');
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'inspect', '--check', '--config', config, fx('scan-noprobe.cxi')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}warning: reconstruction\.probeModel \(--probe-model\): the zone plate's cone \(half-angle 0\.00155 rad\) is wider than the detector's/m);
});

test('a dataset NPZ without objectGuess reconstructs (frame from the scan); --init-object guess is refused', () => {
  const npz = join(root, 'measured.npz');
  const ds = measuredToDataset(measured, probeGuessOf(measured.probe!));
  // Coordinates anywhere (here centred on 0, negative): the frame is made from the scan extent.
  ds.xcoords = ds.xcoords.map((v) => v - 40);
  ds.ycoords = ds.ycoords.map((v) => v - 40);
  saveDataset(npz, ds);
  const out = join(root, 'npz');
  const r = lsqml(['--input-npz', npz, '--output-dir', out, '--epochs', '8', '--batch-size', '10']);
  assert.equal(r.status, 0, r.stderr);
  const a = loadNpz(join(out, 'reconstruction.npz'));
  assert.deepEqual(a.reconstructed_object!.shape, measured.objectShape);
  const pos = a.positions!.data as Float64Array;
  for (let i = 0; i < measured.n; i++) assert.ok(Math.abs(pos[2 * i + 1]! - measured.xcoords[i]!) < 1e-9);
  const loss = a.loss_history!.data as Float64Array;
  assert.ok(loss[7]! < loss[1]!);
  const meta = metadataOf(out);
  assert.equal(meta.input_format, 'npz');
  assert.deepEqual((meta.object_frame as { shift_yx: number[] }).shift_yx.map(Math.round), [40, 40]);
  refusedInOneLine(['--input-npz', npz, '--init-object', 'guess'], join(root, 'guess'), /--init-object guess needs an objectGuess; .* has none \(measured data\)/);
});

test('a dataset NPZ without probeGuess: refused naming both probe options, then reconstructed from a probe file', () => {
  const npz = join(root, 'measured-noprobe.npz');
  const ds = measuredToDataset(measured, probeGuessOf(measured.probe!));
  const arrays = { diffraction: { dtype: '<f4', shape: [ds.n, ds.H, ds.W], data: ds.diffraction }, xcoords: { dtype: '<f8', shape: [ds.n], data: ds.xcoords },
    ycoords: { dtype: '<f8', shape: [ds.n], data: ds.ycoords } };
  saveNpz(npz, arrays);
  refusedInOneLine(['--input', npz], join(root, 'npz-noprobe'),
    /measured-noprobe\.npz: key 'probeGuess': expected the probe \(complex \[32, 32\]\); found it missing; give --probe-model aperture:diameter=…\|fzp:.* or --init-probe file:PATH$/);
  const out = join(root, 'npz-probefile');
  const r = lsqml(['--input', npz, '--out', out, '--epochs', '3', '--batch-size', '20', '--init-probe', `file:${fx('probe.ptyr')}`]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(loadNpz(join(out, 'reconstruction.npz')).reconstructed_probe!.shape.slice(-2), [32, 32]);
  assert.match(String(metadataOf(out).probe_source), /probe\.ptyr/);
});

test('hostile HDF5 input through the CLI: exit 2, one line, nothing written', async () => {
  const bytes = readFileSync(fx('scan.cxi'));
  const trunc = join(root, 'trunc.cxi');
  writeFileSync(trunc, bytes.subarray(0, bytes.length >> 1));
  refusedInOneLine(['--input-npz', trunc], join(root, 'h1'), /trunc\.cxi: cannot open as HDF5, the file is truncated or corrupt \(HDF5: truncated file/);
  const text = join(root, 'notes.cxi');
  writeFileSync(text, 'not an HDF5 file\n');
  refusedInOneLine(['--input-npz', text], join(root, 'h2'), /notes\.cxi: expected a dataset NPZ \(zip\) or an HDF5 file/);
  const entries = await fixtureEntries();
  const noEnergy = join(root, 'no-energy.cxi');
  writeHdf5(noEnergy, { ...entries, 'entry_1/instrument_1/source_1/energy': null });
  refusedInOneLine(['--input-npz', noEnergy], join(root, 'h3'), /no-energy\.cxi: key 'entry_1\/instrument_1\/source_1\/energy': expected the photon energy in J; found it missing/);
  const wrongShape = join(root, 'wrong-shape.cxi');
  writeHdf5(wrongShape, { ...entries, 'entry_1/sample_1/geometry_1/translation': { data: new Float64Array(39 * 3), shape: [39, 3], dtype: '<d' } });
  refusedInOneLine(['--input-npz', wrongShape], join(root, 'h4'), /translation': expected probe positions \[n, 3\].*n = 40.*found shape \[39, 3\]/);
  const huge = join(root, 'huge.cxi');
  writeHdf5(huge, { ...entries, 'entry_1/data_1/data': { ...entries['entry_1/data_1/data']!, maxshape: [null, 32, 32], chunks: [1, 32, 32] } });
  resizeDataset(huge, 'entry_1/data_1/data', [50_000_000, 32, 32]);
  refusedInOneLine(['--input-npz', huge], join(root, 'h5'), /huge\.cxi: key 'entry_1\/data_1\/data': expected a dataset of at most 4294967296 bytes; found one that declares 204800000000 bytes /);
});
