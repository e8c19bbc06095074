/**
 * A command stopped while it submits a study to SLURM (Ctrl-C to its process group, or SIGTERM to it alone):
 * it stops between two sbatch calls, names the jobs that reached the queue (id, what they compute, where they
 * write) and the commands to see and cancel them, exits 130 or 143, releases its locks, and leaves
 * slurm/jobs.json naming exactly those jobs — so `status` and `cancel` know them — and no script half-written.
 *
 * The signal is sent by an `sbatch` on PATH that runs SLURM's own and then signals the command: deterministic,
 * and the jobs are held (`--hold`), so nothing runs; every job is cancelled at the end. Skipped where no SLURM answers.
 *
 * Also what a cluster run says at its end: the command that continues a run with failures, and a step that could
 * not start (an input changed after the submission) named as such.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JobsRecordSchema } from '../../src/study/slurm/records.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const CLI = resolve('dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--n-images', '24', '--epochs', '2', '--dose', '1e4'];

const skip = noSlurm() ?? false;
const realSbatch = skip ? '' : spawnSync('sh', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).stdout.trim();

/**
 * A directory with an `sbatch` that runs SLURM's, logs the job id it printed to `ids`, and after call `at`
 * sends `signal` to the command (`group`: to its whole process group, as a terminal's Ctrl-C).
 */
function signallingSbatch(dir: string, at: number, signal: 'INT' | 'TERM' | 'HUP', group: boolean): { bin: string; ids: string } {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const ids = join(dir, 'ids');
  const target = group ? '-- -$(ps -o pgid= -p $PPID | tr -d " ")' : '$PPID';
  writeFileSync(join(bin, 'sbatch'), [
    '#!/bin/bash',
    `out=$(${realSbatch} "$@")`,
    'rc=$?',
    `echo "$out" >> ${ids}`,
    'echo "$out"',
    `if [ "$(wc -l < ${ids})" -eq ${at} ]; then kill -${signal} ${target}; fi`,
    'exit $rc',
  ].join('\n') + '\n', { mode: 0o755 });
  return { bin, ids };
}

/**
 * Runs the CLI in a process group of its own (so a signal to its group reaches nothing else). `hangUpAt`: once
 * stderr shows it, the pipe is closed, so every later write fails — as after a terminal's hang-up.
 */
