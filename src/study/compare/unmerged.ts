/**
 * Runs that finished their jobs but whose merge into `metrics_summary.json` did not happen: a full disk refused the
 * summary, the merge lock stayed busy, or the run was stopped (Ctrl-C, SIGTERM) while it waited for that lock. Each
 * wrote its snapshot first (`runs/<run id>/metrics_summary.json`: its rows, skips and its `runs[]` record), so
 * nothing of it is lost; the next merge into the root folds every such snapshot in before its own rows, oldest
 * first, as if that run had merged when it ended — its record joins `runs[]`, its rows become current or (for the
 * jobs a later run compared again) history, with where the later run moved their files. Snapshots are read under
 * the output root's merge lock.
 *
 * A snapshot is unmerged when the summary holds no record of its run, or holds a record without `finished_at` (the
 * intermediate merges of a cluster run) while the snapshot's has one (its final merge failed). A run that holds its
 * running lock (`.running-<run id>.lock`: a local run until its merge has ended) is still merging itself and is
 * left to do so. A snapshot that is not a valid summary of its own run (its folder's name) is an `InputError`
 * naming it: a broken file is never taken as absent.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { isSafeName, recordPath } from '../../files/paths.js';
import { lockHolder } from '../../files/lock.js';
import { shownJson } from '../../text.js';
import { jobDir, PHASE_G } from '../hub/layout.js';
import { readMetricsSummary, type MetricsSummary, type PhaseGRun, type SummaryRow } from '../hub/metrics-summary.js';
import { HISTORY_DIR, jobFilesRunId } from './files.js';
import { runningLockPath } from './reuse.js';
import { mergeSummary, type JobOutcome } from './summary.js';

/** One unmerged run: its record and its snapshot as written. */
export interface UnmergedRun {
  record: PhaseGRun;
  snapshot: MetricsSummary;
  /** The snapshot's path. */
  path: string;
}

/**
 * The snapshots under `outputRoot/runs/` that `summary` (the merged summary as it is now) has not taken in, oldest
 * first (by when the run finished, then its id); `ownRunId`'s own (the run about to merge) never. An InputError
 * names a snapshot that cannot be read or is not its run's.
 */
export function unmergedRuns(outputRoot: string, summary: MetricsSummary | null, ownRunId: string | null): UnmergedRun[] {
  const runsDir = join(outputRoot, PHASE_G.runs);
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InputError(`${runsDir}: the folder of the runs' snapshots cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const merged = new Map((summary?.runs ?? []).map((r) => [r.run_id, r]));
  const out: UnmergedRun[] = [];
  for (const name of names.sort()) {
    if (name === ownRunId || !isSafeName(name)) continue;
    const path = join(runsDir, name, PHASE_G.summaryJson);
    if (lstatSync(path, { throwIfNoEntry: false }) === undefined) continue; // a run folder being filled, or not a run's
    const prior = merged.get(name);
    if (prior !== undefined && (prior.finished_at !== null)) continue;
    let holder: unknown;
    try {
      holder = lockHolder(runningLockPath(outputRoot, name));
    } catch {
      holder = true; // something in the lock's place: not provably ended
    }
    if (holder !== null) continue; // still merging itself
    const snapshot = readMetricsSummary(path)!;
    const record = snapshot.runs.length === 1 ? snapshot.runs[0]! : null;
    if (record === null || record.run_id !== name) {
      throw new InputError(`${path}: key 'runs': expected the one record of run ${name} (its folder); ` +
        `found ${snapshot.runs.length === 1 ? `run ${shownJson(snapshot.runs[0]!.run_id)}` : `${snapshot.runs.length} records`} — nothing was written`);
    }
    if (prior !== undefined && record.finished_at === null) continue; // both intermediate: merged as far as it went
    out.push({ record, snapshot, path });
  }
  const when = (r: PhaseGRun): string => r.finished_at ?? r.started_at;
  return out.sort((a, b) => (when(a.record) < when(b.record) ? -1 : when(a.record) > when(b.record) ? 1
    : a.record.run_id < b.record.run_id ? -1 : a.record.run_id > b.record.run_id ? 1 : 0));
}

/**
 * A job's outcome as the merge needs it: `superseded_by` set when the job's directory no longer holds the
 * files this run left there (another run has replaced them since: its comparison.json names it).
 */
export function withOwner(outputRoot: string, j: JobOutcome & { filesRunId: string | null }): JobOutcome {
  const { filesRunId, ...outcome } = j;
  const dir = jobDir(outputRoot, j);
  const now = jobFilesRunId(dir);
  if (now === filesRunId) return outcome;
  // the later run moved this run's files to history/<this run's id> (unless the name was taken)
  const mine = filesRunId === null ? null : join(dir, HISTORY_DIR, filesRunId);
  let own: string | null = null;
  try {
    if (mine !== null && jobFilesRunId(mine) === filesRunId) own = recordPath(outputRoot, mine);
  } catch { /* not this run's folder */ }
  return { ...outcome, superseded_by: now, own_archived_to: own };
}

function stripHistory(r: SummaryRow): Omit<SummaryRow, 'history'> {
  const { history: _h, ...rest } = r;
  return rest;
}

/**
 * `summary` with the runs `earlier` merged in, in their order, before the run `ownRunId` merges its rows: a job
 * whose files a run merged before (not one of `earlier`, nor `ownRunId`) has replaced since keeps that run's rows
 * current, the unmerged run's rows going to their history (as a local run's merge does).
 */
export function mergeUnmerged(outputRoot: string, summary: MetricsSummary | null, earlier: readonly UnmergedRun[], ownRunId: string | null): MetricsSummary | null {
  let m = summary;
  for (let i = 0; i < earlier.length; i++) {
    const { snapshot, record } = earlier[i]!;
    // runs merged after this one, in this same merge: their merge retires this run's rows as any later run's does
    const later = new Set([...earlier.slice(i + 1).map((e) => e.record.run_id), ...(ownRunId !== null ? [ownRunId] : [])]);
    const jobs: JobOutcome[] = [];
    const seen = new Set<string>();
    for (const r of snapshot.rows) {
      const key = `${r.dose}|${r.view}|${r.split}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const dir = jobDir(outputRoot, r);
      const filesOf = (d: string): string | null => { try { return jobFilesRunId(d); } catch { return null; } };
      const now = filesOf(dir);
      const job = { dose: r.dose, view: r.view, split: r.split, archived: null };
      // superseded only when a run merged before has moved this run's files to the job's history since (a failed job
      // whose files never came in, or one whose files a run merged after this one replaced, is not)
      const own = join(dir, HISTORY_DIR, r.run_id);
      const moved = now !== r.run_id && now !== null && !later.has(now) && filesOf(own) === r.run_id;
      jobs.push(moved ? { ...job, superseded_by: now, own_archived_to: recordPath(outputRoot, own) } : job);
    }
    m = mergeSummary(m, { rows: snapshot.rows.map(stripHistory), skipped: snapshot.skipped_jobs, record, jobs });
  }
  return m;
}
