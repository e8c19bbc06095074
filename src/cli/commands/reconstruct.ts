import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('reconstruct')
    .description('(reconstruct: not available in this build yet)')
    .action(action('reconstruct', () => { throw new UsageError('the reconstruct command is not available in this build yet'); }));
}
