/**
 * The cases of a PtyScan's .ptyd that docs/real-data.md ("Coming from PtyPy") names, each in a file PtyPy itself
 * wrote (test/fixtures/ptypy/, made by scripts/ptypy-reference.py running PtyPy 1681bec's PtyScan on the first 4
 * patterns and positions of test/fixtures/cxi/scan.cxi): save='link', a crop, rebin 2 (of masked frames), a mask (weights of 0), a
 * centre PtyPy rounds to another pixel, one more than 1 pixel off, positions never given, and energy, distance or
 * psize left as None. Each is read through the reader as a user's file is: the values it reads, its warning, or
 * its one-line refusal naming the file, the key, what was expected and what was found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { readInputData } from '../../src/data/input.js';
import type { MeasuredData } from '../../src/data/measured.js';
import { measured, ptypyUnpacker } from './ptypy-fixtures.js';

const dir = 'test/fixtures/ptypy';
interface Cases {
  files: string[]; frames: number; link_chunk_frames: number; crop_raw_shape: [number, number]; crop_offset_rc: [number, number];
  rebin: number; masked_pixels_rc: [number, number][]; center_rounded: [number, number]; center_far: [number, number];
}
const ref = JSON.parse(readFileSync(join(dir, 'ptypy-reference.json'), 'utf8')) as { ptypy_commit: string; cases: Cases };
const cases = ref.cases;
const unpack = ptypyUnpacker('ptychostudy-ptypy-written-');

/** The file PtyPy wrote, as it wrote it (kept gzip'd whole in the repository), under the name PtyScan gave it. */
function unpacked(name: string): string {
  assert.ok(cases.files.includes(name), `${name} is one of the script's cases`);
  return unpack(name);
}

async function refusedWith(path: string, message: string): Promise<void> {
  await assert.rejects(readInputData(path), (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message, `${path}: ${message}`);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

// the patterns and positions PtyScan was handed: the first frames of the CXI fixture
const cxi = await measured('test/fixtures/cxi/scan.cxi');
const k = cases.frames, N = cxi.H;
const frames = cxi.diffraction.subarray(0, k * N * N);

function samePositions(m: MeasuredData): void {
  assert.deepEqual(m.positionsM.x, cxi.positionsM.x.subarray(0, k));
  assert.deepEqual(m.positionsM.y, cxi.positionsM.y.subarray(0, k));
}

test('the cases were written by PtyPy 1681bec, 4 frames each', () => {
  assert.equal(ref.ptypy_commit, '1681bec33ddab0434e92aae13866da23c9755e6b');
  assert.equal(k, 4);
  assert.equal(cases.files.length, 10);
});

test("save='link' (chunks as external links to FILE.part000, …) is refused naming the first link and save='append'", async () => {
  const p = unpacked('link.ptyd');
  await refusedWith(p, "key 'chunks/0': an external link to link.ptyd.part000:/, the layout of PtyScan's save='link' (each chunk in a file " +
    "of its own); ptychostudy reads nothing outside the named file: prepare the data with save='append' (one file), or copy the chunks " +
    'into it (h5copy)');
});

test('a crop: 40×40 frames cropped by PtyScan to 32 around center read as the fixture frames, centre [16, 16], no warning', async () => {
  const m = await measured(unpacked('crop.ptyd'));
  assert.deepEqual(cases.crop_raw_shape, [N + 8, N + 8]);
  assert.deepEqual([m.n, m.H, m.W], [k, N, N]);
  assert.deepEqual(m.diffraction, frames);
  samePositions(m);
  assert.deepEqual(m.geometry.detectorPixelM, cxi.geometry.detectorPixelM);
  assert.equal(m.detectorMask, undefined);
  assert.deepEqual(m.warnings, []);
});

test('rebin 2 of masked frames: 16×16 frames of 2×2 means, pixel size doubled, a bin holding a pixel of weight 0 masked, and the warning that the frames are not photon counts', async () => {
  const p = unpacked('rebin.ptyd');
  const m = await measured(p);
  const b = cases.rebin, n = N / b;
  assert.deepEqual([m.n, m.H, m.W], [k, n, n]);
  // PtyScan's rebinned weights are booleans: false for a bin that holds a pixel of weight 0 (ptypy core/data.py)
  const valid = new Uint8Array(n * n).fill(1);
  for (const [r, c] of cases.masked_pixels_rc) valid[Math.floor(r / b) * n + Math.floor(c / b)] = 0;
  assert.ok(m.detectorMask);
  assert.deepEqual(m.detectorMask.valid, valid);
  assert.equal(m.detectorMask.masked, 4);
  const expected = new Float32Array(k * n * n);
  let fractional = 0;
  for (let f = 0; f < k; f++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let a = 0; a < b; a++) for (let c = 0; c < b; c++) sum += Math.round(frames[f * N * N + (b * i + a) * N + b * j + c]! ** 2);
        // a masked bin is read as 0, as any masked pixel
        expected[f * n * n + i * n + j] = valid[i * n + j] ? Math.sqrt(sum / (b * b)) : 0;
        if (sum % (b * b) !== 0) fractional++;
      }
    }
  }
  assert.ok(fractional > 0, 'some 2×2 means are not whole counts');
  assert.deepEqual(m.diffraction, expected);
  assert.deepEqual(m.geometry.detectorPixelM, cxi.geometry.detectorPixelM.map((v) => v * b));
  samePositions(m);
  assert.deepEqual(m.warnings, [`${p}: key 'chunks/0/weights': 4 pixels of weight 0 masked`,
    `${p}: key 'info/rebin': 2: PtyScan averaged 2×2 detector pixels into each pixel (ptypy utils ` +
    'rebin_2d), so the patterns hold counts / 4, not photon counts; the Poisson noise model takes them as counts']);
});

