/**
 * Reading a record (a JSON file a command wrote and a later one reads whole) no further than a bound, whatever
 * its size says: a file that grew, or one whose size says 0 and that reads on (/proc/self/…), is not read whole
 * into memory. Failing to open or read throws the file system's own error (its `code`: ENOENT, EISDIR, …), as
 * `readFileSync` does, so a caller tells "absent" from "broken" as before; a file past the bound is an
 * `InputError` naming it, the bound, and what it holds at most.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';

/** The bound on a record a command reads whole (a manifest, a summary, a job's run record): 64 MiB. */
export const MAX_RECORD_BYTES = 64 << 20;

/** `path`'s text (UTF-8), or an `InputError` "<path>: more than <max> bytes; <what> has at most <max>". */
export function readTextAtMost(path: string, max: number, what: string): string {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    const size = st.size;
    if (st.isFile() && size > max) throw new InputError(`${path}: ${size} bytes; ${what} has at most ${max}`);
    const bytes = readOpenAtMost(fd, max);
    if (bytes === null) throw new InputError(`${path}: more than ${max} bytes (its size said ${size}); ${what} has at most ${max}`);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The bytes of `path`, or null when it holds more than `max` (then read no further than `max` and one chunk). */
export function readBytesAtMost(path: string, max: number): Buffer | null {
  const fd = openSync(path, 'r');
  try {
    return readOpenAtMost(fd, max);
  } finally {
    closeSync(fd);
  }
}

function readOpenAtMost(fd: number, max: number): Buffer | null {
  const parts: Buffer[] = [];
  let total = 0;
  while (total <= max) {
    const b = Buffer.allocUnsafe(1 << 16); // whole chunks: some /proc files take reads of a multiple of 8 bytes only
    const got = readSync(fd, b, 0, b.length, null);
    if (got === 0) break;
    parts.push(b.subarray(0, got));
    total += got;
  }
  return total > max ? null : Buffer.concat(parts, total);
}
