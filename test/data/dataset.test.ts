import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, datasetToArrays, loadDataset, saveDataset, validateDataset } from '../../src/data/dataset.js';
import { metadataArray } from '../../src/data/metadata.js';
import { InputError } from '../../src/errors.js';
import { saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';

/** The fixture of the reference validator test: 10 images 64², 128² object, 64² probe, coords 110 px apart. */
export function validArrays(n = 10, N = 64, M = 128): Record<string, NdArray> {
  const diff = new Float32Array(n * N * N);
  for (let i = 0; i < diff.length; i++) diff[i] = (i % 97) / 97;
  const xs = Float64Array.from({ length: n }, (_, i) => 10 + 110 * i);
  return {
    diffraction: { dtype: '<f4', shape: [n, N, N], data: diff },
    objectGuess: { dtype: '<c8', shape: [M, M], data: new Float32Array(2 * M * M).fill(1) },
    probeGuess: { dtype: '<c8', shape: [N, N], data: new Float32Array(2 * N * N).fill(0.5) },
    xcoords: { dtype: '<f8', shape: [n], data: xs },
    ycoords: { dtype: '<f8', shape: [n], data: xs.map((v) => v / 2) },
  };
}

function violations(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DatasetError, `expected DatasetError, got ${String(err)}`);
    assert.ok(err instanceof InputError);
    assert.equal(err.exitCode, 2);
    assert.equal(err.message.split('\n').length, err.violations.length === 1 ? 1 : err.violations.length + 1);
    return err.violations;
  }
  assert.fail('expected a DatasetError');
}

test('a valid dataset passes and is typed', () => {
  const { dataset, warnings } = validateDataset(validArrays(), 'ok.npz');
  assert.deepEqual(warnings, []);
  assert.deepEqual([dataset.n, dataset.H, dataset.W], [10, 64, 64]);
  assert.ok(dataset.diffraction instanceof Float32Array);
  assert.ok(dataset.xcoords instanceof Float64Array);
  assert.equal(dataset.metadata, undefined);
  assert.equal(dataset.metadataError, undefined);
});

test('missing required key', () => {
  const a = validArrays();
  delete a.diffraction;
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'diffraction': expected a required DATA-001 key; found it missing",
  ]);
});

test('complex diffraction is rejected with the reason', () => {
  const a = validArrays();
  a.diffraction = { dtype: '<c8', shape: [10, 64, 64], data: new Float32Array(2 * 10 * 64 * 64) };
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'diffraction': expected float amplitudes (<f4 or <f8); found complex dtype <c8 — diffraction must be float (amplitude), not complex",
  ]);
});

test('a complex diffraction stack still gives n, H, W: the other keys are checked against them in the same pass', () => {
  const a = validArrays();
  a.diffraction = { dtype: '<c8', shape: [10, 64, 64], data: new Float32Array(2 * 10 * 64 * 64) };
  a.ycoords = { dtype: '<f8', shape: [9], data: new Float64Array(9) };
  a.probeGuess = { dtype: '<c8', shape: [32, 32], data: new Float32Array(2 * 32 * 32) };
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'diffraction': expected float amplitudes (<f4 or <f8); found complex dtype <c8 — diffraction must be float (amplitude), not complex",
    "f.npz: key 'probeGuess': expected complex (<c8 or <c16) [H, W] = (64, 64); found shape (32, 32)",
    "f.npz: key 'ycoords': expected float (<f4 or <f8) 1-D array of length n = 10, finite; found length 9 (diffraction has n = 10)",
  ]);
});

test('negative and non-finite diffraction values', () => {
  const a = validArrays();
  const d = a.diffraction!.data as Float32Array;
  d[5] = -0.5;
  d[7] = NaN;
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'diffraction': expected finite amplitudes ≥ 0; found 1 non-finite value and 1 negative value (first: -0.5 at flat index 5)",
  ]);
});

test('NaN in coordinates and wrong-length coordinates: every violation, one line each', () => {
  const a = validArrays();
  (a.xcoords!.data as Float64Array)[3] = NaN;
  a.ycoords = { dtype: '<f8', shape: [5], data: new Float64Array(5) };
  a.objectGuess = { dtype: '<f8', shape: [128, 128], data: new Float64Array(128 * 128) };
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'objectGuess': expected complex (<c8 or <c16) 2-D array; found dtype <f8, shape (128, 128)",
    "f.npz: key 'xcoords': expected finite coordinates; found 1 non-finite value (first: NaN at flat index 3)",
    "f.npz: key 'ycoords': expected float (<f4 or <f8) 1-D array of length n = 10, finite; found length 5 (diffraction has n = 10)",
  ]);
});

