/**
 * Detector frames cropped around the beam and binned (reconstruction.crop, reconstruction.binSize; src/data/hdf5/frames.ts).
 * The file is the CXI fixture's measurement (40 patterns of 32 × 32) written as a detector would record it at twice the
 * sampling: every pixel's count split into 2 × 2 pixels of half the size, placed off centre in 80 × 112 frames whose
 * other pixels hold counts that belong to no pattern. Cropping the 64 × 64 window about the beam and binning it 2 × 2
 * gives the fixture back exactly: counts, positions in metres, detector and object pixel, object frame, probe — and the
 * same reconstruction, array for array. test/fixtures/cxi/frames.cxi is such a file written by h5py (with a CXI mask),
 * and test/fixtures/ptychodus/cxi-crop-bin-by-ptychodus.json what ptychodus's own crop and binning made of it
 * (scripts/ptychodus-read-cxi.py --crop 38,72,64 --bin 2, ptychodus 7ccf581, run unchanged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { summarizeHdf5 } from '../../src/data/inspect-hdf5.js';
import { readMetadata } from '../../src/data/metadata.js';
import { InputError, UsageError } from '../../src/errors.js';
import { loadNpz } from '../../src/npy/npz.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { reconstructionSettingsSha256 } from '../../src/settings/fingerprint.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { commandFor } from '../../src/study/reconstruct/jobs.js';
import { checkStudyProbe } from '../../src/study/run/study.js';
import { exportPtychodusProduct } from '../../src/study/export/ptychodus.js';
import { fixtureEntries, fixtureMeasurement, writeHdf5, writePtyd } from './cxi-builder.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const root = tempDir('crop-bin');
const D = 'entry_1/data_1/data', MASK = 'entry_1/instrument_1/detector_1/mask';
const entries = await fixtureEntries();
const plain = await fixtureMeasurement();
const n = 40, N = 32, FH = 80, FW = 112, Y0 = 6, X0 = 40;
/** The beam in the file's frames: the centre of the 64 × 64 window at rows Y0…, columns X0…. */
const CY = Y0 + N, CX = X0 + N;
const counts = entries[D]!.data as Uint32Array;

// the fixture's counts at twice the sampling: count c split into ⌊c/4⌋ + the rest in the top-left sub-pixel
const fine = new Uint32Array(n * FH * FW);
for (let i = 0; i < n; i++) {
  const f = i * FH * FW;
  for (let p = 0; p < FH * FW; p++) fine[f + p] = 1000 + (p % 7); // outside the window: not the patterns'
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const c = counts[i * N * N + y * N + x]!, q = Math.floor(c / 4);
      const at = f + (Y0 + 2 * y) * FW + X0 + 2 * x;
      fine[at] = c - 3 * q; fine[at + 1] = q; fine[at + FW] = q; fine[at + FW + 1] = q;
    }
  }
}
const px = plain.geometry.detectorPixelM;
const finePath = join(root, 'frames.cxi');
writeHdf5(finePath, {
  ...entries,
  [D]: { data: fine, shape: [n, FH, FW], dtype: '<I', chunks: [1, FH, FW] },
  'entry_1/instrument_1/detector_1/x_pixel_size': { data: px[1] / 2, dtype: '<d' },
  'entry_1/instrument_1/detector_1/y_pixel_size': { data: px[0] / 2, dtype: '<d' },
});
const frames = { crop: { center: [CY, CX] as [number, number], size: 2 * N }, binSize: 2 };

