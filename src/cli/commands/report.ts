import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('(report: not available in this build yet)')
    .action(action('report', () => { throw new UsageError('the report command is not available in this build yet'); }));
}
