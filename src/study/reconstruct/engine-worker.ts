/**
 * Worker-thread body of Phase F jobs: runs `runLsqmlJob` on the job it was started with and posts progress, then
 * the result or the error; then runs each job the parent posts the same way, one at a time (study/job-thread.ts keeps
 * a thread whose job ended well for the next job, and ends one whose job failed).
 */
import { serveJobs } from '../job-thread.js';
import { runLsqmlJob, type JobProgress, type LsqmlJobOptions, type LsqmlJobResult } from './lsqml-job.js';

await serveJobs<LsqmlJobOptions, JobProgress, LsqmlJobResult>(async (job, progress) => {
  const result = await runLsqmlJob(job, progress);
  return {
    reconstructionNpz: result.reconstructionNpz, png: result.png, runRecord: result.runRecord, log: result.log, epochsRun: result.epochsRun,
    finalLoss: result.finalLoss, seconds: result.seconds, nPositions: result.nPositions, warnings: result.warnings,
  };
});
