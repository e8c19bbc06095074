/**
 * One LSQML reconstruction, file to files: what `ptychostudy lsqml` and each Phase F job run (in a worker
 * thread, engine-worker.ts).
 *
 * Reads and validates a DATA-001 dataset NPZ, or a CXI / PtyPy .ptyd file of measured data (input.ts),
 * converts it to the engine's conventions, runs the engine, and writes (each file atomically) into the
 * output directory:
 *   reconstruction.npz  reconstructed_object c8 [H, W], reconstructed_probe c8 [M, N, N],
 *                       loss_history f8, positions f8 [n, 2] ([ycoords, xcoords]), _metadata (0-d '<U'
 *                       JSON: options, every reconstruction setting but the thread count and their SHA-256,
 *                       engine and version, input file name + size + SHA-256, a probe or object file it
 *                       started from by name + size + SHA-256, intensity scale); for measured
 *                       data whose detector mask masked pixels, detector_mask u1 [N, N] (1 = left unfitted,
 *                       DC at [N/2, N/2]). Nothing in
 *                       it depends on when, where or how fast the job ran: the same input, settings and
 *                       seed give the same bytes;
 *   reconstruction_run.json  what does (times per epoch and in all, thread count, host, the input's
 *                       absolute path and those of the start files, creation time, and the size of
 *                       reconstruction.png: `figure`, its SVG width and smallest text, for the report);
 *   reconstruction.png  object amplitude and phase, probe (mode 0) amplitude and phase, colour bars, scale
 *                       bars (metres when the data states its pixel size);
 *   lsqml.log           one line per epoch: epoch, loss, seconds (rewritten after every epoch).
 * `ptychostudy lsqml` runs it through standalone.ts (staging, history/, the output directory's lock).
 *
 * Conversions (docs/lsqml.md): intensities Y = (diffraction·s)², s = `_metadata.intensity_scale`
 * when present (else 1, recorded), ifftshifted so DC is at [0, 0]; positions relative to the origin of
 * the objectGuess shape (src/math/positions.ts), so the reconstruction has objectGuess's shape and
 * frame; the initial object is ones (default: no ground
 * truth leaks in), objectGuess, or an object file of that frame's shape (data/object-file.ts: an earlier
 * reconstruction.npz, to continue it); the probe is probeGuess (or a probe file), with extra incoherent
 * modes made by pty-chi's Hermite recipe (`orthogonalize_initial_probe`).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { printable, shownJson } from '../../text.js';
import { intensityScale } from '../../data/reconstruction-refusals.js';
import { writeFileAtomic, writeJsonAtomic } from '../../files/atomic.js';
import { fingerprint, type Fingerprint } from '../../files/fingerprint.js';
import type { ProbeData } from '../../data/measured.js';
import { readObjectFile } from '../../data/object-file.js';
import { checkWritableDir } from '../../files/writable.js';
import { examineEntry } from '../../files/regular.js';
import { metadataArray } from '../../data/metadata.js';
import { positionFromCoord, positionOrigin } from '../../math/positions.js';
import { saveNpz } from '../../npy/npz.js';
import { c64, f64, type NdArray } from '../../npy/types.js';
import { parseProbeModelSpec } from '../../physics/probe.js';
import { drawPanels } from '../../report/figure.js';
import { figureRecord, type FigureRecord } from '../hub/figure-record.js';
import { reconstructionFigureOptions, reconstructionFigureTitle, reconstructionPanels } from '../hub/reconstruction-figure.js';
import { objectPixelSizeM } from '../../report/scalebar.js';
import { LsqmlAbortedError, LsqmlDivergenceError, LsqmlInputError, runLsqml, SAVED_STATE, type LsqmlResult } from '../../engine/lsqml.js';
import type { LsqmlState } from '../../engine/lsqml-state.js';
import { CheckpointOfAnotherRun, readCheckpoint, writeCheckpoint, type RunIdentity } from './checkpoint.js';
import { createUniqueDir } from '../../files/dirs.js';
import { addProbeModes } from '../../engine/probe-modes.js';
import { defaultLsqmlThreads } from '../../engine/cpus.js';
import { engineOptions } from '../../settings/engine-options.js';
import { checkReconstructionSettings } from '../../settings/parse.js';
import { reconstructionSettingsSha256 } from '../../settings/fingerprint.js';
import type { ReconstructionSettings, ReconstructionSettingsInput } from '../../settings/schema.js';
import { packageVersion } from '../../version.js';
import { PHASE_F } from '../hub/layout.js';
import { checkOptionNames, optionNames, yieldToEventLoop } from '../phase.js';
import { readReconstructionInput } from './input.js';
import { checkSettingsOrigin, type SettingsOrigin } from '../../settings/origin.js';

/**
 * One reconstruction: the input file, the directory its outputs go to, and the (parsed) settings. The input is
 * named `input` (it may be an NPZ, a CXI or a PtyPy .ptyd file, as `ptychostudy lsqml --input`); `inputNpz`, its
 * earlier name, is still accepted. One of the two is needed; both, naming different files, are a UsageError.
 */
