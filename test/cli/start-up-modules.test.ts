/**
 * What the CLI loads before it does anything (src/cli/commands/index.ts `commandsFor`): `--version` no command's module
 * and not the settings schema (zod), one command's run or `--help` that command's module and none of the others'. Read
 * from the modules Node.js loads (a module hook in the child lists them), not from a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { commands, commandsFor } from '../../src/cli/commands/index.js';
import { tempDir } from '../tmp.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const dir = tempDir('start-up-modules');
const hook = join(dir, 'hook.mjs');
writeFileSync(hook, 'export async function load(url, context, next) {\n  const r = await next(url, context);\n  process.stderr.write(`loaded ${url}\\n`);\n  return r;\n}\n');
const register = join(dir, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);

/** The files under the package a command line loads, relative to it (dist/src/…, node_modules/…). */
function loaded(...args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, cli, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stderr.matchAll(/^loaded (file:\S+)$/gm)].map((m) => relative(root, fileURLToPath(m[1]!)));
}

const commandModules = (files: string[]): string[] => files.filter((f) => /^dist\/src\/cli\/commands\//.test(f)).sort();

test('--version loads no command and not the settings schema (it loaded all 13 commands and zod)', () => {
  const files = loaded('--version');
  assert.deepEqual(commandModules(files), ['dist/src/cli/commands/index.js']);
  assert.deepEqual(files.filter((f) => f.startsWith('node_modules/zod/') || f.startsWith('dist/src/settings/')), []);
});

test('one command\'s --help loads its own module and no other command\'s; --help loads every one', () => {
  assert.deepEqual(commandModules(loaded('inspect', '--help')), ['dist/src/cli/commands/index.js', 'dist/src/cli/commands/inspect.js']);
  assert.deepEqual(commandModules(loaded('status', '--help')), ['dist/src/cli/commands/index.js', 'dist/src/cli/commands/status.js']);
  assert.equal(commandModules(loaded('--help')).length, commands.length + 1);
});

test('commandsFor: the command the first word names; none for --version alone; every one for --help, help, no command or an unknown word', () => {
  const names = (args: string[]): string[] => commandsFor(args).map((c) => c.name);
  assert.deepEqual(names(['lsqml', '--input', 'scan.cxi']), ['lsqml']);
  assert.deepEqual(names(['--version']), []);
  assert.deepEqual(names(['-V']), []);
  const all = commands.map((c) => c.name);
  for (const args of [[], ['--help'], ['--help', 'lsqml'], ['help', 'lsqml'], ['lsqm'], ['--version', '--help'], ['--out', 'x', 'run']]) assert.deepEqual(names(args), all, args.join(' '));
});

test('each entry of the table names the command its module registers', async () => {
  for (const c of commands) {
    const program = new Command();
    (await c.load()).register(program);
    assert.deepEqual(program.commands.map((cmd) => cmd.name()), [c.name]);
  }
});
