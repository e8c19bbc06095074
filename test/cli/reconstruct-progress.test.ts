import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ProgressView } from '../../src/cli/progress/reconstruct.js';
import { elapsedPrefix } from '../../src/cli/progress/terminal.js';
import { phaseF, testEngine, tmp, writeTree } from '../study/reconstruct-helpers.js';

class Capture extends Writable {
  text = '';
  columns = 120;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function runWith(tty: boolean): Promise<string> {
  const root = tmp(`progress-${tty}`);
  const t = writeTree(root, { doses: [1000] });
  const out = new Capture();
  const view = new ProgressView(out, tty);
  await phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, doses: [1000], filters: { view: 'dense' },
    settings: { epochs: 20 }, executor: testEngine(/dense_test/).executor, jobs: 1 }, (e) => view.handle(e));
  view.finish();
  rmSync(root, { recursive: true, force: true });
  return out.text;
}

test('non-TTY progress: plain lines for start, every ~10 % of epochs, end and failure, each after the time elapsed', async () => {
  const text = await runWith(false);
  assert.ok(!text.includes('\x1b['), 'no escape codes');
  // every plain line begins with the time since the view was made, as a log read later needs
  const stamped = text.trim().split('\n');
  for (const l of stamped) assert.match(l, /^\[\+0:00:\d\d\] ./);
  const lines = stamped.map((l) => l.slice(l.indexOf('] ') + 2));
  assert.match(lines[0]!, /2 job\(s\) to run, 1 at a time/);
  assert.ok(lines.includes('[1/2] start dose=1000 view=dense split=train'));
  assert.equal(lines.filter((l) => /dose=1000 view=dense split=train epoch \d+\/20/.test(l)).length, 10);
  assert.ok(lines.some((l) => /^\[1\/2\] dose=1000 view=dense split=train done in/.test(l)));
  assert.ok(lines.some((l) => /^\[2\/2\] dose=1000 view=dense split=test FAILED: ERROR: Invalid diffraction array shape/.test(l)));
});

test('elapsedPrefix: hours, minutes and seconds since the start', () => {
  assert.equal(elapsedPrefix(1000, 1000), '[+0:00:00] ');
  assert.equal(elapsedPrefix(0, 59_999), '[+0:00:59] ');
  assert.equal(elapsedPrefix(0, 61_000), '[+0:01:01] ');
  assert.equal(elapsedPrefix(0, (3 * 3600 + 25 * 60 + 7) * 1000 + 500), '[+3:25:07] ');
});

test('TTY progress: a status block with done/running/failed and each running job\'s epoch, redrawn in place', async () => {
  const text = await runWith(true);
  assert.match(text, /reconstruct: 0\/2 done · 1 running · 0 failed/);
  assert.match(text, /reconstruct: 2\/2 done · 0 running · 1 failed/);
  assert.match(text, /\x1b\[\d+A\x1b\[J/, 'the block is erased and redrawn');
  const last = text.slice(text.lastIndexOf('\x1b[J') + 3);
  assert.doesNotMatch(last, /running/, 'finish() leaves no status block');

  // epochs of two running jobs (redraws are throttled to 10 per second)
  const out = new Capture();
  const view = new ProgressView(out, true);
  const a = { dose: 1000, view: 'dense', split: 'train' };
  const b = { dose: 1000, view: 'sparse', split: 'train' };
  view.handle({ type: 'plan', runId: 'r', snapshotDir: 'd', totalJobs: 18, selected: [a, b], toRun: [a, b], alreadyComplete: [], skipped: [], dryRun: false, concurrency: 2 });
  view.handle({ type: 'job-start', job: a, index: 1, count: 2, command: 'x' });
  view.handle({ type: 'job-start', job: b, index: 2, count: 2, command: 'x' });
  await new Promise((r) => setTimeout(r, 120));
  view.handle({ type: 'epoch', job: a, progress: { epoch: 5, epochs: 20, loss: 0.5, seconds: 0.1 } });
  await new Promise((r) => setTimeout(r, 120));
  view.handle({ type: 'epoch', job: b, progress: { epoch: 10, epochs: 20, loss: 0.25, seconds: 0.1 } });
  const screen = out.text.slice(out.text.lastIndexOf('\x1b[J') + 3);
  assert.match(screen, /^reconstruct: 0\/2 done · 2 running · 0 failed · ETA \d+ s\n/);
  assert.match(screen, /dose=1000 view=dense split=train \[#####\.{15}\] epoch 5\/20 loss 5\.000e-1/);
  assert.match(screen, /dose=1000 view=sparse split=train \[#{10}\.{10}\] epoch 10\/20 loss 2\.500e-1/);
});

test('ETA: elapsed time scaled by the fraction of jobs and epochs still to do', () => {
  const view = new ProgressView(new Capture(), false);
  const a = { dose: 1000, view: 'dense', split: 'train' };
  const b = { dose: 1000, view: 'dense', split: 'test' };
  assert.equal(view.eta(), null, 'nothing planned yet');
  const t0 = Date.now();
  view.handle({ type: 'plan', runId: 'r', snapshotDir: 'd', totalJobs: 18, selected: [a, b], toRun: [a, b], alreadyComplete: [], skipped: [], dryRun: false, concurrency: 1 });
  view.handle({ type: 'job-start', job: a, index: 1, count: 2, command: 'x' });
  assert.equal(view.eta(t0 + 10_000), null, 'no epoch finished yet');
  // Half of job a after 10 s: a quarter of the work, so 30 s left.
  view.handle({ type: 'epoch', job: a, progress: { epoch: 10, epochs: 20, loss: 0.5, seconds: 0.1 } });
  const eta = view.eta(t0 + 10_000)!;
  assert.match(eta, /^(29|30|31) s$/, eta);
  assert.match(view.eta(t0 + 40_000)!, /^2 min 0 s$|^1 min 59 s$|^2 min 1 s$/);
});

test('non-TTY progress: a job that continued from its checkpoint says from which epoch, and its lines go on every ~10 % from there', () => {
  const out = new Capture();
  const view = new ProgressView(out, false);
  const job = { dose: 1000, view: 'dense', split: 'train' } as const;
  view.handle({ type: 'job-start', job, index: 1, count: 1, command: 'ptychostudy lsqml …' });
  const resumed = { from: 12, checkpoint: '/hub/phase_f/dose_1000/dense/train/lsqml-checkpoint.npz', earlier: Array.from({ length: 12 }, () => ({ loss: 1, seconds: 0.1 })) };
  view.handle({ type: 'epoch', job, progress: { epoch: 13, epochs: 20, loss: 0.5, seconds: 0.1, resumed } });
  for (let e = 14; e <= 20; e++) view.handle({ type: 'epoch', job, progress: { epoch: e, epochs: 20, loss: 0.5, seconds: 0.1 } });
  const lines = out.text.trim().split('\n').map((l) => l.slice(l.indexOf('] ') + 2));
  assert.deepEqual(lines.slice(1), [
    '  dose=1000 view=dense split=train continued from epoch 12 of 20 (checkpoint /hub/phase_f/dose_1000/dense/train/lsqml-checkpoint.npz)',
    ...[14, 16, 18, 20].map((e) => `  dose=1000 view=dense split=train epoch ${e}/20 loss 5.0000e-1`),
  ]);
});
