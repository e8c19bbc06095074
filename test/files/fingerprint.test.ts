/**
 * A file's fingerprint streamed in 1 MiB chunks: the same size and SHA-256 as the synchronous one; with a signal aborted
 * while it reads, it stops between two chunks (an LSQML job hashing a 330 MB input stops there, not at the file's end).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, fingerprintSync } from '../../src/files/fingerprint.js';
import { tempDir } from '../tmp.js';

/** 24 MiB of bytes that do not repeat: 24 chunks of the stream. */
function writeLargeFile(path: string): Buffer {
  const bytes = Buffer.alloc(24 << 20);
  let s = 1;
  for (let i = 0; i < bytes.length; i += 4) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; bytes.writeUInt32LE(s, i); }
  writeFileSync(path, bytes);
  return bytes;
}

test('fingerprint gives the size and SHA-256 of the bytes, as fingerprintSync does; a signal never aborted changes nothing', async () => {
  const path = join(tempDir('fingerprint'), 'large.bin');
  const bytes = writeLargeFile(path);
  const expected = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  assert.deepEqual(await fingerprint(path), expected);
  assert.deepEqual(await fingerprint(path, new AbortController().signal), expected);
  assert.deepEqual(fingerprintSync(path), expected);
});

test('fingerprint stops reading when its signal is aborted between two chunks, rejecting with an AbortError that carries the reason', async () => {
  const path = join(tempDir('fingerprint-stop'), 'large.bin');
  writeLargeFile(path);
  const stop = new AbortController();
  const hashing = fingerprint(path, stop.signal);
  setImmediate(() => stop.abort('SIGTERM')); // the first turn of the event loop: the first chunk is being read
  await assert.rejects(hashing, (e: unknown) => e instanceof Error && e.name === 'AbortError' && e.cause === 'SIGTERM');
  // aborted before it starts: no byte is hashed
  await assert.rejects(fingerprint(path, stop.signal), (e: unknown) => e instanceof Error && e.name === 'AbortError');
});
