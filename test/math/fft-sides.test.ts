import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFftShape, nextPow2 } from '../../src/math/fft-sides.js';
import { wasmFftSize } from '../../src/math/fft.js';

test('fastFftShape: the cheapest frame at least as large, sides 2^a·3^b·5^c (b + c ≤ 2) or a power of two', () => {
  // a 154-px window (a quick study's compared rows), a 600-px and a 1000-px object, the quick study's 153×281 window
  assert.deepEqual(fastFftShape(154, 154), [160, 160]);
  assert.deepEqual(fastFftShape(600, 600), [640, 640]);
  assert.deepEqual(fastFftShape(1000, 1000), [1024, 1024]);
  assert.deepEqual(fastFftShape(153, 281), [160, 288]);
  assert.deepEqual(fastFftShape(191, 319), [192, 320]);
  // where a mixed side saves too little the power of two stays (100×120 costs more than 128×128)
  assert.deepEqual(fastFftShape(100, 105), [128, 128]);
  assert.deepEqual(fastFftShape(225, 225), [256, 256]);
  assert.deepEqual(fastFftShape(1, 1), [1, 1]);
  for (let h = 1; h <= 300; h += 7) {
    for (let w = 1; w <= 300; w += 11) {
      const [H, W] = fastFftShape(h, w);
      assert.ok(H >= h && W >= w && H <= nextPow2(h) && W <= nextPow2(w), `${h}×${w} → ${H}×${W}`);
      assert.ok(wasmFftSize(H) && wasmFftSize(W), `${h}×${w} → ${H}×${W}: the WASM FFT takes it`);
      for (const side of [H, W]) {
        let m = side, odd = 0;
        while (m % 2 === 0) m /= 2;
        for (const p of [3, 5]) while (m % p === 0) { m /= p; odd++; }
        assert.ok(m === 1 && odd <= 2, `side ${side} of ${h}×${w}`);
      }
    }
  }
  for (const bad of [0, -3, 2.5, NaN]) assert.throws(() => fastFftShape(bad, 4), /fastFftShape: expected integer sides ≥ 1; found/);
});
