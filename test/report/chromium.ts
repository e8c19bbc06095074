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
  /** Every image: its file's width, and the width it is drawn at in the window. */
  images: { src: string; naturalWidth: number; shownWidth: number }[];
  links: string[];
  /**
   * Each figure drawn no narrower than its readable width (`figure.readable`): its image, whether the image is wider
   * than the box it scrolls in, and how wide the "scroll sideways" note above its caption is (0: not shown) and its CSS content.
   */
  readable: { src: string; overflows: boolean; noteWidth: number; noteText: string }[];
  /** Each table: its caption, the lines the caption takes on the page, its body rows. */
  tables: { caption: string; captionLines: number; rows: number }[];
  text: string;
}

/** What a printed page (or a PDF) holds: the page laid out for print on A4 paper. */
export interface PrintFacts {
  /** Width of the printable area in CSS pixels (A4, 210 mm, less Chromium's default margins). */
  width: number;
  /** Boxes whose content is wider than the printable area (cut off on paper), by their table's caption. */
  cutOff: { caption: string; contentWidth: number; boxWidth: number }[];
  /**
   * Tables, cells and code blocks that reach past the printable area's right edge (their end is off the paper:
   * a box that does not scroll in print, `overflow: visible`, spills rather than scrolls), by their table's caption
   * or their tag, with where they end.
   */
  spill: { caption: string; right: number }[];
  /** The page title's colour and its header's background. */
  title: { color: string; background: string };
  /** Whether the navigation bar is printed. */
  navPrinted: boolean;
  /** The text as printed (what print media hides left out). */
  text: string;
  /** Height of the printable area of one page in CSS pixels (A4, 297 mm, less Chromium's default margins). */
  pageHeight: number;
  /**
   * Every figure's image in the At a glance section: where it starts and ends, from the top of the printed page, and
   * where its figure (caption included) ends; its printed width (CSS px: 96 to the inch, so 0.75 pt each) and its
   * file's width in pixels.
   */
  glanceImages: { src: string; top: number; bottom: number; figureBottom: number; width: number; naturalWidth: number }[];
  /** Every image of the page: its printed width (CSS px) and its file's width in pixels. */
  images: { src: string; width: number; naturalWidth: number }[];
}

/** Lays `file` out for print (A4, print media) as Chromium does for a PDF; writes that PDF when `pdf` names a path. */
export async function inspectPrint(file: string, pdf?: string): Promise<PrintFacts> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const width = 718; // 794 px of A4 less Chromium's 1 cm margins (1123 px tall: 1047 px printable)
    const page = await browser.newPage({ viewport: { width, height: 1123 } });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const facts = await page.evaluate(() => {
      const h1 = document.querySelector('header h1')!, header = document.querySelector('header')!, nav = document.querySelector('nav');
      return {
        cutOff: [...document.querySelectorAll('main *')].filter((e) => getComputedStyle(e).overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1)
          .map((e) => ({ caption: e.closest('figure.tbl')?.querySelector('figcaption')?.textContent ?? e.tagName, contentWidth: e.scrollWidth, boxWidth: e.clientWidth })),
        spill: [...document.querySelectorAll('main table, main td, main th, main pre')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .map((e) => ({ caption: e.closest('figure.tbl')?.querySelector('figcaption')?.textContent ?? e.tagName, right: Math.round(e.getBoundingClientRect().right) })),
        title: { color: getComputedStyle(h1).color, background: getComputedStyle(header).backgroundColor },
        navPrinted: nav !== null && getComputedStyle(nav).display !== 'none',
        text: document.body.innerText,
        glanceImages: [...document.querySelectorAll('#glance figure img')].map((e) => {
          const r = e.getBoundingClientRect();
          const f = e.closest('figure')!.getBoundingClientRect();
          return {
            src: e.getAttribute('src') ?? '', top: Math.round(r.top + window.scrollY), bottom: Math.round(r.bottom + window.scrollY),
            figureBottom: Math.round(f.bottom + window.scrollY), width: r.width, naturalWidth: (e as HTMLImageElement).naturalWidth,
          };
        }),
        images: [...document.images].map((e) => ({ src: e.getAttribute('src') ?? '', width: e.getBoundingClientRect().width, naturalWidth: e.naturalWidth })),
      };
    });
    if (pdf) await page.pdf({ path: pdf, format: 'A4' });
    return { width, pageHeight: 1123 - 76, ...facts };
  } finally {
    await browser.close();
  }
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
        images: [...document.images].map((i) => ({ src: i.getAttribute('src') ?? '', naturalWidth: i.naturalWidth, shownWidth: i.getBoundingClientRect().width })),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? ''),
        readable: [...document.querySelectorAll('figure.readable')].map((f) => {
          const box = f.querySelector(':scope > a')!, note = getComputedStyle(f.querySelector(':scope > figcaption')!, '::before');
          return {
            src: f.querySelector('img')?.getAttribute('src') ?? '', overflows: box.scrollWidth > box.clientWidth,
            noteWidth: note.display === 'none' || note.content === 'none' ? 0 : parseFloat(note.width) || 0, noteText: note.content,
          };
        }),
        tables: [...document.querySelectorAll('table')].map((t) => {
          const cap = t.closest('figure.tbl')?.querySelector('figcaption') ?? t.querySelector('caption');
          const st = cap ? getComputedStyle(cap) : null;
          const lines = cap && st ? Math.round((cap.getBoundingClientRect().height - parseFloat(st.paddingTop) - parseFloat(st.paddingBottom)) / parseFloat(st.lineHeight)) : 0;
          return { caption: cap?.textContent ?? '', captionLines: lines, rows: t.querySelectorAll('tbody tr').length };
        }),
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

/**
 * The box of every element of the page's body (tag, left, top, width, height in CSS px, to 0.01), laid out in a window
 * `width` wide on a screen, or for print on A4's printable width: two pages alike in these are laid out alike.
 */
export async function elementBoxes(file: string, width: number, media: 'screen' | 'print'): Promise<string[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.emulateMedia({ media });
    return await page.evaluate(() => [...document.body.querySelectorAll('*')].map((e) => {
      const r = e.getBoundingClientRect();
      return `${e.tagName} ${[r.left, r.top + window.scrollY, r.width, r.height].map((v) => v.toFixed(2)).join(' ')}`;
    }));
  } finally {
    await browser.close();
  }
}
