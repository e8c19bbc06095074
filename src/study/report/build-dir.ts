/**
 * The temporary folders of a report build inside the report directory, shared by the study report and the report of
 * one reconstruction: a build writes its page and images into `.tmp-report.<pid>.<hex>/`, then moves the earlier
 * images aside (`.tmp-report-old.<pid>.<hex>/`), moves its own in, then its page, then removes the earlier images.
 * A build ended between those renames (killed, the machine gone) leaves the earlier page without its images, which
 * are aside: the next build puts them back before it clears what ended builds left, so a build that then fails too
 * leaves the earlier report whole. A build that replaces a report keeps it: its page (hard-linked, or copied where the
 * file system has no hard links, before the new page is renamed over it) and its images move to
 * `history/replaced-<time>/` of the report directory.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compactUtc, createUniqueDir, entriesStartingWith, missingDirs, removeEmptyDirs, removeEntriesStartingWith } from '../../files/dirs.js';
import { checkHistoryDir, HISTORY_DIR } from '../../files/earlier.js';
import { REPORT } from '../hub/layout.js';

/** Names of a build's temporary directories in the report directory (the new report, the earlier images). */
export const BUILD_PREFIX = '.tmp-report';
const ASIDE_PREFIX = `${BUILD_PREFIX}-old.`;

/** A new build's folder in `outDir` (not created). */
export function newBuildDir(outDir: string): string {
  return join(outDir, `${BUILD_PREFIX}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

/**
 * Before a build (under the report directory's lock): earlier images an ended build moved aside go back to `img/`
 * when `img/` is missing (the newest such folder), then every other folder ended builds left is removed.
 */
export function clearEndedBuilds(outDir: string): void {
  const imgDir = join(outDir, REPORT.images);
  if (!existsSync(imgDir)) {
    const aside = entriesStartingWith(outDir, ASIDE_PREFIX)
      .map((n) => ({ n, t: statSync(join(outDir, n), { throwIfNoEntry: false })?.mtimeMs ?? -1 }))
      .filter((a) => a.t >= 0)
      .sort((a, b) => b.t - a.t)[0];
    if (aside) renameSync(join(outDir, aside.n), imgDir);
  }
  removeEntriesStartingWith(outDir, BUILD_PREFIX);
}

/**
 * Moves a finished build's images and page into `outDir`: the earlier page is kept first (a link, or a copy, in the
 * report directory's `history/replaced-<time>/`), the earlier images go aside (back in place when the new ones
 * cannot be moved in), then the new images and the page move in; the earlier images join the kept page last.
 */
export function moveBuildIn(build: string, outDir: string): void {
  const imgDir = join(outDir, REPORT.images);
  const index = join(outDir, REPORT.index);
  const aside = join(outDir, `${ASIDE_PREFIX}${process.pid}.${randomBytes(4).toString('hex')}`);
  const hadImages = existsSync(imgDir);
  const hadPage = existsSync(index);
  let kept: string | null = null;
  let made: string[] = [];
  if (hadPage || hadImages) {
    checkHistoryDir(outDir, 'where replaced reports are kept');
    const history = join(outDir, HISTORY_DIR);
    made = missingDirs(history);
    try {
      kept = join(history, createUniqueDir(history, `replaced-${compactUtc(new Date())}`));
      made.push(kept);
      if (hadPage) {
        try {
          linkSync(index, join(kept, REPORT.index));
        } catch {
          copyFileSync(index, join(kept, REPORT.index)); // no hard links here; a full disk throws (the earlier report stays)
        }
      }
    } catch (err) {
      if (kept !== null) rmSync(join(kept, REPORT.index), { force: true });
      removeEmptyDirs(made);
      throw err;
    }
  }
  if (hadImages) renameSync(imgDir, aside);
  try {
    renameSync(join(build, REPORT.images), imgDir);
  } catch (err) {
    if (hadImages) renameSync(aside, imgDir);
    if (kept !== null) rmSync(join(kept, REPORT.index), { force: true });
    removeEmptyDirs(made);
    throw err;
  }
  renameSync(join(build, REPORT.index), index);
  if (kept !== null && hadImages) renameSync(aside, join(kept, REPORT.images));
  else rmSync(aside, { recursive: true, force: true });
}
