/**
 * `ptychostudy cancel` stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) after its scancel: the jobs scancel ended are
 * recorded in slurm/jobs.json before the process exits (exit 143 for SIGTERM), its lock released — a cancel
 * killed between the scancel and its record would leave jobs.json silent about a cancellation that happened.
 *
 * The signal is sent by a `scancel` on PATH that runs SLURM's own and then signals the command, while the hub's
 * lock is held by another process (a task merging), so the record waits for it. Skipped where no SLURM answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseStudySettings } from '../../src/settings/parse.js';
import { readJobs, slurmPaths, writeJobs, type Submission } from '../../src/study/slurm/records.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm, submitOwnJob } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const skip = noSlurm() ?? false;

test('cancel stopped by SIGTERM right after its scancel records the cancelled job in jobs.json, releases the lock and exits 143', { skip, timeout: 120_000 }, async () => {
  const dir = tempDir('cancel-stop');
  const home = join(dir, 'phase_c');
  mkdirSync(home);
  // A held job stands for a submission's step (SLURM's own hold: it never runs), named as the step's script names it.
  const id = submitOwnJob(['--hold', '--job-name', 'generate-phase_c', '--wrap', 'true']);
  try {
    const submission: Submission = {
      number: 1, submitted_at: '2026-12-06T00:00:00Z', command: 'generate', argv: ['ptychostudy', 'generate'], version: '0', node: process.execPath,
      entry: resolve('dist', 'src', 'cli', 'worker-main.js'), cwd: dir, hub: null,
      settings: parseStudySettings({ simulation: { doses: [1000] } }) as unknown as Record<string, unknown>,
      steps: [{ step: 'generate', job_id: id, script: 'slurm/generate.sbatch', tasks: ['dose_1000'], array_tasks: 1, depends_on: null,
        options: { outputRoot: home, timestamp: null } }],
      cancelled: [], rejected: null,
    };
    writeJobs(home, { schema_version: 1, tool: 'ptychostudy', submissions: [submission] });
    const lock = slurmPaths(home).lock;
    const marker = join(dir, 'scancel-ran');
    // A merger holding the hub's lock until a moment after the scancel.
    const holder = spawn(process.execPath, ['--input-type=module', '-e',
      `const { acquireLock } = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/files/lock.js')).href)});` +
      `const { existsSync } = await import('node:fs');` +
      `const release = acquireLock(${JSON.stringify(lock)}, 'ptychostudy merge', 'hub'); console.log('held');` +
      `const t = setInterval(() => { if (existsSync(${JSON.stringify(marker)})) { clearInterval(t); setTimeout(() => { release(); process.exit(0); }, 300); } }, 10);`],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((done) => holder.stdout!.once('data', () => done()));
    const realScancel = spawnSync('sh', ['-c', 'command -v scancel'], { encoding: 'utf8' }).stdout.trim();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'scancel'), `#!/bin/bash\n${realScancel} "$@"\nrc=$?\ntouch ${marker}\nkill -TERM $PPID\nexit $rc\n`, { mode: 0o755 });
    const r = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => {
      const p = spawn(process.execPath, [resolve('dist', 'src', 'cli', 'main.js'), 'cancel', '--out', home],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
      let stderr = '';
      p.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      p.once('close', (code, signal) => done({ code, signal, stderr }));
    });
    await new Promise((done) => (holder.exitCode !== null ? done(null) : holder.once('exit', done)));
    assert.equal(r.signal, null, `killed by ${r.signal} before it recorded the cancel: ${r.stderr}`);
    assert.equal(r.code, 143, r.stderr);
    assert.ok(r.stderr.trim().split('\n').at(-1)!.startsWith(`ptychostudy cancel: terminated (SIGTERM); cancelled SLURM jobs ${id} (recorded in ${home}/slurm/jobs.json)`), r.stderr);
    const cancelled = readJobs(home)!.submissions[0]!.cancelled;
    assert.deepEqual(cancelled.map((c) => c.job_ids), [[id]]);
    assert.ok(!existsSync(lock), 'the hub\'s lock is released');
    assert.equal(spawnSync('squeue', ['--noheader', '--jobs', id], { encoding: 'utf8' }).stdout.trim(), '', 'the job was cancelled');
  } finally {
    spawnSync('scancel', [id]);
  }
});
