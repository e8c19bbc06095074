/** Files written by NumPy itself (scripts/make-numpy-fixtures.py) decode to exactly NumPy's values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy, normalizeDtype } from '../../src/npy/npy.js';
import { NpzReader } from '../../src/npy/npz.js';
import { NpyError } from '../../src/npy/errors.js';
import { readMetadata } from '../../src/data/metadata.js';
import { loadDataset } from '../../src/data/dataset.js';
import { NUMPY_FIXTURES, canonicalValues } from './helpers.js';

interface Expected { dtype: string; shape: number[]; values: unknown[] }
const expected = JSON.parse(readFileSync(join(NUMPY_FIXTURES, 'expected.json'), 'utf8')) as {
  files: Record<string, Record<string, Expected> | Expected>;
};
const fx = (name: string): string => join(NUMPY_FIXTURES, name);

for (const file of ['every_dtype_savez.npz', 'every_dtype_savez_compressed.npz']) {
  test(`${file}: every key has NumPy's dtype, shape and exact values`, () => {
    const want = expected.files[file] as Record<string, Expected>;
    const r = NpzReader.open(fx(file));
    try {
      assert.deepEqual(r.keys(), Object.keys(want));
      const method = file.includes('compressed') ? 8 : 0;
      for (const k of r.keys()) {
        assert.equal(r.member(k).method, method, `${k} compression`);
        const a = r.get(k);
        const w = want[k]!;
        assert.equal(a.dtype, normalizeDtype(w.dtype), `${k} dtype`);
        assert.deepEqual(a.shape, w.shape, `${k} shape`);
        assert.deepEqual(canonicalValues(a), w.values, `${k} values`);
      }
      // spot checks that do not depend on the canonical form
      assert.deepEqual(Array.from(r.get('i8').data as BigInt64Array), [2n ** 62n + 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n, 2n ** 63n - 1n]);
      assert.ok(r.get('i8').data instanceof BigInt64Array);
      assert.ok(r.get('u8').data instanceof BigUint64Array);
      assert.deepEqual(Array.from(r.get('be_f8').data as Float64Array), [1, -2.5, Math.PI]);
      assert.deepEqual(Array.from(r.get('fortran_i2').data as Int16Array), [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]);
      assert.deepEqual(r.get('objects_1d').data, ['s', Uint8Array.of(0x62, 0), 3, 2n ** 70n, -1.5, true, null]);
    } finally {
      r.close();
    }
  });

  test(`${file}: _metadata (pickled 0-d object) and meta_u (0-d <U) decode to the same JSON`, () => {
    const r = NpzReader.open(fx(file));
    try {
      const m = readMetadata(r);
      assert.equal(m.status, 'ok');
      const u = readMetadata(r, 'meta_u');
      assert.deepEqual(u, m);
      const v = (m as { value: Record<string, unknown> }).value;
      assert.deepEqual(v.physics_parameters, { nphotons: 1000, N: 64, gridsize: 1 });
      assert.equal((v.creation_info as Record<string, string>).note, 'héllo ✓ 😀');
      assert.deepEqual(readMetadata(r, 'no_such_key'), { status: 'absent' });
    } finally {
      r.close();
    }
  });
}

test('a 1.6 MB 0-d <U JSON string decodes exactly', () => {
  const want = (expected.files['huge_unicode.npz'] as unknown as Record<string, { dtype: string; chars: number; sha256_utf8: string }>)._metadata!;
  const r = NpzReader.open(fx('huge_unicode.npz'));
  try {
    const a = r.get('_metadata');
    assert.equal(a.dtype, want.dtype);
    assert.deepEqual(a.shape, []);
    const text = (a.data as string[])[0]!;
    assert.equal([...text].length, want.chars);
    assert.equal(createHash('sha256').update(text, 'utf8').digest('hex'), want.sha256_utf8);
    const m = readMetadata(r);
    assert.equal(m.status, 'ok');
    assert.equal(((m as { value: Record<string, unknown[]> }).value.points!).length, 30000);
  } finally {
    r.close();
  }
});

test('.npy format versions 1.0, 2.0 and 3.0', () => {
  for (const v of [1, 2, 3]) {
    for (const [name, key] of [[`v${v}_f4.npy`, 'v_f4.npy'], [`v${v}_U.npy`, 'v_U.npy']] as const) {
      const bytes = readFileSync(fx(name));
      assert.equal(bytes[6], v, `${name} is version ${v}`);
      const a = parseNpy(bytes, name);
      const w = expected.files[key] as Expected;
      assert.equal(a.dtype, w.dtype);
      assert.deepEqual(a.shape, w.shape);
      assert.deepEqual(canonicalValues(a), w.values);
    }
  }
});

test('an object array pickled the NumPy 1.x way (protocol 3, numpy.core.multiarray)', () => {
  const a = parseNpy(readFileSync(fx('object_numpy1_protocol3.npy')), 'np1');
  const w = expected.files['object_numpy1_protocol3.npy'] as Expected;
  assert.deepEqual(canonicalValues(a), w.values);
  assert.deepEqual(readMetadata(a), { status: 'ok', value: { a: 1, b: [1, 2] } });
});

test('an object array holding a datetime.date is refused, naming the global', () => {
  assert.throws(() => parseNpy(readFileSync(fx('object_datetime.npy')), 'dt.npy'), (err: unknown) => {
    assert.ok(err instanceof NpyError);
    assert.equal(err.message, "dt.npy: object array pickle references the global datetime.date; only numpy's array reconstruction " +
      '(numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed');
    return true;
  });
});

test('a PtychoPINN Phase C-like dataset loads as a valid Dataset with its pickled _metadata', () => {
  const ds = loadDataset(fx('phase_c_dataset.npz'));
  const want = expected.files['phase_c_dataset.npz'] as Record<string, Expected>;
  assert.deepEqual([ds.n, ds.H, ds.W], [3, 8, 8]);
  assert.deepEqual(canonicalValues({ dtype: '<f4', shape: [3, 8, 8], data: ds.diffraction }), want.diffraction!.values);
  assert.deepEqual(canonicalValues(ds.objectGuess!), want.objectGuess!.values);
  assert.deepEqual(Array.from(ds.xcoords), [4, 8, 12]);
  assert.deepEqual(Object.keys(ds.extra).sort(), ['ground_truth_patches', 'scan_index', 'xcoords_start', 'ycoords_start']);
  assert.deepEqual(ds.metadata, { schema_version: '1.0.0', physics_parameters: { nphotons: 1000, N: 8 }, data_transformations: [{ tool: 'transpose_rename_convert' }] });
  assert.deepEqual(ds.warnings, []);
});
