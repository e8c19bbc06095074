import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFft2, fftshift2, ifftshift2, fftfreq, roundHalfEven, wasmAvailable, fftWasmError, type FftBackend } from '../../src/math/fft.js';
import { Rng } from '../../src/math/rng.js';

/** Direct 2-D DFT of one interleaved complex image (sign −1 forward, +1 inverse; unscaled). */
function dft2(x: Float64Array, h: number, w: number, sign: number): Float64Array {
  const out = new Float64Array(2 * h * w);
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < w; kx++) {
      let sr = 0, si = 0;
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const t = sign * 2 * Math.PI * (((ky * y) % h) / h + ((kx * xx) % w) / w);
          const c = Math.cos(t), s = Math.sin(t);
          const re = x[2 * (y * w + xx)], im = x[2 * (y * w + xx) + 1];
          sr += re * c - im * s; si += re * s + im * c;
        }
      }
      out[2 * (ky * w + kx)] = sr; out[2 * (ky * w + kx) + 1] = si;
    }
  }
  return out;
}

function randomComplex(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  const a = new Float64Array(2 * n);
  for (let i = 0; i < a.length; i++) a[i] = r.normal();
  return a;
}

/** ‖a − b‖₂ / ‖b‖₂ */
function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / den);
}

const backends: FftBackend[] = ['ts', 'wasm'];
const pow2: [number, number][] = [[1, 1], [2, 2], [4, 4], [8, 8], [16, 16], [32, 32], [16, 8], [4, 32], [2, 64], [1, 8], [8, 1]];
const other: [number, number][] = [[3, 3], [5, 7], [6, 10], [12, 16], [1, 5]];

test('the wasm kernel is built and loads', () => {
  assert.ok(wasmAvailable(), `dist/wasm/fft.wasm did not load: ${fftWasmError()}`);
  assert.equal(createFft2(64, 64).backend, 'wasm');
  assert.equal(createFft2(64, 64, { backend: 'ts' }).backend, 'ts');
  assert.equal(createFft2(6, 10).backend, 'wasm'); // 2·3 × 2·5: the mixed-radix kernel
  assert.equal(createFft2(7, 10).backend, 'wasm'); // 7 × 2·5: the radix-7 butterflies
  assert.equal(createFft2(17, 10).backend, 'wasm-bluestein'); // a factor 17: Bluestein, its convolutions on the kernel
  assert.throws(() => createFft2(34, 10, { backend: 'wasm' }), /prime factors are 2, 3, 5, 7, 11 and 13 only, got 34×10/);
});

test('wasm and ts agree to 1e-12 (relative) for 16…512, forward and inverse, odd chunking', () => {
  for (const [h, w] of [[16, 16], [32, 64], [64, 64], [128, 128], [256, 64], [512, 512]]) {
    const count = h * w >= 65536 ? 2 : 5;
    const x = randomComplex(count * h * w, h + w);
    const a = x.slice(), b = x.slice();
    const ts = createFft2(h, w, { backend: 'ts' });
    const wa = createFft2(h, w, { backend: 'wasm', chunkBytes: 3 * 16 * h * w });
    ts.forward(a, count); wa.forward(b, count);
    assert.ok(relErr(b, a) < 1e-12, `forward ${h}×${w}: ${relErr(b, a)}`);
    ts.inverse(a, count); wa.inverse(b, count);
    assert.ok(relErr(b, a) < 1e-12, `inverse ${h}×${w}: ${relErr(b, a)}`);
    assert.ok(relErr(b, x) < 1e-14, `round trip ${h}×${w}`);
  }
});

