/**
 * A small synthetic hub for Phase G tests: Phase C datasets (objectGuess, probeGuess, coordinates, a tiny
 * diffraction stand-in) and "reconstructions" that are the ground truth shifted, phase-ramped, rescaled and
 * made noisier as the dose falls, written where Phase F writes them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { metadataArray } from '../../src/data/metadata.js';
import { c64, f32, f64 } from '../../src/npy/types.js';
import { addNoise, rampAndScale, syntheticObject } from '../metrics/synthetic.js';
import type { ComplexImage } from '../../src/metrics/index.js';

export const H = 96, W = 104, N = 32;

export function toC64(img: ComplexImage): ReturnType<typeof c64> {
  return c64([img.h, img.w], Float32Array.from(img.data));
}

function probe(): Float32Array {
  const d = new Float32Array(2 * N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    const r2 = ((y - N / 2) ** 2 + (x - N / 2) ** 2) / (N * N / 16);
    d[2 * (y * N + x)] = Math.exp(-r2);
  }
  return d;
}

function coords(): { xs: Float64Array; ys: Float64Array } {
  const xs: number[] = [], ys: number[] = [];
  for (let y = 30; y <= 66; y += 6) for (let x = 30; x <= 74; x += 6) { ys.push(y + 0.3); xs.push(x - 0.2); }
  return { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
}

/** Noise level of the fake reconstruction at a dose: falls with dose. */
export function noiseFor(dose: number): number {
  return 0.6 / Math.sqrt(dose / 100);
}

export interface HubOptions {
  doses?: number[];
  views?: string[];
  /** Jobs (dose|view|split) with no reconstruction file. */
  omit?: string[];
  /**
   * Jobs (dose|view) whose reconstructions store the positions they used (`positions`, [n, 2] as y, x): only the
   * dataset's positions this keeps, so the scanned region, and the square the FRC is computed on, are that job's own.
   */
  positionsOf?: Record<string, (y: number, x: number) => boolean>;
}

/** Builds the hub; returns its roots. */
export function makeHub(root: string, opts: HubOptions = {}): { c: string; d: string; f: string; g: string } {
  const roots = { c: join(root, 'phase_c'), d: join(root, 'phase_d'), f: join(root, 'phase_f'), g: join(root, 'phase_g') };
  const obj = syntheticObject(H, W, 11);
  const { xs, ys } = coords();
  for (const dose of opts.doses ?? [1000, 10000, 100000]) {
    for (const split of ['train', 'test']) {
      const input = join(roots.c, `dose_${dose}`, `patched_${split}.npz`);
      mkdirSync(join(roots.c, `dose_${dose}`), { recursive: true });
      saveNpz(input, {
        objectGuess: toC64(obj),
        probeGuess: c64([N, N], probe()),
        xcoords: f64([xs.length], xs),
        ycoords: f64([ys.length], ys),
        diffraction: f32([xs.length, 4, 4], new Float32Array(xs.length * 16)),
        _metadata: metadataArray({ dose }),
      });
      for (const view of opts.views ?? ['baseline']) {
        if (opts.omit?.includes(`${dose}|${view}|${split}`)) continue;
        const shifted = syntheticObject(H, W, 11, [0.4, -0.7]);
        const rec = addNoise(rampAndScale(shifted, 1.9, 0.03, -0.02, 0.8), noiseFor(dose), dose + (split === 'test' ? 1 : 0));
        const dir = join(roots.f, `dose_${dose}`, view, split);
        mkdirSync(dir, { recursive: true });
        const keep = opts.positionsOf?.[`${dose}|${view}`];
        const kept = keep ? [...ys.keys()].filter((i) => keep(ys[i]!, xs[i]!)) : null;
        saveNpz(join(dir, 'reconstruction.npz'), {
          reconstructed_object: toC64(rec),
          ...(kept ? { positions: f64([kept.length, 2], Float64Array.from(kept.flatMap((i) => [ys[i]!, xs[i]!]))) } : {}),
          epoch_seconds: f64([3], Float64Array.of(0.5, 0.25, 0.25)),
          _metadata: metadataArray({ input_npz: input }),
        });
      }
    }
  }
  return roots;
}
