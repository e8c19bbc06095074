/**
 * Synthetic X-ray probe: a circular (optionally zone-plate-like, centrally stopped) aperture
 * illuminated by a slightly converging wave and Fresnel-propagated a short distance downstream.
 *
 * The result looks like a real defocused focusing-optic probe: a bright central region with
 * Fresnel rings, a soft outer halo, and phase curvature across the beam. Every length is a fraction
 * of the patch size N, so the same parameters give the same-looking probe at N = 64 and N = 128.
 * The probe is centred on pixel [N/2, N/2] (the scan centre of a patch covering
 * [coord − N/2, coord + N/2)) and normalised to a peak amplitude of 1. It involves no randomness.
 */
import { createFft2, fftfreq } from '../math/fft.js';
import type { ComplexImage } from '../math/image.js';

export interface ProbeParams {
  /** Aperture diameter D as a fraction of N. */
  diameterFraction: number;
  /** Fresnel number of the propagation, F = D² / (4·λz): large F = close to the aperture (sharp, many rings). */
  fresnelNumber: number;
  /** Central stop diameter as a fraction of D (0 = open aperture; ~0.3 mimics a zone plate's stop). */
  centralStopFraction: number;
  /** Quadratic phase at the aperture edge, radians (positive = converging wave). */
  edgePhase: number;
  /** Width of the aperture's soft edge, as a fraction of N (a few tenths of a pixel to a pixel). */
  edgeWidthFraction: number;
}

/** The default probe: D = 0.6·N, F = 8, 30 % central stop, 1.5 rad converging curvature, edge N/64. */
export const DEFAULT_PROBE: Readonly<ProbeParams> = {
  diameterFraction: 0.6,
  fresnelNumber: 8,
  centralStopFraction: 0.3,
  edgePhase: 1.5,
  edgeWidthFraction: 1 / 64,
};

export function validateProbeParams(p: ProbeParams): void {
  const bad = (k: string, v: number, want: string): never => {
    throw new RangeError(`probe parameter ${k}=${v} must be ${want}`);
  };
  if (!(p.diameterFraction > 0 && p.diameterFraction <= 1)) bad('diameterFraction', p.diameterFraction, 'in (0, 1]');
  if (!(p.fresnelNumber > 0) || !Number.isFinite(p.fresnelNumber)) bad('fresnelNumber', p.fresnelNumber, 'positive');
  if (!(p.centralStopFraction >= 0 && p.centralStopFraction < 1)) bad('centralStopFraction', p.centralStopFraction, 'in [0, 1)');
  if (!Number.isFinite(p.edgePhase)) bad('edgePhase', p.edgePhase, 'finite');
  if (!(p.edgeWidthFraction >= 0 && p.edgeWidthFraction < 0.5)) bad('edgeWidthFraction', p.edgeWidthFraction, 'in [0, 0.5)');
}

