/**
 * Errors the CLI turns into a one-line message and an exit code, never a stack trace.
 * UsageError / InputError: exit 2 (bad flags or bad input; nothing was written).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

/** Bad input data: names the file, the key, what was expected and what was found. */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) { super(message); this.name = 'InputError'; }
}

/** Exit code for an error thrown out of a command action. */
export function exitCodeFor(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof (err as { exitCode: unknown }).exitCode === 'number') {
    return (err as { exitCode: number }).exitCode;
  }
  return 1;
}

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
