/**
 * Small HTML building blocks for the report: escaping, tables, figures, sections and the page shell.
 * Pages are self-contained (inline CSS, no scripts, images referenced by relative path next to the page),
 * so they open from disk without a server. The layout is responsive and never scrolls sideways: images
 * shrink to the column (each links to its full-size file), wide tables scroll inside their own box.
 * Printed (or saved as PDF) the page is black on white without the navigation bar, and wide tables wrap
 * their cells in a smaller type instead of scrolling, so no column is cut off at the page edge.
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

/**
 * A table in a box that scrolls sideways when the table is wider than the page; a "not available"
 * paragraph instead when there are no rows (a table always has rows). A caption goes above the box, as the
 * figcaption of a figure holding it: a table's own `<caption>` is as wide as the table, so it wrapped a few
 * words to a line above a narrow one (and scrolled sideways with a wide one).
 */
export function table(headers: readonly string[], rows: readonly Cell[][], opts: { caption?: string; empty?: string; cls?: string } = {}): string {
  if (rows.length === 0) return notAvailable(opts.empty ?? 'No rows.');
  const head = `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('\n');
  const box = `<div class="scroll"><table${opts.cls ? ` class="${esc(opts.cls)}"` : ''}>${head}<tbody>\n${body}\n</tbody></table></div>`;
  return opts.caption ? `<figure class="tbl"><figcaption>${esc(opts.caption)}</figcaption>${box}</figure>` : box;
}

/** The standard "not available" note (with the reason). */
export function notAvailable(reason: string): string {
  return `<p class="na-note"><strong>Not available:</strong> ${esc(reason)}</p>`;
}

/**
 * An image by relative path, shrunk to the column and linked to its full-size file, with a caption
 * (plain text, or `{ html }`).
 */
export function figure(src: string, caption: string | { html: string }, alt?: string, width?: number): string {
  const cap = typeof caption === 'string' ? esc(caption) : caption.html;
  const text = alt ?? (typeof caption === 'string' ? caption : caption.html.replace(/<[^>]*>/g, ''));
  // `width` (CSS px): drawn at most that wide (a small figure's PNG is zoomed to 1600 px, which would enlarge its text past the other figures')
  const w = width !== undefined && Number.isFinite(width) && width > 0 ? ` width="${Math.round(width)}"` : '';
  return `<figure><a href="${esc(src)}" title="full size"><img src="${esc(src)}"${w} alt="${esc(text)}"></a><figcaption>${cap}</figcaption></figure>`;
}

/** Figures side by side where the page is wide enough (`cls` 'gallery': tiles at least 380 px wide, one to a row on a phone; 'pair': two up). */
export function grid(items: readonly string[], cls: 'gallery' | 'pair' = 'pair'): string {
  return `<div class="${cls}">\n${items.join('\n')}\n</div>`;
}

export interface Section { id: string; title: string; body: string }

const CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; line-height: 1.4; }
header { background: #243447; color: #fff; padding: 16px clamp(12px, 3vw, 28px); }
header h1 { margin: 0 0 4px 0; font-size: clamp(18px, 4.6vw, 22px); }
header p { margin: 0; opacity: 0.85; font-size: 13px; overflow-wrap: anywhere; }
nav { background: #e8edf2; padding: 6px clamp(12px, 3vw, 28px); font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
@media (min-width: 900px) { nav { position: sticky; top: 0; z-index: 1; } section { scroll-margin-top: 40px; } }
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
td code, td .kv { font-size: 11.5px; }
.kv span { white-space: nowrap; margin-right: 0.9em; display: inline-block; }
figure { margin: 8px 0 18px 0; max-width: 100%; }
figure img { display: block; max-width: min(100%, 1000px); height: auto; border: 1px solid #ddd; background: #fff; }
figcaption { font-size: 12.5px; color: #444; margin-top: 4px; max-width: 80em; overflow-wrap: anywhere; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 0 20px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr)); gap: 0 16px; }
.gallery figure { margin-bottom: 12px; }
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
  figure, tr, .facts, .na-note { break-inside: avoid; }
  h2, h3, figure.tbl > figcaption { break-after: avoid; }
  figure.tbl { break-inside: auto; }
  figure.tbl > figcaption { font-size: 10px; }
  figure img { max-width: 100%; }
  .gallery { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  a { color: inherit; text-decoration: none; }
}
`;

/** The whole page. */
export function page(title: string, subtitle: string, sections: readonly Section[]): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('\n');
  const body = sections.map((s) => `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.body}\n</section>`).join('\n');
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
</body>
</html>
`;
}
