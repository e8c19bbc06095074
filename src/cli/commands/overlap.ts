import { Option, type Command } from 'commander';
import { action } from '../action.js';
import { collect, listItems, parseDose } from '../flags.js';
import { addConfigOption, addOutOption, aliased, settingsWithOrigin } from '../options.js';
import { paint } from '../style.js';
import { UsageError } from '../../errors.js';
import { doseDirName, OVERLAP_VIEWS } from '../../study/hub/layout.js';
import type { OverlapProgress } from '../../study/overlap/plan.js';
import { onStop, stoppedWord, type StopSignal } from '../interrupt.js';
import { sameCommand } from '../rerun.js';
import { addExecutorOptions, EXECUTOR_FLAGS, executorSettingsFromFlags, refuseDetachWithoutSlurm, type ExecutorFlags } from '../executor-flags.js';
import { refuseNotFolderKind, refuseOtherFolderKind } from '../../study/hub/folder-kind.js';

const FLAGS: Record<string, string> = {
  phaseCRoot: '--phase-c-root', outputRoot: '--out', config: '--config', overwrite: '--overwrite', doses: '--dose', 'overlap.seed': '--seed', 'overlap.order': '--order',
  'overlap.probeDiameterPx': '--probe-diameter-px', 'overlap.neighborCount': '--neighbor-count', ...EXECUTOR_FLAGS,
};

/** Old names of --out, still accepted. */
const OLD_OUT = ['--output-root'];

function positiveNumber(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || !(v > 0)) throw new UsageError(`${flag} ${text}: expected a positive number`);
  return v;
}

function nonNegativeInteger(flag: string, text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v)) throw new UsageError(`${flag} ${text}: expected a non-negative integer`);
  return v;
}

/**
 * Progress to stderr: one line per event; on a terminal a bar of the view files written stays below them.
 */