/** `hangUp`: the command's stderr closed at once (a terminal gone before anything is printed), or never. */
function cli(args: string[], path: string, hangUp = false): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${path}:${process.env.PATH ?? ''}`, NO_COLOR: '1' },
    });
    let stderr = '';
    if (hangUp) p.stderr.destroy();
    p.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    // A command that missed the signal follows its held jobs for ever: ended here, so the test fails rather than hangs.
    const limit = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (status, signal) => { clearTimeout(limit); done({ status, signal, stderr }); });
  });
}

/** Submission 1 of `hub`'s slurm/jobs.json. */
function firstSubmission(hub: string): ReturnType<typeof JobsRecordSchema.parse>['submissions'][number] {
  return JobsRecordSchema.parse(JSON.parse(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8'))).submissions[0]!;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const c of [
  { what: 'Ctrl-C to the process group during the second sbatch', signal: 'INT', group: true, at: 2, code: 130, word: 'interrupted' },
  { what: 'SIGTERM to the command alone during the first sbatch', signal: 'TERM', group: false, at: 1, code: 143, word: 'terminated \\(SIGTERM\\)' },
] as const) {
  test(`${c.what}: the submitted jobs are named and recorded, exit ${c.code}, status and cancel know them`, { skip, timeout: 120_000 }, async () => {
    const dir = tempDir('slurm-stop');
    const hub = join(dir, 'hub');
    const { bin, ids } = signallingSbatch(dir, c.at, c.signal, c.group);
    const args = ['run', ...TINY, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--out', hub];
    const r = await cli(args, bin);
    const submitted = readFileSync(ids, 'utf8').trim().split('\n');
    try {
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.status, c.code, r.stderr);
      assert.equal(submitted.length, c.at, 'sbatch is not called after the stop');
      const steps = ['generate', 'overlap'].slice(0, c.at);
      const lines = r.stderr.trim().split('\n');
      const head = lines.findIndex((l) => new RegExp(`^ptychostudy run: ${c.word} while submitting to SLURM\\. These jobs of submission 1 were submitted`).test(l));
      assert.ok(head >= 0, r.stderr);
      assert.deepEqual(lines.slice(head + 1, head + 1 + c.at), steps.map((s, i) => `  ${s} ${submitted[i]}: ${s === 'generate'
        ? `Phase C, simulates 1 dose → ${join(hub, 'phase_c')}` : `Phase D, builds the overlap views of 1 dose → ${join(hub, 'phase_d')}`}`));
      assert.match(r.stderr, new RegExp(`^Not submitted: ${['generate', 'overlap', 'reconstruct', 'compare', 'finish'].slice(c.at).join(', ')} `, 'm'));
      assert.ok(r.stderr.includes(`See them: ptychostudy status --out ${hub} · cancel them: ptychostudy cancel --out ${hub}`), r.stderr);

      // The record names exactly the jobs sbatch queued; no lock, no script of a step not submitted.
      const sub = JobsRecordSchema.parse(JSON.parse(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8'))).submissions[0]!;
      assert.deepEqual(sub.steps.map((s) => [s.step, s.job_id]), steps.map((s, i) => [s, submitted[i]]));
      assert.equal(sub.stopped?.signal, `SIG${c.signal}`);
      assert.deepEqual(readdirSync(join(hub, 'slurm')).filter((n) => n.endsWith('.sbatch')).sort(), steps.map((s) => `${s}.sbatch`).sort());
      assert.ok(!existsSync(join(hub, 'slurm', '.lock')) && !existsSync(join(hub, '.run.lock')), readdirSync(hub).join(' '));
      assert.equal((JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string }).status, 'interrupted');
      const queued = spawnSync('squeue', ['--noheader', '--jobs', submitted.join(','), '--format', '%A'], { encoding: 'utf8' }).stdout.trim().split('\n');
      assert.deepEqual([...new Set(queued)].sort(), [...submitted].sort());

      const st = run(['status', '--out', hub]);
      assert.equal(st.status, 0, st.stderr);
      assert.match(st.stdout, /the submitting command was stopped \(SIG(INT|TERM), .*\) before it submitted: /);
      for (const id of submitted) assert.match(st.stdout, new RegExp(`job ${id} `));
      const cancel = run(['cancel', '--out', hub]);
      assert.equal(cancel.status, 0, cancel.stderr);
      const cancelled = /^cancelled SLURM jobs (.*)$/m.exec(cancel.stderr);
      assert.deepEqual(cancelled?.[1]!.split(', ').sort(), [...submitted].sort(), cancel.stderr);
      const finish = JSON.parse(readFileSync(join(hub, 'slurm', '1', 'finish.json'), 'utf8')) as { exit_code: number; report: string | null };
      assert.deepEqual([finish.exit_code, finish.report], [1, null]);
      const end = run(['status', '--out', hub, '--wait']);
      assert.equal(end.status, 1, end.stderr);
      assert.equal(end.stderr.trim().split('\n').at(-1), `ptychostudy status: the submitted jobs have ended, but the command that submitted them ` +
        `was stopped (SIG${c.signal}) before it submitted ${['generate', 'overlap', 'reconstruct', 'compare', 'finish'].slice(c.at).join(', ')}; ` +
        `submit what is missing with: ptychostudy run --out ${hub}`);
    } finally {
      spawnSync('scancel', submitted); // nothing left queued if an assertion failed
    }
  });
}

test('SIGHUP during the second sbatch (the SSH session closed, nothing printed arrives): exit 129, both jobs recorded, no lock left',
  { skip, timeout: 120_000 }, async () => {
    const dir = tempDir('slurm-hup');
    const hub = join(dir, 'hub');
    const { bin, ids } = signallingSbatch(dir, 2, 'HUP', false);
    const r = await cli(['run', ...TINY, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--out', hub], bin, true);
    const submitted = readFileSync(ids, 'utf8').trim().split('\n');
    try {
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.status, 129, r.stderr);
      assert.equal(submitted.length, 2, 'sbatch is not called after the stop');
      const sub = firstSubmission(hub);
      assert.deepEqual(sub.steps.map((s) => [s.step, s.job_id]), [['generate', submitted[0]], ['overlap', submitted[1]]]);
      assert.deepEqual([sub.stopped?.signal, sub.stopped?.not_submitted], ['SIGHUP', ['reconstruct', 'compare', 'finish']]);
      assert.ok(!existsSync(join(hub, 'slurm', '.lock')) && !existsSync(join(hub, '.run.lock')), readdirSync(hub).join(' '));
      assert.equal((JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string }).status, 'interrupted');
      const queued = spawnSync('squeue', ['--noheader', '--jobs', submitted.join(','), '--format', '%A'], { encoding: 'utf8' }).stdout.trim().split('\n');
      assert.deepEqual([...new Set(queued)].sort(), [...submitted].sort());
    } finally {
      spawnSync('scancel', submitted);
    }
  });

test('a stop after every array was submitted, before the finish job: nothing is recorded as stopped, the last task will finish the run',
  { skip, timeout: 120_000 }, async () => {
    const dir = tempDir('slurm-stop-finish');
    const hub = join(dir, 'hub');
    const { bin, ids } = signallingSbatch(dir, 4, 'TERM', false);
    const r = await cli(['run', ...TINY, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--out', hub], bin);
    const submitted = readFileSync(ids, 'utf8').trim().split('\n');
    try {
      assert.equal(r.status, 143, r.stderr);
      assert.equal(submitted.length, 4);
      assert.match(r.stderr, /^ {2}compare \d+: Phase G, 6 jobs: compares one reconstruction each → /m);
      assert.ok(r.stderr.includes(`Not submitted: the finish job only; the last task finishes the run (and writes the report) itself, ` +
        `or \`ptychostudy status --out ${hub}\` does once every job has ended.`), r.stderr);
      const sub = JobsRecordSchema.parse(JSON.parse(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8'))).submissions[0]!;
      assert.deepEqual(sub.steps.map((s) => s.job_id), submitted);
      assert.equal(sub.stopped, undefined);
      assert.equal((JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string }).status, 'running');
    } finally {
      spawnSync('scancel', submitted);
    }
  });

