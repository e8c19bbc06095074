/**
 * Phase C, D and F files as their phase wrote them. Phase C's `run_manifest.json` records the size and SHA-256 of
 * each `dose_<D>/patched_{train,test}.npz` (`train_size`, `train_sha256`, `test_size`, `test_sha256`, computed
 * from the bytes as they were written); Phase D's `overlap_manifest.json` those of every file of a view (`files`:
 * relative path → `{ size, sha256 }`: the view NPZs, the metrics JSON files and `metrics_bundle.json`); Phase F's
 * `reconstruction_manifest.json` those of each job's `reconstruction.npz` (`reconstruction_size`,
 * `reconstruction_sha256`). Whatever builds on them checks them — a resumed hub, Phase D reading Phase C
 * (`planOverlap`), Phase F reading Phase C and D (`planReconstruction`: `checkFilesRead`), Phase G reading the
 * ground truth and the reconstructions (`planComparisons`): a file replaced or edited since — another dataset,
 * a truncated copy — is an `InputError` naming it, with the recorded and the found size and hash, instead of
 * later phases mixing results made from two different data. Manifests written before these records are not
 * checked by hash (a resume still parses Phase D's JSON files: `checkPhaseDFiles`). Recorded paths are
 * relative to the manifest's root, so a copied hub is checked against its own files.
 */
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../../errors.js';
import { fingerprintSync } from '../../files/fingerprint.js';
import { readJsonRecord } from '../../files/json-record.js';
import { statEntry } from '../../files/regular.js';
import { isInside } from '../../files/paths.js';
import { PHASE_C, PHASE_D, PHASE_F, SPLITS } from './layout.js';

export interface RecordedFile {
  /** Absolute path of the data file. */
  path: string;
  dose: number;
  size: number;
  sha256: string;
}

const SHA = /^[0-9a-f]{64}$/;

/**
 * The data files (with their recorded size and SHA-256) that the Phase C manifest under `root` records, for
 * the `doses` given (all when omitted); none when there is no manifest or it records no hashes.
 */
export function recordedPhaseCFiles(root: string, doses?: readonly number[]): RecordedFile[] {
  const manifest = join(root, PHASE_C.manifest);
  const read = readJsonRecord(manifest, 'Phase C data cannot be checked against it (nothing was written)');
  if (read === null || read.value === null || typeof read.value !== 'object') return [];
  const out: RecordedFile[] = [];
  for (const [key, entry] of Object.entries(read.value as Record<string, unknown>)) {
    if (!/^dose_\d+$/.test(key) || entry === null || typeof entry !== 'object') continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.dose !== 'number' || (doses !== undefined && !doses.includes(Math.trunc(e.dose)))) continue;
    for (const split of SPLITS) {
      const rel = e[split], size = e[`${split}_size`], sha256 = e[`${split}_sha256`];
      if (typeof rel !== 'string' || typeof size !== 'number' || typeof sha256 !== 'string' || !SHA.test(sha256)) continue;
      out.push({ path: join(root, rel), dose: e.dose, size, sha256 });
    }
  }
  return out;
}

/**
 * Every dataset the Phase C manifest under `root` names (resolved), with or without its size and SHA-256 (an entry
 * written before them); none when there is no manifest.
 */
function namedPhaseCFiles(root: string): Set<string> {
  const read = readJsonRecord(join(root, PHASE_C.manifest), 'Phase C data cannot be checked against it (nothing was written)');
  const out = new Set<string>();
  if (read === null || read.value === null || typeof read.value !== 'object') return out;
  for (const [key, entry] of Object.entries(read.value as Record<string, unknown>)) {
    if (!/^dose_\d+$/.test(key) || entry === null || typeof entry !== 'object') continue;
    for (const split of SPLITS) {
      const rel = (entry as Record<string, unknown>)[split];
      if (typeof rel === 'string') out.add(resolve(root, rel));
    }
  }
  return out;
}

