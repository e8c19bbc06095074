/** Hostile and broken inputs: each fails with the exact error class and message, never a crash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import { NpzReader, encodeNpz } from '../../src/npy/npz.js';
import { NpyError, NpzError } from '../../src/npy/errors.js';
import { InputError } from '../../src/errors.js';
import type { NdArray } from '../../src/npy/types.js';

const f8 = (vals: number[]): NdArray => ({ dtype: '<f8', shape: [vals.length], data: Float64Array.from(vals) });
const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts);

function throwsExactly(fn: () => unknown, cls: typeof NpyError | typeof NpzError, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    assert.ok(err instanceof InputError, 'codec errors are InputErrors (exit code 2)');
    assert.equal(err.message, message);
    return true;
  });
}

/** npy header bytes for an arbitrary header dict text (padded like NumPy). */
function npyWithHeader(dict: string, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, total - 10, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(body, total);
  return out;
}

/** Offsets of central directory entries in a zip. */
function centralEntries(buf: Uint8Array): number[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.length; i++) if (dv.getUint32(i, true) === 0x02014b50) out.push(i);
  return out;
}

test('truncated zip', () => {
  const whole = concat(encodeNpz({ a: f8([1, 2, 3]), b: f8([4, 5]) }));
  throwsExactly(() => NpzReader.fromBytes(whole.subarray(0, Math.floor(whole.length / 2)), 'cut.npz'), NpzError,
    'cut.npz: not a valid .npz (zip end-of-central-directory record not found; the file is truncated or not a zip archive)');
  throwsExactly(() => NpzReader.fromBytes(whole.subarray(0, 10), 'tiny.npz'), NpzError,
    'tiny.npz: not a valid .npz (only 10 bytes; the file is empty or truncated)');
});

test('truncated member data (central directory intact, data cut short)', () => {
  const whole = concat(encodeNpz({ a: f8(Array.from({ length: 100 }, (_, i) => i)) }, { compress: false }));
  // Claim the member is longer than the space before the central directory.
  const [c] = centralEntries(whole);
  whole.writeUInt32LE(5000, c! + 20);
  whole.writeUInt32LE(5000, c! + 24);
  const r = NpzReader.fromBytes(whole, 'short.npz');
  throwsExactly(() => r.get('a'), NpzError, "short.npz: key 'a': member data runs past the end of the file (5035 > 1036 bytes; the file is truncated)");
});

test('truncated .npy header', () => {
  const npy = encodeNpy(f8([1, 2, 3]));
  throwsExactly(() => parseNpy(npy.subarray(0, 40), 'x.npy'), NpyError, 'x.npy: truncated .npy header (declares 118 header bytes, only 30 present)');
  throwsExactly(() => parseNpy(npy.subarray(0, 6), 'x.npy'), NpyError, 'x.npy: truncated .npy header (6 bytes; at least 10 are needed)');
  const zip = zipSync({ 'x.npy': npy.subarray(0, 40) }, { level: 0 });
  throwsExactly(() => NpzReader.fromBytes(zip, 'h.npz').get('x'), NpyError, "h.npz: key 'x': truncated .npy header (declares 118 header bytes, only 30 present)");
});

test('header lying about shape', () => {
  const body = new Uint8Array(Float64Array.of(1, 2, 3).buffer);
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }", body), 'lie.npy'), NpyError,
    'lie.npy: header says shape (10,) of <f8 (80 data bytes) but the payload has 24 data bytes');
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", body), 'lie.npy'), NpyError,
    'lie.npy: header says shape (1, 2) of <f8 (16 data bytes) but the payload has 24 data bytes');
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", body), 'lie.npy'), NpyError,
    'lie.npy: malformed .npy header (shape is not a tuple of non-negative integers)');
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}", body), 'lie.npy'), NpyError,
    'lie.npy: malformed .npy header (keys descr,fortran_order,shape,x; expected descr, fortran_order, shape)');
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), ", body), 'lie.npy'), NpyError,
    'lie.npy: malformed .npy header (unexpected end of header at character 118): "{\'descr\': \'<f8\', \'fortran_order\': False, \'shape\': (3,),"');
});

