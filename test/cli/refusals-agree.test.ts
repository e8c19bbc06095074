/**
 * `inspect --check FILE` names first what `lsqml --input FILE` refuses, in its words: for each refusal of the patterns
 * and of the probe they start from, a file of each format where the case exists (dataset NPZ, CXI, PtyPy .ptyd) that
 * breaks only that rule; lsqml exits 2 with one line, and inspect --check lists exactly that line, and no other. And
 * what lsqml does not refuse, inspect --check does not either: a dataset NPZ's optional keys lsqml never reads
 * (xcoords_start, ycoords_start, scan_index, Y, ground_truth_patches, filenames, keys outside DATA-001), malformed or
 * unreadable, are warnings of the check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { encodeNpy } from '../../src/npy/npy.js';
import { headerDict, npyWithHeader, zipOf } from '../npy/craft.js';
import { metadataArray, readMetadata } from '../../src/data/metadata.js';
import type { NdArray } from '../../src/npy/types.js';
import { cxiScanEntries, writeHdf5, writePtyd } from '../data/cxi-builder.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';
import { tempDir } from '../tmp.js';

const dir = tempDir('refusals-agree');
const n = 4, N = 8;

/** A dataset NPZ lsqml reconstructs, with `change` applied to its arrays. */
function npz(name: string, change: (a: Record<string, NdArray>) => void = () => {}): string {
  const a: Record<string, NdArray> = {
    diffraction: { dtype: '<f4', shape: [n, N, N], data: Float32Array.from({ length: n * N * N }, (_, i) => 1 + (i % 7)) },
    probeGuess: { dtype: '<c8', shape: [N, N], data: Float32Array.from({ length: 2 * N * N }, (_, i) => (i % 2 ? 0.5 : 1)) },
    xcoords: { dtype: '<f8', shape: [n], data: Float64Array.from([10, 12, 10, 12]) },
    ycoords: { dtype: '<f8', shape: [n], data: Float64Array.from([10, 10, 12, 12]) },
  };
  change(a);
  const file = join(dir, `${name}.npz`);
  saveNpz(file, a);
  return file;
}

/** CXI counts [n, N, N] (float32 unless given) with geometry, positions and a probe lsqml takes; `position` changes the positions. */
function cxi(name: string, counts: Float32Array | Uint32Array, shape = [n, N, N], position: (t: Float64Array) => void = () => {}): string {
  const file = join(dir, `${name}.cxi`);
  writeHdf5(file, cxiScanEntries(counts, shape, { probe: true, position }));
  return file;
}

/** PtyPy prepared data of the same counts, one chunk (it holds no probe: lsqml is given a model). */
const ptyd = (name: string, counts: Float32Array): string => writePtyd(join(dir, `${name}.ptyd`), counts, [n, N, N]);

const counts = (v: (i: number) => number): Float32Array => Float32Array.from({ length: n * N * N }, (_, i) => v(i));
const config = (name: string, text: string): string => { const f = join(dir, `${name}.yaml`); writeFileSync(f, text); return f; };
const f64 = config('float64', 'reconstruction:\n  precision: float64\n');
const wasm = config('wasm', 'reconstruction:\n  fftBackend: wasm\n');
const counts6x8 = (): Float32Array => Float32Array.from({ length: n * 48 }, (_, i) => 1 + (i % 5));

interface Case { what: string; file: string; line: (file: string) => string; args?: string[] }