/** Soft-edged 0..1 coverage of `r < R`: a linear ramp of width `w` pixels centred on R (w = 0: hard edge). */
function soft(r: number, R: number, w: number): number {
  if (w <= 0) return r < R ? 1 : 0;
  const t = (R - r) / w + 0.5;
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

/** Builds the N×N probe (interleaved complex128), peak amplitude 1, centred on [N/2, N/2]. */
export function makeProbe(n: number, params: ProbeParams = DEFAULT_PROBE): ComplexImage {
  if (!Number.isInteger(n) || n < 4) throw new RangeError(`probe size must be an integer ≥ 4, got ${n}`);
  validateProbeParams(params);
  const c = Math.floor(n / 2);
  const D = params.diameterFraction * n;
  const R = D / 2;
  const Rs = params.centralStopFraction * R;
  const edge = params.edgeWidthFraction * n;
  const lambdaZ = (D * D) / (4 * params.fresnelNumber);
  const buf = new Float64Array(2 * n * n);
  // Aperture field, placed so that its centre sits at index 0 (the FFT origin): pixel (i, j) holds
  // the field at displacement (i − c, j − c) after an ifftshift, done here by index arithmetic.
  for (let i = 0; i < n; i++) {
    const dy = i - c;
    for (let j = 0; j < n; j++) {
      const dx = j - c;
      const r = Math.hypot(dy, dx);
      const a = soft(r, R, edge) * (Rs > 0 ? 1 - soft(r, Rs, edge) : 1);
      if (a === 0) continue;
      const ph = -params.edgePhase * (r / R) * (r / R);
      const ii = (i - c + n) % n, jj = (j - c + n) % n;
      const k = 2 * (ii * n + jj);
      buf[k] = a * Math.cos(ph);
      buf[k + 1] = a * Math.sin(ph);
    }
  }
  // Fresnel propagation by λz: multiply the spectrum by exp(−iπ·λz·(u² + v²)), u, v in cycles/pixel.
  const fft = createFft2(n, n);
  fft.forward(buf, 1);
  const f = fftfreq(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const ph = -Math.PI * lambdaZ * (f[i] * f[i] + f[j] * f[j]);
      const cr = Math.cos(ph), ci = Math.sin(ph);
      const k = 2 * (i * n + j);
      const re = buf[k], im = buf[k + 1];
      buf[k] = re * cr - im * ci;
      buf[k + 1] = re * ci + im * cr;
    }
  }
  fft.inverse(buf, 1);
  // Move the origin back to the centre pixel and normalise the peak amplitude to 1.
  const out = new Float64Array(2 * n * n);
  let peak = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const s = 2 * (((i - c + n) % n) * n + ((j - c + n) % n));
      const d = 2 * (i * n + j);
      out[d] = buf[s];
      out[d + 1] = buf[s + 1];
      const m = out[d] * out[d] + out[d + 1] * out[d + 1];
      if (m > peak) peak = m;
    }
  }
  const scale = peak > 0 ? 1 / Math.sqrt(peak) : 1;
  for (let k = 0; k < out.length; k++) out[k] *= scale;
  return { h: n, w: n, data: out };
}

/** Radius (pixels, from [N/2, N/2]) that encloses `fraction` of the probe's power. */
export function enclosedPowerRadius(probe: ComplexImage, fraction: number): number {
  const n = probe.h, c = Math.floor(n / 2);
  const rs: number[] = [];
  const ps: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < probe.w; j++) {
      const k = 2 * (i * probe.w + j);
      const p = probe.data[k] ** 2 + probe.data[k + 1] ** 2;
      rs.push(Math.hypot(i - c, j - c));
      ps.push(p);
      total += p;
    }
  }
  const order = rs.map((_, i) => i).sort((a, b) => rs[a] - rs[b]);
  let acc = 0;
  for (const i of order) {
    acc += ps[i];
    if (acc >= fraction * total) return rs[i];
  }
  return rs[order[order.length - 1]];
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// Probe models of real optics, in physical units (for measured data without a probe).
//
// Both are built on the probe grid: H × W pixels of the object pixel size [Δy, Δx] (m), wavelength λ,
// centred on pixel [H/2, W/2], with the angular spectrum propagator of the exact Helmholtz transfer
// function exp(i·2π·z·(√(1/λ² − q²) − 1/λ)), q the spatial frequency (cycles/m) of fftfreq(N, Δ).
//
//  aperture  A circular pinhole of diameter d, illuminated by a plane wave, propagated a distance z
//            (aperture → sample, ≥ 0). Edge pixels are weighted by the fraction of their area inside
//            the disc (16×16 sub-samples), so the disc is not a jagged pixel mask.
//            Valid while z ≤ min(N·Δ²)/λ (the transfer function's phase is then sampled finely
//            enough and the aperture's diffraction stays in the window); larger z is refused.
//
//  fzp       A Fresnel zone plate (its first diffraction order) or any thin lens: diameter D, focal
//            length f (or the outer zone width Δr, f = D·Δr/λ), central stop diameter s, and the
//            sample at `defocus` δ from the focus (δ > 0: downstream of the focus, the beam diverging).
//            In the Debye approximation (valid for lens Fresnel numbers D²/(4λf) ≫ 1, as for every
//            X-ray zone plate) the focal field's angular spectrum is the pupil itself: the plane wave
//            of spatial frequency q comes from the pupil radius ρ = λ·f·|q|. So the spectrum is the
//            annulus s/2 ≤ λf|q| ≤ D/2 (edges area-weighted), times the transfer function of δ, and the
//            probe is its inverse FFT. The cone's highest frequency D/(2λf) = 1/(2Δr) may exceed the
//            grid's Nyquist frequency 1/(2Δ) (the detector's edge): the probe is then band-limited to
//            what the detector records, and a note says so. A defocused beam wider than the window
//            (geometric diameter |δ|·D/f) would wrap around and is refused.
//
// Other zone-plate orders, the order-sorting aperture and partial coherence are not modelled.
// ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface ApertureModel {
  kind: 'aperture';
  /** Pinhole diameter, m. */
  diameterM: number;
  /** Aperture → sample distance, m (0: the probe is the aperture itself). */
  distanceM: number;
}

