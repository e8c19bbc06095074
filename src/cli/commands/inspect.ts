import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('(inspect: not available in this build yet)')
    .action(action('inspect', () => { throw new UsageError('the inspect command is not available in this build yet'); }));
}