function progressPrinter(): { onProgress: (p: OverlapProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let barShown = false;
  const clear = (): void => { if (barShown) { process.stderr.write('\r\x1b[K'); barShown = false; } };
  return {
    onProgress(p: OverlapProgress): void {
      clear();
      process.stderr.write(`overlap: ${p.message}\n`);
      if (tty && p.total > 0) {
        const width = 30, fill = Math.round((p.done / p.total) * width);
        process.stderr.write(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.done}/${p.total} view files`);
        barShown = true;
      }
    },
    end: clear,
  };
}

/**
 * What an interrupted run says: the view files it wrote (each view of each split: its NPZ and metrics JSON), that
 * overlap_manifest.json is written only at the end, and the command that starts over: the same one with
 * --overwrite once a file exists (the same inputs and settings give the same bytes, and such a file is left as it
 * is; one that differs moves to history/).
 */
export function overlapStoppedMessage(signal: StopSignal, outputRoot: string, written: readonly string[], total: number,
  argv: readonly string[]): string {
  if (written.length === 0) {
    return `ptychostudy overlap: ${stoppedWord(signal)} before it wrote a view. Start again with: ${sameCommand(argv)}`;
  }
  const again = sameCommand(argv, '--overwrite');
  return `ptychostudy overlap: ${stoppedWord(signal)}; ${written.length} of ${total} view files written in ${outputRoot} (${written.join(', ')}), ` +
    `none partial (each file is written under a temporary name, then renamed); overlap_manifest.json is written at the end, so ` +
    `it does not record them. Start again with: ${again} (a file that comes out the same is left as it is)`;
}

interface OverlapFlags extends ExecutorFlags {
  phaseCRoot?: string;
  out?: string;
  outputRoot?: string;
  config?: string;
  dose?: string[];
  view?: string[];
  /** The reference's legacy `--doses D…` / `--views V…` (space-separated lists), hidden aliases of --dose / --view. */
  doses?: string[];
  views?: string[];
  seed?: string;
  order?: string;
  overwrite?: boolean;
  probeDiameterPx?: string;
  neighborCount?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('overlap')
    .summary('Phase D: dense and sparse views of every dose by greedy minimum spacing')
    .description(
      'Phase D: for every dose_<D>/patched_{train,test}.npz under --phase-c-root, ' +
      'keep a maximal subset of the scan positions whose pairwise distances are ' +
      'all >= S = (1 - f)·N (dense f = 0.7, sparse f = 0.2; N from `diffraction`), ' +
      'visiting the positions in a seeded order (or, with --order raster, by y then x as the reference study\'s ' +
      'greedy_min_spacing_selection does). Per dose and view it writes ' +
      '<out>/dose_<D>/<view>/<view>_{train,test}.npz (every per-scan array ' +
      'filtered, source_indices, _metadata with the selection bookkeeping and the ' +
      'parent Phase C metadata), {train,test}_metrics.json and metrics_bundle.json ' +
      '(overlap metrics); and <out>/overlap_manifest.json.\n\n' +
      'Exit codes: 0 done; 1 some dose failed (the others were still written); ' +
      '2 bad usage or bad input (a Phase C file changed since it was written), nothing written; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal closed): stops after the view under way, ' +
      'names the view files written, each whole (overlap_manifest.json is written at the end), and the command that starts over ' +
      '(the same with --overwrite).')
    .option('--phase-c-root <dir>', 'Phase C root holding dose_<D>/ directories (required)');
  addOutOption(cmd, 'where the views are written (required): a new folder, or one `overlap` wrote (a hub\'s phase_d/)', OLD_OUT);
  addConfigOption(cmd);
  cmd
    .option('--dose <D>', 'only this dose; repeat (or comma-separate) for several, e.g. 1e3 = dose_1000 (default: every dose_<D> found)', collect)
    .option('--view <view>', 'only this view: dense or sparse; repeatable (default: both)', collect)
    .addOption(new Option('--doses <D...>').hideHelp())
    .addOption(new Option('--views <view...>').hideHelp())
    .option('--seed <S>', 'seed of the visiting order (default: 456, the design\'s subsampling seed)')
    .option('--order <order>', 'visiting order: seeded (a shuffle of --seed) | raster (by y, then x, then index: the reference study\'s greedy selection, which packs tighter) (default: seeded)')
    .option('--probe-diameter-px <D>', 'disc diameter of the overlap metrics (default: N, the patch size)')
    .option('--neighbor-count <K>', 'neighbours of the image-based overlap metric (default: 6)')
    .option('--overwrite', 'replace existing output files; files that change move to <out>/history/replaced-<time>/ with the ' +
      'manifest as it was (the manifest alone when only it changes) (default: refuse, before writing anything)');
  addExecutorOptions(cmd)
    .action(action('overlap', async (flags: OverlapFlags) => {
      if (!flags.phaseCRoot) throw new UsageError('--phase-c-root is required');
      const outputRoot = aliased<string>(flags as Record<string, unknown>, '--out', OLD_OUT);
      if (!outputRoot) throw new UsageError('--out is required');
      const list = (a: string[] | undefined, legacy: string, b: string[] | undefined): string[] =>
        [...(a ?? []), ...(b ?? []).flatMap((v) => listItems(legacy, v))];
      const doses = list(flags.dose, '--doses', flags.doses).map(parseDose);
      const views = list(flags.view, '--views', flags.views);
      for (const v of views) if (!(OVERLAP_VIEWS as readonly string[]).includes(v)) throw new UsageError(`--view ${v}: expected one of ${OVERLAP_VIEWS.join(', ')}`);
      const { settings, origin } = settingsWithOrigin(flags.config, {
        overlap: {
          seed: flags.seed !== undefined ? nonNegativeInteger('--seed', flags.seed) : undefined,
          order: flags.order as 'seeded' | 'raster' | undefined,
          probeDiameterPx: flags.probeDiameterPx !== undefined ? positiveNumber('--probe-diameter-px', flags.probeDiameterPx) : undefined,
          neighborCount: flags.neighborCount !== undefined ? nonNegativeInteger('--neighbor-count', flags.neighborCount) : undefined,
        },
        execution: executorSettingsFromFlags(flags),
      }, FLAGS);
      refuseDetachWithoutSlurm(settings.execution.executor, flags);
      // the folders' kinds once every flag value is checked (a bad value is named first, whatever the folders hold)
      refuseOtherFolderKind(outputRoot, 'phaseD');
      refuseNotFolderKind(flags.phaseCRoot, 'phaseC', '--phase-c-root');
      const runOptions = {
        phaseCRoot: flags.phaseCRoot,
        outputRoot,
        doses: doses.length > 0 ? doses : undefined,
        views: views.length > 0 ? views : undefined,
        overwrite: !!flags.overwrite,
        // where each setting came from: the manifest records those of Phase D (overlap.*)
        settingsOrigin: origin,
      };
      const { overlapOnCluster } = await import('../cluster.js');
      const onCluster = await overlapOnCluster(settings, runOptions, flags);
      if (onCluster !== null) return onCluster;
      const progress = progressPrinter();
      // Ctrl-C or SIGTERM: the handler runs between two views (the work yields there); the lock is released as
      // the process exits (files/lock.ts).
      const written: string[] = [];
      let total = 0;
      const removeStopHandlers = onStop((signal) => {
        progress.end();
        process.stderr.write(`\n${overlapStoppedMessage(signal, outputRoot, written, total, process.argv.slice(2))}\n`);
      });
      const { runOverlap } = await import('../../study/overlap/phase.js');
      const summary = await runOverlap(settings, runOptions, (p) => {
        total = p.total;
        if (p.view !== undefined && p.split !== undefined) written.push(`${doseDirName(p.dose)}/${p.view} ${p.split}`);
        progress.onProgress(p);
      }).finally(() => { removeStopHandlers(); progress.end(); });

      for (const d of summary.doses) {
        if (d.status === 'failed') {
          process.stdout.write(`${doseDirName(d.dose)}: ${paint('FAILED', 'bad', process.stdout)} — ${d.error}\n`);
          continue;
        }
        for (const [view, v] of Object.entries(d.views)) {
          for (const [split, s] of Object.entries(v.splits)) {
            process.stdout.write(`${doseDirName(d.dose)} ${view} ${split}: ${s.n_accepted}/${s.n_positions} kept (${s.selection_strategy})` +
              `${s.insufficient_positions ? ', insufficient positions' : ''} → ${s.file}\n`);
          }
        }
      }
      process.stdout.write(`manifest: ${summary.manifest}\n`);
      if (summary.keptIn !== null) process.stderr.write(`the earlier files this run replaced moved to ${summary.keptIn}\n`);
      if (summary.failed > 0) {
        process.stderr.write(`ptychostudy overlap: ${summary.failed} of ${summary.doses.length} dose(s) failed\n`);
        return 1;
      }
      return 0;
    }, FLAGS, 'own'));
}
