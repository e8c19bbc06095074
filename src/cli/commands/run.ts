import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { action } from '../errors.js';
import { UsageError } from '../../errors.js';
import { runStudy, type RunEvent, type RunOptions } from '../../study/run.js';
import { HUB_LAYOUT } from '../../study/layout.js';
import { readRunState, writeRunState } from '../../study/run-state.js';
import { compactUtc } from '../../study/reconstruct/files.js';
import { ProgressView } from '../../study/reconstruct/progress.js';
import { parseDose } from '../../study/generate.js';
import { PRESET_NAMES } from '../../study/presets.js';
import { summaryTable } from '../../study/run-summary.js';

interface Flags {
  preset: string;
  out?: string;
  dose?: string[];
  epochs?: string;
  jobs?: string;
  seed?: string;
  nImages?: string;
  baseNpz?: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < 1) throw new UsageError(`${flag} ${v}: expected a positive integer`);
  return x;
}

function nonNegativeInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < 0) throw new UsageError(`${flag} ${v}: expected a non-negative integer`);
  return x;
}

/** The hub to use: --out (resumed when it holds a run), a fresh one with --force, or runs/<preset>-<UTC>. */
export function chooseHub(preset: string, out: string | undefined, force: boolean): string {
  if (out === undefined) return join('runs', `${preset}-${compactUtc(new Date())}`);
  if (force && existsSync(out)) return `${out.replace(/\/+$/, '')}-${compactUtc(new Date())}`;
  return out;
}

function fmtSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run the whole study — design, generate, overlap views, LSQML reconstructions, comparison, report — into one hub directory')
    .option('--preset <name>', `study size: ${PRESET_NAMES.join(' | ')} (quick: minutes on a laptop; fly64: the reference study's size)`, 'quick')
    .option('--out <dir>', 'hub directory; an existing hub made by `run` is resumed (default: runs/<preset>-<UTC time>)')
    .option('--dose <photons>', 'photons per pattern; repeat for several doses (default: the preset\'s 1e3, 1e4, 1e5)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--epochs <n>', 'LSQML epochs per reconstruction (default: the preset\'s)')
    .option('--jobs <n>', 'reconstructions run at once (default: the number of cores)')
    .option('--seed <n>', 'simulation seed (default: the preset\'s, 42)')
    .option('--n-images <n>', 'scan positions per dose (default: the preset\'s)')
    .option('--base-npz <file>', 'take objectGuess and probeGuess from this NPZ instead of the synthetic ones')
    .option('--force', 'do not resume: redo everything into a new hub (the old one is kept)')
    .option('--quiet', 'print only the report path at the end')
    .option('--json', 'print a JSON summary on stdout at the end (progress still goes to stderr unless --quiet)')
    .addHelpText('after', `
Hub layout: run.json, design.json, phase_c/, phase_d/, phase_f/, phase_g/, report/index.html.
Interrupting (Ctrl-C) leaves a consistent hub; run the same command with --out <hub> to continue.
Exit codes: 0 success, 1 some reconstruction or comparison failed (the rest ran), 2 bad usage or input.`)
    .action(action('run', async (flags: Flags) => {
      const doses = (flags.dose ?? []).map(parseDose);
      const opts: RunOptions = {
        hub: chooseHub(flags.preset, flags.out, flags.force ?? false),
        preset: flags.preset,
        doses,
        ...(flags.epochs !== undefined ? { epochs: positiveInt('--epochs', flags.epochs)! } : {}),
        ...(flags.jobs !== undefined ? { jobs: positiveInt('--jobs', flags.jobs)! } : {}),
        ...(flags.seed !== undefined ? { seed: nonNegativeInt('--seed', flags.seed)! } : {}),
        ...(flags.nImages !== undefined ? { nImages: positiveInt('--n-images', flags.nImages)! } : {}),
        ...(flags.baseNpz !== undefined ? { baseNpz: flags.baseNpz } : {}),
      };
      if (!PRESET_NAMES.includes(flags.preset as never)) throw new UsageError(`--preset ${flags.preset}: expected one of ${PRESET_NAMES.join(', ')}`);
      const quiet = flags.quiet ?? false;
      const err = process.stderr;
      const say = (line: string): void => { if (!quiet) err.write(line + '\n'); };
      const tty = Boolean(err.isTTY);
      const fView = quiet ? null : new ProgressView(err, tty);
      const t0 = performance.now();
      let lastMessage = '';

      const onSigint = (): void => {
        const state = readRunState(opts.hub);
        if (state) { state.status = 'interrupted'; writeRunState(opts.hub, state); }
        err.write(`\nptychostudy run: interrupted; finished work is kept. Continue with: ptychostudy run --preset ${flags.preset} --out ${opts.hub}` +
          (flags.dose ? flags.dose.map((d) => ` --dose ${d}`).join('') : '') + (flags.epochs ? ` --epochs ${flags.epochs}` : '') + '\n');
        process.exit(130);
      };
      process.once('SIGINT', onSigint);
      process.once('SIGTERM', onSigint);

      const onEvent = (e: RunEvent): void => {
        if (quiet) return;
        switch (e.type) {
          case 'hub':
            say(`hub: ${e.hub}${e.resumed ? ` (resuming; complete: ${e.completed.join(', ') || 'none'})` : ''}`);
            break;
          case 'phase-start': say(`▶ ${e.phase}…`); break;
          case 'phase-skip': say(`✓ ${e.phase}: ${e.reason}`); break;
          case 'phase-end': say(`✓ ${e.phase} (${fmtSeconds(e.seconds)}; total ${fmtSeconds((performance.now() - t0) / 1000)}): ${e.detail}`); break;
          case 'generate':
          case 'overlap':
          case 'compare': {
            const msg = e.progress.message;
            if (msg !== lastMessage) { lastMessage = msg; say(`  ${msg}`); }
            break;
          }
          case 'reconstruct': fView?.handle(e.event); break;
        }
      };

      const result = await runStudy(opts, onEvent);
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigint);
      const seconds = (performance.now() - t0) / 1000;
      const table = summaryTable(join(result.hub, HUB_LAYOUT.g));
      if (flags.json) {
        process.stdout.write(JSON.stringify({
          hub: result.hub, report: result.reportPath, seconds: Math.round(seconds * 10) / 10, exit_code: result.exitCode,
          phases: result.state.phases, summary: table.rows,
        }, null, 2) + '\n');
      } else if (quiet) {
        process.stdout.write(`${result.reportPath ?? ''}\n`);
      } else {
        say('');
        say(table.text);
        say('');
        say(`done in ${fmtSeconds(seconds)}. Report: ${result.reportPath}`);
      }
      return result.exitCode;
    }));
}
