/**
 * A Phase G job's files in `dose_<D>/<view>/<split>/` and how a later run replaces them: never in place.
 * Before a run writes a job's new files (or records the job as skipped) the earlier ones move together into
 * `history/<earlier run id>/` (unique: `-2`, `-3`… when taken; `unrecorded` when there was no
 * comparison.json to name the run). The new files are written into `.staging-<run id>/` first and renamed
 * into place after the earlier ones moved, comparison.json (which names the run the files belong to) last.
 *
 * `checkJobOutputs` is the check a run makes before it writes anything: every job directory writable (or
 * creatable), every output name that exists a regular file, every comparison.json readable with a run id.
 */
import { lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeFailed } from '../../files/atomic.js';
import { createUniqueDir, missingDirs, removeEmptyDirs } from '../../files/dirs.js';
import { isSafeName, recordPath, SAFE_NAME_RULE } from '../../files/paths.js';
import { checkWritableDir } from '../../files/writable.js';
import { checkHistoryDir, HISTORY_DIR } from '../../files/earlier.js';
import { jobDir, PHASE_G, type JobAddress } from '../hub/layout.js';
import { readRecordValue } from '../hub/json-records.js';

/** The files a job leaves in its directory (moved away together when a later run replaces them). */
export const JOB_FILES = [PHASE_G.metricsCsv, PHASE_G.frcCsv, PHASE_G.alignedNpz, PHASE_G.figure, PHASE_G.json] as const;
/** Where a job's replaced files go: `<job dir>/history/<run id>/`. */
export { HISTORY_DIR };
/** A job writes its new files into `<job dir>/.staging-<run id>/` first. */
export const STAGING_PREFIX = '.staging-';
/** The name of an archive whose files no comparison.json named. */
export const UNRECORDED = 'unrecorded';

/** Where a job's earlier files went: the run that wrote them (null when unrecorded) and the folder, relative to the output root. */
export interface JobArchive {
  run_id: string | null;
  archived_to: string;
}

/**
 * The run id recorded in `<dir>/comparison.json`; null when there is no such file. A file that is there but
 * unreadable, not JSON or without a run id is an InputError naming it (never "absent").
 */
export function jobFilesRunId(dir: string): string | null {
  const path = join(dir, PHASE_G.json);
  const read = readRecordValue(path, {
    cannotRead: (err) => `cannot read the existing comparison (${err.code ?? String(err)})`,
    notJson: (why) => `the existing comparison is not valid JSON (${why}); it was left untouched`,
  });
  if (read === null) return null;
  const id = (read.value as { run_id?: unknown } | null)?.run_id;
  if (typeof id !== 'string' || !isSafeName(id)) {
    throw new InputError(`${path}: key 'run_id': expected a run id, ${SAFE_NAME_RULE}; found ${JSON.stringify(id ?? null)}`);
  }
  return id;
}

/**
 * Checks, before a run writes anything, that every job's files can be written: the job directory (or
 * its nearest existing ancestor) a writable directory, its history folder (when there) one too, every
 * output name that exists a regular file, and its comparison.json readable (the history folder is named
 * after the run id in it). Throws an InputError naming the path otherwise. Writes nothing.
 */
export function checkJobOutputs(outputRoot: string, jobs: readonly JobAddress[]): void {
  checkWritableDir(outputRoot, 'Phase G output root');
  for (const job of jobs) {
    const dir = jobDir(outputRoot, job);
    checkWritableDir(dir, 'job output directory');
    for (const name of JOB_FILES) {
      const p = join(dir, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (st && !st.isFile()) {
        throw new InputError(`${p}: expected a regular file (a job output the next run moves to ${HISTORY_DIR}/); found ${st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'something else'}`);
      }
    }
    checkHistoryDir(dir, 'job history directory');
    const hist = join(dir, HISTORY_DIR);
    if (lstatSync(hist, { throwIfNoEntry: false })) checkWritableDir(hist, 'job history directory');
    jobFilesRunId(dir);
  }
}

/**
 * Moves the job's current files (those of JOB_FILES present in `dir`) into `dir/history/<their run id>/`.
 * Returns where they went, or null when there was nothing to move.
 */
export function archiveJobFiles(outputRoot: string, dir: string): JobArchive | null {
  const present = JOB_FILES.filter((f) => lstatSync(join(dir, f), { throwIfNoEntry: false }) !== undefined);
  if (present.length === 0) return null;
  const runId = jobFilesRunId(dir);
  const hist = join(dir, HISTORY_DIR);
  const created = missingDirs(hist);
  let dest: string | null = null;
  try {
    dest = join(hist, createUniqueDir(hist, runId ?? UNRECORDED));
    // comparison.json last: until it moves, the folder still names the run its files belong to
    for (const f of [...present.filter((f) => f !== PHASE_G.json), ...present.filter((f) => f === PHASE_G.json)]) {
      renameSync(join(dir, f), join(dest, f));
    }
  } catch (err) {
    // a full disk: the history folders made for the files, while they are still empty, are not left behind
    removeEmptyDirs(dest === null ? created : [...created, dest]);
    throw err;
  }
  return { run_id: runId, archived_to: recordPath(outputRoot, dest) };
}

/** A fresh staging folder for a job's new files: `<dir>/.staging-<run id>/`. */
export function stagingDir(dir: string, runId: string): string {
  const s = join(dir, `${STAGING_PREFIX}${runId}`);
  rmSync(s, { recursive: true, force: true });
  try {
    mkdirSync(s, { recursive: true });
  } catch (err) {
    throw writeFailed(s, err); // a full disk (no inode left): named as the job's folder by its caller
  }
  return s;
}

/** Renames the staged files into `dir` and removes the staging folder. */
export function installStaged(staging: string, dir: string, names: readonly string[]): void {
  for (const n of names) renameSync(join(staging, n), join(dir, n));
  rmSync(staging, { recursive: true, force: true });
}
