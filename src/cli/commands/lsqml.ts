import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { action } from '../errors.js';
import { UsageError } from '../../errors.js';
import { runLsqmlJob, type JobProgress, type LsqmlJobOptions } from '../../study/lsqml-job.js';

interface LsqmlFlags {
  inputNpz?: string;
  outputDir?: string;
  epochs: string;
  batchSize: string;
  noiseModel: string;
  modes: string;
  nImages?: string;
  seed: string;
  initObject: string;
  initProbe: string;
  threads?: string;
  precision?: string;
  overwrite?: boolean;
}

function precisionFlag(text: string): 'float32' | 'float64' {
  if (text !== 'float32' && text !== 'float64') throw new UsageError(`--precision must be float32 or float64, got '${text}'`);
  return text;
}

function integer(flag: string, text: string, min: number): number {
  const v = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${text}'`);
  }
  return v;
}

/** Progress: a bar redrawn in place on a terminal, one plain line per epoch otherwise. */
function progressPrinter(tty: boolean): { update: (p: JobProgress) => void; done: () => void } {
  let drawn = false;
  return {
    update: (p) => {
      if (tty) {
        const width = 30, fill = Math.round((width * p.epoch) / p.epochs);
        process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] epoch ${p.epoch}/${p.epochs} loss ${p.loss.toExponential(4)} (${p.seconds.toFixed(2)} s/epoch)  `);
        drawn = true;
      } else {
        process.stderr.write(`epoch ${p.epoch}/${p.epochs} loss ${p.loss.toExponential(6)} seconds ${p.seconds.toFixed(3)}\n`);
      }
    },
    done: () => { if (drawn) process.stderr.write('\n'); },
  };
}

export function register(program: Command): void {
  program
    .command('lsqml')
    .summary('reconstruct one dataset NPZ with the LSQML engine (what one Phase F job runs)')
    .description(
      'Reconstruct one DATA-001 dataset NPZ with ptychostudy\'s LSQML engine (pty-chi\'s algorithm and defaults).\n' +
      'Writes <output-dir>/reconstruction.npz (reconstructed_object, reconstructed_probe, loss_history,\n' +
      'epoch_seconds, positions, _metadata), reconstruction.png (object and probe amplitude and phase) and\n' +
      'lsqml.log (one line per epoch). The object starts from ones unless --init-object guess.\n' +
      'Exit codes: 0 done; 1 the reconstruction diverged or failed; 2 bad usage or bad input, nothing written.')
    .option('--input-npz <file>', 'dataset NPZ (diffraction, objectGuess, probeGuess, xcoords, ycoords) (required)')
    .option('--output-dir <dir>', 'where the outputs are written (required)')
    .option('--epochs <n>', 'epochs, epoch 0 included (epoch 0 only rescales the probe, as in pty-chi)', '100')
    .option('--batch-size <n>', 'positions per minibatch', '96')
    .option('--noise-model <model>', 'gaussian or poisson', 'gaussian')
    .option('--modes <n>', 'incoherent probe modes (extra modes from pty-chi\'s Hermite recipe)', '1')
    .option('--n-images <n>', 'use only the first n patterns of the file (default: all)')
    .option('--seed <n>', 'seed of the minibatch order (and of the Poisson step perturbation)', '42')
    .option('--init-object <how>', 'ones (no ground truth leaks in) or guess (the file\'s objectGuess)', 'ones')
    .option('--init-probe <how>', 'guess (the file\'s probeGuess) or file:PATH (an NPZ with reconstructed_probe or probeGuess)', 'guess')
    .option('--threads <n>', 'threads for the engine (default: min(2, cores)); results do not depend on it')
    .option('--precision <p>', 'float32 (default, pty-chi\'s precision) or float64 (for checks)')
    .option('--overwrite', 'replace an existing reconstruction in --output-dir (default: refuse)')
    .action(action('lsqml', async (flags: LsqmlFlags) => {
      if (!flags.inputNpz) throw new UsageError('--input-npz is required');
      if (!flags.outputDir) throw new UsageError('--output-dir is required');
      if (flags.noiseModel !== 'gaussian' && flags.noiseModel !== 'poisson') throw new UsageError(`--noise-model must be gaussian or poisson, got '${flags.noiseModel}'`);
      if (flags.initObject !== 'ones' && flags.initObject !== 'guess') throw new UsageError(`--init-object must be ones or guess, got '${flags.initObject}'`);
      if (flags.initProbe !== 'guess' && !/^file:.+/.test(flags.initProbe)) throw new UsageError(`--init-probe must be guess or file:PATH, got '${flags.initProbe}'`);
      const opts: LsqmlJobOptions = {
        inputNpz: flags.inputNpz,
        outputDir: flags.outputDir,
        epochs: integer('--epochs', flags.epochs, 1),
        batchSize: integer('--batch-size', flags.batchSize, 1),
        noiseModel: flags.noiseModel as 'gaussian' | 'poisson',
        modes: integer('--modes', flags.modes, 1),
        seed: integer('--seed', flags.seed, 0),
        initObject: flags.initObject as 'ones' | 'guess',
        initProbe: flags.initProbe,
        ...(flags.nImages !== undefined ? { nImages: integer('--n-images', flags.nImages, 1) } : {}),
        ...(flags.threads !== undefined ? { threads: integer('--threads', flags.threads, 1) } : {}),
        ...(flags.precision !== undefined ? { precision: precisionFlag(flags.precision) } : {}),
      };
      if (!existsSync(opts.inputNpz)) throw new UsageError(`--input-npz ${opts.inputNpz}: no such file`);
      const existing = join(opts.outputDir, 'reconstruction.npz');
      if (existsSync(existing) && !flags.overwrite) throw new UsageError(`${existing} exists; pass --overwrite to replace it`);
      const progress = progressPrinter(!!process.stderr.isTTY);
      let r;
      try {
        r = await runLsqmlJob(opts, progress.update);
      } finally {
        progress.done();
      }
      process.stdout.write(`reconstructed ${r.nPositions} positions in ${r.epochsRun} epochs (${r.seconds.toFixed(1)} s), final loss ${r.finalLoss.toExponential(4)}\n`);
      process.stdout.write(`${r.reconstructionNpz}\n${r.png}\n${r.log}\n`);
    }));
}
