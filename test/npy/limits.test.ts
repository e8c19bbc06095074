/**
 * The reader's bounds (src/npy/limits.ts, docs/limits.md), in process: every cost that grows with the
 * input is refused before it is paid, with the exact message; values at the limit still decode; and
 * the header-only and streaming reads agree with the whole-member read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import { NpzReader, encodeNpz } from '../../src/npy/npz.js';
import { NpyError, NpzError } from '../../src/npy/errors.js';
import { InputError } from '../../src/errors.js';
import { MAX_PICKLE_BYTES, MAX_PICKLE_INT_BYTES, MAX_PICKLE_VALUES, MAX_STRING_ELEMENTS } from '../../src/npy/limits.js';
import { StatsAccumulator, arrayStats } from '../../src/data/inspect.js';
import type { NdArray, NumericData } from '../../src/npy/types.js';
import {
  OP, headerDict, long4Op, npyWithHeader, objectNpy0d, storedMember, strOp, zeroFilledMember, zip64Extra, zipOf, zipRaw,
} from './craft.js';
import { NUMPY_FIXTURES, sampleArrays } from './helpers.js';

function throwsExactly(fn: () => unknown, cls: typeof NpyError | typeof NpzError, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    assert.ok(err instanceof InputError, 'an InputError (exit code 2)');
    assert.equal(err.message, message);
    return true;
  });
}

/** Runs `fn` and returns its wall time in seconds (a hang guard, not a timing claim). */
function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

