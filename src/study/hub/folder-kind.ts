/**
 * What a folder given as an output already holds, by the files each command leaves at its top: a study hub
 * (`run`), one reconstruction (`lsqml`) or the root of one phase (`generate`, `overlap`, `reconstruct`, `compare`).
 * A command refuses to write into a folder another command made: `lsqml --out HUB` moved the hub's report/ into
 * history/ as if it were its own, and `generate --out HUB` put dose folders beside phase_c/.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { dosesUnder, HUB, PHASE_C, PHASE_D, PHASE_F, PHASE_G } from './layout.js';
import { printable } from '../../text.js';

export type FolderKind = 'hub' | 'lsqml' | 'phaseC' | 'phaseD' | 'phaseF' | 'phaseG';

/** The file that marks each kind, in the order they are looked for (a hub first: it is more than its parts). */
const MARKERS: readonly [FolderKind, readonly string[]][] = [
  ['hub', [HUB.runState, HUB.design]],
  ['phaseC', [PHASE_C.manifest]],
  ['phaseD', [PHASE_D.manifest]],
  ['phaseF', [PHASE_F.manifest]],
  ['phaseG', [PHASE_G.summaryJson]],
  ['lsqml', [PHASE_F.reconstruction, PHASE_F.runRecord]],
];

/** What each kind is and which command writes it, as a message names it. */
const WORDS: Record<FolderKind, string> = {
  hub: 'a study hub (`ptychostudy run --out`)',
  lsqml: 'one reconstruction (`ptychostudy lsqml --out`)',
  phaseC: 'a Phase C root (`ptychostudy generate --out`)',
  phaseD: 'a Phase D root (`ptychostudy overlap --out`)',
  phaseF: 'a Phase F root (`ptychostudy reconstruct --out`)',
  phaseG: 'a Phase G root (`ptychostudy compare --out`)',
};

/** What `kind` is and which command writes it, as a message names it: 'a Phase C root (`ptychostudy generate --out`)'. */
export function folderKindWords(kind: FolderKind): string {
  return WORDS[kind];
}

/** A hub's folder of each phase. */
const HUB_FOLDER: Partial<Record<FolderKind, string>> = { phaseC: HUB.phaseC, phaseD: HUB.phaseD, phaseF: HUB.phaseF, phaseG: HUB.phaseG };

/** Whether something is at `path`. A folder that cannot be looked into (EACCES) shows no marker: the command's own reading of it then says why. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The kind of output `dir` holds, and the file that says so; null for a folder of none of them (or no folder). */
export function folderKind(dir: string): { kind: FolderKind; marker: string } | null {
  for (const [kind, markers] of MARKERS) {
    const marker = markers.find((m) => present(join(dir, m)));
    if (marker !== undefined) return { kind, marker };
  }
  return null;
}

/**
 * Refuses `dir`, given as `flag` to a command that writes `expected` there, when it holds the output of another
 * command: a UsageError naming the folder, the file found, what was expected and what to give instead.
 */
export function refuseOtherFolderKind(dir: string, expected: FolderKind, flag = '--out'): void {
  const found = folderKind(dir);
  if (found === null || found.kind === expected) return;
  const sub = found.kind === 'hub' ? HUB_FOLDER[expected] : undefined;
  throw new UsageError(`${flag} ${printable(dir)}: expected ${WORDS[expected]} or a new folder; found ${WORDS[found.kind]} (${found.marker}), ` +
    `which this command would change: give ${sub !== undefined ? `${printable(join(dir, sub))} (the hub's own) or ` : ''}a new folder`);
}

/**
 * Refuses `dir`, given as `flag` for a command to read `expected` from, when it holds no such output: a folder of
 * another kind (a hub given for its phase root) or one without any `dose_<D>/` folder. A folder that is not there is
 * left to the command, which says so.
 */
export function refuseNotFolderKind(dir: string, expected: FolderKind, flag: string): void {
  if (!present(dir)) return;
  const found = folderKind(dir);
  if (found?.kind === expected || (found === null && dosesUnder(dir).length > 0)) return;
  const sub = found?.kind === 'hub' ? HUB_FOLDER[expected] : undefined;
  throw new UsageError(`${flag} ${printable(dir)}: expected ${WORDS[expected]}; found ` +
    `${found === null ? 'neither its manifest nor a dose_<D>/ folder' : `${WORDS[found.kind]} (${found.marker})`}: ` +
    `give ${sub !== undefined ? `${printable(join(dir, sub))}, the hub's own` : `the folder that command wrote`}`);
}
