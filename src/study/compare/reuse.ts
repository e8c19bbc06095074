/**
 * A compared job's record of what its result was computed from, and the reuse of a stopped run's finished jobs.
 *
 * Every job that compares a model writes into its comparison.json `inputs_sha256`: one SHA-256 over everything
 * its numbers and files depend on — the output root's absolute path (so a copy of the hub, or another hub, never
 * reuses), the ground-truth dataset's path and bytes, our reconstruction's and every external model's path and
 * bytes (or that there is none), the external models' names and patterns, the region mode, whether figures are
 * drawn, Phase F's recorded seconds (the computation time written when the reconstruction holds none), and the
 * tool itself (its version and the bytes of its compiled code, so any change of the metrics code recomputes) —
 * and `outputs_sha256`: the SHA-256 of each file it wrote beside comparison.json.
 *
 * A run reuses a job's current files instead of comparing it again when all of these hold:
 *   - comparison.json names another run, and that run stopped before it finished: `runs/<its id>/metrics_summary.json`
 *     (its snapshot, written once every job is done) is not there, and no live process holds its running lock
 *     `.running-<its id>.lock` (held while a run compares) — a run stopped (Ctrl-C, SIGTERM, SIGHUP), killed or
 *     crashed before its end (a run comparing now is not one) — and its rows were never merged into the summary
 *     (a later run that took its jobs over and finished merged them: comparing again then recomputes);
 *   - its `inputs_sha256` is the one this run computes for the job;
 *   - every row is `ok`, for our model and this run's external models in this run's order, for this job;
 *   - the files beside it are exactly those `outputs_sha256` lists, each with the recorded SHA-256.
 * The job's files then stay as they are (nothing is rewritten) and its rows, read from comparison.json, are
 * this run's rows of the job: they keep the run id and time of the run that computed them. Anything else —
 * a record that differs, a missing, extra or damaged file, a failed row, a job comparison.json that names a
 * finished run — is compared again, and the files there move to the job's history/ as any earlier files do.
 * (A comparison.json that cannot be read stops the run before anything is written: files.ts, checkJobOutputs.)
 * A cluster run's tasks hold no running lock: a local run into the root of a cluster run still comparing may take
 * over a job that run finished — the same numbers and files, since everything they came from is the same.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from '../../files/bounded-read.js';
import { fingerprintSync } from '../../files/fingerprint.js';
import { lockHolder, tryLock } from '../../files/lock.js';
import { stableJson } from '../../settings/fingerprint.js';
import { packageVersion } from '../../version.js';
import { jobDir, PHASE_G } from '../hub/layout.js';
import { OWN_MODEL, readMetricsSummary, SummaryRowCoreSchema, type SummaryRowCore } from '../hub/metrics-summary.js';
import type { JobArchive } from './files.js';
import { HISTORY_DIR, JOB_FILES, jobFilesRunId, STAGING_PREFIX } from './files.js';
import { expandPattern, type CompareJob, type ExternalModel } from './plan.js';

/** What the jobs of a run share that a job's record depends on. */
export interface ReuseContext {
  outputRoot: string;
  runId: string;
  models: ExternalModel[];
  regionMode: 'illumination' | 'patches';
  figures: boolean;
}

/** A stopped run's finished job, as this run takes it over. */
export interface ReusedJob {
  /** The run that computed the job (its comparison.json names it). */
  runId: string;
  rows: SummaryRowCore[];
  /** Where that run moved the job's earlier files (its comparison.json's `replaced`), or null. */
  archived: JobArchive | null;
}

let codeSha: string | null = null;

/**
 * SHA-256 of the tool's compiled code (every .js under dist/src and every .wasm under dist/wasm, by relative path
 * and bytes), computed once: a build that differs in any way — a metrics fix, a different FFT — recomputes.
 */