test('a mask (load_weight with 4 zeros): exactly those pixels masked, with a warning; the others read unchanged', async () => {
  const p = unpacked('mask.ptyd');
  const m = await measured(p);
  const valid = new Uint8Array(N * N).fill(1);
  for (const [r, c] of cases.masked_pixels_rc) valid[r * N + c] = 0;
  // PtyScan saved the counts as they were, the weights beside them; a masked pixel is read as 0 in every frame
  const expected = Float32Array.from(frames, (a, i) => (valid[i % (N * N)] ? a : 0));
  assert.notDeepEqual(expected, frames);
  assert.deepEqual(m.diffraction, expected);
  assert.ok(m.detectorMask);
  assert.deepEqual(m.detectorMask.valid, valid);
  assert.equal(m.detectorMask.masked, 4);
  assert.deepEqual(m.warnings, [`${p}: key 'chunks/0/weights': 4 pixels of weight 0 masked`]);
});

test('a centre PtyPy rounds to another pixel ([16.6, 16] → [17, 16]) is read with a warning; one 2.4 px off is refused', async () => {
  const rounded = unpacked('center-rounded.ptyd');
  assert.deepEqual(cases.center_rounded, [16.6, 16]);
  const m = await measured(rounded);
  assert.deepEqual(m.diffraction, frames);
  samePositions(m);
  assert.deepEqual(m.warnings, [`${rounded}: key 'meta/center': [16.6, 16], which PtyPy rounds to the pixel [17, 16], is read as the ` +
    "pattern centre [16, 16]: the probe has to take up a tilt of the beam's offset (a crop about the beam re-centres the frames: --crop-center 17,16 with --crop-size)"]);
  assert.deepEqual(cases.center_far, [18.4, 14]);
  const far = unpacked('center-far.ptyd');
  await refusedWith(far, "key 'meta/center': expected the direct beam within 1 pixel of the pattern centre [16, 16], or a crop about the beam " +
    '(--crop-center, --crop-size: only a crop re-centres the frames); found [18.4, 14] (crop them about the beam: --crop-center 19,14 --crop-size 26 (PtyPy\'s pixel ⌈center⌉, ' +
    'the largest window of a side float32 takes, even with no prime factor above 13, that fits inside the frames about it; --crop-size 32, the frames\' own side, re-centres them whole, padding and masking what falls outside them), or prepare the frames again with the beam at their centre: ' +
    'PtyScan with a shape smaller than the raw frames crops them around center and writes center = shape/2)');
  // the crop it names reads the file: the beam at the patterns' centre, no warning
  const r = await readInputData(far, { frames: { crop: { center: [19, 14], size: 24 } } });
  assert.ok(r.format === 'ptyd');
  assert.deepEqual([r.measured.n, r.measured.H, r.measured.W], [4, 24, 24]);
  assert.deepEqual(r.measured.warnings, []);  // and so does the crop of the frames' own side it names, which re-centres them whole (padded, the padding masked)
  const whole = await readInputData(far, { frames: { crop: { center: [19, 14], size: 32 } } });
  assert.ok(whole.format === 'ptyd');
  assert.deepEqual([whole.measured.n, whole.measured.H, whole.measured.W], [4, 32, 32]);
  assert.ok(whole.measured.detectorMask!.masked > 0);
});

test('meta/shape as PtyScan writes it (int64 [2]: the frames\' shape after its crop and rebin) is read and checked against the frames stored', async () => {
  for (const [name, side] of [['scan.ptyd', N], ['scan-transposed.ptyd', N], ['crop.ptyd', N], ['rebin.ptyd', N / cases.rebin], ['mask.ptyd', N]] as const) {
    const m = await measured(cases.files.includes(name) ? unpacked(name) : unpack(name));
    assert.equal(m.keys.frame_shape, 'meta/shape', name);
    assert.deepEqual([m.H, m.W], [side, side], name);
  }
});

test('positions never given (PtyPy wrote None for each frame) are refused saying so; lsqml exits 2 in one line, writing nothing', async () => {
  const p = unpacked('no-positions.ptyd');
  const message = "key 'chunks/0/positions': expected positions [4, 2] in m, (y, x) pairs (one per frame of chunks/0/data); found no " +
    'positions: PtyPy wrote None for each frame, as a PtyScan without positions saves them; prepare the data with positions ' +
    "(the PtyScan's load_positions or positions_theory)";
  await refusedWith(p, message);
  const out = join(dirname(p), 'rec');
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', p, '--out', out,
    '--probe-model', 'aperture:diameter=2e-6,distance=0'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `ptychostudy lsqml: ${p}: ${message}\n`);
  assert.ok(!existsSync(out));
});

test('energy, distance or psize PtyScan saved as None is refused as None, not read as the 0 h5write stores', async () => {
  await refusedWith(unpacked('no-energy.ptyd'), "key 'meta/energy': expected the photon energy in keV; found None: PtyPy wrote no value, " +
    "as a PtyScan without its energy (keV) saves it; prepare the data with the PtyScan's energy set");
  await refusedWith(unpacked('no-distance.ptyd'), "key 'meta/distance': expected the sample–detector distance in m; found None: PtyPy " +
    "wrote no value, as a PtyScan without its distance (m) saves it; prepare the data with the PtyScan's distance set");
  await refusedWith(unpacked('no-psize.ptyd'), "key 'meta/psize': expected the detector pixel size in m: a scalar or [y, x]; found None: " +
    "PtyPy wrote no value, as a PtyScan without its psize (m) saves it; prepare the data with the PtyScan's psize set");
});
