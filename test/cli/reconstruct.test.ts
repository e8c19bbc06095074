import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { c128, c64, f32, f64 } from '../../src/npy/types.js';
import { tmp, writeTree } from '../study/reconstruct-helpers.js';

const cli = 'dist/src/cli/main.js';
const run = (args: string[]) => spawnSync(process.execPath, [cli, 'reconstruct', ...args], { encoding: 'utf8' });
const json = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;

test('dry run of one job: preview printed, nothing executed, exit 0, 17 skipped', () => {
  const root = tmp('cli-dry');
  const t = writeTree(root);
  const r = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--artifact-root', t.artifact,
    '--dose', '1000', '--view', 'dense', '--split', 'train', '--dry-run', '--allow-missing-phase-d']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[DRY RUN\] Would execute: ptychostudy lsqml --input \S+dense_train\.npz --out \S+dose_1000\/dense\/train .*--epochs 50 --batch-size 96/);
  assert.match(r.stdout, /\[DRY RUN\] Would log to: \S+dose_1000\/dense\/train\/reconstruction\.log/);
  assert.doesNotMatch(r.stdout, /With settings not on that line/, 'the defaults need nothing beyond the command');
  const m = json(join(t.artifact, 'reconstruction_manifest.json'));
  assert.equal(m.total_jobs, 18);
  assert.equal(m.filtered_jobs, 1);
  assert.deepEqual([m.jobs[0].dose, m.jobs[0].view, m.jobs[0].split], [1000, 'dense', 'train']);
  assert.equal(m.jobs[0].algorithm, 'LSQML');
  assert.equal(m.jobs[0].num_epochs, 50);
  const s = json(join(t.artifact, 'skip_summary.json'));
  assert.equal(s.skipped_count, 17);
  assert.equal(s.skipped_jobs.length, 17);
  assert.ok(!existsSync(join(t.artifact, 'dose_1000')), 'no job directory made');
  assert.equal(readdirSync(join(t.artifact, 'runs')).length, 1);
  rmSync(root, { recursive: true, force: true });
});

test('dry run with a settings file: a flag over it is noted, and the lsqml command line names the file for the settings it has no flag for', () => {
  const root = tmp('cli-dry-config');
  const t = writeTree(root);
  const file = join(root, 'study.yaml');
  writeFileSync(file, 'reconstruction:\n  epochs: 80\n  batchSize: 32\n  objectStepSizeScaler: 0.8\n  probePlan: { start: 5 }\n  precision: float64\n');
  const r = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact, '--config', file,
    '--dose', '1000', '--view', 'dense', '--split', 'train', '--dry-run', '--allow-missing-phase-d', '--epochs', '7', '--batch-size', '32']);
  assert.equal(r.status, 0, r.stderr);
  // the flag wins over the file, and says so (a flag that repeats the file's value says nothing)
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('note:')),
    [`note: the command line's reconstruction.epochs 7 was used, not ${file}'s 80`]);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('[DRY RUN] Would execute: ptychostudy lsqml'));
  assert.match(lines[at]!, / --epochs 7 --batch-size 32 /);
  // objectStepSizeScaler, probePlan and precision have no flag on that line: the file gives them, as it gave them here
  assert.ok(lines[at]!.startsWith(`[DRY RUN] Would execute: ptychostudy lsqml --config ${file} --input `), lines[at]);
  assert.match(lines[at + 1]!, /^\[DRY RUN\] Would log to: /);
  rmSync(root, { recursive: true, force: true });
});

test('all sparse inputs missing with --allow-missing-phase-d: 12 jobs, 6 skipped, missing_phase_d_count 6', () => {
  const root = tmp('cli-missing');
  const t = writeTree(root, { views: ['dense'] });
  const r = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--artifact-root', t.artifact, '--allow-missing-phase-d', '--dry-run']);
  assert.equal(r.status, 0, r.stderr);
  const m = json(join(t.artifact, 'reconstruction_manifest.json'));
  assert.equal(m.total_jobs, 12);
  assert.equal(m.missing_jobs.length, 6);
  assert.ok(m.missing_jobs.every((j: { view: string }) => j.view === 'sparse'));
  const s = json(join(t.artifact, 'skip_summary.json'));
  assert.equal(s.skipped_count, 6);
  assert.equal(s.missing_phase_d_count, 6);
  assert.ok(s.skipped_jobs.every((j: { view: string; reason: string }) => j.view === 'sparse' && /Phase D|not found/.test(j.reason)));

  // without the flag: exit 2, the message names the missing file, nothing written
  const art2 = join(root, 'art2');
  const r2 = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--artifact-root', art2]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /^ptychostudy reconstruct: Phase D overlap NPZ not found: \S+dose_1000\/sparse\/sparse_train\.npz/);
  assert.equal(r2.stderr.trim().split('\n').length, 1);
  assert.ok(!existsSync(art2));
  rmSync(root, { recursive: true, force: true });
});

