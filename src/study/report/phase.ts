/**
 * The HTML report of a hub: one self-contained page, `<hub>/report/index.html`, with its images in
 * `<hub>/report/img/` (relative links; it opens from disk, no server; one inline script sorts the tables). plan.ts reads what the
 * hub holds, the section modules build each section (writing its images), and the page is written last.
 * Sections, in page order: at a glance, study design, data, reconstructions, convergence, resolution,
 * metrics, metric charts, reconstruction runs, skipped and failed jobs, software. The page-drawing
 * primitives are the rendering library's (src/report/).
 *
 * The new page and its images are built in a temporary directory inside `<hub>/report/` and renamed into
 * place once complete: the earlier report stays whole until then, and a killed or interrupted build leaves
 * only its temporary directory, which the next build removes (it holds the report directory's lock, so no
 * other build is under way there).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { namedInPlace, writeFailed, writeFileAtomic } from '../../files/atomic.js';
import { clearEndedBuilds, moveBuildIn, newBuildDir } from './build-dir.js';
import { checkWritableDir } from '../../files/writable.js';
import { LockWaitAbortedError, MERGE_WAIT_MS, withLock } from '../../files/lock.js';
import { page, type Section } from '../../report/html.js';
import { hubRoots, REPORT } from '../hub/layout.js';
import { OWN_MODEL } from '../hub/metrics-summary.js';
import { planReport, type ReportPlan } from './plan.js';
import { frcSection, lossSection } from './curve-sections.js';
import { dataSection } from './data-section.js';
import { glanceSection, reconstructionsSection } from './image-sections.js';
import {
  brokenSection, chartsSection, designSection, doseLabel, ImageDir, metricsSection, phaseFSection, reportContext, skippedSection, softwareSection,
  type BrokenFile, type DrawnFigure,
} from './sections.js';
import { checkLocalRun, checkOptionNames, checkSignalOption, optionNames, StudyAbortedError, throwIfStopped, yieldToEventLoop } from '../phase.js';

export interface ReportResult {
  indexPath: string;
  /** Image files written next to the page. */
  images: string[];
  /** Parts of the hub that were not available (each also shown in the page). */
  missing: string[];
  /**
   * Files of the hub that are there but could not be read (a directory or a named pipe where a file should be, a
   * dangling link, a truncated or corrupt file, one over its size bound), with why: the page is still written, names
   * each in its "Broken evidence" section and marks what it would have shown "Broken"; `ptychostudy report` then exits 1.
   */
  broken: BrokenFile[];
  /** The image figures the report drew itself, with what each panel showed (quantity, colour map, range). */
  figures: DrawnFigure[];
}

/** One section of the page built: `done` of `count`, its title and how long it took. */
export interface ReportProgress {
  done: number;
  count: number;
  section: string;
  seconds: number;
  /** One line saying so, e.g. `report: 4/11 reconstructions (0.4 s)`. */
  message: string;
}

export interface ReportOptions {
  /**
   * run.json as the page shows it, in place of the hub's own: the study's `run` passes the record it is about to write,
   * so that its page shows the run complete. Not for scripts: without it the page shows the hub's run.json.
   */
  shownRun?: unknown;
  onProgress?: (p: ReportProgress) => void;
  /** How long to wait for another report of the same hub (ms; default 10 minutes). */
  lockWaitMs?: number;
  /**
   * Stops the build when aborted, between two sections: the page is not written and the earlier report stays as it
   * was (the new one's temporary directory is removed); the lock is released and the call rejects with
   * `StudyAbortedError`. Aborted while it waits for another build of the same report (`lockWaitMs`), it stops
   * waiting, with nothing written.
   */
  signal?: AbortSignal;
}

/**
 * Writes `<hub>/report/index.html` (and its images), holding `<hub>/report/.report.lock` (a second report of
 * the same hub waits for it, up to `lockWaitMs`, default 10 minutes: both rebuild the image directory).
 * The hub must be a directory (UsageError otherwise: a mistyped hub is not made); an empty one gives a page
 * of "not available".
 */
