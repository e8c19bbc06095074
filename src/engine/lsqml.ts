/**
 * LSQML ptychographic reconstruction (far field, single slice, incoherent probe modes), faithful to
 * pty-chi's LSQMLReconstructor at commit 8aee9c2 (spec/lsqml.md §3, §6) and fast on a few CPU cores.
 *
 * The engine is a library: it knows nothing about files or studies. Input: measured intensities
 * (DC at [0, 0]), positions in pty-chi's convention (pixels, [y, x], relative to the position
 * origin), an initial object and probe, options (options.ts). Output: the object, the probe, the
 * loss per epoch and the seconds per epoch.
 *
 * Work per minibatch is split into phases (kernels.ts) that run on the calling thread and
 * `threads − 1` worker threads over shared buffers; results do not depend on the thread count.
 */
import { performance } from 'node:perf_hooks';
import { InputError, stoppedExitCode, UsageError } from '../errors.js';
import { allocShared, allocShared32, createFft2, fftfreq, freeShared } from '../math/fft.js';
import { getArena, pow2Plan, wasmFft32Size, WasmFft2F32 } from '../math/fft-wasm.js';
import { isPowerOfTwo } from '../math/fft-ts.js';
import { lsqmlWasmKernels, modeKernelsOn, type LsqmlWasm } from './wasm-kernels.js';
import { Rng } from '../math/rng.js';
import { LSQML_STATE_VERSION, type LsqmlState } from './lsqml-state.js';
import type { ComplexImage } from '../math/image.js';
import { removeAmbiguity, positionsRoi, probeRescaleFactor, type Roi } from './constraints.js';
import {
  allocateBuffers, bitReversal, bitrevImages, createCtx, scratchLength, type Ctx, type EngineDims, type EngineFft, type Real, INFO_B, INFO_C0, INFO_C1, INFO_CAPTURE, INFO_KEEP,
  INFO_R0, INFO_R1, Phase, PP,
  PP_AA, PP_AQIM, PP_AQRE, PP_ALPHA, PP_B1, PP_B2, PP_LOSS, PP_PDEN, PP_PNUM, PP_QQ, PP_SUMY, PP_SUMYHAT, SCAL_ABAR,
  SCAL_ALPHA_O,
} from './kernels.js';
import { type ModeKernels, orthogonalizeModesSvd } from './modes.js';
import { DEFAULT_LSQML_OPTIONS, type LsqmlOptions, type Precision, optionWarnings, planActive, resolveLsqmlOptions } from './options.js';
import { MAX_FLOAT32_PATTERN_TOTAL } from '../data/reconstruction-refusals.js';
import { patchGeometry, patchInside, positionOrigin, type PatchGeometry } from './patches.js';
import { PhasePool, type WorkerInit } from './pool.js';
import { dampedInverse, firstPreconditioner, preconditionerUpdateDue, probeIntensity } from './preconditioner.js';
import { jointStepSizes, jointSystem, mean, trimmedMean, type JointSystem } from './stepsize.js';

/** Bad engine input (shapes, non-finite values, nothing to reconstruct, an option out of range): an InputError, exit code 2. */
export class LsqmlInputError extends InputError {
  constructor(message: string) { super(message); this.name = 'LsqmlInputError'; }
}

/**
 * The largest total intensity of one pattern the float32 engine takes (data/reconstruction-refusals.ts, where a job
 * and `inspect --check` refuse a file's patterns above it, naming the file): beyond it the engine refuses its input
 * rather than overflowing midway.
 */
export { MAX_FLOAT32_PATTERN_TOTAL };

/** How the message of a state restoreState refuses starts. */
export const SAVED_STATE = 'saved state: ';

/** Epochs in a row a loss may stay above the divergence limit before the run stops (checkDivergence). */
export const DIVERGENCE_PATIENCE = 3;

/** The loss became NaN/infinite or grew by more than `divergenceFactor`; `epoch` is where it happened. */
export class LsqmlDivergenceError extends Error {
  constructor(readonly epoch: number, readonly loss: number, readonly lossHistory: number[], readonly reason: string) {
    super(`LSQML diverged at epoch ${epoch}: ${reason}`);
    this.name = 'LsqmlDivergenceError';
  }
}

/**
 * The run was stopped through `hooks.signal` (an AbortSignal that was aborted): `epochsRun` of `epochs` epochs
 * had finished (the stop comes at the end of the epoch under way); no result is returned. `code` is
 * `'ABORT_ERR'`, as on Node.js's own AbortError; `cause` is the signal's reason.
 */
