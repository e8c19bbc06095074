/** File helpers of Phase F: input fingerprints, the run lock, snapshot directories, archiving replaced outputs. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';

export interface Fingerprint {
  size: number;
  sha256: string;
}

/** Size and SHA-256 of a file, streamed. */
export function fingerprint(path: string): Promise<Fingerprint> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (chunk) => {
      const b = chunk as Buffer;
      size += b.length;
      hash.update(b);
    });
    s.on('error', reject);
    s.on('end', () => resolve({ size, sha256: hash.digest('hex') }));
  });
}

/** `20261128T014501Z` for a date. */
export function compactUtc(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Creates a new, unique directory `<parent>/<base>` (or `<base>-2`, `-3`, … when that name is taken, e.g. by
 * a run started in the same second) and returns its name. Creation is exclusive, so two runs never share one.
 */
export function createUniqueDir(parent: string, base: string): string {
  mkdirSync(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    try {
      mkdirSync(join(parent, name));
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the artifact root's lock file (exclusive create, holding our pid) so two runs never merge into the
 * same manifest at once. A lock left by a process that no longer exists (e.g. a killed run) is taken over.
 * Returns the release function.
 */
export function acquireLock(root: string): () => void {
  const path = join(root, '.reconstruct.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch { /* vanished meanwhile: retry */ }
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || pidAlive(pid))) {
        throw new InputError(`${root}: another reconstruct run (pid ${pid}) is writing into this artifact root (lock ${path})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new InputError(`${root}: cannot take the lock ${path}`);
}

/** Output files a job leaves in its directory (moved away together when a later run replaces the result). */
export const OUTPUT_FILES = ['reconstruction.npz', 'reconstruction.png', 'lsqml.log', 'reconstruction.log'] as const;

/**
 * Moves the outputs of an earlier result out of `outputDir` into `outputDir/history/<label>` (unique), so a
 * new result never overwrites them. Returns that directory, or null when there was nothing to move.
 */
export function archiveOutputs(outputDir: string, label: string): string | null {
  const present = OUTPUT_FILES.filter((f) => existsSync(join(outputDir, f)));
  if (present.length === 0) return null;
  const histRoot = join(outputDir, 'history');
  const name = createUniqueDir(histRoot, label);
  const dest = join(histRoot, name);
  for (const f of present) renameSync(join(outputDir, f), join(dest, f));
  return dest;
}

/** Moves every file of `from` into `to` (same file system; each move is an atomic rename) and removes `from`. */
export function moveFilesInto(from: string, to: string): void {
  for (const f of readdirSync(from)) renameSync(join(from, f), join(to, f));
  rmSync(from, { recursive: true, force: true });
}

/** Removes staging directories (`.staging-*`) that an interrupted run left in `dir`. */
export function removeStaleStaging(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith('.staging-')) rmSync(join(dir, n), { recursive: true, force: true });
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
