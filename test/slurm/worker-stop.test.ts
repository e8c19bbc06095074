/**
 * An array task stopped by SLURM: scancel, a time limit, a requeue or a preemption send SIGTERM to the task's
 * process (SIGKILL only KillWait seconds later). The worker then says so in its log, exits 143 and releases the
 * locks it holds — a lock left behind would make every other task, and `status` or `cancel`, wait out the
 * lock's 60-s lease on a cluster of several nodes — and writes no result for a job it had not finished. A
 * reconstruction stopped in its last epoch finishes it: the task writes and merges that job's result, takes no other
 * job, and exits 143.
 * Run without SLURM: the worker is started as the task script starts it, on a submission recorded by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PHASE_C } from '../../src/study/hub/layout.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { slurmPaths, writeJobs, type Submission } from '../../src/study/slurm/records.js';
import { tempDir } from '../tmp.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { writeTree } from '../study/reconstruct-helpers.js';
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

test('a worker stopped by SIGTERM in its reconstruction\'s last epoch writes and merges that job\'s result, takes no other job and exits 143',
  { timeout: 300_000 }, async () => {
    const dir = tempDir('worker-stop-last-epoch');
    const t = writeTree(join(dir, 'study'), { doses: [1000], views: ['dense'] });
    // epochs of 0.1–0.2 s (64×64 patterns, 1200 positions, one thread): the stop lands in the last one when the log lists E − 1
    const E = 6;
    const input = join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz');
    writeSyntheticDataset(input, { size: 64, height: 240, width: 240, positions: 1200, photons: 1e4, poisson: true, seed: 3 });
    cpSync(input, join(t.phaseD, 'dose_1000', 'dense', 'dense_test.npz'));
    const settings = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: E, batchSize: 24, threads: 1 }, execution: { checkpointEvery: 1000 } });
    const jobs = ['dose_1000/dense/train', 'dose_1000/dense/test'];
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLURM_')));
    // The stop may land after the job's end (the task then takes the next job, its result written) or between epochs
    // E − 1 and E (no result: the checkpoint holds E − 1 epochs); the run is then tried again, at most 5 times.
    for (let attempt = 1; ; attempt++) {
      const out = join(dir, `artifacts-${attempt}`);
      mkdirSync(out);
      const submission: Submission = {
        number: 1, submitted_at: '2026-12-07T00:00:00Z', command: 'reconstruct', argv: ['ptychostudy', 'reconstruct'], version: '0', node: process.execPath,
        entry: resolve('dist', 'src', 'cli', 'worker-main.js'), cwd: dir, hub: null, settings: settings as unknown as Record<string, unknown>,
        steps: [{ step: 'reconstruct', job_id: '7', script: 'slurm/reconstruct.sbatch', tasks: jobs, array_tasks: 1, depends_on: null,
          options: { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: out, filters: { dose: [1000], view: 'dense', split: null, gridsize: null }, allowMissingPhaseD: true, force: false } }],
        cancelled: [], rejected: null,
      };
      writeJobs(out, { schema_version: 1, tool: 'ptychostudy', submissions: [submission] });
      const paths = slurmPaths(out);
      const jobDir = join(out, 'dose_1000', 'dense', 'train');
      const epochsLogged = (): number => {
        const staging = existsSync(jobDir) ? readdirSync(jobDir).find((n) => n.startsWith('.staging-')) : undefined;
        const log = staging !== undefined ? join(jobDir, staging, 'lsqml.log') : null;
        return log !== null && existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('epoch ')).length : 0;
      };
      const worker = spawn(process.execPath, [resolve('dist', 'src', 'cli', 'worker-main.js'), 'worker', '--hub', out, '--submission', '1', '--step', 'reconstruct', '--task', '0'],
        { stdio: ['ignore', 'pipe', 'inherit'], env });
      let log = '';
      worker.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
      const ended = new Promise<number | null>((done) => worker.once('close', (c) => done(c)));
      try {
        await waitFor('the job\'s last epoch', () => epochsLogged() >= E - 1 || worker.exitCode !== null, 240_000);
        worker.kill('SIGTERM');
        const code = await ended;
        const late = existsSync(paths.result(1, 'reconstruct', 1)) || code === 0;
        const between = !existsSync(paths.result(1, 'reconstruct', 0)) && existsSync(join(jobDir, 'lsqml-checkpoint.npz')) && epochsLogged() === E - 1;
        if ((late || between) && attempt < 5) continue;
        assert.equal(code, 143, log);
        assert.match(log.trim().split('\n').at(-1)!, /terminated \(SIGTERM\): stopped; the results written so far are kept/);
        assert.match(log, /reconstruct dose_1000\/dense\/train: done in /);
        const result = JSON.parse(readFileSync(paths.result(1, 'reconstruct', 0), 'utf8')) as { status: string };
        assert.equal(result.status, 'ok', 'the job stopped in its last epoch has its result');
        const manifest = JSON.parse(readFileSync(join(out, 'reconstruction_manifest.json'), 'utf8')) as { execution_results: { split: string; status: string; epochs_run: number }[] };
        assert.deepEqual(manifest.execution_results.map((r) => [r.split, r.status, r.epochs_run]), [['train', 'success', E]], 'merged into the manifest');
        assert.ok(!existsSync(paths.result(1, 'reconstruct', 1)), 'no other job taken');
        assert.ok(!existsSync(join(out, 'dose_1000', 'dense', 'test')), 'the other job never started');
        assert.ok(!existsSync(paths.final(1, 'reconstruct')), 'nothing finalized');
        assert.ok(!existsSync(paths.lock), 'the hub\'s lock is released');
        break;
      } finally {
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      }
    }
  });
