/**
 * Putting a reconstruction and its ground truth in the same gauge before any metric (docs/metrics.md).
 *
 * 1. Region: the ground truth is `objectGuess` of the dataset the reconstruction was made from, cut to
 *    the scanned region (`scannedRegion`); a reconstruction in the same frame (same shape as
 *    `objectGuess`) is cut to the same window. One in another frame is centre-cropped with the window
 *    to their common size.
 * 2. Registration: upsampled (factor 50) cross-correlation of |gt| and |rec|, each with its mean removed
 *    and a Hann window applied, without the spectral whitening of scikit-image's default
 *    (`normalization=None`), repeated on the shifted image until the correction is below 1/50 px (at most
 *    4 rounds); then `fourierShift` of the complex reconstruction by (dy, dx), and a border of b = max(2, ⌈max(|dy|, |dx|)⌉) pixels is cut from every
 *    edge of both, which removes what the circular shift wrapped around. Registration correlates phases
 *    instead of amplitudes when either amplitude has no contrast, and nothing when that image's phase is flat too.
 *    Candidates of the plain correlation, judged over the overlap, restart the rounds when the taper has
 *    led them to a wrong peak (coarse-shift.ts). A shift larger than a quarter
 *    of the window is treated as a failed registration (recorded; the unregistered image is used).
 *    Why not the reference's call as is: whitened ('phase') correlation of un-windowed windows locks on
 *    the window edges and on noise for smooth, noisy reconstructions (errors of tens of pixels in
 *    test/metrics/align.test.ts), and a single pass is biased toward zero by the window.
 * 3. Phase: the phase difference d = arg(gt·conj(rec)) is fitted by a plane a·x + b·y + c (x, y = pixel
 *    column and row in the compared window) — first a wrap-free estimate of the slopes from the mean
 *    neighbour phasor products, then the least-squares plane of the remaining wrapped difference — and
 *    rec is multiplied by exp(i(a·x + b·y + c)). This removes the global phase offset and any phase ramp
 *    (the ambiguities of ptychography) and minimises the phase MSE among planes.
 * 4. Amplitude scale: rec is multiplied by s = Σ|gt|·|rec| / Σ|rec|², the least-squares amplitude
 *    factor (the object–probe scale ambiguity). Steps 3 and 4 together remove the global complex scale
 *    s·e^{ic}.
 */
import { amplitudeOf, centreCropComplex, checkComplexImage, cropComplex, phaseOf, type ComplexImage, type RealImage } from './image.js';
import { candidateShifts, overlapCorrelation, type IntegerShift } from './coarse-shift.js';
import { crossCorrelator, fourierShiftReflect, zeroPad } from './registration.js';
import { fastFftShape } from '../math/fft-sides.js';

/** A window of rows [y0, y1) and columns [x0, x1). */
export interface Region { y0: number; y1: number; x0: number; x1: number }

export interface ScannedRegionOptions {
  /** 'illumination' (default when a probe is given): the bounding box of the pixels whose summed probe
   * intensity Σ_i |P(r − p_i)|² is at least `threshold` × its maximum. 'patches': the bounding box of
   * the patches [c − N/2, c + N/2). */
  mode?: 'illumination' | 'patches';
  /** Fraction of the maximum illumination (default 0.1). */
  threshold?: number;
  /** Probe intensity |P|² (N×N, row-major), needed for 'illumination'. */
  probeIntensity?: Float64Array;
}

/**
 * The scanned region of an H×W object, from scan centres (ys, xs in object pixels; a patch covers
 * [c − N/2, c + N/2)). Always at least one pixel and inside the object.
 */
