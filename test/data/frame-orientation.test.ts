/**
 * Frames as the detector wrote them (reconstruction.orientation, and reconstruction.crop reaching outside the frames;
 * src/data/hdf5/frames.ts). The reference is numpy's: test/fixtures/frames/reference.json, written by
 * scripts/frame-orientation-reference.py from oriented.cxi (3 patterns of 6 × 8 counts, a CXI mask, a probe) —
 * ptychodus's flips and transpose (numpy.flip, numpy.transpose) in its order, PtyPy's orientation 0–7 as its
 * switch_orientation defines it, and windows reaching outside the frames zero-padded (numpy.pad), binned and oriented.
 * The reader's patterns, detector mask and probe are compared with them value for value. PtyPy's own file written with
 * orientation 4 reads, with --orientation 4, the fixture's frames; scan.cxi written flipped left–right reconstructs,
 * with --orientation flip-horizontal, to the same object as scan.cxi.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { orientationNames, orientationOf, type OrientationName } from '../../src/data/hdf5/frames.js';
import { readMetadata } from '../../src/data/metadata.js';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { readInputPatterns } from '../../src/study/report/input-patterns.js';
import { loadNpz } from '../../src/npy/npz.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { reconstructionSettingsSha256 } from '../../src/settings/fingerprint.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { commandFor } from '../../src/study/reconstruct/jobs.js';
import { measured, ptypyUnpacker } from './ptypy-fixtures.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { fixtureEntries, writeHdf5 } from './cxi-builder.js';
import { tempDir } from '../tmp.js';

const dir = 'test/fixtures/frames';
const file = join(dir, 'oriented.cxi');
interface Case { shape: [number, number, number]; counts: number[]; masked: number[]; probe?: number[] }
interface Reference {
  names: (Case & { orientation: OrientationName[] })[];
  ptypy: (Case & { orientation: number; same_as: OrientationName[] })[];
  crops: (Case & { center: [number, number]; size: number; bin: number; orientation: OrientationName[]; outside_pixels: number })[];
}
const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
const root = tempDir('frame-orientation');

/** The reader's patterns, mask and probe against a case of the reference: amplitudes √counts (0 where masked). */
function assertCase(m: Awaited<ReturnType<typeof readCxi>>, c: Case, what: string): void {
  assert.deepEqual([m.n, m.H, m.W], c.shape, what);
  const masked = new Set(c.masked);
  const expected = Float32Array.from(c.counts, (v, i) => masked.has(i % (m.H * m.W)) ? 0 : Math.sqrt(v));
  assert.deepEqual(m.diffraction, expected, what);
  const valid = m.detectorMask?.valid ?? new Uint8Array(m.H * m.W).fill(1);
  assert.deepEqual([...valid.keys()].filter((p) => valid[p] === 0), c.masked, `${what}: masked pixels`);
  if (c.probe) {
    assert.deepEqual([m.probe!.height, m.probe!.width], [m.H, m.W], what);
    assert.deepEqual(Array.from(m.probe!.data), c.probe, `${what}: probe`);
  }
}

test('every flip and transpose (ptychodus\'s names, in its order) reads numpy\'s patterns, mask and probe; positions unchanged', async () => {
  assert.equal(ref.names.length, 8);
  const plain = await readCxi(file);
  for (const c of ref.names) {
    const m = await readCxi(file, { frames: { orientation: c.orientation } });
    assertCase(m, c, c.orientation.join('+') || 'none');
    assert.deepEqual(m.positionsM, plain.positionsM);
    // a transpose swaps the detector pixel's sides (equal here) and the patterns' shape, so the object pixel's
    assert.deepEqual(m.geometry.objectPixelM, c.orientation.includes('transpose') ? [...plain.geometry.objectPixelM].reverse() : plain.geometry.objectPixelM);
    if (c.orientation.length > 0) assert.deepEqual((m.frames as Record<string, unknown>).orientation, c.orientation);
  }
  // the order of the list does not matter: the names apply in ptychodus's order
  assert.deepEqual((await readCxi(file, { frames: { orientation: ['transpose', 'flipHorizontal'] } })).diffraction,
    (await readCxi(file, { frames: { orientation: ['flipHorizontal', 'transpose'] } })).diffraction);
});

