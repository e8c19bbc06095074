/**
 * Reading the h5py-written fixtures of test/fixtures/cxi (scripts/make-cxi-fixture.py): the CXI
 * geometry and positions against the values the script wrote (expected.json), the probe, the counts,
 * and the forward model — the file's probe on the script's object at our positions reproduces the
 * measured counts to Poisson noise, and would not with x and y swapped or a sign flipped. The same data
 * in PtyPy's .ptyd layout reads identically; probes read from a ptychodus product and a .ptyr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { loadDataset, saveDataset } from '../../src/data/dataset.js';
import { PLANCK_J_S, LIGHT_SPEED_M_S, scanFrame } from '../../src/data/geometry.js';
import { readInputData } from '../../src/data/input.js';
import { measuredToDataset, probeGuessOf, type MeasuredData } from '../../src/data/measured.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { sniffFile } from '../../src/data/hdf5/signature.js';
import { createFft2, fftshift2 } from '../../src/math/fft.js';
import { parseNpy } from '../../src/npy/npy.js';

const dir = 'test/fixtures/cxi';
const fx = (f: string): string => join(dir, f);
interface Expected {
  n: number; N: number; object_shape: [number, number];
  energy_J: number; energy_eV: number; wavelength_m: number; distance_m: number; x_pixel_size_m: number; y_pixel_size_m: number;
  object_pixel_size_m: number; translation_m: [number, number, number][]; top_left_rc: [number, number][];
  centre_rows: number[]; centre_cols: number[]; probe_sum_abs2: number; probe_centre_re_im: [number, number]; probe_00_re_im: [number, number];
  counts_total: number; counts_first_pattern_sum: number; counts_max: number;
}
const exp = JSON.parse(readFileSync(fx('expected.json'), 'utf8')) as Expected;
const cxi = await readCxi(fx('scan.cxi'));

test('CXI geometry: energy, λ = hc/E, distance, pixel sizes and object pixel size as the script wrote them', () => {
  const g = cxi.geometry;
  assert.equal(g.energyJ, exp.energy_J);
  assert.ok(Math.abs(g.energyEv - exp.energy_eV) < 1e-9);
  assert.ok(Math.abs(g.wavelengthM / exp.wavelength_m - 1) < 1e-15, `${g.wavelengthM} vs ${exp.wavelength_m}`);
  assert.equal(g.wavelengthM, (PLANCK_J_S * LIGHT_SPEED_M_S) / exp.energy_J);
  assert.equal(g.distanceM, exp.distance_m);
  assert.deepEqual(g.detectorPixelM, [exp.y_pixel_size_m, exp.x_pixel_size_m]);
  assert.deepEqual(g.patternShape, [exp.N, exp.N]);
  for (const d of g.objectPixelM) assert.ok(Math.abs(d / exp.object_pixel_size_m - 1) < 1e-15, `${d} vs ${exp.object_pixel_size_m}`);
  assert.deepEqual(cxi.keys, {
    diffraction: 'entry_1/data_1/data', energy: 'entry_1/instrument_1/source_1/energy', distance: 'entry_1/instrument_1/detector_1/distance',
    x_pixel_size: 'entry_1/instrument_1/detector_1/x_pixel_size', y_pixel_size: 'entry_1/instrument_1/detector_1/y_pixel_size',
    translation: 'entry_1/sample_1/geometry_1/translation', probe: 'entry_1/instrument_1/source_1/illumination',
  });
  assert.deepEqual(cxi.warnings, []);
});

test('CXI positions: translation columns 0, 1 are x, y in metres; in pixels they are the script\'s scan centres plus one shift', () => {
  assert.equal(cxi.n, exp.n);
  for (let i = 0; i < exp.n; i++) {
    assert.equal(cxi.positionsM.x[i], exp.translation_m[i]![0]);
    assert.equal(cxi.positionsM.y[i], exp.translation_m[i]![1]);
  }
  const dx = cxi.xcoords[0]! - exp.centre_cols[0]!, dy = cxi.ycoords[0]! - exp.centre_rows[0]!;
  for (let i = 0; i < exp.n; i++) {
    assert.ok(Math.abs(cxi.xcoords[i]! - exp.centre_cols[i]! - dx) < 1e-9, `x ${i}`);
    assert.ok(Math.abs(cxi.ycoords[i]! - exp.centre_rows[i]! - dy) < 1e-9, `y ${i}`);
  }
  // The frame: smallest centre at N/2 + margin; every patch inside with the margin to spare.
  const N = exp.N, m = cxi.margin;
  assert.equal(m, 2);
  assert.ok(Math.abs(Math.min(...cxi.xcoords) - (N / 2 + m)) < 1e-9 && Math.abs(Math.min(...cxi.ycoords) - (N / 2 + m)) < 1e-9);
  const spanX = Math.max(...exp.centre_cols) - Math.min(...exp.centre_cols), spanY = Math.max(...exp.centre_rows) - Math.min(...exp.centre_rows);
  assert.deepEqual(cxi.objectShape, [Math.ceil(spanY) + N + 2 * m, Math.ceil(spanX) + N + 2 * m]);
  assert.ok(Math.max(...cxi.xcoords) + N / 2 + m <= cxi.objectShape[1] + 1e-9);
  // position_m = origin_m + coord·pixel
  const px = cxi.geometry.objectPixelM;
  for (let i = 0; i < exp.n; i++) assert.ok(Math.abs(cxi.originM[1] + cxi.xcoords[i]! * px[1] - exp.translation_m[i]![0]) < 1e-18);
  // scanFrame is idempotent on a framed scan.
  const again = scanFrame(cxi.xcoords, cxi.ycoords, [N, N]);
  assert.deepEqual(again.objectShape, cxi.objectShape);
  assert.ok(Math.abs(again.shift[0]) < 1e-12 && Math.abs(again.shift[1]) < 1e-12);
});

test('CXI probe and counts: the illumination read as written; amplitudes² are the counts', () => {
  const p = cxi.probe!;
  assert.equal(p.modes, 1);
  const N = exp.N, c = 2 * ((N / 2) * N + N / 2);
  assert.equal(p.data[c], Math.fround(exp.probe_centre_re_im[0]));
  assert.equal(p.data[c + 1], Math.fround(exp.probe_centre_re_im[1]));
  assert.equal(p.data[0], Math.fround(exp.probe_00_re_im[0]));
  let s = 0;
  for (let i = 0; i < p.data.length; i++) s += p.data[i]! ** 2;
  assert.ok(Math.abs(s / exp.probe_sum_abs2 - 1) < 1e-6);
  assert.deepEqual(p.pixelM, cxi.geometry.objectPixelM);
  let total = 0, first = 0, max = 0;
  for (let i = 0; i < cxi.diffraction.length; i++) {
    const v = Math.round(cxi.diffraction[i]! ** 2);
    total += v; if (i < N * N) first += v; if (v > max) max = v;
  }
  assert.equal(total, exp.counts_total);
  assert.equal(first, exp.counts_first_pattern_sum);
  assert.equal(max, exp.counts_max);
});

/** Mean Poisson χ² per pixel of the counts against |fft2(P·O_patch)|² with patches at the given centres. */
function chi2(m: MeasuredData, centreRows: ArrayLike<number>, centreCols: ArrayLike<number>): number {
  const npy = parseNpy(new Uint8Array(readFileSync(fx('object.npy'))));
  const [H, W] = npy.shape as [number, number];
  const obj = npy.data as Float32Array;
  const N = m.H, P = m.probe!.data;
  const fft = createFft2(N, N);
  const buf = new Float64Array(2 * N * N), sh = new Float64Array(2 * N * N);
  let sum = 0, count = 0;
  for (let k = 0; k < m.n; k++) {
    const r0 = Math.round(centreRows[k]! - N / 2), c0 = Math.round(centreCols[k]! - N / 2);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const y = Math.min(H - 1, Math.max(0, r0 + i)), x = Math.min(W - 1, Math.max(0, c0 + j));
        const o = 2 * (y * W + x), q = 2 * (i * N + j);
        const or = obj[o]!, oi = obj[o + 1]!, pr = P[q]!, pi = P[q + 1]!;
        buf[q] = pr * or - pi * oi; buf[q + 1] = pr * oi + pi * or;
      }
    }
    fft.forward(buf, 1);
    fftshift2(buf, sh, N, N, 1, true);
    for (let t = 0; t < N * N; t++) {
      const I = sh[2 * t]! ** 2 + sh[2 * t + 1]! ** 2;
      if (I < 1) continue;
      const c = m.diffraction[k * N * N + t]! ** 2;
      sum += (c - I) ** 2 / I; count++;
    }
  }
  return sum / count;
}