const D = 'entry_1/data_1/data';
const cases: Case[] = [
  // dataset NPZ
  { what: 'NPZ, patterns not square', file: npz('oblong', (a) => { a.diffraction = { dtype: '<f4', shape: [n, N, N - 2], data: new Float32Array(n * N * (N - 2)).fill(1) }; a.probeGuess = { dtype: '<c8', shape: [N, N - 2], data: new Float32Array(2 * N * (N - 2)).fill(1) }; }),
    line: (f) => `${f}: key 'diffraction': expected square diffraction patterns for LSQML (H = W); found ${N}×${N - 2}: a dataset NPZ's patterns are used as stored ` +
      '(--crop-center, --crop-size crop the detector frames of CXI and .ptyd files only): crop them to a square about the direct beam where the NPZ is written' },
  { what: 'NPZ, patterns of a side fftBackend wasm does not take', file: npz('seventeen', (a) => { a.diffraction = { dtype: '<f4', shape: [n, 17, 17], data: new Float32Array(n * 289).fill(1) }; a.probeGuess = { dtype: '<c8', shape: [17, 17], data: new Float32Array(578).fill(1) }; }),
    args: ['--config', wasm],
    line: (f) => `${f}: key 'diffraction': expected patterns whose side is ≥ 2 with no prime factor above 13 for reconstruction.fftBackend wasm (the WebAssembly FFT takes no other); ` +
      'found 17×17: set fftBackend auto (the TypeScript FFT, in float64)' },
  { what: 'NPZ, patterns of no pixel', file: npz('no-pixel', (a) => { a.diffraction = { dtype: '<f4', shape: [n, 0, 0], data: new Float32Array(0) }; a.probeGuess = { dtype: '<c8', shape: [0, 0], data: new Float32Array(0) }; }),
    line: (f) => `${f}: key 'diffraction': expected patterns of at least 1×1 pixels; found shape (4, 0, 0)` },
  { what: 'NPZ, no pattern', file: npz('none', (a) => { a.diffraction = { dtype: '<f4', shape: [0, N, N], data: new Float32Array(0) }; a.xcoords = { dtype: '<f8', shape: [0], data: new Float64Array(0) }; a.ycoords = { dtype: '<f8', shape: [0], data: new Float64Array(0) }; }),
    line: (f) => `${f}: no diffraction patterns to reconstruct` },
  { what: 'NPZ, all-zero counts', file: npz('zeros', (a) => { (a.diffraction!.data as Float32Array).fill(0); }),
    line: (f) => `${f}: key 'diffraction': expected diffraction patterns with some counts; found 4 patterns all zero: there is nothing to reconstruct` },
  { what: 'NPZ, a probeGuess of zeros', file: npz('zero-probe', (a) => { (a.probeGuess!.data as Float32Array).fill(0); }),
    line: (f) => `${f}: key 'probeGuess': expected a probe with non-zero intensity; found all 64 values zero` },
  { what: 'NPZ, no probeGuess and no probe given', file: npz('no-probe', (a) => { delete a.probeGuess; }),
    line: (f) => `${f}: key 'probeGuess': expected the probe (complex [8, 8]); found it missing; give --probe-model aperture:diameter=…|fzp:diameter=…,outer-zone=…,defocus=… or --init-probe file:PATH` },
  { what: 'NPZ, amplitudes whose float32 pattern totals overflow', file: npz('bright', (a) => { (a.diffraction!.data as Float32Array).fill(1e19); }),
    line: (f) => `${f}: key 'diffraction': expected patterns of at most 1e+37 photons each in float32 (its sums would overflow); found pattern 0 totalling 6.40e+39: use precision float64` },
  { what: 'NPZ, amplitudes within float32 whose intensities exceed it (float64 precision)', file: npz('brighter', (a) => { (a.diffraction!.data as Float32Array).fill(1e20); }),
    args: ['--config', f64],
    line: (f) => `${f}: key 'diffraction': expected intensities of at most 3.403e+38 photons per pixel (float32's largest value, in which a large scan's intensities are held); found 1.00e+40 in pattern 0 at pixel 0` },
  { what: 'NPZ, an infinite amplitude', file: npz('inf', (a) => { (a.diffraction!.data as Float32Array)[5] = Infinity; }),
    line: (f) => `${f}: key 'diffraction': expected finite amplitudes ≥ 0; found 1 non-finite value (first: Infinity at flat index 5)` },
  { what: 'NPZ, a NaN position', file: npz('nan-x', (a) => { (a.xcoords!.data as Float64Array)[2] = NaN; }),
    line: (f) => `${f}: key 'xcoords': expected finite coordinates; found 1 non-finite value (first: NaN at flat index 2)` },
  { what: 'NPZ, an intensity scale that is not a positive number', file: npz('bad-scale', (a) => { a._metadata = metadataArray({ intensity_scale: -2 }); }),
    line: (f) => `${f}: _metadata.intensity_scale must be a positive number, found -2` },
  { what: 'NPZ, a scale that makes the totals overflow', file: npz('scaled', (a) => { a._metadata = metadataArray({ intensity_scale: 1e18 }); }),
    line: (f) => `${f}: key 'diffraction': expected patterns of at most 1e+37 photons each in float32 (its sums would overflow); found pattern 3 totalling 1.28e+39 (× _metadata.intensity_scale 1000000000000000000 squared): use precision float64` },
  // CXI
  { what: 'CXI, all-zero counts', file: cxi('zeros', new Uint32Array(n * N * N)),
    line: (f) => `${f}: key '${D}': expected diffraction patterns with some counts; found 4 patterns all zero: there is nothing to reconstruct` },
  { what: 'CXI, counts near float32\'s largest value', file: cxi('bright', counts(() => 3e38)),
    line: (f) => `${f}: key '${D}': expected patterns of at most 1e+37 photons each in float32 (its sums would overflow); found pattern 0 totalling 1.92e+40: use precision float64` },
  { what: 'CXI, an infinite count', file: cxi('inf', counts((i) => (i === 70 ? Infinity : 5))),
    line: (f) => `${f}: key '${D}': expected diffraction data [n, H, W] (counts or intensities, integer or float), finite and at most 1.158e+77 (amplitudes are float32), or in a pixel the detector mask masks; found Infinity in pattern 1 at pixel (0, 6)` },
  { what: 'CXI, a NaN count', file: cxi('nan', counts((i) => (i === 3 ? NaN : 5))),
    line: (f) => `${f}: key '${D}': expected diffraction data [n, H, W] (counts or intensities, integer or float), finite and at most 1.158e+77 (amplitudes are float32), or in a pixel the detector mask masks; found NaN in pattern 0 at pixel (0, 3)` },
  { what: 'CXI, a NaN position', file: cxi('nan-position', counts(() => 5), [n, N, N], (t) => { t[4] = NaN; }),
    line: (f) => `${f}: key 'entry_1/sample_1/geometry_1/translation': expected probe positions [n, 3] (x, y, z in m) with n = 4 (the number of patterns), finite; found (0.000001, NaN) at row 1` },
  { what: 'CXI, frames not square (6×8, as a detector\'s 120×128 stack)', file: cxi('oblong', counts6x8(), [n, 6, 8]),
    line: (f) => `${f}: key '${D}': expected square diffraction patterns for LSQML (H = W); found 6×8: crop the detector frames to a square about the direct beam ` +
      `with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${f}\` says where the beam is and suggests both)` },
  { what: 'CXI, frames of a side fftBackend wasm does not take', file: cxi('seventeen', Float32Array.from({ length: n * 289 }, (_, i) => 1 + (i % 5)), [n, 17, 17]),
    args: ['--config', wasm],
    line: (f) => `${f}: key '${D}': expected patterns whose side is ≥ 2 with no prime factor above 13 for reconstruction.fftBackend wasm (the WebAssembly FFT takes no other); ` +
      `found 17×17: --crop-center Y,X --crop-size 16 or 18 makes patterns of 16×16 or 18×18, the nearest sides float32 takes (\`ptychostudy inspect ${f}\` says where the direct beam is, the crop's centre); ` +
      'or set fftBackend auto (the TypeScript FFT, in float64)' },
  // PtyPy .ptyd (no probe in the file: a model gives it)
  { what: '.ptyd, all-zero counts', file: ptyd('zeros', counts(() => 0)), args: ['--probe-model', 'aperture:diameter=2e-6'],
    line: (f) => `${f}: key 'chunks/0/data': expected diffraction patterns with some counts; found 4 patterns all zero: there is nothing to reconstruct` },
  { what: '.ptyd, counts near float32\'s largest value', file: ptyd('bright', counts(() => 3e38)), args: ['--probe-model', 'aperture:diameter=2e-6'],
    line: (f) => `${f}: key 'chunks/0/data': expected patterns of at most 1e+37 photons each in float32 (its sums would overflow); found pattern 0 totalling 1.92e+40: use precision float64` },
];

