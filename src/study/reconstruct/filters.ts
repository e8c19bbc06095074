/**
 * Job filters, applied in the order dose → view → split → gridsize. Every job that is not selected is
 * recorded once, with the first filter that excluded it, using the reference study's reason strings.
 */
import { UsageError } from '../../errors.js';
import { gridsizeOf, jobKey, SPLITS, VIEWS, type Split, type View } from '../hub/layout.js';
import type { ReconstructionJob } from './jobs.js';

export interface JobFilters {
  /** One dose, or several (the jobs of any of them). */
  dose: number | number[] | null;
  view: View | null;
  split: Split | null;
  gridsize: number | null;
}

export const NO_FILTERS: JobFilters = { dose: null, view: null, split: null, gridsize: null };

export interface FilterSkip {
  dose: number;
  view: View;
  split: Split;
  reason: string;
}

/** Python's `repr(float(x))`, which the reference's reason strings use (1000 → "1000.0", 1e-5 → "1e-05"). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const ax = Math.abs(x);
  if (ax !== 0 && (ax >= 1e16 || ax < 1e-4)) {
    // shortest round-trip digits in exponent form, exponent with at least two digits
    const [mant, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/**
 * Checks filter values against the matrix: an unknown view/split or a gridsize other than 1 or 2 is a
 * usage error (the reference silently ignored a bad gridsize); a dose that is not one of the study's doses
 * is a usage error too, rather than a run that selects nothing.
 */
export function validateFilters(f: JobFilters, doses: readonly number[]): void {
  if (f.view !== null && !(VIEWS as readonly string[]).includes(f.view)) {
    throw new UsageError(`\`filters.view\` ${f.view}: expected one of ${VIEWS.join(', ')}`);
  }
  if (f.split !== null && !(SPLITS as readonly string[]).includes(f.split)) {
    throw new UsageError(`\`filters.split\` ${f.split}: expected one of ${SPLITS.join(', ')}`);
  }
  if (f.gridsize !== null && f.gridsize !== 1 && f.gridsize !== 2) {
    throw new UsageError(`\`filters.gridsize\` ${f.gridsize}: expected 1 (baseline) or 2 (dense and sparse)`);
  }
  for (const d of doseList(f)) {
    if (!doses.includes(d)) throw new UsageError(`\`filters.dose\` ${pyFloat(d)}: not one of the study's doses (${doses.map((x) => pyFloat(x)).join(', ')})`);
  }
}

/** The doses a filter names (empty: not filtered by dose). */
export function doseList(f: Pick<JobFilters, 'dose'>): number[] {
  return f.dose === null ? [] : Array.isArray(f.dose) ? f.dose : [f.dose];
}

export interface FilterResult {
  selected: ReconstructionJob[];
  skipped: FilterSkip[];
}

/** Applies the filters in order; `skipped` lists each excluded job once, with the first filter that excluded it. */
export function applyFilters(jobs: readonly ReconstructionJob[], f: JobFilters): FilterResult {
  const stages: Array<[boolean, (j: ReconstructionJob) => boolean, string]> = [
    [f.dose !== null, (j) => doseList(f).includes(j.dose), `dose filter (requested: ${doseList(f).map(pyFloat).join(', ')})`],
    [f.view !== null, (j) => j.view === f.view, `view filter (requested: ${f.view})`],
    [f.split !== null, (j) => j.split === f.split, `split filter (requested: ${f.split})`],
    [f.gridsize !== null, (j) => gridsizeOf(j.view) === f.gridsize, `gridsize filter (requested: ${f.gridsize})`],
  ];
  let selected = [...jobs];
  const skipped: FilterSkip[] = [];
  const recorded = new Set<string>();
  for (const [active, keep, reason] of stages) {
    if (!active) continue;
    selected = selected.filter(keep);
    for (const j of jobs) {
      if (keep(j)) continue;
      const k = jobKey(j);
      if (recorded.has(k)) continue;
      recorded.add(k);
      skipped.push({ dose: j.dose, view: j.view, split: j.split, reason });
    }
  }
  return { selected, skipped };
}

/** Whether the filters keep the job at (dose, view, split), whether or not its input exists. */
export function keptByFilters(j: { dose: number; view: View; split: Split }, f: JobFilters): boolean {
  return (f.dose === null || doseList(f).includes(j.dose)) && (f.view === null || j.view === f.view)
    && (f.split === null || j.split === f.split) && (f.gridsize === null || gridsizeOf(j.view) === f.gridsize);
}

/** Short label of the filters for directory names: `dose1000-dense-train`, or `all`. */
export function filterLabel(f: JobFilters): string {
  const parts: string[] = [];
  if (f.dose !== null) parts.push(`dose${doseList(f).map((d) => String(d).replace(/[^0-9a-zA-Z.+-]/g, '')).join('+')}`);
  if (f.view !== null) parts.push(f.view);
  if (f.split !== null) parts.push(f.split);
  if (f.gridsize !== null) parts.push(`gs${f.gridsize}`);
  return parts.length > 0 ? parts.join('-') : 'all';
}
