/** Shared helpers for the codec tests: NumPy-style canonical values and a python3+numpy probe. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NdArray, PyScalar } from '../../src/npy/types.js';

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
