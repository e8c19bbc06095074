/**
 * The end-of-run table: for each dose × view (test split preferred, our own LSQML model), the phase
 * and amplitude MS-SSIM and the phase FRC50, read from Phase G's metrics_summary.json. The FRC50 column is a
 * spatial frequency in cycles per pixel (the row's ring over the side n of its compared square, `frcCyclesPerPixel`):
 * the views' squares differ in side, so their ring indices are not one axis. A job Phase G
 * skipped (its reconstruction failed or is missing) is a row too, "not scored", with the reason under
 * the table.
 */
import { join } from 'node:path';
import { PHASE_G, VIEWS } from '../hub/layout.js';
import { frcCyclesPerPixel, OWN_MODEL, readMetricsSummary } from '../hub/metrics-summary.js';

export interface SummaryTableRow {
  dose: number;
  view: string;
  split: string;
  status: string;
  ms_ssim_phase: number | null;
  ms_ssim_amplitude: number | null;
  /** The phase FRC50 as recorded: a ring index of the job's own compared square. */
  frc50_phase: number | null;
  /** The same in cycles per pixel (ring / n, at most Nyquist 0.5): comparable between rows; null when n is not recorded. */
  frc50_phase_cycles_per_pixel: number | null;
  /** Why a job was not scored (status "not scored"). */
  reason?: string;
}

/** The status of a row of a job Phase G skipped. */
export const NOT_SCORED = 'not scored';

function fmt(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** Rows of the table and its text form; an empty table (with a note) when Phase G wrote nothing. */
export function summaryTable(phaseGRoot: string, split = 'test'): { rows: SummaryTableRow[]; text: string } {
  const summary = readMetricsSummary(join(phaseGRoot, PHASE_G.summaryJson));
  if (summary === null) return { rows: [], text: '(no metrics summary was written)' };
  const rows: SummaryTableRow[] = summary.rows
    .filter((r) => r.model === OWN_MODEL && r.split === split)
    .map((r): SummaryTableRow => ({
      dose: r.dose, view: r.view, split: r.split, status: r.status,
      ms_ssim_phase: r.metrics['ms_ssim']?.phase ?? null,
      ms_ssim_amplitude: r.metrics['ms_ssim']?.amplitude ?? null,
      frc50_phase: r.metrics['frc50']?.phase ?? null,
      frc50_phase_cycles_per_pixel: frcCyclesPerPixel(r, 'frc50', 'phase'),
    }))
    .concat(summary.skipped_jobs.filter((j) => j.split === split).map((j) => ({
      dose: j.dose, view: j.view, split: j.split, status: NOT_SCORED,
      ms_ssim_phase: null, ms_ssim_amplitude: null, frc50_phase: null, frc50_phase_cycles_per_pixel: null, reason: j.reason,
    })))
    .sort((a, b) => a.dose - b.dose || (VIEWS as readonly string[]).indexOf(a.view) - (VIEWS as readonly string[]).indexOf(b.view));
  // frc50 is recorded as a ring index of each job's own square; shown as ring / n, one axis for every view
  const header = ['dose', 'view', 'MS-SSIM phase', 'MS-SSIM amplitude', 'FRC50 phase (cycles/px)'];
  const body = rows.map((r) => [String(r.dose), r.view, r.status === 'ok' ? fmt(r.ms_ssim_phase, 3) : r.status,
    r.status === 'ok' ? fmt(r.ms_ssim_amplitude, 3) : '', r.status === 'ok' ? fmt(r.frc50_phase_cycles_per_pixel, 3) : '']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const notes = rows.filter((r) => r.reason !== undefined).map((r) => `${NOT_SCORED}: dose ${r.dose} ${r.view} — ${r.reason}`);
  const legend = rows.some((r) => r.status === 'ok')
    ? ['FRC50: the spatial frequency where the phase FRC falls below 0.5, in cycles per pixel (the ring of the compared n×n square over n, at most 0.5, Nyquist; the half period is 1/(2f) px; docs/metrics.md)'] : [];
  const text = [`${split} split, model ${OWN_MODEL}:`, line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line), ...legend, ...notes].join('\n');
  return { rows, text };
}
