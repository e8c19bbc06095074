import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/math/rng.js';
import { DEFAULT_PROBE, enclosedPowerRadius, makeProbe } from '../../src/physics/probe.js';
import { DEFAULT_OBJECT, gaussianBlur, makeObject } from '../../src/physics/object.js';
import type { ComplexImage } from '../../src/math/image.js';

function amp(im: ComplexImage): Float64Array {
  const a = new Float64Array(im.h * im.w);
  for (let i = 0; i < a.length; i++) a[i] = Math.hypot(im.data[2 * i], im.data[2 * i + 1]);
  return a;
}
function phase(im: ComplexImage): Float64Array {
  const a = new Float64Array(im.h * im.w);
  for (let i = 0; i < a.length; i++) a[i] = Math.atan2(im.data[2 * i + 1], im.data[2 * i]);
  return a;
}
function meanStd(a: Float64Array): [number, number] {
  let m = 0;
  for (const v of a) m += v / a.length;
  let s = 0;
  for (const v of a) s += (v - m) ** 2 / a.length;
  return [m, Math.sqrt(s)];
}

test('probe: peak amplitude 1, centred on [N/2, N/2], confined, same shape at N = 64 and 128', () => {
  const radii: number[] = [];
  for (const N of [64, 128]) {
    const p = makeProbe(N);
    const a = amp(p);
    assert.ok(Math.abs(Math.max(...a) - 1) < 1e-12);
    // power centroid at the centre pixel (the aperture is symmetric about it)
    let sy = 0, sx = 0, tot = 0, edge = 0;
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      const w = a[r * N + c] ** 2;
      sy += w * r; sx += w * c; tot += w;
      if (Math.hypot(r - N / 2, c - N / 2) > 0.45 * N) edge += w;
    }
    assert.ok(Math.abs(sy / tot - N / 2) < 0.01 && Math.abs(sx / tot - N / 2) < 0.01, `centroid ${sy / tot}, ${sx / tot}`);
    assert.ok(edge / tot < 5e-3, `power near the patch edge: ${edge / tot}`);
    const r90 = enclosedPowerRadius(p, 0.9) / N;
    assert.ok(r90 > 0.15 && r90 < 0.3, `90 % power radius ${r90}·N`);
    radii.push(r90);
    // a focused/defocused probe has phase curvature: phase varies across the bright region
    const ph = phase(p);
    const bright: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] > 0.3) bright.push(ph[i]);
    const [, sd] = meanStd(Float64Array.from(bright));
    assert.ok(sd > 0.2, `phase spread over the beam ${sd} rad`);
    // rings: the radial amplitude profile has several local maxima
    const prof: number[] = [];
    for (let r = 0; r < N / 2; r++) prof.push(a[(N / 2) * N + N / 2 + r]);
    let peaks = 0;
    for (let r = 1; r < prof.length - 1; r++) if (prof[r] > prof[r - 1] && prof[r] > prof[r + 1] && prof[r] > 0.05) peaks++;
    assert.ok(peaks >= 2, `radial profile has ${peaks} rings`);
  }
  assert.ok(Math.abs(radii[0] - radii[1]) < 0.02, `scale-invariant: ${radii}`);
  assert.deepEqual(makeProbe(64).data, makeProbe(64).data);
  assert.throws(() => makeProbe(64, { ...DEFAULT_PROBE, diameterFraction: 0 }), /diameterFraction/);
});

test('object: amplitude in (0.5, 1), phase in (−1, 1) rad, both with real contrast', () => {
  const o = makeObject(160, 200, new Rng(42).fork('object'));
  assert.equal(o.h, 160);
  assert.equal(o.w, 200);
  const a = amp(o), ph = phase(o);
  for (let i = 0; i < a.length; i++) {
    assert.ok(a[i] > 0.5 && a[i] < 1, `amplitude ${a[i]}`);
    assert.ok(ph[i] > -1 && ph[i] < 1, `phase ${ph[i]}`);
  }
  const [ma, sa] = meanStd(a), [, sp] = meanStd(ph);
  assert.ok(ma > 0.65 && ma < 0.95, `mean amplitude ${ma}`);
  assert.ok(sa > 0.03, `amplitude std ${sa}`);
  assert.ok(sp > 0.15, `phase std ${sp}`);
});

test('object: structure at several scales and sharp edges', () => {
  const H = 192, W = 192;
  const o = makeObject(H, W, new Rng(1).fork('object'));
  const ph = phase(o);
  // sharp features: some neighbouring pixels differ by a large phase step
  let maxStep = 0;
  for (let r = 0; r < H; r++) for (let c = 1; c < W; c++) maxStep = Math.max(maxStep, Math.abs(ph[r * W + c] - ph[r * W + c - 1]));
  assert.ok(maxStep > 0.4, `largest phase step between neighbours ${maxStep} rad`);
  // energy of the phase (minus its mean) in low, middle and high spatial-frequency bands, by
  // comparing blurs: coarse = blur(σ=8), mid = blur(1.5) − blur(8), fine = x − blur(1.5)
  const [m] = meanStd(ph);
  const x = ph.map((v) => v - m);
  const tmp = new Float64Array(H * W);
  const b8 = Float64Array.from(x); gaussianBlur(b8, H, W, 8, tmp);
  const b15 = Float64Array.from(x); gaussianBlur(b15, H, W, 1.5, tmp);
  let eLow = 0, eMid = 0, eHigh = 0;
  for (let i = 0; i < x.length; i++) { eLow += b8[i] ** 2; eMid += (b15[i] - b8[i]) ** 2; eHigh += (x[i] - b15[i]) ** 2; }
  const tot = eLow + eMid + eHigh;
  for (const [name, e] of [['coarse', eLow], ['middle', eMid], ['fine', eHigh]] as const) {
    assert.ok(e / tot > 0.02, `${name} scales carry ${(100 * e / tot).toFixed(1)} % of the phase variance`);
  }
});

test('object: same seed, same object; another seed, another object', () => {
  const a = makeObject(64, 80, new Rng(3).fork('object'));
  const b = makeObject(64, 80, new Rng(3).fork('object'));
  const c = makeObject(64, 80, new Rng(4).fork('object'));
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.throws(() => makeObject(64, 64, new Rng(1), { ...DEFAULT_OBJECT, ampMin: 1.2 }), /ampMin/);
});

test('gaussianBlur keeps constants, sums to one, and matches the Gaussian profile', () => {
  const H = 41, W = 41, tmp = new Float64Array(H * W);
  const flat = new Float64Array(H * W).fill(2.5);
  gaussianBlur(flat, H, W, 4, tmp);
  for (const v of flat) assert.ok(Math.abs(v - 2.5) < 1e-12);
  const imp = new Float64Array(H * W);
  imp[20 * W + 20] = 1;
  gaussianBlur(imp, H, W, 2, tmp);
  const sum = imp.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12);
  const ratio = imp[20 * W + 22] / imp[20 * W + 20];
  assert.ok(Math.abs(ratio - Math.exp(-4 / 8)) < 1e-3, `profile ratio ${ratio}`);
});
