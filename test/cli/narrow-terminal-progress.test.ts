/**
 * Progress redrawn in place on a narrow terminal (a split tmux pane, COLUMNS=30): no redrawn line may be as
 * wide as the terminal, or it wraps and every redraw leaves a row behind. Phase F's status block, the SLURM
 * follow view and lsqml's bar are each cut to the width.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ProgressView } from '../../src/cli/progress/reconstruct.js';
import { ClusterProgress } from '../../src/cli/progress/slurm.js';
import { progressPrinter } from '../../src/cli/commands/lsqml.js';
import type { SubmissionView } from '../../src/study/slurm/follow.js';

class Terminal extends Writable {
  text = '';
  constructor(readonly columns: number) { super(); }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** The characters of a line as the terminal shows them (escape sequences removed). */
const visible = (l: string): number => Array.from(l.replace(/\x1b\[\d*[A-Za-z]/g, '')).length;

for (const columns of [30, 40, 60]) {
  test(`Phase F's status block fits a ${columns}-column terminal`, () => {
    const term = new Terminal(columns);
    const view = new ProgressView(term, true);
    const a = { dose: 100000, view: 'baseline', split: 'train' };
    view.handle({ type: 'plan', runId: 'r', snapshotDir: 'd', totalJobs: 18, selected: [a], toRun: [a], alreadyComplete: [], skipped: [], dryRun: false, concurrency: 1 });
    view.handle({ type: 'job-start', job: a, index: 1, count: 1, command: 'x' });
    const block = term.text.slice(term.text.lastIndexOf('\x1b[J') + 3).split('\n').filter((l) => l !== '');
    assert.ok(block.length >= 2, term.text);
    for (const l of block) assert.ok(visible(l) < columns, `${JSON.stringify(l)} is ${visible(l)} characters wide`);
  });

  test(`the SLURM follow view fits a ${columns}-column terminal`, () => {
    const term = new Terminal(columns);
    const progress = new ClusterProgress(term, true);
    const view = {
      home: 'hub', number: 1, command: 'run', submittedAt: '2026-01-01T00:00:00Z', active: true, finish: null, rejected: null, cancelled: [],
      finishJob: { jobId: '1234570', state: 'queued' },
      steps: [{ step: 'reconstruct', jobId: '1234568', tasks: 18, arrayTasks: 18, queued: 13, running: 2, done: 3, failed: 0,
        waiting: ['Dependency'], final: false, failures: [], detail: null }],
    } as unknown as SubmissionView;
    progress.update(view);
    const lines = term.text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, term.text);
    for (const l of lines) assert.ok(visible(l) < columns, `${JSON.stringify(l)} is ${visible(l)} characters wide`);
  });

  test(`lsqml's bar fits a ${columns}-column terminal`, () => {
    const term = new Terminal(columns);
    const p = progressPrinter(term, true);
    for (let e = 1; e <= 3; e++) p.update({ epoch: e, epochs: 100, loss: 1234.5 / e, seconds: 12.5 });
    p.done();
    const redraws = term.text.split('\r').filter((l) => l !== '');
    assert.equal(redraws.length, 3, JSON.stringify(term.text));
    // the status shown before the first epoch (reading the input) is cut to the width too, and the bar replaces it
    const t2 = new Terminal(columns);
    const q = progressPrinter(t2, true);
    q.status('reading /data/beamline/2026/scan_000123.cxi (3.95 GiB) and preparing the first epoch …');
    q.update({ epoch: 1, epochs: 100, loss: 1, seconds: 1 });
    q.done();
    const shown = t2.text.split('\r').filter((l) => l !== '');
    assert.equal(shown.length, 2, JSON.stringify(t2.text));
    assert.match(shown[0]!, /^reading /);
    for (const l of shown) assert.ok(visible(l.replace(/\n$/, '')) < columns, `${JSON.stringify(l)} is too wide`);
    for (const l of redraws) assert.ok(visible(l.replace(/\n$/, '')) < columns, `${JSON.stringify(l)} is too wide`);
  });
}

test('lsqml\'s status before the first epoch: erased when no epoch comes (a refusal\'s one line stands alone); never printed when piped', () => {
  const term = new Terminal(80);
  const p = progressPrinter(term, true);
  p.status('reading scan.cxi (1.00 GiB) and preparing the first epoch …');
  p.done();
  assert.equal(term.text, '\rreading scan.cxi (1.00 GiB) and preparing the first epoch …\x1b[K\r\x1b[K');
  const piped = new Terminal(80);
  const q = progressPrinter(piped, false);
  q.status('reading scan.cxi (1.00 GiB) and preparing the first epoch …');
  q.update({ epoch: 1, epochs: 2, loss: 1, seconds: 1 });
  q.done();
  assert.equal(piped.text, 'epoch 1/2 loss 1.000000e+0 seconds 1.000\n');
});