/**
 * Throws an `InputError` naming the first file whose bytes are not what Phase C recorded writing (size first,
 * then SHA-256; an absent file is no match either). `remedy` ends the message (what to do about it).
 */
export function checkPhaseCFiles(files: readonly RecordedFile[], remedy: string): void {
  checkRecordedFiles(files, 'Phase C', PHASE_C.manifest, remedy);
}

function checkRecordedFiles(files: readonly RecordedFile[], phase: string, manifest: string, remedy: string): void {
  for (const f of files) {
    const expected = `${f.size} bytes, SHA-256 ${f.sha256.slice(0, 16)}…`;
    const st = statEntry(f.path);
    const why = (found: string): InputError => new InputError(`${f.path}: expected ${expected} (what ${manifest} records ${phase} wrote); ` +
      `found ${found}; it was changed since ${phase} wrote it — ${remedy}`);
    if (st === undefined) throw why('no file');
    if (!st.isFile()) throw why('something that is not a file');
    if (st.size !== f.size) throw why(`${st.size} bytes`);
    let sha: string;
    try {
      sha = fingerprintSync(f.path).sha256;
    } catch (err) {
      throw why(`a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (sha !== f.sha256) throw why(`${st.size} bytes, SHA-256 ${sha.slice(0, 16)}…`);
  }
}

/** Size and SHA-256 of files just written (a phase's record of what it wrote), by path relative to `root`. */
export function filesRecord(root: string, paths: readonly string[]): Record<string, { size: number; sha256: string }> {
  const out: Record<string, { size: number; sha256: string }> = {};
  for (const p of paths) out[relative(root, p).split(sep).join('/')] = fingerprintSync(p);
  return out;
}

/** What Phase D's manifest under `root` records of each view not failed: hashed files, and views recorded before the hashes. */
function phaseDRecords(root: string, consequence: string): { recorded: RecordedFile[]; legacy: Record<string, string>[]; failed: { dir: string; key: string; error: string }[] } {
  const manifest = join(root, PHASE_D.manifest);
  const read = readJsonRecord(manifest, consequence);
  const doses = (read?.value as { doses?: unknown } | null)?.doses;
  const recorded: RecordedFile[] = [];
  const legacy: Record<string, string>[] = [];
  const failed: { dir: string; key: string; error: string }[] = [];
  if (doses === null || typeof doses !== 'object') return { recorded, legacy, failed };
  for (const [key, entry] of Object.entries(doses as Record<string, unknown>)) {
    const e = entry as { dose?: unknown; status?: unknown; views?: unknown; error?: unknown } | null;
    // a dose recorded failed: whatever files its folder holds (whole views written before the failure, or an earlier
    // run's) are not its results
    if (e !== null && typeof e === 'object' && e.status === 'failed' && /^dose_[0-9]+$/.test(key)) {
      failed.push({ dir: join(root, key), key, error: typeof e.error === 'string' ? e.error : 'no error recorded' });
    }
    if (e === null || typeof e !== 'object' || e.status === 'failed' || e.views === null || typeof e.views !== 'object') continue;
    for (const v of Object.values(e.views as Record<string, unknown>)) {
      const view = v as Record<string, unknown> | null;
      if (view === null || typeof view !== 'object') continue;
      const files = view.files as Record<string, unknown> | undefined;
      if (files !== undefined && files !== null && typeof files === 'object') {
        for (const [rel, fp] of Object.entries(files)) {
          const { size, sha256 } = (fp ?? {}) as { size?: unknown; sha256?: unknown };
          if (typeof size === 'number' && typeof sha256 === 'string' && SHA.test(sha256)) {
            recorded.push({ path: join(root, rel), dose: typeof e.dose === 'number' ? e.dose : NaN, size, sha256 });
          }
        }
      } else {
        const rels: Record<string, string> = {};
        for (const k of ['train_metrics', 'test_metrics', 'metrics_bundle']) if (typeof view[k] === 'string') rels[k] = join(root, view[k] as string);
        legacy.push(rels);
      }
    }
  }
  return { recorded, legacy, failed };
}

/**
 * Checks what Phase D's manifest under `root` records of every view: each file it lists with a size and
 * SHA-256 (`files`) still has them; and, for a view recorded before those hashes, that its JSON results
 * (`train_metrics`, `test_metrics`, `metrics_bundle`) are present and parse, and that the bundle holds the two
 * split metrics it was written from. Any mismatch is an `InputError` naming the file, expected and found.
 */
export function checkPhaseDFiles(root: string, remedy: string): void {
  const { recorded, legacy } = phaseDRecords(root, remedy);
  checkRecordedFiles(recorded, 'Phase D', PHASE_D.manifest, remedy);
  for (const rels of legacy) {
    const parsed: Record<string, unknown> = {};
    for (const [k, path] of Object.entries(rels)) {
      const r = readJsonRecord(path, remedy);
      if (r === null) throw new InputError(`${path}: expected the ${k.replace('_', ' ')} ${PHASE_D.manifest} records; found no file — ${remedy}`);
      parsed[k] = r.value;
    }
    const bundle = parsed['metrics_bundle'] as Record<string, unknown> | undefined;
    for (const split of SPLITS) {
      const own = parsed[`${split}_metrics`];
      if (bundle === undefined || own === undefined) continue;
      if (JSON.stringify(bundle?.[split]) !== JSON.stringify(own)) {
        throw new InputError(`${rels['metrics_bundle']}: key '${split}': expected the metrics of ${rels[`${split}_metrics`]}; found other values — ${remedy}`);
      }
    }
  }
}

/** How a Phase C or D file read by a later phase is put right (the end of its refusal). */
const REMAKE = {
  'Phase C': 'nothing was written; put the file back, or remake Phase C (`ptychostudy generate … --overwrite`) and the phases after it',
  'Phase D': 'nothing was written; put the file back, or remake Phase D (`ptychostudy overlap … --overwrite`) and the phases after it',
} as const;

/**
 * Checks the files a phase is about to read (`paths`: datasets under the Phase C root or the Phase D root)
 * against the size and SHA-256 their producer recorded writing them — Phase C's manifest under `roots.phaseC`,
 * Phase D's under `roots.phaseD` (null: no such root). Where that manifest records hashes, a file under its root
 * that it does not record is refused (`unrecordedError`: its phase could not write its record, or it came by other
 * means); a root whose manifest records none (written before these hashes, another layout, no manifest) is not
 * checked. Throws the `InputError` of `checkPhaseCFiles` (or `unrecordedError`) for the first such file in the order
 * of `paths`. Manifests are read only for roots that hold one of `paths`.
 */
export function checkFilesRead(paths: readonly string[], roots: { phaseC: string | null; phaseD: string | null }): void {
  const consequence = 'the files read from it cannot be checked against it (nothing was written)';
  const records = new Map<string, { file: RecordedFile; phase: keyof typeof REMAKE; manifest: string }>();
  const under = (root: string): boolean => paths.some((p) => isInside(root, p));
  if (roots.phaseC !== null && under(roots.phaseC)) {
    for (const file of recordedPhaseCFiles(roots.phaseC)) records.set(resolve(file.path), { file, phase: 'Phase C', manifest: PHASE_C.manifest });
  }
  if (roots.phaseD !== null && under(roots.phaseD)) {
    const d = phaseDRecords(roots.phaseD, consequence);
    for (const file of d.recorded) records.set(resolve(file.path), { file, phase: 'Phase D', manifest: PHASE_D.manifest });
    for (const p of paths) {
      const f = d.failed.find((x) => isInside(x.dir, p));
      if (f !== undefined) {
        throw new InputError(`${p}: expected a view ${PHASE_D.manifest} records; found a file of ${f.key}, which it records as failed ` +
          `(${f.error}) — nothing was written; make the dose again (\`ptychostudy overlap … --dose ${f.key.slice(5)} --overwrite\`), then read its views`);
      }
    }
  }
  // A manifest that records sizes and hashes records every file its phase wrote: a file under its root that it does not
  // record is one whose record could not be written (a full disk) or that came by other means — never read as evidence.
  const hashed = {
    c: roots.phaseC !== null && [...records.values()].some((r) => r.phase === 'Phase C'),
    d: roots.phaseD !== null && [...records.values()].some((r) => r.phase === 'Phase D') && phaseDRecords(roots.phaseD, consequence).legacy.length === 0,
  };
  let namedC: Set<string> | undefined; // read when first needed
  for (const p of new Set(paths.map((q) => resolve(q)))) {
    const r = records.get(p);
    if (r !== undefined) checkRecordedFiles([r.file], r.phase, r.manifest, REMAKE[r.phase]);
    else if (hashed.c && isInside(roots.phaseC!, p) && !(namedC ??= namedPhaseCFiles(roots.phaseC!)).has(p)) throw unrecordedError(p, 'Phase C', PHASE_C.manifest);
    else if (hashed.d && isInside(roots.phaseD!, p)) throw unrecordedError(p, 'Phase D', PHASE_D.manifest);
  }
}

