/**
 * The calls docs/library.md (and the README's paragraph on the library) show in `code` are what the package
 * exports and takes: every name a call or a class starts with is an export of 'ptychostudy' (a function where it
 * is called, a member where one is named: `NpzReader.open(path)`), every call has no more arguments than one of
 * the function's signatures takes, and every option named in an object argument (`{ force?, input? }`) is a
 * property of that parameter's type in the declarations (dist/src/index.d.ts). The page's script is run by
 * library-example.test.ts; this keeps its tables true. Spans with an ellipsis (`{ dose: 1e4, … }`) are elided
 * examples and are skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as lib from '../../src/index.js';

const at = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const ENTRY = fileURLToPath(new URL('../../src/index.d.ts', import.meta.url));

/** The `code` spans of a Markdown text outside its fenced blocks. */
function codeSpans(md: string): string[] {
  const prose = md.replace(/^```[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/(`+)([^`]+?)\1/g)].map((m) => m[2]!.trim());
}

/** The README's paragraph on the library: the one that imports from 'ptychostudy'. */
function readmeLibraryParagraph(): string {
  const paragraphs = readFileSync(at('README.md'), 'utf8').split(/\n\s*\n/);
  const p = paragraphs.filter((x) => x.includes("from 'ptychostudy'"));
  assert.equal(p.length, 1, 'one paragraph of README.md imports from \'ptychostudy\'');
  return p[0]!;
}

interface Api {
  /** Exported names, values and types. */
  names: Set<string>;
  /** The call signatures of an exported function, or the construct signatures of a class. */
  signatures(name: string): readonly ts.Signature[];
  /** The property names of a signature's parameter `i` (every member of a union, undefined and null left out); null where it is not an object type. */
  optionNames(sig: ts.Signature, i: number): Set<string> | null;
}

function declaredApi(): Api {
  const program = ts.createProgram([ENTRY], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!);
  const byName = new Map(exports.map((s) => [s.name, s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s]));
  const decl = program.getSourceFile(ENTRY)!;
  return {
    names: new Set(byName.keys()),
    signatures(name) {
      const sym = byName.get(name);
      if (sym === undefined || !(sym.flags & ts.SymbolFlags.Value)) return [];
      const type = checker.getTypeOfSymbolAtLocation(sym, decl);
      return [...type.getCallSignatures(), ...type.getConstructSignatures()];
    },
    optionNames(sig, i) {
      const params = sig.getParameters();
      if (i >= params.length) return null;
      const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(params[i]!, decl));
      const members = type.isUnion() ? type.types : [type];
      const names = new Set<string>();
      for (const m of members) {
        if (!(m.flags & ts.TypeFlags.Object) && !m.isIntersection()) continue;
        for (const p of checker.getPropertiesOfType(m)) names.add(p.name);
      }
      return names.size === 0 ? null : names;
    },
  };
}

/** A span as TypeScript: optional marks (`force?`, `onEvent?`) dropped. Null where it does not parse as one expression. */
function asExpression(span: string): ts.Expression | null {
  const text = span.replace(/([\w$])\?(?=\s*[,})])/g, '$1');
  const sf = ts.createSourceFile('span.ts', `(${text});`, ts.ScriptTarget.ES2022, true);
  if ((sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length > 0) return null;
  const st = sf.statements;
  if (st.length !== 1 || !ts.isExpressionStatement(st[0]!)) return null;
  let e = st[0]!.expression;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/** The identifier a call or a name starts with (`NpzReader` of `NpzReader.open(path)`) and the members after it. */
function head(e: ts.Expression): { name: string; members: string[] } | null {
  const members: string[] = [];
  let x = e;
  while (ts.isPropertyAccessExpression(x)) { members.unshift(x.name.text); x = x.expression; }
  return ts.isIdentifier(x) ? { name: x.text, members } : null;
}

/** Names of Node's and TypeScript's own types the page may name, and CommonJS's `require` (an ES module's `globalThis` has none; runtime globals are looked up there). */
const GLOBAL_TYPES = new Set(['NodeJS', 'Partial', 'Record', 'Promise', 'require']);

/** What is wrong with the calls and names the spans show; empty when every one is the package's. */
function problems(spans: readonly string[], api: Api, runtime: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const span of spans) {
    if (span.includes('…')) continue;
    const importOf = /^import \{([^}]*)\} from 'ptychostudy'$/.exec(span);
    if (importOf) {
      for (const n of importOf[1]!.split(',').map((s) => s.replace(/^type /, '').trim()).filter(Boolean)) {
        if (!api.names.has(n)) out.push(`\`${span}\`: ${n} is not exported`);
      }
      continue;
    }
    const e = asExpression(span);
    if (e === null) continue;
    const call = ts.isCallExpression(e) || ts.isNewExpression(e) ? e : null;
    const h = head(call !== null ? call.expression : e);
    if (h === null) continue;
    // a bare name of the package is a class or type (`ReportResult`) or a constant (`DEFAULT_LSQML_OPTIONS`); another bare
    // word is an option, a field or a value (`force`, `phase`, `H`); globals and error codes are not the package's
    if (call === null && h.members.length === 0 && !/^[A-Z][a-z]|^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(h.name)) continue;
    if (h.name in globalThis || GLOBAL_TYPES.has(h.name) || /^E[A-Z]+$/.test(h.name)) continue;
    if (call === null && h.members.length > 0 && !/^[A-Z]/.test(h.name)) continue; // a field of a value (`e.exitCode`)
    if (!api.names.has(h.name)) {
      // a lower-case head of a call that is not exported may be a variable of an example (`stop.abort(s)`)
      if (h.members.length === 0 || /^[A-Z]/.test(h.name)) out.push(`\`${span}\`: ${h.name} is not exported`);
      continue;
    }
    let value: unknown = runtime[h.name];
    for (const m of h.members) {
      const here: unknown = value;
      value = here === null || here === undefined ? undefined : (here as Record<string, unknown>)[m];
      // a field of an instance (`SettingsError.issues`) is not on the class: look for it on an instance's prototype or in the declarations
      if (value === undefined && typeof here === 'function') value = (here.prototype as Record<string, unknown> | undefined)?.[m] ?? (m in Object.getOwnPropertyDescriptors(here) ? null : undefined);
    }
    if (call === null) continue;
    if (typeof value !== 'function') { out.push(`\`${span}\`: ${[h.name, ...h.members].join('.')} is not a function of the package`); continue; }
    if (h.members.length > 0) continue; // methods: their presence only
    const sigs = api.signatures(h.name);
    const args = call.arguments ?? ts.factory.createNodeArray<ts.Expression>();
    const fitting = sigs.filter((s) => args.length <= s.getParameters().length || (s.getDeclaration() as ts.SignatureDeclaration | undefined)?.parameters.at(-1)?.dotDotDotToken !== undefined);
    if (fitting.length === 0) { out.push(`\`${span}\`: ${h.name} takes at most ${Math.max(0, ...sigs.map((s) => s.getParameters().length))} arguments, not ${args.length}`); continue; }
    args.forEach((a, i) => {
      if (!ts.isObjectLiteralExpression(a)) return;
      const keys = a.properties.filter((p) => !ts.isSpreadAssignment(p)).map((p) => (p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : '?'));
      const known = fitting.map((s) => api.optionNames(s, i)).filter((x): x is Set<string> => x !== null);
      for (const k of keys) {
        if (!known.some((set) => set.has(k))) out.push(`\`${span}\`: ${h.name} takes no option \`${k}\` in argument ${i + 1}`);
      }
    });
  }
  return out;
}

