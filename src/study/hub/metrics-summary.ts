/**
 * Phase G's summary file, `metrics_summary.json`: its schema, its reader, the name our own reconstructions
 * appear under, the charts written beside it and the metric labels — what Phase G writes and the report and
 * the end-of-run table read. Merging and rendering it is Phase G's (study/compare/summary.ts).
 *
 * JSON numbers that are not finite (an infinite PSNR of a perfect reconstruction, a metric that could not be
 * computed) are written as null.
 *
 * What a summary names is untrusted when it is read back: views and splits must be the study's (they name
 * directories and report images), run ids single safe names, model names those `--model` accepts. Paths
 * (`reconstruction`, `ground_truth`) are relative to the Phase G root for the hub's own files, absolute for
 * an external model's; they are provenance, never followed.
 */
import { z } from 'zod';
import { printable, shownJson } from '../../text.js';
import { isSafeName, SAFE_NAME_RULE } from '../../files/paths.js';
import type { MetricKey } from '../../metrics/index.js';
import { SPLITS, VIEWS } from './layout.js';
import { readCheckedRecord } from './json-records.js';

/** The name our own LSQML reconstructions appear under. */
export const OWN_MODEL = 'LSQML';

/** Metric charts Phase G writes as `charts/<metric>.{svg,png}`, and which direction is better. */
export const CHART_METRICS: { metric: MetricKey; better: 'higher' | 'lower'; logY?: boolean }[] = [
  { metric: 'ms_ssim', better: 'higher' },
  { metric: 'ssim', better: 'higher' },
  { metric: 'mae', better: 'lower' },
  { metric: 'mse', better: 'lower', logY: true },
  { metric: 'psnr', better: 'higher' },
  { metric: 'frc50', better: 'higher' },
  { metric: 'frc1over7', better: 'higher' },
];

export const SUMMARY_SCHEMA_VERSION = '1.0.0';
export const VALUE_KEYS = [
  'registration_offset_dy', 'registration_offset_dx', 'amplitude_scale', 'phase_ramp_x', 'phase_ramp_y',
  'border_px', 'computation_time_s',
] as const;
export type ValueKey = (typeof VALUE_KEYS)[number];

const nnum = z.number().nullable();
const runId = z.string().refine(isSafeName, { error: (iss) => `expected a run id, ${SAFE_NAME_RULE}; found ${shownJson(iss.input)}` });
/** One of `values`; the message names what was found (it names a directory and report images). */
const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (iss) => `expected a ${what}, one of ${values.join(', ')}; found ${shownJson(iss.input)}` });
const view = oneOf(VIEWS, 'view');
const split = oneOf(SPLITS, 'split');
/** The names `--model NAME=…` accepts (and our own, LSQML). */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$/;
const model = z.string().regex(MODEL_NAME, { error: (iss) => `expected a model name of letters, digits, space and ._()+-; found ${shownJson(iss.input)}` });
const PairSchema = z.object({ amplitude: nnum, phase: nnum });
const RegionSchema = z.object({ y0: z.number().int(), y1: z.number().int(), x0: z.number().int(), x1: z.number().int() });

const RowCore = z.object({
  dose: z.number().positive(),
  view,
  split,
  model,
  source: z.enum(['ptychostudy', 'external']),
  status: z.enum(['ok', 'failed', 'missing']),
  error: z.string().nullable(),
  reconstruction: z.string().nullable(),
  ground_truth: z.string().nullable(),
  region: RegionSchema.nullable(),
  compared_shape: z.tuple([z.number().int(), z.number().int()]).nullable(),
  same_frame: z.boolean().nullable(),
  registered_on: z.string().nullable(),
  metrics: z.record(z.string(), PairSchema),
  values: z.record(z.string(), nnum),
  run_id: runId,
  computed_at: z.string(),
  /** For a row no longer current: where its job's files moved (relative to the Phase G root), when they did. */
  archived_to: z.string().nullable().optional(),
});
/** A row without its history: as a job's comparison.json holds it (beside its FRC curves). */
export const SummaryRowCoreSchema = RowCore;
export const SummaryRowSchema = RowCore.extend({ history: z.array(RowCore) });
/** A row no longer current whose model a later run of its job did not compare (or whose job it skipped). */
export const SupersededRowSchema = SummaryRowSchema.extend({ superseded_by: runId.nullable() });
export type SupersededRow = z.infer<typeof SupersededRowSchema>;
export type SummaryRowCore = z.infer<typeof RowCore>;
export type SummaryRow = z.infer<typeof SummaryRowSchema>;

