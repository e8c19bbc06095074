/**
 * Small HTML building blocks for the report: escaping, tables, figures, sections and the page shell.
 * Pages are self-contained (inline CSS, images referenced by relative path next to the page), so they open
 * from disk without a server. The one script, inline, sorts the tables marked sortable when a heading is
 * clicked; it fetches nothing, and with scripts off the page is the same tables in their own order. The layout is responsive and never scrolls sideways: images
 * shrink to the column (each links to its full-size file) but, on a screen, not below the width at which their smallest
 * text is 8 CSS px — in a narrower column such a figure scrolls sideways in its own box, with a line saying so —, and
 * wide tables scroll inside their own box.
 * Printed (or saved as PDF) the page is black on white without the navigation bar, and wide tables wrap
 * their cells in a smaller type instead of scrolling, so no column is cut off at the page edge: a cell's key–value
 * pairs and notes take the table's type and wrap too, and a command (`pre`) wraps rather than scrolls. The
 * At a glance pair of figures (the phase grids of both splits) prints two up, so that page 1 holds the title, the
 * facts, the headline scores and the grids (one up, the first grid did not fit under the facts and left page 1
 * half blank); those figures draw their text large for it (study/report/image-sections.ts, GLANCE_TEXT_SCALE), and
 * print 10 px apart. A gallery (each job's figure) is two to a row on a 1400-px screen and one to a row on paper, where
 * two up its figures' text printed at 2.7 pt (docs/metrics.md, "Report").
 */

/** Escapes text for HTML content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A cell: plain text (escaped), or `{ html }` for pre-built markup, with an optional class. */
export type Cell = string | number | null | undefined | { html: string; cls?: string };

function cell(c: Cell, tag: 'td' | 'th'): string {
  if (c !== null && typeof c === 'object') return `<${tag}${c.cls ? ` class="${esc(c.cls)}"` : ''}>${c.html}</${tag}>`;
  if (c === null || c === undefined || c === '') return `<${tag} class="na">—</${tag}>`;
  return `<${tag}${typeof c === 'number' ? ' class="num"' : ''}>${esc(c)}</${tag}>`;
}

/** The text a cell compares by when rows are grouped (plain text, or a pre-built cell's markup). */
function cellKey(c: Cell): string {
  return c !== null && typeof c === 'object' ? c.html : c === null || c === undefined ? '' : String(c);
}

export interface TableOptions {
  caption?: string;
  empty?: string;
  cls?: string;
  /**
   * Sortable by its columns (in a browser with scripts on): each heading becomes a button that sorts the rows
   * by that column, ascending, then descending, then back to the table's own order. The HTML stays the data:
   * with scripts off (or printed) the table is as written.
   */
  sortable?: boolean;
  /**
   * Columns (by index) whose cells hold "amplitude / phase": their heading gets one sort button per part
   * instead of one for the column.
   */
  pairs?: readonly number[];
  /** A column (by index) whose value starts a group: a row where it changes gets a heavier rule above it. */
  groupBy?: number;
}

/**
 * A table in a box that scrolls sideways when the table is wider than the page; a "not available"
 * paragraph instead when there are no rows (a table always has rows). A caption goes above the box, as the
 * figcaption of a figure holding it: a table's own `<caption>` is as wide as the table, so it wrapped a few
 * words to a line above a narrow one (and scrolled sideways with a wide one).
 */
export function table(headers: readonly string[], rows: readonly Cell[][], opts: TableOptions = {}): string {
  if (rows.length === 0) return notAvailable(opts.empty ?? 'No rows.');
  const pairs = new Set(opts.pairs ?? []);
  const head = `<thead><tr>${headers.map((h, i) => `<th${opts.sortable && pairs.has(i) ? ' data-parts="amplitude phase"' : ''}>${esc(h)}</th>`).join('')}</tr></thead>`;
  const g = opts.groupBy;
  const body = rows.map((r, i) => {
    const starts = g !== undefined && i > 0 && cellKey(r[g]) !== cellKey(rows[i - 1]![g]);
    return `<tr${starts ? ' class="grp"' : ''}>${r.map((c) => cell(c, 'td')).join('')}</tr>`;
  }).join('\n');
  const cls = [opts.sortable ? 'sortable' : '', opts.cls ?? ''].filter(Boolean).join(' ');
  const box = `<div class="scroll"><table${cls ? ` class="${esc(cls)}"` : ''}>${head}<tbody>\n${body}\n</tbody></table></div>`;
  return opts.caption ? `<figure class="tbl"><figcaption>${esc(opts.caption)}</figcaption>${box}</figure>` : box;
}

