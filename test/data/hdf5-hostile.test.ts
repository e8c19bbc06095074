/**
 * Hostile HDF5 input: every case is refused with ONE line naming the file (and the key), what was
 * expected and what was found, as an InputError (exit code 2) — truncated and corrupted bytes, not
 * HDF5 at all, wrong shapes and types, missing entries, huge declared shapes (refused before anything
 * is allocated), non-finite or implausible geometry, external links. The files are built here from the
 * fixture with h5wasm or by cutting its bytes: no Python needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { readCxi } from '../../src/data/cxi.js';
import { readInputData } from '../../src/data/input.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { fixtureEntries, resizeDataset, writeHdf5, type Entry } from './cxi-builder.js';
import { rewriteHdf5 } from './hdf5-rewrite.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-hdf5-hostile-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const fixture = 'test/fixtures/cxi/scan.cxi';
const bytes = readFileSync(fixture);
const entries = await fixtureEntries();
const D = 'entry_1/data_1/data', T = 'entry_1/sample_1/geometry_1/translation', E = 'entry_1/instrument_1/source_1/energy';
const Z = 'entry_1/instrument_1/detector_1/distance', PX = 'entry_1/instrument_1/detector_1/x_pixel_size', PY = 'entry_1/instrument_1/detector_1/y_pixel_size';
const PR = 'entry_1/instrument_1/source_1/illumination';

let counter = 0;
function variant(changes: Record<string, Entry | null>, links?: Parameters<typeof writeHdf5>[2]): string {
  const path = join(root, `v${counter++}.cxi`);
  writeHdf5(path, { ...entries, ...changes }, links);
  return path;
}

/** Reading `path` fails with one InputError line that names the file and matches `re`. */
async function refused(path: string, re: RegExp): Promise<string> {
  try {
    await readInputData(path);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal((err as InputError).exitCode, 2);
    const msg = (err as Error).message;
    assert.doesNotMatch(msg, /\n/, 'one line');
    assert.ok(msg.startsWith(path), `names the file: ${msg}`);
    assert.match(msg, re);
    return msg;
  }
  assert.fail(`${path}: expected a refusal matching ${re}`);
}

test('a well-formed file built with h5wasm reads (the builder itself is sound)', async () => {
  const m = await readCxi(variant({}));
  assert.equal(m.n, 40);
  assert.equal(m.probe!.modes, 1);
});

test('truncated files: cut anywhere, refused as truncated or not HDF5', async () => {
  for (const keep of [Math.floor(bytes.length / 2), bytes.length - 1, 2000, 100]) {
    const p = join(root, `trunc-${keep}.cxi`);
    writeFileSync(p, bytes.subarray(0, keep));
    await refused(p, /cannot open as HDF5, the file is truncated or corrupt \(HDF5: truncated file: eof = \d+.*stored_eof = \d+\)|cannot open as HDF5/);
  }
  const p = join(root, 'trunc-4.cxi');
  writeFileSync(p, bytes.subarray(0, 4));
  await refused(p, /expected a dataset NPZ \(zip\) or an HDF5 file .*found neither signature/);
  const msg = await refused(join(root, `trunc-${Math.floor(bytes.length / 2)}.cxi`), /truncated file/);
  assert.match(msg, new RegExp(`eof = ${Math.floor(bytes.length / 2)}`));
});

test('not HDF5: text, an empty file and random bytes named .cxi are refused by their bytes', async () => {
  const text = join(root, 'text.cxi');
  writeFileSync(text, 'entry_1/data_1/data = 1\n');
  await refused(text, /found neither signature in its first bytes/);
  await assert.rejects(Hdf5Reader.open(text), /text\.cxi: not an HDF5 file \(no HDF5 signature at byte 0, 512, 1024, …; 24 bytes\)/);
  const empty = join(root, 'empty.h5');
  writeFileSync(empty, '');
  await refused(empty, /found neither signature/);
  const noise = join(root, 'noise.cxi');
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  writeFileSync(noise, buf);
  await refused(noise, /found neither signature/);
  await refused(join(root, 'missing.cxi'), /missing\.cxi: cannot read \(no such file\)/);
});

test('corrupted bytes anywhere: the file reads or is refused in one line, never a crash, a hang or a partial result', async () => {
  let refusedCount = 0, read = 0;
  for (let k = 1; k < 48; k++) {
    const off = Math.floor((k * bytes.length) / 48);
    const b = Buffer.from(bytes);
    for (let i = 0; i < 24 && off + i < b.length; i++) b[off + i] = 0xa5 ^ i;
    const p = join(root, `corrupt-${k}.cxi`);
    writeFileSync(p, b);
    try {
      const r = await readInputData(p);
      assert.equal(r.format, 'cxi');
      read++;
    } catch (err) {
      assert.ok(err instanceof InputError, `offset ${off}: ${String(err)}`);
      assert.doesNotMatch((err as Error).message, /\n/);
      assert.ok((err as Error).message.startsWith(p));
      refusedCount++;
    }
  }
  assert.ok(refusedCount > 0, 'some corruptions are detected');
  assert.equal(refusedCount + read, 47);
  // The library is still usable afterwards.
  assert.equal((await readCxi(fixture)).n, 40);
});

