/**
 * Batched 2-D FFT split across the calling thread and worker threads, synchronously.
 *
 * `createParallelFft2(h, w, { threads: 2 })` starts threads − 1 workers (fft-worker.js). `forward` /
 * `inverse` split the batch into contiguous parts, post the workers their parts through a small
 * SharedArrayBuffer control block (Atomics.notify), transform the first part on the calling thread,
 * then block in Atomics.wait until the workers are done — so the caller's loop stays synchronous.
 *
 * The buffer must be shared memory for the workers to see it: an array from `allocShared` (inside the
 * wasm arena: the kernel works on it in place on every thread, no copies) or any Float64Array on a
 * SharedArrayBuffer (posted to the workers on first use; each streams its part through its own scratch
 * area). A Float64Array on an
 * ordinary ArrayBuffer is transformed on the calling thread alone. Workers are unref'd, so they never
 * keep the process alive; `close()` stops them.
 */
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import os from 'node:os';
import { TsFft2, checkBuffer } from './fft-ts.js';
import { WasmFft2, getArena, wasmFftSize, DEFAULT_CHUNK_BYTES, type Arena, type WasmPlan2 } from './fft-wasm.js';
import type { Fft2, FftBackend } from './fft.js';

/** Control block layout (Int32 slots). */
export const enum Slot { Seq = 0, Done = 1, Op = 2, Count = 3, Buf = 4, Ready = 5, Err = 6 }
/** Control-block slot (Uint32) holding a byte address (arena mode) or an element offset (buffer mode). */
export const ADDR_SLOT = 7;
export const enum Op { Forward = 1, Inverse = 2, Register = 3, Exit = 4 }
/** `Slot.Buf` value meaning "arena address" rather than a registered SharedArrayBuffer. */
export const ARENA_BUF = -1;

export interface WorkerInit {
  h: number;
  w: number;
  backend: FftBackend;
  ctrl: SharedArrayBuffer;
  port: MessagePort;
  memory: WebAssembly.Memory | null;
  plan: WasmPlan2 | null;
  scratch: { at: number; size: number } | null;
  chunkBytes: number;
}

export interface ParallelFft2Options {
  /** Threads in all, the calling thread included (default: min(2, available cores)). */
  threads?: number;
  backend?: 'auto' | FftBackend;
  /** wasm only: bytes per streamed chunk for buffers outside the arena (default 512 KiB). */
  chunkBytes?: number;
}

export interface ParallelFft2 extends Fft2 {
  /** Threads in use, the calling thread included. */
  readonly threads: number;
  /** Stops the workers; the plan then runs on the calling thread only. */
  close(): void;
}

interface WorkerHandle {
  worker: Worker;
  ctrl: Int32Array;
  addr: Uint32Array;
  port: MessagePort;
  seq: number;
  created: number;
}

const ABANDONED = Symbol('abandoned');

/** Buffers outside the arena that workers keep a reference to; older ones are dropped (and re-posted if used again). */
const MAX_REGISTERED = 8;

/**
 * How long to wait for a worker to start (module load, wasm compile; normally ~50 ms). A worker that
 * has not started by then is abandoned and its share of the work is done on the calling thread.
 */
const START_TIMEOUT_MS = 20_000;
/** `Slot.Ready` states: the worker moves Starting → Running by compare-exchange; the caller may move Starting → Abandoned. */
export const enum Ready { Starting = 0, Running = 1, Abandoned = 2 }

class ParallelFft2Impl implements ParallelFft2 {
  readonly h: number;
  readonly w: number;
  readonly backend: FftBackend;
  private readonly local: TsFft2 | WasmFft2;
  private readonly arena: Arena | null;
  private readonly plan: WasmPlan2 | null;
  /** Workers and their scratch blocks; shared with the finalizer, which stops them if `close` is never called. */
  private readonly res: Resources = { workers: [], scratch: [], arena: null };
  /** SharedArrayBuffers the workers hold, oldest first (at most MAX_REGISTERED). */
  private readonly registered: { sab: SharedArrayBuffer; id: number }[] = [];
  private nextBufId = 0;

