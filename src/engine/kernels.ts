/**
 * The per-minibatch work of LSQML, split into phases that the main thread and worker threads run on
 * disjoint parts of shared buffers (docs/lsqml.md). A phase works on a range of batch slots
 * (per-position phases), a range of object rows (scatter, precondition, update, illumination map) or
 * a range of probe pixels (batch reduction of the probe direction). Every sum of a pixel or of a
 * position is formed by one thread in a fixed order, so results are bit-identical for any thread
 * count. Per-position phases take one position at a time through all their steps (shifted probe,
 * exit waves, FFTs, intensity, far-field step, inverse FFTs, χ and directions, adjoint-shift
 * spectrum), so that position's arrays stay in cache between steps.
 *
 * The hot loops call the WASM-SIMD kernels (wasm-kernels.ts) when they run — complex128 or complex64
 * by the engine's precision; the TypeScript loops here are the fallback and the reference, and always
 * compute in float64 (V8's scalar arithmetic is double either way, so float32 storage would gain
 * nothing there).
 *
 * Layout (complex interleaved re/im; n2 = N·N; Bc = batch capacity). "R" buffers are Float32Array
 * in float32 precision and Float64Array in float64; the rest are Float64 (or integer):
 *   R obj [H·W]c, probe [M·n2]c, fp0 [n2]c = FFT2(probe mode 0),
 *   R pt0 [Bc·n2]c  probe mode 0 shifted per position (P̃_i,0),
 *   R far [M·Bc·n2]c  Ψ → Ψ' → χ (mode-major: mode m of slot i at (m·Bc + i)·n2),
 *   R dP  [M·Bc·n2]c  χ·conj(O_i); mode 0 kept as its spectrum times the conjugate ramp (the adjoint
 *                   shift, applied after the batch sum); with the WASM kernels slot b holds the sum of
 *                   block b's PROBE_BLOCK positions, and a group's first slot its group's sum once
 *                   folded (see PROBE_BLOCK, PROBE_GROUPS),
 *   R dOA [Bc·n2]c  Σ_m χ_m·conj(P̃_m) (the object direction); dO0 the mode-0 copy when it differs,
 *   R D, D0 [H·W]c  placed directions (preconditioned in place), invDen [H·W] 1/√(C² + (δ·max C)²),
 *   R dPsum [M·n2]c batch sums of dP, dPhat [M·n2]c the probe direction (batch mean, unshifted),
 *   R yb [Bc·n2] measured intensities of the batch (DC at [0,0]), yhat [Bc·n2] predicted,
 *   tl [Bc·2] int top-left corners, frac [Bc·2] fractional shifts, R ramp [Bc·4N] the separable phase
 *   ramps of the fractional shifts (ey: N complex, then ex: N complex), pp [Bc·PP] per-position sums,
 *   mask [n2] valid-pixel mask (1 = valid) and R maskR the same as reals (WASM kernels), info int32 [8],
 *   scal f64 [8], illum [H·W] illumination map, p2 [n2] Σ_m |P_m|² it places, tlAll int32 [n·2] every
 *   position's corner.
 * With the WASM kernels every non-integer buffer is a block of the wasm FFT arena.
 *
 * In float32 precision on power-of-two sides (`d.bitrev`) every far-field array — Ψ, Ŷ, y, the mask, the spectra of the
 * shifted probe and of the probe direction, the ramps — is kept in bit-reversed order on both axes
 * (row u at rev(u), column v at rev(v)), so neither the forward FFT (decimation in frequency) nor the
 * inverse permutes: the arithmetic is pixelwise or a sum, so the order does not matter. The batch's
 * intensities arrive in natural order in `yhat` and each position's are permuted into `yb` first —
 * unless the caller let the engine reorder its intensities once (`d.bitrevIntensities`). float32 on the
 * other even sides 2^a·3^b·5^c·7^d·11^e·13^f (the complex64 mixed-radix FFT) keeps every array in natural order and
 * runs no fused transform (`fused` null), as float64 does.
 */
import { addPatch, extractPatch, patchInside } from './patches.js';
import { addIllumination } from './preconditioner.js';
import {
  ACCUMULATE, ADD_DIRECTIONS, CHI_GIVEN, CONJ, CONSTRAINED, GAUSS_STEP, KEEP_CHI, KEEP_YHAT, MULTIMODAL, STEP_DIFFERENCE, type LsqmlWasm, type Precision,
} from './wasm-kernels.js';

/** A real or interleaved-complex array of the working precision. */
export type Real = Float32Array | Float64Array;

/** The FFT a thread runs on the engine's buffers (complex128 or complex64 by precision). */
export interface EngineFft {
  readonly backend: string;
  forward(buf: Real, count?: number): void;
  inverse(buf: Real, count?: number): void;
}

/** Per-position scalar slots (stride PP in `pp`). */
export const PP = 12;
export const PP_LOSS = 0, PP_SUMY = 1, PP_SUMYHAT = 2, PP_PNUM = 3, PP_PDEN = 4, PP_ALPHA = 5,
  PP_AA = 6, PP_QQ = 7, PP_AQRE = 8, PP_AQIM = 9, PP_B1 = 10, PP_B2 = 11;

/**
 * `info` slots. INFO_KEEP: 1 when Phase.Forward must keep Ŷ (a far-field step follows). INFO_CAPTURE:
 * 1 while a minibatch's intermediates are captured (tests): Ψ' is then kept as the far-field step
 * leaves it (not pre-scaled for the inverse FFT) and χ of every mode is stored.
 */
export const INFO_B = 0, INFO_R0 = 1, INFO_R1 = 2, INFO_C0 = 3, INFO_C1 = 4, INFO_KEEP = 5, INFO_CAPTURE = 6;
/** `scal` slots. */
export const SCAL_ABAR = 0, SCAL_ALPHA_O = 1;

/** Phase identifiers. */
export const enum Phase {
  /** Forward model, loss terms (no update); Ŷ kept when info[INFO_KEEP]. */
  Forward = 1,
  /** Forward with the Gaussian far-field step fused, then χ, directions and the adjoint-shift spectra. */
  ForwardGaussianBackward = 2,
  /** Poisson step sums num_i, den_i for ā = scal[SCAL_ABAR]. */
  PoissonSums = 3,
  /** Far-field step, then χ, directions, adjoint-shift spectra (Poisson, or Gaussian unfused). */
  Backward = 4,
  /** Capture-only pieces of Backward. */
  FarStep = 5, ChiDirections = 6, ProbeSpectra = 7,
  /** Scatter-add of the directions on the batch's bounding box, preconditioning, probe-direction sums. */
  Place = 8,
  /** Capture-only pieces of Place. */
  Scatter = 9, Precondition = 10, ReduceProbe = 11,
  /** Per-position sums of the 2×2 step-size system. */
  StepSums = 12,
  /** O += scal[SCAL_ALPHA_O]·D' on the bounding box. */
  ApplyObject = 13,
  /** illum = Σ over all positions of p2 placed at their integer corners (row parts). */
  Illuminate = 14,
}

