// End to end with the real LSQML engine on a small study made with the quick preset's geometry
// (N = 64, 320×320 object; 200 positions at one dose): Phase C → Phase D → `ptychostudy reconstruct`.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import { runOverlap } from '../../src/study/overlap/phase.js';
import { NpzReader, saveNpz } from '../../src/npy/npz.js';
import { c64 } from '../../src/npy/types.js';
import { ManifestSchema, SkipSummarySchema } from '../../src/study/hub/reconstruction-files.js';
import { tmp } from '../study/reconstruct-helpers.js';

const cli = 'dist/src/cli/main.js';
let root = '';
let phaseC = '';
let phaseD = '';

before(async () => {
  root = tmp('e2e');
  phaseC = join(root, 'phase_c');
  phaseD = join(root, 'phase_d');
  const settings = parseStudySettings({ preset: 'quick', simulation: { nPositions: 200, doses: [1000] } });
  await runSimulation(settings, { outputRoot: phaseC, timestamp: null });
  await runOverlap(settings, { phaseCRoot: phaseC, outputRoot: phaseD });
});

after(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

const manifestOf = (artifact: string, dir = '') => ManifestSchema.parse(JSON.parse(readFileSync(join(artifact, dir, 'reconstruction_manifest.json'), 'utf8')));
const skipOf = (artifact: string, dir = '') => SkipSummarySchema.parse(JSON.parse(readFileSync(join(artifact, dir, 'skip_summary.json'), 'utf8')));

test('a real run of --dose 1000 --view dense: two reconstructions, logs, metadata from Phase D', () => {
  const artifact = join(root, 'f-dense');
  const r = spawnSync(process.execPath, [cli, 'reconstruct', '--phase-c-root', phaseC, '--phase-d-root', phaseD, '--artifact-root', artifact,
    '--doses', '1000', '--dose', '1000', '--view', 'dense', '--epochs', '3', '--batch-size', '16', '--jobs', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /6 jobs in the matrix, 2 selected, 4 skipped by the filters, 0 already complete\n {2}executed 2:/);
  const m = manifestOf(artifact);
  assert.equal(m.execution_results.length, 2);
  assert.equal(skipOf(artifact).skipped_count, 4);
  for (const rec of m.execution_results) {
    // paths are relative to the artifact root
    const at = (p: string | null): string => join(artifact, p!);
    const res = { ...rec, input_npz: at(rec.input_npz), reconstruction_npz: at(rec.reconstruction_npz), reconstruction_png: at(rec.reconstruction_png), log_path: at(rec.log_path) };
    assert.equal(res.status, 'success', res.error ?? '');
    assert.equal(res.epochs_run, 3);
    // the selection facts are those written by Phase D into this very input
    const reader = NpzReader.open(res.input_npz);
    const n = reader.get('xcoords').shape[0];
    reader.close();
    assert.equal(res.selection_strategy, 'greedy');
    assert.equal(res.insufficient_positions, false);
    assert.equal(res.n_accepted, n);
    assert.equal(res.n_positions, n);
    assert.ok(Number.isInteger(res.n_rejected) && res.n_rejected! > 0);
    assert.ok(res.acceptance_rate! > 0 && res.acceptance_rate! < 1);
    assert.ok(Math.abs(res.acceptance_rate! - n / (n + res.n_rejected!)) < 1e-12);
    assert.ok(Math.abs(res.spacing_threshold! - 0.3 * 64) < 1e-9);
    // outputs
    const out = NpzReader.open(res.reconstruction_npz);
    const obj = out.get('reconstructed_object');
    out.close();
    const input = NpzReader.open(res.input_npz);
    assert.deepEqual(obj.shape, input.get('objectGuess').shape);
    input.close();
    assert.ok(existsSync(res.reconstruction_png));
    const png = readFileSync(res.reconstruction_png);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const log = readFileSync(res.log_path, 'utf8');
    assert.match(log, new RegExp(`^# ptychostudy LSQML Reconstruction Log\\n# Job: dose=1000, view=dense, split=${res.split}\\n# Command: ptychostudy lsqml --input \\S+dense_${res.split}\\.npz .*--threads 1\\n# Return code: 0\\n`));
    assert.match(log, /epoch 3\/3 loss=/);
  }
});

test('SIGKILL mid-run leaves the previous complete manifest; the re-run finishes only the missing jobs', async () => {
  const artifact = join(root, 'f-kill');
  const args = [cli, 'reconstruct', '--phase-c-root', phaseC, '--phase-d-root', phaseD, '--artifact-root', artifact,
    '--doses', '1000', '--view', 'dense', '--epochs', '6', '--batch-size', '16', '--n-images', '40', '--jobs', '1'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => { exitCode = code; resolve(); }));
  const manifestPath = join(artifact, 'reconstruction_manifest.json');
  let recorded = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000 && exitCode === undefined) {
    await new Promise((r) => setTimeout(r, 25));
    if (!existsSync(manifestPath)) continue;
    recorded = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { execution_results: unknown[] }).execution_results.length;
    if (recorded >= 1) break;
  }
  assert.ok(recorded >= 1, `a first result landed in the manifest (exit ${exitCode}): ${stderr}`);
  assert.equal(exitCode, undefined, 'the run was still going when it was killed');
  child.kill('SIGKILL');
  await exited;

  const killed = manifestOf(artifact); // parses and matches the schema: a complete version
  assert.equal(killed.execution_results.length, 1, 'killed after the first of two jobs');
  assert.equal(killed.runs.length, 1);
  assert.equal(killed.runs[0]!.finished_at, null, 'the interrupted run is visible as unfinished');
  const doneBefore = new Map(killed.execution_results.map((r) => [`${r.view}/${r.split}`, r]));

  const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.ok(again.status === 0 || again.status === 1, again.stderr);
  const m = manifestOf(artifact);
  assert.equal(m.execution_results.length, 2);
  const rerun = m.runs[1]!;
  assert.notEqual(rerun.finished_at, null);
  const own = skipOf(artifact, rerun.snapshot);
  const complete = own.skipped_jobs.filter((e) => e.reason === 'already complete').map((e) => `${e.view}/${e.split}`).sort();
  const successBefore = [...doneBefore.values()].filter((r) => r.status === 'success').map((r) => `${r.view}/${r.split}`).sort();
  assert.deepEqual(complete, successBefore, 'every job that had finished is skipped as already complete');
  assert.equal(rerun.executed, 2 - complete.length);
  for (const r of m.execution_results) {
    const before = doneBefore.get(`${r.view}/${r.split}`);
    if (before !== undefined && before.status === 'success') {
      assert.equal(r.run_id, before.run_id);
      assert.equal(r.history.length, 0);
    } else {
      assert.equal(r.run_id, rerun.run_id);
    }
    assert.deepEqual(readdirSync(join(artifact, r.output_dir)).filter((f) => f.startsWith('.staging-')), [], 'staging of the killed job removed');
  }
  assert.equal(readdirSync(join(artifact, 'runs')).length, 2);
});

