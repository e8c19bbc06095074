/**
 * examples/slurm-scans.sh, the recipe for many scans of one's own (docs/slurm.md, "Many scans of your own"): it refuses
 * a missing list or two inputs of one name (exit 2, one line, nothing submitted or written); with --local it runs the
 * scans one after another, a failed one not stopping the others, and a second start skips the finished ones; submitted
 * to the local SLURM cluster (skipped, saying why, where none answers) it runs one array task per input, each on the
 * threads SLURM gave it, and sbatch --wait exits 0. Two 2-epoch reconstructions of test/fixtures/cxi/scan.cxi each way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp.js';
import { leaveNoSlurmJobs, noSlurm, waitFor } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const script = fileURLToPath(new URL('../../../examples/slurm-scans.sh', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const scan = fileURLToPath(new URL('../../../test/fixtures/cxi/scan.cxi', import.meta.url));
const skip = noSlurm() ?? false;

/** A folder holding scans a.cxi and b.cxi (the fixture), a settings file of 2 epochs and the list `list.txt`. */
function scans(label: string, names = ['a.cxi', 'b.cxi']): string {
  const dir = tempDir(label);
  for (const n of names) copyFileSync(scan, join(dir, n));
  writeFileSync(join(dir, 'scans.yaml'), 'reconstruction:\n  epochs: 2\n');
  writeFileSync(join(dir, 'list.txt'), `# two scans\n${names.map((n) => join(dir, n)).join('\n')}\n\n`);
  return dir;
}

function run(args: string[], cwd: string, timeout = 60_000) {
  return spawnSync('bash', [script, ...args], {
    cwd, encoding: 'utf8', timeout, killSignal: 'SIGKILL',
    env: { ...process.env, PTYCHOSTUDY: `${process.execPath} ${cli}`, PTYCHOSTUDY_DEBUG: '', OVERWRITE: '' },
  });
}

const threadsOf = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, 'reconstruction_run.json'), 'utf8')) as { threads: unknown }).threads;

test('a missing list, or two inputs of one name, is refused in one line (exit 2) before anything is submitted or written', () => {
  const dir = scans('scans-refused');
  const missing = run(['--local', 'absent.txt', 'scans.yaml', 'out'], dir);
  assert.equal(missing.status, 2, missing.stderr);
  assert.equal(missing.stderr, 'slurm-scans.sh: LIST absent.txt: expected a file naming one input per line; found no such file\n');
  assert.equal(run(['absent.txt', 'scans.yaml', 'out', '--wait'], dir).status, 2, 'the submission refuses it too');
  writeFileSync(join(dir, 'same.txt'), `a.cxi\n${join(dir, 'a.cxi')}\n`);
  const same = run(['same.txt', 'scans.yaml', 'out'], dir);
  assert.equal(same.status, 2, same.stderr);
  assert.match(same.stderr, /^slurm-scans\.sh: LIST same\.txt: inputs a\.cxi and \S+\/a\.cxi: expected one input per name; found two named a \(both would go to out\/a\)\n$/);
  assert.equal(existsSync(join(dir, 'out')), false);
});

test('--local: each scan ends with one line, a failed one does not stop the next, exit 1; started again, the finished scan is skipped', () => {
  const dir = scans('scans-local', ['a.cxi']);
  writeFileSync(join(dir, 'broken.cxi'), 'not an HDF5 file\n');
  writeFileSync(join(dir, 'list.txt'), 'broken.cxi\na.cxi\n');
  const first = run(['--local', 'list.txt', 'scans.yaml', 'out'], dir);
  assert.equal(first.status, 1, first.stderr);
  assert.equal(first.stdout, 'scan broken: FAILED, exit 2 (broken.cxi)\nscan a: done (a.cxi)\nscans: 1 done, 0 skipped, 1 failed (logs: out/logs/)\n');
  assert.ok(existsSync(join(dir, 'out', 'a', 'reconstruction.npz')));
  assert.match(readFileSync(join(dir, 'out', 'logs', 'broken.log'), 'utf8'), /^ptychostudy lsqml: .*broken\.cxi: /m);
  const again = run(['--local', 'list.txt', 'scans.yaml', 'out'], dir);
  assert.equal(again.status, 1, again.stderr);
  assert.equal(again.stdout, 'scan broken: FAILED, exit 2 (broken.cxi)\nscan a: skipped (a.cxi)\nscans: 0 done, 1 skipped, 1 failed (logs: out/logs/)\n');
});

