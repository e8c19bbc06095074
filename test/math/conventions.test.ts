// FFT, shift and rounding conventions against pty-chi's own outputs (test/fixtures/lsqml-parity/conventions.npz,
// complex64/float32, so agreement is to float32 rounding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNpz } from '../../src/npy/npz.js';
import { createFft2, fftshift2, ifftshift2, roundHalfEven, type FftBackend } from '../../src/math/fft.js';
import { fourierShift } from '../../src/math/subpixel.js';

const fx = loadNpz('test/fixtures/lsqml-parity/conventions.npz');
const f64 = (key: string): Float64Array => Float64Array.from(fx[key].data as Float32Array);

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / den);
}

for (const backend of ['ts', 'wasm'] as FftBackend[]) {
  test(`${backend}: fft2 / ifft2 match pty-chi (unscaled forward, 1/(h·w) inverse, no shift)`, () => {
    const x = f64('x');
    assert.deepEqual(fx.x.shape, [32, 32]);
    const fft = createFft2(32, 32, { backend });
    const y = x.slice(); fft.forward(y);
    assert.ok(relErr(y, f64('fft2_x')) < 1e-6, `fft2: ${relErr(y, f64('fft2_x'))}`);
    const z = x.slice(); fft.inverse(z);
    assert.ok(relErr(z, f64('ifft2_x')) < 1e-6, `ifft2: ${relErr(z, f64('ifft2_x'))}`);
  });

  test(`${backend}: Fourier sub-pixel shift and its adjoint match pty-chi`, () => {
    const x = f64('x');
    const s = f64('subpixel_shifts_yx');
    const fft = createFft2(32, 32, { backend });
    const batch = new Float64Array(3 * x.length);
    for (let i = 0; i < 3; i++) batch.set(x, i * x.length);
    const adj = batch.slice();
    fourierShift(fft, batch, 3, s);
    fourierShift(fft, adj, 3, s, true);
    assert.ok(relErr(batch, f64('subpixel_shift_forward')) < 1e-6, `forward ${relErr(batch, f64('subpixel_shift_forward'))}`);
    assert.ok(relErr(adj, f64('subpixel_shift_adjoint')) < 1e-6, `adjoint ${relErr(adj, f64('subpixel_shift_adjoint'))}`);
  });
}

test('fftshift / ifftshift match torch for even and odd sizes', () => {
  const even = fx.fftshift_in_even.data as Float32Array;
  const out = new Float32Array(even.length);
  fftshift2(even, out, 32, 32, 1, false);
  assert.deepEqual(out, fx.fftshift_out_even.data);
  const odd = fx.fftshift_in_odd.data as Float32Array;
  assert.deepEqual(fx.fftshift_in_odd.shape, [31, 33]);
  const o2 = new Float32Array(odd.length);
  fftshift2(odd, o2, 31, 33, 1, false);
  assert.deepEqual(o2, fx.fftshift_out_odd.data);
  ifftshift2(odd, o2, 31, 33, 1, false);
  assert.deepEqual(o2, fx.ifftshift_out_odd.data);
});

test('roundHalfEven matches torch.round on the origin positions', () => {
  const p = fx.origin_positions_yx.data as Float32Array;
  const r = fx.origin_positions_rounded_yx.data as Float32Array;
  for (let i = 0; i < p.length; i++) assert.equal(roundHalfEven(p[i]) + 0, r[i] + 0, `position ${p[i]}`);
});