export interface ZonePlateModel {
  kind: 'fzp';
  /** Zone plate (lens) diameter D, m. */
  diameterM: number;
  /** Outer zone width Δr, m (f = D·Δr/λ); give this or `focalLengthM`. */
  outerZoneM?: number;
  /** Focal length f, m. */
  focalLengthM?: number;
  /** Central stop diameter, m (0: none). */
  centralStopM: number;
  /** Focus → sample distance δ, m (positive: sample downstream of the focus). */
  defocusM: number;
}

export type ProbeModel = ApertureModel | ZonePlateModel;

/** The probe grid: size, wavelength and pixel size [y, x] (m). */
export interface ProbeSampling {
  height: number;
  width: number;
  wavelengthM: number;
  pixelM: [number, number];
}

/** A parsed `--probe-model` value: the model and, optionally, the sampling it states. */
export interface ProbeModelSpec {
  model: ProbeModel;
  wavelengthM?: number;
  pixelM?: number;
}

export interface ModelProbeOptions {
  /** Scale to a peak amplitude of 1 (default true); false keeps the model's scale (aperture: unit plane wave). */
  unitPeak?: boolean;
}

export interface ModelProbe {
  probe: ComplexImage;
  /** Derived values (focal length, NA, beam diameter…) for the record. */
  derived: Record<string, number>;
  /** Things the user should know (e.g. the cone is wider than the detector). */
  notes: string[];
}

const PROBE_MODEL_KEYS: Record<ProbeModel['kind'], readonly string[]> = {
  aperture: ['diameter', 'distance', 'wavelength', 'pixel'],
  fzp: ['diameter', 'outer-zone', 'focal-length', 'stop', 'defocus', 'wavelength', 'pixel'],
};

/**
 * Parses `aperture:diameter=2e-6[,distance=1e-3]` or
 * `fzp:diameter=160e-6,outer-zone=70e-9|focal-length=0.11[,stop=60e-6][,defocus=100e-6]` (metres;
 * `wavelength=` and `pixel=` give the sampling when the data file has no geometry). Throws RangeError
 * with the reason.
 */
