/**
 * The program itself: every command, parsed from the command line and run. main.ts loads it only after the start-up
 * signal handlers are installed (start-up.ts), so that a signal that comes while this module and everything it
 * imports are loaded ends the process with 130 / 143 / 129 and one line, not silently by the signal.
 */
import { writeSync } from 'node:fs';
import { Command } from 'commander';
import { commandsFor } from './commands/index.js';
import { packageVersion } from '../version.js';
import { helpWidth, oneLineError } from './help.js';

// A reader that stops early (`ptychostudy … | head`) closes the pipe (EPIPE), and a terminal that hung up (the SSH
// connection dropped) fails every write (EIO): what is left to print is dropped and the command goes on — to its
// end, or to the stop a SIGHUP asks for (interrupt.ts) — rather than dying of the unhandled error with its records
// half-written (run.json still "running").
// A stream redirected to a file on a full disk (`… > out.json`, `… 2> run.log`; ENOSPC, a quota's EDQUOT, a file size
// limit's EFBIG) is the same: the command goes on and records its work as it would. What went to stdout is the
// command's product, now incomplete: the command then ends with exit code 1 (not 0) and one line on stderr saying so.
const GONE = new Set(['EPIPE', 'EIO']);
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
let stdoutFull: NodeJS.ErrnoException | null = null;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (GONE.has(err.code ?? '')) return;
    if (!FULL.has(err.code ?? '')) throw err;
    if (stream === process.stdout) stdoutFull ??= err;
  });
}
process.on('exit', (code) => {
  if (stdoutFull === null) return;
  if (code === 0) process.exitCode = 1;
  try {
    writeSync(2, `ptychostudy: standard output cannot be written (${stdoutFull.message}): what the command printed there is incomplete\n`);
  } catch { /* stderr is gone or full too: the exit code says it */ }
});

const program = new Command();
program
  .name('ptychostudy')
  .description('Synthetic ptychography dose/overlap studies: simulate diffraction data at several doses, ' +
    'cut dense and sparse overlap views, reconstruct with LSQML, score against ground truth, report. ' +
    'A command writes into the folder --out names: a new one, or one the same command wrote (a hub\'s phase_c/, … for the phase commands); ' +
    'every setting can also come from a settings file (--config).')
  .version(packageVersion(), '-V, --version', 'print the version')
  // Help wraps at spaces to the terminal's width (80 when piped): a terminal never breaks a word.
  .configureHelp({ helpWidth: helpWidth(), minWidthToWrap: 24 })
  .exitOverride((err) => {
    // commander's own parse errors (unknown option, missing argument) are usage errors: exit 2.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.exit(2);
  });

// only the command the line names is loaded (commandsFor): what the others import costs start-up time
for (const { register } of await Promise.all(commandsFor(process.argv.slice(2)).map((c) => c.load()))) register(program);
// commander's own errors are one line naming the command, as every other error is
program.configureOutput({ outputError: (text, write) => write(`${oneLineError('ptychostudy', text, 'commands')}\n`) });
for (const cmd of program.commands) {
  cmd.configureOutput({ outputError: (text, write) => write(`${oneLineError(`ptychostudy ${cmd.name()}`, text, 'options')}\n`) });
}
// the commands that read settings files: an unknown flag naming a setting says where that setting goes
const withConfig = program.commands.filter((cmd) => cmd.options.some((o) => o.long === '--config'));
if (withConfig.length > 0) {
  const { hintUnknownSettingFlags } = await import('./unknown-flag.js');
  for (const cmd of withConfig) hintUnknownSettingFlags(cmd);
}

await program.parseAsync(process.argv);