export interface EngineDims {
  N: number; M: number; H: number; W: number;
  /** Batch capacity. */
  Bc: number;
  /** Number of scan positions (for the illumination map). */
  n: number;
  noise: 'gaussian' | 'poisson';
  /** 1/(2σ)² of the Gaussian model. */
  gaussW: number;
  /** Pixels with y ≤ thr are unconstrained (−Infinity: none). */
  thr: number;
  /** dO0/D0 are separate buffers (M > 1 and multimodal update). */
  separateMode0: boolean;
  /** Object direction sums all modes (multimodal update). */
  multimodal: boolean;
  /** Every detector pixel is constrained (no mask, no threshold). */
  allValid: boolean;
  /** A valid-pixel mask was given (else only the threshold constrains). */
  hasMask: boolean;
  /** The WASM-SIMD kernels (wasm-kernels.ts) run the elementwise loops; every non-integer buffer is an arena block. */
  wasm: boolean;
  /** Precision of the R buffers and of the arithmetic ('float32' only with the WASM kernels). */
  precision: Precision;
  /** Far-field arrays in bit-reversed order (float32 precision on power-of-two sides; see the module comment). */
  bitrev: boolean;
  /** With `bitrev`: the caller's intensities were reordered once (LsqmlInput.reorderIntensities), so they load into yb as they are. */
  bitrevIntensities: boolean;
}

/** Names of the shared buffers, in allocation order. */
export const BUFFER_NAMES = ['obj', 'probe', 'fp0', 'pt0', 'far', 'dP', 'dOA', 'dO0', 'D', 'D0', 'invDen', 'dPsum', 'dPhat',
  'yb', 'yhat', 'tl', 'frac', 'ramp', 'pp', 'mask', 'maskR', 'info', 'scal', 'illum', 'p2', 'tlAll'] as const;
export type BufferName = typeof BUFFER_NAMES[number];

/** Buffers of the working precision (the rest are float64 or integer). */
const PRECISION_BUFFERS: readonly BufferName[] = ['obj', 'probe', 'fp0', 'pt0', 'far', 'dP', 'dOA', 'dO0', 'D', 'D0', 'invDen',
  'dPsum', 'dPhat', 'yb', 'yhat', 'ramp', 'maskR'];
/** Integer buffers (never in the arena). */
const INTEGER_BUFFERS: readonly BufferName[] = ['tl', 'info', 'mask', 'tlAll'];

/** Sizes in elements of every shared buffer; dO0/D0 are absent (aliased) unless separateMode0. */
export function bufferSizes(d: EngineDims): Record<BufferName, number> {
  const n2 = d.N * d.N, hw = d.H * d.W;
  return {
    obj: 2 * hw, probe: 2 * d.M * n2, fp0: 2 * n2, pt0: 2 * d.Bc * n2, far: 2 * d.M * d.Bc * n2, dP: 2 * d.M * d.Bc * n2,
    dOA: 2 * d.Bc * n2, dO0: d.separateMode0 ? 2 * d.Bc * n2 : 0, D: 2 * hw, D0: d.separateMode0 ? 2 * hw : 0,
    invDen: hw, dPsum: 2 * d.M * n2, dPhat: 2 * d.M * n2, yb: d.Bc * n2, yhat: d.Bc * n2, tl: 2 * d.Bc, frac: 2 * d.Bc,
    ramp: 4 * d.N * d.Bc, illum: hw, p2: n2, tlAll: 2 * d.n,
    pp: PP * d.Bc, mask: n2, maskR: d.wasm ? n2 : 0, info: 8, scal: 8,
  };
}

/** Buffers the FFT runs on in place: with the wasm backend they live in its shared arena (no copies). */
export const ARENA_BUFFERS: readonly BufferName[] = ['pt0', 'far', 'dP'];

/**
 * Where a buffer lives: its own (Shared)ArrayBuffer, or a block of the wasm FFT arena (a byte offset
 * into the arena's shared memory, which every thread attaches to), with its element type.
 */
export type BufferDesc =
  | { kind: 'own'; buffer: SharedArrayBuffer | ArrayBuffer }
  | { kind: 'arena'; byteOffset: number; length: number; f32: boolean };
export type SharedBuffers = Record<BufferName, BufferDesc>;

/** Element type of buffer `name`: 'f32' for R buffers in float32 precision, else 'f64' (or an integer type). */
function isF32(d: EngineDims, name: BufferName): boolean {
  return d.precision === 'float32' && PRECISION_BUFFERS.includes(name);
}

/**
 * Allocates every buffer: `shared` (worker threads will see them) uses SharedArrayBuffers;
 * `arenaAlloc`, when given, places the FFT buffers in the wasm arena — and every non-integer buffer
 * when the WASM kernels run (`d.wasm`).
 */
export function allocateBuffers(d: EngineDims, shared: boolean, arenaAlloc?: (n: number, f32: boolean) => Real): { descs: SharedBuffers; arenaViews: Real[] } {
  const sizes = bufferSizes(d);
  const descs = {} as SharedBuffers;
  const arenaViews: Real[] = [];
  for (const name of BUFFER_NAMES) {
    const f32 = isF32(d, name);
    if (arenaAlloc && (ARENA_BUFFERS.includes(name) || (d.wasm && !INTEGER_BUFFERS.includes(name)))) {
      const v = arenaAlloc(Math.max(1, sizes[name]), f32);
      arenaViews.push(v);
      descs[name] = { kind: 'arena', byteOffset: v.byteOffset, length: v.length, f32 };
      continue;
    }
    const bytesPer = name === 'tl' || name === 'info' || name === 'tlAll' || f32 ? 4 : name === 'mask' ? 1 : 8;
    const bytes = Math.max(8, sizes[name] * bytesPer);
    descs[name] = { kind: 'own', buffer: shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes) };
  }
  return { descs, arenaViews };
}

