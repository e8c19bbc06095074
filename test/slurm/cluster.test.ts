/**
 * `--executor slurm` on a real SLURM cluster (the one-node cluster of scripts/local-slurm.sh in CI; any
 * cluster whose `sinfo` answers). Skipped, saying why, where no SLURM answers. Every study here is tiny
 * (one dose, 24 positions, 2 epochs: 6 reconstructions) so the file runs in a few minutes on 2 cores.
 *
 * - a study through SLURM writes the hub a local run writes: every file's digest equal (scripts/hub-digests.mjs)
 * - a job that fails and a task that is scancel'ed mid-job are recorded as failures while the other task takes
 *   the remaining jobs; a resume submits only those two; the finished hub then submits nothing and removes what a
 *   killed compare left, as a local run does
 * - a task that SLURM requeues mid-job takes its job back when it runs again
 * - 24 array tasks finishing together all land in the manifest, through a stale lock left by a killed holder that the
 *   tasks running at once wait at
 * - SLURM jobs of a hub keep local commands and other submissions off its phase roots, and the other way round
 * - a refused submission (bad partition), and `ptychostudy cancel`
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNpz } from '../../src/npy/npz.js';
import { tryLock } from '../../src/files/lock.js';
import { ManifestSchema } from '../../src/study/hub/reconstruction-files.js';
import { MetricsSummarySchema } from '../../src/study/hub/metrics-summary.js';
import { ClaimSchema, JobsRecordSchema, TaskResultSchema, type Claim } from '../../src/study/slurm/records.js';
import { parsePartitionCpus } from '../../src/study/slurm/scheduler.js';
import { tempDir } from '../tmp.js';
import { cliAsync, type CliRun, leaveNoSlurmJobs, noSlurm, sleep, waitFor as waitUntil, writeSmallBase } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const CLI = resolve('dist', 'src', 'cli', 'main.js');
const TINY = ['--preset', 'quick', '--n-images', '24', '--epochs', '2', '--dose', '1e4'];
const F_KEYS = ['baseline/train', 'dense/train', 'sparse/train', 'baseline/test', 'dense/test', 'sparse/test'].map((k) => `dose_10000/${k}`);

const skip = noSlurm() ?? false;

/** The array tasks a step of `jobs` jobs gets by default here: the default partition's CPUs, at most one per job. */
function defaultTasks(jobs: number): number {
  const r = spawnSync('sinfo', ['--noheader', '--format', '%P|%C'], { encoding: 'utf8', timeout: 20_000 });
  return Math.max(1, Math.min(jobs, parsePartitionCpus(r.stdout ?? '', null) ?? jobs));
}

type Run = CliRun;
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 600_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


const json = <T = unknown>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const waitFor = (what: string, cond: () => boolean, ms = 240_000): Promise<void> => waitUntil(what, cond, ms, 250);

function scontrol(...args: string[]): void {
  const r = spawnSync('scontrol', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `scontrol ${args.join(' ')}: ${r.stderr}`);
}

/** Cancels whatever a failed test left queued in `hub` (so later tests are not blocked behind it). */
function cleanUp(hub: string): void {
  if (existsSync(join(hub, 'slurm', 'jobs.json'))) cli(['cancel', '--hub', hub]);
}

/**
 * A PATH on which `sbatch` is SLURM's own called with `--hold` first: the jobs of one submission are held by SLURM
 * without the hub's settings asking it (`--slurm-sbatch-arg=--hold` would be kept for the resume). The SBATCH_HOLD
 * environment variable does not do it: slurm-wlm 22.05's sbatch does not read it, and the jobs ran at once — the
 * generate task could end before the release, which then failed with `<id>_0: Job has already finished`.
 */
function holdingPath(dir: string): string {
  const real = spawnSync('sh', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(real !== '', 'sbatch is on PATH');
  const bin = join(dir, 'holding-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\nexec ${real} --hold "$@"\n`, { mode: 0o755 });
  return `${bin}:${process.env.PATH ?? ''}`;
}

/** Whether SLURM holds job `id` (or each task of array `id`) by its user's hold. */
function heldByUser(id: string): boolean {
  const r = spawnSync('squeue', ['--noheader', '--array', '--jobs', id, '--format', '%T %r'], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n').filter((l) => l !== '');
  return lines.length > 0 && lines.every((l) => l === 'PENDING JobHeldUser');
}

/**
 * A TINY study submitted to SLURM with two tasks per array, held (SLURM's own hold, given to sbatch by a wrapper on
 * PATH, so a later resume is not held), and released up to Phase D, which is then merged. Returns the job ids.
 */
async function submitHeldThroughPhaseD(hub: string): Promise<Record<string, string>> {
  const sub = cli(['run', ...TINY, '--executor', 'slurm', '--slurm-tasks', '2', '--detach', '--json', '--out', hub],
    { ...process.env, PATH: holdingPath(join(hub, '..')) });
  assert.equal(sub.status, 0, sub.stderr);
  const ids = (JSON.parse(sub.stdout) as { jobs: Record<string, string> }).jobs;
  for (const step of ['generate', 'overlap', 'reconstruct', 'compare', 'finish']) assert.ok(heldByUser(ids[step]!), `${step} ${ids[step]} is held`);
  assert.ok(!readFileSync(join(hub, 'slurm', 'reconstruct.sbatch'), 'utf8').includes('--hold'), 'the hold is not the hub\'s');
  scontrol('release', `${ids['generate']},${ids['overlap']}`);
  await waitFor('Phase D to be merged', () => existsSync(join(hub, 'slurm', '1', 'overlap', 'final.json')));
  return ids;
}

/**
 * A task of `stepDir` caught between taking a job (not one of `spare`) and writing its result: stopped
 * (SIGSTOP, so the job cannot end first), then handed to `act` with the job and its claim.
 */
async function catchMidJob(stepDir: string, spare: (job: number) => boolean, act: (job: number, claim: Claim) => void): Promise<{ job: number; claim: Claim }> {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    let names: string[] = [];
    try { names = readdirSync(join(stepDir, 'claims')).filter((n) => /^\d+\.json$/.test(n)); } catch { /* not yet */ }
    for (const name of names) {
      const job = Number.parseInt(name, 10);
      if (spare(job) || existsSync(join(stepDir, 'results', name))) continue;
      const claim = ClaimSchema.parse(json(join(stepDir, 'claims', name)));
      process.kill(claim.pid, 'SIGSTOP');
      if (existsSync(join(stepDir, 'results', name))) { process.kill(claim.pid, 'SIGCONT'); continue; }
      act(job, claim);
      return { job, claim };
    }
    await sleep(5);
  }
  throw new Error('no task was caught in the middle of a job');
}

type Digests = Record<string, string | Record<string, string>>;
async function digests(hub: string): Promise<Digests> {
  const script = (await import(pathToFileURL(resolve('scripts', 'hub-digests.mjs')).href)) as { hubDigests(hub: string): Digests };
  const all = script.hubDigests(hub);
  return Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith('slurm/')));
}

