/**
 * Physical geometry of a far-field ptychography measurement and the object frame it implies.
 *
 *   wavelength          λ = h·c / E                  (photon energy E in joules; SI constants, exact)
 *                       λ = h·c / √(E·(E + 2·m0·c²))  (electron kinetic energy E: the relativistic de Broglie
 *                                                      wavelength h / √(2·m0·E·(1 + E/(2·m0·c²))), m0 CODATA 2018)
 *   object pixel size   Δx = λ·z / (N_x·p_x)         (z detector distance, N_x pattern width, p_x detector pixel width)
 *                       Δy = λ·z / (N_y·p_y)
 *   positions           column = x / Δx, row = y / Δy, shifted so the scan fits the object (below)
 *
 * Axes: x is the column (second array axis), y the row (first axis); +x in metres is +column and +y
 * is +row — ptychodus's mapping (ObjectGeometry.map_coordinates_probe_to_object), no sign flip.
 *
 * The object frame of a scan without an object (`scanFrame`): positions are shifted so that the
 * smallest scan centre sits at N/2 + margin pixels, and the object is just large enough that every
 * N×N patch lies inside it with `margin` pixels to spare on each side:
 *   W = ceil(max x − min x) + N_x + 2·margin,  H = ceil(max y − min y) + N_y + 2·margin.
 */
import { InputError } from '../errors.js';

/** Planck constant (J·s) and speed of light (m/s): exact SI values since 2019. */
export const PLANCK_J_S = 6.62607015e-34;
export const LIGHT_SPEED_M_S = 299792458;
/** 1 eV in joules (exact). */
export const ELECTRON_VOLT_J = 1.602176634e-19;

/** Electron rest mass (kg): CODATA 2018, 9.1093837015(28)e-31 — measured, not exact (h, c and e are). */
export const ELECTRON_MASS_KG = 9.1093837015e-31;

/**
 * What a stated energy is the energy of: a photon's (λ = hc/E), or an electron's kinetic energy, the
 * accelerating voltage times e (the relativistic de Broglie wavelength).
 */
export type Radiation = 'photon' | 'electron';

/** The formula each radiation's wavelength comes from, as `inspect` and `_metadata.geometry` state it. */
export const WAVELENGTH_FORMULA: Readonly<Record<Radiation, string>> = {
  photon: 'λ = h·c/E (photon energy)',
  electron: 'λ = h/√(2·m0·E·(1 + E/(2·m0·c²))) (electron kinetic energy, relativistic; m0 CODATA 2018)',
};

/** Default margin (pixels) between the outermost patch and the object's edge. */
export const DEFAULT_OBJECT_MARGIN = 2;

/** What the measurement's geometry gives; lengths in metres, pairs as [y, x]. */
export interface Geometry {
  /** The energy of one photon, or one electron's kinetic energy (`radiation`), J and eV. */
  energyJ: number;
  energyEv: number;
  /** What the energy is the energy of; it decides the wavelength's formula (WAVELENGTH_FORMULA). */
  radiation: Radiation;
  /** λ of `energyJ` for `radiation`, m. */
  wavelengthM: number;
  /** Sample–detector distance, m. */
  distanceM: number;
  /** Detector pixel size [y, x], m. */
  detectorPixelM: [number, number];
  /** Diffraction pattern size [H, W] the object pixel size refers to. */
  patternShape: [number, number];
  /** Object (reconstruction) pixel size [y, x] = λz / (N·p), m. */
  objectPixelM: [number, number];
}

/**
 * The wavelength (m) of radiation of energy E in joules: λ = hc/E for a photon; for an electron of
 * kinetic energy E, λ = h/p with (pc)² = E² + 2·E·m0c², i.e. λ = hc/√(E·(E + 2·m0·c²)), which is
 * h/√(2·m0·E·(1 + E/(2·m0·c²))) written so that no step loses digits (300 keV: 1.9687 pm; hc/E gives 4.1328 pm).
 */
