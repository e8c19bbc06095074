/** Where a job's earlier outputs go when a later run replaces them: `<job dir>/history/<run id>/`. */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createUniqueDir } from '../../files/dirs.js';
import { checkSafeName } from '../../files/paths.js';
import { JOB_OUTPUT_FILES, PHASE_F } from '../hub/layout.js';

/**
 * Moves the outputs of an earlier result out of `outputDir` into `outputDir/history/<label>` (unique), so a
 * new result never overwrites them. Returns that directory, or null when there was nothing to move.
 * `label` (the earlier run's id, read from the manifest) must be one safe name: nothing moves otherwise.
 */
export function archiveOutputs(outputDir: string, label: string): string | null {
  checkSafeName(label, join(outputDir, PHASE_F.history), 'run id');
  const present = JOB_OUTPUT_FILES.filter((f) => existsSync(join(outputDir, f)));
  if (present.length === 0) return null;
  const histRoot = join(outputDir, PHASE_F.history);
  const name = createUniqueDir(histRoot, label);
  const dest = join(histRoot, name);
  for (const f of present) renameSync(join(outputDir, f), join(dest, f));
  return dest;
}