test('probe must match the pattern size; optional keys are checked when present', () => {
  const a = validArrays();
  a.probeGuess = { dtype: '<c8', shape: [32, 32], data: new Float32Array(2 * 32 * 32) };
  a.scan_index = { dtype: '<f8', shape: [10], data: new Float64Array(10) };
  a.Y = { dtype: '<c8', shape: [1, 64, 32, 1], data: new Float32Array(2 * 64 * 32) };
  a.ground_truth_patches = { dtype: '<c8', shape: [10, 64, 64, 1], data: new Float32Array(2 * 10 * 64 * 64) };
  a.xcoords_start = { dtype: '<f8', shape: [9], data: new Float64Array(9) };
  a._metadata = { dtype: '<f8', shape: [2], data: new Float64Array(2) };
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'probeGuess': expected complex (<c8 or <c16) [H, W] = (64, 64); found shape (32, 32)",
    "f.npz: key 'xcoords_start': expected float (<f4 or <f8) 1-D array of length n = 10, finite; found length 9 (diffraction has n = 10)",
    "f.npz: key 'scan_index': expected integer 1-D array of length n = 10; found dtype <f8",
    "f.npz: key 'Y': expected complex (<c8 or <c16) [m, H, W] or [m, H, W, 1] with H, W = 64, 64; found shape (1, 64, 32, 1)",
    "f.npz: key '_metadata': expected a 0-d JSON string ('<U', '|S' or pickled str); found dtype <f8, shape (2,)",
  ]);
});

test('float32 coordinates far from 0 are rounded in the file: a warning says by how much (was silent)', () => {
  const a = validArrays();
  const far = Float32Array.from({ length: 10 }, (_, i) => 16_000_000 + 0.3 * i); // float32 is 1 apart here: every 0.3 is lost
  a.xcoords = { dtype: '<f4', shape: [10], data: far };
  const { warnings } = validateDataset(a, 'far.npz');
  assert.deepEqual(warnings, ["far.npz: key 'xcoords': coordinates are rounded by up to 0.50 pixels in the file (values up to 16000003 stored as float32, " +
    'which are 1 pixel apart there); store them as float64, or relative to the scan']);
  a.xcoords = { dtype: '<f4', shape: [10], data: Float32Array.from(far, (v) => v - 15_999_000) }; // 1000: 6e-5 apart
  assert.deepEqual(validateDataset(a, 'near.npz').warnings, []);
});

test('legacy [H,W,n] diffraction is transposed with a warning', () => {
  const a = validArrays(3, 4);
  const nhw = a.diffraction!.data as Float32Array;
  const hwn = new Float32Array(nhw.length);
  for (let k = 0; k < 3; k++) for (let p = 0; p < 16; p++) hwn[p * 3 + k] = nhw[k * 16 + p]!;
  a.diffraction = { dtype: '<f4', shape: [4, 4, 3], data: hwn };
  const { dataset, warnings } = validateDataset(a, 'old.npz');
  assert.deepEqual(warnings, ["old.npz: key 'diffraction': legacy [H, W, n] layout (4, 4, 3) transposed to [n, H, W] (3, 4, 4)"]);
  assert.deepEqual([dataset.n, dataset.H, dataset.W], [3, 4, 4]);
  assert.deepEqual(dataset.diffraction, nhw);
});

test('n = W: a stack whose patterns do not peak at [H/2, W/2] is read as [n, H, W] with a warning that a legacy [H, W, n] stack has its shape', () => {
  // 8 patterns of 8×8, each a bright zero frequency at [4, 4] on a weak background: what a centred far field looks like
  const n = 8, N = 8;
  const nhw = new Float32Array(n * N * N).fill(0.1);
  for (let k = 0; k < n; k++) nhw[k * N * N + 4 * N + 4] = 10 + k;
  const a = validArrays(n, N);
  a.diffraction = { dtype: '<f4', shape: [n, N, N], data: nhw };
  assert.deepEqual(validateDataset(a, 'raster.npz').warnings, []);
  // the same stack stored legacy [H, W, n]: same shape, read as [n, H, W] (its "patterns" are rows), but it no longer peaks at the centre
  const hwn = new Float32Array(nhw.length);
  for (let k = 0; k < n; k++) for (let p = 0; p < N * N; p++) hwn[p * n + k] = nhw[k * N * N + p]!;
  a.diffraction = { dtype: '<f4', shape: [N, N, n], data: hwn };
  const { dataset, warnings } = validateDataset(a, 'raster-legacy.npz');
  assert.deepEqual([dataset.n, dataset.H, dataset.W], [8, 8, 8]);
  assert.deepEqual(warnings, ["raster-legacy.npz: key 'diffraction': shape (8, 8, 8) with 8 coordinates is read as [n, H, W], but the patterns' summed " +
    "intensity does not peak at [H/2, W/2] (the zero frequency): a legacy [H, W, n] stack with H = n has the same shape; if it is one, save it as [n, H, W]"]);
});

