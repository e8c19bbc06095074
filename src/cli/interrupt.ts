/**
 * Ctrl-C (SIGINT) and SIGTERM (`kill`, a scheduler's time limit or cancellation) during long work: the command
 * says what was kept and how to continue, then ends with the status a shell reports for that signal — 130
 * for SIGINT, 143 for SIGTERM — so that a script can tell a stopped run from a finished or failed one.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number. */
export const SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** How a message names the stop: "interrupted" (Ctrl-C) or "terminated (SIGTERM)". */
export function stoppedWord(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'interrupted' : 'terminated (SIGTERM)';
}

/**
 * Calls `onStop` (which records and prints, synchronously) on the first SIGINT or SIGTERM, then exits with the
 * signal's status. The listeners stay while the first signal is handled: Ctrl-C often comes twice (under
 * `npm start` the terminal signals npm and this process, and npm passes its signal on), and a second signal
 * must not kill the process before it has said what was kept. Returns the function that removes them.
 */
export function onStop(onStop: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const handler = (signal: StopSignal): void => {
    if (stopping) return;
    stopping = true;
    try {
      onStop(signal);
    } finally {
      process.exit(SIGNAL_EXIT_CODE[signal]);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
