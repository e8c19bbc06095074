/**
 * The report of a synthetic hub (test/study/compare-hub.ts: Phase C datasets, fake reconstructions without
 * probes or losses, one job missing, no Phase F manifest) and of an empty hub: every section is there,
 * whatever is missing says "not available", and the page renders in headless Chromium without errors or
 * sideways scrolling. The report of a real study is checked in study-report.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { createHash } from 'node:crypto';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runComparison } from '../../src/study/compare/phase.js';
import { metricChartPoints } from '../../src/study/compare/charts.js';
import { summaryTable } from '../../src/study/run/summary.js';
import type { MetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { comparisonTitle } from '../../src/study/hub/comparison-figure.js';
import { buildReport } from '../../src/study/report/phase.js';
import { page, SORT_SCRIPT, table } from '../../src/report/html.js';
import { energyFact, settingRows } from '../../src/study/report/sections.js';
import { radiationText } from '../../src/data/measured.js';
import { planReport } from '../../src/study/report/plan.js';
import { runFacts } from '../../src/study/report/image-sections.js';
import { metadataArray } from '../../src/data/metadata.js';
import { makeHub, toC64, H, W } from '../study/compare-hub.js';
import { parseModelSpec } from '../../src/study/compare/plan.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { syntheticObject } from '../metrics/synthetic.js';
import { tempDir } from '../tmp.js';
import { HAVE_CHROMIUM, inspectPage, inspectPrint } from './chromium.js';

const SECTIONS = ['glance', 'design', 'data', 'reconstructions', 'loss', 'frc', 'metrics', 'charts', 'phase-f', 'skipped', 'software'];

test('report: a synthetic hub renders in headless Chromium — no console errors, every image loaded, every table has rows, no sideways scrolling', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-report-'));
  try {
    const r = makeHub(root, { omit: ['1000|baseline|test'] });
    writeFileSync(join(root, 'design.json'), JSON.stringify({ preset: { name: 'quick', description: 'doses 1e3/1e4/1e5, 50 epochs' }, design: { dose_list: [1000, 10000, 100000], patch_size_pixels: 32, spacing_thresholds: { dense: 19.200000000000003 } }, settings: { n_images: null, base_npz: null, seed_note: null } }));
    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g });
    const rep = await buildReport(root);
    assert.equal(rep.indexPath, join(root, 'report', 'index.html'));
    const html = readFileSync(rep.indexPath, 'utf8');
    for (const id of SECTIONS) assert.match(html, new RegExp(`<section id="${id}">`), id);
    // each job's figure under its dose's heading, and a line of links to those headings
    const rec = html.slice(html.indexOf('<section id="reconstructions">'), html.indexOf('<section id="loss">'));
    assert.match(rec, /Go to dose: <a href="#rec-dose_1000">1e3<\/a> · <a href="#rec-dose_10000">1e4<\/a> · <a href="#rec-dose_100000">1e5<\/a>/);
    for (const d of ['1000', '10000', '100000']) assert.equal(rec.split(`<h3 id="rec-dose_${d}">dose `).length, 2, `one heading of dose ${d}`);
    // the phase grids' alt text says what they show (their caption, under them, gives only the colour scale)
    assert.match(html, /<img src="img\/glance_phase_train\.png" alt="Object phase, train split: the ground truth \(top row\) and LSQML at dose 1e3, 1e4, 1e5 \(one row each\), view baseline \(columns\), aligned to the ground truth, on one colour scale −?\d[^"]* rad[^"]*\.">/);
    // the doses in the page's header written as everywhere else on the page (1e4, not 10000)
    assert.match(html, /<header><h1>[^<]*<\/h1><p>hub [^<]* · doses 1e3, 1e4, 1e5 · our model: LSQML<\/p><\/header>/);
    // one script, inline: the tables' sorting (test/report/table-sort.test.ts); nothing loaded from elsewhere
    assert.equal(html.match(/<script/gi)?.length, 1, 'one script');
    assert.ok(html.includes(`<script>\n${SORT_SCRIPT}\n</script>`), 'the sorting script, inline');
    assert.match(html, /<table class="sortable">/);
    assert.doesNotMatch(html, /(src|href)="(\/|https?:|file:)/, 'only relative links');
    assert.match(html, /<b>dense<\/b> 19\.2</, 'numbers formatted');
    assert.doesNotMatch(html, /19\.200000000000003/);
    assert.match(html, /<figcaption>design\.json: preset \(its own defaults; the values this study ran with are under settings\)<\/figcaption>/);
    // unset settings say what they mean instead of a bare dash
    assert.match(html, /<td>n_images<\/td><td class="wrap">not set: n_positions of the preset, or the base NPZ&#39;s positions<\/td>/);
    assert.match(html, /<td>base_npz<\/td><td class="wrap">none: the synthetic object and probe<\/td>/);
    assert.match(html, /<td>seed_note<\/td><td class="wrap">not set<\/td>/);
    assert.match(html, /dose_1000\/baseline\/test\/reconstruction\.npz not found/, 'skipped job with its reason');
    // the headline table says why a job has no score, and where the reason is
    const glance = html.slice(html.indexOf('<section id="glance">'), html.indexOf('<section id="design">'));
    assert.match(glance, /<tr><td>1e3<\/td><td class="bad">not compared<\/td>/);
    assert.match(glance, /A job without a score: its reason is under <a href="#skipped">Skipped and failed jobs<\/a>/);
    assert.match(html, /Not available:<\/strong> Phase F manifest/, 'missing manifest shown as not available');
    assert.match(html, /Not available:<\/strong> loss curves/, 'no loss history: said so');
    assert.match(html, /Not available:<\/strong> reconstructed probes/, 'no probes: said so');
    for (const img of rep.images) assert.ok(existsSync(img), img);
    if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
    const shots = (w: number): string => join(root, `report-${w}.png`);
    const pages = await inspectPage(rep.indexPath, [1400, 420], shots);
    for (const facts of pages) {
      assert.deepEqual(facts.errors, [], `console errors at ${facts.viewport} px`);
      assert.ok(facts.scrollWidth <= facts.clientWidth, `no sideways scrolling at ${facts.viewport} px (${facts.scrollWidth} > ${facts.clientWidth})`);
      assert.ok(facts.images.length >= 10, `${facts.images.length} images`);
      for (const i of facts.images) assert.ok(i.naturalWidth > 0, `image not loaded: ${i.src}`);
      assert.ok(facts.tables.length >= 5, `${facts.tables.length} tables`);
      for (const tb of facts.tables) assert.ok(tb.rows > 0, `table without rows: ${tb.caption}`);
      // a caption wraps at the page's width, not at that of its (perhaps narrow) table: on a wide window none of
      // these (all under 200 characters) takes more than two lines
      if (facts.viewport >= 1000) for (const tb of facts.tables) assert.ok(tb.captionLines <= 2, `caption on ${tb.captionLines} lines: ${tb.caption}`);
      const all = facts.tables.find((x) => /All comparisons/.test(x.caption));
      assert.equal(all?.rows, 5, 'one metrics row per compared job and model');
      assert.match(facts.text, /MS-SSIM/);
      // each job's figure (six panels): three to a row on a wide window, one to a row on a phone
      const jobs = facts.images.filter((i) => /^img\/(comparison|reconstruction)_/.test(i.src));
      assert.equal(jobs.length, 5);
      const least = facts.viewport < 600 ? 0.8 * facts.clientWidth : 300;
      for (const i of jobs) assert.ok(i.shownWidth >= least, `${i.src} drawn ${Math.round(i.shownWidth)} px wide in a ${facts.clientWidth} px page`);
    }
    // printed (or saved as PDF): every column of every table on the paper, a title that needs no background
    const print = await inspectPrint(rep.indexPath);
    assert.deepEqual(print.cutOff, [], `cut off at the edge of an A4 page (${print.width} px)`);
    assert.deepEqual(print.spill, [], `past the edge of an A4 page (${print.width} px)`);
    assert.equal(print.title.color, 'rgb(17, 17, 17)', 'dark title (browsers leave backgrounds out of print)');
    assert.equal(print.navPrinted, false, 'no navigation bar on paper');
    // page 1 holds the title, the facts, the headline scores and both phase grids (printed one up, the first grid
    // did not fit under the facts and went to page 2, leaving page 1 half blank)
    assert.deepEqual(print.glanceImages.map((g) => g.src), ['img/glance_phase_train.png', 'img/glance_phase_test.png']);
    for (const g of print.glanceImages) assert.ok(g.bottom <= print.pageHeight, `${g.src} ends ${g.bottom} px down the printed page, past page 1 (${print.pageHeight} px)`);
    // "click a figure" is said on the screen, where figures open, not on paper
    assert.match(pages[0]!.text, /click for full size/i);
    assert.doesNotMatch(print.text, /click/i);
    assert.ok(readFileSync(shots(420)).length > 10000, 'screenshot taken');
    // compared squares of different sizes: the FRC charts plot ring / n, and their captions say so
    const charts = html.slice(html.indexOf('<section id="charts">'), html.indexOf('<section id="phase-f">'));
    assert.match(charts, /FRC50 against dose \(higher is better\);[^<]*; the value is a spatial frequency in cycles per pixel, each job's ring index over the side n of its compared square \(n differs between views and jobs/);
    assert.doesNotMatch(charts, /MS-SSIM against dose[^<]*cycles per pixel/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('report: an empty hub still gives a page, with every missing piece "not available"', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-report-empty-'));
  try {
    const rep = await buildReport(root);
    const html = readFileSync(rep.indexPath, 'utf8');
    assert.ok(rep.missing.length >= 5, rep.missing.join('; '));
    assert.match(html, /Not available:<\/strong> study design/);
    assert.match(html, /Not available:<\/strong> Phase G metrics/);
    assert.match(html, /Not available:<\/strong> phase grid/);
    if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed'); return; }
    const [facts] = await inspectPage(rep.indexPath, [420]);
    assert.deepEqual(facts!.errors, []);
    assert.ok(facts!.scrollWidth <= facts!.clientWidth);
    for (const tb of facts!.tables) assert.ok(tb.rows > 0, `table without rows: ${tb.caption}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('report: FRC values of reconstructions compared on squares of two sizes are frequencies (ring / n, cycles per pixel) wherever jobs sit together — means, charts, tables, the run\'s end table, Markdown and CSV — never ring indices side by side', async () => {
  const root = tempDir('report-frc-sizes');
  // the reconstructions of dose 1e4 used the positions of the left part of the scan only (as a view of fewer
  // positions would): their scanned region, and the square their FRC is computed on, are smaller than dose 1e3's
  const r = makeHub(root, { doses: [1000, 10000], positionsOf: { '10000|baseline': (_y, x) => x <= 48 } });
  await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g });
  const summary = JSON.parse(readFileSync(join(r.g, 'metrics_summary.json'), 'utf8')) as {
    rows: { model: string; status: string; compared_shape: [number, number]; metrics: Record<string, { amplitude: number; phase: number }> }[];
    aggregate_metrics: Record<string, Record<string, Record<string, number | null>>>;
  };
  const rows = summary.rows.filter((x) => x.model === 'LSQML' && x.status === 'ok');
  assert.equal(rows.length, 4);
  const sides = rows.map((x) => Math.min(...x.compared_shape));
  const [lo, hi] = [Math.min(...sides), Math.max(...sides)];
  assert.ok(hi - lo >= 10, `two sizes of compared square: ${[...new Set(sides)].join(', ')} px`);
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const perPixel = (m: string, c: 'amplitude' | 'phase'): number => mean(rows.map((x, i) => Math.min(x.metrics[m]![c] / sides[i]!, 0.5)));
  const ringMean = mean(rows.map((x) => x.metrics.frc50!.phase));
  // the summary: no mean of rings, the mean of frequencies
  const agg = summary.aggregate_metrics.LSQML!;
  assert.equal(agg.frc50!.mean_phase, null);
  assert.ok(Math.abs(agg.frc50!.mean_cycles_per_pixel_phase! - perPixel('frc50', 'phase')) < 1e-12);
  assert.deepEqual([agg.frc50!.square_side_min_phase, agg.frc50!.square_side_max_phase], [lo, hi]);
  const md = readFileSync(join(r.g, 'metrics_summary.md'), 'utf8');
  assert.match(md, new RegExp(`the compared squares differ \\(n = ${lo} to ${hi} px\\)`));
  // the report's means table: FRC in cycles per pixel, each cell the mean of the rows' ring / n, and the note under it
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  const means = html.slice(html.indexOf('Means of each model over its scored jobs'), html.indexOf('id="frc-means"'));
  assert.match(means, /<th[^>]*>FRC50 \(cycles\/px\)<\/th>/);
  assert.match(means, /<th[^>]*>FRC1\/7 \(cycles\/px\)<\/th>/);
  for (const m of ['frc50', 'frc1over7']) {
    const cell = `${perPixel(m, 'amplitude').toFixed(3)} / ${perPixel(m, 'phase').toFixed(3)}`;
    assert.ok(means.includes(`>${cell}</td>`), `${m} mean ${cell} in ${means.slice(means.indexOf('<tbody'))}`);
  }
  assert.ok(!means.includes(`>${mean(rows.map((x) => x.metrics.frc50!.amplitude)).toFixed(1)} / ${ringMean.toFixed(1)}</td>`), 'no mean of ring indices');
  assert.match(html, new RegExp(`<p class="small" id="frc-means">FRC50 and FRC1/7 means are spatial frequencies in cycles per pixel, not ring indices: the compared squares differ \\(n = ${lo} to ${hi} px\\), so a ring index is not the same frequency in every job and rings are not averaged`));
  // each job's FRC as a frequency: its ring over the side n of its own square (at most Nyquist)
  const full = JSON.parse(readFileSync(join(r.g, 'metrics_summary.json'), 'utf8')) as MetricsSummary;
  const scored = full.rows.filter((x) => x.model === 'LSQML' && x.status === 'ok');
  type Row = MetricsSummary['rows'][number];
  const ring = (x: Row, m: 'frc50' | 'frc1over7', c: 'amplitude' | 'phase'): number => x.metrics[m]![c]!;
  const cyc = (x: Row, m: 'frc50' | 'frc1over7', c: 'amplitude' | 'phase'): number => Math.min(ring(x, m, c) / Math.min(...x.compared_shape!), 0.5);
  assert.ok(scored.some((x) => ring(x, 'frc50', 'phase') > 1), 'rings, not already frequencies');
  // the charts against dose: each job's point is its ring / n, and the axis says so
  for (const m of ['frc50', 'frc1over7'] as const) {
    const pts = metricChartPoints(full, m).filter((p) => p.model === 'LSQML');
    assert.equal(pts.length, 2 * scored.length);
    for (const x of scored) {
      for (const c of ['amplitude', 'phase'] as const) {
        const p = pts.find((q) => q.dose === x.dose && q.view === x.view && q.split === x.split && q.component === c)!;
        assert.ok(Math.abs(p.value - cyc(x, m, c)) < 1e-12, `${m} ${c} of ${x.dose}/${x.split}: ${p.value}, not ring ${ring(x, m, c)}`);
      }
    }
    assert.match(readFileSync(join(r.g, 'charts', `${m}.svg`), 'utf8'), new RegExp(`>${m === 'frc50' ? 'FRC50' : 'FRC1/7'} \\(cycles/px\\)<`));
  }
  // the report's table of every comparison: cycles per pixel, the ring in the tooltip
  const all = html.slice(html.indexOf('All comparisons'), html.indexOf('Means of each model over its scored jobs'));
  assert.match(all, /<th[^>]*>FRC50 \(cycles\/px\)<\/th><th[^>]*>FRC1\/7 \(cycles\/px\)<\/th>/);
  for (const x of scored) {
    const n = Math.min(...x.compared_shape!);
    const cell = `<span title="ring ${ring(x, 'frc50', 'amplitude').toFixed(1)} / ${ring(x, 'frc50', 'phase').toFixed(1)} of the ${n}-px square">${cyc(x, 'frc50', 'amplitude').toFixed(3)} / ${cyc(x, 'frc50', 'phase').toFixed(3)}</span>`;
    assert.ok(all.includes(cell), `${cell} in the table`);
  }
  // the end-of-run table: the test rows' phase FRC50 in cycles per pixel; the ring stays in its rows (--json)
  const end = summaryTable(r.g);
  assert.match(end.text, /^dose +view +MS-SSIM phase +MS-SSIM amplitude +FRC50 phase \(cycles\/px\)$/m);
  const tests = scored.filter((x) => x.split === 'test');
  assert.equal(end.rows.filter((e) => e.status === 'ok').length, tests.length);
  for (const x of tests) {
    const f = cyc(x, 'frc50', 'phase');
    const row = end.rows.find((e) => e.dose === x.dose && e.view === x.view)!;
    assert.equal(row.frc50_phase, ring(x, 'frc50', 'phase'));
    assert.ok(Math.abs(row.frc50_phase_cycles_per_pixel! - f) < 1e-12);
    assert.match(end.text, new RegExp(`^${x.dose} +${x.view} +\\S+ +\\S+ +${f.toFixed(3).replace('.', '\\.')}$`, 'm'));
  }
  // metrics_summary.md and .csv: each row's frequency beside its ring and n
  const csv = readFileSync(join(r.g, 'metrics_summary.csv'), 'utf8');
  for (const x of scored) {
    const n = Math.min(...x.compared_shape!);
    const [a, p] = [cyc(x, 'frc50', 'amplitude'), cyc(x, 'frc50', 'phase')];
    assert.ok(csv.includes(`\n${x.dose},${x.view},${x.split},LSQML,ok,frc50_cycles_per_pixel,${a},${p},\n`), `${x.dose}/${x.split} in the CSV`);
    assert.ok(md.includes(` | ${n} | ${a.toFixed(4)} / ${p.toFixed(4)} | `), `${x.dose}/${x.split} in the Markdown`);
  }
});

test('report: broken evidence — a truncated metrics summary, an overwritten figure, a named pipe as a chart, a directory as a reconstruction — is named as broken, the rest is drawn, exit 1', async () => {
  const root = tempDir('report-broken');
  const r = makeHub(root, { doses: [1000] });
  await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g });
  const healthy = await buildReport(root);
  assert.deepEqual(healthy.broken, []);
  assert.doesNotMatch(readFileSync(healthy.indexPath, 'utf8'), /id="broken"|Broken/);
  const summary = join(r.g, 'metrics_summary.json');
  truncateSync(summary, 100);
  const png = join(r.g, 'dose_1000', 'baseline', 'train', 'comparison.png');
  writeFileSync(png, readFileSync(png).subarray(0, 200)); // cut short: its signature is there, its end is not
  const chart = join(r.g, 'charts', 'mae.png');
  unlinkSync(chart);
  assert.equal(spawnSync('mkfifo', [chart]).status, 0);
  const npz = join(r.f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz');
  rmSync(npz);
  mkdirSync(npz);
  const rep = await buildReport(root);
  assert.deepEqual(rep.broken.map((b) => b.file).sort(), [chart, png, npz, summary].sort());
  assert.match(rep.broken.find((b) => b.file === chart)!.reason, /^not a regular file \(a named pipe\)$/);
  assert.match(rep.broken.find((b) => b.file === npz)!.reason, /^not a regular file \(a directory\)$/);
  assert.match(rep.broken.find((b) => b.file === png)!.reason, /^expected a whole PNG image/);
  assert.match(rep.broken.find((b) => b.file === summary)!.reason, /not valid JSON/);
  const html = readFileSync(rep.indexPath, 'utf8');
  // the broken files first, each once, with why; where their part would be, "Broken", never "not available"
  assert.match(html, /<section id="broken">[\s\S]*Broken evidence/);
  for (const f of [chart, png, npz, summary]) assert.equal(html.split(`<code>${f}</code>`).length - 1, 1, f);
  assert.match(html, /Broken:<\/strong> Phase G metrics: [^<]*metrics_summary\.json: not valid JSON/);
  assert.match(html, /Broken:<\/strong> comparison figure of dose 1e3, baseline, train: /);
  assert.match(html, /Broken:<\/strong> chart of MAE: /);
  assert.match(html, /<dd>broken: metrics_summary\.json could not be read/);
  assert.match(html, /Broken:<\/strong> skipped and failed jobs it lists: [^<]*metrics_summary\.json: /);
  assert.doesNotMatch(html, /Not available:<\/strong> (Phase G metrics|charts|reconstruction images)/);
  assert.ok(rep.missing.every((m) => !m.includes('metrics_summary.json')), rep.missing.join('; '));
  // the rest of the evidence is still drawn: the other charts, the test job's comparison figure
  assert.ok(rep.images.some((f) => f.endsWith('chart_mse.png')));
  assert.ok(rep.images.some((f) => f.endsWith('comparison_dose_1000_baseline_test.png')));
  // the command: the page is written, one line per broken file on stderr, exit 1
  const cli = spawnSync(process.execPath, [join(process.cwd(), 'dist', 'src', 'cli', 'main.js'), 'report', '--out', root, '--quiet'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(cli.status, 1, cli.stderr);
  const lines = cli.stderr.trim().split('\n');
  assert.equal(lines.length, 4, cli.stderr);
  for (const f of [chart, png, npz, summary]) assert.equal(lines.filter((l) => l.startsWith(`${f}: `)).length, 1, cli.stderr);
});

test('report: a comparison whose registration failed says so beside its scores (Markdown summary and page)', async () => {
  const root = tempDir('report-registration');
  const r = makeHub(root, { doses: [1000] });
  mkdirSync(join(root, 'ext'), { recursive: true });
  // the ground truth moved by 13 px: more than a quarter of the compared window, so registration gives up
  saveNpz(join(root, 'ext', 'moved.npz'), { reconstructed_object: toC64(syntheticObject(H, W, 11, [0, 13])) });
  const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train', models: [parseModelSpec(`Moved=${join(root, 'ext', 'moved.npz')}`)] });
  const row = s.summary.rows.find((x) => x.model === 'Moved')!;
  assert.equal(row.status, 'ok');
  assert.match(row.error ?? '', /exceeds a quarter of the window; the unregistered image was used/);
  const md = readFileSync(join(r.g, 'metrics_summary.md'), 'utf8');
  assert.match(md, /\| Moved \| ok \(registration shift \(.*\) exceeds a quarter of the window; the unregistered image was used\) \|/);
  assert.match(md, /\| LSQML \| ok \|/);
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  // the status cell stays one short line (a word and a mark linked to the note); the warning is under the table
  assert.match(html, /<td>Moved<\/td><td><span class="good">ok<\/span>, warning<sup><a href="#metrics-note-1" title="scored with a warning: registration shift \([^"<]*\) exceeds a quarter of the window; the unregistered image was used">1<\/a><\/sup><\/td>/);
  const metrics = html.slice(html.indexOf('<section id="metrics">'), html.indexOf('</section>', html.indexOf('<section id="metrics">')));
  assert.match(metrics, /<li id="metrics-note-1">1e3 baseline train, Moved: scored with a warning: registration shift \(.*\) exceeds a quarter of the window; the unregistered image was used<\/li>/);
  assert.doesNotMatch(metrics, /<td class="[^"]*wrap[^"]*"><span class="good">ok/);
  assert.match(html, /<td>LSQML<\/td><td class="good">ok<\/td>/);
});

test('report: a job of ours scored unregistered is flagged wherever its scores and images are (glance, figure caption, skipped and failed jobs); units of the metrics', async () => {
  const root = tempDir('report-unregistered');
  const r = makeHub(root, { doses: [1000] });
  // our own reconstruction of one job moved by 13 px: more than a quarter of the window, so its registration gives up
  const rec = join(r.f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz');
  saveNpz(rec, { ...loadNpz(rec), reconstructed_object: toC64(syntheticObject(H, W, 11, [0, 13])) });
  const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g });
  // the job's comparison.png says so in its title; the other job's keeps the plain one
  const job = (split: string): { dose: number; view: string; split: string } => ({ dose: 1000, view: 'baseline', split });
  assert.equal(comparisonTitle(job('test'), s.summary.rows.filter((x) => x.split === 'test')),
    'dose 1e3, baseline, test: LSQML not registered');
  assert.equal(comparisonTitle(job('train'), s.summary.rows.filter((x) => x.split === 'train')), 'dose 1e3, baseline, train: aligned to ground truth');
  // the doses as the rest of the report writes them
  assert.equal(comparisonTitle({ dose: 25000, view: 'dense', split: 'test' }, []), 'dose 2.5e4, dense, test: aligned to ground truth');
  assert.equal(comparisonTitle({ dose: 500, view: 'sparse', split: 'train' }, []), 'dose 500, sparse, train: aligned to ground truth');
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  const part = (id: string): string => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));
  // at a glance: the count, the starred score and what the star means
  const glance = part('glance');
  assert.match(glance, /2 of 2 scored against the ground truth, 1 of them with a warning \(see Skipped and failed jobs\)/);
  assert.match(glance, /<td class="num bad">\d\.\d{3} \/ \d\.\d{3} \*<\/td>/);
  assert.match(glance, /\* Scored with a warning \(a registration that failed: the unregistered image was scored\)/);
  assert.match(glance, /test split: one colour scale for both grids \(train and test\), [^<]*; not registered \(its registration failed, see Skipped and failed jobs\): dose 1e3 baseline/);
  // the job's figure: caption and alt text say the dose and the warning
  assert.match(part('reconstructions'), /<img src="img\/comparison_dose_1000_baseline_test\.png" alt="dose 1e3, baseline, test: ground truth, LSQML and error, amplitude and phase · MS-SSIM [^"]* — warning: registration shift \([^"]*\) exceeds a quarter of the window; the unregistered image was used">/);
  assert.match(part('reconstructions'), /<figcaption>baseline, test · MS-SSIM [^<]* — warning: registration shift/);
  assert.match(part('reconstructions'), /<img src="img\/comparison_dose_1000_baseline_train\.png" alt="dose 1e3, baseline, train: [^"]*"><\/a><figcaption>baseline, train · MS-SSIM \d\.\d{3} \/ \d\.\d{3}; scored: rows \d+–\d+, columns \d+–\d+ of the ground truth \(the scanned region\), \d+×\d+ px compared after cutting \d+ px from every edge<\/figcaption>/);
  // the region in the caption is the row's
  const tr = s.summary.rows.find((x) => x.split === 'train')!;
  assert.ok(part('reconstructions').includes(`scored: rows ${tr.region!.y0}–${tr.region!.y1 - 1}, columns ${tr.region!.x0}–${tr.region!.x1 - 1} of the ground truth (the scanned region), ${tr.compared_shape![0]}×${tr.compared_shape![1]} px compared after cutting ${tr.values.border_px} px from every edge`));
  assert.match(part('reconstructions'), /Each error map has its own symmetric colour scale/);
  // skipped and failed jobs: the warning listed with the job
  const skipped = part('skipped');
  assert.match(skipped, /<figcaption>Scored with a warning/);
  assert.match(skipped, /<tr><td>1e3<\/td><td>baseline<\/td><td>test<\/td><td>LSQML<\/td><td class="wrap">registration shift \(.*\) exceeds a quarter of the window; the unregistered image was used<\/td><\/tr>/);
  // units: the phase values of MAE and MSE, in the tables and in the charts; FRC thresholds in cycles per pixel
  assert.match(part('metrics'), /<th>MAE \(phase: rad\)<\/th><th>MSE \(phase: rad²\)<\/th>/);
  assert.match(part('metrics'), /<th>reconstruction time \(s\)<\/th>/);
  assert.match(readFileSync(join(r.g, 'charts', 'mae.svg'), 'utf8'), />phase \(rad\)</);
  assert.match(readFileSync(join(r.g, 'charts', 'mse.svg'), 'utf8'), />phase \(rad²\)</);
  assert.doesNotMatch(readFileSync(join(r.g, 'charts', 'ms_ssim.svg'), 'utf8'), />phase \(/);
  assert.match(readFileSync(join(r.g, 'charts', 'frc50.svg'), 'utf8'), />FRC50 \(cycles\/px\)</);
  assert.match(part('charts'), /MAE against dose \(lower is better\); colour = view, dash = model; columns amplitude, phase \(phase in rad\); each point is one reconstruction \(no repeats, so no error bars\)/);
});

test('report: the study design lists every setting the study ran with and the command that runs it again; seconds to one decimal', async () => {
  const root = tempDir('report-provenance');
  makeHub(root, { doses: [1000] });
  const all = { preset: 'quick', simulation: { doses: [1000], seed: 42 }, reconstruction: { epochs: 50, batchSize: 96, noiseModel: 'gaussian', objectPlan: { start: 0, stop: null, stride: 1 } },
    execution: { jobs: 3, executor: 'slurm' } };
  writeFileSync(join(root, 'settings.json'), JSON.stringify(all));
  writeFileSync(join(root, 'run.json'), JSON.stringify({ version: '0.1.0', status: 'complete', settings: { preset: 'quick' }, study_settings: all,
    phases: { generate: { status: 'complete', seconds: 7.97, detail: '1 dose' }, design: { status: 'complete', seconds: 0 } } }));
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  const design = html.slice(html.indexOf('<section id="design">'), html.indexOf('<section id="data">'));
  assert.match(design, /<figcaption>every setting of the study that shapes its results \(run\.json study_settings, as settings\.json; how it was executed — executor, jobs, threads — is in run\.json\)<\/figcaption>/);
  // how it ran changes no result: a SLURM run's page, or one after a resume with other --jobs, is the local run's
  assert.doesNotMatch(design, /execution|slurm/);
  assert.match(design, /<td>reconstruction\.batchSize<\/td><td class="wrap">96<\/td>/);
  assert.match(design, /<td>reconstruction\.noiseModel<\/td><td class="wrap">gaussian<\/td>/);
  assert.match(design, /<td>simulation<\/td><td class="wrap"><span class="kv"><span><b>doses<\/b> 1e3<\/span> <span><b>seed<\/b> 42<\/span><\/span><\/td>/);
  assert.ok(design.includes(`<code>ptychostudy run --config ${join(root, 'settings.json')} --out NEW_HUB</code>`), 'the command that runs the study again');
  // 7.97 s is 8.0 s, not "8"; 0 s is 0.0 s
  assert.match(design, /<td>generate<\/td><td>complete<\/td><td class="num">8\.0<\/td>/);
  assert.match(design, /<td>design<\/td><td>complete<\/td><td class="num">0\.0<\/td>/);
});

test('report: the means table uses the rows\' decimals, and the page says which metrics are better higher', async () => {
  const root = tempDir('report-means');
  const r = makeHub(root, { doses: [1000, 10000] });
  await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train' });
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  assert.match(html, /<figcaption>Means of each model over its scored jobs \(every dose, view and split together, so not the score of any one of them; amplitude \/ phase\)<\/figcaption>/);
  // which jobs: how many were scored, of which grid of doses, views and splits (the hub reconstructed the baseline
  // view only: Phase G skipped the dense and sparse jobs)
  assert.match(html, /<p class="small">Averaged: LSQML, 2 scored jobs of 2 doses × 3 views × 1 split \(6 jobs\); 4 not scored \(failed or skipped\) left out\.<\/p>/);
  const means = html.split('Means of each model over its scored jobs')[1]!.split('</tr>')[1]!;
  const cells = [...means.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]!);
  // jobs, MAE, MSE, PSNR, PSNR peak 255, SSIM, MS-SSIM, FRC50, FRC1/7 (the FRC means in cycles per pixel, 0.123)
  const decimals = [4, 5, 2, 2, 4, 4, 3, 3];
  assert.equal(cells.length, 1 + decimals.length, means);
  decimals.forEach((d, i) => assert.match(cells[i + 1]!, new RegExp(`^-?\\d+\\.\\d{${d}} / -?\\d+\\.\\d{${d}}$`), `column ${i + 1}: ${cells[i + 1]}`));
  assert.match(html, /Higher is better: PSNR \(dB\), PSNR peak 255 \(dB\), SSIM, MS-SSIM, FRC50, FRC1\/7\. Lower is better: MAE, MSE\./);
});

test('report: data without a ground truth (measured data) shows each reconstruction as such, and why its comparison failed', async () => {
  const root = tempDir('report-no-ground-truth');
  const r = makeHub(root, { doses: [1000] });
  const input = join(r.c, 'dose_1000', 'patched_train.npz');
  const data = loadNpz(input);
  delete data.objectGuess;
  saveNpz(input, data);
  // Phase F's figure of the job (the report shows the file as it is)
  const png = new PNG({ width: 40, height: 30 });
  png.data.fill(200);
  writeFileSync(join(r.f, 'dose_1000', 'baseline', 'train', 'reconstruction.png'), PNG.sync.write(png));
  const s = await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, split: 'train' });
  assert.equal(s.summary.rows[0]?.status, 'failed');
  const built = await buildReport(root);
  const html = readFileSync(built.indexPath, 'utf8');
  const rec = html.slice(html.indexOf('<section id="reconstructions">'), html.indexOf('<section id="loss">'));
  assert.match(rec, /<h3>Each job: reconstructed object and probe<\/h3>/);
  assert.match(rec, /No job was compared with a ground truth/);
  assert.doesNotMatch(rec, /ground truth, reconstruction and error|aligned to it/, 'no description of comparison figures that are not there');
  assert.match(rec, /<img src="img\/reconstruction_dose_1000_baseline_train\.png"/);
  assert.match(rec, /baseline, train: reconstruction only — its comparison failed \(reason under <a href="#skipped">Skipped and failed jobs<\/a>\)/);
  // the failure's reason is a note under the table, not a sentence in its cell pushing the metric columns off the page
  assert.match(html, /<td>LSQML<\/td><td class="bad">failed<sup><a href="#metrics-note-1" title="failed: no ground truth[^"]*">1<\/a><\/sup><\/td>/);
  assert.match(html, /<li id="metrics-note-1">1e3 baseline train, LSQML: failed: no ground truth/);
  // the scan-position figure holds the one view there is (two splits: taller than wide), not three columns of
  // which two say "not available"
  assert.match(html, /Scan centres of each view \(columns\) and split \(rows\)/);
  const positions = PNG.sync.read(readFileSync(join(dirname(built.indexPath), 'img', 'positions_dose_1000.png')));
  assert.ok(positions.width < positions.height, `${positions.width} × ${positions.height}`);
  // drawn at the scale of the full grid of views and splits (its text the size of a study's), not zoomed to the
  // column's width: one column of the three is well under the 1000 px a full grid is drawn at
  const shown = Number(/<img src="img\/positions_dose_1000\.png" width="(\d+)"/.exec(html)?.[1] ?? NaN);
  assert.ok(shown > 300 && shown < 600, `positions drawn ${shown} px wide`);
});

test('report: the detector mask of measured data — pixels masked per source, the mask drawn, a job with the mask off said so; none for simulated data', async () => {
  const root = tempDir('report-detector-mask');
  const r = makeHub(root, { doses: [1000] });
  const mask = new Uint8Array(16 * 16);
  for (let i = 0; i < 16; i++) mask[7 * 16 + i] = 1; // a gap row
  mask[3] = 1;
  const record = { applied: true, pixels_masked: 17, pattern_pixels: 256, sources: [
    { source: 'cxi mask', key: 'entry_1/instrument_1/detector_1/mask', pixels: 1, bits: '0x2ff', pixels_with_other_bits_only_fitted: 3, pixels_masked_in_some_patterns_only: 1 },
    { source: 'integer maximum', key: 'entry_1/data_1/data', pixels: 16, dtype: '<u4', pixels_masked_in_some_frames_only: 2 }] };
  const setJob = (split: string, meta: Record<string, unknown>, member: boolean): void => {
    const file = join(r.f, 'dose_1000', 'baseline', split, 'reconstruction.npz');
    const a = loadNpz(file);
    a._metadata = metadataArray(meta);
    if (member) a.detector_mask = { dtype: '|u1', shape: [16, 16], data: mask };
    a.loss_history = { dtype: '<f8', shape: [3], data: Float64Array.from([9, 4, 2]) }; // a loss curve to caption
    saveNpz(file, a);
  };
  const before = readFileSync((await buildReport(root)).indexPath, 'utf8');
  assert.doesNotMatch(before, /Detector mask/, 'simulated data: no mask part');
  setJob('train', { detector_mask: record }, true);
  setJob('test', { detector_mask: { applied: false, reason: 'reconstruction.detectorMask false (--no-detector-mask): every pixel is fitted as read',
    fitted_as_read: [{ source: 'cxi mask', key: 'entry_1/instrument_1/detector_1/mask' }, { source: 'integer maximum', key: 'entry_1/data_1/data', values: 2520, value: '4294967295', dtype: '<u4' }] } }, false);
  const built = await buildReport(root);
  const html = readFileSync(built.indexPath, 'utf8');
  const data = html.slice(html.indexOf('<section id="data">'), html.indexOf('<section id="reconstructions">'));
  assert.match(data, /<h3>Detector mask<\/h3>/);
  assert.match(data, /<tr><td>1e3 baseline train<\/td><td>applied<\/td><td class="num">17 of 256 \(6\.64 %\)<\/td><td class="wrap">cxi mask entry_1\/instrument_1\/detector_1\/mask: 1 \(1 of them in some patterns only\), and 3 with other bits only fitted; integer maximum entry_1\/data_1\/data: 16 \(2 of them in some frames only\)<\/td><\/tr>/);
  assert.match(data, /<tr><td>1e3 baseline test<\/td><td>off<\/td><td class="na">—<\/td><td class="wrap">reconstruction\.detectorMask false \(--no-detector-mask\): every pixel is fitted as read; fitted as read: cxi mask entry_1\/instrument_1\/detector_1\/mask; 2520 values at the integer maximum in entry_1\/data_1\/data<\/td><\/tr>/);
  assert.match(data, /<div class="gallery">\n<figure class="readable" style="--readable: \d+px"><a href="img\/data_detector_mask\.png" title="full size"><img src="img\/data_detector_mask\.png"/, 'a gallery tile, not page-wide');
  // At a glance: the mask in one line; every reconstruction is of a measured file, so the doses are folder names
  // (simulated data, before: photons per pattern, no mask line)
  assert.match(html, /<dt>detector mask<\/dt><dd>applied in 1 reconstruction \(17 of 256 pixels masked\); off in 1 \(see Data\)<\/dd>/);
  // the loss counts the masked pixels (pty-chi's loss, every detector pixel): said under the loss curves, of the one job
  assert.match(html, /amplitudes \(docs\/lsqml\.md\), so in the unit of the intensities per detector pixel: [^.]*the values as stored for a CXI or PtyPy file\. Jobs with a detector mask \(1 of 2\): their loss counts every detector pixel, the masked ones included/);
  assert.doesNotMatch(before, /Jobs with a detector mask/);
  assert.match(html, /<dt>doses<\/dt><dd>1e3 \(folder names: measured data has no set dose\)<\/dd>/);
  assert.match(before, /<dt>doses<\/dt><dd>1e3 photons per pattern<\/dd>/);
  assert.doesNotMatch(before, /<dt>detector mask<\/dt>/);
  assert.match(data, /Detector mask of 1e3 baseline train \(16×16 detector pixels, DC at the centre; cxi mask entry_1\/instrument_1\/detector_1\/mask: 1 \(1 of them in some patterns only\), and 3 with other bits only fitted; integer maximum entry_1\/data_1\/data: 16 \(2 of them in some frames only\)\): black pixels were masked/);
  // the image: one panel on the mask's own scale, 1 = masked drawn black
  const drawn = built.figures.find((d) => d.file === 'data_detector_mask.png');
  assert.ok(drawn, 'the mask figure is recorded');
  assert.deepEqual(drawn.panels.map((p) => [p.quantity, p.colormap, p.vmin, p.vmax, p.title]), [['detector-mask', 'binary', 0, 1, '17 pixels masked']]);
  // a CXI file where Phase C's NPZ is (reconstruct reads it by content): said to be measured data the report does
  // not draw, not "not a valid .npz"; the NPZ of the other split is still drawn
  copyFileSync('test/fixtures/cxi/scan.cxi', join(r.c, 'dose_1000', 'patched_test.npz'));
  const withCxi = readFileSync((await buildReport(root)).indexPath, 'utf8');
  assert.match(withCxi, /Not available:<\/strong> ground truth and scan positions of phase_c\/dose_1000\/patched_test\.npz: measured data in an HDF5 file \(CXI or PtyPy \.ptyd\), which has no ground truth; the report draws its patterns \(those of the train split, below\) but not its positions/);
  assert.doesNotMatch(withCxi, /not a valid \.npz/);
  assert.match(withCxi, /<img src="img\/data_object_probe\.png"/);
});

test('report: the energy of measured data — what it is the energy of, the wavelength and its formula, per job; none for simulated data', async () => {
  const root = tempDir('report-energy');
  const r = makeHub(root, { doses: [1000] });
  const before = readFileSync((await buildReport(root)).indexPath, 'utf8');
  assert.doesNotMatch(before, /Energy and wavelength/, 'simulated data: no energy part');
  const file = join(r.f, 'dose_1000', 'baseline', 'train', 'reconstruction.npz');
  const a = loadNpz(file);
  a._metadata = metadataArray({ input_format: 'cxi', geometry: { energy_J: 4.80653e-14, energy_eV: 300000, radiation: 'electron', wavelength_m: 1.9687489e-12,
    wavelength_formula: 'electron: λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (electron kinetic energy, relativistic; m0 CODATA 2018), as reconstruction.radiation (--radiation) says' } });
  saveNpz(file, a);
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  const data = html.slice(html.indexOf('<section id="data">'), html.indexOf('<section id="reconstructions">'));
  assert.match(data, /<h3>Energy and wavelength<\/h3>/);
  assert.match(data, /<tr><td>1e3 baseline train<\/td><td class="wrap">300 keV: an electron&#39;s kinetic energy, as reconstruction\.radiation \(--radiation\) says; wavelength 1\.96875 pm by λ = h\/√\(2·m0·E·\(1 \+ E\/\(2·m0·c²\)\)\) \(relativistic; m0 CODATA 2018\)<\/td><\/tr>/);
  assert.doesNotMatch(data, /1e3 baseline test<\/td><td class="wrap">(electron|photon)/, 'only the job of measured data');
});

test('energyFact: the energy of measured data said once — how much, of what, why, the wavelength and its formula', () => {
  // as the CXI reader records a file that states no radiation, and one read as electron data by the setting
  const photon = energyFact({ energy_eV: 8000, radiation: 'photon', wavelength_m: 1.5498e-10, wavelength_formula: radiationText('photon', { source: 'default' }) });
  assert.equal(photon, '8 keV: the file states no radiation, so a photon energy (reconstruction.radiation, --radiation electron, says otherwise); wavelength 154.98 pm by λ = h·c/E');
  const electron = energyFact({ energy_eV: 300000, radiation: 'electron', wavelength_m: 1.9687489e-12, wavelength_formula: radiationText('electron', { source: 'setting' }) });
  assert.equal(electron, '300 keV: an electron\'s kinetic energy, as reconstruction.radiation (--radiation) says; wavelength 1.96875 pm by λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (relativistic; m0 CODATA 2018)');
  const stated = energyFact({ energy_eV: 8000, radiation: 'photon', wavelength_m: 1.5498e-10, wavelength_formula: radiationText('photon', { source: 'file', key: 'entry_1/instrument_1/source_1/type', stated: 'X-ray' }) });
  assert.equal(stated, '8 keV: a photon energy, as the file states at entry_1/instrument_1/source_1/type (\'X-ray\'); wavelength 154.98 pm by λ = h·c/E');
  const ptyd = energyFact({ energy_eV: 8000, radiation: 'photon', wavelength_m: 1.5498e-10, wavelength_formula: radiationText('photon', { source: 'format' }) });
  assert.equal(ptyd, '8 keV: a photon energy, as PtyPy stores it in meta/energy (for electron data, the photon energy of the same wavelength); wavelength 154.98 pm by λ = h·c/E');
  // a formula line of another writer is kept whole
  assert.equal(energyFact({ energy_eV: 8000, wavelength_m: 1.5498e-10, wavelength_formula: 'hc/E' }), 'photon 8 keV, wavelength 154.98 pm; hc/E');
});

test('report: the patterns of a CXI file in Phase C\'s place are drawn as its reconstruction read them; a changed file is said, not drawn', async () => {
  const root = tempDir('report-measured-patterns');
  const r = makeHub(root, { doses: [1000] });
  const input = join(r.c, 'dose_1000', 'patched_train.npz');
  copyFileSync('test/fixtures/cxi/scan.cxi', input);
  const bytes = readFileSync(input);
  const job = join(r.f, 'dose_1000', 'baseline', 'train', 'reconstruction.npz');
  const a = loadNpz(job);
  // what a reconstruction of the file records of it (lsqml-job.ts): its size, SHA-256 and the key of its patterns
  a._metadata = metadataArray({ input_format: 'cxi', input: { file: 'patched_train.npz', size_bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    geometry: { keys: { diffraction: 'entry_1/data_1/data' } } });
  saveNpz(job, a);
  const built = await buildReport(root);
  const html = readFileSync(built.indexPath, 'utf8');
  const data = html.slice(html.indexOf('<section id="data">'), html.indexOf('<section id="reconstructions">'));
  assert.match(data, /<img src="img\/data_diffraction\.png"/);
  assert.match(data, /Patterns 0, 20, 39 of the train split of each dose \(32×32 detector pixels, DC at the centre\): of measured data \(CXI, PtyPy \.ptyd: dose 1e3, 40 patterns in phase_c\/dose_1000\/patched_train\.npz\), the values as stored in the file, whose size and SHA-256 match those its reconstruction recorded/);
  // the panels are those rows of the file: the brightest pixel of the three, and each one's share of pixels below 1
  const h5 = await Hdf5Reader.open(input);
  const stack = (() => { try { return h5.readFloat64('entry_1/data_1/data', 'patterns', 1e6); } finally { h5.close(); } })();
  const rows = [0, 20, 39].map((i) => stack.data.subarray(i * 1024, (i + 1) * 1024));
  const drawn = built.figures.find((d) => d.file === 'data_diffraction.png');
  assert.ok(drawn, built.missing.join('\n'));
  assert.equal(drawn.panels.length, 3);
  assert.equal(drawn.panels[0]!.vmax, Math.max(...rows.map((row) => Math.max(...row))));
  rows.forEach((row, k) => assert.equal(drawn.panels[k]!.clippedBelow, row.filter((v) => v < 1).length / row.length, `pattern ${[0, 20, 39][k]}`));
  // a file's values are not photon counts of a simulation: those under the scale are "below 1", not "with 0 photons"
  assert.ok(drawn.panels.some((p) => p.clippedBelow > 0));
  for (const p of drawn.panels) if (p.clippedBelow > 0) assert.match(p.clipNote, / below 1$/);
  // nor is its colour bar in photons: the values as the file stores them
  for (const p of drawn.panels) assert.equal(p.unit, 'value as stored');
  // a file changed since: said, not drawn, and the rest of the page is written
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(input, bytes);
  const changed = await buildReport(root);
  assert.ok(!changed.figures.some((d) => d.file === 'data_diffraction.png'));
  assert.ok(changed.missing.includes(`diffraction at dose 1e3: phase_c/dose_1000/patched_train.npz: not drawn — the SHA-256 of ${input} is not the one recorded (the file has changed)`), changed.missing.join('\n'));
  // no reconstruction of it: nothing to check the file against, said so
  rmSync(job);
  const none = await buildReport(root);
  assert.ok(none.missing.some((m) => m.startsWith('diffraction at dose 1e3: phase_c/dose_1000/patched_train.npz: measured data in an HDF5 file') && m.endsWith('phase_f/dose_1000/baseline/train/reconstruction.npz is not there')), none.missing.join('\n'));
});

test('report: scale bars in metres only when every reconstruction states the same pixel size', async () => {
  const root = tempDir('report-pixel-size');
  const r = makeHub(root, { doses: [1000, 10000] });
  const withPixel = (job: string, yx: [number, number] | null): void => {
    const file = join(r.f, job, 'reconstruction.npz');
    const a = loadNpz(file);
    a._metadata = metadataArray(yx ? { geometry: { object_pixel_size_m_yx: yx } } : {});
    saveNpz(file, a);
  };
  const jobs = ['dose_1000/baseline/train', 'dose_1000/baseline/test', 'dose_10000/baseline/train', 'dose_10000/baseline/test'];
  for (const j of jobs) withPixel(j, [1e-8, 1e-8]);
  assert.deepEqual(planReport(root).pixelSizeM, [1e-8, 1e-8]);
  // one reconstruction of other data (another pixel size): none is taken for all
  withPixel(jobs[3]!, [2e-8, 2e-8]);
  assert.equal(planReport(root).pixelSizeM, null);
  withPixel(jobs[3]!, null);
  const plan = planReport(root);
  assert.equal(plan.pixelSizeM, null);
  assert.equal(plan.pixelSizesDiffer, true);
  const html = readFileSync((await buildReport(root)).indexPath, 'utf8');
  assert.match(html, /<dt>pixel size<\/dt><dd>differs between the reconstructions, or some do not state it \(lengths in pixels\)<\/dd>/);
});

test('report: a masked pixel of a CXI file in Phase C\'s place holding a detector gap\'s value does not take the patterns\' colour scale', async () => {
  const { fixtureEntries, writeHdf5 } = await import('../data/cxi-builder.js');
  const root = tempDir('report-measured-gap');
  const r = makeHub(root, { doses: [1000] });
  const entries = await fixtureEntries();
  const D = 'entry_1/data_1/data';
  const counts = Uint32Array.from(entries[D]!.data as Uint32Array);
  for (let i = 0; i < 40; i++) counts[i * 1024 + 500] = 4294967295; // a gap pixel in every pattern
  const input = join(r.c, 'dose_1000', 'patched_train.npz');
  writeHdf5(input, { ...entries, [D]: { data: counts, shape: [40, 32, 32], dtype: '<I' } });
  const bytes = readFileSync(input);
  const job = join(r.f, 'dose_1000', 'baseline', 'train', 'reconstruction.npz');
  const a = loadNpz(job);
  a._metadata = metadataArray({ input_format: 'cxi', input: { file: 'patched_train.npz', size_bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    geometry: { keys: { diffraction: D } }, detector_mask: { applied: true, pixels_masked: 1, pattern_pixels: 1024, sources: [{ source: 'integer maximum', key: D, pixels: 1 }] } });
  const mask = new Uint8Array(1024);
  mask[500] = 1;
  a.detector_mask = { dtype: '|u1', shape: [32, 32], data: mask };
  saveNpz(job, a);
  const built = await buildReport(root);
  const drawn = built.figures.find((d) => d.file === 'data_diffraction.png');
  assert.ok(drawn, built.missing.join('\n'));
  let brightest = 0;
  for (const i of [0, 20, 39]) for (let p = 0; p < 1024; p++) if (p !== 500 && counts[i * 1024 + p]! > brightest) brightest = counts[i * 1024 + p]!;
  assert.equal(drawn.panels[0]!.vmax, brightest);
  const html = readFileSync(built.indexPath, 'utf8');
  assert.match(html, /one shared log colour scale from 1 to [\d, ]+ \(the brightest pixel the reconstructions fitted: 1 masked pixel holds more/);
});

test('at a glance, from run.json: preset, epochs and seeds, when and by which version the study ran; nothing made up where it is missing or broken', () => {
  const run = { version: '0.1.0', created: '2026-12-07T01:52:45Z', status: 'complete',
    study_settings: { preset: 'fly64', simulation: { seed: 7 }, overlap: { seed: 456 }, reconstruction: { seed: 3, epochs: 100 } } };
  assert.deepEqual(runFacts({ value: run }), {
    settings: 'preset fly64; 100 epochs; seeds: simulation 7, overlap 456, reconstruction 3 (every setting under Study design)',
    run: 'started 2026-12-07T01:52:45Z, by ptychostudy 0.1.0, status complete (run.json; versions under Software)',
  });
  // a hub of an earlier version without study_settings; a seed that is not a number is left out, not written
  assert.deepEqual(runFacts({ value: { version: '0.0.9', status: 'running', study_settings: { simulation: { seed: 'x' } } } }),
    { settings: '', run: 'by ptychostudy 0.0.9, status running (run.json; versions under Software)' });
  for (const r of [null, { error: 'Unexpected end of JSON input' }, { value: null }, { value: [1, 2] }]) assert.deepEqual(runFacts(r), { settings: '', run: '' });
});

test('printed (or saved as PDF): the command that runs a reconstruction again and the geometry of cropped, binned frames stay on the paper', async (t) => {
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed'); return; }
  // the longest key–value cells of any report: _metadata.geometry of `lsqml --input frames.cxi --crop-center 38,72
  // --crop-size 64 --bin-size 2` (its `frames` and `keys`), and the command with three absolute paths, as the report
  // of one reconstruction lays them out
  const geometry = {
    energy_eV: 8000, wavelength_formula: 'photon: λ = h·c/E (photon energy), the file states no radiation (photon unless reconstruction.radiation, --radiation electron, says otherwise)',
    keys: { diffraction: 'entry_1/data_1/data', energy: 'entry_1/instrument_1/source_1/energy', distance: 'entry_1/instrument_1/detector_1/distance',
      x_pixel_size: 'entry_1/instrument_1/detector_1/x_pixel_size', y_pixel_size: 'entry_1/instrument_1/detector_1/y_pixel_size',
      translation: 'entry_1/sample_1/geometry_1/translation', probe: 'entry_1/instrument_1/source_1/illumination', mask: 'entry_1/instrument_1/detector_1/mask' },
    frames: { file_frame_shape: [80, 112], crop_center_yx: [38, 72], crop_size: 64, window_rows: [6, 70], window_columns: [40, 104], bin_size: 2, pattern_shape: [32, 32],
      file_pixel_size_m_yx: [3.75e-5, 3.75e-5], how: 'file rows 6 … 69, columns 40 … 103, 2×2 pixels summed (counts); a binned pixel is masked when any of its pixels is' },
  };
  const dir = tempDir('report-print');
  const command = `ptychostudy lsqml --config ${dir}/a-reconstruction/report/img/lsqml-settings.json --input ${dir}/measured/frames.cxi --out ${dir}/a-reconstruction-rerun`;
  const file = join(dir, 'index.html');
  writeFileSync(file, page('print', 'A4', [{ id: 'input', title: 'Input file', body: table(['parameter', 'value'], settingRows(geometry), { caption: 'Geometry read from the file (_metadata.geometry)', cls: 'settings' }) },
    { id: 'settings', title: 'Settings', body: `<pre><code>${command}</code></pre>` }]));
  const print = await inspectPrint(file);
  assert.deepEqual(print.cutOff, [], `cut off at the edge of an A4 page (${print.width} px)`);
  assert.deepEqual(print.spill, [], `past the edge of an A4 page (${print.width} px)`);
});
