/**
 * The per-minibatch work of LSQML, split into phases that the main thread and worker threads run on
 * disjoint parts of shared buffers (spec §3, §9). A phase works on a range of batch slots
 * (per-position phases), a range of object rows (scatter, precondition, update, illumination map) or
 * a range of probe pixels (batch reduction of the probe direction). Every sum of a pixel or of a
 * position is formed by one thread in a fixed order, so results are bit-identical for any thread
 * count. The hot per-position loops call the WASM-SIMD kernels (wasm-kernels.ts) when they run; the
 * TypeScript loops here are the fallback and the reference.
 *
 * Layout (all Float64, complex interleaved re/im; n2 = N·N; Bc = batch capacity):
 *   obj [H·W]c, probe [M·n2]c, fp0 [n2]c = FFT2(probe mode 0),
 *   pt0 [Bc·n2]c  probe mode 0 shifted per position (P̃_i,0),
 *   far [M·Bc·n2]c  Ψ → Ψ' → χ (mode-major: mode m of slot i at (m·Bc + i)·n2),
 *   dP  [M·Bc·n2]c  χ·conj(O_i); mode 0 kept as its spectrum times the conjugate ramp (the adjoint
 *                   shift, applied after the batch sum),
 *   dOA [Bc·n2]c  Σ_m χ_m·conj(P̃_m) (the object direction); dO0 the mode-0 copy when it differs,
 *   D, D0 [H·W]c  placed directions (preconditioned in place), invDen [H·W] 1/√(C² + (δ·max C)²),
 *   dPsum [M·n2]c batch sums of dP, dPhat [M·n2]c the probe direction (batch mean, unshifted),
 *   yb [Bc·n2] measured intensities of the batch (DC at [0,0]), yhat [Bc·n2] predicted,
 *   tl [Bc·2] int top-left corners, frac [Bc·2] fractional shifts, ramp [Bc·4N] the separable phase
 *   ramps of the fractional shifts (ey: N complex, then ex: N complex), pp [Bc·PP] per-position sums,
 *   mask [n2] valid-pixel mask (1 = valid), info int32 [8], scal f64 [8],
 *   illum [H·W] illumination map, p2 [n2] Σ_m |P_m|² it places, tlAll int32 [n·2] every position's corner.
 * With the WASM kernels every Float64 buffer is a block of the wasm FFT arena.
 */
import type { Fft2 } from '../math/fft.js';
import { addPatch, extractPatch, patchInside } from './patches.js';
import { addIllumination } from './preconditioner.js';
import type { LsqmlWasm } from './wasm-kernels.js';

/** Per-position scalar slots (stride PP in `pp`). */
export const PP = 12;
export const PP_LOSS = 0, PP_SUMY = 1, PP_SUMYHAT = 2, PP_PNUM = 3, PP_PDEN = 4, PP_ALPHA = 5,
  PP_AA = 6, PP_QQ = 7, PP_AQRE = 8, PP_AQIM = 9, PP_B1 = 10, PP_B2 = 11;

/** `info` slots. */
export const INFO_B = 0, INFO_R0 = 1, INFO_R1 = 2, INFO_C0 = 3, INFO_C1 = 4;
/** `scal` slots. */
export const SCAL_ABAR = 0, SCAL_ALPHA_O = 1;

/** Phase identifiers. */
export const enum Phase {
  /** Forward model, loss terms (no update). */
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
  /** The WASM-SIMD kernels (wasm-kernels.ts) run the elementwise loops; every Float64 buffer is an arena block. */
  wasm: boolean;
}

/** Names of the shared buffers, in allocation order. */
export const BUFFER_NAMES = ['obj', 'probe', 'fp0', 'pt0', 'far', 'dP', 'dOA', 'dO0', 'D', 'D0', 'invDen', 'dPsum', 'dPhat',
  'yb', 'yhat', 'tl', 'frac', 'ramp', 'pp', 'mask', 'info', 'scal', 'illum', 'p2', 'tlAll'] as const;