export function parseProbeModelSpec(text: string): ProbeModelSpec {
  const m = /^\s*(aperture|fzp)\s*(?::(.*))?$/.exec(text);
  if (!m) throw new RangeError(`probe model '${text}': expected aperture:diameter=D[,distance=Z] or fzp:diameter=D,outer-zone=DR|focal-length=F[,stop=S][,defocus=Z] (metres)`);
  const kind = m[1] as ProbeModel['kind'];
  const values = new Map<string, number>();
  for (const part of (m[2] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const kv = /^([a-z-]+)\s*=\s*(\S+)$/.exec(part);
    if (!kv) throw new RangeError(`probe model '${text}': '${part}' is not key=value`);
    const [, key, raw] = kv as unknown as [string, string, string];
    if (!PROBE_MODEL_KEYS[kind].includes(key)) throw new RangeError(`probe model '${text}': unknown key '${key}' for ${kind} (keys: ${PROBE_MODEL_KEYS[kind].join(', ')})`);
    if (values.has(key)) throw new RangeError(`probe model '${text}': '${key}' given twice`);
    const v = Number(raw);
    if (!Number.isFinite(v) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new RangeError(`probe model '${text}': ${key}=${raw} is not a number (metres, e.g. 70e-9)`);
    values.set(key, v);
  }
  const need = (key: string): number => {
    const v = values.get(key);
    if (v === undefined) throw new RangeError(`probe model '${text}': ${kind} needs ${key}=… (metres)`);
    return v;
  };
  let model: ProbeModel;
  if (kind === 'aperture') {
    model = { kind, diameterM: need('diameter'), distanceM: values.get('distance') ?? 0 };
  } else {
    const dr = values.get('outer-zone'), f = values.get('focal-length');
    if ((dr === undefined) === (f === undefined)) throw new RangeError(`probe model '${text}': fzp needs exactly one of outer-zone=… or focal-length=…`);
    model = {
      kind, diameterM: need('diameter'), centralStopM: values.get('stop') ?? 0, defocusM: values.get('defocus') ?? 0,
      ...(dr !== undefined ? { outerZoneM: dr } : {}), ...(f !== undefined ? { focalLengthM: f } : {}),
    };
  }
  validateProbeModel(model);
  const spec: ProbeModelSpec = { model };
  const wl = values.get('wavelength'), px = values.get('pixel');
  if (wl !== undefined) { if (!(wl > 0)) throw new RangeError(`probe model '${text}': wavelength must be > 0`); spec.wavelengthM = wl; }
  if (px !== undefined) { if (!(px > 0)) throw new RangeError(`probe model '${text}': pixel must be > 0`); spec.pixelM = px; }
  return spec;
}

/** Checks a model's own parameters (RangeError with the reason). */
export function validateProbeModel(m: ProbeModel): void {
  const pos = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RangeError(`probe model ${m.kind}: ${name} must be a positive length in metres, got ${v}`);
  };
  pos('diameter', m.diameterM);
  if (m.kind === 'aperture') {
    if (!(Number.isFinite(m.distanceM) && m.distanceM >= 0)) throw new RangeError(`probe model aperture: distance must be ≥ 0 m, got ${m.distanceM}`);
    return;
  }
  pos('outer-zone', m.outerZoneM);
  pos('focal-length', m.focalLengthM);
  if ((m.outerZoneM === undefined) === (m.focalLengthM === undefined)) throw new RangeError('probe model fzp: give exactly one of outer-zone or focal-length');
  if (!(Number.isFinite(m.centralStopM) && m.centralStopM >= 0 && m.centralStopM < m.diameterM)) throw new RangeError(`probe model fzp: stop must be in [0, diameter), got ${m.centralStopM}`);
  if (!Number.isFinite(m.defocusM)) throw new RangeError(`probe model fzp: defocus must be finite, got ${m.defocusM}`);
}

/** Fraction of pixel (centre cy, cx; size py × px) inside the annulus r0 ≤ r ≤ r1, by 16×16 sub-samples near the edges. */
function annulusCoverage(cy: number, cx: number, py: number, px: number, r0: number, r1: number): number {
  const r = Math.hypot(cy, cx);
  const half = 0.5 * Math.hypot(py, px);
  const inside = (rr: number): boolean => rr <= r1 && rr >= r0;
  if (r + half < r1 && r - half > r0) return 1;
  if (r - half > r1 || (r + half < r0 && r0 > 0)) return 0;
  const S = 16;
  let k = 0;
  for (let a = 0; a < S; a++) {
    const y = cy + ((a + 0.5) / S - 0.5) * py;
    for (let b = 0; b < S; b++) if (inside(Math.hypot(y, cx + ((b + 0.5) / S - 0.5) * px))) k++;
  }
  return k / (S * S);
}

function checkSampling(s: ProbeSampling): void {
  if (!Number.isInteger(s.height) || !Number.isInteger(s.width) || s.height < 4 || s.width < 4) throw new RangeError(`probe size must be integers ≥ 4, got ${s.height}×${s.width}`);
  if (!(s.wavelengthM > 0 && Number.isFinite(s.wavelengthM))) throw new RangeError(`wavelength must be > 0 m, got ${s.wavelengthM}`);
  if (!(s.pixelM[0] > 0 && s.pixelM[1] > 0 && Number.isFinite(s.pixelM[0]) && Number.isFinite(s.pixelM[1]))) throw new RangeError(`pixel size must be > 0 m, got [${s.pixelM.join(', ')}]`);
}

/** Multiplies a spectrum (DC at [0, 0]) by the angular-spectrum transfer function of distance z. */
function propagateSpectrum(buf: Float64Array, s: ProbeSampling, z: number): void {
  if (z === 0) return;
  const fy = fftfreq(s.height, s.pixelM[0]), fx = fftfreq(s.width, s.pixelM[1]);
  const k2 = 1 / (s.wavelengthM * s.wavelengthM);
  for (let i = 0; i < s.height; i++) {
    for (let j = 0; j < s.width; j++) {
      const q2 = fy[i]! * fy[i]! + fx[j]! * fx[j]!;
      // exp(i2πz(√(1/λ² − q²) − 1/λ)), written without cancellation: √(k² − q²) − k = −q²/(√(k² − q²) + k).
      const ph = (-2 * Math.PI * z * q2) / (Math.sqrt(k2 - q2) + Math.sqrt(k2));
      const c = Math.cos(ph), sn = Math.sin(ph);
      const o = 2 * (i * s.width + j);
      const re = buf[o]!, im = buf[o + 1]!;
      buf[o] = re * c - im * sn; buf[o + 1] = re * sn + im * c;
    }
  }
}

/**
 * Moves the origin from [0, 0] to [H/2, W/2] (fftshift) into a new image, scaled to peak amplitude 1
 * (`unitPeak`) or left in the model's own scale (aperture: the incident plane wave has amplitude 1).
 */
function centred(buf: Float64Array, h: number, w: number, unitPeak: boolean): ComplexImage {
  const out = new Float64Array(2 * h * w);
  const cy = Math.floor(h / 2), cx = Math.floor(w / 2);
  let peak = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const s = 2 * (i * w + j), d = 2 * (((i + cy) % h) * w + ((j + cx) % w));
      out[d] = buf[s]!; out[d + 1] = buf[s + 1]!;
      const m = out[d]! * out[d]! + out[d + 1]! * out[d + 1]!;
      if (m > peak) peak = m;
    }
  }
  const k = unitPeak && peak > 0 ? 1 / Math.sqrt(peak) : 1;
  for (let i = 0; i < out.length; i++) out[i]! *= k;
  return { h, w, data: out };
}

