#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { packageVersion } from '../version.js';

const program = new Command();
program
  .name('ptychostudy')
  .description('Synthetic ptychography dose/overlap studies: simulate diffraction data at several doses,\n' +
    'cut dense and sparse overlap views, reconstruct with LSQML, score against ground truth, report.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  // Help texts are laid out for 120 columns; narrower terminals would re-wrap them mid-sentence.
  .configureHelp({ helpWidth: Math.max(process.stdout.columns ?? 0, 120) })
  .exitOverride((err) => {
    // commander's own parse errors (unknown option, missing argument) are usage errors: exit 2.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.exit(2);
  });

for (const register of commands) register(program);

await program.parseAsync(process.argv);
