/**
 * `reconstruct --executor slurm` and the probe and object files its jobs start from: a file that every job
 * would refuse (a probe of another pattern size, an object of another pixel size than every input states) is
 * refused on the submitting machine, with the local run's one line and exit code 2, before any script, record or
 * sbatch call — not by each array task once the queue runs it. Only the inputs' headers and `_metadata` are read.
 * So is a root that a local command is writing (its lock's holder read, no lock taken) and a hub that is a file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../../src/errors.js';
import { tryLock } from '../../src/files/lock.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { c64 } from '../../src/npy/types.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { runComparison } from '../../src/study/compare/phase.js';
import { runOverlap } from '../../src/study/overlap/phase.js';
import { runStudy } from '../../src/study/run/study.js';
import { runSimulation } from '../../src/study/simulate/phase.js';
import { compareSteps, generateSteps, overlapSteps, reconstructSteps, studySteps } from '../../src/study/slurm/plans.js';
import { submitStudy } from '../../src/study/slurm/submit.js';
import { writeProductObject } from '../data/cxi-builder.js';
import { DENSE_META, phaseF, testEngine, tmp, unicode0d, writeTree } from '../study/reconstruct-helpers.js';
import { leaveNoSlurmJobs, noSlurm, refusal } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const CLI = 'dist/src/cli/main.js';

/** Dense inputs of dose 1000 with 16×16 patterns, a [30, 30] objectGuess and `_metadata.geometry` stating the object pixel size 1e-8 m. */
function tree(root: string): ReturnType<typeof writeTree> {
  const t = writeTree(root, { doses: [1000] });
  for (const split of ['train', 'test'] as const) {
    const input = join(t.phaseD, 'dose_1000', 'dense', `dense_${split}.npz`);
    const meta = { ...DENSE_META, geometry: { wavelength_m: 1e-10, object_pixel_size_m_yx: [1e-8, 1e-8] } };
    saveNpz(input, {
      ...loadNpz(input), diffraction: { dtype: '<f4', shape: [8, 16, 16], data: new Float32Array(8 * 256) },
      objectGuess: c64([30, 30], new Float32Array(1800).fill(1)), _metadata: unicode0d(JSON.stringify(meta)),
    });
  }
  return t;
}

/** A probe NPZ of `n`×`n` (a Gaussian). */
function probeFile(path: string, n: number): string {
  const p = new Float32Array(2 * n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) p[2 * (y * n + x)] = Math.exp(-((x - n / 2) ** 2 + (y - n / 2) ** 2) / 8);
  saveNpz(path, { probeGuess: c64([n, n], p) });
  return path;
}

test('a submission refuses a probe or object file no selected input can use, with the local run\'s message, before anything is written', async () => {
  const root = tmp('slurm-start-files');
  const t = tree(root);
  const small = probeFile(join(root, 'small-probe.npz'), 8), probe = probeFile(join(root, 'probe.npz'), 16);
  const coarse = writeProductObject(join(root, 'coarse.h5'), 2e-8), fine = writeProductObject(join(root, 'fine.h5'), 1e-8);
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { dose: 1000, view: 'dense' as const } };
  const study = (reconstruction: Record<string, unknown>) => parseStudySettings({ simulation: { doses: [1000] }, reconstruction });

  for (const reconstruction of [{ initProbe: `file:${small}` }, { initObject: `file:${coarse}` }]) {
    const engine = testEngine();
    const local = await refusal(() => phaseF({ ...opts, doses: [1000], settings: reconstruction, executor: engine.executor }));
    assert.equal(engine.calls.length, 0);
    assert.equal(await refusal(() => reconstructSteps(study(reconstruction), opts)), local);
    assert.equal(existsSync(t.artifact), false, 'nothing written');
  }
  assert.match(await refusal(() => reconstructSteps(study({ initProbe: `file:${small}` }), opts)), /key 'probeGuess': expected a complex probe \[16, 16\]/);
  assert.match(await refusal(() => reconstructSteps(study({ initObject: `file:${coarse}` }), opts)), /found \[2e-8, 2e-8\] m/);
  // a path no earlier job started from (a new root, most likely a mistyped path): named alone, as the local run names it
  const typo = { initProbe: `file:${join(root, 'typo.npz')}` };
  const local = await refusal(() => phaseF({ ...opts, doses: [1000], settings: typo, executor: testEngine().executor }));
  assert.match(local, /found no file; nothing was written$/);
  assert.equal(await refusal(() => reconstructSteps(study(typo), opts)), local);
  // files the inputs can use: the selected jobs are submitted
  const steps = await reconstructSteps(study({ initProbe: `file:${probe}`, initObject: `file:${fine}` }), opts);
  assert.deepEqual(steps.map((s) => s.tasks), [['dose_1000/dense/train', 'dose_1000/dense/test']]);
});

