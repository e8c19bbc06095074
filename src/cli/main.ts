#!/usr/bin/env node
import './start-up.js'; // first: a signal from here on ends with 130 / 143 / 129 (interrupt.ts)
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { packageVersion } from '../version.js';
import { helpWidth } from './help.js';
import { hintUnknownSettingFlags } from './unknown-flag.js';

// A reader that stops early (`ptychostudy … | head`) closes the pipe (EPIPE), and a terminal that hung up (the SSH
// connection dropped) fails every write (EIO): what is left to print is dropped and the command goes on — to its
// end, or to the stop a SIGHUP asks for (interrupt.ts) — rather than dying of the unhandled error with its records
// half-written (run.json still "running").
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}

const program = new Command();
program
  .name('ptychostudy')
  .description('Synthetic ptychography dose/overlap studies: simulate diffraction data at several doses, ' +
    'cut dense and sparse overlap views, reconstruct with LSQML, score against ground truth, report. ' +
    'Every command writes into the folder named by --out; every setting can also come from a settings file (--config).')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  // Help wraps at spaces to the terminal's width (80 when piped): a terminal never breaks a word.
  .configureHelp({ helpWidth: helpWidth(), minWidthToWrap: 24 })
  .exitOverride((err) => {
    // commander's own parse errors (unknown option, missing argument) are usage errors: exit 2.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.exit(2);
  });

for (const register of commands) register(program);
// the commands that read settings files: an unknown flag naming a setting says where that setting goes
for (const cmd of program.commands) if (cmd.options.some((o) => o.long === '--config')) hintUnknownSettingFlags(cmd);

await program.parseAsync(process.argv);