test('PtyPy\'s orientation 0–7 (switch_orientation: transpose, then flipud, then fliplr) reads as PtyPy orients the frames', async () => {
  assert.equal(ref.ptypy.length, 8);
  for (const c of ref.ptypy) {
    assert.deepEqual(orientationNames(orientationOf(c.orientation)), c.same_as, `orientation ${c.orientation}`);
    assertCase(await readCxi(file, { frames: { orientation: c.orientation } }), c, `PtyPy orientation ${c.orientation}`);
  }
});

test('a file PtyPy\'s PtyScan saved with orientation 4 reads, with orientation 4, the frames of the file saved without', async () => {
  const unpacked = ptypyUnpacker('ptychostudy-orientation-');
  const plain = await measured(unpacked('scan.ptyd'));
  const path = unpacked('scan-transposed.ptyd');
  const { readPtydFrom } = await import('../../src/data/ptypy.js');
  const { withHdf5 } = await import('../../src/data/hdf5/reader.js');
  for (const orientation of [4, ['transpose'] as OrientationName[]]) {
    const t = await withHdf5(path, (r) => readPtydFrom(r, { frames: { orientation } }));
    assert.deepEqual(t.diffraction, plain.diffraction);
    assert.deepEqual(t.positionsM, plain.positionsM);
    assert.deepEqual(t.objectShape, plain.objectShape);
  }
  assert.notDeepEqual((await measured(path)).diffraction, plain.diffraction);
});

test('a crop reaching outside the frames: zeros there, masked (any pixel of a bin), binned and oriented as numpy makes it', async () => {
  for (const c of ref.crops) {
    const frames = { crop: { center: c.center, size: c.size }, binSize: c.bin, orientation: c.orientation };
    const m = await readCxi(file, { frames });
    assertCase(m, c, JSON.stringify(frames));
    const rec = m.frames as Record<string, unknown>;
    assert.equal(rec.padded_pixels, c.outside_pixels);
    const sources = (m.maskRecord.sources as { source: string; pixels: number }[]).map((s) => s.source);
    assert.ok(sources.includes('padding'), sources.join());
  }
  // the detector mask masks the padding: reading the frames with it off is refused, in one line
  const crop = ref.crops[0]!;
  await assert.rejects(readCxi(file, { detectorMask: false, frames: { crop: { center: crop.center, size: crop.size } } }), (err: Error) => {
    assert.equal(err.message, `${file}: key 'entry_1/data_1/data': expected the detector mask on with reconstruction.crop (--crop-center 1,6 --crop-size 8): ` +
      'the window reaches outside the file\'s 6×8 frames, and its 34 pixels there are zeros that are masked, never fitted; found reconstruction.detectorMask false (--no-detector-mask)');
    return true;
  });
});

test('re-centring: a crop of the frames\' own size about another centre moves that pixel to the patterns\' centre', async () => {
  const fixture = 'test/fixtures/cxi/scan.cxi';
  const plain = await readCxi(fixture);
  const N = plain.H;
  const m = await readCxi(fixture, { frames: { crop: { center: [N / 2 + 3, N / 2 - 5], size: N } } });
  assert.deepEqual([m.H, m.W], [N, N]);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const [fy, fx] = [y + 3, x - 5];
      const inside = fy >= 0 && fy < N && fx >= 0 && fx < N;
      assert.equal(m.diffraction[y * N + x], inside ? plain.diffraction[fy * N + fx] : 0, `(${y}, ${x})`);
      assert.equal(m.detectorMask!.valid[y * N + x], inside ? 1 : 0);
    }
  }
  assert.equal(m.detectorMask!.masked, N * N - (N - 3) * (N - 5));
});