export async function buildReport(hub: string, opts?: ReportOptions): Promise<ReportResult>;
/** @deprecated The earlier form: pass `{ lockWaitMs, ...opts }` as the second argument. */
export async function buildReport(hub: string, lockWaitMs: number | undefined, opts?: ReportOptions): Promise<ReportResult>;
export async function buildReport(hub: string, second?: ReportOptions | number, third: ReportOptions = {}): Promise<ReportResult> {
  const opts: ReportOptions = typeof second === 'object' && second !== null ? second : { ...third, ...(second !== undefined ? { lockWaitMs: second } : {}) };
  if (opts === null || typeof opts !== 'object') throw new UsageError(`options ${String(opts)}: expected an object`);
  checkOptionNames(opts, 'buildReport', optionNames<ReportOptions>({ shownRun: true, onProgress: true, lockWaitMs: true, signal: true }));
  const lockWaitMs = opts.lockWaitMs ?? MERGE_WAIT_MS;
  if (typeof lockWaitMs !== 'number' || !(lockWaitMs >= 0)) throw new UsageError(`\`lockWaitMs\` ${String(lockWaitMs)}: expected a number of milliseconds ≥ 0`);
  if (typeof hub !== 'string' || hub === '') throw new UsageError(`\`hub\` ${String(hub)}: expected a path (the hub directory)`);
  if (!existsSync(hub)) throw new UsageError(`\`hub\` ${hub}: no such directory`);
  if (!statSync(hub).isDirectory()) throw new UsageError(`\`hub\` ${hub}: expected a directory (the hub); found a file`);
  const signal = checkSignalOption(opts.signal);
  throwIfStopped(signal, 'report');
  // a script's report keeps off a hub SLURM jobs still write, as its runs do (slurm/local-guard.ts); the command line's
  // `report` and a SLURM task's closing report set no such check
  await checkLocalRun(hub, true, null);
  // where the report goes is the hub's report directory: known before the hub is read (the plan is read once, under the lock)
  const outDir = hubRoots(hub).report;
  checkWritableDir(outDir, 'report directory'); // a read-only hub: one line naming it, before the lock
  try {
    return await withLock(join(outDir, REPORT.lock), 'report', 'report directory',
      // the page names the hub by its absolute path, whatever path the caller gave (a relative one names no
      // hub once read from elsewhere, and would make the page's bytes depend on the working directory)
      () => writeReport(resolve(hub), opts), { waitMs: lockWaitMs, ...(signal !== undefined ? { signal } : {}) });
  } catch (err) {
    if (err instanceof LockWaitAbortedError) throw new StudyAbortedError('report', [], err.cause); // waiting for another build
    throw err;
  }
}

async function writeReport(hub: string, opts: ReportOptions): Promise<ReportResult> {
  const plan = planReport(hub, opts.shownRun);
  clearEndedBuilds(plan.outDir); // ended builds' (this one holds the lock)
  const build = newBuildDir(plan.outDir);
  try {
    const built = await writeReportInto(hub, plan, build, opts.onProgress, opts.signal);
    moveBuildIn(build, plan.outDir);
    return { ...built, images: built.images.map((f) => join(plan.imgDir, basename(f))) };
  } catch (err) {
    throw namedInPlace(err, build, plan.outDir); // a full disk: the image or page as it was to be named
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}

async function writeReportInto(hub: string, plan: ReportPlan, build: string, onProgress?: (p: ReportProgress) => void,
  signal?: AbortSignal): Promise<ReportResult> {
  const imgDir = join(build, REPORT.images);
  try {
    mkdirSync(imgDir, { recursive: true });
  } catch (err) {
    throw writeFailed(imgDir, err); // a full disk (no inode left): named as report/img, by writeReport
  }
  const img = new ImageDir(imgDir);
  const ctx = reportContext(plan, img);
  const builders: ((c: typeof ctx) => Section | Promise<Section>)[] = [
    glanceSection, designSection, dataSection, reconstructionsSection, lossSection, frcSection,
    metricsSection, chartsSection, phaseFSection, skippedSection, softwareSection,
  ];
  const sections: Section[] = [];
  for (const build of builders) {
    await yieldToEventLoop(); // sections compute synchronously: let signals (Ctrl-C) through between them
    throwIfStopped(signal, 'report'); // nothing of this build is kept
    const t0 = performance.now();
    const section = await build(ctx);
    sections.push(section);
    const seconds = (performance.now() - t0) / 1000;
    const done = sections.length, count = builders.length;
    onProgress?.({ done, count, section: section.title, seconds, message: `report: ${done}/${count} ${section.title} (${seconds.toFixed(1)} s)` });
  }
  throwIfStopped(signal, 'report'); // nothing of this build is kept
  // the files that are there but broken, first on the page (none for a healthy hub, whose page is as it was)
  const broken = brokenSection(ctx.broken);
  if (broken !== null) sections.unshift(broken);
  const title = 'ptychostudy — dose/overlap study report';
  const subtitle = `hub ${hub} · generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · doses ${plan.doses.map(doseLabel).join(', ') || 'none found'} · our model: ${OWN_MODEL}`;
  writeFileAtomic(join(build, REPORT.index), page(title, subtitle, sections));
  return { indexPath: join(plan.outDir, REPORT.index), images: img.files, missing: ctx.missing, broken: ctx.broken, figures: img.drawn };
}
