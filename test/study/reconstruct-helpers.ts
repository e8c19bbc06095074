/** Shared helpers of the Phase F tests: small input trees written with the NPZ codec, and a test engine. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import type { StudySettingsInput } from '../../src/settings/schema.js';
import type { EngineRunner, EpochProgress } from '../../src/study/reconstruct/engine-runner.js';
import type { LsqmlJobResult } from '../../src/study/reconstruct/lsqml-job.js';
import { runReconstruction } from '../../src/study/reconstruct/phase.js';
import type { ReconstructionRunOptions } from '../../src/study/reconstruct/plan.js';
import type { PhaseFEvent } from '../../src/study/reconstruct/record.js';
import { tempDir } from '../tmp.js';

export const DENSE_META = { overlap_view: 'dense', spacing_threshold: 38.4, source_file: 'patched_train.npz', n_accepted: 8, n_rejected: 2, acceptance_rate: 0.8, selection_strategy: 'direct' };
export const SPARSE_META = { overlap_view: 'sparse', spacing_threshold: 102.4, source_file: 'patched_train.npz', n_accepted: 3, n_rejected: 7, acceptance_rate: 0.3, selection_strategy: 'greedy' };

export function unicode0d(text: string): NdArray {
  return { dtype: `<U${Math.max(1, [...text].length)}`, shape: [], data: [text] };
}

/** A temporary directory removed when the test process exits (test/tmp.ts). */
export function tmp(prefix: string): string {
  return tempDir(prefix);
}

function coords(n: number, seed: number): Record<string, NdArray> {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = 40 + ((i * 7 + seed) % 13) * 3.25;
    y[i] = 40 + ((i * 5 + seed) % 11) * 2.5;
  }
  return { xcoords: { dtype: '<f8', shape: [n], data: x }, ycoords: { dtype: '<f8', shape: [n], data: y } };
}

export interface TreeOptions {
  doses?: number[];
  views?: Array<'dense' | 'sparse'>;
  /** Write dense/sparse as `<view>/<split>.npz` (the newer Phase D layout) instead of `<view>/<view>_<split>.npz`. */
  newLayout?: boolean;
  nBaseline?: number;
}

/** Writes a Phase C / Phase D tree with small coordinate-only NPZ files; returns the roots. */
export function writeTree(root: string, o: TreeOptions = {}): { phaseC: string; phaseD: string; artifact: string } {
  const phaseC = join(root, 'phase_c');
  const phaseD = join(root, 'phase_d');
  for (const dose of o.doses ?? [1000, 10000, 100000]) {
    for (const [si, split] of (['train', 'test'] as const).entries()) {
      const cdir = join(phaseC, `dose_${dose}`);
      mkdirSync(cdir, { recursive: true });
      saveNpz(join(cdir, `patched_${split}.npz`), coords(o.nBaseline ?? 12, si));
      for (const view of o.views ?? ['dense', 'sparse']) {
        const ddir = join(phaseD, `dose_${dose}`, view);
        mkdirSync(ddir, { recursive: true });
        const meta = view === 'dense' ? DENSE_META : SPARSE_META;
        saveNpz(join(ddir, o.newLayout ? `${split}.npz` : `${view}_${split}.npz`),
          { ...coords(view === 'dense' ? 8 : 3, si + 1), _metadata: unicode0d(JSON.stringify(meta)) });
      }
    }
  }
  mkdirSync(phaseD, { recursive: true });
  return { phaseC, phaseD, artifact: join(root, 'artifacts') };
}

/**
 * An in-process engine for orchestration tests: writes the three output files into the directory it is
 * given, reports `epochs` progress callbacks, and fails for inputs whose path matches `failWhen`.
 * It records every call so tests can see what ran.
 */
export function testEngine(failWhen: RegExp | null = null): { executor: EngineRunner; calls: Parameters<EngineRunner>[0][] } {
  const calls: Parameters<EngineRunner>[0][] = [];
  const executor: EngineRunner = async (opts, onProgress: (p: EpochProgress) => void): Promise<LsqmlJobResult> => {
    calls.push(opts);
    const epochs = opts.settings.epochs;
    for (let e = 1; e <= epochs; e++) onProgress({ epoch: e, epochs, loss: 1 / e, seconds: 0.001 });
    if (failWhen !== null && failWhen.test(opts.inputNpz)) throw new Error(`ERROR: Invalid diffraction array shape in ${opts.inputNpz}`);
    const npz = join(opts.outputDir, 'reconstruction.npz');
    saveNpz(npz, { reconstructed_object: { dtype: '<f8', shape: [2], data: new Float64Array([calls.length, 0]) } });
    writeFileSync(join(opts.outputDir, 'reconstruction.png'), `png of ${opts.inputNpz}`);
    writeFileSync(join(opts.outputDir, 'lsqml.log'), `epochs ${epochs}\n`);
    return { reconstructionNpz: npz, png: join(opts.outputDir, 'reconstruction.png'), runRecord: join(opts.outputDir, 'reconstruction_run.json'), log: join(opts.outputDir, 'lsqml.log'),
      epochsRun: epochs, finalLoss: 1 / epochs, seconds: 0.01, nPositions: 5, warnings: [] };
  };
  return { executor, calls };
}

/**
 * Phase F over a test tree: the study's `doses`, the reconstruction `settings` and `jobs` at once (parsed as the CLI
 * parses its flags), the run's options, and the engine that runs each job (`executor`).
 */
export function phaseF(o: Omit<ReconstructionRunOptions, 'engine'> & { doses?: number[]; settings?: StudySettingsInput['reconstruction'];
  jobs?: number; executor?: EngineRunner }, onEvent?: (e: PhaseFEvent) => void) {
  const { doses, settings, jobs, executor, ...options } = o;
  return (async () => runReconstruction(parseStudySettings({ simulation: { doses }, reconstruction: settings, execution: { jobs } }),
    { ...options, ...(executor !== undefined ? { engine: executor } : {}) }, onEvent))();
}
