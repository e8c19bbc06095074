import type { Command } from 'commander';

/**
 * A subcommand: its name, as its module registers it, and that module, loaded only when the command line names the
 * command (or, for the list `--help` prints, names none): `--version` and one command's run or `--help` load no other
 * command's code, nor what it imports (the settings schema and zod among them). Each file registers one command.
 */
export interface CommandModule { name: string; load: () => Promise<{ register: (program: Command) => void }> }

/** Every subcommand, in the order `--help` lists them. */
export const commands: readonly CommandModule[] = [
  { name: 'run', load: () => import('./run.js') },
  { name: 'generate', load: () => import('./generate.js') },
  { name: 'overlap', load: () => import('./overlap.js') },
  { name: 'reconstruct', load: () => import('./reconstruct.js') },
  { name: 'lsqml', load: () => import('./lsqml.js') },
  { name: 'compare', load: () => import('./compare.js') },
  { name: 'report', load: () => import('./report.js') },
  { name: 'export', load: () => import('./export.js') },
  { name: 'inspect', load: () => import('./inspect.js') },
  { name: 'config', load: () => import('./config.js') },
  { name: 'status', load: () => import('./status.js') },
  { name: 'cancel', load: () => import('./cancel.js') },
  { name: 'worker', load: () => import('./worker.js') },
];

/**
 * The commands a command line needs registered: the one its first word names, none for `--version` / `-V` alone, and
 * every one otherwise — `--help` (before a command too: it lists them all), `help`, no command, or a word that names
 * none (whose error suggests the nearest name).
 */
export function commandsFor(args: readonly string[]): readonly CommandModule[] {
  const named = commands.find((c) => c.name === args[0]);
  if (named) return [named];
  if (args.length > 0 && args.every((a) => a === '--version' || a === '-V')) return [];
  return commands;
}
