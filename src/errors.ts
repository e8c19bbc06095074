/**
 * The errors every layer may throw and the exit code each one means. This module imports nothing, so
 * any module (codec, data, engine, study, CLI) can use it without an import running up a layer.
 *
 * UsageError / InputError: exit 2 (a bad option or bad input; nothing was written).
 * Work stopped by its AbortSignal (StudyAbortedError, LsqmlAbortedError): the status the command line ends with when
 * a signal stops it — 130, or 143 / 129 for a reason 'SIGTERM' / 'SIGHUP' (`stoppedExitCode`).
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

/**
 * What a read stopped by its AbortSignal rejects with: the shape of Node's own AbortError (name 'AbortError', code
 * 'ABORT_ERR', `cause` the signal's reason), as a file stream given the signal rejects. The caller that owns the signal
 * tells a stop by it (`signal.aborted`) and says what was stopped.
 */
export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** The status a shell reports for a process a signal ended (128 + the signal's number), as the command line exits with it. */
export const STOP_SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * The exit code of work stopped through its AbortSignal, whose reason is `reason`: that of the command line stopped by
 * Ctrl-C (130), or by SIGTERM (143) or SIGHUP (129) when the reason is that signal's name — as a script's handler
 * passes it on with `process.on('SIGTERM', (s) => controller.abort(s))`.
 */
export function stoppedExitCode(reason: unknown): number {
  return reason === 'SIGTERM' || reason === 'SIGHUP' ? STOP_SIGNAL_EXIT_CODES[reason] : STOP_SIGNAL_EXIT_CODES.SIGINT;
}

/** Exit code for an error thrown out of a command action. */
export function exitCodeFor(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof (err as { exitCode: unknown }).exitCode === 'number') {
    return (err as { exitCode: number }).exitCode;
  }
  return 1;
}
