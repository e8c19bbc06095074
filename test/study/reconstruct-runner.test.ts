import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestSchema, SkipSummarySchema, type Manifest, type SkipSummary } from '../../src/study/hub/reconstruction-files.js';
import { InputError, UsageError } from '../../src/errors.js';
import { saveNpz } from '../../src/npy/npz.js';
import { phaseF, testEngine, tmp, writeTree } from './reconstruct-helpers.js';

const readManifest = (artifact: string, dir = ''): Manifest =>
  ManifestSchema.parse(JSON.parse(readFileSync(join(artifact, dir, 'reconstruction_manifest.json'), 'utf8')));
const readSkip = (artifact: string, dir = ''): SkipSummary =>
  SkipSummarySchema.parse(JSON.parse(readFileSync(join(artifact, dir, 'skip_summary.json'), 'utf8')));

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

test('a job\'s warnings are in its reconstruction.log, one line each, after the completion line', async () => {
  const root = tmp('runner-warnings');
  const t = writeTree(root);
  const engine = testEngine();
  const warning = 'probePlan {start: 60, stop: null, stride: 1} schedules none of this run\'s epochs (epochs 1–2 update; epoch 0 only rescales the probe): the probe is never updated';
  const s = await phaseF({
    phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { dose: 1000, view: 'dense', split: 'train' },
    settings: { epochs: 3 }, executor: async (o, p) => ({ ...(await engine.executor(o, p)), warnings: [warning, 'second'] }),
  });
  assert.equal(s.exitCode, 0);
  const log = readFileSync(join(t.artifact, 'dose_1000', 'dense', 'train', 'reconstruction.log'), 'utf8');
  assert.match(log, new RegExp(`LSQML reconstruction completed: [^\\n]*\\nwarning: ${warning.replace(/[{}()]/g, '\\$&')}\\nwarning: second\\n$`));
});

