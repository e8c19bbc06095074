/**
 * The plain cross-correlation of coarse-shift.ts and the mirror-extended Fourier shift of registration.ts on real
 * pairs: the six jobs of the tiny study of scripts/hub-digests.mjs (LSQML reconstructions against their ground truth,
 * cut to the scanned region as `compare` cuts them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readGroundTruth, readReconstruction } from '../../src/study/hub/datasets.js';
import { amplitudeOf, cutToRegion, scannedRegion, type ComplexImage } from '../../src/metrics/index.js';
import { candidateShifts, coarseShiftFrame, overlapScores } from '../../src/metrics/coarse-shift.js';
import { fourierShift, fourierShiftReflect } from '../../src/metrics/registration.js';
import { reflectIndex } from '../../src/metrics/filters.js';
import { nextPow2 } from '../../src/math/fft-sides.js';
import { tempDir } from '../tmp.js';

interface DigestScript { runTinyStudy(hub: string): void }
const script = (await import(new URL('../../../scripts/hub-digests.mjs', import.meta.url).href)) as DigestScript;

const hub = join(tempDir('coarse-shift'), 'hub');
script.runTinyStudy(hub);
const pairs = ['baseline', 'dense', 'sparse'].flatMap((view) => ['train', 'test'].map((split) => {
  const input = view === 'baseline' ? join(hub, 'phase_c', 'dose_10000', `patched_${split}.npz`) : join(hub, 'phase_d', 'dose_10000', view, `${view}_${split}.npz`);
  const gt = readGroundTruth(input);
  const rec = readReconstruction(join(hub, 'phase_f', 'dose_10000', view, split, 'reconstruction.npz'));
  const scan = rec.positions ?? { ys: gt.ycoords, xs: gt.xcoords };
  const region = scannedRegion(gt.object.h, gt.object.w, scan.ys, scan.xs, gt.N,
    gt.probeIntensity ? { mode: 'illumination', probeIntensity: gt.probeIntensity } : { mode: 'patches' });
  return { name: `${view} ${split}`, ...cutToRegion(gt.object, rec.object, region) };
}));

test('coarse shifts: the correlation padded to the cheapest frame equals the power-of-two one to 1e-9', () => {
  // the quick study's 153×281 windows (a quarter: L = 38) and a 600-px object: 192×320 and 768² instead of 256×512 and 1024²
  assert.deepEqual(coarseShiftFrame(153, 281, 38), [192, 320]);
  assert.deepEqual(coarseShiftFrame(600, 600, 150), [768, 768]);
  for (const { name, gt, rec } of pairs) {
    const a = amplitudeOf(gt), b = amplitudeOf(rec);
    const L = Math.floor(Math.min(a.h, a.w) / 4);
    const frame = coarseShiftFrame(a.h, a.w, L);
    const pow2: [number, number] = [nextPow2(a.h + L), nextPow2(a.w + L)];
    assert.ok(frame[0] * frame[1] < pow2[0] * pow2[1], `${name}: ${a.h}×${a.w} in ${frame.join('×')}, not ${pow2.join('×')}`);
    const s = overlapScores(a, b, L), p = overlapScores(a, b, L, pow2);
    let top = 0, diff = 0;
    for (let i = 0; i < s.length; i++) { top = Math.max(top, Math.abs(p[i]!)); diff = Math.max(diff, Math.abs(s[i]! - p[i]!)); }
    assert.ok(top > 0 && diff <= 1e-9 * top, `${name}: max |Δ| ${diff} of max ${top}`);
    const best = (v: Float64Array): number => v.indexOf(Math.max(...v));
    assert.equal(best(s), best(p), `${name}: the best shift`);
    assert.ok(candidateShifts(a, b, L).length > 0, name);
  }
  assert.throws(() => overlapScores(amplitudeOf(pairs[0]!.gt), amplitudeOf(pairs[0]!.rec), 10, [64, 64]), /overlapScores: frame 64×64 is below/);
});

/** The mirror extension to power-of-two sides shifted by one 2-D transform (`fourierShift`), then cut back. */
function reflectShift2d(img: ComplexImage, dy: number, dx: number, pad = 16): ComplexImage {
  const { h, w } = img;
  const H = nextPow2(h + 2 * pad), W = nextPow2(w + 2 * pad);
  const top = Math.floor((H - h) / 2), left = Math.floor((W - w) / 2);
  const ext = new Float64Array(2 * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = 2 * (reflectIndex(y - top, h) * w + reflectIndex(x - left, w));
      ext[2 * (y * W + x)] = img.data[s]!;
      ext[2 * (y * W + x) + 1] = img.data[s + 1]!;
    }
  }
  const shifted = fourierShift({ h: H, w: W, data: ext }, dy, dx).data;
  const out = new Float64Array(2 * h * w);
  for (let y = 0; y < h; y++) out.set(shifted.subarray(2 * ((y + top) * W + left), 2 * ((y + top) * W + left + w)), 2 * y * w);
  return { h, w, data: out };
}

test('fourierShiftReflect: row and column passes give the 2-D shift of the same mirror extension to 1e-12', () => {
  for (const { name, rec } of pairs.slice(0, 3)) {
    for (const [dy, dx] of [[0.37, -1.21], [-4.5, 2.02], [0, 0.5]] as const) {
      const a = fourierShiftReflect(rec, dy, dx).data, b = reflectShift2d(rec, dy, dx).data;
      let top = 0, diff = 0;
      for (let i = 0; i < a.length; i++) { top = Math.max(top, Math.abs(b[i]!)); diff = Math.max(diff, Math.abs(a[i]! - b[i]!)); }
      assert.ok(diff <= 1e-12 * top, `${name} (${dy}, ${dx}): max |Δ| ${diff} of max ${top}`);
    }
  }
  // odd sides, a side of 1, and sides already powers of two less the padding
  for (const [h, w] of [[7, 13], [1, 9], [96, 32]] as const) {
    const img = { h, w, data: Float64Array.from({ length: 2 * h * w }, (_, i) => Math.sin(0.7 * i) + 0.3 * Math.cos(0.13 * i * i)) };
    const a = fourierShiftReflect(img, 0.3, -0.8).data, b = reflectShift2d(img, 0.3, -0.8).data;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-12, `${h}×${w} at ${i}: ${a[i]} vs ${b[i]}`);
  }
});