test('a study submission names the hub\'s settings.json for a probe file that is not there, as `run`\'s Phase F check does', async () => {
  const hub = tmp('slurm-start-files-hub');
  writeTree(hub, { doses: [1000] }); // phase_c and phase_d of a hub whose Phases C and D are complete
  const gone = join(hub, 'gone.npz');
  const settings = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { initProbe: `file:${gone}` } });
  const message = await refusal(() => studySteps(hub, settings, (phase) => phase === 'generate' || phase === 'overlap'));
  assert.ok(message.startsWith(`${gone}: expected the probe file reconstruction.initProbe names (${join(hub, 'settings.json')}), as the 6 jobs still to run ` +
    'start from it; found no file — if it moved'), message);
  assert.equal(existsSync(join(hub, 'phase_f')), false, 'nothing written');
});

test('a submission runs again the jobs made with other reconstruction settings, as a local run does; the same settings find them complete', async () => {
  const t = writeTree(tmp('slurm-settings'), { doses: [1000] });
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { view: 'dense' as const } };
  assert.equal((await phaseF({ ...opts, doses: [1000], settings: { epochs: 2 }, executor: testEngine().executor })).succeeded, 2);
  const steps = async (epochs: number): Promise<string[][]> =>
    (await reconstructSteps(parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs } }), opts)).map((s) => s.tasks);
  assert.deepEqual(await steps(2), []);
  assert.deepEqual(await steps(3), [['dose_1000/dense/train', 'dose_1000/dense/test']]);
  const local = await phaseF({ ...opts, doses: [1000], settings: { epochs: 3 }, executor: testEngine().executor });
  assert.deepEqual([local.executed, local.alreadyComplete], [2, 0]);
});

test('a submission refuses a finished job\'s reconstruction.npz that is broken or replaced, with the local run\'s message, not counting it complete', async () => {
  const t = writeTree(tmp('slurm-broken-output'), { doses: [1000] });
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { view: 'dense' as const } };
  assert.equal((await phaseF({ ...opts, doses: [1000], executor: testEngine().executor })).succeeded, 2);
  const output = join(t.artifact, 'dose_1000', 'dense', 'train', 'reconstruction.npz');
  const whole = readFileSync(output);
  const study = parseStudySettings({ simulation: { doses: [1000] } });
  assert.deepEqual(await reconstructSteps(study, opts), []);
  for (const [what, bytes] of [['truncated', whole.subarray(0, 40)], ['replaced', readFileSync(join(t.artifact, 'dose_1000', 'dense', 'test', 'reconstruction.npz'))]] as const) {
    writeFileSync(output, bytes);
    const local = await refusal(() => phaseF({ ...opts, doses: [1000], executor: testEngine().executor }));
    assert.ok(local.startsWith(`${output}: `), `${what}: ${local}`);
    assert.equal(await refusal(() => reconstructSteps(study, opts)), local, what);
    assert.deepEqual(readFileSync(output), bytes, `${what}: left as it is`);
  }
});

test('a finished job\'s input changed since it ran: refused on the submitting machine when it is broken, as the local run refuses it; run again when it is another dataset', async () => {
  const t = writeTree(tmp('slurm-changed-input'), { doses: [1000] });
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { view: 'dense' as const } };
  assert.equal((await phaseF({ ...opts, doses: [1000], executor: testEngine().executor })).succeeded, 2);
  const study = parseStudySettings({ simulation: { doses: [1000] } });
  const input = join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz');
  const whole = readFileSync(input);
  const flipped = Buffer.from(whole);
  flipped[Math.floor(whole.length / 2)]! ^= 0xff; // same size, a corrupt member (its CRC-32)
  for (const [what, bytes] of [['truncated', whole.subarray(0, whole.length - 30)], ['corrupt', flipped]] as const) {
    writeFileSync(input, bytes);
    const local = await refusal(() => phaseF({ ...opts, doses: [1000], executor: testEngine().executor }));
    assert.ok(local.startsWith(`${input}: the input of a finished job, changed since it ran, is broken (`), `${what}: ${local}`);
    assert.equal(await refusal(() => reconstructSteps(study, opts)), local, what);
    assert.deepEqual(readFileSync(input), bytes, `${what}: left as it is`);
  }
  // another whole dataset in its place: the job is submitted again, as a local run runs it again
  writeFileSync(input, readFileSync(join(t.phaseD, 'dose_1000', 'dense', 'dense_test.npz')));
  assert.deepEqual((await reconstructSteps(study, opts)).map((s) => s.tasks), [['dose_1000/dense/train']]);
});