function toolCodeSha256(): string {
  if (codeSha !== null) return codeSha;
  const h = createHash('sha256');
  const walk = (root: string, dir: string, ext: string): void => {
    let names: string[];
    try { names = readdirSync(dir).sort(); } catch { return; }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(root, p, ext);
      else if (st?.isFile() && name.endsWith(ext)) h.update(relative(root, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  const src = fileURLToPath(new URL('../../', import.meta.url)); // dist/src
  const wasm = fileURLToPath(new URL('../../../wasm/', import.meta.url)); // dist/wasm
  walk(src, src, '.js');
  walk(wasm, wasm, '.wasm');
  codeSha = h.digest('hex');
  return codeSha;
}

/** A file's absolute path and SHA-256, or that nothing is there. */
function fileRecord(path: string): { path: string; sha256: string | null } {
  const st = lstatSync(path, { throwIfNoEntry: false }) === undefined ? null : fingerprintSync(path);
  return { path: resolve(path), sha256: st?.sha256 ?? null };
}

/**
 * The job's `inputs_sha256` (see the module comment); null when one of its files cannot be read (the job is
 * then compared, and fails saying why, as before: its result is recorded without a record and never reused).
 */
export function jobInputsSha256(run: ReuseContext, job: CompareJob): string | null {
  try {
    return createHash('sha256').update(stableJson({
      record: 1,
      tool: { version: packageVersion(), code_sha256: toolCodeSha256() },
      output_root: resolve(run.outputRoot),
      job: { dose: job.dose, view: job.view, split: job.split },
      region_mode: run.regionMode,
      figures: run.figures,
      ground_truth: job.inputNpz === null ? null : fileRecord(job.inputNpz),
      reconstruction: job.reconstructionNpz === null ? null : fileRecord(job.reconstructionNpz),
      reason: job.reason,
      phase_f_seconds: job.phaseFSeconds,
      models: run.models.map((m) => ({ name: m.name, pattern: m.pattern, file: fileRecord(expandPattern(m.pattern, job)) })),
    })).digest('hex');
  } catch {
    return null;
  }
}

/** The names a compared job writes beside comparison.json (figures: comparison.png too). */
export function outputNames(figures: boolean): string[] {
  return JOB_FILES.filter((f) => f !== PHASE_G.json && (figures || f !== PHASE_G.figure));
}

/** `outputs_sha256` of the files `names` in `dir`. */
export function outputsSha256(dir: string, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, fingerprintSync(join(dir, n)).sha256]));
}

/**
 * The lock a run holds while it compares (`<output root>/.running-<run id>.lock`, files/lock.ts): released when it
 * ends, by its exit hook when a signal stops it, and stale once its process is gone (killed, crashed).
 */
export function runningLockPath(outputRoot: string, runId: string): string {
  return join(outputRoot, `.running-${runId}.lock`);
}

/** The run ids of the running locks in `outputRoot` (`.running-<run id>.lock`), live or stale, sorted. */
export function runningLockIds(outputRoot: string): string[] {
  let names: string[] = [];
  try { names = readdirSync(outputRoot); } catch { return []; }
  return names.flatMap((n) => { const m = /^\.running-(.+)\.lock$/.exec(n); return m ? [m[1]!] : []; }).sort();
}

/**
 * What a run killed while comparing left besides its running lock, once that lock is found stale: the staging
 * folder of the job it was writing (`<dose>/<view>/<split>/.staging-<run id>/`: files never moved into place, so no
 * summary, comparison.json or history names them) and its run folder `runs/<run id>/` while empty (its snapshot is
 * written only when every job is done).
 */
function removeLeftByKilledRun(outputRoot: string, runId: string): void {
  const list = (dir: string): string[] => { try { return readdirSync(dir); } catch { return []; } };
  for (const dose of list(outputRoot).filter((n) => n.startsWith('dose_'))) {
    for (const view of list(join(outputRoot, dose))) {
      for (const split of list(join(outputRoot, dose, view))) {
        const staging = join(outputRoot, dose, view, split, `${STAGING_PREFIX}${runId}`);
        if (lstatSync(staging, { throwIfNoEntry: false })?.isDirectory()) rmSync(staging, { recursive: true, force: true });
      }
    }
  }
  try { rmdirSync(join(outputRoot, PHASE_G.runs, runId)); } catch { /* holds its snapshot, or is gone */ }
}

/**
 * Removes the running locks that the stopped runs `runIds` left (a run killed, or stopped on another host, leaves
 * its `.running-<run id>.lock`) — only a lock that is provably stale, by the lock's own rule (files/lock.ts: on this
 * host its process is gone or its pid is another process's now; from another host, no heartbeat for longer than the
 * lease): it is taken over, what that run left while it wrote a job (its staging folder, its empty run folder) is
 * removed, and the lock released. A lock a live process holds stays as it is, and so does anything in a lock's place
 * that is not a lock file. Returns the ids whose lock was removed. A local run and a cluster run's final merge both
 * call it with every running lock of the root (`runningLockIds`; those of the runs whose jobs they took over among them).
 */
export function removeStaleRunningLocks(outputRoot: string, runIds: readonly string[]): string[] {
  const removed: string[] = [];
  for (const id of runIds) {
    const path = runningLockPath(outputRoot, id);
    if (lstatSync(path, { throwIfNoEntry: false }) === undefined) continue; // released, or removed already
    try {
      const lock = tryLock(path, 'compare run', 'output root');
      const stale = lock.tookOver !== null;
      try {
        if (stale) removeLeftByKilledRun(outputRoot, id);
      } finally {
        lock.release();
      }
      if (stale) removed.push(id);
    } catch { /* held after all (or not a lock file): left as it is */ }
  }
  return removed;
}

/**
 * Whether the run `runId` stopped before it finished: no snapshot `runs/<run id>/metrics_summary.json` (written
 * once every job is done), and no live process holds its running lock (a run still comparing into this root).
 */