test('--dose 1000 --view dense: two results (one failed), metadata merged with the right types, two logs', async () => {
  const root = tmp('runner-dense');
  const t = writeTree(root);
  const engine = testEngine(/dense_test/);
  const s = await phaseF({
    phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { dose: 1000, view: 'dense' },
    settings: { epochs: 3 }, executor: engine.executor, jobs: 2,
  });
  assert.equal(s.exitCode, 1);
  assert.equal(s.succeeded, 1);
  assert.equal(s.failed, 1);
  assert.equal(engine.calls.length, 2);
  for (const c of engine.calls) assert.equal(c.settings.threads, 1, 'two jobs at once → one thread each');

  const m = readManifest(t.artifact);
  assert.equal(m.total_jobs, 18);
  assert.equal(m.filtered_jobs, 2);
  assert.deepEqual(m.jobs.map((j) => [j.dose, j.view, j.split]), [[1000, 'dense', 'train'], [1000, 'dense', 'test']]);
  const [train, testRes] = m.execution_results;
  assert.equal(train!.split, 'train');
  assert.equal(train!.returncode, 0);
  assert.equal(train!.status, 'success');
  assert.equal(testRes!.split, 'test');
  assert.equal(testRes!.returncode, 1);
  assert.equal(testRes!.status, 'failed');
  assert.match(testRes!.error ?? '', /Invalid diffraction array shape/);
  for (const r of m.execution_results) {
    assert.ok(['direct', 'greedy'].includes(r.selection_strategy!));
    assert.equal(typeof r.acceptance_rate, 'number');
    assert.ok(r.acceptance_rate! >= 0 && r.acceptance_rate! <= 1);
    assert.equal(r.spacing_threshold, 38.4);
    assert.equal(r.n_accepted, 8);
    assert.equal(r.n_rejected, 2);
    assert.ok(Number.isInteger(r.n_accepted) && Number.isInteger(r.n_rejected));
    assert.equal(r.metadata, 'ok');
    // paths relative to the artifact root (a copied hub names its own files)
    assert.equal(r.log_path, `dose_1000/dense/${r.split}/reconstruction.log`);
    assert.equal(r.input_npz, `../phase_d/dose_1000/dense/dense_${r.split}.npz`);
    assert.ok(existsSync(join(t.artifact, r.log_path)));
    assert.match(r.input_sha256!, /^[0-9a-f]{64}$/);
    assert.equal(r.input_size, readFileSync(join(t.artifact, r.input_npz)).length);
    assert.match(r.started_at, /Z$/);
  }
  assert.deepEqual(m.provenance, { artifact_root: t.artifact, phase_c_root: t.phaseC, phase_d_root: t.phaseD });
  assert.equal(m.phase_d_root, '../phase_d');
  const trainLog = readFileSync(join(t.artifact, train!.log_path), 'utf8');
  assert.match(trainLog, /^# ptychostudy LSQML Reconstruction Log\n# Job: dose=1000, view=dense, split=train\n# Command: ptychostudy lsqml --input \.\.\/phase_d\/dose_1000\/dense\/dense_train\.npz --out dose_1000\/dense\/train .*\n# Return code: 0\n#={60}\n/);
  assert.match(trainLog, /epoch 3\/3 loss=/);
  assert.match(trainLog, /LSQML reconstruction completed/);
  const testLog = readFileSync(join(t.artifact, testRes!.log_path), 'utf8');
  assert.match(testLog, /# Return code: 1\n/);
  assert.match(testLog, /ERROR: Invalid diffraction array shape/);
  assert.ok(existsSync(join(t.artifact, 'dose_1000', 'dense', 'train', 'reconstruction.npz')));
  assert.ok(!existsSync(join(t.artifact, 'dose_1000', 'dense', 'test', 'reconstruction.npz')));

  const skip = readSkip(t.artifact);
  assert.equal(skip.skipped_count, 16);
  assert.equal(skip.missing_phase_d_count, 0);
  assert.match(m.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  // every write went through temp + rename: nothing temporary left behind
  assert.deepEqual(walk(t.artifact).filter((p) => /\.tmp-|\.staging-/.test(p)), []);
  rmSync(root, { recursive: true, force: true });
});

for (const [firstSplit, secondSplit] of [['train', 'test'], ['test', 'train']] as const) {
test(`sparse ${firstSplit} then sparse ${secondSplit} into one root: both results kept, two snapshots, the first byte-identical`, async () => {
  const root = tmp('runner-evidence');
  const t = writeTree(root);
  const engine = testEngine();
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, settings: { epochs: 2 }, executor: engine.executor, jobs: 1 };
  const first = await phaseF({ ...base, filters: { view: 'sparse', split: firstSplit } });
  assert.equal(first.exitCode, 0);
  assert.equal(engine.calls[0]!.settings.threads, null, 'one job at a time → the engine picks its threads');
  const manifestAfterFirst = readFileSync(join(t.artifact, 'reconstruction_manifest.json'));
  const skipAfterFirst = readFileSync(join(t.artifact, 'skip_summary.json'));

  const second = await phaseF({ ...base, filters: { view: 'sparse', split: secondSplit } });
  assert.equal(second.exitCode, 0);
  assert.notEqual(first.snapshotDir, second.snapshotDir);

  const m = readManifest(t.artifact);
  assert.deepEqual(m.execution_results.map((r) => `${r.dose}/${r.view}/${r.split}`),
    ['1000/sparse/train', '1000/sparse/test', '10000/sparse/train', '10000/sparse/test', '100000/sparse/train', '100000/sparse/test']);
  for (const r of m.execution_results) {
    assert.equal(r.status, 'success');
    assert.equal(r.history.length, 0);
    assert.equal(r.selection_strategy, 'greedy');
    assert.equal(r.run_id, r.split === firstSplit ? first.runId : second.runId);
  }
  assert.equal(m.filtered_jobs, 6);
  assert.deepEqual(m.runs.map((r) => r.run_id), [first.runId, second.runId]);
  const skip = readSkip(t.artifact);
  assert.equal(skip.skipped_count, 12, 'the merged skip summary lists the jobs no run selected');
  assert.ok(skip.skipped_jobs.every((e) => e.view !== 'sparse'));

  const runs = readdirSync(join(t.artifact, 'runs')).sort();
  assert.equal(runs.length, 2);
  assert.deepEqual(readFileSync(join(first.snapshotDir, 'reconstruction_manifest.json')), manifestAfterFirst);
  assert.deepEqual(readFileSync(join(first.snapshotDir, 'skip_summary.json')), skipAfterFirst);
  assert.equal(statSync(join(first.snapshotDir, 'reconstruction_manifest.json')).mode & 0o222, 0, 'snapshot files are read-only');
  const snap2 = readManifest(second.snapshotDir);
  assert.deepEqual(snap2.execution_results.map((r) => r.split), [secondSplit, secondSplit, secondSplit]);
  assert.equal(readSkip(second.snapshotDir).skipped_count, 15);
  rmSync(root, { recursive: true, force: true });
});
}

test('resume: complete jobs are skipped; a changed input re-runs and the old result moves to history; --force re-runs', async () => {
  const root = tmp('runner-resume');
  const t = writeTree(root, { doses: [1000] });
  const engine = testEngine();
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], settings: { epochs: 2 }, executor: engine.executor, jobs: 2 };
  const r1 = await phaseF(base);
  assert.equal(r1.succeeded, 6);
  assert.equal(engine.calls.length, 6);

  const r2 = await phaseF(base);
  assert.equal(engine.calls.length, 6, 'nothing re-ran');
  assert.equal(r2.alreadyComplete, 6);
  assert.equal(r2.exitCode, 0);
  const own2 = readSkip(r2.snapshotDir);
  assert.equal(own2.skipped_jobs.filter((e) => e.reason === 'already complete').length, 6);
  assert.equal(readSkip(t.artifact).skipped_count, 0);

  // change one input: it is re-run
  const changed = join(t.phaseD, 'dose_1000', 'dense', 'dense_test.npz');
  const oldNpz = readFileSync(join(t.artifact, 'dose_1000', 'dense', 'test', 'reconstruction.npz'));
  saveNpz(changed, { xcoords: { dtype: '<f8', shape: [2], data: new Float64Array([1, 2]) },
    _metadata: { dtype: '<U2', shape: [], data: ['{}'] } });
  const r3 = await phaseF(base);
  assert.equal(engine.calls.length, 7);
  assert.equal(engine.calls[6]!.inputNpz, changed);
  assert.equal(r3.alreadyComplete, 5);
  const m3 = readManifest(t.artifact);
  const dt = m3.execution_results.find((r) => r.view === 'dense' && r.split === 'test')!;
  assert.equal(dt.run_id, r3.runId);
  assert.equal(dt.history.length, 1);
  assert.equal(dt.history[0]!.run_id, r1.runId);
  assert.ok(dt.history[0]!.archived_to);
  assert.deepEqual(readFileSync(join(t.artifact, dt.history[0]!.archived_to!, 'reconstruction.npz')), oldNpz, 'old output kept byte for byte');
  assert.ok(existsSync(join(t.artifact, dt.history[0]!.archived_to!, 'reconstruction.log')));
  // its new metadata is an object without the selection fields: listed, not invented
  assert.equal(dt.metadata, 'ok');
  assert.deepEqual(dt.metadata_missing_fields, ['selection_strategy', 'acceptance_rate', 'spacing_threshold', 'n_accepted', 'n_rejected']);
  assert.equal(dt.n_accepted, undefined);
  for (const r of m3.execution_results) if (r !== dt) assert.equal(r.run_id, r1.runId);

  const r4 = await phaseF({ ...base, force: true, filters: { view: 'dense', split: 'test' } });
  assert.equal(r4.executed, 1);
  const dt4 = readManifest(t.artifact).execution_results.find((r) => r.view === 'dense' && r.split === 'test')!;
  assert.deepEqual(dt4.history.map((h) => h.run_id), [r1.runId, r3.runId]);
  assert.equal(readdirSync(join(t.artifact, 'dose_1000', 'dense', 'test', 'history')).length, 2);

  // a finished job's reconstruction.npz replaced by a link to nothing is broken, not absent: refused, nothing re-run
  const rec = join(t.artifact, 'dose_1000', 'dense', 'train', 'reconstruction.npz');
  rmSync(rec);
  symlinkSync('gone.npz', rec);
  await assert.rejects(phaseF(base), (e: unknown) => e instanceof InputError &&
    e.message === `${rec}: the recorded reconstruction of a finished job is broken (a symbolic link to gone.npz, which does not exist); repair or remove it (nothing was written)`);
  assert.equal(engine.calls.length, 8, 'nothing re-ran');
  rmSync(root, { recursive: true, force: true });
});