for (const c of cases) {
  test(`${c.what}: lsqml refuses it in one line, and inspect --check lists that line alone`, () => {
    const out = join(dir, `out-${c.what.replace(/\W+/g, '-')}`);
    const line = c.line(c.file);
    assertRefused(ptychostudy(['lsqml', '--input', c.file, '--out', out, '--epochs', '2', ...(c.args ?? [])]), 'lsqml', line);
    assert.ok(!existsSync(join(out, 'reconstruction.npz')), 'nothing written');
    const check = ptychostudy(['inspect', '--check', ...(c.args ?? []), c.file]);
    assert.equal(check.status, 2, check.stdout + check.stderr);
    const listed = check.stdout.split('\n').filter((l) => l.startsWith(`  ${c.file}`));
    assert.deepEqual(listed, [`  ${line}`], check.stdout);
  });
}

test('a probeGuess of zeros that a probe model stands in for is no refusal: lsqml runs the file, inspect --check finds nothing', () => {
  const file = npz('zero-probe-model', (a) => { (a.probeGuess!.data as Float32Array).fill(0); });
  const model = ['--probe-model', 'aperture:diameter=2e-7,wavelength=1e-10,pixel=5e-8'];
  const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, 'zero-probe-model'), '--epochs', '2', ...model]);
  assert.equal(r.status, 0, r.stderr);
  const check = ptychostudy(['inspect', '--check', ...model, file]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^  probe: model aperture \(reconstruction\.probeModel\)/m);
});

