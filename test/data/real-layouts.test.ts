/**
 * Files laid out as the programs scientists use write them (test/fixtures/real-layouts, written by
 * scripts/make-real-layouts.py after each writer's source): CDTools's CXI, the CXI 1.6 ptychography layout of a
 * beamline pipeline (uint16 frames, shuffle + gzip, mask bits), the same in two entries, Eiger-like uint32 frames with
 * module gaps at the type's maximum stored [n, 1, H, W], and ptychodus's product in its HDF5 and its NPZ form. Each is
 * read with the values its writer put in (expected.json); ptychodus's NPZ product is read as its HDF5 one is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { readObjectFile } from '../../src/data/object-file.js';
import { readInputData } from '../../src/data/input.js';
import { NpzReader, saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const F = 'test/fixtures/real-layouts';
const expected = JSON.parse(readFileSync(join(F, 'expected.json'), 'utf8')) as {
  n: number; energy_eV: number; distance_m: number; detector_pixel_m: number; object_pixel_m: number; x_m: number[]; y_m: number[];
  masked_pixels_rc: [number, number][]; gap_row: number; gap_col: number; counts_sum_per_pattern: number[]; counts_sum_per_pattern_outside_gaps: number[];
};
const dir = tempDir('real-layouts');
const h5 = resolve(F, 'ptychodus-product.h5');
const npz = resolve(F, 'ptychodus-product.npz');

/** Σ amplitude² of pattern k (the counts). */
function counts(d: { diffraction: Float32Array; H: number; W: number }, k: number): number {
  let s = 0;
  for (let p = k * d.H * d.W; p < (k + 1) * d.H * d.W; p++) s += d.diffraction[p]! ** 2;
  return s;
}

test('CXI files as CDTools, a beamline pipeline and an Eiger write them: geometry, positions, counts and mask as written', async () => {
  const e = expected;
  for (const [file, opts] of [['beamline.cxi', {}], ['eiger.cxi', {}], ['two-entries.cxi', { frames: { cxiEntry: 'entry_2' } }], ['cdtools.cxi', {}]] as const) {
    const d = await readCxi(join(F, file), opts);
    assert.equal(d.n, e.n, file);
    assert.deepEqual([d.H, d.W], [32, 32], file);
    // CDTools stores float32 values: J and m at float32
    const f32 = file === 'cdtools.cxi';
    assert.ok(Math.abs(d.geometry.energyEv / e.energy_eV - 1) < (f32 ? 1e-7 : 1e-15), `${file}: ${d.geometry.energyEv}`);
    assert.ok(Math.abs(d.geometry.objectPixelM[0] / e.object_pixel_m - 1) < (f32 ? 3e-7 : 1e-15), `${file}: ${d.geometry.objectPixelM}`);
    assert.equal(d.geometry.objectPixelM[0], d.geometry.objectPixelM[1]);
    // positions: x the column, y the row, in metres (CDTools's sample translation, with its detector basis along -y and
    // -x, lands its patches where these land them: see the script)
    for (let i = 0; i < e.n; i++) {
      assert.equal(d.positionsM.x[i], f32 ? Math.fround(e.x_m[i]!) : e.x_m[i], `${file} x ${i}`);
      assert.equal(d.positionsM.y[i], f32 ? Math.fround(e.y_m[i]!) : e.y_m[i], `${file} y ${i}`);
    }
    const twice = file === 'two-entries.cxi' ? 2 : 1;
    const sums = file === 'eiger.cxi' ? e.counts_sum_per_pattern_outside_gaps : e.counts_sum_per_pattern;
    for (let k = 0; k < e.n; k++) assert.ok(Math.abs(counts(d, k) - twice * sums[k]!) < 0.05, `${file} pattern ${k}: ${counts(d, k)}`);
    // the mask: bit 0 masks, bit 12 ("has signal") alone does not; the Eiger's gaps (the uint32 maximum) are masked too
    const valid = d.detectorMask!.valid;
    for (const [r, c] of e.masked_pixels_rc) assert.equal(valid[r * 32 + c], 0, `${file} [${r}, ${c}]`);
    const gaps = file === 'eiger.cxi' ? 63 : 0;
    assert.equal(Array.from(valid).filter((v) => v === 0).length, 3 + gaps, file);
    if (gaps) for (let c = 0; c < 32; c++) assert.equal(valid[e.gap_row * 32 + c], 0);
    assert.equal(d.probe !== undefined, file === 'beamline.cxi' || file === 'two-entries.cxi', file);
  }
});

