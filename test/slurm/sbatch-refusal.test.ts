/**
 * A step sbatch refuses: what the user asked of SLURM (a partition that does not exist, an option sbatch does not
 * know) is a bad option — exit code 2, one line naming sbatch's reason and the options the job asked — while a
 * failure of the cluster (slurmctld not answering) stays exit code 1; both are recorded as the submission's
 * refusal. sbatch here is a script on PATH that answers as slurm-wlm 22.05's does (its lines copied from it), so
 * no cluster is needed; the real one's refusal of a partition is in test/slurm/cluster.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { refusesJobOptions } from '../../src/study/slurm/scheduler.js';
import { FinishSchema, JobsRecordSchema } from '../../src/study/slurm/records.js';
import { tempDir } from '../tmp.js';

const CLI = resolve('dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--n-images', '24', '--epochs', '2', '--dose', '1e4', '--executor', 'slurm', '--slurm-tasks', '1'];

/** A PATH whose sbatch writes `stderr` and exits 1, and whose squeue, scontrol, scancel and sinfo answer nothing. */
function refusingPath(dir: string, stderr: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\ncat >&2 <<'END'\n${stderr}\nEND\nexit 1\n`, { mode: 0o755 });
  for (const p of ['squeue', 'scontrol', 'scancel', 'sinfo']) writeFileSync(join(bin, p), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return `${bin}:${process.env.PATH ?? ''}`;
}

function submit(dir: string, stderr: string, args: string[]): { status: number | null; lines: string[]; hub: string } {
  const hub = join(dir, 'hub');
  const r = spawnSync(process.execPath, [CLI, 'run', ...TINY, ...args, '--out', hub], {
    encoding: 'utf8', env: { ...process.env, PATH: refusingPath(dir, stderr) }, timeout: 120_000,
  });
  return { status: r.status, lines: r.stderr.trim().split('\n'), hub };
}

/** `ptychostudy status --out HUB` with the PATH of `refusingPath`. */
function status(dir: string, hub: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'status', '--out', hub, ...args], {
    encoding: 'utf8', env: { ...process.env, PATH: refusingPath(dir, '') }, timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ASKED_FLAGS = '(execution.slurm, which a hub keeps for its next runs: --slurm-partition, --slurm-account, --slurm-qos, --slurm-time, ' +
  '--slurm-cpus-per-task, --slurm-mem or --slurm-sbatch-arg give another)';

test('sbatch refusing a partition the user named: exit code 2, one line naming the option; recorded as the refusal (was: exit code 1)', () => {
  const dir = tempDir('sbatch-refused-partition');
  const r = submit(dir, 'sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission failed: Invalid partition name specified',
    ['--slurm-partition', 'gpu']);
  assert.equal(r.status, 2, r.lines.join('\n'));
  assert.equal(r.lines.at(-1), 'ptychostudy run: sbatch refused the generate job (slurm/generate.sbatch): sbatch: error: Batch job submission failed: ' +
    `Invalid partition name specified; the job asked --partition=gpu ${ASKED_FLAGS}`);
  const jobs = JobsRecordSchema.parse(JSON.parse(readFileSync(join(r.hub, 'slurm', 'jobs.json'), 'utf8')));
  assert.deepEqual(jobs.submissions[0]!.rejected, { step: 'generate', message: 'sbatch: error: Batch job submission failed: Invalid partition name specified' });
  // the finish record says the exit code the command ended with (was: 1), and `status` shows the submission failed
  const finish = FinishSchema.parse(JSON.parse(readFileSync(join(r.hub, 'slurm', '1', 'finish.json'), 'utf8')));
  assert.equal(finish.exit_code, 2);
  const shown = status(dir, r.hub, []);
  assert.equal(shown.status, 1, shown.stderr);
  assert.match(shown.stdout.split('\n')[0]!, / — finished, exit code 2$/);
  assert.match(shown.stdout, /^sbatch refused the generate job: sbatch: error: Batch job submission failed: Invalid partition name specified$/m);
  const waited = status(dir, r.hub, ['--wait']);
  assert.equal(waited.status, 1, waited.stderr);
});

test('sbatch refusing an option it does not know: exit code 2, the line names the option, not sbatch\'s pointer to --help', () => {
  const dir = tempDir('sbatch-refused-option');
  const r = submit(dir, 'sbatch: unrecognized option \'--bogus=1\'\nTry "sbatch --help" for more information', ['--slurm-sbatch-arg=--bogus=1']);
  assert.equal(r.status, 2, r.lines.join('\n'));
  assert.equal(r.lines.at(-1), 'ptychostudy run: sbatch refused the generate job (slurm/generate.sbatch): sbatch: unrecognized option \'--bogus=1\'; ' +
    `the job asked --bogus=1 ${ASKED_FLAGS}`);
});

test('sbatch failing for the cluster (slurmctld not answering) stays exit code 1, whatever the job asked', () => {
  const dir = tempDir('sbatch-refused-cluster');
  const r = submit(dir, 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)', ['--slurm-partition', 'gpu']);
  assert.equal(r.status, 1, r.lines.join('\n'));
  assert.match(r.lines.at(-1)!, /^ptychostudy run: sbatch refused the generate job \(slurm\/generate\.sbatch\): .*Unable to contact slurm controller \(connect failure\); the job asked --partition=gpu /);
  assert.equal(FinishSchema.parse(JSON.parse(readFileSync(join(r.hub, 'slurm', '1', 'finish.json'), 'utf8'))).exit_code, 1);
  // a refusal of an option the job did not take from the user (a partition SLURM's own default names): the cluster's, 1
  const none = submit(tempDir('sbatch-refused-default'), 'sbatch: error: Batch job submission failed: Invalid partition name specified', []);
  assert.equal(none.status, 1, none.lines.join('\n'));
});

test('which of sbatch\'s refusals are of the job\'s options', () => {
  for (const m of [
    'sbatch: error: Batch job submission failed: Invalid partition name specified',
    'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified',
    'sbatch: error: Batch job submission failed: Invalid qos specification',
    'sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)',
    'sbatch: error: Batch job submission failed: Memory required by task is not available',
    'sbatch: error: Batch job submission failed: Requested node configuration is not available',
    'sbatch: error: Batch job submission failed: Invalid feature specification',
    'sbatch: error: Invalid --time specification', 'sbatch: error: Invalid --mem specification',
    'sbatch: error: Invalid generic resource (gres) specification', 'sbatch: unrecognized option \'--bogus=1\'',
  ]) assert.ok(refusesJobOptions(m), m);
  for (const m of [
    'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)',
    'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation',
    'sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying',
    'sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user\'s size and/or time limits)',
    'sbatch did not answer within 60 s (is slurmctld reachable?)',
  ]) assert.ok(!refusesJobOptions(m), m);
});

/** sbatch's refusals as SLURM 20.11 to 24.11 word them (scripts/slurm-refusal-strings.mjs, from SchedMD's repository). */
interface RefusalStrings {
  refuses: Record<string, 'option' | 'cluster'>;
  releases: Record<string, { tag: string; submission_failed_prefix: string; errors: Record<string, string>; client: Record<string, string> }>;
}

test('every SLURM release\'s wording of a refused option is classified as the option it names, and of the cluster\'s state as not one', () => {
  const table = JSON.parse(readFileSync(resolve('test', 'fixtures', 'slurm', 'sbatch-refusals.json'), 'utf8')) as RefusalStrings;
  assert.deepEqual(Object.keys(table.releases), ['20.11', '21.08', '22.05', '23.02', '23.11', '24.05', '24.11']);
  for (const [release, r] of Object.entries(table.releases)) {
    for (const [name, text] of Object.entries(r.errors)) {
      // as sbatch prints it: `sbatch: error: Batch job submission failed: <slurm_strerror>`
      const line = `sbatch: error: ${r.submission_failed_prefix}${text}`;
      assert.equal(refusesJobOptions(line), table.refuses[name] === 'option', `${release} ${name}: ${line}`);
    }
    for (const [flag, text] of Object.entries(r.client)) {
      assert.ok(text.includes(flag), `${release}: ${text}`);
      assert.ok(refusesJobOptions(`sbatch: error: ${text}`), `${release} ${flag}: ${text}`);
    }
  }
});