test('broken _metadata is recorded, absent metadata is distinguishable', () => {
  const a = validArrays();
  a._metadata = { dtype: '<U5', shape: [], data: ['{oops'] };
  const { dataset, warnings } = validateDataset(a, 'f.npz');
  assert.equal(dataset.metadata, undefined);
  assert.match(dataset.metadataError!, /^_metadata is not valid JSON: /);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^f\.npz: key '_metadata': present but unreadable/);
});

test('saveDataset → loadDataset round trip keeps extra keys and metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ds-'));
  try {
    const a = validArrays();
    a.scan_index = { dtype: '<i8', shape: [10], data: new BigInt64Array(10) };
    a._metadata = metadataArray({ nphotons: 1000, view: 'dense' });
    const p = join(dir, 'd.npz');
    saveNpz(p, a);
    const ds = loadDataset(p);
    assert.deepEqual(ds.metadata, { nphotons: 1000, view: 'dense' });
    assert.deepEqual(Object.keys(ds.extra), ['scan_index']);
    const p2 = join(dir, 'd2.npz');
    saveDataset(p2, ds);
    const back = loadDataset(p2);
    const arrays = datasetToArrays(back);
    assert.deepEqual(Object.keys(arrays).sort(), ['_metadata', 'diffraction', 'objectGuess', 'probeGuess', 'scan_index', 'xcoords', 'ycoords']);
    assert.deepEqual(back.diffraction, a.diffraction!.data);
    assert.deepEqual(back.objectGuess!.data, a.objectGuess!.data);
    assert.deepEqual(back.metadata, ds.metadata);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveDataset: a dataset built in memory with parts missing or of another kind is a DatasetError naming each, nothing written; `extra` may be left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ds-'));
  try {
    const p = join(dir, 'd.npz');
    assert.deepEqual(violations(() => saveDataset(p, null as never)), [`${p}: expected a dataset { n, H, W, diffraction, probeGuess, xcoords, ycoords }; found null`]);
    const a = validArrays(3, 8, 32);
    const parts = { n: 3, H: 8, W: 8, diffraction: a.diffraction!.data, probeGuess: a.probeGuess!, xcoords: a.xcoords!.data, ycoords: a.ycoords!.data };
    assert.deepEqual(violations(() => saveDataset(p, { ...parts, n: 4, ycoords: [1, 2, 3] } as never)), [
      `${p}: key 'diffraction': expected a Float32Array of n·H·W = 256 values; found a Float32Array of 192 values`,
      `${p}: key 'xcoords': expected a Float64Array of n = 4 values; found a Float64Array of 3 values`,
      `${p}: key 'ycoords': expected a Float64Array of n = 4 values; found an array of 3`,
    ]);
    assert.deepEqual(violations(() => saveDataset(p, { ...parts, probeGuess: undefined } as never)), [`${p}: key 'probeGuess': expected an array { dtype, shape, data }; found nothing`]);
    assert.equal(existsSync(p), false);
    saveDataset(p, parts as never);
    const back = loadDataset(p);
    assert.deepEqual([back.n, back.H, back.W, Object.keys(back.extra)], [3, 8, 8, []]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no spacing gate: positions 40 px and 20 px apart pass, and float64 amplitudes are read as float32 with a warning', () => {
  for (const step of [40, 20]) {
    const a = validArrays();
    const xs = Float64Array.from({ length: 10 }, (_, i) => 10 + step * i);
    a.xcoords = { dtype: '<f8', shape: [10], data: xs };
    a.ycoords = { dtype: '<f8', shape: [10], data: Float64Array.from(xs) };
    const { dataset, warnings } = validateDataset(a, 'f.npz');
    assert.equal(dataset.n, 10, `${step} px`);
    assert.deepEqual(warnings, [], `${step} px`);
  }
  const a = validArrays();
  const f4 = a.diffraction!.data as Float32Array;
  a.diffraction = { dtype: '<f8', shape: [10, 64, 64], data: Float64Array.from(f4) };
  const { dataset, warnings } = validateDataset(a, 'f.npz');
  assert.ok(dataset.diffraction instanceof Float32Array);
  assert.deepEqual(dataset.diffraction, f4);
  assert.deepEqual(warnings, ["f.npz: key 'diffraction': float64 converted to float32"]);
});

test('xcoords shorter than the diffraction stack is refused, naming xcoords and both lengths', () => {
  const a = validArrays();
  a.xcoords = { dtype: '<f8', shape: [5], data: (a.xcoords!.data as Float64Array).slice(0, 5) };
  assert.deepEqual(violations(() => validateDataset(a, 'f.npz')), [
    "f.npz: key 'xcoords': expected float (<f4 or <f8) 1-D array of length n = 10, finite; found length 5 (diffraction has n = 10)",
  ]);
});