function runStopped(outputRoot: string, runId: string): boolean {
  if (lstatSync(join(outputRoot, PHASE_G.runs, runId, PHASE_G.summaryJson), { throwIfNoEntry: false }) !== undefined) return false;
  return lockHolder(runningLockPath(outputRoot, runId)) === null;
}

let mergedCache: { path: string; mtimeMs: number; size: number; ids: Set<string> } | null = null;

/**
 * The run ids of every row of the merged summary (current, history, superseded): a stopped run's rows are there
 * only when a later run took its jobs over and finished, and then that run's comparing again recomputes them.
 */
function mergedRunIds(outputRoot: string): Set<string> {
  const path = join(outputRoot, PHASE_G.summaryJson);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return new Set();
  if (mergedCache?.path === path && mergedCache.mtimeMs === st.mtimeMs && mergedCache.size === st.size) return mergedCache.ids;
  const m = readMetricsSummary(path);
  const ids = new Set<string>();
  for (const r of [...(m?.rows ?? []), ...(m?.superseded_rows ?? [])]) {
    ids.add(r.run_id);
    for (const h of r.history) ids.add(h.run_id);
  }
  mergedCache = { path, mtimeMs: st.mtimeMs, size: st.size, ids };
  return ids;
}

/**
 * The run ids this root has seen beyond the folders under runs/ (a stopped run's folder is removed): those the
 * merged summary names (rows, their history, superseded rows), and, for each job folder of `jobDirs`, the run its
 * files are of and those of its history/ folders. A new run takes none of them: one whose files a job holds could
 * not tell its own files from those it may reuse, and the jobs of one the summary or a history names are never reused.
 */
export function usedRunIds(outputRoot: string, jobDirs: readonly string[]): Set<string> {
  const ids = new Set(mergedRunIds(outputRoot));
  for (const dir of jobDirs) {
    const current = jobFilesRunId(dir);
    if (current !== null) ids.add(current);
    let names: string[] = [];
    try { names = readdirSync(join(dir, HISTORY_DIR)); } catch { /* no history yet */ }
    for (const n of names) ids.add(n);
  }
  return ids;
}

/**
 * The job's current result when this run may take it over instead of comparing the job again (see the module
 * comment); null otherwise. `inputs` is the job's `inputs_sha256` as this run computes it.
 */
export function reusableJob(run: ReuseContext, job: CompareJob, inputs: string | null): ReusedJob | null {
  if (inputs === null) return null;
  const dir = jobDir(run.outputRoot, job);
  let doc: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(readJsonTextAtMost(join(dir, PHASE_G.json), MAX_RECORD_BYTES, 'a record'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    doc = v as Record<string, unknown>;
  } catch {
    return null; // none (a broken or oversized one was refused before the run began; one broken since fails the job when its files move)
  }
  const runId = doc['run_id'];
  if (typeof runId !== 'string' || runId === run.runId || doc['inputs_sha256'] !== inputs) return null;
  if (doc['dose'] !== job.dose || doc['view'] !== job.view || doc['split'] !== job.split) return null;
  try {
    if (!runStopped(run.outputRoot, runId) || mergedRunIds(run.outputRoot).has(runId)) return null;
  } catch {
    return null;
  }
  // the rows: every model of this run compared, in its order
  const raw = doc['rows'];
  const models = [OWN_MODEL, ...run.models.map((m) => m.name)];
  if (!Array.isArray(raw) || raw.length !== models.length) return null;
  const rows: SummaryRowCore[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i] as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object') return null;
    const { frc: _frc, ...row } = r;
    const parsed = SummaryRowCoreSchema.safeParse(row);
    if (!parsed.success || parsed.data.status !== 'ok' || parsed.data.model !== models[i] || parsed.data.run_id !== runId
      || parsed.data.dose !== job.dose || parsed.data.view !== job.view || parsed.data.split !== job.split) return null;
    rows.push(row as SummaryRowCore); // as written (the key order of a fresh row)
  }
  // the files beside it: exactly those recorded, each with its recorded bytes
  const outputs = doc['outputs_sha256'];
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) return null;
  const expected = outputNames(run.figures);
  const recorded = outputs as Record<string, unknown>;
  if (Object.keys(recorded).sort().join('\0') !== [...expected].sort().join('\0')) return null;
  try {
    for (const name of JOB_FILES) {
      if (name === PHASE_G.json) continue;
      const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
      if (!expected.includes(name)) { if (st !== undefined) return null; continue; }
      if (!st?.isFile() || fingerprintSync(join(dir, name)).sha256 !== recorded[name]) return null;
    }
  } catch {
    return null;
  }
  const replaced = doc['replaced'] as { run_id?: unknown; archived_to?: unknown } | undefined;
  const archived = replaced && typeof replaced === 'object' && typeof replaced.archived_to === 'string'
    && (replaced.run_id === null || typeof replaced.run_id === 'string')
    ? { run_id: replaced.run_id as string | null, archived_to: replaced.archived_to } : null;
  return { runId, rows, archived };
}
