/** Directory helpers: time-stamped unique directories, moving files between directories, type checks. */
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `20261128T014501Z` for a date (the time stamp of run ids and new hub names). */
export function compactUtc(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** ISO 8601 UTC to the second: `2026-11-28T01:45:01Z`. */
export function utcSeconds(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Creates a new, unique directory `<parent>/<base>` (or `<base>-2`, `-3`, … when that name is taken, e.g. by
 * a run started in the same second, or `used` says it is) and returns its name. Creation is exclusive, so two
 * runs never share one.
 */
export function createUniqueDir(parent: string, base: string, used: (name: string) => boolean = () => false): string {
  mkdirSync(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (used(name)) continue;
    try {
      mkdirSync(join(parent, name));
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** `dir` and those of its ancestors that do not exist (what `mkdirSync(dir, { recursive: true })` would create), outermost first. */
export function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    out.unshift(d);
    if (dirname(d) === d) break;
  }
  return out;
}

/**
 * Removes the directories `dirs` (outermost first, as `missingDirs` lists them) from the innermost outwards while
 * each is empty; stops at the first that holds anything or cannot be removed. Never removes a file.
 */
export function removeEmptyDirs(dirs: readonly string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** Moves every file of `from` into `to` (same file system; each move is an atomic rename) and removes `from`. */
export function moveFilesInto(from: string, to: string): void {
  for (const f of readdirSync(from)) renameSync(join(from, f), join(to, f));
  rmSync(from, { recursive: true, force: true });
}

/** The names of the entries of `dir` that start with `prefix`; none when `dir` cannot be read. */
export function entriesStartingWith(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Removes the entries of `dir` whose names start with `prefix` (e.g. an ended build's temporary directories). */
export function removeEntriesStartingWith(dir: string, prefix: string): void {
  for (const n of entriesStartingWith(dir, prefix)) rmSync(join(dir, n), { recursive: true, force: true });
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
