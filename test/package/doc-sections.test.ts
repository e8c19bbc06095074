/**
 * Every section a page or a help text points to by its title is there: `docs/real-data.md, "Frame orientation"`,
 * `(README, "Resume")`, `docs/lsqml.md ("Three modes")` name a heading of that page, or the bold lead of one of its
 * paragraphs (README's **Resume.**), that begins with or holds the quoted words. A section renamed must take the
 * pointers to it along, in README.md, docs/*.md and the --help texts and comments of src/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The titles a page's sections go by: its headings and its paragraphs' bold leads, without Markdown marks. */
function sectionTitles(md: string): string[] {
  const plain = (s: string): string => s.replace(/[`*]/g, '').trim().toLowerCase();
  const headings = md.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => plain(l.replace(/^#+/, '')));
  const leads = [...md.matchAll(/\*\*([^*\n]+?)\.?\*\*/g)].map((m) => plain(m[1]!));
  return [...headings, ...leads];
}

/** `{ page, title }` for each pointer in `text`: a page (`docs/x.md`, `x.md`, `README`) then a quoted title (`\'` in a string of src/ is `'`). */
function pointers(text: string): { page: string; title: string }[] {
  const out: { page: string; title: string }[] = [];
  for (const m of text.matchAll(/((?:docs\/)?[a-z-]+\.md|README)\)?[,:]? \(?["“]([^"”\n]+)["”]/g)) {
    out.push({ page: m[1] === 'README' ? 'README.md' : basename(m[1]!), title: m[2]!.replace(/\\'/g, "'").trim() });
  }
  return out;
}

/** The texts read: README.md, docs/*.md and every .ts file of src/, by their path from the repository root. */
function texts(): string[] {
  const src: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(ROOT, rel)).sort()) {
      const p = `${rel}/${name}`;
      if (statSync(join(ROOT, p)).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) src.push(p);
    }
  };
  walk('src');
  const docs = readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).sort().map((n) => `docs/${n}`);
  return ['README.md', ...docs, ...src];
}

/** `file: page "title"` for each pointer whose page has no section of that title (pages other than ours are not checked). */
function missingSections(file: string, text: string, pages: ReadonlyMap<string, string[]>): string[] {
  return pointers(text).filter(({ page, title }) => pages.has(page) && !pages.get(page)!.some((t) => t.includes(title.toLowerCase())))
    .map(({ page, title }) => `${file}: ${page} "${title}"`);
}

test('a pointer names a page and a quoted title; a title is found in a heading or a bold lead', () => {
  const page = '# Top\n\n## Frame orientation\n\ntext **Resume.** more\n### `inspect` and the beam\n';
  assert.deepEqual(sectionTitles(page), ['top', 'frame orientation', 'inspect and the beam', 'resume']);
  assert.deepEqual(pointers('see docs/real-data.md, "Frame orientation" and (README, "Resume"); lsqml.md ("Three modes"); ' +
    'README "Flags"; docs/lsqml.md, "pty-chi\\\'s options"; not a "quote" alone'), [
    { page: 'real-data.md', title: 'Frame orientation' }, { page: 'README.md', title: 'Resume' },
    { page: 'lsqml.md', title: 'Three modes' }, { page: 'README.md', title: 'Flags' }, { page: 'lsqml.md', title: "pty-chi's options" }]);
  const pages = new Map([['README.md', sectionTitles(page)], ['real-data.md', sectionTitles(page)]]);
  assert.deepEqual(missingSections('x.md', 'README, "Resume"; docs/real-data.md, "Frame"; README "Flags"; other.md, "Nowhere"', pages),
    ['x.md: README.md "Flags"']);
});

test('every section README.md, docs/*.md and src/ point to by its title is a section of that page', () => {
  const pages = new Map<string, string[]>();
  pages.set('README.md', sectionTitles(readFileSync(join(ROOT, 'README.md'), 'utf8')));
  for (const n of readdirSync(join(ROOT, 'docs')).filter((x) => x.endsWith('.md'))) {
    pages.set(n, sectionTitles(readFileSync(join(ROOT, 'docs', n), 'utf8')));
  }
  const missing: string[] = [];
  let named = 0;
  for (const file of texts()) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    named += pointers(text).length;
    missing.push(...missingSections(file, text, pages));
  }
  assert.ok(named >= 60, `${named} pointers found; the pattern must have stopped matching`);
  assert.deepEqual(missing, [], `pointing to a section that is not there:\n${missing.join('\n')}`);
});
