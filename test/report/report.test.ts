import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runComparison } from '../../src/study/compare/phase.js';
import { buildReport } from '../../src/study/report/phase.js';
import { makeHub } from '../study/compare-hub.js';

const CHROMIUM = '/usr/bin/chromium';

interface PageFacts { errors: string[]; images: { src: string; w: number }[]; tables: { caption: string; rows: number }[]; text: string }

async function inspectInChromium(file: string, screenshot: string): Promise<PageFacts> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const images = await page.$$eval('img', (els) => els.map((i) => ({ src: i.getAttribute('src') ?? '', w: (i as HTMLImageElement).naturalWidth })));
    const tables = await page.$$eval('table', (els) => els.map((t) => ({ caption: t.querySelector('caption')?.textContent ?? '', rows: t.querySelectorAll('tbody tr').length })));
    const text = await page.evaluate(() => document.body.innerText);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, images, tables, text };
  } finally {
    await browser.close();
  }
}

test('report: a full hub renders in headless Chromium — no console errors, every image loaded, every table has rows', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-report-'));
  try {
    const r = makeHub(root, { omit: ['1000|baseline|test'] });
    writeFileSync(join(root, 'design.json'), JSON.stringify({ dose_list: [1000, 10000, 100000], patch_size_pixels: 32, overlap_views: { dense: 0.7, sparse: 0.2 } }));
    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g });
    const rep = await buildReport(root);
    assert.equal(rep.indexPath, join(root, 'report', 'index.html'));
    const html = readFileSync(rep.indexPath, 'utf8');
    for (const id of ['design', 'data', 'reconstructions', 'metrics', 'charts', 'phase-f', 'skipped', 'software']) assert.match(html, new RegExp(`<section id="${id}">`));
    assert.doesNotMatch(html, /<script/i, 'no scripts');
    assert.doesNotMatch(html, /(src|href)="(\/|https?:)/, 'only relative links');
    assert.match(html, /dose_1000\/baseline\/test\/reconstruction\.npz not found/, 'skipped job with its reason');
    assert.match(html, /Not available:<\/strong> Phase F manifest/, 'missing manifest shown as not available');
    for (const img of rep.images) assert.ok(existsSync(img), img);
    if (!existsSync(CHROMIUM)) { t.skip(`${CHROMIUM} not installed (CI installs Debian's chromium)`); return; }
    const shot = join(root, 'report.png');
    const facts = await inspectInChromium(rep.indexPath, shot);
    assert.deepEqual(facts.errors, [], 'console errors');
    assert.ok(facts.images.length >= 12, `${facts.images.length} images`);
    for (const i of facts.images) assert.ok(i.w > 0, `image not loaded: ${i.src}`);
    assert.ok(facts.tables.length >= 5, `${facts.tables.length} tables`);
    for (const tb of facts.tables) assert.ok(tb.rows > 0, `table without rows: ${tb.caption}`);
    const all = facts.tables.find((x) => /All comparisons/.test(x.caption));
    assert.equal(all?.rows, 5, 'one metrics row per compared job and model');
    assert.match(facts.text, /MS-SSIM/);
    assert.ok(readFileSync(shot).length > 10000, 'screenshot taken');
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
    if (!existsSync(CHROMIUM)) { t.skip(`${CHROMIUM} not installed`); return; }
    const facts = await inspectInChromium(rep.indexPath, join(root, 'empty.png'));
    assert.deepEqual(facts.errors, []);
    for (const tb of facts.tables) assert.ok(tb.rows > 0, `table without rows: ${tb.caption}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
