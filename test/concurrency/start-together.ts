/** Starts several `ptychostudy` commands so that they begin their work at the same instant (barrier.ts). */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BARRIER = new URL('./barrier.js', import.meta.url).href;

interface Outcome { status: number | null; stdout: string; stderr: string }

/** Runs every argv (a ptychostudy command line) in its own process, all released at the same instant. */
export async function startTogether(commands: string[][], barrierDir: string): Promise<Outcome[]> {
  mkdirSync(barrierDir, { recursive: true });
  const children: ChildProcess[] = [];
  const runs = commands.map((args, i) => {
    const c = spawn(process.execPath, ['--import', BARRIER, CLI, ...args], {
      env: { ...process.env, BARRIER_DIR: barrierDir, BARRIER_ID: String(i), PTYCHOSTUDY_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(c);
    const out = { stdout: '', stderr: '' };
    c.stdout!.on('data', (d: Buffer) => { out.stdout += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { out.stderr += d.toString(); });
    return new Promise<Outcome>((done) => c.on('exit', (status) => done({ status, ...out })));
  });
  const t0 = Date.now();
  while (!commands.every((_, i) => existsSync(join(barrierDir, `ready-${i}`)))) {
    if (Date.now() - t0 > 60_000) {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      assert.fail('hang guard: children never became ready');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  // to a temporary name, then renamed: no child reads a half-written start time
  writeFileSync(join(barrierDir, '.go'), String(Date.now() + 200));
  renameSync(join(barrierDir, '.go'), join(barrierDir, 'go'));
  return Promise.all(runs);
}

