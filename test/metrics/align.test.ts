import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alignReconstruction, computeMetrics, cutToRegion, fitPlane, scannedRegion, wrapPhase,
} from '../../src/metrics/index.js';
import { addNoise, rampAndScale, syntheticObject } from './synthetic.js';
import {
  crossCorrelator, fourierShift, phaseCrossCorrelation, setUpsampledDftWasm, upsampledDft, upsampledDftHermitian,
} from '../../src/metrics/registration.js';
import { createFft2 } from '../../src/math/fft.js';
import { getArena } from '../../src/math/fft-wasm.js';

test('identical images: MAE 0, MSE 0, SSIM 1, MS-SSIM 1, FRC 1 everywhere, PSNR infinite', () => {
  const gt = syntheticObject(64, 72);
  const al = alignReconstruction(gt, { h: gt.h, w: gt.w, data: Float64Array.from(gt.data) });
  assert.equal(al.dy, 0);
  assert.equal(al.dx, 0);
  const m = computeMetrics(al.gt, al.rec);
  for (const k of ['amplitude', 'phase'] as const) {
    assert.ok(m.mae[k] < 1e-12, `mae ${k} ${m.mae[k]}`);
    assert.ok(m.mse[k] < 1e-24, `mse ${k}`);
    assert.ok(Math.abs(m.ssim[k] - 1) < 1e-9, `ssim ${k} ${m.ssim[k]}`);
    assert.ok(Math.abs(m.ms_ssim[k] - 1) < 1e-9, `ms_ssim ${k} ${m.ms_ssim[k]}`);
    for (const v of m.frc[k]) assert.ok(Math.abs(v - 1) < 1e-9, `frc ${k} ${v}`);
    assert.equal(m.frc50[k], m.frc[k].length, 'frc50 = number of rings when the curve never drops');
    assert.ok(m.psnr[k] > 200 || m.psnr[k] === Infinity, `psnr ${k} ${m.psnr[k]}`);
  }
});

test('a known sub-pixel shift of a complex object is recovered to 0.05 px', () => {
  const gt = syntheticObject(80, 90, 3);
  for (const [sy, sx] of [[1.37, -2.71], [-0.23, 0.48], [4.05, 3.5], [0.5, -0.5]] as const) {
    for (const noise of [0, 0.02]) {
      const rec = addNoise(syntheticObject(80, 90, 3, [sy, sx]), noise);
      const al = alignReconstruction(gt, rec);
      assert.equal(al.registrationError, undefined);
      // exact data: 0.05 px (the bound); 2 % noise on a smooth, low-contrast object: 0.1 px
      const tol = noise === 0 ? 0.05 : 0.1;
      assert.ok(Math.abs(al.dy + sy) <= tol && Math.abs(al.dx + sx) <= tol, `shift (${sy}, ${sx}), noise ${noise} → (${al.dy}, ${al.dx})`);
    }
  }
});

test('shifts of a fifth to a quarter of the window are recovered, not lost to a wrong peak of the tapered correlation', () => {
  // A 100×105 window: the tapered correlation alone answered (2.04, 0.10) for a (20, 0) px offset and
  // (4.38, −7.56) for (18, −9); the plain correlation's candidates, judged over the overlap, find them.
  const big = syntheticObject(140, 150, 5);
  const region = { y0: 20, y1: 120, x0: 25, x1: 130 };
  for (const noise of [0, 0.02]) {
    // what the same noise scores without any offset
    const still = cutToRegion(big, addNoise(syntheticObject(140, 150, 5), noise), region);
    const a0 = alignReconstruction(still.gt, still.rec);
    const s0 = computeMetrics(a0.gt, a0.rec).ssim;
    for (const [sy, sx] of [[18, -9], [20, 0], [22, -11], [-19.6, 13.72], [12, 24]] as const) {
      const { gt, rec } = cutToRegion(big, addNoise(syntheticObject(140, 150, 5, [sy, sx]), noise), region);
      const al = alignReconstruction(gt, rec);
      assert.equal(al.registrationError, undefined);
      assert.ok(Math.max(Math.abs(al.dy + sy), Math.abs(al.dx + sx)) <= 0.25, `shift (${sy}, ${sx}), noise ${noise} → (${al.dy}, ${al.dx})`);
      const m = computeMetrics(al.gt, al.rec).ssim;
      for (const k of ['amplitude', 'phase'] as const) assert.ok(m[k] > s0[k] - 0.02, `ssim ${k} ${m[k]} against ${s0[k]} unshifted`);
    }
  }
});

