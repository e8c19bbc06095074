/**
 * Phase D jobs: one dose each — read both Phase C splits, build every view, write each view's NPZ and
 * metrics files (atomically) and the view's bundle. A dose whose Phase C files cannot be read or are not
 * valid fails alone: its result says why, and the other doses go on.
 */
import { join } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { exists, writeJsonAtomic } from '../../files/atomic.js';
import { recordPath } from '../../files/paths.js';
import { saveNpz } from '../../npy/npz.js';
import type { SelectionStrategy } from '../../geometry/spacing.js';
import { doseDirName, PHASE_C, phaseDViewFiles, SPLITS, type Split } from '../hub/layout.js';
import { yieldToEventLoop } from '../phase.js';
import { doseLabel } from '../../report/ticks.js';
import type { OverlapJob, OverlapPlan, OverlapProgress } from './plan.js';
import { buildView, inputMetrics, loadPhaseCSplit, metricsSettings, type PhaseCSplit, type ViewRequest } from './view.js';

export interface ViewSplitSummary {
  file: string;
  metrics: string;
  n_positions: number;
  n_accepted: number;
  selection_strategy: SelectionStrategy;
  spacing_threshold: number;
  insufficient_positions: boolean;
}

/** The result of one job (one dose). */
export interface DoseSummary {
  dose: number;
  dir: string;
  status: 'ok' | 'failed';
  error?: string;
  /** The failed file operation's error code (`ENOSPC` for a full disk), when it had one; not recorded in the manifest. */
  code?: string;
  views: Record<string, { metrics_bundle: string; splits: Record<string, ViewSplitSummary> }>;
}

/**
 * The positions each view kept, per dose, as a run records and prints Phase D's outcome (run.json's phase detail):
 * `dense@1e3: 55+55, sparse@1e3: 10+12; dense@1e4: …` (train+test; the dose as the report writes one).
 */
export function keptPositionsText(doses: readonly DoseSummary[]): string {
  return doses.map((d) => Object.entries(d.views).map(([v, x]) =>
    `${v}@${doseLabel(d.dose)}: ${Object.values(x.splits).map((s) => s.n_accepted).join('+')}`).join(', ')).join('; ');
}

/** Runs the `jobs` (doses) of the plan in order; yields each dose's summary when its files are written. */
export async function* overlapDoses(plan: OverlapPlan, jobs: readonly OverlapJob[],
  onProgress: (p: OverlapProgress) => void): AsyncGenerator<DoseSummary> {
  const perDose = plan.views.length * SPLITS.length;
  const total = jobs.length * perDose;
  let done = 0;
  const report = (p: Omit<OverlapProgress, 'done' | 'total'>): void => onProgress({ ...p, done, total });
  for (const [d, { dose, dir }] of jobs.entries()) {
    const entry: DoseSummary = { dose, dir, status: 'ok', views: {} };
    try {
      const splits = {} as Record<Split, PhaseCSplit & { file: string; input?: Record<string, unknown> }>;
      for (const split of SPLITS) {
        const file = join(dir, PHASE_C.split(split));
        if (!exists(file)) throw new InputError(`${file} is missing`);
        splits[split] = { ...loadPhaseCSplit(file), file };
        const s = splits[split];
        report({ dose, split, message: `${doseDirName(dose)} ${split}: ${s.x.length} positions, N = ${s.patchSize}, parent metadata ${s.parent.status}` });
        for (const w of s.warnings ?? []) report({ dose, split, message: `warning: ${w}` });
        await yieldToEventLoop();
      }
      for (const view of plan.views) {
        const paths = phaseDViewFiles(plan.outputRoot, dose, view);
        const bundle: Record<string, unknown> = {};
        const viewEntry: DoseSummary['views'][string] = { metrics_bundle: paths.bundle, splits: {} };
        for (const split of SPLITS) {
          const src = splits[split];
          const req: ViewRequest = {
            // relative to the Phase D root: the NPZ holds no absolute path (same inputs, same bytes, wherever the hub is)
            view, overlapFraction: plan.fractions[view]!, split, seed: plan.seed, order: plan.order, sourceFile: recordPath(plan.outputRoot, src.file), dose,
            probeDiameterPx: plan.probeDiameterPx ?? undefined, neighborCount: plan.neighborCount,
          };
          const settings = metricsSettings(src, req);
          src.input ??= inputMetrics(src, settings.diameter, settings.neighbours);
          const r = buildView(src, req, src.input);
          saveNpz(paths.npz[split], r.arrays, { compress: true, beforeRename: plan.earlier?.beforeRename });
          writeJsonAtomic(paths.metrics[split], r.metrics, plan.earlier?.beforeRename);
          bundle[split] = r.metrics;
          const m = r.metadata;
          viewEntry.splits[split] = {
            file: paths.npz[split], metrics: paths.metrics[split], n_positions: m['n_positions'] as number,
            n_accepted: m['n_accepted'] as number, selection_strategy: m['selection_strategy'] as SelectionStrategy,
            spacing_threshold: m['spacing_threshold'] as number, insufficient_positions: m['insufficient_positions'] as boolean,
          };
          done++;
          report({
            dose, view, split,
            message: `${doseDirName(dose)} ${view} ${split}: kept ${m['n_accepted']} of ${m['n_positions']} (${m['selection_strategy']}, S = ${+(m['spacing_threshold'] as number).toFixed(4)} px)` +
              (m['insufficient_positions'] ? ' — insufficient positions' : ''),
          });
          await yieldToEventLoop();
        }
        writeJsonAtomic(paths.bundle, bundle, plan.earlier?.beforeRename);
        entry.views[view] = viewEntry;
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      entry.status = 'failed';
      entry.error = err instanceof Error ? err.message : String(err);
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (typeof code === 'string') entry.code = code;
      done = (d + 1) * perDose;
      report({ dose, message: `${doseDirName(dose)} failed: ${entry.error}` });
    }
    yield entry;
  }
}
