/**
 * SLURM's accounting (sacct, with slurmdbd) on a real cluster: what sacct records of jobs that completed, failed,
 * were cancelled running or queued, or were killed at their time limit is what scontrol said of each task while it
 * still knew the job; and a hub's task that left no result, judged once scontrol has forgotten its job, is described
 * with sacct's state and exit code, or as having no accounting record. Skipped, saying why, where sacct does not
 * answer (scripts/local-slurm.sh brings up the accounting of its one-node cluster, or says why it could not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sacctJob, scontrolJob, type JobRecord } from '../../src/study/slurm/scheduler.js';
import { taskFates, type TaskFate } from '../../src/study/slurm/fate.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noAccounting, submitOwnJob, waitFor } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const skip = noAccounting() ?? false;
const CLI = resolve('dist', 'src', 'cli', 'main.js');

function sbatch(...args: string[]): string {
  return submitOwnJob(args);
}

function slurm(program: string, ...args: string[]): void {
  const r = spawnSync(program, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${program} ${args.join(' ')}: ${r.stderr}`);
}

/** What a task's record says of how it ended, as compared here: its state, exit code and node. */
const seen = (f: TaskFate): (string | null)[] => [f.id, f.state, f.exitCode, f.nodeList];
const ended = (records: readonly JobRecord[]): boolean =>
  records.length > 0 && records.every((r) => !['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING'].includes(r.state));
const running = (id: string, task: number): boolean => scontrolJob(id).some((r) => r.arrayTaskId === String(task) && r.state === 'RUNNING');

test('sacct gives each array task the state, exit code and node scontrol gave it: completed, exit 3, cancelled running or queued, time limit',
  { skip, timeout: 600_000 }, async (t) => {
    // task 0 ends by itself, task 1 exits 3; 2 and 3 sleep until 2 is cancelled and 3 is killed at its time limit
    const a = sbatch('--array=0-3', '--time=1', '--wrap', 'case $SLURM_ARRAY_TASK_ID in 0) exit 0;; 1) exit 3;; *) exec sleep 300;; esac');
    const held = sbatch('--array=0-2', '--hold', '--wrap', 'true');
    try {
      slurm('scancel', held);
      await waitFor('task 2 to run', () => running(a, 2), 240_000, 250);
      slurm('scancel', `${a}_2`);
      await waitFor('task 3 to run', () => running(a, 3), 240_000, 250);
      // The time limit counts from the task's start: its end moved to now, slurmctld's next check of time limits
      // (every 30 s) kills it as at the end of its --time, as TIMEOUT (a minute's limit would take 60–90 s). Moving a
      // job's end is an administrator's right: as another user, the task is cancelled instead.
      const moved = spawnSync('scontrol', ['update', `JobId=${a}_3`, 'EndTime=now'], { encoding: 'utf8' });
      if (moved.status !== 0) {
        t.diagnostic(`scontrol update EndTime refused (${moved.stderr.trim()}): the time limit is not tested`);
        slurm('scancel', `${a}_3`);
      }
      await waitFor('every task to end', () => ended(scontrolJob(a)), 60_000, 500);
      const byScontrol = taskFates(a, 4, [], scontrolJob(a)).map(seen);
      const heldByScontrol = taskFates(held, 3, [], scontrolJob(held)).map(seen);
      assert.deepEqual(byScontrol.map((f) => f.slice(0, 3)), [
        [`${a}_0`, 'COMPLETED', '0:0'], [`${a}_1`, 'FAILED', '3:0'], [`${a}_2`, 'CANCELLED', '0:15'],
        [`${a}_3`, moved.status === 0 ? 'TIMEOUT' : 'CANCELLED', '0:15'],
      ]);
      assert.ok(byScontrol.every((f) => f[3] !== ''), 'each task ran on a node');
      assert.deepEqual(heldByScontrol, [0, 1, 2].map((task) => [`${held}_${task}`, 'CANCELLED', '0:0', '']));
      // slurmctld sends each end to slurmdbd as it happens; sacct has them all a moment later
      let bySacct: unknown[] = [];
      await waitFor('sacct to hold what scontrol holds', () => {
        bySacct = [...taskFates(a, 4, [], sacctJob(a)).map(seen), ...taskFates(held, 3, [], sacctJob(held)).map(seen)];
        return JSON.stringify(bySacct) === JSON.stringify([...byScontrol, ...heldByScontrol]);
      }, 30_000, 500).catch(() => {});
      assert.deepEqual(bySacct, [...byScontrol, ...heldByScontrol]);
      // a job sacct holds no record of (above SLURM's largest job id: never given): nothing, as for a forgotten job
      assert.deepEqual(sacctJob('67100000'), []);
    } finally {
      spawnSync('scancel', [a, held]);
    }
  });