test('ptychodus\'s NPZ product: its probe and object read as its HDF5 product\'s, value for value, with its pixel size and centre', async () => {
  const pn = await readProbeFile(npz, 32, 32), ph = await readProbeFile(h5, 32, 32);
  assert.equal(pn.modes, 1);
  assert.deepEqual(pn.data, ph.data);
  assert.deepEqual(pn.pixelM, [expected.object_pixel_m, expected.object_pixel_m]);
  assert.equal(pn.source, `${npz}: probe`);
  // on the CXI scan's object frame: placed by its centre (0 m at its pixel [32, 32]) as the HDF5 product is
  const data = await readInputData(join(F, 'beamline.cxi'));
  assert.ok(data.format === 'cxi');
  const m = data.measured;
  const frame = { pixelM: m.geometry.objectPixelM, originM: m.originM };
  const [H, W] = m.objectShape;
  const on = await readObjectFile(npz, H, W, frame), oh = await readObjectFile(h5, H, W, frame);
  assert.deepEqual(on.data, oh.data);
  assert.deepEqual(on.placed, oh.placed);
  assert.ok(on.placed && on.placed.shape[0] === 64);
  assert.equal(on.warning, oh.warning!.replace('ptychodus-product.h5', 'ptychodus-product.npz'));
  assert.deepEqual(on.pixelM, oh.pixelM);
});

/** The product's numeric members, some changed (undefined: left out). */
function productVariant(name: string, change: Record<string, NdArray | undefined>): string {
  const r = NpzReader.open(npz);
  const out: Record<string, NdArray> = {};
  try {
    for (const k of r.keys()) if (!['name', 'comments'].includes(k) && !(k in change)) out[k] = r.get(k);
  } finally { r.close(); }
  for (const [k, v] of Object.entries(change)) if (v !== undefined) out[k] = v;
  const path = join(dir, name);
  saveNpz(path, out, { compress: false });
  return path;
}

