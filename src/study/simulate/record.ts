/**
 * Phase C record: `<root>/run_manifest.json`, rewritten (atomically) after every dose: one entry per
 * dose directory (sorted by dose; entries of doses this run did not touch are kept), other keys, and the
 * latest run's parameters under `_run`. Paths are relative to the Phase C root.
 */
import { resolve } from 'node:path';
import { writeJsonAtomic } from '../../files/atomic.js';
import { recordPath } from '../../files/paths.js';
import { packageVersion } from '../../version.js';
import { doseDirName } from '../hub/layout.js';
import type { SimulationJobResult } from './job.js';
import { PHASE_C_TOOL, type SimulationPlan } from './plan.js';

function round6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(10)) : v;
}

/** Dose entries sorted by dose, other keys after them, `_run` last. */
function orderedManifest(m: Record<string, unknown>, run: Record<string, unknown>): Record<string, unknown> {
  const doseOf = (k: string): number => {
    const e = m[k] as { dose?: unknown } | undefined;
    return e && typeof e.dose === 'number' ? e.dose : Number(k.slice(5));
  };
  const doseKeys = Object.keys(m).filter((k) => /^dose_\d+$/.test(k)).sort((a, b) => doseOf(a) - doseOf(b));
  const others = Object.keys(m).filter((k) => !/^dose_\d+$/.test(k) && k !== '_run');
  const out: Record<string, unknown> = {};
  for (const k of [...doseKeys, ...others]) out[k] = m[k];
  out._run = run;
  return out;
}

/** The manifest of a Phase C run: starts from the previous one; `add` records a finished dose and rewrites the file. */
export class SimulationManifest {
  private readonly entries: Record<string, unknown>;

  constructor(private readonly plan: SimulationPlan) {
    this.entries = { ...(plan.previousManifest ?? {}) };
  }

  add(r: SimulationJobResult): void {
    const plan = this.plan;
    // paths relative to the Phase C root (a copied hub names its own files); the root's absolute path is in _run.provenance
    const rel = (p: string): string => recordPath(plan.outputRoot, p);
    this.entries[doseDirName(r.dose)] = {
      dose: r.dose,
      train: rel(r.train),
      test: rel(r.test),
      train_size: r.files.train.size,
      train_sha256: r.files.train.sha256,
      test_size: r.files.test.size,
      test_sha256: r.files.test.sha256,
      intermediate_dir: rel(r.doseDir),
      train_count: r.trainCount,
      test_count: r.testCount,
      intensity_scale: r.intensityScale,
      mean_photons_per_pattern: round6(r.photons.mean),
      photons_per_pattern_std: round6(r.photons.std),
      mean_photons_per_pattern_train: round6(r.meanTrain),
      mean_photons_per_pattern_test: round6(r.meanTest),
      seed: plan.seed,
      preset: plan.preset,
      seconds: Number(r.seconds.toFixed(3)),
      generated_utc: new Date().toISOString(),
    };
    const run = {
      tool: PHASE_C_TOOL,
      ptychostudy_version: packageVersion(),
      updated_utc: new Date().toISOString(),
      preset: plan.preset,
      seed: plan.seed,
      n_images: plan.nPositions,
      patch_size: plan.patchSize,
      object_shape: plan.objectShape,
      object_source: plan.base ? plan.base.path : 'synthetic',
      split: { axis: r.split.axis, split_point: r.split.splitPoint, train_count: r.trainCount, test_count: r.testCount },
      doses_this_run: plan.doses,
      // where each of the run's settings given came from: provenance, as the root is — two runs of the same settings, one
      // from flags and one from a settings file, make the same data and the same fingerprint (run/fingerprints.ts)
      provenance: { output_root: resolve(plan.outputRoot), ...(plan.settingsOrigin !== null ? { settings_origin: plan.settingsOrigin } : {}) },
    };
    writeJsonAtomic(plan.manifestPath, orderedManifest(this.entries, run), plan.earlier?.beforeRename);
  }
}
