/**
 * The whole study in one call: design → generate → overlap → reconstruct → compare → report, into one
 * hub directory, through exactly the library entry points the single-phase commands use.
 *
 * Hub layout:
 *   <hub>/run.json                 settings and per-phase status (what makes a hub resumable)
 *   <hub>/design.json              Phase A: the study design and the preset
 *   <hub>/phase_c/                 Phase C: dose_<D>/patched_{train,test}.npz, run_manifest.json
 *   <hub>/phase_d/                 Phase D: dose_<D>/<view>/<view>_{train,test}.npz, metrics
 *   <hub>/phase_f/                 Phase F: dose_<D>/<view>/<split>/reconstruction.*, manifests, runs/
 *   <hub>/phase_g/                 Phase G: per-job metrics and figures, metrics_summary.*, charts/
 *   <hub>/report/index.html        the HTML report
 *
 * Resume: a phase recorded as complete in run.json is not run again. An incomplete Phase C or D is
 * rebuilt (same settings and seed give the same bytes); Phase F keeps every finished job (its own
 * resume) and runs only the missing ones; Phase G and the report are recomputed from what is on disk.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../files/atomic.js';
import { UsageError } from '../errors.js';
import { getPreset, type Preset } from './presets.js';
import { StudyDesign } from './design.js';
import { generatePhaseC, packageVersion, type PhaseCProgress } from './generate.js';
import { buildOverlapViews, type OverlapProgress } from './overlap.js';
import { runPhaseF, type PhaseFEvent, type PhaseFSummary } from './reconstruct/runner.js';
import { runPhaseG, type PhaseGProgress, type PhaseGSummary } from './compare.js';
import { buildReport } from './report.js';
import { HUB_LAYOUT } from './layout.js';
import {
  PHASES, readRunState, settingsDiff, utcNow, writeRunState,
  type PhaseName, type RunSettings, type RunState,
} from './run-state.js';

export interface RunOptions {
  hub: string;
  preset: string;
  doses?: readonly number[];
  epochs?: number;
  jobs?: number;
  seed?: number;
  nImages?: number;
  baseNpz?: string;
}

export type RunEvent =
  | { type: 'hub'; hub: string; resumed: boolean; completed: PhaseName[] }
  | { type: 'phase-start'; phase: PhaseName }
  | { type: 'phase-skip'; phase: PhaseName; reason: string }
  | { type: 'phase-end'; phase: PhaseName; seconds: number; detail: string }
  | { type: 'generate'; progress: PhaseCProgress }
  | { type: 'overlap'; progress: OverlapProgress }
  | { type: 'reconstruct'; event: PhaseFEvent }
  | { type: 'compare'; progress: PhaseGProgress };

export interface RunResult {
  hub: string;
  state: RunState;
  reconstruct: PhaseFSummary | null;
  compare: PhaseGSummary | null;
  reportPath: string | null;
  /** 0 all good, 1 some reconstruction or comparison failed (everything else ran and was recorded). */
  exitCode: number;
}

/** Settings resolved from the preset and the options (what run.json records). */
export function resolveSettings(opts: RunOptions): { preset: Preset; design: StudyDesign; settings: RunSettings } {
  const preset = getPreset(opts.preset);
  const doses = opts.doses && opts.doses.length > 0 ? [...opts.doses].sort((a, b) => a - b) : [...preset.design.dose_list];
  const design = new StudyDesign({ ...preset.design.toJSON(), dose_list: doses });
  design.validate();
  preset.design = design;
  const settings: RunSettings = {
    preset: preset.name,
    doses,
    epochs: opts.epochs ?? preset.epochs,
    seed: opts.seed ?? preset.seed,
    n_images: opts.nImages ?? null,
    base_npz: opts.baseNpz ?? null,
  };
  if (!Number.isInteger(settings.epochs) || settings.epochs < 1) throw new UsageError(`--epochs ${settings.epochs}: expected a positive integer`);
  return { preset, design, settings };
}

/** Temporary files left by a process that was killed mid-write (never complete files). */
function removeStaleTemporaries(dir: string): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    const p = join(dir, name);
    if (name.startsWith('.tmp-')) { rmSync(p, { force: true, recursive: true }); continue; }
    try { if (statSync(p).isDirectory()) removeStaleTemporaries(p); } catch { /* vanished */ }
  }
}

