/**
 * One LSQML reconstruction job, file to files: what `ptychostudy lsqml` and each Phase F job run.
 *
 * Reads and validates a DATA-001 dataset NPZ, converts it to the engine's conventions, runs the
 * engine, and writes (each file atomically) into the output directory:
 *   reconstruction.npz  reconstructed_object c8 [H, W], reconstructed_probe c8 [M, N, N],
 *                       loss_history f8, epoch_seconds f8, positions f8 [n, 2] ([ycoords, xcoords]),
 *                       _metadata (0-d '<U' JSON: options, engine and version, input file + size +
 *                       SHA-256, intensity scale, timings);
 *   reconstruction.png  object amplitude and phase, probe (mode 0) amplitude and phase, colour bars;
 *   lsqml.log           one line per epoch: epoch, loss, seconds (rewritten after every epoch).
 *
 * Conversions (docs/lsqml.md): intensities Y = (diffraction·s)², s = `_metadata.intensity_scale`
 * when present (else 1, recorded), ifftshifted so DC is at [0, 0]; positions
 * p = coord − origin − N//2 + (N − 1)/2 with the engine's origin for the objectGuess shape, so the
 * reconstruction has objectGuess's shape and frame; the initial object is ones (default: no ground
 * truth leaks in) or objectGuess; the probe is probeGuess (or a probe file), with extra incoherent
 * modes made by pty-chi's Hermite recipe (`orthogonalize_initial_probe`).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic.js';
import { loadDataset, type Dataset } from '../data/dataset.js';
import { metadataArray } from '../data/metadata.js';
import { ifftshift2 } from '../math/fft.js';
import { loadNpz, saveNpz } from '../npy/npz.js';
import { c64, f64, type NdArray } from '../npy/types.js';
import { renderPanelsPng } from '../report/figure.js';
import { LsqmlDivergenceError, LsqmlInputError, runLsqml, type LsqmlResult } from '../engine/lsqml.js';
import { DEFAULT_LSQML_OPTIONS, type LsqmlOptions } from '../engine/options.js';
import { positionOrigin } from '../engine/patches.js';
import { addProbeModes } from '../engine/probe-modes.js';

export interface LsqmlJobOptions {
  inputNpz: string;
  outputDir: string;
  epochs: number;
  batchSize: number;
  noiseModel: 'gaussian' | 'poisson';
  modes: number;
  /** Use the first min(nImages, n) patterns (file order); default all. */
  nImages?: number;
  seed: number;
  initObject: 'ones' | 'guess';
  /** 'guess' (the dataset's probeGuess) or 'file:PATH' (an NPZ with `reconstructed_probe` or `probeGuess`). */
  initProbe: 'guess' | string;
  /** Threads for the engine (default: min(2, available cores)). */
  threads?: number;
  /** Engine precision (default: the engine's, float32; see engine/options.ts). */
  precision?: 'float32' | 'float64';
}

export interface LsqmlJobResult {
  reconstructionNpz: string;
  png: string;
  log: string;
  epochsRun: number;
  finalLoss: number;
  seconds: number;
  nPositions: number;
}

export interface JobProgress { epoch: number; epochs: number; loss: number; seconds: number }

export const ENGINE_NAME = 'ptychostudy-lsqml';

export { packageVersion } from '../version.js';
import { packageVersion } from '../version.js';