export class LsqmlAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  /** The command line's status when a signal stops it: 130, or 143 / 129 when the reason is 'SIGTERM' / 'SIGHUP' (`exitCodeFor`). */
  readonly exitCode: number;
  constructor(readonly epochsRun: number, readonly epochs: number, readonly lossHistory: number[], reason: unknown) {
    super(`LSQML stopped after ${epochsRun} of ${epochs} epochs: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
    this.name = 'LsqmlAbortedError';
    this.exitCode = stoppedExitCode(reason);
  }
}

export interface ProbeInput {
  /** Incoherent modes M. */
  modes: number;
  /** Probe side N (the probe is N×N, and so is every diffraction pattern). */
  size: number;
  /** Interleaved re/im, [M, N, N], length 2·M·N². */
  data: Float32Array | Float64Array;
}

export interface LsqmlInput {
  /** Measured intensities (photon counts) [n, N, N], DC at [0, 0] (fftshift applied by the caller). */
  intensities: Float32Array | Float64Array;
  /** [n, 2] positions [y, x] in object pixels relative to the position origin (pty-chi's convention). */
  positions: ArrayLike<number>;
  /** Initial object [H, W] (src/math/image.ts: interleaved re/im, row-major). */
  object: ComplexImage<Float32Array | Float64Array>;
  probe: ProbeInput;
  /** Optional [N, N] valid-pixel mask, DC at [0, 0]; nonzero = valid. Default: all valid. */
  validMask?: ArrayLike<number> | null;
  /** Optional injected minibatch order: for epoch e, a permutation of 0…n−1 cut into chunks of batchSize. */
  batchPermutations?: ArrayLike<ArrayLike<number>> | null;
  /**
   * The engine may reorder `intensities` in place (a Float32Array the caller no longer needs: its
   * contents are unspecified afterwards). In float32 precision every pattern is then put into the
   * bit-reversed order of the spectra once, instead of once per epoch. Default false.
   */
  reorderIntensities?: boolean;
}

export interface EpochInfo { epoch: number; loss: number; seconds: number }

export interface LsqmlHooks {
  /** Called after every epoch (epoch 0 included). */
  onEpoch?: (info: EpochInfo) => void;
  /**
   * Awaited after every epoch but the last (after `onEpoch`): a caller on the main thread returns a
   * macrotask here (`setImmediate`) so that its event loop runs between epochs — signal handlers, timers.
   * The state is not touched while it waits; results do not depend on it.
   */
  betweenEpochs?: () => Promise<void>;
  /**
   * Stops the run when aborted: checked before the first epoch and after every epoch but the last, the run then
   * throws `LsqmlAbortedError` (worker threads stopped, nothing returned). With a signal the event loop runs
   * between epochs (a macrotask), so that a timer or a signal handler can abort it.
   */
  signal?: AbortSignal;
  /**
   * Starts from a state an earlier run of the same input and options saved (`onCheckpoint`, LsqmlEngine.saveState)
   * after epoch k: the run goes on with epoch k, and its result is the one the uninterrupted run gives, bit for bit.
   */
  resume?: LsqmlState;
  /** Called once the engine has taken `resume` (restoreState refuses a state it cannot take first), with its epochs done. */
  onResumed?: (epochsDone: number) => void;
  /** Epochs between two `onCheckpoint` calls (after epoch `checkpointEvery` − 1, 2·`checkpointEvery` − 1, …; not after the last). */
  checkpointEvery?: number;
  /**
   * Receives the state every `checkpointEvery` epochs, and when `signal` stops the run after an epoch not saved yet;
   * the state is the engine's own copy, the caller may keep it.
   */
  onCheckpoint?: (state: LsqmlState) => void;
}

export interface LsqmlResult {
  /** [H, W] complex (interleaved). */
  object: Float64Array;
  height: number;
  width: number;
  /** [M, N, N] complex (interleaved). */
  probe: Float64Array;
  modes: number;
  size: number;
  /** Loss per epoch (pty-chi's displayed MSE of square roots, pre-update predictions). */
  lossHistory: number[];
  /** Wall-clock seconds per epoch. */
  epochSeconds: number[];
  epochsRun: number;
  /** Per-position Poisson far-field step state (Poisson model only). */
  poissonStepState: Float64Array | null;
  /** The position origin [o_y, o_x] used. */
  origin: [number, number];
  /** Non-fatal observations (e.g. patches that leave the object buffer). */
  warnings: string[];
  /** The options actually used. */
  options: LsqmlOptions;
  /** FFT backend used. */
  fftBackend: string;
  /** Whether the WASM-SIMD elementwise kernels ran (else the TypeScript loops). */
  wasmKernels: boolean;
  /** The precision the run computed in ('float32' needs the WASM kernels; see options.ts `Precision`). */
  precision: Precision;
  /** Threads that ran: `options.threads`, at most one per position of a minibatch. */
  threads: number;
}

/** Copies of the intermediates of one minibatch (tests): per-position arrays are position-major [B, …]. */
export interface MinibatchCapture {
  shiftedProbe?: Float64Array; psi?: Float64Array; psiFar?: Float64Array; intensityPred?: Float64Array;
  psiFarUpdated?: Float64Array; chi?: Float64Array; deltaOPatches?: Float64Array;
  deltaPBeforeShift?: Float64Array; deltaP?: Float64Array;
  deltaOComb?: Float64Array; deltaOPrecond?: Float64Array; deltaPHat?: Float64Array;
  system?: JointSystem; alphaOi?: Float64Array; alphaPi?: Float64Array; alphaO?: number; alphaP?: number;
  poissonAlpha?: Float64Array; batchLoss?: number;
}

export interface MinibatchResult { loss: number; sumY: number; sumYhat: number }

/**
 * The exponentials of every position's Fourier sub-pixel shift (src/math/subpixel.ts's convention):
 * for position i, ey[u] = exp(−2πi·f_y·fftfreq(N)[u]) then ex[v] likewise, N complex values each.
 */
function shiftRamps(frac: Float64Array, n: number, N: number, bitrev: boolean): Float64Array {
  // Bit-reversed spectra: ey and ex are stored in the same order (frequency rev(u) at u).
  const f0 = fftfreq(N), rev = bitrev ? bitReversal(N) : null;
  const freq = rev ? Float64Array.from(rev, (r) => f0[r]!) : f0;
  const out = new Float64Array(4 * N * n);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 2; a++) {
      const f = frac[2 * i + a];
      const o = 4 * N * i + 2 * N * a;
      for (let u = 0; u < N; u++) {
        const t = -2 * Math.PI * f * freq[u];
        out[o + 2 * u] = Math.cos(t); out[o + 2 * u + 1] = Math.sin(t);
      }
    }
  }
  return out;
}

/** Puts each of `n` N×N patterns of `y` into bit-reversed order on both axes, in place, through two arena blocks. */
function bitrevPatterns(y: Float32Array, n: number, N: number, arena: NonNullable<ReturnType<typeof getArena>>): void {
  const n2 = N * N, chunk = Math.max(1, Math.min(n, Math.floor((1 << 20) / n2)));
  const a = allocShared32(chunk * n2), b = allocShared32(chunk * n2);
  try {
    for (let i = 0; i < n; i += chunk) {
      const k = Math.min(chunk, n - i);
      a.set(y.subarray(i * n2, (i + k) * n2));
      arena.bitrevReal32(b.byteOffset, a.byteOffset, k, N, N);
      y.set(b.subarray(0, k * n2), i * n2);
    }
  } finally {
    freeShared(a); freeShared(b);
  }
}

function checkFinite(a: ArrayLike<number>, what: string, nonNegative = false): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isFinite(v)) throw new LsqmlInputError(`${what} holds a non-finite value (${v}) at element ${i}`);
    if (nonNegative && v < 0) throw new LsqmlInputError(`${what} holds a negative value (${v}) at element ${i}`);
  }
}

const isFloatArray = (v: unknown): boolean => v instanceof Float32Array || v instanceof Float64Array;
const kindOf = (v: unknown): string => (v === null ? 'null' : typeof v !== 'object' ? typeof v : (v.constructor?.name ?? 'an object'));

/** The parts of a JavaScript caller's input, before their values are read: one LsqmlInputError naming the part, not a TypeError. */
function checkInputParts(input: LsqmlInput): void {
  if (input === null || typeof input !== 'object') throw new LsqmlInputError(`input ${kindOf(input)}: expected { intensities, positions, object, probe }`);
  const parts: [string, unknown, string, (v: unknown) => boolean][] = [
    ['intensities', input.intensities, 'a Float32Array or Float64Array [n, N, N]', isFloatArray],
    ['positions', input.positions, 'an array of numbers [n, 2] (y, x)', (v) => v !== null && typeof v === 'object' && Number.isInteger((v as ArrayLike<number>).length)],
    ['object', input.object, '{ h, w, data: Float32Array | Float64Array } (interleaved re, im)', (v) => v !== null && typeof v === 'object' && isFloatArray((v as ComplexImage).data)],
    ['probe', input.probe, '{ modes, size, data: Float32Array | Float64Array } (interleaved re, im)', (v) => v !== null && typeof v === 'object' && isFloatArray((v as ProbeInput).data)],
  ];
  for (const [name, v, expected, ok] of parts) {
    if (!ok(v)) throw new LsqmlInputError(`input.${name}: expected ${expected}; found ${v !== null && typeof v === 'object' && 'data' in v ? `data ${kindOf((v as { data: unknown }).data)}` : kindOf(v)}`);
  }
}

/** Set only while `LsqmlEngine.create` calls the constructor: the constructor takes nothing a caller could give it. */
let creating = false;

export class LsqmlEngine {
  readonly options: LsqmlOptions;
  readonly n: number; readonly N: number; readonly M: number; readonly H: number; readonly W: number;
  readonly origin: [number, number];
  readonly geometry: PatchGeometry;
  readonly lossHistory: number[] = [];
  /** First epoch of the current run of epochs above the divergence limit; −1 when the last epoch was below it. */
  private risingSince = -1;
  /** The first epoch after restoreState (−1: none), whose predicted intensity checks the restored object and probe. */
  private restoredAt = -1;
  readonly epochSeconds: number[] = [];
  readonly warnings: string[] = [];
  private readonly ctx: Ctx;
  private readonly pool: PhasePool;
  private readonly intensities: Float32Array | Float64Array;
  private readonly positions: Float64Array;
  private readonly roi: Roi;
  private readonly batchPermutations: ArrayLike<ArrayLike<number>> | null;
  private readonly batchRng: Rng;
  private readonly noiseRng: Rng;
  private readonly mainFft: EngineFft;
  private readonly maxPatternSum: number;
  /** Per position, the separable ramps exp(−2πi·f·fftfreq(N)) of its fractional shift: [n, 4N] (ey then ex). */
  private readonly ramps: Real;
  private precond: Float64Array | null = null;
  /** Blocks of the wasm FFT arena this engine holds (given back on close). */
  private arenaBlocks: Real[] = [];
  private readonly aPois: Float64Array;
  /** The mode orthogonalisation's loops over pixels on the WASM kernels (M > 1 with the kernels). */
  private modeKernels: ModeKernels | null = null;
  /** How many of `warnings` the engine's start gave (the rest came from the epochs run, and are part of its state). */
  private startWarnings = 0;
  private closed = false;

  private constructor(input: LsqmlInput, options: LsqmlOptions, dims: EngineDims, ctx: Ctx, pool: PhasePool, fft: EngineFft,
    geometry: PatchGeometry, origin: [number, number], maxPatternSum: number) {
    if (!creating) {
      throw new UsageError('new LsqmlEngine(…): an engine is made by `await LsqmlEngine.create(input, options)`, which checks the input and starts the worker threads (or run it whole: `await runLsqml(input, options)`)');
    }
    this.options = options;
    this.n = input.positions.length / 2;
    this.N = dims.N; this.M = dims.M; this.H = dims.H; this.W = dims.W;
    this.ctx = ctx; this.pool = pool; this.mainFft = fft;
    this.intensities = input.intensities;
    this.positions = Float64Array.from(input.positions);
    this.geometry = geometry;
    this.origin = origin;
    this.maxPatternSum = maxPatternSum;
    this.roi = positionsRoi(this.positions, this.n, origin, dims.H, dims.W);
    this.batchPermutations = input.batchPermutations ?? null;
    const root = new Rng(options.seed);
    this.batchRng = root.fork('lsqml-batches');
    this.noiseRng = root.fork('lsqml-poisson-step-noise');
    this.aPois = new Float64Array(this.n).fill(0.5);
    const ramps = shiftRamps(geometry.frac, this.n, dims.N, dims.bitrev);
    this.ramps = dims.precision === 'float32' ? Float32Array.from(ramps) : ramps;
  }

  /** Validates the input, allocates the buffers and starts the worker threads. */
  static async create(input: LsqmlInput, userOptions: Partial<LsqmlOptions> = {}): Promise<LsqmlEngine> {
    let options: LsqmlOptions;
    try { options = resolveLsqmlOptions(userOptions); } catch (err) { throw new LsqmlInputError((err as Error).message); }
    checkInputParts(input);
    const { probe, object } = input;
    const N = probe.size, M = probe.modes, H = object.h, W = object.w;
    if (!Number.isInteger(N) || N < 1) throw new LsqmlInputError(`probe size must be a positive integer, got ${N}`);
    if (!Number.isInteger(M) || M < 1) throw new LsqmlInputError(`probe modes must be a positive integer, got ${M}`);
    if (!Number.isInteger(H) || !Number.isInteger(W) || H < 1 || W < 1) throw new LsqmlInputError(`object shape must be positive integers, got ${H}×${W}`);
    if (probe.data.length !== 2 * M * N * N) throw new LsqmlInputError(`probe data holds ${probe.data.length} values; [${M}, ${N}, ${N}] complex needs ${2 * M * N * N}`);
    if (object.data.length !== 2 * H * W) throw new LsqmlInputError(`object data holds ${object.data.length} values; [${H}, ${W}] complex needs ${2 * H * W}`);
    if (input.positions.length % 2 !== 0) throw new LsqmlInputError(`positions must be [n, 2]; got ${input.positions.length} values`);
    const n = input.positions.length / 2;
    if (n < 1) throw new LsqmlInputError('no scan positions: LSQML needs at least one');
    const n2 = N * N;
    if (input.intensities.length !== n * n2) {
      throw new LsqmlInputError(`intensities hold ${input.intensities.length} values; ${n} patterns of ${N}×${N} need ${n * n2}`);
    }
    checkFinite(input.positions, 'positions');
    checkFinite(probe.data, 'probe');
    checkFinite(object.data, 'object');
    let maxPatternSum = 0, brightest = 0, total = 0, maxPixel = 0;
    const I = input.intensities;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = i * n2, e = k + n2; k < e; k++) {
        const v = I[k];
        if (!Number.isFinite(v)) throw new LsqmlInputError(`intensities: pattern ${i} holds a non-finite value (${v}) at pixel ${k - i * n2}`);
        if (v < 0) throw new LsqmlInputError(`intensities: pattern ${i} holds a negative value (${v}) at pixel ${k - i * n2}`);
        if (v > maxPixel) maxPixel = v;
        s += v;
      }
      if (s > maxPatternSum) { maxPatternSum = s; brightest = i; }
      total += s;
    }
    if (options.precision === 'float32' && maxPatternSum > MAX_FLOAT32_PATTERN_TOTAL) {
      throw new LsqmlInputError(`intensities: pattern ${brightest} totals ${maxPatternSum.toPrecision(3)} photons; in float32 the engine takes at most ` +
        `${MAX_FLOAT32_PATTERN_TOTAL} per pattern (its sums would overflow): use precision float64`);
    }
    if (!(total > 0)) throw new LsqmlInputError('every diffraction pattern is zero: there is nothing to reconstruct');
    let probePower = 0;
    for (let k = 0; k < probe.data.length; k++) probePower += probe.data[k] * probe.data[k];
    if (!(probePower > 0)) throw new LsqmlInputError('the initial probe is zero everywhere');
    if (input.validMask && input.validMask.length !== n2) throw new LsqmlInputError(`valid-pixel mask holds ${input.validMask.length} values; ${N}×${N} needs ${n2}`);
    if (input.batchPermutations) {
      const bp = input.batchPermutations;
      if (bp.length < options.epochs) throw new LsqmlInputError(`batchPermutations covers ${bp.length} epochs; ${options.epochs} requested`);
      for (let e = 0; e < options.epochs; e++) {
        const p = bp[e];
        const seen = new Uint8Array(n);
        if (p.length !== n) throw new LsqmlInputError(`batchPermutations[${e}] has ${p.length} entries; expected ${n}`);
        for (let j = 0; j < n; j++) {
          const v = p[j];
          if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) throw new LsqmlInputError(`batchPermutations[${e}] is not a permutation of 0…${n - 1}`);
          seen[v] = 1;
        }
      }
    }

    const origin = positionOrigin(H, W, options.originConvention);
    const geometry = patchGeometry(input.positions, n, N, origin);
    const Bc = Math.min(options.batchSize, n);
    const multimodal = options.multimodalUpdate;
    const fft64 = createFft2(N, N, { backend: options.fftBackend });
    // With the wasm FFT, the FFT buffers live in its shared arena: every thread transforms them in place.
    // With the engine's WASM kernels too, every non-integer buffer does, and those kernels run the loops
    // (complex64 with the f32x4 FFT in float32 precision). Without them the TypeScript loops run in float64.
    const arena = fft64.backend === 'wasm' ? getArena() : null;
    let kernels: LsqmlWasm | null = null, precision: Precision = 'float64';
    if (arena && N >= 2) {
      // the f32x4 FFTs take sides 2^a·3^b·5^c·7^d·11^e·13^f that are even; odd ones (15, 45 …) run in float64
      if (options.precision === 'float32' && wasmFft32Size(N, N)) {
        kernels = lsqmlWasmKernels(arena.memory, 'float32');
        if (kernels) precision = 'float32';
      }
      kernels ??= lsqmlWasmKernels(arena.memory, 'float64');
    }
    const plan = arena ? arena.plan(N, N) : null;
    // In float32 on power-of-two sizes the spectra stay in bit-reversed order (kernels.ts): no FFT
    // permutes, and the fused kernels run. Other even sizes 2^a·3^b·5^c·7^d·11^e·13^f run in float32 on the complex64
    // mixed-radix kernel, natural order, unfused; in float64 every size the wasm FFT takes runs in
    // natural order.
    const bitrev = precision === 'float32' && isPowerOfTwo(N);
    const plan32 = bitrev ? pow2Plan(plan!) : null;
    const fft: EngineFft = precision === 'float32' ? new WasmFft2F32(N, N, { arena: arena!, plan: plan!, order: bitrev ? 'bitrev' : 'natural' }) : fft64;
    const fftAt = kernels && arena && plan
      ? (precision === 'float32'
        ? (at: number, count: number, forward: boolean): void => arena.run32(plan, at, count, forward, bitrev)
        : (at: number, count: number, forward: boolean): void => arena.run(plan, at, count, forward))
      : null;
    // Patterns reordered once here (when the caller allows it) need no permutation per epoch.
    const reordered = bitrev && input.reorderIntensities === true && input.intensities instanceof Float32Array;
    if (reordered) bitrevPatterns(input.intensities as Float32Array, n, N, arena!);
    const bitrevReal = bitrev && !reordered ? (dst: number, src: number, count: number): void => arena!.bitrevReal32(dst, src, count, N, N) : null;
    const fused: Ctx['fused'] = plan32 ? {
      ifftRamp: (dst, src, ramp) => arena!.ifftRamp32(plan32, dst, src, ramp),
      fftProduct: (dst, a, aStride, b, count, dstStep, bStep) => arena!.fftProduct32(plan32, dst, a, aStride, b, count, dstStep, bStep),
      ifftUnscaled: (at, count, step) => arena!.ifftUnscaled32(plan32, at, count, step),
    } : null;
    const hasMask = !!input.validMask && !Array.prototype.every.call(input.validMask, (v: number) => v !== 0);
    const dims: EngineDims = {
      N, M, H, W, Bc, n, noise: options.noiseModel, gaussW: 1 / (2 * options.gaussianNoiseStd) ** 2,
      thr: options.excludeMeasuredPixelsBelow ?? -Infinity, separateMode0: M > 1 && multimodal, multimodal,
      allValid: options.excludeMeasuredPixelsBelow === null && !hasMask, hasMask,
      wasm: kernels !== null, precision, bitrev, bitrevIntensities: reordered,
    };
    const threads = Math.max(1, Math.min(options.threads, Bc));
    const alloc = (len: number, f32: boolean): Real => (f32 ? allocShared32(len) : allocShared(len));
    const { descs: buffers, arenaViews } = allocateBuffers(dims, threads > 1, arena ? alloc : undefined);
    const arenaBlocks = arenaViews.slice();
    const scratchFor = (): Real | undefined => {
      if (!kernels) return undefined;
      const block = alloc(scratchLength(dims), precision === 'float32');
      arenaBlocks.push(block);
      return block;
    };
    const mainScratch = scratchFor();
    const ctx = createCtx(dims, buffers, fft, arena ? arena.memory.buffer : undefined, kernels, mainScratch, fftAt, bitrevReal, fused);
    ctx.obj.set(object.data);
    ctx.probe.set(probe.data);
    ctx.tlAll.set(geometry.topLeft);
    if (input.validMask) for (let k = 0; k < n2; k++) ctx.mask[k] = input.validMask[k] ? 1 : 0;
    else ctx.mask.fill(1);
    if (dims.wasm && bitrev) bitrevImages(ctx.mask, ctx.maskR, N, 1, false);
    else if (dims.wasm) for (let k = 0; k < n2; k++) ctx.maskR[k] = ctx.mask[k];
    const arenaFor = (): WorkerInit['arena'] => {
      if (!arena) return null;
      // two images to stream through, and the mixed-radix kernel's work area at the end (fft-wasm.ts)
      const block = allocShared(4 * N * N + (plan!.mix !== null ? Math.ceil(plan!.workBytes / 8) : 0));
      arenaBlocks.push(block);
      const ctxScratch = scratchFor();
      return {
        memory: arena.memory, scratch: { at: block.byteOffset, size: block.byteLength }, plan: plan!,
        ctxScratch: ctxScratch ? ctxScratch.byteOffset : null,
      };
    };
    let pool: PhasePool;
    try {
      pool = await PhasePool.create(ctx, buffers, threads, fft64.backend === 'wasm-bluestein' ? 'wasm-bluestein' : 'ts', arenaFor);
    } catch (err) {
      for (const b of arenaBlocks) freeShared(b);
      throw err;
    }
    creating = true;
    let engine: LsqmlEngine;
    try { engine = new LsqmlEngine(input, options, dims, ctx, pool, fft, geometry, origin, maxPatternSum); } finally { creating = false; }
    engine.arenaBlocks = arenaBlocks;
    if (kernels && M > 1) {
      const block = allocShared(4 * M * M + 2 * M);
      arenaBlocks.push(block);
      engine.modeKernels = modeKernelsOn(kernels, ctx.probe.byteOffset, M, n2, block);
    }
    engine.warnings.push(...optionWarnings(options, M));
    if (options.precision === 'float32' && precision === 'float64') {
      // recorded in the result (precision), but a run asked for float32 should also say it did not get it
      const why = options.fftBackend === 'ts' ? 'fftBackend ts: the TypeScript loops compute in float64'
        // float32 needs even sides 2^a·3^b·5^c·7^d·11^e·13^f (README, Limits); say where these run instead: the
        // WebAssembly FFT and kernels (odd sides 2^a·3^b·5^c·7^d·11^e·13^f) or the TypeScript loops (any other), with
        // Bluestein's FFT on the WebAssembly kernel where it loads
        : !wasmFft32Size(N, N) ? `the float32 path takes even sides with no prime factor above 13 only; these ${N}×${N} patterns run on the ${kernels ? 'WebAssembly FFT and kernels' : fft64.backend === 'wasm-bluestein' ? 'TypeScript loops with Bluestein\'s FFT on the WebAssembly kernel' : 'TypeScript FFT and loops'}`
        : `the float32 path needs the WebAssembly FFT and kernels, which ${fft64.backend !== 'wasm' ? 'are not available here' : `do not take ${N}×${N} patterns`}`;
      engine.warnings.push(`precision float32 was asked for and the run computes in float64 (${why}); results agree to rounding, at the float64 path's speed`);
    }
    const thr = options.excludeMeasuredPixelsBelow;
    if (thr !== null && thr >= maxPixel) {
      engine.warnings.push(`excludeMeasuredPixelsBelow ${thr} leaves no pixel constrained (the brightest measures ${maxPixel.toPrecision(4)} photons): ` +
        'the far-field step changes nothing, so neither the object nor the probe is updated');
    }
    let outside = 0;
    for (let i = 0; i < n; i++) if (!patchInside(geometry.topLeft[2 * i], geometry.topLeft[2 * i + 1], N, H, W)) outside++;
    if (outside > 0) {
      engine.warnings.push(`${outside} of ${n} patches extend beyond the ${H}×${W} object buffer (edge pixels are replicated there, as in pty-chi)`);
    }
    engine.startWarnings = engine.warnings.length;
    return engine;
  }

  /** The FFT backend in use. */
  get fftBackend(): string { return this.mainFft.backend; }
  /** Whether the WASM-SIMD elementwise kernels run (else the TypeScript loops). */
  get wasmKernels(): boolean { return this.ctx.d.wasm; }
  /** Threads that run the per-position work (`options.threads`, at most one per position of a minibatch). */
  get threads(): number { return this.pool.threads; }
  /** The precision the engine computes in (float32 only with the WASM kernels). */
  get precision(): Precision { return this.ctx.d.precision; }

  /** Copy of the current object [H, W] complex. */
  get object(): Float64Array { return Float64Array.from(this.ctx.obj); }
  /** Copy of the current probe [M, N, N] complex. */
  get probe(): Float64Array { return Float64Array.from(this.ctx.probe); }
  /** Copy of the current preconditioner [H, W] (null before epoch 0). */
  get preconditioner(): Float64Array | null { return this.precond ? Float64Array.from(this.precond) : null; }
  /** Copy of the per-position Poisson step state. */
  get poissonStepState(): Float64Array { return Float64Array.from(this.aPois); }

  /** Replaces the object, probe or preconditioner (tests that start from a recorded state). */
  setState(s: { object?: ArrayLike<number>; probe?: ArrayLike<number>; preconditioner?: ArrayLike<number> }): void {
    if (s.object) this.ctx.obj.set(s.object);
    if (s.probe) this.ctx.probe.set(s.probe);
    if (s.preconditioner) {
      this.precond = Float64Array.from(s.preconditioner);
      dampedInverse(this.precond, this.options.preconditioningDampingFactor, this.ctx.invDen);
    }
  }

  /** Everything the next epoch depends on, after `lossHistory.length` epochs (lsqml-state.ts): copies. */
  saveState(): LsqmlState {
    return {
      version: LSQML_STATE_VERSION, epochsDone: this.lossHistory.length, precision: this.precision,
      object: this.ctx.obj.slice(), probe: this.ctx.probe.slice(),
      preconditioner: this.precond ? Float64Array.from(this.precond) : null, poissonStepState: Float64Array.from(this.aPois),
      batchRng: this.batchRng.getState(), noiseRng: this.noiseRng.getState(),
      lossHistory: this.lossHistory.slice(), epochSeconds: this.epochSeconds.slice(), risingSince: this.risingSince,
      warnings: this.warnings.slice(this.startWarnings),
    };
  }

  /**
   * Continues from a state saved by an engine of the same input and options (before this one has run an epoch):
   * the next epoch is `state.epochsDone`. A state that does not fit this engine (another version, precision or
   * shape, more epochs than the options ask for) is an LsqmlInputError naming what differs; nothing is changed then.
   * An object and probe whose predicted intensity overflows are an LsqmlInputError too, found in the first epoch run
   * (as a start's are in epoch 0), not a divergence.
   */
  restoreState(state: LsqmlState): void {
    if (this.lossHistory.length > 0) throw new UsageError('restoreState: the engine has run epochs already; restore a state into a new engine');
    const bad = (what: string, expected: string, found: unknown): never => {
      throw new LsqmlInputError(`${SAVED_STATE}${what}: expected ${expected}; found ${typeof found === 'string' ? found : JSON.stringify(found)}`);
    };
    if (state === null || typeof state !== 'object') bad('the state', 'an object (LsqmlEngine.saveState)', String(state));
    if (state.version !== LSQML_STATE_VERSION) bad('version', String(LSQML_STATE_VERSION), state.version);
    const k = state.epochsDone;
    if (!Number.isInteger(k) || k < 0 || k > this.options.epochs) bad('epochsDone', `an integer in 0…${this.options.epochs} (the epochs asked for)`, k);
    if (state.precision !== this.precision) bad('precision', this.precision, state.precision);
    const sized = (name: string, a: unknown, type: Float32ArrayConstructor | Float64ArrayConstructor, length: number): void => {
      if (!(a instanceof type) || a.length !== length) {
        bad(name, `a ${type.name} of ${length} values`, a instanceof Float32Array || a instanceof Float64Array ? `a ${a.constructor.name} of ${a.length}` : kindOf(a));
      }
    };
    const held = this.ctx.obj instanceof Float32Array ? Float32Array : Float64Array;
    sized('object', state.object, held, this.ctx.obj.length);
    sized('probe', state.probe, held, this.ctx.probe.length);
    if (state.preconditioner !== null || k > 0) sized('preconditioner', state.preconditioner, Float64Array, this.H * this.W);
    sized('poissonStepState', state.poissonStepState, Float64Array, this.n);
    for (const [name, h] of [['lossHistory', state.lossHistory], ['epochSeconds', state.epochSeconds]] as const) {
      if (!Array.isArray(h) || h.length !== k || !h.every((v) => typeof v === 'number' && Number.isFinite(v))) bad(name, `${k} finite numbers (epochsDone)`, Array.isArray(h) ? `${h.length} values` : kindOf(h));
    }
    if (!Number.isInteger(state.risingSince) || state.risingSince < -1 || state.risingSince >= Math.max(k, 1)) bad('risingSince', `−1 or an epoch below ${k}`, state.risingSince);
    if (!Array.isArray(state.warnings) || !state.warnings.every((w) => typeof w === 'string')) bad('warnings', 'an array of strings', kindOf(state.warnings));
    const batch = new Rng(0), noise = new Rng(0);
    try { batch.setState(state.batchRng); noise.setState(state.noiseRng); } catch (err) { bad('random streams', 'two RngState', (err as Error).message); }
    this.ctx.obj.set(state.object);
    this.ctx.probe.set(state.probe);
    this.batchRng.setState(state.batchRng);
    this.noiseRng.setState(state.noiseRng);
    this.aPois.set(state.poissonStepState);
    if (state.preconditioner !== null) this.setState({ preconditioner: state.preconditioner });
    this.lossHistory.push(...state.lossHistory);
    this.epochSeconds.push(...state.epochSeconds);
    this.risingSince = state.risingSince;
    this.warnings.push(...state.warnings);
    this.restoredAt = k;
  }

  /** The illumination map of the current probe (preconditioner.ts's `illumination`, by row parts on every thread). */
  private illum(): Float64Array {
    const c = this.ctx;
    probeIntensity(c.probe, this.options.buildPreconditionerWithAllModes ? this.M : 1, this.N, c.p2);
    this.pool.run(Phase.Illuminate);
    return c.illum;
  }

  /** Start-of-epoch preconditioner build / running average (docs/lsqml.md). */
  private preEpoch(e: number): void {
    if (this.precond === null) {
      this.precond = firstPreconditioner(this.illum(), this.maxPatternSum, this.N);
    } else if (preconditionerUpdateDue(e, this.options.probePlan.start)) {
      const il = this.illum();
      const c = this.precond;
      for (let j = 0; j < c.length; j++) c[j] = (c[j] + il[j]) / 2;
    } else {
      return;
    }
    dampedInverse(this.precond, this.options.preconditioningDampingFactor, this.ctx.invDen);
  }

  /** Runs epoch e (0-based) and returns its loss. Throws LsqmlDivergenceError when the loss diverges. */
  runEpoch(e: number): number {
    if (this.closed) throw new Error('LSQML engine is closed');
    const t0 = performance.now();
    const o = this.options;
    this.preEpoch(e);
    const order = this.batchPermutations ? this.batchPermutations[e] : this.batchRng.permutation(this.n);
    const B = o.batchSize;
    let lossSum = 0, nb = 0, sumY = 0, sumYhat = 0;
    for (let s = 0; s < this.n; s += B) {
      const idx = Int32Array.from({ length: Math.min(B, this.n - s) }, (_, j) => order[s + j]);
      const r = this.runMinibatch(idx, e);
      lossSum += r.loss; nb++; sumY += r.sumY; sumYhat += r.sumYhat;
    }
    const loss = lossSum / nb;
    if (e === this.restoredAt && !Number.isFinite(sumYhat)) {
      // a restored state whose numbers are garbage, yet finite: as a start file's (below), not a divergence of the run
      throw new LsqmlInputError(`${SAVED_STATE}object and probe: expected values whose predicted intensity |P·O|² fits in ${o.precision}; found ${sumYhat} (|P·O|² overflows)`);
    }
    // End-of-epoch hooks (docs/lsqml.md).
    if (e === 0 && o.rescaleProbeIntensityInFirstEpoch) {
      if (!Number.isFinite(sumYhat)) {
        // values far beyond a probe's or a transmission's (a start file whose numbers are garbage, yet finite)
        throw new LsqmlInputError(`the initial probe and object predict an intensity too large to hold in ${o.precision} (|P·O|² overflows), so the probe cannot be rescaled`);
      }
      if (!(sumYhat > 0)) {
        throw new LsqmlInputError('the initial probe and object predict no intensity at any position, so the probe cannot be rescaled');
      }
      const f = probeRescaleFactor(sumY, sumYhat);
      const p = this.ctx.probe;
      for (let j = 0; j < p.length; j++) p[j] *= f;
    }
    if (o.orthogonalizeIncoherentModes && this.M > 1 && planActive(o.orthogonalizePlan, e)) {
      orthogonalizeModesSvd(this.ctx.probe, this.M, this.N * this.N, this.modeKernels ?? undefined);
    }
    if (o.removeObjectProbeAmbiguity && planActive(o.ambiguityPlan, e) && this.precond) {
      removeAmbiguity(this.ctx.obj, this.W, this.precond, this.roi, this.ctx.probe);
    }
    const seconds = (performance.now() - t0) / 1000;
    this.lossHistory.push(loss);
    this.epochSeconds.push(seconds);
    this.checkDivergence(e, loss);
    return loss;
  }

  /** A warning for a rise above the divergence limit still under way at the last epoch run (none otherwise). */
  openRiseWarning(): string[] {
    if (this.risingSince < 0) return [];
    const h = this.lossHistory;
    return [`the loss was above ${this.options.divergenceFactor}× the epoch-0 loss (or the previous epoch's) from epoch ${this.risingSince} to the last epoch run, ${h.length - 1}`];
  }

  /**
   * Stops a run whose loss is not finite, or has exceeded `divergenceFactor` × the epoch-0 loss (or ×
   * the previous epoch's, above 1e-3 of epoch 0's) in DIVERGENCE_PATIENCE epochs in a row (in one, for
   * the Poisson model in float32). A rise that falls back sooner is a transient — the Poisson model's
   * first update epoch on bright patterns can rise above 10× and recover (docs/lsqml.md, "Bright
   * patterns and the Poisson model") — and is recorded as a warning.
   */
  private checkDivergence(e: number, loss: number): void {
    const f = this.options.divergenceFactor;
    const h = this.lossHistory;
    if (!Number.isFinite(loss)) throw new LsqmlDivergenceError(e, loss, h.slice(), `the loss is ${loss}`);
    if (e === 0 || h.length < 2) return;
    const first = h[0], prev = h[h.length - 2];
    const reason = loss > f * first ? `exceeds ${f}× the epoch-0 loss ${first.toPrecision(4)}`
      : loss > f * prev && loss > 1e-3 * first ? `exceeds ${f}× the previous epoch's loss ${prev.toPrecision(4)}` : null;
    if (reason === null) {
      if (this.risingSince >= 0) {
        let peak = 0;
        for (let k = this.risingSince; k < e; k++) peak = Math.max(peak, h[k]);
        this.warnings.push(`the loss rose to ${(peak / first).toPrecision(3)}× the epoch-0 loss in epoch${e - this.risingSince > 1 ? `s ${this.risingSince}–${e - 1}` : ` ${this.risingSince}`} and fell back by epoch ${e}`);
        this.risingSince = -1;
      }
      return;
    }
    if (this.risingSince < 0) this.risingSince = e;
    // In float32 such a rise of the Poisson model comes with a much worse result after it (the rounding
    // noise of pixels predicted dark: docs/lsqml.md), so that run stops at the first one.
    const patience = this.options.noiseModel === 'poisson' && this.precision === 'float32' ? 1 : DIVERGENCE_PATIENCE;
    if (e - this.risingSince + 1 >= patience) {
      const span = this.risingSince === e ? '' : ` (above the limit since epoch ${this.risingSince})`;
      throw new LsqmlDivergenceError(e, loss, h.slice(), `loss ${loss.toPrecision(4)} ${reason}${span}`);
    }
  }

  /** Writes the batch's geometry, intensities and bounding box into the shared buffers. */
  private loadBatch(indices: ArrayLike<number>): number {
    const c = this.ctx, N = this.N, n2 = N * N, B = indices.length;
    if (B < 1 || B > c.d.Bc) throw new Error(`minibatch of ${B} positions (capacity ${c.d.Bc})`);
    const { topLeft, frac } = this.geometry;
    let r0 = Infinity, r1 = -Infinity, c0 = Infinity, c1 = -Infinity;
    const I = this.intensities;
    for (let i = 0; i < B; i++) {
      const j = indices[i];
      const ty = topLeft[2 * j], tx = topLeft[2 * j + 1];
      c.tl[2 * i] = ty; c.tl[2 * i + 1] = tx;
      c.frac[2 * i] = frac[2 * j]; c.frac[2 * i + 1] = frac[2 * j + 1];
      c.ramp.set(this.ramps.subarray(4 * N * j, 4 * N * (j + 1)), 4 * N * i);
      if (ty < r0) r0 = ty; if (ty + N > r1) r1 = ty + N;
      if (tx < c0) c0 = tx; if (tx + N > c1) c1 = tx + N;
      // With bit-reversed spectra the forward phase permutes them from yhat into yb (unless reordered already).
      (c.d.bitrev && !c.d.bitrevIntensities ? c.yhat : c.yb).set(I.subarray(j * n2, (j + 1) * n2), i * n2);
    }
    c.info[INFO_B] = B;
    c.info[INFO_R0] = Math.max(0, Math.min(this.H, r0)); c.info[INFO_R1] = Math.max(0, Math.min(this.H, r1));
    c.info[INFO_C0] = Math.max(0, Math.min(this.W, c0)); c.info[INFO_C1] = Math.max(0, Math.min(this.W, c1));
    // Spectrum of probe mode 0, shared by every position's sub-pixel shift.
    c.fp0.set(c.probe.subarray(0, 2 * n2));
    this.mainFft.forward(c.fp0, 1);
    return B;
  }

  /**
   * One minibatch of epoch e: forward model, loss terms and (unless epoch 0 only rescales) the LSQML
   * update of object and probe. `capture` (threads = 1 only) receives copies of the intermediates.
   */
  runMinibatch(indices: ArrayLike<number>, e: number, capture?: MinibatchCapture): MinibatchResult {
    const o = this.options, c = this.ctx, pool = this.pool;
    const N = this.N, n2 = N * N, M = this.M;
    if (capture && pool.threads !== 1) throw new Error('minibatch capture needs threads = 1');
    if (this.precond === null) this.preEpoch(e);
    const B = this.loadBatch(indices);
    const update = !(e === 0 && o.rescaleProbeIntensityInFirstEpoch);
    const gaussian = o.noiseModel === 'gaussian';
    c.info[INFO_KEEP] = update || capture ? 1 : 0;
    c.info[INFO_CAPTURE] = capture ? 1 : 0;
    if (capture) c.psi = new Float64Array(c.far.length);
    if (!update || !gaussian || capture) pool.run(Phase.Forward);
    else pool.run(Phase.ForwardGaussianBackward);
    let lossSum = 0, sumY = 0, sumYhat = 0;
    for (let i = 0; i < B; i++) {
      lossSum += c.pp[PP * i + PP_LOSS]; sumY += c.pp[PP * i + PP_SUMY]; sumYhat += c.pp[PP * i + PP_SUMYHAT];
    }
    const result: MinibatchResult = { loss: lossSum / (B * n2), sumY, sumYhat };
    if (capture) {
      capture.batchLoss = result.loss;
      capture.shiftedProbe = this.positionMajor((i, m) => (m === 0 ? [c.pt0, 2 * n2 * i] : [c.probe, 2 * n2 * m]), B);
      capture.psi = this.positionMajor((i, m) => [c.psi!, 2 * n2 * (m * c.d.Bc + i)], B);
      capture.psiFar = this.natural(this.positionMajor((i, m) => [c.far, 2 * n2 * (m * c.d.Bc + i)], B), true);
      capture.intensityPred = this.natural(Float64Array.from(c.yhat.subarray(0, B * n2)), false);
      c.psi = null;
    }
    if (!update) return result;

    if (!gaussian) this.poissonStep(indices, B);
    if (capture) {
      pool.run(Phase.FarStep);
      capture.psiFarUpdated = this.natural(this.positionMajor((i, m) => [c.far, 2 * n2 * (m * c.d.Bc + i)], B), true);
      capture.poissonAlpha = Float64Array.from({ length: B }, (_, i) => c.pp[PP * i + PP_ALPHA]);
      pool.run(Phase.ChiDirections);
      capture.chi = this.positionMajor((i, m) => [c.far, 2 * n2 * (m * c.d.Bc + i)], B);
      capture.deltaOPatches = Float64Array.from(c.dOA.subarray(0, 2 * n2 * B));
      capture.deltaPBeforeShift = this.positionMajor((i, m) => [c.dP, 2 * n2 * (m * c.d.Bc + i)], B);
      pool.run(Phase.ProbeSpectra);
      const dp = this.positionMajor((i, m) => [c.dP, 2 * n2 * (m * c.d.Bc + i)], B);
      for (let i = 0; i < B; i++) this.mainFft.inverse(dp.subarray(2 * n2 * M * i, 2 * n2 * (M * i + 1)), 1);
      capture.deltaP = dp;
      pool.run(Phase.Scatter);
      capture.deltaOComb = Float64Array.from(c.D);
      pool.run(Phase.Precondition);
      capture.deltaOPrecond = Float64Array.from(c.D);
      pool.run(Phase.ReduceProbe);
    } else {
      if (!gaussian) pool.run(Phase.Backward);
      pool.run(Phase.Place);
    }
    // Probe direction: batch mean, the mode-0 adjoint shift applied to the summed spectra.
    const w = c.wasm;
    if (w) {
      // The same values as the loops below: mode 0 copied (÷1), transformed, then ÷B; modes ≥ 1 ÷B.
      const at = c.dPhat.byteOffset, mode = 2 * n2 * c.bpe;
      w.divide(at, c.dPsum.byteOffset, 2 * n2, 1);
      this.mainFft.inverse(c.dPhat.subarray(0, 2 * n2), 1);
      w.divide(at, at, 2 * n2, B);
      if (M > 1) w.divide(at + mode, c.dPsum.byteOffset + mode, 2 * n2 * (M - 1), B);
    } else {
      c.dPhat.set(c.dPsum);
      this.mainFft.inverse(c.dPhat.subarray(0, 2 * n2), 1);
      for (let j = 0; j < c.dPhat.length; j++) c.dPhat[j] /= B;
    }
    if (capture) capture.deltaPHat = Float64Array.from(c.dPhat);
    pool.run(Phase.StepSums);
    const sums = {
      aa: new Float64Array(B), qq: new Float64Array(B), aqRe: new Float64Array(B), aqIm: new Float64Array(B),
      b1: new Float64Array(B), b2: new Float64Array(B),
    };
    for (let i = 0; i < B; i++) {
      const s = PP * i;
      sums.aa[i] = c.pp[s + PP_AA]; sums.qq[i] = c.pp[s + PP_QQ]; sums.aqRe[i] = c.pp[s + PP_AQRE];
      sums.aqIm[i] = c.pp[s + PP_AQIM]; sums.b1[i] = c.pp[s + PP_B1]; sums.b2[i] = c.pp[s + PP_B2];
    }
    const sys = jointSystem(sums, { pixels: n2, regularization: o.stepSizeRegularization });
    const { alphaO: aOi, alphaP: aPi } = jointStepSizes(sys, o.objectStepSizeScaler / (o.multimodalUpdate ? M : 1), o.probeStepSizeScaler);
    const alphaO = trimmedMean(aOi, 0.1), alphaP = mean(aPi);
    if (capture) { capture.system = sys; capture.alphaOi = aOi; capture.alphaPi = aPi; capture.alphaO = alphaO; capture.alphaP = alphaP; }
    if (o.objectOptimizable && planActive(o.objectPlan, e)) {
      c.scal[SCAL_ALPHA_O] = o.objectLearningRate * alphaO;
      pool.run(Phase.ApplyObject);
    }
    if (o.probeOptimizable && planActive(o.probePlan, e)) {
      const a = o.probeLearningRate * alphaP;
      const p = c.probe, d = c.dPhat;
      if (c.wasm) c.wasm.axpyWide(p.byteOffset, d.byteOffset, a, p.length);
      else for (let j = 0; j < p.length; j++) p[j] += a * d[j];
    }
    return result;
  }

  /** Poisson far-field step sizes of the batch (docs/lsqml.md): two fixed-point passes, clamp, perturbation. */
  private poissonStep(indices: ArrayLike<number>, B: number): void {
    const c = this.ctx, o = this.options, a = this.aPois;
    const batchMean = (): number => { let s = 0; for (let i = 0; i < B; i++) s += a[indices[i]]; return s / B; };
    for (let pass = 0; pass < 2; pass++) {
      const abar = batchMean();
      c.scal[SCAL_ABAR] = abar;
      this.pool.run(Phase.PoissonSums);
      for (let i = 0; i < B; i++) {
        const num = c.pp[PP * i + PP_PNUM], den = c.pp[PP * i + PP_PDEN];
        let t = den > 0 ? num / den : 0;
        t = 0.5 * abar + 0.5 * t;
        t = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
        a[indices[i]] = t;
      }
    }
    for (let i = 0; i < B; i++) {
      let t = a[indices[i]];
      if (o.poissonStepNoise > 0) t += o.poissonStepNoise * this.noiseRng.normal();
      if (o.clampPoissonStepAfterNoise) t = Math.min(1, Math.max(0, t));
      a[indices[i]] = t;
      c.pp[PP * i + PP_ALPHA] = t;
    }
  }

  /** Far-field images in natural order (a copy when the engine keeps them bit-reversed). */
  private natural(a: Float64Array, complex: boolean): Float64Array {
    if (!this.ctx.d.bitrev) return a;
    const out = new Float64Array(a.length);
    bitrevImages(a, out, this.N, a.length / (this.N * this.N * (complex ? 2 : 1)), complex);
    return out;
  }

  /** Gathers [B, M, n2] complex from a per-(position, mode) source locator. */
  private positionMajor(at: (i: number, m: number) => [Real, number], B: number): Float64Array {
    const n2 = this.N * this.N, M = this.M;
    const out = new Float64Array(2 * n2 * M * B);
    for (let i = 0; i < B; i++) {
      for (let m = 0; m < M; m++) {
        const [src, off] = at(i, m);
        out.set(src.subarray(off, off + 2 * n2), 2 * n2 * (i * M + m));
      }
    }
    return out;
  }

  /** Stops the worker threads. The engine cannot run afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
    for (const b of this.arenaBlocks) freeShared(b);
    this.arenaBlocks = [];
  }
}

/**
 * Runs a whole reconstruction: `options.epochs` epochs from the given start (`options` default to pty-chi's,
 * DEFAULT_LSQML_OPTIONS: 100 epochs). Throws LsqmlInputError on bad input, LsqmlDivergenceError (naming the
 * epoch) when the loss diverges, and LsqmlAbortedError when `hooks.signal` is aborted.
 */
