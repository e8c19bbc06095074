/**
 * The size of each job's comparison figure, as Phase G records it in the job's comparison.json (`figure`: its SVG
 * width and smallest text), and the report's use of it: the width at which the figure's smallest text shows at 8 CSS
 * px comes from that record, so the report reads each job's reconstructions_aligned.npz once (for At a glance); a
 * comparison.json without the record (written before Phase G kept it) gives the same width from the figure laid out
 * again, and a broken record is named as broken.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NpzReader } from '../../src/npy/npz.js';
import { layoutPanels, readableWidth } from '../../src/report/figure.js';
import { runComparison } from '../../src/study/compare/phase.js';
import { comparisonFigureOptions, comparisonPanels } from '../../src/study/hub/comparison-figure.js';
import { readAlignedPair } from '../../src/study/hub/comparison-files.js';
import type { MetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { buildReport } from '../../src/study/report/phase.js';
import { makeHub } from '../study/compare-hub.js';
import { tempDir } from '../tmp.js';

const DOSES = [1000, 100000];
const SPLITS = ['train', 'test'];
const JOBS = DOSES.flatMap((dose) => SPLITS.map((split) => ({ dose, view: 'baseline', split })));
const dir = tempDir('figure-record');
const hub = join(dir, 'hub');
const roots = makeHub(hub, { doses: DOSES });
await runComparison({ phaseCRoot: roots.c, phaseDRoot: roots.d, phaseFRoot: roots.f, outputRoot: roots.g });

const jobDirOf = (root: string, j: { dose: number; view: string; split: string }): string => join(root, 'phase_g', `dose_${j.dose}`, j.view, j.split);
const tagOf = (j: { dose: number; view: string; split: string }): string => `dose_${j.dose}_${j.view}_${j.split}`;

/** The `--readable` width of each comparison figure on the page, by job tag. */
function comparisonWidths(html: string): Map<string, number> {
  return new Map([...html.matchAll(/<figure class="readable" style="--readable: (\d+)px"><a href="img\/comparison_([^"]+)\.png"/g)].map((m) => [m[2]!, Number(m[1])]));
}

/** Builds the report of `root`, counting the opens of each job's reconstructions_aligned.npz. */
async function reportCountingReads(t: TestContext, root: string) {
  const open = t.mock.method(NpzReader, 'open');
  const rep = await buildReport(root);
  const reads = new Map<string, number>();
  for (const c of open.mock.calls) {
    const path = String(c.arguments[0]);
    if (path.endsWith('reconstructions_aligned.npz')) reads.set(path, (reads.get(path) ?? 0) + 1);
  }
  return { rep, html: readFileSync(rep.indexPath, 'utf8'), reads };
}

/** A copy of the hub whose comparison.json files are as `edit` leaves them. */
function copyWithRecords(name: string, edit: (doc: Record<string, unknown>, j: { dose: number; view: string; split: string }) => void): string {
  const root = join(dir, name);
  cpSync(hub, root, { recursive: true });
  for (const j of JOBS) {
    const path = join(jobDirOf(root, j), 'comparison.json');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(doc, j);
    writeFileSync(path, JSON.stringify(doc, null, 2));
  }
  return root;
}

test('compare: each job\'s comparison.json records its figure\'s SVG width and smallest text — those of the figure laid out from its aligned images', () => {
  const summary = JSON.parse(readFileSync(join(roots.g, 'metrics_summary.json'), 'utf8')) as MetricsSummary;
  for (const j of JOBS) {
    const doc = JSON.parse(readFileSync(join(jobDirOf(hub, j), 'comparison.json'), 'utf8')) as { figure?: unknown };
    const rows = summary.rows.filter((r) => r.dose === j.dose && r.view === j.view && r.split === j.split && r.status === 'ok');
    const pair = readAlignedPair(join(jobDirOf(hub, j), 'reconstructions_aligned.npz'), 'LSQML');
    assert.ok(pair && rows.length === 1, tagOf(j));
    const panels = comparisonPanels([{ model: 'LSQML', ...pair }]);
    const f = layoutPanels(panels, comparisonFigureOptions(j, rows, panels.length));
    assert.deepEqual(doc.figure, { file: 'comparison.png', svg_width: f.width, smallest_text_svg_px: f.smallestText }, tagOf(j));
  }
});

test('report: each comparison figure\'s readable width comes from its record, each job\'s aligned arrays read once; a hub whose records lack it (written before) gives the same widths from the figures laid out again', async (t) => {
  const now = await reportCountingReads(t, hub);
  assert.deepEqual(now.rep.broken, []);
  for (const j of JOBS) assert.equal(now.reads.get(join(jobDirOf(hub, j), 'reconstructions_aligned.npz')), 1, `${tagOf(j)}: read once (the phase grid of At a glance)`);
  assert.equal(now.reads.size, JOBS.length);
  const widths = comparisonWidths(now.html);
  assert.equal(widths.size, JOBS.length);
  for (const j of JOBS) {
    const { figure } = JSON.parse(readFileSync(join(jobDirOf(hub, j), 'comparison.json'), 'utf8')) as { figure: { svg_width: number; smallest_text_svg_px: number } };
    assert.equal(widths.get(tagOf(j)), readableWidth(figure.svg_width, figure.smallest_text_svg_px), tagOf(j));
  }

  t.mock.restoreAll();
  const old = copyWithRecords('old', (doc) => { delete doc.figure; });
  const before = await reportCountingReads(t, old);
  assert.deepEqual(before.rep.broken, []);
  assert.deepEqual(comparisonWidths(before.html), widths, 'the same widths, laid out again');
  for (const j of JOBS) assert.equal(before.reads.get(join(jobDirOf(old, j), 'reconstructions_aligned.npz')), 2, `${tagOf(j)}: read for the grid and to lay the figure out`);
  // the rest of the page is the same too (but the header's time; the copy's path is the hub's, which its summary names)
  const body = (html: string): string => html.slice(html.indexOf('</header>')).replaceAll(old, hub);
  assert.equal(body(before.html), body(now.html));
});

test('report: a comparison.json whose figure record is broken is named as broken; its figure is shown with its readable width all the same', async () => {
  const bad = JOBS[1]!;
  const root = copyWithRecords('broken', (doc, j) => { if (j === bad) (doc.figure as Record<string, unknown>).svg_width = 'wide'; });
  const record = join(jobDirOf(root, bad), 'comparison.json');
  const rep = await buildReport(root);
  assert.deepEqual(rep.broken, [{ file: record, reason: 'key \'figure.svg_width\': expected the figure\'s width, a positive number of SVG pixels; found "wide"' }]);
  const html = readFileSync(rep.indexPath, 'utf8');
  assert.match(html, /Broken:<\/strong> record of the comparison figure of dose_1000\/baseline\/test: /);
  const healthy = comparisonWidths(readFileSync(join(hub, 'report', 'index.html'), 'utf8'));
  assert.deepEqual(comparisonWidths(html), healthy);
});
