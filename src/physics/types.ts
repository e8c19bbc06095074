/** Shared shapes of the physics layer. Complex images are src/math/image.ts's `ComplexImage`. */
import type { ComplexImage } from '../math/image.js';

/** Scan-centre coordinates in object pixels (`x` = column, `y` = row), one entry per position. */
export interface ScanPositions {
  x: Float64Array;
  y: Float64Array;
}

/** A complex image with every value rounded to float32 (what a complex64 NPZ member stores). */
export function roundToComplex64(img: ComplexImage): ComplexImage {
  const d = new Float64Array(img.data.length);
  for (let i = 0; i < d.length; i++) d[i] = Math.fround(img.data[i]);
  return { h: img.h, w: img.w, data: d };
}

/** Interleaved complex64 (Float32Array) copy of a complex image. */
export function toComplex64(img: ComplexImage): Float32Array {
  return Float32Array.from(img.data);
}
