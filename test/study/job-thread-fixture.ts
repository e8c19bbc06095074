// A worker module for test/study/job-thread.test.ts: each job waits `ms` (or, with `untilStopped`, until its signal
// is aborted, at most `ms`), then writes `path` (what stopped it, when its signal did), or fails with an InputError.
// With `temporary`, it first writes that file (as a write under a temporary name begins) and then computes for `ms`
// without a turn of its event loop (it sees no stop), as an engine's epoch does, before it writes `path`.
import { writeFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { serveJobs } from '../../src/study/job-thread.js';

await serveJobs<{ ms: number; path: string; fail?: boolean; untilStopped?: boolean; temporary?: string }, string, string>(async (job, progress, signal) => {
  progress(`started ${job.path}`);
  if (job.temporary !== undefined) {
    writeFileSync(job.temporary, 'half of a file');
    const end = Date.now() + job.ms;
    while (Date.now() < end) { /* an epoch under way */ }
    writeFileSync(job.path, 'written');
    return job.path;
  }
  await new Promise<void>((done) => {
    const t = setTimeout(done, job.ms);
    if (job.untilStopped === true) signal.addEventListener('abort', () => { clearTimeout(t); done(); }, { once: true });
  });
  if (job.fail === true) throw new InputError(`${job.path}: key 'x': expected a number; found a string`);
  writeFileSync(job.path, signal.aborted ? `stopped by ${String(signal.reason)}` : 'written');
  return job.path;
});
