/**
 * Phase F and the probe and object files its jobs start from (`initProbe` / `initObject` `file:PATH`): each
 * result records their size and SHA-256 as the job began, and a run that would keep results made from a file
 * whose bytes changed since — a resume (`reconstruct`, `run`'s check of Phase F, a SLURM submission) — refuses
 * before writing anything, instead of counting them complete or running other jobs from the new bytes beside them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { saveNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { ptychostudy } from '../data/cli-run.js';
import { c64 } from '../../src/npy/types.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { ManifestSchema, type Manifest } from '../../src/study/hub/reconstruction-files.js';
import { planReconstruction } from '../../src/study/reconstruct/plan.js';
import { jobsToRun } from '../../src/study/reconstruct/record.js';
import { reconstructSteps } from '../../src/study/slurm/plans.js';
import { phaseF, testEngine, tmp, writeTree } from './reconstruct-helpers.js';

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const manifestOf = (artifact: string): Manifest => ManifestSchema.parse(JSON.parse(readFileSync(join(artifact, 'reconstruction_manifest.json'), 'utf8')));
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function writeStart(path: string, value: number): void {
  saveNpz(path, { reconstructed_object: c64([4, 4], new Float32Array(32).fill(value)), reconstructed_probe: c64([1, 4, 4], new Float32Array(32).fill(value)) });
}

test('a probe or object file changed since the kept results started from it is refused on resume; put back, it is not', async () => {
  const root = tmp('start-files');
  const t = writeTree(root, { doses: [1000] });
  const probe = join(root, 'probe.npz'), object = join(root, 'object.npz'), original = join(root, 'original.npz');
  writeStart(probe, 1);
  writeStart(object, 1);
  copyFileSync(probe, original);
  const engine = testEngine();
  const settings = { epochs: 2, initProbe: `file:${probe}`, initObject: `file:${object}` };
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], settings, executor: engine.executor };

  const first = await phaseF({ ...base, filters: { view: 'dense' } });
  assert.equal(first.succeeded, 2);
  for (const r of manifestOf(t.artifact).execution_results) {
    assert.deepEqual(r.init_probe_file, { size: readFileSync(probe).length, sha256: sha(probe) });
    assert.deepEqual(r.init_object_file, { size: readFileSync(object).length, sha256: sha(object) });
  }

  // the earlier reconstruction that made the probe ran again: other bytes at the same path
  writeStart(probe, 2);
  const before = readFileSync(join(t.artifact, 'reconstruction_manifest.json'));
  const runs = readdirSync(join(t.artifact, 'runs'));
  const refusal = new RegExp(`^${esc(probe)}: expected ${readFileSync(original).length} bytes, SHA-256 ${sha(original).slice(0, 16)}… ` +
    `\\(the reconstruction\\.initProbe file as the finished job dose_1000/dense/(train|test) started from it, reconstruction_manifest\\.json\\); ` +
    `found ${readFileSync(probe).length} bytes, SHA-256 ${sha(probe).slice(0, 16)}…; it changed since — put it back, .*; nothing was written$`);
  const isRefusal = (e: unknown): boolean => e instanceof InputError && refusal.test(e.message);
  // the same jobs (they would count as complete) and other jobs (they would run from the new bytes beside them)
  await assert.rejects(phaseF({ ...base, filters: { view: 'dense' } }), isRefusal);
  await assert.rejects(phaseF({ ...base, filters: { view: 'sparse' } }), isRefusal);
  assert.equal(engine.calls.length, 2, 'no job ran');
  assert.deepEqual(readFileSync(join(t.artifact, 'reconstruction_manifest.json')), before, 'the manifest is as it was');
  assert.deepEqual(readdirSync(join(t.artifact, 'runs')), runs, 'no run recorded');
  // `run`'s check of a complete Phase F, and a SLURM submission, refuse it the same way
  const study = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: settings });
  const opts = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, allowMissingPhaseD: true };
  await assert.rejects(jobsToRun(planReconstruction(study, opts, 1)), isRefusal);
  await assert.rejects(reconstructSteps(study, opts), isRefusal);

  // put back: the finished jobs are complete again
  copyFileSync(original, probe);
  const again = await phaseF({ ...base, filters: { view: 'dense' } });
  assert.equal(again.alreadyComplete, 2);
  assert.equal(again.executed, 0);

  // an object file is checked the same way
  writeStart(object, 3);
  await assert.rejects(phaseF({ ...base, filters: { view: 'sparse' } }),
    (e: unknown) => e instanceof InputError && e.message.startsWith(`${object}: expected `) && e.message.includes('reconstruction.initObject file'));
  // force runs the kept jobs again from the new file: nothing older remains to mix with, and the new bytes are recorded
  const forced = await phaseF({ ...base, force: true, filters: { view: 'dense' } });
  assert.equal(forced.succeeded, 2);
  for (const r of manifestOf(t.artifact).execution_results) assert.equal(r.init_object_file?.sha256, sha(object));
});

test('results recorded before these fields, and results of other settings, are not checked', async () => {
  const root = tmp('start-files-old');
  const t = writeTree(root, { doses: [1000] });
  const probe = join(root, 'probe.npz');
  writeStart(probe, 1);
  const engine = testEngine();
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], executor: engine.executor,
    filters: { view: 'dense' as const } };
  await phaseF({ ...base, settings: { epochs: 2, initProbe: `file:${probe}` } });
  writeStart(probe, 2);
  // other settings (three epochs): the earlier results are not this run's, so they run again, from the new file
  const other = await phaseF({ ...base, settings: { epochs: 3, initProbe: `file:${probe}` } });
  assert.equal(other.succeeded, 2);
  // a manifest written before the records: its results are kept as before (by the setting's path)
  writeStart(probe, 3);
  const path = join(t.artifact, 'reconstruction_manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as { execution_results: Array<Record<string, unknown>> };
  for (const r of m.execution_results) delete r['init_probe_file'];
  writeFileSync(path, JSON.stringify(m));
  const old = await phaseF({ ...base, settings: { epochs: 3, initProbe: `file:${probe}` } });
  assert.equal(old.alreadyComplete, 2);
});

test('a probe file that is not there (a root copied elsewhere): finished jobs need none; jobs still to run refuse it in one line, writing nothing', async () => {
  const root = tmp('start-files-absent');
  const t = writeTree(root, { doses: [1000] });
  const probe = join(root, 'probe.npz'), kept = join(root, 'kept.npz');
  writeStart(probe, 1);
  copyFileSync(probe, kept);
  const engine = testEngine();
  const settings = { epochs: 2, initProbe: `file:${probe}` };
  const base = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], settings, executor: engine.executor };
  // a path no job started from (a new root: a mistyped path, most likely): named alone, and nothing is created
  const typo = join(root, 'typo.npz'), fresh = join(root, 'fresh');
  await assert.rejects(phaseF({ ...base, artifactRoot: fresh, settings: { epochs: 2, initProbe: `file:${typo}` } }), (e: unknown) => e instanceof InputError &&
    e.message === `${typo}: expected the probe file reconstruction.initProbe names, as the 6 jobs still to run start from it; found no file; nothing was written`);
  assert.equal(existsSync(fresh), false);
  assert.equal((await phaseF({ ...base, filters: { view: 'dense' } })).succeeded, 2);
  rmSync(probe);

  // the finished jobs are complete without it: `reconstruct`, `run`'s check of Phase F, a SLURM submission
  const again = await phaseF({ ...base, filters: { view: 'dense' } });
  assert.deepEqual([again.alreadyComplete, again.executed], [2, 0]);
  const study = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: settings });
  const dense = { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, allowMissingPhaseD: true, filters: { view: 'dense' as const } };
  assert.deepEqual(await jobsToRun(planReconstruction(study, dense, 1)), []);
  assert.deepEqual(await reconstructSteps(study, dense), []);

  // jobs that still have to run from it: one line naming the recorded path, before anything is written
  const manifest = readFileSync(join(t.artifact, 'reconstruction_manifest.json'));
  const runs = readdirSync(join(t.artifact, 'runs'));
  const absent = (n: number) => (e: unknown): boolean => e instanceof InputError && new RegExp(`^${esc(probe)}: expected the probe file ` +
    `reconstruction\\.initProbe names, as the ${n} jobs? still to run starts? from it; found no file — if it moved .*put it or a symbolic link ` +
    `to it back at this path .*; nothing was written$`).test(e.message);
  await assert.rejects(phaseF({ ...base, filters: { view: 'sparse' } }), absent(2));
  await assert.rejects(phaseF({ ...base, force: true, filters: { view: 'dense', split: 'test' } }), absent(1));
  await assert.rejects(reconstructSteps(study, { ...dense, filters: { view: 'sparse' } }), /found no file/);
  assert.equal(engine.calls.length, 2, 'no job ran');
  assert.deepEqual(readFileSync(join(t.artifact, 'reconstruction_manifest.json')), manifest, 'the manifest is as it was');
  assert.deepEqual(readdirSync(join(t.artifact, 'runs')), runs, 'no run recorded');

  // the hash check still holds: other bytes at the path are refused; the same bytes (the file put back) run
  writeStart(probe, 2);
  await assert.rejects(phaseF({ ...base, filters: { view: 'sparse' } }), /expected \d+ bytes, SHA-256 .*; found \d+ bytes/);
  copyFileSync(kept, probe);
  assert.equal((await phaseF({ ...base, filters: { view: 'sparse' } })).succeeded, 2);
});

test('a probe or object file is recorded in _metadata by name, size and SHA-256: the same file in another place gives the same reconstruction bytes', () => {
  const base = tmp('start-file-places');
  const data = writeSyntheticDataset(join(base, 'data.npz'), { size: 32, height: 64, width: 64, positions: 24, photons: 1e4, poisson: true, seed: 5 }, 2.5).path;
  const outs: string[] = [];
  for (const place of ['a', join('b', 'deeper')]) {
    // the start files (the dataset itself: its probeGuess and objectGuess) copied to a place of their own
    const dir = join(base, place);
    mkdirSync(dir, { recursive: true });
    cpSync(data, join(dir, 'start.npz'));
    const out = join(dir, 'rec');
    const r = ptychostudy(['lsqml', '--input', data, '--out', out, '--epochs', '2', '--seed', '1',
      '--init-probe', `file:${join(dir, 'start.npz')}`, '--init-object', `file:${join(dir, 'start.npz')}`]);
    assert.equal(r.status, 0, r.stderr);
    outs.push(out);
  }
  assert.ok(readFileSync(join(outs[0]!, 'reconstruction.npz')).equals(readFileSync(join(outs[1]!, 'reconstruction.npz'))), 'the bytes depend on where the start file is');
  const read = readMetadata(join(outs[0]!, 'reconstruction.npz'));
  assert.equal(read.status, 'ok');
  const meta = (read as { value: Record<string, unknown> }).value;
  assert.match(String(meta['init_probe']), /^file:start\.npz: probeGuess/);
  assert.equal((meta['job_options'] as Record<string, unknown>)['initProbe'], 'file:start.npz');
  assert.equal((meta['reconstruction_settings'] as Record<string, unknown>)['initObject'], 'file:start.npz');
  assert.doesNotMatch(JSON.stringify(meta), new RegExp(base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'a path of the start files is recorded');
  // where they were is in the run record
  const run = JSON.parse(readFileSync(join(outs[0]!, 'reconstruction_run.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(run['init_probe_path'], join(base, 'a', 'start.npz'));
  assert.equal(run['init_object_path'], join(base, 'a', 'start.npz'));
});
