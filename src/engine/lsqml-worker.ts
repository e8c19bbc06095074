/** Worker thread of the LSQML phase pool (see pool.ts): builds its views and FFT plan, then serves phases. */
import { parentPort, workerData } from 'node:worker_threads';
import { createFft2 } from '../math/fft.js';
import { WasmFft2, attachArena } from '../math/fft-wasm.js';
import { createCtx, scratchLength } from './kernels.js';
import { lsqmlWasmKernels } from './wasm-kernels.js';
import { CTL_GEN, type WorkerInit, workerLoop } from './pool.js';

const init = workerData as WorkerInit;
try {
  // With the wasm backend, attach to the main thread's arena so FFTs run in place on the shared buffers.
  const arena = init.arena ? attachArena(init.arena.memory, init.arena.scratch) : null;
  const fft = arena ? new WasmFft2(init.dims.N, init.dims.N, { arena, plan: init.arena!.plan }) : createFft2(init.dims.N, init.dims.N, { backend: 'ts' });
  let kernels = null, scratch: Float64Array | undefined;
  if (arena && init.dims.wasm) {
    kernels = lsqmlWasmKernels(arena.memory);
    if (!kernels) throw new Error('the LSQML wasm kernels do not load in this worker');
    scratch = new Float64Array(arena.memory.buffer, init.arena!.ctxScratch!, scratchLength(init.dims));
  }
  const ctx = createCtx(init.dims, init.buffers, fft, arena ? arena.memory.buffer : undefined, kernels, scratch);
  const gen = Atomics.load(new Int32Array(init.control), CTL_GEN);
  parentPort!.postMessage('ready');
  workerLoop(ctx, init, gen);
} catch (err) {
  parentPort!.postMessage(err instanceof Error ? err.message : String(err));
}
