/**
 * The report of a small real study (`ptychostudy run`, two doses, 30 positions, 2 epochs: twelve
 * reconstructions, run once for this file): it renders in headless Chromium at 1400 and 420 px without
 * sideways scrolling, every image loads and every link to a full-size image resolves; the figures use one
 * colour map per quantity — the report's own and Phase F's and Phase G's alike — are at least 1600 px
 * wide and carry scale bars; the dose × view phase grid, the loss curves and the FRC curves cover every
 * job; every figure's smallest text is at least 8 CSS px on a 1400-px screen and on a 420-px phone (where a figure the
 * column would shrink below that keeps its width and scrolls sideways in its own box) and 6 pt on A4.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { loadNpz } from '../../src/npy/npz.js';
import { layoutFigure, layoutPanels, MIN_FIGURE_WIDTH, renderPanelsPng, smallestSvgText, zoomFor, type FigureRow, type Panel, type PanelRecord } from '../../src/report/figure.js';
import { colormapOf, QUANTITY_NAMES, type Quantity } from '../../src/report/quantities.js';
import { comparisonFigureOptions, comparisonPanels } from '../../src/study/hub/comparison-figure.js';
import { readAlignedPair } from '../../src/study/hub/comparison-files.js';
import { reconstructionFigureOptions, reconstructionFigureTitle, reconstructionPanels } from '../../src/study/hub/reconstruction-figure.js';
import { readReconstruction } from '../../src/study/hub/datasets.js';
import { readReconstructedProbe } from '../../src/study/hub/reconstruction-arrays.js';
import type { MetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { buildReport, type ReportResult } from '../../src/study/report/phase.js';
import { SWIPE_NOTE } from '../../src/report/html.js';
import { elementBoxes, HAVE_CHROMIUM, inspectPage, inspectPrint, type PageFacts, type PrintFacts } from './chromium.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const DOSES = [1000, 100000];
const VIEWS = ['baseline', 'dense', 'sparse'];
const SPLITS = ['train', 'test'];
const JOBS = DOSES.length * VIEWS.length * SPLITS.length;
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-study-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

let built: { hub: string; rep: ReportResult; html: string } | null = null;

/**
 * The study (run once; two jobs at once, as `npm start` runs them on two cores, with the results of one at a time:
 * test/study/hub-digests) and its report, rebuilt here to get what the report drew.
 */