test('a shifted, phase-ramped, rescaled copy of the ground truth scores as nearly perfect after alignment', () => {
  const big = syntheticObject(140, 150, 5);
  // The reconstruction: the object shifted by a sub-pixel amount, ×0.37 in amplitude, with a phase ramp
  // large enough to wrap several times across the window, and a constant phase offset.
  const rec0 = rampAndScale(syntheticObject(140, 150, 5, [1.6, -2.3]), 0.37, 0.21, -0.17, 2.5);
  const region = { y0: 20, y1: 120, x0: 25, x1: 130 };
  const { gt, rec, sameFrame } = cutToRegion(big, rec0, region);
  assert.ok(sameFrame);
  const al = alignReconstruction(gt, rec);
  assert.ok(Math.abs(al.dy + 1.6) <= 0.05 && Math.abs(al.dx - 2.3) <= 0.05, `offset (${al.dy}, ${al.dx})`);
  assert.ok(Math.abs(al.amplitudeScale - 1 / 0.37) < 0.01 / 0.37, `scale ${al.amplitudeScale}`);
  assert.ok(Math.abs(al.phasePlane.a + 0.21) < 1e-3 && Math.abs(al.phasePlane.b - 0.17) < 1e-3, `plane ${JSON.stringify(al.phasePlane)}`);
  const m = computeMetrics(al.gt, al.rec);
  for (const k of ['amplitude', 'phase'] as const) {
    assert.ok(m.ssim[k] > 0.99, `ssim ${k} ${m.ssim[k]}`);
    assert.ok(m.ms_ssim[k] > 0.99, `ms_ssim ${k} ${m.ms_ssim[k]}`);
    assert.ok(m.frc50[k] > 0.9 * m.frc[k].length / Math.SQRT2, `frc50 ${k} ${m.frc50[k]} of ${m.frc[k].length} rings`);
  }
  assert.ok(m.mae.amplitude < 0.01, `amplitude mae ${m.mae.amplitude}`);
  assert.ok(m.mae.phase < 0.01, `phase mae ${m.mae.phase}`);
  // Without alignment the same copy scores badly: the alignment is doing the work.
  const raw = computeMetrics(gt, rec);
  assert.ok(raw.ssim.phase < 0.5 && raw.mae.amplitude > 0.2, `unaligned ssim ${raw.ssim.phase}, mae ${raw.mae.amplitude}`);
});

test('metrics degrade monotonically with noise', () => {
  const gt = syntheticObject(96, 96, 9);
  let prev: ReturnType<typeof computeMetrics> | null = null;
  for (const level of [0.02, 0.08, 0.2]) {
    const al = alignReconstruction(gt, addNoise(gt, level));
    const m = computeMetrics(al.gt, al.rec);
    if (prev) {
      for (const k of ['amplitude', 'phase'] as const) {
        assert.ok(m.mae[k] > prev.mae[k], `mae ${k} grows with noise`);
        assert.ok(m.ssim[k] < prev.ssim[k], `ssim ${k} falls with noise`);
        assert.ok(m.ms_ssim[k] < prev.ms_ssim[k], `ms_ssim ${k} falls with noise`);
        assert.ok(m.psnr[k] < prev.psnr[k], `psnr ${k} falls with noise`);
      }
    }
    prev = m;
  }
});

test('fitPlane recovers a plane exactly; wrapPhase maps into (−π, π]', () => {
  const h = 9, w = 13;
  const d = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = 0.3 * x - 0.7 * y + 1.1;
  const p = fitPlane(d, h, w);
  assert.ok(Math.abs(p.a - 0.3) < 1e-12 && Math.abs(p.b + 0.7) < 1e-12 && Math.abs(p.c - 1.1) < 1e-12);
  assert.equal(wrapPhase(Math.PI), Math.PI);
  assert.equal(wrapPhase(-Math.PI), Math.PI);
  assert.ok(Math.abs(wrapPhase(3 * Math.PI / 2) + Math.PI / 2) < 1e-12);
});

test('scannedRegion: patch bounding box, and the illuminated part of it', () => {
  const ys = [40, 40, 60, 60], xs = [30, 50, 30, 50];
  assert.deepEqual(scannedRegion(100, 100, ys, xs, 16, { mode: 'patches' }), { y0: 32, y1: 68, x0: 22, x1: 58 });
  assert.deepEqual(scannedRegion(100, 100, [5], [95], 16, { mode: 'patches' }), { y0: 0, y1: 13, x0: 87, x1: 100 });
  // A probe whose intensity is a centred disc of radius 4 inside the 16×16 patch: the illuminated box is smaller.
  const N = 16;
  const P = new Float64Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) P[y * N + x] = (y - N / 2) ** 2 + (x - N / 2) ** 2 <= 16 ? 1 : 0;
  const r = scannedRegion(100, 100, ys, xs, N, { probeIntensity: P });
  assert.deepEqual(r, { y0: 36, y1: 65, x0: 26, x1: 55 });
});

