/**
 * In-memory n-dimensional arrays as read from / written to NumPy .npy/.npz files.
 *
 * `dtype` is NumPy's `descr` string normalised to the little-endian form, spelled as NumPy's
 * `dtype.str` spells it ('<f4', '<f8', '<c8', '<c16', '|i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4',
 * '<u8', '|b1', '<U<n>', '|S<n>', '|O'); the writer also accepts '<i1', '<u1', '>f8', '=c8'…
 * Representations: int64/uint64 → BigInt64Array/BigUint64Array (exact), bool → Uint8Array (0/1),
 * '<U' → string[], '|S' → Uint8Array[] (trailing NULs stripped, as NumPy does), '|O' → PyScalar[].
 * Data is row-major (C order) always; Fortran-ordered files are reordered on read.
 * Complex arrays hold interleaved (re, im) pairs, so `data.length === 2 * size`.
 */
export type NumericData =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** Elements of a decoded object ('|O') array: only plain data, never code. */
export type PyScalar = string | number | bigint | boolean | null | Uint8Array;

export type ArrayData = NumericData | string[] | PyScalar[];

export interface NdArray {
  dtype: string;
  shape: number[];
  data: ArrayData;
}

/** Number of elements of a shape (1 for a 0-d array). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isComplexDtype(dtype: string): boolean {
  return dtype === '<c8' || dtype === '<c16';
}

export function isFloatDtype(dtype: string): boolean {
  return dtype === '<f4' || dtype === '<f8';
}

// Small constructors used throughout the project.
export const f32 = (shape: number[], data: Float32Array): NdArray => ({ dtype: '<f4', shape, data });
export const f64 = (shape: number[], data: Float64Array): NdArray => ({ dtype: '<f8', shape, data });
/** complex64; `data` interleaved re/im, length 2·size. */
export const c64 = (shape: number[], data: Float32Array): NdArray => ({ dtype: '<c8', shape, data });
/** complex128; `data` interleaved re/im, length 2·size. */
export const c128 = (shape: number[], data: Float64Array): NdArray => ({ dtype: '<c16', shape, data });
export const i32 = (shape: number[], data: Int32Array): NdArray => ({ dtype: '<i4', shape, data });
export const i64 = (shape: number[], data: BigInt64Array): NdArray => ({ dtype: '<i8', shape, data });
