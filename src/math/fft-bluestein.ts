/**
 * Bluestein's chirp-z 2-D FFT on the WebAssembly complex128 kernel, for sides the kernel does not take (a prime
 * factor above 13: 17, 19, 97, 994 = 2·7·71 …).
 *
 * Rows, then columns, in blocks of lines (≈ 512 KiB of the convolution's lines at a time, in the shared wasm arena).
 * Along an axis of length n the kernel does not take, each line runs Bluestein's algorithm: with c_k = e^{−iπk²/n},
 * X_k = c_k·Σ_j (x_j·c_j)·conj(c_{k−j}), a linear convolution done as a circular one of length m ≥ 2n − 1 (the
 * cheapest such side the kernel takes, bluesteinLength): chirp product into the zero-padded line, the
 * kernel's forward transform of all the block's lines, a product by the convolution kernel's spectrum, the kernel's
 * inverse transform (its 1/m is Bluestein's), chirp product out. The inverse transform uses the conjugate chirps and
 * scales by 1/n. Along an axis the kernel takes (a 17×64 image's rows), the lines run on the kernel directly. The
 * chirp and pointwise products run in TypeScript.
 */
import { bluesteinChirp, bluesteinKernel, checkBuffer } from './fft-ts.js';
import { WasmFft2, allocShared, freeShared, wasmFftSize } from './fft-wasm.js';
import { nextPow2, oddFactors235 } from './fft-sides.js';

/** Bytes of convolution lines per block. */
const BLOCK_BYTES = 512 * 1024;

/**
 * Cost per m·log₂ m of a forward + inverse line of m on the kernel, relative to a power of two up to 2048 (measured,
 * one thread, 32 lines in the arena: 1024 and 2048 0.91–0.99 ns, 2000, 2025, 3920, 4000 and 4116 1.21–1.43 ns, 4096
 * 2.25 ns; docs/fft.md).
 */
const LINE_COST = { pow2: 1, pow2Long: 2.3, mixed: 1.3 } as const;

/**
 * Bluestein's convolution length for a side n: of the sides from 2n − 1 to the next power of two whose only prime
 * factors are 2, 3 and 5, the one whose line costs least by LINE_COST (17 → 36, 97 → 200, 994 → 2048, 1958 → 4000).
 */
export function bluesteinLength(n: number): number {
  const lo = 2 * n - 1, top = nextPow2(lo);
  let best = top, bestCost = Infinity;
  for (let m = lo; m <= top; m++) {
    if (oddFactors235(m) === null) continue; // only prime factors 2, 3 and 5
    const f = m === top ? (m > 2048 ? LINE_COST.pow2Long : LINE_COST.pow2) : LINE_COST.mixed;
    const cost = m * Math.log2(m) * f;
    if (cost < bestCost) { best = m; bestCost = cost; }
  }
  return best;
}

/** One axis: its length n, the line length m the kernel transforms, and for Bluestein the chirp and kernel spectra. */
interface Axis {
  n: number;
  m: number;
  plan: WasmFft2;
  /** null where the kernel takes n (m = n). */
  bl: { chirp: Float64Array; kf: Float64Array; ki: Float64Array } | null;
}

function makeAxis(n: number): Axis {
  if (wasmFftSize(n)) return { n, m: n, plan: new WasmFft2(1, n), bl: null };
  const m = bluesteinLength(n);
  const plan = new WasmFft2(1, m);
  const chirp = bluesteinChirp(n);
  const spectrum = (conjugate: boolean): Float64Array => {
    const b = bluesteinKernel(chirp, m, conjugate);
    plan.forward(b, 1);
    return b;
  };
  return { n, m, plan, bl: { chirp, kf: spectrum(true), ki: spectrum(false) } };
}

/** Batched 2-D FFT of h×w complex128 images, Bluestein's algorithm on the wasm kernel (the API of createFft2's plans). */
export class BluesteinWasmFft2 {
  readonly h: number;
  readonly w: number;
  readonly backend = 'wasm-bluestein' as const;
  /** The line lengths the kernel transforms along the columns and the rows: Bluestein's m, or the side itself. */
  readonly lengths: readonly [number, number];
  private readonly rows: Axis;
  private readonly cols: Axis;

