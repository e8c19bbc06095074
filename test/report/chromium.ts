/**
 * Opens a report page in headless Chromium (Debian's /usr/bin/chromium through playwright-core) at
 * given window widths and returns what a reader would meet: console errors and failed requests, the
 * page's scroll width against its window, every image's natural width, every link, every table.
 */
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export interface PageFacts {
  viewport: number;
  errors: string[];
  scrollWidth: number;
  clientWidth: number;
  scrollHeight: number;
  images: { src: string; naturalWidth: number }[];
  links: string[];
  tables: { caption: string; rows: number }[];
  text: string;
}

/** Loads `file` once per width (one browser); a full-page screenshot per width when `screenshot(width)` names a path. */
export async function inspectPage(file: string, widths: readonly number[], screenshot?: (width: number) => string): Promise<PageFacts[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const out: PageFacts[] = [];
    for (const width of widths) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      const facts = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        scrollHeight: document.documentElement.scrollHeight,
        images: [...document.images].map((i) => ({ src: i.getAttribute('src') ?? '', naturalWidth: i.naturalWidth })),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? ''),
        tables: [...document.querySelectorAll('table')].map((t) => ({ caption: t.querySelector('caption')?.textContent ?? '', rows: t.querySelectorAll('tbody tr').length })),
        text: document.body.innerText,
      }));
      const shot = screenshot?.(width);
      if (shot) await page.screenshot({ path: shot, fullPage: true });
      out.push({ viewport: width, errors, ...facts });
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}