export type BufferName = typeof BUFFER_NAMES[number];

/** Sizes in elements of every shared buffer; dO0/D0 are absent (aliased) unless separateMode0. */
export function bufferSizes(d: EngineDims): Record<BufferName, number> {
  const n2 = d.N * d.N, hw = d.H * d.W;
  return {
    obj: 2 * hw, probe: 2 * d.M * n2, fp0: 2 * n2, pt0: 2 * d.Bc * n2, far: 2 * d.M * d.Bc * n2, dP: 2 * d.M * d.Bc * n2,
    dOA: 2 * d.Bc * n2, dO0: d.separateMode0 ? 2 * d.Bc * n2 : 0, D: 2 * hw, D0: d.separateMode0 ? 2 * hw : 0,
    invDen: hw, dPsum: 2 * d.M * n2, dPhat: 2 * d.M * n2, yb: d.Bc * n2, yhat: d.Bc * n2, tl: 2 * d.Bc, frac: 2 * d.Bc,
    ramp: 4 * d.N * d.Bc, illum: hw, p2: n2, tlAll: 2 * d.n,
    pp: PP * d.Bc, mask: n2, info: 8, scal: 8,
  };
}

/** Buffers the FFT runs on in place: with the wasm backend they live in its shared arena (no copies). */
export const ARENA_BUFFERS: readonly BufferName[] = ['pt0', 'far', 'dP'];
/** Buffers that are not Float64 (never in the arena). */
const NON_F64: readonly BufferName[] = ['tl', 'info', 'mask', 'tlAll'];

/**
 * Where a buffer lives: its own (Shared)ArrayBuffer, or a block of the wasm FFT arena (a byte offset
 * into the arena's shared memory, which every thread attaches to).
 */
export type BufferDesc =
  | { kind: 'own'; buffer: SharedArrayBuffer | ArrayBuffer }
  | { kind: 'arena'; byteOffset: number; length: number };
export type SharedBuffers = Record<BufferName, BufferDesc>;

/**
 * Allocates every buffer: `shared` (worker threads will see them) uses SharedArrayBuffers;
 * `arenaAlloc`, when given, places the FFT buffers in the wasm arena — and every Float64 buffer when
 * the WASM kernels run (`d.wasm`).
 */
export function allocateBuffers(d: EngineDims, shared: boolean, arenaAlloc?: (n: number) => Float64Array): { descs: SharedBuffers; arenaViews: Float64Array[] } {
  const sizes = bufferSizes(d);
  const descs = {} as SharedBuffers;
  const arenaViews: Float64Array[] = [];
  for (const name of BUFFER_NAMES) {
    if (arenaAlloc && (ARENA_BUFFERS.includes(name) || (d.wasm && !NON_F64.includes(name)))) {
      const v = arenaAlloc(Math.max(1, sizes[name]));
      arenaViews.push(v);
      descs[name] = { kind: 'arena', byteOffset: v.byteOffset, length: v.length };
      continue;
    }
    const bytesPer = name === 'tl' || name === 'info' || name === 'tlAll' ? 4 : name === 'mask' ? 1 : 8;
    const bytes = Math.max(8, sizes[name] * bytesPer);
    descs[name] = { kind: 'own', buffer: shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes) };
  }
  return { descs, arenaViews };
}

