/** The command line a stop message offers, to continue or to start over. */
import { shellJoin } from '../text.js';

/**
 * The command line that repeats this one (`argv`: its arguments after the program name), with `flag` (e.g.
 * `--overwrite`) added when it is not there yet.
 */
export function sameCommand(argv: readonly string[], flag?: string): string {
  return shellJoin(['ptychostudy', ...argv, ...(flag !== undefined && !argv.includes(flag) ? [flag] : [])]);
}