export function wavelengthFromEnergy(energyJ: number, radiation: Radiation = 'photon'): number {
  const hc = PLANCK_J_S * LIGHT_SPEED_M_S;
  if (radiation === 'photon') return hc / energyJ;
  const restEnergyJ = ELECTRON_MASS_KG * LIGHT_SPEED_M_S * LIGHT_SPEED_M_S;
  return hc / Math.sqrt(energyJ * (energyJ + 2 * restEnergyJ));
}

/** Δ = λ·z / (N·p): the object pixel size of an N-pixel pattern of detector pixels p at distance z. */
export function objectPixelSize(wavelengthM: number, distanceM: number, n: number, detectorPixelM: number): number {
  return (wavelengthM * distanceM) / (n * detectorPixelM);
}

/** The geometry record of a measurement whose energy is that of `radiation` (default: a photon's). */
export function makeGeometry(energyJ: number, distanceM: number, detectorPixelM: [number, number], patternShape: [number, number],
  radiation: Radiation = 'photon'): Geometry {
  const wavelengthM = wavelengthFromEnergy(energyJ, radiation);
  return {
    energyJ, energyEv: energyJ / ELECTRON_VOLT_J, radiation, wavelengthM, distanceM, detectorPixelM, patternShape,
    objectPixelM: [
      objectPixelSize(wavelengthM, distanceM, patternShape[0], detectorPixelM[0]),
      objectPixelSize(wavelengthM, distanceM, patternShape[1], detectorPixelM[1]),
    ],
  };
}

/** Positions in metres → object pixels (x / Δx, y / Δy), not yet shifted into a frame. */
export function metresToPixels(xM: ArrayLike<number>, yM: ArrayLike<number>, objectPixelM: readonly [number, number]): { x: Float64Array; y: Float64Array } {
  const n = xM.length;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) { x[i] = xM[i]! / objectPixelM[1]; y[i] = yM[i]! / objectPixelM[0]; }
  return { x, y };
}

export interface ScanFrame {
  /** Scan centres in object pixels of the frame (a patch covers [c − N/2, c + N/2)). */
  x: Float64Array;
  y: Float64Array;
  /** Object size [H, W]. */
  objectShape: [number, number];
  /** What was added to the input coordinates [dy, dx] (frame = input + shift). */
  shift: [number, number];
  margin: number;
}

/** Largest object side `scanFrame` accepts (pixels): a scan wider than this is almost surely in the wrong unit. */
export const MAX_OBJECT_SIDE = 65536;

/**
 * The object frame of a scan (see the module comment): coordinates shifted so the smallest centre is
 * at N/2 + margin, and the smallest object holding every patch with `margin` pixels to spare.
 * Idempotent: a scan already in such a frame is returned unchanged. Throws InputError (naming
 * `label`) for a scan wider than MAX_OBJECT_SIDE pixels.
 */
