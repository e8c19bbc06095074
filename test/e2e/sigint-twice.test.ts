/**
 * Ctrl-C reaches `run` more than once when it runs under another program (`npm start`: the terminal signals
 * npm and the study, and npm passes its signal on; `timeout -s INT` signals the process and then its group).
 * A signal that arrives while the first is being handled must not kill the process before it has recorded the
 * hub as interrupted and printed the command that continues it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../study/reconstruct-helpers.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

test('Ctrl-C twice during Phase F: exit 130, the hub recorded interrupted, the hint printed', { timeout: 300_000 }, async () => {
  const hub = join(tmp('sigint-twice'), 'hub');
  const child = spawn(process.execPath, [CLI, 'run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '400', '--jobs', '1', '--out', hub],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (timer === undefined && stderr.includes('▶ reconstruct')) {
      // the first signal, then more while it is handled (until the process has gone)
      timer = setInterval(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); }, 1);
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearInterval(timer);
  assert.ok(timer !== undefined, `Phase F never started: ${stderr}`);
  assert.equal(signal, null, `killed by ${signal} before the interruption was recorded; stderr: ${stderr.slice(-400)}`);
  assert.equal(code, 130, stderr);
  assert.match(stderr, new RegExp(`interrupted; finished work is kept\\. Continue with: ptychostudy run --out ${hub.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.equal(JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')).status, 'interrupted');
});
