/** Flag values of the wrong kind are a UsageError saying what the flag takes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, integerFlag, listItems } from '../../src/cli/flags.js';
import { UsageError } from '../../src/errors.js';

test('integerFlag: a word or a fraction is refused as "expected an integer" (a word was "expected a number", which 2.5 is)', () => {
  const refused = (text: string) => (e: unknown): boolean => e instanceof UsageError && e.message === `--epochs ${text}: expected an integer`;
  assert.throws(() => integerFlag('--epochs', 'ten'), refused('ten'));
  assert.throws(() => integerFlag('--epochs', '2.5'), refused('2.5'));
  assert.throws(() => integerFlag('--epochs', ' '), refused(' '));
  assert.equal(integerFlag('--epochs', '1e3'), 1000);
  assert.equal(integerFlag('--epochs', undefined), undefined);
});

test('comma lists: an empty item is refused naming the flag and the list, not dropped', () => {
  assert.deepEqual(collect(' 1e4', collect('1e3, 1e5')), ['1e3', '1e5', '1e4']);
  for (const text of ['1e3,,1e4', '1e3,', ',1e3', '', ' ']) {
    assert.throws(() => collect(text), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'commander.invalidArgument', text);
    assert.throws(() => listItems('--doses', text), (e: unknown) => e instanceof UsageError && e.message.startsWith(`--doses ${text}: an empty`), text);
  }
  assert.deepEqual(listItems('--doses', '1e3, 1e4'), ['1e3', '1e4']);
});

test('comma lists on the command line: `--dose 1e3,,1e4` and `--doses 1e3,,1e4` exit 2 in one line, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-list-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8' });
  const gen = cli('generate', '--preset', 'quick', '--dose', '1e3,,1e4', '--out', join(dir, 'c'));
  assert.equal(gen.status, 2, gen.stderr);
  assert.match(gen.stderr, /^ptychostudy generate: option '--dose <photons>' argument '1e3,,1e4' is invalid\. an empty item in the comma-separated list/);
  assert.equal(gen.stderr.trim().split('\n').length, 1, gen.stderr);
  const rec = cli('reconstruct', '--phase-c-root', join(dir, 'c'), '--phase-d-root', join(dir, 'd'), '--doses', '1e3,1e4,', '--out', join(dir, 'f'));
  assert.equal(rec.status, 2, rec.stderr);
  assert.equal(rec.stderr, 'ptychostudy reconstruct: --doses 1e3,1e4,: an empty item in the comma-separated list (two commas in a row, or one at an end)\n');
  for (const d of ['c', 'f']) assert.ok(!existsSync(join(dir, d)), d);
});

test('--crop-center with a negative coordinate: lsqml, reconstruct and inspect name the flag, not the setting\'s index', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-crop-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8' });
  const cxi = join('test', 'fixtures', 'cxi', 'frames.cxi');
  const runs: [string, string[]][] = [
    ['lsqml', ['--input', cxi, '--out', join(dir, 'l'), '--crop-center', '-1,72', '--crop-size', '16']],
    ['reconstruct', ['--phase-c-root', join(dir, 'c'), '--phase-d-root', join(dir, 'd'), '--out', join(dir, 'f'), '--crop-center', '38,-2', '--crop-size', '16']],
    ['inspect', ['--check', '--crop-center', '-1,72', '--crop-size', '16', cxi]],
  ];
  for (const [cmd, args] of runs) {
    const r = cli(cmd, ...args);
    assert.equal(r.status, 2, r.stderr);
    const found = cmd === 'reconstruct' ? '-2' : '-1';
    assert.equal(r.stderr, `ptychostudy ${cmd}: --crop-center ${found}: expected two integers [y, x] ≥ 0 (pixels of the file's frames)\n`);
  }
  for (const d of ['l', 'f']) assert.ok(!existsSync(join(dir, d)), d);
  rmSync(dir, { recursive: true, force: true });
});
