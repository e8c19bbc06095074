/**
 * The whole study in one call: design → generate → overlap → reconstruct → compare → report, into one
 * hub directory (hub/layout.ts), through exactly the phase entry points the single-phase commands use,
 * with the settings parsed once by the caller.
 *
 * Resume: the hub's settings (settings.json) must equal the requested ones, except settings that never
 * change a result (jobs at once, threads), which the resumed run applies. A phase recorded as complete in
 * run.json is not run again when its own record is whole (present but broken: an InputError naming it; absent:
 * the phase runs again). An incomplete Phase C or D is rebuilt (same settings and seeds give the same
 * bytes); Phase F keeps every finished job made with the same settings (its own resume), runs only the
 * others, and is not entered at all when none is left; Phase G and the report are redone only when the
 * fingerprint of what they read (or of what they wrote) differs from the one recorded in run.json, or when their
 * record counts failures (failed comparisons; hub files the report found there but broken, each named again). A
 * finished hub therefore resumes without writing anything: no new snapshot, no changed timing. Each
 * phase's code (charts, HDF5, the engine) is loaded only when that phase runs, so such a resume takes a
 * fraction of a second.
 */
import { checkSettingsOrigin, type SettingsOrigin } from '../../settings/origin.js';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isOutOfSpace, writeFileAtomic, writeJsonAtomic } from '../../files/atomic.js';
import { brokenRecord, readJsonRecord } from '../../files/json-record.js';
import { readBytesAtMost } from '../../files/bounded-read.js';
import { utcSeconds } from '../../files/dirs.js';
import { checkWritableDir } from '../../files/writable.js';
import { statEntry } from '../../files/regular.js';
import { LockWaitAbortedError, MERGE_WAIT_MS, tryLock, waitForLock, withLock, type HeldLock } from '../../files/lock.js';
import { exitCodeFor, InputError, UsageError } from '../../errors.js';
import { readProbeFile } from '../../data/probe-file.js';
import { checkProbeModes } from '../../data/memory.js';
import { usableCpus } from '../../engine/cpus.js';
import { parseProbeModelSpec } from '../../physics/probe.js';
import { MAX_SETTINGS_FILE_BYTES, withAbsolutePaths } from '../../settings/file.js';
import { checkStudySettings, shown } from '../../settings/parse.js';
import { getPreset } from '../../settings/presets.js';
import type { PresetName, StudySettings, StudySettingsInput } from '../../settings/schema.js';
import { packageVersion } from '../../version.js';
import type { PhaseGSummary, StartedRun } from '../compare/phase.js';
import type { ExternalModel } from '../compare/plan.js';
import type { PhaseGProgress } from '../compare/job.js';
import type { ReportProgress } from '../report/phase.js';
import type { BrokenFile } from '../report/sections.js';
import { designFromSettings, type StudyDesign } from '../design/design.js';
import { readMetricsSummary } from '../hub/metrics-summary.js';
import { HUB, hubRoots, PHASE_C, PHASE_D, PHASE_F, PHASE_G, REPORT } from '../hub/layout.js';
import type { OverlapProgress } from '../overlap/plan.js';
import { readOverlapManifest } from '../overlap/record.js';
import { checkPhaseCFiles, checkPhaseDFiles, recordedPhaseCFiles } from '../hub/recorded-files.js';
import { checkLocalRun, checkOptionNames, checkSignalOption, optionNames, phaseOrigin, PHASES, StudyAbortedError, type PhaseName } from '../phase.js';
import { shellJoin } from '../../text.js';
import { keptPositionsText } from '../overlap/job.js';
import { PHASE_F_SETTINGS, planOptions, planReconstruction } from '../reconstruct/plan.js';
import { jobsToRun, type PhaseFEvent, type PhaseFSummary } from '../reconstruct/record.js';
import { absentStartFiles, startFileAbsentError } from '../reconstruct/start-files.js';
import { sceneParameters } from '../simulate/job.js';
import { compareInputs, compareOutputs, compareUnchanged, phaseCContent, phaseDContent, reportInputs, reportOutputs, reportUnchanged } from './fingerprints.js';
import { objectShapeOf } from '../../data/dataset.js';
import { readObjectFile } from '../../data/object-file.js';
import { baseProbeSizeOf, planSimulation, type PhaseCProgress } from '../simulate/plan.js';
import { checkHubPath, openHub } from './open-hub.js';
export { HubSettingsError } from './open-hub.js';
import { orientationOf } from '../../data/hdf5/frames.js';
import {
  newRunState, RUN_STATE_SCHEMA_VERSION, readHubSettings, recordInterrupted, recordResumedRun, runSettingsOf, writeHubSettings, writeRunState,
  type PhaseRecord, type RunState,
} from './state.js';

export type RunEvent =
  /**
   * `unrecorded`: set when the run before ended without recording how (run.json still said 'running' although no
   * run held the hub: it was killed, or run.json could not be written on a full disk), with the phase it had under
   * way (null: between two phases); null when it recorded its end. That phase is done again unless its own record
   * shows it finished.
   */
  | { type: 'hub'; hub: string; resumed: boolean; completed: PhaseName[]; unrecorded: { phase: PhaseName | null } | null }
  | { type: 'phase-start'; phase: PhaseName }
  | { type: 'phase-skip'; phase: PhaseName; reason: string; failures: number }
  /** `failures`: the phase's jobs that failed (reconstructions, comparisons); the phase ran to its end. */
  | { type: 'phase-end'; phase: PhaseName; seconds: number; detail: string; failures: number }
  | { type: 'generate'; progress: PhaseCProgress }
  | { type: 'overlap'; progress: OverlapProgress }
  | { type: 'reconstruct'; event: PhaseFEvent }
  | { type: 'compare'; progress: PhaseGProgress }
  /** Phase G has reserved its run folder (`runs/<run id>/`): what a stop before its end removes while empty. */
  | { type: 'compare-started'; run: StartedRun }
  | { type: 'report'; progress: ReportProgress };