test('the file each case was made from passes both: lsqml runs it, inspect --check finds nothing', () => {
  for (const [file, args] of [[npz('good'), []], [cxi('good', counts((i) => 1 + (i % 9))), []], [ptyd('good', counts((i) => 1 + (i % 9))), ['--probe-model', 'aperture:diameter=2e-6']]] as const) {
    const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, `good-${file.split('.').pop()}`), '--epochs', '2', ...args]);
    assert.equal(r.status, 0, r.stderr);
    const check = ptychostudy(['inspect', '--check', ...args, file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  }
});

// The optional DATA-001 keys lsqml does not read (it reads diffraction, probeGuess, xcoords, ycoords, objectGuess and
// _metadata): a malformed one does not stop lsqml, so inspect --check says it as a warning and finds no problem.
const unreadCases: { key: string; change: (a: Record<string, NdArray>) => void; found: string }[] = [
  { key: 'xcoords_start', change: (a) => { a.xcoords_start = { dtype: '<f8', shape: [3], data: new Float64Array(3) }; },
    found: `expected float (<f4 or <f8) 1-D array of length n = ${n}, finite; found length 3 (diffraction has n = ${n})` },
  { key: 'ycoords_start', change: (a) => { a.ycoords_start = { dtype: '<f8', shape: [n], data: Float64Array.from([NaN, 0, 0, 0]) }; },
    found: 'expected finite coordinates; found 1 non-finite value (first: NaN at flat index 0)' },
  { key: 'scan_index', change: (a) => { a.scan_index = { dtype: '<f8', shape: [n], data: new Float64Array(n) }; },
    found: `expected integer 1-D array of length n = ${n}; found dtype <f8` },
  { key: 'Y', change: (a) => { a.Y = { dtype: '<c8', shape: [1, 4, 4], data: new Float32Array(32) }; },
    found: `expected complex (<c8 or <c16) [m, H, W] or [m, H, W, 1] with H, W = ${N}, ${N}; found shape (1, 4, 4)` },
  { key: 'ground_truth_patches', change: (a) => { a.ground_truth_patches = { dtype: '<f4', shape: [n, N, N], data: new Float32Array(n * N * N) }; },
    found: `expected complex (<c8 or <c16) [n, H, W] or [n, H, W, 1] with H, W = ${N}, ${N}, n = ${n}; found dtype <f4` },
  { key: 'filenames', change: (a) => { a.filenames = { dtype: '<i4', shape: [n], data: new Int32Array(n) }; },
    found: "expected a string array ('<U' or '|S'); found dtype <i4" },
];

for (const c of unreadCases) {
  test(`NPZ, a malformed ${c.key} (not read by a reconstruction): lsqml runs the file, inspect --check warns of the key and finds no problem (was: a problem, exit 2)`, () => {
    const file = npz(`unread-${c.key}`, c.change);
    const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, `unread-${c.key}`), '--epochs', '2']);
    assert.equal(r.status, 0, r.stderr);
    const check = ptychostudy(['inspect', '--check', file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /^DATA-001 check: valid dataset$/m);
    const warned = check.stdout.split('\n').filter((l) => l.includes(`key '${c.key}'`));
    assert.deepEqual(warned, [`  warning: ${file}: key '${c.key}': ${c.found} (a reconstruction does not read this key)`], check.stdout);
  });
}

