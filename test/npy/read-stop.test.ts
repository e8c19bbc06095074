/**
 * `NpzReader.read`: one member read and decoded as `get` does, in pieces with the event loop turning between two (a
 * deflated member inflated 1 MiB at a time, a stored one read 8 MiB at a time); an abort seen between two pieces stops
 * the read, so that an LSQML job reading a fly64-sized input (a 328 MB member) stops there rather than at its end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpz, NpzReader } from '../../src/npy/npz.js';
import { NpzError } from '../../src/npy/errors.js';
import type { NdArray } from '../../src/npy/types.js';
import { tempDir } from '../tmp.js';

/** 3 × 1024² float32 values that do not repeat (12 MiB: twelve inflated pieces, two stored slices). */
function patterns(): NdArray {
  const data = new Float32Array(3 * 1024 * 1024);
  let s = 7;
  for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = (s >>> 8) / 4096; }
  return { dtype: '<f4', shape: [3, 1024, 1024], data };
}

function archive(dir: string, compress: boolean): string {
  const path = join(dir, compress ? 'deflated.npz' : 'stored.npz');
  writeFileSync(path, Buffer.concat(encodeNpz({ diffraction: patterns(), xcoords: { dtype: '<f8', shape: [3], data: new Float64Array([1, 2, 3]) } }, { compress })));
  return path;
}

test('read gives what get gives, for a deflated and a stored member, with or without a signal', async () => {
  const dir = tempDir('npz-read');
  for (const compress of [true, false]) {
    const r = NpzReader.open(archive(dir, compress));
    try {
      const whole = r.get('diffraction');
      assert.deepEqual(await r.read('diffraction'), whole);
      assert.deepEqual(await r.read('diffraction', new AbortController().signal), whole);
      assert.deepEqual(await r.read('xcoords'), r.get('xcoords'));
    } finally {
      r.close();
    }
  }
});

test('read stops between two pieces of a member once its signal is aborted, rejecting with an AbortError', async () => {
  const dir = tempDir('npz-read-stop');
  for (const compress of [true, false]) {
    const r = NpzReader.open(archive(dir, compress));
    try {
      const stop = new AbortController();
      const reading = r.read('diffraction', stop.signal);
      setImmediate(() => stop.abort('SIGTERM')); // the first turn of the event loop: the first piece is under way
      await assert.rejects(reading, (e: unknown) => e instanceof Error && e.name === 'AbortError' && e.cause === 'SIGTERM', compress ? 'deflated' : 'stored');
      // the reader is still usable
      assert.deepEqual(await r.read('xcoords'), r.get('xcoords'));
    } finally {
      r.close();
    }
  }
});

test('read refuses a corrupt member with the message get gives', async () => {
  const path = archive(tempDir('npz-read-crc'), false);
  const bytes = readFileSync(path);
  bytes[bytes.indexOf(Buffer.from("{'descr'")) + 4000] ^= 0xff; // a data byte of diffraction
  writeFileSync(path, bytes);
  const r = NpzReader.open(path);
  try {
    const got = (() => { try { r.get('diffraction'); return null; } catch (e) { return e as Error; } })();
    assert.ok(got instanceof NpzError && /CRC-32 mismatch/.test(got.message), String(got));
    await assert.rejects(r.read('diffraction'), (e: unknown) => e instanceof NpzError && e.message === got.message);
  } finally {
    r.close();
  }
});
