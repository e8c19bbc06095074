/**
 * Paths and names that come from files: every one read from a file this process did not just write is
 * untrusted until confined to its root; every path a hub records is relative, so a copied hub reads its
 * own files.
 *
 *  - `isSafeName` / `checkSafeName`: one path component made of letters, digits, '.', '_', '+', '-'
 *    (a run id, a directory label) — never '..', a separator or empty.
 *  - `recordPath(base, p)`: how a hub records `p`: relative to `base` (the directory of the phase root that
 *    records it), with '/' separators on every system.
 *  - `resolveRecorded(base, recorded, roots)`: the path a hub recorded, resolved against where the hub is
 *    now and confined to `roots` (lexically and after resolving symbolic links). A path outside them — an
 *    absolute path of a hub written before paths were relative, which names the original hub's files after
 *    `cp -a hubA hubB`, or a hostile one — gives null, and the caller uses the hub's layout instead.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import { quoted } from '../text.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/** One path component of letters, digits, '.', '_', '+', '-' (starting with a letter or digit), no '..'. */
export function isSafeName(s: string): boolean {
  return SAFE_NAME.test(s) && !s.includes('..');
}

/** What `isSafeName` accepts, in words (for messages). */
export const SAFE_NAME_RULE = "a single name of letters, digits, '.', '_', '+' and '-' (no '..', no path separator)";

/** Returns `value` when it is a safe name; an InputError naming `file`, `key`, the rule and the value otherwise. */
export function checkSafeName(value: string, file: string, key: string): string {
  if (!isSafeName(value)) throw new InputError(`${file}: key '${key}': expected ${SAFE_NAME_RULE}; found ${quoted(value)}`);
  return value;
}

/** `p` relative to `base`, with '/' separators ('.' for `base` itself). */
export function recordPath(base: string, p: string): string {
  const rel = relative(resolve(base), resolve(p));
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/** True when `p` is `root` or lies below it (lexically; both resolved). */
export function isInside(root: string, p: string): boolean {
  const rel = relative(resolve(root), resolve(p));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** `p` with symbolic links resolved as far as it exists (the part that does not exist yet is kept as it is). */
function realPathSoFar(p: string): string {
  let cur = resolve(p);
  const rest: string[] = [];
  while (!existsSync(cur)) {
    const up = dirname(cur);
    if (up === cur) break;
    rest.unshift(basename(cur));
    cur = up;
  }
  let real: string;
  try { real = realpathSync(cur); } catch { real = cur; }
  return rest.length === 0 ? real : join(real, ...rest);
}

/** True when `p` lies inside `root` both lexically and once symbolic links are resolved. */
export function isConfined(root: string, p: string): boolean {
  return isInside(root, p) && isInside(realPathSoFar(root), realPathSoFar(p));
}

/**
 * The path `recorded` resolved against `base` (relative, as hubs record paths now; or absolute, as they
 * did before) when it lies inside one of `roots`; null otherwise — the caller then uses the hub's own
 * layout, so nothing outside the roots is ever read, whatever a file says.
 */
export function resolveRecorded(base: string, recorded: string, roots: readonly string[]): string | null {
  if (recorded === '' || recorded.includes('\0')) return null;
  const p = isAbsolute(recorded) ? resolve(recorded) : resolve(base, ...recorded.split('/'));
  return roots.some((r) => isConfined(r, p)) ? p : null;
}
