/**
 * Far-field forward model, dose scaling and Poisson noise (Phase C physics).
 *
 * For a scan centre (x, y) the object patch is taken on the integer grid and the sub-pixel remainder
 * is applied to the probe by a Fourier shift — exactly the model of pty-chi's LSQML (see scan.ts):
 *
 *   P̃ = IFFT2( FFT2(P) · e^{−2πi(f_y·u + f_x·v)} ),   u, v = fftfreq(N)
 *   ψ  = O[t_y : t_y+N, t_x : t_x+N] · P̃               (exit wave)
 *   Ψ  = FFT2(ψ)                                        (unscaled; DC at [0, 0])
 *
 * Dose: with s = sqrt(dose / mean_n Σ|ψ_n|²) (the mean over every position of the scan, Σ|ψ|² in
 * float64), the expected photon count of a detector pixel is λ = s²·I with I = |FFT2(ψ)|² / N²
 * (computed once for all doses and kept in float32), so by Parseval the expected total per pattern
 * averages `dose` over the scan (to float32 rounding of I, ~1e-7 relative). Counts are drawn as
 * exact Poisson(λ), one pattern after another in the order of the intensities given to `sampleDose`
 * and, within a pattern, pixel by pixel in the row-major order of the stored (centred) array.
 * The stored value is the DATA-001 amplitude `sqrt(counts) / s` as float32, DC at [N//2, N//2]
 * (fftshift); photon counts come back as (diffraction·s)².
 */
import { createFft2, fftfreq, type Fft2 } from '../math/fft.js';
import type { Rng } from '../math/rng.js';
import type { ComplexImage } from '../math/image.js';
import type { Placement } from '../math/positions.js';
import { placement } from './scan.js';
import type { ScanPositions } from './types.js';

/** Where the pattern of scan position `index` is written: `data[offset … offset + N²)`. */
export type PatternSink = (index: number) => { data: Float32Array; offset: number };

export interface SimulateOptions {
  /** 'poisson' (default): counts ~ Poisson(λ). 'none': store the noise-free amplitude sqrt(λ)/s. */
  noise?: 'poisson' | 'none';
  /** Called every ~1 M pixels with the number of patterns done so far. */
  onBatch?: (done: number, total: number) => void;
  /**
   * Mean Σ|ψ|² that defines the intensity scale, when `ff` holds only part of the scan (e.g. one
   * split): the mean over the whole scan, from `exitWavePowers`. Default: the mean of `ff.powers`.
   */
  meanPower?: number;
}

export interface SimulationResult {
  dose: number;
  /** s = sqrt(dose / mean Σ|ψ|²): counts = (diffraction·s)². */
  intensityScale: number;
  /** mean over positions of Σ_pixels |ψ|² (unscaled exit wave power). */
  meanExitWavePower: number;
  /** Expected photons per pattern, Σλ (its mean over the scan equals the dose). */
  expectedTotals: Float64Array;
  /** Photons actually counted per pattern (equal to expectedTotals when noise = 'none'). */
  countTotals: Float64Array;
  /** Largest count (or λ when noise = 'none') in any pixel. */
  maxPixelCount: number;
  noise: 'poisson' | 'none';
}

export interface FarFieldOptions {
  /** Patterns per FFT batch (default: about 4 MB of complex128 work buffer). */
  batch?: number;
  /** A ready FFT plan for N×N (e.g. a WASM one); default `createFft2(N, N)`. */
  fft?: Fft2;
}

export class FarFieldSimulator {
  readonly n: number;
  readonly object: ComplexImage;
  readonly probe: ComplexImage;
  private readonly fft: Fft2;
  private readonly batch: number;
  private readonly probeF: Float64Array;
  private readonly freq: Float64Array;
  private readonly buf: Float64Array;
  private readonly ey: Float64Array;
  private readonly ex: Float64Array;
  private readonly tops: Int32Array;

  constructor(object: ComplexImage, probe: ComplexImage, opts: FarFieldOptions = {}) {
    if (probe.h !== probe.w) throw new RangeError(`probe must be square, got ${probe.h}×${probe.w}`);
    const n = probe.h;
    if (object.h < n || object.w < n) throw new RangeError(`object ${object.h}×${object.w} is smaller than the ${n}×${n} probe`);
    this.n = n;
    this.object = object;
    this.probe = probe;
    this.fft = opts.fft ?? createFft2(n, n);
    if (this.fft.h !== n || this.fft.w !== n) throw new RangeError(`FFT plan is ${this.fft.h}×${this.fft.w}, probe is ${n}×${n}`);
    this.batch = Math.max(1, opts.batch ?? Math.max(1, Math.floor((4 << 20) / (16 * n * n))));
    this.probeF = Float64Array.from(probe.data);
    this.fft.forward(this.probeF, 1);
    this.freq = fftfreq(n);
    this.buf = new Float64Array(this.batch * 2 * n * n);
    this.ey = new Float64Array(2 * n);
    this.ex = new Float64Array(2 * n);
    this.tops = new Int32Array(2 * this.batch);
  }

