/**
 * Where the direct beam is (src/data/hdf5/beam.ts): `inspect` of measured data says it — the centre of mass of the
 * bright part of the summed pattern and its brightest pixel, in the file's pixels — and suggests a crop about it.
 * Files whose beam is placed here: a Gaussian spot at [21, 47] of 60 × 90 frames over a flat background, with and
 * without a beam stop (a 5 × 5 masked centre); test/fixtures/cxi/frames.cxi, whose direct beam make-cxi-fixture.py
 * --frames spread over rows 38–39 and columns 72–73; a PtyPy fixture with a masked pixel at its beam.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { summarizeHdf5 } from '../../src/data/inspect-hdf5.js';
import { BEAM_PATTERNS, beamLines, evenIndices, type BeamEstimate } from '../../src/data/hdf5/beam.js';
import { writeHdf5 } from './cxi-builder.js';
import { ptychostudy } from './cli-run.js';
import { ptypyUnpacker } from './ptypy-fixtures.js';
import { tempDir } from '../tmp.js';

const root = tempDir('beam');
const unpack = ptypyUnpacker('ptychostudy-beam-');
const D = 'entry_1/data_1/data', MASK = 'entry_1/instrument_1/detector_1/mask';
const n = 100, H = 60, W = 90, BY = 21, BX = 47;
// the spot is symmetric about [BY, BX] (so is its rounding): its centre of mass is the beam's pixel exactly
const frames = new Uint16Array(n * H * W);
for (let i = 0; i < n; i++) {
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) frames[i * H * W + y * W + x] = 5 + Math.round(20000 * Math.exp(-((y - BY) ** 2 + (x - BX) ** 2) / 18));
}
frames[3 * W + 4] = 65535; // pattern 0: the largest uint16, a gap or saturated pixel: left out
const spot = join(root, 'spot.cxi');
writeHdf5(spot, { [D]: { data: frames, shape: [n, H, W], dtype: '<H' } });
const stopMask = new Uint32Array(H * W);
for (let y = BY - 2; y <= BY + 2; y++) for (let x = BX - 2; x <= BX + 2; x++) stopMask[y * W + x] = 1 << 4; // shadowed
const stopped = join(root, 'stopped.cxi');
writeHdf5(stopped, { [D]: { data: frames, shape: [n, H, W], dtype: '<H' }, [MASK]: { data: stopMask, shape: [H, W], dtype: '<I' } });

const beamOf = async (path: string): Promise<BeamEstimate> => {
  const b = (await summarizeHdf5(path)).beam;
  assert.ok(b !== undefined && !('error' in b), JSON.stringify(b));
  return b;
};

test('a spot placed at [21, 47]: found there, summed over 64 patterns evenly spread, the crop about it suggested', async () => {
  const b = await beamOf(spot);
  assert.deepEqual(b.centre_yx, [BY, BX]);
  assert.deepEqual(b.brightest_pixel_yx, [BY, BX]);
  const k = BEAM_PATTERNS;
  assert.equal(b.brightest_value, k * 20005);
  assert.equal(b.background, k * 5);
  assert.equal(b.threshold, k * 5 + 0.1 * k * 20000);
  assert.equal(b.pixels_left_out, 1); // the largest uint16 in pattern 0
  assert.equal(b.patterns, n);
  assert.equal(b.patterns_summed.length, BEAM_PATTERNS);
  assert.deepEqual(b.patterns_summed, evenIndices(n, BEAM_PATTERNS));
  assert.deepEqual([b.patterns_summed[0], b.patterns_summed[1], b.patterns_summed[63]], [0, 2, 99]);
  assert.equal(b.frames_centred, false);
  // the largest even side with no prime factor above 13 whose window fits about row 21: 2·21 = 42 = 2·3·7 (a power of two: 32)
  assert.deepEqual(b.suggestion, { crop_center: [BY, BX], crop_size: 42, flags: '--crop-center 21,47 --crop-size 42' });
  assert.deepEqual(b.notes, []);
  // the command's text and JSON say the same
  const r = ptychostudy(['inspect', spot]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes(`direct beam: centre [21, 47] (centre of mass of the summed pattern above 10 % of the way from its background 320 to its ` +
    `brightest pixel), brightest pixel [21, 47] (1280320); [y, x] in the file's 60×90 frames; 64 of the 100 patterns (evenly spread) summed, 1 masked pixel left out\n` +
    `  the frames are not centred on it (their centre is [30, 45]) and not square of a side float32 takes (even, no prime factor above 13): crop them about it with --crop-center 21,47 --crop-size 42\n` +
    `  next: ptychostudy inspect --check --crop-center 21,47 --crop-size 42 ${spot}\n`), r.stdout);
  // with --check the file is read as it is (its own check says what is wrong): no next command
  assert.doesNotMatch(ptychostudy(['inspect', '--check', spot]).stdout, /next: /);
  const j = ptychostudy(['inspect', '--json', spot]);
  assert.equal(j.status, 0, j.stderr);
  assert.deepEqual((JSON.parse(j.stdout) as { beam: unknown }[])[0]!.beam, JSON.parse(JSON.stringify(b)));
});

test('a beam stop (its 5 × 5 centre masked): the centre of mass of the ring is still the beam, the brightest pixel is not, and a note says so', async () => {
  const b = await beamOf(stopped);
  assert.deepEqual(b.centre_yx, [BY, BX]);
  assert.deepEqual(b.brightest_pixel_yx, [BY - 3, BX]); // the first of the ring's four brightest in row-major order
  assert.equal(b.pixels_left_out, 26);
  assert.equal(b.suggestion!.flags, '--crop-center 21,47 --crop-size 42');
  assert.equal(b.notes.length, 1);
  assert.match(b.notes[0]!, /^the brightest pixel is 3 pixels from the centre: a beam stop, a saturated or masked centre/);
  assert.ok(beamLines(b).includes(`  note: ${b.notes[0]}`));
});

test('frames.cxi: its beam, split over rows 38–39 and columns 72–73, is found between them; plain inspect and --check both say it', async () => {
  const path = 'test/fixtures/cxi/frames.cxi';
  const b = await beamOf(path);
  // each count of the fixture's DC pixel is split into the 2 × 2 pixels [38 … 39, 72 … 73], the most into the top-left
  assert.deepEqual(b.brightest_pixel_yx, [38, 72]);
  assert.ok(Math.abs(b.centre_yx![0] - 38.5) < 0.05 && Math.abs(b.centre_yx![1] - 72.5) < 0.05, String(b.centre_yx));
  assert.deepEqual(b.centre_yx, [38.49, 72.52]);
  // the 1000 + (index mod 7) counts of every pixel outside the window are the background, not the beam
  assert.equal(b.background, 40000);
  assert.equal(b.pixels_left_out, 7); // the CXI mask's "do not use" pixels
  assert.deepEqual(b.suggestion, { crop_center: [38, 73], crop_size: 72, flags: '--crop-center 38,73 --crop-size 72' });
  const c = await summarizeHdf5(path, { check: true });
  assert.deepEqual(c.beam, b);
});

test('a .ptyd whose beam pixel has weight 0: left out, the frames said centred on the beam (no crop)', async () => {
  const path = unpack('mask.ptyd');
  const b = await beamOf(path);
  assert.equal(b.frames_centred, true);
  assert.equal(b.suggestion, null);
  assert.equal(b.pixels_left_out, 4); // the fixture's four pixels of weight 0, its beam pixel [16, 16] one of them
  assert.deepEqual(b.brightest_pixel_yx, [15, 16]);
  // the centre of mass of the bright pixels whose mirror image about it is not left out (the fixture's DC is at [16, 16])
  assert.deepEqual(b.centre_yx, [15.73, 16.15]);
  assert.ok(beamLines(b).includes('  the frames are centred on it: no crop is needed'));
});

test('hot pixels the mask does not flag, bright in every pattern but alone: left out of the centre and named; the beam still found', async () => {
  // the spot's frames with two unflagged hot pixels far from the beam: one brighter than the beam, one above the threshold
  const hot = Uint16Array.from(frames);
  const HOT: [number, number, number][] = [[55, 3, 60000], [4, 85, 5000]];
  for (let i = 0; i < n; i++) for (const [y, x, v] of HOT) hot[i * H * W + y * W + x] = v;
  const path = join(root, 'hot.cxi');
  writeHdf5(path, { [D]: { data: hot, shape: [n, H, W], dtype: '<H' } });
  const b = await beamOf(path);
  assert.deepEqual(b.centre_yx, [BY, BX]);
  assert.deepEqual(b.brightest_pixel_yx, [BY, BX]);
  assert.equal(b.brightest_value, BEAM_PATTERNS * 20005);
  assert.deepEqual(b.isolated_pixels_yx, [[4, 85], [55, 3]]);
  assert.equal(b.suggestion!.flags, '--crop-center 21,47 --crop-size 42');
  assert.deepEqual(b.notes, ['2 pixels bright but alone (no unmasked neighbour above the threshold) left out of the centre: [4, 85], [55, 3], ' +
    'hot pixels the detector mask does not flag? A crop that holds them fits them as counts']);
  // the spot itself, and a beam stop's ring, are not alone: nothing is left out of them
  assert.deepEqual((await beamOf(spot)).isolated_pixels_yx, []);
  assert.deepEqual((await beamOf(stopped)).isolated_pixels_yx, []);
});

test('a beam of one pixel (all its neighbours dark) is still the beam: alone but nothing brighter that is not', async () => {
  const one = new Uint16Array(4 * 16 * 16);
  for (let i = 0; i < 4; i++) { one.fill(2, i * 256, (i + 1) * 256); one[i * 256 + 5 * 16 + 9] = 3000; }
  const path = join(root, 'one.cxi');
  writeHdf5(path, { [D]: { data: one, shape: [4, 16, 16], dtype: '<H' } });
  const b = await beamOf(path);
  assert.deepEqual(b.centre_yx, [5, 9]);
  assert.deepEqual(b.isolated_pixels_yx, []);
});

test('a detector gap beside the beam (two masked columns, 2 and 3 pixels left of it): the centre is not pushed away from it', async () => {
  const gapMask = new Uint32Array(H * W);
  for (let y = 0; y < H; y++) gapMask[y * W + BX - 3] = gapMask[y * W + BX - 2] = 512; // missing: a module gap
  const path = join(root, 'gap.cxi');
  writeHdf5(path, { [D]: { data: frames, shape: [n, H, W], dtype: '<H' }, [MASK]: { data: gapMask, shape: [H, W], dtype: '<I' } });
  const b = await beamOf(path);
  // the pixels whose mirror images the gap holds are left out with it: the spot's centre of mass is its centre again
  assert.deepEqual(b.centre_yx, [BY, BX]);
  assert.equal(b.suggestion!.flags, '--crop-center 21,47 --crop-size 42');
});

test('inspect --check with a crop says whether the beam found lands at the patterns\' centre, or how far from it (binned: in pattern pixels)', () => {
  // frames.cxi's beam is at [38.49, 72.52] (above)
  const frames = 'test/fixtures/cxi/frames.cxi';
  const check = (...flags: string[]): string => { const r = ptychostudy(['inspect', '--check', ...flags, frames]); assert.equal(r.status, 0, r.stderr); return r.stdout; };
  const centred = '\n  direct beam: at the patterns\' centre (within half a pattern pixel), where the engine puts it\n';
  assert.ok(check('--crop-center', '38,73', '--crop-size', '64').includes(centred));
  assert.ok(check('--crop-center', '38,76', '--crop-size', '64').includes('\n  warning: the direct beam found above ([38.49, 72.52] in the file\'s pixels) lies ' +
    '[0.49, -3.48] pattern pixels from the patterns\' centre, where the engine puts it: the crop is not centred on the beam (suggested: --crop-center 38,73 --crop-size 72)\n'));
  // binned 2 × 2, the centre pixel holds file pixels 38 … 39 and 72 … 73, whose middle [38.5, 72.5] is the beam's
  assert.ok(check('--crop-center', '38,72', '--crop-size', '64', '--bin-size', '2').includes(centred));
  assert.ok(check('--crop-center', '36,72', '--crop-size', '64', '--bin-size', '2').includes('lies [1, 0.01] pattern pixels from the patterns\' centre'));
  // with a crop, no crop is suggested as if none were given: only where the beam lands (the warning names the suggestion)
  for (const at of ['38,73', '38,76']) {
    const out = check('--crop-center', at, '--crop-size', '64');
    assert.doesNotMatch(out, /the frames are not centred on it|crop them about it with|no crop is needed|\n {2}next: /, out);
  }
  // a crop the check refuses (its centre outside the frames) lands nowhere: the suggestion stays, the one help left
  const outside = ptychostudy(['inspect', '--check', '--crop-center', '10,200', '--crop-size', '64', frames]);
  assert.equal(outside.status, 2, outside.stderr);
  assert.match(outside.stdout, /\n {2}the frames are not centred on it \(their centre is \[40, 56\]\) and not square of a side float32 takes \(even, no prime factor above 13\): crop them about it with --crop-center 38,73 --crop-size 72\n/);
  // without a crop, nothing is said of it
  assert.doesNotMatch(ptychostudy(['inspect', '--check', 'test/fixtures/cxi/scan.cxi']).stdout, /direct beam: at the patterns|the crop is not centred/);
});

test('patterns chunked many to a chunk: the estimate reads as many as cost 64 patterns\' inflation, not 64 whole chunks', async () => {
  // HDF5 inflates a chunk whole for each read: 64 patterns read one by one from a chunk of 1024 (a 250 KB file, one
  // gzip'd chunk of 256 MiB) took 64 × 1 s; here 100 patterns in chunks of 25: 64 / 25 → 2 reads, first and last
  const file = join(root, 'chunked-25.cxi');
  writeHdf5(file, { [D]: { data: frames, shape: [n, H, W], dtype: '<H', chunks: [25, H, W], gzip: 4 } });
  const b = await beamOf(file);
  assert.deepEqual(b.patterns_summed, [0, 99]);
  assert.deepEqual(b.centre_yx, [BY, BX]);
  // all 100 in one chunk: one read, the first pattern
  const whole = join(root, 'chunked-100.cxi');
  writeHdf5(whole, { [D]: { data: frames, shape: [n, H, W], dtype: '<H', chunks: [n, H, W], gzip: 4 } });
  assert.deepEqual((await beamOf(whole)).patterns_summed, [0]);
  // one pattern to a chunk: 64 patterns, as before
  const single = join(root, 'chunked-1.cxi');
  writeHdf5(single, { [D]: { data: frames, shape: [n, H, W], dtype: '<H', chunks: [1, H, W], gzip: 4 } });
  assert.equal((await beamOf(single)).patterns_summed.length, BEAM_PATTERNS);
});