export interface LsqmlJobOptions {
  /** The dataset NPZ, CXI or PtyPy .ptyd file to reconstruct. */
  input?: string;
  /** @deprecated The earlier name of `input` (still accepted). */
  inputNpz?: string;
  /** Where reconstruction.npz, reconstruction_run.json, reconstruction.png and lsqml.log are written. */
  outputDir: string;
  /**
   * The `reconstruction` group: parsed (`parseStudySettings(…).reconstruction`) or as given (`{ epochs: 20 }`);
   * checked first, a missing setting takes its default, a bad one is a SettingsError.
   */
  settings: ReconstructionSettings | ReconstructionSettingsInput;
  /**
   * Stops the run at the end of the epoch under way when aborted (during the read or the hash of its input — a dataset
   * NPZ's members are read, and the files hashed, in 1 MiB pieces with the event loop turning between two —, before the
   * first epoch, or after any but the last: an abort during the last epoch lets the job finish and write its result): `runLsqmlJob` then throws
   * `LsqmlAbortedError` and writes no result (lsqml.log, the epochs so far, stays; with `checkpoint`, the state at the
   * stop is written first). A Phase F job in a worker thread gets the thread's own (engine-worker.ts), aborted when the
   * parent asks it to stop.
   */
  signal?: AbortSignal;
  /**
   * Where each setting given to the job came from (settings/origin.ts: `reconstruction.epochs` → `flag --epochs`,
   * `file /abs/study.yaml`, `preset fly64`), recorded in reconstruction_run.json as `settings_origin`; what it
   * leaves out has its default. `ptychostudy lsqml` gives it.
   */
  settingsOrigin?: SettingsOrigin;
  /**
   * Checkpoints (checkpoint.ts): when `path` holds a checkpoint of this run (same input, start files, settings and
   * engine options but the epoch count and the thread count, same tool version) the job continues from it, calling
   * `onResume` with its epoch count once the engine has taken it; one of another run, unreadable, or held in another
   * precision than the engine computes in here, is an InputError and nothing is run.
   * Every `every` epochs (0: never), and when `signal` stops the run, the state is written to `path` (atomically).
   * The job does not remove it when it ends: its caller does, once the result is where it belongs. `onResume` does
   * not cross into a worker thread. With `setAsideTo` (a folder), a sound checkpoint of another run
   * (`CheckpointOfAnotherRun`) moves into a new folder `other-run-checkpoint…` in it, a warning says so, and the job
   * starts over; without it, it is refused like an unreadable one.
   */
  checkpoint?: { path: string; every: number; onResume?: (epochsDone: number, epochs: number) => void; setAsideTo?: string };
}

/** The input file `job` names (`input`, or the deprecated `inputNpz`); a UsageError when it names none, or two. */
export function jobInput(job: Pick<LsqmlJobOptions, 'input' | 'inputNpz'>): string {
  const { input, inputNpz } = job;
  for (const [name, v] of [['input', input], ['inputNpz', inputNpz]] as const) {
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new UsageError(`\`${name}\` ${shownJson(v)}: expected a path (the dataset NPZ, CXI or .ptyd file)`);
  }
  if (input !== undefined && inputNpz !== undefined && resolve(input) !== resolve(inputNpz)) {
    throw new UsageError(`\`input\` ${input} and \`inputNpz\` ${inputNpz}: expected one input file (inputNpz is the earlier name of input); found two`);
  }
  const path = input ?? inputNpz;
  if (path === undefined) throw new UsageError('`input` undefined: expected a path (the dataset NPZ, CXI or .ptyd file to reconstruct)');
  return path;
}

export interface LsqmlJobResult {
  reconstructionNpz: string;
  png: string;
  /** reconstruction_run.json: times, threads, host. */
  runRecord: string;
  log: string;
  epochsRun: number;
  finalLoss: number;
  seconds: number;
  nPositions: number;
  /** What the input reading and the engine warned of (also in the NPZ's `_metadata.warnings`). */
  warnings: string[];
}

/**
 * Progress after each epoch of `runLsqmlJob`: `epoch` counts the epochs done (1 … `epochs`; the engine's own
 * `EpochInfo.epoch` is the 0-based index of the epoch that ended), `loss` that epoch's loss, `seconds` its time.
 * The first epoch of a run that continued from a checkpoint carries `resumed`: the epochs the checkpoint held
 * (`from`), its path, and those epochs' losses and times — data, so that it reaches a caller across a worker thread.
 */
export interface JobProgress { epoch: number; epochs: number; loss: number; seconds: number; resumed?: ResumedFrom }

