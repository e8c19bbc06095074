/**
 * Size and SHA-256 of files: what manifests record of their inputs. Only a regular file is read (`openForReading`):
 * a named pipe, a device or a directory is an `InputError` naming it, never a wait for a writer or an endless read.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, readSync } from 'node:fs';
import { openForReading } from './regular.js';

export interface Fingerprint {
  size: number;
  sha256: string;
}

/**
 * Size and SHA-256 of a file, streamed in 1 MiB chunks (does not block the event loop). With `signal`, an abort seen
 * between two chunks stops the read: the promise rejects with Node's AbortError (its `cause` the signal's reason) and
 * the file is closed. A 330 MB input takes 0.25–0.45 s on one core (docs/reconstruct.md, "Stopping"), so a job that
 * hashes its input stops within one chunk instead of at the end of the file.
 */
export function fingerprint(path: string, signal?: AbortSignal): Promise<Fingerprint> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    const { fd } = openForReading(path); // throws inside the executor: the promise rejects
    const s = createReadStream(path, { fd, highWaterMark: 1 << 20, ...(signal !== undefined ? { signal } : {}) });
    s.on('data', (chunk) => {
      const b = chunk as Buffer;
      size += b.length;
      hash.update(b);
    });
    s.on('error', reject);
    s.on('end', () => resolve({ size, sha256: hash.digest('hex') }));
  });
}

/** Size and SHA-256 of bytes about to be written (a file's pieces, in order): the file's fingerprint without reading it back. */
export function fingerprintOfBytes(pieces: readonly Uint8Array[]): Fingerprint {
  const h = createHash('sha256');
  let size = 0;
  for (const piece of pieces) {
    size += piece.length;
    h.update(piece);
  }
  return { size, sha256: h.digest('hex') };
}

/** Size and SHA-256 of a file, read synchronously in 4 MiB blocks. */
export function fingerprintSync(path: string): Fingerprint {
  const h = createHash('sha256');
  const { fd } = openForReading(path);
  let size = 0;
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      size += n;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return { size, sha256: h.digest('hex') };
}