test('a cluster run that ended with failures says how to continue it', { skip, timeout: 120_000 }, () => {
  const hub = join(tempDir('slurm-failures'), 'hub');
  const sub = run(['run', ...TINY, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--detach', '--json', '--out', hub]);
  const ids = sub.status === 0 ? Object.values((JSON.parse(sub.stdout) as { jobs: Record<string, string> }).jobs) : [];
  try {
    assert.equal(sub.status, 0, sub.stderr);
    assert.equal(run(['cancel', '--out', hub]).status, 0);
    const end = run(['status', '--out', hub, '--wait']);
    assert.equal(end.status, 1, end.stderr);
    // cancelled, not merely failed: it says so, and how to continue it
    assert.equal(end.stderr.trim().split('\n').at(-1), 'ptychostudy status: cancelled before it finished (ptychostudy cancel); what its jobs left is ' +
      `merged and the cancelled jobs are recorded as failures. Continue with: ptychostudy run --out ${hub} (the failed and missing jobs are submitted ` +
      'again; finished ones are kept)');
  } finally {
    spawnSync('scancel', ids);
  }
});

test('a Phase F step on SLURM whose input changed after the submission says it did not start, not that a merge failed', { skip, timeout: 120_000 }, () => {
  const dir = tempDir('slurm-changed-input');
  const [c, d, f] = ['phase_c', 'phase_d', 'phase_f'].map((x) => join(dir, x)) as [string, string, string];
  const data = ['--preset', 'quick', '--n-images', '24', '--dose', '1e4'];
  assert.equal(run(['generate', ...data, '--out', c]).status, 0);
  assert.equal(run(['overlap', '--phase-c-root', c, '--dose', '1e4', '--out', d]).status, 0);
  const sub = run(['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--doses', '10000', '--epochs', '2', '--out', f,
    '--slurm-sbatch-arg=--hold', '--detach']);
  const ids = sub.stdout.trim().split('\n').map((l) => l.split(' ')[1]!).filter((id) => /^\d+$/.test(id));
  try {
    assert.equal(sub.status, 0, sub.stderr);
    writeFileSync(join(d, 'dose_10000', 'sparse', 'sparse_test.npz'), 'not the file Phase D wrote');
    spawnSync('scontrol', ['release', ids.join(',')]);
    const end = run(['status', '--out', f, '--wait', '--json']);
    assert.equal(end.status, 1, end.stderr);
    const step = (JSON.parse(end.stdout) as { steps: { step: string; detail: string }[] }).steps[0]!;
    assert.match(step.detail, /^the step did not start, so no job ran: .*sparse_test\.npz: expected \d+ bytes.*changed since Phase D wrote it/);
    // Its six jobs failed for that one reason: said once, with their count, by `status` and by the closing summary.
    const shown = run(['status', '--out', f]);
    assert.equal(shown.status, 1, shown.stderr);
    const failed = shown.stdout.split('\n').filter((l) => l.startsWith('FAILED'));
    assert.equal(failed.length, 1, shown.stdout);
    assert.match(failed[0]!, /^FAILED reconstruct 6 jobs \(dose_10000\/baseline\/train, .* and 3 more; SLURM tasks? \d+_\d+[^)]*\), each: failed: .*sparse_test\.npz: expected \d+ bytes/);
    const summary = run(['status', '--out', f, '--wait']);
    assert.equal(summary.status, 1, summary.stderr);
    // once as the follower first sees the failures, once on the step's line of the summary, which its failure line points to
    assert.equal(summary.stderr.split('\n').filter((l) => /sparse_test\.npz/.test(l)).length, 2, summary.stderr);
    assert.equal(summary.stderr.split('\n').filter((l) => /FAILED/.test(l)).length, 2, summary.stderr);
    assert.match(summary.stderr, /^6 job\(s\) failed:\n {2}FAILED reconstruct 6 jobs \(.*\), each: the reason above$/m);
    // A task's log says why at most once, and once before naming each job it failed (a task that starts after the
    // other took every job names none; one still starting when the step's end is recorded has written nothing yet).
    const logs = readdirSync(join(f, 'slurm', 'logs')).filter((n) => n.startsWith('reconstruct-'));
    assert.ok(logs.length > 0);
    let jobs = 0;
    for (const name of logs) {
      const text = readFileSync(join(f, 'slurm', 'logs', name), 'utf8');
      const named = text.split('\n').filter((l) => /: FAILED: the step did not start \(the reason above\)$/.test(l)).length;
      const reasons = text.split('\n').filter((l) => l.includes('sparse_test.npz: expected')).length;
      assert.ok(reasons <= 1 && (named === 0 || reasons === 1), `${name}: ${text}`);
      jobs += named;
    }
    assert.equal(jobs, 6);
  } finally {
    spawnSync('scancel', ids);
  }
});
