import type { Command } from 'commander';
import { resolve } from 'node:path';
import { action } from '../action.js';
import { collect, doseFlags, every, integerFlag, listItems, numberFlag, oneFlag, requiredFlag } from '../flags.js';
import { addConfigOption, addOutOption, aliased, settingsWithOrigin } from '../options.js';
import { logPath, ProgressView } from '../progress/reconstruct.js';
import { paint } from '../style.js';
import { onStop, stoppedWord } from '../interrupt.js';
import { redrawsInPlace } from '../progress/terminal.js';
import { settingsDefaults } from '../../settings/parse.js';
import { originLines, originOf, type SettingsOrigin } from '../../settings/origin.js';
import type { StudySettings } from '../../settings/schema.js';
import { SPLITS, VIEWS, type Split, type View } from '../../study/hub/layout.js';
import type { ReconstructionPlanOptions } from '../../study/reconstruct/plan.js';
import type { JobRef, PhaseFSummary } from '../../study/reconstruct/record.js';
import { ENGINE_FLAGS, addFrameOptions, addProbeOptions, frameSettings, type EngineFlags } from '../engine-flags.js';
import { addExecutorOptions, EXECUTOR_FLAGS, executorSettingsFromFlags, refuseDetachWithoutSlurm, type ExecutorFlags } from '../executor-flags.js';
import { counted, shellJoin } from '../../text.js';
import { refuseNotFolderKind, refuseOtherFolderKind } from '../../study/hub/folder-kind.js';
import { STOP_CHECKPOINT_WAIT_MS } from '../../study/reconstruct/engine-runner.js';
import { ReconstructionStop } from '../stop-reconstructions.js';

interface Flags extends ExecutorFlags, EngineFlags {
  phaseCRoot?: string;
  phaseDRoot?: string;
  out?: string;
  artifactRoot?: string;
  config?: string;
  dose?: string[];
  doses?: string;
  view?: string[];
  split?: string[];
  gridsize?: string[];
  dryRun?: boolean;
  allowMissingPhaseD?: boolean;
  force?: boolean;
  jobs?: string;
}

/** Old names of --out, still accepted. */
const OLD_OUT = ['--artifact-root'];

const FLAGS: Record<string, string> = {
  phaseCRoot: '--phase-c-root', phaseDRoot: '--phase-d-root', artifactRoot: '--out', config: '--config',
  allowMissingPhaseD: '--allow-missing-phase-d', force: '--force',
  'filters.dose': '--dose', 'filters.view': '--view', 'filters.split': '--split', 'filters.gridsize': '--gridsize',
  'simulation.doses': '--doses', ...ENGINE_FLAGS, 'execution.jobs': '--jobs', ...EXECUTOR_FLAGS,
};

/** Parses the flags into the settings and the run's options (usage errors for anything invalid). */
export function optionsFromFlags(f: Flags): { settings: StudySettings; options: ReconstructionPlanOptions; origin: SettingsOrigin } {
  const phaseCRoot = requiredFlag('--phase-c-root', f.phaseCRoot);
  const phaseDRoot = requiredFlag('--phase-d-root', f.phaseDRoot);
  const artifactRoot = requiredFlag('--out', aliased<string>(f as Record<string, unknown>, '--out', OLD_OUT));
  const doses = f.doses === undefined ? undefined : listItems('--doses', f.doses).map((d) => numberFlag('--doses', d)!);
  const view = oneFlag('--view', f.view, 'view', VIEWS);
  const split = oneFlag('--split', f.split, 'split', SPLITS);
  const gridsize = oneFlag('--gridsize', f.gridsize, 'gridsize');
  const doseFilter = doseFlags(f.dose) ?? [];
  const { settings, origin: given } = settingsWithOrigin(f.config, {
    simulation: { doses },
    reconstruction: {
      epochs: integerFlag('--epochs', f.epochs),
      batchSize: integerFlag('--batch-size', f.batchSize),
      noiseModel: f.noiseModel as 'gaussian' | 'poisson' | undefined,
      modes: integerFlag('--modes', f.modes),
      nImages: integerFlag('--n-images', f.nImages),
      seed: integerFlag('--seed', f.seed),
      initObject: f.initObject,
      initProbe: f.initProbe,
      ...(f.probeModel !== undefined ? { probeModel: f.probeModel } : {}),
      ...(f.detectorMask === false ? { detectorMask: false } : {}),
      ...(f.radiation !== undefined ? { radiation: f.radiation as 'photon' | 'electron' } : {}),
      ...frameSettings(f),
    },
    execution: { jobs: integerFlag('--jobs', f.jobs), ...executorSettingsFromFlags(f) },
  }, FLAGS);
  // the settings Phase F uses: the reconstruction group, the study's doses (the job matrix) and how jobs are run
  const origin = originOf(given, ['reconstruction', 'execution', 'simulation.doses']);
  refuseDetachWithoutSlurm(settings.execution.executor, f);
  // the folders' kinds once every flag value is checked (a bad value is named first, whatever the folders hold)
  refuseOtherFolderKind(artifactRoot, 'phaseF');
  refuseNotFolderKind(phaseCRoot, 'phaseC', '--phase-c-root');
  return {
    settings,
    origin,
    options: {
      phaseCRoot, phaseDRoot, artifactRoot,
      ...(f.config !== undefined ? { configFile: resolve(f.config) } : {}),
      settingsOrigin: origin,
      filters: {
        dose: doseFilter.length === 0 ? null : doseFilter.length === 1 ? doseFilter[0]! : doseFilter,
        view: (view as View | undefined) ?? null,
        split: (split as Split | undefined) ?? null,
        gridsize: integerFlag('--gridsize', gridsize) ?? null,
      },
      dryRun: f.dryRun ?? false,
      allowMissingPhaseD: f.allowMissingPhaseD ?? false,
      force: f.force ?? false,
    },
  };
}

