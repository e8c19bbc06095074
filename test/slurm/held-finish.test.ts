/**
 * A held submission (the user's `--hold`, an administrator's `scontrol hold`): its finish job keeps the hold after its
 * arrays are cancelled or released, so it would stay queued for ever. Whoever finishes the submission — `cancel`,
 * `status`, a task — cancels it and records it, and `status` never calls the submission finished while it is queued,
 * nor a cancelled one finished. Nothing here runs on the cluster: every job is held, then cancelled. Skipped where no
 * SLURM answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { readJobs, slurmPaths, writeJobs, type Submission } from '../../src/study/slurm/records.js';
import { activeSubmissions } from '../../src/study/slurm/submit.js';
import { submissionView } from '../../src/study/slurm/follow.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm, submitOwnJob } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const skip = noSlurm() ?? false;
const CLI = resolve('dist', 'src', 'cli', 'main.js');

function cli(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' }, ...(cwd ? { cwd } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const queued = (ids: readonly string[]): string[] =>
  spawnSync('squeue', ['--noheader', '--format', '%F', '--jobs', ids.join(',')], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim() !== '');

test('cancel --phase of a held submission cancels its held finish job too; status then says cancelled, not finished', { skip, timeout: 120_000 }, () => {
  const dir = tempDir('held-finish');
  const out = join(dir, 'phase_c');
  const sub = cli(['generate', '--dose', '1e4', '--n-images', '24', '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--detach', '--out', out]);
  assert.equal(sub.status, 0, sub.stderr);
  const ids = Object.fromEntries(sub.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  const all = [ids['generate']!, ids['finish']!];
  try {
    assert.deepEqual(queued(all).sort(), [...all].sort());
    const c = cli(['cancel', '--out', out, '--phase', 'C']);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stderr, new RegExp(`^cancelled SLURM jobs ${ids['generate']} \\(generate\\)\\n` +
      `cancelled the finish job ${ids['finish']} too: still queued with every array of its submission ended, it had nothing left to do\\n`));
    assert.deepEqual(queued(all), [], 'nothing of the cancelled submission stays queued');
    assert.deepEqual(readJobs(out)!.submissions[0]!.cancelled.map((x) => x.job_ids), [[ids['generate']], [ids['finish']]]);
    const st = cli(['status', '--out', out]);
    assert.equal(st.status, 1, st.stderr);
    const lines = st.stdout.split('\n');
    assert.match(lines[0]!, / — cancelled before it finished \(ptychostudy cancel\); what its jobs left is merged, exit code 1$/);
    assert.doesNotMatch(st.stdout, /finished, exit code|\bdone \(merges/);
    assert.ok(lines.includes(`finish           job ${ids['finish']!.padEnd(8)} cancelled — merged by ptychostudy cancel`), st.stdout);
    const view = submissionView(out); // what `status --json` prints
    assert.equal(view.state, 'cancelled');
    assert.equal(view.active, false);
    assert.equal(view.finishJob.state, 'cancelled');
    // following it to its end says the same, never `done`
    const w = cli(['status', '--out', out, '--wait']);
    assert.equal(w.status, 1, w.stderr);
    assert.match(w.stderr, /\nptychostudy status: cancelled before it finished \(ptychostudy cancel\); what its jobs left is merged/);
  } finally {
    spawnSync('scancel', all);
  }
});

test('status (and the next command) finishes a submission whose arrays have ended and whose finish job is held by an administrator, and cancels that job', { skip, timeout: 60_000 }, () => {
  const dir = tempDir('held-finish-status');
  const home = join(dir, 'phase_c');
  mkdirSync(home);
  // The finish job of a submission whose arrays have all ended (none here), held as an administrator holds it, named
  // as its script names it; a copy of the hub records a job id that names another job here, which is left alone.
  const held = (name: string): string => submitOwnJob(['--hold', '--job-name', name, '--wrap', 'true']);
  const id = held('finish-phase_c');
  const theirs = held('someone-elses-job');
  try {
    for (const j of [id, theirs]) {
      spawnSync('scontrol', ['release', j]);
      const hold = spawnSync('scontrol', ['hold', j], { encoding: 'utf8' });
      assert.equal(hold.status, 0, hold.stderr);
    }
    const submission = (home: string, id: string): Submission => ({
      number: 1, submitted_at: '2026-12-06T00:00:00Z', command: 'generate', argv: ['ptychostudy', 'generate'], version: '0', node: process.execPath,
      entry: resolve('dist', 'src', 'cli', 'worker-main.js'), cwd: dir, hub: null,
      settings: parseStudySettings({ simulation: { doses: [1000] } }) as unknown as Record<string, unknown>,
      steps: [{ step: 'finish', job_id: id, script: 'slurm/finish.sbatch', tasks: [], array_tasks: 0, depends_on: null, options: { outputRoot: home, timestamp: null } }],
      cancelled: [], rejected: null,
    });
    writeJobs(home, { schema_version: 1, tool: 'ptychostudy', submissions: [submission(home, id)] });
    // the next command does not wait for it either: it finishes the submission rather than refusing to write beside it
    assert.deepEqual(activeSubmissions(home), []);
    // given as `.` from inside it: the job's name is that of the folder, as the submission resolved it
    const st = cli(['status', '--out', '.'], home);
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout.split('\n')[0]!, / — finished, exit code 0$/);
    assert.ok(st.stdout.includes(`finish           job ${id.padEnd(8)} cancelled — merged by ptychostudy status`), st.stdout);
    assert.deepEqual(queued([id]), [], 'the held finish job is cancelled');
    assert.deepEqual(readJobs(home)!.submissions[0]!.cancelled.map((x) => x.job_ids), [[id]]);
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    writeJobs(copy, { schema_version: 1, tool: 'ptychostudy', submissions: [submission(copy, theirs)] });
    const other = cli(['status', '--out', copy]);
    assert.equal(other.status, 0, other.stderr);
    assert.match(other.stdout.split('\n')[0]!, / — finished, exit code 0$/);
    assert.deepEqual(queued([theirs]), [theirs], 'a job of another name is not ours to cancel');
    assert.deepEqual(readJobs(copy)!.submissions[0]!.cancelled, []);
  } finally {
    spawnSync('scancel', [id, theirs]);
  }
});

/** A job that does nothing, held from the start, under `name`: its id. */
function heldJob(name: string): string {
  return submitOwnJob(['--hold', '--job-name', name, '--wrap', 'true']);
}