/** Views over the shared buffers plus this thread's scratch and FFT plan. */
export interface Ctx {
  d: EngineDims;
  n2: number;
  /** Bytes per element of the R buffers (4 or 8). */
  bpe: number;
  obj: Real; probe: Real; fp0: Real; pt0: Real; far: Real; dP: Real;
  dOA: Real; dO0: Real; D: Real; D0: Real; invDen: Real;
  dPsum: Real; dPhat: Real; yb: Real; yhat: Real;
  tl: Int32Array; frac: Float64Array; ramp: Real; pp: Float64Array;
  /** Illumination map [H·W] (output of Phase.Illuminate), Σ_m |P_m|² [n2], all positions' corners [n·2]. */
  illum: Float64Array; p2: Float64Array; tlAll: Int32Array; mask: Uint8Array; maskR: Real; info: Int32Array; scal: Float64Array;
  fft: EngineFft;
  /** With the WASM kernels: the FFT on `count` images at a byte address of the arena (no views made). */
  fftAt: ((at: number, count: number, forward: boolean) => void) | null;
  /** With `d.bitrev`: copies `count` real N×N images (byte addresses) into bit-reversed order. */
  bitrevReal: ((dst: number, src: number, count: number) => void) | null;
  /**
   * With `d.bitrev`: the ramp multiply fused with the inverse FFT (dst = IFFT(src·ramp)) and the exit
   * wave with the forward FFT (dst = FFT(o·p), o with a row stride) — byte addresses (fft-wasm.ts).
   */
  fused: {
    ifftRamp(dst: number, src: number, ramp: number): void;
    /** `count` images: dst and b advance by dstStep and bStep bytes (the modes of one position). */
    fftProduct(dst: number, a: number, aStride: number, b: number, count: number, dstStep: number, bStep: number): void;
    /** In-place inverse FFTs of `count` images `step` bytes apart without their 1/N² (folded into the far-field step's factor). */
    ifftUnscaled(at: number, count: number, step: number): void;
  } | null;
  /** This thread's instance of the WASM kernels (null: the TypeScript loops run). */
  wasm: LsqmlWasm | null;
  opatch: Real; dpatch: Real;
  /** With the WASM kernels: the mode-0 object direction of an edge patch placed by the per-position phase (see directPlaced). */
  d0patch: Real | null;
  /**
   * With the WASM kernels: this thread's far field of one position, M images ([M·n2]c) that stay in
   * cache while the fused Gaussian phase takes the position through its steps (only χ_0 goes to
   * `far`, for the step sums); null with the TypeScript loops.
   */
  farLocal: Real | null;
  /** Set by patchSource: offset and row stride (elements) of the patch in the array it returned. */
  srcOff: number; srcStride: number;
  /** Capture only: exit waves ψ of the batch ([M·Bc·n2]c, mode-major), written by the forward phase. */
  psi: Real | null;
}

/**
 * Per-thread scratch: an edge-replicated object patch and direction patch, N² complex each, and with
 * the WASM kernels the far field of one position (M images, `Ctx.farLocal`).
 */
export function scratchLength(d: EngineDims): number {
  return 4 * d.N * d.N + (d.wasm ? d.M * localStride(d) + 2 * d.N * d.N : 0);
}

/** Elements between the modes of a thread's own far field (Ctx.farLocal): one image. */
export function localStride(d: EngineDims): number {
  return 2 * d.N * d.N;
}

/**
 * Views over the buffers; `arena` is this thread's view of the wasm arena memory (for 'arena'
 * buffers); with the WASM kernels, `wasm` is this thread's instance, `scratch` its arena block of
 * scratchLength(d) elements of the working precision and `fftAt` its in-place arena FFT.
 */
export function createCtx(d: EngineDims, b: SharedBuffers, fft: EngineFft, arena?: ArrayBufferLike,
  wasm: LsqmlWasm | null = null, scratch?: Real, fftAt: Ctx['fftAt'] = null, bitrevReal: Ctx['bitrevReal'] = null,
  fused: Ctx['fused'] = null): Ctx {
  const own = (k: BufferName): SharedArrayBuffer | ArrayBuffer => {
    const x = b[k];
    if (x.kind !== 'own') throw new Error(`buffer ${k} is not a plain buffer`);
    return x.buffer;
  };
  const view = (k: BufferName): Real => {
    const x = b[k];
    if (x.kind === 'own') return isF32(d, k) ? new Float32Array(x.buffer) : new Float64Array(x.buffer);
    if (!arena) throw new Error(`buffer ${k} lives in the wasm arena, but no arena memory was given`);
    return x.f32 ? new Float32Array(arena, x.byteOffset, x.length) : new Float64Array(arena, x.byteOffset, x.length);
  };
  const f64 = (k: BufferName): Float64Array => {
    const v = view(k);
    if (!(v instanceof Float64Array)) throw new Error(`buffer ${k} should be float64`);
    return v;
  };
  const n2 = d.N * d.N;
  const dOA = view('dOA'), D = view('D');
  const f32 = d.precision === 'float32';
  const mk = (len: number): Real => (f32 ? new Float32Array(len) : new Float64Array(len));
  return {
    d, n2, bpe: f32 ? 4 : 8,
    obj: view('obj'), probe: view('probe'), fp0: view('fp0'), pt0: view('pt0'), far: view('far'), dP: view('dP'),
    dOA, dO0: d.separateMode0 ? view('dO0') : dOA, D, D0: d.separateMode0 ? view('D0') : D, invDen: view('invDen'),
    dPsum: view('dPsum'), dPhat: view('dPhat'), yb: view('yb'), yhat: view('yhat'),
    tl: new Int32Array(own('tl')), frac: f64('frac'), ramp: view('ramp'),
    illum: f64('illum'), p2: f64('p2'), tlAll: new Int32Array(own('tlAll')), pp: f64('pp'), mask: new Uint8Array(own('mask')),
    maskR: view('maskR'), info: new Int32Array(own('info')),
    scal: f64('scal'), fft, fftAt, bitrevReal, fused, wasm,
    opatch: scratch ? scratch.subarray(0, 2 * n2) : mk(2 * n2),
    dpatch: scratch ? scratch.subarray(2 * n2, 4 * n2) : mk(2 * n2),
    farLocal: scratch && wasm ? scratch.subarray(4 * n2, 4 * n2 + d.M * localStride(d)) : null,
    d0patch: scratch && wasm ? scratch.subarray(4 * n2 + d.M * localStride(d), 6 * n2 + d.M * localStride(d)) : null,
    srcOff: 0, srcStride: 0, psi: null,
  };
}

/** [lo, hi) of part `p` of `parts` over [0, n). */
export function split(n: number, p: number, parts: number): [number, number] {
  return [Math.floor((n * p) / parts), Math.floor((n * (p + 1)) / parts)];
}

/**
 * Positions per block of the probe-direction sums: with the WASM kernels (outside captures) each
 * block of PROBE_BLOCK consecutive batch slots sums its probe directions into one slot of `dP` as the
 * per-position phase goes (in slot order), and the batch sum adds the blocks in order; per-position
 * phases split the batch on block boundaries, so the sums are the same for any thread count. Else
 * (TypeScript loops, captures) every slot keeps its own directions (a block of 1).
 */
export const PROBE_BLOCK = 8;

function blockSize(c: Ctx): number {
  return c.farLocal !== null && c.info[INFO_CAPTURE] === 0 ? PROBE_BLOCK : 1;
}

/**
 * Fixed groups of those blocks (blocks of PROBE_BLOCK positions only): the batch sum of the probe
 * directions first adds each group's blocks in order onto the group's first block, then the groups'
 * sums in order. A part of a per-position phase that holds a whole group adds each of its blocks onto
 * the group's first as soon as the block is complete (still in cache); Place adds the blocks of the
 * groups that no single part holds. The groups depend on the batch alone, so every sum has the same
 * terms in the same order for any thread count, and Place reads PROBE_GROUPS images per mode instead
 * of one per block.
 */
export const PROBE_GROUPS = 2;

