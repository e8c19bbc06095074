/**
 * A Phase F job stopped by SIGTERM (`ptychostudy reconstruct`, its engine in a worker thread) ends the epoch under way
 * and writes its checkpoint at the stop, though no periodic one is due yet (checkpoint every 50 epochs): the next
 * `reconstruct` continues from the epoch it stopped at and writes the bytes of the uninterrupted job's
 * reconstruction.npz. One job of 400 epochs (a 32×32 probe over an 80×80 object, 60 positions, one thread).
 *
 * A job stopped in its last epoch finishes it, and `reconstruct` records it as any finished job before it exits with
 * 143: the next run finds it complete and runs no epoch of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NpzReader } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { writeTree } from '../study/reconstruct-helpers.js';
import { waitFor } from '../e2e/child.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const JOB = join('dose_1000', 'dense', 'train');
const EPOCHS = 400;

/** The epochs the staging directory's lsqml.log lists (the job under way writes it after every epoch). */
function epochsLogged(jobDir: string): number {
  if (!existsSync(jobDir)) return 0;
  const staging = readdirSync(jobDir).find((n) => n.startsWith('.staging-'));
  const log = staging !== undefined ? join(jobDir, staging, 'lsqml.log') : null;
  return log !== null && existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((l) => l.startsWith('epoch ')).length : 0;
}

