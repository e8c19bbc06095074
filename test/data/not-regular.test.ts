/**
 * An input path that is no regular file — a named pipe above all, whose open() blocks until a writer
 * comes, for ever when none does — is refused in one line before anything opens it: inspect, generate
 * --base-npz, lsqml --input and --init-probe file:PATH. Each command runs in a child process killed
 * after 30 s, so a regression fails here instead of hanging the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertRefused, ptychostudy } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-not-regular-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const cxi = fileURLToPath(new URL('../../../test/fixtures/cxi/scan-noprobe.cxi', import.meta.url));
const run = (args: string[]) => ptychostudy(args, { timeoutMs: 30_000 });

/** A named pipe at `path`, or why none can be made here. */
function mkfifo(path: string): string | null {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return 'mkfifo is not installed';
  assert.equal(r.status, 0, `mkfifo failed: ${r.stderr}`);
  return null;
}

test('a named pipe as an NPZ, a dataset or a probe file: exit 2 at once, one line, nothing written (was a hang)', (t) => {
  const fifo = join(root, 'fifo.npz');
  const why = mkfifo(fifo);
  if (why) { t.skip(why); return; }
  const line = `${fifo}: not a regular file (a named pipe)`;
  assertRefused(run(['inspect', fifo]), 'inspect', line);
  assertRefused(run(['inspect', '--check', fifo]), 'inspect', line);
  const g = join(root, 'g');
  assertRefused(run(['generate', '--out', g, '--base-npz', fifo, '--dose', '1000']), 'generate', line);
  assert.ok(!existsSync(g), 'nothing written, no lock left');
  const o = join(root, 'o');
  assertRefused(run(['lsqml', '--input', fifo, '--out', o, '--epochs', '2']), 'lsqml', line);
  assert.ok(!existsSync(o), 'nothing written');
  assertRefused(run(['lsqml', '--input', cxi, '--out', o, '--epochs', '2', '--init-probe', `file:${fifo}`]), 'lsqml', line);
  assert.ok(!existsSync(o), 'nothing written');
});

test('a directory or a character device as an NPZ is refused by what it is', (t) => {
  assertRefused(run(['inspect', root]), 'inspect', `${root}: not a regular file (a directory)`);
  if (!existsSync('/dev/zero')) { t.skip('no /dev/zero'); return; }
  assertRefused(run(['inspect', '/dev/zero']), 'inspect', '/dev/zero: not a regular file (a character device)');
  const o = join(root, 'o2');
  assertRefused(run(['lsqml', '--input', '/dev/zero', '--out', o, '--epochs', '2']), 'lsqml', '/dev/zero: not a regular file (a character device)');
  assert.ok(!existsSync(o), 'nothing written');
});