/** Blocks [g0, g1) of the group that holds block b of a batch of `nb` blocks. */
function probeGroupOf(nb: number, b: number): [number, number] {
  for (let g = 0; g < PROBE_GROUPS; g++) {
    const range = split(nb, g, PROBE_GROUPS);
    if (b < range[1]) return range;
  }
  return [nb, nb];
}

/** Whether one part of `parts` holds every block of [g0, g1) (nb blocks split on block boundaries). */
function groupHeldWhole(nb: number, g0: number, g1: number, parts: number): boolean {
  for (let p = 0; p < parts; p++) {
    const [b0, b1] = split(nb, p, parts);
    if (b0 <= g0 && g1 <= b1) return true;
  }
  return false;
}

/**
 * After slot i: when i completes its block b, b is not its group's first block, and this part holds
 * blocks [b0, b1) ⊇ the whole group, adds block b's probe directions (every mode) onto the group's first.
 */
function foldProbeBlock(c: Ctx, i: number, b0: number, b1: number): void {
  const B = c.info[INFO_B], K = blockSize(c);
  if (K === 1 || ((i + 1) % K !== 0 && i + 1 !== B)) return;
  const nb = Math.ceil(B / K), b = Math.floor(i / K);
  const [g0, g1] = probeGroupOf(nb, b);
  if (b === g0 || g0 < b0 || g1 > b1) return;
  const n2x2 = 2 * c.n2, w = c.wasm!, Bc = c.d.Bc;
  for (let m = 0; m < c.d.M; m++) w.addTo(addr(c.dP, n2x2 * (m * Bc + g0)), addr(c.dP, n2x2 * (m * Bc + b)), n2x2);
}

/**
 * Leading batch slots whose object directions the per-position phase adds onto D (and D0) itself,
 * as it computes them: the slots of part 0 with the WASM kernels, outside captures (0 otherwise).
 * Part 0 holds the batch's first slots, so adding them there and the other parts' stored patches in
 * Place afterwards adds every pixel's terms in batch order from zero, as Place alone would: the
 * same sums for any thread count. Those slots' directions never go through dOA/dO0 (no round trip
 * through memory of 2·N² complexes per position and image).
 */
function directPlaced(c: Ctx, parts: number): number {
  if (c.wasm === null || c.info[INFO_CAPTURE] !== 0) return 0;
  const B = c.info[INFO_B], K = blockSize(c);
  return Math.min(B, split(Math.ceil(B / K), 0, parts)[1] * K);
}

/** Zeroes D (and D0) on the batch's bounding box, before any direction is added. */
function zeroDirections(c: Ctx): void {
  const W = c.d.W;
  const R0 = c.info[INFO_R0], R1 = c.info[INFO_R1], C0 = c.info[INFO_C0], C1 = c.info[INFO_C1];
  for (let r = R0; r < R1; r++) {
    c.D.fill(0, 2 * (r * W + C0), 2 * (r * W + C1));
    if (c.d.separateMode0) c.D0.fill(0, 2 * (r * W + C0), 2 * (r * W + C1));
  }
}

/** Runs part `p` of `parts` of a phase. */
export function runPhase(c: Ctx, phase: Phase, p: number, parts: number): void {
  const B = c.info[INFO_B], K = blockSize(c);
  const [b0, b1] = split(Math.ceil(B / K), p, parts);
  const i0 = Math.min(B, b0 * K), i1 = Math.min(B, b1 * K);
  switch (phase) {
    case Phase.Forward:
      for (let i = i0; i < i1; i++) forwardAt(c, i, c.info[INFO_KEEP] !== 0, false);
      break;
    case Phase.ForwardGaussianBackward: {
      const direct = p === 0 && directPlaced(c, parts) > 0;
      if (direct) zeroDirections(c);
      for (let i = i0; i < i1; i++) {
        forwardAt(c, i, false, true);
        chiAt(c, i, c.farLocal !== null, direct);
        probeSpectrumAt(c, i);
        foldProbeBlock(c, i, b0, b1);
      }
      break;
    }
    case Phase.PoissonSums: for (let i = i0; i < i1; i++) poissonSumsAt(c, i); break;
    case Phase.Backward: {
      const direct = p === 0 && directPlaced(c, parts) > 0;
      if (direct) zeroDirections(c);
      for (let i = i0; i < i1; i++) {
        farStepAt(c, i);
        chiAt(c, i, false, direct);
        probeSpectrumAt(c, i);
        foldProbeBlock(c, i, b0, b1);
      }
      break;
    }
    case Phase.FarStep: for (let i = i0; i < i1; i++) farStepAt(c, i); break;
    case Phase.ChiDirections: for (let i = i0; i < i1; i++) chiAt(c, i, false, false); break;
    case Phase.ProbeSpectra: for (let i = i0; i < i1; i++) probeSpectrumAt(c, i); break;
    case Phase.Place: place(c, p, parts, true, true, true); break;
    case Phase.Scatter: place(c, p, parts, true, false, false); break;
    case Phase.Precondition: place(c, p, parts, false, true, false); break;
    case Phase.ReduceProbe: place(c, p, parts, false, false, true); break;
    case Phase.StepSums: stepSums(c, i0, i1); break;
    case Phase.ApplyObject: applyObject(c, p, parts); break;
    case Phase.Illuminate: illuminate(c, p, parts); break;
    default: throw new Error(`unknown LSQML phase ${String(phase)}`);
  }
}

/** Byte address of element `off` of an arena view (WASM kernels). */
function addr(a: Real, off: number): number {
  return a.byteOffset + a.BYTES_PER_ELEMENT * off;
}

/** rev[k] = k with its log2(n) bits reversed (n a power of two). */
export function bitReversal(n: number): Int32Array {
  const bits = Math.round(Math.log2(n));
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0, x = i; b < bits; b++, x >>= 1) r = (r << 1) | (x & 1);
    out[i] = r;
  }
  return out;
}

/**
 * Permutes `count` N×N images (complex interleaved or real) between natural and bit-reversed order on
 * both axes (an involution: the same call maps either way), from `src` into `dst` (distinct).
 */
export function bitrevImages(src: ArrayLike<number>, dst: Real, n: number, count: number, complex: boolean): void {
  const rev = bitReversal(n), n2 = n * n, k = complex ? 2 : 1;
  for (let b = 0; b < count; b++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const s = k * (b * n2 + y * n + x), d = k * (b * n2 + rev[y] * n + rev[x]);
        dst[d] = src[s];
        if (complex) dst[d + 1] = src[s + 1];
      }
    }
  }
}

/** Offset (elements) of mode m of batch slot i in a mode-major [M·Bc·n2] buffer. */
function modeOff(c: Ctx, m: number, i: number): number {
  return 2 * c.n2 * (m * c.d.Bc + i);
}

/** In-place FFT of the N×N image at element offset `off` of `buf`. */
function fftAt(c: Ctx, buf: Real, off: number, forward: boolean): void {
  if (c.fftAt !== null) { c.fftAt(addr(buf, off), 1, forward); return; }
  const img = buf.subarray(off, off + 2 * c.n2);
  if (forward) c.fft.forward(img, 1); else c.fft.inverse(img, 1);
}