export function scannedRegion(H: number, W: number, ys: ArrayLike<number>, xs: ArrayLike<number>, N: number,
  opts: ScannedRegionOptions = {}): Region {
  const n = ys.length;
  if (n === 0 || xs.length !== n) throw new RangeError(`scannedRegion: ${ys.length} y and ${xs.length} x coordinates`);
  const mode = opts.mode ?? (opts.probeIntensity ? 'illumination' : 'patches');
  const clampR = (r: Region): Region => {
    const y0 = Math.max(0, Math.min(H - 1, r.y0));
    const x0 = Math.max(0, Math.min(W - 1, r.x0));
    return { y0, x0, y1: Math.max(y0 + 1, Math.min(H, r.y1)), x1: Math.max(x0 + 1, Math.min(W, r.x1)) };
  };
  if (mode === 'patches') {
    let ylo = Infinity, yhi = -Infinity, xlo = Infinity, xhi = -Infinity;
    for (let i = 0; i < n; i++) {
      ylo = Math.min(ylo, ys[i]!); yhi = Math.max(yhi, ys[i]!);
      xlo = Math.min(xlo, xs[i]!); xhi = Math.max(xhi, xs[i]!);
    }
    return clampR({ y0: Math.floor(ylo - N / 2), y1: Math.ceil(yhi + N / 2), x0: Math.floor(xlo - N / 2), x1: Math.ceil(xhi + N / 2) });
  }
  const P = opts.probeIntensity;
  if (!P || P.length !== N * N) throw new RangeError(`scannedRegion: illumination mode needs an ${N}×${N} probe intensity`);
  const illum = new Float64Array(H * W);
  for (let i = 0; i < n; i++) {
    const top = Math.round(ys[i]! - N / 2);
    const left = Math.round(xs[i]! - N / 2);
    // the probe's rows and columns that fall inside the object (a NaN coordinate adds nothing)
    const py0 = Math.max(0, -top), py1 = Math.min(N, H - top);
    const px0 = Math.max(0, -left), px1 = Math.min(N, W - left);
    for (let py = py0; py < py1; py++) {
      const row = (top + py) * W + left;
      const prow = py * N;
      for (let px = px0; px < px1; px++) illum[row + px]! += P[prow + px]!;
    }
  }
  let max = 0;
  for (let i = 0; i < illum.length; i++) if (illum[i]! > max) max = illum[i]!;
  const thr = (opts.threshold ?? 0.1) * max;
  let y0 = H, y1 = 0, x0 = W, x1 = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (illum[y * W + x]! >= thr && max > 0) {
        if (y < y0) y0 = y; if (y + 1 > y1) y1 = y + 1;
        if (x < x0) x0 = x; if (x + 1 > x1) x1 = x + 1;
      }
    }
  }
  if (y1 <= y0 || x1 <= x0) return scannedRegion(H, W, ys, xs, N, { mode: 'patches' });
  return clampR({ y0, y1, x0, x1 });
}

/**
 * Ground truth and reconstruction cut to the compared window: the region itself when the
 * reconstruction has the object's shape (same frame), else both centre-cropped to their common size.
 */
export function cutToRegion(objectGuess: ComplexImage, recon: ComplexImage, region: Region): { gt: ComplexImage; rec: ComplexImage; sameFrame: boolean } {
  const gt = cropComplex(objectGuess, region.y0, region.x0, region.y1 - region.y0, region.x1 - region.x0);
  if (recon.h === objectGuess.h && recon.w === objectGuess.w) {
    return { gt, rec: cropComplex(recon, region.y0, region.x0, gt.h, gt.w), sameFrame: true };
  }
  const h = Math.min(gt.h, recon.h);
  const w = Math.min(gt.w, recon.w);
  return { gt: centreCropComplex(gt, h, w), rec: centreCropComplex(recon, h, w), sameFrame: false };
}

export interface Alignment {
  /** Ground truth and aligned reconstruction, both with the border cut. */
  gt: ComplexImage;
  rec: ComplexImage;
  /** Shift applied to the reconstruction (pixels); 0 when registration was off or failed. */
  dy: number;
  dx: number;
  /** Set when registration failed (non-finite result) and the unregistered image was used. */
  registrationError?: string;
  /** What the registration correlated: amplitudes (default) or phases (amplitude without contrast). */
  registeredOn: 'amplitude' | 'phase' | 'none';
  /** Pixels cut from every edge after the shift. */
  border: number;
  /** rec was multiplied by exp(i(a·x + b·y + c)): a, b in rad/pixel (x = column, y = row). */
  phasePlane: { a: number; b: number; c: number };
  /** rec was multiplied by this positive factor. */
  amplitudeScale: number;
}

export interface AlignOptions {
  /** Upsampling factor of the registration (default 50); 0 turns registration off. */
  upsampleFactor?: number;
  /** Minimum border cut from every edge (default 2). */
  minBorder?: number;
}

/** Mean removed and a separable Hann window applied: what the registration correlates. */
export function taper(img: RealImage): RealImage {
  const { h, w } = img;
  let m = 0;
  for (let i = 0; i < img.data.length; i++) m += img.data[i]!;
  m /= img.data.length;
  const wy = new Float64Array(h), wx = new Float64Array(w);
  for (let y = 0; y < h; y++) wy[y] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (y + 0.5)) / h);
  for (let x = 0; x < w; x++) wx[x] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (x + 0.5)) / w);
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = (img.data[y * w + x]! - m) * wy[y]! * wx[x]!;
  return { h, w, data: out };
}

