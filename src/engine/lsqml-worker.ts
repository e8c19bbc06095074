/** Worker thread of the LSQML phase pool (see pool.ts): builds its views and FFT plan, then serves phases. */
import { parentPort, workerData } from 'node:worker_threads';
import { createFft2 } from '../math/fft.js';
import { BluesteinWasmFft2 } from '../math/fft-bluestein.js';
import { WasmFft2, WasmFft2F32, attachArena, pow2Plan } from '../math/fft-wasm.js';
import { createCtx, scratchLength, type Ctx, type EngineFft, type Real } from './kernels.js';
import { lsqmlWasmKernels } from './wasm-kernels.js';
import { CTL_GEN, type WorkerInit, workerLoop } from './pool.js';

const init = workerData as WorkerInit;
try {
  // With the wasm backend, attach to the main thread's arena so FFTs run in place on the shared buffers.
  const arena = init.arena ? attachArena(init.arena.memory, init.arena.scratch) : null;
  const { N, precision } = init.dims;
  const f32 = precision === 'float32';
  let fft: EngineFft;
  const bitrev = init.dims.bitrev;
  // float32: bit-reversed spectra on power-of-two sizes, natural order on the mixed-radix ones
  if (arena) fft = f32 ? new WasmFft2F32(N, N, { arena, plan: init.arena!.plan, order: bitrev ? 'bitrev' : 'natural' }) : new WasmFft2(N, N, { arena, plan: init.arena!.plan });
  // without the arena, the FFT the main thread uses (pool.ts WorkerInit.fft): the same bytes on any thread count
  else fft = init.fft === 'wasm-bluestein' ? new BluesteinWasmFft2(N, N) : createFft2(N, N, { backend: 'ts' });
  let kernels = null, scratch: Real | undefined, fftAt: Ctx['fftAt'] = null, bitrevReal: Ctx['bitrevReal'] = null, fused: Ctx['fused'] = null;
  if (arena && init.dims.wasm) {
    kernels = lsqmlWasmKernels(arena.memory, precision);
    if (!kernels) throw new Error(`the LSQML ${precision} wasm kernels do not load in this worker`);
    const len = scratchLength(init.dims);
    scratch = f32 ? new Float32Array(arena.memory.buffer, init.arena!.ctxScratch!, len) : new Float64Array(arena.memory.buffer, init.arena!.ctxScratch!, len);
    const plan = init.arena!.plan;
    if (f32) fftAt = (at, count, forward) => arena.run32(plan, at, count, forward, bitrev);
    else fftAt = (at, count, forward) => arena.run(plan, at, count, forward);
    if (bitrev) {
      const plan32 = pow2Plan(plan);
      if (!init.dims.bitrevIntensities) bitrevReal = (dst, src, count) => arena.bitrevReal32(dst, src, count, N, N);
      fused = { ifftRamp: (dst, src, ramp) => arena.ifftRamp32(plan32, dst, src, ramp), fftProduct: (dst, a, aStride, b, count, dstStep, bStep) => arena.fftProduct32(plan32, dst, a, aStride, b, count, dstStep, bStep),
        ifftUnscaled: (at, count, step) => arena.ifftUnscaled32(plan32, at, count, step) };
    }
  }
  const ctx = createCtx(init.dims, init.buffers, fft, arena ? arena.memory.buffer : undefined, kernels, scratch, fftAt, bitrevReal, fused);
  const gen = Atomics.load(new Int32Array(init.control), CTL_GEN);
  parentPort!.postMessage('ready');
  workerLoop(ctx, init, gen);
} catch (err) {
  parentPort!.postMessage(err instanceof Error ? err.message : String(err));
}
