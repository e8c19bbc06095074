/**
 * Worker-thread body of Phase G jobs run several at once (`jobs` > 1, phase.ts): runs `compareJob` on each job it is
 * given, one at a time, posting its progress lines and then its result (study/job-thread.ts).
 */
import { serveJobs } from '../job-thread.js';
import { compareJob, type CompareJobResult, type ComparisonRun, type PhaseGProgress } from './job.js';
import type { CompareJob } from './plan.js';

await serveJobs<{ run: ComparisonRun; job: CompareJob }, PhaseGProgress, CompareJobResult>(({ run, job }, progress) => compareJob(run, job, progress));