test('unknown dtype', () => {
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<m8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'd.npy'), NpyError,
    'd.npy: expected a dtype of float32/64, complex64/128, int8–64, uint8–64, bool, a fixed-length string or an object array; found "<m8"');
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(2)), 'd.npy'), NpyError,
    'd.npy: expected a dtype of float32/64, complex64/128, int8–64, uint8–64, bool, a fixed-length string or an object array; found "<f2"');
  throwsExactly(() => parseNpy(npyWithHeader("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), 'd.npy'), NpyError,
    "d.npy: expected a dtype of float32/64, complex64/128, int8–64, uint8–64, bool, a fixed-length string or an object array; found the structured dtype [('a', '<i4')]");
});

/** A 0-d '|O' .npy whose pickle is `pk`. */
const objectNpy = (pk: number[] | Uint8Array): Uint8Array => npyWithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (), }", Uint8Array.from(pk));
const bytesOf = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));

test('pickle with a GLOBAL other than numpy array reconstruction', () => {
  // protocol 2: GLOBAL 'os system', then ('ls',) REDUCE — the classic code-execution pickle
  const evil = [0x80, 0x02, ...bytesOf('cos\nsystem\n'), ...bytesOf('X'), 2, 0, 0, 0, ...bytesOf('ls'), 0x85, 0x52, 0x2e];
  throwsExactly(() => parseNpy(objectNpy(evil), "f.npz: key '_metadata'"), NpyError,
    "f.npz: key '_metadata': object array pickle references the global os.system; only numpy's array reconstruction " +
    '(numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed');
  // protocol 4: STACK_GLOBAL builtins.eval
  const evil4 = [0x80, 0x04, 0x8c, 8, ...bytesOf('builtins'), 0x8c, 4, ...bytesOf('eval'), 0x93, 0x8c, 1, ...bytesOf('1'), 0x85, 0x52, 0x2e];
  throwsExactly(() => parseNpy(objectNpy(evil4), 'e.npy'), NpyError,
    "e.npy: object array pickle references the global builtins.eval; only numpy's array reconstruction " +
    '(numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed');
  // an opcode outside the subset (INST)
  throwsExactly(() => parseNpy(objectNpy([0x80, 0x02, ...bytesOf('(ios\nsystem\n.')]), 'i.npy'), NpyError,
    'i.npy: object array pickle uses opcode 0x69 (INST) at offset 3, which is outside the safe subset');
  // plain data that is not an ndarray
  throwsExactly(() => parseNpy(objectNpy([0x80, 0x02, 0x4b, 7, 0x2e]), 'p.npy'), NpyError, 'p.npy: object array pickle holds int, not a numpy object array');
  // truncated pickle
  throwsExactly(() => parseNpy(objectNpy([0x80, 0x04, 0x8c, 20, 0x41]), 't.npy'), NpyError,
    't.npy: object array pickle is truncated (needs 20 bytes at offset 4, has 1)');
});

test('path-traversal and absolute member names', () => {
  const npy = encodeNpy(f8([1]));
  for (const [name, why] of [['../evil.npy', "escapes the archive ('..')"], ['a/../../evil.npy', "escapes the archive ('..')"],
    ['/etc/evil.npy', 'is an absolute path'], ['C:/evil.npy', 'is an absolute path'], ['..\\evil.npy', "escapes the archive ('..')"]] as const) {
    throwsExactly(() => NpzReader.fromBytes(zipSync({ [name]: npy }, { level: 0 }), 't.npz'), NpzError,
      `t.npz: member name ${JSON.stringify(name)} ${why}; refusing the archive`);
  }
  throwsExactly(() => encodeNpz({ '../x': f8([1]) }, {}, 'out.npz'), NpzError, 'out.npz: key "../x" escapes the archive (\'..\')');
});

test('duplicate members and duplicate keys', () => {
  const buf = concat(encodeNpz({ aa: f8([1]), bb: f8([2]) }, { compress: false }));
  buf.set(Buffer.from('aa.npy'), buf.lastIndexOf(Buffer.from('bb.npy')));
  throwsExactly(() => NpzReader.fromBytes(buf, 'dup.npz'), NpzError, 'dup.npz: duplicate member "aa.npy"; refusing the archive');
  const zip = zipSync({ 'k.npy': encodeNpy(f8([1])), k: encodeNpy(f8([2])) }, { level: 0 });
  throwsExactly(() => NpzReader.fromBytes(zip, 'dup2.npz'), NpzError, "dup2.npz: duplicate key 'k' (two members map to it); refusing the archive");
});

