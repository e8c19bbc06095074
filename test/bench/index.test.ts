/**
 * `npm run bench`'s entry point (bench/index.ts): `--help` lists every bench module with what it measures, and a name
 * that matches no module is refused in one line with exit code 2 and nothing run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');
const bench = (...args: string[]) => spawnSync(process.execPath, [join(BENCH, 'index.js'), ...args], { encoding: 'utf8' });

test('bench --help lists every bench module, each with the first line of its header comment', () => {
  const r = bench('--help');
  assert.equal(r.status, 0, r.stderr);
  const names = readdirSync(BENCH).filter((f) => f.endsWith('.bench.js')).map((f) => f.replace(/\.bench\.js$/, ''));
  assert.ok(names.includes('align') && names.includes('bluestein'), names.join(', '));
  for (const name of names) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `${name} in\n${r.stdout}`);
  assert.match(r.stdout, /^  align +Phase G's alignment and metrics on large synthetic pairs/m);
  assert.match(r.stdout, /^  bluestein +Sides the power-of-two kernel does not take/m);
});

test('a bench name that matches no module is refused in one line, exit code 2, nothing run; a bench\'s own option and its value are no names', () => {
  const r = bench('no-such-bench', '--preset', 'quick');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^bench: no bench named 'no-such-bench': expected a part of one of .*\balign\b.*\bbluestein\b/);
});