test('scan.cxi written flipped left–right reconstructs with --orientation flip-horizontal to the same object as scan.cxi; settings, record and command line', async () => {
  const settings = { epochs: 4, batchSize: 20, seed: 1 };
  const a = await runLsqmlJob({ input: 'test/fixtures/cxi/scan.cxi', outputDir: join(root, 'plain'), settings });
  const b = await runLsqmlJob({ input: join(dir, 'scan-flipped.cxi'), outputDir: join(root, 'oriented'), settings: { ...settings, orientation: ['flipHorizontal'] } });
  const c = await runLsqmlJob({ input: join(dir, 'scan-flipped.cxi'), outputDir: join(root, 'as-stored'), settings });
  const [ka, kb, kc] = [a, b, c].map((r) => loadNpz(r.reconstructionNpz));
  for (const key of ['reconstructed_object', 'reconstructed_probe', 'loss_history']) assert.deepEqual(kb![key]!.data, ka![key]!.data, key);
  // read as stored, the mirrored patterns do not fit the positions: another object, a higher loss
  assert.notDeepEqual(kc!.reconstructed_object!.data, ka!.reconstructed_object!.data);
  const last = (k: typeof ka): number => { const l = k!.loss_history!.data as Float64Array; return l[l.length - 1]!; };
  assert.ok(last(kc) > last(ka), `${last(kc)} vs ${last(ka)}`);
  const meta = (readMetadata(kb!._metadata!) as { value: Record<string, unknown> }).value;
  assert.deepEqual((meta.reconstruction_settings as Record<string, unknown>).orientation, ['flipHorizontal']);
  assert.deepEqual(((meta.geometry as Record<string, unknown>).frames as Record<string, unknown>).orientation, ['flipHorizontal']);
  // the report draws the patterns as they were fitted: scan.cxi's, flipped back
  const drawn = await readInputPatterns(meta, join(dir, 'scan-flipped.cxi'), 3);
  assert.ok(!('why' in drawn), 'why' in drawn ? drawn.why : '');
  const h5 = await Hdf5Reader.open('test/fixtures/cxi/scan.cxi');
  const scan = (() => { try { return h5.readFloat64('entry_1/data_1/data', 'patterns', 1e6); } finally { h5.close(); } })();
  for (const r of drawn.rows) assert.deepEqual(Array.from(r.values), Array.from(scan.data.subarray(r.index * 1024, (r.index + 1) * 1024)), `pattern ${r.index}`);
  // the Phase F command line names the flag; PtyPy's 4 and ['transpose'] are the same patterns, hashed alike
  const parsed = parseStudySettings({ reconstruction: { orientation: 6 } }).reconstruction;
  const line = commandFor({ settings: parsed, inputNpz: 'in.cxi', outputDir: 'o', artifactRoot: root } as never, undefined, true);
  assert.deepEqual(line.slice(-2), ['--orientation', 'flip-horizontal,transpose']);
  const hash = (o: number | OrientationName[] | undefined): string => reconstructionSettingsSha256(parseStudySettings({ reconstruction: o === undefined ? {} : { orientation: o } }).reconstruction);
  assert.equal(hash(4), hash(['transpose']));
  assert.equal(hash([]), hash(undefined));
  assert.equal(hash(0), hash(undefined));
  assert.notEqual(hash(['flipHorizontal']), hash(undefined));
});

test('the flag: lsqml and inspect --check take --orientation (names or PtyPy\'s integer); bad values refused in one line, nothing written', () => {
  // (LSQML fits square patterns: a 6 × 6 window of the 6 × 8 frames)
  const check = ptychostudy(['inspect', '--check', '--crop-center', '3,4', '--crop-size', '6', '--orientation', 'flip-horizontal,transpose', file]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /frames: 6×8 in the file → 6×6 patterns: file rows 0 … 5, columns 1 … 6, then flipped left–right, then transposed \(positions unchanged\)/);
  const json = ptychostudy(['inspect', '--check', '--json', '--crop-center', '3,4', '--crop-size', '6', '--orientation', '5', file]);
  assert.deepEqual(JSON.parse(json.stdout)[0].check.frames.orientation, ['flipVertical', 'transpose']);
  const out = join(root, 'refused');
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--orientation', '8']), 'lsqml',
    '--orientation 8: expected a list of flipHorizontal, flipVertical, transpose (each at most once), or PtyPy\'s orientation, an integer 0 to 7');
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--orientation', 'flip-horizontal,flip-diagonal']), 'lsqml',
    '--orientation flip-horizontal,flip-diagonal: expected flip-horizontal, flip-vertical, transpose (comma-separated, each at most once), none, ' +
    'or PtyPy\'s orientation, an integer 0 to 7; found flip-diagonal');
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--orientation', 'transpose,transpose']), 'lsqml',
    /^ptychostudy lsqml: --orientation \["transpose","transpose"\]: expected a list of flipHorizontal, flipVertical, transpose \(each at most once\)/);
  assertRefused(ptychostudy(['lsqml', '--input', 'test/fixtures/numpy/phase_c_dataset.npz', '--out', out, '--orientation', 'transpose']), 'lsqml',
    /reconstruction\.orientation \(--crop-center, --crop-size, --bin-size, --orientation\): expected measured data holding detector frames/);
  assert.ok(!existsSync(out), 'nothing written');
  assert.equal(ptychostudy(['lsqml', '--help']).stdout.includes('--orientation <how>'), true);
});

