import type { Command } from 'commander';
import { action } from '../action.js';
import { collect, doseFlags, every, integerFlag, oneFlag, requiredFlag } from '../flags.js';
import { addOutOption, aliased } from '../options.js';
import { paint } from '../style.js';
import { UsageError } from '../../errors.js';
import type { PhaseGOptions, StartedRun } from '../../study/compare/phase.js';
import { removeEmptyDirs } from '../../files/dirs.js';
import { isOutOfSpace } from '../../files/atomic.js';
import { parseModelSpec } from '../../study/compare/plan.js';
import { refuseNotFolderKind, refuseOtherFolderKind } from '../../study/hub/folder-kind.js';
import { SPLITS, VIEWS } from '../../study/hub/layout.js';
import { OWN_MODEL } from '../../study/hub/metrics-summary.js';
import { parseStudySettings } from '../../settings/parse.js';
import { onStop, STOP_WAIT_MS, stoppedWord, type StopSignal } from '../interrupt.js';
import { sameCommand } from '../rerun.js';
import { addExecutorOptions, EXECUTOR_FLAGS, executorSettingsFromFlags, refuseDetachWithoutSlurm, type ExecutorFlags } from '../executor-flags.js';

const FLAGS: Record<string, string> = { models: '--model', outputRoot: '--out', 'execution.jobs': '--jobs', ...EXECUTOR_FLAGS };

/** Old names of --out, still accepted. */
const OLD_OUT = ['--output-root', '--artifact-root'];

interface Flags extends ExecutorFlags {
  phaseCRoot?: string;
  phaseDRoot?: string;
  phaseFRoot?: string;
  out?: string;
  outputRoot?: string;
  dose?: string[];
  view?: string[];
  split?: string[];
  model?: string[];
  region?: string;
  figures?: boolean;
  charts?: boolean;
  json?: boolean;
  quiet?: boolean;
  jobs?: string;
}

