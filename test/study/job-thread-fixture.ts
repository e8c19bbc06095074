// A worker module for test/study/job-thread.test.ts: each job waits `ms`, then writes `path` (or fails with an InputError).
import { writeFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { serveJobs } from '../../src/study/job-thread.js';

await serveJobs<{ ms: number; path: string; fail?: boolean }, string, string>(async (job, progress) => {
  progress(`started ${job.path}`);
  await new Promise((done) => setTimeout(done, job.ms));
  if (job.fail === true) throw new InputError(`${job.path}: key 'x': expected a number; found a string`);
  writeFileSync(job.path, 'written');
  return job.path;
});