export async function runStudy(opts: RunOptions, onEvent: (e: RunEvent) => void = () => {}): Promise<RunResult> {
  const { preset, design, settings } = resolveSettings(opts);
  const hub = opts.hub;
  const previous = readRunState(hub);
  if (previous === null && existsSync(hub) && readdirSync(hub).length > 0) {
    // Never write into (and possibly over) files that some other process or person put there.
    throw new UsageError(`--out ${hub}: the directory exists, is not empty and holds no run.json, so it is not a ptychostudy hub; choose a new --out`);
  }
  if (previous) {
    const diff = settingsDiff(previous.settings, settings);
    if (diff.length > 0) {
      throw new UsageError(`${join(hub, 'run.json')}: this hub was made with other settings — ${diff.join('; ')}. ` +
        'Resume it with the same flags, or start a new hub (--out NEW_DIR or --force)');
    }
    removeStaleTemporaries(hub);
  }
  mkdirSync(hub, { recursive: true });
  const now = utcNow();
  const state: RunState = previous ?? {
    schema_version: 1, tool: 'ptychostudy', version: packageVersion(), created: now, updated: now,
    settings, status: 'running', phases: {},
  };
  state.status = 'running';
  state.version = packageVersion();
  writeRunState(hub, state);
  const completed = PHASES.filter((p) => state.phases[p]?.status === 'complete');
  onEvent({ type: 'hub', hub, resumed: previous !== null, completed });

  const roots = { c: join(hub, HUB_LAYOUT.c), d: join(hub, HUB_LAYOUT.d), f: join(hub, HUB_LAYOUT.f), g: join(hub, HUB_LAYOUT.g) };
  let reconstruct: PhaseFSummary | null = null;
  let compare: PhaseGSummary | null = null;
  let reportPath: string | null = null;
  let exitCode = 0;

  const phase = async (name: PhaseName, alwaysRerun: boolean, body: () => Promise<string>): Promise<void> => {
    if (!alwaysRerun && state.phases[name]?.status === 'complete') {
      onEvent({ type: 'phase-skip', phase: name, reason: 'already complete' });
      return;
    }
    const started = utcNow();
    const t0 = performance.now();
    state.phases[name] = { status: 'running', started };
    writeRunState(hub, state);
    onEvent({ type: 'phase-start', phase: name });
    try {
      const detail = await body();
      const seconds = (performance.now() - t0) / 1000;
      state.phases[name] = { status: 'complete', started, finished: utcNow(), seconds: Math.round(seconds * 1000) / 1000, detail };
      writeRunState(hub, state);
      onEvent({ type: 'phase-end', phase: name, seconds, detail });
    } catch (err) {
      state.phases[name] = { status: 'failed', started, finished: utcNow(), detail: err instanceof Error ? err.message : String(err) };
      state.status = 'failed';
      writeRunState(hub, state);
      throw err;
    }
  };

  await phase('design', false, async () => {
    writeJsonAtomic(join(hub, 'design.json'), {
      preset: { name: preset.name, description: preset.description, object_shape: preset.objectShape, n_positions: preset.nPositions,
        probe: preset.probe, object: preset.object },
      design: design.toJSON(),
      settings,
    });
    return `${design.dose_list.length} doses, N = ${design.patch_size_pixels}, views ${Object.keys(design.overlap_views).join('/')}`;
  });

  await phase('generate', false, async () => {
    const r = await generatePhaseC(design, {
      outputRoot: roots.c, preset, doses: settings.doses, seed: settings.seed, overwrite: true,
      ...(settings.n_images !== null ? { nImages: settings.n_images } : {}),
      ...(settings.base_npz !== null ? { baseNpz: settings.base_npz } : {}),
    }, (progress) => onEvent({ type: 'generate', progress }));
    return `${r.doses.length} doses × ${r.nPositions} positions (train ${r.split.trainCount}, test ${r.split.testCount})`;
  });

  await phase('overlap', false, async () => {
    const r = await buildOverlapViews({
      phaseCRoot: roots.c, outputRoot: roots.d, doses: settings.doses, overlapViews: design.overlap_views,
      seed: design.rng_seeds.subsampling, overwrite: true,
    }, (progress) => onEvent({ type: 'overlap', progress }));
    if (r.failed > 0) {
      const why = r.doses.filter((d) => d.status === 'failed').map((d) => `dose ${d.dose}: ${d.error ?? 'failed'}`).join('; ');
      throw new Error(`overlap views failed for ${r.failed} dose(s): ${why}`);
    }
    const counts = r.doses.map((d) => Object.entries(d.views).map(([v, x]) =>
      `${v}@${d.dose}: ${Object.values(x.splits).map((s) => s.n_accepted).join('+')}`).join(', ')).join('; ');
    return counts;
  });

  // Phase F keeps finished jobs itself, so it always runs and does only what is missing.
  await phase('reconstruct', true, async () => {
    reconstruct = await runPhaseF({
      phaseCRoot: roots.c, phaseDRoot: roots.d, artifactRoot: roots.f, doses: settings.doses,
      allowMissingPhaseD: true,
      settings: { epochs: settings.epochs, seed: settings.seed },
      ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
    }, (event) => onEvent({ type: 'reconstruct', event }));
    const r = reconstruct;
    if (r.failed > 0) exitCode = 1;
    return `${r.executed} run (${r.succeeded} ok, ${r.failed} failed), ${r.alreadyComplete} already complete, ${r.skippedCount} skipped`;
  });

  await phase('compare', true, async () => {
    compare = await runPhaseG({ phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g },
      (progress) => onEvent({ type: 'compare', progress }));
    const g = compare;
    if (g.failed > 0) exitCode = 1;
    return `${g.compared} compared, ${g.failed} failed, ${g.skipped} skipped`;
  });

  await phase('report', true, async () => {
    reportPath = (await buildReport(hub)).indexPath;
    return reportPath;
  });

  state.status = 'complete';
  writeRunState(hub, state);
  return { hub, state, reconstruct, compare, reportPath, exitCode };
}
