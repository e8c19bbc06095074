/**
 * Measured ptychography data read from an instrument's or another tool's file (CXI, PtyPy .ptyd):
 * diffraction amplitudes, positions in metres and in object pixels, the physical geometry, and a probe
 * when the file holds one. No object: measured data has no ground truth.
 *
 * Conventions (docs/real-data.md): amplitudes √I as float32 [n, H, W] with the direct beam (DC) at
 * [H/2, W/2] as stored (no re-centring); x = column, y = row, +x metres → +column, +y → +row;
 * coordinates in the object frame of `scanFrame` (smallest scan centre at N/2 + margin).
 */
import type { Dataset } from './dataset.js';
import { WAVELENGTH_FORMULA, type Geometry, type Radiation } from './geometry.js';
import type { DetectorMask } from './hdf5/mask.js';
import { c128, type NdArray } from '../npy/types.js';

/** A probe read from a file: modes [M, H, W] as interleaved complex128. */
export interface ProbeData {
  modes: number;
  height: number;
  width: number;
  /** Interleaved (re, im), length 2·M·H·W. */
  data: Float64Array;
  /** Pixel size [y, x] in metres when the file states it. */
  pixelM?: [number, number];
  /** Where it came from: 'FILE: key'. */
  source: string;
}

/**
 * Where the radiation of measured data comes from: the file's own statement (`key`, the text `stated`),
 * the setting reconstruction.radiation, the format (PtyPy's meta/energy is always a photon energy), or the
 * default, photon, for a file that states none.
 */
export interface RadiationFrom {
  source: 'file' | 'setting' | 'format' | 'default';
  key?: string;
  stated?: string;
}

/** Why the radiation is what it is, for each source but the file's own statement (the end of `radiationText`). */
export const RADIATION_WHY = {
  setting: 'as reconstruction.radiation (--radiation) says',
  format: 'PtyPy stores a photon energy in meta/energy (for electron data, the photon energy of the same wavelength)',
  default: 'the file states no radiation (photon unless reconstruction.radiation, --radiation electron, says otherwise)',
} as const;

/** One line saying which formula gave the wavelength and why (inspect, _metadata.geometry). */
export function radiationText(radiation: Radiation, from: RadiationFrom): string {
  const why = from.source === 'file' ? `as the file states at ${from.key} ('${from.stated}')`
    : from.source === 'setting' ? RADIATION_WHY.setting : from.source === 'format' ? RADIATION_WHY.format : RADIATION_WHY.default;
  return `${radiation}: ${WAVELENGTH_FORMULA[radiation]}, ${why}`;
}

export interface MeasuredData {
  file: string;
  format: 'cxi' | 'ptyd';
  n: number;
  H: number;
  W: number;
  /** √max(I, 0), float32 [n, H, W], DC at [H/2, W/2]. */
  diffraction: Float32Array;
  /** Scan centres in object pixels, in the object frame (see geometry.ts `scanFrame`). */
  xcoords: Float64Array;
  ycoords: Float64Array;
  /** Positions as read, metres. */
  positionsM: { x: Float64Array; y: Float64Array };
  /** Object size [H, W] of the frame: every patch inside with `margin` pixels to spare. */
  objectShape: [number, number];
  margin: number;
  /** Metres at object pixel coordinate 0 [y, x]: position_m = originM + coord·objectPixelM. */
  originM: [number, number];
  geometry: Geometry;
  /** Where `geometry.radiation` comes from (docs/real-data.md, "Radiation"). */
  radiationFrom: RadiationFrom;
  /** The file's probe, when it has one. */
  probe?: ProbeData;
  /** Why the file's probe is not used (it is not of the cropped or binned patterns' size), when it is not. */
  probeNotUsed?: string;
  /**
   * How the file's frames were made into the patterns when they were cropped or binned (hdf5/frames.ts
   * `frameRecord`: window, bin size, the file's frame shape and pixel size); absent: as the file holds them.
   */
  frames?: Record<string, unknown>;
  /** Which key each quantity came from. */
  keys: Record<string, string>;
  /**
   * The detector mask (hdf5/mask.ts), its masked pixels already 0 in `diffraction`; absent when no pixel is
   * masked. `maskRecord` says what was masked, from which source, or that the mask was switched off.
   */
  detectorMask?: DetectorMask;
  maskRecord: Record<string, unknown>;
  warnings: string[];
}

/** Mode 0 of a probe as a complex128 [H, W] NdArray (the DATA-001 `probeGuess`). */
export function probeGuessOf(p: ProbeData): NdArray {
  return c128([p.height, p.width], p.data.slice(0, 2 * p.height * p.width));
}

/** The DATA-001 dataset of measured data with `probeGuess` (no `objectGuess`); geometry goes in `metadata.geometry`. */
export function measuredToDataset(m: MeasuredData, probeGuess: NdArray): Dataset {
  return {
    file: m.file, n: m.n, H: m.H, W: m.W, diffraction: m.diffraction, probeGuess,
    xcoords: m.xcoords, ycoords: m.ycoords, extra: {}, warnings: [...m.warnings],
    metadata: { source_format: m.format, geometry: geometryRecord(m) },
  };
}

/** A JSON record of the geometry and the object frame (for `_metadata`). */
export function geometryRecord(m: MeasuredData): Record<string, unknown> {
  const g = m.geometry;
  return {
    energy_J: g.energyJ, energy_eV: g.energyEv, radiation: g.radiation, wavelength_formula: radiationText(g.radiation, m.radiationFrom),
    wavelength_m: g.wavelengthM, detector_distance_m: g.distanceM,
    detector_pixel_size_m_yx: g.detectorPixelM, pattern_shape: g.patternShape, object_pixel_size_m_yx: g.objectPixelM,
    object_shape: m.objectShape, object_margin_px: m.margin, object_origin_m_yx: m.originM,
    position_convention: 'x = column, y = row; +x m → +column, +y m → +row (ptychodus); coord = (position_m − origin_m) / pixel_m',
    keys: m.keys, ...(m.frames ? { frames: m.frames } : {}),
  };
}