/** The standard "not available" note (with the reason). */
export function notAvailable(reason: string): string {
  return `<p class="na-note"><strong>Not available:</strong> ${esc(reason)}</p>`;
}

/** The note that stands where a part of the page would be, when the file it is drawn from is there but broken. */
export function brokenNote(reason: string): string {
  return `<p class="na-note"><strong>Broken:</strong> ${esc(reason)}</p>`;
}

/**
 * An image by relative path, shrunk to the column and linked to its full-size file, with a caption
 * (plain text, or `{ html }`). `readable` (CSS px, `readableWidth`): on a screen the image is never drawn narrower,
 * so that its smallest text shows at 8 CSS px at least; in a narrower column it scrolls sideways in its own box,
 * and a line above the caption says so (`SWIPE_NOTE`; the page itself never scrolls sideways; printed, the figure
 * fits the paper as before).
 */
export function figure(src: string, caption: string | { html: string }, alt?: string, width?: number, readable?: number | null): string {
  const cap = typeof caption === 'string' ? esc(caption) : caption.html;
  const text = alt ?? (typeof caption === 'string' ? caption : caption.html.replace(/<[^>]*>/g, ''));
  // `width` (CSS px): drawn at most that wide (a small figure's PNG is zoomed to 1600 px, which would enlarge its text past the other figures')
  const w = width !== undefined && Number.isFinite(width) && width > 0 ? ` width="${Math.round(width)}"` : '';
  const r = typeof readable === 'number' && Number.isFinite(readable) && readable > 0 ? Math.ceil(readable) : null;
  const open = r === null ? '<figure>' : `<figure class="readable" style="--readable: ${r}px">`;
  return `${open}<a href="${esc(src)}" title="full size"><img src="${esc(src)}"${w} alt="${esc(text)}"></a><figcaption>${cap}</figcaption></figure>`;
}

/** Figures side by side where the page is wide enough (`cls` 'gallery': tiles at least 560 px wide, two to a row on a 1400-px screen, one on a phone and on paper; 'pair': two up). */
export function grid(items: readonly string[], cls: 'gallery' | 'pair' = 'pair'): string {
  return `<div class="${cls}">\n${items.join('\n')}\n</div>`;
}

export interface Section { id: string; title: string; body: string }

/**
 * The line above the caption of a figure drawn wider than its column (CSS generated text: shown only then, on a screen;
 * 0 px wide — nothing — where the column holds the figure).
 */
export const SWIPE_NOTE = 'scroll sideways for the rest of the figure \u21e2';

const CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; line-height: 1.4; }
header { background: #243447; color: #fff; padding: 16px clamp(12px, 3vw, 28px); }
header h1 { margin: 0 0 4px 0; font-size: clamp(18px, 4.6vw, 22px); }
header p { margin: 0; opacity: 0.85; font-size: 13px; overflow-wrap: anywhere; }
nav { background: #e8edf2; padding: 6px clamp(12px, 3vw, 28px); font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
@media (min-width: 900px) { nav { position: sticky; top: 0; z-index: 1; } section, h3[id] { scroll-margin-top: 40px; } }
nav a { color: #1f4e79; text-decoration: none; white-space: nowrap; }
main { padding: 6px clamp(12px, 3vw, 28px) 40px; max-width: 1500px; margin: 0 auto; }
section { margin-top: 24px; }
h2 { border-bottom: 2px solid #243447; padding-bottom: 4px; font-size: 19px; }
h3 { font-size: 15px; margin: 22px 0 6px; }
p { max-width: 70em; }
.scroll { overflow-x: auto; max-width: 100%; margin: 8px 0 16px 0; }
table { border-collapse: collapse; font-size: 12.5px; background: #fff; }
figure.tbl { margin: 8px 0 16px 0; }
figure.tbl > figcaption { font-size: 12.5px; font-weight: bold; color: inherit; margin: 0; padding: 4px 0; max-width: 70em; }
figure.tbl > .scroll { margin: 0; }
th, td { border: 1px solid #cfd6dd; padding: 3px 7px; text-align: left; vertical-align: top; }
td { white-space: nowrap; }
th { background: #eef2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.na, th.na { color: #999; text-align: center; }
td.bad { color: #a01818; }
td.good { color: #176b2c; }
td.wrap { white-space: normal; overflow-wrap: anywhere; min-width: 10em; }
tr.grp > td { border-top: 2px solid #7d8b99; }
table.resorted tr.grp > td { border-top: 1px solid #cfd6dd; }
th button.sort { font: inherit; font-weight: bold; color: inherit; background: none; border: 0; padding: 0; margin: 0; cursor: pointer; text-align: left; }
th button.sort::after { content: "\\00a0\\2195"; color: #8a99a8; font-weight: normal; }
th button.sort[data-dir="asc"]::after { content: "\\00a0\\25B2"; color: inherit; }
th button.sort[data-dir="desc"]::after { content: "\\00a0\\25BC"; color: inherit; }
th .sort-parts { display: block; font-size: 11px; }
th .sort-parts button.sort { font-weight: normal; margin-right: 0.7em; white-space: nowrap; }
th button.sort:focus-visible { outline: 2px solid #1f4e79; }
td code, td .kv { font-size: 11.5px; }
.kv span { white-space: nowrap; margin-right: 0.9em; display: inline-block; }
figure { margin: 8px 0 18px 0; max-width: 100%; }
figure img { display: block; max-width: min(100%, 1000px); height: auto; border: 1px solid #ddd; background: #fff; }
figcaption { font-size: 12.5px; color: #444; margin-top: 4px; max-width: 80em; overflow-wrap: anywhere; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 0 20px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 0 16px; }
.gallery figure { margin-bottom: 12px; }
@media screen {
  figure.readable { min-width: 0; }
  figure.readable > a { display: block; overflow-x: auto; }
  figure.readable img { min-width: var(--readable); }
  figure.readable > figcaption::before { content: "${SWIPE_NOTE}"; display: inline-block; vertical-align: top; overflow: hidden; white-space: nowrap; color: #1f4e79; width: clamp(0px, (var(--readable) - 100%) * 1000, 100%); }
}
.na-note { color: #8a5a00; background: #fff6e0; border-left: 4px solid #e0a800; padding: 6px 10px; }
pre { background: #f0f0f0; padding: 8px; overflow-x: auto; font-size: 12px; }
.small { font-size: 12.5px; color: #555; }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 14px; font-size: 13.5px; margin: 8px 0 14px; }
.facts dt { font-weight: bold; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
@media print {
  body { background: #fff; }
  header { background: none; color: #111; padding: 0 0 6px; border-bottom: 2px solid #243447; }
  nav { display: none; }
  main { padding: 0; max-width: none; }
  section { margin-top: 14px; }
  .scroll { overflow: visible; }
  table { font-size: 9px; }
  th, td { padding: 1px 3px; }
  td, td.num { white-space: normal; }
  td.wrap { min-width: 6em; }
  td code, td .kv, td .small { font-size: inherit; }
  .kv span { white-space: normal; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
  th button.sort::after { content: none; }
  th .sort-parts { display: none; }
  figure, tr, .facts, .na-note { break-inside: avoid; }
  h2, h3, figure.tbl > figcaption { break-after: avoid; }
  figure.tbl { break-inside: auto; }
  figure.tbl > figcaption { font-size: 10px; }
  figure img { max-width: 100%; }
  .gallery { grid-template-columns: minmax(0, 1fr); }
  #glance .pair { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0 10px; }
  a { color: inherit; text-decoration: none; }
  .screen { display: none; }
}
`;

/**
 * Sorting of the tables marked sortable (progressive enhancement: the table in the HTML is the data). Each
 * heading becomes a button (a column of "amplitude / phase" cells: one per part, "amp." and "phase"); clicks sort the rows
 * ascending, descending, then back to the table's own order. Numbers compare as numbers (a cell's leading
 * number: "1e3", "22.4 %", "≤ 1.0"), text as text after every number, empty cells (—) last either way; ties
 * keep the table's order. A sorted table drops its group rules (they mark the table's own order).
 */
export const SORT_SCRIPT = `(function () {
  function key(td, part) {
    var t = td ? td.textContent.trim() : '';
    if (part >= 0) t = (t.split(' / ')[part] || '').trim();
    if (t === '' || t === '\u2014') return null;
    var s = t.replace(/\u2212/g, '-');
    if (/^-?\u221e/.test(s)) return { n: s.charAt(0) === '-' ? -Infinity : Infinity };
    var m = /^[\u2264\u2265<>~]?\\s*(-?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?)/i.exec(s);
    return m ? { n: parseFloat(m[1]) } : { s: t };
  }
  function cmp(a, b) {
    if (a.n !== undefined && b.n !== undefined) return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
    if (a.n !== undefined) return -1;
    if (b.n !== undefined) return 1;
    return a.s.localeCompare(b.s, 'en', { numeric: true });
  }
  function setup(table) {
    var body = table.tBodies[0], head = table.tHead;
    if (!body || !head) return;
    var rows = [].slice.call(body.rows), state = null;
    function button(th, label, col, part, what) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'sort';
      b.textContent = label;
      b.title = 'sort the rows by ' + what + ' (again: descending, a third time: the table\\'s own order)';
      b.addEventListener('click', function () {
        var dir = state && state.b === b ? (state.dir === 1 ? -1 : 0) : 1;
        if (state) { state.b.removeAttribute('data-dir'); state.th.removeAttribute('aria-sort'); }
        state = dir ? { b: b, th: th, dir: dir } : null;
        var keyed = rows.map(function (r, i) { return { r: r, i: i, k: key(r.cells[col], part) }; });
        if (dir) {
          keyed.sort(function (x, y) {
            if (x.k === null || y.k === null) return x.k === y.k ? x.i - y.i : x.k === null ? 1 : -1;
            return dir * cmp(x.k, y.k) || x.i - y.i;
          });
          b.setAttribute('data-dir', dir === 1 ? 'asc' : 'desc');
          th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        }
        table.classList.toggle('resorted', dir !== 0);
        var frag = document.createDocumentFragment();
        keyed.forEach(function (x) { frag.appendChild(x.r); });
        body.appendChild(frag);
      });
      return b;
    }
    [].forEach.call(head.rows[0].cells, function (th, col) {
      var name = th.textContent, parts = th.getAttribute('data-parts');
      if (parts) {
        var box = document.createElement('span');
        box.className = 'sort-parts';
        parts.split(' ').forEach(function (p, i) { box.appendChild(button(th, p === 'amplitude' ? 'amp.' : p, col, i, p + ' of ' + name)); });
        th.appendChild(box);
      } else {
        th.textContent = '';
        th.appendChild(button(th, name, col, -1, name));
      }
    });
  }
  [].forEach.call(document.querySelectorAll('table.sortable'), setup);
})();`;

/** The whole page (with the sorting script when a table is sortable). */
export function page(title: string, subtitle: string, sections: readonly Section[]): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('\n');
  const body = sections.map((s) => `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.body}\n</section>`).join('\n');
  const script = sections.some((s) => s.body.includes('<table class="sortable')) ? `<script>\n${SORT_SCRIPT}\n</script>\n` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header>
<nav>${nav}</nav>
<main>
${body}
</main>
${script}</body>
</html>
`;
}
