/** Waiting on a child process of an end-to-end test. */
import type { ChildProcess } from 'node:child_process';

/** Resolves once `cond` holds (polled every 100 ms); rejects when the child exits first or after `ms`. */
export function waitFor(cond: () => boolean, child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (cond()) return resolve();
      if (child.exitCode !== null) return reject(new Error(`process exited (${child.exitCode}) before the condition held`));
      if (Date.now() - t0 > ms) return reject(new Error('timed out waiting'));
      setTimeout(tick, 100);
    };
    tick();
  });
}
