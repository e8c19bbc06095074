/**
 * Input files must be regular files. Opening a named pipe (FIFO) for reading blocks until some other
 * process opens it for writing — forever, when none does — and a character device such as /dev/zero
 * never ends; neither is a file a command can read. So an input path is stat'ed before it is opened,
 * and anything else is refused in one line ("not a regular file (a named pipe)"); `openRegularFile`
 * also opens without blocking and checks the descriptor it got, so an entry swapped for a pipe between
 * the two calls is refused too.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, statSync, type Stats } from 'node:fs';
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
 * (a named pipe)", "a loop of symbolic links" — or null when it is one. Only stats the path (symbolic
 * links followed): nothing is opened, so a named pipe cannot block.
 */
export function notARegularFile(path: string): string | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return brokenLink(path, err) ?? openFailure(err);
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
  try {
    return openNonBlocking(path);
  } catch (err) {
    return { why: openFailure(err) };
  }
}

/**
 * What a failed stat() or open() of `path` met when it is a symbolic link that leads nowhere — "a loop of symbolic
 * links", "a symbolic link to TARGET, which does not exist" — or null for any other failure (nothing at the path,
 * EACCES, …).
 */
export function brokenLink(path: string, err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code !== 'ENOENT' && code !== 'ENOTDIR') return null;
  let st: Stats | undefined;
  try { st = lstatSync(path, { throwIfNoEntry: false }); } catch { return null; }
  if (!st?.isSymbolicLink()) return null;
  return `a symbolic link${linkTarget(path)}, which does not exist`;
}

/** " to <target>" of the symbolic link at `path`, or '' when it went away meanwhile. */
function linkTarget(path: string): string {
  try { return ` to ${readlinkSync(path)}`; } catch { return ''; }
}

/**
 * Opens `path` for reading, never blocking and never anything but a regular file: opened with O_NONBLOCK (a
 * named pipe's `open()` then returns at once instead of waiting for a writer) and the descriptor's own fstat()
 * checked, so no stat-then-open race can slip a pipe or a device in. Throws an `InputError` naming the path for
 * an entry that is there but no file to read — "<path>: not a regular file (a named pipe)", "<path>: a symbolic
 * link to <target>, which does not exist", "<path>: a loop of symbolic links" — so that a caller that takes
 * ENOENT for "absent" never takes a broken link for one; any other failure (ENOENT: nothing at the path,
 * EACCES, …) is Node's own error, with its `code`. Returns the descriptor and the file's size; the caller
 * closes it.
 */
export function openForReading(path: string): { fd: number; size: number } {
  const opened = openNonBlocking(path);
  if ('why' in opened) throw new InputError(`${path}: ${opened.why}`);
  return opened;
}

/**
 * The one way both openers above open: an entry that is there but no regular file is not opened at all (opening a
 * device can do something: a tape rewinds, a watchdog arms) — "not a regular file (a named pipe)"; then a
 * non-blocking open and fstat() of the descriptor (the entry may have been swapped meanwhile); a failed open at a
 * symbolic link that leads nowhere is said in words (`brokenLink`). Any other failure is Node's own error, thrown
 * as the open (or fstat) gave it, so a caller that takes ENOENT for "absent" sees exactly that.
 */
function openNonBlocking(path: string): { fd: number; size: number } | { why: string } {
  let before: Stats | undefined;
  try { before = statSync(path); } catch { /* the open below meets the same failure and says it */ }
  if (before !== undefined && !before.isFile()) return { why: `not a regular file (${entryKind(before)})` };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const broken = brokenLink(path, err);
    if (broken !== null) return { why: broken };
    throw err;
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
    throw err;
  }
}

/**
 * `statSync(path, { throwIfNoEntry: false })` that words its other failures: undefined when nothing is at the path
 * (or only a symbolic link to nothing), the entry's Stats otherwise, and an `InputError` "<path>: a loop of symbolic
 * links" (or "<path>: cannot be examined (EACCES)") where Node throws ELOOP and the command ended with exit 1.
 */
export function statEntry(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw new InputError(`${path}: ${brokenLink(path, err) ?? `cannot be examined (${(err as NodeJS.ErrnoException).code ?? String(err)})`}`);
  }
}

/** What `examineEntry` found at a path. */
export type Examined = { st: Stats } | { absent: 'ENOENT' | 'ENOTDIR' } | { why: string };

/**
 * What is at `path`, a symbolic link followed, without opening anything (so a named pipe cannot block): its Stats;
 * `absent` when nothing is there (ENOENT — a dangling link is not nothing — or ENOTDIR: a file where a folder of the
 * path should be, which a caller may name as its folder's fault or as this path's); otherwise why it cannot be taken as any entry, in
 * the words after "found": "a path that cannot be examined (EACCES)", "a symbolic link to T, which does not exist",
 * "a symbolic link to T, which cannot be followed (ELOOP)".
 */
export function examineEntry(path: string): Examined {
  const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { absent: code };
    return { why: `a path that cannot be examined (${code})` };
  }
  if (!st.isSymbolicLink()) return { st };
  try {
    return { st: statSync(path) };
  } catch (err) {
    const code = codeOf(err);
    return { why: `a symbolic link${linkTarget(path)}, ${code === 'ENOENT' ? 'which does not exist' : `which cannot be followed (${code})`}` };
  }
}