test('the inputs of the whole matrix are looked for before the filters apply (docs/reconstruct.md, Jobs)', () => {
  const root = tmp('cli-missing-filtered');
  const t = writeTree(root, { views: ['dense'] });
  const r = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--artifact-root', t.artifact, '--view', 'dense', '--dry-run']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ptychostudy reconstruct: Phase D overlap NPZ not found: \S+dose_1000\/sparse\/sparse_train\.npz/);
  assert.ok(!existsSync(t.artifact));
  rmSync(root, { recursive: true, force: true });
});

test('bad usage is exit 2 with one line and nothing written', () => {
  const root = tmp('cli-usage');
  const t = writeTree(root, { doses: [1000] });
  const common = ['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--artifact-root', t.artifact, '--doses', '1000'];
  const cases: Array<[string[], RegExp]> = [
    [['--gridsize', '3'], /--gridsize 3: expected 1 \(baseline\) or 2/],
    [['--dose', 'lots'], /--dose: expected a positive number of photons per pattern, found 'lots'/],
    [['--dose', '500'], /--dose 500\.0: not one of the study's doses/],
    [['--view', 'medium'], /--view medium: expected one of baseline, dense, sparse/],
    [['--epochs', '0'], /--epochs 0: expected a positive integer/],
    [['--jobs', '1.5'], /--jobs 1\.5: expected an integer/],
    [['--noise-model', 'laplace'], /--noise-model laplace/],
    // a filter given twice selects one value: refused, never the last one silently kept
    [['--view', 'dense', '--view', 'sparse'], /--view: one view at a time, found dense, sparse/],
    [['--split', 'train', '--split', 'test'], /--split: one split at a time, found train, test/],
    [['--gridsize', '1', '--gridsize', '2'], /--gridsize: one gridsize at a time, found 1, 2/],
    // two doses of one dose_<D> directory would be two jobs writing one job directory
    [['--doses', '1000,1000'], /--doses: dose 1000 is given twice/],
    [['--doses', '1000,1000.5'], /--doses: doses 1000 and 1000\.5 would share the directory dose_1000/],
  ];
  for (const [extra, msg] of cases) {
    const r = run([...common, ...extra]);
    assert.equal(r.status, 2, extra.join(' '));
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const noRoot = run(['--phase-d-root', t.phaseD, '--artifact-root', t.artifact]);
  assert.equal(noRoot.status, 2);
  assert.match(noRoot.stderr, /--phase-c-root is required/);
  const badRoot = run(['--phase-c-root', join(root, 'nothing'), '--phase-d-root', t.phaseD, '--artifact-root', t.artifact]);
  assert.equal(badRoot.status, 2);
  assert.match(badRoot.stderr, /--phase-c-root \S+nothing: not a directory/);
  assert.ok(!existsSync(t.artifact), 'nothing written');
  // the same value twice is the same filter
  const twice = run([...common, '--view', 'dense', '--view', 'dense', '--split', 'train', '--dry-run', '--allow-missing-phase-d']);
  assert.equal(twice.status, 0, twice.stderr);
  assert.equal(json(join(t.artifact, 'reconstruction_manifest.json')).filtered_jobs, 1);
  rmSync(root, { recursive: true, force: true });
});

test('a Phase C root without the study\'s doses: the error says which doses it holds and that --doses names them', () => {
  const root = tmp('cli-doses');
  const t = writeTree(root, { doses: [1000] });
  const r = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact, '--dose', '1000', '--dry-run']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ptychostudy reconstruct: Phase C baseline NPZ not found: \S+dose_10000\/patched_train\.npz\./);
  assert.match(r.stderr, /\(--doses: 1000, 10000, 100000\) make the job matrix, whatever the filters keep; \S+ holds dose_1000: name its doses with --doses\.$/m);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(t.artifact), 'nothing written');
  // a root that holds the dose but lacks one file: no such hint
  rmSync(join(t.phaseC, 'dose_1000', 'patched_test.npz'));
  const one = run(['--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact, '--doses', '1000', '--dry-run']);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /patched_test\.npz\. Expected from Phase C patching \(ptychostudy generate\)\.$/m);
  rmSync(root, { recursive: true, force: true });
});

/** A hub whose only input is `file` (measured data) as Phase C's train split of dose 1 (docs/real-data.md, "A report of measured data"). */
function measuredHub(root: string, file: string): { phaseC: string; phaseD: string; artifact: string } {
  const phaseC = join(root, 'phase_c');
  mkdirSync(join(phaseC, 'dose_1'), { recursive: true });
  copyFileSync(file, join(phaseC, 'dose_1', 'patched_train.npz'));
  return { phaseC, phaseD: join(root, 'phase_d'), artifact: join(root, 'phase_f') };
}
const measuredJob = (h: { phaseC: string; phaseD: string; artifact: string }): string[] =>
  ['--phase-c-root', h.phaseC, '--phase-d-root', h.phaseD, '--out', h.artifact, '--doses', '1', '--view', 'baseline', '--split', 'train', '--allow-missing-phase-d', '--epochs', '2'];

test('input lsqml refuses up front (a .ptyd without a probe) is that job\'s recorded failure in reconstruct, in lsqml\'s words; --probe-model gives it a probe', () => {
  const root = tmp('cli-measured-refused');
  const h = measuredHub(root, 'test/fixtures/cxi/scan.ptyd');
  const r = run(measuredJob(h));
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const failed = json(join(h.artifact, 'reconstruction_manifest.json')).execution_results[0];
  assert.equal(failed.status, 'failed');
  assert.match(failed.error, /dose_1\/patched_train\.npz: has no probe \(PtyPy prepared data holds none\); give --probe-model .* or --init-probe file:PATH \(PtyPy's illumination: model 'recon' with a \.ptyr is --init-probe file:recon\.ptyr, .*"Coming from PtyPy"\)$/);
  assert.ok(!existsSync(join(h.artifact, 'dose_1', 'baseline', 'train', 'reconstruction.npz')));
  // lsqml refuses the same file up front, in the same words
  const l = spawnSync(process.execPath, [cli, 'lsqml', '--input', join(h.phaseC, 'dose_1', 'patched_train.npz'), '--out', join(root, 'lsqml')], { encoding: 'utf8' });
  assert.equal(l.status, 2);
  assert.equal(l.stderr.replace('ptychostudy lsqml: ', '').trim(), failed.error);
  // the --probe-model the message names is reconstruct's too, and the job's lsqml command line carries it
  const model = 'aperture:diameter=2e-6,distance=1e-3';
  const m = run([...measuredJob(h), '--probe-model', model]);
  assert.equal(m.status, 0, m.stdout + m.stderr);
  const rec = json(join(h.artifact, 'reconstruction_manifest.json')).execution_results[0];
  assert.equal(rec.status, 'success');
  assert.deepEqual(rec.command.slice(rec.command.indexOf('--probe-model'), rec.command.indexOf('--probe-model') + 2), ['--probe-model', model]);
  rmSync(root, { recursive: true, force: true });
});

test('a dataset whose patterns hold no count: the job\'s recorded failure names the file and key in lsqml\'s words (was the engine\'s message)', () => {
  const root = tmp('cli-zero-patterns');
  const file = join(root, 'zeros.npz');
  saveNpz(file, {
    diffraction: f32([4, 8, 8], new Float32Array(4 * 64)), xcoords: f64([4], Float64Array.from([0, 3, 6, 9])),
    ycoords: f64([4], Float64Array.from([0, 3, 6, 9])), probeGuess: c64([8, 8], new Float32Array(2 * 64).fill(1)),
  });
  const h = measuredHub(root, file);
  const r = run(measuredJob(h));
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const failed = json(join(h.artifact, 'reconstruction_manifest.json')).execution_results[0];
  assert.match(failed.error, /patched_train\.npz: key 'diffraction': expected diffraction patterns with some counts; found 4 patterns all zero: there is nothing to reconstruct$/);
  const l = spawnSync(process.execPath, [cli, 'lsqml', '--input', join(h.phaseC, 'dose_1', 'patched_train.npz'), '--out', join(root, 'lsqml')], { encoding: 'utf8' });
  assert.equal(l.status, 2);
  assert.equal(l.stderr.replace('ptychostudy lsqml: ', '').trim(), failed.error);
  rmSync(root, { recursive: true, force: true });
});

test('a probe file named by a relative path: the Phase F manifest records its absolute path, as run records it', () => {
  const root = tmp('cli-relative-probe');
  const h = measuredHub(root, 'test/fixtures/cxi/scan-noprobe.cxi');
  copyFileSync('test/fixtures/cxi/probe-product.h5', join(root, 'probe.h5'));
  const r = spawnSync(process.execPath, [resolve(cli), 'reconstruct', ...measuredJob(h), '--init-probe', 'file:probe.h5'], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const manifest = readFileSync(join(h.artifact, 'reconstruction_manifest.json'), 'utf8');
  assert.ok(manifest.includes(`"initProbe": ${JSON.stringify(`file:${join(root, 'probe.h5')}`)}`), manifest);
  assert.ok(!manifest.includes('"initProbe": "file:probe.h5"'), manifest);
  rmSync(root, { recursive: true, force: true });
});

test('measured data in a hub: the summary counts the whole matrix, and names the missing inputs the filters skip apart from those they select', () => {
  const root = tmp('cli-measured-summary');
  const h = measuredHub(root, 'test/fixtures/cxi/scan.cxi');
  mkdirSync(h.phaseD);
  const r = run([...measuredJob(h), '--dry-run']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\[DRY RUN\] Phase F: 6 jobs in the matrix, 1 selected, 5 skipped by the filters, 0 already complete\n {2}5 jobs the filters skip have no input \(recorded as missing in the skip summary\): dose=1 view=dense split=train, dose=1 view=sparse split=train, dose=1 view=baseline split=test, … \(5 in all\)$/m);
  assert.doesNotMatch(r.stdout, /not run/);
  assert.equal(json(join(h.artifact, 'skip_summary.json')).missing_phase_d_count, 5);
  // a filter that selects jobs without an input: they are named as not run
  const all = run([...measuredJob(h).filter((a) => a !== '--view' && a !== 'baseline'), '--dry-run']);
  assert.equal(all.status, 0, all.stderr);
  assert.match(all.stdout, /Phase F: 6 jobs in the matrix, 3 selected, 3 skipped by the filters, 0 already complete\n {2}2 selected jobs not run, their inputs are missing \(--allow-missing-phase-d; recorded in the skip summary\): dose=1 view=dense split=train, dose=1 view=sparse split=train\n {2}3 jobs the filters skip have no input/);
  // without --allow-missing-phase-d: refused, saying that the filters skip the job whose input is missing
  const art2 = join(root, 'art2');
  const no = run([...measuredJob({ ...h, artifact: art2 }).filter((a) => a !== '--allow-missing-phase-d')]);
  assert.equal(no.status, 2);
  assert.match(no.stderr, /^ptychostudy reconstruct: Phase D overlap NPZ not found: \S+dose_1\/dense\/dense_train\.npz .*\. The filters skip this job, but the inputs of the whole matrix .* --allow-missing-phase-d records the missing ones as skipped and runs the selected jobs\.\n$/);
  assert.ok(!existsSync(art2));
  rmSync(root, { recursive: true, force: true });
});

test('a failed job\'s log is named by a path that opens from where the command ran', () => {
  const root = tmp('cli-failed-log');
  // good input, and a probe so bright (1e30) that float32 overflows: the job fails in its first epoch
  const h = measuredHub(root, 'test/fixtures/cxi/scan.cxi');
  const probe = join(root, 'bright-probe.npz');
  saveNpz(probe, { probeGuess: c128([32, 32], new Float64Array(2 * 32 * 32).fill(1e30)) });
  const elsewhere = tmp('cli-failed-log-cwd');
  const r = spawnSync(process.execPath, [join(process.cwd(), cli), 'reconstruct', ...measuredJob(h), '--init-probe', `file:${probe}`], { encoding: 'utf8', cwd: elsewhere });
  assert.equal(r.status, 1, r.stderr);
  const logs = [...`${r.stdout}\n${r.stderr}`.matchAll(/\(log (\S+)\)/g)].map((m) => m[1]!);
  assert.equal(logs.length, 2, 'the progress line and the summary each name the log');
  for (const log of logs) {
    assert.equal(log, join(h.artifact, 'dose_1', 'baseline', 'train', 'reconstruction.log'));
    assert.ok(existsSync(resolve(elsewhere, log)), log);
  }
  rmSync(root, { recursive: true, force: true });
});

test('--help explains every flag', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const f of ['--phase-c-root', '--phase-d-root', '--out', '--config', '--dose', '--view', '--split', '--gridsize', '--dry-run',
    '--allow-missing-phase-d', '--epochs', '--batch-size', '--noise-model', '--jobs', '--force']) {
    assert.match(r.stdout, new RegExp(`${f}\\b.*\\S`), f);
  }
  assert.match(r.stdout, /history/);
  assert.match(r.stdout, /runs\//);
});