/** Views over the shared buffers plus this thread's scratch and FFT plan. */
export interface Ctx {
  d: EngineDims;
  n2: number;
  obj: Float64Array; probe: Float64Array; fp0: Float64Array; pt0: Float64Array; far: Float64Array; dP: Float64Array;
  dOA: Float64Array; dO0: Float64Array; D: Float64Array; D0: Float64Array; invDen: Float64Array;
  dPsum: Float64Array; dPhat: Float64Array; yb: Float64Array; yhat: Float64Array;
  tl: Int32Array; frac: Float64Array; ramp: Float64Array; pp: Float64Array;
  /** Illumination map [H·W] (output of Phase.Illuminate), Σ_m |P_m|² [n2], all positions' corners [n·2]. */
  illum: Float64Array; p2: Float64Array; tlAll: Int32Array; mask: Uint8Array; info: Int32Array; scal: Float64Array;
  fft: Fft2;
  /** This thread's instance of the WASM kernels (null: the TypeScript loops run). */
  wasm: LsqmlWasm | null;
  opatch: Float64Array; dpatch: Float64Array;
  /** Set by patchSource: offset and row stride (doubles) of the patch in the array it returned. */
  srcOff: number; srcStride: number;
  /** Capture only: exit waves ψ of the batch ([M·Bc·n2]c, mode-major), written by the forward phase. */
  psi: Float64Array | null;
}

/** Per-thread scratch: an edge-replicated object patch and direction patch, N² complex each. */
export function scratchLength(d: EngineDims): number {
  return 4 * d.N * d.N;
}

/**
 * Views over the buffers; `arena` is this thread's view of the wasm arena memory (for 'arena'
 * buffers); with the WASM kernels, `wasm` is this thread's instance and `scratch` its arena block of
 * scratchLength(d) doubles.
 */
export function createCtx(d: EngineDims, b: SharedBuffers, fft: Fft2, arena?: ArrayBufferLike,
  wasm: LsqmlWasm | null = null, scratch?: Float64Array): Ctx {
  const own = (k: BufferName): SharedArrayBuffer | ArrayBuffer => {
    const x = b[k];
    if (x.kind !== 'own') throw new Error(`buffer ${k} is not a plain buffer`);
    return x.buffer;
  };
  const f64 = (k: BufferName): Float64Array => {
    const x = b[k];
    if (x.kind === 'own') return new Float64Array(x.buffer);
    if (!arena) throw new Error(`buffer ${k} lives in the wasm arena, but no arena memory was given`);
    return new Float64Array(arena, x.byteOffset, x.length);
  };
  const n2 = d.N * d.N;
  const dOA = f64('dOA'), D = f64('D');
  return {
    d, n2,
    obj: f64('obj'), probe: f64('probe'), fp0: f64('fp0'), pt0: f64('pt0'), far: f64('far'), dP: f64('dP'),
    dOA, dO0: d.separateMode0 ? f64('dO0') : dOA, D, D0: d.separateMode0 ? f64('D0') : D, invDen: f64('invDen'),
    dPsum: f64('dPsum'), dPhat: f64('dPhat'), yb: f64('yb'), yhat: f64('yhat'),
    tl: new Int32Array(own('tl')), frac: f64('frac'), ramp: f64('ramp'),
    illum: f64('illum'), p2: f64('p2'), tlAll: new Int32Array(own('tlAll')), pp: f64('pp'), mask: new Uint8Array(own('mask')), info: new Int32Array(own('info')),
    scal: f64('scal'), fft, wasm,
    opatch: scratch ? scratch.subarray(0, 2 * n2) : new Float64Array(2 * n2),
    dpatch: scratch ? scratch.subarray(2 * n2, 4 * n2) : new Float64Array(2 * n2),
    srcOff: 0, srcStride: 0, psi: null,
  };
}

/** [lo, hi) of part `p` of `parts` over [0, n). */
export function split(n: number, p: number, parts: number): [number, number] {
  return [Math.floor((n * p) / parts), Math.floor((n * (p + 1)) / parts)];
}