/** How a Phase C or D file its phase's manifest does not record is made again (the end of its refusal). */
const REDO = { 'Phase C': 'ptychostudy generate … --overwrite', 'Phase D': 'ptychostudy overlap … --overwrite' } as const;

/**
 * The refusal of `path`, a file under a root whose manifest (`manifest`, one that records each file's size and
 * SHA-256) does not record it: the phase could not write its record (a full disk), or the file came by other means.
 */
export function unrecordedError(path: string, phase: keyof typeof REDO, manifest: string): InputError {
  const dose = /(?:^|[\\/])dose_(\d+)[\\/]/.exec(path)?.[1];
  return new InputError(`${path}: expected a file ${manifest} records (with the size and SHA-256 ${phase} wrote); found one it does not record — ` +
    `${phase} could not record it (its manifest could not be written: a full disk?) or it came by other means, so it is not taken as ` +
    `${phase}'s result; nothing was written; make it again (\`${REDO[phase].replace(' --overwrite', `${dose !== undefined ? ` --dose ${dose}` : ''} --overwrite`)}\`)`);
}

/**
 * Refuses (`unrecordedError`) the first of the Phase C datasets `paths` under `root` that its manifest does not record,
 * when that manifest records sizes and hashes (one written before them, or none, records nothing to go by).
 */
export function checkPhaseCRecorded(root: string, paths: readonly string[]): void {
  if (recordedPhaseCFiles(root).length === 0) return;
  const named = namedPhaseCFiles(root); // an entry written before the hashes names its files too
  for (const p of paths) if (!named.has(resolve(p))) throw unrecordedError(resolve(p), 'Phase C', PHASE_C.manifest);
}

/**
 * The `reconstruction.npz` a Phase F result records writing (its size and SHA-256), at `path` (where that job's
 * reconstruction is now); null for a result recorded before these fields.
 */
export function recordedReconstruction(result: { dose: number; reconstruction_size?: number | undefined; reconstruction_sha256?: string | undefined },
  path: string): RecordedFile | null {
  const { reconstruction_size: size, reconstruction_sha256: sha256 } = result;
  return size === undefined || sha256 === undefined ? null : { path, dose: result.dose, size, sha256 };
}

/** As `checkPhaseCFiles`, for reconstructions Phase F's manifest records its jobs wrote (`recordedReconstruction`). */
export function checkPhaseFFiles(files: readonly RecordedFile[], remedy: string): void {
  checkRecordedFiles(files, 'the job', PHASE_F.manifest, remedy);
}
