import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Temporary sibling name used while a file is being written; renamed into place when complete. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.tmp-${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

/** Called with the target and the complete temporary file just before the rename (e.g. `EarlierFiles.beforeRename`). */
export type BeforeRename = (path: string, tmp: string) => void;

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written, synced and
 * renamed over the target, so readers see either the old file or the complete new one.
 * Parent directories are created. `chunks` may be one buffer or several (written in order).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[], beforeRename?: BeforeRename): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempNameFor(path);
  const fd = openSync(tmp, 'w');
  try {
    const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, part.length - off);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw writeFailed(path, err);
  }
  closeSync(fd);
  try {
    beforeRename?.(path, tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * A failed write or sync (a full disk, a file size limit, an I/O error) as an Error naming the file being written:
 * Node's own message ("ENOSPC: no space left on device, write") names none. The code (`ENOSPC`) is kept.
 */
function writeFailed(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const out: NodeJS.ErrnoException = new Error(`${path}: cannot be written (${e instanceof Error ? e.message : String(err)})`, { cause: err });
  if (e?.code !== undefined) out.code = e.code;
  return out;
}

/** JSON with two-space indent and a trailing newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown, beforeRename?: BeforeRename): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', beforeRename);
}

/** True when a file or directory exists at `path`. */
export function exists(path: string): boolean {
  return existsSync(path);
}