/** The far-field flags of the WASM kernels for this engine (constrained pixels only when some are not). */
function constrainFlags(c: Ctx): number {
  return c.d.allValid ? 0 : CONSTRAINED;
}

/**
 * Whether the far-field step carries the inverse FFT's 1/N² (complex64 kernels on power-of-two sides, outside captures):
 * N² is a power of two, so the factor's product is exact and χ bit-identical, and the inverse FFTs
 * of χ skip a pass over the image.
 */
function foldScale(c: Ctx): boolean {
  return c.fused !== null && c.wasm !== null && c.info[INFO_CAPTURE] === 0;
}

/**
 * Where to read the N×N patch of `img` at (ty, tx): `img` itself when the patch lies inside (offset
 * and row stride in c.srcOff / c.srcStride), else `scratch` filled with the edge-replicated patch.
 */
function patchSource(c: Ctx, img: Real, ty: number, tx: number, scratch: Real): Real {
  const { N, H, W } = c.d;
  if (patchInside(ty, tx, N, H, W)) { c.srcOff = 2 * (ty * W + tx); c.srcStride = 2 * W; return img; }
  extractPatch(img, H, W, ty, tx, N, scratch, 0);
  c.srcOff = 0; c.srcStride = 2 * N;
  return scratch;
}

/**
 * Multiplies the N×N spectrum of slot i (at offset 2·n2·i of `dst`) by the slot's shift ramp (c.ramp),
 * or by the conjugate ramp (`adjoint`): the Fourier sub-pixel shift of src/math/subpixel.ts with the
 * per-position exponentials computed once per run. With `src` the spectrum is read from src[0…2·n2)
 * instead of from `dst`.
 */
function applyRamp(c: Ctx, dst: Real, i: number, adjoint: boolean, src: Real | null): void {
  const N = c.d.N, n2 = c.n2, ramp = c.ramp, sg = adjoint ? -1 : 1;
  const from = src ?? dst;
  const ry = 4 * N * i, rx = ry + 2 * N;
  let k = 2 * n2 * i;
  let s = src === null ? k : 0;
  for (let u = 0; u < N; u++) {
    const yr = ramp[ry + 2 * u], yi = sg * ramp[ry + 2 * u + 1];
    for (let v = 0; v < N; v++, k += 2, s += 2) {
      const xr = ramp[rx + 2 * v], xi = sg * ramp[rx + 2 * v + 1];
      const pr = yr * xr - yi * xi, pi = yr * xi + yi * xr;
      const a = from[s], b = from[s + 1];
      dst[k] = a * pr - b * pi;
      dst[k + 1] = a * pi + b * pr;
    }
  }
}

/**
 * Forward model of slot i: P̃_i,0 = IFFT2(FFT2(P0)·ramp_i), Ψ_i,m = FFT2(O_i·P̃_i,m), Ŷ = Σ_m |Ψ|²,
 * loss term Σ(√(Ŷ+1e-7) − √(y+1e-7))², Σy and ΣŶ; Ŷ stored when `keep`. With `fuseGaussian` the
 * Gaussian far-field step Ψ' = Ψ·(1 − w·g), g = 1 − √y/(√Ŷ + 1e-9), is applied on the way.
 */
function forwardAt(c: Ctx, i: number, keep: boolean, fuseGaussian: boolean): void {
  const { N, M } = c.d;
  const n2 = c.n2, n2x2 = 2 * n2, row = 2 * N;
  const { pt0, fp0, probe, tl, opatch } = c;
  const w = c.wasm;
  // Bit-reversed spectra: this position's intensities, loaded into yhat, permuted into yb.
  if (c.bitrevReal !== null) c.bitrevReal(addr(c.yb, n2 * i), addr(c.yhat, n2 * i), 1);
  // Shifted mode-0 probe: FFT2(P0) times the position's ramp, inverse FFT.
  if (c.fused !== null) {
    c.fused.ifftRamp(addr(pt0, n2x2 * i), addr(fp0, 0), addr(c.ramp, 4 * N * i));
  } else {
    if (w) w.rampMul(addr(pt0, n2x2 * i), addr(fp0, 0), 0, addr(c.ramp, 4 * N * i), N, 1, 0);
    else applyRamp(c, pt0, i, false, fp0);
    fftAt(c, pt0, n2x2 * i, false);
  }
  // Exit waves ψ = O_i·P̃_i,m into the far-field buffer (this thread's own when the fused phase runs
  // on the WASM kernels), then their spectra.
  const psi = c.psi;
  const o = patchSource(c, c.obj, tl[2 * i], tl[2 * i + 1], opatch);
  const oOff = c.srcOff, oStride = c.srcStride;
  const local = fuseGaussian && c.farLocal !== null;
  const far = local ? c.farLocal! : c.far;
  const fusedProduct = c.fused !== null && psi === null;
  if (fusedProduct) {
    // Mode 0 (the shifted probe), then modes 1… (the probe itself) in one call.
    const step = local ? localStride(c.d) : n2x2 * c.d.Bc;
    c.fused!.fftProduct(addr(far, local ? 0 : modeOff(c, 0, i)), addr(o, oOff), c.bpe * oStride, addr(pt0, n2x2 * i), 1, 0, 0);
    if (M > 1) c.fused!.fftProduct(addr(far, local ? step : modeOff(c, 1, i)), addr(o, oOff), c.bpe * oStride, addr(probe, n2x2), M - 1, c.bpe * step, c.bpe * n2x2);
  }
  for (let m = 0; m < M && !fusedProduct; m++) {
    const src = m === 0 ? pt0 : probe;
    const so = m === 0 ? n2x2 * i : n2x2 * m;
    const fo = local ? localStride(c.d) * m : modeOff(c, m, i);
    if (w) {
      w.exitWave(addr(far, fo), addr(o, oOff), c.bpe * oStride, addr(src, so), N);
    } else {
      for (let r = 0; r < N; r++) {
        const ob = oOff + r * oStride, pb = so + r * row, fb = fo + r * row;
        for (let j = 0; j < row; j += 2) {
          const or = o[ob + j], oi = o[ob + j + 1], pr = src[pb + j], pi = src[pb + j + 1];
          far[fb + j] = or * pr - oi * pi;
          far[fb + j + 1] = or * pi + oi * pr;
        }
      }
    }
    if (psi !== null) psi.set(far.subarray(fo, fo + n2x2), fo);
    fftAt(c, far, fo, true);
  }
  if (w) {
    // In this thread's own far field the step leaves Ψ' − Ψ (the spectrum of χ): chiAt needs no exit wave.
    const flags = (keep ? KEEP_YHAT : 0) | (fuseGaussian ? GAUSS_STEP : 0) | (local ? STEP_DIFFERENCE : 0) | constrainFlags(c);
    w.intensity(addr(far, local ? 0 : modeOff(c, 0, i)), c.bpe * (local ? localStride(c.d) : n2x2 * c.d.Bc), M, addr(c.yb, n2 * i), addr(c.yhat, n2 * i), n2, c.d.gaussW,
      flags, c.d.hasMask ? addr(c.maskR, 0) : 0, c.d.thr, addr(c.pp, PP * i + PP_LOSS), foldScale(c) ? 1 / n2 : 1);
  } else {
    intensityTs(c, i, keep, fuseGaussian);
  }
}

