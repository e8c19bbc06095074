/** Shared helpers for the codec tests: NumPy-style canonical values and a python3+numpy probe. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { c64, type NdArray, type PyScalar } from '../../src/npy/types.js';

/** test/fixtures/numpy/ (tests run from dist/test/npy/). */
export const NUMPY_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/numpy/', import.meta.url));

/** The float rule of scripts/make-numpy-fixtures.py. */
export function fnum(x: number): number | string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return x;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function obj(v: PyScalar): Record<string, unknown> {
  if (v === null) return { none: null };
  if (typeof v === 'boolean') return { bool: v };
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? { int: String(v) } : { float: fnum(v) };
  if (typeof v === 'string') return { str: v };
  return { bytes: hex(v) };
}

/** Values of an array in C order, in the canonical JSON form expected.json uses. */
export function canonicalValues(a: NdArray): unknown[] {
  const kind = a.dtype.replace(/^[<>|=]/, '')[0];
  const d = a.data as ArrayLike<unknown> & Iterable<unknown>;
  switch (kind) {
    case 'f': return Array.from(d as Float64Array, fnum);
    case 'c': {
      const out: unknown[] = [];
      for (let i = 0; i < d.length; i += 2) out.push([fnum(d[i] as number), fnum(d[i + 1] as number)]);
      return out;
    }
    case 'i': case 'u': return Array.from(d, (v) => String(v));
    case 'b': return Array.from(d, (v) => v !== 0 && v !== false);
    case 'U': return Array.from(d);
    case 'S': return Array.from(d as Uint8Array[], hex);
    case 'O': return Array.from(d as PyScalar[], obj);
    default: throw new Error(`no canonical form for ${a.dtype}`);
  }
}

let numpyProbe: string | null | undefined;
/** null when python3 with numpy is usable, else the reason to skip. */
export function numpyMissing(): string | null {
  if (numpyProbe === undefined) {
    const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
    numpyProbe = r.status === 0 ? null : `python3 with numpy is not available (${r.error ? r.error.message : r.stderr.trim().split('\n').pop()}); .ci/run installs python3-numpy`;
  }
  return numpyProbe;
}

/** Runs a python3 snippet; returns stdout, throws with stderr on failure. */
export function python(code: string, args: string[] = []): string {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** One small array of every dtype the writer supports (and 0-d / empty shapes). */
export function sampleArrays(): Record<string, NdArray> {
  return {
    f4: { dtype: '<f4', shape: [2, 3], data: Float32Array.of(1, -2.5, 3, Infinity, NaN, -0) },
    f8: { dtype: '<f8', shape: [3], data: Float64Array.of(Math.PI, -1e-310, 1e300) },
    c8: { dtype: '<c8', shape: [2], data: Float32Array.of(1, 2, -3, 4.5) },
    c16: { dtype: '<c16', shape: [1, 1], data: Float64Array.of(0.1, -0.2) },
    i1: { dtype: '|i1', shape: [3], data: Int8Array.of(-128, 0, 127) },
    i2: { dtype: '<i2', shape: [2], data: Int16Array.of(-32768, 32767) },
    i4: { dtype: '<i4', shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
    i8: { dtype: '<i8', shape: [3], data: BigInt64Array.of(2n ** 62n + 1n, -(2n ** 63n), 0n) },
    u1: { dtype: '|u1', shape: [2], data: Uint8Array.of(0, 255) },
    u2: { dtype: '<u2', shape: [1], data: Uint16Array.of(65535) },
    u4: { dtype: '<u4', shape: [1], data: Uint32Array.of(2 ** 32 - 1) },
    u8: { dtype: '<u8', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
    b1: { dtype: '|b1', shape: [3], data: Uint8Array.of(1, 0, 1) },
    U: { dtype: '<U5', shape: [2], data: ['héllo', '😀x'] },
    S: { dtype: '|S3', shape: [2], data: [Uint8Array.of(97, 98), Uint8Array.of(0x63, 0, 0x64)] },
    scalar: { dtype: '<f8', shape: [], data: Float64Array.of(42) },
    empty: { dtype: '<f4', shape: [0, 4], data: new Float32Array(0) },
  };
}

/** A complex64 [h, w] array of ones (an object or probe that is valid and nothing more). */
export function onesC8(h: number, w: number): NdArray {
  const d = new Float32Array(2 * h * w);
  for (let i = 0; i < h * w; i++) d[2 * i] = 1;
  return c64([h, w], d);
}
