/**
 * Every test file the documentation names exists: a `test/….ts` path written in README.md or in any docs/*.md page
 * (the tables that say which test shows a behaviour, docs/reference-study.md among them) is a file of the repository.
 * A test renamed or removed must take its mentions with it, so a page never points to a test that is gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The `test/….ts` paths a Markdown text names, each once, in the order they first appear. A path starts at `test/`
 * not preceded by a name character or a slash (so `dist/test/…` and `mytest/…` are not paths of the test tree) and
 * holds no wildcard (`test/study/*.test.ts` names no single file and is left out).
 */
function namedTestPaths(md: string): string[] {
  const out = new Set<string>();
  for (const m of md.matchAll(/(?<![\w./-])test\/[\w./-]+?\.ts(?![\w.])/g)) out.add(m[0]);
  return [...out];
}

/** The pages read: README.md and every docs/*.md. */
function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).sort().map((n) => join('docs', n));
  return ['README.md', ...docs];
}

/** `page: path` for each named path that is not a file under the repository root. */
function missingPaths(page: string, md: string): string[] {
  return namedTestPaths(md)
    .filter((p) => !(existsSync(join(ROOT, p)) && statSync(join(ROOT, p)).isFile()))
    .map((p) => `${page}: ${p}`);
}

test('the path pattern finds test files and nothing else', () => {
  const md = 'see `test/study/overlap.test.ts` and test/npy/craft.ts, (test/cli/lsqml.test.ts); ' +
    'not dist/test/a.test.ts, mytest/b.ts, test/study/*.test.ts, test/fixtures/overlap/reference-greedy.json ' +
    'nor test/x.tsx; again `test/study/overlap.test.ts`.';
  assert.deepEqual(namedTestPaths(md), ['test/study/overlap.test.ts', 'test/npy/craft.ts', 'test/cli/lsqml.test.ts']);
  assert.deepEqual(missingPaths('p.md', 'test/study/overlap.test.ts and test/study/no-such-file.test.ts'),
    ['p.md: test/study/no-such-file.test.ts']);
});

test('every test/….ts path named in README.md and docs/*.md is a file of the repository', () => {
  const missing: string[] = [];
  let named = 0;
  for (const page of pages()) {
    const md = readFileSync(join(ROOT, page), 'utf8');
    named += namedTestPaths(md).length;
    missing.push(...missingPaths(page, md));
  }
  assert.ok(named >= 50, `the pages name ${named} test paths; the pattern must have stopped matching`);
  assert.deepEqual(missing, [], `named in the documentation but not in the repository:\n${missing.join('\n')}`);
});
