/**
 * Schemas and readers of the two Phase F evidence files, `reconstruction_manifest.json` and `skip_summary.json`
 * (Phase F writes them, study/reconstruct/; Phase G and the report read them).
 * The files keep the reference study's fields (PtychoPINN `reconstruction.py::main`) and add `schema_version`, per-job status,
 * input size/SHA-256, Phase D selection metadata with its decoding status, a per-job `history` of
 * replaced results, and the list of runs that wrote into the artifact root.
 * The published JSON Schemas under `schemas/` are generated from these (see `jsonSchemas()`).
 *
 * Paths (schema 1.1.0): every path is relative to the artifact root (the manifest's directory), with '/'
 * separators, so a copied hub names its own files; the absolute roots at the time of writing are kept in
 * `provenance`. Schema 1.0.0 files (absolute paths) are still read; readers resolve either form with
 * files/paths.ts `resolveRecorded`, confined to the roots they were given. Run ids are single safe names
 * (files/paths.ts `isSafeName`): a file naming a run `../x` is refused before anything moves.
 */
import { z } from 'zod';
import { shownJson } from '../../text.js';
import { isSafeName, SAFE_NAME_RULE } from '../../files/paths.js';
import { readCheckedRecord } from './json-records.js';

export const SCHEMA_VERSION = '1.1.0';
/** Versions this reader accepts: 1.0.0 recorded absolute paths. */
export const READABLE_SCHEMA_VERSIONS = ['1.0.0', SCHEMA_VERSION] as const;

const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'UTC ISO-8601 timestamp ending in Z');
const view = z.enum(['baseline', 'dense', 'sparse']);
const split = z.enum(['train', 'test']);
const int = z.number().int();
const count = z.number().int().nonnegative();
const schemaVersion = z.enum(READABLE_SCHEMA_VERSIONS);
/** A run id: one safe path component (it names directories under runs/ and history/). */
export const RunIdSchema = z.string().refine(isSafeName, { error: (iss) => `expected a run id, ${SAFE_NAME_RULE}; found ${shownJson(iss.input)}` });
const relPath = (what: string) => z.string().describe(`${what} (relative to the artifact root; absolute in schema 1.0.0 files)`);

export const JobKeySchema = z.object({
  dose: z.number().positive().describe('photons per diffraction pattern'),
  view,
  split,
});

export const FiltersSchema = z.object({
  dose: z.union([z.number(), z.array(z.number())]).nullable().describe('one dose, or several'),
  view: view.nullable(),
  split: split.nullable(),
  gridsize: int.nullable(),
}).describe('filters of the run (null = not filtered)');

export const JobSchema = JobKeySchema.extend({
  gridsize: int.describe('1 for baseline, 2 for dense and sparse'),
  input_npz: relPath('the input dataset'),
  output_dir: relPath('the job directory'),
  algorithm: z.literal('LSQML'),
  num_epochs: int,
  batch_size: int,
  noise_model: z.enum(['gaussian', 'poisson']),
  modes: int,
  n_images: int.nullable().describe('cap on the positions used; null = all'),
  seed: int,
  init_object: z.string().regex(/^(ones|guess|file:.+)$/).describe('ones, guess or file:PATH (an object file)'),
  init_probe: z.string(),
  command: z.array(z.string()).describe('the `ptychostudy lsqml` command line equivalent to this job (paths relative to the artifact root: run it there)'),
  settings_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of every reconstruction setting but the thread count (the run record holds them)'),
});

export const MissingJobSchema = JobKeySchema.extend({ reason: z.string() });

export const SkipEntrySchema = JobKeySchema.extend({
  reason: z.string().describe('"<filter> filter (requested: …)", "Phase C baseline NPZ not found: …", "Phase D overlap NPZ not found: …" or "already complete"'),
  run_id: RunIdSchema.optional().describe('run that recorded the skip'),
});

