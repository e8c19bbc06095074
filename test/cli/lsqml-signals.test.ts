/**
 * Ctrl-C (SIGINT) and SIGTERM during `ptychostudy lsqml`: the run stops at the end of the epoch under way,
 * says that nothing was written, where its log is and how to start over (without checkpoints: SIGINT here) or
 * continue (with them: SIGTERM here, the default), and ends with 130 or 143; the next run into the same folder
 * moves that log to history/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { waitFor } from '../e2e/child.js';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const root = tempDir('lsqml-signals');
const ds = writeSyntheticDataset(join(root, 'data.npz'), { size: 32, height: 80, width: 80, positions: 100, photons: 1e4, poisson: true, seed: 3 });

for (const [signal, code, word] of [['SIGINT', 130, 'interrupted'], ['SIGTERM', 143, 'terminated \\(SIGTERM\\)']] as const) {
  const checkpoints = signal === 'SIGTERM';
  test(`lsqml: ${signal} during the epochs ends with ${code}, writes no result and says how to ${checkpoints ? 'continue (checkpoints)' : 'start over (no checkpoints)'}`, { timeout: 60_000 }, async () => {
    const out = join(root, `out-${signal}`);
    const args = ['lsqml', '--input', ds.path, '--out', out, '--epochs', '5000', '--batch-size', '50', '--threads', signal === 'SIGINT' ? '1' : '2',
      ...(checkpoints ? [] : ['--checkpoint-every', '0'])];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exit = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    await waitFor(() => /^epoch 2\/5000 /m.test(stderr), child, 30_000);
    child.kill(signal);
    assert.equal(await exit, code, stderr);
    const done = Number([...stderr.matchAll(/^epoch (\d+)\/5000 /gm)].pop()![1]); // the last epoch shown
    assert.ok(done >= 2 && done < 5000, stderr);
    const pattern = `\\nptychostudy lsqml: ${word} after ${done} of 5000 epochs; no result was written \\(the reconstruction is written after the last epoch\\) ` +
      `and the earlier files of ${out} are as they were\\.\\nThe log of those epochs is in ${out}/\\.staging-lsqml-\\*-${child.pid}/lsqml\\.log; ` +
      `the next run into ${out} moves it to ${out}/history/\\. ` +
      (checkpoints ? `The state after epoch ${done - 1} is in ${out}/lsqml-checkpoint\\.npz; continue with: ` : 'Start over with: ') + `ptychostudy ${args.join(' ')}\\n$`;
    assert.match(stderr, new RegExp(pattern.replace(/\//g, '\\/')));
    assert.ok(!existsSync(join(out, 'reconstruction.npz')));
    assert.ok(!existsSync(join(out, '.lsqml.lock')), 'the lock is released');
    assert.equal(existsSync(join(out, 'lsqml-checkpoint.npz')), checkpoints);
    const staging = readdirSync(out).filter((n) => n.startsWith('.staging-lsqml-'));
    assert.equal(staging.length, 1);
    assert.ok(staging[0]!.endsWith(`-${child.pid}`));
    const log = readFileSync(join(out, staging[0]!, 'lsqml.log'), 'utf8');
    assert.equal(log.split('\n').filter((l) => l.startsWith('epoch ')).length, done, 'the log holds every finished epoch');
    if (signal === 'SIGINT') {
      // what the message promises: the next run into the folder moves the log to history/
      const r = spawnSync(process.execPath, [CLI, 'lsqml', '--input', ds.path, '--out', out, '--epochs', '2'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const kept = readdirSync(join(out, 'history'));
      assert.deepEqual(kept.length, 1);
      assert.match(kept[0]!, new RegExp(`^interrupted-.*-${child.pid}$`));
      assert.equal(readFileSync(join(out, 'history', kept[0]!, 'lsqml.log'), 'utf8'), log);
      assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.staging-')), []);
    }
  });
}

test('lsqml --checkpoint-every 0 continued from a checkpoint and stopped: says that the checkpoint it continued from is kept and how to continue from it (was: "Start over with")',
  { timeout: 60_000 }, async () => {
    // the folder the SIGTERM run above left: its checkpoint after `k` epochs
    const stopped = join(root, 'out-SIGTERM');
    assert.ok(existsSync(join(stopped, 'lsqml-checkpoint.npz')), 'the SIGTERM run above left its checkpoint');
    const out = join(root, 'out-continued');
    cpSync(stopped, out, { recursive: true });
    const kept = readFileSync(join(out, 'lsqml-checkpoint.npz'));
    const args = ['lsqml', '--input', ds.path, '--out', out, '--epochs', '5000', '--batch-size', '50', '--threads', '1', '--checkpoint-every', '0'];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exit = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    await waitFor(() => /^continues from epoch \d+ of 5000 /m.test(stderr) && /^epoch \d+\/5000 /m.test(stderr), child, 30_000);
    const k = Number(/^continues from epoch (\d+) of 5000 /m.exec(stderr)![1]);
    child.kill('SIGINT');
    assert.equal(await exit, 130, stderr);
    const done = Number([...stderr.matchAll(/^epoch (\d+)\/5000 /gm)].pop()![1]);
    assert.ok(done > k, stderr);
    assert.ok(stderr.endsWith(`The state after epoch ${k - 1} is in ${out}/lsqml-checkpoint.npz, the checkpoint this run continued from ` +
      `(it kept none of its own: --checkpoint-every 0); continue with: ptychostudy ${args.join(' ')}\n`), stderr);
    assert.ok(readFileSync(join(out, 'lsqml-checkpoint.npz')).equals(kept), 'the checkpoint is as it was');
  });