/** Where a run continued from: the checkpoint at `checkpoint` after `from` epochs, whose losses and times are `earlier`. */
export interface ResumedFrom { from: number; checkpoint: string; earlier: { loss: number; seconds: number }[] }

export const ENGINE_NAME = 'ptychostudy-lsqml';

/**
 * The job's own options as recorded in `_metadata.job_options` (the settings a person sets for one job that
 * change the result; where the files are and the thread count are in reconstruction_run.json).
 */
function jobOptionsRecord(s: ReconstructionSettings): Record<string, unknown> {
  return {
    epochs: s.epochs, batchSize: s.batchSize, noiseModel: s.noiseModel, modes: s.modes, seed: s.seed,
    initObject: s.initObject, initProbe: s.initProbe, // by name (startFilesByName): the caller passes them so
    ...(s.probeModel !== null ? { probeModel: s.probeModel } : {}),
    ...(s.nImages !== null ? { nImages: s.nImages } : {}),
  };
}

/**
 * The settings with a start file (`initProbe` / `initObject: file:PATH`) named by its file name only, as `_metadata`
 * records them: the same inputs give the same bytes wherever the file is and however its path was written (a
 * settings file's relative path becomes absolute or relative to the working directory); the file's size and SHA-256
 * are recorded beside them (`init_probe_file`, `init_object_file`), its path in reconstruction_run.json.
 */
export function startFilesByName(s: ReconstructionSettings): ReconstructionSettings {
  const name = (v: string): string => (v.startsWith('file:') ? `file:${basename(v.slice(5))}` : v);
  return { ...s, initObject: name(s.initObject), initProbe: name(s.initProbe) };
}

/** Interleaved complex128 copy of a complex NdArray. */
function complexData(a: NdArray): Float64Array {
  return Float64Array.from(a.data as Float32Array | Float64Array);
}

/**
 * The initial probe modes [M, N, N] (interleaved complex128) from the resolved probe (input.ts): its first
 * M modes, or its mode 0 and M − 1 Hermite modes. A probe with modes that are not used says so, in the
 * source recorded and in a warning.
 */
function initialProbe(o: ReconstructionSettings, p: ProbeData, N: number): { probe: Float64Array; source: string; warnings: string[] } {
  const base = p.data, have = p.modes, source = p.source;
  const n2 = N * N;
  const unused = (first: number): string[] => [`${source}: the probe has ${have} incoherent modes; the reconstruction uses ` +
    `${o.modes} (reconstruction.modes, --modes), so mode${have - first > 1 ? `s ${first}–${have - 1} are` : ` ${first} is`} not used`];
  if (have === o.modes) return { probe: base.slice(0, 2 * n2 * o.modes), source, warnings: [] };
  if (have > o.modes) return { probe: base.slice(0, 2 * n2 * o.modes), source: `${source} (${o.modes === 1 ? 'mode 0' : `modes 0–${o.modes - 1}`} of ${have})`, warnings: unused(o.modes) };
  const probe = addProbeModes(base.subarray(0, 2 * n2), N, o.modes);
  if (have === 1) return { probe, source: `${source} (+${o.modes - 1} Hermite modes)`, warnings: [] };
  return { probe, source: `${source} (mode 0 of ${have}, +${o.modes - 1} Hermite modes)`, warnings: unused(1) };
}

/** reconstruction.png, and the record of its size that reconstruction_run.json keeps (`figure`, for the report). */
function reconstructionPng(r: LsqmlResult, title: string, pixelSizeM: number | null): { png: Buffer; record: FigureRecord } {
  const { png, figure } = drawPanels(reconstructionPanels(r, pixelSizeM), reconstructionFigureOptions(title));
  return { png, record: figureRecord(PHASE_F.figure, figure) };
}

/**
 * The divergence of a Poisson-model run, with what was measured about it (docs/lsqml.md, "Bright patterns
 * and the Poisson model"): on bright patterns the model's step sizes are thrown off by pixels the model
 * predicts dark, and in float32 by the rounding noise of those pixels.
 */
function withPoissonHint(err: LsqmlDivergenceError, intensities: ArrayLike<number>, n: number, precision: string): LsqmlDivergenceError {
  let total = 0;
  for (let i = 0; i < intensities.length; i++) total += intensities[i]!;
  const photons = (total / n).toPrecision(2);
  const hint = precision === 'float32'
    ? `; the Poisson model on bright patterns (${photons} photons per pattern here) can do this in float32 where float64 holds: try --precision float64 (docs/lsqml.md, "Bright patterns and the Poisson model")`
    : `; the Poisson model on bright patterns (${photons} photons per pattern here) can rise for a few epochs and recover: a larger reconstruction.divergenceFactor lets it, or use --noise-model gaussian (docs/lsqml.md, "Bright patterns and the Poisson model")`;
  return new LsqmlDivergenceError(err.epoch, err.loss, err.lossHistory, err.reason + hint);
}