test('a 64 × 64 crop about the beam, binned 2 × 2, gives the fixture\'s patterns, positions and geometry exactly', async () => {
  const m = await readCxi(finePath, { frames });
  assert.deepEqual([m.n, m.H, m.W], [n, N, N]);
  // counts summed, then √: the fixture's float32 amplitudes bit for bit
  assert.deepEqual(m.diffraction, plain.diffraction);
  // positions unchanged in metres, and so in object pixels: the object pixel λz/(N·p) is the fixture's
  assert.deepEqual(m.positionsM, plain.positionsM);
  assert.deepEqual([m.xcoords, m.ycoords, m.objectShape], [plain.xcoords, plain.ycoords, plain.objectShape]);
  assert.deepEqual(m.geometry.detectorPixelM, px, 'the binned detector pixel is 2 × the file\'s');
  assert.deepEqual(m.geometry.objectPixelM, plain.geometry.objectPixelM);
  assert.deepEqual(m.geometry.patternShape, [N, N]);
  // the file's probe is of the patterns' size: read as it is
  assert.deepEqual(m.probe!.data, plain.probe!.data);
  assert.deepEqual(m.frames, {
    file_frame_shape: [FH, FW], crop_center_yx: [CY, CX], crop_size: 64, window_rows: [Y0, Y0 + 64], window_columns: [X0, X0 + 64],
    bin_size: 2, pattern_shape: [N, N], file_pixel_size_m_yx: [px[0] / 2, px[1] / 2],
    how: `file rows ${Y0} … ${Y0 + 63}, columns ${X0} … ${X0 + 63}, 2×2 pixels summed (counts); a binned pixel is masked when any of its pixels is`,
  });
  // without the settings the same file is its whole frames, of which its probe is not
  await assert.rejects(readCxi(finePath), /expected a complex probe \[80, 112\] or \[M, 80, 112\] \(the size of the diffraction patterns\); found shape \[32, 32\]$/);
  // crop alone: the window as stored, the file's pixel; the probe, of another size, is not used (and a reconstruction says so)
  const cropped = await readCxi(finePath, { frames: { crop: frames.crop } });
  assert.deepEqual([cropped.H, cropped.W, cropped.probe], [64, 64, undefined]);
  assert.equal(cropped.probeNotUsed, 'shape [32, 32], not of the 64×64 patterns a 64×64 crop of the 80×112 frames makes');
  assert.deepEqual(cropped.geometry.detectorPixelM, [px[0] / 2, px[1] / 2]);
  assert.equal(cropped.diffraction[5 * 64 * 64 + 64 + 1], Math.fround(Math.sqrt(fine[5 * FH * FW + (Y0 + 1) * FW + X0 + 1]!)));
});

test('the detector mask is cropped and binned with it: a binned pixel is masked when any of its pixels is', async () => {
  const mask = new Uint32Array(FH * FW);
  mask[(Y0 + 2 * 5 + 1) * FW + X0 + 2 * 7] = 1; // one sub-pixel of pattern pixel (5, 7)
  mask[(Y0 + 2 * 9) * FW + X0 + 2 * 3 + 1] = 0x400; // noisy (bit 10): not a "do not use" bit
  mask[0] = 1; mask[FH * FW - 1] = 8; // outside the window
  const path = join(root, 'mask.cxi');
  writeHdf5(path, { ...entries, [D]: { data: fine, shape: [n, FH, FW], dtype: '<I' },
    'entry_1/instrument_1/detector_1/x_pixel_size': { data: px[1] / 2, dtype: '<d' },
    'entry_1/instrument_1/detector_1/y_pixel_size': { data: px[0] / 2, dtype: '<d' },
    [MASK]: { data: mask, shape: [FH, FW], dtype: '<I' } });
  const m = await readCxi(path, { frames });
  assert.equal(m.detectorMask!.masked, 1);
  assert.deepEqual([...m.detectorMask!.valid.keys()].filter((p) => m.detectorMask!.valid[p] === 0), [5 * N + 7]);
  assert.deepEqual(m.maskRecord.sources, [{ source: 'cxi mask', key: MASK, pixels: 1, bits: '0x2ff', pixels_with_other_bits_only_fitted: 1 }]);
  for (let i = 0; i < n; i++) {
    assert.equal(m.diffraction[i * N * N + 5 * N + 7], 0);
    assert.equal(m.diffraction[i * N * N + 9 * N + 3], plain.diffraction[i * N * N + 9 * N + 3]);
  }
});