function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Checks the job options; throws UsageError naming the option. */
export function checkJobOptions(o: LsqmlJobOptions): void {
  const posInt = (name: string, v: unknown): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a positive integer, got ${String(v)}`);
  };
  if (!o.inputNpz) throw new UsageError('an input NPZ is required');
  if (!o.outputDir) throw new UsageError('an output directory is required');
  posInt('epochs', o.epochs);
  posInt('batch size', o.batchSize);
  posInt('modes', o.modes);
  if (o.nImages !== undefined) posInt('n-images', o.nImages);
  if (o.threads !== undefined) posInt('threads', o.threads);
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed)) throw new UsageError(`seed must be an integer, got ${String(o.seed)}`);
  if (o.noiseModel !== 'gaussian' && o.noiseModel !== 'poisson') throw new UsageError(`noise model must be gaussian or poisson, got ${String(o.noiseModel)}`);
  if (o.initObject !== 'ones' && o.initObject !== 'guess') throw new UsageError(`init-object must be ones or guess, got ${String(o.initObject)}`);
  if (o.initProbe !== 'guess' && !(typeof o.initProbe === 'string' && o.initProbe.startsWith('file:') && o.initProbe.length > 5)) {
    throw new UsageError(`init-probe must be guess or file:PATH, got ${String(o.initProbe)}`);
  }
}

/** Interleaved complex128 copy of a complex NdArray. */
function complexData(a: NdArray): Float64Array {
  return Float64Array.from(a.data as Float32Array | Float64Array);
}

/** The initial probe modes [M, N, N] (interleaved complex128). */
function initialProbe(o: LsqmlJobOptions, ds: Dataset, N: number): { probe: Float64Array; source: string } {
  let base: Float64Array;
  let have: number;
  let source: string;
  if (o.initProbe === 'guess') {
    base = complexData(ds.probeGuess); have = 1; source = 'probeGuess';
  } else {
    const path = o.initProbe.slice(5);
    const arrays = loadNpz(path);
    const a = arrays.reconstructed_probe ?? arrays.probeGuess;
    if (!a) throw new InputError(`${path}: no 'reconstructed_probe' or 'probeGuess' key for --init-probe`);
    if (a.dtype !== '<c8' && a.dtype !== '<c16') throw new InputError(`${path}: probe must be complex, found ${a.dtype}`);
    const s = a.shape;
    if (!((s.length === 2 && s[0] === N && s[1] === N) || (s.length === 3 && s[1] === N && s[2] === N && s[0]! >= 1))) {
      throw new InputError(`${path}: probe must be [${N}, ${N}] or [M, ${N}, ${N}], found [${s.join(', ')}]`);
    }
    base = complexData(a); have = s.length === 3 ? s[0]! : 1; source = `file:${path}`;
  }
  const n2 = N * N;
  if (have >= o.modes) return { probe: base.slice(0, 2 * n2 * o.modes), source };
  return { probe: addProbeModes(base.subarray(0, 2 * n2), N, o.modes), source: `${source} (+${o.modes - 1} Hermite modes)` };
}

function amplitudePhase(data: Float64Array, count: number): { amp: Float32Array; phase: Float32Array } {
  const amp = new Float32Array(count), phase = new Float32Array(count);
  for (let j = 0; j < count; j++) {
    const re = data[2 * j]!, im = data[2 * j + 1]!;
    amp[j] = Math.hypot(re, im); phase[j] = Math.atan2(im, re);
  }
  return { amp, phase };
}

/** [1st, 99th] percentile of the finite values (robust colour limits: the unscanned border is noisy). */
function robustRange(v: Float32Array): { vmin: number; vmax: number } {
  const s = Float32Array.from(v.filter((x) => Number.isFinite(x))).sort();
  if (s.length === 0) return { vmin: 0, vmax: 1 };
  const lo = s[Math.floor(0.01 * (s.length - 1))]!, hi = s[Math.ceil(0.99 * (s.length - 1))]!;
  return hi > lo ? { vmin: lo, vmax: hi } : { vmin: s[0]!, vmax: s[s.length - 1]! };
}

function reconstructionPng(r: LsqmlResult, title: string): Buffer {
  const o = amplitudePhase(r.object, r.height * r.width);
  const p = amplitudePhase(r.probe, r.size * r.size);
  return renderPanelsPng([
    { title: 'object amplitude', width: r.width, height: r.height, values: o.amp, colormap: 'gray', ...robustRange(o.amp) },
    { title: 'object phase', width: r.width, height: r.height, values: o.phase, colormap: 'twilight', label: 'rad', ...robustRange(o.phase) },
    { title: r.modes > 1 ? 'probe amplitude (mode 0)' : 'probe amplitude', width: r.size, height: r.size, values: p.amp, colormap: 'viridis' },
    { title: r.modes > 1 ? 'probe phase (mode 0)' : 'probe phase', width: r.size, height: r.size, values: p.phase, colormap: 'twilight', label: 'rad' },
  ], { columns: 2, title });
}

const logLine = (e: number, loss: number, s: number): string => `epoch ${e} loss ${loss.toExponential(8)} seconds ${s.toFixed(4)}`;

/** Runs one reconstruction job; see the module comment. Bad input → InputError; divergence → Error naming the epoch. */
export async function runLsqmlJob(opts: LsqmlJobOptions, onProgress?: (p: JobProgress) => void): Promise<LsqmlJobResult> {
  checkJobOptions(opts);
  const t0 = performance.now();
  const inputPath = resolve(opts.inputNpz);
  const ds = loadDataset(inputPath);
  const [HO, WO] = ds.objectGuess.shape as [number, number];
  if (ds.H !== ds.W) throw new InputError(`${inputPath}: diffraction patterns must be square for LSQML, found ${ds.H}×${ds.W}`);
  const N = ds.H, n2 = N * N;
  const n = opts.nImages !== undefined ? Math.min(opts.nImages, ds.n) : ds.n;
  if (n < 1) throw new InputError(`${inputPath}: no diffraction patterns to reconstruct`);

  // Intensity scale from _metadata (recorded either way).
  const meta = ds.metadata ?? {};
  const rawScale = meta.intensity_scale;
  const scalePresent = typeof rawScale === 'number' && Number.isFinite(rawScale) && rawScale > 0;
  if (rawScale !== undefined && !scalePresent) throw new InputError(`${inputPath}: _metadata.intensity_scale must be a positive number, found ${JSON.stringify(rawScale)}`);
  const s = scalePresent ? (rawScale as number) : 1;

  // Intensities (DC moved to [0, 0]); Float32 for large scans keeps memory low (counts are exact in f32).
  const big = n * n2 > 8_000_000;
  const intensities = big ? new Float32Array(n * n2) : new Float64Array(n * n2);
  const pattern = new Float64Array(n2);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n2; k++) { const a = ds.diffraction[i * n2 + k]! * s; pattern[k] = a * a; }
    ifftshift2(pattern, intensities.subarray(i * n2, (i + 1) * n2), N, N, 1, false);
  }

  const options: Partial<LsqmlOptions> = {
    epochs: opts.epochs, batchSize: opts.batchSize, noiseModel: opts.noiseModel, seed: opts.seed,
    threads: opts.threads ?? Math.max(1, Math.min(2, os.availableParallelism())),
    ...(opts.precision !== undefined ? { precision: opts.precision } : {}),
  };
  const origin = positionOrigin(HO, WO, DEFAULT_LSQML_OPTIONS.originConvention);
  const shift = Math.floor(N / 2) - (N - 1) / 2;
  const positions = new Float64Array(2 * n);
  const positionsOut = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = ds.ycoords[i]! - origin[0] - shift;
    positions[2 * i + 1] = ds.xcoords[i]! - origin[1] - shift;
    positionsOut[2 * i] = ds.ycoords[i]!; positionsOut[2 * i + 1] = ds.xcoords[i]!;
  }
  const object = new Float64Array(2 * HO * WO);
  if (opts.initObject === 'guess') object.set(complexData(ds.objectGuess));
  else for (let j = 0; j < HO * WO; j++) object[2 * j] = 1;
  const { probe, source: probeSource } = initialProbe(opts, ds, N);

  const logPath = join(opts.outputDir, 'lsqml.log');
  const lines: string[] = [];
  let result: LsqmlResult;
  try {
    result = await runLsqml({
      intensities, positions, reorderIntensities: true, // the job no longer needs them (engine/lsqml.ts)
      object: { height: HO, width: WO, data: object },
      probe: { modes: opts.modes, size: N, data: probe },
    }, options, {
      onEpoch: ({ epoch, loss, seconds }) => {
        lines.push(logLine(epoch, loss, seconds));
        writeFileAtomic(logPath, lines.join('\n') + '\n');
        onProgress?.({ epoch: epoch + 1, epochs: opts.epochs, loss, seconds });
      },
    });
  } catch (err) {
    if (err instanceof LsqmlInputError) throw new InputError(`${inputPath}: ${err.message}`);
    if (err instanceof LsqmlDivergenceError) {
      lines.push(`stopped: ${err.message}`);
      writeFileAtomic(logPath, lines.join('\n') + '\n');
    }
    throw err;
  }
  const seconds = (performance.now() - t0) / 1000;
  const finalLoss = result.lossHistory[result.lossHistory.length - 1]!;

  const metadata = {
    engine: ENGINE_NAME,
    engine_version: packageVersion(),
    algorithm: 'LSQML (pty-chi 8aee9c2 semantics)',
    input: { path: inputPath, size_bytes: statSync(inputPath).size, sha256: sha256File(inputPath) },
    job_options: { ...opts, inputNpz: inputPath, outputDir: resolve(opts.outputDir) },
    engine_options: result.options,
    n_positions: n,
    n_positions_in_file: ds.n,
    patch_size: N,
    object_shape: [HO, WO],
    probe_modes: opts.modes,
    init_object: opts.initObject,
    init_probe: probeSource,
    intensity_scale: s,
    intensity_scale_source: scalePresent ? '_metadata.intensity_scale' : 'absent (1)',
    position_origin_yx: result.origin,
    fft_backend: result.fftBackend,
    wasm_kernels: result.wasmKernels,
    precision: result.precision,
    epochs_run: result.epochsRun,
    final_loss: finalLoss,
    loss_history: result.lossHistory,
    epoch_seconds: result.epochSeconds,
    total_seconds: seconds,
    warnings: [...(ds.warnings ?? []), ...result.warnings],
    created_utc: new Date().toISOString(),
  };
  const npzPath = join(opts.outputDir, 'reconstruction.npz');
  saveNpz(npzPath, {
    reconstructed_object: c64([HO, WO], Float32Array.from(result.object)),
    reconstructed_probe: c64([opts.modes, N, N], Float32Array.from(result.probe)),
    loss_history: f64([result.lossHistory.length], Float64Array.from(result.lossHistory)),
    epoch_seconds: f64([result.epochSeconds.length], Float64Array.from(result.epochSeconds)),
    positions: f64([n, 2], positionsOut),
    _metadata: metadataArray(metadata),
  });
  const pngPath = join(opts.outputDir, 'reconstruction.png');
  const name = inputPath.split(/[\\/]/).pop() ?? inputPath;
  writeFileAtomic(pngPath, reconstructionPng(result, `LSQML ${name}: ${n} positions, ${result.epochsRun} epochs`));
  return { reconstructionNpz: npzPath, png: pngPath, log: logPath, epochsRun: result.epochsRun, finalLoss, seconds, nPositions: n };
}
