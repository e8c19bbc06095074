/** Non-square patterns are refused by an LSQML job with a line that names the key they were read from. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-nonsquare-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('32×30 diffraction patterns: lsqml refuses them naming the file and the key diffraction, and that an NPZ\'s patterns are not cropped here', () => {
  const n = 8, H = 32, W = 30;
  const probe = new Float32Array(2 * H * W);
  for (let i = 0; i < H * W; i++) probe[2 * i] = 1;
  const object = new Float32Array(2 * 64 * 64);
  for (let i = 0; i < 64 * 64; i++) object[2 * i] = 1;
  const coords = Float64Array.from({ length: n }, (_, i) => 20 + i);
  const file = join(root, 'oblong.npz');
  saveNpz(file, {
    diffraction: { dtype: '<f4', shape: [n, H, W], data: new Float32Array(n * H * W).fill(1) },
    probeGuess: { dtype: '<c8', shape: [H, W], data: probe },
    objectGuess: { dtype: '<c8', shape: [64, 64], data: object },
    xcoords: { dtype: '<f8', shape: [n], data: coords }, ycoords: { dtype: '<f8', shape: [n], data: Float64Array.from(coords) },
  });
  const out = join(root, 'o');
  const npzAdvice = ": a dataset NPZ's patterns are used as stored (--crop-center, --crop-size crop the detector frames of CXI and .ptyd files only): " +
    'crop them to a square about the direct beam where the NPZ is written';
  const line = `${file}: key 'diffraction': expected square diffraction patterns for LSQML (H = W); found 32×30${npzAdvice}`;
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2']), 'lsqml', line);
  assert.ok(!existsSync(out), 'nothing written');
  // refused from diffraction's header, before any member is inflated: under a memory limit the file's arrays (70 KiB)
  // and the job do not fit, but the headers do, the same line comes, not the memory refusal
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2'], { env: { PTYCHOSTUDY_MEMORY_LIMIT: '40K' } }), 'lsqml', line);
  assert.ok(!existsSync(out), 'nothing written');
  // inspect --check lists it as lsqml refuses it
  const check = ptychostudy(['inspect', '--check', file]);
  assert.equal(check.status, 2, check.stderr);
  assert.ok(check.stdout.split('\n').includes(`  ${line}`), check.stdout);
  // a legacy [H, W, n] stack (its last axis the coordinates' count): the same line, from the header too
  const legacy = join(root, 'oblong-legacy.npz');
  saveNpz(legacy, {
    diffraction: { dtype: '<f4', shape: [H, W, n], data: new Float32Array(n * H * W).fill(1) },
    probeGuess: { dtype: '<c8', shape: [H, W], data: probe },
    xcoords: { dtype: '<f8', shape: [n], data: coords }, ycoords: { dtype: '<f8', shape: [n], data: Float64Array.from(coords) },
  });
  assertRefused(ptychostudy(['lsqml', '--input', legacy, '--out', out, '--epochs', '2'], { env: { PTYCHOSTUDY_MEMORY_LIMIT: '20K' } }), 'lsqml',
    `${legacy}: key 'diffraction': expected square diffraction patterns for LSQML (H = W); found 32×30${npzAdvice}`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('a CXI file of whole detector frames (32×30): the refusal says to crop them about the beam, and where to find it', async () => {
  const { fixtureEntries, writeHdf5 } = await import('../data/cxi-builder.js');
  const entries = await fixtureEntries();
  const D = 'entry_1/data_1/data', counts = entries[D]!.data as Uint32Array;
  const cut = new Uint32Array(40 * 32 * 30);
  for (let i = 0; i < 40 * 32; i++) cut.set(counts.subarray(i * 32 + 1, i * 32 + 31), i * 30);
  const file = join(root, 'frames.cxi');
  writeHdf5(file, { ...entries, [D]: { data: cut, shape: [40, 32, 30], dtype: '<I' }, 'entry_1/instrument_1/source_1/illumination': null });
  const out = join(root, 'f');
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2', '--probe-model', 'aperture:diameter=1e-6']), 'lsqml',
    `${file}: key '${D}': expected square diffraction patterns for LSQML (H = W); found 32×30: crop the detector frames to a square about the ` +
    `direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${file}\` says where the beam is and suggests both)`);
  assert.ok(!existsSync(out), 'nothing written');
  // under a memory limit the 40 patterns' amplitudes (150 KiB) do not fit, the same line: refused before the read
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2', '--probe-model', 'aperture:diameter=1e-6'],
    { env: { PTYCHOSTUDY_MEMORY_LIMIT: '100K' } }), 'lsqml', `${file}: key '${D}': expected square diffraction patterns for LSQML (H = W); found 32×30: ` +
    `crop the detector frames to a square about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${file}\` says where the beam is and suggests both)`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('whole 80×112 frames (frames.cxi): refused from the dataset\'s shape before the read, also under a memory limit the stack would not fit', () => {
  // the 40 frames take 1.4 MB as float32 amplitudes, the whole-frame mask and the sum that finds the beam hundreds of
  // KiB; the header, the geometry and the positions (960 bytes) fit 100 KiB: the square advice, not a memory refusal
  const file = resolve('test/fixtures/cxi/frames.cxi'), D = 'entry_1/data_1/data';
  const line = `${file}: key '${D}': expected square diffraction patterns for LSQML (H = W); found 80×112: crop the detector frames to a square ` +
    `about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${file}\` says where the beam is and suggests both)`;
  const env = { PTYCHOSTUDY_MEMORY_LIMIT: '100K' };
  const out = join(root, 'frames');
  // its 32 × 32 illumination, not of the frames' size, is not what is refused either: the patterns' shape comes first
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2'], { env }), 'lsqml', line);
  assert.ok(!existsSync(out), 'nothing written');
  const check = ptychostudy(['inspect', '--check', file], { env });
  assert.equal(check.status, 2, check.stderr);
  assert.ok(check.stdout.split('\n').includes(`  ${line}`), check.stdout);
  // without --check, inspect reports the file (its tree), whatever the frames' shape
  const plain = ptychostudy(['inspect', file]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /entry_1\/instrument_1\/detector_1\/data +dataset +<u4 +\(40, 80, 112\)/);
  assert.match(plain.stdout, /crop them about it with --crop-center 38,73 --crop-size 72/);
});
