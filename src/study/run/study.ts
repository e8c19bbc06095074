/**
 * The whole study in one call: design → generate → overlap → reconstruct → compare → report, into one
 * hub directory (hub/layout.ts), through exactly the phase entry points the single-phase commands use,
 * with the settings parsed once by the caller.
 *
 * Resume: a phase recorded as complete in run.json is not run again. An incomplete Phase C or D is
 * rebuilt (same settings and seeds give the same bytes); Phase F keeps every finished job (its own
 * resume) and runs only the missing ones; Phase G and the report are recomputed from what is on disk.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../files/atomic.js';
import { utcSeconds } from '../../files/dirs.js';
import { tryLock } from '../../files/lock.js';
import { UsageError } from '../../errors.js';
import { getPreset } from '../../settings/presets.js';
import type { StudySettings } from '../../settings/schema.js';
import { packageVersion } from '../../version.js';
import { runComparison, type PhaseGSummary } from '../compare/phase.js';
import type { PhaseGProgress } from '../compare/job.js';
import { designFromSettings, type StudyDesign } from '../design/design.js';
import { HUB, hubRoots } from '../hub/layout.js';
import { runOverlap } from '../overlap/phase.js';
import type { OverlapProgress } from '../overlap/plan.js';
import { PHASES, type PhaseName } from '../phase.js';
import { runReconstruction } from '../reconstruct/phase.js';
import type { PhaseFEvent, PhaseFSummary } from '../reconstruct/record.js';
import { buildReport } from '../report/phase.js';
import { sceneParameters } from '../simulate/job.js';
import { runSimulation } from '../simulate/phase.js';
import type { PhaseCProgress } from '../simulate/plan.js';
import {
  RUN_STATE_SCHEMA_VERSION, readRunState, runSettingsOf, settingsDiff, writeRunState, type RunState,
} from './state.js';

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

/**
 * Temporary files left by a process that was killed mid-write (never complete files): those of a pid that
 * no longer runs here and older than a minute, or older than 15 minutes — never one that another process
 * (e.g. a `compare` into this hub's Phase G root) is writing now.
 */
function removeStaleTemporaries(dir: string, now = Date.now()): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    const p = join(dir, name);
    if (name.startsWith('.tmp-')) {
      try {
        const age = now - statSync(p).mtimeMs;
        const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1] ?? NaN);
        let running = false;
        try { if (Number.isInteger(pid) && pid > 0) { process.kill(pid, 0); running = true; } } catch (e) { running = (e as NodeJS.ErrnoException).code === 'EPERM'; }
        if (age > 15 * 60_000 || (!running && age > 60_000)) rmSync(p, { force: true, recursive: true });
      } catch { /* vanished */ }
      continue;
    }
    try { if (statSync(p).isDirectory()) removeStaleTemporaries(p, now); } catch { /* vanished */ }
  }
}

/**
 * Runs (or resumes) the study `settings` describe into `hub`, holding the hub's lock (`.run.lock`): a second
 * `run` into the same hub fails at once, naming the holder. Each phase also takes its own root's lock.
 */
export async function runStudy(hub: string, settings: StudySettings, onEvent: (e: RunEvent) => void = () => {}): Promise<RunResult> {
  if (existsSync(hub) && !statSync(hub).isDirectory()) throw new UsageError(`\`hub\` ${hub}: expected a directory; found a file`);
  const lock = tryLock(join(hub, HUB.lock), 'study run', 'hub');
  try {
    return await studyInHub(hub, settings, onEvent);
  } finally {
    lock.release();
  }
}

/** design.json: the preset (its values and the scene's parameters), the reference design record, the settings. */
function designRecord(settings: StudySettings, design: StudyDesign): Record<string, unknown> {
  const preset = settings.preset === null ? null : getPreset(settings.preset);
  const scene = sceneParameters();
  return {
    preset: preset === null ? null : {
      name: preset.name, description: preset.description, object_shape: settings.simulation.objectShape,
      n_positions: settings.simulation.nPositions, probe: scene.probe, object: scene.object,
    },
    design: design.toJSON(),
    settings: runSettingsOf(settings),
  };
}