export function scanFrame(x: ArrayLike<number>, y: ArrayLike<number>, patch: [number, number], margin = DEFAULT_OBJECT_MARGIN, label = 'scan'): ScanFrame {
  const n = x.length;
  if (n === 0 || y.length !== n) throw new InputError(`${label}: expected as many x as y positions, at least one; found ${x.length} and ${y.length}`);
  if (!Number.isInteger(margin) || margin < 0) throw new RangeError(`object margin must be a non-negative integer, got ${margin}`);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = x[i]!, b = y[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new InputError(`${label}: expected finite positions; found (${a}, ${b}) at index ${i}`);
    if (a < x0) x0 = a; if (a > x1) x1 = a;
    if (b < y0) y0 = b; if (b > y1) y1 = b;
  }
  // Patterns that all see the same place are no ptychographic scan (positions never written, or in a wrong unit)
  if (n >= 2 && x1 - x0 < 1 && y1 - y0 < 1) {
    throw new InputError(`${label}: expected a scan: ${n} positions spread over at least one pixel; found them all within ${extent(x1 - x0)} × ${extent(y1 - y0)} pixels (x × y) (were the positions written, and in the right unit?)`);
  }
  const [N, M] = patch; // N rows, M columns
  const W = Math.ceil(x1 - x0 - 1e-9) + M + 2 * margin;
  const H = Math.ceil(y1 - y0 - 1e-9) + N + 2 * margin;
  if (W > MAX_OBJECT_SIDE || H > MAX_OBJECT_SIDE) {
    throw new InputError(`${label}: expected a scan spanning at most ${MAX_OBJECT_SIDE} object pixels; found ${Math.ceil(y1 - y0)} × ${Math.ceil(x1 - x0)} pixels (are the positions in the right unit?)`);
  }
  const dx = M / 2 + margin - x0, dy = N / 2 + margin - y0;
  const fx = new Float64Array(n), fy = new Float64Array(n);
  for (let i = 0; i < n; i++) { fx[i] = x[i]! + dx; fy[i] = y[i]! + dy; }
  return { x: fx, y: fy, objectShape: [H, W], shift: [dy, dx], margin };
}

/**
 * Positions in metres → object-frame coordinates (pixels) and the metres at pixel coordinate 0 [y, x].
 * The scan's smallest x and y are subtracted in metres (float64, exact for values within a factor 2 of
 * each other) before dividing by the pixel size, so an absolute offset — a motor's position, a beamline
 * frame — costs no precision beyond what the stored values themselves hold (`checkPositionPrecision`).
 */
export function frameFromMetres(xM: ArrayLike<number>, yM: ArrayLike<number>, objectPixelM: readonly [number, number],
  patch: [number, number], margin = DEFAULT_OBJECT_MARGIN, label = 'scan'): ScanFrame & { originM: [number, number] } {
  let x0 = Infinity, y0 = Infinity;
  for (let i = 0; i < xM.length; i++) { if (xM[i]! < x0) x0 = xM[i]!; }
  for (let i = 0; i < yM.length; i++) { if (yM[i]! < y0) y0 = yM[i]!; }
  // non-finite values (and an empty scan) are left for scanFrame to refuse
  if (!Number.isFinite(x0)) x0 = 0;
  if (!Number.isFinite(y0)) y0 = 0;
  const rx = Float64Array.from(xM, (v) => v - x0), ry = Float64Array.from(yM, (v) => v - y0);
  const px = metresToPixels(rx, ry, objectPixelM);
  // Patterns that all see the same place are no ptychographic scan: positions never written (a
  // preallocated dataset of zeros) or in a unit a thousand times too large (km for m)
  let sx = 0, sy = 0;
  for (let i = 0; i < px.x.length; i++) { sx = Math.max(sx, px.x[i]!); sy = Math.max(sy, px.y[i]!); }
  if (px.x.length >= 2 && sx < 1 && sy < 1) {
    throw new InputError(`${label}: expected a scan: ${px.x.length} probe positions spread over at least one object pixel (${objectPixelM[1].toPrecision(4)} × ${objectPixelM[0].toPrecision(4)} m); ` +
      `found them all within ${extent(sx * objectPixelM[1])} × ${extent(sy * objectPixelM[0])} m (x × y) (were the positions written, and in the right unit?)`);
  }
  const f = scanFrame(px.x, px.y, patch, margin, label);
  // coord = (position_m − p0) / pixel + shift  ⇒  position_m = (p0 − shift·pixel) + coord·pixel.
  return { ...f, originM: [y0 - f.shift[0] * objectPixelM[0], x0 - f.shift[1] * objectPixelM[1]] };
}

/** A length or extent for a message: 0 as '0', anything else to 3 digits. */
const extent = (v: number): string => (v === 0 ? '0' : v.toPrecision(3));