/**
 * A PATH on which `sbatch` holds every job it submits and gives it a Node.js that kills itself with SIGKILL as it
 * starts (a task that crashes before writing its result, as the kernel's out-of-memory killer ends one), `scontrol`
 * answers as SLURM does once it has forgotten a job (MinJobAge after its end) for the jobs in `forgotten`, and, with
 * `noRecord`, `sacct` answers as for a job it holds no record of (nothing).
 */
function forgettingPath(dir: string, forgotten: readonly string[], noRecord = false): string {
  const which = (program: string): string => spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
  const bin = join(dir, 'forgetting-bin');
  mkdirSync(bin, { recursive: true });
  const kill = join(dir, 'kill-self.cjs');
  writeFileSync(kill, 'process.kill(process.pid, "SIGKILL");\n');
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\nexec ${which('sbatch')} --hold --export=ALL,NODE_OPTIONS=--require=${kill} "$@"\n`, { mode: 0o755 });
  const cases = forgotten.map((id) => `${id}|${id}_*`).join('|') || '-';
  writeFileSync(join(bin, 'scontrol'), `#!/bin/sh\nfor a in "$@"; do case "$a" in ${cases}) echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1;; esac; done\n` +
    `exec ${which('scontrol')} "$@"\n`, { mode: 0o755 });
  if (noRecord) writeFileSync(join(bin, 'sacct'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return `${bin}:${process.env.PATH ?? ''}`;
}

function cli(args: string[], path = process.env.PATH): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: path, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A detached `generate` of one dose into `dir/name` (its generate job held): the hub and the job ids it printed, by step. */
interface Submitted { home: string; ids: Record<string, string> }
function submitGenerate(dir: string, name: string): Submitted {
  const home = join(dir, name);
  const sub = cli(['generate', '--dose', '1e4', '--n-images', '24', '--executor', 'slurm', '--detach', '--out', home], forgettingPath(join(dir, `${name}-submit`), []));
  assert.equal(sub.status, 0, sub.stderr);
  return { home, ids: Object.fromEntries(sub.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string])) };
}

