/**
 * fftshift / ifftshift for batches of 2-D images, real or interleaved complex, any size (even or odd).
 *
 * `fftshift2` rolls each axis by +floor(n/2) (DC moves from index 0 to index floor(n/2)), exactly
 * like `numpy.fft.fftshift(x, axes=(-2, -1))`; `ifftshift2` rolls by −floor(n/2) and undoes it.
 * For even sizes the two are the same; for odd sizes they differ by one pixel.
 */
export type RealArray = Float64Array | Float32Array;

function roll2(src: RealArray, dst: RealArray, h: number, w: number, count: number, complex: boolean,
  sy: number, sx: number, what: string): void {
  const e = complex ? 2 : 1;
  const plane = h * w * e;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new RangeError(`${what}: bad size ${h}×${w}`);
  if (src.length < plane * count || dst.length < plane * count) {
    throw new RangeError(`${what}: arrays need ${plane * count} elements for ${count} images of ${h}×${w}${complex ? ' complex' : ''}`);
  }
  // In place (same memory) goes through a temporary copy of one image.
  const alias = src.buffer === dst.buffer && src.byteOffset < dst.byteOffset + dst.byteLength
    && dst.byteOffset < src.byteOffset + src.byteLength;
  const tmp = alias ? new (src.constructor as { new(n: number): RealArray })(plane) : null;
  const row = w * e;
  const cut = (w - sx) * e; // elements of a source row that land at [sx, w)
  for (let b = 0; b < count; b++) {
    const base = b * plane;
    let s: RealArray = src;
    let sBase = base;
    if (tmp !== null) { tmp.set(src.subarray(base, base + plane)); s = tmp; sBase = 0; }
    for (let r = 0; r < h; r++) {
      const rd = (r + sy) % h;
      const so = sBase + r * row, dd = base + rd * row;
      // source columns [0, w − sx) → [sx, w); [w − sx, w) → [0, sx)
      dst.set(s.subarray(so, so + cut), dd + sx * e);
      dst.set(s.subarray(so + cut, so + row), dd);
    }
  }
}

/** dst = fftshift(src) over the last two axes of `count` h×w images (`complex`: interleaved re/im). */
export function fftshift2(src: RealArray, dst: RealArray, h: number, w: number, count = 1, complex = true): void {
  roll2(src, dst, h, w, count, complex, Math.floor(h / 2), Math.floor(w / 2), 'fftshift2');
}

/** dst = ifftshift(src) over the last two axes of `count` h×w images (`complex`: interleaved re/im). */
export function ifftshift2(src: RealArray, dst: RealArray, h: number, w: number, count = 1, complex = true): void {
  roll2(src, dst, h, w, count, complex, h - Math.floor(h / 2), w - Math.floor(w / 2), 'ifftshift2');
}

/**
 * Sample frequencies of a length-n DFT in cycles per sample, like `numpy.fft.fftfreq(n)`:
 * [0, 1, …, ceil(n/2) − 1, −floor(n/2), …, −1] / n. For even n the Nyquist bin is −0.5.
 */
export function fftfreq(n: number, d = 1): Float64Array {
  const f = new Float64Array(n);
  const half = Math.floor((n - 1) / 2) + 1;
  for (let i = 0; i < n; i++) f[i] = (i < half ? i : i - n) / (n * d);
  return f;
}

/** Round half to even (banker's rounding), like Python's `round(x)` and `numpy.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}
