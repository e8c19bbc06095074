/**
 * The errors every layer may throw and the exit code each one means. This module imports nothing, so
 * any module (codec, data, engine, study, CLI) can use it without an import running up a layer.
 *
 * UsageError / InputError: exit 2 (a bad option or bad input; nothing was written).
 * Anything else that escapes a command: exit 1.
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
