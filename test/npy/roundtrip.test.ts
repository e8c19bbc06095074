import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import { NpzReader, crc32Js, encodeNpz, encodeNpzAsync, loadNpz, saveNpz } from '../../src/npy/npz.js';
import { NpzError } from '../../src/npy/errors.js';
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

test('encodeNpzAsync (members deflated off the main thread) gives encodeNpz\'s bytes; a bad key throws at once', async () => {
  const big = new Float32Array(200_000).map((_, i) => Math.sin(i / 17) * (i % 7));
  const arrays: Record<string, NdArray> = { ...sampleArrays(), big: { dtype: '<f4', shape: [400, 500], data: big }, _metadata: metadataArray({ a: 1, s: 'ü' }) };
  for (const opts of [{}, { level: 1 }, { compress: false }, { forceZip64: true }]) {
    const sync = Buffer.concat(encodeNpz(arrays, opts));
    const later = Buffer.concat(await encodeNpzAsync(arrays, opts));
    assert.ok(sync.equals(later), `options ${JSON.stringify(opts)}`);
  }
  assert.throws(() => encodeNpzAsync({ '../x': arrays.big! }, {}, 'out.npz'), (e: unknown) => e instanceof NpzError && /out\.npz: key "\.\.\/x" escapes the archive/.test(e.message));
});

test('the JavaScript CRC-32 fallback agrees with the standard check value and with zlib', () => {
  assert.equal(crc32Js(new TextEncoder().encode('123456789')), 0xcbf43926);
  const data = Uint8Array.from({ length: 10000 }, (_, i) => (i * 7919) & 0xff);
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) assert.equal(crc32Js(data), native(data));
  assert.equal(crc32Js(data.subarray(5000), crc32Js(data.subarray(0, 5000))), crc32Js(data));
});
