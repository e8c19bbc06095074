/**
 * Sortable tables of the report pages: the HTML is the data (rows in the table's own order, group rules where a
 * dose changes, a heading per column), and the page's one inline script turns each heading of a sortable table into
 * a button that sorts by that column — numbers as numbers ("1e3" after "300"), "amplitude / phase" cells by either
 * part, empty cells last either way — then back to the table's order. Checked in headless Chromium with scripts on
 * and off. The FRC figures of a study with many doses: at most three doses each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { page, SORT_SCRIPT, table, type Cell } from '../../src/report/html.js';
import { doseGroups, frcSection } from '../../src/study/report/curve-sections.js';
import { ImageDir, reportContext } from '../../src/study/report/sections.js';
import type { ReportPlan } from '../../src/study/report/plan.js';
import { hubRoots, jobDir, PHASE_G, type JobAddress } from '../../src/study/hub/layout.js';
import { tempDir } from '../tmp.js';
import { HAVE_CHROMIUM } from './chromium.js';

const ROWS: Cell[][] = [
  ['300', 'dense', { html: '0.50 / 0.20', cls: 'num' }, 'ok'],
  ['300', 'sparse', { html: '0.10 / 0.90', cls: 'num' }, 'ok'],
  ['1e3', 'dense', null, 'failed'],
  ['1e3', 'sparse', { html: '0.30 / 0.40', cls: 'num' }, 'ok'],
  ['2e4', 'dense', { html: '−0.20 / 0.10', cls: 'num' }, 'ok'],
];

function sortablePage(): string {
  return page('t', 's', [{ id: 'a', title: 'A', body: table(['dose', 'view', 'MS-SSIM', 'status'], ROWS, { caption: 'jobs', sortable: true, pairs: [2], groupBy: 0 }) }]);
}

test('table: a sortable table is plain HTML in its own order, with group rules and amplitude / phase headings marked; the script only on pages that sort', () => {
  const html = sortablePage();
  assert.match(html, /<table class="sortable">/);
  assert.match(html, /<th>dose<\/th><th>view<\/th><th data-parts="amplitude phase">MS-SSIM<\/th><th>status<\/th>/);
  // a rule above the first row of each dose but the first
  const rows = [...html.matchAll(/<tr( class="grp")?><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => `${m[2]} ${m[3]}${m[1] ? ' grp' : ''}`);
  assert.deepEqual(rows, ['300 dense', '300 sparse', '1e3 dense grp', '1e3 sparse', '2e4 dense grp']);
  // one inline script, after the content, that loads nothing
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.ok(html.includes(`</main>\n<script>\n${SORT_SCRIPT}\n</script>\n</body>`));
  assert.doesNotMatch(SORT_SCRIPT, /src=|https?:|fetch|XMLHttpRequest|import\(/);
  // a page without a sortable table has no script at all
  const plain = page('t', 's', [{ id: 'a', title: 'A', body: table(['k', 'v'], [['a', 1]]) }]);
  assert.doesNotMatch(plain, /<script/);
  assert.doesNotMatch(plain, /class="grp"/);
});

test('table: in a browser, a heading sorts the rows by its column (numbers as numbers, each part of amplitude / phase, empty last), a third click restores the order; with scripts off the table is as written', async (t) => {
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed'); return; }
  const file = join(tempDir('table-sort'), 'index.html');
  writeFileSync(file, sortablePage());
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`file://${file}`);
    const order = (): Promise<string[]> => p.$$eval('tbody tr', (trs) => trs.map((tr) => `${(tr as HTMLTableRowElement).cells[0]!.textContent} ${(tr as HTMLTableRowElement).cells[1]!.textContent}`));
    const resorted = (): Promise<boolean> => p.$eval('table', (tb) => tb.classList.contains('resorted'));
    const own = ['300 dense', '300 sparse', '1e3 dense', '1e3 sparse', '2e4 dense'];
    assert.deepEqual(await order(), own);
    // dose: 300 < 1e3 < 2e4 as numbers (as text "1e3" < "2e4" < "300"); descending keeps ties in the table's order
    await p.click('th:nth-child(1) button');
    assert.deepEqual(await order(), own);
    assert.equal(await p.$eval('th:nth-child(1)', (th) => th.getAttribute('aria-sort')), 'ascending');
    await p.click('th:nth-child(1) button');
    assert.deepEqual(await order(), ['2e4 dense', '1e3 dense', '1e3 sparse', '300 dense', '300 sparse']);
    assert.equal(await resorted(), true, 'group rules dropped while sorted');
    await p.click('th:nth-child(1) button');
    assert.deepEqual(await order(), own, 'a third click: the table\'s own order');
    assert.equal(await resorted(), false);
    // the amplitude / phase column: two buttons; the minus sign (−) is a minus; the empty cell last either way
    assert.deepEqual(await p.$$eval('th:nth-child(3) button', (bs) => bs.map((b) => b.textContent)), ['amp.', 'phase']);
    await p.click('th:nth-child(3) button:nth-child(1)');
    assert.deepEqual(await order(), ['2e4 dense', '300 sparse', '1e3 sparse', '300 dense', '1e3 dense']);
    await p.click('th:nth-child(3) button:nth-child(2)');
    assert.deepEqual(await order(), ['2e4 dense', '300 dense', '1e3 sparse', '300 sparse', '1e3 dense']);
    await p.click('th:nth-child(3) button:nth-child(2)');
    assert.deepEqual(await order(), ['300 sparse', '1e3 sparse', '300 dense', '2e4 dense', '1e3 dense']);
    assert.equal(await p.$eval('th:nth-child(3)', (th) => th.getAttribute('aria-sort')), 'descending');
    assert.equal(await p.$eval('th:nth-child(1)', (th) => th.getAttribute('aria-sort')), null, 'one sorted column at a time');
    // a narrow amplitude / phase column puts its two buttons one under the other rather than widening the table
    const tops = await p.$eval('th:nth-child(3)', (th) => {
      (th as HTMLElement).style.width = '1px';
      return [...th.querySelectorAll('button')].map((b) => b.getBoundingClientRect().top);
    });
    assert.ok(tops[1]! > tops[0]!, `buttons at ${tops.join(', ')}`);
    // text: alphabetical
    await p.click('th:nth-child(4) button');
    assert.deepEqual((await order()).slice(0, 1), ['1e3 dense']);
    assert.deepEqual(errors, []);
    // scripts off: the same table, in its own order, headings as text
    const off = await browser.newPage({ javaScriptEnabled: false });
    await off.goto(`file://${file}`);
    assert.deepEqual(await off.$$eval('tbody tr', (trs) => trs.map((tr) => `${(tr as HTMLTableRowElement).cells[0]!.textContent} ${(tr as HTMLTableRowElement).cells[1]!.textContent}`)), own);
    assert.equal(await off.$$eval('th button', (bs) => bs.length), 0);
  } finally {
    await browser.close();
  }
});

test('FRC figures: doses in groups of at most three, as even as they go', () => {
  assert.deepEqual(doseGroups([1]), [[1]]);
  assert.deepEqual(doseGroups([1, 2, 3]), [[1, 2, 3]]);
  assert.deepEqual(doseGroups([1, 2, 3, 4]), [[1, 2], [3, 4]]);
  assert.deepEqual(doseGroups([1, 2, 3, 4, 5, 6]), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(doseGroups([1, 2, 3, 4, 5, 6, 7]), [[1, 2, 3], [4, 5], [6, 7]]);
  assert.deepEqual(doseGroups([]), []);
});

test('FRC section: six doses give two figures of three doses each, drawn at their own width; the resolution table sorts and groups by dose', async () => {
  const hub = tempDir('frc-groups');
  const roots = hubRoots(hub);
  const doses = [300, 1000, 3000, 10000, 30000, 100000];
  const jobs: JobAddress[] = doses.map((dose) => ({ dose, view: 'dense', split: 'train' }));
  for (const j of jobs) {
    const dir = jobDir(roots.g, j);
    mkdirSync(dir, { recursive: true });
    const lines = ['model,frequency_bin,amplitude_frc,phase_frc,spatial_frequency'];
    for (let r = 0; r <= 32; r++) lines.push(`LSQML,${r},${Math.exp(-r / 8).toFixed(6)},${Math.exp(-r / 5).toFixed(6)},${(r / 64).toFixed(6)}`);
    writeFileSync(join(dir, PHASE_G.frcCsv), `${lines.join('\n')}\n`);
  }
  const imgDir = join(hub, 'img');
  mkdirSync(imgDir);
  const summary = {
    rows: jobs.map((j) => ({ ...j, model: 'LSQML', status: 'ok', compared_shape: [64, 64], metrics: { frc50: { amplitude: 5, phase: 3 }, frc1over7: { amplitude: 12, phase: 9 } } })),
  } as unknown as ReportPlan['summary'];
  const plan = { hub, roots, jobs, pixelSizeM: null, summary, broken: [], imgDir } as unknown as ReportPlan;
  const ctx = reportContext(plan, new ImageDir(imgDir));
  const s = await frcSection(ctx);
  const figs = [...s.body.matchAll(/<img src="img\/(frc_[^"]+)" width="(\d+)"/g)].map((m) => m[1]);
  assert.deepEqual(figs, ['frc_lsqml_1.png', 'frc_lsqml_2.png']);
  assert.match(s.body, /for every compared job, doses 300 … 3e3, up to Nyquist/);
  assert.match(s.body, /for every compared job, doses 1e4 … 1e5, up to Nyquist/);
  // each at its own size (CSS px = the SVG's units), not zoomed to the column
  for (const [, name, w] of s.body.matchAll(/<img src="img\/(frc_[^".]+)\.png" width="(\d+)"/g)) {
    const svgWidth = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(readFileSync(join(imgDir, `${name}.svg`), 'utf8'))![1]);
    assert.equal(Number(w), Math.round(svgWidth), `${name} drawn ${w} px wide`);
  }
  assert.match(s.body, /<table class="sortable">/);
  assert.equal(s.body.match(/<tr class="grp">/g)?.length, 5, 'a rule above each dose but the first');
});
