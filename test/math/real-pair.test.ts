import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFft2 } from '../../src/math/fft.js';
import { splitPairSpectrum } from '../../src/math/real-pair.js';

test('splitPairSpectrum: the spectra of a and b from one transform of a + i·b, as two transforms give them, to 1e-12', () => {
  let seed = 5;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 - 0.5; };
  // even and odd sides (Nyquist rows and columns, or none), a single row, and the wasm (64×96) and TypeScript (7×11) kernels
  for (const [h, w] of [[64, 96], [7, 11], [12, 9], [1, 16], [5, 1], [1, 1]] as const) {
    const n = h * w;
    const a = Float64Array.from({ length: n }, () => rand() * 10), b = Float64Array.from({ length: n }, () => rand() + 3);
    const fft = createFft2(h, w);
    const spectrumOf = (x: Float64Array): Float64Array => {
      const buf = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) buf[2 * i] = x[i]!;
      fft.forward(buf, 1);
      return buf;
    };
    const A0 = spectrumOf(a), B0 = spectrumOf(b);
    let scale = 0;
    for (const v of [...A0, ...B0]) scale = Math.max(scale, Math.abs(v));
    const Z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) { Z[2 * i] = a[i]!; Z[2 * i + 1] = b[i]!; }
    fft.forward(Z, 1);
    // into separate arrays, and in place (A or B being Z itself)
    const apart = [new Float64Array(2 * n), new Float64Array(2 * n)] as const;
    splitPairSpectrum(Z, h, w, apart[0], apart[1]);
    const zA = Float64Array.from(Z), bSide = new Float64Array(2 * n);
    splitPairSpectrum(zA, h, w, zA, bSide);
    const zB = Float64Array.from(Z), aSide = new Float64Array(2 * n);
    splitPairSpectrum(zB, h, w, aSide, zB);
    for (const [name, A, B] of [['apart', apart[0], apart[1]], ['A in Z', zA, bSide], ['B in Z', aSide, zB]] as const) {
      for (let i = 0; i < 2 * n; i++) {
        assert.ok(Math.abs(A[i]! - A0[i]!) <= 1e-12 * scale, `${h}×${w} ${name}: A[${i}] ${A[i]} vs ${A0[i]}`);
        assert.ok(Math.abs(B[i]! - B0[i]!) <= 1e-12 * scale, `${h}×${w} ${name}: B[${i}] ${B[i]} vs ${B0[i]}`);
      }
    }
  }
});
