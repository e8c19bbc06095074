/**
 * Phase C metadata compliance, as the reference study's Phase G summary records it (PtychoPINN
 * `plans/active/STUDY-SYNTH-FLY64-DOSE-OVERLAP-001/bin/run_phase_g_dense.py::summarize_phase_g_outputs`,
 * PHASEC-METADATA-001; compared with that function's own output in test/study/phase-c-compliance-reference.test.ts,
 * differences in docs/metrics.md): for every
 * `dose_<D>/patched_{train,test}.npz` of the Phase C root, whether its `_metadata` decodes to a JSON object
 * and whether that object records the canonical-layout transformation (an entry of `data_transformations`
 * whose `tool` is `transpose_rename_convert`). `compliant` is both. A file that is missing or cannot be
 * opened gets `error` and false flags; a Phase C root that does not exist gives `{ error }` in place of
 * the per-dose record. Reads `_metadata` only (never the arrays) and never throws.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readMetadata } from '../../data/metadata.js';
import { NpzReader } from '../../npy/npz.js';
import { recordPath } from '../../files/paths.js';
import { discoverDoses, doseDirName, PHASE_C, SPLITS } from '../hub/layout.js';

export const CANONICAL_TRANSFORM_TOOL = 'transpose_rename_convert';

export interface PhaseCSplitCompliance {
  /** The file, relative to the Phase G output root (as every path a summary records). */
  npz_path: string;
  has_metadata: boolean;
  has_canonical_transform: boolean;
  compliant: boolean;
  /** Why the file could not be judged (missing, unreadable, `_metadata` present but undecodable). */
  error?: string;
}

/** `dose_<D>` → split → compliance, or `{ error }` when the Phase C root does not exist. */
export type PhaseCCompliance = Record<string, Record<string, PhaseCSplitCompliance>> | { error: string };

/** Whether decoded `_metadata` records the canonical-layout transformation. */
export function hasCanonicalTransform(meta: Record<string, unknown>): boolean {
  const t = meta['data_transformations'];
  return Array.isArray(t) && t.some((e) => e !== null && typeof e === 'object' && (e as Record<string, unknown>)['tool'] === CANONICAL_TRANSFORM_TOOL);
}

function splitCompliance(path: string, base: string): PhaseCSplitCompliance {
  const npz_path = recordPath(base, path);
  const none = { npz_path, has_metadata: false, has_canonical_transform: false, compliant: false };
  if (!existsSync(path)) return { ...none, error: 'File not found' };
  let reader: NpzReader;
  try {
    reader = NpzReader.open(path);
  } catch (err) {
    return { ...none, error: err instanceof Error ? err.message : String(err) };
  }
  try {
    const m = readMetadata(reader);
    if (m.status === 'absent') return none;
    if (m.status === 'error') return { ...none, error: `_metadata: ${m.error}` };
    const canonical = hasCanonicalTransform(m.value);
    return { npz_path, has_metadata: true, has_canonical_transform: canonical, compliant: canonical };
  } finally {
    reader.close();
  }
}

/** The split files of every dose directory under `phaseCRoot`, the directory as found (`dose_0100/` is dose 100). */
function complianceSplits(phaseCRoot: string): { dose: number; split: string; path: string }[] {
  if (!existsSync(phaseCRoot)) return [];
  return discoverDoses(phaseCRoot).flatMap(({ dose, dir }) => SPLITS.map((split) => ({ dose, split, path: join(dir, PHASE_C.split(split)) })));
}

/**
 * The files `phaseCMetadataCompliance` reads (Phase G checks them against Phase C's manifest before it writes
 * anything: hub/recorded-files.ts `checkFilesRead`).
 */
export function phaseCComplianceFiles(phaseCRoot: string): string[] {
  return complianceSplits(phaseCRoot).map((s) => s.path);
}

/** The compliance of every Phase C split under `phaseCRoot`; paths recorded relative to `base`. */
export function phaseCMetadataCompliance(phaseCRoot: string, base: string): PhaseCCompliance {
  if (!existsSync(phaseCRoot)) return { error: `Phase C root not found: ${recordPath(base, phaseCRoot)}` };
  const out: Record<string, Record<string, PhaseCSplitCompliance>> = {};
  for (const { dose, split, path } of complianceSplits(phaseCRoot)) (out[doseDirName(dose)] ??= {})[split] = splitCompliance(path, base);
  return out;
}
