/**
 * Small Phase C files for the Phase D tests, written with the project's own `saveNpz`: positions chosen by
 * the test, every per-scan array tagged with its row number so filtering can be checked row by row.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';
import { metadataArray } from '../../src/data/metadata.js';
import type { NdArray } from '../../src/npy/types.js';
import { distance } from '../../src/geometry/spacing.js';
import assert from 'node:assert/strict';

export { tempDir } from '../tmp.js';

/** mulberry32: test data that does not depend on the project's Rng. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomPositions(n: number, lo: number, hi: number, seed: number): { x: Float64Array; y: Float64Array } {
  const r = prng(seed);
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) { x[i] = lo + (hi - lo) * r(); y[i] = lo + (hi - lo) * r(); }
  return { x, y };
}

export interface SplitSpec {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Patch side N (default 16). */
  n?: number;
  /** Object side (default 96). */
  objectSize?: number;
  /** Metadata to store: an object (0-d `<U` JSON), 'none', or raw text stored as `<U` (e.g. broken JSON). */
  metadata?: Record<string, unknown> | 'none' | { raw: string };
}

/**
 * Phase C split arrays: DATA-001 keys, `diffraction[i]` and `Y[i]` filled with i, `scan_index = i`, a 0-d
 * `dose` scalar, and `_metadata`.
 */
export function phaseCArrays(spec: SplitSpec): Record<string, NdArray> {
  const count = spec.x.length;
  const n = spec.n ?? 16;
  const m = spec.objectSize ?? 96;
  const diff = new Float32Array(count * n * n);
  const y = new Float32Array(count * n * n * 2);
  for (let i = 0; i < count; i++) {
    diff.fill(i, i * n * n, (i + 1) * n * n);
    for (let p = 0; p < n * n; p++) { y[2 * (i * n * n + p)] = i; y[2 * (i * n * n + p) + 1] = -i; }
  }
  const obj = new Float32Array(m * m * 2);
  for (let p = 0; p < m * m; p++) { obj[2 * p] = 1; obj[2 * p + 1] = (p % 7) / 7; }
  const probe = new Float32Array(n * n * 2);
  for (let p = 0; p < n * n; p++) probe[2 * p] = (p % n) / n;
  const arrays: Record<string, NdArray> = {
    diffraction: { dtype: '<f4', shape: [count, n, n], data: diff },
    objectGuess: { dtype: '<c8', shape: [m, m], data: obj },
    probeGuess: { dtype: '<c8', shape: [n, n], data: probe },
    xcoords: { dtype: '<f8', shape: [count], data: Float64Array.from(spec.x) },
    ycoords: { dtype: '<f8', shape: [count], data: Float64Array.from(spec.y) },
    xcoords_start: { dtype: '<f8', shape: [count], data: Float64Array.from(spec.x) },
    ycoords_start: { dtype: '<f8', shape: [count], data: Float64Array.from(spec.y) },
    scan_index: { dtype: '<i8', shape: [count], data: BigInt64Array.from({ length: count }, (_, i) => BigInt(i)) },
    Y: { dtype: '<c8', shape: [count, n, n], data: y },
    dose: { dtype: '<f8', shape: [], data: Float64Array.of(1000) },
  };
  const meta = spec.metadata ?? { schema_version: '1.0.0', physics_parameters: { nphotons: 1000, N: n }, data_transformations: [{ tool: 'transpose_rename_convert' }] };
  if (meta === 'none') return arrays;
  if ('raw' in meta && typeof meta.raw === 'string') arrays['_metadata'] = { dtype: `<U${meta.raw.length}`, shape: [], data: [meta.raw] };
  else arrays['_metadata'] = metadataArray(meta as Record<string, unknown>);
  return arrays;
}

/** Writes `<root>/dose_<dose>/patched_{train,test}.npz`. */
export function writePhaseCDose(root: string, dose: number, train: SplitSpec, test: SplitSpec): string {
  const dir = join(root, `dose_${dose}`);
  mkdirSync(dir, { recursive: true });
  saveNpz(join(dir, 'patched_train.npz'), phaseCArrays(train));
  saveNpz(join(dir, 'patched_test.npz'), phaseCArrays(test));
  return dir;
}

/** Overwrites the middle third of a file with garbage (a broken deflate stream / CRC). */
export function corrupt(path: string): void {
  const b = readFileSync(path);
  const r = prng(5);
  for (let i = Math.floor(b.length / 3); i < Math.floor((2 * b.length) / 3); i++) b[i] = Math.floor(r() * 256);
  writeFileSync(path, b);
}

/** A typical study split: `count` random positions in [N/2, size − N/2]². */
export function studySplit(count: number, seed: number, n = 16, objectSize = 96): SplitSpec {
  const { x, y } = randomPositions(count, n / 2, objectSize - n / 2, seed);
  return { x, y, n, objectSize };
}

/**
 * Brute force over every pair: each kept pair is ≥ s apart (by Math.hypot, and by the project's distance
 * rule exactly), each rejected position is closer than s to a kept one (maximality), and the kept indices
 * are ascending.
 */
export function assertValidMaximal(x: ArrayLike<number>, y: ArrayLike<number>, s: number, selected: ArrayLike<number>): void {
  const sel = Array.from(selected);
  const kept = new Set(sel);
  for (let a = 0; a < sel.length; a++) {
    for (let b = a + 1; b < sel.length; b++) {
      const i = sel[a], j = sel[b];
      const d = Math.hypot(x[i] - x[j], y[i] - y[j]);
      assert.ok(d >= s - 1e-9 * s, `kept ${i} and ${j} are ${d} apart, below ${s}`);
      assert.ok(distance(x[i], y[i], x[j], y[j]) >= s, `kept ${i} and ${j} fail the distance rule`);
    }
  }
  for (let i = 0; i < x.length; i++) {
    if (kept.has(i)) continue;
    assert.ok(sel.some((j) => distance(x[i], y[i], x[j], y[j]) < s), `rejected position ${i} could have been kept (not maximal)`);
  }
  for (let k = 1; k < sel.length; k++) assert.ok(sel[k] > sel[k - 1], 'kept indices are ascending');
}