export const SkippedJobSchema = z.object({
  dose: z.number().positive(), view, split, reason: z.string(), run_id: runId,
});
export type SkippedJob = z.infer<typeof SkippedJobSchema>;

export const PhaseGRunSchema = z.object({
  run_id: runId,
  started_at: z.string(),
  finished_at: z.string().nullable(),
  filters: z.object({ dose: z.union([z.number(), z.array(z.number())]).nullable(), view: view.nullable(), split: split.nullable() }),
  models: z.array(z.object({
    name: model, pattern: z.string(),
    // the pattern relative to the output root, when it named the hub's own files (inside the roots compared): what a copied hub compares again
    relative_pattern: z.string().optional(),
  })),
  compared: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  /** Of the jobs compared, those whose files and rows a stopped run left and this run took over (compare/reuse.ts); absent when none. */
  reused: z.number().int().optional(),
  /** The stopped runs they came from (absent when none). */
  reused_from: z.array(runId).optional(),
  snapshot: z.string().refine((v) => /^runs\/[^/]+$/.test(v) && isSafeName(v.slice(5)), { error: (iss) => `expected runs/<run id>; found ${shownJson(iss.input)}` }),
});
export type PhaseGRun = z.infer<typeof PhaseGRunSchema>;

const PhaseCSplitComplianceSchema = z.object({
  npz_path: z.string(), has_metadata: z.boolean(), has_canonical_transform: z.boolean(), compliant: z.boolean(),
  error: z.string().optional(),
});
/** Per `dose_<D>` and split (study/compare/phase-c-compliance.ts), or `{ error }` without a Phase C root. */
export const PhaseCComplianceSchema = z.union([
  z.object({ error: z.string() }).strict(),
  z.record(z.string().regex(/^dose_\d+$/), z.record(split, PhaseCSplitComplianceSchema)),
]);

export const MetricsSummarySchema = z.object({
  schema_version: z.literal(SUMMARY_SCHEMA_VERSION),
  generated_at: z.string(),
  n_jobs: z.number().int(),
  n_success: z.number().int(),
  n_failed: z.number().int(),
  n_skipped: z.number().int(),
  models: z.array(model),
  rows: z.array(SummaryRowSchema),
  jobs: z.array(z.object({
    dose: z.number(), view, split,
    metrics: z.array(z.object({ model: z.string(), metric: z.string(), amplitude: nnum.optional(), phase: nnum.optional(), value: nnum.optional() })),
  })),
  aggregate_metrics: z.record(z.string(), z.record(z.string(), z.record(z.string(), nnum))),
  skipped_jobs: z.array(SkippedJobSchema),
  /** Rows of jobs a later run compared without their model, or skipped (absent in summaries written before). */
  superseded_rows: z.array(SupersededRowSchema).optional(),
  runs: z.array(PhaseGRunSchema),
  definitions: z.record(z.string(), z.string()),
  /** Phase C `_metadata` compliance as of the latest run (absent in summaries written before). */
  phase_c_metadata_compliance: PhaseCComplianceSchema.optional(),
});
export type MetricsSummary = z.infer<typeof MetricsSummarySchema>;

/** The summary at `path`; null when there is none; an InputError when it is not a valid summary. */
export function readMetricsSummary(path: string): MetricsSummary | null {
  return readCheckedRecord(path, MetricsSummarySchema, {
    cannotRead: (err) => `cannot read: ${err.message}`,
    notJson: (why) => `not valid JSON (${why}); it was left untouched — move it away to start a new summary`,
    mismatch: (key, why) => `key '${printable(key.join('.')) || '(top level)'}' does not match the metrics summary schema: ${why}; it was left untouched`,
  });
}

const LABEL: Record<MetricKey, string> = {
  mae: 'MAE', mse: 'MSE', psnr: 'PSNR (dB)', psnr_255: 'PSNR peak 255 (dB)', ssim: 'SSIM', ms_ssim: 'MS-SSIM', frc50: 'FRC50', frc1over7: 'FRC1/7',
};
export function metricLabel(m: MetricKey): string {
  return LABEL[m];
}

/** The unit of a metric's phase value where it has one (an amplitude's has none: the object's transmission |O|). */
export const PHASE_UNIT: Partial<Record<MetricKey, string>> = { mae: 'rad', mse: 'rad²' };

/**
 * A metric of a row as a number: the JSON's null is +∞ for the PSNR of a component whose MSE is 0 (identical
 * images; JSON has no infinity), and stays null (not computable) otherwise.
 */
