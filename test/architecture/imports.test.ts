/**
 * The import direction of src/: which module may import which. Import specifiers are read from the .ts
 * sources (static `import … from`, `export … from`, dynamic `import('…')`, and `new URL('…', import.meta.url)`
 * for worker scripts), resolved to files, and checked against the layer table below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

/**
 * Layers, lowest first. A module may import modules of a lower layer, or of its own top-level folder
 * (`src/<folder>/…`, or the same file at the top of src/). Nothing else: an import that runs up a layer,
 * or sideways between two folders of one layer, fails the test.
 */
const LAYERS: string[][] = [
  ['errors.ts', 'version.ts', 'text.ts'],
  ['files'],
  ['npy'],
  ['data'],
  ['math'],
  ['geometry', 'physics', 'engine', 'metrics', 'report'],
  ['settings'],
  ['study'],
  ['cli', 'index.ts'],
];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

interface Edge {
  /** The imported module (a .ts file of src/). */
  to: string;
  /** `import type` / `export type`, or every imported name marked `type`: erased when compiled. */
  typeOnly: boolean;
  /** `new URL('./x.js', import.meta.url)`: a worker script, loaded into a thread of its own. */
  worker: boolean;
}

/** What a source file imports from src/ (relative specifiers, resolved to .ts paths). */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const found: { spec: string; typeOnly: boolean; worker: boolean }[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+([^'";]*?)\s*from\s+['"]([^'"]+)['"]/g)) {
    const clause = m[2]!.trim();
    const names = /^\{([^}]*)\}$/.exec(clause)?.[1]?.split(',').map((n) => n.trim()).filter(Boolean) ?? null;
    const typeOnly = clause.startsWith('type ') || (names !== null && names.length > 0 && names.every((n) => n.startsWith('type ')));
    found.push({ spec: m[3]!, typeOnly, worker: false });
  }
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.push({ spec: m[1]!, typeOnly: false, worker: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false, worker: false });
  for (const m of text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false, worker: true });
  // modules only (a `new URL` of a .wasm or package.json file is data, not an import)
  return found.filter((f) => f.spec.startsWith('.') && f.spec.endsWith('.js')).map((f) => {
    const to = resolve(dirname(file), f.spec).replace(/\.js$/, '.ts');
    assert.ok(existsSync(to), `${relative(SRC, file)} imports ${f.spec}, which is not a file of src/`);
    return { to, typeOnly: f.typeOnly, worker: f.worker };
  });
}

/** `engine`, `cli`, … or `errors.ts` for a file directly under src/. */
function topOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!;
}

function layerOf(file: string): number {
  const top = topOf(file);
  const i = LAYERS.findIndex((l) => l.includes(top));
  assert.ok(i >= 0, `src/${top} is in no layer of the table in this test: add it`);
  return i;
}

const files = sources(SRC);
const edges = new Map(files.map((f) => [f, importsOf(f)]));
/** Every dependency, types and worker scripts included: what the layer rules constrain. */
const graph = new Map([...edges].map(([f, e]) => [f, e.map((x) => x.to)]));
/** What runs when a module loads (no erased type imports, no worker threads): what a cycle is made of. */
const runtime = new Map([...edges].map(([f, e]) => [f, e.filter((x) => !x.typeOnly && !x.worker).map((x) => x.to)]));
const rel = (f: string): string => relative(SRC, f);

test('the import graph covers every module of src/ (the checks below see real edges)', () => {
  assert.ok(files.length > 80);
  const count = [...graph.values()].reduce((n, e) => n + e.length, 0);
  assert.ok(count > 300, `${count} edges`);
  // the reader sees each kind of import: a worker script, an erased type import, a value import
  const runner = edges.get(join(SRC, 'study', 'reconstruct', 'engine-runner.ts'))!;
  assert.ok(runner.some((e) => e.worker && e.to.endsWith('engine-worker.ts')));
  assert.ok(runner.some((e) => e.typeOnly && e.to.endsWith('lsqml-job.ts')));
  assert.ok(edges.get(join(SRC, 'study', 'reconstruct', 'engine-worker.ts'))!.some((e) => !e.typeOnly && e.to.endsWith('lsqml-job.ts')));
});