test('compare --executor slurm into an output root whose metrics_summary.json is broken: the local run\'s one line, not each task\'s failure', async () => {
  const t = writeTree(tmp('slurm-broken-summary'), { doses: [1000] });
  assert.equal((await phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], executor: testEngine().executor })).succeeded, 6);
  const g = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, phaseFRoot: t.artifact, outputRoot: join(t.artifact, '..', 'phase_g') };
  assert.equal(compareSteps(g)[0]!.tasks.length, 6);
  mkdirSync(g.outputRoot, { recursive: true });
  writeFileSync(join(g.outputRoot, 'metrics_summary.json'), '{"rows": [');
  const local = await refusal(() => runComparison(g));
  assert.match(local, /metrics_summary\.json/);
  assert.equal(await refusal(async () => compareSteps(g)), local);
  assert.deepEqual(readdirSync(g.outputRoot), ['metrics_summary.json'], 'nothing written');
});

test('a submission into an artifact root a local run is writing is refused as a second local run is', async () => {
  const t = writeTree(tmp('slurm-busy-root'), { doses: [1000] });
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters: { view: 'dense' as const } };
  mkdirSync(t.artifact);
  const lock = tryLock(join(t.artifact, '.reconstruct.lock'), 'reconstruct run', 'artifact root'); // a local run under way
  try {
    const local = await refusal(() => phaseF({ ...opts, doses: [1000], executor: testEngine().executor }));
    assert.match(local, /: another reconstruct run \(pid \d+\).* is writing into this artifact root \(lock .*\.reconstruct\.lock\)$/);
    assert.equal(await refusal(() => reconstructSteps(parseStudySettings({ simulation: { doses: [1000] } }), opts)), local);
  } finally {
    lock.release();
  }
  assert.equal((await reconstructSteps(parseStudySettings({ simulation: { doses: [1000] } }), opts)).length, 1);
});

test('generate and overlap submissions into a root a local generate or overlap is writing are refused as a second local run is', async () => {
  const root = tmp('slurm-busy-c-d');
  const t = writeTree(root, { doses: [1000] });
  const settings = parseStudySettings({ preset: 'quick', simulation: { doses: [1000] } });
  const c = join(root, 'new_phase_c'), d = join(root, 'new_phase_d');
  mkdirSync(c);
  mkdirSync(d);
  const cases = [
    { lock: join(c, '.generate.lock'), owner: 'generate run', place: 'Phase C root',
      local: () => runSimulation(settings, { outputRoot: c }), slurm: () => generateSteps(settings, { outputRoot: c }) },
    { lock: join(d, '.overlap.lock'), owner: 'overlap run', place: 'Phase D root',
      local: () => runOverlap(settings, { phaseCRoot: t.phaseC, outputRoot: d }), slurm: () => overlapSteps(settings, { phaseCRoot: t.phaseC, outputRoot: d }) },
  ];
  for (const k of cases) {
    const lock = tryLock(k.lock, k.owner, k.place); // a local run under way
    try {
      const local = await refusal(k.local);
      assert.match(local, new RegExp(`: another ${k.owner} \\(pid \\d+\\).* is writing into this ${k.place} \\(lock .*\\${k.lock.slice(k.lock.lastIndexOf('/') + 1)}\\)$`));
      assert.equal(await refusal(async () => k.slurm()), local);
    } finally {
      lock.release();
    }
  }
  assert.deepEqual(readdirSync(c), [], 'nothing written');
  assert.deepEqual(readdirSync(d), [], 'nothing written');
  assert.deepEqual(generateSteps(settings, { outputRoot: c }).map((s) => s.tasks), [['dose_1000']]);
  assert.deepEqual(overlapSteps(settings, { phaseCRoot: t.phaseC, outputRoot: d }).map((s) => s.tasks), [['dose_1000']]);
});