export function metricValue(r: SummaryRowCore, m: MetricKey, component: 'amplitude' | 'phase'): number | null {
  const v = r.metrics[m]?.[component] ?? null;
  return v === null && m === 'psnr' && r.status === 'ok' && r.metrics.mse?.[component] === 0 ? Infinity : v;
}

/**
 * Which jobs a model's `aggregate_metrics` average, in words, for the tables that show them: its rows scored
 * against the ground truth (status ok, a row scored with a warning among them: its unregistered image counts),
 * every dose, view and split together; the jobs of the model's grid that were not scored (failed, missing, or
 * skipped before any model was compared) are left out, and so, metric by metric, is a value that is not a number
 * (a metric a job could not compute, an infinite PSNR). E.g. "18 scored jobs of 3 doses × 3 views × 2 splits
 * (18 jobs); 1 of them scored with a warning (its unregistered image counted)".
 */
export function aggregateScope(s: Pick<MetricsSummary, 'rows' | 'skipped_jobs'>, model: string): string {
  const mine = s.rows.filter((r) => r.model === model);
  const jobs = [...mine, ...s.skipped_jobs];
  const key = (j: { dose: number; view: string; split: string }): string => `${j.dose}|${j.view}|${j.split}`;
  const count = (f: (j: { dose: number; view: string; split: string }) => unknown): number => new Set(jobs.map(f)).size;
  const [doses, views, splits, all] = [count((j) => j.dose), count((j) => j.view), count((j) => j.split), count(key)];
  const ok = mine.filter((r) => r.status === 'ok');
  const warned = ok.filter((r) => r.error).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [`${plural(ok.length, 'scored job')} of ${plural(doses, 'dose')} × ${plural(views, 'view')} × ${plural(splits, 'split')} (${plural(all, 'job')})`];
  if (warned) parts.push(`${warned} of them scored with a warning (its unregistered image counted)`);
  if (all > ok.length) parts.push(`${all - ok.length} not scored (failed or skipped) left out`);
  const fewer: string[] = [];
  for (const m of Object.keys(LABEL) as MetricKey[]) {
    for (const c of ['amplitude', 'phase'] as const) {
      const n = ok.filter((r) => typeof r.metrics[m]?.[c] === 'number').length;
      if (n < ok.length) fewer.push(`${LABEL[m]} ${c} over ${n}`);
    }
  }
  if (fewer.length) parts.push(`a value that is not a number (not computable, or an infinite PSNR) left out: ${fewer.join(', ')}`);
  return parts.join('; ');
}

/** The metrics whose values are FRC ring indices, each on its own row's compared square. */
export const FRC_METRICS = ['frc50', 'frc1over7'] as const;
export type FrcMetric = (typeof FRC_METRICS)[number];

/** Whether metric `m` is an FRC threshold crossing (a ring index on its row's own compared square). */
export function isFrcMetric(m: MetricKey): m is FrcMetric {
  return (FRC_METRICS as readonly string[]).includes(m);
}

/** Side n of the square a row's FRC was computed on (the smaller side of its compared region); null when not recorded. */
export function frcSide(r: Pick<SummaryRowCore, 'compared_shape'>): number | null {
  const s = r.compared_shape;
  return s !== null && s[0] > 0 && s[1] > 0 ? Math.min(s[0], s[1]) : null;
}

/**
 * A row's FRC threshold crossing as a spatial frequency: its ring index over the side n of its compared square
 * (ring r is r/n cycles per pixel), at most Nyquist (0.5: a curve that stays above up to Nyquist is pixel-limited,
 * as the report's Resolution section counts it); null when the value or n is missing.
 */
export function frcCyclesPerPixel(r: SummaryRowCore, m: FrcMetric, component: 'amplitude' | 'phase'): number | null {
  return frcFrequency(r, m, component)?.cyclesPerPixel ?? null;
}

/** Nyquist, in cycles per pixel: the highest frequency a pixel grid holds (a period of 2 pixels). */
export const NYQUIST_CYCLES_PER_PIXEL = 0.5;

/**
 * A row's FRC threshold crossing as a spatial frequency f = min(ring / n, Nyquist) on its compared square of side n
 * (`frcSide`), and whether the cap applied (ring / n at or beyond Nyquist: only the corner rings remain there, and
 * the curve stayed above up to Nyquist); null when the value or n is missing.
 */
