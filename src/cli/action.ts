import { exitCodeFor } from '../errors.js';
import { printable } from '../text.js';
import { endStartUp } from './interrupt.js';

/**
 * Library messages name settings and options in backticks, by their settings path (`reconstruction.epochs`)
 * or option name (`overwrite`); a command shows them under its own flag names instead.
 */
export function namesToFlags(message: string, flags: Readonly<Record<string, string>>): string {
  return message.replace(/`([A-Za-z][\w.]*)`/g, (whole, name: string) => flags[name] ?? whole);
}

/**
 * An error message as printed: `ptychostudy <cmd>: <line>` per line (indented lines continue the one above).
 * Whatever a message quotes from a file is made printable where it is quoted (src/text.ts); here, as a
 * last guard, any control character or escape sequence left within a line is escaped too, so no message
 * can drive the terminal.
 */
export function errorLines(cmd: string, message: string): string {
  return message.split('\n').map((raw) => {
    const l = printable(raw, Infinity);
    return /^\s/.test(l) ? l : `ptychostudy ${cmd}: ${l}`;
  }).join('\n') + '\n';
}

/**
 * Wraps a command action: errors print as `ptychostudy <cmd>: <message>`, one such line per problem (settings and options named by
 * the command's flags, `flags` maps them) and set the exit code. Set PTYCHOSTUDY_DEBUG=1 to see the stack.
 * `stops: 'own'` names a command that installs its own Ctrl-C / SIGTERM handler (interrupt.ts `onStop`) before its
 * work begins: the start-up handler stays until then. Any other command drops it as it begins, and a signal has its
 * default effect (a long synchronous read, as `inspect`'s, stops at once rather than at its end).
 */
export function action<A extends unknown[]>(cmd: string, fn: (...args: A) => Promise<number | void> | number | void,
  flags: Readonly<Record<string, string>> = {}, stops: 'own' | 'default' = 'default') {
  return async (...args: A): Promise<void> => {
    if (stops === 'default') endStartUp();
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      const msg = namesToFlags(err instanceof Error ? err.message : String(err), flags);
      process.stderr.write(errorLines(cmd, msg));
      if (process.env.PTYCHOSTUDY_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = exitCodeFor(err);
    }
  };
}
