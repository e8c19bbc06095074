/** Worker thread of the LSQML phase pool (see pool.ts): builds its views and FFT plan, then serves phases. */
import { parentPort, workerData } from 'node:worker_threads';
import { createFft2 } from '../math/fft.js';
import { createCtx } from './kernels.js';
import { CTL_GEN, type WorkerInit, workerLoop } from './pool.js';

const init = workerData as WorkerInit;
try {
  const fft = await Promise.resolve(createFft2(init.dims.N, init.dims.N, { backend: init.fftBackend }));
  const ctx = createCtx(init.dims, init.buffers, fft);
  const gen = Atomics.load(new Int32Array(init.control), CTL_GEN);
  parentPort!.postMessage('ready');
  workerLoop(ctx, init, gen);
} catch (err) {
  parentPort!.postMessage(err instanceof Error ? err.message : String(err));
}
