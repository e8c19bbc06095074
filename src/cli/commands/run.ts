import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { action } from '../action.js';
import { collect, integerFlag, parseDose } from '../flags.js';
import { ProgressView } from '../progress/reconstruct.js';
import { compactUtc } from '../../files/dirs.js';
import { parseStudySettings } from '../../settings/parse.js';
import { PRESET_NAMES, type PresetName } from '../../settings/schema.js';
import { hubRoots } from '../../study/hub/layout.js';
import { runStudy, type RunEvent } from '../../study/run/study.js';
import { readRunState, writeRunState } from '../../study/run/state.js';
import { summaryTable } from '../../study/run/summary.js';
import { addExecutorOptions, EXECUTOR_FLAGS, executorSettingsFromFlags, type ExecutorFlags } from '../executor-flags.js';
import { runOnCluster } from '../cluster.js';

interface Flags extends ExecutorFlags {
  preset: string;
  out?: string;
  dose?: string[];
  epochs?: string;
  jobs?: string;
  seed?: string;
  overlapSeed?: string;
  reconstructionSeed?: string;
  nImages?: string;
  baseNpz?: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** The flag of each setting and option this command sets (library messages name them in backticks). */
const FLAGS: Record<string, string> = {
  preset: '--preset', hub: '--out', force: '--force', 'simulation.doses': '--dose', 'reconstruction.epochs': '--epochs',
  'execution.jobs': '--jobs', 'simulation.seed': '--seed', 'overlap.seed': '--overlap-seed', 'reconstruction.seed': '--reconstruction-seed',
  'simulation.nImages': '--n-images', 'simulation.baseNpz': '--base-npz', ...EXECUTOR_FLAGS,
};

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
  addExecutorOptions(program
    .command('run')
    .description('run the whole study — design, generate, overlap views, LSQML reconstructions, comparison, report — into one hub directory')
    .option('--preset <name>', `study size: ${PRESET_NAMES.join(' | ')} (quick: minutes on a laptop; fly64: the reference study's size)`, 'quick')
    .option('--out <dir>', 'hub directory; an existing hub made by `run` is resumed (default: runs/<preset>-<UTC time>)')
    .option('--dose <photons>', 'photons per pattern; repeat for several doses (default: the preset\'s 1e3, 1e4, 1e5)', collect)
    .option('--epochs <n>', 'LSQML epochs per reconstruction (default: the preset\'s)')
    .option('--jobs <n>', 'reconstructions run at once (default: the number of cores)')
    .option('--seed <n>', 'simulation seed: object, scan positions and noise (default: 42)')
    .option('--overlap-seed <n>', 'seed of the order in which the overlap views visit the positions (default: 456)')
    .option('--reconstruction-seed <n>', 'seed of the LSQML minibatch order (default: 42)')
    .option('--n-images <n>', 'scan positions per dose (default: the preset\'s)')
    .option('--base-npz <file>', 'take objectGuess and probeGuess from this NPZ instead of the synthetic ones')
    .option('--force', 'do not resume: redo everything into a new hub (the old one is kept)')
    .option('--quiet', 'print only the report path at the end')
    .option('--json', 'print a JSON summary on stdout at the end (progress still goes to stderr unless --quiet)'))
    .addHelpText('after', `
Hub layout: run.json, design.json, phase_c/, phase_d/, phase_f/, phase_g/, report/index.html.
Interrupting (Ctrl-C) leaves a consistent hub; run the same command with --out <hub> to continue.
Exit codes: 0 success, 1 some reconstruction or comparison failed (the rest ran), 2 bad usage or input.`)
    .action(action('run', async (flags: Flags) => {
      const doses = (flags.dose ?? []).map(parseDose).sort((a, b) => a - b);
      const settings = parseStudySettings({
        preset: flags.preset as PresetName,
        simulation: {
          doses: doses.length > 0 ? doses : undefined,
          seed: integerFlag('--seed', flags.seed),
          nImages: integerFlag('--n-images', flags.nImages),
          baseNpz: flags.baseNpz,
        },
        overlap: { seed: integerFlag('--overlap-seed', flags.overlapSeed) },
        reconstruction: { epochs: integerFlag('--epochs', flags.epochs), seed: integerFlag('--reconstruction-seed', flags.reconstructionSeed) },
        execution: { jobs: integerFlag('--jobs', flags.jobs), ...executorSettingsFromFlags(flags) },
      });
      const hub = chooseHub(flags.preset, flags.out, flags.force ?? false);
      const onCluster = await runOnCluster(hub, settings, flags); if (onCluster !== null) return onCluster;
      const quiet = flags.quiet ?? false;
      const err = process.stderr;
      const say = (line: string): void => { if (!quiet) err.write(line + '\n'); };
      const tty = Boolean(err.isTTY);
      const fView = quiet ? null : new ProgressView(err, tty);
      const t0 = performance.now();
      let lastMessage = '';

      const onSigint = (): void => {
        const state = readRunState(hub);
        if (state) { state.status = 'interrupted'; writeRunState(hub, state); }
        const again: [string, string | undefined][] = [['--epochs', flags.epochs], ['--seed', flags.seed], ['--overlap-seed', flags.overlapSeed],
          ['--reconstruction-seed', flags.reconstructionSeed], ['--n-images', flags.nImages], ['--base-npz', flags.baseNpz]];
        err.write(`\nptychostudy run: interrupted; finished work is kept. Continue with: ptychostudy run --preset ${flags.preset} --out ${hub}` +
          (flags.dose ? flags.dose.map((d) => ` --dose ${d}`).join('') : '') + again.map(([f, v]) => (v !== undefined ? ` ${f} ${v}` : '')).join('') + '\n');
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

      const result = await runStudy(hub, settings, onEvent);
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigint);
      const seconds = (performance.now() - t0) / 1000;
      const table = summaryTable(hubRoots(result.hub).g);
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
    }, FLAGS));
}