/**
 * A warning when the scan's positions are, on average, more than two pattern widths apart: patches of
 * neighbours then hardly overlap, which ptychography needs, and the likeliest cause is a unit a
 * thousand times too small (mm read as m). The mean spacing is √(A/n) over the scan's extent A, each
 * side taken as at least the pattern's (so a line scan counts as a band one pattern wide).
 */
export function sparseScanWarning(f: ScanFrame, patch: [number, number], label: string): string | undefined {
  const n = f.x.length;
  if (n < 2) return undefined;
  const [N, M] = patch;
  const spanY = f.objectShape[0] - N - 2 * f.margin, spanX = f.objectShape[1] - M - 2 * f.margin;
  const spacing = Math.sqrt((Math.max(spanX, M) * Math.max(spanY, N)) / n);
  const size = Math.max(N, M);
  if (!(spacing > 2 * size)) return undefined;
  return `${label}: the ${n} positions are about ${Math.round(spacing)} object pixels apart on average, ${(spacing / size).toFixed(0)} times the ${size}-pixel pattern: ` +
    `neighbouring patches hardly overlap, as ptychography needs (are the positions in the right unit?)`;
}

/** Largest step between a stored position and the next representable one, in object pixels, that is refused. */
export const MAX_POSITION_STEP_PX = 1;
/** Largest such step accepted without a warning. */
export const WARN_POSITION_STEP_PX = 0.1;

/** The spacing of IEEE floats with `mantissaBits` fraction bits near |v| (the step from v to the next value). */
export function floatStep(v: number, mantissaBits: number): number {
  const a = Math.abs(v);
  if (a === 0 || !Number.isFinite(a)) return 0;
  return 2 ** (Math.floor(Math.log2(a)) - mantissaBits);
}

/**
 * Checks that positions stored as floats of `itemsize` bytes (4: float32, 8: float64) still tell the
 * probe's place to better than a pixel. Positions are relative — an absolute offset is legal — but a
 * float holds ~7 (float32) or ~16 (float64) significant digits in all: at 1e9 m float32 values are 64 m
 * apart and float64 ones 0.12 µm, so a scan of a few µm around such an offset is lost in the file
 * itself, before anything is read. A step over MAX_POSITION_STEP_PX object pixels is refused (InputError
 * naming `label`); over WARN_POSITION_STEP_PX the returned warning says how far positions may be off.
 */
export function checkPositionPrecision(xM: ArrayLike<number>, yM: ArrayLike<number>, objectPixelM: readonly [number, number],
  itemsize: number, label: string): string | undefined {
  const bits = itemsize === 4 ? 23 : 52;
  let big = 0;
  for (let i = 0; i < xM.length; i++) big = Math.max(big, Math.abs(xM[i]!));
  for (let i = 0; i < yM.length; i++) big = Math.max(big, Math.abs(yM[i]!));
  const step = floatStep(big, bits);
  const pixel = Math.min(objectPixelM[0], objectPixelM[1]);
  const stepPx = step / pixel;
  if (!(stepPx > WARN_POSITION_STEP_PX)) return undefined;
  const type = itemsize === 4 ? 'float32' : 'float64';
  const found = `values up to ${big.toPrecision(4)} m stored as ${type}, which are ${step.toPrecision(3)} m apart there = ${stepPx.toPrecision(3)} object pixels of ${pixel.toPrecision(4)} m`;
  const fix = `store the positions relative to the scan, e.g. minus their mean${itemsize === 4 ? ', or as float64' : ''}`;
  if (stepPx > MAX_POSITION_STEP_PX) {
    throw new InputError(`${label}: expected probe positions stored to better than ${MAX_POSITION_STEP_PX} object pixel (an absolute offset is allowed, but a float holds ${itemsize === 4 ? '~7' : '~16'} significant digits in all); found ${found} (${fix})`);
  }
  return `${label}: positions are rounded by up to ${(stepPx / 2).toPrecision(2)} object pixels in the file (${found}); ${fix}`;
}