  /** Fills the work buffer with the exit waves ψ of positions [start, start+count); returns Σ|ψ|² in `powers`. */
  private exitWaves(pos: ScanPositions, start: number, count: number, powers: Float64Array | null): void {
    const n = this.n, nn = n * n, { h, w, data: O } = this.object;
    const { buf, probeF, freq, ey, ex, tops } = this;
    const py: Placement = { top: 0, frac: 0 }, px: Placement = { top: 0, frac: 0 };
    const twoPi = 2 * Math.PI;
    for (let j = 0; j < count; j++) {
      const i = start + j;
      placement(pos.y[i], h, n, py);
      placement(pos.x[i], w, n, px);
      if (py.top < 0 || px.top < 0 || py.top + n > h || px.top + n > w) {
        throw new RangeError(`scan position ${i} (x=${pos.x[i]}, y=${pos.y[i]}) puts its ${n}×${n} patch outside the ${h}×${w} object`);
      }
      tops[2 * j] = py.top;
      tops[2 * j + 1] = px.top;
      for (let k = 0; k < n; k++) {
        const a = -twoPi * py.frac * freq[k], b = -twoPi * px.frac * freq[k];
        ey[2 * k] = Math.cos(a); ey[2 * k + 1] = Math.sin(a);
        ex[2 * k] = Math.cos(b); ex[2 * k + 1] = Math.sin(b);
      }
      const base = 2 * nn * j;
      for (let r = 0; r < n; r++) {
        const yr = ey[2 * r], yi = ey[2 * r + 1];
        const row = 2 * r * n;
        for (let c = 0; c < n; c++) {
          const k = row + 2 * c;
          const rr = yr * ex[2 * c] - yi * ex[2 * c + 1];
          const ri = yr * ex[2 * c + 1] + yi * ex[2 * c];
          const pr = probeF[k], pi = probeF[k + 1];
          buf[base + k] = pr * rr - pi * ri;
          buf[base + k + 1] = pr * ri + pi * rr;
        }
      }
    }
    this.fft.inverse(buf, count);
    for (let j = 0; j < count; j++) {
      const base = 2 * nn * j;
      const ty = tops[2 * j], tx = tops[2 * j + 1];
      let p = 0;
      for (let r = 0; r < n; r++) {
        let o = 2 * ((ty + r) * w + tx);
        let k = base + 2 * r * n;
        for (let c = 0; c < n; c++, o += 2, k += 2) {
          const or = O[o], oi = O[o + 1], pr = buf[k], pi = buf[k + 1];
          const re = or * pr - oi * pi, im = or * pi + oi * pr;
          buf[k] = re;
          buf[k + 1] = im;
          p += re * re + im * im;
        }
      }
      if (powers) powers[start + j] = p;
    }
  }

  /**
   * Exit waves ψ (interleaved complex, N×N each, back to back) of the positions `indices`, or their
   * far fields Ψ = FFT2(ψ) (unscaled, DC at [0, 0]) when `farField` is true. For tests and tools;
   * `simulate` does not go through here.
   */
  waves(pos: ScanPositions, indices: ArrayLike<number>, farField = false): Float64Array {
    const nn = this.n * this.n;
    const out = new Float64Array(indices.length * 2 * nn);
    for (let s = 0; s < indices.length; s += this.batch) {
      const cnt = Math.min(this.batch, indices.length - s);
      const sub: ScanPositions = { x: new Float64Array(cnt), y: new Float64Array(cnt) };
      for (let j = 0; j < cnt; j++) { sub.x[j] = pos.x[indices[s + j]]; sub.y[j] = pos.y[indices[s + j]]; }
      this.exitWaves(sub, 0, cnt, null);
      if (farField) this.fft.forward(this.buf, cnt);
      out.set(this.buf.subarray(0, cnt * 2 * nn), s * 2 * nn);
    }
    return out;
  }