test('binned sums too large for float32 amplitudes are refused naming the pattern and pixels, unless the detector mask masks the bin', async () => {
  // each value within float32's range as an amplitude (√1e77 ≈ 3.2e38), their 2 × 2 sum not: the amplitude would be Infinity
  const big = Float64Array.from(fine);
  for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) big[1 * FH * FW + (Y0 + 2 * 4 + dy) * FW + X0 + 2 * 6 + dx] = 1e77;
  const write = (name: string, mask?: Uint32Array): string => {
    const path = join(root, name);
    writeHdf5(path, { ...entries, [D]: { data: big, shape: [n, FH, FW], dtype: '<d' },
      'entry_1/instrument_1/detector_1/x_pixel_size': { data: px[1] / 2, dtype: '<d' },
      'entry_1/instrument_1/detector_1/y_pixel_size': { data: px[0] / 2, dtype: '<d' },
      ...(mask ? { [MASK]: { data: mask, shape: [FH, FW], dtype: '<I' } } : {}) });
    return path;
  };
  const path = write('huge.cxi');
  await assert.rejects(readCxi(path, { frames }), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.message, `${path}: key '${D}': expected diffraction data [n, H, W] (counts or intensities, integer or float), whose 2×2 sums (--bin-size 2) ` +
      `are at most 1.158e+77 (amplitudes are float32); found a sum of 4e+77 in pattern 1 over rows ${Y0 + 8} … ${Y0 + 9}, columns ${X0 + 12} … ${X0 + 13}`);
    return true;
  });
  // not binned, each value is read (its amplitude is finite)
  const whole = await readCxi(path, { frames: { crop: { center: [CY, CX], size: 64 } } });
  assert.ok(Number.isFinite(whole.diffraction[64 * 64 + 8 * 64 + 12]!));
  // one of the bin's pixels masked: the bin is masked, its value never fitted
  const mask = new Uint32Array(FH * FW);
  mask[(Y0 + 8) * FW + X0 + 12] = 1;
  const m = await readCxi(write('huge-masked.cxi', mask), { frames });
  assert.equal(m.detectorMask!.valid[4 * N + 6], 0);
  assert.ok(m.diffraction.every((v) => Number.isFinite(v)));
  assert.equal(m.diffraction[N * N + 4 * N + 6], 0);
  assert.equal(m.diffraction[N * N + 4 * N + 7], plain.diffraction[N * N + 4 * N + 7]);
});

test('refused before anything is read, one line naming file, key, expected and found: a centre outside the frames, a bin size that does not divide them', async () => {
  const refused = async (prep: Parameters<typeof readCxi>[1], line: string): Promise<void> => {
    await assert.rejects(readCxi(finePath, prep), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message, line);
      return true;
    });
  };
  // a window may reach outside the frames (padded: test/data/frame-orientation.test.ts), but its centre is a pixel of them
  await refused({ frames: { crop: { center: [CY, 112], size: 64 } } }, `${finePath}: key '${D}': expected reconstruction.crop (--crop-center ${CY},112 --crop-size 64): ` +
    `a centre inside the file's ${FH}×${FW} frames (rows 0 … 79, columns 0 … 111; the window about it may reach outside them: zeros there, masked); found centre [${CY}, 112]`);
  await refused({ frames: { crop: { center: [80, CX], size: 96 } } }, `${finePath}: key '${D}': expected reconstruction.crop (--crop-center 80,${CX} --crop-size 96): ` +
    `a centre inside the file's ${FH}×${FW} frames (rows 0 … 79, columns 0 … 111; the window about it may reach outside them: zeros there, masked); found centre [80, ${CX}]`);
  await refused({ frames: { binSize: 3 } }, `${finePath}: key '${D}': expected reconstruction.binSize (--bin-size 3): a bin size that divides the file's frames' sides; found ${FH}×${FW} frames`);
  // a side that float32 does not take (odd, or a prime factor above 13): a warning, not a refusal
  const m = await readCxi(finePath, { frames: { crop: { center: [CY, CX], size: 45 } } });
  assert.equal(m.H, 45);
  assert.ok(m.warnings.some((w) => w.includes('--crop-center 38,72 --crop-size 45 makes 45×45 patterns, not an even side with no prime factor above 13: ' +
    '--precision float32 (the default) needs one: the reconstruction runs in float64, on the WebAssembly FFT')), m.warnings.join('\n'));
  // an even side with no prime factor above 13 runs in float32: no warning
  const even = await readCxi(finePath, { frames: { crop: { center: [CY, CX], size: 48 } } });
  assert.equal(even.H, 48);
  assert.deepEqual(even.warnings.filter((w) => /float32/.test(w)), []);
});

