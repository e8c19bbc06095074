import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('overlap')
    .description('(overlap: not available in this build yet)')
    .action(action('overlap', () => { throw new UsageError('the overlap command is not available in this build yet'); }));
}