/** The arrays of a reconstruction.npz but its timings (epoch_seconds), as raw bytes. */
function reconstructionArrays(file: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, a] of Object.entries(loadNpz(file))) {
    if (k === 'epoch_seconds' || k === '_metadata') continue;
    const d = a.data as unknown as ArrayBufferView;
    out[k] = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }
  return out;
}

let localHub: string | null = null;

test('a study through SLURM writes the hub a local run writes (every file but slurm/ has the same digest)', { skip, timeout: 900_000 }, async () => {
  const dir = tempDir('slurm-same');
  const local = join(dir, 'local');
  const viaSlurm = join(dir, 'slurm');
  try {
    // The local run and the cluster run at once: the local one fills the scheduler's pauses.
    const [l, s] = await Promise.all([
      cliAsync(['run', ...TINY, '--jobs', '2', '--out', local, '--quiet']),
      cliAsync(['run', ...TINY, '--executor', 'slurm', '--out', viaSlurm, '--json']),
    ]);
    assert.equal(l.status, 0, l.stderr);
    localHub = local;
    assert.equal(s.status, 0, s.stderr);
    const out = JSON.parse(s.stdout) as { exit_code: number; report: string; jobs: Record<string, string> };
    assert.equal(out.exit_code, 0);
    assert.deepEqual(Object.keys(out.jobs), ['generate', 'overlap', 'reconstruct', 'compare', 'finish']);
    assert.equal(out.report, join(viaSlurm, 'report', 'index.html'));
    // The progress named each step and its job id.
    const six = defaultTasks(6);
    const tasksText = (k: number): string => `${k} task${k === 1 ? '' : 's'}`;
    assert.ok(s.stderr.includes(`generate ${out.jobs['generate']} (1 job, 1 task) → overlap ${out.jobs['overlap']} (1 job, 1 task) → ` +
      `reconstruct ${out.jobs['reconstruct']} (6 jobs, ${tasksText(six)}) → compare ${out.jobs['compare']} (6 jobs, ${tasksText(six)}) → finish ${out.jobs['finish']}`), s.stderr);
    assert.match(s.stderr, /reconstruct \(F\)\s+job \d+\s+6\/6 done/);

    const a = await digests(local);
    const b = await digests(viaSlurm);
    assert.deepEqual(Object.keys(b), Object.keys(a), 'the SLURM hub holds other files than the local one');
    const differ = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    assert.deepEqual(differ, [], `files that differ from the local run's: ${differ.join(', ')}`);
    // run.json's record of what Phases C and D hold (left out of the digests): the same on both, so either resumes alike
    const held = (hub: string): unknown[] => {
      const phases = json<{ phases: Record<string, { outputs_sha256?: string }> }>(join(hub, 'run.json')).phases;
      return [phases['generate']?.outputs_sha256, phases['overlap']?.outputs_sha256];
    };
    assert.ok(held(local).every((x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)), String(held(local)));
    assert.deepEqual(held(viaSlurm), held(local));

    // The evidence of the cluster run: scripts with the exact command, version and Node.js; one result per task.
    const jobs = JobsRecordSchema.parse(json(join(viaSlurm, 'slurm', 'jobs.json')));
    const sub = jobs.submissions[0]!;
    assert.deepEqual(sub.steps.map((x) => x.step), ['generate', 'overlap', 'reconstruct', 'compare', 'finish']);
    assert.deepEqual(sub.steps[2]!.tasks, F_KEYS);
    const script = readFileSync(join(viaSlurm, 'slurm', 'reconstruct.sbatch'), 'utf8');
    assert.ok(script.includes(`#SBATCH --array=0-${six - 1}\n`));
    assert.equal(sub.steps[2]!.array_tasks, six);
    assert.ok(script.includes(`#SBATCH --dependency=afterany:${sub.steps[1]!.job_id}`));
    assert.ok(script.includes(`# Node.js: ${process.execPath} (${process.version})`));
    assert.match(script, /# ptychostudy \d+\.\d+\.\d+: step "reconstruct" of submission 1/);
    assert.match(script, /worker --hub \S+ --submission 1 --step reconstruct --task "\$SLURM_ARRAY_TASK_ID"/);
    // One result and one claim per job; each job run by the task its claim names, and no more tasks than the array has.
    const stepDir = join(viaSlurm, 'slurm', '1', 'reconstruct');
    assert.equal(readdirSync(join(stepDir, 'results')).length, 6);
    assert.deepEqual(readdirSync(join(stepDir, 'claims')).sort(), ['0.json', '1.json', '2.json', '3.json', '4.json', '5.json']);
    for (let j = 0; j < 6; j++) {
      const claim = ClaimSchema.parse(json(join(stepDir, 'claims', `${j}.json`)));
      const result = TaskResultSchema.parse(json(join(stepDir, 'results', `${j}.json`)));
      assert.equal(result.key, F_KEYS[j]);
      assert.equal(result.array_task, claim.array_task);
      assert.ok(claim.array_task < six);
      assert.equal(result.slurm_job, `${out.jobs['reconstruct']}_${claim.array_task}`);
    }
    const st = cli(['status', '--hub', viaSlurm]);
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /finished, exit code 0/);
    assert.match(st.stdout, /compare \(G\)\s+job \d+\s+6\/6 done ✓ merged/);
  } finally {
    cleanUp(viaSlurm);
  }
});

