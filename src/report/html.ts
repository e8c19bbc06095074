/**
 * Small HTML building blocks for the report: escaping, tables, sections and the page shell. Pages are
 * self-contained (inline CSS, no scripts, images referenced by relative path next to the page), so they
 * open from disk without a server.
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

/** A table; returns a "not available" paragraph instead when there are no rows (a table always has rows). */
export function table(headers: readonly string[], rows: readonly Cell[][], opts: { caption?: string; empty?: string; cls?: string } = {}): string {
  if (rows.length === 0) return notAvailable(opts.empty ?? 'No rows.');
  const head = `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('\n');
  const cap = opts.caption ? `<caption>${esc(opts.caption)}</caption>` : '';
  return `<table${opts.cls ? ` class="${esc(opts.cls)}"` : ''}>${cap}${head}<tbody>\n${body}\n</tbody></table>`;
}

/** The standard "not available" note (with the reason). */
export function notAvailable(reason: string): string {
  return `<p class="na-note"><strong>Not available:</strong> ${esc(reason)}</p>`;
}

/** An image with a caption, by relative path. */
export function figure(src: string, caption: string, alt = caption): string {
  return `<figure><img src="${esc(src)}" alt="${esc(alt)}"><figcaption>${esc(caption)}</figcaption></figure>`;
}

export interface Section { id: string; title: string; body: string }

const CSS = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { background: #243447; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header p { margin: 0; opacity: 0.85; font-size: 13px; }
nav { background: #e8edf2; padding: 8px 28px; font-size: 13px; position: sticky; top: 0; }
nav a { margin-right: 14px; color: #1f4e79; text-decoration: none; }
main { padding: 10px 28px 40px 28px; max-width: 1500px; }
section { margin-top: 26px; }
h2 { border-bottom: 2px solid #243447; padding-bottom: 4px; font-size: 19px; }
h3 { font-size: 15px; margin-top: 20px; }
table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 12.5px; background: #fff; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #cfd6dd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.na, th.na { color: #999; text-align: center; }
td.bad { color: #a01818; }
td.good { color: #176b2c; }
figure { display: inline-block; margin: 6px 14px 14px 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; background: #fff; }
figcaption { font-size: 12px; color: #444; margin-top: 3px; }
.na-note { color: #8a5a00; background: #fff6e0; border-left: 4px solid #e0a800; padding: 6px 10px; }
pre { background: #f0f0f0; padding: 8px; overflow-x: auto; font-size: 12px; }
.small { font-size: 12px; color: #555; }
`;

/** The whole page. */
export function page(title: string, subtitle: string, sections: readonly Section[]): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('');
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
