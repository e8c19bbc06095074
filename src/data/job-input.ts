/**
 * What one LSQML reconstruction job reads from its input NPZ, and nothing more: the five required
 * DATA-001 keys and `_metadata`, read only after the headers show the job fits (probe modes, object
 * size, memory; `checkLsqmlJobFits`). A `_metadata` that is present but unreadable fails the job
 * (its intensity scale would otherwise silently become 1); an absent one is allowed. Every scan
 * position must put its patch on the object (`checkPositionsOnObject`); what LSQML refuses of the patterns
 * and of a probeGuess it starts from is the job's check (reconstruction-refusals.ts `patternRefusals`), the same for
 * every format. With `probeOptional` an absent `probeGuess` is allowed
 * (`Dataset.probeAbsent`): the caller gives the probe, or refuses the data naming how to give one.
 * With `squarePatterns` patterns that are not square are refused from diffraction's header, before any read.
 * The members are read without blocking the event loop (`loadDatasetStoppable`): `signal` aborted stops the read between
 * two pieces of a member (it rejects with `abortError`).
 */
import { InputError } from '../errors.js';
import { loadDatasetStoppable, outside, type Dataset } from './dataset.js';
import { checkLsqmlJobFits, type LsqmlJobRequest } from './memory.js';

export async function loadJobDataset(path: string, job: LsqmlJobRequest, opts: { probeOptional?: boolean; squarePatterns?: boolean } = {},
  signal?: AbortSignal): Promise<Dataset> {
  const ds = await loadDatasetStoppable(path, {
    keys: 'required', metadata: 'strict', beforeDecode: (headers) => checkLsqmlJobFits(path, headers, job), ...(opts.probeOptional ? { probeOptional: true } : {}),
    ...(opts.squarePatterns ? { squarePatterns: true } : {}),
  }, signal);
  if (ds.objectGuess) checkPositionsOnObject(ds, job.nImages);
  return ds;
}

/**
 * Refuses a scan position whose H×W patch lies wholly off objectGuess: its centre must satisfy
 * −W/2 ≤ x ≤ width + W/2 and −H/2 ≤ y ≤ height + H/2 (object pixels). Beyond the edge the engine
 * pads by replication, but a patch that misses the object entirely reconstructs nothing and is a
 * unit or frame mistake. Only the first `nImages` positions (those the job uses) are checked.
 */
export function checkPositionsOnObject(ds: Dataset, nImages?: number): void {
  if (!ds.objectGuess) return;
  const [HO, WO] = ds.objectGuess.shape as [number, number];
  const n = nImages !== undefined ? Math.min(nImages, ds.n) : ds.n;
  for (const [key, c, size, patch, axis] of [['xcoords', ds.xcoords, WO, ds.W, 'x'], ['ycoords', ds.ycoords, HO, ds.H, 'y']] as const) {
    const far = outside(c.subarray(0, n), -patch / 2, size + patch / 2);
    if (far) {
      throw new InputError(`${ds.file ?? 'dataset'}: key '${key}': expected scan positions whose ${ds.H}×${ds.W} patch touches the ${HO}×${WO} objectGuess ` +
        `(${-patch / 2} ≤ ${axis} ≤ ${size + patch / 2}); found ${far}`);
    }
  }
}