test('CXI entries: entry_N named by reconstruction.cxiEntry (--cxi-entry); several and none named refused listing them; a file with one entry_N reads it', async () => {
  const entries = await fixtureEntries();
  const counts = entries['entry_1/data_1/data']!.data as Uint32Array;
  // entry_2: another measurement (twice the counts) with the same geometry
  const second = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k.replace(/^entry_1\//, 'entry_2/'),
    k === 'entry_1/data_1/data' ? { ...v, data: counts.map((c) => 2 * c) } : v]));
  const both = join(root, 'two-entries.cxi'), only2 = join(root, 'entry-2.cxi');
  writeHdf5(both, { ...entries, ...second });
  writeHdf5(only2, second);
  const one = await readCxi('test/fixtures/cxi/scan.cxi');
  const m2 = await readCxi(both, { frames: { cxiEntry: 'entry_2' } });
  assert.deepEqual(m2.diffraction, Float32Array.from(counts, (c) => Math.sqrt(2 * c)));
  assert.equal(m2.keys.diffraction, 'entry_2/data_1/data');
  assert.equal(m2.keys.entry, 'entry_2');
  assert.deepEqual(m2.positionsM, one.positionsM);
  assert.equal(m2.probe!.source, `${both}: entry_2/instrument_1/source_1/illumination`);
  assert.deepEqual((await readCxi(both, { frames: { cxiEntry: 'entry_1' } })).diffraction, one.diffraction);
  assert.deepEqual((await readCxi(only2)).diffraction, m2.diffraction);
  const refused = async (path: string, cxiEntry: string | undefined, line: string): Promise<void> => {
    await assert.rejects(readCxi(path, cxiEntry ? { frames: { cxiEntry } } : {}), (err: Error) => { assert.equal(err.message, line); return true; });
  };
  await refused(both, undefined, `${both}: key 'entry_1': expected one CXI entry, or reconstruction.cxiEntry (--cxi-entry entry_N) naming the one to read; ` +
    'found 2 entries: entry_1, entry_2 (each may hold another measurement)');
  await refused(both, 'entry_3', `${both}: key 'entry_3': expected the CXI entry reconstruction.cxiEntry (--cxi-entry) names, a group; found it missing ` +
    '(the file holds 2 entries: entry_1, entry_2)');
  // the flag, through lsqml and inspect --check; a .ptyd and an NPZ have no entries to name
  const out = join(root, 'entry-refused');
  assertRefused(ptychostudy(['lsqml', '--input', both, '--out', out]), 'lsqml',
    `${both}: key 'entry_1': expected one CXI entry, or reconstruction.cxiEntry (--cxi-entry entry_N) naming the one to read; found 2 entries: entry_1, entry_2 (each may hold another measurement)`);
  assertRefused(ptychostudy(['lsqml', '--input', 'test/fixtures/cxi/scan.ptyd', '--out', out, '--cxi-entry', 'entry_2']), 'lsqml',
    `${resolve('test/fixtures/cxi/scan.ptyd')}: reconstruction.cxiEntry (--cxi-entry) entry_2: expected a CXI file, whose entries it names; found a PtyPy .ptyd: leave the setting out`);
  assertRefused(ptychostudy(['lsqml', '--input', both, '--out', out, '--cxi-entry', 'entry_0']), 'lsqml',
    '--cxi-entry entry_0: expected a CXI entry group\'s name, entry_1, entry_2, … (or null)');
  assert.ok(!existsSync(out), 'nothing written');
  const check = ptychostudy(['inspect', '--check', '--cxi-entry', 'entry_2', both]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /diffraction: entry_2\/data_1\/data/);
  const line = commandFor({ settings: parseStudySettings({ reconstruction: { cxiEntry: 'entry_2' } }).reconstruction, inputNpz: both, outputDir: 'o', artifactRoot: root } as never, undefined, true);
  assert.deepEqual(line.slice(-2), ['--cxi-entry', 'entry_2']);
});
