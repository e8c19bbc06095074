/**
 * A synchronous phase pool: the calling thread and `threads − 1` worker threads run the same phase
 * of kernels.ts on disjoint parts of shared buffers. `run(phase)` returns when every part is done,
 * so the engine's minibatch loop stays plain synchronous code. Between phases the threads poll the
 * control words briefly, then block in Atomics.wait.
 *
 * Control words (Int32Array on a SharedArrayBuffer): GEN (bumped per dispatch), PHASE, DONE (parts
 * finished by workers), ERR (1 when a worker threw; its message is in the shared text buffer).
 */
import { Worker } from 'node:worker_threads';
import type { WasmPlan2 } from '../math/fft-wasm.js';
import { pollForChange, waitForChange } from '../math/wait-for-change.js';
import { type Ctx, type EngineDims, type Phase, type SharedBuffers, runPhase } from './kernels.js';

export const CTL_GEN = 0, CTL_PHASE = 1, CTL_DONE = 2, CTL_ERR = 3, CTL_STOP = 4;
export const ERR_TEXT_BYTES = 4096;

export interface WorkerInit {
  dims: EngineDims;
  buffers: SharedBuffers;
  control: SharedArrayBuffer;
  errText: SharedArrayBuffer;
  part: number;
  parts: number;
  /**
   * The FFT a worker without the arena builds: the main thread's own kind (`fft64.backend`), so that every thread
   * transforms with the same code and the results do not depend on the thread count ('wasm-bluestein': Bluestein's
   * algorithm on the worker's own wasm kernel, for sides with a prime factor above 13; 'ts': the TypeScript FFT).
   */
  fft: 'ts' | 'wasm-bluestein';
  /** The wasm FFT arena's shared memory and this worker's scratch block in it (wasm backend only). */
  arena: {
    memory: WebAssembly.Memory; scratch: { at: number; size: number }; plan: WasmPlan2;
    /** Byte offset of this worker's kernel scratch (scratchLength doubles) when the WASM kernels run. */
    ctxScratch: number | null;
  } | null;
}

/** Longest a dispatch may wait for a worker before the engine gives up (ms). */
const PHASE_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Polls of a control word before blocking in Atomics.wait (a few tens of microseconds): phases
 * follow each other closely, and waking a blocked thread costs more than that.
 */
const SPIN = 20000;

export class PhasePool {
  private readonly ctl: Int32Array;
  private readonly errText: Uint8Array;
  private readonly workers: Worker[] = [];
  private closed = false;

  private constructor(private readonly ctx: Ctx, readonly threads: number, control: SharedArrayBuffer, errText: SharedArrayBuffer) {
    this.ctl = new Int32Array(control);
    this.errText = new Uint8Array(errText);
  }

  /** Starts `threads − 1` workers over `buffers` and waits until each has built its context. */
  static async create(ctx: Ctx, buffers: SharedBuffers, threads: number, fft: WorkerInit['fft'],
    arenaFor: (part: number) => WorkerInit['arena']): Promise<PhasePool> {
    const control = new SharedArrayBuffer(8 * 4);
    const errText = new SharedArrayBuffer(ERR_TEXT_BYTES);
    const pool = new PhasePool(ctx, threads, control, errText);
    const ready: Promise<void>[] = [];
    for (let part = 1; part < threads; part++) {
      const init: WorkerInit = { dims: ctx.d, buffers, control, errText, part, parts: threads, fft, arena: arenaFor(part) };
      const w = new Worker(new URL('./lsqml-worker.js', import.meta.url), { workerData: init });
      pool.workers.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(new Error(`LSQML worker ${part} failed to start: ${err.message}`));
        w.once('error', onError);
        w.once('message', (msg: unknown) => {
          w.off('error', onError);
          if (msg === 'ready') resolve(); else reject(new Error(`LSQML worker ${part} failed to start: ${String(msg)}`));
        });
      }));
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.close();
      throw err;
    }
    for (const w of pool.workers) w.unref();
    return pool;
  }

  /** Runs `phase` on every part; throws if a worker failed. */
  run(phase: Phase): void {
    if (this.closed) throw new Error('LSQML phase pool is closed');
    if (this.threads === 1) { runPhase(this.ctx, phase, 0, 1); return; }
    const ctl = this.ctl;
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_PHASE, phase);
    Atomics.add(ctl, CTL_GEN, 1);
    Atomics.notify(ctl, CTL_GEN);
    let mainErr: unknown = null;
    try { runPhase(this.ctx, phase, 0, this.threads); } catch (err) { mainErr = err; }
    const want = this.threads - 1;
    const t0 = Date.now();
    for (let first = true; ; first = false) {
      let done = Atomics.load(ctl, CTL_DONE);
      if (first && done < want) done = pollForChange(ctl, CTL_DONE, done, SPIN);
      if (done >= want) break;
      if (Date.now() - t0 > PHASE_TIMEOUT_MS) throw new Error(`LSQML worker did not finish phase ${phase} within ${PHASE_TIMEOUT_MS / 1000} s`);
      Atomics.wait(ctl, CTL_DONE, done, 1000);
    }
    if (mainErr !== null) throw mainErr;
    if (Atomics.load(ctl, CTL_ERR) !== 0) {
      const bytes = this.errText.slice();
      const end = bytes.indexOf(0);
      throw new Error(`LSQML worker failed: ${new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end))}`);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.workers.length === 0) return;
    Atomics.store(this.ctl, CTL_STOP, 1);
    Atomics.add(this.ctl, CTL_GEN, 1);
    Atomics.notify(this.ctl, CTL_GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Worker side: waits for dispatches and runs its part until told to stop. `startGen` is the GEN value
 * read before the worker reported ready, so no dispatch can be missed.
 */
export function workerLoop(ctx: Ctx, init: WorkerInit, startGen: number): void {
  const ctl = new Int32Array(init.control);
  let gen = startGen;
  for (;;) {
    // Only a changed GEN is a dispatch: a late notify of the dispatch just served can wake this
    // thread while it waits for the next one (wait-for-change.ts).
    gen = waitForChange(ctl, CTL_GEN, gen, SPIN);
    if (Atomics.load(ctl, CTL_STOP) !== 0) return;
    const phase = Atomics.load(ctl, CTL_PHASE) as Phase;
    try {
      runPhase(ctx, phase, init.part, init.parts);
    } catch (err) {
      const msg = new TextEncoder().encode(err instanceof Error ? `${err.message}` : String(err));
      const text = new Uint8Array(init.errText);
      text.fill(0);
      text.set(msg.subarray(0, ERR_TEXT_BYTES - 1));
      Atomics.store(ctl, CTL_ERR, 1);
    }
    Atomics.add(ctl, CTL_DONE, 1);
    Atomics.notify(ctl, CTL_DONE);
  }
}