  /** Σ_pixels |ψ|² of every position (the unscaled exit-wave power; dose-independent). */
  exitWavePowers(pos: ScanPositions, onBatch?: (done: number, total: number) => void): Float64Array {
    const total = pos.x.length;
    const powers = new Float64Array(total);
    for (let s = 0; s < total; s += this.batch) {
      const cnt = Math.min(this.batch, total - s);
      this.exitWaves(pos, s, cnt, powers);
      onBatch?.(s + cnt, total);
    }
    return powers;
  }

  /**
   * Noise-free, dose-free far-field intensities of every position: I = |FFT2(ψ)|² / N², centred
   * (DC at [N//2, N//2]), float32, positions back to back in scan order — plus Σ|ψ|² per position
   * in float64. One pass of two FFTs per position; every dose then only scales and samples (see
   * `sampleDose`). `intensity` may be given to reuse a buffer of n·N² floats.
   */
  farFieldIntensities(pos: ScanPositions, onBatch?: (done: number, total: number) => void, intensity?: Float32Array): FarFieldIntensities {
    const total = pos.x.length;
    if (pos.y.length !== total) throw new RangeError(`x has ${total} positions, y has ${pos.y.length}`);
    if (total === 0) throw new RangeError('no scan positions to simulate');
    const n = this.n, nn = n * n;
    const out = intensity ?? new Float32Array(total * nn);
    if (out.length < total * nn) throw new RangeError(`intensity buffer holds ${out.length} values, needs ${total * nn}`);
    const powers = new Float64Array(total);
    const { buf } = this;
    const inv = 1 / nn;
    for (let start = 0; start < total; start += this.batch) {
      const cnt = Math.min(this.batch, total - start);
      this.exitWaves(pos, start, cnt, powers);
      this.fft.forward(buf, cnt);
      for (let j = 0; j < cnt; j++) squareShifted(buf, 2 * nn * j, out, (start + j) * nn, n, inv);
      onBatch?.(start + cnt, total);
    }
    return { n: total, patch: n, intensity: out, powers };
  }

  /**
   * Simulates every position at `dose` expected photons per pattern (mean over the scan) and writes
   * each pattern through `sink`. Noise is drawn from `rng` in a fixed order (see the module comment).
   */
  simulate(pos: ScanPositions, dose: number, rng: Rng, sink: PatternSink, opts: SimulateOptions = {}): SimulationResult {
    checkDose(dose);
    return sampleDose(this.farFieldIntensities(pos), dose, rng, sink, opts);
  }
}

/** Output of `FarFieldSimulator.farFieldIntensities`. */
export interface FarFieldIntensities {
  /** Number of positions. */
  n: number;
  /** Pattern side N. */
  patch: number;
  /** |FFT2(ψ)|² / N², centred, float32, n·N² values in scan order. */
  intensity: Float32Array;
  /** Σ_pixels |ψ|² per position (float64). */
  powers: Float64Array;
}

function checkDose(dose: number): void {
  if (!(dose > 0) || !Number.isFinite(dose)) throw new RangeError(`dose must be a positive finite number, got ${dose}`);
}

/**
 * One dose from precomputed intensities: s = sqrt(dose / mean Σ|ψ|²), λ = s²·I per pixel, counts
 * ~ Poisson(λ) drawn pattern by pattern in scan order and pixel by pixel in stored (row-major,
 * centred) order; each pattern is written through `sink` as sqrt(counts)/s in float32.
 */
export function sampleDose(ff: FarFieldIntensities, dose: number, rng: Rng, sink: PatternSink, opts: SimulateOptions = {}): SimulationResult {
  checkDose(dose);
  const total = ff.n, nn = ff.patch * ff.patch;
  const noise = opts.noise ?? 'poisson';
  let meanPower = 0;
  if (opts.meanPower !== undefined) meanPower = opts.meanPower;
  else {
    for (let i = 0; i < total; i++) meanPower += ff.powers[i];
    meanPower /= total;
  }
  if (!(meanPower > 0)) throw new RangeError('the exit waves carry no power (object or probe is zero)');
  const s = Math.sqrt(dose / meanPower);
  const I = ff.intensity;
  const expectedTotals = new Float64Array(total);
  const countTotals = new Float64Array(total);
  let maxPix = 0;
  const step = Math.max(1, Math.floor((1 << 20) / nn));
  const sums = new Float64Array(3);
  for (let i = 0; i < total; i++) {
    const { data, offset } = sink(i);
    if (offset < 0 || offset + nn > data.length) throw new RangeError(`sink for position ${i} has no room for ${nn} values at offset ${offset}`);
    // (data may be `I` itself at the same offset: each value is read before it is overwritten)
    samplePattern(I, i * nn, nn, s, noise === 'poisson' ? rng : null, data, offset, sums);
    expectedTotals[i] = sums[0];
    countTotals[i] = sums[1];
    if (sums[2] > maxPix) maxPix = sums[2];
    if (opts.onBatch && ((i + 1) % step === 0 || i + 1 === total)) opts.onBatch(i + 1, total);
  }
  return { dose, intensityScale: s, meanExitWavePower: meanPower, expectedTotals, countTotals, maxPixelCount: maxPix, noise };
}

