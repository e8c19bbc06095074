import { Command, Option } from 'commander';
import { action } from '../action.js';
import { collect, doseFlags, integerFlag } from '../flags.js';
import { addConfigOption, addOutOption, aliased, settingsWithOrigin } from '../options.js';
import { UsageError } from '../../errors.js';
import { printable } from '../../text.js';
import { PRESET_NAMES, type PresetName } from '../../settings/schema.js';
import type { PhaseCProgress } from '../../study/simulate/plan.js';
import { onStop, stoppedWord, type StopSignal } from '../interrupt.js';
import { sameCommand } from '../rerun.js';
import { addExecutorOptions, EXECUTOR_FLAGS, executorSettingsFromFlags, refuseDetachWithoutSlurm, type ExecutorFlags } from '../executor-flags.js';
import { refuseOtherFolderKind } from '../../study/hub/folder-kind.js';

const FLAGS: Record<string, string> = {
  preset: '--preset', overwrite: '--overwrite', outputRoot: '--out', config: '--config', 'simulation.doses': '--dose', 'simulation.nImages': '--n-images',
  'simulation.seed': '--seed', 'simulation.baseNpz': '--base-npz', ...EXECUTOR_FLAGS,
};

/** The latest time a Date holds, in seconds (8.64e15 ms). */
const MAX_DATE_SECONDS = 8.64e12;

/** SOURCE_DATE_EPOCH (seconds since 1970, UTC) as an ISO time, or null when unset. */
export function sourceDateEpoch(v: string | undefined = process.env.SOURCE_DATE_EPOCH): string | null {
  if (v === undefined || v === '') return null;
  // a JavaScript Date reaches 8.64e15 ms (year 275760); past it toISOString threw a RangeError
  const seconds = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(seconds <= MAX_DATE_SECONDS)) {
    throw new UsageError(`SOURCE_DATE_EPOCH: expected an integer number of seconds since 1970 (UTC), at most ${MAX_DATE_SECONDS}; found '${printable(v, 40)}'`);
  }
  return new Date(seconds * 1000).toISOString();
}

