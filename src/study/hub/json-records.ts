/**
 * Reading a JSON record the study writes and reads back (a manifest, a summary, a SLURM submission's records) with
 * the files/ reader (`readWordedRecord`, which decides absent from broken and bounds the read): null when nothing
 * is at the path, and otherwise an InputError "<path>: …" for a record that is no file ("expected a JSON file; found
 * a directory"), is past the bound (the bounded read's own words), cannot be read, is not JSON or does not match
 * its schema — never taken for an absent record. Each reader words the last three itself (`RecordWording`): what
 * it reads and what it leaves untouched.
 */
import type { z } from 'zod';
import { InputError } from '../../errors.js';
import { readWordedRecord, type RecordWording as FileRecordWording } from '../../files/json-record.js';

/** The words after "<path>: " of a record that cannot be read or is not JSON. */
export type RecordWording = Pick<FileRecordWording, 'cannotRead' | 'notJson'>;

/** A record checked against a schema: also the words for its first mismatch. */
export interface CheckedRecordWording extends RecordWording {
  /** The value does not match the schema: the first issue's path (empty at the top level) and message. */
  mismatch(path: readonly PropertyKey[], message: string): string;
}

/** The parsed JSON at `path`; null when nothing is there; see the module comment. */
export function readRecordValue(path: string, say: RecordWording): { value: unknown } | null {
  return readWordedRecord(path, {
    notAFile: (found) => `expected a JSON file; found ${found}`,
    refused: (why) => why,
    cannotRead: say.cannotRead,
    notJson: say.notJson,
  });
}

/** The record at `path` as `schema` reads it; null when nothing is there; see the module comment. */
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