test('a failing job and a task scancel\'ed mid-job are recorded as failures while the other task takes the rest; a resume submits only those two',
  { skip, timeout: 900_000 }, async () => {
    const hub = join(tempDir('slurm-fail'), 'hub');
    try {
      const ids = await submitHeldThroughPhaseD(hub);
      // One job's input is broken (that job fails); one of the two tasks is cancelled in the middle of a job.
      const brokenKey = 'dose_10000/sparse/test';
      const input = join(hub, 'phase_d', 'dose_10000', 'sparse', 'sparse_test.npz');
      const good = readFileSync(input);
      writeFileSync(input, good.subarray(0, 300));
      // Phase F refuses a Phase D file its manifest records with another size or hash before any job runs
      // (test/e2e/run-evidence.test.ts): the view's record as manifests before those hashes had it, so only its job fails
      const overlapManifest = join(hub, 'phase_d', 'overlap_manifest.json');
      const manifestText = readFileSync(overlapManifest, 'utf8');
      const d = JSON.parse(manifestText);
      delete d.doses.dose_10000.views.sparse.files;
      writeFileSync(overlapManifest, JSON.stringify(d, null, 2) + '\n');
      scontrol('release', `${ids.reconstruct},${ids.compare},${ids.finish}`);
      // A task caught in the middle of a job, then cancelled by scancel — SLURM's own kill of a running task.
      const caught = await catchMidJob(join(hub, 'slurm', '1', 'reconstruct'), (j) => F_KEYS[j] === brokenKey, (_job, claim) => {
        const c = spawnSync('scancel', [claim.slurm_job!], { encoding: 'utf8' });
        assert.equal(c.status, 0, c.stderr);
      });
      const cancelledKey = F_KEYS[caught.job]!;
      const cancelledTask = caught.claim.slurm_job!;

      const follow = cli(['status', '--hub', hub, '--wait', '--json']);
      assert.equal(follow.status, 1, 'the run ends with exit code 1');
      const view = JSON.parse(follow.stdout) as { exit_code: number; steps: { step: string; done: number; failed: number; failures: { key: string; message: string }[] }[] };
      const f = view.steps.find((x) => x.step === 'reconstruct')!;
      assert.equal(f.done, 4);
      assert.equal(f.failed, 2);
      assert.deepEqual(f.failures.map((x) => x.key).sort(), [cancelledKey, brokenKey].sort());
      const manifest = ManifestSchema.parse(json(join(hub, 'phase_f', 'reconstruction_manifest.json')));
      const byKey = new Map(manifest.execution_results.map((r) => [`dose_${r.dose}/${r.view}/${r.split}`, r]));
      assert.equal(manifest.execution_results.filter((r) => r.status === 'success').length, 4);
      assert.equal(byKey.get(cancelledKey)!.status, 'failed');
      assert.ok(byKey.get(cancelledKey)!.error!.startsWith(`SLURM task ${cancelledTask} cancelled (JobState=CANCELLED`), byKey.get(cancelledKey)!.error!);
      assert.equal(byKey.get(brokenKey)!.status, 'failed');
      assert.match(byKey.get(brokenKey)!.error!, /sparse_test\.npz: not a valid \.npz/);
      // The rest went on: Phase G compared the four, skipped the two with the reason, and the report was written.
      const summary = MetricsSummarySchema.parse(json(join(hub, 'phase_g', 'metrics_summary.json')));
      assert.equal(summary.rows.filter((r) => r.status === 'ok').length, 4);
      assert.equal(summary.skipped_jobs.length, 2);
      assert.ok(existsSync(join(hub, 'report', 'index.html')));

      // The resume: the input is whole again (and Phase D's record of it); only the two failed jobs are submitted.
      writeFileSync(input, good);
      writeFileSync(overlapManifest, manifestText);
      const script1 = readFileSync(join(hub, 'slurm', 'reconstruct.sbatch'), 'utf8');
      const again = cli(['run', ...TINY, '--executor', 'slurm', '--out', hub, '--json']);
      assert.equal(again.status, 0, again.stderr);
      const jobs = JobsRecordSchema.parse(json(join(hub, 'slurm', 'jobs.json')));
      const second = jobs.submissions[1]!;
      assert.deepEqual(second.steps.map((x) => x.step), ['reconstruct', 'compare', 'finish'], 'Phases C and D are complete: not submitted');
      assert.deepEqual(second.steps[0]!.tasks, F_KEYS.filter((k) => k === cancelledKey || k === brokenKey));
      assert.equal(readFileSync(join(hub, 'slurm', 'reconstruct.sbatch'), 'utf8'), script1, 'the first script is kept as it was');
      assert.match(readFileSync(join(hub, 'slurm', 'reconstruct.2.sbatch'), 'utf8'), /#SBATCH --array=0-1\n/);
      const after = ManifestSchema.parse(json(join(hub, 'phase_f', 'reconstruction_manifest.json')));
      assert.ok(after.execution_results.every((r) => r.status === 'success'));
      for (const key of [cancelledKey, brokenKey]) {
        const r = after.execution_results.find((x) => `dose_${x.dose}/${x.view}/${x.split}` === key)!;
        assert.deepEqual(r.history.map((h) => h.status), ['failed'], `${key}: the failure is kept in its history`);
      }
      assert.equal(after.runs.length, 2);
      assert.equal(after.runs[1]!.already_complete, 4);
      const runJson = json<{ phases: Record<string, { detail: string }> }>(join(hub, 'run.json'));
      assert.equal(runJson.phases['reconstruct']!.detail, '2 run (2 ok, 0 failed), 4 already complete', 'no input is missing');
      // The hub is finished: the same command again submits nothing and writes nothing, as a local resume.
      const jobsBefore = readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8');
      const runBefore = readFileSync(join(hub, 'run.json'), 'utf8');
      const summaryBefore = readFileSync(join(hub, 'phase_g', 'metrics_summary.json'), 'utf8');
      // What a `compare` killed before it finished left (its running lock, its empty run folder, a job's staging folder)
      // goes, as a local run of a finished hub removes it; a live compare's lock stays.
      const g = join(hub, 'phase_g');
      const killedId = '20261206T100000Z', liveId = '20261206T110000Z';
      const killedLock = join(g, `.running-${killedId}.lock`);
      const killed = spawnSync(process.execPath, ['--input-type=module', '-e',
        `import { tryLock } from ${JSON.stringify(pathToFileURL(resolve('dist', 'src', 'files', 'lock.js')).href)}; ` +
        `tryLock(${JSON.stringify(killedLock)}, 'compare run', 'output root'); process.kill(process.pid, 'SIGKILL');`]);
      assert.equal(killed.signal, 'SIGKILL');
      mkdirSync(join(g, 'runs', killedId));
      const staging = join(g, 'dose_10000', 'dense', 'train', `.staging-${killedId}`);
      mkdirSync(staging);
      writeFileSync(join(staging, 'comparison.json'), '{}');
      const live = tryLock(join(g, `.running-${liveId}.lock`), 'compare run', 'output root');
      const third = cli(['run', '--executor', 'slurm', '--out', hub]);
      const liveKept = existsSync(join(g, `.running-${liveId}.lock`)) && !live.lost;
      live.release();
      assert.equal(third.status, 0, third.stderr);
      assert.match(third.stderr, new RegExp('run: nothing to submit — every selected job is already complete \\(report: .*index\\.html\\); ' +
        `removed what the stopped compare run ${killedId} left \\(its running lock, staging and empty run folders\\)`));
      assert.ok(!existsSync(killedLock) && !existsSync(join(g, 'runs', killedId)) && !existsSync(staging), 'the killed compare\'s leftovers stay');
      assert.ok(liveKept, 'a live compare\'s lock was removed');
      assert.equal(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8'), jobsBefore, 'no submission');
      assert.equal(readFileSync(join(hub, 'run.json'), 'utf8'), runBefore);
      assert.equal(readFileSync(join(hub, 'phase_g', 'metrics_summary.json'), 'utf8'), summaryBefore);
      // A finished submission shows without SLURM's commands (a hub copied off the cluster).
      const offCluster = cli(['status', '--hub', hub], { ...process.env, PATH: '' });
      assert.equal(offCluster.status, 0, offCluster.stderr);
      assert.match(offCluster.stdout, /: submission 2 of 2 \(run, [^)]+\) — finished, exit code 0\n/);
      // Same numbers as a local run with the same seed, the resumed jobs included.
      if (localHub !== null) {
        for (const key of F_KEYS) {
          const rel = join('phase_f', key, 'reconstruction.npz');
          assert.deepEqual(reconstructionArrays(join(hub, rel)), reconstructionArrays(join(localHub, rel)), key);
        }
        const mine = MetricsSummarySchema.parse(json(join(hub, 'phase_g', 'metrics_summary.json')));
        const ref = MetricsSummarySchema.parse(json(join(localHub, 'phase_g', 'metrics_summary.json')));
        for (const r of ref.rows) {
          const m = mine.rows.find((x) => x.dose === r.dose && x.view === r.view && x.split === r.split && x.model === r.model)!;
          assert.deepEqual(m.metrics, r.metrics, `${r.view}/${r.split}`);
        }
      }
    } finally {
      cleanUp(hub);
    }
  });

test('a task that SLURM requeues in the middle of a job takes that job back when it runs again: nothing fails, the log keeps both runs',
  { skip, timeout: 900_000 }, async () => {
    const hub = join(tempDir('slurm-requeue'), 'hub');
    try {
      const ids = await submitHeldThroughPhaseD(hub);
      scontrol('release', `${ids.reconstruct},${ids.compare},${ids.finish}`);
      // A task caught in the middle of a job, then requeued: SLURM kills it and queues it again, as after a
      // node failure or a preemption.
      const stepDir = join(hub, 'slurm', '1', 'reconstruct');
      const { job, claim } = await catchMidJob(stepDir, () => false, (_job, c) => scontrol('requeue', c.slurm_job!));
      // While the requeued task waits to run again, its job is not a failure: status counts it queued.
      const during = cli(['status', '--hub', hub, '--json']);
      assert.equal(during.status, 0, `nothing has failed: ${during.stdout}${during.stderr}`);
      const duringF = (JSON.parse(during.stdout) as { steps: { step: string; failed: number }[] }).steps.find((x) => x.step === 'reconstruct')!;
      assert.equal(duringF.failed, 0);
      // SLURM starts a requeued task again once its old credential has expired: 11 s on the cluster of
      // scripts/local-slurm.sh (AuthInfo=cred_expire=10), about two minutes with SLURM's default.
      const follow = cli(['status', '--hub', hub, '--wait', '--json']);
      assert.equal(follow.status, 0, `the run ends with exit code 0: ${follow.stdout}${follow.stderr}`);
      const view = JSON.parse(follow.stdout) as { steps: { step: string; done: number; failed: number }[] };
      const f = view.steps.find((x) => x.step === 'reconstruct')!;
      assert.equal(f.done, 6);
      assert.equal(f.failed, 0);
      // The job was taken back by the task's second run (the same SLURM task), which ran it to its end.
      const now = ClaimSchema.parse(json(join(stepDir, 'claims', `${job}.json`)));
      assert.equal(now.slurm_job, claim.slurm_job);
      assert.equal(now.restart, 1);
      assert.notEqual(now.pid, claim.pid);
      assert.deepEqual(now.taken_back_from, claim);
      const result = TaskResultSchema.parse(json(join(stepDir, 'results', `${job}.json`)));
      assert.equal(result.status, 'ok');
      assert.equal(result.pid, now.pid);
      const manifest = ManifestSchema.parse(json(join(hub, 'phase_f', 'reconstruction_manifest.json')));
      assert.equal(manifest.execution_results.filter((r) => r.status === 'success').length, 6);
      assert.ok(manifest.execution_results.every((r) => r.history.length === 0), 'no failure was recorded on the way');
      const [arrayId, task] = claim.slurm_job!.split('_');
      const log = readFileSync(join(hub, 'slurm', 'logs', `reconstruct-${arrayId}_${task}.out`), 'utf8');
      assert.equal(log.match(/^\[[^\]]+\] reconstruct: task \d of 2 /gm)?.length, 2, `both runs in the log:\n${log}`);
      assert.match(log, new RegExp(`run 2: requeued by SLURM`));
      assert.match(log, new RegExp(`takes back job ${job} \\(${F_KEYS[job]!.replace(/\//g, '\\/')}\\), taken by this task's run before the requeue \\(pid ${claim.pid} on `));
      // The job run again gives the numbers a local run with the same seed gives.
      if (localHub !== null) {
        const rel = join('phase_f', F_KEYS[job]!, 'reconstruction.npz');
        assert.deepEqual(reconstructionArrays(join(hub, rel)), reconstructionArrays(join(localHub, rel)), F_KEYS[job]);
      }
    } finally {
      cleanUp(hub);
    }
  });