test('scannedRegion: probes that reach past every edge of the object add only their inside part', () => {
  // the illumination summed pixel by pixel with every bound checked, as the region is defined
  const reference = (H: number, W: number, ys: number[], xs: number[], N: number, P: Float64Array): { y0: number; y1: number; x0: number; x1: number } => {
    const illum = new Float64Array(H * W);
    ys.forEach((cy, i) => {
      const top = Math.round(cy - N / 2), left = Math.round(xs[i]! - N / 2);
      for (let py = 0; py < N; py++) for (let px = 0; px < N; px++) {
        const y = top + py, x = left + px;
        if (y >= 0 && y < H && x >= 0 && x < W) illum[y * W + x]! += P[py * N + px]!;
      }
    });
    const thr = 0.1 * Math.max(...illum);
    let y0 = H, y1 = 0, x0 = W, x1 = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      if (illum[y * W + x]! >= thr) { y0 = Math.min(y0, y); y1 = Math.max(y1, y + 1); x0 = Math.min(x0, x); x1 = Math.max(x1, x + 1); }
    }
    return { y0, y1, x0, x1 };
  };
  const N = 12;
  const P = new Float64Array(N * N).map((_, i) => 1 + ((i * 37) % 11)); // uneven, so where each part lands matters
  // centres near and beyond each edge and corner, one far outside
  const ys = [1.4, 2, 57.6, 30, 30, -3, 64, 20, 200];
  const xs = [20, 70.2, 40, -2.5, 71, -4, 75, 35, 200];
  const r = scannedRegion(60, 72, ys, xs, N, { probeIntensity: P });
  assert.deepEqual(r, reference(60, 72, ys, xs, N, P));
  assert.deepEqual(r, { y0: 0, y1: 60, x0: 0, x1: 72 });
  // a probe bright in its middle: centres beyond the edges leave only its dim rim inside, under the threshold,
  // and the box is that of the positions inside, the same as summed pixel by pixel
  const P2 = new Float64Array(N * N).map((_, i) => (Math.abs((i / N | 0) - N / 2) < 3 && Math.abs((i % N) - N / 2) < 3 ? 100 : 1));
  const ys2 = [30, 31, 29, -4, 63.5, 30], xs2 = [36, 37, 35, -3, 75, -4.5];
  const r2 = scannedRegion(60, 72, ys2, xs2, N, { probeIntensity: P2 });
  assert.deepEqual(r2, reference(60, 72, ys2, xs2, N, P2));
  assert.deepEqual(r2, { y0: 27, y1: 34, x0: 33, x1: 40 });
});

test('upsampled DFT: the wasm row and column stages give the scalar code\'s values bit for bit (odd and even grids)', () => {
  let seed = 3;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 - 0.5; };
  assert.ok(getArena() !== null, 'the wasm kernel is built (npm run build)');
  for (const [h, w, size, off] of [[16, 32, 75, 37.02], [12, 20, 8, 3.5], [8, 8, 1, 0], [32, 16, 30, -2.25]] as const) {
    const data = Float64Array.from({ length: 2 * h * w }, () => rand() * 1e3);
    const fast = upsampledDft(data, h, w, size, 50, off, off + 0.5);
    setUpsampledDftWasm(false);
    try {
      const plain = upsampledDft(data, h, w, size, 50, off, off + 0.5);
      assert.equal(fast.length, plain.length);
      for (let i = 0; i < plain.length; i++) assert.ok(Object.is(fast[i], plain[i]), `${h}×${w}, grid ${size}: element ${i} ${fast[i]} vs ${plain[i]}`);
    } finally {
      setUpsampledDftWasm(true);
    }
  }
});