test('a dry run never replaces real results; all sparse missing gives 12 jobs, 6 skipped', async () => {
  const root = tmp('runner-dry');
  const t = writeTree(root, { views: ['dense'] });
  const engine = testEngine();
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, allowMissingPhaseD: true, settings: { epochs: 2 }, executor: engine.executor };
  const dry = await phaseF({ ...base, dryRun: true });
  assert.equal(engine.calls.length, 0);
  assert.equal(dry.exitCode, 0);
  let m = readManifest(t.artifact);
  assert.equal(m.total_jobs, 12);
  assert.equal(m.filtered_jobs, 12);
  assert.equal(m.missing_jobs.length, 6);
  assert.ok(m.missing_jobs.every((j) => j.view === 'sparse' && /Phase D|not found/.test(j.reason)));
  assert.ok(m.execution_results.every((r) => r.status === 'dry_run' && r.returncode === 0 && r.stdout_preview.startsWith('[DRY RUN]')));
  let skip = readSkip(t.artifact);
  assert.equal(skip.skipped_count, 6);
  assert.equal(skip.missing_phase_d_count, 6);
  assert.ok(skip.skipped_jobs.every((e) => e.view === 'sparse' && /Phase D|not found/.test(e.reason)));
  assert.deepEqual(walk(t.artifact).filter((p) => !p.includes(`${join(t.artifact, 'runs')}`) && !p.endsWith('.json')), [], 'dry run: no job output');

  await phaseF({ ...base, filters: { dose: 1000, split: 'train' } });
  const dry2 = await phaseF({ ...base, dryRun: true });
  assert.equal(dry2.alreadyComplete, 2, 'a dry run reports what a real run would skip');
  assert.equal(dry2.results.length, 10);
  m = readManifest(t.artifact);
  const real = m.execution_results.filter((r) => r.status === 'success');
  assert.equal(real.length, 2);
  assert.ok(real.every((r) => r.history.length === 0));
  assert.equal(m.execution_results.filter((r) => r.status === 'dry_run').length, 10);
  skip = readSkip(t.artifact);
  assert.equal(skip.missing_phase_d_count, 6);
  rmSync(root, { recursive: true, force: true });
});

