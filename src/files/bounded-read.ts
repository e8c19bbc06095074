/**
 * Reading a record (a JSON file a command wrote and a later one reads whole) no further than a bound, whatever
 * its size says: a file that grew, or one whose size says 0 and that reads on (/proc/self/…), is not read whole
 * into memory. Only a regular file is read (`openForReading`): a named pipe, a device, a directory, a dangling
 * symbolic link or a loop of them is an `InputError` naming it ("<path>: not a regular file (a named pipe)"),
 * before anything could block. Failing to open or read otherwise throws the file system's own error (its `code`:
 * ENOENT, EACCES, …), as `readFileSync` does, so a caller tells "absent" from "broken" as before; a file past the
 * bound is an `InputError` naming it, the bound, and what it holds at most.
 */
import { closeSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import { openForReading } from './regular.js';

/** The bound on a record a command reads whole (a manifest, a summary, a job's run record): 64 MiB. */
export const MAX_RECORD_BYTES = 64 << 20;

/** `path`'s text (UTF-8), or an `InputError` "<path>: more than <max> bytes; <what> has at most <max>". */
export function readTextAtMost(path: string, max: number, what: string): string {
  const { fd, size } = openForReading(path);
  try {
    if (size > max) throw new InputError(`${path}: ${size} bytes; ${what} has at most ${max}`);
    const bytes = readOpenAtMost(fd, max);
    if (bytes === null) throw new InputError(`${path}: more than ${max} bytes (its size said ${size}); ${what} has at most ${max}`);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Deepest bracket nesting a record's JSON may have: ours nest 6 levels at most. Deeper JSON parses (V8's parser
 * does not recurse) but overflows the stack of every recursive consumer after it — schema checks, JSON.stringify,
 * fingerprints — which ended a command with "Maximum call stack size exceeded" (exit 1).
 */
export const MAX_RECORD_JSON_DEPTH = 64;

/** Deepest bracket nesting of JSON text, outside strings; stops counting once past `stopAt`. */
export function jsonDepth(text: string, stopAt = Infinity): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) { // skip a string literal
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) { max = depth; if (max > stopAt) return max; }
    } else if (ch === 0x5d || ch === 0x7d) {
      depth--;
    }
  }
  return max;
}

/**
 * `readTextAtMost` for a JSON record: also an `InputError` "<path>: expected JSON nested at most 64 levels deep
 * (<what>); found more" before it is parsed.
 */
export function readJsonTextAtMost(path: string, max: number, what: string): string {
  const text = readTextAtMost(path, max, what);
  if (jsonDepth(text, MAX_RECORD_JSON_DEPTH) > MAX_RECORD_JSON_DEPTH) {
    throw new InputError(`${path}: expected JSON nested at most ${MAX_RECORD_JSON_DEPTH} levels deep (${what}); found more`);
  }
  return text;
}

/**
 * The bytes of `path`, or null when it holds more than `max` (by its size, before reading; or by what it reads, then no
 * further than `max` and one chunk). Not a regular file: an `InputError` naming it, as `readTextAtMost`.
 */
export function readBytesAtMost(path: string, max: number): Buffer | null {
  const { fd, size } = openForReading(path);
  try {
    return size > max ? null : readOpenAtMost(fd, max);
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