test('forward model: the file\'s probe on the true object at our positions gives the measured counts (χ² ≈ 1); swapped or flipped axes do not', () => {
  // Our coordinates in the object.npy frame (the frame differs from the script's by a constant shift).
  const dx = exp.centre_cols[0]! - cxi.xcoords[0]!, dy = exp.centre_rows[0]! - cxi.ycoords[0]!;
  const rows = cxi.ycoords.map((v) => v + dy), cols = cxi.xcoords.map((v) => v + dx);
  const good = chi2(cxi, rows, cols);
  assert.ok(good > 0.8 && good < 1.25, `χ² per pixel ${good}`);
  // x ↔ y: read translation as (y, x) instead.
  const swappedRows = cxi.xcoords.map((v) => v + dy - cxi.xcoords[0]! + cxi.ycoords[0]!);
  const swappedCols = cxi.ycoords.map((v) => v + dx - cxi.ycoords[0]! + cxi.xcoords[0]!);
  const swapped = chi2(cxi, swappedRows, swappedCols);
  // x → −x about the first position.
  const flippedCols = cxi.xcoords.map((v) => 2 * cxi.xcoords[0]! - v + dx);
  const flipped = chi2(cxi, rows, flippedCols);
  assert.ok(swapped > 10 * good && flipped > 10 * good, `χ² swapped ${swapped}, flipped ${flipped}, right ${good}`);
});

