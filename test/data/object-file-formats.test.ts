/**
 * `--init-object file:` of a ptychodus product (.h5), a PtyPy reconstruction (.ptyr) or a CXI image: the object is
 * read with the geometry its file states checked against the data's (pixel size, ptychodus's centre), and a file of
 * another shape, of several layers or of another pixel size is refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readObjectFile } from '../../src/data/object-file.js';
import { readCxi } from '../../src/data/cxi.js';
import { writeHdf5, type Entry } from './cxi-builder.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const root = tempDir('object-file');
const FX = 'test/fixtures/ptychodus';
// the object frame lsqml builds for the CXI fixture, and its geometry
const measured = await readCxi('test/fixtures/cxi/scan.cxi');
const [H, W] = measured.objectShape;
const N = measured.H;
const frame = { pixelM: measured.geometry.objectPixelM, originM: measured.originM };
const close = (a: number, b: number, rel: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

/** A product file whose object (and its attributes) are given; the rest is the minimum the layout detector needs. */
function product(path: string, o: { shape: number[]; attrs?: Record<string, number>; fill?: number }): string {
  const n = o.shape.reduce((a, b) => a * b, 1);
  const complex = (k: number, v: number): Entry['data'] => new Map([['r', new Float32Array(k).fill(v)], ['i', new Float32Array(k)]]);
  writeHdf5(path, {
    probe: { data: complex(N * N, 1), shape: [1, N, N] },
    probe_position_x_m: { data: new Float64Array([0, 1e-6]), shape: [2], dtype: '<d' },
    object: { data: complex(n, o.fill ?? 1), shape: o.shape, ...(o.attrs ? { attrs: o.attrs } : {}) },
  });
  return path;
}