async function study(): Promise<{ hub: string; rep: ReportResult; html: string }> {
  if (built) return built;
  const hub = join(root, 'hub');
  const r = spawnSync(process.execPath, [CLI, 'run', '--preset', 'quick', ...DOSES.flatMap((d) => ['--dose', String(d)]), '--n-images', '30', '--epochs', '2', '--jobs', '2', '--out', hub, '--quiet'],
    { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const rep = await buildReport(hub);
  built = { hub, rep, html: readFileSync(rep.indexPath, 'utf8') };
  return built;
}

// The study's report page does not change once built: Chromium lays it out once per window width, and once for print
// (into report.pdf), for every test of this file that looks at it.
const pageAt = new Map<number, PageFacts>();
let printed: PrintFacts | null = null;

/** The study report's page in a window of each of `widths` (a full-page screenshot into the test folder the first time). */
async function reportPages(widths: readonly number[]): Promise<PageFacts[]> {
  const { rep } = await study();
  const missing = widths.filter((w) => !pageAt.has(w));
  if (missing.length > 0) for (const p of await inspectPage(rep.indexPath, missing, (w) => join(root, `report-${w}.png`))) pageAt.set(p.viewport, p);
  return widths.map((w) => pageAt.get(w)!);
}

/** The study report's page laid out for print on A4, printed into `reportPdf`. */
const reportPdf = join(root, 'report.pdf');
async function reportPrint(): Promise<PrintFacts> {
  const { rep } = await study();
  printed ??= await inspectPrint(rep.indexPath, reportPdf);
  return printed;
}

function pngWidth(file: string): number {
  return PNG.sync.read(readFileSync(file)).width;
}

test('real study: the report renders in Chromium at 1400 and 420 px — no sideways scrolling, every image loads, every full-size link resolves, no console errors', { timeout: 900_000 }, async (t) => {
  const { rep, html } = await study();
  // one script, inline (the tables' sorting): nothing loaded from elsewhere
  assert.equal(html.match(/<script/gi)?.length, 1);
  assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
  assert.doesNotMatch(html, /(src|href)="(\/|https?:|file:)/, 'only relative links');
  // each figure is a link to its own full-size file
  const imgs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(imgs.length >= JOBS + 14, `${imgs.length} images`);
  for (const d of DOSES) for (const v of VIEWS) for (const s of SPLITS) assert.ok(imgs.includes(`img/comparison_dose_${d}_${v}_${s}.png`), `${d} ${v} ${s} comparison`);
  for (const src of imgs) assert.ok(html.includes(`<a href="${src}" title="full size"><img src="${src}"`), `${src} links to its full size`);
  assert.equal(new Set(imgs).size, imgs.length, 'no figure appears twice');
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
  const pages = await reportPages([1400, 420]);
  for (const p of pages) {
    t.diagnostic(`${p.viewport} px window: page ${p.scrollWidth} × ${p.scrollHeight} px, ${p.images.length} images, ${p.tables.length} tables`);
    assert.deepEqual(p.errors, [], `console errors at ${p.viewport} px`);
    assert.ok(p.scrollWidth <= p.clientWidth, `sideways scrolling at ${p.viewport} px: ${p.scrollWidth} > ${p.clientWidth}`);
    assert.equal(p.images.length, imgs.length);
    for (const i of p.images) assert.ok(i.naturalWidth > 0, `image not loaded at ${p.viewport} px: ${i.src}`);
    for (const href of p.links) {
      if (href.startsWith('#')) { assert.match(html, new RegExp(`id="${href.slice(1)}"`), `anchor ${href}`); continue; }
      assert.ok(existsSync(resolve(dirname(rep.indexPath), decodeURI(href))), `link ${href} resolves to a file`);
    }
    for (const tb of p.tables) assert.ok(tb.rows > 0, `table without rows: ${tb.caption}`);
  }
});

test('real study: one colour map per quantity across Phase F, Phase G and the report; every figure at least 1600 px wide with scale bars', { timeout: 900_000 }, async () => {
  const { hub, rep } = await study();
  const records: { where: string; p: PanelRecord }[] = rep.figures.flatMap((f) => f.panels.map((p) => ({ where: `report ${f.file}`, p })));
  // Phase F's reconstruction.png and Phase G's comparison.png, drawn from the job's files with the panels those phases use
  const job = join('dose_1000', 'dense', 'train');
  const a = loadNpz(join(hub, 'phase_f', job, 'reconstruction.npz'));
  const obj = a.reconstructed_object!, probe = a.reconstructed_probe!;
  const f = layoutFigure([{ cells: reconstructionPanels({
    object: Float64Array.from(obj.data as Float32Array), height: obj.shape[0]!, width: obj.shape[1]!,
    probe: Float64Array.from(probe.data as Float32Array), size: probe.shape[1]!, modes: probe.shape[0]!,
  }, null) }]);
  records.push(...f.panels.map((p) => ({ where: 'Phase F reconstruction.png', p })));
  const pair = readAlignedPair(join(hub, 'phase_g', job, 'reconstructions_aligned.npz'), 'LSQML');
  assert.ok(pair);
  const g = layoutFigure([{ cells: comparisonPanels([{ model: 'LSQML', ...pair }]) }]);
  records.push(...g.panels.map((p) => ({ where: 'Phase G comparison.png', p })));
  const maps = new Map<Quantity, Set<string>>();
  for (const { where, p } of records) {
    if (!maps.has(p.quantity)) maps.set(p.quantity, new Set());
    maps.get(p.quantity)!.add(p.colormap);
    assert.equal(p.colormap, colormapOf(p.quantity), `${where}: ${p.title || p.quantity}`);
    assert.match(p.scaleBar ?? '', /^\d+ px$/, `${where}: ${p.title || p.quantity} has a scale bar in pixels (no pixel size in simulated data)`);
  }
  // (the detector mask is measured data's: a synthetic study has none; test/report/report.test.ts draws it)
  assert.deepEqual([...maps.keys()].sort(), QUANTITY_NAMES.filter((q) => q !== 'detector-mask').sort(), 'every quantity is drawn somewhere');
  for (const [q, set] of maps) assert.equal(set.size, 1, `${q}: ${[...set].join(', ')}`);
  // every PNG figure: the report's, each job's reconstruction.png and comparison.png
  const pngs = readdirSync(join(hub, 'report', 'img')).filter((n) => n.endsWith('.png')).map((n) => join(hub, 'report', 'img', n));
  for (const d of DOSES) for (const v of VIEWS) for (const s of SPLITS) {
    pngs.push(join(hub, 'phase_f', `dose_${d}`, v, s, 'reconstruction.png'), join(hub, 'phase_g', `dose_${d}`, v, s, 'comparison.png'));
  }
  for (const p of pngs) assert.ok(pngWidth(p) >= MIN_FIGURE_WIDTH, `${p}: ${pngWidth(p)} px wide`);
});

test('real study: the dose × view grid of phases, on one colour scale that the page states', { timeout: 900_000 }, async () => {
  const { rep, html } = await study();
  for (const split of SPLITS) {
    const grid = rep.figures.find((f) => f.file === `glance_phase_${split}.png`);
    assert.ok(grid, `grid of the ${split} split`);
    assert.equal(grid.panels.length, (1 + DOSES.length) * VIEWS.length, 'ground truth row and one row per dose, one column per view');
    for (const p of grid.panels) {
      assert.equal(p.quantity, 'object-phase');
      assert.deepEqual([p.vmin, p.vmax], [grid.panels[0]!.vmin, grid.panels[0]!.vmax], 'one colour scale');
    }
    assert.match(html, new RegExp(`img/glance_phase_${split}\\.png`));
  }
  // the two grids stand side by side to be compared: one colour scale for both, stated under each
  const ranges = SPLITS.map((split) => rep.figures.find((f) => f.file === `glance_phase_${split}.png`)!.panels[0]!).map((p) => [p.vmin, p.vmax]);
  assert.deepEqual(ranges[1], ranges[0], 'the train and test grids on one colour scale');
  const captions = SPLITS.map((split) => new RegExp(`<figcaption>${split} split: one colour scale for both grids \\(train and test\\), (−?\\d\\.\\d+ … \\d\\.\\d+) rad`).exec(html)?.[1]);
  assert.ok(captions[0] !== undefined, 'the caption states the scale');
  assert.equal(captions[1], captions[0], 'both captions state the one scale');
  const glance = html.slice(html.indexOf('<section id="glance">'), html.indexOf('<section id="design">'));
  assert.equal((glance.match(/<tr>/g) ?? []).length, 1 + DOSES.length, 'headline MS-SSIM table: a header and a row per dose');
  // what the study is known by, at the top: its preset, epochs and seeds (the defaults here), when and by what it ran
  assert.match(glance, /<dt>settings<\/dt><dd>preset quick; 2 epochs; seeds: simulation 42, overlap 456, reconstruction 42 \(every setting under Study design\)<\/dd>/);
  assert.match(glance, /<dt>run<\/dt><dd>started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, by ptychostudy \d+\.\d+\.\d+, status complete \(run\.json; versions under Software\)<\/dd>/);
  // the reconstructed probes, one per dose × view of a split
  const probe = rep.figures.find((f) => f.file === 'probe_amplitude_train.png');
  assert.equal(probe?.panels.length, DOSES.length * VIEWS.length);
  const diffraction = rep.figures.find((f) => f.file === 'data_diffraction.png');
  assert.equal(diffraction?.panels.length, DOSES.length * 3, 'three patterns per dose');
  for (const p of diffraction!.panels) assert.equal(p.scale, 'log');
  // simulated patterns are whole photon counts: the pixels below the scale are those with 0 photons
  assert.ok(diffraction!.panels.some((p) => p.clippedBelow > 0));
  for (const p of diffraction!.panels) if (p.clippedBelow > 0) assert.match(p.clipNote, / with 0 photons$/);
});

test('real study: printed on A4 (Chromium\'s PDF), page 1 holds both phase grids, two up, their smallest text at least 6 pt', { timeout: 900_000 }, async (t) => {
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
  const { rep, html } = await study();
  const print = await reportPrint();
  assert.ok(statSync(reportPdf).size > 0, 'Chromium printed the page');
  assert.deepEqual(print.glanceImages.map((g) => g.src), SPLITS.map((s) => `img/glance_phase_${s}.png`));
  for (const g of print.glanceImages) {
    // two up: each about half the printable width (718 CSS px)
    assert.ok(g.width < print.width / 2, `${g.src} printed ${g.width} px wide`);
    assert.ok(g.figureBottom <= print.pageHeight, `${g.src} and its caption end ${g.figureBottom} px down the printed page, past page 1 (${print.pageHeight} px)`);
    // the smallest text of the figure (a scale bar's label; the colour bar's ticks, the row and column labels are larger),
    // as printed: its size in the PNG times the printed width over the PNG's (1 CSS px = 0.75 pt). It printed at 2.5 pt, the title at 4.5 pt
    const drawn = rep.figures.find((f) => `img/${f.file}` === g.src);
    assert.ok(drawn?.smallestTextPx !== undefined, `${g.src}: the report records its smallest text`);
    const pt = drawn.smallestTextPx * (g.width / g.naturalWidth) * 0.75;
    assert.ok(pt >= 6, `${g.src}: its smallest text prints at ${pt.toFixed(2)} pt`);
  }
  // what the figure no longer writes under each image (the text would not fit a panel): the largest clipped share, under the figure
  assert.match(html, /<figcaption>train split: one colour scale for both grids[^<]*(; no pixel outside the colour range|; clipped \(outside the colour range\): [<\d.]+ % of an image(&#39;|')s pixels at most \((ground truth|dose \S+) (baseline|dense|sparse): [<\d.]+ % (below|above)[^<]*\))/);
});

test('real study: loss curves and FRC curves of every job, resolution in pixels', { timeout: 900_000 }, async () => {
  const { hub, html } = await study();
  const img = join(hub, 'report', 'img');
  const loss = readFileSync(join(img, 'loss.svg'), 'utf8');
  assert.equal((loss.match(/aria-roledescription="line mark"/g) ?? []).length, JOBS, 'one loss curve per job');
  for (const d of ['dose 1e3', 'dose 1e5']) assert.match(loss, new RegExp(`>${d}<`));
  const frc = readFileSync(join(img, 'frc_lsqml.svg'), 'utf8');
  assert.equal((frc.match(/aria-roledescription="line mark"/g) ?? []).length, 2 * JOBS, 'amplitude and phase FRC curves of every job');
  assert.match(html, /img\/loss\.png/);
  assert.match(html, /img\/frc_lsqml\.png/);
  const frcSection = html.slice(html.indexOf('<section id="frc">'), html.indexOf('<section id="metrics">'));
  assert.equal((frcSection.match(/<tr[ >]/g) ?? []).length, 1 + JOBS, 'resolution table: a header and a row per job');
  assert.equal((frcSection.match(/<tr class="grp">/g) ?? []).length, DOSES.length - 1, 'a heavier rule where the dose changes');
  assert.match(frcSection, /Half-period resolution in pixels/);
  // the views' nominal fractions (design.json) are not the measured overlap, and the page says what they set
  assert.match(html, /is not a target for this overlap: it only sets the spacing threshold S = \(1 − f\)·N/);
  // how many neighbours the overlap is averaged over: Phase D's (the overlap setting), not design.json's neighbor_count
  // and the page says which neighbor_count it is, as the Study design table lists design.json's (7) too
  assert.match(html, /Overlap: for each position, the mean overlap fraction of its probe disc with those of its 6 nearest neighbours \(<code>neighbor_count<\/code> of <code>metrics_bundle\.json<\/code>, not the <code>neighbor_count<\/code> of design\.json \(7: the K of the reference's K-choose-C grouping of patterns, recorded there and used by no phase of this study\)\)/);
  assert.match(html, /<tr><td>neighbor_count<\/td><td class="wrap">7<\/td><\/tr>/);
  // spacings in pixels to one decimal each, whole numbers too (39.0 beside 15.5)
  const overlap = html.slice(html.indexOf('Positions and overlap'));
  const heads = [...overlap.slice(0, overlap.indexOf('</thead>')).matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
  const spacingCols = [heads.indexOf('median spacing (px)'), heads.indexOf('spacing threshold (px)')];
  assert.ok(spacingCols.every((c) => c >= 0), heads.join(', '));
  const overlapRows = [...overlap.slice(0, overlap.indexOf('</table>')).matchAll(/<tr[^>]*>((?:<td[\s\S]*?<\/td>)+)<\/tr>/g)]
    .map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]));
  assert.equal(overlapRows.length, VIEWS.length * SPLITS.length * (heads[0] === 'dose' ? DOSES.length : 1));
  for (const r of overlapRows) for (const c of spacingCols) assert.match(r[c]!, /^(\d+\.\d|—)$/, `spacing ${r[c]} (row ${r.join(' ')})`);
  // the reconstruction runs table says what its numbers are
  const runs = html.slice(html.indexOf('<section id="phase-f">'), html.indexOf('<section id="skipped">'));
  assert.match(runs, /final loss: the loss of the last epoch/);
  // a loss as the page of one reconstruction writes it (formatLoss: 2.270e-2)
  const losses = [...runs.matchAll(/<td class="good">success<\/td><td class="num">\d+<\/td><td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
  assert.equal(losses.length, JOBS, runs.slice(0, 2000));
  for (const l of losses) assert.match(l!, /^\d\.\d{3}e[+-]\d+$/);
  // doses as the rest of the page writes them: 1e3, in the settings and in the phases' details too
  const design = html.slice(html.indexOf('<section id="design">'), html.indexOf('<section id="data">'));
  assert.match(design, /<td>dose_list<\/td><td class="wrap">1e3, 1e5<\/td>/);
  assert.match(design, /<b>doses<\/b> 1e3, 1e5<\/span>/);
  assert.match(design, /<td>overlap<\/td><td>complete<\/td><td class="num">[\d.]+<\/td><td class="wrap">dense@1e3: \d+\+\d+, sparse@1e3: \d+\+\d+; dense@1e5: /);
  assert.doesNotMatch(design, /@1000|1000, 100000/);
  // the loss has a unit: that of the intensities fitted (photons for the study's NPZ datasets)
  assert.match(runs, /Convergence<\/a> section; per detector pixel, in photons for a dataset NPZ/);
  assert.match(html, /so in the unit of the intensities per detector pixel: photons for a dataset NPZ/);
});

/** Panels in rows of `columns` (as renderPanelsPng lays them out). */
function inRows(panels: readonly Panel[], columns: number): FigureRow[] {
  const rows: FigureRow[] = [];
  for (let i = 0; i < panels.length; i += columns) rows.push({ cells: panels.slice(i, i + columns) });
  return rows;
}

/** The smallest text of a Phase F / Phase G figure, in its PNG's pixels, laid out as that phase lays it out. */
function phaseFigureTextPx(panels: readonly Panel[], opts: { columns?: number } & Parameters<typeof layoutFigure>[1]): number {
  const f = layoutFigure(inRows(panels, opts!.columns!), { ...opts, colourBars: 'panel' });
  return f.smallestText * zoomFor(f.width, opts!.scale ?? 1, opts!.minWidth);
}

test('real study: every figure\'s smallest text is at least 8 CSS px on a 1400-px screen and on a 420-px phone, and 6 pt printed on A4', { timeout: 900_000 }, async (t) => {
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
  const { hub, rep } = await study();
  const img = join(hub, 'report', 'img');
  // the smallest text of each image, in its PNG's pixels: what the report drew records it; a chart copied from Phase G
  // has its SVG beside it; a job's comparison figure is laid out again from its aligned images, as Phase G lays it out
  const textPx = new Map<string, number>();
  for (const f of rep.figures) if (f.smallestTextPx !== undefined) textPx.set(`img/${f.file}`, f.smallestTextPx);
  for (const n of readdirSync(img).filter((n) => n.startsWith('chart_') && n.endsWith('.png'))) {
    const svg = readFileSync(join(img, n.replace(/\.png$/, '.svg')), 'utf8');
    textPx.set(`img/${n}`, smallestSvgText(svg) * pngWidth(join(img, n)) / Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]));
  }
  // (with its own title: a registration that failed names the model not registered, in a title no longer than the plain one)
  const summary = JSON.parse(readFileSync(join(hub, 'phase_g', 'metrics_summary.json'), 'utf8')) as MetricsSummary;
  let unregistered = 0;
  for (const d of DOSES) for (const v of VIEWS) for (const s of SPLITS) {
    const pair = readAlignedPair(join(hub, 'phase_g', `dose_${d}`, v, s, 'reconstructions_aligned.npz'), 'LSQML')!;
    const panels = comparisonPanels([{ model: 'LSQML', ...pair }]);
    const rows = summary.rows.filter((r) => r.dose === d && r.view === v && r.split === s && r.model === 'LSQML');
    textPx.set(`img/comparison_dose_${d}_${v}_${s}.png`, phaseFigureTextPx(panels, comparisonFigureOptions({ dose: d, view: v, split: s }, rows, panels.length)));
    if (rows.some((r) => r.status === 'ok' && r.error)) unregistered++;
  }
  assert.ok(unregistered > 0, 'the study has a job whose registration failed (its figure\'s title says so)');
  const [screen, phone] = await reportPages([1400, 420]);
  const print = await reportPrint();
  assert.equal(print.images.length, screen!.images.length);
  // the smallest of each kind of figure, for the diagnostic (the table in docs/metrics.md, "Report")
  const kinds = new Map<string, [number, number, number]>();
  screen!.images.forEach((im, i) => {
    const px = textPx.get(im.src);
    assert.ok(px !== undefined && Number.isFinite(px), `${im.src}: its smallest text is known`);
    const at = (w: number): number => px * w / im.naturalWidth;
    const [s1400, s420, printed] = [at(im.shownWidth), at(phone!.images[i]!.shownWidth), at(print.images[i]!.width) * 0.75];
    const kind = im.src.replace(/^img\/|\.png$/g, '').replace(/_dose_.*|_(train|test)$|_lsqml$|_(ms_ssim|ssim|psnr|mse|mae|frc50|frc1over7)$/, '');
    const least = kinds.get(kind) ?? [Infinity, Infinity, Infinity];
    kinds.set(kind, [Math.min(least[0], s1400), Math.min(least[1], s420), Math.min(least[2], printed)]);
    // before: a comparison figure showed at 4.5 CSS px (1400) and printed at 2.7 pt (two up); the metric charts showed at 7.8 px,
    // the ground truth's object and probe printed at 3.7 pt, the diffraction patterns at 5.7 pt
    assert.ok(s1400 >= 8, `${im.src}: its smallest text shows at ${s1400.toFixed(2)} CSS px in a 1400-px window`);
    // before: 4.5–9.1 CSS px at 420 px, every figure shrunk to the column's 396 px
    assert.ok(s420 >= 8, `${im.src}: its smallest text shows at ${s420.toFixed(2)} CSS px in a 420-px window`);
    // before: a job whose registration failed had a title longer by the warning, which widened its figure to about 1600
    // px instead of 975: 5.5 CSS px at 1400 px, 4.5 pt printed
    assert.ok(printed >= 6, `${im.src}: its smallest text prints at ${printed.toFixed(2)} pt`);
  });
  t.diagnostic([...kinds].map(([k, [a, b, c]]) => `${k}: ${a.toFixed(1)} CSS px at 1400, ${b.toFixed(1)} at 420, ${c.toFixed(1)} pt printed`).join('; '));
  for (const k of ['glance_phase', 'data_object_probe', 'data_diffraction', 'positions', 'probe_amplitude', 'probe_phase', 'comparison', 'loss', 'frc', 'chart']) assert.ok(kinds.has(k), `${k} is on the page`);
  // Phase F's reconstruction.png takes a comparison figure's place where a job was not compared (none is here): at the
  // width a comparison figure is shown and printed at, its text is as large
  const job = join('dose_1000', 'dense', 'train');
  const a = loadNpz(join(hub, 'phase_f', job, 'reconstruction.npz'));
  const obj = a.reconstructed_object!, probe = a.reconstructed_probe!;
  const recPx = phaseFigureTextPx(reconstructionPanels({
    object: Float64Array.from(obj.data as Float32Array), height: obj.shape[0]!, width: obj.shape[1]!,
    probe: Float64Array.from(probe.data as Float32Array), size: probe.shape[1]!, modes: probe.shape[0]!,
  }, null), reconstructionFigureOptions('LSQML dose_1000/dense/train: 30 positions, 2 epochs'));
  const tile = screen!.images.findIndex((im) => im.src.startsWith('img/comparison_'));
  const recWidth = pngWidth(join(hub, 'phase_f', job, 'reconstruction.png'));
  assert.ok(recPx * screen!.images[tile]!.shownWidth / recWidth >= 8, `reconstruction.png: ${(recPx * screen!.images[tile]!.shownWidth / recWidth).toFixed(2)} CSS px`);
  assert.ok(recPx * print.images[tile]!.width / recWidth * 0.75 >= 6, `reconstruction.png: ${(recPx * print.images[tile]!.width / recWidth * 0.75).toFixed(2)} pt printed`);
});

test('real study: a figure whose text its column would shrink below 8 CSS px keeps its readable width and scrolls sideways in its own box, under a note (on a 420-px phone: every job\'s figure); nothing else moves, on a 1400-px screen or on A4', { timeout: 900_000 }, async (t) => {
  const { rep, html } = await study();
  // every figure has its width, from its image's smallest text (none is guessed: a figure without one has none)
  const widths = new Map([...html.matchAll(/<figure class="readable" style="--readable: (\d+)px"><a href="([^"]+)"/g)].map((m) => [m[2]!, Number(m[1])]));
  assert.equal(widths.size, [...html.matchAll(/<img src=/g)].length, 'a readable width for every figure');
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
  const dir = dirname(rep.indexPath);
  const without = (keep: (src: string) => boolean): string => html.replace(/ class="readable" style="--readable: \d+px"(?=><a href="([^"]+)")/g, (m, src: string) => (keep(src) ? m : ''));
  // the page without them: on paper, laid out the same, element by element
  const plain = join(dir, 'plain.html');
  writeFileSync(plain, without(() => false));
  const same = async (a: string, b: string, width: number, media: 'screen' | 'print'): Promise<void> => {
    const [x, y] = [await elementBoxes(a, width, media), await elementBoxes(b, width, media)];
    assert.equal(x.length, y.length);
    assert.deepEqual(x.map((e, i) => [e, y[i]!]).filter(([p, q]) => p !== q), [], `${media} at ${width} px: elements laid out otherwise`);
  };
  await same(rep.indexPath, plain, 718, 'print');
  // on a 1400-px screen every column holds its figure at its readable width (before: the comparison figures of jobs whose
  // registration failed, whose longer title widened them, showed their text at 5.5 CSS px in a 664-px tile): nothing moves
  const [before] = await inspectPage(plain, [1400]);
  const narrow = before!.images.filter((im) => widths.get(im.src)! > im.shownWidth + 0.5).map((im) => im.src);
  assert.deepEqual(narrow, [], 'at 1400 px no figure is narrower than readable');
  await same(rep.indexPath, plain, 1400, 'screen');
  // on a phone: no sideways scrolling of the page; a figure wider than its box scrolls in it, and the note says so
  const [phone, wide] = await reportPages([420, 1400]);
  assert.ok(phone!.scrollWidth <= phone!.clientWidth, `the page scrolls sideways at 420 px: ${phone!.scrollWidth} > ${phone!.clientWidth}`);
  const over = phone!.readable.filter((f) => f.overflows);
  t.diagnostic(`at 420 px ${over.length} of ${phone!.readable.length} figures scroll in their box: ${[...new Set(over.map((f) => f.src.replace(/^img\/|\.png$|_dose_.*|_(train|test)$|_(ms_ssim|ssim|psnr|mse|mae|frc50|frc1over7)$/g, '')))].join(', ')}`);
  assert.ok(over.some((f) => f.src.includes('comparison_')), 'the comparison figures scroll at 420 px');
  for (const f of [...phone!.readable, ...wide!.readable]) {
    if (f.overflows) assert.ok(f.noteWidth > 50 && f.noteText === `"${SWIPE_NOTE}"`, `${f.src}: scrolls, and the note says so (${f.noteWidth} px, ${f.noteText})`);
    else assert.equal(f.noteWidth, 0, `${f.src}: fits, no note`);
  }
  assert.deepEqual(wide!.readable.filter((f) => f.overflows).map((f) => f.src), [], 'at 1400 px no figure scrolls');
});

test('real study: a job shown by Phase F\'s reconstruction.png (not compared) has its readable width too, from the figure laid out again as Phase F laid it out (drawn, the same bytes)', { timeout: 900_000 }, async (t) => {
  const { hub } = await study();
  const copy = join(root, 'hub-not-compared');
  cpSync(hub, copy, { recursive: true });
  rmSync(join(copy, 'report'), { recursive: true, force: true });
  const job = join('dose_1000', 'dense', 'train');
  rmSync(join(copy, 'phase_g', job, 'comparison.png'));
  const rep = await buildReport(copy);
  const html = readFileSync(rep.indexPath, 'utf8');
  const m = /<figure class="readable" style="--readable: (\d+)px"><a href="(img\/reconstruction_dose_1000_dense_train\.png)"/.exec(html);
  assert.ok(m, 'the reconstruction figure has a readable width');
  // the layout it comes from is Phase F's: its title from _metadata, its panels from reconstruction.npz
  const npz = join(copy, 'phase_f', job, 'reconstruction.npz');
  const rec = readReconstruction(npz), probe = readReconstructedProbe(npz)!;
  const meta = rec.metadata as { input: { file: string }; n_positions: number; epochs_run: number };
  const panels = reconstructionPanels({ object: rec.object.data, width: rec.object.w, height: rec.object.h, probe: probe.probe.data, size: probe.probe.w, modes: probe.modes }, null);
  const opts = reconstructionFigureOptions(reconstructionFigureTitle(meta.input.file, meta.n_positions, meta.epochs_run));
  assert.ok(renderPanelsPng(panels, opts).equals(readFileSync(join(copy, 'phase_f', job, 'reconstruction.png'))), 'drawn, it is Phase F\'s reconstruction.png');
  const f = layoutPanels(panels, opts);
  assert.equal(Number(m[1]), Math.ceil(f.width * 8 / f.smallestText));
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
  // on a 420-px phone its smallest text shows at 8 CSS px (it showed at 5.4, shrunk to the column)
  const [phone] = await inspectPage(rep.indexPath, [420]);
  const shown = phone!.images.find((im) => im.src === m[2])!.shownWidth;
  assert.ok(f.smallestText * shown / f.width >= 8, `${(f.smallestText * shown / f.width).toFixed(2)} CSS px at 420 px`);
  assert.ok(phone!.readable.find((r) => r.src === m[2])?.overflows, 'it scrolls in its box');
});
