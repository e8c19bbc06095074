import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import { NpzReader, crc32Js, loadNpz, saveNpz } from '../../src/npy/npz.js';
import zlib from 'node:zlib';
import type { NdArray } from '../../src/npy/types.js';
import { metadataArray, readMetadata } from '../../src/data/metadata.js';
import { sampleArrays } from './helpers.js';

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

test('the JavaScript CRC-32 fallback agrees with the standard check value and with zlib', () => {
  assert.equal(crc32Js(new TextEncoder().encode('123456789')), 0xcbf43926);
  const data = Uint8Array.from({ length: 10000 }, (_, i) => (i * 7919) & 0xff);
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) assert.equal(crc32Js(data), native(data));
  assert.equal(crc32Js(data.subarray(5000), crc32Js(data.subarray(0, 5000))), crc32Js(data));
});
