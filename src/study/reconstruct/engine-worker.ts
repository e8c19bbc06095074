/**
 * Worker-thread body of Phase F jobs: runs `runLsqmlJob` on the job it was started with and posts progress, then
 * the result or the error; then runs each job the parent posts the same way, one at a time (study/job-thread.ts keeps
 * a thread whose job ended well for the next job, and ends one whose job failed). A job the parent asks to stop ends
 * the epoch under way and writes its checkpoint first (runLsqmlJob's `signal`).
 */
import { serveJobs } from '../job-thread.js';
import { runLsqmlJob, type JobProgress, type LsqmlJobOptions, type LsqmlJobResult } from './lsqml-job.js';

await serveJobs<LsqmlJobOptions, JobProgress, LsqmlJobResult>(async (job, progress, signal) => {
  // stopped (the parent's signal, or its stop handler): the epoch under way ends and the checkpoint is written first
  const result = await runLsqmlJob({ ...job, signal }, progress);
  return {
    reconstructionNpz: result.reconstructionNpz, png: result.png, runRecord: result.runRecord, log: result.log, epochsRun: result.epochsRun,
    finalLoss: result.finalLoss, seconds: result.seconds, nPositions: result.nPositions, warnings: result.warnings,
  };
});
