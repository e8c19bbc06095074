import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';

/**
 * Checks, before any work starts, that `dir` is a directory this process can write into — or, when
 * it does not exist yet, that its nearest existing ancestor is one (so it can be created). Throws an
 * InputError (exit code 2) naming `what` and the path otherwise: a file in the way, a read-only
 * directory or file system. Writes nothing.
 */
export function checkWritableDir(dir: string, what: string): void {
  const abs = resolve(dir);
  let cur = abs;
  while (!existsSync(cur)) {
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  let isDir = false;
  try {
    isDir = statSync(cur).isDirectory();
  } catch (err) {
    throw new InputError(`${what} ${dir}: cannot inspect ${cur} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!isDir) {
    throw new InputError(cur === abs
      ? `${what} ${dir}: expected a directory; found a file`
      : `${what} ${dir}: expected a directory that can be created; found a file at ${cur}`);
  }
  try {
    accessSync(cur, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${what} ${dir}: expected a writable directory; found ${cur} ${code === 'EROFS' ? 'on a read-only file system' : 'not writable'} (${code ?? String(err)})`);
  }
}
