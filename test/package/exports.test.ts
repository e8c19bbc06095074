/**
 * The library's exported surface (`import … from 'ptychostudy'`, dist/src/index.d.ts): every type a caller
 * needs to name — the options, results and events of an exported function, the parts of an exported type —
 * is exported itself, so TypeScript code can write `const opts: OverlapRunOptions = …` instead of
 * `Parameters<typeof runOverlap>[1]`; and every error an exported function throws is exported, so callers
 * can tell them apart with `instanceof`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as lib from '../../src/index.js';
import { tempDir } from '../tmp.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const ENTRY = fileURLToPath(new URL('../../src/index.d.ts', import.meta.url));

/** Names of the package's own types that an export's declaration refers to and the entry does not export. */
function unexportedTypes(): string[] {
  const program = ts.createProgram([ENTRY], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!);
  const exported = new Set(exports.map(resolve));
  const missing = new Map<string, Set<string>>();
  for (const e of exports) {
    for (const decl of resolve(e).declarations ?? []) {
      const visit = (n: ts.Node): void => {
        if (ts.isTypeReferenceNode(n)) {
          const at = checker.getSymbolAtLocation(n.typeName);
          const sym = at === undefined ? undefined : resolve(at);
          const d = sym?.declarations?.[0];
          // the package's own declarations, not a type parameter (`D` of a generic) or a library's type
          if (sym !== undefined && d !== undefined && !ts.isTypeParameterDeclaration(d) && d.getSourceFile().fileName.includes('/dist/src/') && !exported.has(sym)) {
            const k = `${sym.name} (${d.getSourceFile().fileName.replace(/.*\/dist\/src\//, '')}, used by ${e.name})`;
            missing.set(sym.name, new Set([...(missing.get(sym.name) ?? []), k]));
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(decl);
    }
  }
  return [...missing.values()].map((s) => [...s][0]!).sort();
}

test('every type an exported declaration refers to is exported too', () => {
  assert.deepEqual(unexportedTypes(), []);
});

test('the errors the readers throw are exported, and are InputErrors with exit code 2', async () => {
  const dir = tempDir('exports');
  const notZip = join(dir, 'x.npz');
  writeFileSync(notZip, 'not a zip');
  const caught = async (f: () => unknown): Promise<unknown> => {
    try { await f(); } catch (e) { return e; }
    return assert.fail('expected an error');
  };
  const errors = [
    await caught(() => lib.loadNpz(notZip)),
    await caught(() => lib.saveNpz(join(dir, 'y.npz'), { a: { dtype: '<f8', shape: [2], data: new Float64Array(1) } })),
    await caught(() => lib.readCxi(notZip)),
    await caught(() => lib.validateDataset({}, notZip)),
  ];
  for (const e of errors) {
    assert.ok(e instanceof lib.InputError, String(e));
    assert.equal(e.exitCode, 2);
    const name = e.constructor.name;
    assert.equal((lib as Record<string, unknown>)[name], e.constructor, `${name} (thrown: ${e.message}) is not exported`);
  }
});

test('the engine\'s errors and the lock\'s are exported too', () => {
  for (const name of ['LsqmlInputError', 'LsqmlDivergenceError', 'LockBusyError']) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], 'function', `${name} is not exported`);
  }
  assert.ok(lib.LockBusyError.prototype instanceof lib.InputError);
});

test('the engine\'s bad-input error is an InputError (exit code 2), as every reader\'s is', () => {
  const e = new lib.LsqmlInputError('intensities hold NaN');
  assert.ok(e instanceof lib.InputError);
  assert.equal(lib.exitCodeFor(e), 2);
  assert.equal(e.name, 'LsqmlInputError');
});

test('a CommonJS script can require the package where Node.js loads ES modules by require (20.19 and later): nothing it loads with the package awaits at the top level', (t) => {
  if (!(process.features as { require_module?: boolean }).require_module) { t.skip(`Node.js ${process.version} cannot require an ES module`); return; }
  const entry = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const r = spawnSync(process.execPath, ['-e', `const p = require(${JSON.stringify(entry)}); console.log(typeof p.runLsqml, typeof p.buildReport)`],
    { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'function function');
});