export function frcFrequency(r: Pick<SummaryRowCore, 'compared_shape' | 'metrics'>, m: FrcMetric, component: 'amplitude' | 'phase'): { cyclesPerPixel: number; nyquist: boolean } | null {
  const ring = r.metrics[m]?.[component];
  const n = frcSide(r);
  if (typeof ring !== 'number' || !Number.isFinite(ring) || n === null) return null;
  const f = ring / n;
  return f >= NYQUIST_CYCLES_PER_PIXEL ? { cyclesPerPixel: NYQUIST_CYCLES_PER_PIXEL, nyquist: true } : { cyclesPerPixel: f, nyquist: false };
}

/**
 * The half-period resolution 1/(2f) in pixels of a row's FRC crossing (`frcFrequency`): 1 px at Nyquist (`nyquist`:
 * the resolution is at most one pixel, pixel-limited); `belowAtRingZero` when the curve was below the threshold at
 * ring 0 (f = 0: no resolution); null when the value or the side n is missing (or the ring is negative).
 */
export function frcHalfPeriodPx(r: Pick<SummaryRowCore, 'compared_shape' | 'metrics'>, m: FrcMetric, component: 'amplitude' | 'phase'): { px: number; nyquist: boolean } | 'belowAtRingZero' | null {
  const f = frcFrequency(r, m, component);
  if (f === null || f.cyclesPerPixel < 0) return null;
  if (f.cyclesPerPixel === 0) return 'belowAtRingZero';
  return { px: 1 / (2 * f.cyclesPerPixel), nyquist: f.nyquist };
}

/** The mean of an FRC metric over rows, on a common frequency axis. */
export interface FrcMean {
  /** Mean of ring / n (cycles per pixel, each at most 0.5) over the rows with a value and a recorded square; null when none. */
  cyclesPerPixel: number | null;
  /**
   * Mean of the ring indices themselves: only when every row with a value has a square of the same recorded side
   * (then a ring is one frequency for all of them); null when the sides differ, one is not recorded, or no row has a value.
   */
  ring: number | null;
  /** The distinct sides n of the rows with a value, ascending (several: a mean of rings would mix frequencies). */
  sides: number[];
  /** Rows whose value went into `cyclesPerPixel`. */
  count: number;
}

/**
 * The mean of FRC metric `m` (component `component`) over `rows` (the caller picks them: a model's scored rows).
 * Ring k of an n × n square is k/n cycles per pixel, so ring indices of squares of different sides are different
 * frequencies: they are averaged as frequencies (`cyclesPerPixel`), and as rings only where the sides agree.
 */
export function frcMean(rows: readonly SummaryRowCore[], m: FrcMetric, component: 'amplitude' | 'phase'): FrcMean {
  const valued = rows.filter((r) => typeof r.metrics[m]?.[component] === 'number' && Number.isFinite(r.metrics[m]![component]));
  const freqs = valued.map((r) => frcCyclesPerPixel(r, m, component)).filter((v): v is number => v !== null);
  const sides = valued.map(frcSide);
  const distinct = [...new Set(sides.filter((n): n is number => n !== null))].sort((a, b) => a - b);
  const oneSide = valued.length > 0 && distinct.length === 1 && sides.every((n) => n !== null);
  const mean = (v: readonly number[]): number | null => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  return {
    cyclesPerPixel: mean(freqs),
    ring: oneSide ? mean(valued.map((r) => r.metrics[m]![component] as number)) : null,
    sides: distinct,
    count: freqs.length,
  };
}

/**
 * How the FRC means of `rows` (a model's scored rows) are taken, in words, for the tables that show them: e.g. "the
 * compared squares differ (n = 86 to 156 px), so a ring index is not the same frequency in every job and rings are
 * not averaged: each job's ring is divided by its square's side n (…) and these frequencies are averaged".
 */
export function frcMeansNote(rows: readonly SummaryRowCore[]): string {
  const sides = [...new Set(FRC_METRICS.flatMap((m) => (['amplitude', 'phase'] as const).flatMap((c) => frcMean(rows, m, c).sides)))].sort((x, y) => x - y);
  const freq = 'each job\'s ring is divided by the side n of its compared square (ring r is r/n cycles per pixel; at most 0.5, Nyquist; the half period is 1/(2f) pixels) and these frequencies are averaged';
  if (sides.length > 1) return `the compared squares differ (n = ${sides[0]} to ${sides[sides.length - 1]} px), so a ring index is not the same frequency in every job and rings are not averaged: ${freq}`;
  return sides.length === 1 ? `every compared square is ${sides[0]} px, so a ring is one frequency in every job; ${freq}` : freq;
}
