/**
 * Where a job's earlier outputs go when a later run replaces them: `<job dir>/history/<run id>/`; and what a
 * killed run left in its staging directory: `<job dir>/history/interrupted-<run id>/`.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPORARY_PREFIX } from '../../files/atomic.js';
import { createUniqueDir, isDirectory, moveFilesInto } from '../../files/dirs.js';
import { checkSafeName } from '../../files/paths.js';
import { JOB_OUTPUT_FILES, PHASE_F } from '../hub/layout.js';

/**
 * Moves the outputs of an earlier result out of `outputDir` into `outputDir/history/<label>` (unique), so a
 * new result never overwrites them. Returns that directory, or null when there was nothing to move.
 * `label` (the earlier run's id, read from the manifest) must be one safe name: nothing moves otherwise.
 * `also` names further entries of `outputDir` made from that result (the report of an `lsqml` folder), which move
 * with it.
 */
export function archiveOutputs(outputDir: string, label: string, also: readonly string[] = []): string | null {
  checkSafeName(label, join(outputDir, PHASE_F.history), 'run id');
  const present = [...JOB_OUTPUT_FILES, ...also].filter((f) => existsSync(join(outputDir, f)));
  if (present.length === 0) return null;
  const histRoot = join(outputDir, PHASE_F.history);
  const name = createUniqueDir(histRoot, label);
  const dest = join(histRoot, name);
  for (const f of present) renameSync(join(outputDir, f), join(dest, f));
  return dest;
}

/**
 * Keeps what killed runs left in the staging directories `names` of `outputDir` (their logs say how far they
 * got): each non-empty one's files move to `outputDir/history/interrupted-<name without prefix>/` (unique); empty
 * ones, and entries that are not directories, are removed. A file the killed run was still writing (`.tmp-<name>.<pid>.…`:
 * every file is written under such a name, then renamed) is part of no record and never whole: it is removed, not kept.
 * Call it only where no other run can be using them.
 */
export function keepInterrupted(outputDir: string, names: readonly string[], prefix: string): void {
  for (const name of names) {
    const dir = join(outputDir, name);
    if (isDirectory(dir)) {
      for (const f of readdirSync(dir)) if (f.startsWith(TEMPORARY_PREFIX)) rmSync(join(dir, f), { recursive: true, force: true });
    }
    if (!isDirectory(dir) || readdirSync(dir).length === 0) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const history = join(outputDir, PHASE_F.history);
    moveFilesInto(dir, join(history, createUniqueDir(history, `interrupted-${name.slice(prefix.length)}`)));
  }
}
