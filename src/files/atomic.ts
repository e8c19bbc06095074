import { closeSync, fstatSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, writeSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, basename, join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';

/** How the name of a file still being written begins (`tempNameFor`). */
export const TEMPORARY_PREFIX = '.tmp-';

/** Temporary sibling name used while a file is being written; renamed into place when complete. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `${TEMPORARY_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

/** What link() fails with on a file system without hard links (FAT, exFAT, some FUSE and SMB mounts), or none more for a file. */
export const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Puts the complete file `tmp` (beside `path`) at `path` only if no file is there: true when it did, false when `path`
 * exists, whoever put it there meanwhile (`tmp` is then left for the caller to remove). A hard link, which fails
 * atomically when the name exists; where the file system has no hard links (NO_HARD_LINKS), the name is taken by an
 * exclusive create and `tmp` renamed over that empty file, so an empty file is there only between the two calls.
 * Any other failure is thrown as it is.
 */
export function linkNew(tmp: string, path: string): boolean {
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw err;
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const own = fstatSync(fd);
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    // the empty file taken for the name is removed again, if it is still the one made here
    const now = statSync(path, { throwIfNoEntry: false });
    if (now && now.dev === own.dev && now.ino === own.ino && now.size === 0) rmSync(path, { force: true });
    throw err;
  }
  return true;
}

/** Called with the target and the complete temporary file just before the rename (e.g. `EarlierFiles.beforeRename`). */
export type BeforeRename = (path: string, tmp: string) => void;

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written, synced and
 * renamed over the target, so readers see either the old file or the complete new one.
 * Parent directories are created. `chunks` may be one buffer or several (written in order).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[], beforeRename?: BeforeRename): void {
  const tmp = tempNameFor(path);
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, 'w'); // a full disk can refuse the new file itself (no inode or directory block left)
  } catch (err) {
    throw writeFailed(path, err);
  }
  try {
    const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, part.length - off);
    }
    fsyncSync(fd);
  } catch (err) {
    try { closeSync(fd); } catch { /* the write's error is the one to report */ }
    rmSync(tmp, { force: true });
    throw writeFailed(path, err);
  }
  try {
    closeSync(fd); // on NFS and some quota'd file systems the space is found missing only here
  } catch (err) {
    rmSync(tmp, { force: true });
    throw writeFailed(path, err);
  }
  try {
    beforeRename?.(path, tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // a file system error (a full disk refusing the history folder an earlier file moves to) names the file being
    // written, as a failed write does; the folder it could not make is named too, the temporary file never
    // (a copy written into that history folder that failed is named by the file being written too, with its reason)
    const nested = err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall !== 'string' && / cannot be written \(/.test(err.message) ? err.cause : undefined;
    const e = (nested instanceof Error && typeof (nested as NodeJS.ErrnoException).syscall === 'string' ? nested : err) as NodeJS.ErrnoException;
    if (!(e instanceof Error) || typeof e.syscall !== 'string') throw err; // not a system call's error: as it is
    throw writeFailed(path, e, e !== err ? false : e.path !== undefined && e.path !== tmp);
  }
}

/**
 * A failed write or sync (a full disk, a quota, a file size limit, an I/O error) as an Error naming the file being
 * written: Node's own message ("ENOSPC: no space left on device, write") names none, or only a temporary name
 * ("…, open '<dir>/.tmp-…'"), which is left out unless `keepPath` (a path that is no temporary one: a folder
 * that could not be made). The code (`ENOSPC`, `EDQUOT`) is kept.
 */
export function writeFailed(path: string, err: unknown, keepPath = false): Error {
  const e = err as NodeJS.ErrnoException;
  const why = e instanceof Error ? (e.path !== undefined && !keepPath ? e.message.replace(/ '[^']*'( -> '[^']*')?$/, '') : e.message) : String(err);
  const out: NodeJS.ErrnoException = new Error(`${path}: cannot be written (${why})`, { cause: err });
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

/**
 * A failed write (`writeFailed`) of a file built in a temporary directory (`from`: a report's build, a job's
 * staging directory) named as the file it was to become (`to`), so the one line a user reads names the place
 * they know. Other errors are returned as they are.
 */
export function namedInPlace(err: unknown, from: string, to: string): unknown {
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err.message.startsWith(from + sep) || err.message.startsWith(`${from}: `))) {
    err.message = to + err.message.slice(from.length);
  }
  return err;
}

/** True for a write that failed for want of space: a full file system (`ENOSPC`) or a quota (`EDQUOT`). */
export function isOutOfSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
