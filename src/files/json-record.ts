/**
 * Reading a JSON record a command builds on (a manifest, design.json, a summary): absent is allowed and
 * says so (null); present but unreadable or not JSON is an `InputError` naming the file, why, and what the
 * caller will not do because of it ("<path>: not valid JSON (…); <consequence>"). A broken record is never
 * taken for an absent one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** "<path>: <why>; <consequence>" as an `InputError`: for the caller's own checks of the value as well. */
export function brokenRecord(path: string, why: string, consequence: string): InputError {
  return new InputError(`${path}: ${why}; ${consequence}`);
}

/** The parsed JSON at `path`, or null when there is no file; see the module comment. */
export function readJsonRecord(path: string, consequence: string): { value: unknown } | null {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw brokenRecord(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, consequence);
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    throw brokenRecord(path, `not valid JSON (${(err as Error).message})`, consequence);
  }
}
