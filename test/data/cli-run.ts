/**
 * Running `ptychostudy` in a child process as a user does, for the tests of hostile input: the exit code,
 * both streams, the wall time and (optionally) the peak resident memory; and the assertion every refusal
 * must pass (exit 2, one line, no stack trace, under a 30-s hang guard: generous, since the suite runs on a loaded machine).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp.js';

export const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Preloaded into the child (--require): prints its peak resident memory (KiB) as the last stderr line. */
let maxRssHook: string | undefined;
function hook(): string {
  if (maxRssHook === undefined) {
    maxRssHook = join(tempDir('maxrss'), 'maxrss.cjs');
    writeFileSync(maxRssHook, 'process.on("exit", () => process.stderr.write("maxrss " + process.resourceUsage().maxRSS + "\\n"));\n');
  }
  return maxRssHook;
}

export interface Run { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number; maxRssBytes?: number }

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Report the child's peak resident memory (maxRssBytes). */
  measure?: boolean;
  /** Kill the child after this many milliseconds (a hang then fails the test instead of hanging it). Default 60 s. */
  timeoutMs?: number;
  /** Run the child as this user (and group of the same number): needs root. */
  uid?: number;
}

/** The child's command line and spawn options for `args` under `opts` (shared by ptychostudy and ptychostudyAsync). */
function childOf(args: string[], opts: RunOptions): { argv: string[]; options: SpawnSyncOptionsWithStringEncoding } {
  return {
    argv: [...(opts.measure ? ['--require', hook()] : []), cli, ...args],
    options: {
      encoding: 'utf8', env: { ...process.env, PTYCHOSTUDY_DEBUG: '', ...opts.env }, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL',
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
    },
  };
}

/** The Run of a child that ended with `status`/`signal` and printed `stdout`/`stderr`, `t0` (performance.now()) after it started. */
function ended(opts: RunOptions, t0: number, status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): Run {
  const out: Run = { status, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000 };
  if (opts.measure && status !== null) {
    const m = /^maxrss (\d+)\n$/m.exec(stderr);
    assert.ok(m, `no maxrss line in ${stderr}`);
    out.maxRssBytes = Number(m[1]) * 1024;
    out.stderr = stderr.replace(/^maxrss \d+\n$/m, '');
  }
  return out;
}

/** `ptychostudy ARGS` in a child process, waited for: its exit, both streams and its wall time. */
export function ptychostudy(args: string[], opts: RunOptions = {}): Run {
  const t0 = performance.now();
  const { argv, options } = childOf(args, opts);
  const r = spawnSync(process.execPath, argv, options);
  return ended(opts, t0, r.status, r.signal, r.stdout, r.stderr);
}

/**
 * `ptychostudy(args, opts)` without blocking the event loop: the test's other children (tests of a file run
 * side by side, or two commands of one test) run meanwhile.
 */
export function ptychostudyAsync(args: string[], opts: RunOptions = {}): Promise<Run> {
  const t0 = performance.now();
  const { argv, options } = childOf(args, opts);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', fail);
    child.once('close', (status, signal) => {
      try { done(ended(opts, t0, status, signal, stdout, stderr)); } catch (e) { fail(e); }
    });
  });
}

/** Exit 2, stderr exactly `ptychostudy <cmd>: <line>` (one line), no stack trace, under 30 s (a hang guard, not a timing claim). */
export function assertRefused(r: Run, cmd: string, line: string | RegExp): void {
  assert.equal(r.signal, null, `killed by ${r.signal} after ${r.seconds.toFixed(1)} s (a hang?): ${r.stderr}`);
  assert.equal(r.status, 2, `exit ${r.status}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  if (typeof line === 'string') assert.equal(lines[0], `ptychostudy ${cmd}: ${line}`);
  else assert.match(lines[0]!, line);
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no control character on stderr');
  assert.ok(r.seconds < 30, `hang guard: ${r.seconds.toFixed(1)} s`);
}
