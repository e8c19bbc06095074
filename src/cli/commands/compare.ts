import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('compare')
    .description('(compare: not available in this build yet)')
    .action(action('compare', () => { throw new UsageError('the compare command is not available in this build yet'); }));
}
