#!/usr/bin/env node
/**
 * The entry the SLURM scripts of a cluster run execute: `ptychostudy worker` without loading every other
 * command (a task then starts in a fraction of the time; `ptychostudy worker …` does exactly the same).
 */
import { Command } from 'commander';
import { register } from './commands/worker.js';

const program = new Command();
program.name('ptychostudy').exitOverride((err) => {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') process.exit(0);
  process.exit(2);
});
register(program);
// `worker-main.js worker --hub …` (as the scripts write it, like `ptychostudy worker --hub …`) or without the word.
const args = process.argv.slice(2);
await program.parseAsync([process.argv[0]!, process.argv[1]!, 'worker', ...(args[0] === 'worker' ? args.slice(1) : args)]);
