/**
 * The one 2-D image type of the project, used by physics, the engine, the reconstruction job and the
 * metrics: `h` rows × `w` columns, row-major. A complex image stores interleaved (re, im) pairs
 * (`data.length === 2·h·w`); a real image one value per pixel (`data.length === h·w`). Float64Array
 * unless a caller (the engine's input) says it also takes Float32Array.
 */

/** Interleaved (re, im) pairs, row-major: `data.length === 2·h·w`. */
export interface ComplexImage<D extends Float32Array | Float64Array = Float64Array> {
  h: number;
  w: number;
  data: D;
}

/** One value per pixel, row-major: `data.length === h·w`. */
export interface RealImage {
  h: number;
  w: number;
  data: Float64Array;
}