/** Ŷ = Σ_m |Ψ_m|² (stored when `keep`), loss terms and sums of slot i; the fused Gaussian step. */
function intensityTs(c: Ctx, i: number, keep: boolean, fuseGaussian: boolean): void {
  const n2 = c.n2, M = c.d.M, w = c.d.gaussW, thr = c.d.thr, mstride = 2 * c.d.Bc * n2;
  const { far, yb, yhat, pp, mask } = c;
  const yo = n2 * i, fo = 2 * n2 * i;
  let loss = 0, sy = 0, syh = 0;
  for (let k = 0; k < n2; k++) {
    let yh = 0;
    for (let m = 0, q = fo + 2 * k; m < M; m++, q += mstride) yh += far[q] * far[q] + far[q + 1] * far[q + 1];
    const y = yb[yo + k];
    if (keep) yhat[yo + k] = yh;
    const e = Math.sqrt(yh + 1e-7) - Math.sqrt(y + 1e-7);
    loss += e * e;
    sy += y; syh += yh;
    if (fuseGaussian && mask[k] !== 0 && !(y <= thr)) {
      const factor = 1 - w * (1 - Math.sqrt(y) / (Math.sqrt(yh) + 1e-9));
      for (let m = 0, q = fo + 2 * k; m < M; m++, q += mstride) { far[q] *= factor; far[q + 1] *= factor; }
    }
  }
  pp[PP * i + PP_LOSS] = loss;
  pp[PP * i + PP_SUMY] = sy;
  pp[PP * i + PP_SUMYHAT] = syh;
}

/**
 * Poisson step sums of slot i at ā = scal[SCAL_ABAR] (PtychoShelves' gradient_descent_xi_solver):
 * ξ = (1 − y/(Ŷ + 1e-5))·K, num_i = Σ ξ·(Ŷ − y/(1 − ā·ξ)), den_i = Σ ξ²·Ŷ.
 * A pixel with y = 0 and 1 − ā·ξ = 0 contributes ξ·Ŷ (the limit y → 0), never 0/0.
 */
function poissonSumsAt(c: Ctx, i: number): void {
  const n2 = c.n2, thr = c.d.thr, abar = c.scal[SCAL_ABAR];
  const { yb, yhat, mask, pp } = c;
  const yo = n2 * i;
  if (c.wasm) {
    c.wasm.poissonSums(addr(yb, yo), addr(yhat, yo), n2, abar, constrainFlags(c), c.d.hasMask ? addr(c.maskR, 0) : 0, thr,
      addr(pp, PP * i + PP_PNUM));
    return;
  }
  let num = 0, den = 0;
  for (let k = 0; k < n2; k++) {
    if (mask[k] === 0) continue;
    const y = yb[yo + k];
    if (y <= thr) continue;
    const yh = yhat[yo + k];
    const xi = 1 - y / (yh + 1e-5);
    const q = y === 0 ? 0 : y / (1 - abar * xi);
    num += xi * (yh - q);
    den += xi * xi * yh;
  }
  pp[PP * i + PP_PNUM] = num;
  pp[PP * i + PP_PDEN] = den;
}

/** Far-field step on Ψ of slot i (Gaussian: ·(1 − w·g); Poisson: −α_i·g·Ψ with g = (1 − y/(Ŷ + 1e-6))·K). */
function farStepAt(c: Ctx, i: number): void {
  const n2 = c.n2, M = c.d.M, thr = c.d.thr, w = c.d.gaussW, poisson = c.d.noise === 'poisson';
  const { yb, yhat, mask, pp, far } = c;
  const mstride = 2 * c.d.Bc * n2;
  const yo = n2 * i, f0 = modeOff(c, 0, i);
  const alpha = pp[PP * i + PP_ALPHA];
  if (c.wasm) {
    c.wasm.farStep(addr(far, f0), c.bpe * mstride, M, addr(yb, yo), addr(yhat, yo), n2, w, alpha, poisson ? 1 : 0,
      constrainFlags(c), c.d.hasMask ? addr(c.maskR, 0) : 0, thr, foldScale(c) ? 1 / n2 : 1);
    return;
  }
  for (let k = 0; k < n2; k++) {
    if (mask[k] === 0) continue;
    const y = yb[yo + k];
    if (y <= thr) continue;
    const yh = yhat[yo + k];
    const factor = poisson ? 1 - alpha * (1 - y / (yh + 1e-6)) : 1 - w * (1 - Math.sqrt(y) / (Math.sqrt(yh) + 1e-9));
    for (let m = 0; m < M; m++) {
      const q = f0 + mstride * m + 2 * k;
      far[q] *= factor; far[q + 1] *= factor;
    }
  }
}

/**
 * Slot i: ψ' = IFFT2(Ψ') for every mode, χ = ψ' − ψ (stored in `far` for mode 0, which the step
 * sums read, and for every mode in the TypeScript loops or while captured), object directions
 * dOA = Σ_m χ_m·conj(P̃_m) (or mode 0 only without multimodal update) and dO0 = χ_0·conj(P̃_0), probe
 * directions dP_m = χ_m·conj(O_i).
 */
