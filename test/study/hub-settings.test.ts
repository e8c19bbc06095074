/**
 * A hub's own settings as a resume reads them (`readHubSettings`): settings.json, bounded like any settings
 * file; when it is gone, run.json's full record of every setting (not its short record over the defaults); a
 * settings.json that is a link to nothing is broken, not absent; sbatch options an earlier version recorded and this one
 * sets itself are named, with the way to resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStudySettings, SettingsError } from '../../src/settings/parse.js';
import { runSettings } from '../../src/cli/commands/run.js';
import { InputError } from '../../src/errors.js';
import { newRunState, readHubSettings, writeHubSettings, writeRunState } from '../../src/study/run/state.js';
import type { StepRecord, Submission } from '../../src/study/slurm/records.js';
import { contextOf } from '../../src/study/slurm/task.js';

const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-hub-settings-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A hub's run.json (no phase run yet) for these settings, and its settings.json unless `withFile` is false. */
function hubOf(name: string, input: Parameters<typeof parseStudySettings>[0], withFile = true): string {
  const hub = join(dir, name);
  mkdirSync(hub);
  const settings = parseStudySettings(input);
  writeRunState(hub, newRunState(settings, '0.0.0', '2026-01-01T00:00:00Z'));
  if (withFile) writeHubSettings(hub, settings);
  return hub;
}

const POISSON = { preset: 'quick', reconstruction: { noiseModel: 'poisson', batchSize: 32 }, overlap: { views: { dense: 0.6 } } } as const;

test('a hub whose settings.json is gone resumes with every setting run.json records (was: the defaults of all but seven)', () => {
  const hub = hubOf('no-file', POISSON, false);
  const s = readHubSettings(hub)!;
  assert.equal(s.reconstruction.noiseModel, 'poisson');
  assert.equal(s.reconstruction.batchSize, 32);
  assert.deepEqual(s.overlap.views, { dense: 0.6 });
  assert.deepEqual(s, parseStudySettings(POISSON));
  // with the file, the same settings
  assert.deepEqual(readHubSettings(hubOf('with-file', POISSON)), s);
});

test('a settings.json that is a link to nothing is refused, not taken for an absent one', () => {
  const hub = hubOf('dangling', POISSON, false);
  symlinkSync(join(dir, 'nowhere.json'), join(hub, 'settings.json'));
  assert.throws(() => readHubSettings(hub), {
    message: `${join(hub, 'settings.json')}: expected the hub's settings file; found a symbolic link to nothing; this hub cannot be resumed until it is repaired`,
  });
});

test('a hub\'s settings.json is read no further than a settings file\'s limit (was: read whole, however large)', () => {
  const hub = hubOf('big', { preset: 'quick' }, false);
  const path = join(hub, 'settings.json');
  writeFileSync(path, '{}');
  truncateSync(path, 1 << 30); // 1 GiB, sparse: nothing of it is on the disk
  assert.throws(() => readHubSettings(hub), {
    message: `${path}: more than 1048576 bytes; a settings file has at most 1048576; this hub cannot be resumed until it is repaired`,
  });
});

/** A hub as an earlier version left it: its settings.json and run.json record `--output=…` among the sbatch options. */
function hubWithOldSbatchArgs(name: string, withFile = true): string {
  const hub = hubOf(name, { preset: 'quick', execution: { executor: 'slurm', slurm: { sbatchArgs: ['--hold'] } } }, withFile);
  for (const file of withFile ? ['settings.json', 'run.json'] : ['run.json']) {
    const path = join(hub, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"--hold"', '"--output=/scratch/%j.out", "--hold"'));
  }
  return hub;
}

test('a hub recording an sbatch option every job script now sets is refused with one line naming it and how to go on (was: "use a new hub")', () => {
  for (const withFile of [true, false]) {
    const hub = hubWithOldSbatchArgs(`old-args-${withFile}`, withFile);
    const [path, key] = withFile ? [join(hub, 'settings.json'), 'execution.slurm.sbatchArgs'] : [join(hub, 'run.json'), 'study_settings.execution.slurm.sbatchArgs'];
    assert.throws(() => readHubSettings(hub), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message, `${path}: key '${key}': records ["--output=/scratch/%j.out","--hold"]; "--output=/scratch/%j.out" is an sbatch option ` +
        'this version refuses (every job script sets --array, --dependency, --output and --open-mode itself; --wait would hold each sbatch until its job ended), ' +
        'so the hub is not submitted with its recorded list; resume it with the sbatch options to use instead: --slurm-sbatch-arg OPTION (repeatable) ' +
        'replaces the recorded list, or --config FILE holding {"execution": {"slurm": {"sbatchArgs": []}}} empties it');
      return true;
    });
    // the options given instead replace the recorded list; every other setting is the hub's
    const s = readHubSettings(hub, ['--hold'])!;
    assert.deepEqual(s.execution.slurm.sbatchArgs, ['--hold']);
    assert.deepEqual(s, parseStudySettings({ preset: 'quick', execution: { executor: 'slurm', slurm: { sbatchArgs: ['--hold'] } } }));
    assert.deepEqual(readHubSettings(hub, [])!.execution.slurm.sbatchArgs, []);
  }
});

test('run --out on such a hub resumes with the sbatch options given on the command line, and without them says how to', () => {
  const hub = hubWithOldSbatchArgs('old-args-run');
  assert.throws(() => runSettings({}, hub, false), /key 'execution\.slurm\.sbatchArgs': records .*--slurm-sbatch-arg OPTION/);
  const { settings, resumed } = runSettings({ slurmSbatchArg: ['--hold', '--constraint=haswell'] }, hub, false);
  assert.equal(resumed, true);
  assert.deepEqual(settings.execution.slurm.sbatchArgs, ['--hold', '--constraint=haswell']);
  assert.equal(settings.execution.executor, 'slurm');
});

test('run --out HUB with a refused --slurm-sbatch-arg names the option given, not the hub\'s settings.json (was: "settings.json records [--array=0-3]")', () => {
  const hub = hubOf('given-args', { preset: 'quick' });
  assert.throws(() => readHubSettings(hub, ['--array=0-3']), (err: Error) => {
    assert.ok(err instanceof SettingsError);
    assert.equal(err.setting, 'execution.slurm.sbatchArgs');
    assert.doesNotMatch(err.message, /settings\.json|records/);
    return true;
  });
  assert.throws(() => runSettings({ slurmSbatchArg: ['-W'] }, hub, false), (err: Error) => err instanceof SettingsError && /--wait \(-W\)/.test(err.message));
});

test('the tasks of a submission recorded with such an option are still finalized: they read it as no option', () => {
  const recorded = { preset: 'quick', execution: { executor: 'slurm', slurm: { sbatchArgs: ['--output=/scratch/%j.out', '--hold'] } } };
  const ctx = contextOf('/hub', { settings: recorded } as unknown as Submission, {} as StepRecord);
  assert.deepEqual(ctx.settings.execution.slurm.sbatchArgs, []);
  const fine = contextOf('/hub', { settings: { preset: 'quick', execution: { slurm: { sbatchArgs: ['--hold'] } } } } as unknown as Submission, {} as StepRecord);
  assert.deepEqual(fine.settings.execution.slurm.sbatchArgs, ['--hold']);
});