/**
 * What a stop says of the Phase F jobs that were under way: with checkpoints (`execution.checkpointEvery` > 0) each
 * ended its epoch and wrote its checkpoint (`saved`), or one still in its epoch after the wait was ended with the
 * process, and continues from its last periodic checkpoint; without, they start over.
 */
export function jobsUnderWayWord(checkpointEvery: number, saved: boolean): string {
  if (checkpointEvery === 0) return 'the jobs that were running start over';
  return saved ? 'the jobs that were running continue from the epoch they reached'
    : `the jobs that were running continue from their last checkpoint: one was still in its epoch after ${STOP_CHECKPOINT_WAIT_MS / 1000} s`;
}

const jobsNamed = (jobs: readonly JobRef[]): string => {
  const shown = jobs.slice(0, 3).map((j) => `dose=${j.dose} view=${j.view} split=${j.split}`).join(', ');
  return jobs.length > 3 ? `${shown}, … (${jobs.length} in all)` : shown;
};

/**
 * The first lines of the summary `reconstruct` prints: the whole matrix (the study's doses × views × splits, inputs
 * present or not), how many jobs the filters select and skip, how many are already complete; then the jobs without an
 * input, those the filters selected (which did not run) apart from those they skip anyway.
 */
export function summaryHead(s: Pick<PhaseFSummary, 'dryRun' | 'totalJobs' | 'filteredJobs' | 'skippedCount' | 'missingPhaseDCount' |
  'alreadyComplete' | 'missingSelected' | 'missingFiltered'>): string[] {
  const filterSkips = s.skippedCount - s.missingPhaseDCount - s.alreadyComplete + s.missingFiltered.length;
  const out = [`${s.dryRun ? '[DRY RUN] ' : ''}Phase F: ${counted(s.totalJobs + s.missingPhaseDCount, 'job')} in the matrix, ` +
    `${s.filteredJobs + s.missingSelected.length} selected, ${filterSkips} skipped by the filters, ${s.alreadyComplete} already complete`];
  if (s.missingSelected.length > 0) {
    out.push(`  ${counted(s.missingSelected.length, 'selected job')} not run, ${s.missingSelected.length === 1 ? 'its input is' : 'their inputs are'} missing ` +
      `(--allow-missing-phase-d; recorded in the skip summary): ${jobsNamed(s.missingSelected)}`);
  }
  if (s.missingFiltered.length > 0) {
    out.push(`  ${s.missingFiltered.length === 1 ? '1 job the filters skip has' : `${s.missingFiltered.length} jobs the filters skip have`} no input ` +
      `(recorded as missing in the skip summary): ${jobsNamed(s.missingFiltered)}`);
  }
  return out;
}