test('nothing outside src/cli imports src/cli; src/npy never imports src/data', () => {
  const bad: string[] = [];
  for (const [from, to] of graph) {
    for (const t of to) {
      if (topOf(t) === 'cli' && topOf(from) !== 'cli') bad.push(`${rel(from)} → ${rel(t)}`);
      if (topOf(from) === 'npy' && topOf(t) === 'data') bad.push(`${rel(from)} → ${rel(t)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('every import runs down the layers: cli → study → settings → engine/physics/metrics/report/geometry → math → data → npy → files → errors', () => {
  const bad: string[] = [];
  for (const [from, to] of graph) {
    for (const t of to) {
      if (topOf(t) === topOf(from)) continue;
      if (layerOf(t) >= layerOf(from)) bad.push(`${rel(from)} → ${rel(t)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('there is no import cycle in src/ (among the imports that run when a module loads)', () => {
  // Tarjan's strongly connected components; any component of more than one module (or a self-import) is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of runtime.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); comp.push(rel(w)); } while (w !== v);
      if (comp.length > 1 || (runtime.get(v) ?? []).includes(v)) cycles.push(comp.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

/**
 * The folders of src/study/: the phases, each a command's plan → jobs → record (Phase A's design and the export of a
 * finished reconstruction count as phases), what they share (hub/, the hub's file contract; phase.ts, the shape
 * of a phase; job-thread.ts, jobs in worker threads), and the two that drive phases (run/, the whole study in this process; slurm/, the study as SLURM job
 * arrays, which reuses run/'s checks).
 */
const STUDY_PHASES = ['design', 'simulate', 'overlap', 'reconstruct', 'compare', 'report', 'export'];
const STUDY_SHARED = ['hub', 'phase.ts', 'job-thread.ts'];
const STUDY_DRIVERS = ['run', 'slurm'];

/** `overlap`, `hub`, … or `phase.ts`: the folder (or file) of src/study/ a module lies in; null outside src/study/. */
function studyPartOf(file: string): string | null {
  const parts = relative(SRC, file).split(/[\\/]/);
  return parts[0] === 'study' ? parts[1]! : null;
}

test('inside src/study a phase imports no other phase, and what phases share imports no phase: they share through hub/, phase.ts and job-thread.ts', () => {
  const known = [...STUDY_PHASES, ...STUDY_SHARED, ...STUDY_DRIVERS];
  const parts = new Set(files.map(studyPartOf).filter((p): p is string => p !== null));
  for (const p of parts) assert.ok(known.includes(p), `src/study/${p} is in none of the lists of this test: add it`);
  for (const p of [...STUDY_PHASES, ...STUDY_SHARED]) assert.ok(parts.has(p), `src/study/${p} is not there: update this test`);
  const bad: string[] = [];
  for (const [from, to] of graph) {
    const a = studyPartOf(from);
    if (a === null || STUDY_DRIVERS.includes(a)) continue;
    for (const t of to) {
      const b = studyPartOf(t);
      if (b === null || b === a || STUDY_SHARED.includes(b)) continue;
      bad.push(`${rel(from)} → ${rel(t)}`);
    }
  }
  assert.deepEqual(bad, []);
});

/**
 * The one use of the standard error stream below src/cli that prints nothing: the HDF5 reader replaces
 * its write for the length of one library call, to catch the WebAssembly runtime's own messages
 * ("Cannot enlarge memory …") and turn them into the call's error (`quietly`).
 */
const CAPTURES_STDERR = new Map([['data/hdf5/reader.ts', 'const stderr = process.stderr as unknown as { write: (...args: unknown[]) => boolean };']]);

test('below src/cli nothing prints or reads argv', () => {
  const bad: string[] = [];
  for (const f of files) {
    if (topOf(f) === 'cli') continue;
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (CAPTURES_STDERR.get(rel(f)) === line.trim()) return;
      if (/\bprocess\.(stdout|stderr|argv)\b|\bconsole\.\w+\(/.test(line)) bad.push(`${rel(f)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, []);
});
