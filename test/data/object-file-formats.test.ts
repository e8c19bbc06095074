/**
 * `--init-object file:` of a ptychodus product (.h5), a PtyPy reconstruction (.ptyr) or a CXI image: the object is
 * read with the geometry its file states checked against the data's (pixel size), a ptychodus object of another
 * shape or centre is placed in the frame by its centre, and a file of another shape that states no centre, of several
 * layers or of another pixel size is refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readObjectFile } from '../../src/data/object-file.js';
import { readCxi } from '../../src/data/cxi.js';
import { writeHdf5, type Entry } from './cxi-builder.js';
import { ptychostudy } from './cli-run.js';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
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
function product(path: string, o: { shape: number[]; attrs?: Record<string, number>; fill?: number; re?: Float32Array }): string {
  const n = o.shape.reduce((a, b) => a * b, 1);
  const complex = (k: number, v: number): Entry['data'] => new Map([['r', new Float32Array(k).fill(v)], ['i', new Float32Array(k)]]);
  writeHdf5(path, {
    probe: { data: complex(N * N, 1), shape: [1, N, N] },
    probe_position_x_m: { data: new Float64Array([0, 1e-6]), shape: [2], dtype: '<d' },
    object: { data: o.re ? new Map([['r', o.re], ['i', o.re.map((v) => -v)]]) : complex(n, o.fill ?? 1), shape: o.shape, ...(o.attrs ? { attrs: o.attrs } : {}) },
  });
  return path;
}

/** The metres a ptychodus object [h, w] states as its centre when its pixel [0, 0] lies at frame pixel `offset`. */
const centreAt = (offset: [number, number], h: number, w: number): { center_y_m: number; center_x_m: number } => ({
  center_y_m: frame.originM[0] + frame.pixelM[0] * (offset[0] + h / 2), center_x_m: frame.originM[1] + frame.pixelM[1] * (offset[1] + w / 2),
});
/** Real parts numbering the pixels 1, 2, 3 … (never 1 + 0i apart from the first, whose imaginary part is −1). */
const numbered = (h: number, w: number): Float32Array => Float32Array.from({ length: h * w }, (_, i) => i + 1);

