import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('generate')
    .description('(generate: not available in this build yet)')
    .action(action('generate', () => { throw new UsageError('the generate command is not available in this build yet'); }));
}
