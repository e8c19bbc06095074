/**
 * A Phase F job whose SLURM task is requeued mid-job (`scontrol requeue`, as after a node failure or a preemption on a
 * cluster that requeues) continues from its checkpoint when the task runs again: the task's log says it took the job
 * back, the job's reconstruction.log that it continued from epoch k > 0 (and lists every epoch), and its
 * reconstruction.npz holds the bytes of the same job run uninterrupted here. One job of 300 epochs (a 32×32 probe over
 * an 80×80 object, 60 positions, one thread), a checkpoint every 1000 epochs: none is due before the job ends, so the
 * checkpoint it continues from is the one its task wrote at SLURM's SIGTERM. Skipped, saying why, where no SLURM answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClaimSchema } from '../../src/study/slurm/records.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { writeTree } from '../study/reconstruct-helpers.js';
import { tempDir } from '../tmp.js';
import { cliAsync as cli, leaveNoSlurmJobs, noSlurm, waitFor } from './slurm-helpers.js';

leaveNoSlurmJobs(); // its SLURM jobs end before its folders are removed (slurm-helpers.ts)

const skip = noSlurm() ?? false;


const JOB = join('dose_1000', 'dense', 'train');

test('a SLURM task requeued in the middle of a Phase F job takes the job back and continues from its checkpoint, to the bytes of the uninterrupted job',
  { skip, timeout: 600_000 }, async () => {
    const dir = tempDir('slurm-requeue-checkpoint');
    const t = writeTree(join(dir, 'slurm'), { doses: [1000] });
    writeSyntheticDataset(join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz'), { size: 32, height: 80, width: 80, positions: 60, photons: 1e4, poisson: true, seed: 2 });
    const config = join(dir, 'study.json');
    writeFileSync(config, JSON.stringify({ reconstruction: { epochs: 300, batchSize: 12, threads: 1 }, execution: { checkpointEvery: 1000 } }));
    const local = join(dir, 'local');
    cpSync(join(dir, 'slurm'), local, { recursive: true });
    const args = (root: string): string[] => ['reconstruct', '--phase-c-root', join(root, 'phase_c'), '--phase-d-root', join(root, 'phase_d'),
      '--out', join(root, 'artifacts'), '--config', config, '--doses', '1000', '--dose', '1000', '--view', 'dense', '--split', 'train'];
    const out = t.artifact;
    try {
      const sub = await cli([...args(join(dir, 'slurm')), '--executor', 'slurm', '--slurm-tasks', '1', '--detach']);
      assert.equal(sub.status, 0, sub.stderr);
      // once the job has run a few epochs, the task is requeued: SLURM ends it (SIGTERM), the job ends the epoch under
      // way and writes its checkpoint, and SLURM queues the task again
      const checkpoint = join(out, JOB, 'lsqml-checkpoint.npz');
      const epochsRun = (): number => {
        const staging = existsSync(join(out, JOB)) ? readdirSync(join(out, JOB)).find((n) => n.startsWith('.staging-')) : undefined;
        const log = staging !== undefined ? join(out, JOB, staging, 'lsqml.log') : null;
        return log !== null && existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('epoch ')).length : 0;
      };
      await waitFor('the job\'s third epoch', () => epochsRun() >= 3, 240_000, 50);
      const claimPath = join(out, 'slurm', '1', 'reconstruct', 'claims', '0.json');
      const claim = ClaimSchema.parse(JSON.parse(readFileSync(claimPath, 'utf8')));
      const requeue = spawnSync('scontrol', ['requeue', claim.slurm_job!], { encoding: 'utf8' });
      assert.equal(requeue.status, 0, requeue.stderr);
      // the same job uninterrupted, here, while SLURM waits to start the task again
      const [whole, follow] = await Promise.all([cli(args(local)), cli(['status', '--out', out, '--wait', '--json'])]);
      assert.equal(whole.status, 0, whole.stderr);
      assert.equal(follow.status, 0, `the submission ends with exit code 0: ${follow.stdout}${follow.stderr}`);

      // the task's second run took the job back…
      const now = ClaimSchema.parse(JSON.parse(readFileSync(claimPath, 'utf8')));
      assert.equal(now.restart, 1);
      assert.deepEqual(now.taken_back_from, claim);
      const [arrayId, task] = claim.slurm_job!.split('_');
      const taskLog = readFileSync(join(out, 'slurm', 'logs', `reconstruct-${arrayId}_${task}.out`), 'utf8');
      assert.match(taskLog, /run 2: requeued by SLURM/);
      assert.match(taskLog, new RegExp(`takes back job 0 \\(dose_1000/dense/train\\), taken by this task's run before the requeue \\(pid ${claim.pid} on `));
      // …and continued from its checkpoint, not from epoch 0
      const log = readFileSync(join(out, JOB, 'reconstruction.log'), 'utf8');
      const from = /^continued from epoch (\d+) of 300 \(checkpoint (\S+)\)$/m.exec(log);
      assert.ok(from !== null, `the job log says where it continued from:\n${log.slice(0, 2000)}`);
      const k = Number(from[1]);
      assert.ok(k > 0 && k < 300, `continued from epoch ${k}`);
      assert.equal(from[2], checkpoint);
      assert.match(taskLog, new RegExp(`continued from epoch ${k} of 300`));
      // every epoch is in the job log, those of the first run from the checkpoint's loss history
      const epochs = (text: string): string[] => [...text.matchAll(/^epoch (\d+)\/300 loss=(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
      const wholeLog = readFileSync(join(local, 'artifacts', JOB, 'reconstruction.log'), 'utf8');
      assert.equal(epochs(wholeLog).length, 300);
      assert.deepEqual(epochs(log), epochs(wholeLog));
      assert.ok(readFileSync(join(out, JOB, 'reconstruction.npz')).equals(readFileSync(join(local, 'artifacts', JOB, 'reconstruction.npz'))),
        'reconstruction.npz differs from the uninterrupted job\'s');
      assert.equal(existsSync(checkpoint), false, 'the checkpoint is removed once the result is in place');
    } finally {
      if (existsSync(join(out, 'slurm', 'jobs.json'))) await cli(['cancel', '--out', out]);
    }
  });
