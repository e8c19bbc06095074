/**
 * Synthetic complex object (transmission function) with amplitude and phase structure at several
 * length scales and sharp features, so that resolution, FRC and SSIM have something to measure.
 *
 * Two real maps are accumulated — an absorption-like map A ≥ 0 and a phase map Φ — from:
 *  1. a smooth random texture: white Gaussian noise blurred at several scales (separable Gaussian
 *     filters; large scales on a coarser grid, see `smoothNoise`), standardised;
 *  2. random discs and convex polygons (sharp edges, anti-aliased by 4×4 supersampling), each
 *     with its own absorption and phase contrast;
 *  3. a Siemens star (sharp radial spokes, from coarse at the rim to sub-pixel at the centre) at
 *     the object's centre, the classic resolution target;
 *  4. many small dots of 1–2 pixels (fine-scale content near the Nyquist limit).
 * They are mapped to the object O = amp·e^{iφ} with amp = ampMin + (1 − ampMin)·e^{−2·softplus(A + 0.2)}
 * (softplus with sharpness 10, so amp ∈ (ampMin, 1) and the background sits near 0.83) and
 * φ = phaseMax·tanh(Φ) (so φ ∈ (−phaseMax, phaseMax)). All randomness comes
 * from the given `Rng`, in a fixed order, so the same seed gives the same object.
 */
import type { Rng } from '../math/rng.js';
import type { ComplexImage } from '../math/image.js';

export interface ObjectParams {
  /** Smallest amplitude (absorption saturates towards it); 0 < ampMin < 1. */
  ampMin: number;
  /** Largest |phase| in radians. */
  phaseMax: number;
  /** Blur scales (Gaussian sigma, pixels) of the smooth texture and their weights. */
  textureSigmas: number[];
  textureWeights: number[];
  /** Standard deviation of the texture's contribution to A and Φ. */
  textureAbsorption: number;
  texturePhase: number;
  /** Number of random discs, polygons and small dots per 100×100 pixels. */
  discsPer1e4: number;
  polygonsPer1e4: number;
  dotsPer1e4: number;
  /** Largest disc radius / polygon circumradius as a fraction of min(H, W). */
  maxFeatureFraction: number;
  /** Siemens star: number of spoke pairs and outer radius as a fraction of min(H, W) (0 = no star). */
  starSpokes: number;
  starRadiusFraction: number;
}

export const DEFAULT_OBJECT: Readonly<ObjectParams> = {
  ampMin: 0.5,
  phaseMax: 1.0,
  textureSigmas: [24, 8, 2.5],
  textureWeights: [1.0, 0.6, 0.35],
  textureAbsorption: 0.12,
  texturePhase: 0.3,
  discsPer1e4: 2.5,
  polygonsPer1e4: 1.5,
  dotsPer1e4: 12,
  maxFeatureFraction: 0.07,
  starSpokes: 18,
  starRadiusFraction: 0.14,
};

export function validateObjectParams(p: ObjectParams): void {
  const fail = (m: string): never => { throw new RangeError(`object parameter ${m}`); };
  if (!(p.ampMin > 0 && p.ampMin < 1)) fail(`ampMin=${p.ampMin} must be in (0, 1)`);
  if (!(p.phaseMax > 0 && p.phaseMax <= Math.PI)) fail(`phaseMax=${p.phaseMax} must be in (0, π]`);
  if (p.textureSigmas.length !== p.textureWeights.length) fail('textureSigmas and textureWeights must have the same length');
  if (p.textureSigmas.some((s) => !(s > 0))) fail('textureSigmas must be positive');
  for (const k of ['discsPer1e4', 'polygonsPer1e4', 'dotsPer1e4', 'textureAbsorption', 'texturePhase', 'starRadiusFraction'] as const) {
    if (!(p[k] >= 0) || !Number.isFinite(p[k])) fail(`${k}=${p[k]} must be ≥ 0`);
  }
  if (!(p.maxFeatureFraction > 0 && p.maxFeatureFraction < 0.5)) fail(`maxFeatureFraction=${p.maxFeatureFraction} must be in (0, 0.5)`);
  if (!(Number.isInteger(p.starSpokes) && p.starSpokes >= 0)) fail(`starSpokes=${p.starSpokes} must be a non-negative integer`);
}