/** The study in a hub whose lock this process holds. */
async function studyInHub(hub: string, settings: StudySettings, onEvent: (e: RunEvent) => void): Promise<RunResult> {
  const design = designFromSettings(settings).validate();
  const record = runSettingsOf(settings);
  const previous = readRunState(hub);
  if (previous === null && existsSync(hub) && readdirSync(hub).some((n) => n !== HUB.lock && !n.startsWith('.tmp-'))) {
    // Never write into (and possibly over) files that some other process or person put there.
    throw new UsageError(`\`hub\` ${hub}: the directory exists, is not empty and holds no run.json, so it is not a ptychostudy hub; choose a new \`hub\``);
  }
  if (previous) {
    const diff = settingsDiff(previous.settings, record);
    if (diff.length > 0) {
      throw new UsageError(`${join(hub, HUB.runState)}: this hub was made with other settings — ${diff.join('; ')}. ` +
        'Resume it with the same settings, or start a new hub (another `hub`, or `force`)');
    }
    removeStaleTemporaries(hub);
  }
  mkdirSync(hub, { recursive: true });
  const now = utcSeconds();
  const state: RunState = previous ?? {
    schema_version: RUN_STATE_SCHEMA_VERSION, tool: 'ptychostudy', version: packageVersion(), created: now, updated: now,
    settings: record, status: 'running', phases: {},
  };
  state.schema_version = RUN_STATE_SCHEMA_VERSION;
  state.status = 'running';
  state.version = packageVersion();
  writeRunState(hub, state);
  const completed = PHASES.filter((p) => state.phases[p]?.status === 'complete');
  onEvent({ type: 'hub', hub, resumed: previous !== null, completed });

  const roots = hubRoots(hub);
  let reconstruct: PhaseFSummary | null = null;
  let compare: PhaseGSummary | null = null;
  let reportPath: string | null = null;
  let exitCode = 0;

  const phase = async (name: PhaseName, alwaysRerun: boolean, body: () => Promise<string>): Promise<void> => {
    if (!alwaysRerun && state.phases[name]?.status === 'complete') {
      onEvent({ type: 'phase-skip', phase: name, reason: 'already complete' });
      return;
    }
    const started = utcSeconds();
    const t0 = performance.now();
    state.phases[name] = { status: 'running', started };
    writeRunState(hub, state);
    onEvent({ type: 'phase-start', phase: name });
    try {
      const detail = await body();
      const seconds = (performance.now() - t0) / 1000;
      state.phases[name] = { status: 'complete', started, finished: utcSeconds(), seconds: Math.round(seconds * 1000) / 1000, detail };
      writeRunState(hub, state);
      onEvent({ type: 'phase-end', phase: name, seconds, detail });
    } catch (err) {
      state.phases[name] = { status: 'failed', started, finished: utcSeconds(), detail: err instanceof Error ? err.message : String(err) };
      state.status = 'failed';
      writeRunState(hub, state);
      throw err;
    }
  };

  await phase('design', false, async () => {
    writeJsonAtomic(join(hub, HUB.design), designRecord(settings, design));
    return `${design.dose_list.length} doses, N = ${design.patch_size_pixels}, views ${Object.keys(design.overlap_views).join('/')}`;
  });

  await phase('generate', false, async () => {
    const r = await runSimulation(settings, { outputRoot: roots.c, overwrite: true }, (progress) => onEvent({ type: 'generate', progress }));
    return `${r.doses.length} doses × ${r.nPositions} positions (train ${r.split.trainCount}, test ${r.split.testCount})`;
  });

  await phase('overlap', false, async () => {
    const r = await runOverlap(settings, { phaseCRoot: roots.c, outputRoot: roots.d, doses: settings.simulation.doses, overwrite: true },
      (progress) => onEvent({ type: 'overlap', progress }));
    if (r.failed > 0) {
      const why = r.doses.filter((d) => d.status === 'failed').map((d) => `dose ${d.dose}: ${d.error ?? 'failed'}`).join('; ');
      throw new Error(`overlap views failed for ${r.failed} dose(s): ${why}`);
    }
    return r.doses.map((d) => Object.entries(d.views).map(([v, x]) =>
      `${v}@${d.dose}: ${Object.values(x.splits).map((s) => s.n_accepted).join('+')}`).join(', ')).join('; ');
  });

  // Phase F keeps finished jobs itself, so it always runs and does only what is missing.
  await phase('reconstruct', true, async () => {
    const r = await runReconstruction(settings, { phaseCRoot: roots.c, phaseDRoot: roots.d, artifactRoot: roots.f, allowMissingPhaseD: true },
      (event) => onEvent({ type: 'reconstruct', event }));
    reconstruct = r;
    if (r.failed > 0) exitCode = 1;
    return `${r.executed} run (${r.succeeded} ok, ${r.failed} failed), ${r.alreadyComplete} already complete, ${r.skippedCount} skipped`;
  });

  await phase('compare', true, async () => {
    const g = await runComparison({ phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g },
      (progress) => onEvent({ type: 'compare', progress }));
    compare = g;
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
