/**
 * What the benches that time whole commands share: the program's entry point, one timed run of it as a child
 * process (wall seconds; a failed run throws with the end of its stderr), and the median of the times.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

/** Wall seconds of `ptychostudy ARGS` run as a child process, without colour. */
export function cliSeconds(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`ptychostudy ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-400)}`);
  return (performance.now() - t0) / 1000;
}

/** The median (the upper one of an even count). */
export const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };
