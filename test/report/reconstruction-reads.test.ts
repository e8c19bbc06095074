/**
 * The report opens each Phase F reconstruction.npz once: the plan reads what every section shows of it (its
 * `_metadata`, geometry, detector mask, loss history, and the probe of the split whose probes are drawn) from one
 * opening, and the sections take their parts from there. On the tiny study of scripts/hub-digests.mjs (6 jobs:
 * one dose, three views, two splits) the report opened each file 8 times (the train split's 9, with its probe):
 * the plan twice over (pixel size and mask record), then the Data section's mask and energy, the Convergence
 * section's loss and mask record, and the probe grid.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NpzReader } from '../../src/npy/npz.js';
import { readableWidth } from '../../src/report/figure.js';
import { buildReport } from '../../src/study/report/phase.js';
import { tempDir } from '../tmp.js';

interface DigestScript { runTinyStudy(hub: string): void }
const script = (await import(new URL('../../../scripts/hub-digests.mjs', import.meta.url).href)) as DigestScript;

const dir = tempDir('report-reads');
const hub = join(dir, 'hub');
script.runTinyStudy(hub);
const JOBS = ['baseline', 'dense', 'sparse'].flatMap((view) => ['train', 'test'].map((split) => join(hub, 'phase_f', 'dose_10000', view, split)));

/** Builds the report of `root`, counting the opens of each file whose name ends with `name`. */
async function reportCountingOpens(t: TestContext, root: string, name: string) {
  const open = t.mock.method(NpzReader, 'open');
  const rep = await buildReport(root);
  t.mock.restoreAll();
  const opens = new Map<string, number>();
  for (const c of open.mock.calls) {
    const path = String(c.arguments[0]);
    if (path.endsWith(name)) opens.set(path, (opens.get(path) ?? 0) + 1);
  }
  return { rep, html: readFileSync(rep.indexPath, 'utf8'), opens };
}

test('report: each job\'s reconstruction.npz is opened once, and the sections show what it holds — probes and loss curves', async (t) => {
  const { rep, html, opens } = await reportCountingOpens(t, hub, 'reconstruction.npz');
  assert.deepEqual(rep.broken, []);
  assert.deepEqual([...opens.keys()].sort(), JOBS.map((d) => join(d, 'reconstruction.npz')).sort());
  for (const [path, n] of opens) assert.equal(n, 1, path);
  // what the sections drew from the one read: the train split's probes and every job's loss curve
  assert.match(html, /<img src="img\/probe_amplitude_train\.png"/);
  assert.match(html, /Loss per epoch of every reconstruction \(6 jobs; from loss_history\)/);
  assert.ok(rep.images.some((f) => f.endsWith('loss.png')));
});

/** The `--readable` width of each Phase F reconstruction figure on the page, by job tag. */
function reconstructionWidths(html: string): Map<string, number> {
  return new Map([...html.matchAll(/<figure class="readable" style="--readable: (\d+)px"><a href="img\/reconstruction_([^"]+)\.png"/g)].map((m) => [m[2]!, Number(m[1])]));
}

/** A copy of the hub without Phase G (every job shows its reconstruction.png), its run records as `edit` leaves them. */
function uncomparedCopy(name: string, edit: (doc: Record<string, unknown>, job: string) => void): string {
  const root = join(dir, name);
  cpSync(hub, root, { recursive: true });
  rmSync(join(root, 'phase_g'), { recursive: true });
  rmSync(join(root, 'report'), { recursive: true });
  for (const job of JOBS) {
    const path = join(root, relative(hub, job), 'reconstruction_run.json');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(doc, job);
    writeFileSync(path, JSON.stringify(doc, null, 2));
  }
  return root;
}

test('Phase F records reconstruction.png\'s size in reconstruction_run.json; the report takes a job\'s readable width from it, and lays the figure out again for a record written before it kept it', async (t) => {
  for (const job of JOBS) {
    const { figure } = JSON.parse(readFileSync(join(job, 'reconstruction_run.json'), 'utf8')) as { figure: { file: string; svg_width: number; smallest_text_svg_px: number } };
    const png = readFileSync(join(job, 'reconstruction.png'));
    assert.equal(figure.file, 'reconstruction.png');
    assert.ok(figure.svg_width > 0 && figure.svg_width <= png.readUInt32BE(16), `${job}: the SVG width, at most the PNG's (${png.readUInt32BE(16)} px)`);
    assert.ok(figure.smallest_text_svg_px > 0, job);
  }
  const now = await reportCountingOpens(t, uncomparedCopy('records', () => {}), 'reconstruction.npz');
  assert.deepEqual(now.rep.broken, []);
  assert.equal(now.opens.size, JOBS.length);
  for (const [path, n] of now.opens) assert.equal(n, 1, `${path}: opened once`);
  const widths = reconstructionWidths(now.html);
  assert.equal(widths.size, JOBS.length);
  for (const job of JOBS) {
    const { figure } = JSON.parse(readFileSync(join(job, 'reconstruction_run.json'), 'utf8')) as { figure: { svg_width: number; smallest_text_svg_px: number } };
    assert.equal(widths.get(`dose_10000_${relative(join(hub, 'phase_f', 'dose_10000'), job).replace('/', '_')}`), readableWidth(figure.svg_width, figure.smallest_text_svg_px), job);
  }
  // written before the record kept the size: the same widths from the figure laid out again (the file opened twice more for it)
  const before = await reportCountingOpens(t, uncomparedCopy('no-records', (doc) => { delete doc.figure; }), 'reconstruction.npz');
  assert.deepEqual(before.rep.broken, []);
  assert.deepEqual(reconstructionWidths(before.html), widths);
  for (const [path, n] of before.opens) assert.equal(n, 3, path);
  const body = (html: string): string => html.slice(html.indexOf('</header>'));
  assert.equal(body(before.html).replaceAll('no-records', 'records'), body(now.html));
});

test('report: a reconstruction_run.json whose figure record is broken is named as broken; its figure is shown with its readable width all the same', async (t) => {
  const bad = JOBS[1]!;
  const root = uncomparedCopy('broken-record', (doc, job) => { if (job === bad) (doc.figure as Record<string, unknown>).smallest_text_svg_px = -1; });
  const { rep, html } = await reportCountingOpens(t, root, 'reconstruction.npz');
  const record = join(root, relative(hub, bad), 'reconstruction_run.json');
  assert.deepEqual(rep.broken, [{ file: record, reason: 'key \'figure.smallest_text_svg_px\': expected the size of its smallest text, a positive number of SVG pixels; found -1' }]);
  assert.match(html, /Broken:<\/strong> record of the reconstruction figure of dose_10000\/baseline\/test: /);
  assert.deepEqual(reconstructionWidths(html), reconstructionWidths(readFileSync(join(dir, 'records', 'report', 'index.html'), 'utf8')));
});
