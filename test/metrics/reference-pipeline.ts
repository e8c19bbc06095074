/**
 * The steps PtychoPINN's `eval_reconstruction` takes before its metrics, composed from ptychostudy's own
 * metric functions, so that the values its own code produced (test/fixtures/metrics/reference-ptychopinn.json,
 * `eval_reconstruction` cases) can be recomputed here: what differs between the two tools is then only these
 * steps, each of which docs/metrics.md lists with its measured effect.
 *
 *  1. trim offset/2 pixels from every edge (offset = the `params` default, 4);
 *  2. phases: arg of each image, each minus its own least-squares plane a·x + b·y + c (no unwrapping);
 *  3. amplitudes: the ground truth cast to float32 (`tf.cast`), the reconstruction multiplied by
 *     mean(|gt|) / mean(|rec|);
 *  4. the metrics: MAE, MSE, OpenCV PSNR (float32 inputs), SSIM / MS-SSIM (phase mapped by (φ+π)/(2π)), FRC.
 *
 * Test-only: the product does not use this pipeline (see docs/metrics.md, "Against the reference's whole
 * evaluation").
 */
import {
  amplitudeOf, cropReal, fitPlane, frc, frcThreshold, mae, mse, msSsimAmplitude, msSsimPhase, phaseOf, psnrOpenCv,
  ssimAmplitude, ssimPhase, type ComplexImage, type RealImage,
} from '../../src/metrics/index.js';

export interface PipelineValues {
  mae: [number, number]; mse: [number, number]; psnr: [number, number]; ssim: [number, number];
  ms_ssim: [number, number]; frc50: [number, number]; frc1over7: [number, number];
  frc: { amplitude: Float64Array; phase: Float64Array };
}

function trim(img: RealImage, t: number): RealImage {
  return cropReal(img, t, t, img.h - 2 * t, img.w - 2 * t);
}

function minusOwnPlane(img: RealImage): RealImage {
  const p = fitPlane(img.data, img.h, img.w);
  const out = new Float64Array(img.data.length);
  for (let y = 0; y < img.h; y++) for (let x = 0; x < img.w; x++) out[y * img.w + x] = img.data[y * img.w + x]! - (p.a * x + p.b * y + p.c);
  return { h: img.h, w: img.w, data: out };
}

function map(img: RealImage, f: (v: number) => number): RealImage {
  return { h: img.h, w: img.w, data: img.data.map(f) };
}

function mean(d: Float64Array): number {
  let s = 0;
  for (const v of d) s += v;
  return s / d.length;
}

export function referencePipeline(gt: ComplexImage, rec: ComplexImage, offset: number): PipelineValues {
  const t = offset / 2;
  const phT = minusOwnPlane(trim(phaseOf(gt), t));
  const phP = minusOwnPlane(trim(phaseOf(rec), t));
  const ampT = map(trim(amplitudeOf(gt), t), Math.fround);
  const ampRaw = trim(amplitudeOf(rec), t);
  const scale = Math.fround(mean(ampT.data)) / mean(ampRaw.data);
  const ampP = map(ampRaw, (v) => v * scale);
  const frcA = frc(ampT, ampP).curve;
  const frcP = frc(phT, phP).curve;
  const f32 = (img: RealImage): RealImage => map(img, Math.fround);
  return {
    mae: [mae(ampT, ampP), mae(phT, phP)],
    mse: [mse(ampT, ampP), mse(phT, phP)],
    psnr: [psnrOpenCv(mse(ampT, f32(ampP))), psnrOpenCv(mse(f32(phT), f32(phP)))],
    ssim: [ssimAmplitude(ampT, ampP), ssimPhase(phT, phP)],
    ms_ssim: [msSsimAmplitude(ampT, ampP, 1), msSsimPhase(phT, phP)],
    frc50: [frcThreshold(frcA, 0.5), frcThreshold(frcP, 0.5)],
    frc1over7: [frcThreshold(frcA, 1 / 7), frcThreshold(frcP, 1 / 7)],
    frc: { amplitude: frcA, phase: frcP },
  };
}