test('the memory limit applies to the patterns made, not to the whole frames: a crop of frames too large to hold reads within it', async () => {
  const path = join(root, 'noprobe.cxi');
  writeHdf5(path, { ...entries, [D]: { data: fine, shape: [n, FH, FW], dtype: '<I', chunks: [1, FH, FW] },
    'entry_1/instrument_1/source_1/illumination': null });
  const memoryLimit = { bytes: 1_000_000, source: 'a test\'s 1 MB' };
  // the whole frames as float32: 40 × 80 × 112 × 4 = 1.43 MB, refused before anything is read
  await assert.rejects(readCxi(path, { memoryLimit }), /expected values that fit the memory limit of .* \(a test's 1 MB\); found 40 patterns of 80×112 \(float32 amplitudes\), which needs 1\.37 MiB$/);
  // the 64 × 64 window (655 kB), and binned (164 kB), read
  const cropped = await readCxi(path, { memoryLimit, frames: { crop: frames.crop } });
  assert.equal(cropped.diffraction.length, n * 64 * 64);
  const binned = await readCxi(path, { memoryLimit, frames });
  assert.deepEqual(binned.diffraction, plain.diffraction);
  // binned coarsely, the patterns are small but each frame's window is held as float64 to be summed: counted too
  // (80 × 112 × 8 = 71.7 kB beside 40 patterns of 5 × 7, 5.6 kB)
  const small = { bytes: 50_000, source: 'a test\'s 50 kB' };
  await assert.rejects(readCxi(path, { memoryLimit: small, frames: { binSize: 16 } }),
    /key 'entry_1\/data_1\/data': expected values that fit the memory limit of .* \(a test's 50 kB\); found 40 patterns of 5×7 \(float32 amplitudes\) binned from 80×112 windows, each held as float64 intensities, which needs 75\.7 KiB$/);
  const coarse = await readCxi(path, { memoryLimit: { bytes: 100_000, source: 'a test\'s 100 kB' }, frames: { binSize: 16 } });
  assert.deepEqual([coarse.H, coarse.W], [5, 7]);
});

test('the settings: parsed once from the schema (bin size dividing the crop), left out of the settings hash when absent, refused by the simulated study', async () => {
  const s = parseStudySettings({ reconstruction: { crop: { center: [CY, CX], size: 64 }, binSize: 2 } });
  assert.deepEqual([s.reconstruction.crop, s.reconstruction.binSize], [{ center: [CY, CX], size: 64 }, 2]);
  const d = parseStudySettings({});
  assert.ok(!('crop' in d.reconstruction) && !('binSize' in d.reconstruction), 'absent at their defaults: a study\'s files keep their bytes');
  assert.equal(reconstructionSettingsSha256(parseStudySettings({ reconstruction: { binSize: 1 } }).reconstruction), reconstructionSettingsSha256(d.reconstruction));
  assert.throws(() => parseStudySettings({ reconstruction: { crop: { center: [CY, CX], size: 64 }, binSize: 3 } }),
    (err: Error) => err.message === '`reconstruction.binSize` 3: expected a divisor of the crop size 64 (reconstruction.crop.size, --crop-size)');
  assert.throws(() => parseStudySettings({ reconstruction: { crop: { center: [-1, 4], size: 64 } } }), /reconstruction\.crop\.center/);
  await assert.rejects(checkStudyProbe(s), (err: Error) => err instanceof UsageError &&
    err.message.startsWith('reconstruction.crop / reconstruction.binSize: expected them left out, since the study\'s simulated datasets hold patterns of simulation.patchSize, not detector frames'));
});

test('lsqml with the crop and binning: the fixture\'s reconstruction array for array, the frames recorded in _metadata and the export; bad flags refused with nothing written', async () => {
  const settings = { epochs: 3, batchSize: 20, seed: 1 };
  const scan = join(root, 'scan.cxi');
  writeHdf5(scan, entries);
  const a = await runLsqmlJob({ input: scan, outputDir: join(root, 'plain'), settings });
  const b = await runLsqmlJob({ input: finePath, outputDir: join(root, 'cropped'), settings: { ...settings, ...frames } });
  const ka = loadNpz(a.reconstructionNpz), kb = loadNpz(b.reconstructionNpz);
  for (const key of ['reconstructed_object', 'reconstructed_probe', 'loss_history', 'positions']) assert.deepEqual(kb[key]!.data, ka[key]!.data, key);
  const meta = (readMetadata(kb._metadata!) as { value: Record<string, unknown> }).value;
  const geometry = meta.geometry as Record<string, unknown>;
  assert.deepEqual((geometry.frames as Record<string, unknown>).pattern_shape, [N, N]);
  assert.deepEqual(geometry.detector_pixel_size_m_yx, px);
  const recorded = meta.reconstruction_settings as Record<string, unknown>;
  assert.deepEqual([recorded.crop, recorded.binSize], [{ center: [CY, CX], size: 64 }, 2]);
  // the command line that reproduces it names the flags
  const line = commandFor({ settings: parseStudySettings({ reconstruction: frames }).reconstruction, inputNpz: finePath, outputDir: 'o', artifactRoot: root } as never, undefined, true);
  assert.deepEqual(line.slice(-6), ['--crop-center', `${CY},${CX}`, '--crop-size', '64', '--bin-size', '2']);
  // export: the product says which detector pixel the object pixel came from
  const product = await exportPtychodusProduct({ input: join(root, 'cropped'), out: join(root, 'cropped.h5') });
  assert.deepEqual(product.pixelM, plain.geometry.objectPixelM);
  const text = readFileSync(join(root, 'cropped.h5')).toString('utf8');
  assert.ok(text.includes(`patterns [${N}, ${N}] made of the file's [${FH}, ${FW}] frames (file rows ${Y0} … ${Y0 + 63}`), 'the comment is in the product');

  // the CLI: a centre outside the frames, a crop without its size, a bin size that does not divide the crop
  const out = join(root, 'refused');
  assertRefused(ptychostudy(['lsqml', '--input', finePath, '--out', out, '--epochs', '2', '--crop-center', '10,200', '--crop-size', '64']), 'lsqml',
    `${finePath}: key '${D}': expected reconstruction.crop (--crop-center 10,200 --crop-size 64): a centre inside the file's ${FH}×${FW} frames ` +
    '(rows 0 … 79, columns 0 … 111; the window about it may reach outside them: zeros there, masked); found centre [10, 200]');
  assertRefused(ptychostudy(['lsqml', '--input', finePath, '--out', out, '--crop-center', '38,72']), 'lsqml',
    '--crop-center 38,72: expected --crop-size N with it (a crop is a centre and a size); found it missing');
  assertRefused(ptychostudy(['lsqml', '--input', finePath, '--out', out, '--crop-center', '38,72', '--crop-size', '64', '--bin-size', '3']), 'lsqml',
    '--bin-size 3: expected a divisor of the crop size 64 (reconstruction.crop.size, --crop-size)');
  // crop alone: the file's probe is of the frames' sampling, not the patterns': named, with the ways to give one
  assertRefused(ptychostudy(['lsqml', '--input', finePath, '--out', out, '--epochs', '2', '--crop-center', '38,72', '--crop-size', '64']), 'lsqml',
    `${finePath}: key 'entry_1/instrument_1/source_1/illumination': expected the probe of the 64×64 patterns (complex [64, 64] or [M, 64, 64]); found shape [32, 32], ` +
    'not of the 64×64 patterns a 64×64 crop of the 80×112 frames makes; give --probe-model aperture:diameter=…|fzp:diameter=…,outer-zone=…,defocus=… or --init-probe file:PATH');
  assert.ok(!existsSync(out), 'nothing written');
});

test('PtyPy .ptyd frames: the same crop and binning, meta/center checked against the crop\'s centre', async () => {
  const ptyd = (center: number[]): string => {
    const pos = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) { pos[2 * i] = plain.positionsM.y[i]!; pos[2 * i + 1] = plain.positionsM.x[i]!; }
    // two chunks of 20 frames, as PtyScan writes them; no meta/shape (the frames' shape is the data's)
    return writePtyd(join(root, `frames-${center.join('-')}.ptyd`), Float64Array.from(fine), [n, FH, FW], {
      positionsM: pos, energyKeV: plain.geometry.energyEv / 1e3, distanceM: plain.geometry.distanceM, psizeM: [px[0] / 2, px[1] / 2], center, chunks: 2, shape: false,
    });
  };
  const { readPtydFrom } = await import('../../src/data/ptypy.js');
  const { withHdf5 } = await import('../../src/data/hdf5/reader.js');
  const m = await withHdf5(ptyd([CY, CX]), (r) => readPtydFrom(r, { frames }));
  assert.deepEqual([m.n, m.H, m.W], [n, N, N]);
  assert.deepEqual(m.diffraction, plain.diffraction);
  assert.deepEqual(m.positionsM, plain.positionsM);
  assert.deepEqual(m.geometry.detectorPixelM, px);
  assert.ok(!m.warnings.some((w) => w.includes('meta/center')), m.warnings.join('\n'));
  // a centre far from the crop's: said; without the crop, refused as before (no re-centring)
  const far = await withHdf5(ptyd([CY + 3, CX]), (r) => readPtydFrom(r, { frames }));
  assert.ok(far.warnings.some((w) => w.endsWith(`key 'meta/center': [${CY + 3}, ${CX}], more than 1 pixel from the crop's centre [${CY}, ${CX}] (--crop-center), which is put at the patterns' centre`)), far.warnings.join('\n'));
  await assert.rejects(withHdf5(ptyd([CY, CX]), (r) => readPtydFrom(r, {})), /key 'meta\/center': expected the direct beam within 1 pixel of the pattern centre \[40, 56\]/);
  // read for LSQML (squarePatterns), the whole 80 × 112 frames are refused from the chunks' shape first, with the advice to crop
  await assert.rejects(withHdf5(ptyd([CY, CX]), (r) => readPtydFrom(r, { squarePatterns: true })), (e: Error) => e instanceof InputError &&
    e.message.endsWith(`key 'chunks/0/data, chunks/1/data': expected square diffraction patterns for LSQML (H = W); found ${FH}×${FW}: crop the detector frames to a square about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${join(root, `frames-${CY}-${CX}.ptyd`)}\` says where the beam is and suggests both)`));
  // within 1 pixel, but PtyPy's axis (⌈center⌉) another pixel than the crop's centre: said, as without a crop for the frames' centre
  const rounded = await withHdf5(ptyd([CY + 0.6, CX]), (r) => readPtydFrom(r, { frames }));
  assert.ok(rounded.warnings.some((w) => w.endsWith(`key 'meta/center': [${CY + 0.6}, ${CX}], which PtyPy rounds to the pixel [${CY + 1}, ${CX}], is not the crop's centre ` +
    `[${CY}, ${CX}] (--crop-center), which is put at the patterns' centre: the probe has to take up a tilt of the beam's offset (--crop-center ${CY + 1},${CX} puts PtyPy's pixel there)`)),
  rounded.warnings.join('\n'));
  const same = await withHdf5(ptyd([CY - 0.5, CX]), (r) => readPtydFrom(r, { frames }));
  assert.ok(!same.warnings.some((w) => w.includes('meta/center')), same.warnings.join('\n'));
});

test('against ptychodus\'s own crop and binning of frames.cxi: the same counts, pixel sizes and object pixel; its bad pixels a subset of our mask', async () => {
  interface Processed {
    crop_center_yx: number[]; crop_size: number; bin_size: number; patterns_shape: number[]; counts_sum_per_pattern: number[];
    patterns_int64_le_sha256: string; bad_pixels_flat: number[]; pixel_width_m: number; pixel_height_m: number;
    object_plane: { wavelength_m: number; pixel_width_m: number; pixel_height_m: number };
  }
  const record = JSON.parse(readFileSync('test/fixtures/ptychodus/cxi-crop-bin-by-ptychodus.json', 'utf8')) as { files: Record<string, { processed: Processed }> };
  const theirs = record.files['frames.cxi']!.processed;
  const prep = { crop: { center: [theirs.crop_center_yx[0]!, theirs.crop_center_yx[1]!] as [number, number], size: theirs.crop_size }, binSize: theirs.bin_size };
  assert.deepEqual(prep, frames, 'the fixture was made with the crop and binning of this file\'s tests');
  // counts: every pixel as read (the mask off), amplitude² back to the integer count
  const m = await readCxi('test/fixtures/cxi/frames.cxi', { frames: prep, detectorMask: false });
  assert.deepEqual([m.n, m.H, m.W], theirs.patterns_shape);
  const ints = new BigInt64Array(m.diffraction.length);
  for (let i = 0; i < ints.length; i++) ints[i] = BigInt(Math.round(m.diffraction[i]! ** 2));
  assert.equal(createHash('sha256').update(new Uint8Array(ints.buffer)).digest('hex'), theirs.patterns_int64_le_sha256);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let p = 0; p < N * N; p++) sum += Number(ints[i * N * N + p]!);
    assert.equal(sum, theirs.counts_sum_per_pattern[i], `pattern ${i}`);
  }
  assert.deepEqual(m.diffraction, plain.diffraction, 'and the fixture\'s scan.cxi');
  assert.deepEqual(m.geometry.detectorPixelM, [theirs.pixel_height_m, theirs.pixel_width_m]);
  const ulps = (a: number, b: number): number => Math.abs(a - b) / (Math.abs(b) * Number.EPSILON);
  assert.ok(ulps(m.geometry.objectPixelM[0], theirs.object_plane.pixel_height_m) <= 4, `${m.geometry.objectPixelM[0]} vs ${theirs.object_plane.pixel_height_m}`);
  assert.ok(ulps(m.geometry.objectPixelM[1], theirs.object_plane.pixel_width_m) <= 4);
  // the mask: ptychodus keeps a binned pixel unless all its pixels are bad (numpy.logical_and.reduce), this reader
  // masks it when any is: the bin (20, 3) with all four saturated is masked by both, (5, 7) with one invalid by ours only
  const masked = await readCxi('test/fixtures/cxi/frames.cxi', { frames: prep });
  const ours = [...masked.detectorMask!.valid.keys()].filter((p) => masked.detectorMask!.valid[p] === 0);
  assert.deepEqual(theirs.bad_pixels_flat, [20 * N + 3]);
  assert.deepEqual(ours, [5 * N + 7, 20 * N + 3]);
});

test('inspect --check with the crop and binning says how the patterns are made; an NPZ is refused', async () => {
  const s = await summarizeHdf5(finePath, { check: true, frames });
  assert.ok(s.check!.valid, s.check!.violations.join('\n'));
  assert.ok(s.check!.reads.includes(`CXI: ${n} patterns of ${N}×${N}`), s.check!.reads.join('\n'));
  assert.ok(s.check!.reads.some((l) => l.startsWith(`frames: ${FH}×${FW} in the file → ${N}×${N} patterns: file rows ${Y0} … ${Y0 + 63}`)), s.check!.reads.join('\n'));
  assert.deepEqual(s.check!.frames, (await readCxi(finePath, { frames })).frames);
  // a dataset NPZ holds patterns already made: refused as a reconstruction refuses it, in the same words
  const npz = 'test/fixtures/numpy/phase_c_dataset.npz';
  const line = `${npz}: reconstruction.crop / reconstruction.binSize / reconstruction.orientation (--crop-center, --crop-size, --bin-size, --orientation): expected measured data holding ` +
    'detector frames (CXI, PtyPy .ptyd); found a dataset NPZ, whose patterns are not cropped, binned or oriented here: leave the settings out';
  const r = ptychostudy(['inspect', '--check', '--json', '--bin-size', '2', npz]);
  assert.equal(r.status, 2, r.stderr);
  assert.ok((JSON.parse(r.stdout) as { check: { violations: string[] } }[])[0]!.check.violations.includes(line), r.stdout);
  const out = join(root, 'npz-out');
  assertRefused(ptychostudy(['lsqml', '--input', npz, '--out', out, '--epochs', '2', '--bin-size', '2']), 'lsqml', line.replace(npz, resolve(npz)));
  assert.ok(!existsSync(out), 'nothing written');
  assertRefused(ptychostudy(['inspect', '--bin-size', '2', npz]), 'inspect',
    '--bin-size: expected with --check (they say how a reconstruction makes the patterns of the detector frames); found without --check');
});
