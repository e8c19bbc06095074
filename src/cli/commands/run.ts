import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { action } from '../action.js';
import { collect, doseFlags, integerFlag } from '../flags.js';
import { wrapText } from '../help.js';
import { addConfigOption, addOutOption, aliased, configInput, noteOverriddenSettings } from '../options.js';
import { logPath, ProgressView } from '../progress/reconstruct.js';
import { paint } from '../style.js';
import { onStop, STOP_WAIT_MS, stoppedWord } from '../interrupt.js';
import { redrawsInPlace } from '../progress/terminal.js';
import { UsageError } from '../../errors.js';
import { compactUtc } from '../../files/dirs.js';
import { mergeSettings, parseStudySettings, settingsDefaults, shown } from '../../settings/parse.js';
import { settingsDifferences } from '../../settings/fingerprint.js';
import { withAbsolutePaths } from '../../settings/file.js';
import { PRESET_NAMES, type StudySettings, type StudySettingsInput } from '../../settings/schema.js';
import { FROM_HUB, settingsAt, settingsOrigin, type SettingsOrigin } from '../../settings/origin.js';
import { getPreset } from '../../settings/presets.js';
import { hubRoots } from '../../study/hub/layout.js';
import type { RunEvent } from '../../study/run/study.js';
import type { StartedRun } from '../../study/compare/phase.js';
import { removeEmptyDirs } from '../../files/dirs.js';
import { isOutOfSpace } from '../../files/atomic.js';
import { conflictingSettings, readHubSettings, readRunState, recordInterrupted, SETTINGS_FILE } from '../../study/run/state.js';
import { shellJoin } from '../../text.js';
import { summaryTable } from '../../study/run/summary.js';
import { addExecutorOptions, EXECUTOR_FLAGS, executorSettingsFromFlags, refuseDetachWithoutSlurm, type ExecutorFlags } from '../executor-flags.js';