/** Size and SHA-256 of a probe or object file a job started from (its path is the setting's). */
export const StartFileSchema = z.object({
  size: count.describe('bytes'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
}).strict();

/** One execution of one job (also the shape of the entries of `history`). */
export const ResultRecordSchema = JobKeySchema.extend({
  status: z.enum(['success', 'failed', 'dry_run']),
  returncode: int.describe('0 success (or dry run), 1 failed'),
  run_id: RunIdSchema,
  started_at: isoUtc,
  finished_at: isoUtc,
  seconds: z.number().nonnegative(),
  input_npz: relPath('the input dataset'),
  input_size: count.nullable().describe('bytes of the input NPZ when the job ran'),
  input_sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  output_dir: relPath('the job directory'),
  log_path: relPath('the job log'),
  stdout_preview: z.string(),
  command: z.array(z.string()),
  settings_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of the reconstruction settings of this result, thread count aside: a later run with other settings does not count it as already complete'),
  init_probe_file: StartFileSchema.optional().describe('the probe file this job started from (`init_probe: file:PATH`), as the job began: a resume refuses one changed since'),
  init_object_file: StartFileSchema.optional().describe('the object file this job started from (`init_object: file:PATH`), as the job began: a resume refuses one changed since'),
  reconstruction_npz: relPath('the reconstruction').nullable(),
  reconstruction_size: count.optional().describe('bytes of reconstruction.npz as the job wrote it'),
  reconstruction_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of reconstruction.npz as the job wrote it: a resume refuses one changed since'),
  reconstruction_png: relPath('its figure').nullable(),
  lsqml_log: relPath('the engine log').nullable(),
  epochs_run: count.nullable(),
  final_loss: z.number().nullable(),
  n_positions: count.nullable(),
  error: z.string().nullable(),
  archived_to: z.string().nullable().optional().describe('where this result\'s files were moved when a later run replaced it (relative to the artifact root)'),
  metadata: z.enum(['ok', 'absent', 'error']).describe('decoding status of the input\'s _metadata'),
  metadata_error: z.string().optional(),
  metadata_missing_fields: z.array(z.string()).optional().describe('selection fields the metadata did not contain'),
  selection_strategy: z.string().optional().describe('Phase D strategy (e.g. direct, greedy); "full" for baseline (all Phase C positions)'),
  acceptance_rate: z.number().optional(),
  spacing_threshold: z.number().nullable().optional().describe('pixels; null for baseline'),
  n_accepted: count.optional(),
  n_rejected: count.optional(),
  insufficient_positions: z.boolean().optional().describe('Phase D: the view has fewer positions than requested (copied from _metadata when present)'),
});

export const ExecutionResultSchema = ResultRecordSchema.extend({
  history: z.array(ResultRecordSchema).describe('earlier results of this job that later runs replaced, oldest first'),
});

export const RunRecordSchema = z.object({
  run_id: RunIdSchema,
  started_at: isoUtc,
  finished_at: isoUtc.nullable().describe('null while running, or when the run was interrupted'),
  dry_run: z.boolean(),
  filters: FiltersSchema,
  snapshot: z.string().refine((v) => /^runs\/[^/]+$/.test(v) && isSafeName(v.slice(5)), { error: (iss) => `expected runs/<run id>; found ${shownJson(iss.input)}` })
    .describe('directory, relative to the artifact root, holding this run\'s own manifest and skip summary'),
  total_jobs: count,
  filtered_jobs: count,
  executed: count,
  succeeded: count,
  failed: count,
  already_complete: count,
  skipped_count: count,
  missing_phase_d_count: count,
  reconstruction_settings: z.record(z.string(), z.unknown()).optional().describe('every reconstruction setting of the run (settings schema, group `reconstruction`)'),
  settings_origin: z.record(z.string(), z.string()).optional()
    .describe('where each setting given to the run came from — `flag --epochs`, `file /abs/study.yaml`, `preset fly64` — by its settings path; the others have their defaults (absent: not recorded)'),
});

export const ProvenanceSchema = z.object({
  artifact_root: z.string(),
  phase_c_root: z.string(),
  phase_d_root: z.string(),
}).describe('absolute paths of the roots when the latest run wrote this file (provenance only: readers resolve the relative paths against where the files are now)');

export const ManifestSchema = z.object({
  schema_version: schemaVersion,
  timestamp: isoUtc,
  phase_c_root: relPath('the Phase C root'),
  phase_d_root: relPath('the Phase D root'),
  artifact_root: relPath('the artifact root (".")'),
  provenance: ProvenanceSchema.optional(),
  filters: FiltersSchema,
  total_jobs: count.describe('jobs in the matrix of the latest run (after missing inputs)'),
  filtered_jobs: count.describe('entries of `jobs`'),
  missing_jobs: z.array(MissingJobSchema),
  jobs: z.array(JobSchema),
  execution_results: z.array(ExecutionResultSchema),
  runs: z.array(RunRecordSchema).describe('every run that wrote into this artifact root, oldest first'),
});

export const SkipSummarySchema = z.object({
  schema_version: schemaVersion,
  timestamp: isoUtc,
  skipped_count: count,
  skipped_jobs: z.array(SkipEntrySchema),
  missing_phase_d_count: count,
});

export type Filters = z.infer<typeof FiltersSchema>;
export type JobRecord = z.infer<typeof JobSchema>;
export type MissingJobRecord = z.infer<typeof MissingJobSchema>;
export type SkipEntry = z.infer<typeof SkipEntrySchema>;
export type ResultRecord = z.infer<typeof ResultRecordSchema>;
export type ExecutionResult = z.infer<typeof ExecutionResultSchema>;
export type RunRecord = z.infer<typeof RunRecordSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type SkipSummary = z.infer<typeof SkipSummarySchema>;

/** File names of the published JSON Schemas under `schemas/`. */
export const SCHEMA_FILES = {
  manifest: 'reconstruction_manifest.schema.json',
  skipSummary: 'skip_summary.schema.json',
} as const;

/** The JSON Schemas (draft 2020-12) published under `schemas/`, as the exact text written there. */
export function jsonSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, title: string): string => {
    const js = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>;
    const { $schema, ...rest } = js;
    return JSON.stringify({ $schema, title, ...rest }, null, 2) + '\n';
  };
  return {
    [SCHEMA_FILES.manifest]: render(ManifestSchema, `ptychostudy reconstruct: reconstruction_manifest.json (schema_version ${SCHEMA_VERSION})`),
    [SCHEMA_FILES.skipSummary]: render(SkipSummarySchema, `ptychostudy reconstruct: skip_summary.json (schema_version ${SCHEMA_VERSION})`),
  };
}

function readJson<T>(path: string, schema: z.ZodType<T>, what: string): T | null {
  return readCheckedRecord(path, schema, {
    cannotRead: (err) => `cannot read the existing ${what}: ${err.message}`,
    notJson: (why) => `the existing ${what} is not valid JSON (${why}); move it away to start a new one`,
    mismatch: (key, why) => `the existing ${what} does not match its schema at ${key.length > 0 ? key.join('.') : '(top level)'}: ${why}; ` +
      'it was left untouched (move it away to start a new one)',
  });
}

/** The manifest at `path`, `null` when there is none; an `InputError` naming the file and field when it is invalid. */
export function readManifest(path: string): Manifest | null {
  return readJson(path, ManifestSchema, 'reconstruction manifest');
}

/** The skip summary at `path`, `null` when there is none; an `InputError` when it is invalid. */
export function readSkipSummary(path: string): SkipSummary | null {
  return readJson(path, SkipSummarySchema, 'skip summary');
}
