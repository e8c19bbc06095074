/**
 * TERM=dumb (Emacs' shell and compilation buffers, some CI consoles) is a terminal that cannot move the
 * cursor: progress there is printed as plain lines, as in a log, never redrawn with escape sequences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { redrawsInPlace } from '../../src/cli/progress/terminal.js';
import { ProgressView } from '../../src/cli/progress/reconstruct.js';

class Tty extends Writable {
  text = '';
  isTTY = true;
  columns = 80;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

function withTerm<T>(term: string | undefined, fn: () => T): T {
  const before = process.env.TERM;
  if (term === undefined) delete process.env.TERM; else process.env.TERM = term;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.TERM; else process.env.TERM = before;
  }
}

test('progress is redrawn in place on a terminal, but not on TERM=dumb nor when piped', () => {
  assert.equal(withTerm('xterm-256color', () => redrawsInPlace(new Tty())), true);
  assert.equal(withTerm(undefined, () => redrawsInPlace(new Tty())), true);
  assert.equal(withTerm('dumb', () => redrawsInPlace(new Tty())), false);
  const piped = new Tty();
  piped.isTTY = false;
  assert.equal(withTerm('xterm', () => redrawsInPlace(piped)), false);
});

test('on TERM=dumb Phase F prints plain lines with no escape sequence', () => {
  const out = new Tty();
  const view = new ProgressView(out, withTerm('dumb', () => redrawsInPlace(out)));
  const a = { dose: 1000, view: 'dense', split: 'train' };
  view.handle({ type: 'plan', runId: 'r', snapshotDir: 'd', totalJobs: 18, selected: [a], toRun: [a], alreadyComplete: [], skipped: [], dryRun: false, concurrency: 1 });
  view.handle({ type: 'job-start', job: a, index: 1, count: 1, command: 'x' });
  view.handle({ type: 'epoch', job: a, progress: { epoch: 1, epochs: 2, loss: 0.5, seconds: 0.1 } });
  view.finish();
  assert.doesNotMatch(out.text, /\x1b|\r/);
  assert.match(out.text, /\[1\/1\] start dose=1000 view=dense split=train\n/);
});
