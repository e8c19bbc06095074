// A worker module for test/study/job-thread.test.ts: each job waits `ms` (or, with `untilStopped`, until its signal
// is aborted, at most `ms`), then writes `path` (what stopped it, when its signal did), or fails with an InputError.
import { writeFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { serveJobs } from '../../src/study/job-thread.js';

await serveJobs<{ ms: number; path: string; fail?: boolean; untilStopped?: boolean }, string, string>(async (job, progress, signal) => {
  progress(`started ${job.path}`);
  await new Promise<void>((done) => {
    const t = setTimeout(done, job.ms);
    if (job.untilStopped === true) signal.addEventListener('abort', () => { clearTimeout(t); done(); }, { once: true });
  });
  if (job.fail === true) throw new InputError(`${job.path}: key 'x': expected a number; found a string`);
  writeFileSync(job.path, signal.aborted ? `stopped by ${String(signal.reason)}` : 'written');
  return job.path;
});