  constructor(h: number, w: number, opts: ParallelFft2Options) {
    this.h = h; this.w = w;
    const want = opts.backend ?? 'auto';
    const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const arena = want === 'ts' ? null : getArena();
    const useWasm = arena !== null && wasmFftSize(h) && wasmFftSize(w);
    if (want === 'wasm' && !useWasm) new WasmFft2(h, w); // throws with the reason
    this.arena = useWasm ? arena : null;
    this.res.arena = this.arena;
    this.plan = useWasm ? arena!.plan(h, w) : null;
    this.local = useWasm ? new WasmFft2(h, w, { chunkBytes, arena: arena!, plan: this.plan! }) : new TsFft2(h, w);
    this.backend = useWasm ? 'wasm' : 'ts';

    const threads = opts.threads ?? Math.min(2, os.availableParallelism());
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    for (let i = 1; i < threads; i++) {
      const ctrlSab = new SharedArrayBuffer(64);
      const { port1, port2 } = new MessageChannel();
      let scratch: { at: number; size: number } | null = null;
      if (this.arena !== null) {
        // room for one streamed chunk, plus the mixed-radix kernel's work area at its end
        const size = Math.max(chunkBytes, 16 * h * w) + (this.plan!.mix !== null ? this.plan!.workBytes : 0);
        scratch = { at: this.arena.alloc(size), size };
        this.res.scratch.push(scratch.at);
      }
      const init: WorkerInit = {
        h, w, backend: this.backend, ctrl: ctrlSab, port: port2,
        memory: this.arena?.memory ?? null, plan: this.plan, scratch, chunkBytes,
      };
      const worker = startWorker(init, port2);
      worker.unref();
      port1.unref();
      this.res.workers.push({ worker, ctrl: new Int32Array(ctrlSab), addr: new Uint32Array(ctrlSab), port: port1, seq: 0, created: Date.now() });
    }
    if (threads > 1) finalizer.register(this, this.res, this);
  }

  private get workers(): WorkerHandle[] { return this.res.workers; }

  get threads(): number { return this.workers.length + 1; }

  forward(buf: Float64Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float64Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float64Array, count: number, forward: boolean): void {
    const hw = this.h * this.w;
    checkBuffer(buf, count, hw);
    const T = this.workers.length + 1;
    const inArena = this.arena !== null && this.arena.contains(buf);
    const shared = inArena || buf.buffer instanceof SharedArrayBuffer;
    if (T === 1 || count < 2 || !shared) { this.runLocal(buf, count, forward); return; }

    let bufId = ARENA_BUF;
    if (!inArena) bufId = this.register(buf.buffer as SharedArrayBuffer);
    const per = 2 * hw;
    const base = Math.floor(count / T), rem = count % T;
    const mine = base + (rem > 0 ? 1 : 0);
    let start = mine;
    const posted: { wk: WorkerHandle; start: number; n: number }[] = [];
    for (let t = 1; t < T; t++) {
      const n = base + (t < rem ? 1 : 0);
      if (n === 0) continue;
      const wk = this.workers[t - 1];
      const at = inArena ? buf.byteOffset + 8 * start * per : buf.byteOffset / 8 + start * per;
      this.post(wk, forward ? Op.Forward : Op.Inverse, n, bufId, at);
      posted.push({ wk, start, n });
      start += n;
    }
    let error: unknown = null;
    try {
      this.runLocal(buf, mine, forward);
    } catch (e) { error = e; }
    for (const { wk, start: s, n } of posted) {
      const r = this.wait(wk);
      if (r === ABANDONED) {
        this.dropWorker(wk);
        if (error === null) this.runLocal(buf.subarray(s * per), n, forward);
      } else if (r !== null && error === null) error = new Error(r);
    }
    if (error !== null) throw error;
  }

  private runLocal(buf: Float64Array, count: number, forward: boolean): void {
    if (forward) this.local.forward(buf, count); else this.local.inverse(buf, count);
  }