test('reconstruct stopped by SIGTERM writes the job\'s checkpoint at the epoch it stopped at; the next run continues from it to the uninterrupted bytes',
  { timeout: 180_000 }, async () => {
    const dir = tempDir('reconstruct-stop-checkpoint');
    const t = writeTree(join(dir, 'stopped'), { doses: [1000] });
    writeSyntheticDataset(join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz'), { size: 32, height: 80, width: 80, positions: 60, photons: 1e4, poisson: true, seed: 2 });
    const whole = join(dir, 'whole');
    cpSync(join(dir, 'stopped'), whole, { recursive: true });
    const config = join(dir, 'study.json');
    writeFileSync(config, JSON.stringify({ reconstruction: { epochs: EPOCHS, batchSize: 12, threads: 1 }, execution: { checkpointEvery: 50 } }));
    const args = (root: string): string[] => [CLI, 'reconstruct', '--phase-c-root', join(root, 'phase_c'), '--phase-d-root', join(root, 'phase_d'),
      '--out', join(root, 'artifacts'), '--config', config, '--doses', '1000', '--dose', '1000', '--view', 'dense', '--split', 'train', '--jobs', '1'];
    const env = { ...process.env, NO_COLOR: '1' };
    const jobDir = join(t.artifact, JOB);
    const checkpoint = join(jobDir, 'lsqml-checkpoint.npz');

    const child = spawn(process.execPath, args(join(dir, 'stopped')), { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exit = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    await waitFor(() => epochsLogged(jobDir) >= 3, child, 120_000);
    child.kill('SIGTERM');
    assert.equal(await exit, 143, stderr);
    assert.match(stderr, /ptychostudy reconstruct: terminated \(SIGTERM\); 0 finished jobs kept in \S+ \(the jobs that were running continue from the epoch they reached\)\. /);

    // the state at the stop: the epochs the stopped run logged, though no checkpoint was due (every 50)
    const logged = epochsLogged(jobDir);
    assert.ok(existsSync(checkpoint), `a checkpoint at the stop (${logged} epochs logged)`);
    const reader = NpzReader.open(checkpoint);
    const md = readMetadata(reader);
    reader.close();
    const k = md.status === 'ok' ? md.value['epochs_done'] as number : null;
    assert.equal(k, logged, 'the checkpoint holds the state after the last epoch the stopped run finished');
    assert.ok(k !== null && k >= 3 && k < EPOCHS, `stopped at epoch ${k}`);

    const again = spawnSync(process.execPath, args(join(dir, 'stopped')), { encoding: 'utf8', env });
    assert.equal(again.status, 0, again.stderr);
    const log = readFileSync(join(jobDir, 'reconstruction.log'), 'utf8');
    assert.ok(log.includes(`\ncontinued from epoch ${k} of ${EPOCHS} (checkpoint ${checkpoint})\n`), log.slice(0, 2000));
    assert.equal(existsSync(checkpoint), false, 'removed once the result is in place');

    const w = spawnSync(process.execPath, args(whole), { encoding: 'utf8', env });
    assert.equal(w.status, 0, w.stderr);
    assert.ok(readFileSync(join(jobDir, 'reconstruction.npz')).equals(readFileSync(join(whole, 'artifacts', JOB, 'reconstruction.npz'))),
      'reconstruction.npz differs from the uninterrupted job\'s');
  });

/** Waits, polling every 10 ms, until `cond` holds or the child has exited; true when it held. */
async function whenOrExit(cond: () => boolean, child: { exitCode: number | null }, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (child.exitCode !== null || Date.now() - t0 > ms) return false;
    await new Promise((done) => setTimeout(done, 10));
  }
  return true;
}

test('reconstruct stopped by SIGTERM in its job\'s last epoch records the finished job before it exits with 143; the next run skips it as complete',
  { timeout: 300_000 }, async () => {
    const dir = tempDir('reconstruct-stop-last-epoch');
    const E = 6;
    // epochs of 0.1–0.2 s (64×64 patterns, 1200 positions, one thread): the stop lands in the last one when the log lists E − 1
    const config = join(dir, 'study.json');
    writeFileSync(config, JSON.stringify({ reconstruction: { epochs: E, batchSize: 24, threads: 1 }, execution: { checkpointEvery: 1000 } }));
    const source = join(dir, 'source');
    const t0 = writeTree(source, { doses: [1000] });
    writeSyntheticDataset(join(t0.phaseD, 'dose_1000', 'dense', 'dense_train.npz'), { size: 64, height: 240, width: 240, positions: 1200, photons: 1e4, poisson: true, seed: 3 });
    const env = { ...process.env, NO_COLOR: '1' };
    const args = (root: string): string[] => [CLI, 'reconstruct', '--phase-c-root', join(root, 'phase_c'), '--phase-d-root', join(root, 'phase_d'),
      '--out', join(root, 'artifacts'), '--config', config, '--doses', '1000', '--dose', '1000', '--view', 'dense', '--split', 'train', '--jobs', '1'];
    // The stop may land elsewhere on a loaded machine: after the job ended (exit 0), or between epochs E − 1 and E (its
    // checkpoint holds E − 1 epochs): neither loses an epoch, and the run is tried again, at most 5 times.
    for (let attempt = 1; ; attempt++) {
      const root = join(dir, `try-${attempt}`);
      cpSync(source, root, { recursive: true });
      const jobDir = join(root, 'artifacts', JOB);
      const child = spawn(process.execPath, args(root), { stdio: ['ignore', 'ignore', 'pipe'], env });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
      const exit = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      if (await whenOrExit(() => epochsLogged(jobDir) >= E - 1, child, 240_000)) child.kill('SIGTERM');
      const code = await exit;
      const checkpoint = join(jobDir, 'lsqml-checkpoint.npz');
      const stoppedBetween = code === 143 && existsSync(checkpoint) && epochsLogged(jobDir) === E - 1;
      if ((code === 0 || stoppedBetween) && attempt < 5) continue;
      assert.equal(code, 143, stderr);
      assert.match(stderr, /ptychostudy reconstruct: terminated \(SIGTERM\); 1 finished job kept in \S+ /, stderr);
      // recorded as a finished job is: its files in place, in the manifest, no checkpoint, no staging, no temporary
      assert.ok(existsSync(join(jobDir, 'reconstruction.npz')), `reconstruction.npz in place (${readdirSync(jobDir).join(', ')})`);
      const manifest = JSON.parse(readFileSync(join(root, 'artifacts', 'reconstruction_manifest.json'), 'utf8')) as { execution_results: { status: string; epochs_run: number }[] };
      assert.deepEqual(manifest.execution_results.map((r) => [r.status, r.epochs_run]), [['success', E]]);
      assert.deepEqual(readdirSync(jobDir).filter((n) => n.startsWith('.') || n === 'lsqml-checkpoint.npz'), []);
      const before = readFileSync(join(jobDir, 'reconstruction.npz'));

      const again = spawnSync(process.execPath, args(root), { encoding: 'utf8', env });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /1 already complete/);
      assert.match(again.stdout, /executed 0: 0 succeeded, 0 failed/);
      assert.ok(readFileSync(join(jobDir, 'reconstruction.npz')).equals(before), 'the job was not run again');
      assert.equal(existsSync(join(jobDir, 'history')), false, 'no earlier output moved aside: the job was not run again');
      break;
    }
  });
