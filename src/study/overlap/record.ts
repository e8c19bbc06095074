/**
 * Phase D record: `<root>/overlap_manifest.json`, merged with the previous one by dose directory (doses
 * this run did not touch keep their entry) and, within a dose, by view (a view this run did not build keeps
 * its record, as its files stay: `--view sparse` then `--view dense` records both). Each view records the
 * seed it was selected with. Paths are relative to the Phase D root; the roots' absolute paths are in
 * `provenance`.
 */
import { writeJsonAtomic } from '../../files/atomic.js';
import { brokenRecord, readJsonRecord } from '../../files/json-record.js';
import { recordPath } from '../../files/paths.js';
import { doseDirName } from '../hub/layout.js';
import { filesRecord } from '../hub/recorded-files.js';
import type { DoseSummary } from './job.js';
import type { OverlapPlan } from './plan.js';

/**
 * The manifest at `path` as it stands ({} when there is none). One that is present but cannot be read, is not
 * JSON or is not a manifest (an object whose `doses` is an object) is an `InputError` naming it: merging into
 * it would drop the doses it records.
 */
export function readOverlapManifest(path: string): Record<string, unknown> {
  const consequence = 'it records the views of earlier runs — repair or remove it (nothing was written)';
  const broken = (why: string) => brokenRecord(path, why, consequence);
  const read = readJsonRecord(path, consequence);
  if (read === null) return {};
  const v = read.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw broken('expected a JSON object');
  const doses = (v as Record<string, unknown>)['doses'];
  if (doses !== undefined && (doses === null || typeof doses !== 'object' || Array.isArray(doses))) {
    throw broken("key 'doses': expected an object");
  }
  return v as Record<string, unknown>;
}

/**
 * The view records of a dose's earlier manifest entry (none when it has none), each with the seed it was
 * selected with (entries written before views recorded their own carry it on the dose).
 */
function earlierViews(entry: unknown): Record<string, unknown> {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return {};
  const { views, seed } = entry as { views?: unknown; seed?: unknown };
  if (!views || typeof views !== 'object' || Array.isArray(views)) return {};
  const out: Record<string, unknown> = {};
  for (const [view, v] of Object.entries(views as Record<string, unknown>)) {
    out[view] = v && typeof v === 'object' && !Array.isArray(v) && !('seed' in v) && seed !== undefined ? { seed, ...v } : v;
  }
  return out;
}

export function writeOverlapManifest(path: string, plan: OverlapPlan, results: readonly DoseSummary[]): void {
  const manifest = readOverlapManifest(path);
  const doses = (manifest['doses'] && typeof manifest['doses'] === 'object' ? manifest['doses'] : {}) as Record<string, unknown>;
  const rel = (p: string | undefined): string | undefined => (p === undefined ? undefined : recordPath(plan.outputRoot, p));
  for (const d of results) {
    const views: Record<string, unknown> = { ...earlierViews(doses[doseDirName(d.dose)]) };
    for (const [view, v] of Object.entries(d.views)) {
      views[view] = {
        seed: plan.seed,
        ...(plan.order === 'raster' ? { order: 'raster' } : {}), // the seed then orders nothing
        train: rel(v.splits['train']?.file), test: rel(v.splits['test']?.file),
        train_metrics: rel(v.splits['train']?.metrics), test_metrics: rel(v.splits['test']?.metrics),
        metrics_bundle: rel(v.metrics_bundle),
        spacing_threshold: v.splits['train']?.spacing_threshold,
        n_accepted: { train: v.splits['train']?.n_accepted, test: v.splits['test']?.n_accepted },
        insufficient_positions: { train: v.splits['train']?.insufficient_positions, test: v.splits['test']?.insufficient_positions },
        // size and SHA-256 of each file of the view, as written: a resume refuses one changed since (hub/recorded-files.ts)
        files: filesRecord(plan.outputRoot, [v.splits['train']?.file, v.splits['test']?.file, v.splits['train']?.metrics,
          v.splits['test']?.metrics, v.metrics_bundle].filter((p): p is string => p !== undefined)),
      };
    }
    doses[doseDirName(d.dose)] = {
      dose: d.dose, phase_c_dir: rel(d.dir), status: d.status, ...(d.error ? { error: d.error } : {}), seed: plan.seed, views,
    };
  }
  writeJsonAtomic(path, {
    schema_version: 1, phase: 'D', phase_c_root: rel(plan.phaseCRoot), doses,
    // where each setting of this run given came from: provenance, as the roots are (not part of what the phase holds,
    // run/fingerprints.ts)
    provenance: {
      phase_d_root: plan.outputRoot, phase_c_root: plan.phaseCRoot, ...(plan.settingsOrigin !== null ? { settings_origin: plan.settingsOrigin } : {}),
    },
  }, plan.earlier?.beforeRename);
}