test('bad usage and bad roots write nothing; a corrupt manifest is left untouched', async () => {
  const root = tmp('runner-bad');
  const t = writeTree(root, { doses: [1000] });
  const engine = testEngine();
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], executor: engine.executor };
  await assert.rejects(phaseF({ ...base, filters: { gridsize: 3 } }), UsageError);
  await assert.rejects(phaseF({ ...base, jobs: 0 }), UsageError);
  await assert.rejects(phaseF({ ...base, settings: { epochs: -1 } }), UsageError);
  await assert.rejects(phaseF({ ...base, phaseCRoot: join(root, 'nope') }), InputError);
  rmSync(join(t.phaseD, 'dose_1000', 'sparse', 'sparse_test.npz'));
  await assert.rejects(phaseF(base), (e: unknown) => e instanceof InputError && /sparse_test\.npz/.test(e.message));
  assert.ok(!existsSync(t.artifact), 'nothing written');

  writeTree(root, { doses: [1000] });
  const bad = join(t.artifact, 'reconstruction_manifest.json');
  saveNpz(join(root, 'x.npz'), {});
  (await import('node:fs')).mkdirSync(t.artifact, { recursive: true });
  writeFileSync(bad, '{"schema_version": "1.0.0", "jobs": 3}');
  await assert.rejects(phaseF(base), (e: unknown) => e instanceof InputError && e.message.includes(bad));
  assert.equal(readFileSync(bad, 'utf8'), '{"schema_version": "1.0.0", "jobs": 3}');
  assert.ok(!existsSync(join(t.artifact, 'runs')));
  assert.equal(engine.calls.length, 0);
  rmSync(root, { recursive: true, force: true });
});