test('upsampled DFT of a Hermitian spectrum: half the rows give the full sum\'s values to 1e-12 (even and odd sides, wasm and scalar)', () => {
  let seed = 9;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 - 0.5; };
  for (const [h, w, size, offY, offX] of [[32, 48, 75, 37.02, -12.5], [15, 21, 8, 3.5, 2], [16, 9, 30, -2.25, 40], [9, 16, 75, 37, 37], [1, 8, 5, 2, 2]] as const) {
    // the spectrum of a real image, and that of the cross-correlation of two (what the registration sums)
    const spectrumOf = (): Float64Array => {
      const buf = new Float64Array(2 * h * w);
      for (let i = 0; i < h * w; i++) buf[2 * i] = rand() * 100;
      createFft2(h, w).forward(buf, 1);
      return buf;
    };
    const a = spectrumOf(), b = spectrumOf();
    const cross = new Float64Array(2 * h * w);
    for (let i = 0; i < h * w; i++) {
      cross[2 * i] = a[2 * i]! * b[2 * i]! + a[2 * i + 1]! * b[2 * i + 1]!;
      cross[2 * i + 1] = a[2 * i + 1]! * b[2 * i]! - a[2 * i]! * b[2 * i + 1]!;
    }
    for (const data of [a, cross]) {
      for (const wasm of [true, false]) {
        setUpsampledDftWasm(wasm);
        try {
          const full = upsampledDft(data, h, w, size, 50, offY, offX);
          const half = upsampledDftHermitian(data, h, w, size, 50, offY, offX);
          let scale = 0;
          for (const v of full) scale = Math.max(scale, Math.abs(v));
          assert.equal(half.length, full.length);
          for (let i = 0; i < full.length; i++) {
            assert.ok(Math.abs(half[i]! - full[i]!) <= 1e-12 * scale, `${h}×${w}, grid ${size}, wasm ${wasm}: element ${i} ${half[i]} vs ${full[i]}`);
          }
        } finally {
          setUpsampledDftWasm(true);
        }
      }
    }
  }
});

test('a cross-correlator reused for several moving images gives what a separate call gives for each', () => {
  const gt = syntheticObject(24, 40);
  const amp = (img: { h: number; w: number; data: Float64Array }): { h: number; w: number; data: Float64Array } =>
    ({ h: img.h, w: img.w, data: Float64Array.from({ length: img.h * img.w }, (_, i) => Math.hypot(img.data[2 * i]!, img.data[2 * i + 1]!)) });
  const moved = [fourierShift(gt, 1.3, -2.7), fourierShift(gt, -0.4, 3.1), gt];
  const broken = { ...moved[0]!, data: Float64Array.from(moved[0]!.data) };
  broken.data[17] = NaN;
  for (const [complex, normalization] of [[false, 'none'], [false, 'phase'], [true, 'phase']] as const) {
    const ref = complex ? gt : amp(gt);
    const images = [...moved, broken, moved[0]!].map((m) => (complex ? m : amp(m)));
    const correlate = crossCorrelator(ref, 50, { complex, normalization });
    const got = images.map((m) => correlate(m));
    const separate = images.map((m) => phaseCrossCorrelation(ref, m, 50, { complex, normalization }));
    assert.deepEqual(got, separate, `complex ${complex}, normalization ${normalization}`);
    assert.ok(Number.isNaN(got[3]!.dy), 'a non-finite image gives NaN');
    assert.notDeepEqual(got[0], got[1]);
    assert.deepEqual(got[4], got[0], 'the same image again, after others: the same answer');
  }
});

test('a reconstruction in another frame is centre-cropped with the region to the common size', () => {
  const obj = syntheticObject(60, 60);
  const other = syntheticObject(30, 50);
  const { gt, rec, sameFrame } = cutToRegion(obj, other, { y0: 10, y1: 50, x0: 5, x1: 45 });
  assert.equal(sameFrame, false);
  assert.deepEqual([gt.h, gt.w, rec.h, rec.w], [30, 40, 30, 40]);
});

test('a reconstruction without contrast is not registered: no shift from a flat correlation, the reason recorded', () => {
  const gt = syntheticObject(48, 54, 11);
  for (const [name, value] of [['all zero', 0], ['constant 0.7', 0.7]] as const) {
    const data = new Float64Array(2 * gt.h * gt.w);
    for (let i = 0; i < data.length; i += 2) data[i] = value;
    const al = alignReconstruction(gt, { h: gt.h, w: gt.w, data });
    assert.equal(al.dy, 0, `${name}: dy`);
    assert.equal(al.dx, 0, `${name}: dx`);
    assert.equal(al.border, 2, name);
    assert.equal(al.registeredOn, 'none', name);
    assert.match(al.registrationError ?? '', /registration skipped: the reconstruction has no contrast/, name);
  }
  // a flat amplitude with phase contrast is registered on its phase (here: the ground truth's phase, moved)
  const moved = syntheticObject(48, 54, 11, [1.5, -2]);
  for (let i = 0; i < moved.data.length; i += 2) {
    const p = Math.atan2(moved.data[i + 1]!, moved.data[i]!);
    moved.data[i] = Math.cos(p); moved.data[i + 1] = Math.sin(p);
  }
  const al = alignReconstruction(gt, moved);
  assert.equal(al.registeredOn, 'phase');
  assert.ok(Math.abs(al.dy + 1.5) < 0.2 && Math.abs(al.dx - 2) < 0.2, `(${al.dy}, ${al.dx})`);
});