test('NPZ, a large Y beside a job over the memory limit: inspect --check lists lsqml\'s memory refusal alone, and says Y was not checked (was: a refusal of Y, which lsqml never reads)', () => {
  const m = 4096; // Y [4096, 8, 8] complex64: 2 MiB in memory, deflated to a few KiB
  const file = npz('large-Y', (a) => { a.Y = { dtype: '<c8', shape: [m, N, N], data: new Float32Array(2 * m * N * N) }; });
  const env = { PTYCHOSTUDY_MEMORY_LIMIT: '1M' };
  const refused = ptychostudy(['lsqml', '--input', file, '--out', join(dir, 'large-Y'), '--epochs', '2'], { env });
  const want = `${file}: key 'diffraction': expected a reconstruction that fits the memory limit of 1.00 MiB (PTYCHOSTUDY_MEMORY_LIMIT=1M); ` +
    `found shape (${n}, ${N}, ${N}), for which an LSQML job with 1 mode needs about `;
  assertRefused(refused, 'lsqml', /needs about [\d.]+ MiB$/);
  const line = refused.stderr.trim().replace('ptychostudy lsqml: ', '');
  assert.ok(line.startsWith(want), line);
  const check = ptychostudy(['inspect', '--check', file], { env });
  assert.equal(check.status, 2, check.stdout + check.stderr);
  assert.deepEqual(check.stdout.split('\n').filter((l) => l.startsWith(`  ${file}`)), [`  ${line}`], check.stdout);
  assert.ok(check.stdout.includes(`  warning: ${file}: key 'Y': not checked against DATA-001: held with the arrays a reconstruction reads they would exceed ` +
    'the memory limit of 1.00 MiB (a reconstruction does not read this key)'), check.stdout);
});

test('patterns of a power-of-two side pass fftBackend wasm: lsqml runs the NPZ and the CXI file, inspect --check finds nothing', () => {
  for (const file of [npz('good-wasm'), cxi('good-wasm', counts((i) => 1 + (i % 9)))]) {
    const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, `good-wasm-${file.split('.').pop()}`), '--epochs', '2', '--config', wasm]);
    assert.equal(r.status, 0, r.stderr);
    const check = ptychostudy(['inspect', '--check', '--config', wasm, file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  }
});

test('patterns of a side 2·3 pass fftBackend wasm too (its mixed-radix path): lsqml runs the NPZ and the CXI file in float32, inspect --check finds no problem', () => {
  const six = npz('six-wasm', (a) => { a.diffraction = { dtype: '<f4', shape: [n, 6, 6], data: Float32Array.from({ length: n * 36 }, (_, i) => 1 + (i % 7)) }; a.probeGuess = { dtype: '<c8', shape: [6, 6], data: new Float32Array(72).fill(1) }; });
  for (const file of [six, cxi('six-wasm', Float32Array.from({ length: n * 36 }, (_, i) => 1 + (i % 5)), [n, 6, 6])]) {
    const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, `six-wasm-${file.split('.').pop()}`), '--epochs', '2', '--config', wasm]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /computes in float64/);
    const meta = readMetadata(loadNpz(join(dir, `six-wasm-${file.split('.').pop()}`, 'reconstruction.npz'))._metadata!) as { value: Record<string, unknown> };
    assert.equal(meta.value.precision, 'float32');
    const check = ptychostudy(['inspect', '--check', '--config', wasm, file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  }
});

test('NPZ, a float16 key lsqml never reads (scan_index, or a key outside DATA-001): lsqml runs the file, inspect --check warns of it and finds no problem (was: the file refused)', () => {
  for (const key of ['scan_index', 'extra_half']) {
    const members: Record<string, Uint8Array> = {};
    const arrays: Record<string, NdArray> = {};
    npz(`f16-${key}-arrays`, (a) => { Object.assign(arrays, a); });
    for (const k of ['diffraction', 'probeGuess', 'xcoords', 'ycoords']) members[`${k}.npy`] = encodeNpy(arrays[k]!);
    members[`${key}.npy`] = npyWithHeader(headerDict('<f2', [n]), new Uint8Array(2 * n));
    const file = join(dir, `f16-${key}.npz`);
    writeFileSync(file, zipOf(members));
    const r = ptychostudy(['lsqml', '--input', file, '--out', join(dir, `f16-${key}`), '--epochs', '2']);
    assert.equal(r.status, 0, r.stderr);
    const check = ptychostudy(['inspect', '--check', file]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.ok(check.stdout.split('\n').includes(`  warning: ${file}: key '${key}': expected a dtype of float32/64, complex64/128, int8–64, uint8–64, bool, ` +
      'a fixed-length string or an object array; found "<f2" (a reconstruction does not read this key)'), check.stdout);
    // inspect without --check lists files, and this one holds a key it cannot read: exit 2 naming it, as before
    assert.equal(ptychostudy(['inspect', file]).status, 2);
  }
});
