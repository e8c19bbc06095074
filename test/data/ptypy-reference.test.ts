/**
 * Files PtyPy itself wrote (test/fixtures/ptypy/, made by scripts/ptypy-reference.py running PtyPy 1681bec on the
 * patterns and positions of test/fixtures/cxi/scan.cxi): its PtyScan's .ptyd, plain and with orientation 4, and the
 * .ptyr of 20 iterations of its ML engine on that .ptyd. Read here as a user's files are: the .ptyd as data, the
 * .ptyr's probe and object as --init-probe file: and --init-object file: read them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readObjectFile } from '../../src/data/object-file.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { createFft2 } from '../../src/math/fft.js';
import { measured, ptypyUnpacker } from './ptypy-fixtures.js';

const dir = 'test/fixtures/ptypy';
interface Reference {
  ptypy_commit: string; n: number; N: number; object_shape: [number, number, number]; object_psize_m: [number, number];
  probe_storage: string; object_storage: string; view_top_left_rc: [number, number][];
  mean_model_sum: number; mean_measured_sum: number;
}
const ref = JSON.parse(readFileSync(join(dir, 'ptypy-reference.json'), 'utf8')) as Reference;
const unpacked = ptypyUnpacker('ptychostudy-ptypy-ref-');

const cxi = await measured('test/fixtures/cxi/scan.cxi');
const ours = await measured('test/fixtures/cxi/scan.ptyd');
const ptyd = await measured(unpacked('scan.ptyd'));

test("PtyPy's PtyScan .ptyd reads the same patterns, positions and geometry as the fixture's scan.ptyd and scan.cxi", () => {
  assert.equal(ref.ptypy_commit, '1681bec33ddab0434e92aae13866da23c9755e6b');
  for (const m of [ours, cxi]) {
    assert.deepEqual([ptyd.n, ptyd.H, ptyd.W], [m.n, m.H, m.W]);
    assert.deepEqual(ptyd.diffraction, m.diffraction);
    assert.deepEqual(ptyd.positionsM, m.positionsM);
    assert.deepEqual(ptyd.xcoords, m.xcoords);
    assert.deepEqual(ptyd.ycoords, m.ycoords);
    assert.deepEqual(ptyd.objectShape, m.objectShape);
    assert.equal(ptyd.geometry.distanceM, m.geometry.distanceM);
    assert.deepEqual(ptyd.geometry.detectorPixelM, m.geometry.detectorPixelM);
    assert.ok(Math.abs(ptyd.geometry.energyJ / m.geometry.energyJ - 1) < 1e-15, `${ptyd.geometry.energyJ} vs ${m.geometry.energyJ}`);
  }
  // its weights (float64 ones, as load_weight gave them) mask nothing
  assert.equal(ptyd.detectorMask, undefined);
  assert.deepEqual(ptyd.warnings, []);
});

test('PtyScan with orientation 4 saved every frame transposed: read as saved, the transposes of the fixture frames, positions unchanged', async () => {
  const t = await measured(unpacked('scan-transposed.ptyd'));
  const N = ours.H;
  assert.deepEqual([t.n, t.H, t.W], [ours.n, N, N]);
  const transposed = new Float32Array(ours.diffraction.length);
  for (let k = 0; k < ours.n; k++) {
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) transposed[k * N * N + i * N + j] = ours.diffraction[k * N * N + j * N + i]!;
  }
  assert.deepEqual(t.diffraction, transposed);
  assert.notDeepEqual(t.diffraction, ours.diffraction);
  assert.deepEqual(t.positionsM, ours.positionsM);
});

test("the .ptyr's probe read as --init-probe reads it (÷√(H·W)), on PtyPy's object, predicts the data's intensities with our FFT2", async () => {
  const ptyr = unpacked('ml.ptyr');
  const N = ref.N;
  const probe = await readProbeFile(ptyr, N, N);
  assert.equal(probe.source, `${ptyr}: content/probe/${ref.probe_storage}/data`);
  assert.equal(probe.modes, 1);
  const [, OH, OW] = ref.object_shape;
  const obj = await readObjectFile(ptyr, OH, OW);
  assert.equal(obj.key, `content/obj/${ref.object_storage}/data`);
  assert.deepEqual(obj.pixelM, ref.object_psize_m);
  // Σ|FFT2(P·O_patch)|² (unnormalised FFT) over PtyPy's own views of its object
  const fft = createFft2(N, N);
  const buf = new Float64Array(2 * N * N);
  const P = probe.data, O = obj.data;
  let predicted = 0;
  for (const [r0, c0] of ref.view_top_left_rc) {
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const q = 2 * (i * N + j), o = 2 * ((r0 + i) * OW + c0 + j);
        buf[q] = P[q]! * O[o]! - P[q + 1]! * O[o + 1]!;
        buf[q + 1] = P[q]! * O[o + 1]! + P[q + 1]! * O[o]!;
      }
    }
    fft.forward(buf, 1);
    for (let t = 0; t < N * N; t++) predicted += buf[2 * t]! ** 2 + buf[2 * t + 1]! ** 2;
  }
  predicted /= ref.view_top_left_rc.length;
  let measuredSum = 0;
  for (const a of ptyd.diffraction) measuredSum += a * a;
  measuredSum /= ptyd.n;
  assert.equal(ref.view_top_left_rc.length, ptyd.n);
  assert.ok(Math.abs(measuredSum / ref.mean_measured_sum - 1) < 1e-6, `mean Σ of the patterns ${measuredSum}, PtyPy's ${ref.mean_measured_sum}`);
  // PtyPy's own model of the data (its unitary propagator on its probe and object) is what ours predicts
  assert.ok(Math.abs(predicted / ref.mean_model_sum - 1) < 1e-5, `predicted ${predicted}, PtyPy's model ${ref.mean_model_sum}`);
  // and, after 20 iterations, the data: within 2 % (the probe undivided would predict 1024 times as much)
  assert.ok(Math.abs(predicted / measuredSum - 1) < 0.02, `predicted mean Σ|FFT2(P·O)|² ${predicted}, measured mean Σ ${measuredSum}`);
});

test("the .ptyr's object, of PtyPy's own shape, placed in the .ptyd's object frame by its storage's _origin: every view of PtyPy's lands on ours", async () => {
  const ptyr = unpacked('ml.ptyr');
  const [H, W] = ptyd.objectShape;
  const [, OH, OW] = ref.object_shape;
  assert.notDeepEqual([OH, OW], [H, W]);
  const o = await readObjectFile(ptyr, H, W, { pixelM: ptyd.geometry.objectPixelM, originM: ptyd.originM });
  assert.ok(o.placed);
  assert.deepEqual(o.placed.shape, [OH, OW]);
  // PtyPy's view k has its top-left pixel at view_top_left_rc[k] of its object: ours, at that pixel plus the offset
  for (let k = 0; k < ptyd.n; k++) {
    const [r0, c0] = ref.view_top_left_rc[k]!;
    assert.equal(Math.round(ptyd.ycoords[k]! - ref.N / 2), r0 + o.placed.offset[0], `view ${k} row`);
    assert.equal(Math.round(ptyd.xcoords[k]! - ref.N / 2), c0 + o.placed.offset[1], `view ${k} column`);
  }
  assert.ok(o.placed.exactOffset.every((v, a) => Math.abs(v - o.placed!.offset[a]!) < 1e-5), `${o.placed.exactOffset}`);
  // the object's values where it lies: PtyPy's pixel [0, 0] at the offset
  const whole = await readObjectFile(ptyr, OH, OW);
  const [dy, dx] = o.placed.offset;
  assert.deepEqual([o.data[2 * (dy * W + dx)], o.data[2 * (dy * W + dx) + 1]], [whole.data[0], whole.data[1]]);
  assert.match(o.warning!, /^ml\.ptyr: key 'content\/obj\/SfixtureG00\/data': the object \[69, 54\] is placed in the data's object frame \[73, 58\] by its origin \(_origin\), its pixel \[0, 0\] at frame pixel \[2, 2\]: 0 of its 3726 pixels lie outside the frame/);
});
