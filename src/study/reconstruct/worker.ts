/**
 * Worker-thread body of one Phase F job: runs the LSQML engine's file-level entry point on the options
 * it was started with and posts progress, then the result or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLsqmlJob } from '../lsqml-job.js';
import type { EngineJobOptions, EngineJobResult, EpochProgress, WorkerMessage } from './engine.js';

/** The engine's entry point, checked against the contract Phase F relies on. */
const runJob: (opts: EngineJobOptions, onProgress?: (p: EpochProgress) => void) => Promise<EngineJobResult> = runLsqmlJob;

const port = parentPort;
if (port === null) throw new Error('worker.js must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

try {
  const result = await runJob(workerData as EngineJobOptions, (progress) => post({ type: 'progress', progress }));
  post({
    type: 'result',
    result: {
      reconstructionNpz: result.reconstructionNpz, png: result.png, log: result.log, epochsRun: result.epochsRun,
      finalLoss: result.finalLoss, seconds: result.seconds, nPositions: result.nPositions,
    },
  });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'error', name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) });
}