export function register(program: Command): void {
  const D = settingsDefaults();
  const cmd = program
    .command('reconstruct')
    .summary('Phase F: LSQML reconstruction of every dose × view × split, with manifests that keep all evidence')
    .description(
      'Phase F: reconstruct every dose × view × split with the LSQML engine (the same code as `ptychostudy lsqml`).\n\n' +
      'Jobs, in order (doses ascending; split train then test; view baseline, dense, sparse):\n' +
      '  baseline: <phase-c-root>/dose_<D>/patched_<split>.npz\n' +
      '  dense, sparse: <phase-d-root>/dose_<D>/<view>/<view>_<split>.npz (or <view>/<split>.npz)\n' +
      'Each job writes <out>/dose_<D>/<view>/<split>/{reconstruction.npz, reconstruction.png, ' +
      'reconstruction_run.json, lsqml.log, reconstruction.log}. <out>/reconstruction_manifest.json and skip_summary.json are MERGED with earlier ' +
      'runs by (dose, view, split): a re-run job\'s old result moves to its `history` (old files to <job>/history/), ' +
      'other jobs\' results stay. Every run also leaves an immutable copy of its own files under ' +
      '<out>/runs/<UTC time>-<filters>/. A job whose result is complete (success, made with the same settings, ' +
      'reconstruction.npz present, input size and SHA-256 unchanged) is skipped as "already complete" unless --force.\n\n' +
      'Every LSQML option can be set in a settings file (--config; `ptychostudy config --print-defaults`), lsqml\'s --threads and --precision as ' +
      'reconstruction.threads and reconstruction.precision (here --jobs sets how many jobs share the cores); pty-chi\'s ' +
      'option names and what they are called here: docs/lsqml.md, "pty-chi\'s options here"; PtyPy\'s: docs/real-data.md, ' +
      '"Coming from PtyPy".\n\n' +
      'Each job reads and checks its input as `ptychostudy lsqml` does (NPZ, or measured data in a CXI or PtyPy .ptyd ' +
      'file: docs/real-data.md); input lsqml would refuse is that job\'s recorded failure, and the other jobs go on.\n\n' +
      'Exit codes: 0 every selected job succeeded (or dry run); 1 some job failed (all recorded); 2 bad usage or ' +
      'bad input roots (nothing written); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal closed): finished jobs are kept ' +
      'and the same command continues.')
    .option('--phase-c-root <dir>', 'Phase C root holding dose_<D>/patched_{train,test}.npz (required)')
    .option('--phase-d-root <dir>', 'Phase D root holding dose_<D>/<view>/<view>_{train,test}.npz (required)');
  addOutOption(cmd, 'where reconstructions, logs, manifests and run snapshots go; created if missing (required); a new folder, or one `reconstruct` wrote (a hub\'s phase_f/)', OLD_OUT);
  addConfigOption(cmd);
  cmd
    .option('--dose <D>', 'only the jobs of this dose (photons per pattern, e.g. 1000 or 1e3); repeat (or comma-separate) for several', collect)
    .option('--view <view>', `only this view: ${VIEWS.join(' | ')}`, every)
    .option('--split <split>', `only this split: ${SPLITS.join(' | ')}`, every)
    .option('--gridsize <g>', 'only the views of this gridsize: 1 = baseline, 2 = dense and sparse', every)
    .option('--doses <list>', `the study's doses, the job matrix, comma-separated (default: ${D.simulation.doses.join(',')})`)
    .option('--dry-run', 'print the settings given and where each came from (a flag, --config, a preset), what each job would run, and record the plan; run nothing')
    .option('--allow-missing-phase-d', 'skip (and record) jobs whose input NPZ is missing instead of failing; the inputs of the whole matrix are looked for, whatever the filters select')
    .option('--force', 'redo jobs that are already complete (their old results move to history)')
    .option('--epochs <n>', `LSQML epochs per job, at least 2 (default: ${D.reconstruction.epochs})`)
    .option('--batch-size <n>', `LSQML minibatch size, positions per update (default: ${D.reconstruction.batchSize})`)
    .option('--noise-model <m>', `gaussian | poisson (default: ${D.reconstruction.noiseModel})`)
    .option('--modes <n>', `probe modes (default: ${D.reconstruction.modes})`)
    .option('--n-images <n>', 'use at most the first n positions of each input (default: all)')
    .option('--seed <s>', `seed of the minibatch order; same seed, same bytes (default: ${D.reconstruction.seed})`)
    .option('--init-object <o>', `initial object: ones (no ground truth leaks in) | guess (the file's objectGuess) | file:PATH (NPZ reconstructed_object/objectGuess or a finished reconstruction's folder for its reconstruction.npz, ptychodus .h5 or .npz, PtyPy .ptyr, CXI image; of each input's object frame) (default: ${D.reconstruction.initObject})`);
  addProbeOptions(cmd, 'the probe each job starts from, as lsqml takes it for the job\'s input: ')
    .option('--no-detector-mask', 'measured data (CXI, .ptyd): fit every pixel as read, not leaving out the pixels the file marks as not measured; as lsqml --no-detector-mask (docs/real-data.md)')
    .option('--radiation <r>', 'measured data (CXI): photon or electron, what the files\' energy is the energy of — photon: λ = hc/E; electron: the kinetic energy, ' +
      'λ relativistic. Default: as each file states at entry_1/instrument_1/source_1/probe, photon when it states none; a job whose file states the ' +
      'other, a .ptyd (electron) or an NPZ fails, as lsqml --radiation refuses it (docs/real-data.md, "Radiation")');
  addFrameOptions(cmd, 'each input (a job whose input is a dataset NPZ fails, as lsqml refuses it)')
    .option('--jobs <n>', 'jobs run at once, each in a worker thread (default: the number of cores; with more than one, each job uses one thread)');
  addExecutorOptions(cmd)
    .action(action('reconstruct', async (flags: Flags) => {
      const { settings, options, origin } = optionsFromFlags(flags);
      const { reconstructOnCluster } = await import('../cluster.js');
      const onCluster = await reconstructOnCluster(settings, options, flags);
      if (onCluster !== null) return onCluster;
      const view = new ProgressView(process.stderr, redrawsInPlace(process.stderr), resolve(options.artifactRoot));
      const { runReconstruction } = await import('../../study/reconstruct/phase.js');
      // Ctrl-C or SIGTERM: every finished job is already recorded in the manifest, and the same command (without
      // --force, which would redo them) skips those and runs the rest; the jobs under way end their epoch and write
      // their checkpoint first, to continue from it, and one that finished its last epoch meanwhile is recorded before
      // the exit (stop-reconstructions.ts: the phase's signal is aborted then, and it rejects once it has recorded it).
      let finished = 0;
      const stop = new ReconstructionStop((signal, saved) => {
        view.finish();
        const again = shellJoin(['ptychostudy', ...process.argv.slice(2).filter((a) => a !== '--force')]);
        process.stderr.write(`\nptychostudy reconstruct: ${stoppedWord(signal)}; ${counted(finished, 'finished job')} kept in ` +
          `${options.artifactRoot} (${jobsUnderWayWord(settings.execution.checkpointEvery, saved)}). Continue with: ${again}\n`);
      });
      const removeStopHandlers = onStop((signal) => stop.handle(signal));
      const { artifactRoot, ...rest } = options;
      let summary: PhaseFSummary;
      try {
        summary = await runReconstruction(settings, { ...rest, outputRoot: artifactRoot, signal: stop.signal }, (e) => {
          if (e.type === 'job-end' && e.result.status === 'success') finished++;
          if (e.type === 'dry-run') process.stdout.write(e.preview + '\n');
          if (e.type === 'plan' && e.dryRun) {
            // before the jobs' lines: which settings a flag gave and which the settings file, the rest being defaults
            const from = originLines(origin);
            process.stdout.write(from.length === 0 ? '[DRY RUN] Settings: every one at its default\n'
              : `[DRY RUN] Settings given (the rest at their defaults):\n${from.map((l) => `[DRY RUN]   ${l}\n`).join('')}`);
            for (const j of e.alreadyComplete) process.stdout.write(`[DRY RUN] Already complete (would skip): dose=${j.dose} view=${j.view} split=${j.split}\n`);
          }
          view.handle(e);
        });
      } catch (err) {
        const stopped = await stop.finishedOnAbort(err);
        if (stopped !== null) return stopped;
        throw err;
      }
      if (stop.recording) return stop.finished();
      removeStopHandlers();
      view.finish();
      const out: string[] = [];
      out.push(...summaryHead(summary));
      if (!summary.dryRun) out.push(`  executed ${summary.executed}: ${summary.succeeded} succeeded, ${summary.failed} failed`);
      for (const r of summary.results) {
        if (r.status === 'failed') out.push(`  ${paint('FAILED', 'bad', process.stdout)} dose=${r.dose} view=${r.view} split=${r.split}: ${r.error ?? ''} (log ${logPath(r.log_path, resolve(options.artifactRoot))})`);
      }
      out.push(`  manifest:     ${summary.manifestPath}`);
      out.push(`  skip summary: ${summary.skipSummaryPath}`);
      out.push(`  this run:     ${summary.snapshotDir}`);
      process.stdout.write(out.join('\n') + '\n');
      return summary.exitCode;
    }, FLAGS, 'own'));
}