test('two runs into one root never interleave; a stale lock is taken over; same-second snapshots get distinct names', async () => {
  const root = tmp('runner-lock');
  const t = writeTree(root, { doses: [1000] });
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const slow: typeof engine.executor = async (o, p) => { await gate; return engine.executor(o, p); };
  const engine = testEngine();
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], settings: { epochs: 2 } };
  const first = phaseF({ ...base, filters: { view: 'baseline' }, executor: slow, jobs: 1 });
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(phaseF({ ...base, filters: { view: 'dense' }, executor: engine.executor }),
    (e: unknown) => e instanceof InputError && /another reconstruct run \(pid \d+\)/.test(e.message));
  release();
  assert.equal((await first).succeeded, 2);

  // a lock left by a process that no longer exists (e.g. killed) is taken over
  writeFileSync(join(t.artifact, '.reconstruct.lock'), '999999999\n');
  const after = await phaseF({ ...base, filters: { view: 'dense' }, executor: engine.executor });
  assert.equal(after.succeeded, 2);
  assert.ok(!existsSync(join(t.artifact, '.reconstruct.lock')));

  const { createUniqueDir } = await import('../../src/files/dirs.js');
  const parent = join(root, 'same-second');
  assert.equal(createUniqueDir(parent, '20261128T000000Z-all'), '20261128T000000Z-all');
  assert.equal(createUniqueDir(parent, '20261128T000000Z-all'), '20261128T000000Z-all-2');
  assert.equal(createUniqueDir(parent, '20261128T000000Z-all'), '20261128T000000Z-all-3');
  rmSync(root, { recursive: true, force: true });
});

test('inside a SLURM job Phase F runs at most as many jobs at once as SLURM gave the task CPUs (a task/none cluster leaves every core in the affinity mask)', async () => {
  const root = tmp('runner-slurm');
  const t = writeTree(root, { doses: [1000], views: ['dense'] });
  const engine = testEngine();
  const plans: number[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, { SLURM_JOB_ID: '6288', SLURM_CPUS_PER_TASK: '1', SLURM_CPUS_ON_NODE: '1' });
  try {
    await phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, allowMissingPhaseD: true, settings: { epochs: 2 }, executor: engine.executor },
      (e) => { if (e.type === 'plan') plans.push(e.concurrency); });
  } finally {
    for (const k of ['SLURM_JOB_ID', 'SLURM_CPUS_PER_TASK', 'SLURM_CPUS_ON_NODE']) {
      if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
  }
  assert.equal(engine.calls.length, 4, 'baseline and dense, train and test');
  assert.deepEqual(plans, [1], 'one job at a time on the one CPU SLURM gave');
  assert.ok(engine.calls.every((c) => c.settings.threads === null || c.settings.threads === undefined), 'the job takes the engine\'s default threads (1 there)');
});
