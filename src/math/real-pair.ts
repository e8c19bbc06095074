/**
 * Two real images through one complex FFT: the spectrum Z of z = a + i·b (h×w, interleaved) holds both
 * spectra, A(k) = (Z(k) + Z*(−k))/2 and B(k) = (Z(k) − Z*(−k))/(2i), indices taken mod h and w — the same values
 * as transforming a and b apart, up to rounding, for one transform instead of two.
 */

/** A and B (interleaved, h×w each) from the spectrum Z of a + i·b; either may be `Z` itself (each pair k, −k is read before it is written). */
export function splitPairSpectrum(Z: Float64Array, h: number, w: number, A: Float64Array, B: Float64Array): void {
  for (let y = 0; y < h; y++) {
    const ny = y === 0 ? 0 : h - y;
    for (let x = 0; x < w; x++) {
      const nx = x === 0 ? 0 : w - x;
      const i = 2 * (y * w + x), j = 2 * (ny * w + nx);
      if (j < i) continue; // done with its partner
      const pr = Z[i]!, pi = Z[i + 1]!, qr = Z[j]!, qi = Z[j + 1]!; // Z(k), Z(−k)
      // A(k) = (Z(k) + conj Z(−k))/2, A(−k) = (Z(−k) + conj Z(k))/2
      // B(k) = (Z(k) − conj Z(−k))/(2i) = ((pi + qi) − i·(pr − qr))/2, B(−k) = ((qi + pi) − i·(qr − pr))/2
      const bkr = 0.5 * (pi + qi), bki = -0.5 * (pr - qr), bmr = 0.5 * (qi + pi), bmi = -0.5 * (qr - pr);
      A[i] = 0.5 * (pr + qr); A[i + 1] = 0.5 * (pi - qi);
      A[j] = 0.5 * (qr + pr); A[j + 1] = 0.5 * (qi - pi);
      B[i] = bkr; B[i + 1] = bki;
      B[j] = bmr; B[j + 1] = bmi;
    }
  }
}

/**
 * The spectra of two real h×w images (`a`, `b`, h·w values each) through one complex FFT: a + i·b packed into `z`
 * (2·h·w, overwritten), transformed in place by `forward` (an h×w plan's), split by `splitPairSpectrum`; returns
 * [A, B], B in `z` itself.
 */
export function transformPair(a: ArrayLike<number>, b: ArrayLike<number>, h: number, w: number,
  forward: (buf: Float64Array) => void, z: Float64Array): [Float64Array, Float64Array] {
  const n = h * w;
  for (let i = 0; i < n; i++) { z[2 * i] = a[i]!; z[2 * i + 1] = b[i]!; }
  forward(z);
  const A = new Float64Array(2 * n);
  splitPairSpectrum(z, h, w, A, z);
  return [A, z];
}