/**
 * How much better a candidate must match (Pearson correlation r over the overlap) to replace the registration's
 * answer: by 0.01 + 5 % of the answer's r when that is positive. Relative, because noise lowers every r alike
 * (a correct and a wrong answer of a noisy reconstruction may score 0.25 and 0.20).
 */
const largeShiftMargin = (r: number): number => 0.01 + 0.05 * Math.max(0, r);

/**
 * The integer shift to start the registration again from, or null: the candidate of the plain
 * cross-correlation (within `limit`, at least 2 px from the answer (ty, tx)) whose overlap correlation beats
 * that of the answer rounded (or of no shift, when the answer exceeds `limit`) by `largeShiftMargin`.
 */
function largeShiftStart(gt: RealImage, rec: RealImage, ty: number, tx: number, limit: number): IntegerShift | null {
  const ry = Math.round(ty), rx = Math.round(tx);
  const within = Math.max(Math.abs(ty), Math.abs(tx)) <= limit;
  // the images that would be scored otherwise: registered by the answer, or unregistered when it exceeds the limit
  const own = within ? overlapCorrelation(gt, rec, ry, rx) : overlapCorrelation(gt, rec, 0, 0);
  let best: IntegerShift | null = null;
  let bestScore = Number.isNaN(own) ? -Infinity : own + largeShiftMargin(own);
  for (const c of candidateShifts(gt, rec, limit)) {
    if (within && Math.max(Math.abs(c.dy - ry), Math.abs(c.dx - rx)) < 2) continue;
    const score = overlapCorrelation(gt, rec, c.dy, c.dx);
    if (score > bestScore) { best = c; bestScore = score; }
  }
  return best;
}

function coefficientOfVariation(data: Float64Array): number {
  let s = 0, s2 = 0;
  for (let i = 0; i < data.length; i++) { s += data[i]!; s2 += data[i]! * data[i]!; }
  const m = s / data.length;
  const v = Math.max(0, s2 / data.length - m * m);
  return m !== 0 ? Math.sqrt(v) / Math.abs(m) : Math.sqrt(v);
}

/** Least-squares plane d ≈ a·x + b·y + c over an h×w grid (x = column, y = row). */
export function fitPlane(d: Float64Array, h: number, w: number): { a: number; b: number; c: number } {
  // Normal equations on centred coordinates (x̄ = (w−1)/2, ȳ = (h−1)/2): the x, y and 1 columns are orthogonal.
  const xm = (w - 1) / 2, ym = (h - 1) / 2;
  let sxd = 0, syd = 0, sd = 0, sxx = 0, syy = 0;
  for (let y = 0; y < h; y++) {
    const yc = y - ym;
    for (let x = 0; x < w; x++) {
      const xc = x - xm;
      const v = d[y * w + x]!;
      sxd += xc * v; syd += yc * v; sd += v;
      sxx += xc * xc; syy += yc * yc;
    }
  }
  const a = sxx > 0 ? sxd / sxx : 0;
  const b = syy > 0 ? syd / syy : 0;
  const c = sd / (h * w) - a * xm - b * ym;
  return { a, b, c };
}

/** The phase plane (a, b, c) such that rec·e^{i(ax+by+c)} best matches gt's phase (see module comment). */
export function phasePlaneBetween(gt: ComplexImage, rec: ComplexImage): { a: number; b: number; c: number } {
  const { h, w } = gt;
  const n = h * w;
  // z = gt · conj(rec)
  const z = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const gr = gt.data[2 * i]!, gi = gt.data[2 * i + 1]!, rr = rec.data[2 * i]!, ri = rec.data[2 * i + 1]!;
    z[2 * i] = gr * rr + gi * ri;
    z[2 * i + 1] = gi * rr - gr * ri;
  }
  // Coarse slopes, free of wraps: arg Σ z(y, x+1)·conj(z(y, x)) and the same along y.
  let pxr = 0, pxi = 0, pyr = 0, pyi = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const zr = z[2 * i]!, zi = z[2 * i + 1]!;
      if (x + 1 < w) { const nr = z[2 * (i + 1)]!, ni = z[2 * (i + 1) + 1]!; pxr += nr * zr + ni * zi; pxi += ni * zr - nr * zi; }
      if (y + 1 < h) { const nr = z[2 * (i + w)]!, ni = z[2 * (i + w) + 1]!; pyr += nr * zr + ni * zi; pyi += ni * zr - nr * zi; }
    }
  }
  const a0 = w > 1 ? Math.atan2(pxi, pxr) : 0;
  const b0 = h > 1 ? Math.atan2(pyi, pyr) : 0;
  // Constant: arg of the mean phasor after removing the coarse ramp e^{−i(a0·x + b0·y)} = e^{−i·a0·x}·e^{−i·b0·y}.
  const ex = planePhasors(w, -a0, 0), ey = planePhasors(h, -b0, 0);
  let sr = 0, si = 0;
  for (let y = 0; y < h; y++) {
    const yr = ey[2 * y]!, yi = ey[2 * y + 1]!;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const cr = ex[2 * x]! * yr - ex[2 * x + 1]! * yi, ci = ex[2 * x]! * yi + ex[2 * x + 1]! * yr;
      sr += z[2 * i]! * cr - z[2 * i + 1]! * ci;
      si += z[2 * i]! * ci + z[2 * i + 1]! * cr;
    }
  }
  const c0 = Math.atan2(si, sr);
  // Least-squares plane of the remaining (small, wrapped to (−π, π]) phase difference.
  const r = new Float64Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const d = Math.atan2(z[2 * i + 1]!, z[2 * i]!) - (a0 * x + b0 * y + c0);
      r[i] = d - 2 * Math.PI * Math.round(d / (2 * Math.PI));
    }
  }
  const fine = fitPlane(r, h, w);
  return { a: a0 + fine.a, b: b0 + fine.b, c: c0 + fine.c };
}