export async function runLsqml(input: LsqmlInput, options: Partial<LsqmlOptions> = {}, hooks: LsqmlHooks = {}): Promise<LsqmlResult> {
  // a JavaScript caller's hooks that are not an object, or name a hook there is not (`onProgress`): refused, not ignored
  if (hooks === null || typeof hooks !== 'object') throw new UsageError(`runLsqml: hooks ${hooks === null ? 'null' : typeof hooks}: expected an object ({ onEpoch, signal }) or undefined`);
  const hookNames = Object.keys({ onEpoch: 0, betweenEpochs: 0, signal: 0, resume: 0, onResumed: 0, checkpointEvery: 0, onCheckpoint: 0 } satisfies Record<keyof LsqmlHooks, 0>);
  for (const k of Object.keys(hooks)) {
    if (!hookNames.includes(k)) throw new UsageError(`runLsqml: option \`${k}\`: expected no such option (it takes ${hookNames.map((n) => `\`${n}\``).join(', ')})`);
  }
  for (const k of ['onEpoch', 'betweenEpochs', 'onCheckpoint', 'onResumed'] as const) {
    if (hooks[k] !== undefined && typeof hooks[k] !== 'function') throw new UsageError(`runLsqml: \`${k}\` ${typeof hooks[k]}: expected a function or undefined`);
  }
  const every = hooks.checkpointEvery ?? 0;
  if (!Number.isInteger(every) || every < 0) throw new UsageError(`runLsqml: \`checkpointEvery\` ${String(every)}: expected an integer ≥ 0 (0: no checkpoints)`);
  const signal = hooks.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new UsageError(`\`signal\` ${typeof signal}: expected an AbortSignal (new AbortController().signal) or undefined`);
  }
  const stopped = (engine: LsqmlEngine): LsqmlAbortedError =>
    new LsqmlAbortedError(engine.lossHistory.length, engine.options.epochs, engine.lossHistory.slice(), signal!.reason);
  if (signal?.aborted) throw new LsqmlAbortedError(0, options.epochs ?? DEFAULT_LSQML_OPTIONS.epochs, [], signal.reason);
  const engine = await LsqmlEngine.create(input, options);
  try {
    if (hooks.resume !== undefined) {
      engine.restoreState(hooks.resume);
      hooks.onResumed?.(engine.lossHistory.length);
    }
    let saved = engine.lossHistory.length;
    const save = (): void => {
      if (!hooks.onCheckpoint || saved === engine.lossHistory.length) return;
      hooks.onCheckpoint(engine.saveState());
      saved = engine.lossHistory.length;
    };
    for (let e = engine.lossHistory.length; e < engine.options.epochs; e++) {
      if (signal?.aborted) {
        if (every > 0) save();
        throw stopped(engine);
      }
      const loss = engine.runEpoch(e);
      hooks.onEpoch?.({ epoch: e, loss, seconds: engine.epochSeconds[e] });
      if (e + 1 < engine.options.epochs) {
        if (every > 0 && (e + 1) % every === 0) save();
        if (hooks.betweenEpochs) await hooks.betweenEpochs();
        else if (signal !== undefined) await new Promise((done) => setImmediate(done));
      }
    }
    return {
      object: engine.object, height: engine.H, width: engine.W, probe: engine.probe, modes: engine.M, size: engine.N,
      lossHistory: engine.lossHistory.slice(), epochSeconds: engine.epochSeconds.slice(), epochsRun: engine.lossHistory.length,
      poissonStepState: engine.options.noiseModel === 'poisson' ? engine.poissonStepState : null,
      origin: engine.origin, warnings: [...engine.warnings, ...engine.openRiseWarning()], options: engine.options, fftBackend: engine.fftBackend,
      wasmKernels: engine.wasmKernels, precision: engine.precision, threads: engine.threads,
    };
  } finally {
    await engine.close();
  }
}