/** Parses the flags into the library's options (usage errors for anything invalid). */
export function compareOptionsFromFlags(f: Flags): PhaseGOptions {
  const doses = doseFlags(f.dose) ?? [];
  const dose = doses.length === 0 ? null : doses.length === 1 ? doses[0]! : doses;
  const view = oneFlag('--view', f.view, 'view', VIEWS);
  const split = oneFlag('--split', f.split, 'split', SPLITS);
  if (f.region !== undefined && f.region !== 'illumination' && f.region !== 'patches') throw new UsageError(`--region ${f.region}: expected illumination or patches`);
  let models;
  try {
    models = (f.model ?? []).map(parseModelSpec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    phaseCRoot: requiredFlag('--phase-c-root', f.phaseCRoot),
    phaseDRoot: f.phaseDRoot ?? '',
    phaseFRoot: requiredFlag('--phase-f-root', f.phaseFRoot),
    outputRoot: requiredFlag('--out', aliased<string>(f as Record<string, unknown>, '--out', OLD_OUT)),
    dose, view: view ?? null, split: split ?? null,
    models,
    region: (f.region as 'illumination' | 'patches' | undefined) ?? 'illumination',
    figures: f.figures !== false,
    charts: f.charts !== false,
  };
}

/**
 * What an interrupted run says: how many of its jobs finished (each job's files are written whole between two
 * jobs, in <out>/dose_<D>/<view>/<split>/; those under way in worker threads are let finish first), that the metrics
 * summary merges this run's rows only once every job has finished, and the command that finishes it (it reuses the
 * finished jobs whose record matches: reuse.ts). `abandoned`: a job under way did not finish within `STOP_WAIT_MS`.
 */
export function compareStoppedMessage(signal: StopSignal, outputRoot: string, finished: number, total: number | null,
  merging: boolean, argv: readonly string[], abandoned = false): string {
  const again = sameCommand(argv);
  const partial = abandoned
    ? `; a job still under way after ${STOP_WAIT_MS / 1000} s was given up: the next compare removes its unfinished files`
    : ', none partial';
  const what = merging
    ? `all ${finished} jobs done (a compared job's files are in ${outputRoot}/dose_<D>/<view>/<split>/); stopped while merging them into ` +
      'metrics_summary.json and writing the charts (each file is replaced whole or not at all)'
    : `${total === null ? 'no job' : `${finished} of ${total} jobs`} done (a compared job's files are in ${outputRoot}/dose_<D>/<view>/<split>/${partial}); ` +
      'metrics_summary.json is not changed (a run merges its rows into it once every job is done)';
  return `ptychostudy compare: ${stoppedWord(signal)}; ${what}. Compare again with: ${again} (it reuses the finished jobs ` +
    'whose inputs, settings and files are unchanged and compares the others; a job\'s earlier files move to its history/)';
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .summary('Phase G: metrics of every reconstruction against ground truth, tables and charts')
    .description(
      'Phase G: compare every Phase F reconstruction (and any external one) with the ground truth of the dataset it was ' +
      'reconstructed from (objectGuess, cut to the scanned region). Every model is aligned the same way: sub-pixel ' +
      'registration (x50 upsampled cross-correlation, Fourier shift, border cut), phase-plane and amplitude-scale removal. ' +
      'Metrics, amplitude and phase: MAE, MSE, PSNR, SSIM, MS-SSIM, FRC (frc50, frc1over7); see docs/metrics.md. ' +
      'frc50 and frc1over7 are ring indices of each job\'s own compared n×n square, whose side differs between views: where ' +
      'several jobs sit together (the charts, metrics_summary.md and .csv, the means) they are also given as ring / n, in ' +
      'cycles per pixel.\n\n' +
      `Our reconstructions appear as model "${OWN_MODEL}". --model NAME=PATTERN adds an external reconstruction (an NPZ with a ` +
      'complex 2-D reconstructed_object, e.g. from PtychoPINN or pty-chi) per job; PATTERN may use {dose} (integer), ' +
      '{dose_dir} (dose_<D>), {view} and {split}, e.g. --model PtyChi=/runs/ptychi/{dose_dir}/{view}/{split}/recon.npz\n\n' +
      'Writes <out>/dose_<D>/<view>/<split>/{comparison_metrics.csv, frc_curves.csv, reconstructions_aligned.npz, ' +
      'comparison.png, comparison.json}, and <out>/metrics_summary.{json,md,csv} merged with earlier runs by ' +
      '(dose, view, split, model) (a recomputed row keeps the old one in its history), charts/<metric>.{svg,png}, and ' +
      'runs/<run id>/metrics_summary.json. Jobs with no reconstruction are listed with the reason. Nothing is ' +
      'overwritten: a job\'s earlier files move to its history/<run id>/ before new ones go in.\n\n' +
      'Exit codes: 0 all comparisons done; 1 some comparison failed (recorded; the rest ran); 2 bad usage or input; ' +
      '130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal closed): stops between two jobs (their files whole), leaves metrics_summary.json ' +
      'unchanged (it takes a run\'s rows once every job is done), removes the run\'s still empty runs/<run id>/ and names the command that compares again. ' +
      'The next compare into the same --out reuses a stopped run\'s finished jobs whose reconstruction and ground-truth bytes, ' +
      'settings (--model, --region, --no-figures), tool build and files are unchanged (their rows keep that run\'s id), and says how many.')
    .option('--phase-c-root <dir>', 'Phase C root: dose_<D>/patched_{train,test}.npz (required)')
    .option('--phase-d-root <dir>', 'Phase D root: dose_<D>/<view>/<view>_{train,test}.npz (ground truth of dense/sparse jobs; ' +
      'default: the one the Phase F manifest records)')
    .option('--phase-f-root <dir>', 'Phase F root: reconstruction_manifest.json, dose_<D>/<view>/<split>/reconstruction.npz (required)');
  addOutOption(cmd, 'where the comparison files go (required): a new folder, or one `compare` wrote (a hub\'s phase_g/)', OLD_OUT);
  cmd
    .option('--dose <D>', 'only this dose; repeat (or comma-separate) for several', collect)
    .option('--view <view>', `only this view: ${VIEWS.join(' | ')}`, every)
    .option('--split <split>', `only this split: ${SPLITS.join(' | ')}`, every)
    .option('--model <NAME=PATTERN>', 'an external reconstruction to compare beside ours (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--region <mode>', 'scanned region: illumination (probe intensity ≥ 10 % of max, default) | patches (bounding box of the patches)')
    .option('--no-figures', 'skip comparison.png')
    .option('--no-charts', 'skip the charts')
    .option('--jobs <n>', 'comparisons run at once, each in a worker thread (default: the number of cores where there are more than 2; 1: in this thread, which keeps a second core busy drawing figures)')
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr (a failed comparison and a warning are still printed)');
  addExecutorOptions(cmd)
    .action(action('compare', async (f: Flags) => {
      const opts = compareOptionsFromFlags(f);
      const settings = parseStudySettings({ execution: { jobs: integerFlag('--jobs', f.jobs), ...executorSettingsFromFlags(f) } });
      refuseDetachWithoutSlurm(settings.execution.executor, f);
      // the folders' kinds once every flag value is checked (a bad value is named first, whatever the folders hold)
      refuseOtherFolderKind(opts.outputRoot, 'phaseG');
      refuseNotFolderKind(opts.phaseCRoot, 'phaseC', '--phase-c-root');
      refuseNotFolderKind(opts.phaseFRoot, 'phaseF', '--phase-f-root');
      const { compareOnCluster } = await import('../cluster.js');
      const onCluster = await compareOnCluster(settings, opts, f);
      if (onCluster !== null) return onCluster;
      const { runComparison, reusedNote, rowsKeptUnmerged, summaryFilesUnwritten } = await import('../../study/compare/phase.js'); // loaded when used: the CLI starts fast
      const { comparisonsEndedInThreads, defaultComparisonJobs, finishComparisonsUnderWay } = await import('../../study/compare/threads.js');
      // Ctrl-C or SIGTERM: the handler runs between two jobs (each computes synchronously; the phase yields
      // between them), while jobs run in worker threads (--jobs > 1: it waits for those under way), or during the merge.
      let finished = 0;
      let total: number | null = null;
      let started: StartedRun | null = null;
      const endedBefore = comparisonsEndedInThreads();
      const removeStopHandlers = onStop((signal) => {
        const whole = finishComparisonsUnderWay(STOP_WAIT_MS);
        // the threads count the jobs they ended, whose lines this thread will not read now
        finished = Math.max(finished, comparisonsEndedInThreads() - endedBefore);
        total = started?.total ?? total;
        // the run folder this process reserved, and the folders it created for it, while they hold nothing (once every
        // job is done the run's snapshot is in it, and it stays); a job given up keeps the run's lock, which the next
        // compare finds stale and removes with the job's staging folder
        if (started !== null && whole) { started.release(); removeEmptyDirs(started.created); }
        process.stderr.write(`\n${compareStoppedMessage(signal, opts.outputRoot, finished, total, total !== null && finished === total,
          process.argv.slice(2), !whole)}\n`);
      });
      const jobs = settings.execution.jobs ?? defaultComparisonJobs();
      const s = await runComparison({ ...opts, jobs, onRunStarted: (r) => { started = r; } }, (p) => {
        if (p.kind === 'job' || p.kind === 'skip') { finished++; total = p.total ?? total; }
        // --quiet keeps a failed comparison's line: the exit code 1 alone would not say which job failed, or why
        if (!f.quiet || p.failed === true || p.kind === 'warning') process.stderr.write(`${p.message}\n`);
      }).catch((err: unknown) => {
        // the merge failed (a full disk): the rows are in the run's snapshot, and comparing again merges them
        if (rowsKeptUnmerged(err)) (err as Error).message += `; ${isOutOfSpace(err) ? 'make room, then ' : ''}compare again to merge them`;
        // merged, and a table or chart made from the summary not written: comparing again writes them
        else if (summaryFilesUnwritten(err)) (err as Error).message += `; ${isOutOfSpace(err) ? 'make room, then ' : ''}compare again to write them`;
        throw err;
      }).finally(removeStopHandlers);
      for (const m of opts.models ?? []) {
        if (!s.rows.some((r) => r.model === m.name && r.status !== 'missing')) {
          process.stderr.write(`ptychostudy compare: warning: --model ${m.name}: no file matched ${m.pattern} in any selected job\n`);
        }
      }
      if (f.json) {
        process.stdout.write(JSON.stringify({
          run_id: s.runId, compared: s.compared, reused: s.reused, reused_from: s.reusedFrom, failed: s.failed, skipped: s.skipped,
          summary: s.files.summaryJson, markdown: s.files.summaryMd, charts: s.files.charts, skipped_jobs: s.skippedJobs,
        }, null, 2) + '\n');
      } else {
        const out = process.stdout;
        process.stdout.write(`compared ${s.compared} job(s)${reusedNote(s.reused, s.reusedFrom)}, ${paint(`${s.failed} comparison(s) failed`, s.failed > 0 ? 'bad' : 'good', out)}, ` +
          `${s.skipped} job(s) ${paint('skipped', 'skip', out)}\n`);
        process.stdout.write(`summary: ${s.files.summaryMd}\n`);
      }
      return s.failed > 0 ? 1 : 0;
    }, FLAGS, 'own'));
}
