/**
 * The patterns both reports draw of an input file (src/study/report/input-patterns.ts, hub/datasets.ts): a
 * `.ptyd`'s are taken across its chunks, numbered as the reconstruction concatenated them (the fixture's two
 * chunks hold the CXI fixture's 40 patterns, 20 each); a dataset NPZ's `diffraction` is read row by row
 * (`NpzReader.readRows`): a stored member only where the rows drawn lie, so a stack over the 1 GiB the report
 * inflates is sampled all the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { NpzReader, saveNpz } from '../../src/npy/npz.js';
import { f32 } from '../../src/npy/types.js';
import { MAX_SAMPLED_DIFFRACTION_BYTES, readDiffractionSample } from '../../src/study/hub/datasets.js';
import { readInputPatterns } from '../../src/study/report/input-patterns.js';
import { tempDir } from '../tmp.js';
import { npyWithHeader, zipOf } from '../npy/craft.js';

const root = tempDir('input-patterns');
const FIXTURES = 'test/fixtures/cxi';

/** What a reconstruction records of its input (lsqml-job.ts, cxi.ts, ptypy.ts). */
function recorded(path: string, format: string, diffractionKey: string): Record<string, unknown> {
  const bytes = readFileSync(path);
  return { input_format: format, input: { file: path.split('/').pop(), size_bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    geometry: { keys: { diffraction: diffractionKey } } };
}

test('a .ptyd\'s patterns are taken across its chunks: first, middle and last of all 40, those of the CXI file', async () => {
  const ptyd = join(FIXTURES, 'scan.ptyd');
  const p = await readInputPatterns(recorded(ptyd, 'ptyd', 'chunks/0/data, chunks/1/data'), ptyd, 3);
  assert.ok(!('why' in p), 'why' in p ? p.why : '');
  assert.equal(p.total, 40);
  assert.deepEqual(p.rows.map((r) => r.index), [0, 20, 39]);
  assert.match(p.source, /scan\.ptyd: chunks\/0\/data … chunks\/1\/data \(2 chunks/);
  const h5 = await Hdf5Reader.open(join(FIXTURES, 'scan.cxi'));
  const all = (() => { try { return h5.readFloat64('entry_1/data_1/data', 'patterns', 1e6); } finally { h5.close(); } })();
  for (const r of p.rows) assert.deepEqual(Array.from(r.values), Array.from(all.data.subarray(r.index * 1024, (r.index + 1) * 1024)), `pattern ${r.index}`);
});

test('readRows: the rows of a stored and of a deflated member are those of the whole array; a stored one is read only where they lie', async () => {
  const n = 50, hw = 64;
  const data = Float32Array.from({ length: n * hw }, (_, i) => Math.sin(i) * 100);
  for (const compress of [false, true]) {
    const path = join(root, `rows-${compress}.npz`);
    saveNpz(path, { diffraction: f32([n, 8, 8], data) }, { compress });
    const r = NpzReader.open(path);
    try {
      const { rows } = await r.readRows('diffraction', [49, 0, 17, 17]);
      [49, 0, 17, 17].forEach((i, k) => assert.deepEqual(Array.from(rows[k] as Float32Array), Array.from(data.subarray(i * hw, (i + 1) * hw)), `row ${i}, compress ${compress}`));
      await assert.rejects(r.readRows('diffraction', [50]), /expected a row index below 50; found 50/);
    } finally {
      r.close();
    }
  }
  // the bytes a stored member's rows are read from: its header and the two rows, nothing more of the member
  const bytes = readFileSync(join(root, 'rows-false.npz'));
  const reads: [number, number][] = [];
  let spy: Uint8Array | null = null;
  class Spy extends Uint8Array {
    override subarray(begin?: number, end?: number): Uint8Array<ArrayBuffer> { if (this === spy) reads.push([begin ?? 0, end ?? this.length]); return super.subarray(begin, end); }
  }
  spy = new Spy(bytes.length);
  spy.set(bytes);
  const r = NpzReader.fromBytes(spy, 'rows.npz');
  const h = r.header('diffraction');
  reads.length = 0;
  await r.readRows('diffraction', [3, 40]);
  const rowBytes = hw * 4;
  const dataReads = reads.filter(([a, b]) => b - a === rowBytes);
  assert.equal(dataReads.length, 2, JSON.stringify(reads));
  assert.equal(dataReads[1]![0] - dataReads[0]![0], 37 * rowBytes);
  assert.ok(reads.every(([a, b]) => b - a <= Math.max(rowBytes, h.dataOffset)), `no read of more of the member: ${JSON.stringify(reads)}`);
});

test('a stored diffraction stack over the 1 GiB the report inflates is sampled from its rows (a sparse 1.5 GB file)', async () => {
  // an uncompressed NPZ (np.savez) written by hand around a hole: float32 [6000, 256, 256] = 1.57e9 bytes
  const n = 6000, side = 256, rowBytes = side * side * 4;
  const payload = n * rowBytes;
  assert.ok(payload > MAX_SAMPLED_DIFFRACTION_BYTES);
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${side}, ${side}), }`;
  dict += ' '.repeat(64 - ((10 + dict.length + 1) % 64)) + '\n';
  const npyHeader = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from(Uint16Array.of(dict.length).buffer), Buffer.from(dict, 'latin1')]);
  const name = Buffer.from('diffraction.npy');
  const size = npyHeader.length + payload;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(size, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(size, 20); central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = local.length + name.length + size;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10); end.writeUInt32LE(central.length + name.length, 12); end.writeUInt32LE(cdOffset, 16);
  const path = join(root, 'large.npz');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.concat([local, name, npyHeader]), 0, undefined, 0);
    const start = local.length + name.length + npyHeader.length;
    writeSync(fd, Buffer.from(Float32Array.of(7).buffer), 0, 4, start + 3000 * rowBytes + 4 * (side * 128 + 128)); // pattern 3000, pixel (128, 128)
    writeSync(fd, Buffer.concat([central, name, end]), 0, undefined, cdOffset);
  } finally {
    closeSync(fd);
  }
  const s = await readDiffractionSample(path, [0, 3000, 5999]);
  assert.equal(s.n, n);
  assert.deepEqual(s.indices, [0, 3000, 5999]);
  assert.equal(s.counts[1]![side * 128 + 128], 49); // counts = (diffraction · 1)²
  assert.equal(s.counts.reduce((a, c) => a + c.reduce((x, v) => x + v, 0), 0), 49);
});

test('a Fortran-order diffraction stack (NumPy\'s for a transposed array), whose rows are not contiguous, is sampled all the same', async () => {
  // [n, H, W] = [5, 4, 3], values 0 … 59 in C order, stored column-major
  const [n, H, W] = [5, 4, 3];
  const fortran = new Float32Array(n * H * W);
  for (let i = 0; i < n; i++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) fortran[i + n * (y + H * x)] = (i * H + y) * W + x;
  const npy = npyWithHeader(`{'descr': '<f4', 'fortran_order': True, 'shape': (${n}, ${H}, ${W}), }`, new Uint8Array(fortran.buffer));
  for (const level of [0, 6] as const) {
    const path = join(root, `fortran-${level}.npz`);
    writeFileSync(path, zipOf({ 'diffraction.npy': npy }, level));
    const s = await readDiffractionSample(path, [0, 4, 2]);
    assert.deepEqual(s.indices, [0, 4, 2]);
    for (const [k, i] of s.indices.entries()) {
      assert.deepEqual(Array.from(s.counts[k]!), Array.from({ length: H * W }, (_, q) => (i * H * W + q) ** 2), `pattern ${i} (level ${level})`);
    }
  }
});

test('a recorded input that is a symbolic link to nothing or a loop of links is said to be one, not gone', async () => {
  symlinkSync(join(root, 'loop-2'), join(root, 'loop-1'));
  symlinkSync(join(root, 'loop-1'), join(root, 'loop-2'));
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
  for (const name of ['loop-1', 'dangling']) {
    const p = await readInputPatterns({ input: { sha256: 'ab' } }, join(root, name), 3);
    assert.deepEqual(p, { why: `${join(root, name)} is a symbolic link that leads to no file (to nothing, or round in a loop)` });
  }
  assert.deepEqual(await readInputPatterns({}, join(root, 'absent.cxi'), 3), { why: `${join(root, 'absent.cxi')} is not there any more` });
});
