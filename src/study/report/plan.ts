/**
 * Report plan: what the report reads from a hub once — design.json, run.json, the doses found, the jobs
 * (every dose × view × split with a Phase F directory or a Phase G row), Phase G's metrics summary, Phase
 * F's manifest and skip summary (each a value, or why it is not available), and the object pixel size
 * when every reconstruction states the same one. A file that is absent becomes a "not available" note (a partial hub still
 * gets a report); one that is present but broken (not readable, not valid JSON, not what it should be) is an
 * `InputError` naming it, thrown before anything is written, so a good report is never replaced by one that
 * silently lacks that file's part.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { brokenRecord, readJsonRecord } from '../../files/json-record.js';
import { join } from 'node:path';
import { objectPixelSizeM } from '../../report/scalebar.js';
import { compareJobs, dosesUnder, HUB, hubRoots, jobDir, PHASE_F, PHASE_G, REPORT, SPLITS, VIEWS, type JobAddress } from '../hub/layout.js';
import { readReconstructionGeometry, readReconstructionMaskRecord } from '../hub/reconstruction-arrays.js';
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
  /** Every job with a Phase F directory or a Phase G summary row, in the canonical order. */
  jobs: JobAddress[];
  /** Object pixel size [y, x] in metres, when every reconstruction's `_metadata.geometry` states the same one. */
  pixelSizeM: [number, number] | null;
  /** Whether the reconstructions state different pixel sizes (or some state none): lengths are then in pixels. */
  pixelSizesDiffer: boolean;
  /** `_metadata.detector_mask` of each reconstruction that records one (measured data read from CXI or .ptyd). */
  detectorMasks: Record<string, unknown>[];
  /** Reconstructions (reconstruction.npz) found. */
  reconstructions: number;
}

/** The JSON file at `path`: null when absent, its value, or an `InputError` naming it when present but broken. */
export function readJsonFile(path: string): JsonRead {
  return readJsonRecord(path, REPORT_NOT_WRITTEN);
}

const REPORT_NOT_WRITTEN = 'the report was not written (an earlier report is kept) — repair the file or remove it';

function brokenInput(path: string, why: string): InputError {
  return brokenRecord(path, why, REPORT_NOT_WRITTEN);
}

/** A hub file's reader's result; its error as an `InputError` naming the file (readers name it already, most of them). */
function present<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    const message = (err as Error).message;
    throw brokenInput(path, message.startsWith(path) ? message.slice(path.length).replace(/^:\s*/, '') : message);
  }
}

function attempt<T>(fn: () => T): { value: T | null; error: string | null } {
  try {
    return { value: fn(), error: null };
  } catch (err) {
    return { value: null, error: (err as Error).message };
  }
}

/** `shownRun`: the run record the page shows instead of the hub's run.json (`run` shows its state as it will be once the report is in place). */
export function planReport(hub: string, shownRun?: unknown): ReportPlan {
  const roots = hubRoots(hub);
  const outDir = roots.report;
  const summaryPath = join(roots.g, PHASE_G.summaryJson);
  const manifestPath = join(roots.f, PHASE_F.manifest);
  const skipPath = join(roots.f, PHASE_F.skipSummary);
  const summary = { value: present(summaryPath, () => readMetricsSummary(summaryPath)), error: null };
  const manifest = { value: present(manifestPath, () => readManifest(manifestPath)), error: null };
  const skip = { value: present(skipPath, () => readSkipSummary(skipPath)), error: null };
  const found = new Map<string, JobAddress>();
  for (const r of summary.value?.rows ?? []) found.set(`${r.dose}|${r.view}|${r.split}`, { dose: r.dose, view: r.view, split: r.split });
  for (const dose of dosesUnder(roots.f)) for (const view of VIEWS) for (const split of SPLITS) {
    if (existsSync(jobDir(roots.f, { dose, view, split }))) found.set(`${dose}|${view}|${split}`, { dose, view, split });
  }
  const jobs = [...found.values()].sort(compareJobs);
  // one pixel size for every figure: only when every reconstruction states the same one (a hub holding
  // reconstructions of different data keeps its lengths in pixels rather than mislabel some of them)
  const sizes = new Map<string, [number, number] | null>();
  const detectorMasks: Record<string, unknown>[] = [];
  let reconstructions = 0;
  for (const j of jobs) {
    const npz = join(jobDir(roots.f, j), PHASE_F.reconstruction);
    if (!existsSync(npz)) continue;
    reconstructions++;
    const p = attempt(() => objectPixelSizeM(readReconstructionGeometry(npz))).value;
    sizes.set(p ? p.join(' ') : 'none', p);
    const m = attempt(() => readReconstructionMaskRecord(npz)).value;
    if (m) detectorMasks.push(m);
  }
  const pixelSizeM = sizes.size === 1 ? [...sizes.values()][0]! : null;
  const pixelSizesDiffer = sizes.size > 1;
  return {
    hub, roots, outDir, jobs, pixelSizeM, pixelSizesDiffer, detectorMasks, reconstructions, imgDir: join(outDir, REPORT.images),
    design: readJsonFile(join(hub, HUB.design)),
    run: shownRun !== undefined ? { value: shownRun } : readJsonFile(join(hub, HUB.runState)),
    doses: [...new Set([...dosesUnder(roots.c), ...dosesUnder(roots.f)])].sort((a, b) => a - b),
    summary: summary.value, summaryError: summary.error,
    manifest: manifest.value, manifestError: manifest.error,
    skipSummary: skip.value, skipSummaryError: skip.error,
  };
}
