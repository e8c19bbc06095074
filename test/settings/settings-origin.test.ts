// Where each setting came from (a flag, the settings file, a preset, run's default), as the records keep it and
// `reconstruct --dry-run` prints it; and the Phase F command line that runs a job again with every setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { settingsOrigin } from '../../src/settings/origin.js';
import { runSettings } from '../../src/cli/commands/run.js';
import { tmp, writeTree } from '../study/reconstruct-helpers.js';
import { writeSyntheticDataset } from '../engine/dataset.js';

const cli = resolve('dist/src/cli/main.js');
const ptychostudy = (args: string[], cwd?: string) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd });
const json = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;
const sha256Of = (npz: string): unknown => (readMetadata(loadNpz(npz, ['_metadata'])) as { value: Record<string, unknown> }).value.settings_sha256;

test('settingsOrigin: a flag wins over the file and says what it replaced, then the file, the base values, the preset; defaults are left out', () => {
  const o = settingsOrigin({
    flags: { reconstruction: { epochs: 7, batchSize: 32, seed: undefined }, simulation: {} },
    flagNames: { 'reconstruction.epochs': '--epochs', 'reconstruction.batchSize': '--batch-size' },
    file: { path: '/data/study.yaml', values: { preset: 'fly64', reconstruction: { epochs: 80, batchSize: 32, probePlan: { start: 5 } } } },
    base: { name: 'run\'s default for a new hub', values: { preset: 'quick' } },
    preset: 'fly64', presetValues: { reconstruction: { epochs: 100 } },
  });
  assert.deepEqual(o, {
    preset: 'file /data/study.yaml',
    'reconstruction.batchSize': 'flag --batch-size, as in file /data/study.yaml',
    'reconstruction.epochs': 'flag --epochs, over 80 in file /data/study.yaml',
    'reconstruction.probePlan.start': 'file /data/study.yaml',
  });
});