// The per-pattern loops live in small functions called once per pattern, so that V8 optimises
// them after a few patterns instead of relying on on-stack replacement inside one long call.

/** out[dst …] = fftshift(|buf[base …]|²)·inv for one N×N complex image (any N). */
function squareShifted(buf: Float64Array, base: number, out: Float32Array, dst: number, n: number, inv: number): void {
  // source row r lands on row (r + ⌊N/2⌋) mod N; columns [0, N − ⌊N/2⌋) land on [⌊N/2⌋, N),
  // the rest on [0, ⌊N/2⌋)
  const sh = n >> 1, cut = n - sh;
  for (let r = 0; r < n; r++) {
    let k = base + 2 * n * r;
    const row = dst + ((r + sh) % n) * n;
    for (let c = 0; c < cut; c++, k += 2) out[row + sh + c] = (buf[k] * buf[k] + buf[k + 1] * buf[k + 1]) * inv;
    for (let c = 0; c < sh; c++, k += 2) out[row + c] = (buf[k] * buf[k] + buf[k + 1] * buf[k + 1]) * inv;
  }
}

/**
 * One pattern: λ = s²·I[src + k]; counts ~ Poisson(λ) (or λ itself when `rng` is null);
 * data[offset + k] = sqrt(counts)/s. sums ← [Σλ, Σcounts, max count].
 */
function samplePattern(I: Float32Array, src: number, nn: number, s: number, rng: Rng | null,
  data: Float32Array, offset: number, sums: Float64Array): void {
  const s2 = s * s;
  let expSum = 0, cntSum = 0, maxPix = 0;
  for (let k = 0; k < nn; k++) {
    const lam = s2 * I[src + k];
    expSum += lam;
    let c: number;
    if (rng !== null) c = lam < 10 ? (lam > 0 ? poissonSmall(rng, lam) : 0) : rng.poisson(lam);
    else c = lam;
    if (c === 0) { data[offset + k] = 0; continue; }
    cntSum += c;
    if (c > maxPix) maxPix = c;
    data[offset + k] = Math.sqrt(c) / s;
  }
  sums[0] = expSum;
  sums[1] = cntSum;
  sums[2] = maxPix;
}

/**
 * Exact Poisson(λ) draw for 0 < λ < 10 by inversion (sequential search of the CDF from k = 0) with
 * one shortcut: u < 1 − λ implies u < e^{−λ} (since e^{−λ} ≥ 1 − λ), i.e. k = 0, without computing
 * the exponential. Most detector pixels have λ ≪ 1, so this halves the sampling time; the result
 * for a given uniform u is exactly what full inversion gives. λ ≥ 10 goes to `Rng.poisson` (PTRS).
 */
export function poissonSmall(rng: Rng, lam: number): number {
  for (;;) {
    const u = rng.uniform();
    if (u < 1 - lam) return 0;
    let k = 0, p = Math.exp(-lam), cdf = p;
    // beyond k = 200 the tail is far below 2^-53 for λ < 10; a u left above the computed CDF by
    // rounding is redrawn, which keeps the sampler exact
    while (u >= cdf && k < 200) {
      k++;
      p *= lam / k;
      cdf += p;
    }
    if (u < cdf) return k;
  }
}

/** Summary statistics of a set of per-pattern totals. */
export interface TotalsStats {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  sum: number;
}

export function totalsStats(values: Float64Array, indices?: Int32Array): TotalsStats {
  const m = indices ? indices.length : values.length;
  let sum = 0, min = Infinity, max = -Infinity;
  for (let j = 0; j < m; j++) {
    const v = values[indices ? indices[j] : j];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = m > 0 ? sum / m : NaN;
  let v2 = 0;
  for (let j = 0; j < m; j++) v2 += (values[indices ? indices[j] : j] - mean) ** 2;
  return { count: m, mean, std: m > 1 ? Math.sqrt(v2 / (m - 1)) : 0, min: m > 0 ? min : NaN, max: m > 0 ? max : NaN, sum };
}