/** The probe of a circular aperture of diameter d at distance z (see the section comment). */
export function apertureProbe(m: ApertureModel, s: ProbeSampling, opts: ModelProbeOptions = {}): ModelProbe {
  validateProbeModel(m);
  checkSampling(s);
  const [py, px] = s.pixelM;
  const { height: h, width: w } = s;
  const R = m.diameterM / 2;
  // lengths in 4 digits, in exponent notation (a measured pixel's products were shown as 0.000004132806614440009)
  const m4 = (v: number): string => Number(v.toPrecision(4)).toExponential();
  if (m.diameterM >= Math.min(h * py, w * px)) {
    throw new RangeError(`aperture diameter ${m4(m.diameterM)} m does not fit the probe window ${m4(h * py)} × ${m4(w * px)} m (${h}×${w} pixels of ${m4(py)} × ${m4(px)} m)`);
  }
  if (m.diameterM < 2 * Math.max(py, px)) throw new RangeError(`aperture diameter ${m4(m.diameterM)} m is under two pixels (${m4(Math.max(py, px))} m): it cannot be sampled`);
  const zMax = Math.min(h * py * py, w * px * px) / s.wavelengthM;
  if (m.distanceM > zMax) throw new RangeError(`aperture distance ${m.distanceM} m exceeds min(N·Δ²)/λ = ${zMax.toExponential(2)} m, where the angular spectrum stops being valid and the aperture's diffraction leaves the ${h}×${w} window; reduce the distance or use a probe file`);
  const buf = new Float64Array(2 * h * w);
  // Field with its centre at index [0, 0] (pixel i holds the displacement i or i − h).
  for (let i = 0; i < h; i++) {
    const y = (i < h - Math.floor(h / 2) ? i : i - h) * py;
    for (let j = 0; j < w; j++) {
      const x = (j < w - Math.floor(w / 2) ? j : j - w) * px;
      buf[2 * (i * w + j)] = annulusCoverage(y, x, py, px, 0, R);
    }
  }
  const fft = createFft2(h, w);
  if (m.distanceM > 0) {
    fft.forward(buf, 1);
    propagateSpectrum(buf, s, m.distanceM);
    fft.inverse(buf, 1);
  }
  return {
    probe: centred(buf, h, w, opts.unitPeak ?? true),
    derived: { fresnel_number: (R * R) / (s.wavelengthM * Math.max(m.distanceM, Number.MIN_VALUE)), max_distance_m: zMax },
    notes: [],
  };
}