test('reconstruct --dry-run with a settings file: each given setting printed and recorded with where it came from; the printed lsqml line runs the job with the same settings', () => {
  const root = tmp('origin-dry');
  const t = writeTree(root);
  // the job's input: a dataset lsqml reconstructs (writeTree's hold positions only)
  writeSyntheticDataset(join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz'), { size: 32, height: 80, width: 80, positions: 30, photons: 1e4, poisson: true, seed: 4 });
  const file = join(root, 'study.yaml');
  writeFileSync(file, 'reconstruction:\n  epochs: 80\n  batchSize: 16\n  objectStepSizeScaler: 0.8\n  probePlan: { start: 1 }\n  precision: float64\n');
  const r = ptychostudy(['reconstruct', '--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact, '--config', file,
    '--dose', '1000', '--view', 'dense', '--split', 'train', '--dry-run', '--allow-missing-phase-d', '--epochs', '3']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const at = lines.indexOf('[DRY RUN] Settings given (the rest at their defaults):');
  assert.ok(at >= 0, r.stdout);
  assert.deepEqual(lines.slice(at + 1, at + 6), [
    `[DRY RUN]   reconstruction.batchSize from file ${file}`,
    `[DRY RUN]   reconstruction.epochs from flag --epochs, over 80 in file ${file}`,
    `[DRY RUN]   reconstruction.objectStepSizeScaler from file ${file}`,
    `[DRY RUN]   reconstruction.precision from file ${file}`,
    `[DRY RUN]   reconstruction.probePlan.start from file ${file}`,
  ]);
  const m = json(join(t.artifact, 'reconstruction_manifest.json'));
  assert.equal(m.runs[0].settings_origin['reconstruction.epochs'], `flag --epochs, over 80 in file ${file}`);
  assert.equal(m.runs[0].settings_origin['reconstruction.objectStepSizeScaler'], `file ${file}`);
  // the settings the line has no flag for come from the file it names: running the printed line (or the recorded one,
  // from the artifact root) gives the settings hash the job records
  const printed = lines.find((l) => l.startsWith('[DRY RUN] Would execute: '))!.slice('[DRY RUN] Would execute: '.length);
  assert.ok(!/['"]/.test(printed), printed);
  const args = printed.split(' ');
  assert.deepEqual(args.slice(0, 4), ['ptychostudy', 'lsqml', '--config', file]);
  const once = ptychostudy(args.slice(1));
  assert.equal(once.status, 0, once.stderr);
  const job = m.jobs[0];
  assert.equal(sha256Of(join(t.artifact, 'dose_1000', 'dense', 'train', 'reconstruction.npz')), job.settings_sha256);
  const recorded = job.command as string[];
  const again = ptychostudy([...recorded.slice(1, recorded.indexOf('--out') + 1), 'again', ...recorded.slice(recorded.indexOf('--out') + 2)], t.artifact);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(sha256Of(join(t.artifact, 'again', 'reconstruction.npz')), job.settings_sha256);
});

test('reconstruct --dry-run without a settings file: the settings given by flags only, and a line that needs no file', () => {
  const root = tmp('origin-dry-flags');
  const t = writeTree(root);
  const r = ptychostudy(['reconstruct', '--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact,
    '--dose', '1000', '--view', 'dense', '--split', 'train', '--dry-run', '--allow-missing-phase-d', '--seed', '5']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[DRY RUN\] Settings given \(the rest at their defaults\):\n\[DRY RUN\] {3}reconstruction\.seed from flag --seed\n\[DRY RUN\] Would execute: ptychostudy lsqml --input /);
  assert.deepEqual(json(join(t.artifact, 'reconstruction_manifest.json')).runs[0].settings_origin, { 'reconstruction.seed': 'flag --seed' });
});

test('lsqml records in reconstruction_run.json where each reconstruction setting came from', () => {
  const root = tmp('origin-lsqml');
  const ds = writeSyntheticDataset(join(root, 'data.npz'), { size: 32, height: 80, width: 80, positions: 40, photons: 1e4, poisson: true, seed: 3 }, 2.5);
  const file = join(root, 'engine.yaml');
  writeFileSync(file, 'preset: fly64\nsimulation: { seed: 3 }\nreconstruction:\n  batchSize: 5\n  gaussianNoiseStd: 0.25\n');
  const out = join(root, 'job');
  const r = ptychostudy(['lsqml', '--input', ds.path, '--out', out, '--config', file, '--epochs', '2', '--batch-size', '8']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(json(join(out, 'reconstruction_run.json')).settings_origin, {
    'reconstruction.batchSize': `flag --batch-size, over 5 in file ${file}`,
    'reconstruction.epochs': 'flag --epochs', // over the file's preset's 100: a flag is said to be over the file's own values only
    'reconstruction.gaussianNoiseStd': `file ${file}`,
  });
  // the report of the reconstruction shows it beside each setting
  const rep = ptychostudy(['report', '--out', out]);
  assert.equal(rep.status, 0, rep.stderr);
  const whole = readFileSync(join(out, 'report', 'index.html'), 'utf8');
  const at = whole.indexOf('reconstruction_run.json settings_origin');
  assert.ok(at > 0, 'the settings table names where its third column comes from');
  const page = whole.slice(at); // the reconstruction settings' table (the run's options come before it)
  const row = (name: string): string => new RegExp(`<tr><td>${name}</td>.*?</tr>`).exec(page)?.[0] ?? `no row ${name}`;
  assert.match(row('batchSize'), new RegExp(`>flag --batch-size, over 5 in file ${file.replace(/[.]/g, '\\.')}</td></tr>$`));
  assert.match(row('gaussianNoiseStd'), />file \S+engine\.yaml<\/td><\/tr>$/);
  assert.match(row('noiseModel'), />default<\/td><\/tr>$/);
});

test('run: a new hub\'s settings record where each came from — run\'s default preset, its values, the file, the flags', () => {
  const root = tmp('origin-run');
  const file = join(root, 'study.yaml');
  writeFileSync(file, 'simulation:\n  seed: 7\nreconstruction:\n  epochs: 80\n');
  const { origin } = runSettings({ config: file, epochs: '3', dose: ['1e4'] }, join(root, 'hub'), false);
  assert.deepEqual(origin, {
    preset: 'run\'s default for a new hub',
    'reconstruction.epochs': `flag --epochs, over 80 in file ${file}`,
    'simulation.doses': 'flag --dose',
    'simulation.nPositions': 'preset quick',
    'simulation.objectShape': 'preset quick',
    'simulation.patchSize': 'preset quick',
    'simulation.seed': `file ${file}`,
  });
});