  /** Posts `sab` to the workers once (they keep the last MAX_REGISTERED buffers) and returns its id. */
  private register(sab: SharedArrayBuffer): number {
    const known = this.registered.find((r) => r.sab === sab);
    if (known !== undefined) return known.id;
    const id = this.nextBufId++;
    const drop = this.registered.length >= MAX_REGISTERED ? this.registered.shift()!.id : -1;
    for (const wk of [...this.workers]) {
      wk.port.postMessage({ id, sab, drop });
      this.post(wk, Op.Register, 0, id, 0);
      const r = this.wait(wk);
      if (r === ABANDONED) this.dropWorker(wk);
      else if (r !== null) throw new Error(r);
    }
    this.registered.push({ sab, id });
    return id;
  }

  private post(wk: WorkerHandle, op: Op, count: number, bufId: number, at: number): void {
    const c = wk.ctrl;
    c[Slot.Op] = op; c[Slot.Count] = count; c[Slot.Buf] = bufId; wk.addr[ADDR_SLOT] = at;
    wk.seq++;
    Atomics.store(c, Slot.Seq, wk.seq);
    Atomics.notify(c, Slot.Seq);
  }

  /**
   * Blocks until the worker has finished its current job; returns null, its error message, or
   * ABANDONED when it never started (the job was not done).
   */
  private wait(wk: WorkerHandle): string | null | typeof ABANDONED {
    const c = wk.ctrl;
    for (;;) {
      const done = Atomics.load(c, Slot.Done);
      if (done === wk.seq) break;
      Atomics.wait(c, Slot.Done, done, 1000);
      if (Atomics.load(c, Slot.Ready) === Ready.Starting && Date.now() - wk.created > START_TIMEOUT_MS
        && Atomics.compareExchange(c, Slot.Ready, Ready.Starting, Ready.Abandoned) === Ready.Starting) {
        return ABANDONED;
      }
    }
    if (Atomics.load(c, Slot.Err) === 0) return null;
    Atomics.store(c, Slot.Err, 0);
    const m = receiveMessageOnPort(wk.port);
    return `FFT worker failed: ${m === undefined ? 'unknown error' : String((m.message as { error: string }).error)}`;
  }

  private dropWorker(wk: WorkerHandle): void {
    stopWorker(wk);
    this.workers.splice(this.workers.indexOf(wk), 1);
  }

  close(): void {
    finalizer.unregister(this);
    release(this.res);
  }
}

/**
 * Starts a worker on fft-worker.js. Workers inherit the process's Node options, but one meant for the
 * main script (--input-type with -e) stops the worker module from loading: such options are left out,
 * and if Node then rejects the explicit list (per-process flags like --expose-gc) none are passed.
 */
function startWorker(init: WorkerInit, port: MessagePort): Worker {
  const url = new URL('./fft-worker.js', import.meta.url);
  const keep = process.execArgv.filter((a) => !a.startsWith('--input-type') && !a.startsWith('--eval') && a !== '-e');
  const opts = { workerData: init, transferList: [port] };
  if (keep.length === process.execArgv.length) return new Worker(url, opts);
  try {
    return new Worker(url, { ...opts, execArgv: keep });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return new Worker(url, { ...opts, execArgv: [] });
  }
}

interface Resources { workers: WorkerHandle[]; scratch: number[]; arena: Arena | null }

function stopWorker(wk: WorkerHandle): void {
  wk.ctrl[Slot.Op] = Op.Exit;
  Atomics.store(wk.ctrl, Slot.Seq, ++wk.seq);
  Atomics.notify(wk.ctrl, Slot.Seq);
  void wk.worker.terminate();
  wk.port.close();
}

function release(res: Resources): void {
  for (const wk of res.workers.splice(0)) stopWorker(wk);
  if (res.arena !== null) for (const at of res.scratch.splice(0)) res.arena.release(at);
}

/** Stops the workers of a plan that was dropped without `close()`. */
const finalizer = new FinalizationRegistry<Resources>(release);

/**
 * A batched 2-D FFT using `threads` threads (the calling one included); see the module comment for
 * which buffers are split across threads.
 */
export function createParallelFft2(h: number, w: number, opts: ParallelFft2Options = {}): ParallelFft2 {
  for (const n of [h, w]) if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT size must be a positive integer, got ${n}`);
  return new ParallelFft2Impl(h, w, opts);
}
