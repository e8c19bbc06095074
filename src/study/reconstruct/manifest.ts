/**
 * Merging the Phase F evidence files (their schemas and readers: study/hub/reconstruction-files.ts).
 *
 * A run produces its own manifest and skip summary (the reference study's per-run content: PtychoPINN
 * `studies/fly64_dose_overlap/reconstruction.py::main`'s reconstruction_manifest.json and skip_summary.json);
 * these are stored unchanged as the run's snapshot. The files at the artifact root are the merge of
 * every run: jobs and results are keyed by (dose, view, split); a job a run did not touch keeps its
 * result; a re-run job's new result replaces the old one, which moves into that job's `history`.
 * Merging a run into nothing gives the run's own files, byte for byte.
 */
import { isAbsolute } from 'node:path';
import { isConfined, recordPath } from '../../files/paths.js';
import { compareJobs, jobKey } from '../hub/layout.js';
import type { ExecutionResult, JobRecord, Manifest, ResultRecord, SkipSummary } from '../hub/reconstruction-files.js';

const RESULT_PATHS = ['input_npz', 'output_dir', 'log_path', 'reconstruction_npz', 'reconstruction_png', 'lsqml_log', 'archived_to'] as const;

/**
 * A manifest of schema 1.0.0 (absolute paths) in the current form: each absolute path that lies inside
 * `roots` becomes relative to `base` (the artifact root); paths elsewhere (e.g. of the hub this one was
 * copied from) are kept as they were — readers never follow them outside their roots.
 */
export function relativiseManifest(m: Manifest, base: string, roots: readonly string[]): Manifest {
  const fix = (p: string): string => (isAbsolute(p) && roots.some((r) => isConfined(r, p)) ? recordPath(base, p) : p);
  const fixResult = <T extends ResultRecord>(r: T): T => {
    const out = { ...r };
    for (const k of RESULT_PATHS) {
      const v = out[k];
      if (typeof v === 'string') (out as Record<string, unknown>)[k] = fix(v);
    }
    return out;
  };
  const fixJob = (j: JobRecord): JobRecord => ({ ...j, input_npz: fix(j.input_npz), output_dir: fix(j.output_dir) });
  return {
    ...m,
    jobs: m.jobs.map(fixJob),
    execution_results: m.execution_results.map((r) => ({ ...fixResult(r), history: r.history.map(fixResult) })),
  };
}

/** A result as stored in `history` (without its own history). */
export function toHistoryRecord(r: ExecutionResult, archivedTo: string | null): ResultRecord {
  const { history: _history, ...rest } = r;
  return archivedTo === null ? rest : { ...rest, archived_to: archivedTo };
}

function sortedByJob<T extends { dose: number; view: string; split: string }>(items: Iterable<T>): T[] {
  return [...items].sort(compareJobs);
}

/**
 * Merges one run's manifest into the previous merged manifest.
 * - `jobs`: union by key; the run's record wins.
 * - `execution_results`: the run's result replaces the previous one, which is appended to `history`
 *   (with `archived_to` from `archived` when its files were moved). A dry-run entry never replaces a real
 *   result and never enters a history.
 * - `missing_jobs`: the run's list for the keys it considered (`considered`), earlier entries for the others.
 * - `runs`: the run's record replaces the one with the same `run_id`, or is appended.
 * Top-level roots, filters, timestamp and `total_jobs` are the run's; `filtered_jobs` counts the merged `jobs`.
 */
export function mergeManifest(prior: Manifest | null, run: Manifest, considered: ReadonlySet<string>,
  archived: ReadonlyMap<string, string> = new Map()): Manifest {
  const jobs = new Map(prior?.jobs.map((j) => [jobKey(j), j]) ?? []);
  for (const j of run.jobs) jobs.set(jobKey(j), j);

  const results = new Map(prior?.execution_results.map((r) => [jobKey(r), r]) ?? []);
  for (const r of run.execution_results) {
    const k = jobKey(r);
    const old = results.get(k);
    if (old === undefined || old.run_id === r.run_id) {
      results.set(k, r);
    } else if (r.status === 'dry_run') {
      if (old.status === 'dry_run') results.set(k, r);
    } else if (old.status === 'dry_run') {
      results.set(k, { ...r, history: old.history });
    } else {
      results.set(k, { ...r, history: [...old.history, ...r.history, toHistoryRecord(old, archived.get(k) ?? null)] });
    }
  }

  const missing = new Map<string, Manifest['missing_jobs'][number]>();
  for (const m of prior?.missing_jobs ?? []) if (!considered.has(jobKey(m))) missing.set(jobKey(m), m);
  for (const m of run.missing_jobs) missing.set(jobKey(m), m);

  const runs = (prior?.runs ?? []).filter((r) => r.run_id !== run.runs[0]?.run_id);
  runs.push(...run.runs);

  const mergedJobs = sortedByJob(jobs.values());
  return {
    schema_version: run.schema_version,
    timestamp: run.timestamp,
    phase_c_root: run.phase_c_root,
    phase_d_root: run.phase_d_root,
    artifact_root: run.artifact_root,
    ...(run.provenance !== undefined ? { provenance: run.provenance } : {}),
    filters: run.filters,
    total_jobs: run.total_jobs,
    filtered_jobs: mergedJobs.length,
    missing_jobs: sortedByJob(missing.values()),
    jobs: mergedJobs,
    execution_results: sortedByJob(results.values()),
    runs,
  };
}

/**
 * Merges one run's skip summary into the previous one. The merged list names every job of the matrix that
 * no run has selected (or whose input is missing): the run's entries first, in its order, then earlier
 * entries for keys the run did not consider. Entries of jobs present in the merged `jobs` are dropped
 * (including this run's "already complete" entries). `missing_phase_d_count` counts entries whose key is
 * in the merged manifest's `missing_jobs`.
 */
export function mergeSkipSummary(prior: SkipSummary | null, run: SkipSummary, merged: Manifest,
  considered: ReadonlySet<string>): SkipSummary {
  const selected = new Set(merged.jobs.map(jobKey));
  const missingKeys = new Set(merged.missing_jobs.map(jobKey));
  const out: SkipSummary['skipped_jobs'] = [];
  const seen = new Set<string>();
  const add = (e: SkipSummary['skipped_jobs'][number]): void => {
    const k = jobKey(e);
    if (selected.has(k) && !missingKeys.has(k)) return;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(e);
  };
  for (const e of run.skipped_jobs) add(e);
  for (const e of prior?.skipped_jobs ?? []) if (!considered.has(jobKey(e))) add(e);
  return {
    schema_version: run.schema_version,
    timestamp: run.timestamp,
    skipped_count: out.length,
    skipped_jobs: out,
    missing_phase_d_count: out.filter((e) => missingKeys.has(jobKey(e))).length,
  };
}