function chiAt(c: Ctx, i: number, local: boolean, direct: boolean): void {
  const { N, M, Bc, multimodal, separateMode0 } = c.d;
  const n2 = c.n2, row = 2 * N;
  const { far, dP, dOA, dO0, pt0, probe, opatch, tl } = c;
  const mstride = 2 * Bc * n2;
  const po = 2 * n2 * i, f0 = modeOff(c, 0, i);
  // Ψ' of this position: in the thread's own far field (`local`, Ctx.farLocal) or in `far`.
  const src = local ? c.farLocal! : far;
  const at = (m: number): number => (local ? localStride(c.d) * m : modeOff(c, m, i));
  if (foldScale(c)) c.fused!.ifftUnscaled(addr(src, at(0)), M, c.bpe * (local ? localStride(c.d) : mstride));
  else for (let m = 0; m < M; m++) fftAt(c, src, at(m), false);
  const o = patchSource(c, c.obj, tl[2 * i], tl[2 * i + 1], opatch);
  const oOff = c.srcOff, oStride = c.srcStride;
  if (c.wasm) {
    // Probe directions: mode 0 to its own image (its spectrum is shifted per position next), modes
    // m ≥ 1 into the block's slot (PROBE_BLOCK; the first position of a block stores, the rest add).
    const K = blockSize(c);
    const dP0 = K > 1 ? addr(c.farLocal!, 0) : addr(dP, f0);
    // Object directions: to dOA/dO0 (placed later), or added onto D/D0 in place (`direct`, a patch
    // inside the object), or to this thread's scratch and placed from there (`direct`, an edge patch).
    let dO = addr(dOA, po), dOm0 = separateMode0 ? addr(dO0, po) : 0, dStride = c.bpe * row, add = 0, edge = false;
    if (direct) {
      const ty = tl[2 * i], tx = tl[2 * i + 1];
      if (patchInside(ty, tx, N, c.d.H, c.d.W)) {
        const at = 2 * (ty * c.d.W + tx);
        dO = addr(c.D, at); dOm0 = separateMode0 ? addr(c.D0, at) : 0; dStride = c.bpe * 2 * c.d.W; add = ADD_DIRECTIONS;
      } else {
        edge = true;
        dO = addr(c.dpatch, 0); dOm0 = separateMode0 ? addr(c.d0patch!, 0) : 0;
      }
    }
    c.wasm.chiDirections(addr(src, at(0)), c.bpe * (local ? localStride(c.d) : mstride), M, addr(far, f0), dP0, addr(dP, 2 * n2 * Math.floor(i / K)),
      c.bpe * mstride, dO, dOm0, dStride, addr(pt0, po), addr(probe, 0), addr(o, oOff), c.bpe * oStride, N,
      (multimodal ? MULTIMODAL : 0) | (c.info[INFO_CAPTURE] !== 0 ? KEEP_CHI : 0) | (i % K !== 0 ? ACCUMULATE : 0) | (local ? CHI_GIVEN : 0) | add);
    if (edge) scatterWasm(c, c.wasm, c.dpatch, c.d0patch!, 0, tl[2 * i], tl[2 * i + 1], 0, c.d.H);
    return;
  }
  for (let r = 0; r < N; r++) {
    const ob = oOff + r * oStride;
    for (let j = 0; j < row; j += 2) {
      const k = r * row + j;
      const or = o[ob + j], oi = o[ob + j + 1];
      let pr = pt0[po + k], pi = pt0[po + k + 1];
      let q = f0 + k;
      let xr = far[q] - (or * pr - oi * pi);
      let xi = far[q + 1] - (or * pi + oi * pr);
      far[q] = xr; far[q + 1] = xi;
      dP[q] = xr * or + xi * oi;
      dP[q + 1] = xi * or - xr * oi;
      const d0r = xr * pr + xi * pi, d0i = xi * pr - xr * pi;
      let dr = d0r, di = d0i;
      for (let m = 1; m < M; m++) {
        q += mstride;
        pr = probe[2 * n2 * m + k]; pi = probe[2 * n2 * m + k + 1];
        xr = far[q] - (or * pr - oi * pi);
        xi = far[q + 1] - (or * pi + oi * pr);
        far[q] = xr; far[q + 1] = xi;
        dP[q] = xr * or + xi * oi;
        dP[q + 1] = xi * or - xr * oi;
        if (multimodal) { dr += xr * pr + xi * pi; di += xi * pr - xr * pi; }
      }
      dOA[po + k] = dr; dOA[po + k + 1] = di;
      if (separateMode0) { dO0[po + k] = d0r; dO0[po + k + 1] = d0i; }
    }
  }
}

/** Mode-0 probe direction of slot i → its spectrum times the conjugate ramp (the adjoint sub-pixel shift). */
function probeSpectrumAt(c: Ctx, i: number): void {
  const n2x2 = 2 * c.n2, K = blockSize(c);
  if (K > 1) {
    // The spectrum of this position's own image (chiAt), shifted into (or added to) its block's slot.
    fftAt(c, c.farLocal!, 0, true);
    c.wasm!.rampMul(addr(c.dP, n2x2 * Math.floor(i / K)), addr(c.farLocal!, 0), 0, addr(c.ramp, 4 * c.d.N * i), c.d.N, 1,
      CONJ | (i % K !== 0 ? ACCUMULATE : 0));
    return;
  }
  fftAt(c, c.dP, n2x2 * i, true);
  if (c.wasm) c.wasm.rampMul(addr(c.dP, n2x2 * i), addr(c.dP, n2x2 * i), 0, addr(c.ramp, 4 * c.d.N * i), c.d.N, 1, CONJ);
  else applyRamp(c, c.dP, i, true, null);
}

/**
 * Row part p of the batch's bounding box: zero and scatter-add the directions (`scatter`), divide by
 * the damped preconditioner (`precondition`); pixel part p of the probe: batch sums of dP (`reduce`).
 */
function place(c: Ctx, p: number, parts: number, scatter: boolean, precondition: boolean, reduce: boolean): void {
  const { N, H, W, M, Bc, separateMode0 } = c.d;
  const B = c.info[INFO_B];
  const R0 = c.info[INFO_R0], R1 = c.info[INFO_R1], C0 = c.info[INFO_C0], C1 = c.info[INFO_C1];
  const [ra, rb] = split(R1 - R0, p, parts);
  const r0 = R0 + ra, r1 = R0 + rb;
  const n2 = c.n2;
  const w = c.wasm;
  if (scatter && r1 > r0) {
    // Slots before `placed` are on D already (directPlaced), which was zeroed before them.
    const placed = directPlaced(c, parts);
    if (placed === 0) {
      for (let r = r0; r < r1; r++) {
        c.D.fill(0, 2 * (r * W + C0), 2 * (r * W + C1));
        if (separateMode0) c.D0.fill(0, 2 * (r * W + C0), 2 * (r * W + C1));
      }
    }
    for (let i = placed; i < B; i++) {
      const ty = c.tl[2 * i], tx = c.tl[2 * i + 1];
      if (w) { scatterWasm(c, w, c.dOA, c.dO0, 2 * n2 * i, ty, tx, r0, r1); continue; }
      addPatch(c.D, H, W, ty, tx, N, c.dOA, 2 * n2 * i, r0, r1);
      if (separateMode0) addPatch(c.D0, H, W, ty, tx, N, c.dO0, 2 * n2 * i, r0, r1);
    }
  }
  if (precondition && r1 > r0 && C1 > C0) {
    const { D, D0, invDen } = c;
    for (let r = r0; r < r1; r++) {
      const j0 = r * W + C0;
      if (w) {
        w.mulReal(addr(D, 2 * j0), addr(invDen, j0), C1 - C0);
        if (separateMode0) w.mulReal(addr(D0, 2 * j0), addr(invDen, j0), C1 - C0);
        continue;
      }
      for (let x = C0; x < C1; x++) {
        const j = r * W + x, s = invDen[j];
        D[2 * j] *= s; D[2 * j + 1] *= s;
        if (separateMode0) { D0[2 * j] *= s; D0[2 * j + 1] *= s; }
      }
    }
  }
  if (reduce) {
    // Pixel part p of each mode: accumulate the slots (positions, or the groups of blocks of
    // PROBE_BLOCK positions, see PROBE_GROUPS) in batch order (the same order for any split).
    const [k0, k1] = split(n2, p, parts);
    const { dP, dPsum } = c;
    const K = blockSize(c), slots = Math.ceil(B / K);
    const add = (dst: Real, dOff: number, src: Real, sOff: number): void => {
      if (w) { if (k1 > k0) w.addTo(addr(dst, dOff + 2 * k0), addr(src, sOff + 2 * k0), 2 * (k1 - k0)); return; }
      for (let k = 2 * k0; k < 2 * k1; k++) dst[dOff + k] += src[sOff + k];
    };
    for (let m = 0; m < M; m++) {
      const so = 2 * n2 * m, slot = (i: number): number => 2 * n2 * (m * Bc + i);
      dPsum.fill(0, so + 2 * k0, so + 2 * k1);
      if (K === 1) {
        for (let i = 0; i < slots; i++) add(dPsum, so, dP, slot(i));
        continue;
      }
      for (let g0 = 0; g0 < slots;) {
        const g1 = probeGroupOf(slots, g0)[1];
        if (!groupHeldWhole(slots, g0, g1, parts)) for (let b = g0 + 1; b < g1; b++) add(dP, slot(g0), dP, slot(b));
        add(dPsum, so, dP, slot(g0));
        g0 = g1;
      }
    }
  }
}

