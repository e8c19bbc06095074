/**
 * Scale bars: a round length, about a fifth of the image wide, in metres when the pixel size is known
 * (nm, µm, mm) and in pixels otherwise; and the object pixel size a dataset's `_metadata.geometry`
 * states (`object_pixel_size_m_yx`, written for measured data, src/data/measured.ts).
 */
import { niceLength } from './ticks.js';

export interface ScaleBar {
  /** Length in image pixels (may be fractional when in metres). */
  lengthPx: number;
  /** "50 px", "2 µm". */
  label: string;
}

const UNITS: readonly [number, string][] = [[1, 'm'], [1e-3, 'mm'], [1e-6, 'µm'], [1e-9, 'nm'], [1e-12, 'pm']];

/** "500 nm", "2 µm", "1.5 mm": a length in metres with the unit that keeps the number in [1, 1000). */
export function formatLength(m: number): string {
  if (!(m > 0) || !Number.isFinite(m)) return `${m} m`;
  const [f, unit] = UNITS.find(([f]) => m >= f * (1 - 1e-9)) ?? UNITS[UNITS.length - 1]!;
  return `${Number((m / f).toPrecision(6))} ${unit}`;
}

/**
 * The scale bar of an image `widthPx` pixels wide: a round length near `fraction` of the width, in
 * metres when `pixelSizeM` (the size of one pixel along x) is known, else in pixels (`unit` names them).
 */
export function scaleBarFor(widthPx: number, pixelSizeM?: number | null, fraction = 0.2, unit = 'px'): ScaleBar {
  const target = Math.max(1, widthPx * fraction);
  if (pixelSizeM !== undefined && pixelSizeM !== null && pixelSizeM > 0 && Number.isFinite(pixelSizeM)) {
    const m = niceLength(target * pixelSizeM);
    return { lengthPx: m / pixelSizeM, label: formatLength(m) };
  }
  const n = Math.max(1, niceLength(target));
  return { lengthPx: n, label: `${n} ${unit}` };
}

/** `object_pixel_size_m_yx` of a `_metadata.geometry` record ([y, x] metres), or null when absent or not two positive numbers. */
export function objectPixelSizeM(geometry: unknown): [number, number] | null {
  if (!geometry || typeof geometry !== 'object' || Array.isArray(geometry)) return null;
  const p = (geometry as Record<string, unknown>).object_pixel_size_m_yx;
  if (!Array.isArray(p) || p.length !== 2) return null;
  const [y, x] = p as unknown[];
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return ok(y) && ok(x) ? [y, x] : null;
}
