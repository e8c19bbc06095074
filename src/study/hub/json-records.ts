/**
 * Reading a JSON record the study writes and reads back (a manifest, a summary, a SLURM submission's records):
 * at most MAX_RECORD_BYTES and nested at most 64 levels (`readJsonTextAtMost`, whose InputError is passed on as
 * it is), null when there is no file at the path (ENOENT), and otherwise an InputError "<path>: …" for a file
 * that cannot be read, is not JSON or does not match its schema — never taken for an absent record. Each reader
 * words its own messages (`RecordWording`): what it reads and what it leaves untouched.
 */
import type { z } from 'zod';
import { InputError } from '../../errors.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from '../../files/bounded-read.js';

/** The words after "<path>: " of each way a record can be broken. */
export interface RecordWording {
  /** The file is there but cannot be read: the read's error. */
  cannotRead(err: NodeJS.ErrnoException): string;
  /** The file is not JSON: the parser's message. */
  notJson(why: string): string;
}

/** A record checked against a schema: also the words for its first mismatch. */
export interface CheckedRecordWording extends RecordWording {
  /** The value does not match the schema: the first issue's path (empty at the top level) and message. */
  mismatch(path: readonly PropertyKey[], message: string): string;
}

/** The parsed JSON at `path`; null when there is no file there; see the module comment. */
export function readRecordValue(path: string, say: RecordWording): { value: unknown } | null {
  let text: string;
  try {
    text = readJsonTextAtMost(path, MAX_RECORD_BYTES, 'a record');
  } catch (err) {
    if (err instanceof InputError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InputError(`${path}: ${say.cannotRead(err as NodeJS.ErrnoException)}`);
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new InputError(`${path}: ${say.notJson((err as Error).message)}`);
  }
}

/** The record at `path` as `schema` reads it; null when there is no file there; see the module comment. */
export function readCheckedRecord<T>(path: string, schema: z.ZodType<T>, say: CheckedRecordWording): T | null {
  const read = readRecordValue(path, say);
  if (read === null) return null;
  const parsed = schema.safeParse(read.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${path}: ${say.mismatch(issue.path, issue.message)}`);
  }
  return parsed.data;
}