const api = declaredApi();

test('docs/library.md and the README\'s library paragraph: every call and name they show is exported, with those arguments and options', () => {
  const spans = [...codeSpans(readFileSync(at('docs/library.md'), 'utf8')), ...codeSpans(readmeLibraryParagraph())];
  assert.ok(spans.length > 100, `${spans.length} code spans`);
  assert.deepEqual(problems(spans, api, lib), []);
});

test('the check itself: an unexported name, a misspelt option, an extra argument or a missing member is found', () => {
  assert.deepEqual(problems([
    'runLsqmlJobs({ input })', 'LsqmlAbortError', 'buildReconstructionReport(dir, { forced? })', 'frcThreshold(curve, 0.5, 1)',
    'NpzReader.openFile(path)', "import { runStudy, runStudies } from 'ptychostudy'",
    // what the page may show: elided, globals, fields, a variable's method
    'runReconstruction(s, { dose: 1e4, … })', 'RangeError', 'ENOSPC', 'SettingsError.issues', 'stop.abort(s)', 'force',
    'runStudy(hub, settings?, onEvent?, { signal? })', 'NpzReader.open(path)', 'H', 'DEFAULT_LSQML_OPTIONS', 'r.keys()',
    'DEFAULT_LSQML_OPTION', "require('ptychostudy')",
  ], api, lib), [
    '`runLsqmlJobs({ input })`: runLsqmlJobs is not exported',
    '`LsqmlAbortError`: LsqmlAbortError is not exported',
    '`buildReconstructionReport(dir, { forced? })`: buildReconstructionReport takes no option `forced` in argument 2',
    '`frcThreshold(curve, 0.5, 1)`: frcThreshold takes at most 2 arguments, not 3',
    '`NpzReader.openFile(path)`: NpzReader.openFile is not a function of the package',
    "`import { runStudy, runStudies } from 'ptychostudy'`: runStudies is not exported",
    '`DEFAULT_LSQML_OPTION`: DEFAULT_LSQML_OPTION is not exported',
  ]);
});
