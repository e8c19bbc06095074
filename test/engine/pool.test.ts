/**
 * The phase pool serves each dispatch once. The main thread bumps the dispatch counter and then
 * notifies; when it is held up between the two, a worker that saw the bump may finish its part and
 * block again before the notify comes, and must not take that late notify for a new dispatch (it
 * would run the same phase again: an LSQML run on two threads then rarely gave other bytes). Here
 * every notify of the main thread is held back a few milliseconds, so that late notify happens at
 * most dispatches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLsqml } from '../../src/engine/lsqml.js';
import { syntheticProblem } from '../../src/engine/synthetic.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';

const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Runs `f` with every Atomics.notify of this thread delayed by `ms` (busy-waiting, as a descheduled thread would). */
async function withLateNotify<T>(ms: number, f: () => Promise<T>): Promise<T> {
  const notify = Atomics.notify;
  let calls = 0;
  Atomics.notify = ((a: Int32Array, index: number, count?: number): number => {
    calls++;
    const until = performance.now() + ms;
    while (performance.now() < until);
    return notify(a, index, count);
  }) as typeof Atomics.notify;
  try {
    const r = await f();
    assert.ok(calls > 20, `only ${calls} notifies were delayed`);
    return r;
  } finally {
    Atomics.notify = notify;
  }
}

for (const precision of ['float32', 'float64'] as const) {
  test(`late dispatch notifies: two threads give the bytes of one (${precision}, two probe modes)`, async () => {
    const prob = syntheticProblem({ size: 32, height: 72, width: 72, positions: 60, photons: 1e4, seed: 9 });
    const input = { ...prob.input, probe: { modes: 2, size: 32, data: addProbeModes(Float64Array.from(prob.input.probe.data), 32, 2) } };
    const go = (threads: number) => runLsqml(input, { epochs: 3, batchSize: 16, seed: 3, threads, precision });
    const a = await go(1);
    const b = await withLateNotify(3, () => go(2));
    assert.ok(bytes(a.object).equals(bytes(b.object)), 'object bytes differ');
    assert.ok(bytes(a.probe).equals(bytes(b.probe)), 'probe bytes differ');
    assert.deepEqual(b.lossHistory, a.lossHistory);
  });
}
