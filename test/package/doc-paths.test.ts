/**
 * Every file the documentation names exists. README.md and every docs/*.md page name the project's files two ways:
 * from the repository root (`src/engine/lsqml.ts`, `test/fixtures/lsqml-parity/`, `scripts/hub-digests.mjs`,
 * `examples/slurm-scans.sh`), and by the end of their path (`study/reconstruct/lsqml-job.ts`, `cli/options.ts`,
 * `hub/folder-kind.ts`). A file renamed, moved or removed must take its mentions with it, so that a page never points
 * to a file that is gone — the tables that say which test shows a behaviour (docs/reference-study.md among them) too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The folders of the repository root a page names paths under. */
const TOPS = ['src', 'test', 'scripts', 'bench', 'examples', 'assembly', 'schemas', 'docs'];

/** Characters that make a path a pattern, not one file: `dose_<D>/`, `{train,test}`, `*.test.ts`, `…`, `$name`. */
const PATTERN_CHARS = '*<{…$';

/**
 * The paths a Markdown text names from the repository root, each once, in the order they first appear. A path starts
 * at one of TOPS not preceded by a name character or a slash (so `dist/test/…`, `mytest/…` and a URL's `…/src/…` are
 * not paths of this repository); a trailing full stop ends the sentence, not the path; a path followed by a pattern
 * character is left out. Under `src/` only TypeScript files and folders (`src/engine/`) are this project's: a
 * `src/….py` or `src/….c` is another project's tree (pty-chi's `src/ptychi/…`, SLURM's `src/common/…`).
 */
function rootedPaths(md: string): string[] {
  const out = new Set<string>();
  const re = new RegExp(`(?<![\\w./-])(?:${TOPS.join('|')})/[\\w./-]*`, 'g');
  for (const m of md.matchAll(re)) {
    if (PATTERN_CHARS.includes(md[m.index! + m[0].length] ?? '')) continue;
    const p = m[0].replace(/\.+$/, '');
    if (p.startsWith('src/') && !p.endsWith('.ts') && !p.endsWith('/')) continue;
    out.add(p);
  }
  return [...out];
}

/**
 * The module paths a Markdown text names by their end (`study/reconstruct/lsqml-job.ts`), each once: a `.ts`,
 * `.mjs` or `.sh` path of two or more parts that does not start at the repository root (those are `rootedPaths`'),
 * nor in the build output (`dist/…`) or the installed packages (`node_modules/…`).
 */
function partialPaths(md: string): string[] {
  const out = new Set<string>();
  for (const m of md.matchAll(/(?<![\w./-])(?:[\w-]+\/)+[\w.-]+\.(?:ts|mjs|sh)(?![\w.])/g)) {
    const first = m[0].split('/')[0]!;
    if (TOPS.includes(first) || first === 'dist' || first === 'node_modules') continue;
    if (PATTERN_CHARS.includes(md[m.index! + m[0].length] ?? '')) continue;
    out.add(m[0]);
  }
  return [...out];
}

/** Every file under the TOPS folders, as a path from the repository root with `/` between its parts. */
function repositoryFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(ROOT, rel)).sort()) {
      const p = `${rel}/${name}`;
      if (statSync(join(ROOT, p)).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  for (const top of TOPS) if (existsSync(join(ROOT, top))) walk(top);
  return out;
}

/** The pages read: README.md and every docs/*.md. */
function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).sort().map((n) => join('docs', n));
  return ['README.md', ...docs];
}

/** `page: path` for each named path that is not there: a rooted path that is no file or folder, a partial one that ends no file. */
function missingPaths(page: string, md: string, files: readonly string[]): string[] {
  const rooted = rootedPaths(md).filter((p) => !existsSync(join(ROOT, p)));
  const partial = partialPaths(md).filter((p) => !files.some((f) => f.endsWith(`/${p}`)));
  return [...rooted, ...partial].map((p) => `${page}: ${p}`);
}

test('the path patterns find the paths of this repository and nothing else', () => {
  const md = 'see `src/engine/lsqml.ts`, test/npy/craft.ts and (scripts/hub-digests.mjs); the folder src/engine/. ' +
    'Fixtures: test/fixtures/overlap/reference-greedy.json, test/fixtures/hub-digests/. ' +
    'Not dist/test/a.test.ts, test/study/*.test.ts, test/fixtures/x/dose_<D>/y.npz, ' +
    'https://github.com/o/r/blob/main/src/a.ts, pty-chi\'s src/ptychi/reconstructors/lsqml.py, nor test/x.tsx. ' +
    'By their end: study/reconstruct/lsqml-job.ts, `cli/options.ts`, steps/<phase>.ts, dist/src/index.d.ts, ' +
    'node_modules/yaml/dist/index.ts, ptychi/lsqml.py; again `src/engine/lsqml.ts`.';
  assert.deepEqual(rootedPaths(md), ['src/engine/lsqml.ts', 'test/npy/craft.ts', 'scripts/hub-digests.mjs', 'src/engine/',
    'test/fixtures/overlap/reference-greedy.json', 'test/fixtures/hub-digests/', 'test/x.tsx']);
  assert.deepEqual(partialPaths(md), ['study/reconstruct/lsqml-job.ts', 'cli/options.ts']);
  const files = repositoryFiles();
  assert.deepEqual(missingPaths('p.md', 'src/engine/lsqml.ts, test/study/no-such-file.test.ts, scripts/no-such.mjs, ' +
    'test/fixtures/no-such/, study/reconstruct/lsqml-job.ts, study/lsqml-job.ts and hub/folder-kind.ts', files),
  ['p.md: test/study/no-such-file.test.ts', 'p.md: scripts/no-such.mjs', 'p.md: test/fixtures/no-such/', 'p.md: study/lsqml-job.ts']);
});

test('every path named in README.md and docs/*.md is a file or folder of the repository', () => {
  const files = repositoryFiles();
  const missing: string[] = [];
  let rooted = 0, partial = 0;
  for (const page of pages()) {
    const md = readFileSync(join(ROOT, page), 'utf8');
    rooted += rootedPaths(md).length;
    partial += partialPaths(md).length;
    missing.push(...missingPaths(page, md, files));
  }
  assert.ok(rooted >= 300 && partial >= 20, `the pages name ${rooted} paths from the root and ${partial} by their end; the patterns must have stopped matching`);
  assert.deepEqual(missing, [], `named in the documentation but not in the repository:\n${missing.join('\n')}`);
});