/** The probe of a Fresnel zone plate (or thin lens) at `defocus` from its focus (see the section comment). */
export function zonePlateProbe(m: ZonePlateModel, s: ProbeSampling, opts: ModelProbeOptions = {}): ModelProbe {
  validateProbeModel(m);
  checkSampling(s);
  const { height: h, width: w, wavelengthM: lambda } = s;
  const [py, px] = s.pixelM;
  const f = m.focalLengthM ?? (m.diameterM * m.outerZoneM!) / lambda;
  const qMax = m.diameterM / (2 * lambda * f); // the cone's edge, cycles/m
  const beam = (Math.abs(m.defocusM) * m.diameterM) / f; // geometric beam diameter at the sample
  const window = Math.min(h * py, w * px);
  if (beam > window) {
    throw new RangeError(`the defocused beam (geometric diameter |defocus|·D/f = ${beam.toPrecision(3)} m) is wider than the probe window (${window.toPrecision(3)} m = ${Math.min(h, w)} pixels of ${Math.max(py, px).toPrecision(3)} m): it would wrap around; reduce the defocus`);
  }
  const notes: string[] = [];
  const nyquist = Math.min(1 / (2 * py), 1 / (2 * px));
  if (qMax > nyquist) notes.push(`the zone plate's cone (half-angle ${(lambda * qMax).toPrecision(3)} rad) is wider than the detector's (${(lambda * nyquist).toPrecision(3)} rad): the probe is band-limited to what the detector records`);
  const fy = fftfreq(h, py), fx = fftfreq(w, px);
  const dqy = 1 / (h * py), dqx = 1 / (w * px);
  const buf = new Float64Array(2 * h * w);
  // Pupil radius ρ = λ·f·|q|: the annulus [stop/2, D/2] in ρ is [stop/(2λf), D/(2λf)] in q.
  const q1 = qMax, q0 = m.centralStopM / (2 * lambda * f);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) buf[2 * (i * w + j)] = annulusCoverage(fy[i]!, fx[j]!, dqy, dqx, q0, q1);
  }
  propagateSpectrum(buf, s, m.defocusM);
  createFft2(h, w).inverse(buf, 1);
  return {
    probe: centred(buf, h, w, opts.unitPeak ?? true),
    derived: {
      focal_length_m: f, numerical_aperture: lambda * qMax, outer_zone_width_m: m.outerZoneM ?? 1 / (2 * qMax),
      focus_airy_radius_m: 0.61 / qMax, beam_diameter_at_sample_m: beam, lens_fresnel_number: (m.diameterM * m.diameterM) / (4 * lambda * f),
    },
    notes,
  };
}

/** The probe of `model` on grid `s`. */
export function modelProbe(model: ProbeModel, s: ProbeSampling, opts: ModelProbeOptions = {}): ModelProbe {
  return model.kind === 'aperture' ? apertureProbe(model, s, opts) : zonePlateProbe(model, s, opts);
}