/**
 * Patterns that hold no count at all are almost never measured: a preallocated dataset of an aborted scan
 * keeps its fill value (0) in the rows never written, and their positions are the fill value too. They
 * are reconstructed as measured zeros; the warning names them (and `--n-images` when they are the last).
 */
function emptyPatternsWarning(file: string, key: string, empty: readonly number[], n: number): string {
  const shown = empty.length <= 6 ? empty.join(', ') : `${empty.slice(0, 3).join(', ')}, …, ${empty.slice(-2).join(', ')}`;
  const trailing = empty[0] === n - empty.length && empty.length < n;
  return `${file}: key '${printable(key)}': ${empty.length} of ${n} patterns hold no counts at all (pattern${empty.length > 1 ? 's' : ''} ${shown}); ` +
    `a frame never recorded (an aborted scan's preallocated rows) is reconstructed as a measured zero` +
    (trailing ? `; --n-images ${n - empty.length} leaves ${empty.length > 1 ? 'them' : 'it'} out` : '');
}

const logLine = (e: number, loss: number, s: number): string => `epoch ${e} loss ${loss.toExponential(8)} seconds ${s.toFixed(4)}`;

/**
 * What a job reads and checks before any computation: the input (readReconstructionInput: keys, shapes, units,
 * memory limit, what LSQML refuses of the patterns and of the file's probeGuess — `patternRefusals`, the checker
 * `inspect --check` calls too: square, at least one pattern, `_metadata.intensity_scale`, the intensities' totals, some
 * counts —, probe, positions, object frame), the object file against the object frame, an objectGuess for `initObject:
 * guess`. Throws InputError / UsageError. `ptychostudy lsqml` refuses such input before it writes anything; in Phase F
 * it is that job's recorded failure (the other jobs go on, as in the reference study's matrix).
 */