/** `home` holding one submission, finished by its last task, whose finish job is `id`. */
function finishedSubmission(dir: string, home: string, id: string): void {
  mkdirSync(home);
  writeJobs(home, { schema_version: 1, tool: 'ptychostudy', submissions: [{
    number: 1, submitted_at: '2026-12-06T00:00:00Z', command: 'generate', argv: ['ptychostudy', 'generate'], version: '0', node: process.execPath,
    entry: resolve('dist', 'src', 'cli', 'worker-main.js'), cwd: dir, hub: null,
    settings: parseStudySettings({ simulation: { doses: [1000] } }) as unknown as Record<string, unknown>,
    steps: [{ step: 'finish', job_id: id, script: 'slurm/finish.sbatch', tasks: [], array_tasks: 0, depends_on: null, options: { outputRoot: home, timestamp: null } }],
    cancelled: [], rejected: null,
  }] });
  const finish = slurmPaths(home).finish(1);
  mkdirSync(dirname(finish), { recursive: true });
  writeFileSync(finish, JSON.stringify({ finished_at: '2026-12-06T00:00:01Z', finished_by: 'task 0 of generate', exit_code: 0, report: null, steps: [] }));
}

test('status of a finished submission cancels its finish job if it is held all the same; a held job of another name under that id is left alone',
  { skip, timeout: 60_000 }, () => {
    const dir = tempDir('held-finish-late');
    // `phase_c`'s finish job is named as its script names it; `copy` records a job id that is another job here (a hub copied from elsewhere)
    const ours = heldJob('finish-phase_c');
    const theirs = heldJob('someone-elses-job');
    try {
      const home = join(dir, 'phase_c');
      const copy = join(dir, 'copy');
      finishedSubmission(dir, home, ours);
      finishedSubmission(dir, copy, theirs);
      const st = cli(['status', '--out', './'], home); // the folder's own name, however it is given
      assert.equal(st.status, 0, st.stderr);
      assert.ok(st.stdout.includes(`finish           job ${ours.padEnd(8)} cancelled — merged by task 0 of generate`), st.stdout);
      assert.deepEqual(queued([ours]), [], 'the held finish job is cancelled');
      assert.deepEqual(readJobs(home)!.submissions[0]!.cancelled.map((x) => x.job_ids), [[ours]]);
      const other = cli(['status', '--out', copy]);
      assert.equal(other.status, 0, other.stderr);
      assert.deepEqual(queued([theirs]), [theirs], 'a job of another name is not ours to cancel');
      assert.deepEqual(readJobs(copy)!.submissions[0]!.cancelled, []);
    } finally {
      spawnSync('scancel', [ours, theirs]);
    }
  });

test('status --wait of a finished submission cancels its finish job if it is held all the same, as status does', { skip, timeout: 60_000 }, () => {
  const dir = tempDir('held-finish-wait');
  const home = join(dir, 'phase_c');
  const id = heldJob('finish-phase_c');
  try {
    finishedSubmission(dir, home, id);
    const w = cli(['status', '--out', home, '--wait']);
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stderr, /ptychostudy status: done\n$/);
    assert.deepEqual(queued([id]), [], 'the held finish job is cancelled');
    assert.deepEqual(readJobs(home)!.submissions[0]!.cancelled.map((x) => x.job_ids), [[id]]);
    const st = cli(['status', '--out', home]);
    assert.ok(st.stdout.includes(`finish           job ${id.padEnd(8)} cancelled — merged by task 0 of generate`), st.stdout);
  } finally {
    spawnSync('scancel', [id]);
  }
});
