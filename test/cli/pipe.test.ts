/**
 * A reader that stops early (`ptychostudy … | head -1`) closes the pipe: the command must not crash with a
 * stack trace of the unhandled EPIPE; what is left to print is dropped and the command ends as it would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';

const cli = 'dist/src/cli/main.js';

/** Runs the CLI with its stdout a pipe whose reading end is closed before the command writes to it. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('config --check into a closed pipe: no EPIPE crash, exit code 0', async () => {
  const dir = tempDir('pipe');
  const file = join(dir, 'study.yaml');
  writeFileSync(file, 'simulation:\n  doses: [1000, 100000]\nreconstruction:\n  epochs: 80\n  batchSize: 32\n');
  const r = await runWithClosedStdout(['config', '--check', file]);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error' event/, r.stderr);
  assert.equal(r.code, 0, r.stderr);
});

test('config --print-defaults into a closed pipe: no EPIPE crash, exit code 0', async () => {
  const r = await runWithClosedStdout(['config', '--print-defaults']);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error' event/, r.stderr);
  assert.equal(r.code, 0, r.stderr);
});