test('a 200 kB pickled integer (LONG4) is refused at once instead of decoded for minutes', () => {
  const npy = objectNpy0d(long4Op(200_000));
  const s = seconds(() => throwsExactly(() => parseNpy(npy, "big.npz: key '_metadata'"), NpyError,
    `big.npz: key '_metadata': object array pickle holds an integer of 200000 bytes at offset 117; at most ${MAX_PICKLE_INT_BYTES} bytes (MAX_PICKLE_INT_BYTES) are read`));
  assert.ok(s < 10, `hang guard: ${s} s`);
  // at the limit, an integer still decodes exactly (two's complement, little-endian)
  const bytes = Array.from({ length: MAX_PICKLE_INT_BYTES }, (_, i) => (i * 37 + 11) & 255);
  bytes[bytes.length - 1] = 0x9c; // negative
  let expected = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) expected = (expected << 8n) | BigInt(bytes[k]!);
  expected -= 1n << BigInt(8 * bytes.length);
  const n = bytes.length;
  const a = parseNpy(objectNpy0d([OP.LONG4, n & 255, n >> 8, 0, 0, ...bytes]), 'ok');
  assert.deepEqual(a.data, [expected]);
  assert.deepEqual(parseNpy(objectNpy0d([OP.LONG1, 2, 0xff, 0xfe]), 'ok').data, [-257]);
  assert.deepEqual(parseNpy(objectNpy0d([OP.LONG1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 'ok').data, [2n ** 64n]);
});

test('a pickle that creates more than MAX_PICKLE_VALUES values is refused before it exhausts memory', () => {
  const ops = new Uint8Array(1 + MAX_PICKLE_VALUES).fill(OP.DUP);
  ops[0] = OP.NONE;
  throwsExactly(() => parseNpy(objectNpy0d(ops), 'dup.npy'), NpyError,
    `dup.npy: object array pickle creates more than ${MAX_PICKLE_VALUES} values (limit MAX_PICKLE_VALUES); refusing it before it exhausts memory`);
  // MARK counts too: a pickle of nothing but MARKs
  throwsExactly(() => parseNpy(objectNpy0d(new Uint8Array(MAX_PICKLE_VALUES + 1).fill(OP.MARK)), 'mark.npy'), NpyError,
    `mark.npy: object array pickle creates more than ${MAX_PICKLE_VALUES} values (limit MAX_PICKLE_VALUES); refusing it before it exhausts memory`);
});

test('zero-width string dtypes (<U0, |S0) with 4e9 elements are refused from the header, in 128 bytes', () => {
  for (const descr of ['<U0', '|S0', '>U0']) {
    const npy = npyWithHeader(headerDict(descr, [4_000_000_000]));
    assert.equal(npy.length, 128);
    const canon = descr === '|S0' ? '|S0' : '<U0';
    const msg = `z.npz: key 'k': expected at most ${MAX_STRING_ELEMENTS} elements in a string or object array (MAX_STRING_ELEMENTS); found shape (4000000000,) of ${canon} (4000000000 elements)`;
    throwsExactly(() => parseNpy(npy, "z.npz: key 'k'"), NpyError, msg);
    const r = NpzReader.fromBytes(zipOf({ 'k.npy': npy }), 'z.npz');
    throwsExactly(() => r.header('k'), NpyError, msg);
    throwsExactly(() => r.get('k'), NpyError, msg);
  }
  // at the limit a string array still decodes (empty strings)
  const ok = parseNpy(npyWithHeader(headerDict('<U0', [MAX_STRING_ELEMENTS])), 'ok');
  assert.equal((ok.data as string[]).length, MAX_STRING_ELEMENTS);
  assert.equal((ok.data as string[])[MAX_STRING_ELEMENTS - 1], '');
});

test('an object pickle declared larger than MAX_PICKLE_BYTES is refused before it is inflated', () => {
  const header = npyWithHeader(headerDict('|O', [])).subarray(0, 128);
  const member = zeroFilledMember('_metadata.npy', header, MAX_PICKLE_BYTES + (1 << 20));
  const zip = zipRaw([member]);
  assert.ok(zip.length < 1_000_000, `${zip.length} bytes`);
  const r = NpzReader.fromBytes(zip, 'pk.npz');
  const before = process.memoryUsage().arrayBuffers;
  throwsExactly(() => r.get('_metadata'), NpyError,
    `pk.npz: key '_metadata': expected an object-array pickle of at most ${MAX_PICKLE_BYTES} bytes (MAX_PICKLE_BYTES); found ${MAX_PICKLE_BYTES + (1 << 20)} bytes`);
  assert.ok(process.memoryUsage().arrayBuffers - before < 32 << 20, 'nothing the size of the member was allocated');
});

test('headers: more than 64 KiB or more than 64 dimensions are refused', () => {
  const big = npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'pad': '${'x'.repeat(70_000)}'}`, new Uint8Array(8), 2);
  throwsExactly(() => parseNpy(big, 'h.npy'), NpyError, 'h.npy: expected a .npy header of at most 65536 bytes (MAX_NPY_HEADER_BYTES); found one of 70068 bytes');
  const r = NpzReader.fromBytes(zipOf({ 'h.npy': big }, 1), 'h.npz');
  throwsExactly(() => r.header('h'), NpyError, "h.npz: key 'h': expected a .npy header of at most 65536 bytes (MAX_NPY_HEADER_BYTES); found one of 70068 bytes");
  const deep = npyWithHeader(headerDict('<f8', new Array<number>(65).fill(1)), new Uint8Array(8));
  throwsExactly(() => parseNpy(deep, 'd.npy'), NpyError, 'd.npy: expected at most 64 dimensions (MAX_NDIM); found 65');
});

test('a zip64 extra field longer than its entry is an NpzError naming the file and the member (was a RangeError)', () => {
  const npy = encodeNpy({ dtype: '<f8', shape: [2], data: Float64Array.of(1, 2) });
  // sizes 0xFFFFFFFF in the central entry, and a zip64 field declaring 16 bytes with only 4 present
  const zip = zipRaw([storedMember('objectGuess.npy', npy, { zip64Sizes: true, centralExtra: zip64Extra(16, new Uint8Array(4)) })]);
  throwsExactly(() => NpzReader.fromBytes(zip, 'z64.npz'), NpzError,
    "z64.npz: not a valid .npz (extra field 0x0001 of member 'objectGuess.npy' declares 16 bytes but its entry has 4 left)");
  // a well-formed zip64 field is still read
  const sizes = Buffer.alloc(16);
  sizes.writeBigUInt64LE(BigInt(npy.length), 0);
  sizes.writeBigUInt64LE(BigInt(npy.length), 8);
  const good = zipRaw([storedMember('objectGuess.npy', npy, { zip64Sizes: true, centralExtra: zip64Extra(16, sizes) })]);
  assert.deepEqual(NpzReader.fromBytes(good, 'ok.npz').get('objectGuess').data, Float64Array.of(1, 2));
});

test('header(key) reads only the header and refuses a shape that lies about the declared size', () => {
  const npy = npyWithHeader(headerDict('<f8', [1000]), new Uint8Array(16));
  const r = NpzReader.fromBytes(zipOf({ 'x.npy': npy }, 6), 'lie.npz');
  throwsExactly(() => r.header('x'), NpyError, "lie.npz: key 'x': header says shape (1000,) of <f8 (8000 data bytes) but the member declares 16 data bytes");
  const h = NpzReader.fromBytes(Buffer.concat(encodeNpz({ a: { dtype: '<c8', shape: [3, 5], data: new Float32Array(30) } })), 'a.npz').header('a');
  assert.deepEqual([h.info.dtype, h.shape, h.size, h.payloadBytes, h.dataOffset], ['<c8', [3, 5], 15, 120, 128]);
});

/** Statistics of every numeric key of an archive, read whole and streamed in small slices. */
async function statsBothWays(zip: Uint8Array, name: string): Promise<number> {
  const r = NpzReader.fromBytes(zip, name);
  let compared = 0;
  for (const key of r.keys()) {
    const whole = arrayStats(r.get(key));
    if (!whole) continue;
    const h = r.header(key);
    const kind = h.info.kind as 'f' | 'c' | 'i' | 'u' | 'b';
    const parts: Uint8Array[] = [];
    await r.stream(key, (b) => parts.push(new Uint8Array(b)), 7); // 7-byte slices: elements split across slices
    const bytes = Buffer.concat(parts);
    assert.equal(bytes.length, h.payloadBytes, key);
    const { decodeNumeric } = await import('../../src/npy/npy.js');
    const acc = new StatsAccumulator(kind);
    if (bytes.length > 0) acc.add(decodeNumeric(bytes, h.info) as NumericData);
    assert.deepEqual(acc.result(), whole, `${name} ${key}`);
    compared++;
  }
  return compared;
}

test('stream(key) yields the payload exactly (stored and deflated, every dtype, big-endian and Fortran too)', async () => {
  const arrays = sampleArrays();
  const numeric: Record<string, NdArray> = Object.fromEntries(Object.entries(arrays).filter(([, a]) => !Array.isArray(a.data)));
  for (const compress of [false, true]) {
    assert.equal(await statsBothWays(Buffer.concat(encodeNpz(numeric, { compress })), `s-${compress}.npz`), Object.keys(numeric).length);
  }
  const { readFileSync } = await import('node:fs');
  assert.ok(await statsBothWays(readFileSync(`${NUMPY_FIXTURES}every_dtype_savez_compressed.npz`), 'numpy.npz') >= 20);
  // a corrupt member is caught at the end of the stream; a bomb as soon as it passes its declared size
  const crc = Buffer.concat(encodeNpz({ a: arrays.f8! }, { compress: false }));
  crc[crc.indexOf(Buffer.from("{'descr'")) + 120] ^= 0xff;
  await assert.rejects(NpzReader.fromBytes(crc, 'crc.npz').stream('a', () => {}), (e: unknown) => e instanceof NpzError && /^crc\.npz: key 'a': CRC-32 mismatch/.test(e.message));
  // a bomb: the header says 4096 bytes, the directory 4096 + 128, the deflate stream holds 64 MiB
  const member = zeroFilledMember('z.npy', npyWithHeader(headerDict('|u1', [4096])), 64 << 20);
  const bomb = zipRaw([{ ...member, size: 4096 + 128 }]);
  await assert.rejects(NpzReader.fromBytes(bomb, 'bomb.npz').stream('z', () => {}),
    (e: unknown) => e instanceof NpzError && e.message === "bomb.npz: key 'z': member inflates beyond its declared size of 4224 bytes (zip bomb or corrupt archive)");
  // the same past the first slices (200 kB of noise, then 64 MiB of zeros): caught by the streaming inflater
  const noise = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
  const head = npyWithHeader(headerDict('|u1', [noise.length]), noise);
  const late = zipRaw([{ ...zeroFilledMember('z.npy', head, 64 << 20), size: head.length }]);
  const seen: number[] = [];
  await assert.rejects(NpzReader.fromBytes(late, 'late.npz').stream('z', (b) => seen.push(b.length)),
    (e: unknown) => e instanceof NpzError && e.message === `late.npz: key 'z': member inflates beyond its declared size of ${head.length} bytes (zip bomb or corrupt archive)`);
  assert.ok(seen.reduce((a, b) => a + b, 0) <= noise.length, 'nothing past the declared size was handed on');
});

test('strOp/objectNpy0d build what NumPy writes for a pickled _metadata string', () => {
  const a = parseNpy(objectNpy0d(strOp('{"intensity_scale": 2.5}')), 'meta');
  assert.deepEqual(a, { dtype: '|O', shape: [], data: ['{"intensity_scale": 2.5}'] });
});