/** Runs part `p` of `parts` of a phase. */
export function runPhase(c: Ctx, phase: Phase, p: number, parts: number): void {
  const B = c.info[INFO_B];
  const [i0, i1] = split(B, p, parts);
  switch (phase) {
    case Phase.Forward: forward(c, i0, i1, false); break;
    case Phase.ForwardGaussianBackward:
      forward(c, i0, i1, true);
      chiDirections(c, i0, i1);
      probeSpectra(c, i0, i1);
      break;
    case Phase.PoissonSums: poissonSums(c, i0, i1); break;
    case Phase.Backward:
      farStep(c, i0, i1);
      chiDirections(c, i0, i1);
      probeSpectra(c, i0, i1);
      break;
    case Phase.FarStep: farStep(c, i0, i1); break;
    case Phase.ChiDirections: chiDirections(c, i0, i1); break;
    case Phase.ProbeSpectra: probeSpectra(c, i0, i1); break;
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
function addr(a: Float64Array, off: number): number {
  return a.byteOffset + 8 * off;
}

/**
 * Where to read the N×N patch of `img` at (ty, tx): `img` itself when the patch lies inside (offset
 * and row stride in c.srcOff / c.srcStride), else `scratch` filled with the edge-replicated patch.
 */
function patchSource(c: Ctx, img: Float64Array, ty: number, tx: number, scratch: Float64Array): Float64Array {
  const { N, H, W } = c.d;
  if (patchInside(ty, tx, N, H, W)) { c.srcOff = 2 * (ty * W + tx); c.srcStride = 2 * W; return img; }
  extractPatch(img, H, W, ty, tx, N, scratch, 0);
  c.srcOff = 0; c.srcStride = 2 * N;
  return scratch;
}

/**
 * Multiplies the N×N spectra of slots [i0, i1) (at offsets 2·n2·i of `dst`) by their slots' shift
 * ramps (c.ramp), or by the conjugate ramps (`adjoint`): the Fourier sub-pixel shift of
 * src/math/subpixel.ts with the per-position exponentials computed once per run. With `src` the
 * spectrum is read from src[0…2·n2) (the same for every slot) instead of from `dst`.
 */
function applyRamps(c: Ctx, dst: Float64Array, i0: number, i1: number, adjoint: boolean, src: Float64Array | null): void {
  const N = c.d.N, n2 = c.n2, ramp = c.ramp, sg = adjoint ? -1 : 1;
  const from = src ?? dst;
  for (let i = i0; i < i1; i++) {
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
}

/** Offset (doubles) of mode m of batch slot i in a mode-major [M·Bc·n2] buffer. */
function modeOff(c: Ctx, m: number, i: number): number {
  return 2 * c.n2 * (m * c.d.Bc + i);
}

/**
 * Forward model for slots [i0, i1): P̃_i,0 = IFFT2(FFT2(P0)·ramp_i), Ψ_i,m = FFT2(O_i·P̃_i,m),
 * Ŷ = Σ_m |Ψ|², per-position loss Σ(√(Ŷ+1e-7) − √(y+1e-7))², Σy and ΣŶ. With `fuseGaussian`
 * the Gaussian far-field step Ψ' = Ψ·(1 − w·g), g = 1 − √y/(√Ŷ + 1e-9), is applied on the way.
 */
function forward(c: Ctx, i0: number, i1: number, fuseGaussian: boolean): void {
  if (i1 <= i0) return;
  const { N, M, Bc } = c.d;
  const n2 = c.n2, cnt = i1 - i0, n2x2 = 2 * n2, row = 2 * N;
  const { pt0, fp0, far, probe, tl, opatch } = c;
  // Shifted mode-0 probes: copies of FFT2(P0) times each position's ramp, one batched inverse FFT.
  if (c.wasm) c.wasm.rampMul(addr(pt0, n2x2 * i0), addr(fp0, 0), 0, addr(c.ramp, 4 * N * i0), N, cnt, 0);
  else applyRamps(c, pt0, i0, i1, false, fp0);
  c.fft.inverse(pt0.subarray(n2x2 * i0, n2x2 * i1), cnt);
  // Exit waves ψ = O_i·P̃_i,m into the far-field buffer.
  const psi = c.psi;
  for (let i = i0; i < i1; i++) {
    const o = patchSource(c, c.obj, tl[2 * i], tl[2 * i + 1], opatch);
    const oOff = c.srcOff, oStride = c.srcStride;
    for (let m = 0; m < M; m++) {
      const src = m === 0 ? pt0 : probe;
      const so = m === 0 ? n2x2 * i : n2x2 * m;
      const fo = n2x2 * (m * Bc + i);
      if (c.wasm) {
        c.wasm.exitWave(addr(far, fo), addr(o, oOff), 8 * oStride, addr(src, so), N);
        if (psi !== null) psi.set(far.subarray(fo, fo + n2x2), fo);
        continue;
      }
      for (let r = 0; r < N; r++) {
        const ob = oOff + r * oStride, pb = so + r * row, fb = fo + r * row;
        for (let j = 0; j < row; j += 2) {
          const or = o[ob + j], oi = o[ob + j + 1], pr = src[pb + j], pi = src[pb + j + 1];
          far[fb + j] = or * pr - oi * pi;
          far[fb + j + 1] = or * pi + oi * pr;
        }
      }
      if (psi !== null) psi.set(far.subarray(fo, fo + n2x2), fo);
    }
  }
  for (let m = 0; m < M; m++) c.fft.forward(far.subarray(n2x2 * (m * Bc + i0), n2x2 * (m * Bc + i1)), cnt);
  if (M === 1 && fuseGaussian && c.wasm && c.d.allValid && n2 % 2 === 0) {
    for (let i = i0; i < i1; i++) {
      c.wasm.gaussIntensity(addr(far, n2x2 * i), addr(c.yb, n2 * i), addr(c.yhat, n2 * i), n2, c.d.gaussW, 0, addr(c.pp, PP * i + PP_LOSS));
    }
  } else if (M === 1) intensities1(c, i0, i1, fuseGaussian);
  else intensitiesM(c, i0, i1, fuseGaussian);
}

/** Ŷ (kept unless the Gaussian step is fused), loss terms and sums for one mode (the common case, no mode loop). */
function intensities1(c: Ctx, i0: number, i1: number, fuseGaussian: boolean): void {
  const n2 = c.n2, w = c.d.gaussW, thr = c.d.thr;
  const { far, yb, yhat, pp, mask } = c;
  for (let i = i0; i < i1; i++) {
    const yo = n2 * i, fo = 2 * n2 * i;
    let loss = 0, sy = 0, syh = 0;
    for (let k = 0; k < n2; k++) {
      const q = fo + 2 * k;
      const a = far[q], b = far[q + 1];
      const yh = a * a + b * b;
      const y = yb[yo + k];
      if (!fuseGaussian) yhat[yo + k] = yh;
      const e = Math.sqrt(yh + 1e-7) - Math.sqrt(y + 1e-7);
      loss += e * e;
      sy += y; syh += yh;
      if (fuseGaussian && mask[k] !== 0 && !(y <= thr)) {
        const factor = 1 - w * (1 - Math.sqrt(y) / (Math.sqrt(yh) + 1e-9));
        far[q] = a * factor; far[q + 1] = b * factor;
      }
    }
    pp[PP * i + PP_LOSS] = loss;
    pp[PP * i + PP_SUMY] = sy;
    pp[PP * i + PP_SUMYHAT] = syh;
  }
}

/** Ŷ = Σ_m |Ψ_m|², loss terms and sums for M ≥ 2 modes. */
function intensitiesM(c: Ctx, i0: number, i1: number, fuseGaussian: boolean): void {
  const n2 = c.n2, M = c.d.M, w = c.d.gaussW, thr = c.d.thr, mstride = 2 * c.d.Bc * n2;
  const { far, yb, yhat, pp, mask } = c;
  for (let i = i0; i < i1; i++) {
    const yo = n2 * i, fo = 2 * n2 * i;
    let loss = 0, sy = 0, syh = 0;
    for (let k = 0; k < n2; k++) {
      let yh = 0;
      for (let m = 0, q = fo + 2 * k; m < M; m++, q += mstride) yh += far[q] * far[q] + far[q + 1] * far[q + 1];
      const y = yb[yo + k];
      yhat[yo + k] = yh;
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
}

/**
 * Poisson step sums for slots [i0, i1) at ā = scal[SCAL_ABAR] (PtychoShelves' gradient_descent_xi_solver):
 * ξ = (1 − y/(Ŷ + 1e-5))·K, num_i = Σ ξ·(Ŷ − y/(1 − ā·ξ)), den_i = Σ ξ²·Ŷ.
 * A pixel with y = 0 and 1 − ā·ξ = 0 contributes ξ·Ŷ (the limit y → 0), never 0/0.
 */
function poissonSums(c: Ctx, i0: number, i1: number): void {
  const n2 = c.n2, thr = c.d.thr, abar = c.scal[SCAL_ABAR];
  const { yb, yhat, mask, pp } = c;
  for (let i = i0; i < i1; i++) {
    const yo = n2 * i;
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
}

/** Far-field step on Ψ (Gaussian: ·(1 − w·g); Poisson: −α_i·g·Ψ with g = (1 − y/(Ŷ + 1e-6))·K). */
function farStep(c: Ctx, i0: number, i1: number): void {
  const n2 = c.n2, M = c.d.M, thr = c.d.thr, w = c.d.gaussW, poisson = c.d.noise === 'poisson';
  const { yb, yhat, mask, pp, far } = c;
  const mstride = 2 * c.d.Bc * n2;
  for (let i = i0; i < i1; i++) {
    const yo = n2 * i, f0 = modeOff(c, 0, i);
    const alpha = pp[PP * i + PP_ALPHA];
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
}

/**
 * ψ' = IFFT2(Ψ'), χ = ψ' − ψ (stored in `far`), object directions dOA = Σ_m χ_m·conj(P̃_m) (or mode 0
 * only without multimodal update) and dO0 = χ_0·conj(P̃_0), probe directions dP_m = χ_m·conj(O_i).
 */
function chiDirections(c: Ctx, i0: number, i1: number): void {
  if (i1 <= i0) return;
  const { N, M, Bc, multimodal, separateMode0 } = c.d;
  const n2 = c.n2, cnt = i1 - i0, row = 2 * N;
  const { far, dP, dOA, dO0, pt0, probe, opatch, tl } = c;
  for (let m = 0; m < M; m++) c.fft.inverse(far.subarray(modeOff(c, m, i0), modeOff(c, m, i1)), cnt);
  const mstride = 2 * Bc * n2;
  for (let i = i0; i < i1; i++) {
    const o = patchSource(c, c.obj, tl[2 * i], tl[2 * i + 1], opatch);
    const oOff = c.srcOff, oStride = c.srcStride;
    const po = 2 * n2 * i, f0 = modeOff(c, 0, i);
    if (M === 1 && c.wasm) {
      c.wasm.chiDirections(addr(far, f0), addr(dP, f0), addr(dOA, po), addr(pt0, po), addr(o, oOff), 8 * oStride, N);
      continue;
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
}

/** Mode-0 probe directions → their spectra times the conjugate ramp (the adjoint sub-pixel shift). */
function probeSpectra(c: Ctx, i0: number, i1: number): void {
  if (i1 <= i0) return;
  const n2x2 = 2 * c.n2, cnt = i1 - i0;
  c.fft.forward(c.dP.subarray(n2x2 * i0, n2x2 * i1), cnt);
  if (c.wasm) c.wasm.rampMul(addr(c.dP, n2x2 * i0), addr(c.dP, n2x2 * i0), 8 * n2x2, addr(c.ramp, 4 * c.d.N * i0), c.d.N, cnt, 1);
  else applyRamps(c, c.dP, i0, i1, true, null);
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
  if (scatter && r1 > r0) {
    for (let r = r0; r < r1; r++) {
      c.D.fill(0, 2 * (r * W + C0), 2 * (r * W + C1));
      if (separateMode0) c.D0.fill(0, 2 * (r * W + C0), 2 * (r * W + C1));
    }
    for (let i = 0; i < B; i++) {
      const ty = c.tl[2 * i], tx = c.tl[2 * i + 1];
      if (c.wasm) {
        scatterRowsWasm(c, c.D, c.dOA, i, ty, tx, r0, r1);
        if (separateMode0) scatterRowsWasm(c, c.D0, c.dO0, i, ty, tx, r0, r1);
        continue;
      }
      addPatch(c.D, H, W, ty, tx, N, c.dOA, 2 * n2 * i, r0, r1);
      if (separateMode0) addPatch(c.D0, H, W, ty, tx, N, c.dO0, 2 * n2 * i, r0, r1);
    }
  }
  if (precondition && r1 > r0) {
    const { D, D0, invDen } = c;
    for (let r = r0; r < r1; r++) {
      for (let x = C0; x < C1; x++) {
        const j = r * W + x, s = invDen[j];
        D[2 * j] *= s; D[2 * j + 1] *= s;
        if (separateMode0) { D0[2 * j] *= s; D0[2 * j + 1] *= s; }
      }
    }
  }
  if (reduce) {
    // Pixel part p of each mode: accumulate positions in batch order (the same order for any split).
    const [k0, k1] = split(n2, p, parts);
    const { dP, dPsum } = c;
    for (let m = 0; m < M; m++) {
      const so = 2 * n2 * m;
      dPsum.fill(0, so + 2 * k0, so + 2 * k1);
      for (let i = 0; i < B; i++) {
        const po = 2 * n2 * (m * Bc + i);
        if (c.wasm) { if (k1 > k0) c.wasm.addTo(addr(dPsum, so + 2 * k0), addr(dP, po + 2 * k0), 2 * (k1 - k0)); continue; }
        for (let k = 2 * k0; k < 2 * k1; k++) dPsum[so + k] += dP[po + k];
      }
    }
  }
}

/** addPatch (rows [r0, r1) only, outside pixels dropped) with the WASM row adder. */
function scatterRowsWasm(c: Ctx, img: Float64Array, src: Float64Array, i: number, ty: number, tx: number, r0: number, r1: number): void {
  const { N, H, W } = c.d;
  const y0 = Math.max(ty, r0, 0), y1 = Math.min(ty + N, r1, H);
  const x0 = Math.max(tx, 0), x1 = Math.min(tx + N, W);
  if (y0 >= y1 || x0 >= x1) return;
  const base = 2 * c.n2 * i;
  for (let y = y0; y < y1; y++) {
    c.wasm!.addTo(addr(img, 2 * (y * W + x0)), addr(src, base + 2 * ((y - ty) * N + (x0 - tx))), 2 * (x1 - x0));
  }
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
      c.wasm.stepSums(addr(d, dOff), 8 * dStride, addr(o, oOff), 8 * oStride, addr(pt0, po), addr(dPhat, 0), addr(far, f0), N, addr(pp, PP * i + PP_AA));
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
  for (let r = R0 + ra; r < R0 + rb; r++) {
    for (let j = 2 * (r * W + C0), e = 2 * (r * W + C1); j < e; j++) obj[j] += a * D[j];
  }
}

/** Row part p of the object: the illumination map of p2 over every position (preconditioner.ts). */
function illuminate(c: Ctx, p: number, parts: number): void {
  const { N, H, W, n } = c.d;
  const [r0, r1] = split(H, p, parts);
  addIllumination(c.illum, c.p2, N, c.tlAll, n, H, W, r0, r1);
}
