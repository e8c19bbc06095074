/**
 * Worker-thread body of one Phase F job: runs `runLsqmlJob` on the job it was started with and posts
 * progress, then the result or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLsqmlJob, type LsqmlJobOptions } from './lsqml-job.js';
import type { WorkerMessage } from './engine-runner.js';

const port = parentPort;
if (port === null) throw new Error('engine-worker.js must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

try {
  const result = await runLsqmlJob(workerData as LsqmlJobOptions, (progress) => post({ type: 'progress', progress }));
  post({
    type: 'result',
    result: {
      reconstructionNpz: result.reconstructionNpz, png: result.png, runRecord: result.runRecord, log: result.log, epochsRun: result.epochsRun,
      finalLoss: result.finalLoss, seconds: result.seconds, nPositions: result.nPositions, warnings: result.warnings,
    },
  });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  post({ type: 'error', name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}), ...(typeof code === 'string' ? { code } : {}) });
}
