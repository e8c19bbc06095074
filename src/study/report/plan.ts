/**
 * Report plan: what the report reads from a hub once — design.json, run.json, the doses found, the jobs
 * (every dose × view × split with a Phase F directory or a Phase G row), Phase G's metrics summary, Phase
 * F's manifest and skip summary (each a value, or why it is not available), the object pixel size
 * when every reconstruction states the same one, and what the sections show of each reconstruction.npz, read from
 * one opening of the file (reconstruction-reads.ts). A file that is absent becomes a "not available" note (a partial hub still
 * gets a report); one that is there but broken (not a regular file, too large, not valid JSON, not what it should be)
 * is listed in `broken` with the reason: the page names it in its "Broken evidence" section, marks its part "Broken",
 * and `report` exits 1 — the rest of the evidence is still shown, and the broken file is never taken for an absent one.
 */
import { existsSync } from 'node:fs';
import { readJsonRecord } from '../../files/json-record.js';
import { join } from 'node:path';
import { objectPixelSizeM } from '../../report/scalebar.js';
import { compareJobs, dosesUnder, HUB, hubRoots, jobDir, PHASE_F, PHASE_G, REPORT, SPLITS, VIEWS, type JobAddress } from '../hub/layout.js';
import { readMetricsSummary, type MetricsSummary } from '../hub/metrics-summary.js';
import { readManifest, readSkipSummary, type Manifest, type SkipSummary } from '../hub/reconstruction-files.js';
import { partValue, readReconstructionParts, type ReconstructionReads } from './reconstruction-reads.js';
import { addBroken, present, type BrokenFile } from './sections.js';

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
  /** The split whose reconstructed probes the page draws: train, or test when no job is of the train split. */
  probeSplit: string;
  /** What the sections show of each job's reconstruction.npz that was there, by its path (`reconstructionParts`). */
  reads: Map<string, ReconstructionReads>;
  /** Files of the hub that are there but could not be read (summary, manifests, design.json, run.json, reconstructions), with why. */
  broken: BrokenFile[];
}

/** The JSON file at `path`: null when absent, its value, or `{ error }` (the file added to `broken`) when there but broken. */
function readJsonFile(path: string, broken: BrokenFile[]): JsonRead {
  try {
    return readJsonRecord(path);
  } catch (err) {
    return { error: addBroken(broken, path, err) };
  }
}

/** A hub file's reader's result (null when absent), or null with the file added to `broken` when it is there but broken. */
function readOrBroken<T>(path: string, read: () => T | null, broken: BrokenFile[]): { value: T | null; error: string | null } {
  try {
    return { value: read(), error: null };
  } catch (err) {
    return { value: null, error: addBroken(broken, path, err) };
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
  const broken: BrokenFile[] = [];
  const summary = readOrBroken(summaryPath, () => readMetricsSummary(summaryPath), broken);
  const manifest = readOrBroken(manifestPath, () => readManifest(manifestPath), broken);
  const skip = readOrBroken(skipPath, () => readSkipSummary(skipPath), broken);
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
  const probeSplit = jobs.some((j) => j.split === 'train') ? 'train' : 'test';
  const reads = new Map<string, ReconstructionReads>();
  for (const j of jobs) {
    const npz = join(jobDir(roots.f, j), PHASE_F.reconstruction);
    if (!present(npz)) continue;
    const parts = readReconstructionParts(npz, j.split === probeSplit);
    reads.set(npz, parts);
    // a broken reconstruction (a directory, a truncated file) is listed as broken and states no pixel size
    const geometry = readOrBroken(npz, () => partValue(parts.geometry), broken);
    if (geometry.error !== null) continue;
    reconstructions++;
    const p = attempt(() => objectPixelSizeM(geometry.value)).value;
    sizes.set(p ? p.join(' ') : 'none', p);
    const m = readOrBroken(npz, () => partValue(parts.maskRecord), broken).value;
    if (m) detectorMasks.push(m);
  }
  const pixelSizeM = sizes.size === 1 ? [...sizes.values()][0]! : null;
  const pixelSizesDiffer = sizes.size > 1;
  return {
    hub, roots, outDir, jobs, pixelSizeM, pixelSizesDiffer, detectorMasks, reconstructions, probeSplit, reads, imgDir: join(outDir, REPORT.images),
    design: readJsonFile(join(hub, HUB.design), broken),
    run: shownRun !== undefined ? { value: shownRun } : readJsonFile(join(hub, HUB.runState), broken),
    doses: [...new Set([...dosesUnder(roots.c), ...dosesUnder(roots.f)])].sort((a, b) => a - b),
    summary: summary.value, summaryError: summary.error,
    manifest: manifest.value, manifestError: manifest.error,
    skipSummary: skip.value, skipSummaryError: skip.error, broken,
  };
}

/**
 * The parts of the reconstruction at `npz` (a job's reconstruction.npz) as the plan read them; read now (once more)
 * when the plan did not (the file was not there then, or the part is a probe of another split).
 */
export function reconstructionParts(plan: ReportPlan, npz: string, withProbe = false): ReconstructionReads {
  const read = plan.reads.get(npz);
  return read !== undefined && (!withProbe || read.probe !== undefined) ? read : readReconstructionParts(npz, withProbe);
}
