/**
 * Input files must be regular files. Opening a named pipe (FIFO) for reading blocks until some other
 * process opens it for writing — forever, when none does — and a character device such as /dev/zero
 * never ends; neither is a file a command can read. So an input path is stat'ed before it is opened,
 * and anything else is refused in one line ("not a regular file (a named pipe)"); `openRegularFile`
 * also opens without blocking and checks the descriptor it got, so an entry swapped for a pipe between
 * the two calls is refused too.
 */
import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { InputError } from '../errors.js';

/** What a file system entry is, in words: 'a directory', 'a named pipe', 'a socket', … */
export function entryKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/** Why `path` cannot be opened for reading, from a failed stat or open ('no such file', 'EACCES', …). */
function openFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return `cannot open (${code === 'ENOENT' ? 'no such file' : code ?? String(err)})`;
}

/**
 * Why `path` is no regular file that can be read — "cannot open (no such file)", "not a regular file
 * (a named pipe)" — or null when it is one. Only stats the path (symbolic links followed): nothing is
 * opened, so a named pipe cannot block.
 */
export function notARegularFile(path: string): string | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return openFailure(err);
  }
  return st.isFile() ? null : `not a regular file (${entryKind(st)})`;
}

/**
 * Refuses `path` when it exists but is no regular file: "<what> <path>: not a regular file (a named
 * pipe)" as an `InputError`. A path that cannot be stat'ed is left to the caller's own read, which says
 * why (no such file, permission).
 */
export function refuseNonRegular(path: string, what = ''): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (!st.isFile()) throw new InputError(`${what}${path}: not a regular file (${entryKind(st)})`);
}

/**
 * Opens a regular file for reading: the path is stat'ed first, then opened with O_NONBLOCK (which
 * changes nothing for a regular file, and keeps a pipe that appeared meanwhile from blocking) and the
 * descriptor checked again. Returns the descriptor and the size, or why the path cannot be read (as
 * `notARegularFile` words it); the caller turns that into its own error.
 */
export function openRegularFile(path: string): { fd: number; size: number } | { why: string } {
  const why = notARegularFile(path);
  if (why !== null) return { why };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return { why: openFailure(err) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return { why: `not a regular file (${entryKind(st)})` };
    }
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    return { why: openFailure(err) };
  }
}