test('status of a task that left no result, judged after scontrol has forgotten its job, names sacct\'s state and exit code, or says sacct has no record',
  { skip, timeout: 600_000 }, async () => {
    const dir = tempDir('accounting-status');
    const kept = submitGenerate(dir, 'accounted');
    const lost = submitGenerate(dir, 'unaccounted');
    const all = [kept, lost].flatMap((s) => [s.ids['generate']!, s.ids['finish']!]);
    try {
      for (const s of [kept, lost]) slurm('scontrol', 'release', s.ids['generate']!);
      for (const s of [kept, lost]) await waitFor('the generate task to end', () => ended(scontrolJob(s.ids['generate']!)), 240_000, 250);
      const id = kept.ids['generate']!;
      const [byScontrol] = taskFates(id, 1, [], scontrolJob(id));
      assert.deepEqual([byScontrol!.state, byScontrol!.exitCode], ['FAILED', '0:9'], 'the task was killed by its SIGKILL');
      await waitFor('sacct to hold the task\'s end', () => JSON.stringify(seen(taskFates(id, 1, [], sacctJob(id))[0]!)) === JSON.stringify(seen(byScontrol!)), 30_000, 500);

      const st = cli(['status', '--out', kept.home], forgettingPath(join(dir, 'accounted-status'), [id]));
      assert.equal(st.status, 1, st.stderr);
      assert.match(st.stdout, new RegExp(`^FAILED generate \\S+ \\(SLURM job ${id}_0\\): ended before reaching this job, which no task took and which never ran: ` +
        'killed by signal 9 \\(SIGKILL: [^)]*\\) \\(JobState=FAILED, ExitCode=0:9\\)$', 'm'), st.stdout);

      const other = lost.ids['generate']!;
      const no = cli(['status', '--out', lost.home], forgettingPath(join(dir, 'unaccounted-status'), [other], true));
      assert.equal(no.status, 1, no.stderr);
      assert.match(no.stdout, new RegExp(`^FAILED generate \\S+ \\(SLURM job ${other}_0\\): left no result, and SLURM no longer knows the job ` +
        '\\(scontrol forgets a finished job after MinJobAge, and no accounting record of it was found by sacct\\)$', 'm'), no.stdout);
    } finally {
      spawnSync('scancel', all);
    }
  });

test('a hub whose job id SLURM now gives another job does not take that job\'s fate, from scontrol or sacct: status names the other job',
  { skip, timeout: 600_000 }, async () => {
    const dir = tempDir('reused-id');
    const seen = submitGenerate(dir, 'seen');
    const accounted = submitGenerate(dir, 'accounted');
    // the job that holds the id now: submitted after the hubs' (as a job given a reused id is), ended by itself
    const other = sbatch('--array=0', '--job-name=another-study', '--wrap', 'exit 0');
    const all = [other, ...[seen, accounted].flatMap((s) => [s.ids['generate']!, s.ids['finish']!])];
    try {
      // each hub's record names the other job's id for its generate step, as after SLURM's ids were reset or wrapped
      for (const s of [seen, accounted]) {
        const path = join(s.home, 'slurm', 'jobs.json');
        const jobs = JSON.parse(readFileSync(path, 'utf8')) as { submissions: { steps: { step: string; job_id: string }[] }[] };
        jobs.submissions[0]!.steps.find((r) => r.step === 'generate')!.job_id = other;
        writeFileSync(path, `${JSON.stringify(jobs, null, 2)}\n`);
      }
      await waitFor('the other job to end', () => ended(scontrolJob(other)), 120_000, 250);
      // slurmdbd first records an array task that ended at once as the job `<id>`, named `allocation`, then as the task
      await waitFor('sacct to hold the other job\'s end', () => sacctJob(other).some((r) => r.state === 'COMPLETED' && r.name === 'another-study'), 30_000, 250);
      const line = (home: string, name: string): RegExp => new RegExp(`^FAILED generate \\S+ \\(SLURM job ${other}_0\\): left no result, and SLURM no longer knows the job: ` +
        `job ${other} is now another job \\(name another-study, submitted \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; the hub's job: name generate-${name}, ` +
        `submitted at or after \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\), and sacct holds no record of this hub's job$`, 'm');
      // scontrol shows the other job under the id
      const st = cli(['status', '--out', seen.home]);
      assert.equal(st.status, 1, st.stderr);
      assert.match(st.stdout, line(seen.home, 'seen'), st.stdout);
      // scontrol has forgotten the id; sacct holds the other job
      const acc = cli(['status', '--out', accounted.home], forgettingPath(join(dir, 'accounted-status'), [other]));
      assert.equal(acc.status, 1, acc.stderr);
      assert.match(acc.stdout, line(accounted.home, 'accounted'), acc.stdout);
    } finally {
      spawnSync('scancel', all);
    }
  });