test('PtyPy .ptyd (two chunks, (y, x) positions, energy in keV) reads as the same measurement', async () => {
  const r = await readInputData(fx('scan.ptyd'));
  assert.equal(r.format, 'ptyd');
  const p = (r as { measured: MeasuredData }).measured;
  assert.deepEqual([p.n, p.H, p.W], [cxi.n, cxi.H, cxi.W]);
  assert.deepEqual(p.diffraction, cxi.diffraction);
  assert.deepEqual(p.positionsM, cxi.positionsM);
  assert.deepEqual(p.xcoords, cxi.xcoords);
  assert.deepEqual(p.ycoords, cxi.ycoords);
  assert.deepEqual(p.objectShape, cxi.objectShape);
  assert.equal(p.geometry.energyJ, cxi.geometry.energyJ);
  assert.deepEqual(p.geometry.objectPixelM, cxi.geometry.objectPixelM);
  assert.equal(p.probe, undefined);
  assert.deepEqual(p.warnings, [], 'its weights are all 1: nothing masked, nothing to say');
});

test('probe files: CXI illumination, ptychodus product (2 modes, pixel size from its attributes) and .ptyr give the same main mode', async () => {
  const fromCxi = await readProbeFile(fx('scan.cxi'), 32, 32);
  const product = await readProbeFile(fx('probe-product.h5'), 32, 32);
  const ptyr = await readProbeFile(fx('probe.ptyr'), 32, 32);
  assert.equal(product.modes, 2);
  assert.equal(ptyr.modes, 1);
  const n2 = 2 * 32 * 32;
  assert.deepEqual(product.data.subarray(0, n2), fromCxi.data);
  // the .ptyr holds the probe on PtyPy's unitary far-field scale, 32 (√(32·32)) times the CXI one: read divided by 32
  assert.deepEqual(ptyr.data, fromCxi.data);
  for (const p of [fromCxi, product, ptyr]) for (const d of p.pixelM!) assert.ok(Math.abs(d / exp.object_pixel_size_m - 1) < 1e-15);
  assert.equal(product.source, `${fx('probe-product.h5')}: probe`);
  assert.equal(ptyr.source, `${fx('probe.ptyr')}: content/probe/Sscan00G00/data`);
  await assert.rejects(readProbeFile(fx('scan.cxi'), 64, 64), /expected a complex probe \[64, 64\] or \[M, 64, 64\].*found shape \[32, 32\]/);
  await assert.rejects(readProbeFile(fx('scan-noprobe.cxi'), 32, 32), /illumination': expected a complex probe \[32, 32\]; found it missing/);
});

test('a product or .ptyr given as data is refused with a pointer to --init-probe; files are recognised by their bytes, not their names', async () => {
  await assert.rejects(readInputData(fx('probe-product.h5')), /a ptychodus product holds a probe.*no diffraction data; start a reconstruction from it \(--init-probe file:.* --init-object file:/);
  await assert.rejects(readInputData(fx('probe.ptyr')), /a PtyPy reconstruction \(\.ptyr\) holds a probe/);
  assert.equal(sniffFile(fx('scan.ptyd')), 'hdf5');
  assert.equal(sniffFile(fx('object.npy')), 'unknown');
});

test('measured data as a DATA-001 dataset: no objectGuess, probeGuess = mode 0, geometry in metadata; an NPZ without objectGuess loads', () => {
  const ds = measuredToDataset(cxi, probeGuessOf(cxi.probe!));
  assert.equal(ds.objectGuess, undefined);
  assert.deepEqual(ds.probeGuess.shape, [32, 32]);
  assert.equal(((ds.metadata!.geometry) as Record<string, unknown>).wavelength_m, cxi.geometry.wavelengthM);
  const tmp = mkdtempSync(join(tmpdir(), 'ptychostudy-measured-'));
  try {
    saveDataset(join(tmp, 'm.npz'), ds);
    const back = loadDataset(join(tmp, 'm.npz'));
    assert.equal(back.objectGuess, undefined);
    assert.deepEqual(back.diffraction, cxi.diffraction);
    assert.deepEqual(back.xcoords, cxi.xcoords);
    assert.equal((back.metadata!.geometry as Record<string, unknown>).energy_J, exp.energy_J);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