/** e^{i(s·k + c)} for k < n, interleaved: one factor of a separable phase plane. */
function planePhasors(n: number, s: number, c: number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) { const t = s * k + c; out[2 * k] = Math.cos(t); out[2 * k + 1] = Math.sin(t); }
  return out;
}

/** img · e^{i(a·x + b·y + c)} (a copy), the phasor taken as e^{i·a·x}·e^{i(b·y + c)}. */
export function applyPhasePlane(img: ComplexImage, p: { a: number; b: number; c: number }): ComplexImage {
  const out = Float64Array.from(img.data);
  if (p.a === 0 && p.b === 0 && p.c === 0) return { h: img.h, w: img.w, data: out };
  const ex = planePhasors(img.w, p.a, 0), ey = planePhasors(img.h, p.b, p.c);
  for (let y = 0; y < img.h; y++) {
    const yr = ey[2 * y]!, yi = ey[2 * y + 1]!;
    for (let x = 0; x < img.w; x++) {
      const i = 2 * (y * img.w + x);
      const cr = ex[2 * x]! * yr - ex[2 * x + 1]! * yi, ci = ex[2 * x]! * yi + ex[2 * x + 1]! * yr;
      const re = out[i]!, im = out[i + 1]!;
      out[i] = re * cr - im * ci;
      out[i + 1] = re * ci + im * cr;
    }
  }
  return { h: img.h, w: img.w, data: out };
}

