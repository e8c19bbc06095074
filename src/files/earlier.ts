/**
 * What a run that replaces outputs keeps of them (`generate --overwrite`, `overlap --overwrite`, and the
 * same phases when a hub or a cluster task redoes them): an output file that existed before the run and
 * that the run rewrites with other bytes moves to `<root>/history/replaced-<time>/<its path under root>`
 * (a rename on the same file system, so nothing is copied) just before the new file is renamed into
 * place. A file rewritten with the same bytes is simply replaced (nothing is lost), and a file the run
 * writes twice is its own the second time. The root's records (its manifest) are rewritten by every run;
 * their content from before the run is written into the same history directory once the run keeps
 * anything, so the history directory says which run the kept files came from. A run that replaces
 * outputs without changing their bytes (the same seed again) still rewrites the record with other
 * bytes (its times, or a record broken by hand): the record as it was is then kept on its own, when
 * the new one is renamed into place (records must be written with `beforeRename` too).
 */
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, readFileSync, readSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { MAX_RECORD_BYTES, readBytesAtMost } from './bounded-read.js';
import { openForReading } from './regular.js';
import { compactUtc, createUniqueDir, missingDirs, removeEmptyDirs } from './dirs.js';

/** The directory of a root (or a job's directory) where replaced outputs are kept. */
export const HISTORY_DIR = 'history';

/**
 * Whether two regular files hold the same bytes (read in 1 MiB blocks). An `a` that is no regular file (a named pipe
 * or a directory put where an output was) holds other bytes: it is never opened in a way that could block
 * (`openForReading`), and is kept like any other earlier output.
 */
export function sameBytes(a: string, b: string): boolean {
  let fa: number;
  try {
    fa = openForReading(a).fd;
  } catch (err) {
    if (err instanceof InputError) return false;
    throw err;
  }
  let fb: number;
  try {
    fb = openForReading(b).fd;
  } catch (err) {
    closeSync(fa);
    throw err;
  }
  try {
    if (fstatSync(fa).size !== fstatSync(fb).size) return false;
    const ba = Buffer.allocUnsafe(1 << 20), bb = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const na = readSync(fa, ba, 0, ba.length, null);
      const nb = readSync(fb, bb, 0, bb.length, null);
      if (na !== nb) return false;
      if (na === 0) return true;
      if (ba.compare(bb, 0, nb, 0, na) !== 0) return false;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/**
 * Refuses (InputError, nothing written) a root whose `history` is not a directory: the kept files could not go
 * there — nor a symbolic link, even to a directory: the kept files would leave the root for wherever it points.
 * `purpose` says what the directory is for, in the message.
 */
export function checkHistoryDir(root: string, purpose = 'where replaced outputs are kept'): void {
  const h = join(root, HISTORY_DIR);
  const st = lstatSync(h, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InputError(`${h}: expected a directory (${purpose}); found ${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}`);
}

export class EarlierFiles {
  private readonly written = new Set<string>();
  private readonly records: { path: string; bytes: Buffer }[] = [];
  private dir: string | null = null;
  /** The folders this run created for its history directory (`history/` when new, then `replaced-<time>/`), outermost first. */
  private created: string[] = [];
  /** Whether this run has rewritten an output file that existed before it (same bytes or not). */
  private replacing = false;

  /** `records`: files under `root` that every run rewrites (manifests); their present content is held until the run keeps a file. */
  constructor(private readonly root: string, records: readonly string[] = []) {
    checkHistoryDir(root);
    for (const path of records) {
      this.written.add(path);
      if (lstatSync(path, { throwIfNoEntry: false }) === undefined) continue;
      const keep = 'it would be kept with the files this run replaces';
      let bytes: Buffer | null;
      try {
        bytes = readBytesAtMost(path, MAX_RECORD_BYTES);
      } catch (err) {
        if (err instanceof InputError) throw new InputError(`${err.message}; ${keep}`);
        throw new InputError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${keep}`);
      }
      if (bytes === null) throw new InputError(`${path}: more than ${MAX_RECORD_BYTES} bytes; a record has at most ${MAX_RECORD_BYTES}; ${keep}`);
      this.records.push({ path, bytes });
    }
  }

  /** The history directory this run created (`<root>/history/replaced-<time>`), or null while it kept nothing. */
  get historyDir(): string | null {
    return this.dir;
  }

  /** To be called with an output's path and its complete temporary file just before the rename (see `writeFileAtomic`). */
  readonly beforeRename = (path: string, tmp: string): void => {
    const record = this.records.find((r) => r.path === path);
    if (record !== undefined) {
      if (this.replacing && this.dir === null && !record.bytes.equals(readFileSync(tmp))) this.historyDirectory();
      return;
    }
    const first = !this.written.has(path);
    if (first && existsSync(path)) this.replacing = true;
    this.written.add(path);
    if (!first || !existsSync(path) || sameBytes(path, tmp)) return;
    const dir = this.historyDirectory();
    const to = join(dir, relative(this.root, path));
    const sub = missingDirs(dirname(to));
    try {
      mkdirSync(dirname(to), { recursive: true });
      renameSync(path, to);
    } catch (err) {
      this.removeIfEmpty(sub); // a full disk: the earlier file stays where it was, and no folder made for it is left empty
      throw err;
    }
  };

  private historyDirectory(): string {
    if (this.dir === null) {
      const parent = join(this.root, HISTORY_DIR);
      const created = missingDirs(parent);
      try {
        const dir = join(parent, createUniqueDir(parent, `replaced-${compactUtc(new Date())}`));
        this.dir = dir;
        this.created = [...created, dir];
        for (const r of this.records) writeFileAtomic(join(dir, relative(this.root, r.path)), r.bytes);
      } catch (err) {
        this.removeIfEmpty([], this.dir === null ? created : this.created);
        throw err;
      }
    }
    return this.dir;
  }

  /**
   * Removes the folders `sub` made for a kept file, then this run's history directory and the `history/` it created,
   * innermost first, while each is empty (a full disk refused what was to go there); never one that holds anything.
   */
  private removeIfEmpty(sub: readonly string[], created: readonly string[] = this.created): void {
    removeEmptyDirs([...created, ...sub]);
    if (this.dir !== null && !existsSync(this.dir)) {
      this.dir = null;
      this.created = [];
    }
  }
}