test('an object from a product, a .ptyr or a CXI image is read; a wrong pixel size, centre, layer count or shape is refused in one line', async () => {
  const px = frame.pixelM, centre = { center_y_m: frame.originM[0] + px[0] * H / 2, center_x_m: frame.originM[1] + px[1] * W / 2 };
  const ok = product(join(root, 'ok.h5'), { shape: [H, W], fill: 0.5, attrs: { pixel_height_m: px[0], pixel_width_m: px[1], ...centre } });
  const o = await readObjectFile(ok, H, W, frame);
  assert.equal(o.data[0], 0.5);
  const pixel = product(join(root, 'pixel.h5'), { shape: [1, H, W], attrs: { pixel_height_m: 2 * px[0], pixel_width_m: 2 * px[1] } });
  await assert.rejects(readObjectFile(pixel, H, W, frame), /pixel\.h5: key 'object': expected an object sampled at the data's object pixel size \[.*\] m \(within 1 %\); found \[.*\] m \(objects are not resampled\)$/);
  // without the data's geometry (synthetic data) there is nothing to check it against
  assert.equal((await readObjectFile(pixel, H, W)).key, 'object');
  const shifted = product(join(root, 'shifted.h5'), { shape: [H, W], attrs: { ...centre, center_x_m: centre.center_x_m + 3 * px[1] } });
  await assert.rejects(readObjectFile(shifted, H, W, frame), /shifted\.h5: key 'object': expected the object centred .*; found .*\[0\.0, 3\.0\] pixels off \(objects are not shifted\)$/);
  const half = product(join(root, 'half.h5'), { shape: [H, W], attrs: { center_y_m: centre.center_y_m } });
  await assert.rejects(readObjectFile(half, H, W, frame), /half\.h5: key 'object': expected attribute center_x_m: a finite number in m \(with center_y_m, or neither\); found center_y_m without center_x_m$/);
  const layers = product(join(root, 'layers.h5'), { shape: [2, H, W] });
  await assert.rejects(readObjectFile(layers, H, W, frame), /layers\.h5: key 'object': expected .*one layer \(ptychostudy reconstructs a single slice\); found shape \[2, 73, 58\] \(2 layers\)$/);
  const shape = product(join(root, 'shape.h5'), { shape: [H, W + 1] });
  await assert.rejects(readObjectFile(shape, H, W, frame), /shape\.h5: key 'object': expected a complex object \[73, 58\] or \[1, 73, 58\] \(the object frame of this dataset\); found shape \[73, 59\]$/);

  // PtyPy .ptyr: content/obj/<storage>/data [1, H, W] with _psize
  const cplx = (v: number): Entry['data'] => new Map([['r', new Float32Array(H * W).fill(v)], ['i', new Float32Array(H * W).fill(-v)]]);
  const ptyr = join(root, 'obj.ptyr');
  writeHdf5(ptyr, {
    'content/obj/Sscan00G00/data': { data: cplx(0.25), shape: [1, H, W] },
    'content/obj/Sscan00G00/_psize': { data: new Float64Array(px), shape: [2], dtype: '<d' },
  });
  const t = await readObjectFile(ptyr, H, W, frame);
  assert.equal(t.key, 'content/obj/Sscan00G00/data');
  assert.deepEqual([t.data[0], t.data[1]], [0.25, -0.25]);
  const ptyrBad = join(root, 'bad.ptyr');
  writeHdf5(ptyrBad, {
    'content/obj/Sscan00G00/data': { data: cplx(1), shape: [1, H, W] },
    'content/obj/Sscan00G00/_psize': { data: new Float64Array([px[0] * 1.5, px[1]]), shape: [2], dtype: '<d' },
  });
  await assert.rejects(readObjectFile(ptyrBad, H, W, frame), /bad\.ptyr: key 'content\/obj\/Sscan00G00\/data': expected an object sampled at the data's object pixel size/);
  const ptyrModes = join(root, 'modes.ptyr');
  writeHdf5(ptyrModes, { 'content/obj/Sscan00G00/data': { data: new Map([['r', new Float32Array(2 * H * W)], ['i', new Float32Array(2 * H * W)]]), shape: [2, H, W] } });
  await assert.rejects(readObjectFile(ptyrModes, H, W, frame), /modes\.ptyr: key 'content\/obj\/Sscan00G00\/data': expected .*one layer or mode \(ptychostudy reconstructs a single slice\); found shape \[2, 73, 58\] \(2 layers or modes\)$/);

  // CXI Image: entry_1/image_1/data complex, image_size = width, height (, depth) in metres
  const cxi = join(root, 'image.cxi');
  writeHdf5(cxi, {
    'entry_1/image_1/data': { data: cplx(2), shape: [H, W] },
    'entry_1/image_1/image_size': { data: new Float64Array([W * px[1], H * px[0], 0]), shape: [3], dtype: '<d' },
  });
  const c = await readObjectFile(cxi, H, W, frame);
  assert.equal(c.key, 'entry_1/image_1/data');
  close(c.pixelM![1], px[1], 1e-12, 'CXI image pixel width');
  assert.equal(c.data[0], 2);
  await assert.rejects(readObjectFile(join(FX, '../cxi/scan.cxi'), H, W, frame), /scan\.cxi: expected an object at 'object' \(ptychodus product\), content\/obj\/\*\/data \(PtyPy \.ptyr\) or entry_1\/image_1\/data \(CXI\); found top-level keys \[cxi_version, entry_1\]$/);
});

test('lsqml checks an object file against the data\'s own geometry: a ptychodus object three pixels off is refused, nothing written', () => {
  const px = frame.pixelM;
  const shifted = product(join(root, 'off.h5'), {
    shape: [1, H, W], attrs: { pixel_height_m: px[0], pixel_width_m: px[1], center_y_m: frame.originM[0] + px[0] * H / 2, center_x_m: frame.originM[1] + px[1] * (W / 2 - 3) },
  });
  const out = join(root, 'lsqml-off');
  const r = ptychostudy(['lsqml', '--input', 'test/fixtures/cxi/scan.cxi', '--out', out, '--epochs', '2', '--init-object', `file:${shifted}`]);
  assertRefused(r, 'lsqml', /off\.h5: key 'object': expected the object centred where the data's positions put its frame, .*\[0\.0, -3\.0\] pixels off \(objects are not shifted\)$/);
  assert.ok(!existsSync(join(out, 'reconstruction.npz')));
});