/** Aligns `rec` to `gt` (same shape): registration, border cut, phase plane, amplitude scale. */
export function alignReconstruction(gt: ComplexImage, rec: ComplexImage, opts: AlignOptions = {}): Alignment {
  checkComplexImage(gt, 'alignReconstruction', 'the first image (gt)');
  checkComplexImage(rec, 'alignReconstruction', 'the second image (rec)');
  if (gt.h !== rec.h || gt.w !== rec.w) throw new RangeError(`alignReconstruction: shapes differ (${gt.h}×${gt.w} vs ${rec.h}×${rec.w})`);
  const up = opts.upsampleFactor ?? 50;
  const minBorder = opts.minBorder ?? 2;
  let dy = 0, dx = 0;
  let registrationError: string | undefined;
  let registeredOn: Alignment['registeredOn'] = 'none';
  let shifted = rec;
  // Amplitudes are correlated; phases when either amplitude is flat; nothing when a phase is flat too (the
  // correlation with a flat image peaks anywhere: its "shift" would be noise).
  const flat = (v: Float64Array): boolean => coefficientOfVariation(v) < 1e-6;
  const usePhase = up > 0 && (flat(amplitudeOf(gt).data) || flat(amplitudeOf(rec).data));
  const flatSide = !usePhase ? null : flat(phaseOf(gt).data) ? 'ground truth' : flat(phaseOf(rec).data) ? 'reconstruction' : null;
  if (flatSide) {
    registrationError = `registration skipped: the ${flatSide} has no contrast (flat amplitude and phase); the unregistered image was used`;
  } else if (up > 0) {
    registeredOn = usePhase ? 'phase' : 'amplitude';
    // Tapered features, zero-padded to the frame at least as large whose FFT costs least (`fastFftShape`; the
    // taper is zero at the edges, so the padding adds no edge). The frame's size moves the correlation's peak by
    // ≤ 0.002 px on the quick study's jobs (a tenth of the 1/50-px step; docs/metrics.md).
    const [PH, PW] = fastFftShape(gt.h, gt.w);
    const feature = (img: ComplexImage): RealImage => zeroPad(taper(usePhase ? phaseOf(img) : amplitudeOf(img)), PH, PW);
    const correlate = crossCorrelator(feature(gt), up, { normalization: 'none' });
    /** Rounds of tapered correlation, each on the image shifted by the sum so far, from (y0, x0). */
    const refine = (y0: number, x0: number): [number, number] => {
      let ty = y0, tx = x0;
      for (let it = 0; it < 4; it++) {
        const moved = it === 0 && ty === 0 && tx === 0 ? rec : fourierShiftReflect(rec, ty, tx);
        const r = correlate(feature(moved));
        if (!Number.isFinite(r.dy) || !Number.isFinite(r.dx)) return [NaN, NaN];
        ty += r.dy; tx += r.dx;
        if (Math.max(Math.abs(r.dy), Math.abs(r.dx)) < 1 / up) break;
      }
      return [ty, tx];
    };
    const limit = Math.min(gt.h, gt.w) / 4;
    let [ty, tx] = refine(0, 0);
    // The taper fades content shifted by a fifth of the window or more, so the answer can be a wrong peak
    // there: when an integer shift the plain correlation favours matches the images clearly better over
    // their overlap, the rounds start again from it (docs/metrics.md).
    if (Number.isFinite(ty) && Number.isFinite(tx)) {
      const better = largeShiftStart(usePhase ? phaseOf(gt) : amplitudeOf(gt), usePhase ? phaseOf(rec) : amplitudeOf(rec), ty, tx, limit);
      if (better) {
        // kept only when the rounds stay near the candidate: rounds that run away from it keep the first answer
        const [by, bx] = refine(better.dy, better.dx);
        if (Math.max(Math.abs(by - better.dy), Math.abs(bx - better.dx)) <= 1.5) [ty, tx] = [by, bx];
      }
    }
    if (!Number.isFinite(ty) || !Number.isFinite(tx)) {
      registrationError = 'registration gave a non-finite shift (non-finite pixels?); the unregistered image was used';
    } else if (Math.max(Math.abs(ty), Math.abs(tx)) > limit) {
      registrationError = `registration shift (${ty.toFixed(2)}, ${tx.toFixed(2)}) exceeds a quarter of the window; the unregistered image was used`;
    } else {
      dy = ty; dx = tx;
    }
  }
  // Phase plane first on the unregistered pair (so that the shifted field has no steep ramp to ring
  // at the mirrored edges), then the shift, then the residual plane on the registered pair.
  let plane0 = { a: 0, b: 0, c: 0 };
  if (dy !== 0 || dx !== 0) {
    plane0 = phasePlaneBetween(gt, rec);
    shifted = fourierShiftReflect(applyPhasePlane(rec, plane0), dy, dx);
  }
  let border = Math.max(minBorder, Math.ceil(Math.max(Math.abs(dy), Math.abs(dx)) - 1e-9));
  border = Math.min(border, Math.floor((Math.min(gt.h, gt.w) - 1) / 2));
  const h = gt.h - 2 * border;
  const w = gt.w - 2 * border;
  const g = cropComplex(gt, border, border, h, w);
  const cut = cropComplex(shifted, border, border, h, w);
  const plane1 = phasePlaneBetween(g, cut);
  const r = applyPhasePlane(cut, plane1);
  // The total plane in the compared window's coordinates: plane0 moved by the shift and the border cut.
  const plane = {
    a: plane0.a + plane1.a,
    b: plane0.b + plane1.b,
    c: plane0.c + plane0.a * (border - dx) + plane0.b * (border - dy) + plane1.c,
  };
  // The least-squares amplitude scale.
  let num = 0, den = 0;
  for (let i = 0; i < 2 * h * w; i += 2) {
    const re = r.data[i]!, im = r.data[i + 1]!, gr = g.data[i]!, gi = g.data[i + 1]!;
    const ar = Math.sqrt(re * re + im * im);
    num += ar * Math.sqrt(gr * gr + gi * gi);
    den += ar * ar;
  }
  const s = den > 0 && num > 0 ? num / den : 1;
  for (let i = 0; i < r.data.length; i++) r.data[i]! *= s;
  const out: Alignment = { gt: g, rec: r, dy, dx, registeredOn, border, phasePlane: plane, amplitudeScale: s };
  if (registrationError) out.registrationError = registrationError;
  return out;
}
