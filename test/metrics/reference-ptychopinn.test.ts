/**
 * ptychostudy's SSIM, MS-SSIM, FRC thresholds and (composed as the reference composes them) every other
 * metric, against the values PtychoPINN's own `ptycho/evaluation.py` functions gave on the same pixels.
 * The values were produced by scripts/make-reference-metric-fixtures.py, which reads the reference's
 * function definitions from a PtychoPINN checkout and runs them (commit and library versions are in the
 * fixture). No PtychoPINN checkout is needed here: the committed values are the evidence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  frcThreshold, msSsimAmplitude, msSsimPhase, ssimAmplitude, ssimPhase, type ComplexImage, type RealImage,
} from '../../src/metrics/index.js';
import { f64 } from './reference-values.js';
import { referencePipeline } from './reference-pipeline.js';

const FIXTURE = 'test/fixtures/metrics/reference-ptychopinn.json';

type Num = number | 'nan' | 'inf' | '-inf' | { error: string };
interface PairCase { name: string; kind: 'phase' | 'amplitude'; note: string; h: number; w: number; t: string; p: string; ssim: Num; ms_ssim: Num; level_ssim?: number[] }
interface EvalCase {
  name: string; note: string; h: number; w: number; gt: string; rec: string;
  values: Record<'mae' | 'mse' | 'psnr' | 'ssim' | 'ms_ssim' | 'frc50' | 'frc1over7', [Num, Num]>;
  frc: { amplitude: Num[]; phase: Num[] };
}
interface Fixture {
  reference: { ptychopinn_commit: string; frc_commit: string; params_offset: number };
  versions: Record<string, string>;
  phase: PairCase[]; amplitude: PairCase[]; eval_reconstruction: EvalCase[];
  frc_thresholds: { curve: Num[]; note: string; frc50: Num; frc1over7: Num }[];
}

const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

/** A fixture number; an error the reference raised (scikit-image refuses images below 7 px) reads as NaN. */
function val(v: Num): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'object') return NaN;
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity;
}

function close(actual: number, expected: Num, tol: number, what: string): void {
  const e = val(expected);
  if (Number.isNaN(e)) { assert.ok(Number.isNaN(actual), `${what}: ${actual}, the reference gives ${JSON.stringify(expected)}`); return; }
  assert.ok(Math.abs(actual - e) <= tol, `${what}: ${actual} vs the reference's ${e} (tolerance ${tol})`);
}

function image(c: { h: number; w: number }, b64: string): RealImage {
  return { h: c.h, w: c.w, data: f64(b64) };
}

function complex(c: { h: number; w: number }, b64: string): ComplexImage {
  return { h: c.h, w: c.w, data: f64(b64) };
}

test('the fixture was made by PtychoPINN\'s own evaluation code and covers the required cases', () => {
  assert.match(fx.reference.ptychopinn_commit, /^[0-9a-f]{40}$/);
  assert.match(fx.reference.frc_commit, /^[0-9a-f]{40}$/);
  for (const k of ['numpy', 'scipy', 'scikit-image', 'opencv']) assert.ok(fx.versions[k], `version of ${k}`);
  const names = fx.phase.map((c) => c.name);
  for (const n of ['smooth_64x64', 'wrap_branch_48x48', 'constant_identical_16x16', 'small_20x30', 'tiny_6x10', 'negative_40x40', 'nan_32x32']) {
    assert.ok(names.includes(n), n);
  }
  // the negative case does reach the clamp, the small ones the early stop
  assert.ok(fx.phase.find((c) => c.name === 'negative_40x40')!.level_ssim!.every((s) => s < 0));
  assert.equal(fx.phase.find((c) => c.name === 'small_20x30')!.level_ssim!.length, 2);
});

// The required agreement is 1e-6; the pure-function cases agree to rounding (measured ≤ 2e-13), so they are
// held to 1e-9.
test('phase SSIM and MS-SSIM equal PtychoPINN\'s ((φ+π)/2π mapping, data range 1; ms_ssim) to 1e-9', () => {
  for (const c of fx.phase) {
    const t = image(c, c.t), p = image(c, c.p);
    close(ssimPhase(t, p), c.ssim, 1e-9, `${c.name} phase SSIM`);
    close(msSsimPhase(t, p), c.ms_ssim, 1e-9, `${c.name} phase MS-SSIM`);
  }
});