test('--local started again with other settings: the earlier result is kept as it is, not passed off as this run\'s (was: "skipped"); the thread count alone changes nothing', () => {
  const dir = scans('scans-changed', ['a.cxi']);
  const first = run(['--local', 'list.txt', 'scans.yaml', 'out'], dir);
  assert.equal(first.status, 0, first.stderr);
  const result = join(dir, 'out', 'a', 'reconstruction.npz');
  const bytes = readFileSync(result);
  writeFileSync(join(dir, 'scans.yaml'), 'reconstruction:\n  epochs: 3\n  seed: 7\n');
  const changed = run(['--local', 'list.txt', 'scans.yaml', 'out'], dir);
  assert.equal(changed.status, 1, changed.stderr);
  assert.equal(changed.stdout, `ptychostudy lsqml: ${result}: expected a reconstruction of ${join(dir, 'a.cxi')} with the settings asked now, to keep it; ` +
    'found one made with reconstruction.epochs 2, now 3; reconstruction.seed 42, now 7. It is kept as it is: --overwrite reconstructs it again ' +
    '(its files move to history/), or give another --out\n' +
    `scan a: FAILED, exit 2 (${join(dir, 'a.cxi')})\nscans: 0 done, 0 skipped, 1 failed (logs: out/logs/)\n`);
  assert.deepEqual(readFileSync(result), bytes, 'the earlier result is as it was');
  assert.equal(existsSync(join(dir, 'out', 'a', 'history')), false);
  writeFileSync(join(dir, 'scans.yaml'), 'reconstruction:\n  epochs: 2\n  threads: 1\n');
  const same = run(['--local', 'list.txt', 'scans.yaml', 'out'], dir);
  assert.equal(same.status, 0, same.stderr);
  assert.equal(same.stdout, `scan a: skipped (${join(dir, 'a.cxi')})\nscans: 0 done, 1 skipped, 0 failed (logs: out/logs/)\n`);
  copyFileSync(join(dir, 'list.txt'), join(dir, 'a.cxi')); // the same name, another file
  const other = run(['--local', 'list.txt', 'scans.yaml', 'out'], dir);
  assert.equal(other.status, 1, other.stderr);
  assert.match(other.stdout, /^ptychostudy lsqml: \S+: expected a reconstruction of \S+a\.cxi with the settings asked now, to keep it; found one made with the input: a\.cxi of 45399 bytes, SHA-256 53ed3de1f779…; now \S+a\.cxi of \d+ bytes, SHA-256 [0-9a-f]{12}…\. It is kept as it is/);
});

test('--local: Ctrl-C stops lsqml at the end of its epoch and the loop after it (lsqml handles the signal, so the shell alone would go on), exit 130', async () => {
  const dir = scans('scans-stop');
  writeFileSync(join(dir, 'scans.yaml'), 'reconstruction:\n  epochs: 1000000\n');
  const child = spawn('bash', [script, '--local', 'list.txt', 'scans.yaml', 'out'], {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PTYCHOSTUDY: `${process.execPath} ${cli}`, PTYCHOSTUDY_DEBUG: '', OVERWRITE: '' },
  });
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  const ended = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  const log = join(dir, 'out', 'logs', 'a.log');
  try {
    await waitFor('the first epoch of scan a', () => existsSync(log) && /^epoch 1\//m.test(readFileSync(log, 'utf8')), 60_000, 50);
    process.kill(-child.pid!, 'SIGINT'); // the terminal's Ctrl-C: the whole foreground process group
    assert.equal(await ended, 130, stdout);
  } finally {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* ended */ }
  }
  assert.equal(stdout, 'scan a: FAILED, exit 130 (' + join(dir, 'a.cxi') + ')\n' +
    'scans: stopped (exit 130) in scan a, after 0 done, 0 skipped, 1 failed (this one included); the same command goes on (logs: out/logs/)\n');
  assert.equal(existsSync(join(dir, 'out', 'b')), false, 'scan b was not started');
  assert.match(readFileSync(log, 'utf8'), /^ptychostudy lsqml: interrupted after \d+ of 1000000 epochs; no result was written/m);
});

