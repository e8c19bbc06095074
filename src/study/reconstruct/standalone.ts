/**
 * One reconstruction into a directory of the caller's choosing (`ptychostudy lsqml --out DIR`), so that the
 * directory never mixes the files of two runs and no earlier file is overwritten:
 *
 * - the job runs in a staging directory inside DIR (`.staging-lsqml-<time>-<pid>/`);
 * - when it has written anything (a result, or the log of a run that diverged), the earlier outputs of DIR —
 *   and the report `ptychostudy report --out DIR` made of them, `DIR/report/` — move to
 *   `DIR/history/replaced-<time>/` and the new files move in, each by an atomic rename;
 * - when it wrote nothing (bad input, found before the first epoch), DIR is left as it was (a DIR this call
 *   created is removed again);
 * - an existing `reconstruction.npz` is replaced only when `replace` is set (`--overwrite`);
 * - the whole of it holds `DIR/.lsqml.lock`, so a second run into DIR stops at once naming the holder; what a
 *   killed or stopped run left in its staging directory (its log so far) moves to `DIR/history/interrupted-<time>-<pid>/`
 *   when the next run moves its own files in;
 * - with checkpoints (`checkpoint.every` > 0), the run's state is kept in `DIR/lsqml-checkpoint.npz` every so many
 *   epochs and when it is stopped; a run into DIR finding a checkpoint of the same run continues from it (one of
 *   another run is refused, exit 2), and the checkpoint is removed once the result is in DIR (it is no result: the
 *   reconstruction.npz holds the state it led to). A run that diverged keeps it.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { compactUtc, entriesStartingWith, moveFilesInto } from '../../files/dirs.js';
import { namedInPlace, writeFailed } from '../../files/atomic.js';
import { checkHistoryDir } from '../../files/earlier.js';
import { withLock } from '../../files/lock.js';
import { checkWritableDir } from '../../files/writable.js';
import { HUB, PHASE_F } from '../hub/layout.js';
import { archiveOutputs, keepInterrupted } from './files.js';
import { LsqmlAbortedError } from '../../engine/lsqml.js';
import { checkJobOptions, runLsqmlJob, type JobProgress, type LsqmlJobOptions, type LsqmlJobResult } from './lsqml-job.js';

/** The lock a standalone reconstruction holds in its output directory. */
export const STANDALONE_LOCK = '.lsqml.lock';
const STAGING_PREFIX = `${PHASE_F.stagingPrefix}lsqml-`;

export interface StandaloneResult extends LsqmlJobResult {
  /** Where the directory's earlier outputs went (`<out>/history/replaced-<time>`), or null when it held none. */
  archivedTo: string | null;
}

/**
 * Runs `job` into `job.outputDir` as described in the module comment. Throws what the job throws (after
 * moving a diverged run's log into place), or a UsageError when a reconstruction exists and `replace` is false.
 */
export async function runLsqmlInto(job: LsqmlJobOptions, replace: boolean, onProgress?: (p: JobProgress) => void,
  checkpoint?: { every: number; onResume?: (epochsDone: number, epochs: number) => void }): Promise<StandaloneResult> {
  const out = resolve(job.outputDir);
  checkWritableDir(out, 'output directory');
  const created = !existsSync(out);
  mkdirSync(out, { recursive: true });
  try {
    return await withLock(join(out, STANDALONE_LOCK), 'lsqml', 'output directory', async () => {
      const existing = join(out, PHASE_F.reconstruction);
      if (!replace && existsSync(existing)) throw new UsageError(`${existing} exists; pass --overwrite to replace it (the earlier files then move to history/)`);
      checkHistoryDir(out, 'where earlier outputs go');
      const stale = entriesStartingWith(out, STAGING_PREFIX); // killed runs': no other run holds the lock
      const stamp = compactUtc(new Date());
      const staging = join(out, `${STAGING_PREFIX}${stamp}-${process.pid}`);
      try {
        mkdirSync(staging);
      } catch (err) {
        throw namedInPlace(writeFailed(staging, err), staging, out); // a full disk (no inode left): DIR named
      }
      let result: LsqmlJobResult | null = null;
      let failure: unknown = null;
      const checkpointPath = join(out, PHASE_F.checkpoint);
      try {
        result = await runLsqmlJob({ ...job, outputDir: staging, ...(checkpoint ? { checkpoint: { path: checkpointPath, ...checkpoint } } : {}) }, onProgress);
      } catch (err) {
        failure = namedInPlace(err, staging, out); // a full disk: the file as DIR would hold it
      }
      if (readdirSync(staging).length === 0) {
        rmSync(staging, { recursive: true, force: true });
        throw failure ?? new Error(`the reconstruction wrote nothing into ${staging}`);
      }
      // stopped: DIR stays as it was, the log so far in the staging directory, as when a run is killed
      if (failure instanceof LsqmlAbortedError) throw failure;
      keepInterrupted(out, stale, STAGING_PREFIX);
      // the report of the earlier reconstruction goes with it: DIR/report/ never describes another result than DIR's
      const archivedTo = archiveOutputs(out, `replaced-${stamp}`, [HUB.report]);
      moveFilesInto(staging, out);
      if (failure !== null) throw failure;
      if (checkpoint) rmSync(checkpointPath, { force: true });
      const moved = (p: string): string => join(out, p.slice(staging.length + 1));
      const r = result!;
      return { ...r, reconstructionNpz: moved(r.reconstructionNpz), png: moved(r.png), runRecord: moved(r.runRecord), log: moved(r.log), archivedTo };
    });
  } finally {
    if (created && readdirSync(out).length === 0) rmdirSync(out);
  }
}

/**
 * One reconstruction of a file into `outputDir` (the library's `runLsqmlJob`): reads the input, runs LSQML and
 * writes reconstruction.npz (read it with `loadNpz`), reconstruction.png, reconstruction_run.json and lsqml.log
 * into `outputDir`, as `ptychostudy lsqml` does. The options are checked first (a misspelt or out-of-range
 * setting: a SettingsError naming it). The whole run holds `outputDir/.lsqml.lock`, as `ptychostudy lsqml --out`
 * does, so a second run into the same folder, of this process or another, is refused at once (a LockBusyError
 * naming the holder) instead of writing beside it; an `outputDir` that holds a reconstruction.npz already is
 * refused (a UsageError: an earlier result is never replaced). An `outputDir` this call made is removed again
 * when nothing was written into it. `onProgress` gets `{ epoch, epochs, loss, seconds }` after every epoch.
 */
export async function runLsqmlJobLocked(job: LsqmlJobOptions, onProgress?: (p: JobProgress) => void): Promise<LsqmlJobResult> {
  checkJobOptions(job, onProgress);
  const out = resolve(job.outputDir);
  const created = !existsSync(out);
  mkdirSync(out, { recursive: true });
  try {
    return await withLock(join(out, STANDALONE_LOCK), 'lsqml', 'output directory', () => runLsqmlJob(job, onProgress));
  } finally {
    if (created && readdirSync(out).length === 0) rmdirSync(out);
  }
}
