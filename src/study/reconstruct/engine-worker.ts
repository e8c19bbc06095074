/**
 * Worker-thread body of Phase F jobs: runs `runLsqmlJob` on the job it was started with and posts progress, then
 * the result or the error; then runs each job the parent posts (`{ type: 'job', job }`) the same way, one at a time
 * (engine-runner.ts keeps a thread whose job ended well for the next job, and ends one whose job failed).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLsqmlJob, type LsqmlJobOptions } from './lsqml-job.js';
import type { WorkerMessage } from './engine-runner.js';

const port = parentPort;
if (port === null) throw new Error('engine-worker.js must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

async function run(job: LsqmlJobOptions): Promise<void> {
  try {
    const result = await runLsqmlJob(job, (progress) => post({ type: 'progress', progress }));
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
}

port.on('message', (m: { type: 'job'; job: LsqmlJobOptions }) => {
  if (m?.type === 'job') void run(m.job);
});
await run(workerData as LsqmlJobOptions);
