/**
 * waitForChange: a worker blocked on a control word returns only when the word changes — a notify
 * that arrives while the word is unchanged (a late notify of a job already served) wakes it without
 * making it act.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';

const SLOT = 0, READY = 1, RETURNED = 2, VALUE = 3;

/** Blocks this thread for `ms` milliseconds. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('a notify without a change wakes the waiting worker, which goes on waiting; a change returns the new value', async () => {
  const ctl = new Int32Array(new SharedArrayBuffer(16));
  const url = new URL('../../src/math/wait-for-change.js', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ waitForChange }) => {
      const ctl = new Int32Array(workerData.ctl);
      Atomics.store(ctl, ${READY}, 1);
      const v = waitForChange(ctl, ${SLOT}, 0);
      Atomics.store(ctl, ${VALUE}, v);
      Atomics.store(ctl, ${RETURNED}, 1);
      parentPort.postMessage(v);
    });`;
  const worker = new Worker(code, { eval: true, workerData: { url, ctl: ctl.buffer } });
  const returned = new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  try {
    for (let t = 0; t < 1000 && Atomics.load(ctl, READY) === 0; t++) sleep(10);
    assert.equal(Atomics.load(ctl, READY), 1, 'the worker did not start within 10 s');
    // Notify without changing the word until a notify reaches the worker blocked in Atomics.wait
    // (Atomics.notify returns how many waiters it woke).
    let woken = 0;
    for (let t = 0; t < 500 && woken === 0; t++) { sleep(10); woken = Atomics.notify(ctl, SLOT); }
    assert.equal(woken, 1, 'no notify reached the waiting worker within 5 s');
    sleep(100);
    assert.equal(Atomics.load(ctl, RETURNED), 0, 'the worker took a notify without a change for a new value');
    // It is waiting again: the next notify without a change wakes it once more.
    let again = 0;
    for (let t = 0; t < 500 && again === 0; t++) { sleep(10); again = Atomics.notify(ctl, SLOT); }
    assert.equal(again, 1, 'the worker did not go back to waiting');
    assert.equal(Atomics.load(ctl, RETURNED), 0);
    Atomics.store(ctl, SLOT, 7);
    Atomics.notify(ctl, SLOT);
    assert.equal(await returned, 7);
    assert.equal(Atomics.load(ctl, VALUE), 7);
  } finally {
    await worker.terminate();
  }
});
