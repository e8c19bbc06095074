import { Option, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { action } from '../action.js';
import { ENGINE_FLAGS, addFrameOptions, addProbeOptions, frameSettings, type EngineFlags } from '../engine-flags.js';
import { integerFlag } from '../flags.js';
import { onStop, stoppedWord, type StopSignal } from '../interrupt.js';
import { addConfigOption, addOutOption, aliased, configInput, settingsLsqmlIgnores, settingsWithOrigin } from '../options.js';
import { originOf } from '../../settings/origin.js';
import { UsageError } from '../../errors.js';
import { brokenLink } from '../../files/regular.js';
import { formatBytes } from '../../data/memory.js';
import { settingsDefaults } from '../../settings/parse.js';
import type { JobProgress } from '../../study/reconstruct/lsqml-job.js';
import { sameCommand } from '../rerun.js';
import { fit, lineWidth, redrawsInPlace } from '../progress/terminal.js';
import { refuseOtherFolderKind } from '../../study/hub/folder-kind.js';
import { PHASE_F } from '../../study/hub/layout.js';

/** Old names of --out, --input and --epochs, still accepted (the reference study's ptychi_reconstruct_tike.py). */
const OLD_OUT = ['--output-dir'];
const OLD_INPUT = ['--input-npz'];
const OLD_EPOCHS = ['--num-epochs'];
/** The one `--algorithm` (the reference script's flag) this engine runs. */
const ALGORITHM = 'LSQML';

const FLAGS: Record<string, string> = {
  config: '--config', ...ENGINE_FLAGS,
  'reconstruction.threads': '--threads', 'reconstruction.precision': '--precision', 'execution.checkpointEvery': '--checkpoint-every',
};

interface LsqmlFlags extends EngineFlags {
  input?: string;
  inputNpz?: string;
  out?: string;
  outputDir?: string;
  config?: string;
  numEpochs?: string;
  algorithm?: string;
  threads?: string;
  precision?: string;
  overwrite?: boolean;
  keepSame?: boolean;
  checkpointEvery?: string;
}

/**
 * Progress: a bar redrawn in place on a terminal (cut to its width, so that it never wraps), one plain line
 * per epoch otherwise. `status` shows what happens before the first epoch (reading a large input takes seconds)
 * on a terminal only, in the bar's place: the first epoch's bar replaces it, and `done` erases it when no epoch
 * came (an error's one line then stands alone); piped, it prints nothing.
 */
export function progressPrinter(out: NodeJS.WritableStream & { columns?: number }, live: boolean): { status: (text: string) => void; update: (p: JobProgress) => void; done: () => void } {
  let drawn = false, status = false;
  return {
    status: (text) => {
      if (!live || drawn) return;
      out.write(`\r${fit(text, lineWidth(out))}\x1b[K`);
      status = true;
    },
    update: (p) => {
      if (live) {
        const width = 30, fill = Math.round((width * p.epoch) / p.epochs);
        const line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] epoch ${p.epoch}/${p.epochs} loss ${p.loss.toExponential(4)} (${p.seconds.toFixed(2)} s/epoch)`;
        out.write(`\r${fit(line, lineWidth(out))}\x1b[K`);
        drawn = true;
      } else {
        out.write(`epoch ${p.epoch}/${p.epochs} loss ${p.loss.toExponential(6)} seconds ${p.seconds.toFixed(3)}\n`);
      }
    },
    done: () => {
      if (drawn) out.write('\n');
      else if (status) out.write('\r\x1b[K');
      drawn = false; status = false;
    },
  };
}

/**
 * What `lsqml` prints when stopped by `signal` after `done` of `epochs` epochs: that no result was written,
 * where the log so far is and where it goes, and the command that starts over — or, when `checkpoint` names the
 * file that holds the state after `checkpointEpochs` epochs (those of the stop, or fewer: the checkpoint a run that
 * keeps none, --checkpoint-every 0, continued from), continues.
 */
export function stoppedMessage(signal: StopSignal, done: number, epochs: number, out: string, pid: number, args: readonly string[],
  checkpoint: string | null = null, checkpointEpochs = done): string {
  const again = sameCommand(args);
  const when = done === 0 ? 'before its first epoch ended' : `after ${done} of ${epochs} epochs`;
  const log = done === 0 ? '' : `The log of those epochs is in ${join(out, `.staging-lsqml-*-${pid}`, 'lsqml.log')}; the next run into ` +
    `${out} moves it to ${join(out, 'history')}/. `;
  const older = checkpointEpochs < done ? ', the checkpoint this run continued from (it kept none of its own: --checkpoint-every 0)' : '';
  const next = checkpoint !== null && checkpointEpochs > 0 ? `The state after epoch ${checkpointEpochs - 1} is in ${checkpoint}${older}; continue with: ${again}` : `Start over with: ${again}`;
  return `ptychostudy lsqml: ${stoppedWord(signal)} ${when}; no result was written (the reconstruction is written after the last epoch) ` +
    `and the earlier files of ${out} are as they were.\n${log}${next}`;
}

export function register(program: Command): void {
  const D = settingsDefaults().reconstruction;
  const cmd = program
    .command('lsqml')
    .summary('reconstruct one dataset (NPZ, CXI or PtyPy .ptyd) with the LSQML engine (what one Phase F job runs)')
    .description(
      'Reconstruct one dataset with ptychostudy\'s LSQML engine (pty-chi\'s algorithm and defaults): a DATA-001 NPZ, ' +
      'or measured data in a CXI or PtyPy .ptyd file (recognised by content; geometry, units and conventions in ' +
      'docs/real-data.md). Without an objectGuess the object frame comes from the scan extent and the probe size. ' +
      'Writes <out>/reconstruction.npz (reconstructed_object, reconstructed_probe, loss_history, ' +
      'positions, _metadata with every setting; measured data whose detector mask masked pixels: detector_mask), reconstruction_run.json (times, threads, host), reconstruction.png ' +
      '(object and probe amplitude and phase) and lsqml.log (one line per epoch). They are built in a staging directory ' +
      'inside <out> and moved in when the run ends; files of an earlier run, and the report `ptychostudy report --out` made of them (<out>/report/), move to <out>/history/ first. ' +
      'The object starts from ones unless --init-object guess, or --init-object file:PATH continues an earlier ' +
      'reconstruction (its reconstruction.npz, or a ptychodus product: `ptychostudy export` writes one; give --init-probe file:PATH too to carry its probe over).\n\n' +
      'Every LSQML option (step sizes, update plans, preconditioner damping, noise model, …) can be set in a settings ' +
      'file: --config FILE (`ptychostudy config --print-defaults` lists them all; its simulation, overlap and execution settings ' +
      'are not used here, and a warning names those that differ from their defaults); flags override it. pty-chi\'s option ' +
      'names and what they are called here: docs/lsqml.md, "pty-chi\'s options here"; PtyPy\'s parameters (numiter, ' +
      'ML_type, illumination, …) and its .ptyd and .ptyr files: docs/real-data.md, "Coming from PtyPy".\n\n' +
      'Checkpoints: every --checkpoint-every epochs (default: ' + settingsDefaults().execution.checkpointEvery + '; 0: none), and when a signal stops the run, its state goes to ' +
      '<out>/lsqml-checkpoint.npz; the same command (same input, start files and settings; --epochs, --threads and --checkpoint-every may change) ' +
      'then continues from it, says "continues from epoch k of N", and gives the bytes an uninterrupted run gives. A checkpoint of another run, or one that ' +
      'cannot be read, is refused (exit 2): remove it to start over. It is removed once the result is in <out> (a run that diverged keeps it).\n\n' +
      'Exit codes: 0 done; 1 the reconstruction diverged or failed (a full disk: the file named, only the log kept); 2 bad usage or bad input, nothing written; ' +
      '130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal closed): the run stops at the end of the epoch under way and writes ' +
      'no result (its log so far moves to <out>/history/ with the next run) but its checkpoint; the same command continues (without checkpoints: starts over, or continues from the checkpoint this run continued from).')
    .option('--input <file>', 'dataset: NPZ (diffraction, xcoords, ycoords, probeGuess unless --probe-model or --init-probe file: gives the probe, optional objectGuess), CXI or PtyPy .ptyd (required)')
    .addOption(new Option('--input-npz <file>').hideHelp())
    .addOption(new Option('--num-epochs <n>').hideHelp())
    .addOption(new Option('--algorithm <name>').hideHelp());
  addOutOption(cmd, 'where the outputs are written (required): a new folder, or one `lsqml` wrote (not a hub or a phase root)', OLD_OUT);
  addConfigOption(cmd);
  cmd
    .option('--epochs <n>', `epochs, epoch 0 included; at least 2, since epoch 0 only rescales the probe as in pty-chi (default: ${D.epochs})`)
    .option('--batch-size <n>', `positions per minibatch (default: ${D.batchSize})`)
    .option('--noise-model <model>', `gaussian or poisson (default: ${D.noiseModel})`)
    .option('--modes <n>', `incoherent probe modes, 1 to 50, extra modes from pty-chi's Hermite recipe (default: ${D.modes})`)
    .option('--n-images <n>', 'use only the first n patterns of the file (default: all; more than the file holds: all, with a warning)')
    .option('--seed <n>', `seed of the minibatch order and of the Poisson step perturbation (default: ${D.seed})`)
    .option('--init-object <how>', 'ones (no ground truth leaks in), guess (the file\'s objectGuess) or file:PATH (NPZ reconstructed_object/objectGuess, a finished reconstruction\'s folder for its reconstruction.npz, ' +
      `ptychodus .h5 or .npz, PtyPy .ptyr, CXI image; complex [H, W] of this dataset's object frame, at its pixel size; a ptychodus or .ptyr object ` +
      `of another shape, on data with positions in metres, is placed by its centre or _origin, with a warning) (default: ${D.initObject})`);
  addProbeOptions(cmd)
    .option('--threads <n>', 'threads for the engine, 1 to 256 (default: min(2, cores); in a SLURM job, the CPUs SLURM gave its task: SLURM_CPUS_PER_TASK, ' +
      'else SLURM_CPUS_ON_NODE); results do not depend on it')
    .option('--precision <p>', 'float32 (default, pty-chi\'s precision) or float64 (for checks)')
    .option('--no-detector-mask', 'measured data (CXI, .ptyd): fit every pixel as read. By default the pixels the file marks as not measured — the CXI ' +
      'detector mask (bits 0x2ff), PtyPy weights of 0, values at an integer type\'s maximum (detector gaps of an Eiger) — are set to 0 and left ' +
      'unfitted, and _metadata.detector_mask says how many (docs/real-data.md)')
    .option('--radiation <r>', 'measured data (CXI): photon or electron, what the file\'s energy is the energy of — photon: λ = hc/E; electron: ' +
      'the kinetic energy, λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (relativistic). Default: as the file states at entry_1/instrument_1/source_1/probe ' +
      '(NeXus NXsource probe: \'electron\', \'x-ray\', …), photon when it states none; refused when the file states the other, for a .ptyd ' +
      '(PtyPy stores a photon energy) and for an NPZ (docs/real-data.md, "Radiation")');
  addFrameOptions(cmd, 'the file (refused for a dataset NPZ)')
    .option('--overwrite', 'replace an existing reconstruction in --out; its files, and its report, move to <out>/history/ (default: refuse)')
    .option('--checkpoint-every <n>', 'epochs between two checkpoints in <out>/lsqml-checkpoint.npz, from which the same command continues after a stop; 0: none ' +
      `(default: ${settingsDefaults().execution.checkpointEvery})`)
    .addOption(new Option('--keep-same', 'when --out holds a reconstruction of the same input (size, SHA-256) with the same settings (all but ' +
      '--threads), keep it, say so and exit 0; one of another input or with other settings is refused (exit 2) naming what differs ' +
      '(default: refuse any existing reconstruction)').conflicts('overwrite'))
    .action(action('lsqml', async (flags: LsqmlFlags) => {
      const input = aliased<string>(flags as Record<string, unknown>, '--input', OLD_INPUT);
      const outputDir = aliased<string>(flags as Record<string, unknown>, '--out', OLD_OUT);
      if (!input) throw new UsageError('--input is required');
      if (!outputDir) throw new UsageError('--out is required');
      if (flags.algorithm !== undefined && flags.algorithm.toUpperCase() !== ALGORITHM) {
        throw new UsageError(`--algorithm: only ${ALGORITHM} is implemented; found '${flags.algorithm}'`);
      }
      const epochs = aliased<string>(flags as Record<string, unknown>, '--epochs', OLD_EPOCHS);
      const { settings: { reconstruction: settings, execution }, origin } = settingsWithOrigin(flags.config, {
        reconstruction: {
          epochs: integerFlag('--epochs', epochs),
          batchSize: integerFlag('--batch-size', flags.batchSize),
          noiseModel: flags.noiseModel as 'gaussian' | 'poisson' | undefined,
          modes: integerFlag('--modes', flags.modes),
          seed: integerFlag('--seed', flags.seed),
          initObject: flags.initObject,
          initProbe: flags.initProbe,
          ...(flags.probeModel !== undefined ? { probeModel: flags.probeModel } : {}),
          ...(flags.precision !== undefined ? { precision: flags.precision as 'float32' | 'float64' } : {}),
          ...(flags.detectorMask === false ? { detectorMask: false } : {}),
          ...(flags.radiation !== undefined ? { radiation: flags.radiation as 'photon' | 'electron' } : {}),
          ...frameSettings(flags),
          nImages: integerFlag('--n-images', flags.nImages),
          threads: integerFlag('--threads', flags.threads),
        },
        execution: { checkpointEvery: integerFlag('--checkpoint-every', flags.checkpointEvery) },
      }, FLAGS);
      // What the settings file asks for that lsqml does not do is said when the command ends having run (exit 0
      // or 1), as the notes of settingsFrom, so that a refusal stays one line: a file shared with `run` may ask for
      // SLURM (lsqml is one job and runs here) and hold settings of the study commands.
      const configLines: string[] = [];
      if (execution.executor === 'slurm') {
        configLines.push(`warning: --config ${flags.config}: execution.executor 'slurm' applies to run, generate, overlap and reconstruct; lsqml runs on this machine\n`);
      }
      const ignored = settingsLsqmlIgnores(configInput(flags.config));
      if (ignored.length > 0) {
        configLines.push(`warning: --config ${flags.config}: lsqml runs one reconstruction and ignores ${ignored.join(', ')} (settings of the study commands)\n`);
      }
      if (configLines.length > 0) process.once('exit', (code) => { if (code === 0 || code === 1) process.stderr.write(configLines.join('')); });
      // where each reconstruction setting came from, for reconstruction_run.json (the study's groups are not used here)
      const settingsOrigin = originOf(origin, ['reconstruction']);
      const opts = { input, outputDir, settings, settingsOrigin };
      // the folder's kind and the input once every flag value is checked (a bad value is named first, whatever --out holds)
      refuseOtherFolderKind(outputDir, 'lsqml');
      if (!existsSync(opts.input)) {
        let why = 'no such file';
        try { statSync(opts.input); } catch (err) { why = brokenLink(opts.input, err) ?? why; }
        throw new UsageError(`--input ${opts.input}: ${why}`);
      }
      if (flags.keepSame === true) {
        const { keptReconstruction } = await import('../../study/reconstruct/kept.js');
        const kept = keptReconstruction(opts);
        if (kept !== null) {
          process.stdout.write(`kept ${kept.path}: a reconstruction of ${opts.input} with the same settings (--keep-same); --overwrite reconstructs it again\n`);
          return;
        }
      }
      const progress = progressPrinter(process.stderr, redrawsInPlace(process.stderr));
      progress.status(`reading ${opts.input} (${formatBytes(statSync(opts.input).size)}) and preparing the first epoch …`);
      // Ctrl-C or SIGTERM: the job stops at the end of the epoch under way (the event loop runs between
      // epochs). Its files are written only after the last epoch, so none is; the log so far stays in the
      // job's staging directory, which the next run into --out moves to history/ (standalone.ts). With checkpoints,
      // once the epochs have begun, the job is asked to stop (an AbortSignal) and saves its state first.
      let epochsDone = 0;
      let resumedFrom = 0; // the epochs of the checkpoint this run continued from (0: none), which stays where it is
      const every = execution.checkpointEvery;
      const checkpointPath = join(outputDir, PHASE_F.checkpoint);
      const stop = new AbortController();
      const removeStopHandlers = onStop((signal) => {
        if (every > 0 && epochsDone > 0) {
          stop.abort(signal);
          return 'later';
        }
        progress.done();
        process.stderr.write(`\n${stoppedMessage(signal, epochsDone, settings.epochs, outputDir, process.pid, process.argv.slice(2),
          resumedFrom > 0 ? checkpointPath : null, resumedFrom)}\n`);
      });
      let r;
      try {
        const { runLsqmlInto } = await import('../../study/reconstruct/standalone.js');
        r = await runLsqmlInto({ ...opts, signal: stop.signal }, flags.overwrite ?? false, (p) => { epochsDone = p.epoch; progress.update(p); }, {
          every,
          onResume: (k, n) => {
            epochsDone = k;
            resumedFrom = k;
            progress.done();
            process.stderr.write(`continues from epoch ${k} of ${n} (checkpoint ${checkpointPath})\n`);
          },
        });
      } catch (err) {
        const { LsqmlAbortedError } = await import('../../engine/lsqml.js');
        if (!(err instanceof LsqmlAbortedError)) throw err;
        progress.done();
        const signal = stop.signal.reason as StopSignal;
        process.stderr.write(`\n${stoppedMessage(signal, err.epochsRun, settings.epochs, outputDir, process.pid, process.argv.slice(2), checkpointPath)}\n`);
        return err.exitCode;
      } finally {
        removeStopHandlers();
        progress.done();
      }
      if (r.archivedTo !== null) process.stderr.write(`the earlier outputs of ${opts.outputDir} moved to ${r.archivedTo}\n`);
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      if (settings.nImages !== null && settings.nImages > r.nPositions) {
        const asked = flags.nImages !== undefined ? `--n-images ${settings.nImages}` : `reconstruction.nImages ${settings.nImages} (--config ${flags.config})`;
        process.stderr.write(`warning: ${asked}: ${input} holds ${r.nPositions} patterns; all of them were used\n`);
      }
      process.stdout.write(`reconstructed ${r.nPositions} positions in ${r.epochsRun} epochs (${r.seconds.toFixed(1)} s), final loss ${r.finalLoss.toExponential(4)}\n`);
      process.stdout.write(`${r.reconstructionNpz}\n${r.png}\n${r.runRecord}\n${r.log}\n`);
    }, FLAGS, 'own'));
}
