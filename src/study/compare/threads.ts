/**
 * Phase G's worker threads (`jobs` > 1: `comparisonPhaseInThreads` in phase.ts, the body in worker.ts), and what a
 * stop handler asks of them. Kept apart from phase.ts so that a command's stop handler can use it without loading
 * the phase's code.
 */
import { usableCpus } from '../../engine/cpus.js';
import { finishJobsUnderWay, jobsEnded, threadsStarted } from '../job-thread.js';

export const COMPARE_WORKER = new URL('./worker.js', import.meta.url);

/**
 * Comparisons run at once when `execution.jobs` does not say: the usable cores where there are more than two, else one
 * in this thread. One job at a time already keeps a second core busy (each job's figure is drawn, and its arrays
 * deflated, on libuv's pool while this thread computes the next), so on two cores two threads gain nothing: the quick
 * study's `compare`, 4 rounds interleaved on the 2-core machine, 6.15 s wall with one, 6.01 s with two, for 20 % more CPU
 * (8.9 → 10.7 CPU-s: each thread loads the comparison code).
 */
export function defaultComparisonJobs(cores: number = usableCpus()): number {
  return cores > 2 ? cores : 1;
}

/** How many worker threads Phase G has started in this process (`jobs` > 1; each runs one job or several in turn). */
export function comparisonThreadsStarted(): number {
  return threadsStarted(COMPARE_WORKER);
}

/** How many comparisons Phase G's worker threads have ended in this process (their files written, or their error). */
export function comparisonsEndedInThreads(): number {
  return jobsEnded(COMPARE_WORKER);
}

/**
 * For a stop handler that ends the process (the command line's Ctrl-C) while Phase G runs its jobs in worker threads:
 * blocks until the comparisons under way have written their files (none starts meanwhile), at most `timeoutMs`; true
 * when they all have. In this thread (`jobs` 1) there is nothing to wait for: the handler runs between two jobs.
 */
export function finishComparisonsUnderWay(timeoutMs: number): boolean {
  return finishJobsUnderWay(COMPARE_WORKER, timeoutMs);
}

