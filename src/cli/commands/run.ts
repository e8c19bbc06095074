import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('run')
    .description('(run: not available in this build yet)')
    .action(action('run', () => { throw new UsageError('the run command is not available in this build yet'); }));
}
