/**
 * A hub's job id that SLURM gives to another job that is queued (as after its ids were reset or wrapped at MaxJobId):
 * `cancel` leaves that job alone, and the hub's step is finished as one whose job SLURM no longer knows, naming the job
 * that has its id now. On the real cluster; skipped, saying why, where it does not take jobs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scontrolJob } from '../../src/study/slurm/scheduler.js';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm, submitOwnJob } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const skip = noSlurm() ?? false;
const CLI = resolve('dist', 'src', 'cli', 'main.js');

function cli(args: string[], path = process.env.PATH): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: path, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('cancel leaves alone a queued job that now has the hub\'s job id; the hub\'s step is finished naming that job', { skip, timeout: 300_000 }, () => {
  const dir = tempDir('reused-id-queued');
  const home = join(dir, 'hub');
  // the hub's jobs are submitted held: none of them runs
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const real = spawnSync('sh', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\nexec ${real} --hold "$@"\n`, { mode: 0o755 });
  const sub = cli(['generate', '--dose', '1e4', '--n-images', '24', '--executor', 'slurm', '--detach', '--out', home], `${bin}:${process.env.PATH ?? ''}`);
  assert.equal(sub.status, 0, sub.stderr);
  const ids = Object.fromEntries(sub.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  // another job, queued (held) under another name, submitted after the hub's
  const other = submitOwnJob(['--hold', '--job-name=another-study', '--wrap', 'true']);
  try {
    // the hub's record names that job's id for its generate step
    const path = join(home, 'slurm', 'jobs.json');
    const jobs = JSON.parse(readFileSync(path, 'utf8')) as { submissions: { steps: { step: string; job_id: string }[] }[] };
    jobs.submissions[0]!.steps.find((r) => r.step === 'generate')!.job_id = other;
    writeFileSync(path, `${JSON.stringify(jobs, null, 2)}\n`);

    const c = cli(['cancel', '--out', home]);
    assert.equal(c.status, 0, c.stderr + c.stdout);
    assert.deepEqual(scontrolJob(other).map((r) => [r.name, r.state]), [['another-study', 'PENDING']], 'the other job is still queued');
    assert.equal(scontrolJob(ids['finish']!)[0]!.state, 'CANCELLED', 'the hub\'s own finish job is cancelled');
    const st = cli(['status', '--out', home]);
    assert.match(st.stdout, new RegExp(`^FAILED generate \\S+ \\(SLURM job ${other}_0\\): left no result, and SLURM no longer knows the job: ` +
      `job ${other} is now another job \\(name another-study, submitted [^;]+; the hub's job: name generate-hub, submitted at or after [^)]+\\)`, 'm'), st.stdout);
  } finally {
    spawnSync('scancel', [other, ids['generate']!, ids['finish']!]);
  }
});