  constructor(h: number, w: number) {
    this.h = h; this.w = w;
    this.rows = makeAxis(w);
    this.cols = h === w ? this.rows : makeAxis(h);
    this.lengths = [this.cols.m, this.rows.m];
  }

  forward(buf: Float64Array, count = 1): void { this.run(buf, count, true); }

  inverse(buf: Float64Array, count = 1): void { this.run(buf, count, false); }

  private run(buf: Float64Array, count: number, forward: boolean): void {
    const { h, w } = this;
    checkBuffer(buf, count, h * w);
    if (count === 0) return;
    const lines = (a: Axis): number => Math.max(1, Math.floor(BLOCK_BYTES / (16 * a.m)));
    const z = allocShared(2 * Math.max(lines(this.rows) * this.rows.m, lines(this.cols) * this.cols.m));
    try {
      for (let b = 0; b < count; b++) {
        const o = 2 * b * h * w;
        // rows: h lines of w, 1 apart; columns: w lines of h, w apart
        for (let l0 = 0, B = lines(this.rows); l0 < h; l0 += B) axisBlock(buf, o, this.rows, z, l0, Math.min(B, h - l0), 2 * w, 2, forward);
        for (let l0 = 0, B = lines(this.cols); l0 < w; l0 += B) axisBlock(buf, o, this.cols, z, l0, Math.min(B, w - l0), 2, 2 * w, forward);
      }
    } finally {
      freeShared(z);
    }
  }
}

/**
 * Transforms lines l0 … l0 + L − 1 of one axis of the image at buf[o…] (line l's element k at
 * o + l·lineStep + k·elemStep, in doubles) through z (L lines of a.m complexes, in the arena).
 */
function axisBlock(buf: Float64Array, o: number, a: Axis, z: Float64Array, l0: number, L: number, lineStep: number, elemStep: number, forward: boolean): void {
  const { n, m, plan, bl } = a;
  const zl = z.subarray(0, 2 * L * m);
  if (bl === null) {
    for (let k = 0; k < n; k++) {
      for (let l = 0, i = o + (l0 * lineStep) + k * elemStep, j = 2 * k; l < L; l++, i += lineStep, j += 2 * m) { zl[j] = buf[i]; zl[j + 1] = buf[i + 1]; }
    }
    if (forward) plan.forward(zl, L); else plan.inverse(zl, L);
    for (let k = 0; k < n; k++) {
      for (let l = 0, i = o + (l0 * lineStep) + k * elemStep, j = 2 * k; l < L; l++, i += lineStep, j += 2 * m) { buf[i] = zl[j]; buf[i + 1] = zl[j + 1]; }
    }
    return;
  }
  const { chirp, kf, ki } = bl;
  const s = forward ? 1 : -1; // the inverse's chirps are the conjugates
  zl.fill(0);
  for (let k = 0; k < n; k++) {
    const cr = chirp[2 * k], ci = s * chirp[2 * k + 1];
    for (let l = 0, i = o + (l0 * lineStep) + k * elemStep, j = 2 * k; l < L; l++, i += lineStep, j += 2 * m) {
      const xr = buf[i], xi = buf[i + 1];
      zl[j] = xr * cr - xi * ci; zl[j + 1] = xr * ci + xi * cr;
    }
  }
  plan.forward(zl, L);
  const K = forward ? kf : ki;
  for (let l = 0; l < L; l++) {
    for (let v = 0, j = 2 * l * m; v < 2 * m; v += 2, j += 2) {
      const kr = K[v], kim = K[v + 1], xr = zl[j], xi = zl[j + 1];
      zl[j] = xr * kr - xi * kim; zl[j + 1] = xr * kim + xi * kr;
    }
  }
  plan.inverse(zl, L);
  const scale = forward ? 1 : 1 / n;
  for (let k = 0; k < n; k++) {
    const cr = chirp[2 * k] * scale, ci = s * chirp[2 * k + 1] * scale;
    for (let l = 0, i = o + (l0 * lineStep) + k * elemStep, j = 2 * k; l < L; l++, i += lineStep, j += 2 * m) {
      const yr = zl[j], yi = zl[j + 1];
      buf[i] = yr * cr - yi * ci; buf[i + 1] = yr * ci + yi * cr;
    }
  }
}