test('ptychodus\'s NPZ product: a malformed pixel size or object refused in one line, as of the HDF5 product', async () => {
  const half = productVariant('half.npz', { probe_pixel_height_m: undefined });
  await assert.rejects(readProbeFile(half, 32, 32),
    { message: `${half}: key 'probe_pixel_height_m': expected one number in m, > 0 and < 0.01 (with 'probe_pixel_width_m', or neither); found it missing beside 'probe_pixel_width_m'` });
  const text = productVariant('two-numbers.npz', { object_pixel_width_m: { dtype: '<f8', shape: [2], data: new Float64Array([1e-7, 1e-7]) } });
  await assert.rejects(readObjectFile(text, 64, 64),
    { message: `${text}: key 'object_pixel_width_m': expected one number in m, > 0 and < 0.01 (with 'object_pixel_height_m', or neither); found dtype <f8, shape [2]` });
  const layers = productVariant('layers.npz', { object: { dtype: '<c16', shape: [2, 64, 64], data: new Float64Array(2 * 2 * 64 * 64).fill(1) } });
  await assert.rejects(readObjectFile(layers, 64, 64), /key 'object': expected a complex object \[64, 64\] or \[1, 64, 64\].*: one layer \(ptychostudy reconstructs a single slice\); found shape \[2, 64, 64\] \(2 layers\)$/);
  // another pixel size than the data's: refused as of any object file
  await assert.rejects(readObjectFile(npz, 64, 64, { pixelM: [2e-7, 2e-7] }), /key 'object': expected an object sampled at the data's object pixel size \[2e-7, 2e-7\] m \(within 1 %\)/);
});

test('ptychostudy with ptychodus\'s NPZ product: lsqml starts from it, refuses it as data, inspect --check reads its probe and object', () => {
  const out = join(dir, 'rec');
  const run = ptychostudy(['lsqml', '--input', join(F, 'beamline.cxi'), '--out', out, '--epochs', '2', '--init-probe', `file:${npz}`, '--init-object', `file:${npz}`]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /ptychodus-product\.npz: key 'object': the object \[64, 64\] is placed in the data's object frame/);
  const asData = join(dir, 'as-data');
  assertRefused(ptychostudy(['lsqml', '--input', npz, '--out', asData, '--epochs', '2']), 'lsqml',
    `${npz}: a ptychodus product (NPZ) holds a probe, an object and positions but no diffraction data; start a reconstruction from it (--init-probe file:${npz} --init-object file:${npz})`);
  assert.equal(existsSync(asData), false);
  const c = ptychostudy(['inspect', '--check', npz]);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /\(ptychodus product \(NPZ\), 21 keys, /);
  assert.ok(c.stdout.includes(`reconstruction check: readable\n  a probe file (--init-probe file:${npz}), no diffraction data: ${npz}: probe, 1 mode of 32×32, pixel [9.6863e-8, 9.6863e-8] m\n` +
    `  an object file (--init-object file:${npz}): object, [64, 64], pixel [9.6863e-8, 9.6863e-8] m\n`), c.stdout);
  // --cxi-entry names an entry of a CXI file: refused for the product, with --check and without, as for an HDF5 product
  const e = ptychostudy(['inspect', '--cxi-entry', 'entry_2', npz]);
  assert.equal(e.status, 2);
  assert.equal(e.stderr, `ptychostudy inspect: ${npz}: reconstruction.cxiEntry (--cxi-entry) entry_2: expected a CXI file, whose entries it names; found a ptychodus product (NPZ): leave the setting out\n`);
  const ec = ptychostudy(['inspect', '--check', '--cxi-entry', 'entry_2', npz]);
  assert.equal(ec.status, 2);
  assert.match(ec.stdout, /reconstruction check: 1 problem\n {2}.*reconstruction\.cxiEntry \(--cxi-entry\) entry_2: expected a CXI file, whose entries it names; found a ptychodus product \(NPZ\): leave the setting out\n/);
  const r = ptychostudy(['inspect', '--check', '--crop-size', '16', '--crop-center', '16,16', npz]);
  assert.equal(r.status, 2);
  assert.match(r.stdout, /reconstruction check: 1 problem\n {2}.*: expected measured data holding detector frames \(CXI, PtyPy \.ptyd\); found a ptychodus product \(NPZ\), a probe file/);
});

test('PtychoPINN\'s raw data (diff3d): refused in one line saying to rename the key; renamed, it reads the CXI scan\'s amplitudes', async () => {
  const raw = resolve(F, 'ptychopinn-raw.npz');
  const out = join(dir, 'pinn');
  const line = `${raw}: key 'diffraction': expected a required DATA-001 key; found it missing, and the patterns under 'diff3d', PtychoPINN's raw-data name ` +
    `(RawData.to_file), which its canonical datasets rename: rename the key to 'diffraction' (PtychoPINN's transpose_rename_convert_tool.py does; ` +
    `or in numpy: d = dict(np.load(F)); d['diffraction'] = d.pop('diff3d'); np.savez(G, **d))`;
  assertRefused(ptychostudy(['lsqml', '--input', raw, '--out', out, '--epochs', '2']), 'lsqml', line);
  assert.equal(existsSync(out), false);
  const c = ptychostudy(['inspect', '--check', raw]);
  assert.equal(c.status, 2);
  assert.ok(c.stdout.includes(`DATA-001 check: 1 problem\n  ${line}`), c.stdout);
  // renamed as the message says: a dataset of the same amplitudes as the CXI file's
  const r = NpzReader.open(raw);
  const arrays: Record<string, NdArray> = {};
  try { for (const k of r.keys()) arrays[k === 'diff3d' ? 'diffraction' : k] = r.get(k); } finally { r.close(); }
  const renamed = join(dir, 'renamed.npz');
  saveNpz(renamed, arrays);
  const d = await readInputData(renamed), m = await readInputData(join(F, 'beamline.cxi'));
  assert.ok(d.format === 'npz' && m.format === 'cxi');
  // the CXI reader zeroes its 3 masked pixels; every other amplitude is the same float32
  const valid = m.measured.detectorMask!.valid;
  let same = 0;
  d.dataset.diffraction.forEach((v, i) => { if (valid[i % 1024] ? v === m.measured.diffraction[i] : m.measured.diffraction[i] === 0) same++; });
  assert.equal(same, 16 * 1024);
});