/** In-place separable Gaussian blur of an h×w real image (edges mirrored); `tmp` is scratch of h·w. */
export function gaussianBlur(img: Float64Array, h: number, w: number, sigma: number, tmp: Float64Array): void {
  const rad = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * rad + 1);
  let ks = 0;
  for (let i = -rad; i <= rad; i++) { k[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma)); ks += k[i + rad]; }
  for (let i = 0; i < k.length; i++) k[i] /= ks;
  const mirror = (i: number, n: number): number => {
    // reflect about the edges (… 2 1 0 | 0 1 2 … n−1 | n−1 n−2 …), repeated for kernels wider than n
    const period = 2 * n;
    let m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - 1 - m;
  };
  // rows
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (x - rad >= 0 && x + rad < w) {
        for (let t = -rad; t <= rad; t++) s += k[t + rad] * img[row + x + t];
      } else {
        for (let t = -rad; t <= rad; t++) s += k[t + rad] * img[row + mirror(x + t, w)];
      }
      tmp[row + x] = s;
    }
  }
  // columns
  for (let y = 0; y < h; y++) {
    const inside = y - rad >= 0 && y + rad < h;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (inside) {
        for (let t = -rad; t <= rad; t++) s += k[t + rad] * tmp[(y + t) * w + x];
      } else {
        for (let t = -rad; t <= rad; t++) s += k[t + rad] * tmp[mirror(y + t, h) * w + x];
      }
      img[y * w + x] = s;
    }
  }
}

/**
 * White Gaussian noise blurred with `sigma` (pixels) over an h×w grid. Large blurs are computed on
 * a grid coarser by k = ⌊sigma/3⌋ (blur sigma/k there, then bilinear upsampling), which costs a
 * few operations per pixel whatever the scale and is indistinguishable after standardisation.
 */
export function smoothNoise(h: number, w: number, sigma: number, rng: Rng): Float64Array {
  const k = Math.max(1, Math.floor(sigma / 3));
  if (k === 1) {
    const f = new Float64Array(h * w);
    for (let i = 0; i < f.length; i++) f[i] = rng.normal();
    gaussianBlur(f, h, w, sigma, new Float64Array(h * w));
    return f;
  }
  // coarse grid with one cell of margin on each side
  const hc = Math.ceil(h / k) + 2, wc = Math.ceil(w / k) + 2;
  const g = new Float64Array(hc * wc);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  gaussianBlur(g, hc, wc, sigma / k, new Float64Array(hc * wc));
  const f = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const v = (y + 0.5) / k - 0.5 + 1;
    const y0 = Math.floor(v), fy = v - y0;
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) / k - 0.5 + 1;
      const x0 = Math.floor(u), fx = u - x0;
      const a = y0 * wc + x0;
      f[y * w + x] = (1 - fy) * ((1 - fx) * g[a] + fx * g[a + 1]) + fy * ((1 - fx) * g[a + wc] + fx * g[a + wc + 1]);
    }
  }
  return f;
}

/** Adds a standardised multi-scale texture (zero mean, unit std) times `wA` to A and `wP` to Φ. */
function addTexture(A: Float64Array, P: Float64Array, h: number, w: number, p: ObjectParams, rng: Rng): void {
  const n = h * w;
  for (const [target, weight] of [[A, p.textureAbsorption], [P, p.texturePhase]] as const) {
    const acc = new Float64Array(n);
    for (let s = 0; s < p.textureSigmas.length; s++) {
      const field = smoothNoise(h, w, p.textureSigmas[s], rng);
      let m = 0, v = 0;
      for (let i = 0; i < n; i++) m += field[i];
      m /= n;
      for (let i = 0; i < n; i++) v += (field[i] - m) ** 2;
      const sd = Math.sqrt(v / n) || 1;
      const wgt = p.textureWeights[s] / sd;
      for (let i = 0; i < n; i++) acc[i] += (field[i] - m) * wgt;
    }
    let m = 0, v = 0;
    for (let i = 0; i < n; i++) m += acc[i];
    m /= n;
    for (let i = 0; i < n; i++) v += (acc[i] - m) ** 2;
    const sd = Math.sqrt(v / n) || 1;
    for (let i = 0; i < n; i++) target[i] += ((acc[i] - m) / sd) * weight;
  }
}

const SS = 4; // supersampling per axis for anti-aliased edges

/**
 * Rasterises a shape given by an inside test over its bounding box with SS×SS supersampling and
 * adds coverage·dA to A and coverage·dP to Φ.
 */
function paint(A: Float64Array, P: Float64Array, h: number, w: number,
  x0: number, x1: number, y0: number, y1: number, inside: (x: number, y: number) => boolean, dA: number, dP: number): void {
  const ya = Math.max(0, Math.floor(y0)), yb = Math.min(h - 1, Math.ceil(y1));
  const xa = Math.max(0, Math.floor(x0)), xb = Math.min(w - 1, Math.ceil(x1));
  const inv = 1 / (SS * SS);
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      let c = 0;
      for (let sy = 0; sy < SS; sy++) {
        const py = y + (sy + 0.5) / SS - 0.5;
        for (let sx = 0; sx < SS; sx++) {
          if (inside(x + (sx + 0.5) / SS - 0.5, py)) c++;
        }
      }
      if (c > 0) {
        const f = c * inv;
        A[y * w + x] += f * dA;
        P[y * w + x] += f * dP;
      }
    }
  }
}

