/**
 * An array task stopped by SLURM: scancel, a time limit, a requeue or a preemption send SIGTERM to the task's
 * process (SIGKILL only KillWait seconds later). The worker then says so in its log, exits 143 and releases the
 * locks it holds — a lock left behind would make every other task, and `status` or `cancel`, wait out the
 * lock's 60-s lease on a cluster of several nodes — and writes no result for a job it had not finished.
 * Run without SLURM: the worker is started as the task script starts it, on a submission recorded by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PHASE_C } from '../../src/study/hub/layout.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { slurmPaths, writeJobs, type Submission } from '../../src/study/slurm/records.js';
import { tempDir } from '../tmp.js';
import { waitFor as waitUntil, writeSmallBase } from './slurm-helpers.js';

const waitFor = (what: string, cond: () => boolean, ms = 60_000): Promise<void> => waitUntil(what, cond, ms, 20);

function lockPid(path: string): number | null {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

test('a worker stopped by SIGTERM while it holds the hub\'s lock says so, exits 143, releases the lock and keeps the result it wrote',
  { timeout: 120_000 }, async () => {
    const dir = tempDir('worker-stop');
    const out = join(dir, 'phase_c');
    mkdirSync(out);
    // A small object and probe (64×64, 16×16): a dose takes a fraction of a second.
    const base = join(dir, 'base.npz');
    writeSmallBase(base);
    const settings = parseStudySettings({ simulation: { doses: [1000, 2000], nImages: 24, baseNpz: base } });
    const submission: Submission = {
      number: 1, submitted_at: '2026-12-06T00:00:00Z', command: 'generate', argv: ['ptychostudy', 'generate'], version: '0', node: process.execPath,
      entry: resolve('dist', 'src', 'cli', 'worker-main.js'), cwd: dir, hub: null, settings: settings as unknown as Record<string, unknown>,
      steps: [{ step: 'generate', job_id: '7', script: 'slurm/generate.sbatch', tasks: ['dose_1000', 'dose_2000'], array_tasks: 1, depends_on: null,
        options: { outputRoot: out, timestamp: null } }],
      cancelled: [], rejected: null,
    };
    writeJobs(out, { schema_version: 1, tool: 'ptychostudy', submissions: [submission] });
    const paths = slurmPaths(out);

    // A local `generate` holds Phase C's own lock: the task's first merge takes the hub's lock, then waits for it.
    const phaseLock = join(out, PHASE_C.lock);
    const holder = spawn(process.execPath, ['--input-type=module', '-e',
      `const { acquireLock } = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/files/lock.js')).href)});` +
      `acquireLock(${JSON.stringify(phaseLock)}, 'generate run', 'Phase C root'); console.log('held'); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    let worker: ChildProcess | null = null;
    try {
      await new Promise<void>((done) => holder.stdout!.once('data', () => done()));
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLURM_')));
      worker = spawn(process.execPath, [resolve('dist', 'src', 'cli', 'worker-main.js'), 'worker', '--hub', out, '--submission', '1', '--step', 'generate', '--task', '0'],
        { stdio: ['ignore', 'pipe', 'inherit'], env });
      let log = '';
      worker.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
      const ended = new Promise<[number | null, NodeJS.Signals | null]>((done) => worker!.once('close', (c, s) => done([c, s])));
      const pid = worker.pid!;
      await waitFor('the task to hold the hub\'s lock in its first merge', () => existsSync(paths.result(1, 'generate', 0)) && lockPid(paths.lock) === pid);
      worker.kill('SIGTERM');
      const [code, signal] = await ended;
      assert.equal(signal, null, `killed by ${signal} before it released its lock: ${log}`);
      assert.equal(code, 143, log);
      assert.match(log.trim().split('\n').at(-1)!, /terminated \(SIGTERM\): stopped; the results written so far are kept.*its locks are released$/);
      assert.ok(!existsSync(paths.lock), `the hub's lock is left: ${existsSync(paths.lock) ? readFileSync(paths.lock, 'utf8') : ''}`);
      assert.equal(lockPid(phaseLock), holder.pid, 'the other command\'s lock is untouched');
      assert.ok(existsSync(paths.result(1, 'generate', 0)), 'the finished job\'s result is kept');
      assert.ok(!existsSync(paths.result(1, 'generate', 1)), 'no result for a job it never ran');
      assert.ok(!existsSync(paths.final(1, 'generate')));
    } finally {
      if (worker !== null && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      holder.kill('SIGKILL');
    }
  });
