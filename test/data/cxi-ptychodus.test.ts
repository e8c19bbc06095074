/**
 * The CXI reader against ptychodus's own: test/fixtures/ptychodus/cxi-read-by-ptychodus.json is what ptychodus's CXI
 * reader plugin (plugins/cxi_file.py, commit 7ccf581, run unchanged by scripts/ptychodus-read-cxi.py) and its
 * ProductGeometry read of the CXI fixtures. readCxi must read the same patterns, detector geometry, energy,
 * positions (x from column 0, y from column 1, metres, no sign change: bit for bit), probe and object-plane pixel
 * (to a few float64 roundings: the two compute λz/(N·p) in another order). scan-xy.cxi has non-square pixels,
 * non-square patterns and a scan wider in y than in x (in metres), so an x/y swap anywhere would show; two-translations.cxi
 * holds other positions under entry_1/data_1/translation (the key ptychodus reads) than under the sample's
 * translation, and is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';

interface Read {
  diffraction: {
    num_patterns_per_array: number[]; patterns_shape: number[]; counts_sum_per_pattern: number[];
    detector_width_px: number; detector_height_px: number; detector_pixel_width_m: number; detector_pixel_height_m: number;
    detector_distance_m: number; probe_energy_eV: number;
  };
  positions: { count: number; index: number[]; x_m: number[]; y_m: number[] };
  probe: { shape: number[]; dtype: string; sum_abs2_per_mode: number[]; mode0_00_re_im: [number, number]; mode0_centre_re_im: [number, number] } | { error: string; message: string };
  object_plane: { wavelength_m: number; pixel_width_m: number; pixel_height_m: number };
}
const ptychodus = JSON.parse(readFileSync('test/fixtures/ptychodus/cxi-read-by-ptychodus.json', 'utf8')) as { files: Record<string, Read> };

/** |a − b| in units of the float64 spacing at b. */
const ulps = (a: number, b: number): number => Math.abs(a - b) / (Math.abs(b) * Number.EPSILON);

for (const name of ['scan.cxi', 'scan-noprobe.cxi', 'scan-xy.cxi']) {
  test(`${name}: readCxi reads what ptychodus's CXI reader reads`, async () => {
    const theirs = ptychodus.files[name]!;
    const ours = await readCxi(join('test/fixtures/cxi', name));
    const d = theirs.diffraction;
    // patterns [n, H, W]: ptychodus's detector extent is (width = W, height = H)
    assert.deepEqual([ours.n, ours.H, ours.W], d.patterns_shape);
    assert.deepEqual([d.num_patterns_per_array[0], d.detector_height_px, d.detector_width_px], d.patterns_shape);
    for (let k = 0; k < ours.n; k++) {
      let s = 0;
      for (let i = k * ours.H * ours.W; i < (k + 1) * ours.H * ours.W; i++) s += ours.diffraction[i]! ** 2;
      assert.equal(Math.round(s), d.counts_sum_per_pattern[k], `pattern ${k}`);
    }
    // detector pixel [y, x] = ptychodus's (height, width); distance and energy as read
    assert.deepEqual(ours.geometry.detectorPixelM, [d.detector_pixel_height_m, d.detector_pixel_width_m]);
    assert.equal(ours.geometry.distanceM, d.detector_distance_m);
    assert.equal(ours.geometry.energyEv, d.probe_energy_eV);
    // positions: x = column 0, y = column 1, metres, bit for bit
    assert.equal(theirs.positions.count, ours.n);
    assert.deepEqual(theirs.positions.index, Array.from({ length: ours.n }, (_, i) => i));
    assert.deepEqual(Array.from(ours.positionsM.x), theirs.positions.x_m);
    assert.deepEqual(Array.from(ours.positionsM.y), theirs.positions.y_m);
    // λ and the object-plane pixel [y, x] = ptychodus's (height, width), to float64 rounding
    const o = theirs.object_plane;
    assert.ok(ulps(ours.geometry.wavelengthM, o.wavelength_m) <= 2, `λ ${ours.geometry.wavelengthM} vs ${o.wavelength_m}`);
    assert.ok(ulps(ours.geometry.objectPixelM[0], o.pixel_height_m) <= 4, `Δy ${ours.geometry.objectPixelM[0]} vs ${o.pixel_height_m}`);
    assert.ok(ulps(ours.geometry.objectPixelM[1], o.pixel_width_m) <= 4, `Δx ${ours.geometry.objectPixelM[1]} vs ${o.pixel_width_m}`);
    // the scan centres in object pixels are ptychodus's metres over its pixel, in x and in y
    for (let i = 1; i < ours.n; i++) {
      const dx = (theirs.positions.x_m[i]! - theirs.positions.x_m[0]!) / o.pixel_width_m;
      const dy = (theirs.positions.y_m[i]! - theirs.positions.y_m[0]!) / o.pixel_height_m;
      assert.ok(Math.abs(ours.xcoords[i]! - ours.xcoords[0]! - dx) < 1e-9, `x ${i}`);
      assert.ok(Math.abs(ours.ycoords[i]! - ours.ycoords[0]! - dy) < 1e-9, `y ${i}`);
    }
    // the probe: ptychodus holds [OPR, M, H, W]; or it found none, and neither did we
    if ('error' in theirs.probe) {
      assert.equal(theirs.probe.error, 'KeyError');
      assert.equal(ours.probe, undefined);
    } else {
      const p = ours.probe!;
      assert.deepEqual(theirs.probe.shape, [1, p.modes, p.height, p.width]);
      for (let m = 0; m < p.modes; m++) {
        let s = 0;
        for (let i = 2 * m * p.height * p.width; i < 2 * (m + 1) * p.height * p.width; i++) s += p.data[i]! ** 2;
        assert.ok(Math.abs(s / theirs.probe.sum_abs2_per_mode[m]! - 1) < 1e-12, `mode ${m}: ${s}`);
      }
      assert.deepEqual([p.data[0], p.data[1]], theirs.probe.mode0_00_re_im);
      const c = 2 * ((p.height >> 1) * p.width + (p.width >> 1));
      assert.deepEqual([p.data[c], p.data[c + 1]], theirs.probe.mode0_centre_re_im);
    }
  });
}

test('scan-xy.cxi tells x from y: pixel, pattern and scan differ in x and y', () => {
  const { diffraction: d, positions: p, object_plane: o } = ptychodus.files['scan-xy.cxi']!;
  assert.notEqual(d.detector_width_px, d.detector_height_px);
  assert.notEqual(d.detector_pixel_width_m, d.detector_pixel_height_m);
  assert.ok(Math.abs(o.pixel_width_m / o.pixel_height_m - 1) > 0.1);
  const span = (v: number[]): number => Math.max(...v) - Math.min(...v);
  assert.ok(span(p.y_m) > 1.5 * span(p.x_m));
});

test('two-translations.cxi: other positions under entry_1/data_1/translation than the sample\'s are refused', async () => {
  // ptychodus reads data_1/translation, which holds the sample's (x, y) swapped
  assert.deepEqual(ptychodus.files['two-translations.cxi']!.positions.x_m, ptychodus.files['scan-xy.cxi']!.positions.y_m);
  await assert.rejects(readCxi('test/fixtures/cxi/two-translations.cxi'),
    /two-translations\.cxi: key 'entry_1\/data_1\/translation': expected the probe positions of entry_1\/sample_1\/geometry_1\/translation, or a link to it \(ptychodus reads .*found other values: row 0 \(x, y\) = \(0\.000015774185951851158, -6\.307168732770059e-7\) m against \(-6\.307168732770059e-7, 0\.000015774185951851158\) m/);
});