export interface RunResult {
  hub: string;
  /** Whether this call wrote anything (false: the hub was complete and nothing had changed). */
  worked: boolean;
  state: RunState;
  reconstruct: PhaseFSummary | null;
  compare: PhaseGSummary | null;
  reportPath: string | null;
  /** 0 all good, 1 some reconstruction or comparison failed, or the report named broken evidence (everything else ran and was recorded). */
  exitCode: number;
  /** Hub files the report built by this call found there but broken (each named on its page); empty when it was not rebuilt. */
  reportBroken: BrokenFile[];
}

/** The hub's own records: only a process that holds the hub's lock (`run`, a SLURM submission) writes them. */
export const HUB_RECORDS: readonly string[] = [HUB.runState, HUB.settings, HUB.design];

/**
 * Temporary files left by a process that was killed mid-write (never complete files): those of a pid that
 * no longer runs here and older than a minute, or older than 15 minutes — never one that another process
 * (e.g. a `compare` into this hub's Phase G root, perhaps on another host) is writing now. In `dir` itself, the
 * temporaries of the files `locked` names (the hub's records, for a caller that holds the hub's lock: no other
 * process writes them now) go at once when their pid no longer runs here, so that a run resumed right after a
 * kill leaves none of them behind (a finished hub's resume writes nothing, and would keep them).
 */
export function removeStaleTemporaries(dir: string, now = Date.now(), locked: readonly string[] = []): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    const p = join(dir, name);
    if (name.startsWith('.tmp-')) {
      try {
        const age = now - statSync(p).mtimeMs;
        const m = /^\.tmp-(.+)\.(\d+)\.[0-9a-f]+$/.exec(name);
        const pid = Number(m?.[2] ?? NaN);
        let running = false;
        try { if (Number.isInteger(pid) && pid > 0) { process.kill(pid, 0); running = true; } } catch (e) { running = (e as NodeJS.ErrnoException).code === 'EPERM'; }
        const ours = m !== null && locked.includes(m[1]!);
        if (age > 15 * 60_000 || (!running && (ours || age > 60_000))) rmSync(p, { force: true, recursive: true });
      } catch { /* vanished */ }
      continue;
    }
    try { if (statSync(p).isDirectory()) removeStaleTemporaries(p, now); } catch { /* vanished */ }
  }
}

/** A phase's detail when it replaced files of an earlier, unfinished run with other bytes: where they were kept. */
function keptNote(hub: string, keptIn: string | null): string {
  return keptIn === null ? '' : `; the files it replaced with other bytes are kept in ${relative(hub, keptIn)}`;
}

/** The preset of a new hub when `runStudy` is given no settings: the one `ptychostudy run` uses. */
export const DEFAULT_STUDY_PRESET: PresetName = 'quick';

/**
 * The settings `runStudy(hub, settings)` runs: `settings` checked (a SettingsError naming every wrong field), or
 * when they are undefined the hub's own (it holds a run) or the quick preset's (a new hub).
 */
export function studySettingsFor(hub: string, settings: StudySettings | StudySettingsInput | undefined): StudySettings {
  if (settings !== undefined) return checkStudySettings(settings);
  return (existsSync(hub) ? readHubSettings(hub) : null) ?? checkStudySettings({ preset: DEFAULT_STUDY_PRESET });
}

/**
 * Runs (or resumes) the study `settings` describe into `hub`, holding the hub's lock (`.run.lock`): a second
 * `run` into the same hub fails at once, naming the holder; a run whose lock was taken over meanwhile ends with
 * an error saying so. Each phase also takes its own root's lock.
 *
 * `settings`: parsed settings (`parseStudySettings`) or what it takes (`{ preset: 'quick', … }`, checked the
 * same way). Without them, as `ptychostudy run --out HUB`: a hub that holds a run is resumed with its own
 * settings, a new one gets the quick preset (`DEFAULT_STUDY_PRESET`, a minute or two). Settings without a preset
 * (`parseStudySettings()`, `{}`) are the schema's defaults: the reference study's full size (N = 128, 10 304 positions
 * per dose, as fly64 but 50 epochs; tens of minutes on 2 cores).
 */
