/**
 * Reading a JSON record a command builds on (a manifest, design.json, a summary): absent is allowed and
 * says so (null); present but unreadable or not JSON is an `InputError` naming the file, why, and what the
 * caller will not do because of it ("<path>: not valid JSON (…); <consequence>"). A broken record is never
 * taken for an absent one: absent means exactly that nothing, not even a symbolic link, is at the path
 * (`lstat` answers ENOENT); a dangling link, a path that cannot be examined (EACCES, ENOTDIR) or something
 * that is not a file (a directory) is a broken record.
 */
import { InputError } from '../errors.js';
import { entryKind, examineEntry } from './regular.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from './bounded-read.js';

/** "<path>: <why>; <consequence>" as an `InputError`: for the caller's own checks of the value as well. */
export function brokenRecord(path: string, why: string, consequence: string): InputError {
  return new InputError(`${path}: ${why}; ${consequence}`);
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The parsed JSON at `path`, or null when nothing is at the path; see the module comment. */
export function readJsonRecord(path: string, consequence: string): { value: unknown } | null {
  const found = examineEntry(path);
  if ('absent' in found && found.absent === 'ENOENT') return null;
  if (!('st' in found)) {
    const why = 'why' in found ? found.why : `a path that cannot be examined (${found.absent})`;
    throw brokenRecord(path, `expected a JSON file; found ${why}`, consequence);
  }
  const st = found.st;
  if (!st.isFile()) throw brokenRecord(path, `expected a JSON file; found ${entryKind(st)}`, consequence);
  let text: string;
  try {
    text = readJsonTextAtMost(path, MAX_RECORD_BYTES, 'a record');
  } catch (err) {
    if (err instanceof InputError) throw brokenRecord(path, err.message.slice(path.length + 2), consequence);
    throw brokenRecord(path, `cannot be read (${code(err)})`, consequence);
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    throw brokenRecord(path, `not valid JSON (${(err as Error).message})`, consequence);
  }
}
