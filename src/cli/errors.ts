import { exitCodeFor } from '../errors.js';

/**
 * Wraps a command action: errors print as `ptychostudy <cmd>: <message>` and set the exit code.
 * Set PTYCHOSTUDY_DEBUG=1 to see the stack as well.
 */
export function action<A extends unknown[]>(cmd: string, fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`ptychostudy ${cmd}: ${msg}\n`);
      if (process.env.PTYCHOSTUDY_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = exitCodeFor(err);
    }
  };
}