async function readJobInput(inputPath: string, opts: ReconstructionSettings, signal?: AbortSignal): Promise<{
  input: Awaited<ReturnType<typeof readReconstructionInput>>; objectFile: Awaited<ReturnType<typeof readObjectFile>> | null; n: number; scale: number; scalePresent: boolean;
}> {
  const input = await readReconstructionInput(inputPath, {
    initProbe: opts.initProbe,
    ...(opts.probeModel !== null ? { probeModel: parseProbeModelSpec(opts.probeModel) } : {}),
    job: { modes: opts.modes, batchSize: opts.batchSize, ...(opts.nImages !== null ? { nImages: opts.nImages } : {}) },
    detectorMask: opts.detectorMask,
    radiation: opts.radiation,
    precision: opts.precision,
    fftBackend: opts.fftBackend,
    ...(opts.crop != null || opts.binSize !== undefined || opts.orientation !== undefined || opts.cxiEntry != null
      ? { frames: { crop: opts.crop, binSize: opts.binSize, orientation: opts.orientation, cxiEntry: opts.cxiEntry } } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  const ds = input.dataset;
  const [HO, WO] = input.objectShape;
  // An object file is read (and refused) before the patterns are converted: its shape must be the object frame's
  // (a ptychodus product with a centre, on measured data, is placed by it), and a pixel size it states the data's.
  const frame = { ...(input.objectPixelM ? { pixelM: input.objectPixelM } : {}), ...(input.objectOriginM ? { originM: input.objectOriginM } : {}), cxiEntry: opts.cxiEntry ?? null };
  const objectFile = opts.initObject.startsWith('file:') ? await readObjectFile(opts.initObject.slice(5), HO, WO, frame) : null;
  const n = opts.nImages !== null ? Math.min(opts.nImages, ds.n) : ds.n;
  // Intensity scale from _metadata (recorded either way; one that is not a positive number was refused with the patterns)
  const scaleRead = intensityScale(ds.metadata, inputPath);
  const scalePresent = 'present' in scaleRead && scaleRead.present;
  const scale = 'scale' in scaleRead ? scaleRead.scale : 1;
  if (opts.initObject === 'guess' && !ds.objectGuess) {
    throw new UsageError(`\`reconstruction.initObject\` guess needs an objectGuess; ${inputPath} has none (measured data): use ones or file:PATH`);
  }
  return { input, objectFile, n, scale, scalePresent };
}

/**
 * The options of `runLsqmlJob` checked, before anything is read or written: its reconstruction settings (completed
 * with the defaults) and its input file's absolute path. A UsageError (a SettingsError) names what is wrong.
 */
export function checkJobOptions(job: LsqmlJobOptions, onProgress?: (p: JobProgress) => void): { opts: ReconstructionSettings; inputPath: string } {
  // a JavaScript caller's options that are not an object, or name an option this entry does not take (`onProgress`, the
  // second argument): one UsageError, not a TypeError or an option silently ignored
  if (job === null || typeof job !== 'object') throw new UsageError(`runLsqmlJob: options ${shownJson(job)}: expected an object naming \`input\`, \`outputDir\`, \`settings\``);
  checkOptionNames(job, 'runLsqmlJob', optionNames<LsqmlJobOptions>({ input: true, inputNpz: true, outputDir: true, settings: true, signal: true, settingsOrigin: true, checkpoint: true }),
    { onProgress: 'the progress callback is the second argument, runLsqmlJob(options, onProgress)' });
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new UsageError(`runLsqmlJob: \`onProgress\` ${shownJson(onProgress)}: expected a function or undefined`);
  // checked first (a JavaScript caller's partial or out-of-bounds settings: one SettingsError), completed with the defaults
  const opts = checkReconstructionSettings(job.settings);
  const inputPath = resolve(jobInput(job));
  if (typeof job.outputDir !== 'string' || job.outputDir === '') throw new UsageError(`\`outputDir\` ${shownJson(job.outputDir)}: expected a path (the directory the outputs go to)`);
  if (job.signal !== undefined && !(job.signal instanceof AbortSignal)) {
    throw new UsageError(`\`signal\` ${typeof job.signal}: expected an AbortSignal (new AbortController().signal) or undefined`);
  }
  checkSettingsOrigin(job.settingsOrigin);
  const ck = job.checkpoint;
  if (ck !== undefined && (ck === null || typeof ck !== 'object' || typeof ck.path !== 'string' || ck.path === '' || !Number.isInteger(ck.every) || ck.every < 0
    || (ck.onResume !== undefined && typeof ck.onResume !== 'function') || (ck.setAsideTo !== undefined && (typeof ck.setAsideTo !== 'string' || ck.setAsideTo === '')))) {
    throw new UsageError(`\`checkpoint\` ${shownJson(ck)}: expected { path: a file name, every: an integer ≥ 0, onResume?: a function, setAsideTo?: a folder } or undefined`);
  }
  checkWritableDir(job.outputDir, 'output directory');
  return { opts, inputPath };
}

/**
 * Runs one reconstruction job; see the module comment. Bad input → InputError; divergence → Error naming the epoch.
 * It takes no lock: Phase F runs it under its root's lock, `ptychostudy lsqml` under the output directory's, and the
 * library exports `runLsqmlJobLocked` (standalone.ts) in its name.
 */
export async function runLsqmlJob(job: LsqmlJobOptions, onProgress?: (p: JobProgress) => void): Promise<LsqmlJobResult> {
  const { opts, inputPath } = checkJobOptions(job, onProgress);
  // an earlier result is never replaced: `ptychostudy lsqml --overwrite` (standalone.ts) moves it to history/ first
  const earlier = join(job.outputDir, PHASE_F.reconstruction);
  if (existsSync(earlier)) throw new UsageError(`\`outputDir\` ${job.outputDir}: holds an earlier reconstruction (${PHASE_F.reconstruction}), which is never replaced; expected a directory without one`);
  const t0 = performance.now();
  // A stop asked while the job reads or hashes its input (its signal, aborted in its thread once the event loop turns:
  // the NPZ's members are read, and the files hashed, in pieces with the event loop turning between two) ends it there,
  // and again before the engine starts, with no epoch run: nothing to keep, no checkpoint to write.
  const stopped = (epochsDone: number): LsqmlAbortedError => new LsqmlAbortedError(epochsDone, opts.epochs, [], job.signal!.reason);
  const stopIfAsked = async (epochsDone: number): Promise<void> => {
    if (job.signal === undefined) return;
    await yieldToEventLoop();
    if (job.signal.aborted) throw stopped(epochsDone);
  };
  const unlessStopped = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (err) {
      if (job.signal?.aborted) throw stopped(0);
      throw err;
    }
  };
  const hashed = (path: string): Promise<Fingerprint> => unlessStopped(fingerprint(path, job.signal));
  const { input, objectFile, n, scale: s, scalePresent } = await unlessStopped(readJobInput(inputPath, opts, job.signal));
  await stopIfAsked(0);
  const ds = input.dataset;
  const [HO, WO] = input.objectShape;
  const N = ds.H, n2 = N * N;
  // the probe and object files as they were read (not at the end of the run: they may be rewritten meanwhile), and the input
  const probePath = opts.probeModel === null && opts.initProbe.startsWith('file:') ? resolve(opts.initProbe.slice(5)) : null;
  const probeFileFp = probePath !== null ? await hashed(probePath) : null;
  const objectFileFp = objectFile ? await hashed(objectFile.path) : null;
  const inputFp = await hashed(inputPath);
  await stopIfAsked(0);

  // Intensities (DC moved to [0, 0]); Float32 for large scans keeps memory low (counts are exact in f32).
  const big = n * n2 > 8_000_000;
  // Large scans overwrite the decoded amplitudes, which this job does not read again (a fresh buffer
  // of that size costs more in page faults than the conversion). The ifftshift rides on the
  // conversion: row u, column v takes [(u + ⌊N/2⌋) mod N, (v + ⌊N/2⌋) mod N] of the pattern's copy.
  const D = ds.diffraction, h = N >> 1;
  const intensities = big ? D.subarray(0, n * n2) : new Float64Array(n * n2);
  const amp = new Float32Array(n2);
  const empty: number[] = []; // patterns without a single count: frames never recorded, most likely
  for (let i = 0; i < n; i++) {
    if ((i & 1023) === 1023) await stopIfAsked(0); // 5000 patterns of 128² convert in 0.2–0.7 s: a stop is seen within a fifth of it
    amp.set(D.subarray(i * n2, (i + 1) * n2));
    let k = 0;
    while (k < n2 && amp[k] === 0) k++;
    if (k === n2) empty.push(i);
    for (let u = 0; u < N; u++) {
      const dst = i * n2 + u * N, src = ((u + h) % N) * N;
      for (let v = 0; v < N - h; v++) { const a = amp[src + v + h]! * s; intensities[dst + v] = a * a; }
      for (let v = N - h; v < N; v++) { const a = amp[src + v + h - N]! * s; intensities[dst + v] = a * a; }
    }
  }

  // The detector mask in the same order (DC at [0, 0]): its pixels get no far-field constraint. Their
  // intensities are already 0 (hdf5/mask.ts), so that what the file holds there changes nothing.
  let validMask: Uint8Array | undefined;
  if (input.validMask) {
    const m = input.validMask;
    validMask = new Uint8Array(n2);
    for (let u = 0; u < N; u++) for (let v = 0; v < N; v++) validMask[u * N + v] = m[((u + h) % N) * N + ((v + h) % N)]!;
  }

  const emptyWarnings = empty.length === 0 ? [] : [emptyPatternsWarning(inputPath, input.diffractionKey, empty, n)];
  const options = engineOptions(opts, opts.threads ?? defaultLsqmlThreads());
  const origin = positionOrigin(HO, WO, options.originConvention);
  const positions = new Float64Array(2 * n);
  const positionsOut = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = positionFromCoord(input.ycoords[i]!, origin[0], N);
    positions[2 * i + 1] = positionFromCoord(input.xcoords[i]!, origin[1], N);
    positionsOut[2 * i] = input.ycoords[i]!; positionsOut[2 * i + 1] = input.xcoords[i]!;
  }
  const object = new Float64Array(2 * HO * WO);
  if (objectFile) {
    object.set(objectFile.data);
  } else if (opts.initObject === 'guess') {
    object.set(complexData(ds.objectGuess!));
  } else for (let j = 0; j < HO * WO; j++) object[2 * j] = 1;
  // a probe file by its name (startFilesByName), in _metadata and in the warnings it records
  const given = probePath !== null ? `file:${opts.initProbe.slice(5)}` : null;
  const probeIn = given !== null && input.probe.source.startsWith(given)
    ? { ...input.probe, source: `file:${basename(probePath!)}${input.probe.source.slice(given.length)}` } : input.probe;
  const { probe, source: probeSource, warnings: probeWarnings } = initialProbe(opts, probeIn, N);

  const logPath = join(job.outputDir, PHASE_F.engineLog);
  const lines: string[] = [];
  // what decides the result, for a checkpoint to be used by this run only: all but the epoch and thread counts
  const ck = job.checkpoint;
  const shape = { n, N, M: opts.modes, H: HO, W: WO };
  const { threads: _t, epochs: _e, ...optionsOfRun } = options;
  const { threads: _ts, epochs: _es, ...settingsOfRun } = startFilesByName(opts);
  const run: RunIdentity = {
    engine: ENGINE_NAME, engine_version: packageVersion(), input: { size_bytes: inputFp.size, sha256: inputFp.sha256 },
    init_object_file: objectFileFp, init_probe_file: probeFileFp, settings: settingsOfRun, engine_options: optionsOfRun,
    n_positions: n, patch_size: N, object_shape: [HO, WO], probe_modes: opts.modes,
  };
  let resume: LsqmlState | undefined;
  let resumed: ResumedFrom | undefined; // said with the first epoch of this run, then not again
  const setAside: string[] = []; // a checkpoint of another run kept aside (checkpoint.setAsideTo)
  const found = ck !== undefined ? examineEntry(ck.path) : null; // a dangling link or an unreadable entry is not an absent checkpoint
  if (found !== null && 'why' in found) throw new InputError(`${ck!.path}: expected an LSQML checkpoint (an NPZ this tool wrote) or nothing; found ${found.why}`);
  if (ck !== undefined && found !== null && 'st' in found) {
    try {
      resume = readCheckpoint(ck.path, run, shape, opts.epochs);
    } catch (err) {
      if (!(err instanceof CheckpointOfAnotherRun) || ck.setAsideTo === undefined) throw err;
      const kept = join(ck.setAsideTo, createUniqueDir(ck.setAsideTo, 'other-run-checkpoint'), basename(ck.path));
      renameSync(ck.path, kept);
      setAside.push(`a checkpoint of another run was kept aside in ${kept} and this run started over (${err.message.slice(ck.path.length + 2)})`);
    }
    if (resume !== undefined) {
      const earlier: ResumedFrom['earlier'] = [];
      for (let e = 0; e < resume.epochsDone; e++) {
        lines.push(logLine(e, resume.lossHistory[e]!, resume.epochSeconds[e]!));
        earlier.push({ loss: resume.lossHistory[e]!, seconds: resume.epochSeconds[e]! });
      }
      resumed = { from: resume.epochsDone, checkpoint: ck.path, earlier };
    }
  }
  await stopIfAsked(resume?.epochsDone ?? 0);
  let result: LsqmlResult;
  try {
    result = await runLsqml({
      intensities, positions, reorderIntensities: true, // this job does not read them again (engine/lsqml.ts)
      ...(validMask ? { validMask } : {}),
      object: { h: HO, w: WO, data: object },
      probe: { modes: opts.modes, size: N, data: probe },
    }, options, {
      onEpoch: ({ epoch, loss, seconds }) => {
        lines.push(logLine(epoch, loss, seconds));
        writeFileAtomic(logPath, lines.join('\n') + '\n');
        onProgress?.({ epoch: epoch + 1, epochs: opts.epochs, loss, seconds, ...(resumed !== undefined ? { resumed } : {}) });
        resumed = undefined;
      },
      // The event loop runs between epochs, so that a command's Ctrl-C / SIGTERM handler can stop the run.
      betweenEpochs: yieldToEventLoop,
      ...(job.signal !== undefined ? { signal: job.signal } : {}),
      // said once the engine has taken the state (a checkpoint held in another precision than it computes in is refused first)
      ...(resume !== undefined ? { resume, onResumed: (k: number) => ck!.onResume?.(k, opts.epochs) } : {}),
      ...(ck !== undefined && ck.every > 0 ? { checkpointEvery: ck.every, onCheckpoint: (state: LsqmlState) => writeCheckpoint(ck.path, state, run, opts.epochs, shape) } : {}),
    });
  } catch (err) {
    // a checkpoint of this run that the engine cannot take: its precision is not the one the engine computes in here
    // (float32 asked, float64 computed where there is no WebAssembly SIMD or the patch side is not float32's), named
    // by its key as readCheckpoint names the others
    if (err instanceof LsqmlInputError && resume !== undefined && err.message.startsWith(SAVED_STATE)) {
      const what = err.message.slice(SAVED_STATE.length);
      const precision = /^precision: expected (\w+); found (\w+)$/.exec(what);
      throw new InputError(`${ck!.path}: ${precision !== null
        ? `key '_metadata.precision': expected ${precision[1]} (the precision this run computes in here); found ${precision[2]}` : what}`);
    }
    if (err instanceof LsqmlInputError) {
      // what the start came from: the data, and the start files where it came from them
      const starts = [objectFile ? `the object from ${objectFile.path}` : null, probePath !== null ? `the probe from ${probePath}` : null].filter((x) => x !== null);
      throw new InputError(`${inputPath}: ${err.message}${starts.length > 0 ? ` (${starts.join(', ')})` : ''}`);
    }
    if (err instanceof LsqmlDivergenceError) {
      const e = options.noiseModel === 'poisson' ? withPoissonHint(err, intensities, n, options.precision) : err;
      lines.push(`stopped: ${e.message}`);
      writeFileAtomic(logPath, lines.join('\n') + '\n');
      throw e;
    }
    throw err;
  }
  const seconds = (performance.now() - t0) / 1000;
  const finalLoss = result.lossHistory[result.lossHistory.length - 1]!;

  const { threads: _threadsAsked, ...engineOptionsRecord } = result.options; // the thread count does not change a result
  const recorded = startFilesByName(opts);
  const { threads: _threadsSetting, ...settingsRecord } = recorded;
  const metadata = {
    engine: ENGINE_NAME,
    engine_version: packageVersion(),
    algorithm: 'LSQML (pty-chi 8aee9c2 semantics)',
    input: { file: basename(inputPath), size_bytes: inputFp.size, sha256: inputFp.sha256 },
    ...input.record,
    ...(probeIn !== input.probe ? { probe_source: probeIn.source } : {}), // a probe file by its name
    job_options: jobOptionsRecord(recorded),
    // every setting but the thread count (how fast, not what: it is in reconstruction_run.json), start files by name
    reconstruction_settings: settingsRecord, settings_sha256: reconstructionSettingsSha256(recorded),
    engine_options: engineOptionsRecord,
    n_positions: n,
    n_positions_in_file: ds.n,
    patch_size: N,
    object_shape: [HO, WO],
    probe_modes: opts.modes,
    // an object file by its name, key, size and SHA-256 (no absolute path: the same inputs give the same bytes)
    init_object: objectFile ? `file:${basename(objectFile.path)}: ${objectFile.key}` : opts.initObject,
    ...(objectFile && objectFileFp ? { init_object_file: { file: basename(objectFile.path), key: objectFile.key, size_bytes: objectFileFp.size, sha256: objectFileFp.sha256,
      // a ptychodus object of another shape or centre: its shape, and the frame pixel its pixel [0, 0] went to
      ...(objectFile.placed ? { object_shape: objectFile.placed.shape, frame_offset_yx: objectFile.placed.offset } : {}) } } : {}),
    init_probe: probeSource,
    // a probe file likewise by its name, size and SHA-256 (its key is in init_probe)
    ...(probePath !== null && probeFileFp ? { init_probe_file: { file: basename(probePath), size_bytes: probeFileFp.size, sha256: probeFileFp.sha256 } } : {}),
    intensity_scale: s,
    intensity_scale_source: scalePresent ? '_metadata.intensity_scale' : 'absent (1)',
    position_origin_yx: result.origin,
    fft_backend: result.fftBackend,
    wasm_kernels: result.wasmKernels,
    precision: result.precision,
    epochs_run: result.epochsRun,
    final_loss: finalLoss,
    loss_history: result.lossHistory,
    warnings: [...input.warnings, ...(objectFile?.warning ? [objectFile.warning] : []), ...emptyWarnings, ...probeWarnings, ...setAside, ...result.warnings],
    run_record: PHASE_F.runRecord,
  };
  // The result is whole or absent: when one of its files cannot be written (a full disk, a quota), those written
  // before it by this call are removed again, so that no reconstruction without its figure or run record is taken as complete.
  const npzPath = join(job.outputDir, PHASE_F.reconstruction);
  const runRecordPath = join(job.outputDir, PHASE_F.runRecord);
  const pngPath = join(job.outputDir, PHASE_F.figure);
  const written: string[] = [];
  try {
    saveNpz(npzPath, {
      reconstructed_object: c64([HO, WO], Float32Array.from(result.object)),
      reconstructed_probe: c64([opts.modes, N, N], Float32Array.from(result.probe)),
      loss_history: f64([result.lossHistory.length], Float64Array.from(result.lossHistory)),
      positions: f64([n, 2], positionsOut),
      // measured data's detector mask as applied (1 = a pixel left unfitted), in the patterns' own order (DC at [N/2, N/2])
      ...(input.validMask ? { detector_mask: { dtype: '|u1', shape: [N, N], data: Uint8Array.from(input.validMask, (v) => (v ? 0 : 1)) } } : {}),
      _metadata: metadataArray(metadata),
    });
    written.push(npzPath);
    const name = basename(inputPath);
    const pixelM = objectPixelSizeM(input.record.geometry ?? ds.metadata?.geometry);
    const drawn = reconstructionPng(result, reconstructionFigureTitle(name, n, result.epochsRun), pixelM ? pixelM[1] : null);
    writeJsonAtomic(runRecordPath, {
      reconstruction: PHASE_F.reconstruction,
      input: inputPath, // the input file, whatever its format
      input_npz: inputPath, // the same, under its name of earlier versions (read by their reports)
      // where the start files were (_metadata names them by file name, size and SHA-256)
      ...(probePath !== null ? { init_probe_path: probePath } : {}),
      ...(objectFile ? { init_object_path: resolve(objectFile.path) } : {}),
      // where each given setting came from (a flag, the settings file, a preset); the others have their defaults
      ...(job.settingsOrigin !== undefined ? { settings_origin: job.settingsOrigin } : {}),
      host: os.hostname(),
      threads: result.threads, // the threads that ran: at most one per position of a minibatch
      created_utc: new Date().toISOString(),
      total_seconds: seconds,
      epoch_seconds: result.epochSeconds,
      // reconstruction.png's size (SVG width, smallest text): the report's readable width of it (docs/metrics.md, "Report")
      figure: drawn.record,
    });
    written.push(runRecordPath);
    writeFileAtomic(pngPath, drawn.png);
  } catch (err) {
    for (const p of written) rmSync(p, { force: true });
    throw err;
  }
  return { reconstructionNpz: npzPath, png: pngPath, runRecord: runRecordPath, log: logPath, epochsRun: result.epochsRun, finalLoss, seconds, nPositions: n, warnings: metadata.warnings };
}