export async function runStudy(hub: string, settings?: StudySettings | StudySettingsInput, onEvent: (e: RunEvent) => void = () => {},
  opts: RunStudyOptions = {}): Promise<RunResult> {
  if (opts === null || typeof opts !== 'object') throw new UsageError(`options ${shown(opts)}: expected an object (\`{ signal }\`)`);
  checkOptionNames(opts, 'runStudy', optionNames<RunStudyOptions>({ signal: true, settingsOrigin: true }));
  const signal = checkSignalOption(opts.signal);
  if (typeof hub !== 'string' || hub === '') throw new UsageError(`\`hub\` ${shown(hub)}: expected a path (the hub directory)`);
  checkHubPath(hub); // a file, a link to nothing, a path that cannot be examined: one line, the same as a SLURM submission's
  const checked = studySettingsFor(hub, settings); // a caller's unparsed or bad settings: one SettingsError, before the hub is made
  await checkLocalRun(hub, true, checked.execution.executor); // never beside SLURM jobs of this hub (or of its phase roots) that are queued or running
  checkWritableDir(hub, '`hub`'); // a read-only hub: one line naming it, not the lock's temporary file
  // taken at once (a busy hub: LockBusyError naming the holder); a lock taken over while the run held it (its
  // heartbeat stopped for longer than the lease) ends the run with an error saying so (withLock)
  return withLock(join(hub, HUB.lock), 'study run', 'hub',
    // the files the settings name, as the hub records them (settings.json): the same files wherever a later command runs
    () => studyInHub(hub, withAbsolutePaths(checked), onEvent, signal, checkSettingsOrigin(opts.settingsOrigin)));
}

export interface RunStudyOptions {
  /**
   * Stops the study when aborted, as Ctrl-C stops `ptychostudy run`: the phase under way stops between two of its
   * jobs (Phase F's running reconstructions are ended: they start over on the next run), what was finished is kept
   * and recorded, run.json says 'interrupted', the locks are released, and the call rejects with
   * `StudyAbortedError` (the phase, its jobs finished, the phases complete). `runStudy(hub)` continues it.
   */
  signal?: AbortSignal;
  /**
   * Where each given setting came from (settings/origin.ts), recorded in a new hub's run.json as `settings_origin`; a
   * resumed hub keeps the record of the run that made it, and a resume that does work adds its own to run.json's
   * `resumed_runs`. Phases C and D record their own settings' in their manifests.
   */
  settingsOrigin?: SettingsOrigin;
}

