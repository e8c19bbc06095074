/**
 * The sides float32 takes nearest a side (src/data/hdf5/frames.ts `float32SidesAbout`), which the crop warnings, the
 * fftBackend wasm refusal and `inspect`'s suggested crop (src/data/hdf5/beam.ts `suggestedCropSize`) name: checked for every
 * side up to 1024 against a list made by trial division here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float32Side, float32SidesAbout, wasmFftSide } from '../../src/data/hdf5/frames.js';
import { wasmFft32Size, wasmFftSize } from '../../src/math/fft-wasm.js';
import { SUGGESTED_CROP_MAX, suggestedCropSize } from '../../src/data/hdf5/beam.js';

/** Even sides up to `max` with no prime factor above 13, by trial division. */
function evenSmooth(max: number): number[] {
  const out: number[] = [];
  for (let n = 2; n <= max; n += 2) {
    let m = n;
    for (let p = 2; p <= m; p++) while (m % p === 0) { if (p > 13) break; m /= p; }
    if (m === 1) out.push(n);
  }
  return out;
}

const SIDES = evenSmooth(1100);

test('float32SidesAbout: for every side 2 … 1024, the largest even 2^a·3^b·5^c·7^d·11^e·13^f at most it and the smallest at least it', () => {
  assert.deepEqual(SIDES.slice(0, 24), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 36, 40, 42, 44, 48, 50, 52, 54]);
  for (let n = 2; n <= 1024; n++) {
    const below = SIDES.filter((s) => s <= n).at(-1)!, above = SIDES.find((s) => s >= n)!;
    assert.deepEqual(float32SidesAbout(n), { below, above }, `side ${n}`);
    assert.equal(float32Side(n), SIDES.includes(n), `side ${n}`);
  }
  // the examples the docs give: 200 frames keep 200, 112 keep 112; 199 → 198 or 200; 134 → 132 or 140; 7 → 6 or 8
  assert.deepEqual(float32SidesAbout(200), { below: 200, above: 200 });
  assert.deepEqual(float32SidesAbout(112), { below: 112, above: 112 });
  assert.deepEqual(float32SidesAbout(199), { below: 198, above: 200 });
  assert.deepEqual(float32SidesAbout(134), { below: 132, above: 140 });
  assert.deepEqual(float32SidesAbout(7), { below: 6, above: 8 });
});

test('suggestedCropSize: the largest even 2^a·3^b·5^c·7^d·11^e·13^f whose window fits about the centre, at most SUGGESTED_CROP_MAX', () => {
  assert.equal(SUGGESTED_CROP_MAX, 512);
  for (let r = 0; r <= 560; r++) {
    // frames of 2r × (2r + 10) about [r, r + 3]: a window of side 2r fits, no larger
    const want = SIDES.filter((s) => s <= Math.min(2 * r, SUGGESTED_CROP_MAX)).at(-1) ?? null;
    assert.equal(suggestedCropSize([r, r + 3], 2 * r, 2 * r + 10), want, `room ${2 * r}`);
  }
  // 200 × 200 frames about their centre: 200 (a power of two would be 128, 41 % of the pixels)
  assert.equal(suggestedCropSize([100, 100], 200, 200), 200);
  assert.equal(suggestedCropSize([0, 5], 10, 10), null);
});

// The data layer cannot import the FFT (math sits above it), so it keeps its own list of the kernel's primes: the two
// must name the same sides, or the crop advice would promise float32 where the engine runs float64.
test('wasmFftSide and float32Side agree with the WebAssembly FFT\'s own tests (wasmFftSize, wasmFft32Size) for every side 1 … 4096', () => {
  for (let n = 1; n <= 4096; n++) {
    assert.equal(wasmFftSide(n), wasmFftSize(n), `side ${n}`);
    assert.equal(float32Side(n), wasmFft32Size(n, n), `side ${n}`);
  }
});