interface Flags extends ExecutorFlags {
  preset?: string;
  config?: string;
  out?: string;
  hub?: string;
  dose?: string[];
  epochs?: string;
  jobs?: string;
  seed?: string;
  overlapSeed?: string;
  overlapOrder?: string;
  reconstructionSeed?: string;
  nImages?: string;
  baseNpz?: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** The flag of each setting and option this command sets (library messages name them in backticks). */
const FLAGS: Record<string, string> = {
  preset: '--preset', hub: '--out', force: '--force', config: '--config', 'simulation.doses': '--dose', 'reconstruction.epochs': '--epochs',
  'execution.jobs': '--jobs', 'simulation.seed': '--seed', 'overlap.seed': '--overlap-seed', 'overlap.order': '--overlap-order', 'reconstruction.seed': '--reconstruction-seed',
  'simulation.nImages': '--n-images', 'simulation.baseNpz': '--base-npz', ...EXECUTOR_FLAGS,
};

/** The preset of a new hub when neither a flag nor the settings file names one. */
const DEFAULT_PRESET = 'quick';

/** The hub to use: --out (resumed when it holds a run), a fresh one with --force, or runs/<preset>-<UTC>. */
export function chooseHub(preset: string, out: string | undefined, force: boolean): string {
  if (out === undefined) return join('runs', `${preset}-${compactUtc(new Date())}`);
  if (force && existsSync(out)) return `${out.replace(/\/+$/, '')}-${compactUtc(new Date())}`;
  return out;
}

function fmtSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function valueAt(root: unknown, path: string): unknown {
  let v = root;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The settings flags give (undefined where a flag is absent). */
function flagSettings(flags: Flags): StudySettingsInput {
  return {
    ...(flags.preset !== undefined ? { preset: flags.preset as StudySettingsInput['preset'] } : {}),
    simulation: {
      doses: doseFlags(flags.dose)?.sort((a, b) => a - b),
      seed: integerFlag('--seed', flags.seed),
      nImages: integerFlag('--n-images', flags.nImages),
      baseNpz: flags.baseNpz,
    },
    overlap: { seed: integerFlag('--overlap-seed', flags.overlapSeed), order: flags.overlapOrder as 'seeded' | 'raster' | undefined },
    reconstruction: { epochs: integerFlag('--epochs', flags.epochs), seed: integerFlag('--reconstruction-seed', flags.reconstructionSeed) },
    execution: { jobs: integerFlag('--jobs', flags.jobs), ...executorSettingsFromFlags(flags) },
  };
}

/**
 * The settings of this run. A hub that exists is resumed with its own settings: flags and the settings
 * file may only repeat them, or change what never changes a result (jobs at once, threads); anything
 * else is refused with the list of differences. A new hub: the quick preset under the file and the flags.
 */
export function runSettings(flags: Flags, out: string | undefined, force: boolean): { settings: StudySettings; resumed: boolean; origin: SettingsOrigin } {
  const fromFlags = flagSettings(flags);
  const fromFile = configInput(flags.config);
  const requested = mergeSettings(fromFile, fromFlags) as StudySettingsInput;
  if (flags.quiet !== true) noteOverriddenSettings(flags.config, fromFile, fromFlags);
  // sbatch options given now replace the recorded list before it is checked: a list an earlier version took and this one refuses is replaced so
  const hubSettings = out !== undefined && readRunState(out) !== null ? readHubSettings(out, requested.execution?.slurm?.sbatchArgs) : null;
  if (hubSettings === null || force) {
    // --force on an existing hub redoes it: its settings under the requested ones, into a new hub beside it.
    const base: StudySettingsInput = hubSettings ?? { preset: DEFAULT_PRESET };
    const settings = parseStudySettings(mergeSettings(base, requested) as StudySettingsInput);
    const origin = settingsOrigin({
      flags: fromFlags, flagNames: FLAGS, file: flags.config === undefined ? null : { path: resolve(flags.config), values: fromFile },
      base: { name: hubSettings !== null ? `the hub redone (${join(out!, 'settings.json')})` : 'run\'s default for a new hub', values: base },
      preset: settings.preset, presetValues: settings.preset === null ? undefined : getPreset(settings.preset).values,
    });
    return { settings, resumed: false, origin };
  }
  const settings = parseStudySettings(mergeSettings(hubSettings, requested) as StudySettingsInput);
  const conflicts = conflictingSettings(hubSettings, settings);
  if (conflicts.length > 0) {
    const origin = (setting: string): string => {
      const flag = Object.entries(FLAGS).find(([path]) => path === setting || setting.startsWith(`${path}.`))?.[1];
      if (flag !== undefined && valueAt(fromFlags, setting) !== undefined) return flag;
      return `${setting}${flags.config !== undefined ? ` (${flags.config})` : ''}`;
    };
    throw new UsageError(`${out}: this hub was made with other settings. Resume it with its own — ` +
      `${shellJoin(['ptychostudy', 'run', '--out', out!])} — or start a new hub (another --out, or --force):\n` +
      conflicts.map((d) => `  ${origin(d.setting)}: hub ${shown(d.was)}, requested ${shown(d.now)}`).join('\n'));
  }
  // A resumed hub keeps the record of the run that made it (run.json's settings_origin); this run's is recorded beside it
  // when it does work: what the flags and the file gave (they repeat the hub's settings, or change what never changes a
  // result), and every other setting the hub holds that is not its default from the hub's own settings.json.
  const hubFile = resolve(out!, SETTINGS_FILE);
  const own = settingsDifferences(withAbsolutePaths(settingsDefaults()), withAbsolutePaths(hubSettings)).map((d) => d.setting);
  const origin = settingsOrigin({
    flags: fromFlags, flagNames: FLAGS, file: flags.config === undefined ? null : { path: resolve(flags.config), values: fromFile },
    base: { name: `${FROM_HUB}${hubFile}`, values: settingsAt(hubSettings, own) },
  });
  return { settings, resumed: true, origin };
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('Run the whole study — design, generate, overlap views, LSQML reconstructions, comparison, report — into ' +
      'one hub directory. `run --out HUB` on an existing hub resumes it with its own settings. It ends with a table of the ' +
      'test split per dose and view: MS-SSIM of the phase and amplitude, and the phase FRC50 in cycles per pixel (each ' +
      'job\'s ring over the side of its own compared square, so the views compare on one axis; docs/metrics.md).');
  cmd.option('--preset <name>', `study size: ${PRESET_NAMES.join(' | ')} (quick: minutes on a laptop; fly64: the reference ` +
    `study's size); default ${DEFAULT_PRESET} for a new hub`);
  addConfigOption(cmd);
  addOutOption(cmd, 'the hub directory; an existing hub is resumed with its own settings (default: runs/<preset>-<UTC time>)', ['--hub']);
  cmd
    .option('--dose <photons>', 'photons per pattern; repeat (or comma-separate) for several doses (default: 1e3, 1e4, 1e5)', collect)
    .option('--epochs <n>', 'LSQML epochs per reconstruction, at least 2 (default: 50; fly64: 100)')
    .option('--jobs <n>', 'reconstructions, and then comparisons, run at once, each in a worker thread (default: the number of cores; comparisons one at a time on two cores or fewer; may change on resume)')
    .option('--seed <n>', 'simulation seed: object, scan positions and noise (default: 42)')
    .option('--overlap-seed <n>', 'seed of the order in which the overlap views visit the positions (default: 456)')
    .option('--overlap-order <order>', 'that order: seeded (a shuffle of --overlap-seed) | raster (by y, then x: the reference study\'s greedy selection) (default: seeded)')
    .option('--reconstruction-seed <n>', 'seed of the LSQML minibatch order (default: 42)')
    .option('--n-images <n>', 'scan positions per dose (default: the preset\'s)')
    .option('--base-npz <file>', 'take objectGuess and probeGuess from this NPZ instead of the synthetic ones')
    .option('--force', 'redo everything: a new hub beside the existing one (which is kept), from its settings and the flags')
    .option('--quiet', 'print only the report path at the end')
    .option('--json', 'print a JSON summary on stdout at the end (progress still goes to stderr unless --quiet)');
  addExecutorOptions(cmd)
    .addHelpText('after', () => '\n' + wrapText(
      'Hub layout: run.json, settings.json, design.json, phase_c/, phase_d/, phase_f/, phase_g/, report/index.html.\n' +
      'Resume: `ptychostudy run --out HUB` continues with the hub\'s own settings; a flag or --config value that differs ' +
      'from them is refused with the list of differences, except --jobs (and other execution settings, and threads), ' +
      'which never change a result. A finished hub returns at once, changing no file (but for a report that named broken hub files: it is ' +
      'built again, the earlier page moved to report/history/). Interrupting (Ctrl-C) leaves a ' +
      'consistent hub and prints the command that continues it.\n' +
      'Every setting (every LSQML option too) can be set in a settings file: `ptychostudy config --print-defaults`.\n' +
      'Exit codes: 0 success, 1 some reconstruction or comparison failed (the rest ran), the report was written but a hub file it reads is there and ' +
      'broken (each named on stderr and under "Broken evidence" in the page), or a file could not be written (a full disk: named), 2 bad usage or input, ' +
      '130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal closed); in each case finished work is kept.'))
    .action(action('run', async (flags: Flags) => {
      const out = aliased<string>(flags as Record<string, unknown>, '--out', ['--hub']);
      const force = flags.force ?? false;
      const { settings, origin } = runSettings(flags, out, force);
      refuseDetachWithoutSlurm(settings.execution.executor, flags);
      const hub = chooseHub(settings.preset ?? 'study', out, force);
      const { runOnCluster } = await import('../cluster.js');
      const onCluster = await runOnCluster(hub, settings, flags, origin);
      if (onCluster !== null) return onCluster;
      const quiet = flags.quiet ?? false;
      const err = process.stderr;
      const say = (line: string): void => { if (!quiet) err.write(line + '\n'); };
      const tty = redrawsInPlace(err);
      const fView = quiet ? null : new ProgressView(err, tty, hubRoots(hub).f);
      // progress lines (not the summary at the end) begin, when plain, with the time since the run started
      const progress = (line: string): void => say((fView?.stamp() ?? '') + line);
      const t0 = performance.now();
      let lastMessage = '';
      // The jobs that failed in this run, with their logs (opening from here), for the end of the output.
      const failedJobs: string[] = [];

      // Phase G's run folder while that phase runs: a stop between two comparisons removes it while it is empty
      let compareRun: StartedRun | null = null;
      // what the stop handler asks of Phase G's worker threads (loaded here: the handler must not wait for an import)
      const { finishComparisonsUnderWay } = await import('../../study/compare/threads.js');
      const { ReconstructionStop } = await import('../stop-reconstructions.js');
      // the reconstructions under way end their epoch and write their checkpoint, from which the next run continues; one
      // that finished its last epoch meanwhile is recorded first (the run's signal is aborted then: Phase F records it and
      // the run rejects, recorded as interrupted, before this says what was kept)
      const stop = new ReconstructionStop((signal) => {
        // the comparisons under way in worker threads write their files first; one given up keeps the run's lock,
        // which the next run finds stale and removes with what the job left
        if (compareRun !== null && finishComparisonsUnderWay(STOP_WAIT_MS)) { compareRun.release(); removeEmptyDirs(compareRun.created); }
        let unrecorded = '';
        try {
          recordInterrupted(hub);
        } catch (e) {
          // a full disk: run.json keeps its last whole state ('running'), which the next run reports; the line is printed still
          unrecorded = ` (${e instanceof Error ? e.message : String(e)}: it still says 'running')`;
        }
        fView?.finish();
        err.write(`\nptychostudy run: ${stoppedWord(signal)}; finished work is kept${unrecorded}. Continue with: ${shellJoin(['ptychostudy', 'run', '--out', hub])}\n`);
      });
      const removeStopHandlers = onStop((signal) => stop.handle(signal));

      // ✓ a phase that ran (or was skipped) without a failed job; ✗ one that ran to its end with failed jobs
      const mark = (failures: number): string => (failures > 0 ? paint('✗', 'bad') : paint('✓', 'good'));
      const onEvent = (e: RunEvent): void => {
        if (e.type === 'compare-started') { compareRun = e.run; return; }
        if (quiet) return;
        switch (e.type) {
          case 'hub':
            progress(`hub: ${e.hub}${e.resumed ? ` (resuming; complete: ${e.completed.join(', ') || 'none'})` : ''}`);
            if (e.unrecorded !== null) {
              const during = e.unrecorded.phase !== null ? ` during ${e.unrecorded.phase}` : '';
              progress(`  run.json said 'running': the run before ended${during} without recording how (it was killed, or run.json ` +
                `could not be written)${during !== '' ? `; ${e.unrecorded.phase} is done again unless its own record shows it finished` : ''}`);
            }
            break;
          case 'phase-start': progress(`▶ ${e.phase}…`); break;
          case 'phase-skip': progress(`${mark(e.failures)} ${e.phase}: ${paint('skipped', 'skip')} (${e.reason})`); break;
          case 'phase-end': progress(`${mark(e.failures)} ${e.phase} (${fmtSeconds(e.seconds)}; total ${fmtSeconds((performance.now() - t0) / 1000)}): ${e.detail}`); break;
          case 'generate':
          case 'overlap':
          case 'compare':
          case 'report': {
            const msg = e.progress.message;
            if (msg !== lastMessage) { lastMessage = msg; progress(`  ${msg}`); }
            break;
          }
          case 'reconstruct':
            fView?.handle(e.event);
            if (e.event.type === 'job-end' && e.event.result.status !== 'success') {
              const j = e.event.job, r = e.event.result;
              failedJobs.push(`  dose=${j.dose} view=${j.view} split=${j.split}: ${r.error ?? 'unknown error'} (log ${logPath(r.log_path, hubRoots(hub).f)})`);
            }
            break;
        }
      };

      const { runStudy } = await import('../../study/run/study.js'); // loaded when used: a finished hub returns fast
      let result: Awaited<ReturnType<typeof runStudy>>;
      try {
        result = await runStudy(hub, settings, onEvent, { settingsOrigin: origin, signal: stop.signal });
      } catch (e) {
        const stopped = await stop.finishedOnAbort(e);
        if (stopped !== null) return stopped;
        // a full disk or a quota: what was finished is kept and recorded; the same line says how to go on
        if (isOutOfSpace(e) && e instanceof Error) e.message += `; make room, then continue with: ${shellJoin(['ptychostudy', 'run', '--out', hub])}`;
        throw e;
      }
      if (stop.recording) return stop.finished();
      removeStopHandlers();
      const seconds = (performance.now() - t0) / 1000;
      // a hub file the report found there but broken: one line each (also with --quiet and --json), exit 1
      for (const b of result.reportBroken) process.stderr.write(`${b.file}: ${b.reason} (broken evidence: the report shows it as broken)\n`);
      const table = summaryTable(hubRoots(result.hub).g);
      if (flags.json) {
        process.stdout.write(JSON.stringify({
          hub: result.hub, report: result.reportPath, seconds: Math.round(seconds * 10) / 10, exit_code: result.exitCode,
          changed: result.worked, phases: result.state.phases, summary: table.rows,
        }, null, 2) + '\n');
      } else if (quiet) {
        process.stdout.write(`${result.reportPath ?? ''}\n`);
      } else {
        say('');
        say(table.text);
        say('');
        if (result.exitCode !== 0) {
          // The failures again at the end, where a long log is read first, with what to do about them.
          const notScored = table.rows.filter((r) => r.status !== 'ok').length;
          if (failedJobs.length > 0) say(`${paint('FAILED', 'bad')} in this run:\n${failedJobs.join('\n')}`);
          const count = Math.max(failedJobs.length, notScored);
          const broken = result.reportBroken.length;
          say(`finished with ${count > 0 ? `${count} failed job${count === 1 ? '' : 's'}` : broken > 0 ? `${broken} broken hub file${broken === 1 ? '' : 's'} (named above and in the report's Broken evidence)` : 'failures'} in ${fmtSeconds(seconds)}. Report: ${result.reportPath}`);
          say(`Fix the cause, then continue with: ${shellJoin(['ptychostudy', 'run', '--out', result.hub])} (failed jobs are retried; finished ones are kept)`);
        } else {
          say(result.worked ? `done in ${fmtSeconds(seconds)}. Report: ${result.reportPath}`
            : `nothing to do: the hub is complete and its inputs are unchanged. Report: ${result.reportPath}`);
        }
      }
      return result.exitCode;
    }, FLAGS, 'own'));
}
