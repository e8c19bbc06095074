/**
 * Ctrl-C (SIGINT), SIGTERM (`kill`, a scheduler's time limit or cancellation) and SIGHUP (the terminal closed:
 * an SSH connection dropped, and the shell passed the hang-up on to its jobs) during long work: the command
 * records what was kept, says so and how to continue, then ends with the status a shell reports for that
 * signal — 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP — so that a script can tell a stopped run from a
 * finished or failed one.
 *
 * After a hang-up the terminal is gone: what a stop prints is lost (a write fails with EIO or EPIPE, main.ts
 * drops it), so each handler writes its records (run.json, slurm/jobs.json) before it prints, and the exit,
 * which releases the locks, comes whatever the printing did.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { STOP_SIGNAL_EXIT_CODES } from '../errors.js';
import { sameCommand } from './rerun.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The signals that stop long work, in the order their listeners are added. */
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** 128 + the signal's number (the library's stopped errors give the same: errors.ts, `stoppedExitCode`). */
export const SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, number>> = STOP_SIGNAL_EXIT_CODES;

/**
 * How long a stop handler waits for the jobs under way in worker threads that it lets finish (Phase G's comparisons
 * with `--jobs` > 1; a quick study's job takes ≈ 0.2 s, a fly64-sized one ≈ 1 s) before it ends the process anyway.
 */
export const STOP_WAIT_MS = 20_000;

/** How a message names the stop: "interrupted" (Ctrl-C), "terminated (SIGTERM)" or "hung up (SIGHUP)". */
export function stoppedWord(signal: StopSignal): string {
  switch (signal) {
    case 'SIGINT': return 'interrupted';
    case 'SIGTERM': return 'terminated (SIGTERM)';
    case 'SIGHUP': return 'hung up (SIGHUP)';
  }
}

/**
 * Calls `onStop` (which records, then prints, synchronously) on the first SIGINT, SIGTERM or SIGHUP, then exits
 * with the signal's status, even when `onStop` throws — unless it returns 'later': it has asked its work to stop
 * (an AbortSignal: `lsqml` ends the epoch under way and saves its checkpoint), which then ends the command with that
 * status itself, and later signals are let pass meanwhile. The listeners stay while the first signal is handled: Ctrl-C often comes twice (under
 * `npm start` the terminal signals npm and this process, and npm passes its signal on), and a second signal
 * must not kill the process before it has said what was kept. Returns the function that removes them.
 *
 * The new listeners are added before the start-up handler is removed: Node stops watching a signal when its
 * last listener goes, and drops a signal that came during synchronous work (a SLURM call) and waits to be
 * handled — so between the two, a listener is always there.
 */
export function onStop(onStop: (signal: StopSignal) => void | 'later'): () => void {
  let stopping = false;
  const handler = (signal: StopSignal): void => {
    if (stopping) return;
    stopping = true;
    let later = false;
    try {
      later = onStop(signal) === 'later';
    } finally {
      if (!later) process.exit(SIGNAL_EXIT_CODE[signal]);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  endStartUp();
  return () => {
    for (const s of STOP_SIGNALS) process.removeListener(s, handler);
  };
}

/**
 * What a stop during start-up says (`argv`: the arguments after the program name): the command the line names, that its
 * work had not begun, and the command line that starts it again — the kind of line a command's own handler prints later.
 * Without a command (`ptychostudy`, `ptychostudy --help`) only the stop.
 */
export function startUpStoppedMessage(signal: StopSignal, argv: readonly string[]): string {
  const command = argv[0];
  if (command === undefined || !/^[a-z][a-z-]*$/.test(command)) return `ptychostudy: ${stoppedWord(signal)}`;
  return `ptychostudy ${command}: ${stoppedWord(signal)} while starting, before its work began. Start again with: ${sameCommand(argv)}`;
}

/** The handler of the start-up (stopDuringStartUp), while installed. */
let startUp: ((signal: StopSignal) => void) | null = null;

/**
 * From the program's first line until a command's own handler replaces it (`onStop`) or a command that has none
 * begins (`endStartUp`): a signal ends the process with its status and one line, `ptychostudy lsqml: interrupted while
 * starting, before its work began. Start again with: …` (`startUpStoppedMessage`; `terminated (SIGTERM)`, `hung up
 * (SIGHUP)`), rather than killing it silently: a parent process (a workflow manager) sees the
 * status a shell would report. The line claims nothing about files: before a command's action nothing is
 * written, and the commands that keep it longer (action.ts `stops: 'own'`) check their inputs first and install
 * their own handler before their work begins (with the local executor the merge of a finished SLURM submission may
 * come first: its files are written whole, and the exit releases the locks; a SLURM submission has its own handler
 * from its first check, cli/cluster.ts).
 */
export function stopDuringStartUp(): void {
  if (startUp !== null) return;
  startUp = (signal: StopSignal): void => {
    try {
      process.stderr.write(`${startUpStoppedMessage(signal, process.argv.slice(2))}\n`);
    } finally {
      process.exit(SIGNAL_EXIT_CODE[signal]);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, startUp);
}

/** Removes the start-up handler: from here a signal has its default effect, or the command's own handler's. */
export function endStartUp(): void {
  if (startUp === null) return;
  for (const s of STOP_SIGNALS) process.removeListener(s, startUp);
  startUp = null;
}

/**
 * At exit Node.js restores the terminal settings of its stdin, stdout and stderr where they were terminals, and
 * aborts (a failed internal check, SIGABRT or SIGSEGV in place of the exit status) when that fails — as it does
 * on a terminal that hung up, whose every call then fails with EIO. So at exit, a descriptor that was a terminal
 * at start and is none now (the hang-up) is closed first, and Node.js leaves it be: the process ends with its own
 * status — 129 after the SIGHUP, or that of work finished on a terminal gone (`setsid`, `disown`).
 */
export function exitCleanlyAfterHangUp(): void {
  const terminals = [0, 1, 2].filter((fd) => isatty(fd));
  if (terminals.length === 0) return;
  process.on('exit', () => {
    for (const fd of terminals) {
      if (isatty(fd)) continue;
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
  });
}
