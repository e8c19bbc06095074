/**
 * Checks of physical values read from HDF5 files: present, one number, finite, positive, and within a
 * plausible range — a value outside it is almost always in the wrong unit (eV for J, mm or µm for m),
 * and the message says so.
 */
import { shown, type Hdf5Reader } from './reader.js';
import { ELECTRON_VOLT_J } from '../geometry.js';

export interface PhysicalValue {
  /** What it is and its unit, for messages: 'the photon energy in J'. */
  what: string;
  /** Largest plausible value (exclusive). */
  max: number;
  /** Added to the message when the value exceeds `max`: '(is it in eV?)'. */
  hint: string;
  /** Smallest plausible value (exclusive), far below any instrument's: a smaller one is in another unit or garbage. */
  min: number;
  /** Added to the message when the value is positive but not above `min`. */
  minHint: string;
  /** The unit the value must be in, as a `units` attribute may name it (`UNIT_SPELLINGS`). */
  unit: string;
}

/** Spellings of a unit a `units` attribute may use (NeXus, h5py scripts); compared after trimming, words case-insensitively. */
const UNIT_SPELLINGS: Record<string, readonly string[]> = {
  m: ['m', 'meter', 'meters', 'metre', 'metres'],
  J: ['J', 'joule', 'joules'],
  keV: ['keV', 'kiloelectronvolt', 'kiloelectronvolts'],
};

/**
 * Refuses a `units` attribute of `key` that names another unit than `unit`: values are read as they are
 * stored (nothing is converted), so a distance in mm labelled 'mm' would otherwise be taken for metres
 * whenever it is under the plausibility limit (500 mm read as 500 m). No attribute, or an empty one, is
 * no statement; a value that is not text is refused.
 */
export function checkUnits(r: Hdf5Reader, key: string, what: string, unit: string): void {
  let v = r.attr(key, 'units');
  if (v === undefined) return;
  if ((Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<unknown>).length === 1) v = (v as ArrayLike<unknown>)[0];
  const want = `${what} (a 'units' attribute, when present, naming ${unit}; nothing is converted)`;
  if (typeof v !== 'string') throw r.bad(key, want, `a 'units' attribute that is not text`);
  const text = v.trim();
  if (text === '') return;
  const ok = UNIT_SPELLINGS[unit] ?? [unit];
  if (ok.includes(text) || ok.some((s) => s.length > 3 && s.toLowerCase() === text.toLowerCase())) return;
  throw r.bad(key, want, `units '${shown(text.slice(0, 40))}' (store the value in ${unit})`);
}

/** The first of `keys` present in the file, or undefined. */
export function firstPresent(r: Hdf5Reader, keys: readonly string[]): string | undefined {
  return keys.find((k) => r.has(k));
}

/** Reads a positive, finite, plausible scalar from the first present of `keys`; returns it and its key. */
export function readPhysical(r: Hdf5Reader, keys: readonly string[], v: PhysicalValue): { value: number; key: string } {
  const key = firstPresent(r, keys);
  if (key === undefined) throw r.bad(keys[0]!, v.what, keys.length > 1 ? `it missing (also looked at ${keys.slice(1).join(', ')})` : 'it missing');
  checkUnits(r, key, v.what, v.unit);
  const value = r.readScalar(key, v.what);
  if (!Number.isFinite(value)) throw r.bad(key, `${v.what}, finite`, String(value));
  if (!(value > 0)) throw r.bad(key, `${v.what}, > 0`, String(value));
  if (!(value < v.max)) throw r.bad(key, `${v.what}, < ${v.max}`, `${value} ${v.hint}`);
  if (!(value > v.min)) throw r.bad(key, `${v.what}, > ${v.min}`, `${value} ${v.minHint}`);
  return { value, key };
}

export const ENERGY_J: PhysicalValue = {
  what: 'the photon energy in J', max: 1e-12, hint: '(is it in eV or keV? CXI stores joules: 8 keV = 1.2817e-15 J)',
  min: 1e-21, minHint: '(under 6 meV: is it in the right unit? CXI stores joules: 8 keV = 1.2817e-15 J)', unit: 'J',
};
/**
 * The energy of a CXI file that states no radiation, read as a photon's unless reconstruction.radiation says
 * electron: the hints name the electron's case too, since electron data often states nothing.
 */
export const UNSTATED_ENERGY_J: PhysicalValue = {
  ...ENERGY_J, hint: '(is it in eV or keV? CXI stores joules: 8 keV = 1.2817e-15 J; for electron data, 300 keV = 4.8065e-14 J, with --radiation electron when the file states no radiation)',
  minHint: '(under 6 meV: is it in the right unit? CXI stores joules: 8 keV = 1.2817e-15 J; for electron data, 300 keV = 4.8065e-14 J, with --radiation electron when the file states no radiation)',
};
/**
 * A photon energy from a file that states no radiation at or above this (J, 50 keV) is warned of: X-ray ptychography
 * rarely goes there, and electron microscopes work at 60–300 kV.
 */
export const UNSTATED_PHOTON_WARN_J = 50e3 * ELECTRON_VOLT_J;
/** An electron's kinetic energy (the accelerating voltage times e), J: the same limits (6 meV … 6.2 MeV). */
export const ELECTRON_ENERGY_J: PhysicalValue = {
  ...ENERGY_J, what: 'the electron energy in J', hint: '(is it in eV or keV? CXI stores joules: 300 keV = 4.8065e-14 J)',
  minHint: '(under 6 meV: is it in the right unit? CXI stores joules: 300 keV = 4.8065e-14 J)',
};
export const DISTANCE_M: PhysicalValue = {
  what: 'the sample–detector distance in m', max: 1000, hint: '(is it in mm?)',
  min: 1e-4, minHint: '(under 0.1 mm: is it in the right unit? CXI stores metres)', unit: 'm',
};
export const PIXEL_M: PhysicalValue = {
  what: 'the detector pixel size in m', max: 0.01, hint: '(is it in µm or mm?)',
  min: 1e-7, minHint: '(under 0.1 µm, no detector\'s pixel: is it in the right unit? CXI stores metres: 75 µm = 7.5e-5)', unit: 'm',
};

/** True for a pixel size in m (an object's, a probe's) that is finite, > 0 and below PIXEL_M.max. */
export function pixelSizeOk(v: number): boolean {
  return Number.isFinite(v) && v > 0 && v < PIXEL_M.max;
}