test('24 array tasks finishing together all land in run_manifest.json, through a stale lock left by a killed holder that several tasks wait at',
  { skip, timeout: 600_000 }, async () => {
    const dir = tempDir('slurm-many');
    const out = join(dir, 'phase_c');
    const doses = Array.from({ length: 24 }, (_, i) => (i + 1) * 1000);
    // A small object and probe (64×64, 16×16) keep each task's own work to a fraction of a second.
    const base = join(dir, 'base.npz');
    writeSmallBase(base);
    try {
      const sub = cli(['generate', '--output-root', out, '--base-npz', base, '--n-images', '24', ...doses.flatMap((d) => ['--dose', String(d)]),
        '--executor', 'slurm', '--slurm-tasks', '24', '--slurm-sbatch-arg=--hold', '--detach']);
      assert.equal(sub.status, 0, sub.stderr);
      const ids = Object.fromEntries(sub.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
      // A merger holding the hub's lock while the tasks start: each running task stops at it (the step's start
      // is taken under it) until the holder dies without releasing it (a task killed mid-merge).
      const lock = join(out, 'slurm', '.lock');
      const holder = spawn(process.execPath, ['--input-type=module', '-e',
        `const { acquireLock } = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/files/lock.js')).href)});` +
        `acquireLock(${JSON.stringify(lock)}, 'merge', 'hub'); console.log('held'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((done) => holder.stdout!.once('data', () => done()));
      scontrol('release', `${ids['generate']},${ids['finish']}`);
      // As many tasks as the partition runs at once (two here) wait at the lock together — however long SLURM
      // takes to start the second (a CPU busy with another job first): the lock is held until they do.
      const together = Math.min(2, defaultTasks(24));
      const logs = join(out, 'slurm', 'logs');
      const started = (): number => {
        try {
          return readdirSync(logs).filter((f) => f.startsWith(`generate-${ids['generate']}_`) && /generate: task \d+ of 24 /.test(readFileSync(join(logs, f), 'utf8'))).length;
        } catch {
          return 0;
        }
      };
      await waitFor(`${together} tasks to run at once`, () => started() >= together);
      assert.ok(!existsSync(join(out, 'slurm', '1', 'generate', 'start.json')), 'no task got past the held lock');
      // The lock is the holder's when it dies: from then on it is stale. (Whether it is still there once the kill has
      // been seen is a race the waiting tasks may already have won — they take a dead holder's lock over at once.)
      assert.equal(json<{ pid: number }>(lock).pid, holder.pid, 'the holder\'s lock is in the way');
      holder.kill('SIGKILL');
      await new Promise((done) => holder.once('exit', done));
      const follow = cli(['status', '--hub', out, '--wait', '--json']);
      assert.equal(follow.status, 0, follow.stderr);
      const manifest = json<Record<string, { dose?: number; status?: string; intensity_scale?: number }>>(join(out, 'run_manifest.json'));
      const entries = Object.keys(manifest).filter((k) => k.startsWith('dose_'));
      assert.deepEqual(entries.sort(), doses.map((d) => `dose_${d}`).sort(), 'every task\'s dose is in the manifest');
      for (const k of entries) assert.ok(typeof manifest[k]!.intensity_scale === 'number' && manifest[k]!.status === undefined, k);
      assert.equal(readdirSync(join(out, 'slurm', '1', 'generate', 'results')).length, 24);
      const final = json<{ ok: number; failed: number }>(join(out, 'slurm', '1', 'generate', 'final.json'));
      assert.equal(final.ok, 24);
      assert.equal(final.failed, 0);
      // The submission is finished by its last job's task while the array's other tasks may still be ending
      // (one that merged its last job after the step was finalized takes the lock for a moment): once SLURM
      // has ended them all, nothing holds the lock.
      await waitFor('every task to end', () => spawnSync('squeue', ['--noheader', '--jobs', `${ids['generate']},${ids['finish']}`], { encoding: 'utf8' }).stdout.trim() === '');
      assert.ok(!existsSync(lock), 'the lock was taken over and released');
    } finally {
      cleanUp(out);
    }
  });

test('SLURM jobs of a hub keep local commands and other submissions off its phase roots, and jobs of a phase root keep them off the hub',
  { skip, timeout: 600_000 }, async () => {
    const hub = resolve(tempDir('slurm-homes'), 'hub');
    const phaseF = join(hub, 'phase_f');
    const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const last = (r: Run): string => r.stderr.trim().split('\n').at(-1)!;
    // the finished local TINY hub of the first test, copied (made again where that test did not get as far)
    if (localHub !== null) cpSync(localHub, hub, { recursive: true });
    else {
      const made = cli(['run', ...TINY, '--quiet', '--out', hub]);
      assert.equal(made.status, 0, made.stderr);
    }
    // the hub's reconstruction settings (`run --n-images` is the scan's positions; `reconstruct --n-images` would be other
    // settings, whose jobs all run again), so only the job whose reconstruction is gone is to be done
    const reconstruct = ['reconstruct', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'), '--out', phaseF,
      '--epochs', '2', '--doses', '10000'];
    try {
      // One reconstruction gone: Phase F alone, into the hub's phase_f, has a job; held in the queue, it keeps
      // the hub's own commands off.
      const gone = join(phaseF, 'dose_10000', 'sparse', 'test', 'reconstruction.npz');
      rmSync(gone);
      const alone = cli([...reconstruct, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--detach']);
      assert.equal(alone.status, 0, alone.stderr);
      const local = cli(['run', ...TINY, '--out', hub]);
      assert.equal(local.status, 2);
      assert.match(last(local), new RegExp(`^ptychostudy run: ${esc(hub)}: SLURM jobs of ${esc(phaseF)}, which write this root, are queued or running ` +
        `\\(submission 1: \\d+, \\d+\\); a local run would write beside them — wait for them \\(\`ptychostudy status --out ${esc(phaseF)} --wait\`\\)`));
      const second = cli(['run', ...TINY, '--executor', 'slurm', '--detach', '--out', hub]);
      assert.equal(second.status, 2);
      assert.match(last(second), /SLURM jobs of .*phase_f, which write this root, are queued or running .*a second submission would write beside them/);
      assert.equal(cli(['cancel', '--out', phaseF]).status, 0);

      // The study resumed on the hub through SLURM (the cancelled job is to be redone), held: Phase F's root
      // keeps off, locally and through SLURM.
      const study = cli(['run', ...TINY, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--detach', '--out', hub]);
      assert.equal(study.status, 0, study.stderr);
      const localF = cli(reconstruct);
      assert.equal(localF.status, 2);
      assert.match(last(localF), new RegExp(`^ptychostudy reconstruct: ${esc(phaseF)}: SLURM jobs of ${esc(hub)}, which write this root, are queued or running`));
      const submitF = cli([...reconstruct, '--executor', 'slurm', '--detach']);
      assert.equal(submitF.status, 2);
      assert.match(last(submitF), /a second submission would write beside them/);
      assert.equal(cli(['cancel', '--out', hub]).status, 0);

      // Nothing queued any more: the local command runs and redoes the job the cancelled study left failed.
      const failedKey = (r: { dose: number; view: string; split: string }): boolean => r.view === 'sparse' && r.split === 'test';
      const before = ManifestSchema.parse(json(join(phaseF, 'reconstruction_manifest.json')));
      assert.deepEqual(before.execution_results.filter((r) => r.status !== 'success').map(failedKey), [true], 'the cancelled job is on record as failed');
      const after = cli(reconstruct);
      assert.equal(after.status, 0, after.stderr);
      assert.ok(existsSync(gone));
      const manifest = ManifestSchema.parse(json(join(phaseF, 'reconstruction_manifest.json')));
      assert.equal(manifest.execution_results.filter((r) => r.status === 'success').length, 6);
      assert.deepEqual(manifest.execution_results.find(failedKey)!.history.map((h) => h.status).at(-1), 'failed', 'the failure is kept in the job\'s history');

      // Phase C rewritten by another command with another seed: a resume through SLURM is refused before it submits
      const jobsBefore = readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8');
      assert.equal(cli(['generate', '--out', join(hub, 'phase_c'), '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--seed', '7', '--overwrite']).status, 0);
      const rewritten = cli(['run', ...TINY, '--executor', 'slurm', '--detach', '--out', hub]);
      assert.equal(rewritten.status, 2, rewritten.stderr);
      assert.match(last(rewritten), new RegExp(`^ptychostudy run: ${esc(join(hub, 'phase_c', 'run_manifest.json'))}: Phase C no longer holds what this hub's run made`));
      assert.equal(readFileSync(join(hub, 'slurm', 'jobs.json'), 'utf8'), jobsBefore, 'nothing was submitted');
    } finally {
      cleanUp(phaseF);
      cleanUp(hub);
    }
  });

test('a refused submission: one line with sbatch\'s reason and the options asked, exit code 2 (a bad option), recorded; `ptychostudy cancel` records every task as cancelled, and says so when scancel refuses',
  { skip, timeout: 300_000 }, async () => {
    const dir = tempDir('slurm-errors');
    const bad = join(dir, 'bad');
    const r = cli(['run', ...TINY, '--slurm-partition', 'no-such-partition', '--out', bad]);
    assert.equal(r.status, 2, r.stderr); // was 1: a partition the cluster does not have is the user's option
    const lines = r.stderr.trim().split('\n');
    const asked = '; the job asked --partition=no-such-partition (execution.slurm, which a hub keeps for its next runs: --slurm-partition, --slurm-account, ' +
      '--slurm-qos, --slurm-time, --slurm-cpus-per-task, --slurm-mem or --slurm-sbatch-arg give another)';
    assert.equal(lines.at(-1), `ptychostudy run: sbatch refused the generate job (slurm/generate.sbatch): sbatch: error: Batch job submission failed: Invalid partition name specified${asked}`);
    // run again without the flag, the hub's settings ask the same partition: the refusal says which and where from (was: sbatch's line alone)
    const again = cli(['run', '--executor', 'slurm', '--out', bad]);
    assert.equal(again.status, 2, again.stderr);
    assert.equal(again.stderr.trim().split('\n').at(-1), `ptychostudy run: sbatch refused the generate job (slurm/generate.2.sbatch): sbatch: error: Batch job submission failed: Invalid partition name specified${asked}`);
    const jobs = JobsRecordSchema.parse(json(join(bad, 'slurm', 'jobs.json')));
    assert.equal(jobs.submissions[1]!.rejected!.message, 'sbatch: error: Batch job submission failed: Invalid partition name specified');
    assert.equal(jobs.submissions[0]!.rejected!.message, 'sbatch: error: Batch job submission failed: Invalid partition name specified');
    const state = json<{ status: string; phases: Record<string, { status: string; detail: string }> }>(join(bad, 'run.json'));
    assert.equal(state.status, 'failed');
    assert.equal(state.phases['generate']!.status, 'failed');
    assert.match(state.phases['generate']!.detail, /Invalid partition name/);
    const st = cli(['status', '--hub', bad]);
    assert.equal(st.status, 1);
    assert.match(st.stdout, /sbatch refused the generate job: sbatch: error: Batch job submission failed: Invalid partition name specified/);

    const held = join(dir, 'held hub');
    const sub = cli(['run', ...TINY, '--executor', 'slurm', '--slurm-sbatch-arg=--hold', '--detach', '--out', held]);
    assert.equal(sub.status, 0, sub.stderr);
    try {
      // The commands it prints can be pasted into a shell as they are: the path with a space is quoted.
      assert.ok(sub.stderr.includes(`follow: ptychostudy status --out '${held}' --wait · cancel: ptychostudy cancel --out '${held}'`), sub.stderr);
      // A local run refuses to write beside queued SLURM jobs (--executor local: the hub's own settings say slurm).
      const local = cli(['run', ...TINY, '--executor', 'local', '--out', held]);
      assert.equal(local.status, 2);
      assert.match(local.stderr, /SLURM jobs of this hub are queued or running/);
      assert.ok(local.stderr.includes(`(\`ptychostudy status --out '${held}' --wait\`)`), local.stderr);
      // Following with `status --wait`: Ctrl-C, arriving again while the first is handled (as under npm or
      // `timeout -s INT`), stops following with its message and exit 130, and cancels nothing.
      const follower = spawn(process.execPath, [CLI, 'status', '--hub', held, '--wait'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let followed = '';
      let signals: NodeJS.Timeout | undefined;
      follower.stderr!.on('data', (b: Buffer) => {
        followed += b.toString();
        if (signals === undefined) signals = setInterval(() => { if (follower.exitCode === null && follower.signalCode === null) follower.kill('SIGINT'); }, 1);
      });
      const [fCode, fSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => follower.once('close', (c, s) => done([c, s])));
      clearInterval(signals);
      assert.equal(fSignal, null, `killed by ${fSignal} before it said what it stopped: ${followed.slice(-300)}`);
      assert.equal(fCode, 130, followed);
      assert.match(followed, /stopped following\. Nothing was cancelled/);
      // A scancel that refuses (another user's jobs): nothing is said or recorded as cancelled, exit code 1.
      const fakeBin = join(dir, 'bin');
      mkdirSync(fakeBin);
      writeFileSync(join(fakeBin, 'scancel'), '#!/bin/bash\nfor id in "$@"; do echo "scancel: error: Kill job error on job id $id: Access/permission denied" >&2; done\nexit 1\n', { mode: 0o755 });
      // squeue as it is, each call counted: jobs scancel refused by name are not waited for (they were polled for a minute)
      const polls = join(dir, 'squeue-calls');
      const realSqueue = spawnSync('bash', ['-c', 'command -v squeue'], { encoding: 'utf8' }).stdout.trim();
      writeFileSync(join(fakeBin, 'squeue'), `#!/bin/bash\necho >> '${polls}'\nexec '${realSqueue}' "$@"\n`, { mode: 0o755 });
      const refused = cli(['cancel', '--hub', held], { ...process.env, PATH: `${fakeBin}:${process.env.PATH ?? ''}` });
      assert.equal(refused.status, 1, refused.stderr);
      assert.ok(readFileSync(polls, 'utf8').length <= 3, `squeue called ${readFileSync(polls, 'utf8').length} times by a cancel whose scancel refused every job`);
      assert.doesNotMatch(refused.stderr, /^cancelled/m);
      assert.match(refused.stderr, /^ptychostudy cancel: SLURM jobs \d+, \d+, \d+, \d+, \d+ of .* are still queued or running \(scancel: .*Access\/permission denied\)/m);
      assert.deepEqual(JobsRecordSchema.parse(json(join(held, 'slurm', 'jobs.json'))).submissions[0]!.cancelled, []);
      // One phase alone (as `status` names it): only its job is cancelled and recorded; the others stay queued.
      const submitted = JobsRecordSchema.parse(json(join(held, 'slurm', 'jobs.json'))).submissions[0]!;
      const jobOf = (step: string): string => submitted.steps.find((x) => x.step === step)!.job_id!;
      const badPhase = cli(['cancel', '--hub', held, '--phase', 'report']);
      assert.equal(badPhase.status, 2);
      assert.match(badPhase.stderr, /--phase report: expected one of generate, overlap, reconstruct, compare \(or its letter: C, D, F, G\)/);
      const g = cli(['cancel', '--hub', held, '--phase', 'G']);
      assert.equal(g.status, 0, g.stderr);
      assert.equal(g.stderr, `cancelled SLURM jobs ${jobOf('compare')} (compare)\n`);
      const queued = spawnSync('squeue', ['--noheader', '--format', '%F', '--jobs', submitted.steps.map((x) => x.job_id).join(',')], { encoding: 'utf8' });
      assert.deepEqual([...new Set(queued.stdout.trim().split('\n'))].sort(), ['generate', 'overlap', 'reconstruct', 'finish'].map(jobOf).sort());
      assert.deepEqual(JobsRecordSchema.parse(json(join(held, 'slurm', 'jobs.json'))).submissions[0]!.cancelled.map((x) => x.job_ids), [[jobOf('compare')]]);
      const again = cli(['cancel', '--hub', held, '--phase', 'compare']);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /: no SLURM job of this hub's compare phase is queued or running; nothing to cancel$/m);
      const c = cli(['cancel', '--hub', held]);
      assert.equal(c.status, 0, c.stderr);
      assert.match(c.stderr, /^cancelled SLURM jobs \d+, \d+, \d+, \d+\n/);
      const view = JSON.parse(cli(['status', '--hub', held, '--json']).stdout) as {
        active: boolean; finish: { exit_code: number } | null; cancelled: { job_ids: string[] }[]; steps: { step: string; failures: { message: string }[] }[];
      };
      assert.equal(view.active, false);
      assert.equal(view.finish!.exit_code, 1);
      assert.deepEqual(view.cancelled.map((x) => x.job_ids.length), [1, 4]);
      assert.match(view.steps.find((s) => s.step === 'compare')!.failures[0]!.message, /^cancelled/);
      const gen = view.steps.find((s) => s.step === 'generate')!;
      assert.match(gen.failures[0]!.message, /^cancelled before it started: it never ran \(JobState=CANCELLED, Reason=JobHeldUser\)/);
      const m = json<Record<string, { status: string; error: string }>>(join(held, 'phase_c', 'run_manifest.json'));
      assert.equal(m['dose_10000']!.status, 'failed');
      assert.match(m['dose_10000']!.error, /cancelled before it started: it never ran \(JobState=CANCELLED/);
    } finally {
      cleanUp(held); // a failed assertion leaves no held job queued
    }
  });

test('generate on SLURM with --overwrite and another seed keeps every replaced dose under history/, each task in a directory of its own',
  { skip, timeout: 300_000 }, () => {
    const out = join(tempDir('slurm-overwrite'), 'phase_c');
    const args = ['generate', '--out', out, '--preset', 'quick', '--dose', '1e3', '--dose', '1e4', '--n-images', '30'];
    try {
      assert.equal(cli([...args, '--seed', '5']).status, 0);
      const doses = ['dose_1000', 'dose_10000'];
      const before = new Map(doses.map((d) => [d, readFileSync(join(out, d, 'patched_train.npz'))]));
      const manifestBefore = readFileSync(join(out, 'run_manifest.json'));
      // two CPUs a task: on a node of two the second task starts once the first has merged its dose (the order that
      // made the kept manifests differ), on a larger one beside it
      const r = cli([...args, '--seed', '6', '--overwrite', '--executor', 'slurm', '--slurm-tasks', '2', '--slurm-cpus-per-task', '2']);
      assert.equal(r.status, 0, r.stderr);
      const kept = readdirSync(join(out, 'history')).sort();
      assert.equal(kept.length, 2, `one directory per task: ${kept.join(', ')}`);
      const earlier = JSON.parse(manifestBefore.toString('utf8')) as Record<string, unknown>;
      for (const d of doses) {
        assert.ok(!readFileSync(join(out, d, 'patched_train.npz')).equals(before.get(d)!), `${d}: seed 6 wrote new data`);
        const holders = kept.filter((k) => existsSync(join(out, 'history', k, d, 'patched_train.npz')));
        assert.equal(holders.length, 1, `${d} kept once: ${holders.join(', ')}`);
        assert.ok(readFileSync(join(out, 'history', holders[0]!, d, 'patched_train.npz')).equals(before.get(d)!), `${d}: not the earlier file`);
        // each task keeps the manifest as it found when it started: a task that started after the other's merge finds
        // that dose's new entry there, but the entry of the dose it replaced is the earlier one
        const keptManifest = json<Record<string, unknown>>(join(out, 'history', holders[0]!, 'run_manifest.json'));
        assert.deepEqual(keptManifest[d], earlier[d], `${d}: the manifest kept with it describes the earlier data`);
      }
      // the first task to start found the manifest as the local run wrote it: it is kept whole
      assert.ok(kept.some((k) => readFileSync(join(out, 'history', k, 'run_manifest.json')).equals(manifestBefore)), 'the earlier manifest is kept');
    } finally {
      cleanUp(out);
    }
  });

test('status and cancel of a folder that does not exist say so (a mistyped hub), and of a local hub that it has no SLURM jobs', () => {
  const dir = tempDir('slurm-no-hub');
  const missing = join(dir, 'hbu');
  for (const cmd of ['status', 'cancel']) {
    const r = cli([cmd, '--out', missing], { ...process.env, PATH: '' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), `ptychostudy ${cmd}: --out ${missing}: expected a hub folder; found no such folder`);
  }
  const r = cli(['status', '--out', dir], { ...process.env, PATH: '' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no SLURM jobs were submitted from here \(no .*jobs\.json\)/);
});
