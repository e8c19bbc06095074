import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metadataArray, parseMetadataJson, readMetadata, writeMetadata } from '../../src/data/metadata.js';
import { zipSync } from 'fflate';
import { NpzReader } from '../../src/npy/npz.js';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import type { NdArray } from '../../src/npy/types.js';

const u = (s: string): NdArray => ({ dtype: `<U${[...s].length}`, shape: [], data: [s] });

test('absent, ok and broken are three different results', () => {
  assert.deepEqual(readMetadata(undefined), { status: 'absent' });
  assert.deepEqual(readMetadata({}), { status: 'absent' });
  assert.deepEqual(readMetadata({ _metadata: u('{"a": 1}') }), { status: 'ok', value: { a: 1 } });
  const broken = readMetadata({ _metadata: u('{"a": ') });
  assert.equal(broken.status, 'error');
  assert.match((broken as { error: string }).error, /^_metadata is not valid JSON: /);
  assert.deepEqual(readMetadata({ _metadata: u('[1, 2]') }), { status: 'error', error: '_metadata JSON is an array, not an object' });
  assert.deepEqual(readMetadata({ _metadata: u('') }).status, 'error');
  assert.deepEqual(readMetadata({ _metadata: { dtype: '<f8', shape: [], data: Float64Array.of(1) } }),
    { status: 'error', error: "_metadata has dtype <f8; expected a string ('<U'), bytes ('|S') or a pickled str" });
  assert.deepEqual(readMetadata({ _metadata: { dtype: '<U1', shape: [2], data: ['{', '}'] } }),
    { status: 'error', error: '_metadata has shape (2,); expected a 0-d array holding one JSON string' });
});

test('|S bytes and pickled object strings decode; numbers stay numbers', () => {
  const bytes: NdArray = { dtype: '|S20', shape: [], data: [new TextEncoder().encode('{"n": 1000, "x": 0.5}')] };
  assert.deepEqual(readMetadata(bytes), { status: 'ok', value: { n: 1000, x: 0.5 } });
  const obj: NdArray = { dtype: '|O', shape: [], data: ['{"dose": 1e5}'] };
  assert.deepEqual(readMetadata(obj), { status: 'ok', value: { dose: 100000 } });
  const objBytes: NdArray = { dtype: '|O', shape: [], data: [Uint8Array.of(0x7b, 0x7d)] };
  assert.deepEqual(readMetadata(objBytes), { status: 'ok', value: {} });
  assert.deepEqual(readMetadata({ dtype: '|O', shape: [], data: [null] }), { status: 'error', error: '_metadata holds a None, not a JSON string' });
});

test("Python's NaN / Infinity / -Infinity tokens are read as numbers, not inside strings", () => {
  const v = parseMetadataJson('{"a": NaN, "b": [Infinity, -Infinity], "s": "NaN Infinity", "t": "x\\"NaN"}');
  assert.ok(Number.isNaN(v.a));
  assert.deepEqual(v.b, [Infinity, -Infinity]);
  assert.equal(v.s, 'NaN Infinity');
  assert.equal(v.t, 'x"NaN');
});

test('metadataArray writes a 0-d <U of code points (non-BMP counts once) that reads back', () => {
  const a = metadataArray({ s: '😀', big: 2n ** 70n, small: 5n });
  assert.equal(a.dtype, `<U${[...'{"s":"😀","big":"1180591620717411303424","small":5}'].length}`);
  assert.deepEqual(a.shape, []);
  const back = parseNpy(encodeNpy(a));
  assert.equal(back.dtype, a.dtype);
  assert.deepEqual(readMetadata(back), { status: 'ok', value: { s: '😀', big: '1180591620717411303424', small: 5 } });
  const arrays = writeMetadata({ x: { dtype: '<f8', shape: [], data: Float64Array.of(1) } as NdArray }, { k: 1 });
  assert.deepEqual(readMetadata(arrays), { status: 'ok', value: { k: 1 } });
});

test('an unsafe pickle in _metadata is reported as a metadata error naming the global, not thrown', () => {
  const hdr = "{'descr': '|O', 'fortran_order': False, 'shape': (), }";
  const total = 64 * Math.ceil((10 + hdr.length + 1) / 64);
  const pk = Buffer.from('\x80\x02cposix\nsystem\nX\x02\x00\x00\x00ls\x85R.', 'latin1');
  const npy = new Uint8Array(total + pk.length);
  npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(npy.buffer).setUint16(8, total - 10, true);
  npy.set(Buffer.from(hdr.padEnd(total - 11) + '\n', 'latin1'), 10);
  npy.set(pk, total);
  // an archive holding that raw member next to a normal one
  const zip = zipSync({ 'a.npy': encodeNpy({ dtype: '<f8', shape: [], data: Float64Array.of(1) }), '_metadata.npy': npy }, { level: 0 });
  const r = NpzReader.fromBytes(zip, 'evil.npz');
  assert.deepEqual(r.get('a').data, Float64Array.of(1));
  assert.deepEqual(readMetadata(r), {
    status: 'error',
    error: "evil.npz: key '_metadata': object array pickle references the global posix.system; only numpy's array reconstruction " +
      '(numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed',
  });
});
