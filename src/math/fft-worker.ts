/**
 * Worker thread of createParallelFft2 (compiled to dist/src/math/fft-worker.js). It blocks in
 * Atomics.wait on its control block, runs the job it is given on its part of the batch, marks it done
 * and notifies the calling thread. Messages (buffer registrations, errors) travel through a
 * MessagePort read synchronously with receiveMessageOnPort, since this thread never yields.
 */
import { workerData, receiveMessageOnPort } from 'node:worker_threads';
import type { WorkerInit } from './fft-parallel.js';
import { waitForChange } from './wait-for-change.js';

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
const addr = new Uint32Array(init.ctrl);
// Slots (see fft-parallel.ts): Seq 0, Done 1, Op 2, Count 3, Buf 4, Ready 5, Err 6, Addr 7.
const SEQ = 0, DONE = 1, OP = 2, COUNT = 3, BUF = 4, READY = 5, ERR = 6, ADDR = 7;
const FORWARD = 1, INVERSE = 2, REGISTER = 3, EXIT = 4;

type Runner = (view: Float64Array | null, at: number, count: number, forward: boolean) => void;

async function setup(): Promise<Runner> {
  const per = 2 * init.h * init.w;
  if (init.backend === 'wasm') {
    const { attachArena, WasmFft2 } = await import('./fft-wasm.js');
    const arena = attachArena(init.memory!, init.scratch!);
    const fft = new WasmFft2(init.h, init.w, { arena, plan: init.plan!, chunkBytes: init.chunkBytes });
    return (view, at, count, forward) => {
      if (view === null) arena.run(init.plan!, at, count, forward);
      else if (forward) fft.forward(view.subarray(at, at + count * per), count);
      else fft.inverse(view.subarray(at, at + count * per), count);
    };
  }
  const { TsFft2 } = await import('./fft-ts.js');
  const fft = new TsFft2(init.h, init.w);
  return (view, at, count, forward) => {
    const sub = view!.subarray(at, at + count * per);
    if (forward) fft.forward(sub, count); else fft.inverse(sub, count);
  };
}

function fail(e: unknown): void {
  init.port.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  Atomics.store(ctrl, ERR, 1);
}

let runner: Runner | null = null;
let initError: unknown = null;
try {
  runner = await setup();
} catch (e) {
  initError = e; // reported with every job
}
// Starting (0) → Running (1), unless the caller gave up on this worker (Abandoned, 2).
if (Atomics.compareExchange(ctrl, READY, 0, 1) !== 0) process.exit(0);

const buffers = new Map<number, Float64Array>();
let seen = 0;
for (;;) {
  // Only a changed SEQ is a new job: a late notify of the job just done can wake this thread while
  // it waits for the next one (wait-for-change.ts).
  seen = waitForChange(ctrl, SEQ, seen);
  const op = ctrl[OP];
  if (op === EXIT) break;
  try {
    if (op === REGISTER) {
      const m = receiveMessageOnPort(init.port);
      const msg = m?.message as { id: number; sab: SharedArrayBuffer; drop: number } | undefined;
      if (msg === undefined) throw new Error('register: no buffer message');
      buffers.delete(msg.drop);
      buffers.set(msg.id, new Float64Array(msg.sab, 0, Math.floor(msg.sab.byteLength / 8)));
    } else if (op === FORWARD || op === INVERSE) {
      if (runner === null) throw initError;
      const b = ctrl[BUF];
      const view = b < 0 ? null : buffers.get(b);
      if (view === undefined) throw new Error(`unknown buffer ${b}`);
      runner(view, addr[ADDR], ctrl[COUNT], op === FORWARD);
    }
  } catch (e) {
    fail(e);
  }
  Atomics.store(ctrl, DONE, seen);
  Atomics.notify(ctrl, DONE);
}
