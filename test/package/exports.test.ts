/**
 * The library's exported surface (`import … from 'ptychostudy'`, dist/src/index.d.ts): every type a caller
 * needs to name — the options, results and events of an exported function, the parts of an exported type —
 * is exported itself, so TypeScript code can write `const opts: OverlapRunOptions = …` instead of
 * `Parameters<typeof runOverlap>[1]`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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
