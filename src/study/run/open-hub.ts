/**
 * Opening a study hub: the checks a local `run` (`runStudy`) and a study's SLURM submission (`run --executor slurm`,
 * `submitStudy`) both make of the hub folder before they write anything, in the same order and with the same one
 * line (exit code 2). A folder or record that cannot be read is refused, never taken for an absent or empty one: a
 * new study is started only in a folder that is not there or holds nothing (but the hub's lock and temporaries).
 *
 * `checkHubPath` comes first, before the hub's lock is taken (whose file would otherwise be the error); `openHub`
 * then reads what the folder holds, under that lock.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { entryKind, examineEntry } from '../../files/regular.js';
import type { SettingDifference } from '../../settings/fingerprint.js';
import { shown } from '../../settings/parse.js';
import type { StudySettings } from '../../settings/schema.js';
import { folderKind, folderKindWords } from '../hub/folder-kind.js';
import { HUB } from '../hub/layout.js';
import { conflictingSettings, readHubSettings, readRunState, type RunState } from './state.js';

/** A hub's settings differ from the requested ones in settings that change results. */
export class HubSettingsError extends UsageError {
  constructor(readonly hub: string, readonly differences: readonly SettingDifference[]) {
    super(`${join(hub, HUB.runState)}: this hub was made with other settings; resume it with its own (\`hub\` alone) or start ` +
      `a new hub (another \`hub\`, or \`force\`):\n` +
      differences.map((d) => `  \`${d.setting}\`: hub ${shown(d.was)}, requested ${shown(d.now)}`).join('\n'));
    this.name = 'HubSettingsError';
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * The hub path itself: nothing there (a new hub, made by the run; the folder it goes in is checked by
 * `checkWritableDir`, which names a file in the way) or a directory, also through a symbolic link. A file, a link
 * to nothing, any other entry or a path that cannot be examined (EACCES, EIO, ELOOP): one line naming it.
 */
export function checkHubPath(hub: string): void {
  const found = examineEntry(hub);
  if ('absent' in found) return;
  if ('why' in found) throw new InputError(`\`hub\` ${hub}: expected a directory; found ${found.why}`);
  const st = found.st;
  if (!st.isDirectory()) throw new UsageError(`\`hub\` ${hub}: expected a directory; found ${st.isFile() ? 'a file' : entryKind(st)}`);
}

/**
 * What the hub holds, read under its lock: its run.json (null for a new hub), after its entries were listed (a
 * folder that cannot be listed is refused, not taken for an empty one); a folder that holds other things but no
 * run.json is not a hub and is refused; a hub's settings (settings.json, checked against run.json's record) must
 * not differ from `settings` in a setting that changes results (`HubSettingsError`; the sbatch options given now
 * replace the recorded ones).
 */
export function openHub(hub: string, settings: StudySettings): RunState | null {
  let names: string[];
  try {
    names = readdirSync(hub);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return null;
    throw new InputError(`\`hub\` ${hub}: expected a directory whose entries can be listed; found ` +
      `${code === 'ENOTDIR' ? 'a file' : `one that cannot be read (${code})`}; nothing was written`);
  }
  const previous = readRunState(hub);
  if (previous === null) {
    // Never write into (and possibly over) files that some other process or person put there.
    if (names.some((n) => n !== HUB.lock && !n.startsWith('.tmp-'))) {
      // the output of another command (a hub's phase root given for the hub) is named, with the file that tells it
      const found = folderKind(hub);
      const holds = found !== null && found.kind !== 'hub' ? ` (it holds ${folderKindWords(found.kind)}: ${found.marker})` : '';
      throw new UsageError(`\`hub\` ${hub}: the directory exists, is not empty and holds no run.json, so it is not a ptychostudy hub${holds}; choose a new \`hub\``);
    }
    return null;
  }
  const conflicts = conflictingSettings(readHubSettings(hub, settings.execution.slurm.sbatchArgs)!, settings);
  if (conflicts.length > 0) throw new HubSettingsError(hub, conflicts);
  return previous;
}