test('submitted to SLURM: one array task per input, on the one CPU each was given; sbatch --wait exits 0 and each log ends with its line',
  { skip, timeout: 660_000 }, () => {
    const dir = scans('scans-slurm');
    let job: string | undefined;
    try {
      // the array may wait in the queue behind another test file's jobs (the suite runs two files at once): a long guard
      const r = run(['list.txt', 'scans.yaml', 'out', '--wait', '--cpus-per-task=1', '--time=5'], dir, 600_000);
      job = /Submitted batch job (\d+)/.exec(r.stdout)?.[1];
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.ok(job, r.stdout);
      for (const name of ['a', 'b']) {
        assert.ok(existsSync(join(dir, 'out', name, 'reconstruction.npz')), `${name}: no reconstruction`);
        assert.equal(threadsOf(join(dir, 'out', name)), 1, 'the threads SLURM gave the task (--cpus-per-task=1), not the node\'s');
      }
      const logs = readdirSync(join(dir, 'out', 'logs')).sort();
      assert.deepEqual(logs, [`${job}_0.out`, `${job}_1.out`]);
      const last = logs.map((l) => readFileSync(join(dir, 'out', 'logs', l), 'utf8').trimEnd().split('\n').pop());
      assert.deepEqual(last, [`scan a: done (${join(dir, 'a.cxi')})`, `scan b: done (${join(dir, 'b.cxi')})`]);
    } finally {
      if (job !== undefined) spawnSync('scancel', [job]);
    }
  });

test('submitted to SLURM: a task plans with its --mem, or --mem-per-cpu × --cpus-per-task, and refuses a scan that needs more',
  { skip, timeout: 660_000 }, () => {
    // the 2-epoch reconstruction of the fixture needs about 195 MiB (inspect --check); half this node's memory is far more
    const dir = scans('scans-memory', ['a.cxi']);
    const jobs: string[] = [];
    try {
      for (const [options, limit, source] of [
        [['--mem=64M'], '64.0 MiB', "SLURM_MEM_PER_NODE=64, the job's --mem in MiB"],
        [['--mem-per-cpu=40M', '--cpus-per-task=2'], '80.0 MiB', "SLURM_MEM_PER_CPU=40, the job's --mem-per-cpu in MiB, × SLURM_CPUS_PER_TASK=2"],
      ] as const) {
        const out = `out-${limit.split('.')[0]}`;
        const r = run(['list.txt', 'scans.yaml', out, '--wait', '--time=5', ...options], dir, 600_000);
        const job = /Submitted batch job (\d+)/.exec(r.stdout)?.[1];
        if (job !== undefined) jobs.push(job);
        assert.ok(job, `${r.stdout}${r.stderr}`);
        assert.notEqual(r.status, 0, 'the task failed, so sbatch --wait does');
        const log = readFileSync(join(dir, out, 'logs', `${job}_0.out`), 'utf8');
        assert.match(log, new RegExp(`^ptychostudy lsqml: .*expected a reconstruction that fits the memory limit of ${limit.replace('.', '\\.')} ` +
          `\\(the SLURM job's ${limit.replace('.', '\\.')}: ${source.replace(/[.*()×]/g, '\\$&')}; PTYCHOSTUDY_MEMORY_LIMIT sets it\\)`, 'm'), log);
        assert.equal(log.trimEnd().split('\n').pop(), `scan a: FAILED, exit 2 (${join(dir, 'a.cxi')})`);
        assert.equal(existsSync(join(dir, out, 'a', 'reconstruction.npz')), false);
      }
    } finally {
      for (const job of jobs) spawnSync('scancel', [job]);
    }
  });