test('what a killed job left in its staging directory (its log so far) is kept in history/interrupted-<run id>/ when the job runs again', () => {
  const artifact = join(root, 'f-interrupted');
  const jobDir = join(artifact, 'dose_1000', 'dense', 'train');
  // as a job killed in its third epoch leaves it (staging directories are named .staging-<run id>), and one killed before its first
  const partial = 'epoch 0 loss 1.0e+2 seconds 0.1\nepoch 1 loss 5.0e+1 seconds 0.1\n';
  mkdirSync(join(jobDir, '.staging-20261205T000000Z-dead'), { recursive: true });
  writeFileSync(join(jobDir, '.staging-20261205T000000Z-dead', 'lsqml.log'), partial);
  mkdirSync(join(jobDir, '.staging-20261205T000001Z-dead'));
  const r = spawnSync(process.execPath, [cli, 'reconstruct', '--phase-c-root', phaseC, '--phase-d-root', phaseD, '--artifact-root', artifact,
    '--doses', '1000', '--view', 'dense', '--split', 'train', '--epochs', '2', '--batch-size', '16', '--n-images', '40', '--jobs', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(jobDir).filter((f) => f.startsWith('.')), [], 'no staging directory left');
  assert.deepEqual(readdirSync(join(jobDir, 'history')), ['interrupted-20261205T000000Z-dead'], 'the empty one removed, the other kept');
  assert.deepEqual(readdirSync(join(jobDir, 'history', 'interrupted-20261205T000000Z-dead')), ['lsqml.log']);
  assert.equal(readFileSync(join(jobDir, 'history', 'interrupted-20261205T000000Z-dead', 'lsqml.log'), 'utf8'), partial);
  assert.ok(existsSync(join(jobDir, 'reconstruction.npz')));
});

test('--init-probe file: of another size than the inputs\' patterns is refused before anything is written', () => {
  const probe = join(root, 'probe32.npz');
  saveNpz(probe, { probeGuess: c64([32, 32], new Float32Array(2 * 32 * 32).fill(1)) });
  const artifact = join(root, 'f-probe32');
  const args = ['reconstruct', '--phase-c-root', phaseC, '--phase-d-root', phaseD, '--artifact-root', artifact,
    '--doses', '1000', '--epochs', '2', '--init-probe', `file:${probe}`];
  for (const extra of [[], ['--dry-run']]) {
    const r = spawnSync(process.execPath, [cli, ...args, ...extra], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^ptychostudy reconstruct: \S+probe32\.npz: key 'probeGuess': expected .*\[64, 64\].*; found .*\[32, 32\]/);
    assert.equal(existsSync(artifact), false, 'nothing written');
  }
  // a probe of the patterns' size passes the check (the dry run then plans every job)
  const probe64 = join(root, 'probe64.npz');
  saveNpz(probe64, { probeGuess: c64([64, 64], new Float32Array(2 * 64 * 64).fill(1)) });
  const ok = spawnSync(process.execPath, [cli, ...args.slice(0, -1), `file:${probe64}`, '--dry-run'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
});