/**
 * addPatch of an object direction (`src` from element `base`, an N×N patch at (ty, tx)) onto D, and of
 * its mode-0 copy (`src0`, same offset) onto D0 when they differ; rows [r0, r1) only, outside pixels
 * dropped: one WASM call for the whole patch and both images.
 */
function scatterWasm(c: Ctx, w: LsqmlWasm, src: Real, src0: Real, base: number, ty: number, tx: number, r0: number, r1: number): void {
  const { N, H, W, separateMode0 } = c.d;
  const y0 = Math.max(ty, r0, 0), y1 = Math.min(ty + N, r1, H);
  const x0 = Math.max(tx, 0), x1 = Math.min(tx + N, W);
  if (y0 >= y1 || x0 >= x1) return;
  const at = 2 * (y0 * W + x0), from = base + 2 * ((y0 - ty) * N + (x0 - tx));
  w.placePatch(addr(c.D, at), c.bpe * 2 * W, addr(src, from), c.bpe * 2 * N,
    separateMode0 ? addr(c.D0, at) : 0, separateMode0 ? addr(src0, from) : 0, y1 - y0, 2 * (x1 - x0));
}

/**
 * Per-position sums of the joint step-size system (mode 0): A = ΔÔ⁽⁰⁾_i·P̃_i,0, Q = ΔP̂_0·O_i, c = χ_i,0:
 * Σ|A|², Σ|Q|², ΣA·conj(Q), ΣRe(conj(A)·c), ΣRe(conj(Q)·c).
 */
function stepSums(c: Ctx, i0: number, i1: number): void {
  const N = c.d.N;
  const n2 = c.n2, row = 2 * N;
  const { pt0, far, dPhat, opatch, dpatch, tl, pp } = c;
  for (let i = i0; i < i1; i++) {
    const ty = tl[2 * i], tx = tl[2 * i + 1];
    const d = patchSource(c, c.D0, ty, tx, dpatch);
    const dOff = c.srcOff, dStride = c.srcStride;
    const o = patchSource(c, c.obj, ty, tx, opatch);
    const oOff = c.srcOff, oStride = c.srcStride;
    const po = 2 * n2 * i, f0 = modeOff(c, 0, i);
    if (c.wasm) {
      c.wasm.stepSums(addr(d, dOff), c.bpe * dStride, addr(o, oOff), c.bpe * oStride, addr(pt0, po), addr(dPhat, 0), addr(far, f0), N,
        addr(pp, PP * i + PP_AA));
      continue;
    }
    let aa = 0, qq = 0, aqr = 0, aqi = 0, b1 = 0, b2 = 0;
    for (let r = 0; r < N; r++) {
      const db = dOff + r * dStride, ob = oOff + r * oStride;
      for (let j = 0; j < row; j += 2) {
        const k = r * row + j;
        const dr = d[db + j], di = d[db + j + 1], pr = pt0[po + k], pi = pt0[po + k + 1];
        const ar = dr * pr - di * pi, ai = dr * pi + di * pr;
        const hr = dPhat[k], hi = dPhat[k + 1], or = o[ob + j], oi = o[ob + j + 1];
        const qr = hr * or - hi * oi, qi = hr * oi + hi * or;
        const cr = far[f0 + k], ci = far[f0 + k + 1];
        aa += ar * ar + ai * ai;
        qq += qr * qr + qi * qi;
        aqr += ar * qr + ai * qi;
        aqi += ai * qr - ar * qi;
        b1 += ar * cr + ai * ci;
        b2 += qr * cr + qi * ci;
      }
    }
    const s = PP * i;
    pp[s + PP_AA] = aa; pp[s + PP_QQ] = qq; pp[s + PP_AQRE] = aqr; pp[s + PP_AQIM] = aqi;
    pp[s + PP_B1] = b1; pp[s + PP_B2] = b2;
  }
}

/** Row part p of the bounding box: O += α_O·D' (α_O = scal[SCAL_ALPHA_O], learning rate included). */
function applyObject(c: Ctx, p: number, parts: number): void {
  const W = c.d.W;
  const R0 = c.info[INFO_R0], R1 = c.info[INFO_R1], C0 = c.info[INFO_C0], C1 = c.info[INFO_C1];
  const [ra, rb] = split(R1 - R0, p, parts);
  const a = c.scal[SCAL_ALPHA_O];
  const { obj, D } = c;
  if (C1 <= C0) return;
  for (let r = R0 + ra; r < R0 + rb; r++) {
    const j0 = 2 * (r * W + C0), e = 2 * (r * W + C1);
    if (c.wasm) { c.wasm.axpy(addr(obj, j0), addr(D, j0), a, e - j0); continue; }
    for (let j = j0; j < e; j++) obj[j] += a * D[j];
  }
}

/** Row part p of the object: the illumination map of p2 over every position (preconditioner.ts). */
function illuminate(c: Ctx, p: number, parts: number): void {
  const { N, H, W, n } = c.d;
  const [r0, r1] = split(H, p, parts);
  const w = c.wasm;
  if (!w) { addIllumination(c.illum, c.p2, N, c.tlAll, n, H, W, r0, r1); return; }
  // The same sums in the same order, each row segment added by the WASM adder.
  const { illum, p2, tlAll } = c;
  illum.fill(0, r0 * W, r1 * W);
  for (let i = 0; i < n; i++) {
    const ty = tlAll[2 * i], tx = tlAll[2 * i + 1];
    const y0 = Math.max(ty, r0), y1 = Math.min(ty + N, r1), x0 = Math.max(tx, 0), x1 = Math.min(tx + N, W);
    if (x1 <= x0) continue;
    for (let y = y0; y < y1; y++) w.addReal64(addr(illum, y * W + x0), addr(p2, (y - ty) * N + x0 - tx), x1 - x0);
  }
}
