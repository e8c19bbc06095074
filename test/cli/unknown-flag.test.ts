/**
 * An unknown flag that names a setting without a flag, or one of pty-chi's options, says where that setting goes;
 * other unknown flags keep commander's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { unknownFlagHint } from '../../src/cli/unknown-flag.js';

const cli = 'dist/src/cli/main.js';

test('an unknown flag naming a setting or a pty-chi option says where it goes; others are left to commander', () => {
  const flags = ['--input', '--out', '--config', '--epochs', '--batch-size', '--modes'];
  assert.equal(unknownFlagHint('--object-step-size-scaler', flags), 'reconstruction.objectStepSizeScaler has no flag on this ' +
    'command: set it in a settings file given with --config FILE; `ptychostudy config --print-defaults` lists every setting');
  assert.match(unknownFlagHint('--patch-size=64', flags)!, /^simulation\.patchSize has no flag on this command/);
  // a setting of a group the command does not act on (lsqml and the simulation): nothing to point to
  assert.equal(unknownFlagHint('--patch-size', flags, ['reconstruction']), null);
  assert.match(unknownFlagHint('--position-correction', flags)!, /^pty-chi's position correction is not implemented here/);
  assert.equal(unknownFlagHint('--num-modes', flags), 'the number of incoherent probe modes is reconstruction.modes; on the command line: --modes');
  assert.equal(unknownFlagHint('--num-epochs', ['--out']), 'pty-chi\'s num_epochs is reconstruction.epochs');
  assert.equal(unknownFlagHint('--random-seed', ['--seed']), 'pty-chi\'s random_seed is reconstruction.seed', 'generate: --seed is the simulation\'s');
  assert.equal(unknownFlagHint('--random-seed', ['--epochs', '--seed', '--reconstruction-seed']), 'pty-chi\'s random_seed is reconstruction.seed; on the command line: --reconstruction-seed');
  // a boolean setting's negation where the command has no flag for it (reconstruct, run), and its plain form
  // where the command has only the negation (lsqml)
  assert.equal(unknownFlagHint('--no-detector-mask', flags), 'reconstruction.detectorMask has no flag on this command: set it ' +
    '(reconstruction.detectorMask: false) in a settings file given with --config FILE; `ptychostudy config --print-defaults` lists every setting');
  assert.equal(unknownFlagHint('--detector-mask', [...flags, '--no-detector-mask']), 'it is on by default; --no-detector-mask turns it off');
  // a group whose settings have flags here (was: "execution.slurm has no flag on this command: set it in a settings file")
  assert.equal(unknownFlagHint('--slurm', ['--out', '--executor', '--slurm-partition', '--slurm-time']),
    '--executor slurm runs the jobs on SLURM; the settings of execution.slurm have these flags: --slurm-partition, --slurm-time');
  // other words for a setting (was: commander's message alone)
  assert.equal(unknownFlagHint('--iterations', flags), 'the number of iterations is reconstruction.epochs (epoch 0 included); on the command line: --epochs');
  assert.match(unknownFlagHint('--gpu', flags)!, /^the engine runs on the CPU/);
  // a flag the command has, spelled otherwise, and a flag that is nothing: commander's own message
  assert.equal(unknownFlagHint('--batchsize', flags), null);
  assert.equal(unknownFlagHint('--frobnicate', flags), null);
  // the plural of a flag the command has (run's --dose takes several doses): commander's "did you mean --dose", not
  // "simulation.doses has no flag on this command"
  assert.equal(unknownFlagHint('--doses', ['--out', '--dose', '--epochs']), null);
  const doses = spawnSync(process.execPath, [cli, 'run', '--doses', '1e3,1e4'], { encoding: 'utf8' });
  assert.equal(doses.status, 2, doses.stderr);
  assert.match(doses.stderr, /^ptychostudy run: unknown option '--doses'; did you mean --dose\? \(`ptychostudy run --help` lists the options\)\n$/);

  const r = spawnSync(process.execPath, [cli, 'lsqml', '--input', 'x.npz', '--out', 'nowhere', '--preconditioning-damping-factor', '0.05'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy lsqml: unknown option '--preconditioning-damping-factor'; reconstruction\.preconditioningDampingFactor has no flag on this command: set it in a settings file given with --config FILE;/);
  const run = spawnSync(process.execPath, [cli, 'run', '--batch-size', '64'], { encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /; reconstruction\.batchSize has no flag on this command/);
  // run simulates its data: the detector mask of measured data has no flag there (reconstruct and lsqml have --no-detector-mask)
  const rec = spawnSync(process.execPath, [cli, 'run', '--no-detector-mask'], { encoding: 'utf8' });
  assert.equal(rec.status, 2, rec.stderr);
  assert.match(rec.stderr, /^ptychostudy run: unknown option '--no-detector-mask'; reconstruction\.detectorMask has no flag on this command: set it \(reconstruction\.detectorMask: false\) in a settings file/);
});

test("PtyPy's parameter names as flags say what they are here, and the command-line flag when there is one", () => {
  const flags = ['--input', '--out', '--config', '--epochs', '--batch-size', '--noise-model', '--modes', '--probe-model', '--init-probe'];
  assert.match(unknownFlagHint('--numiter', flags)!, /^PtyPy's numiter is reconstruction\.epochs, plus one: .*; on the command line: --epochs$/);
  assert.match(unknownFlagHint('--ML-type', flags)!, /^PtyPy's ML_type is reconstruction\.noiseModel, but the models differ: PtyPy's 'euclid' \(amplitudes\) is gaussian here, .*; on the command line: --noise-model$/);
  assert.match(unknownFlagHint('--probe-update-start', flags)!, /^PtyPy's probe_update_start is reconstruction\.probePlan \{ start \} plus one/);
  assert.match(unknownFlagHint('--reg-del2', flags)!, /^PtyPy's Gaussian smoothness prior \(reg_del2\) is not available here; docs\/real-data\.md, "Coming from PtyPy"$/);
  // PtyPy's orientation is reconstruction.orientation here, the same integers (docs/real-data.md, "Frame orientation")
  assert.match(unknownFlagHint('--orientation=3', flags)!, /^reconstruction\.orientation has no flag on this command: set it in a settings file/);
  assert.match(unknownFlagHint('--energy', flags)!, /^PtyPy's energy is read from the data file here \(a \.ptyd's meta\/energy in keV/);

  const r = spawnSync(process.execPath, [cli, 'lsqml', '--input', 'x.ptyd', '--out', 'nowhere', '--numiter', '100'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ptychostudy \w+: unknown option '--numiter'; PtyPy's numiter is reconstruction\.epochs, plus one: epoch 0 here only rescales the probe, so numiter N is reconstruction\.epochs N \+ 1; docs\/real-data\.md, "Coming from PtyPy"; on the command line: --epochs \(`ptychostudy \w+ --help` lists the options\)\n$/);
});

test('the negation of a number or string setting says the flag takes a value, never "<setting>: false"', () => {
  const flags = ['--input', '--out', '--config', '--epochs', '--batch-size', '--modes'];
  // the command has the setting's flag: it takes a value (the flag as --help shows it when known)
  assert.equal(unknownFlagHint('--no-epochs', flags, undefined, { '--epochs': '--epochs <n>' }), '--epochs takes a value and has no --no- form: --epochs <n>');
  assert.equal(unknownFlagHint('--no-epochs', flags), '--epochs takes a value and has no --no- form: --epochs <n>');
  // no flag on the command: the setting goes in a settings file, as a number
  assert.equal(unknownFlagHint('--no-object-step-size-scaler', flags), 'reconstruction.objectStepSizeScaler has no flag on this command: ' +
    'set it to a number (it has no --no- form) in a settings file given with --config FILE; `ptychostudy config --print-defaults` lists every setting');

  const run = spawnSync(process.execPath, [cli, 'run', '--no-epochs'], { encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /^ptychostudy run: unknown option '--no-epochs'; --epochs takes a value and has no --no- form: --epochs <n> \(`ptychostudy run --help` lists the options\)\n$/);
  assert.doesNotMatch(run.stderr, /false/);
});