test('missing entries: each required key, named with the alternatives looked at', async () => {
  await refused(variant({ [D]: null }), /key 'entry_1\/data_1\/data': expected diffraction data \[n, H, W\].*found it missing \(also looked at entry_1\/instrument_1\/detector_1\/data\)/);
  await refused(variant({ [T]: null }), /key 'entry_1\/sample_1\/geometry_1\/translation': expected probe positions \[n, 3\].*found it missing \(also looked at entry_1\/data_1\/translation\)/);
  await refused(variant({ [E]: null }), /key 'entry_1\/instrument_1\/source_1\/energy': expected the photon energy in J; found it missing/);
  await refused(variant({ [Z]: null }), /key 'entry_1\/instrument_1\/detector_1\/distance': expected the sample–detector distance in m; found it missing/);
  await refused(variant({ [PX]: null }), /x_pixel_size': expected the detector pixel size in m; found it missing/);
  await refused(variant({ [PY]: null }), /y_pixel_size': expected the detector pixel size in m; found it missing/);
  // A soft link to nothing is broken, not absent: its own error, naming the key and the target.
  await refused(variant({ [D]: null }, { soft: { [D]: '/entry_1/nowhere' } }), /key 'entry_1\/data_1\/data': a soft link to \/entry_1\/nowhere, which does not exist$/);
  // The data under its other CXI name is found.
  const alt = variant({ [D]: null, 'entry_1/instrument_1/detector_1/data': entries[D]! });
  assert.equal((await readCxi(alt)).keys.diffraction, 'entry_1/instrument_1/detector_1/data');
});

test('wrong shapes and types: expected and found in the message', async () => {
  const m = entries[D]!;
  await refused(variant({ [D]: { ...m, shape: [40 * 32, 32] } }), /data_1\/data': expected diffraction data \[n, H, W\].*found shape \[1280, 32\]/);
  await refused(variant({ [D]: { data: ['a', 'b'] } }), /data_1\/data': expected diffraction data .*found dtype str/);
  await refused(variant({ [T]: { data: new Float64Array(40 * 4), shape: [40, 4], dtype: '<d' } }), /translation': expected probe positions \[n, 3\] \(x, y, z in m\) with n = 40.*found shape \[40, 4\]/);
  await refused(variant({ [T]: { data: new Float64Array(39 * 3), shape: [39, 3], dtype: '<d' } }), /found shape \[39, 3\]/);
  await refused(variant({ [T]: { data: new Int32Array(40 * 3), shape: [40, 3], dtype: '<i' } }), /translation': expected probe positions.*found dtype <i4/);
  await refused(variant({ [E]: { data: new Float64Array([1e-15, 2e-15, 3e-15]), shape: [3], dtype: '<d' } }), /energy': expected the photon energy in J; found shape \[3\]/);
  await refused(variant({ [E]: { data: '8 keV' } }), /energy': expected the photon energy in J; found a string/);
  await refused(variant({ [PR]: { data: new Map([['r', new Float32Array(256)], ['i', new Float32Array(256)]]), shape: [16, 16] } }), /illumination': expected a complex probe \[32, 32\] or \[M, 32, 32\] .*found shape \[16, 16\]/);
  await refused(variant({ [PR]: { data: new Float32Array(1024), shape: [32, 32], dtype: '<f' } }), /illumination': expected a complex probe .*found dtype <f4/);
  const re = new Float32Array(1024), im = new Float32Array(1024);
  re[100] = NaN;
  await refused(variant({ [PR]: { data: new Map([['r', re], ['i', im]]), shape: [32, 32] } }), /illumination': expected .*finite; found NaN at flat index 100/);
});

test('huge declared shapes are refused before anything is allocated: over the limit, or more than the file holds', async () => {
  const m = entries[D]!;
  const grow = (shape: number[]): string => {
    const p = variant({ [D]: { ...m, maxshape: [null, 32, 32], chunks: [1, 32, 32] } });
    resizeDataset(p, D, shape);
    return p;
  };
  await refused(grow([10_000_000, 32, 32]), /data_1\/data': expected a dataset of at most 4294967296 bytes; found one that declares 40960000000 bytes \(shape \[10000000, 32, 32\] of <u4\)$/);
  await refused(grow([100_000, 32, 32]), /data_1\/data': expected uncompressed data that fits in the file \(\d+ bytes\); found it declares 409600000 bytes \(shape \[100000, 32, 32\] of <u4\)$/);
  // A declared probe stack beyond the probe limit.
  const p = variant({ [PR]: { data: new Map([['r', new Float32Array(1024)], ['i', new Float32Array(1024)]]), shape: [1, 32, 32], maxshape: [null, 32, 32], chunks: [1, 32, 32] } });
  resizeDataset(p, PR, [100_000, 32, 32]);
  await refused(p, /illumination': expected a complex probe.*with at most 50 incoherent modes \(MAX_PROBE_MODES\); found shape \[100000, 32, 32\] \(100000 modes\)/);
  // The limit is a stated option.
  await assert.rejects(readCxi(fixture, { maxDatasetBytes: 100_000 }), /data_1\/data': expected a dataset of at most 100000 bytes; found one that declares 163840 bytes \(shape \[40, 32, 32\] of <u4\)$/);
});

test('geometry must be finite, positive and plausible (the hint names the likely unit mistake)', async () => {
  const num = (v: number): Entry => ({ data: v, dtype: '<d' });
  await refused(variant({ [E]: num(NaN) }), /energy': expected the photon energy in J, finite; found NaN/);
  await refused(variant({ [E]: num(Infinity) }), /energy': expected the photon energy in J, finite; found Infinity/);
  await refused(variant({ [E]: num(0) }), /energy': expected the photon energy in J, > 0; found 0/);
  await refused(variant({ [E]: num(-1.2e-15) }), /energy': expected the photon energy in J, > 0; found -1\.2e-15/);
  await refused(variant({ [E]: num(8000) }), /energy': expected the photon energy in J, < 1e-12; found 8000 \(is it in eV or keV\?/);
  await refused(variant({ [Z]: num(0) }), /distance': expected the sample–detector distance in m, > 0; found 0/);
  await refused(variant({ [Z]: num(2000) }), /distance': .* found 2000 \(is it in mm\?\)/);
  await refused(variant({ [PX]: num(75) }), /x_pixel_size': expected the detector pixel size in m, < 0\.01; found 75 \(is it in µm or mm\?\)/);
  await refused(variant({ [PY]: num(-75e-6) }), /y_pixel_size': expected the detector pixel size in m, > 0/);
  // positive but far below any instrument: another unit, or garbage (these used to read, giving object pixels of 1e285 m)
  await refused(variant({ [E]: num(1e-310) }), /energy': expected the photon energy in J, > 1e-21; found 1e-310 \(under 6 meV: is it in the right unit\?/);
  await refused(variant({ [Z]: num(1e-300) }), /distance': expected the sample–detector distance in m, > 0\.0001; found 1e-300 \(under 0\.1 mm/);
  await refused(variant({ [PX]: num(75e-9) }), /x_pixel_size': expected the detector pixel size in m, > 1e-7; found 7\.5e-8 \(under 0\.1 µm/);
  // PtyPy stores keV: a CXI-minded writer's joules gave a wavelength of 1e6 km
  const ptyd = join(root, 'joules.ptyd');
  rewriteHdf5('test/fixtures/cxi/scan.ptyd', ptyd, { datasets: { 'meta/energy': { data: 1.2817e-15, dtype: '<d' } } });
  await refused(ptyd, /joules\.ptyd: key 'meta\/energy': expected the photon energy in keV, > 0\.00001; found 1\.2817e-15 \(under 10 meV: is it in J\? PtyPy stores keV: 8 keV is 8\)$/);
  const psize = join(root, 'psize.ptyd');
  rewriteHdf5('test/fixtures/cxi/scan.ptyd', psize, { datasets: { 'meta/psize': { data: new Float64Array([75e-12, 75e-12]), shape: [2], dtype: '<d' } } });
  await refused(psize, /psize\.ptyd: key 'meta\/psize': expected the detector pixel size in m: a scalar or \[y, x\], > 1e-7; found \[7\.5e-11, 7\.5e-11\] \(under 0\.1 µm/);
  const t = new Float64Array(entries[T]!.data as Float64Array);
  t[3 * 7 + 1] = NaN;
  await refused(variant({ [T]: { data: t, shape: [40, 3], dtype: '<d' } }), /translation': expected probe positions.*finite; found \(-?[\d.e-]+, NaN\) at row 7/);
  const far = new Float64Array(entries[T]!.data as Float64Array);
  far[0] = 1; // one metre away: a scan of millions of pixels
  await refused(variant({ [T]: { data: far, shape: [40, 3], dtype: '<d' } }), /translation': expected a scan spanning at most 65536 object pixels; found .* \(are the positions in the right unit\?\)/);
});


test('a units attribute naming another unit than the one read is refused; SI spellings read', async () => {
  const num = (v: number, units: string | number): Entry => ({ data: v, dtype: '<d', attrs: { units } });
  // 500 mm is under the distance's plausibility limit: without the attribute's check it read as 500 m.
  await refused(variant({ [Z]: num(500, 'mm') }), /distance': expected the sample–detector distance in m \(a 'units' attribute, when present, naming m; nothing is converted\); found units 'mm' \(store the value in m\)/);
  await refused(variant({ [E]: num(8000, 'eV') }), /energy': expected the photon energy in J .*; found units 'eV'/);
  await refused(variant({ [PX]: num(75e-6, 'um') }), /x_pixel_size': .*found units 'um'/);
  await refused(variant({ [Z]: num(0.5, 7) }), /distance': .*found a 'units' attribute that is not text/);
  const t = entries[T]!;
  await refused(variant({ [T]: { ...t, attrs: { units: 'um' } } }), /translation': expected probe positions .*found units 'um'/);
  const m = await readCxi(variant({ [Z]: num(entries[Z]!.data as number, 'metre'), [E]: num(entries[E]!.data as number, 'J'), [PX]: num(entries[PX]!.data as number, ' m '), [T]: { ...t, attrs: { units: 'm' } } }));
  assert.equal(m.geometry.distanceM, entries[Z]!.data);
});
test('counts: a non-finite value names the pattern and pixel; negative values are set to 0 with a warning', async () => {
  const f = new Float32Array(40 * 32 * 32).fill(1);
  f[3 * 1024 + 5 * 32 + 7] = NaN;
  await refused(variant({ [D]: { data: f, shape: [40, 32, 32], dtype: '<f' } }), /data_1\/data': expected diffraction data .*finite and at most 1\.158e\+77 \(amplitudes are float32\), or in a pixel the detector mask masks; found NaN in pattern 3 at pixel \(5, 7\)/);
  f[3 * 1024 + 5 * 32 + 7] = -Infinity;
  await refused(variant({ [D]: { data: f, shape: [40, 32, 32], dtype: '<f' } }), /found -Infinity in pattern 3/);
  // float64 counts whose square root float32 cannot hold: refused, not stored as an infinite amplitude
  const d = new Float64Array(40 * 32 * 32).fill(1);
  d[2 * 1024 + 33] = 1.2e77;
  await refused(variant({ [D]: { data: d, shape: [40, 32, 32], dtype: '<d' } }),
    /data_1\/data': expected diffraction data .*finite and at most 1\.158e\+77 \(amplitudes are float32\), or in a pixel the detector mask masks; found 1\.2e\+77 in pattern 2 at pixel \(1, 1\)/);
  d[2 * 1024 + 33] = 1.15e77;
  const bright = (await readCxi(variant({ [D]: { data: d, shape: [40, 32, 32], dtype: '<d' } }))).diffraction;
  assert.ok(Number.isFinite(bright[2 * 1024 + 33]!) && bright[2 * 1024 + 33]! > 3e38, String(bright[2 * 1024 + 33]));
  const g = new Int32Array(40 * 32 * 32).fill(4);
  g[10] = -2; g[5000] = -1;
  const m = await readCxi(variant({ [D]: { data: g, shape: [40, 32, 32], dtype: '<i' } }));
  assert.equal(m.diffraction[10], 0);
  assert.equal(m.diffraction[11], 2);
  assert.deepEqual(m.warnings, [`${join(root, `v${counter - 1}.cxi`)}: key 'entry_1/data_1/data': 2 negative values set to 0`]);
  // PILATUS marks gaps −1 and bad pixels −2 in every frame: pixels negative in every pattern are named apart, with
  // how to mask them (they are fitted as 0 counts), in int32 and int64 alike; one negative in some patterns only is not
  for (const dtype of ['<i', '<q'] as const) {
    const pil = new Float64Array(40 * 32 * 32).fill(4);
    for (let i = 0; i < 40; i++) {
      for (let row = 0; row < 32; row++) pil[i * 1024 + row * 32 + 7] = -1; // a gap column
      pil[i * 1024 + 300] = -2; // a bad pixel
    }
    pil[5 * 1024 + 600] = -3; // one frame's dark subtraction below zero
    const data = dtype === '<i' ? Int32Array.from(pil) : BigInt64Array.from(pil, (v) => BigInt(v));
    const p = await readCxi(variant({ [D]: { data, shape: [40, 32, 32], dtype } }));
    assert.deepEqual(p.warnings, [`${join(root, `v${counter - 1}.cxi`)}: key 'entry_1/data_1/data': ${40 * 33 + 1} negative values set to 0; 33 pixels are negative ` +
      'in every pattern, which no count is: a detector\'s mark of gap or bad pixels (PILATUS writes −1 and −2), fitted as 0 counts; ' +
      'flag them in entry_1/instrument_1/detector_1/mask (bit 0, invalid) to leave them unfitted'], dtype);
    assert.equal(p.diffraction[7], 0);
  }
  // the largest value of an integer type marks gap, dead or saturated pixels (Eiger): counted in a warning, for
  // each width (64-bit compared exactly), and masked; it used to be read as 4·10⁹ counts without a word
  const eiger = new Uint32Array(40 * 32 * 32).fill(9);
  eiger[7] = 4294967295; eiger[40_000] = 4294967295;
  const e = await readCxi(variant({ [D]: { data: eiger, shape: [40, 32, 32], dtype: '<I' } }));
  assert.deepEqual(e.warnings, [`${join(root, `v${counter - 1}.cxi`)}: key 'entry_1/data_1/data': 2 values are 4294967295, the largest <u4 value, ` +
    'which detectors write into gap, dead and saturated pixels; the 2 pixels holding it in any pattern are masked (--no-detector-mask reads them as counts)']);
  assert.equal(e.diffraction[7], 0, 'masked: 0, as the warning says');
  assert.equal(e.detectorMask?.masked, 2);
  const u16 = new Uint16Array(40 * 32 * 32).fill(9);
  u16[1] = 65535;
  assert.match((await readCxi(variant({ [D]: { data: u16, shape: [40, 32, 32], dtype: '<H' } }))).warnings.join('\n'), /: 1 value is 65535, the largest <u2 value/);
  const u64 = new BigUint64Array(40 * 32 * 32).fill(9n);
  u64[2] = 2n ** 64n - 1n; u64[3] = 2n ** 64n - 2n; // the second is the same float64 but not the flag
  assert.match((await readCxi(variant({ [D]: { data: u64, shape: [40, 32, 32], dtype: '<Q' } }))).warnings.join('\n'), /: 1 value is 18446744073709551615, the largest <u8 value/);
  assert.deepEqual((await readCxi(variant({ [D]: { data: Float32Array.from(eiger), shape: [40, 32, 32], dtype: '<f' } }))).warnings, [], 'floats have no such mark');
});

test('positions never written or in a far too large unit: a scan within one object pixel is refused', async () => {
  await refused(variant({ [T]: { data: new Float64Array(120), shape: [40, 3], dtype: '<d' } }),
    /translation': expected a scan: 40 probe positions spread over at least one object pixel \(1\.292e-7 × 1\.292e-7 m\); found them all within 0 × 0 m \(x × y\) \(were the positions written, and in the right unit\?\)$/);
  const km = Float64Array.from(entries[T]!.data as Float64Array, (v) => v / 1000);
  await refused(variant({ [T]: { data: km, shape: [40, 3], dtype: '<d' } }), /found them all within 2\.84e-9 × 4\.78e-9 m/);
  // a dataset NPZ without objectGuess gets its frame from the scan the same way
  const { readReconstructionInput } = await import('../../src/study/reconstruct/input.js');
  const { measuredToDataset, probeGuessOf } = await import('../../src/data/measured.js');
  const { saveDataset } = await import('../../src/data/dataset.js');
  const m = await readCxi(fixture);
  const ds = measuredToDataset(m, probeGuessOf(m.probe!));
  ds.xcoords = new Float64Array(m.n).fill(100.25); ds.ycoords = Float64Array.from(ds.xcoords, (_, i) => 7 + (i % 2) * 0.5);
  const npz = join(root, 'one-place.npz');
  saveDataset(npz, ds);
  await assert.rejects(readReconstructionInput(npz, { initProbe: 'guess', job: { modes: 1, batchSize: 10 } }), (err: unknown) =>
    err instanceof InputError && err.message === `${npz}: keys 'xcoords', 'ycoords': expected a scan: 40 positions spread over at least one pixel; ` +
      'found them all within 0 × 0.500 pixels (x × y) (were the positions written, and in the right unit?)');
  // no pattern at all: named at the data, not as a positions problem
  await refused(variant({ [D]: { data: new Uint32Array(0), shape: [0, 32, 32], dtype: '<I' }, [T]: { data: new Float64Array(0), shape: [0, 3], dtype: '<d' } }),
    /data_1\/data': expected diffraction data \[n, H, W\] \(counts or intensities, integer or float\); found no patterns \(shape \[0, 32, 32\]\)$/);
  const empty = join(root, 'empty.ptyd');
  const none = { data: new Uint32Array(0), shape: [0, 32, 32], dtype: '<I' }, nowhere = { data: new Float64Array(0), shape: [0, 2], dtype: '<d' };
  rewriteHdf5('test/fixtures/cxi/scan.ptyd', empty, { datasets: { 'chunks/0/data': none, 'chunks/1/data': none, 'chunks/0/positions': nowhere, 'chunks/1/positions': nowhere } });
  await refused(empty, /empty\.ptyd: key 'chunks\/0\/data': expected diffraction data \[n, H, W\] \(PtyPy chunk\); found no patterns in any of its 2 chunks$/);
  // one pattern is no scan either way, and reads
  const one = await readCxi(variant({ [D]: { data: (entries[D]!.data as Uint32Array).slice(0, 1024), shape: [1, 32, 32], dtype: '<I' }, [T]: { data: new Float64Array(3), shape: [1, 3], dtype: '<d' } }));
  assert.equal(one.n, 1);
});

test('positions in mm stored as m: a scan of patches far apart is read with a warning, and a frame over the memory limit says to check the units', async () => {
  const mm = Float64Array.from(entries[T]!.data as Float64Array, (v) => v * 1000);
  const m = await readCxi(variant({ [T]: { data: mm, shape: [40, 3], dtype: '<d' } }));
  assert.deepEqual(m.objectShape, [37036, 22036]);
  assert.deepEqual(m.warnings, [`${join(root, `v${counter - 1}.cxi`)}: key '${T}': the 40 positions are about 4511 object pixels apart on average, 141 times the 32-pixel pattern: ` +
    'neighbouring patches hardly overlap, as ptychography needs (are the positions in the right unit?)']);
  assert.deepEqual((await readCxi(fixture)).warnings, [], 'the fixture\'s overlapping scan has no such warning');
  const { checkObjectFrameFits } = await import('../../src/data/memory.js');
  const limit = { bytes: 2 ** 30, source: 'PTYCHOSTUDY_MEMORY_LIMIT=1G' };
  assert.throws(() => checkObjectFrameFits('f.cxi', [37036, 22036], { n: 40, H: 32, W: 32 }, { modes: 1, batchSize: 10 }, limit),
    (err: unknown) => err instanceof InputError && err.message.endsWith('from the scan extent, for which an LSQML job needs about 152.2 GiB (40 positions over it: check the position units)'));
  // a dense scan over a large frame is only too large
  assert.throws(() => checkObjectFrameFits('f.cxi', [4000, 4000], { n: 40_000, H: 32, W: 32 }, { modes: 1, batchSize: 10 }, limit),
    (err: unknown) => err instanceof InputError && /needs about [\d.]+ GiB$/.test(err.message));
});

test('a .ptyd of more than 65536 chunk groups is refused from its group listing (each chunk costs ~0.6 ms to read)', async () => {
  const { default: h5 } = await import('h5wasm/node');
  const p = join(root, 'chunks.ptyd');
  const f = new h5.File(p, 'w');
  f.create_group('meta');
  const chunks = f.create_group('chunks');
  for (let k = 0; k <= 65536; k++) chunks.create_group(String(k));
  f.close();
  await refused(p, /chunks\.ptyd: key 'chunks': expected at most 65536 chunk groups \(each costs the library about 0\.6 ms to check and read\); found 65537 chunk groups$/);
});

test('a probe dataset of zeros (allocated, never written) is refused naming its key, not left to the engine', async () => {
  await refused(variant({ [PR]: { data: new Map([['r', new Float32Array(1024)], ['i', new Float32Array(1024)]]), shape: [32, 32] } }),
    /illumination': expected a complex probe \[32, 32\] or \[M, 32, 32\] \(the size of the diffraction patterns\), not zero everywhere; found all 1024 values zero$/);
});

test('external links are never followed: nothing outside the named file is read', async () => {
  const target = join(root, 'target.cxi');
  copyFileSync(fixture, target);
  const p = variant({ [D]: null }, { external: { [D]: [target, '/entry_1/data_1/data'] } });
  await refused(p, new RegExp(`key 'entry_1/data_1/data': an external link to ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:/entry_1/data_1/data; ptychostudy reads nothing outside the named file`));
  const q = variant({ [E]: null }, { external: { 'entry_1/instrument_1/source_1/energy': ['/etc/passwd', '/x'] } });
  await refused(q, /an external link to \/etc\/passwd:\/x/);
});

test('soft links are resolved and checked: an external link on the way is refused, a loop is bounded', async () => {
  const target = join(root, 'target2.cxi');
  copyFileSync(fixture, target);
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The data key is a soft link to an external link: HDF5 would follow both into the other file.
  const p = variant({ [D]: null }, { soft: { [D]: '/zz_ext' }, external: { zz_ext: [target, '/entry_1/data_1/data'] } });
  await refused(p, new RegExp(`key 'entry_1/data_1/data': an external link to ${esc(target)}:/entry_1/data_1/data \\(zz_ext, reached through the soft link entry_1/data_1/data → /zz_ext\\); ptychostudy reads nothing outside the named file`));
  // The same when the other file is gone: an external link, not a missing key.
  const gone = variant({ [D]: null }, { soft: { [D]: '/zz_ext' }, external: { zz_ext: [join(root, 'gone.cxi'), '/d'] } });
  await refused(gone, /data_1\/data': an external link to .*gone\.cxi:\/d \(zz_ext, reached through/);
  // A soft link to a group that is an external link, on the way to the key.
  const viaGroup = variant({ [D]: null }, { soft: { 'entry_1/data_1': '/zz_group' }, external: { zz_group: [target, '/entry_1/data_1'] } });
  await refused(viaGroup, /data_1\/data': an external link to .*target2\.cxi:\/entry_1\/data_1 \(zz_group, reached through the soft link entry_1\/data_1 → \/zz_group\)/);
  // A chain of soft links ending nowhere: the key's own link is not the broken one.
  await refused(variant({ [D]: null }, { soft: { [D]: 'hop', 'entry_1/data_1/hop': '/entry_1/nowhere' } }),
    /data_1\/data': a soft link \(at entry_1\/data_1\/hop\) to \/entry_1\/nowhere, which does not exist$/);
  // A target read from the file is shown on one line, escaped and clipped.
  await refused(variant({ [D]: null }, { soft: { [D]: `/no\nwhere${'x'.repeat(500)}` } }), /data_1\/data': a soft link to \/no\\x0awherex{187}…, which does not exist$/);
  // A loop of soft links is bounded.
  await refused(variant({ [D]: null }, { soft: { [D]: '/loop_a', loop_a: '/loop_b', loop_b: '/loop_a' } }),
    /data_1\/data': expected at most 16 soft links to follow; found more \(entry_1\/data_1\/data → \/loop_a, loop_a → \/loop_b, loop_b → \/loop_a, …: a loop\?\)$/);
  // So is a tree of them: each link's target passes 8 times through the next, 10 deep, every chain
  // shorter than 16 but 8^10 links in all; the count is over the whole lookup, as HDF5 counts it.
  const tree: Record<string, string> = { [D]: '/t0/x' };
  for (let k = 0; k < 10; k++) tree[`t${k}`] = Array.from({ length: 8 }, () => `/t${k + 1}`).join('');
  tree.t10 = '/';
  const t0 = performance.now();
  await refused(variant({ [D]: null }, { soft: tree }), /data_1\/data': expected at most 16 soft links to follow; found more/);
  assert.ok(performance.now() - t0 < 5000, 'bounded work');
  // And a soft link to a path of more components than any writer makes (here 80 nested groups).
  const deep = Array.from({ length: 80 }, () => 'g').join('/');
  await refused(variant({ [D]: null, [`${deep}/stack`]: entries[D]! }, { soft: { [D]: `/${deep}/stack` } }),
    /data_1\/data': expected a path of at most 64 components, soft links' targets included; found more \(soft links entry_1\/data_1\/data → \/g\/g\/g.*, …\)$/);
  // Soft links within the file still read (relative and absolute targets).
  const ok = variant({ [D]: null, 'entry_1/real/stack': entries[D]! }, { soft: { [D]: '../real/stack', 'entry_1/data_1/alias': '/entry_1/real' } });
  await refused(ok, /data_1\/data': a soft link to \.\.\/real\/stack, which does not exist/); // HDF5 has no '..'
  const ok2 = variant({ [D]: null, 'entry_1/real/stack': entries[D]! }, { soft: { 'entry_1/data_1/alias': '/entry_1/real', [D]: 'alias/stack' } });
  assert.equal((await readCxi(ok2)).n, 40);
});

test('a dangling soft link at the probe key is an error naming the key, not "no probe"', async () => {
  const p = variant({ [PR]: null }, { soft: { [PR]: '/nowhere' } });
  await refused(p, /key 'entry_1\/instrument_1\/source_1\/illumination': a soft link to \/nowhere, which does not exist$/);
  await assert.rejects(readProbeFile(p, 32, 32), /illumination': a soft link to \/nowhere, which does not exist$/);
});

/** A probe of `m` modes (zeros but for the first), declared by resizing: nothing of it is written but one chunk. */
function probeOfModes(m: number): string {
  const p = variant({ [PR]: { data: new Map([['r', new Float32Array(1024).fill(1)], ['i', new Float32Array(1024)]]), shape: [1, 32, 32], maxshape: [null, 32, 32], chunks: [256, 32, 32], gzip: 1 } });
  resizeDataset(p, PR, [m, 32, 32]);
  return p;
}

test('probe modes are bounded (MAX_PROBE_MODES) before the probe is read, and a complex read must fit the memory limit', async () => {
  await refused(probeOfModes(51), /illumination': expected a complex probe \[32, 32\] or \[M, 32, 32\] .*with at most 50 incoherent modes \(MAX_PROBE_MODES\); found shape \[51, 32, 32\] \(51 modes\)/);
  // 65 536 modes in a 600 KB file: read value by value into JavaScript arrays, it ran out of a 6 GB heap.
  const t0 = performance.now();
  await refused(probeOfModes(65536), /found shape \[65536, 32, 32\] \(65536 modes\)/);
  assert.ok(performance.now() - t0 < 5000, 'refused from the metadata');
  const m = await readCxi(probeOfModes(50));
  assert.equal(m.probe!.modes, 50);
  assert.equal(m.probe!.data.length, 2 * 50 * 1024);
  assert.equal(m.probe!.data[0], 1);
  await assert.rejects(readCxi(probeOfModes(50), { memoryLimit: { bytes: 256 * 1024, source: 'a test limit' } }),
    /illumination': expected values that fit the memory limit of 256\.0 KiB \(a test limit\); found shape \[50, 32, 32\] of <c8 \(read as complex128\), which needs 800\.0 KiB$/);
});

test('a ptychodus probe with no OPR mode is refused naming the probe file and key; only the first OPR mode is read', async () => {
  const product = (opr: number): string => {
    const path = join(root, `product-opr${opr}.h5`);
    writeHdf5(path, {
      probe: { data: new Map([['r', new Float32Array(1024).fill(2)], ['i', new Float32Array(1024)]]), shape: [1, 1, 32, 32], maxshape: [null, 1, 32, 32], chunks: [1, 1, 32, 32], gzip: 1 },
      probe_position_x_m: { data: new Float64Array(3), dtype: '<d' },
    });
    resizeDataset(path, 'probe', [opr, 1, 32, 32]);
    return path;
  };
  const p0 = product(0);
  await assert.rejects(readProbeFile(p0, 32, 32), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.message, `${p0}: key 'probe': expected a complex probe [32, 32], [M, 32, 32] or [OPR, M, 32, 32] (the size of the diffraction patterns); found shape [0, 1, 32, 32] (no OPR mode)`);
    return true;
  });
  const p3 = product(3);
  const probe = await readProbeFile(p3, 32, 32);
  assert.equal(probe.modes, 1);
  assert.equal(probe.data.length, 2048);
  assert.equal(probe.data[0], 2);
});

test('chunk layouts are bounded before reading: many tiny chunks, huge chunks, too many chunks across a row', async () => {
  const tiny = (n: number): string => {
    const p = variant({
      [D]: { data: new Uint8Array(1024).fill(1), shape: [1, 32, 32], dtype: '<B', maxshape: [null, 32, 32], chunks: [1, 1, 1], gzip: 1 },
      // n positions 1 µm apart (positions that were never written, all 0, are refused)
      [T]: { data: Float64Array.from({ length: 3 * n }, (_, i) => (i % 3 === 0 ? (i / 3) * 1e-6 : 0)), shape: [n, 3], dtype: '<d' },
    });
    resizeDataset(p, D, [n, 32, 32]);
    return p;
  };
  // 200 patterns in one-byte chunks: 204 800 chunks. One read of them took 5 s and 1.4 GB.
  const t0 = performance.now();
  await refused(tiny(200), /data_1\/data': expected at most 65536 chunks, or chunks of at least 4096 bytes .*; found 204800 chunks of shape \[1, 1, 1\] \(1 byte each\)$/);
  assert.ok(performance.now() - t0 < 5000, 'refused from the metadata');
  // 64 patterns of them (65 536 chunks) are allowed, and read in slabs of at most 4096 chunks: the
  // library's memory stays small (one read of all 65 536 chunks grew it by ~400 MB). Measured in a
  // fresh process, whose library memory starts at its initial size.
  const p = tiny(64);
  const script = `const { readCxi } = await import(${JSON.stringify(new URL('../../src/data/cxi.js', import.meta.url).href)});
const h5 = await import('h5wasm/node'); await h5.ready;
const before = h5.Module.HEAPU8.length;
const m = await readCxi(${JSON.stringify(p)});
console.log(JSON.stringify({ n: m.n, first: m.diffraction[0], growth: h5.Module.HEAPU8.length - before }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { n: number; first: number; growth: number };
  assert.equal(got.n, 64);
  assert.equal(got.first, 1);
  assert.ok(got.growth < 64 * 2 ** 20, `library memory grew by ${(got.growth / 2 ** 20).toFixed(0)} MiB`);
  // A chunk larger than the bound (HDF5 holds a whole chunk to read any of it), declared without data.
  const huge = variant({ [D]: { data: new Uint32Array(0), shape: [0, 32, 32], dtype: '<I', maxshape: [null, 32, 32], chunks: [100_000, 32, 32], gzip: 1 } });
  resizeDataset(huge, D, [40, 32, 32]);
  await refused(huge, /data_1\/data': expected chunks of at most 268435456 bytes \(HDF5 holds a whole chunk in memory to read any of it\); found chunk shape \[100000, 32, 32\] of <u4 \(409600000 bytes\)$/);
  // More chunks across one pattern than one read may span (HDF5 cannot read less than a pattern here).
  const wide = variant({
    [D]: { data: new Uint8Array(64 * 128), shape: [1, 64, 128], dtype: '<B', chunks: [1, 1, 1], gzip: 1 },
    [T]: { data: new Float64Array(3), shape: [1, 3], dtype: '<d' },
  });
  await refused(wide, /data_1\/data': expected at most 4096 chunks across one row along the first axis .*; found 8192 chunks of shape \[1, 1, 1\] per row of \[1, 64, 128\]$/);
  // A probe [32, 32] in 1×1 chunks is 32 chunks per row, 1024 in all: read.
  const small = variant({ [PR]: { data: new Map([['r', new Float32Array(1024).fill(3)], ['i', new Float32Array(1024)]]), shape: [32, 32], chunks: [1, 1] } });
  assert.equal((await readCxi(small)).probe!.data[2046], 3);
});

test('a declared size the library cannot hold is refused by the memory limit, naming the key, not as a corrupt file', async () => {
  // 10^8 patterns of 2×2 and 10^8 positions, declared in a small file (gzip, nothing written).
  const p = variant({
    [D]: { data: new Uint8Array(4).fill(1), shape: [1, 2, 2], dtype: '<B', maxshape: [null, 2, 2], chunks: [65536, 2, 2], gzip: 1 },
    [T]: { data: new Float64Array(3), shape: [1, 3], dtype: '<d', maxshape: [null, 3], chunks: [1 << 20, 3], gzip: 1 },
    [PR]: null,
  });
  resizeDataset(p, D, [1e8, 2, 2]);
  resizeDataset(p, T, [1e8, 3]);
  await assert.rejects(readCxi(p, { memoryLimit: { bytes: 2 ** 30, source: 'PTYCHOSTUDY_MEMORY_LIMIT=1G' } }),
    /translation': expected values that fit the memory limit of 1\.00 GiB \(PTYCHOSTUDY_MEMORY_LIMIT=1G\); found shape \[100000000, 3\] of <f8 \(read as float64\), which needs 2\.24 GiB$/);
});

test('an object frame too large for a reconstruction names the file\'s position key, not DATA-001\'s', async () => {
  const { readReconstructionInput } = await import('../../src/study/reconstruct/input.js');
  const m = await readCxi(fixture);
  const far = new Float64Array(entries[T]!.data as Float64Array);
  far[0] += 50_000 * m.geometry.objectPixelM[1]; far[3 * 1 + 1] += 50_000 * m.geometry.objectPixelM[0]; // 50 000 pixels apart in x and y
  const p = variant({ [T]: { data: far, shape: [40, 3], dtype: '<d' } });
  await assert.rejects(readReconstructionInput(p, { initProbe: 'guess', job: { modes: 1, batchSize: 10 } }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: key 'entry_1/sample_1/geometry_1/translation': expected a scan whose object frame has at most 2147483648 pixels; found a frame of \\d+×\\d+ \\(check the position units\\)$`));
    return true;
  });
});

test('positions with an absolute offset: read without loss in float64, refused when the file itself cannot resolve a pixel', async () => {
  const m = await readCxi(fixture);
  const t = entries[T]!.data as Float64Array;
  const shifted = (offset: number, type: typeof Float32Array | typeof Float64Array): Float32Array | Float64Array => {
    const out = new type(t.length);
    for (let i = 0; i < t.length; i++) out[i] = i % 3 < 2 ? t[i]! + offset : t[i]!;
    return out;
  };
  // 1 km: float64 holds the µm scan to ~1e-13 m; the frame is the fixture's and the origin moves by the offset
  const km = await readCxi(variant({ [T]: { data: shifted(1000, Float64Array), shape: [40, 3], dtype: '<d' } }));
  for (let i = 0; i < m.n; i++) {
    assert.ok(Math.abs(km.xcoords[i]! - m.xcoords[i]!) < 1e-5 && Math.abs(km.ycoords[i]! - m.ycoords[i]!) < 1e-5, `position ${i}`);
  }
  assert.ok(Math.abs(km.originM[1] - (m.originM[1] + 1000)) < 1e-9);
  assert.deepEqual(km.warnings.filter((w) => w.includes(T)), []);
  // 1e9 m as float32: every position is the same float (64 m apart); it used to read as a scan of one place
  const msg = await refused(variant({ [T]: { data: shifted(1e9, Float32Array), shape: [40, 3], dtype: '<f' } }),
    /translation': expected probe positions stored to better than 1 object pixel .*; found values up to 1\.000e\+9 m stored as float32, which are 64\.0 m apart there .*or as float64\)$/);
  assert.ok(msg.includes(`key '${T}'`));
  // 1e9 m as float64: 1.19e-7 m apart, 0.92 of this fixture's 0.129 µm pixels — read, with a warning
  const g = await readCxi(variant({ [T]: { data: shifted(1e9, Float64Array), shape: [40, 3], dtype: '<d' } }));
  const w = g.warnings.filter((s) => s.includes(T));
  assert.equal(w.length, 1);
  assert.match(w[0]!, /positions are rounded by up to 0\.46 object pixels in the file \(values up to 1\.000e\+9 m stored as float64/);
  for (let i = 0; i < m.n; i++) assert.ok(Math.abs(g.xcoords[i]! - m.xcoords[i]!) < 1, `position ${i} within a pixel`);
  // PtyPy's (y, x) positions: the same check, naming the chunk
  const ptyd = join(root, 'offset.ptyd');
  const yx = new Float32Array(40);
  for (let i = 0; i < 20; i++) { yx[2 * i] = m.positionsM.y[20 + i]! + 1e9; yx[2 * i + 1] = m.positionsM.x[20 + i]! + 1e9; }
  rewriteHdf5('test/fixtures/cxi/scan.ptyd', ptyd, { datasets: { 'chunks/1/positions': { data: yx, shape: [20, 2], dtype: '<f' } } });
  await refused(ptyd, /^\S+offset\.ptyd: key 'chunks\/1\/positions': expected probe positions stored to better than 1 object pixel .* stored as float32/);
});

test('the library running out of its 2 GiB inside a call: one line naming the key, the runtime\'s own message not printed', async () => {
  // HDF5 reads an attribute whole when it opens it: an 800 MB 'units' attribute made the WebAssembly runtime
  // print "Cannot enlarge memory …" twice on stderr before a "corrupt or unreadable" line. The same runtime
  // path, without an 800 MB file: an allocation beyond the limit inside one library call.
  const r = await Hdf5Reader.open(fixture);
  const seen: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: unknown): boolean => { seen.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const inner = r as unknown as { lib: { Module: { _malloc: (n: number) => number } }; call: <T>(key: string, what: string, fn: () => T) => T };
    assert.throws(() => inner.call('entry_1/instrument_1/detector_1/distance@units', 'reading the attribute', () => inner.lib.Module._malloc(2 ** 31 - 4096)), (err: unknown) =>
      err instanceof InputError && /: key 'entry_1\/instrument_1\/detector_1\/distance@units': reading the attribute failed: it needs more than the HDF5 library's 2 GiB of memory, .*\(HDF5: Cannot enlarge memory, requested \d+ bytes, but the limit is 2147483648 bytes!\)$/.test(err.message));
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(seen, []);
  assert.equal(r.kind('entry_1'), 'group', 'the reader still reads');
  r.close();
});
