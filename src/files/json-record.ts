/**
 * Reading a JSON record a command builds on (a manifest, design.json, a summary, a SLURM submission's records). One
 * function, `readWordedRecord`, decides what is at the path and reads it: absent (null) means exactly that nothing,
 * not even a symbolic link, is at the path (`lstat` answers ENOENT); a dangling link, a path that cannot be examined
 * (EACCES, ENOTDIR) or something that is not a file (a directory, a named pipe) is a broken record, as is a file that
 * cannot be read, holds more than MAX_RECORD_BYTES, nests deeper than 64 levels or is not JSON. A broken record is
 * an `InputError` "<path>: …" whose words after the path the caller chooses (`RecordWording`); `readJsonRecord`
 * words them all alike: "<path>: <why>; <consequence>" (what the caller will not do because of it), or "<path>: <why>"
 * for a caller that names no consequence (the report, which lists the file and why under "Broken evidence").
 */
import { InputError } from '../errors.js';
import { printable } from '../text.js';
import { entryKind, examineEntry } from './regular.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from './bounded-read.js';

/** The words after "<path>: " of each way a record can be broken. */
export interface RecordWording {
  /** Something other than a file is at the path, in the words after "found": "a directory", "a symbolic link to T, which does not exist", … */
  notAFile(found: string): string;
  /** The bounded read refused the file (past the bound, nested too deep, swapped for a pipe meanwhile): its words after "<path>: ". */
  refused(why: string): string;
  /** The file is there but cannot be read: the read's error. */
  cannotRead(err: NodeJS.ErrnoException): string;
  /** The file is not JSON: the parser's message. */
  notJson(why: string): string;
}

/** "<path>: <why>; <consequence>" (no consequence: "<path>: <why>") as an `InputError`: for the caller's own checks of the value as well. */
export function brokenRecord(path: string, why: string, consequence?: string): InputError {
  return new InputError(`${path}: ${why}${consequence === undefined ? '' : `; ${consequence}`}`);
}

/** The parsed JSON at `path`, or null when nothing is at the path; a broken record as `say` words it (see the module comment). */
export function readWordedRecord(path: string, say: RecordWording): { value: unknown } | null {
  const found = examineEntry(path);
  if ('absent' in found && found.absent === 'ENOENT') return null;
  if (!('st' in found)) {
    const why = 'why' in found ? found.why : `a path that cannot be examined (${found.absent})`;
    throw new InputError(`${path}: ${say.notAFile(why)}`);
  }
  if (!found.st.isFile()) throw new InputError(`${path}: ${say.notAFile(entryKind(found.st))}`);
  let text: string;
  try {
    text = readJsonTextAtMost(path, MAX_RECORD_BYTES, 'a record');
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${path}: ${say.refused(err.message.slice(path.length + 2))}`);
    throw new InputError(`${path}: ${say.cannotRead(err as NodeJS.ErrnoException)}`);
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    // JSON.parse quotes the text near the fault, line breaks included: escaped, so that the refusal stays one line
    throw new InputError(`${path}: ${say.notJson(printable((err as Error).message))}`);
  }
}

/**
 * The parsed JSON at `path`, or null when nothing is at the path; broken: "<path>: <why>; <consequence>", or
 * "<path>: <why>" when `consequence` is left out.
 */
export function readJsonRecord(path: string, consequence?: string): { value: unknown } | null {
  const then = consequence === undefined ? '' : `; ${consequence}`;
  return readWordedRecord(path, {
    notAFile: (found) => `expected a JSON file; found ${found}${then}`,
    refused: (why) => `${why}${then}`,
    cannotRead: (err) => `cannot be read (${err.code ?? err.message})${then}`,
    notJson: (why) => `not valid JSON (${why})${then}`,
  });
}
