import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('lsqml')
    .description('(lsqml: not available in this build yet)')
    .action(action('lsqml', () => { throw new UsageError('the lsqml command is not available in this build yet'); }));
}
