/**
 * The script of docs/library.md runs as it stands against the built library: its import of 'ptychostudy' is
 * pointed at dist/src/index.js, it reconstructs the CXI fixture, and what it prints is what the page says it
 * does. A change of a name, a default or an error that the page relies on fails here. It also type-checks, as
 * a script whose editor checks it against the package's declarations (`// @ts-check`, strict) sees it: a promise
 * used as its value, an option or a field that is not declared, fails here too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { tempDir } from '../tmp.js';

const at = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

function pageScript(): string {
  const page = readFileSync(at('docs/library.md'), 'utf8');
  const blocks = [...page.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, 'one script on the page');
  return blocks[0]!;
}

test('docs/library.md: the example script type-checks against the package\'s declarations (checkJs, strict)', () => {
  const file = join(tempDir('lib-example-types'), 'example.mjs');
  writeFileSync(file, pageScript());
  const program = ts.createProgram([file], {
    allowJs: true, checkJs: true, strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    paths: { ptychostudy: [fileURLToPath(new URL('../../src/index.d.ts', import.meta.url))] },
    typeRoots: [at('node_modules/@types')], types: ['node'],
  });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  assert.deepEqual(errors, []);
});

test('docs/library.md: the example script runs and does what the page says', () => {
  const script = pageScript();
  assert.match(script, /from 'ptychostudy';/);
  const dir = tempDir('lib-example');
  const file = join(dir, 'example.mjs');
  writeFileSync(file, script.replace(/from 'ptychostudy';/, `from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};`));
  const cxi = at('test/fixtures/cxi/scan.cxi');
  const out = execFileSync(process.execPath, [file, cxi, join(dir, 'out')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, /^epoch 11: loss \d\.\d{3}e-\d+$/m);
  const ssim = Number(/^SSIM (\S+), MS-SSIM (\S+), FRC 0\.5 at ring (\S+)$/m.exec(out)?.[1]);
  assert.ok(ssim > 0.5 && ssim <= 1, `amplitude SSIM against the true object: ${ssim}`);
  assert.match(out, /^object\.npz: <c16 \[72,72\]$/m);
  assert.match(out, /^stopped after 3 of 1000 epochs \(enough\)$/m);
  assert.match(out, /: epoch 4\/4$/m);
  assert.match(out, /^reconstruction: <c8 \[73,58\], final loss /m);
  const report = /^report: (.*index\.html) \((\d+) images\)$/m.exec(out);
  assert.ok(report && Number(report[2]) > 0 && readFileSync(report[1]!, 'utf8').includes('<html'), out);
  assert.match(out, /^refused \(exit code 2\): .*no-such\.npz: cannot open \(no such file\)$/m);
});
