/**
 * Phase F jobs checkpoint (execution.checkpointEvery): a job stopped midway continues from `<job>/lsqml-checkpoint.npz`
 * when it runs again, to the bytes of an uninterrupted job's reconstruction.npz, and the checkpoint is removed once
 * the result is in place (with what a killed run left half-written of it). A job in its worker thread stopped by the
 * phase's signal writes its checkpoint at the stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetadata } from '../../src/data/metadata.js';
import { NpzReader } from '../../src/npy/npz.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { StudyAbortedError } from '../../src/study/phase.js';
import type { EngineRunner } from '../../src/study/reconstruct/engine-runner.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { runReconstruction } from '../../src/study/reconstruct/phase.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { tmp, writeTree } from './reconstruct-helpers.js';

const settings = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 7, batchSize: 12, threads: 1 }, execution: { jobs: 1, checkpointEvery: 2 } });
const filters = { dose: 1000, view: 'dense', split: 'train' } as const;
/** The job in this process (the engine's bytes do not depend on the thread it runs in). */
const inProcess: EngineRunner = (job, onProgress) => runLsqmlJob(job, onProgress);

function tree(name: string) {
  const t = writeTree(tmp(name), { doses: [1000] });
  writeSyntheticDataset(join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz'), { size: 16, height: 44, width: 44, positions: 30, photons: 1e4, poisson: true, seed: 2 });
  return t;
}

test('a Phase F job stopped midway continues from its checkpoint to the bytes of an uninterrupted job', async () => {
  const whole = tree('ckpt-whole');
  const a = await runReconstruction(settings, { phaseCRoot: whole.phaseC, phaseDRoot: whole.phaseD, artifactRoot: whole.artifact, filters, engine: inProcess });
  assert.equal(a.exitCode, 0);
  const jobDir = (root: string): string => join(root, 'dose_1000', 'dense', 'train');
  assert.equal(existsSync(join(jobDir(whole.artifact), 'lsqml-checkpoint.npz')), false, 'removed once the result is in place');

  // the same job stopped after its fourth epoch: its state is saved (every 2 epochs, and at the stop)
  const t = tree('ckpt-stopped');
  const stopping: EngineRunner = (job, onProgress) => {
    const stop = new AbortController();
    return runLsqmlJob({ ...job, signal: stop.signal }, (p) => { onProgress(p); if (p.epoch === 4) stop.abort('SIGTERM'); });
  };
  const b = await runReconstruction(settings, { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters, engine: stopping });
  assert.equal(b.exitCode, 1, 'the stopped job is not complete');
  const ck = join(jobDir(t.artifact), 'lsqml-checkpoint.npz');
  assert.ok(existsSync(ck));
  // what a run killed while writing the next checkpoint would leave
  const half = join(jobDir(t.artifact), '.tmp-lsqml-checkpoint.npz.4242.0a0b0c0d');
  writeFileSync(half, 'half a checkpoint');

  const seen: Parameters<EngineRunner>[0][] = [];
  const c = await runReconstruction(settings, { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters,
    engine: (job, onProgress) => { seen.push(job); return inProcess(job, onProgress); } });
  assert.equal(c.exitCode, 0);
  assert.deepEqual(seen.map((j) => j.checkpoint?.path), [ck]);
  assert.ok(readFileSync(join(jobDir(t.artifact), 'reconstruction.npz')).equals(readFileSync(join(jobDir(whole.artifact), 'reconstruction.npz'))),
    'reconstruction.npz differs from the uninterrupted job\'s');
  const losses = (dir: string): string[] => readFileSync(join(dir, 'lsqml.log'), 'utf8').trim().split('\n').map((l) => l.replace(/ seconds .*/, ''));
  assert.deepEqual(losses(jobDir(t.artifact)), losses(jobDir(whole.artifact)));
  // the job log lists every epoch too, those before the stop from the checkpoint's history, and says where it continued from
  const jobLog = (dir: string): string => readFileSync(join(dir, 'reconstruction.log'), 'utf8');
  const epochs = (dir: string): string[] => [...jobLog(dir).matchAll(/^epoch (\d+)\/7 loss=(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.equal(epochs(jobDir(whole.artifact)).length, 7);
  assert.deepEqual(epochs(jobDir(t.artifact)), epochs(jobDir(whole.artifact)));
  assert.ok(jobLog(jobDir(t.artifact)).includes(`\ncontinued from epoch 4 of 7 (checkpoint ${ck})\n`), jobLog(jobDir(t.artifact)));
  assert.ok(!jobLog(jobDir(whole.artifact)).includes('continued from'), 'an uninterrupted job says nothing of it');
  assert.equal(existsSync(ck), false, 'removed once the result is in place');
  assert.equal(existsSync(half), false, 'a half-written checkpoint is removed');
});

test('a Phase F job whose settings changed since it was stopped keeps the earlier checkpoint in its history and starts over', async () => {
  const t = tree('ckpt-other-run');
  const jobDir = join(t.artifact, 'dose_1000', 'dense', 'train');
  const stopping: EngineRunner = (job, onProgress) => {
    const stop = new AbortController();
    return runLsqmlJob({ ...job, signal: stop.signal }, (p) => { onProgress(p); if (p.epoch === 4) stop.abort('SIGTERM'); });
  };
  const b = await runReconstruction(settings, { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters, engine: stopping });
  assert.equal(b.exitCode, 1);
  const ck = join(jobDir, 'lsqml-checkpoint.npz');
  const earlier = readFileSync(ck);

  // another batch size: the checkpoint is of another run
  const other = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 7, batchSize: 10, threads: 1 }, execution: { jobs: 1, checkpointEvery: 2 } });
  const c = await runReconstruction(other, { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters, engine: inProcess });
  assert.equal(c.exitCode, 0, 'the job runs (it is not refused)');
  const kept = join(jobDir, 'history', 'other-run-checkpoint', 'lsqml-checkpoint.npz');
  assert.ok(existsSync(kept), 'the earlier checkpoint is kept in the job\'s history');
  assert.ok(readFileSync(kept).equals(earlier), 'kept as it was');
  assert.equal(existsSync(ck), false);
  const log = readFileSync(join(jobDir, 'reconstruction.log'), 'utf8');
  assert.match(log, /warning: a checkpoint of another run was kept aside in \S+other-run-checkpoint\S+ and this run started over \(key '_metadata\.run\.\S*batch/i);
  // it started over: every epoch of the new settings ran in this run
  const whole = tree('ckpt-other-whole');
  const w = await runReconstruction(other, { phaseCRoot: whole.phaseC, phaseDRoot: whole.phaseD, artifactRoot: whole.artifact, filters, engine: inProcess });
  assert.equal(w.exitCode, 0);
  const losses = (dir: string): string[] => readFileSync(join(dir, 'lsqml.log'), 'utf8').trim().split('\n').map((l) => l.replace(/ seconds .*/, ''));
  assert.deepEqual(losses(jobDir), losses(join(whole.artifact, 'dose_1000', 'dense', 'train')));
});

test('the phase\'s signal stops a job in its worker thread at the end of the epoch under way, its checkpoint written there', { timeout: 60_000 }, async () => {
  const t = tree('ckpt-thread-stop');
  const jobDir = join(t.artifact, 'dose_1000', 'dense', 'train');
  // 40 epochs, a checkpoint due every 50: only the stop writes one
  const long = parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 40, batchSize: 12, threads: 1 }, execution: { jobs: 1, checkpointEvery: 50 } });
  const stop = new AbortController();
  await assert.rejects(runReconstruction(long, { phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, filters, signal: stop.signal },
    (e) => { if (e.type === 'epoch' && e.progress.epoch === 3) stop.abort('SIGTERM'); }), (e: unknown) => e instanceof StudyAbortedError && e.exitCode === 143);
  const ck = join(jobDir, 'lsqml-checkpoint.npz');
  assert.ok(existsSync(ck), 'the checkpoint at the stop');
  const reader = NpzReader.open(ck);
  const md = readMetadata(reader);
  reader.close();
  const k = md.status === 'ok' ? md.value['epochs_done'] : null;
  // the epochs the thread finished: the third, and the one under way when the stop reached it
  const staging = readdirSync(jobDir).find((n) => n.startsWith('.staging-'))!;
  const logged = readFileSync(join(jobDir, staging, 'lsqml.log'), 'utf8').trim().split('\n').length;
  assert.equal(k, logged);
  assert.ok(logged >= 3 && logged < 40, `stopped after epoch ${logged}`);
});
