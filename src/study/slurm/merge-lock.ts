/**
 * The one place a cluster run takes a lock: around every merge into shared evidence (manifests,
 * summaries, jobs.json, run.json). Many tasks on many nodes finish at about the same time; each waits
 * its turn here instead of failing. The lock itself is files/lock.ts's `acquireLock` (exclusive create
 * of a lock file naming its holder; a dead holder's lock is taken over); this only retries while a live
 * holder has it, with a growing pause, up to a deadline.
 */
import { acquireLock } from '../../files/lock.js';
import { InputError } from '../../errors.js';

/** How long a merge waits for the lock before giving up (its task's result stays on disk for the final merge). */
export const MERGE_LOCK_TIMEOUT_MS = 300_000;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Runs `fn` holding the lock file `lockPath`; waits while another process holds it. */
export async function withMergeLock<T>(lockPath: string, owner: string, place: string, fn: () => T | Promise<T>,
  timeoutMs = MERGE_LOCK_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let pause = 20;
  let release: () => void;
  for (;;) {
    try {
      release = acquireLock(lockPath, owner, place);
      break;
    } catch (err) {
      // Held by a live process: wait for it. Anything else (a file-system error) is not ours to retry.
      const held = err instanceof InputError || (err as NodeJS.ErrnoException).code === 'EEXIST';
      if (!held || Date.now() + pause > deadline) throw err;
      // A little randomness keeps tasks that collided once from colliding again in lockstep.
      await sleep(pause * (0.5 + Math.random()));
      pause = Math.min(200, pause * 2);
    }
  }
  try {
    return await fn();
  } finally {
    release();
  }
}
