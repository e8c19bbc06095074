/**
 * A hub or output root on a read-only file system (an archive mounted read-only, a snapshot): `run`, `reconstruct`
 * and `compare` refuse it with one line naming the path and exit code 2, with `--executor slurm` as without it —
 * before any script, record or SLURM command; `cancel` cancels the jobs all the same and says that it could not record
 * it (exit 1). The tests run as root here, which ignores permission bits, so the roots lie on a tmpfs mounted
 * read-only (root cannot write there either); where `mount` is refused the tests are skipped, saying so, and the
 * cancel test where no SLURM answers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runComparison } from '../../src/study/compare/phase.js';
import { compareSteps, reconstructSteps } from '../../src/study/slurm/plans.js';
import { JOBS_SCHEMA_VERSION, writeJobs } from '../../src/study/slurm/records.js';
import { phaseF, testEngine, tmp, writeTree } from '../study/reconstruct-helpers.js';
import { leaveNoSlurmJobs, noSlurm, refusal, submitOwnJob } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const CLI = 'dist/src/cli/main.js';
const root = tmp('read-only');
const mnt = join(root, 'ro');

/** Mounts a small tmpfs at `mnt` (writable); the reason it cannot be, or null. */
function mountTmpfs(): string | null {
  mkdirSync(mnt);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return `mount is not possible here (${(r.error?.message ?? r.stderr).trim()}), so no read-only file system can be made ` +
      '(a directory without write permission would not do: root ignores it)';
  }
  return null;
}
const skip = mountTmpfs();
let mounted = skip === null;
const noCluster = skip ?? noSlurm();

// A Phase C/D tree with a finished Phase F and a hub-like directory, then the whole file system remounted read-only.
const tree = join(mnt, 'tree');
const hub = join(mnt, 'hub');
// a single-phase submission's home whose one job is held in the queue (SLURM's own hold: it never runs)
const held = join(mnt, 'held');
let heldJob: string | null = null;
before(async () => {
  if (skip !== null) return;
  const t = writeTree(tree, { doses: [1000] });
  assert.equal((await phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], executor: testEngine().executor })).succeeded, 6);
  writeTree(hub, { doses: [1000] });
  if (noCluster === null) {
    // named as the step's script names it (the hub's record of a job is of a job of that name)
    heldJob = submitOwnJob(['--hold', '--job-name', 'generate-held', '--wrap', 'true']);
    mkdirSync(held);
    writeJobs(held, { schema_version: JOBS_SCHEMA_VERSION, tool: 'ptychostudy', submissions: [{
      number: 1, submitted_at: '2026-12-06T00:00:00Z', command: 'generate', argv: ['ptychostudy', 'generate'], version: '0', node: process.execPath,
      entry: join(process.cwd(), 'dist', 'src', 'cli', 'worker-main.js'), cwd: root, hub: null,
      settings: parseStudySettings({ simulation: { doses: [1000] } }) as unknown as Record<string, unknown>,
      steps: [{ step: 'generate', job_id: heldJob, script: 'slurm/generate.sbatch', tasks: ['dose_1000'], array_tasks: 1, depends_on: null,
        options: { outputRoot: held, timestamp: null } }],
      cancelled: [], rejected: null,
    }] });
  }
  const r = spawnSync('mount', ['-o', 'remount,ro', mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => {
  if (heldJob !== null) spawnSync('scancel', [heldJob]);
  if (mounted) spawnSync('umount', [mnt]);
  mounted = false;
});

/** SLURM's commands as scripts that only log that they were called (and fail), ahead of any real ones on PATH. */
function fakeSlurm(): { env: NodeJS.ProcessEnv; called: string } {
  const bin = join(root, 'bin'), called = join(root, 'slurm-called');
  mkdirSync(bin, { recursive: true });
  for (const p of ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo']) {
    writeFileSync(join(bin, p), `#!/bin/sh\necho "${p} $@" >> '${called}'\nexit 1\n`);
    chmodSync(join(bin, p), 0o755);
  }
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' }, called };
}

test('run on a read-only hub (or a new hub under a read-only folder): one line naming it, exit 2, with --executor slurm as without, nothing submitted',
  { skip: skip ?? false }, () => {
    const { env, called } = fakeSlurm();
    for (const out of [hub, join(mnt, 'new-hub')]) {
      const args = ['run', '--preset', 'quick', '--dose', '1e3', '--out', out];
      const local = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
      assert.equal(local.status, 2, local.stderr);
      assert.equal(local.stderr, `ptychostudy run: --out ${out}: expected a writable directory; found ${existsSync(out) ? out : mnt} on a read-only file system (EROFS)\n`);
      const slurm = spawnSync(process.execPath, [CLI, ...args, '--executor', 'slurm', '--detach'], { encoding: 'utf8', env });
      assert.equal(slurm.status, 2, slurm.stderr);
      assert.equal(slurm.stderr, local.stderr, 'the same one line, and no other');
      assert.equal(slurm.stdout, '');
    }
    assert.equal(existsSync(called), false, 'no SLURM command was called');
    assert.deepEqual(readdirSync(hub).sort(), ['phase_c', 'phase_d']);
  });

test('reconstruct and compare --executor slurm into a read-only root: the local run\'s one line (InputError, exit 2), before anything is submitted',
  { skip: skip ?? false }, async () => {
    const t = { phaseC: join(tree, 'phase_c'), phaseD: join(tree, 'phase_d'), artifact: join(tree, 'artifacts') };
    const settings = parseStudySettings({ simulation: { doses: [1000] } });
    // a new artifact root under the read-only folder (a finished one is all complete: nothing to write, nothing refused)
    const f = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: join(mnt, 'phase_f') };
    const localF = await refusal(() => phaseF({ ...f, doses: [1000], executor: testEngine().executor }));
    assert.match(localF, /: expected a writable directory; found .* on a read-only file system \(EROFS\)$/);
    assert.equal(await refusal(() => reconstructSteps(settings, f)), localF);
    for (const out of [join(mnt, 'phase_g'), join(tree, 'phase_g')]) {
      const g = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, phaseFRoot: t.artifact, outputRoot: out };
      const localG = await refusal(() => runComparison(g));
      assert.match(localG, /^Phase G output root .*: expected a writable directory; found .* on a read-only file system \(EROFS\)$/);
      assert.equal(await refusal(async () => compareSteps(g)), localG);
    }
  });

test('cancel on a read-only hub: the jobs are cancelled all the same, and the one line says so and names the file it could not write, exit 1',
  { skip: noCluster ?? false }, () => {
    const r = spawnSync(process.execPath, [CLI, 'cancel', '--out', held], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `ptychostudy cancel: scancel was sent to SLURM jobs ${heldJob}, but recording it in the hub failed: ` +
      `${held}/slurm/.lock: cannot be written (EROFS: read-only file system, open); SLURM ends them on its own, and once the hub can be written ` +
      `\`ptychostudy status --out ${held}\` merges what they left\n`);
    assert.equal(spawnSync('squeue', ['--noheader', '--jobs', heldJob!], { encoding: 'utf8' }).stdout.trim(), '', 'the job was cancelled');
  });