for (const backend of backends) {
  test(`${backend}: forward and inverse match a direct DFT (batch of 3)`, () => {
    for (const [h, w] of backend === 'ts' ? [...pow2, ...other] : pow2) {
      const fft = createFft2(h, w, { backend });
      const count = 3;
      const x = randomComplex(count * h * w, h * 100 + w);
      const y = x.slice();
      fft.forward(y, count);
      const z = x.slice();
      fft.inverse(z, count);
      for (let b = 0; b < count; b++) {
        const xs = x.subarray(2 * b * h * w, 2 * (b + 1) * h * w);
        const ref = dft2(xs, h, w, -1);
        assert.ok(relErr(y.subarray(2 * b * h * w, 2 * (b + 1) * h * w), ref) < 1e-12, `forward ${h}×${w}`);
        const refI = dft2(xs, h, w, +1).map((v) => v / (h * w));
        assert.ok(relErr(z.subarray(2 * b * h * w, 2 * (b + 1) * h * w), refI) < 1e-12, `inverse ${h}×${w}`);
      }
    }
  });

  test(`${backend}: round trip and Parseval for 16…512`, () => {
    for (const n of [16, 32, 64, 128, 256, 512]) {
      const count = n >= 256 ? 1 : 2;
      const fft = createFft2(n, n, { backend });
      const x = randomComplex(count * n * n, n);
      const y = x.slice();
      fft.forward(y, count);
      let ex = 0, ey = 0;
      for (let i = 0; i < x.length; i++) { ex += x[i] * x[i]; ey += y[i] * y[i]; }
      assert.ok(Math.abs(ey / (n * n) - ex) / ex < 1e-12, `Parseval ${n}`);
      fft.inverse(y, count);
      assert.ok(relErr(y, x) < 1e-14, `round trip ${n}: ${relErr(y, x)}`);
    }
  });

  test(`${backend}: count and subarray address only the given images`, () => {
    const fft = createFft2(8, 8, { backend });
    const x = randomComplex(4 * 64, 7);
    const y = x.slice();
    fft.forward(y.subarray(2 * 64), 2); // images 1 and 2
    assert.deepEqual(y.subarray(0, 128), x.subarray(0, 128));
    assert.deepEqual(y.subarray(3 * 128), x.subarray(3 * 128));
    const ref = x.slice(128, 256);
    fft.forward(ref);
    assert.ok(relErr(y.subarray(128, 256), ref) < 1e-15);
  });

  test(`${backend}: impulse and constant`, () => {
    const fft = createFft2(16, 16, { backend });
    const a = new Float64Array(2 * 256);
    a[0] = 1;
    fft.forward(a);
    for (let i = 0; i < 256; i++) { assert.ok(Math.abs(a[2 * i] - 1) < 1e-15 && Math.abs(a[2 * i + 1]) < 1e-15); }
    fft.inverse(a);
    assert.ok(Math.abs(a[0] - 1) < 1e-15);
  });
}

test('a buffer that is too short is rejected', () => {
  const fft = createFft2(8, 8);
  assert.throws(() => fft.forward(new Float64Array(100), 1), /buffer/);
  assert.throws(() => createFft2(0, 8), /positive integer/);
  assert.throws(() => createFft2(8, 8, { backend: 'gpu' as 'ts' }), /unknown FFT backend/);
});

test('fftshift2/ifftshift2 match numpy for odd and even sizes, real and complex, in place', () => {
  for (const [h, w] of [[4, 4], [5, 5], [4, 5], [3, 6], [1, 7], [7, 1]]) {
    const n = h * w;
    const src = new Float64Array(2 * n * 2);
    for (let i = 0; i < src.length; i++) src[i] = i;
    const dst = new Float64Array(src.length);
    fftshift2(src, dst, h, w, 2, true);
    for (let b = 0; b < 2; b++) {
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          // numpy: fftshift(x)[i] = x[(i − floor(n/2)) mod n]
          const sr = (r - Math.floor(h / 2) + h) % h, sc = (c - Math.floor(w / 2) + w) % w;
          const di = 2 * (b * n + r * w + c), si = 2 * (b * n + sr * w + sc);
          assert.equal(dst[di], src[si]); assert.equal(dst[di + 1], src[si + 1]);
        }
      }
    }
    const back = new Float64Array(src.length);
    ifftshift2(dst, back, h, w, 2, true);
    assert.deepEqual(back, src);
    // real, in place
    const re = new Float32Array(n);
    for (let i = 0; i < n; i++) re[i] = i;
    const copy = re.slice();
    fftshift2(re, re, h, w, 1, false);
    const shifted = new Float32Array(n);
    fftshift2(copy, shifted, h, w, 1, false);
    assert.deepEqual(re, shifted);
    ifftshift2(re, re, h, w, 1, false);
    assert.deepEqual(re, copy);
  }
  // numpy.fft.fftshift(arange(5)) = [3, 4, 0, 1, 2]
  const a = Float64Array.from([0, 1, 2, 3, 4]);
  const o = new Float64Array(5);
  fftshift2(a, o, 1, 5, 1, false);
  assert.deepEqual([...o], [3, 4, 0, 1, 2]);
  ifftshift2(a, o, 1, 5, 1, false);
  assert.deepEqual([...o], [2, 3, 4, 0, 1]);
});

test('fftfreq and roundHalfEven', () => {
  assert.deepEqual([...fftfreq(4)], [0, 0.25, -0.5, -0.25]);
  assert.deepEqual([...fftfreq(5)], [0, 0.2, 0.4, -0.4, -0.2]);
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, 3].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, 3, 3]);
});