/** Progress to stderr: a redrawn bar on a terminal; otherwise plain lines, at most one every 2 s per stage. */
function progressPrinter(): { onProgress: (p: PhaseCProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastKey = '';
  let lastLine = 0;
  let barShown = false;
  const clear = (): void => { if (barShown) { process.stderr.write('\r\x1b[K'); barShown = false; } };
  return {
    onProgress(p: PhaseCProgress): void {
      if (p.stage === 'simulate' || p.stage === 'far-field') {
        const frac = p.total > 0 ? p.done / p.total : 1;
        if (tty) {
          const width = 30;
          const fill = Math.round(frac * width);
          process.stderr.write(`\r\x1b[K${p.message} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.done}/${p.total}`);
          barShown = true;
        } else {
          const key = `${p.stage}:${p.dose ?? ''}`;
          const now = Date.now();
          if (key !== lastKey) { lastKey = key; lastLine = now; return; }
          if (now - lastLine >= 2000 && p.done < p.total) {
            lastLine = now;
            process.stderr.write(`${p.message}: ${p.done}/${p.total}\n`);
          }
        }
        return;
      }
      clear();
      process.stderr.write(`${p.message}\n`);
    },
    end: clear,
  };
}

/**
 * What an interrupted run says: the doses it completed (both files written and recorded in run_manifest.json), the
 * files of other doses it wrote (a dose's train file is written before its test file, for every dose), and the
 * command that finishes the work: the same one with --overwrite, since the files it wrote now exist; it simulates
 * every dose again, and a file that comes out with the same bytes (the same settings give the same bytes) is
 * left as it is, one that differs moves to history/.
 */
export function generateStoppedMessage(signal: StopSignal, outputRoot: string, complete: readonly number[], written: readonly string[],
  argv: readonly string[]): string {
  if (complete.length === 0 && written.length === 0) {
    return `ptychostudy generate: ${stoppedWord(signal)} before it wrote a file. Start again with: ${sameCommand(argv)}`;
  }
  const doses = complete.length === 0 ? 'no dose complete' :
    `${complete.length === 1 ? 'dose' : 'doses'} ${complete.join(', ')} complete (patched_train.npz and patched_test.npz, recorded in run_manifest.json)`;
  const others = written.length === 0 ? '' : `; also written, not recorded: ${written.join(', ')}`;
  const again = sameCommand(argv, '--overwrite');
  return `ptychostudy generate: ${stoppedWord(signal)}; in ${outputRoot}: ${doses}${others}. No file is partial (each is written ` +
    `under a temporary name, then renamed). Finish with: ${again} (it simulates every dose again; a file that comes out the same is left as it is)`;
}

/** Old names of --out, still accepted. */
const OLD_OUT = ['--output-root'];

export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .summary('Phase C: simulate diffraction datasets at each dose (train/test split)')
    .description(
      'Phase C: simulate far-field ptychography data at each photon dose and split it into train/test halves.\n\n' +
      'For every dose D writes <out>/dose_<int(D)>/patched_train.npz and patched_test.npz (DATA-001 ' +
      'keys: diffraction float32 amplitudes [n, N, N] with DC at [N/2, N/2], objectGuess, probeGuess, ' +
      'xcoords/ycoords scan centres in object pixels, plus _metadata JSON with the intensity scale s: ' +
      'photon counts = (diffraction * s)^2) and <out>/run_manifest.json. The object, probe and ' +
      'positions are shared by all doses; only the Poisson noise differs. Train is y < the midpoint of ' +
      'the scanned y range, test the rest (x instead with simulation.splitAxis: x in a settings file). ' +
      'Existing outputs are never replaced without --overwrite. ' +
      'The same seed gives byte-identical NPZ files (set SOURCE_DATE_EPOCH to record a fixed time in them).\n\n' +
      'Exit codes: 0 done; 1 a dose could not be written (a full disk) or, under --executor slurm, the job of a dose failed; 2 bad usage or bad input (nothing written); ' +
      '130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP: the terminal closed): stops after the file under way, names the doses complete (recorded in ' +
      'run_manifest.json) and the other files written, each whole, and the command that finishes (the same with --overwrite).')
    .addOption(new Option('--preset <name>', 'study size: quick (N=64, 320×320 object, 1000 positions) or fly64 (N=128, ' +
      '464×464, 10304 positions); default quick').choices([...PRESET_NAMES]));
  addConfigOption(cmd);
  addOutOption(cmd, 'directory that receives dose_<D>/patched_{train,test}.npz and run_manifest.json (required): a new folder, or one `generate` wrote (a hub\'s phase_c/)', OLD_OUT);
  cmd
    .option('--dose <photons>', 'expected photons per pattern; repeat (or comma-separate) for several doses (default: 1e3, 1e4, 1e5)', collect)
    .option('--n-images <n>', 'number of scan positions before the split (default: the preset\'s, or the base NPZ\'s xcoords length)', )
    .option('--seed <seed>', 'simulation seed for object, positions and noise (default: 42)', )
    .option('--base-npz <file>', 'take objectGuess and probeGuess from this NPZ instead of the synthetic object and probe (N = probe size)')
    .option('--overwrite', 'replace existing patched_{train,test}.npz files of the selected doses; files that change move to ' +
      '<out>/history/replaced-<time>/ with the manifest as it was (the manifest alone when only it changes) (default: refuse)');
  addExecutorOptions(cmd)
    .action(action('generate', async (o: {
      out?: string; outputRoot?: string; config?: string; preset?: string; dose?: string[]; nImages?: string; seed?: string;
      baseNpz?: string; overwrite?: boolean;
    } & ExecutorFlags) => {
      // Every flag is checked before anything is written, and before --out is looked at (a bad value is named
      // first, whatever the folder holds).
      const outputRoot = aliased<string>(o as Record<string, unknown>, '--out', OLD_OUT);
      if (outputRoot === undefined) throw new UsageError('--out is required (the directory the datasets are written to)');
      const given = doseFlags(o.dose) ?? [];
      const { settings, origin } = settingsWithOrigin(o.config, {
        ...(o.preset !== undefined ? { preset: o.preset as PresetName } : {}),
        simulation: {
          doses: given.length > 0 ? given : undefined,
          nImages: integerFlag('--n-images', o.nImages),
          seed: integerFlag('--seed', o.seed),
          baseNpz: o.baseNpz,
        },
        execution: executorSettingsFromFlags(o),
      }, FLAGS, { preset: 'quick' });
      const timestamp = sourceDateEpoch();
      refuseDetachWithoutSlurm(settings.execution.executor, o);
      refuseOtherFolderKind(outputRoot, 'phaseC');
      const { generateOnCluster } = await import('../cluster.js');
      // where each setting came from: the manifest records those of Phase C (the preset, simulation.*)
      const runOptions = { outputRoot, overwrite: o.overwrite ?? false, timestamp, settingsOrigin: origin };
      const onCluster = await generateOnCluster(settings, runOptions, o);
      if (onCluster !== null) return onCluster;
      const progress = progressPrinter();
      // printed once the inputs have been accepted (errors stay a single line)
      let info = given.length > 0 ? `INFO: Filtering to ${given.length === 1 ? 'single dose' : 'doses'}: ${given.join(', ')}\n` : '';
      // Ctrl-C or SIGTERM: the handler runs between two files (the simulation yields there); the lock is released
      // as the process exits (files/lock.ts).
      const complete: number[] = [];
      const written: { dose: number; file: string }[] = [];
      const removeStopHandlers = onStop((signal) => {
        progress.end();
        const loose = written.filter((w) => !complete.includes(w.dose)).map((w) => w.file);
        process.stderr.write(`\n${generateStoppedMessage(signal, outputRoot, complete, loose, process.argv.slice(2))}\n`);
      });
      try {
        const { runSimulation } = await import('../../study/simulate/phase.js');
        const result = await runSimulation(settings, runOptions, (p) => {
          if (info) { process.stderr.write(info); info = ''; }
          // a file announced is whole by the time the handler can run: it runs only when the event loop does
          if (p.stage === 'write' && p.file !== undefined && p.dose !== undefined) written.push({ dose: p.dose, file: p.file });
          if (p.stage === 'dose-done' && p.dose !== undefined) complete.push(p.dose);
          progress.onProgress(p);
        });
        removeStopHandlers();
        progress.end();
        for (const d of result.doses) {
          process.stdout.write(`dose ${d.dose}: ${d.train} (${d.trainCount}), ${d.test} (${d.testCount}); ` +
            `mean ${d.photons.mean.toFixed(1)} photons/pattern, intensity scale ${d.intensityScale.toPrecision(6)}\n`);
        }
        process.stdout.write(`manifest: ${result.manifestPath} (${result.seconds.toFixed(1)} s)\n`);
        if (result.keptIn !== null) process.stderr.write(`the earlier files this run replaced moved to ${result.keptIn}\n`);
      } finally {
        removeStopHandlers();
        progress.end();
      }
    }, FLAGS, 'own'));
}