test('an object from a product, a .ptyr or a CXI image is read; a wrong pixel size, centre, layer count or shape is refused in one line', async () => {
  const px = frame.pixelM, centre = { center_y_m: frame.originM[0] + px[0] * H / 2, center_x_m: frame.originM[1] + px[1] * W / 2 };
  const ok = product(join(root, 'ok.h5'), { shape: [H, W], fill: 0.5, attrs: { pixel_height_m: px[0], pixel_width_m: px[1], ...centre } });
  const o = await readObjectFile(ok, H, W, frame);
  assert.equal(o.data[0], 0.5);
  const pixel = product(join(root, 'pixel.h5'), { shape: [1, H, W], attrs: { pixel_height_m: 2 * px[0], pixel_width_m: 2 * px[1] } });
  await assert.rejects(readObjectFile(pixel, H, W, frame), /pixel\.h5: key 'object': expected an object sampled at the data's object pixel size \[.*\] m \(within 1 %\); found \[.*\] m \(objects are not resampled\)$/);
  // without the data's geometry (synthetic data) there is nothing to check it against
  assert.equal((await readObjectFile(pixel, H, W)).key, 'object');
  const half = product(join(root, 'half.h5'), { shape: [H, W], attrs: { center_y_m: centre.center_y_m } });
  await assert.rejects(readObjectFile(half, H, W, frame), /half\.h5: key 'object': expected attribute center_x_m: a finite number in m \(with center_y_m, or neither\); found center_y_m without center_x_m$/);
  const layers = product(join(root, 'layers.h5'), { shape: [2, H, W] });
  await assert.rejects(readObjectFile(layers, H, W, frame), /layers\.h5: key 'object': expected .*one layer \(ptychostudy reconstructs a single slice\); found shape \[2, 73, 58\] \(2 layers\)$/);
  const shape = product(join(root, 'shape.h5'), { shape: [H, W + 1] });
  await assert.rejects(readObjectFile(shape, H, W, frame), /shape\.h5: key 'object': expected a complex object \[73, 58\] or \[1, 73, 58\] \(the object frame of this dataset; this product states no centre \(center_y_m, center_x_m\) to place an object of another shape by: crop or pad it to \[73, 58\]\); found shape \[73, 59\]$/);

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
  // _origin: the frame's own, read as it is; not 2 finite numbers, refused (never taken for an absent one)
  const ptyrAt = join(root, 'origin-frame.ptyr');
  writeHdf5(ptyrAt, {
    'content/obj/Sscan00G00/data': { data: cplx(0.25), shape: [1, H, W] },
    'content/obj/Sscan00G00/_origin': { data: new Float64Array(frame.originM), shape: [2], dtype: '<d' },
  });
  const at = await readObjectFile(ptyrAt, H, W, frame);
  assert.equal(at.placed, undefined);
  assert.deepEqual(at.data, t.data);
  const ptyrNaN = join(root, 'origin-nan.ptyr');
  writeHdf5(ptyrNaN, {
    'content/obj/Sscan00G00/data': { data: cplx(0.25), shape: [1, H, W] },
    'content/obj/Sscan00G00/_origin': { data: new Float64Array([NaN, 0]), shape: [2], dtype: '<d' },
  });
  await assert.rejects(readObjectFile(ptyrNaN, H, W, frame),
    /origin-nan\.ptyr: key 'content\/obj\/Sscan00G00\/_origin': expected the metres \[y, x\] at the storage's pixel \[0, 0\] \(PtyPy's _origin\): 2 finite numbers; found \[NaN, 0\]$/);
  // shifted by 5 rows: placed 5 rows down, its first row in the frame's row 5
  const ptyrShift = join(root, 'origin-shift.ptyr');
  writeHdf5(ptyrShift, {
    'content/obj/Sscan00G00/data': { data: cplx(0.25), shape: [1, H, W] },
    'content/obj/Sscan00G00/_origin': { data: new Float64Array([frame.originM[0] + 5 * px[0], frame.originM[1]]), shape: [2], dtype: '<d' },
  });
  const sh = await readObjectFile(ptyrShift, H, W, frame);
  assert.deepEqual(sh.placed?.offset, [5, 0]);
  assert.deepEqual([sh.data[0], sh.data[1], sh.data[2 * 5 * W], sh.data[2 * 5 * W + 1]], [1, 0, 0.25, -0.25]);
  assert.match(sh.warning!, /origin-shift\.ptyr: key 'content\/obj\/Sscan00G00\/data': the object \[73, 58\] is placed in the data's object frame \[73, 58\] by its origin \(_origin\), its pixel \[0, 0\] at frame pixel \[5, 0\]/);
  const ptyrBad = join(root, 'bad.ptyr');
  writeHdf5(ptyrBad, {
    'content/obj/Sscan00G00/data': { data: cplx(1), shape: [1, H, W] },
    'content/obj/Sscan00G00/_psize': { data: new Float64Array([px[0] * 1.5, px[1]]), shape: [2], dtype: '<d' },
  });
  await assert.rejects(readObjectFile(ptyrBad, H, W, frame), /bad\.ptyr: key 'content\/obj\/Sscan00G00\/data': expected an object sampled at the data's object pixel size/);
  const ptyrModes = join(root, 'modes.ptyr');
  writeHdf5(ptyrModes, { 'content/obj/Sscan00G00/data': { data: new Map([['r', new Float32Array(2 * H * W)], ['i', new Float32Array(2 * H * W)]]), shape: [2, H, W] } });
  const ptyrShape = join(root, 'shape.ptyr');
  writeHdf5(ptyrShape, { 'content/obj/Sscan00G00/data': { data: new Map([['r', new Float32Array(H * (W + 2))], ['i', new Float32Array(H * (W + 2))]]), shape: [1, H, W + 2] } });
  // on data in metres, a .ptyr of another shape is placed by its storage's _origin; this one states none
  await assert.rejects(readObjectFile(ptyrShape, H, W, frame), /shape\.ptyr: key 'content\/obj\/Sscan00G00\/data': expected a complex object \[73, 58\] or \[1, 73, 58\] \(the object frame of this dataset; this \.ptyr states no origin \(content\/obj\/Sscan00G00\/_origin\) to place an object of another shape by: crop or pad it to \[73, 58\]\); found shape \[1, 73, 60\]$/);
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

test('a ptychodus object of another shape or centre is placed in the frame by its centre: cropped where it is larger, 1 where it does not reach', async () => {
  const px = frame.pixelM;
  const pixelAttrs = { pixel_height_m: px[0], pixel_width_m: px[1] };
  /** The frame's value at [y, x] (real part) and the file's numbered pixel it should hold, or 1 (padding). */
  const check = (data: Float64Array, h: number, w: number, [dy, dx]: [number, number], what: string): void => {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const fy = y - dy, fx = x - dx, inside = fy >= 0 && fy < h && fx >= 0 && fx < w;
      const want = inside ? [fy * w + fx + 1, -(fy * w + fx + 1)] : [1, 0];
      const k = 2 * (y * W + x);
      if (data[k] !== want[0] || data[k + 1] !== want[1]) assert.fail(`${what}: frame [${y}, ${x}]: ${data[k]}, ${data[k + 1]} vs ${want.join(', ')}`);
    }
  };
  // larger on every side, as ptychodus sizes its object: the frame is its middle, nothing padded
  const [hl, wl] = [H + 11, W + 6];
  const large = product(join(root, 'large.h5'), { shape: [1, hl, wl], re: numbered(hl, wl), attrs: { ...pixelAttrs, ...centreAt([-5, -3], hl, wl) } });
  const l = await readObjectFile(large, H, W, frame);
  assert.deepEqual(l.placed, { shape: [hl, wl], offset: [-5, -3], exactOffset: l.placed!.exactOffset, covered: H * W, cropped: hl * wl - H * W });
  l.placed!.exactOffset.forEach((v, a) => assert.ok(Math.abs(v - [-5, -3][a]!) < 1e-6, `exact offset ${v}`));
  check(l.data, hl, wl, [-5, -3], 'larger');
  assert.equal(l.warning, `large.h5: key 'object': the object [${hl}, ${wl}] is placed in the data's object frame [${H}, ${W}] by its centre, its pixel [0, 0] at frame pixel [-5, -3]: ` +
    `${hl * wl - H * W} of its ${hl * wl} pixels lie outside the frame and are left out, 0 of the frame's ${H * W} pixels it does not cover start as 1 (as --init-object ones)`);
  // smaller, and off the centre by a fraction of a pixel: rounded to whole pixels, the rest of the frame 1
  const [hs, ws] = [H - 20, W - 9];
  const small = product(join(root, 'small.h5'), { shape: [hs, ws], re: numbered(hs, ws), attrs: centreAt([7.3, 2.6], hs, ws) });
  const sm = await readObjectFile(small, H, W, frame);
  assert.deepEqual(sm.placed!.offset, [7, 3]);
  check(sm.data, hs, ws, [7, 3], 'smaller');
  assert.match(sm.warning!, /its pixel \[0, 0\] at frame pixel \[7, 3\] \(7\.30, 2\.60, rounded\): 0 of its \d+ pixels lie outside the frame and are left out, (\d+) of the frame's/);
  assert.ok(sm.warning!.includes(`, ${H * W - hs * ws} of the frame's ${H * W} pixels it does not cover start as 1`));
  // the frame's shape three pixels to the right: shifted, its last three columns left out, the first three 1
  const shifted = product(join(root, 'shifted.h5'), { shape: [H, W], re: numbered(H, W), attrs: centreAt([0, 3], H, W) });
  const sh = await readObjectFile(shifted, H, W, frame);
  check(sh.data, H, W, [0, 3], 'shifted');
  assert.equal(sh.placed!.cropped, 3 * H);
  // at the frame's centre within half a pixel: read as it is, no warning
  const centred = product(join(root, 'centred.h5'), { shape: [H, W], re: numbered(H, W), attrs: centreAt([0.4, -0.4], H, W) });
  const c = await readObjectFile(centred, H, W, frame);
  assert.equal(c.placed, undefined);
  assert.equal(c.warning, undefined);
  check(c.data, H, W, [0, 0], 'centred');
  // wholly outside the frame: refused
  const away = product(join(root, 'away.h5'), { shape: [10, 10], attrs: centreAt([H + 1, 0], 10, 10) });
  await assert.rejects(readObjectFile(away, H, W, frame), /away\.h5: key 'object': expected an object that covers some of the data's object frame \[73, 58\] \(centred at \[.*\] m, center_y_m, center_x_m\); found \[10, 10\] centred at \[.*\] m, wholly outside it \(is it a reconstruction of another scan\?\)$/);
  // data that states no positions in metres (synthetic, an NPZ) has no origin to place it by
  await assert.rejects(readObjectFile(large, H, W, { pixelM: px }), /large\.h5: key 'object': expected a complex object \[73, 58\] or \[1, 73, 58\] \(the object frame of this dataset; an object of another shape is placed by its centre only on data that states its positions in metres \(CXI, PtyPy \.ptyd\): crop or pad it to \[73, 58\]\); found shape \[1, 84, 64\]$/);
  // a pixel size of its own is still refused
  const coarse = product(join(root, 'coarse.h5'), { shape: [hl, wl], attrs: { pixel_height_m: 2 * px[0], pixel_width_m: 2 * px[1], ...centreAt([-5, -3], hl, wl) } });
  await assert.rejects(readObjectFile(coarse, H, W, frame), /coarse\.h5: key 'object': expected an object sampled at the data's object pixel size .*\(objects are not resampled\)$/);
});

test('a ptychodus object placed by its centre is read only in the rows the frame holds: the rest is neither held in memory nor checked', async () => {
  // 600 rows more than the frame, in chunks of 7 × 5 (the frame's rows start inside a chunk), the frame's rows at 301 …
  const [h, w] = [H + 600, W];
  const re = numbered(h, w);
  re[5 * w + 2] = NaN; // in a row the frame does not hold
  const tall = join(root, 'tall.h5');
  writeHdf5(tall, {
    probe: { data: new Map([['r', new Float32Array(N * N).fill(1)], ['i', new Float32Array(N * N)]]), shape: [1, N, N] },
    probe_position_x_m: { data: new Float64Array([0, 1e-6]), shape: [2], dtype: '<d' },
    object: { data: new Map([['r', re], ['i', re.map((v) => -v)]]), shape: [1, h, w], chunks: [1, 7, 5], attrs: centreAt([-301, 0], h, w) },
  });
  // the whole object (16 bytes a pixel as complex128) would not fit this limit; the frame's rows do
  const limit = { bytes: 16 * H * W + 4096, source: 'a test limit' };
  const o = await readObjectFile(tall, H, W, frame, limit);
  assert.deepEqual(o.placed!.offset, [-301, 0]);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = (y + 301) * w + x + 1, k = 2 * (y * W + x);
    if (o.data[k] !== v || o.data[k + 1] !== -v) assert.fail(`frame [${y}, ${x}]: ${o.data[k]}, ${o.data[k + 1]} vs ${v}`);
  }
  // a NaN in a row the frame holds is refused, at its index in the file's object
  re[310 * w + 4] = NaN;
  writeHdf5(join(root, 'tall-nan.h5'), {
    probe: { data: new Map([['r', new Float32Array(N * N).fill(1)], ['i', new Float32Array(N * N)]]), shape: [1, N, N] },
    probe_position_x_m: { data: new Float64Array([0, 1e-6]), shape: [2], dtype: '<d' },
    object: { data: new Map([['r', re], ['i', re.map((v) => -v)]]), shape: [1, h, w], chunks: [1, 7, 5], attrs: centreAt([-301, 0], h, w) },
  });
  await assert.rejects(readObjectFile(join(root, 'tall-nan.h5'), H, W, frame, limit), new RegExp(`tall-nan\\.h5: key 'object': expected .*, finite; found NaN at flat index ${310 * w + 4}$`));
});

test('lsqml continues from a ptychodus object larger than its frame: placed by its centre, said in a warning and recorded', () => {
  const [hl, wl] = [H + 8, W + 8];
  const large = product(join(root, 'continue.h5'), { shape: [1, hl, wl], fill: 0.9, attrs: { pixel_height_m: frame.pixelM[0], pixel_width_m: frame.pixelM[1], ...centreAt([-4, -4], hl, wl) } });
  const out = join(root, 'lsqml-continue');
  const r = ptychostudy(['lsqml', '--input', 'test/fixtures/cxi/scan.cxi', '--out', out, '--epochs', '2', '--init-object', `file:${large}`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: continue\.h5: key 'object': the object \[81, 66\] is placed in the data's object frame \[73, 58\] by its centre, its pixel \[0, 0\] at frame pixel \[-4, -4\]: /m);
  const m = (readMetadata(loadNpz(join(out, 'reconstruction.npz'))._metadata!) as { value: Record<string, unknown> }).value;
  const f = m.init_object_file as Record<string, unknown>;
  assert.deepEqual([f.object_shape, f.frame_offset_yx], [[hl, wl], [-4, -4]]);
  assert.ok((m.warnings as string[]).some((w) => w.startsWith('continue.h5: key \'object\': the object [81, 66] is placed')));
});
