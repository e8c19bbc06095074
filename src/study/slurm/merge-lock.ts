/**
 * The one place a cluster run takes a lock: around every merge into shared evidence (manifests,
 * summaries, jobs.json, run.json). Many tasks on many nodes finish at about the same time; each waits
 * its turn here instead of failing. The lock is files/lock.ts's, the one every writer of a root takes
 * (owner host, pid and start time, a heartbeat lease that other hosts judge it by, a safe takeover of a
 * stale lock): this only waits for a live holder, polling with jitter, up to a deadline.
 */
import { withLock } from '../../files/lock.js';

/** How long a merge waits for the lock before giving up (its task's result stays on disk for the final merge). */
export const MERGE_LOCK_TIMEOUT_MS = 300_000;

/**
 * Runs `fn` holding the lock file `lockPath`; waits up to `timeoutMs` while another process (of any host)
 * holds it, then fails with a LockBusyError naming the holder.
 */
export function withMergeLock<T>(lockPath: string, owner: string, place: string, fn: () => T | Promise<T>,
  timeoutMs = MERGE_LOCK_TIMEOUT_MS): Promise<T> {
  return withLock(lockPath, owner, place, () => fn(), { waitMs: timeoutMs });
}
