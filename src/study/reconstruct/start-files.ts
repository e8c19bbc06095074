/**
 * The probe and object files Phase F jobs start from (`reconstruction.initProbe: file:PATH`,
 * `reconstruction.initObject: file:PATH`). They are settings by their path, so the same path holding other
 * bytes later (the earlier reconstruction that made the file was run again) would leave the jobs finished
 * from the old file counted complete beside jobs that run from the new one. Each job's result therefore
 * records the size and SHA-256 of each such file as the job began (`init_probe_file`, `init_object_file` in
 * `reconstruction_manifest.json`), and a run refuses, before it writes anything, a file whose bytes are not
 * those recorded by the results it keeps: every successful result with the run's reconstruction settings,
 * but those this run does again (`force`). Results recorded before these fields are not checked.
 *
 * Such a file lies outside the hub, so it does not move with a copied hub. A file that is not there at all
 * changes no kept result (nothing can start from it): only jobs that are still to run need it, and a run that
 * has some refuses at once with one line naming the path and what to do (`startFileAbsentError`), before
 * anything is written. A finished hub is resumed, compared and reported without it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { fingerprint, type Fingerprint } from '../../files/fingerprint.js';
import { statEntry } from '../../files/regular.js';
import { reconstructionSettingsSha256 } from '../../settings/fingerprint.js';
import type { StudySettings } from '../../settings/schema.js';
import { counted } from '../../text.js';
import { jobKey, PHASE_F } from '../hub/layout.js';
import type { ExecutionResult } from '../hub/reconstruction-files.js';

/** A file a job starts from: the result's field that records it, the setting that names it, its absolute path. */
export interface StartFile {
  field: 'init_probe_file' | 'init_object_file';
  setting: 'reconstruction.initProbe' | 'reconstruction.initObject';
  path: string;
}

/** The probe and object files `settings` name (`file:PATH`), in that order. */
export function startFiles(settings: StudySettings['reconstruction']): StartFile[] {
  const out: StartFile[] = [];
  if (settings.initProbe.startsWith('file:')) out.push({ field: 'init_probe_file', setting: 'reconstruction.initProbe', path: resolve(settings.initProbe.slice(5)) });
  if (settings.initObject.startsWith('file:')) out.push({ field: 'init_object_file', setting: 'reconstruction.initObject', path: resolve(settings.initObject.slice(5)) });
  return out;
}

/** The probe and object files `settings` name that are not there (no entry at all at their path). */
export function absentStartFiles(settings: StudySettings['reconstruction']): StartFile[] {
  return startFiles(settings).filter((f) => !existsSync(f.path));
}

/**
 * The one line for a probe or object file `f` that is not there while `jobs` jobs (0: some) still need it:
 * the path the settings record (`where`: the file that records it, if any) and, when earlier jobs started from
 * that path (`used`), the two ways on — put the file (or a symbolic link to it) back at that path, where a resume
 * checks its bytes against those the finished jobs recorded, or reconstruct from its new place into a new hub or
 * artifact root.
 */
export function startFileAbsentError(f: StartFile, jobs: number, where?: string, used = true): InputError {
  const what = f.field === 'init_probe_file' ? 'probe' : 'object';
  const still = jobs > 0 ? `the ${counted(jobs, 'job')} still to run start${jobs === 1 ? 's' : ''} from it` : 'the jobs still to run start from it';
  const head = `${f.path}: expected the ${what} file ${f.setting} names${where === undefined ? '' : ` (${where})`}, as ${still}; found no file`;
  // a path no earlier job started from: a new root, likely a mistyped path
  if (!used) return new InputError(`${head}; nothing was written`);
  return new InputError(`${head} — if it moved (a hub copied to another place), put it or a symbolic link to it back at this path (a file with ` +
    `other bytes than the finished jobs recorded is refused), or reconstruct from its new place into a new hub or artifact root; nothing was written`);
}

/** Size and SHA-256 of each file `settings` name, for a job's result (a file that cannot be read is left out: its job fails on it). */
export async function startFilesRecord(settings: StudySettings['reconstruction']): Promise<Partial<Record<StartFile['field'], Fingerprint>>> {
  const out: Partial<Record<StartFile['field'], Fingerprint>> = {};
  for (const f of startFiles(settings)) {
    try {
      out[f.field] = await fingerprint(f.path);
    } catch { /* recorded without it */ }
  }
  return out;
}

/**
 * Throws an `InputError` when a probe or object file that `settings` name no longer has the size and SHA-256
 * that a kept result (`prior`: successful, made with these settings, and not in `redone`, the keys of jobs this
 * run does again) records of it: one line naming the file, the recorded and the found size and hash, a job
 * made from it, and what to do. Reads each file once.
 */
export async function checkStartFilesUnchanged(settings: StudySettings['reconstruction'], prior: Iterable<ExecutionResult>,
  redone: ReadonlySet<string> = new Set()): Promise<void> {
  const files = startFiles(settings);
  if (files.length === 0) return;
  const sha = reconstructionSettingsSha256(settings);
  const kept = [...prior].filter((r) => r.status === 'success' && r.settings_sha256 === sha && !redone.has(jobKey(r)));
  for (const f of files) {
    let found: Fingerprint | 'no file' | 'something that is not a file' | null = null;
    for (const r of kept) {
      const rec = r[f.field];
      if (rec === undefined) continue;
      if (found === null) {
        const st = statEntry(f.path);
        found = st === undefined ? 'no file' : !st.isFile() ? 'something that is not a file' : await fingerprint(f.path);
      }
      if (found === 'no file') break; // nothing can start from it: the jobs still to run refuse it (startFileAbsentError)
      if (typeof found !== 'string' && found.size === rec.size && found.sha256 === rec.sha256) continue;
      const shown = (p: Fingerprint): string => `${p.size} bytes, SHA-256 ${p.sha256.slice(0, 16)}…`;
      throw new InputError(`${f.path}: expected ${shown(rec)} (the ${f.setting} file as the finished job dose_${Math.trunc(r.dose)}/${r.view}/${r.split} ` +
        `started from it, ${PHASE_F.manifest}); found ${typeof found === 'string' ? found : shown(found)}; it changed since — put it back, or reconstruct ` +
        `from the new file into a new hub or artifact root (\`reconstruct --force\` runs the jobs again, their earlier results moving to history); nothing was written`);
    }
  }
}
