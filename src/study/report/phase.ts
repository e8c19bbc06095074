/**
 * The HTML report of a hub: one self-contained page, `<hub>/report/index.html`, with its images in
 * `<hub>/report/img/` (relative links; it opens from disk, no server, no scripts). plan.ts reads what the
 * hub holds, the section modules build each section (writing its images), and the page is written last.
 * Sections, in page order: at a glance, study design, data, reconstructions, convergence, resolution,
 * metrics, metric charts, reconstruction runs, skipped and failed jobs, software. The page-drawing
 * primitives are the rendering library's (src/report/).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomic.js';
import { MERGE_WAIT_MS, withLock } from '../../files/lock.js';
import { page } from '../../report/html.js';
import { REPORT } from '../hub/layout.js';
import { OWN_MODEL } from '../hub/metrics-summary.js';
import { planReport } from './plan.js';
import { frcSection, lossSection } from './curve-sections.js';
import { dataSection } from './data-section.js';
import { glanceSection, reconstructionsSection } from './image-sections.js';
import {
  chartsSection, designSection, ImageDir, metricsSection, phaseFSection, reportContext, skippedSection, softwareSection,
  type DrawnFigure,
} from './sections.js';

export interface ReportResult {
  indexPath: string;
  /** Image files written next to the page. */
  images: string[];
  /** Parts of the hub that were not available (each also shown in the page). */
  missing: string[];
  /** The image figures the report drew itself, with what each panel showed (quantity, colour map, range). */
  figures: DrawnFigure[];
}

/**
 * Writes `<hub>/report/index.html` (and its images), holding `<hub>/report/.report.lock` (a second report of
 * the same hub waits for it, up to `lockWaitMs`, default 10 minutes: both rebuild the image directory).
 */
export async function buildReport(hub: string, lockWaitMs = MERGE_WAIT_MS): Promise<ReportResult> {
  return withLock(join(planReport(hub).outDir, REPORT.lock), 'report', 'report directory', () => writeReport(hub), { waitMs: lockWaitMs });
}

async function writeReport(hub: string): Promise<ReportResult> {
  const plan = planReport(hub);
  rmSync(plan.imgDir, { recursive: true, force: true }); // derived; rebuilt every time
  mkdirSync(plan.imgDir, { recursive: true });
  const img = new ImageDir(plan.imgDir);
  const ctx = reportContext(plan, img);
  const sections = [
    glanceSection(ctx), designSection(ctx), dataSection(ctx), reconstructionsSection(ctx), await lossSection(ctx), await frcSection(ctx),
    metricsSection(ctx), chartsSection(ctx), phaseFSection(ctx), skippedSection(ctx), softwareSection(ctx),
  ];
  const title = 'ptychostudy — dose/overlap study report';
  const subtitle = `hub ${hub} · generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · doses ${plan.doses.join(', ') || 'none found'} · our model: ${OWN_MODEL}`;
  const indexPath = join(plan.outDir, REPORT.index);
  writeFileAtomic(indexPath, page(title, subtitle, sections));
  return { indexPath, images: img.files, missing: ctx.missing, figures: img.drawn };
}