function count(per1e4: number, h: number, w: number): number {
  return Math.round((per1e4 * h * w) / 1e4);
}

/** Builds the H×W synthetic object (interleaved complex128). */
export function makeObject(h: number, w: number, rng: Rng, params: ObjectParams = DEFAULT_OBJECT): ComplexImage {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 8 || w < 8) throw new RangeError(`object shape must be integers ≥ 8, got ${h}×${w}`);
  validateObjectParams(params);
  const n = h * w;
  const A = new Float64Array(n);
  const P = new Float64Array(n);
  const texRng = rng.fork('texture');
  const shapeRng = rng.fork('shapes');
  addTexture(A, P, h, w, params, texRng);
  const base = Math.min(h, w);
  const rmax = params.maxFeatureFraction * base;
  const rmin = Math.min(2, rmax);
  const u = (a: number, b: number): number => a + (b - a) * shapeRng.uniform();
  const logU = (a: number, b: number): number => Math.exp(u(Math.log(a), Math.log(b)));
  // Discs: radius log-uniform in [2, rmax] px; contrast in absorption 0.05–0.35, phase ±0.7 rad.
  const nDiscs = count(params.discsPer1e4, h, w);
  for (let i = 0; i < nDiscs; i++) {
    const cx = u(0, w), cy = u(0, h), r = logU(rmin, rmax);
    const dA = u(0.05, 0.35), dP = u(-0.7, 0.7);
    const r2 = r * r;
    paint(A, P, h, w, cx - r, cx + r, cy - r, cy + r, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r2, dA, dP);
  }
  // Convex polygons (3–6 vertices on a circle at sorted random angles).
  const nPoly = count(params.polygonsPer1e4, h, w);
  for (let i = 0; i < nPoly; i++) {
    const cx = u(0, w), cy = u(0, h), r = logU(Math.max(rmin, 3), rmax);
    const k = 3 + Math.floor(shapeRng.uniform() * 4);
    const ang: number[] = [];
    for (let j = 0; j < k; j++) ang.push(u(0, 2 * Math.PI));
    ang.sort((a, b) => a - b);
    const vx = ang.map((a) => cx + r * Math.cos(a)), vy = ang.map((a) => cy + r * Math.sin(a));
    const dA = u(0.05, 0.35), dP = u(-0.7, 0.7);
    const inside = (x: number, y: number): boolean => {
      // counter-clockwise vertices (angles increasing): inside when left of every edge
      for (let j = 0; j < k; j++) {
        const j2 = (j + 1) % k;
        if ((vx[j2] - vx[j]) * (y - vy[j]) - (vy[j2] - vy[j]) * (x - vx[j]) < 0) return false;
      }
      return true;
    };
    paint(A, P, h, w, cx - r, cx + r, cy - r, cy + r, inside, dA, dP);
  }
  // Small dots: 0.6–1.5 px radius, weaker contrast.
  const nDots = count(params.dotsPer1e4, h, w);
  for (let i = 0; i < nDots; i++) {
    const cx = u(0, w), cy = u(0, h), r = u(0.6, 1.5);
    const dA = u(0.03, 0.2), dP = u(-0.5, 0.5);
    const r2 = r * r;
    paint(A, P, h, w, cx - r, cx + r, cy - r, cy + r, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r2, dA, dP);
  }
  // Siemens star at the centre: alternating sectors of absorbing, phase-shifting material.
  if (params.starSpokes > 0 && params.starRadiusFraction > 0) {
    const cx = (w - 1) / 2 + u(-0.5, 0.5), cy = (h - 1) / 2 + u(-0.5, 0.5);
    const R = params.starRadiusFraction * base;
    const rot = u(0, 2 * Math.PI);
    const m = params.starSpokes;
    const R2 = R * R;
    paint(A, P, h, w, cx - R, cx + R, cy - R, cy + R, (x, y) => {
      const dx = x - cx, dy = y - cy;
      if (dx * dx + dy * dy >= R2) return false;
      return Math.sin(m * (Math.atan2(dy, dx) + rot)) > 0;
    }, 0.4, 0.8);
  }
  // Map to amplitude and phase.
  const out = new Float64Array(2 * n);
  const a0 = params.ampMin, pm = params.phaseMax;
  for (let i = 0; i < n; i++) {
    // softplus keeps the absorption ≥ 0 without flat clipped regions
    const z = 10 * (A[i] + 0.2);
    const t = (z > 30 ? z : Math.log1p(Math.exp(z))) / 10;
    const amp = a0 + (1 - a0) * Math.exp(-2 * t);
    const ph = pm * Math.tanh(P[i]);
    out[2 * i] = amp * Math.cos(ph);
    out[2 * i + 1] = amp * Math.sin(ph);
  }
  return { h, w, data: out };
}