/** design.json: the preset (its values and the scene's parameters), the reference design record, the settings. */
export function designRecord(settings: StudySettings, design: StudyDesign): Record<string, unknown> {
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

/**
 * The lock of a phase's root, held by this run while it reads that root (to decide that the phase is
 * complete, and while later phases read it), so that no other process (`reconstruct`, `generate`, … into
 * the same root) writes there meanwhile. A busy root is a `LockBusyError` (exit code 2) naming the holder.
 * The lock file is the only thing taking it writes; the root directory's times are put back when it is
 * released (to the millisecond, which stays put from one resume to the next: a root last written by another
 * command loses its finer digits once), so a finished hub resumes without a changed modification time.
 */
class RootGuard {
  private lock: HeldLock | null = null;
  private times: { atime: Date; mtime: Date } | null = null;

  constructor(private readonly root: string, private readonly lockName: string, private readonly place: string,
    private readonly waitMs = 0, private readonly signal?: AbortSignal) {}

  async take(): Promise<void> {
    if (this.lock !== null) return;
    const st = statEntry(this.root);
    this.times = st?.isDirectory() ? { atime: st.atime, mtime: st.mtime } : null;
    const path = join(this.root, this.lockName);
    // a wait for another process's lock ends when the signal is aborted (LockWaitAbortedError, the lock not taken)
    this.lock = this.waitMs > 0 ? await waitForLock(path, 'study run (reading)', this.place, { waitMs: this.waitMs, ...(this.signal ? { signal: this.signal } : {}) })
      : tryLock(path, 'study run (reading)', this.place);
  }

  release(): void {
    if (this.lock === null) return;
    const lost = this.lock.lost;
    this.lock.release();
    this.lock = null;
    if (this.times !== null && !lost) {
      try { utimesSync(this.root, this.times.atime, this.times.mtime); } catch { /* the root went away */ }
    }
  }
}

/**
 * The record a phase recorded complete left (design.json, a manifest), checked before the phase is skipped:
 * true when it is a JSON object, false when it is absent (the phase is redone: the same settings and seeds
 * give the same bytes); an `InputError` naming it when it is present but broken, since a resume must not
 * build on (or report from) a record that says something other than what was written.
 */
function recordPresent(path: string): boolean {
  const consequence = 'this hub cannot be resumed until it is repaired (nothing was written)';
  const read = readJsonRecord(path, consequence);
  if (read === null) return false;
  const value = read.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw brokenRecord(path, 'expected a JSON object', consequence);
  return true;
}

/**
 * For a phase that `state` records complete: what its root holds is still what this hub's run recorded when
 * the phase completed (hubs recorded before these fingerprints are not checked). Otherwise another command
 * rewrote the root since (e.g. `generate --overwrite` with another seed) and the later phases were made from
 * the earlier data: an InputError naming the root's manifest, before anything is written. Local and SLURM
 * resumes both check.
 */
export function checkPhaseRootUnchanged(hub: string, state: RunState, name: 'generate' | 'overlap'): void {
  const p = state.phases[name];
  if (p?.status !== 'complete' || p.outputs_sha256 === undefined) return;
  const roots = hubRoots(hub);
  const settingsFile = join(hub, HUB.settings);
  const [what, content, path, remake] = name === 'generate'
    ? ['Phase C', phaseCContent, join(roots.c, PHASE_C.manifest), ['generate', '--config', settingsFile, '--out', roots.c, '--overwrite']] as const
    : ['Phase D', phaseDContent, join(roots.d, PHASE_D.manifest),
      ['overlap', '--config', settingsFile, '--phase-c-root', roots.c, '--out', roots.d, '--overwrite']] as const;
  const command = shellJoin(['ptychostudy', ...remake]);
  if (p.outputs_sha256 === content(hub)) {
    // what the manifest says is unchanged; so must be the files it records (one replaced or edited by hand)
    const remedy = 'the later phases were made from what it held; nothing was written. Start a new hub (another `hub`, or `force`), ' +
      `or remake ${what} from the hub's settings, which gives the same data again: ${command}`;
    if (name === 'generate') checkPhaseCFiles(recordedPhaseCFiles(roots.c), remedy);
    else checkPhaseDFiles(roots.d, remedy);
    return;
  }
  throw new InputError(`${path}: ${what} no longer holds what this hub's run made (another command wrote into ${dirname(path)} since), ` +
    'and the later phases were made from what it held; nothing was written. Start a new hub (another `hub`, or `force`), or ' +
    `remake it from the hub's settings, which gives the same data again: ${command}`);
}

/** Why a phase recorded as complete need not run again, or null when it must. */
type SkipCheck = () => Promise<string | null>;

interface PhaseOutcome {
  detail: string;
  failures?: number;
  /** Fingerprints computed after the phase wrote its files. */
  fingerprints?: () => Pick<PhaseRecord, 'inputs_sha256' | 'outputs_sha256'>;
}

/**
 * What the study's reconstructions start from is checked before anything is written, against the patterns
 * the study simulates (simulation.patchSize, or the size of a base NPZ's probe, which sets it), so that a
 * setting every job would refuse stops the run at once (exit 2) instead of failing every job after Phase C
 * and D ran (a resume keeps the hub's settings, so the run could not be continued with another value):
 * - a probe file named by `reconstruction.initProbe: file:PATH` is read and must serve those patterns;
 * - an object file named by `reconstruction.initObject: file:PATH` is read and must have the simulated object's
 *   shape (simulation.objectShape, or a base NPZ's objectGuess), the reconstructions' object frame;
 * - `reconstruction.modes` must be at most the probe's N² pixels;
 * - `reconstruction.probeModel` must state its wavelength and pixel size: simulated data states no geometry;
 * - `reconstruction.radiation` must be null: the simulated datasets state no energy for it to apply to;
 * - `reconstruction.crop`, `binSize` and `orientation` must be left out: the simulated datasets hold patterns, not detector frames.
 * A base NPZ whose header does not tell the size is left to Phase C, which refuses it. The files in `absent`
 * (resolved paths that a resumed hub's settings name and that are not there) are left to Phase F, which needs
 * them only for jobs still to run (`resumeStartFiles`).
 */
export async function checkStudyProbe(settings: StudySettings, absent: readonly string[] = []): Promise<void> {
  const r = settings.reconstruction;
  const base = settings.simulation.baseNpz;
  const N = base === null ? settings.simulation.patchSize : baseProbeSizeOf(base);
  if (N !== null) checkProbeModes(r.modes, { N, file: base ?? 'the study (simulation.patchSize)' }, 'reconstruction.modes');
  if (r.probeModel !== null) {
    const spec = parseProbeModelSpec(r.probeModel);
    if (spec.wavelengthM === undefined || spec.pixelM === undefined) {
      throw new UsageError(`reconstruction.probeModel: expected wavelength=…,pixel=… (metres) in the model, since the study's simulated data states ` +
        `no geometry; found ${r.probeModel}`);
    }
  }
  if (r.radiation !== null) {
    throw new UsageError(`reconstruction.radiation ${r.radiation}: expected null (left out), since the study's simulated datasets state no ` +
      `energy for it to apply to (it is for measured CXI data: docs/real-data.md, "Radiation"); found ${r.radiation}`);
  }
  if (r.crop != null || (r.binSize ?? 1) !== 1 || orientationOf(r.orientation) !== undefined) {
    const found = [r.crop != null ? `crop ${JSON.stringify(r.crop)}` : '', (r.binSize ?? 1) !== 1 ? `binSize ${r.binSize}` : '',
      orientationOf(r.orientation) !== undefined ? `orientation ${JSON.stringify(r.orientation)}` : ''].filter(Boolean).join(', ');
    throw new UsageError(`reconstruction.crop / reconstruction.binSize${orientationOf(r.orientation) !== undefined ? ' / reconstruction.orientation' : ''}: expected them left out, since the study's simulated datasets hold ` +
      `patterns of simulation.patchSize, not detector frames (they are for measured CXI and .ptyd data: docs/real-data.md, "Cropping and binning detector frames"); found ${found}`);
  }
  if (r.cxiEntry != null) {
    throw new UsageError(`reconstruction.cxiEntry ${r.cxiEntry}: expected null (left out), since the study's simulated datasets are NPZ files, not CXI ` +
      `(it is for measured CXI data: docs/real-data.md, "CXI"); found ${r.cxiEntry}`);
  }
  const named = (spec: string): boolean => spec.startsWith('file:') && !absent.includes(resolve(spec.slice(5)));
  if (named(r.initProbe) && N !== null) await readProbeFile(r.initProbe.slice(5), N, N);
  const object = base === null ? settings.simulation.objectShape : objectShapeOf(base);
  if (named(r.initObject) && object !== null) await readObjectFile(r.initObject.slice(5), object[0], object[1]);
}

/**
 * The probe and object files a resumed hub's settings name (absolute paths: they lie outside the hub) that are
 * not there — the hub was copied to another place, or the file removed. A hub whose Phase F is complete needs
 * them only for jobs that are not (a failed or removed reconstruction: refused when Phase F's skip check finds
 * such jobs), so it is reported, compared and resumed without them; otherwise the resume is refused at once,
 * with one line naming the recorded path, before anything is written.
 */
export function resumeStartFiles(hub: string, previous: RunState | null, settings: StudySettings): string[] {
  if (previous === null) return [];
  const absent = absentStartFiles(settings.reconstruction);
  if (absent.length > 0 && previous.phases.reconstruct?.status !== 'complete') throw startFileAbsentError(absent[0]!, 0, join(hub, HUB.settings));
  return absent.map((f) => f.path);
}

/**
 * The external models a `compare --model` merged into the hub's Phase G summary, which Phase G compares again
 * (`currentExternalModels`: a pattern inside the hub is taken relative to where the hub is now); one whose
 * pattern matches no file of any job now is refused (`checkCarriedModels`) before Phase G writes anything.
 */
async function carriedModels(hub: string, settings: StudySettings): Promise<ExternalModel[]> {
  const [{ currentExternalModels }, { checkCarriedModels }] = await Promise.all([import('../compare/summary.js'), import('../compare/plan.js')]);
  const roots = hubRoots(hub);
  const summary = join(roots.g, PHASE_G.summaryJson);
  const models = currentExternalModels(readMetricsSummary(summary), { phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g });
  checkCarriedModels(models, settings.simulation.doses, summary,
    `ptychostudy compare ${shellJoin(['--phase-c-root', roots.c, '--phase-d-root', roots.d, '--phase-f-root', roots.f, '--out', roots.g])}`);
  return models;
}

/** The study in a hub whose lock this process holds. */
async function studyInHub(hub: string, settings: StudySettings, onEvent: (e: RunEvent) => void, signal: AbortSignal | undefined,
  origin: SettingsOrigin | undefined): Promise<RunResult> {
  const design = designFromSettings(settings).validate();
  // what the hub holds, as a SLURM submission opens it: a folder or run.json that cannot be read is refused, never taken for none
  const previous = openHub(hub, settings);
  await checkStudyProbe(settings, resumeStartFiles(hub, previous, settings));
  if (previous !== null && previous.phases.compare?.status !== 'complete') await carriedModels(hub, settings); // Phase G will run
  // Phase C's inputs (a base NPZ, the run's memory) are checked as a SLURM submission checks them, before
  // anything is written: a missing or broken base NPZ left a hub of design.json and a failed run.json.
  if (previous?.phases.generate?.status !== 'complete') planSimulation(settings, { outputRoot: hubRoots(hub).c, overwrite: true });
  const now = utcSeconds();
  const state: RunState = previous ?? newRunState(settings, packageVersion(), now, origin);
  const completed = PHASES.filter((p) => state.phases[p]?.status === 'complete');
  // run.json says 'running' under the hub's lock, which this process holds: the run that wrote it ended unrecorded
  const unrecorded = previous?.status === 'running' ? { phase: PHASES.find((p) => previous.phases[p]?.status === 'running') ?? null } : null;
  onEvent({ type: 'hub', hub, resumed: previous !== null, completed, unrecorded });

  const roots = hubRoots(hub);
  // Each phase's root is held (its lock) from the moment this run decides the phase is complete until the run
  // ends, while the later phases read it; a phase that runs takes its root's lock itself.
  const guards = {
    generate: new RootGuard(roots.c, PHASE_C.lock, 'Phase C root'),
    overlap: new RootGuard(roots.d, PHASE_D.lock, 'Phase D root'),
    reconstruct: new RootGuard(roots.f, PHASE_F.lock, 'artifact root'),
    compare: new RootGuard(roots.g, PHASE_G.lock, 'output root', MERGE_WAIT_MS, signal),
  } as const;
  try {
    return await phasesInHub(hub, settings, onEvent, state, previous, design, guards, signal, origin);
  } finally {
    for (const g of Object.values(guards)) g.release();
  }
}

type Guards = Readonly<Record<'generate' | 'overlap' | 'reconstruct' | 'compare', RootGuard>>;

async function phasesInHub(hub: string, settings: StudySettings, onEvent: (e: RunEvent) => void, state: RunState,
  previous: RunState | null, design: StudyDesign, guards: Guards, signal: AbortSignal | undefined, origin: SettingsOrigin | undefined): Promise<RunResult> {
  // Nothing is written until a phase has work to do: a finished hub resumes without changing a byte.
  let worked = false;
  const begin = (): void => {
    if (worked) return;
    worked = true;
    if (previous) removeStaleTemporaries(hub, Date.now(), HUB_RECORDS);
    // a resume that does work records where its settings came from beside the first run's (a new hub's is settings_origin)
    if (previous) recordResumedRun(state, utcSeconds(), 'local', origin);
    mkdirSync(hub, { recursive: true });
    state.schema_version = RUN_STATE_SCHEMA_VERSION;
    state.status = 'running';
    state.version = packageVersion();
    writeHubSettings(hub, settings);
    writeRunState(hub, state);
  };
  const roots = hubRoots(hub);
  const stopping = signal !== undefined ? { signal } : {};
  // where this run's settings came from: Phases C and D record their own settings' in their manifests
  const given = origin !== undefined ? { settingsOrigin: origin } : {};
  let reconstruct: PhaseFSummary | null = null;
  let compare: PhaseGSummary | null = null;
  let exitCode = 0;
  const completedPhases = (): PhaseName[] => PHASES.filter((p) => state.phases[p]?.status === 'complete');
  /** Between two phases: an aborted signal stops the run before the next one (run.json 'interrupted' once written). */
  const stopIfAborted = (next: PhaseName): void => {
    if (!signal?.aborted) return;
    if (worked) recordInterrupted(hub);
    throw new StudyAbortedError(next, [], signal.reason, completedPhases());
  };

  type PhaseMore = { running?: () => Partial<PhaseRecord>; recover?: (prior: PhaseRecord) => Promise<PhaseOutcome | null> };
  /**
   * A phase, stopped by the signal also while it waits for another process's lock of its root (a `compare` merging
   * into Phase G): the lock is not taken, and the run stops as between two phases (nothing is written when no phase
   * ran; otherwise run.json says 'interrupted').
   */
  const phase = async (name: PhaseName, skip: SkipCheck, body: (started: string) => Promise<PhaseOutcome>, more: PhaseMore = {}): Promise<void> => {
    try {
      await phaseSteps(name, skip, body, more);
    } catch (err) {
      if (!(err instanceof LockWaitAbortedError)) throw err;
      if (worked) recordInterrupted(hub);
      throw new StudyAbortedError(name, [], err.cause, completedPhases());
    }
  };
  const phaseSteps = async (name: PhaseName, skip: SkipCheck, body: (started: string) => Promise<PhaseOutcome>, more: PhaseMore): Promise<void> => {
    stopIfAborted(name);
    const prior = state.phases[name];
    const guard = name in guards ? guards[name as keyof Guards] : null;
    let reason: string | null = null;
    if (prior?.status === 'complete') {
      await guard?.take(); // decided (and later read) under the root's lock
      reason = await skip();
      if (reason === null) guard?.release(); // the phase takes its root's lock itself
    }
    if (reason !== null) {
      if ((prior?.failures ?? 0) > 0) exitCode = 1;
      onEvent({ type: 'phase-skip', phase: name, reason, failures: prior?.failures ?? 0 });
      return;
    }
    // A phase whose run was killed after it wrote its record (before run.json said so) is recorded, not redone.
    const recovered = prior?.status === 'running' && more.recover ? await more.recover(prior) : null;
    if (recovered !== null) {
      begin();
      state.phases[name] = {
        status: 'complete', started: prior!.started, finished: utcSeconds(), detail: recovered.detail,
        ...(recovered.failures !== undefined ? { failures: recovered.failures } : {}), ...recovered.fingerprints?.(),
      };
      if ((recovered.failures ?? 0) > 0) exitCode = 1;
      writeRunState(hub, state);
      onEvent({ type: 'phase-skip', phase: name, reason: `finished by the interrupted run (${recovered.detail})`, failures: recovered.failures ?? 0 });
      await guard?.take();
      return;
    }
    // run.json as it was, while this run has written nothing else: a phase that refuses its input (exit 2) puts it back
    const untouched = !worked && previous !== null ? readBytesAtMost(join(hub, HUB.runState), MAX_SETTINGS_FILE_BYTES) : null;
    begin();
    const started = utcSeconds();
    const t0 = performance.now();
    state.phases[name] = { status: 'running', started, ...more.running?.() };
    writeRunState(hub, state);
    onEvent({ type: 'phase-start', phase: name });
    try {
      const out = await body(started);
      const seconds = (performance.now() - t0) / 1000;
      state.phases[name] = {
        status: 'complete', started, finished: utcSeconds(), seconds: Math.round(seconds * 1000) / 1000, detail: out.detail,
        ...(out.failures !== undefined ? { failures: out.failures } : {}), ...out.fingerprints?.(),
      };
      if ((out.failures ?? 0) > 0) exitCode = 1;
      writeRunState(hub, state);
      onEvent({ type: 'phase-end', phase: name, seconds, detail: out.detail, failures: out.failures ?? 0 });
      await guard?.take(); // the later phases read what it wrote
    } catch (err) {
      if (err instanceof StudyAbortedError || signal?.aborted) {
        // stopped, not failed: recorded as Ctrl-C records it (the phase stays 'running', the run 'interrupted')
        recordInterrupted(hub);
        const e = err instanceof StudyAbortedError ? err : null;
        throw new StudyAbortedError(name, e?.finishedJobs ?? [], e !== null ? e.cause : signal!.reason, completedPhases());
      }
      if (untouched !== null && exitCodeFor(err) === 2) {
        // Bad input (a broken file the phase reads, e.g. a comparison.json Phase G meets when it is redone) refused
        // before this run did any work: every file of the hub keeps its bytes, run.json's put back (exit 2, nothing
        // written: README, "Resume"), and the next resume meets the same file. Should that write fail, the phase
        // stays 'running', which a resume runs again.
        try {
          writeFileAtomic(join(hub, HUB.runState), untouched);
        } catch {
          // the refusal is the error to report
        }
        throw err;
      }
      state.phases[name] = { status: 'failed', started, finished: utcSeconds(), detail: err instanceof Error ? err.message : String(err) };
      state.status = 'failed';
      try {
        writeRunState(hub, state);
      } catch {
        // A full disk that failed the phase can fail its record too: the phase's own error is the one to report, and
        // run.json keeps its last whole state (this phase 'running', never 'complete'), which a resume runs again.
      }
      throw err;
    }
  };
  /** Skipped when the phase's record is present and valid (a broken one: InputError; an absent one: redo). */
  const recordedComplete = (path: string, check: (p: string) => unknown = () => {}): SkipCheck => async () => {
    if (!recordPresent(path)) return null;
    check(path);
    return 'already complete';
  };

  await phase('design', recordedComplete(join(hub, HUB.design)), async () => {
    writeJsonAtomic(join(hub, HUB.design), designRecord(settings, design));
    return { detail: `${design.dose_list.length} doses, N = ${design.patch_size_pixels}, views ${Object.keys(design.overlap_views).join('/')}` };
  });

  await phase('generate', recordedComplete(join(roots.c, PHASE_C.manifest), () => checkPhaseRootUnchanged(hub, state, 'generate')), async () => {
    const { runSimulation } = await import('../simulate/phase.js');
    const r = await runSimulation(settings, { outputRoot: roots.c, overwrite: true, ...given, ...stopping }, (progress) => onEvent({ type: 'generate', progress }));
    return {
      detail: `${r.doses.length} doses × ${r.nPositions} positions (train ${r.split.trainCount}, test ${r.split.testCount})` + keptNote(hub, r.keptIn),
      fingerprints: () => ({ outputs_sha256: phaseCContent(hub) }),
    };
  });

  const overlapRecord = (path: string): void => { readOverlapManifest(path); checkPhaseRootUnchanged(hub, state, 'overlap'); };
  await phase('overlap', recordedComplete(join(roots.d, PHASE_D.manifest), overlapRecord), async () => {
    const { runOverlap } = await import('../overlap/phase.js');
    const r = await runOverlap(settings, { phaseCRoot: roots.c, outputRoot: roots.d, doses: settings.simulation.doses, overwrite: true, ...given, ...stopping },
      (progress) => onEvent({ type: 'overlap', progress }));
    if (r.failed > 0) {
      const why = r.doses.filter((d) => d.status === 'failed').map((d) => `dose ${d.dose}: ${d.error ?? 'failed'}`).join('; ');
      const e: NodeJS.ErrnoException = new Error(`overlap views failed for ${r.failed} dose(s): ${why}`);
      // a full disk or a quota keeps its code, so that the run's last line says how to go on once there is room
      const full = r.doses.find((d) => d.status === 'failed' && isOutOfSpace({ code: d.code }));
      if (full?.code !== undefined) e.code = full.code;
      throw e;
    }
    return {
      detail: keptPositionsText(r.doses) + keptNote(hub, r.keptIn),
      fingerprints: () => ({ outputs_sha256: phaseDContent(hub) }),
    };
  });

  // Phase F keeps finished jobs itself; it is entered only when some job is not complete with these settings.
  const fOptions = { phaseCRoot: roots.c, phaseDRoot: roots.d, outputRoot: roots.f, allowMissingPhaseD: true };
  await phase('reconstruct', async () => {
    const plan = planReconstruction(settings, planOptions(fOptions), usableCpus());
    const pending = await jobsToRun(plan);
    const absent = absentStartFiles(settings.reconstruction);
    if (pending.length > 0 && absent.length > 0) throw startFileAbsentError(absent[0]!, pending.length, join(hub, HUB.settings));
    return pending.length === 0 ? `all ${plan.selected.length} jobs already complete` : null;
  }, async () => {
    const { runReconstruction } = await import('../reconstruct/phase.js');
    const fOrigin = phaseOrigin(origin, PHASE_F_SETTINGS);
    const r = await runReconstruction(settings, {
      ...fOptions, settingsFile: join(hub, HUB.settings), configFile: join(hub, HUB.settings), ...(fOrigin !== null ? { settingsOrigin: fOrigin } : {}), ...stopping,
    }, (event) => onEvent({ type: 'reconstruct', event }));
    reconstruct = r;
    const missing = r.missingPhaseDCount;
    return {
      detail: `${r.executed} run (${r.succeeded} ok, ${r.failed} failed), ${r.alreadyComplete} already complete` +
        (missing > 0 ? `, ${missing} without input` : ''),
      failures: r.failed,
    };
  });

  await phase('compare', async () => {
    readMetricsSummary(join(roots.g, PHASE_G.summaryJson)); // present but broken: InputError naming it, before anything is written
    // failed comparisons are tried again (a full disk since emptied), as failed reconstructions are
    if ((state.phases.compare?.failures ?? 0) === 0 && compareUnchanged(hub, state)) {
      // A `compare` killed before it finished left its running lock, its empty run folder and maybe a job's staging
      // folder: not results (nothing names them) and outside the fingerprints, so a finished hub would keep them for
      // ever. Only those of a run whose lock is provably stale go (the lock's own rule: its process is gone), as a
      // compare run removes them; a live compare's lock stays.
      const { removeStaleRunningLocks, runningLockIds } = await import('../compare/reuse.js');
      const removed = removeStaleRunningLocks(roots.g, runningLockIds(roots.g));
      return `inputs and outputs unchanged${removed.length > 0 ? `; removed what the stopped compare run${removed.length === 1 ? '' : 's'} ` +
        `${removed.join(', ')} left (${removed.length === 1 ? 'its' : 'their'} running lock, staging and empty run folders)` : ''}`;
    }
    await carriedModels(hub, settings); // Phase G is redone: refused here, before anything is written, when a model's files are gone
    return null;
  }, async () => {
    const { runComparison, reusedNote } = await import('../compare/phase.js');
    const { defaultComparisonJobs } = await import('../compare/threads.js');
    // an external model a `compare --model` merged into the summary is compared again, not dropped from it
    const models = await carriedModels(hub, settings);
    for (const m of models) {
      onEvent({ type: 'compare', progress: { kind: 'warning', message: `external model ${m.name} (current in ${PHASE_G.summaryJson}): compared again, from ${m.pattern}` } });
    }
    const g = await runComparison({ phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g, models,
      jobs: settings.execution.jobs ?? defaultComparisonJobs(), onRunStarted: (run) => onEvent({ type: 'compare-started', run }), ...stopping },
      (progress) => onEvent({ type: 'compare', progress }));
    compare = g;
    return {
      detail: `${g.compared} compared${reusedNote(g.reused, g.reusedFrom)}, ${g.failed} failed, ${g.skipped} skipped` +
        (models.length > 0 ? `; external models compared again: ${models.map((m) => m.name).join(', ')}` : ''), failures: g.failed,
      fingerprints: () => ({ inputs_sha256: compareInputs(hub), outputs_sha256: compareOutputs(hub) }),
    };
  }, {
    // what it reads, recorded when it starts: a resume after a kill recognises a finished compare of the same inputs
    running: () => ({ inputs_sha256: compareInputs(hub) }),
    recover: (prior) => finishedComparison(hub, prior, signal),
  });

  const reportPath = join(roots.report, REPORT.index);
  let reportBroken: BrokenFile[] = [];
  await phase('report', async () => {
    // A report that named broken evidence is built again, as failed comparisons are tried again: the files it found
    // broken are not all in its fingerprints (a reconstruction, a figure rewritten at its size), so a repaired one
    // shows, and one still broken is named again (exit 1) rather than passed over as "unchanged".
    return (state.phases.report?.failures ?? 0) === 0 && reportUnchanged(hub, state) ? 'inputs and outputs unchanged' : null;
  }, async (started) => {
    // The page shows run.json as it will be once the report is in place (the run and this phase complete); run.json
    // itself says so only after the report is built and renamed into place (phase()), so a killed build is not complete.
    const inputs = reportInputs(hub, state);
    const detail = relative(hub, reportPath);
    const shown: RunState = JSON.parse(JSON.stringify(state)) as RunState;
    shown.phases.report = { status: 'complete', started, detail };
    shown.status = 'complete';
    shown.updated = utcSeconds();
    const { buildReport } = await import('../report/phase.js');
    reportBroken = (await buildReport(hub, { shownRun: shown, onProgress: (progress) => onEvent({ type: 'report', progress }), ...stopping })).broken;
    // the page is written, from the rest of the evidence; the broken files are its failures (exit 1, and the next run
    // builds it again; each is named on stderr once, by the command)
    const broken = reportBroken.length;
    return { detail, ...(broken > 0 ? { failures: broken } : {}), fingerprints: () => ({ inputs_sha256: inputs, outputs_sha256: reportOutputs(hub) }) };
  });

  if (worked) {
    state.status = 'complete';
    writeRunState(hub, state);
  }
  return { hub, worked, state, reconstruct, compare, reportPath: existsSync(reportPath) ? reportPath : null, exitCode, reportBroken };
}

/**
 * The comparison a killed `run` finished: when run.json records Phase G as running with the fingerprint of
 * what it read, that fingerprint is still the current one, and the merged metrics_summary.json holds a
 * finished run of the whole study (no filter; the external models current in it, as the phase compares them) that started after the phase did, its
 * rows are merged; the files derived from the summary (Markdown, CSV, charts; written after it under the
 * same lock) are written again from it (the same bytes) and the phase's outcome returned. Otherwise null:
 * the phase runs again.
 */
async function finishedComparison(hub: string, prior: PhaseRecord, signal: AbortSignal | undefined): Promise<PhaseOutcome | null> {
  const { g } = hubRoots(hub);
  if (prior.inputs_sha256 === undefined || prior.inputs_sha256 !== compareInputs(hub)) return null;
  const summaryPath = join(g, PHASE_G.summaryJson);
  const merged = readMetricsSummary(summaryPath);
  // the models it compares: ours and the external models current in the summary (what the phase compares)
  const { currentExternalModels } = await import('../compare/summary.js');
  const external = JSON.stringify(currentExternalModels(merged));
  const finished = (merged?.runs ?? []).filter((r) => r.finished_at !== null && r.started_at >= prior.started &&
    r.filters.dose === null && r.filters.view === null && r.filters.split === null && JSON.stringify(r.models.map((m) => ({ name: m.name, pattern: m.pattern }))) === external);
  const mine = finished.at(-1);
  if (mine === undefined) return null;
  const [{ writeCharts }, { summaryCsv, summaryMarkdown }] = await Promise.all([import('../compare/charts.js'), import('../compare/summary.js')]);
  await withLock(join(g, PHASE_G.lock), 'study run (finishing a comparison)', 'output root', async () => {
    const summary = readMetricsSummary(summaryPath)!;
    writeFileAtomic(join(g, PHASE_G.summaryMd), summaryMarkdown(summary));
    writeFileAtomic(join(g, PHASE_G.summaryCsv), summaryCsv(summary));
    await writeCharts(summary, join(g, PHASE_G.charts));
  }, { waitMs: MERGE_WAIT_MS, ...(signal !== undefined ? { signal } : {}) });
  return {
    detail: `${mine.compared} compared, ${mine.failed} failed, ${mine.skipped} skipped`, failures: mine.failed,
    fingerprints: () => ({ inputs_sha256: compareInputs(hub), outputs_sha256: compareOutputs(hub) }),
  };
}
