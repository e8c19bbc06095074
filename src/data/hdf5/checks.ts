/**
 * Checks of physical values read from HDF5 files: present, one number, finite, positive, and within a
 * plausible range — a value outside it is almost always in the wrong unit (eV for J, mm or µm for m),
 * and the message says so.
 */
import type { Hdf5Reader } from './reader.js';

export interface PhysicalValue {
  /** What it is and its unit, for messages: 'the photon energy in J'. */
  what: string;
  /** Largest plausible value (exclusive). */
  max: number;
  /** Added to the message when the value exceeds `max`: '(is it in eV?)'. */
  hint: string;
}

/** The first of `keys` present in the file, or undefined. */
export function firstPresent(r: Hdf5Reader, keys: readonly string[]): string | undefined {
  return keys.find((k) => r.has(k));
}

/** Reads a positive, finite, plausible scalar from the first present of `keys`; returns it and its key. */
export function readPhysical(r: Hdf5Reader, keys: readonly string[], v: PhysicalValue): { value: number; key: string } {
  const key = firstPresent(r, keys);
  if (key === undefined) throw r.bad(keys[0]!, v.what, keys.length > 1 ? `it missing (also looked at ${keys.slice(1).join(', ')})` : 'it missing');
  const value = r.readScalar(key, v.what);
  if (!Number.isFinite(value)) throw r.bad(key, `${v.what}, finite`, String(value));
  if (!(value > 0)) throw r.bad(key, `${v.what}, > 0`, String(value));
  if (!(value < v.max)) throw r.bad(key, `${v.what}, < ${v.max}`, `${value} ${v.hint}`);
  return { value, key };
}

export const ENERGY_J: PhysicalValue = { what: 'the photon energy in J', max: 1e-12, hint: '(is it in eV or keV? CXI stores joules: 8 keV = 1.2817e-15 J)' };
export const DISTANCE_M: PhysicalValue = { what: 'the sample–detector distance in m', max: 1000, hint: '(is it in mm?)' };
export const PIXEL_M: PhysicalValue = { what: 'the detector pixel size in m', max: 0.01, hint: '(is it in µm or mm?)' };
