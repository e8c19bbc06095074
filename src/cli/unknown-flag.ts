/**
 * An unknown flag that names a setting (`--object-step-size-scaler`, `--preconditioning-damping-factor`) or one of
 * pty-chi's or PtyPy's options (`--position-correction`, `--numiter`): most settings have no flag, and the error says where they go instead
 * of leaving "unknown option" alone. Commander's own message (with its "did you mean") stays for everything else.
 */
import type { Command } from 'commander';
import { settingNamesAt, settingTypeAt } from '../settings/parse.js';
import { ptychiHint } from '../settings/ptychi-names.js';
import { ptypyHint } from '../settings/ptypy-names.js';
import { otherNameHint } from '../settings/other-names.js';

const GROUPS = ['reconstruction', 'simulation', 'overlap', 'execution'] as const;

/** The groups of settings each command acts on (lsqml reads a settings file's reconstruction group alone). */
const GROUPS_OF: Record<string, readonly string[]> = {
  lsqml: ['reconstruction'], reconstruct: ['reconstruction', 'execution'], generate: ['simulation', 'execution'],
  overlap: ['overlap', 'execution'], run: GROUPS,
};

const flat = (x: string): string => x.replace(/[_-]/g, '').toLowerCase();

/** The words for a value of a setting of this schema type, in a hint: 'a number', 'a value'. */
const valueWords = (type: string | null): string => (type === 'number' ? 'a number' : 'a value');

/**
 * What an unknown `--flag` of a command that takes --config is, when it names a setting; else null. `usage` maps
 * a long flag of the command to its flags as --help shows them ('--epochs <n>'), for the negation of a flag that
 * takes a value (--no-epochs).
 */
export function unknownFlagHint(flag: string, longFlags: readonly string[], groups: readonly string[] = GROUPS,
  usage: Readonly<Record<string, string>> = {}): string | null {
  if (!flag.startsWith('--')) return null;
  const name = flag.slice(2).split('=')[0]!;
  // a flag the command has, spelled otherwise (--batchsize): commander's "did you mean" says it better
  if (longFlags.some((f) => flat(f.slice(2)) === flat(name))) return null;
  // the plural of a flag the command has, or its singular (--doses for run's --dose, which takes several): the
  // setting it names has a flag here, and commander's "did you mean" names it
  if (longFlags.some((f) => flat(`${f.slice(2)}s`) === flat(name) || flat(f.slice(2)) === flat(`${name}s`))) return null;
  // a switch the command has only as its negation (lsqml --no-detector-mask; on by default)
  if (longFlags.some((f) => flat(f.slice(2)) === flat(`no-${name}`))) return `it is on by default; --no-${name} turns it off`;
  const negated = /^no-/.test(name);
  const base = negated ? name.slice(3) : name;
  const found = groups.map((group) => ({ group, setting: settingNamesAt([group]).find((s) => flat(s) === flat(base)) }))
    .find((g) => g.setting !== undefined);
  const type = found === undefined ? null : settingTypeAt([found.group, found.setting!]);
  // the negation of a setting's flag the command has that takes a value (run --no-epochs): nothing to turn off
  const own = negated && found !== undefined ? longFlags.find((f) => flat(f.slice(2)) === flat(base)) : undefined;
  if (own !== undefined) {
    const shown = usage[own] ?? (type !== 'boolean' ? `${own} <${type === 'number' ? 'n' : 'value'}>` : undefined);
    if (shown !== undefined && /[<[]/.test(shown)) return `${own} takes a value and has no --no- form: ${shown}`;
  }
  if (found !== undefined) {
    const where = `${found.group}.${found.setting!}`;
    // a group of settings whose members have flags here (run --slurm: execution.slurm, the --slurm-* flags)
    const members = type === 'object' && !negated ? longFlags.filter((f) => f.startsWith(`--${name}-`)) : [];
    if (members.length > 0) {
      const executor = found.group === 'execution' && longFlags.includes('--executor') ? `--executor ${name} runs the jobs on SLURM; ` : '';
      return `${executor}the settings of ${where} have these flags: ${members.join(', ')}`;
    }
    // a negated boolean setting (--no-detector-mask): the setting, false; any other setting has nothing to negate
    const set = !negated ? 'set it' : type === 'boolean' ? `set it (${where}: false)` : `set it to ${valueWords(type)} (it has no --no- form)`;
    return `${where} has no flag on this command: ${set} in a settings file given with --config FILE; ` +
      '`ptychostudy config --print-defaults` lists every setting';
  }
  const hint = ptychiHint('reconstruction.', name) ?? ptypyHint('reconstruction.', name) ?? otherNameHint('reconstruction.', name);
  if (hint === null) return null;
  // pty-chi's name of a setting this command has a flag for (--num-modes: --modes): name the flag too
  const named = [...hint.matchAll(/reconstruction\.(\w+)/g)].map((m) => m[1]!);
  // `run` spells the reconstruction's seed --reconstruction-seed (its --seed is the simulation's)
  const flagOf = (n: string): string | undefined => longFlags.find((f) => flat(f.slice(2)) === flat(`reconstruction${n}`)) ??
    longFlags.find((f) => flat(f.slice(2)) === flat(n));
  // only commands that reconstruct (they take --epochs) have reconstruction flags: generate's --seed is the simulation's
  const flags = longFlags.includes('--epochs') ? [...new Set(named.map(flagOf).filter((f): f is string => f !== undefined))] : [];
  return flags.length === 0 ? hint : `${hint}; on the command line: ${flags.join(' or ')}`;
}

/** Makes `cmd` (one that takes --config) answer an unknown flag that names a setting with where that setting goes. */
export function hintUnknownSettingFlags(cmd: Command): void {
  const c = cmd as unknown as { unknownOption(flag: string): void; error(message: string, o: { code: string }): never };
  const commanders = c.unknownOption.bind(c);
  c.unknownOption = (flag: string): void => {
    const usage: Record<string, string> = {};
    for (const o of cmd.options) if (o.long !== undefined) usage[o.long] = `${o.long}${o.flags.slice(o.flags.indexOf(o.long) + o.long.length)}`;
    const hint = unknownFlagHint(flag, Object.keys(usage), GROUPS_OF[cmd.name()] ?? GROUPS, usage);
    if (hint === null) return commanders(flag);
    c.error(`error: unknown option '${flag}'\n(${hint})`, { code: 'commander.unknownOption' });
  };
}