test('a study submission refuses a hub whose Phase C, D or F root a local command is writing, with the line a local run gives', async () => {
  const hub = tmp('slurm-busy-hub-roots');
  writeTree(hub, { doses: [1000] });
  const settings = parseStudySettings({ simulation: { doses: [1000] } });
  for (const [dir, name, owner, place] of [['phase_c', '.generate.lock', 'generate run', 'Phase C root'], ['phase_d', '.overlap.lock', 'overlap run', 'Phase D root'],
    ['phase_f', '.reconstruct.lock', 'reconstruct run', 'artifact root']] as const) {
    mkdirSync(join(hub, dir), { recursive: true });
    const path = join(hub, dir, name);
    const lock = tryLock(path, owner, place);
    try {
      // what a local run's reading of that root (or its phase, which takes the same lock) refuses it with
      const local = await refusal(async () => tryLock(path, 'study run (reading)', place));
      // whether Phases C and D are still to run (Phase F then runs every job) or recorded complete
      for (const complete of [(): boolean => false, (phase: string): boolean => phase === 'generate' || phase === 'overlap']) {
        assert.equal(await refusal(() => studySteps(hub, settings, complete)), local);
      }
    } finally {
      lock.release();
    }
  }
  assert.equal(existsSync(join(hub, 'phase_f', 'reconstruction_manifest.json')), false, 'nothing written');
  assert.deepEqual((await studySteps(hub, settings, () => false)).map((s) => s.step), ['generate', 'overlap', 'reconstruct', 'compare']);
});

/** The message `f` rejects with (a UsageError or an InputError: exit code 2). */
async function usageRefusal(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof UsageError || err instanceof InputError, String(err));
    return err.message;
  }
  assert.fail('expected a refusal');
}

const skip = noSlurm();

test('run --executor slurm into a hub that is a file, or under one: the local run\'s one line, nothing written', { skip: skip ?? false }, async () => {
  const root = tmp('slurm-file-hub');
  mkdirSync(root, { recursive: true });
  const file = join(root, 'hub');
  writeFileSync(file, 'not a hub\n');
  const settings = parseStudySettings({ preset: 'quick', execution: { executor: 'slurm' } });
  const env = { argv: ['ptychostudy', 'run'], node: process.execPath, nodeVersion: process.version, entry: CLI, cwd: root };
  for (const hub of [file, join(file, 'sub')]) {
    const local = await usageRefusal(() => runStudy(hub, parseStudySettings({ preset: 'quick' })));
    assert.equal(await usageRefusal(() => submitStudy(hub, settings, env)), local);
  }
  assert.match(await usageRefusal(() => submitStudy(join(file, 'sub'), settings, env)), /expected a directory that can be created; found a file at .*hub$/);
  assert.deepEqual(readdirSync(root), ['hub'], 'nothing written');
});

test('reconstruct --executor slurm with such a file: exit 2, one line as without SLURM, no sbatch call, no slurm/ record', { skip: skip ?? false }, async () => {
  const root = tmp('slurm-start-files-cli');
  const t = tree(root);
  // an sbatch in front of SLURM's that only logs that it was called (and submits nothing)
  const bin = join(root, 'bin'), called = join(root, 'sbatch-called');
  mkdirSync(bin);
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\necho "$@" >> '${called}'\nexit 1\n`);
  chmodSync(join(bin, 'sbatch'), 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };
  const args = ['reconstruct', '--phase-c-root', t.phaseC, '--phase-d-root', t.phaseD, '--out', t.artifact, '--doses', '1000', '--dose', '1000', '--view', 'dense'];
  const probe = probeFile(join(root, 'small-probe.npz'), 8), object = writeProductObject(join(root, 'coarse.h5'), 2e-8);
  for (const [flag, setting] of [[`--init-probe=file:${probe}`, { initProbe: `file:${probe}` }], [`--init-object=file:${object}`, { initObject: `file:${object}` }]] as const) {
    // what the local run refuses it with (the CLI prints it after the command's name)
    const local = await refusal(() => phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000],
      filters: { dose: 1000, view: 'dense' }, settings: setting, executor: testEngine().executor }));
    const slurm = spawnSync(process.execPath, [CLI, ...args, flag, '--executor', 'slurm', '--detach'], { encoding: 'utf8', env });
    assert.equal(slurm.status, 2, slurm.stderr);
    assert.equal(slurm.stderr, `ptychostudy reconstruct: ${local}\n`);
    assert.equal(existsSync(called), false, 'sbatch was not called');
    assert.equal(existsSync(t.artifact), false, 'no script, no slurm/jobs.json, nothing written');
  }
});