test('zip bomb: inflated size beyond the declared size, and declared size beyond the limit', () => {
  const big: NdArray = { dtype: '|u1', shape: [1 << 20], data: new Uint8Array(1 << 20) }; // 1 MiB of zeros → ~1 kB
  const buf = concat(encodeNpz({ z: big }));
  const [c] = centralEntries(buf);
  buf.writeUInt32LE(4096, c! + 24); // declare 4 kB
  const r = NpzReader.fromBytes(buf, 'bomb.npz');
  assert.equal(r.member('z').size, 4096);
  throwsExactly(() => r.get('z'), NpzError, "bomb.npz: key 'z': member inflates beyond its declared size of 4096 bytes (zip bomb or corrupt archive)");
  const honest = concat(encodeNpz({ z: big }));
  throwsExactly(() => NpzReader.fromBytes(honest, 'big.npz', { maxMemberBytes: 100000 }).get('z'), NpzError,
    "big.npz: key 'z': member declares 1048704 bytes, over the limit of 100000 bytes (maxMemberBytes)");
  // declared larger than what the data gives
  const short = concat(encodeNpz({ z: big }));
  const [c2] = centralEntries(short);
  short.writeUInt32LE((1 << 20) + 128 + 10, c2! + 24);
  throwsExactly(() => NpzReader.fromBytes(short, 's.npz').raw('z'), NpzError,
    "s.npz: key 'z': member inflates to 1048704 bytes but declares 1048714 (truncated or corrupt)");
  // get() reads the header first: the declared size does not match the shape, so nothing is inflated
  throwsExactly(() => NpzReader.fromBytes(short, 's.npz').get('z'), NpyError,
    "s.npz: key 'z': header says shape (1048576,) of |u1 (1048576 data bytes) but the member declares 1048586 data bytes");
});

test('corrupt member: CRC mismatch, bad deflate data, unsupported method', () => {
  const buf = concat(encodeNpz({ a: f8([1, 2, 3]) }, { compress: false }));
  buf[buf.indexOf(Buffer.from("{'descr'")) + 120] ^= 0xff; // flip a data byte
  assert.match(String((() => { try { NpzReader.fromBytes(buf, 'crc.npz').get('a'); } catch (e) { return (e as Error).message; } })()),
    /^crc\.npz: key 'a': CRC-32 mismatch \(archive says 0x[0-9a-f]{8}, data gives 0x[0-9a-f]{8}\); the member is corrupt$/);
  const z = concat(encodeNpz({ a: f8([1, 2, 3]) }));
  z.fill(0xff, 35, 45); // garbage at the start of the deflate stream
  assert.throws(() => NpzReader.fromBytes(z, 'bad.npz').get('a'), (err: unknown) => err instanceof NpzError && err.message === "bad.npz: key 'a': corrupt deflate data (invalid block type)");
  const m = concat(encodeNpz({ a: f8([1]) }, { compress: false }));
  const [c] = centralEntries(m);
  m.writeUInt16LE(12, c! + 10);
  throwsExactly(() => NpzReader.fromBytes(m, 'bz.npz').get('a'), NpzError, "bz.npz: key 'a': compression method 12 is not supported (only stored and deflate)");
});

test('a missing key names the keys there are; a missing file is an NpzError', () => {
  const r = NpzReader.fromBytes(concat(encodeNpz({ a: f8([1]), b: f8([2]) })), 'k.npz');
  throwsExactly(() => r.get('c'), NpzError, "k.npz: no key 'c' (keys: a, b)");
  throwsExactly(() => NpzReader.open('/nonexistent/dir/x.npz'), NpzError, '/nonexistent/dir/x.npz: cannot open (no such file)');
});

test('writing refuses data that does not match dtype and shape', () => {
  throwsExactly(() => encodeNpy({ dtype: '<f8', shape: [4], data: new Float64Array(3) }, 'w'), NpyError, 'w: shape (4,) of <f8 needs 4 values but data has 3');
  throwsExactly(() => encodeNpy({ dtype: '<f8', shape: [3], data: new Float32Array(3) }, 'w'), NpyError, 'w: dtype <f8 needs a Float64Array, got Float32Array');
  throwsExactly(() => encodeNpy({ dtype: '|O', shape: [], data: ['x'] }, 'w'), NpyError,
    "w: object ('|O') arrays are not written (they would need a pickle); store strings as '<U'");
});