test('amplitude SSIM and MS-SSIM (σ = 1) equal PtychoPINN\'s to 1e-9', () => {
  for (const c of fx.amplitude) {
    const t = image(c, c.t), p = image(c, c.p);
    close(ssimAmplitude(t, p), c.ssim, 1e-9, `${c.name} amplitude SSIM`);
    if (c.name === 'constant_rounding_16x16') {
      // Two identical constant images: MS-SSIM's data range is 0, so every level is 0/0. The reference's
      // value is then decided by rounding in SciPy's filters (here it happens to give 1); ours is 0, the
      // reference's own answer for a NaN level (and what it gives for the exact zeros and the constant phase).
      assert.equal(val(c.ms_ssim), 1, 'the fixture records the rounding case');
      assert.equal(msSsimAmplitude(t, p), 0);
      continue;
    }
    close(msSsimAmplitude(t, p), c.ms_ssim, 1e-9, `${c.name} amplitude MS-SSIM`);
  }
});

test('frc50 / frc1over7 from a curve equal the reference\'s _first_below_threshold_interpolated', () => {
  for (const c of fx.frc_thresholds) {
    const curve = c.curve.map(val);
    close(frcThreshold(curve, 0.5), c.frc50, 1e-12, `${c.note} frc50`);
    close(frcThreshold(curve, 1 / 7), c.frc1over7, 1e-12, `${c.note} frc1over7`);
  }
});

test('eval_reconstruction: every metric, recomputed from our functions after the reference\'s own trim, plane and scale steps', () => {
  for (const c of fx.eval_reconstruction) {
    const got = referencePipeline(complex(c, c.gt), complex(c, c.rec), fx.reference.params_offset);
    const v = c.values;
    for (const [i, part] of (['amplitude', 'phase'] as const).entries()) {
      const what = `${c.name} ${part}`;
      close(got.mae[i]!, v.mae[i]!, 1e-6, `${what} MAE`);
      close(got.mse[i]!, v.mse[i]!, 1e-6, `${what} MSE`);
      if (val(v.mse[i]!) < 1e-12) {
        // identical images up to the float32 cast of the amplitude: PSNR measures rounding noise there
        // (the reference gives 189 dB for the amplitude, 361.2 dB for the phase); ours is as high
        assert.ok(got.psnr[i]! > 180, `${what} PSNR ${got.psnr[i]} of identical images`);
        if (val(v.mse[i]!) === 0) close(got.psnr[i]!, v.psnr[i]!, 1e-9, `${what} PSNR of exactly identical images`);
      } else {
        close(got.psnr[i]!, v.psnr[i]!, 1e-5, `${what} PSNR (cv2, float32 inputs; measured ≤ 1e-6 dB)`);
      }
      close(got.frc50[i]!, v.frc50[i]!, 1e-6, `${what} frc50`);
      close(got.frc1over7[i]!, v.frc1over7[i]!, 1e-6, `${what} frc1over7`);
      const curve = got.frc[part];
      assert.equal(curve.length, c.frc[part].length, `${what} FRC ring count`);
      for (let r = 0; r < curve.length; r++) close(curve[r]!, c.frc[part][r]!, 1e-6, `${what} FRC ring ${r}`);
    }
    // phase SSIM / MS-SSIM: float64 on both sides
    close(got.ssim[1], v.ssim[1], 1e-6, `${c.name} phase SSIM`);
    close(got.ms_ssim[1], v.ms_ssim[1], 1e-6, `${c.name} phase MS-SSIM`);
    // amplitude SSIM / MS-SSIM: the reference casts the ground-truth amplitude to float32, so scikit-image
    // computes these two in float32; ours are float64 (measured difference ≤ 9e-7)
    close(got.ssim[0], v.ssim[0], 5e-6, `${c.name} amplitude SSIM`);
    close(got.ms_ssim[0], v.ms_ssim[0], 5e-6, `${c.name} amplitude MS-SSIM`);
  }
});
