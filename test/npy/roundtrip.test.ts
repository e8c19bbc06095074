import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import { NpzReader, loadNpz, saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { metadataArray, readMetadata } from '../../src/data/metadata.js';

export function sampleArrays(): Record<string, NdArray> {
  return {
    f4: { dtype: '<f4', shape: [2, 3], data: Float32Array.of(1, -2.5, 3, Infinity, NaN, -0) },
    f8: { dtype: '<f8', shape: [3], data: Float64Array.of(Math.PI, -1e-310, 1e300) },
    c8: { dtype: '<c8', shape: [2], data: Float32Array.of(1, 2, -3, 4.5) },
    c16: { dtype: '<c16', shape: [1, 1], data: Float64Array.of(0.1, -0.2) },
    i1: { dtype: '|i1', shape: [3], data: Int8Array.of(-128, 0, 127) },
    i2: { dtype: '<i2', shape: [2], data: Int16Array.of(-32768, 32767) },
    i4: { dtype: '<i4', shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
    i8: { dtype: '<i8', shape: [3], data: BigInt64Array.of(2n ** 62n + 1n, -(2n ** 63n), 0n) },
    u1: { dtype: '|u1', shape: [2], data: Uint8Array.of(0, 255) },
    u2: { dtype: '<u2', shape: [1], data: Uint16Array.of(65535) },
    u4: { dtype: '<u4', shape: [1], data: Uint32Array.of(2 ** 32 - 1) },
    u8: { dtype: '<u8', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
    b1: { dtype: '|b1', shape: [3], data: Uint8Array.of(1, 0, 1) },
    U: { dtype: '<U5', shape: [2], data: ['héllo', '😀x'] },
    S: { dtype: '|S3', shape: [2], data: [Uint8Array.of(97, 98), Uint8Array.of(0x63, 0, 0x64)] },
    scalar: { dtype: '<f8', shape: [], data: Float64Array.of(42) },
    empty: { dtype: '<f4', shape: [0, 4], data: new Float32Array(0) },
  };
}

test('encodeNpy → parseNpy keeps dtype, shape and values for every dtype', () => {
  for (const [k, a] of Object.entries(sampleArrays())) {
    const b = parseNpy(encodeNpy(a, k), k);
    assert.deepEqual(b.shape, a.shape, k);
    assert.deepEqual(b.data, a.data, k);
  }
});

test('saveNpz → NpzReader round trip, stored and compressed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npz-'));
  try {
    for (const compress of [true, false]) {
      const p = join(dir, `a-${compress}.npz`);
      const arrays: Record<string, NdArray> = { ...sampleArrays(), _metadata: metadataArray({ a: 1, s: 'ü' }) };
      saveNpz(p, arrays, { compress });
      const r = NpzReader.open(p);
      assert.deepEqual(r.keys(), Object.keys(arrays));
      assert.equal(r.member('f8').method, compress ? 8 : 0);
      assert.deepEqual(r.get('i8').data, arrays.i8!.data);
      assert.deepEqual(readMetadata(r), { status: 'ok', value: { a: 1, s: 'ü' } });
      r.close();
      const all = loadNpz(p);
      for (const k of Object.keys(arrays)) assert.deepEqual(all[k]!.data, arrays[k]!.data, k);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
