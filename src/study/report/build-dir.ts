/**
 * The temporary folders of a report build inside the report directory, shared by the study report and the report of
 * one reconstruction: a build writes its page and images into `.tmp-report.<pid>.<hex>/`, then moves the earlier
 * images aside (`.tmp-report-old.<pid>.<hex>/`), moves its own in, then its page, then removes the earlier images.
 * A build ended between those renames (killed, the machine gone) leaves the earlier page without its images, which
 * are aside: the next build puts them back before it clears what ended builds left, so a build that then fails too
 * leaves the earlier report whole.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { entriesStartingWith, removeEntriesStartingWith } from '../../files/dirs.js';
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
 * Moves a finished build's images and page into `outDir`: the earlier images aside first (back in place when the new
 * ones cannot be moved in), then the new images, then the page; the earlier images are removed last.
 */
export function moveBuildIn(build: string, outDir: string): void {
  const imgDir = join(outDir, REPORT.images);
  const aside = join(outDir, `${ASIDE_PREFIX}${process.pid}.${randomBytes(4).toString('hex')}`);
  const hadImages = existsSync(imgDir);
  if (hadImages) renameSync(imgDir, aside);
  try {
    renameSync(join(build, REPORT.images), imgDir);
  } catch (err) {
    if (hadImages) renameSync(aside, imgDir);
    throw err;
  }
  renameSync(join(build, REPORT.index), join(outDir, REPORT.index));
  rmSync(aside, { recursive: true, force: true });
}
