/**
 * Report plan: everything the report reads from a hub, read once — design.json, run.json, the doses found,
 * Phase G's metrics summary and Phase F's manifest and skip summary (each a value, or why it is not
 * available). Reading never fails the report: a missing or broken file becomes a "not available" note.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dosesUnder, HUB, hubRoots, PHASE_F, PHASE_G, REPORT } from '../hub/layout.js';
import { readMetricsSummary, type MetricsSummary } from '../hub/metrics-summary.js';
import { readManifest, readSkipSummary, type Manifest, type SkipSummary } from '../hub/reconstruction-files.js';

export type JsonRead = { value: unknown } | { error: string } | null;

export interface ReportPlan {
  hub: string;
  roots: ReturnType<typeof hubRoots>;
  /** `<hub>/report/` and its image directory. */
  outDir: string;
  imgDir: string;
  design: JsonRead;
  run: JsonRead;
  /** Doses of the Phase C and Phase F dose directories. */
  doses: number[];
  summary: MetricsSummary | null;
  summaryError: string | null;
  manifest: Manifest | null;
  manifestError: string | null;
  skipSummary: SkipSummary | null;
  skipSummaryError: string | null;
}

export function readJsonFile(path: string): JsonRead {
  if (!existsSync(path)) return null;
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function attempt<T>(fn: () => T): { value: T | null; error: string | null } {
  try {
    return { value: fn(), error: null };
  } catch (err) {
    return { value: null, error: (err as Error).message };
  }
}

export function planReport(hub: string): ReportPlan {
  const roots = hubRoots(hub);
  const outDir = roots.report;
  const summary = attempt(() => readMetricsSummary(join(roots.g, PHASE_G.summaryJson)));
  const manifest = attempt(() => readManifest(join(roots.f, PHASE_F.manifest)));
  const skip = attempt(() => readSkipSummary(join(roots.f, PHASE_F.skipSummary)));
  return {
    hub, roots, outDir, imgDir: join(outDir, REPORT.images),
    design: readJsonFile(join(hub, HUB.design)),
    run: readJsonFile(join(hub, HUB.runState)),
    doses: [...new Set([...dosesUnder(roots.c), ...dosesUnder(roots.f)])].sort((a, b) => a - b),
    summary: summary.value, summaryError: summary.error,
    manifest: manifest.value, manifestError: manifest.error,
    skipSummary: skip.value, skipSummaryError: skip.error,
  };
}
