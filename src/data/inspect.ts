/**
 * What `ptychostudy inspect` reports about an NPZ: per key dtype, shape, sizes and (numeric keys)
 * min / max / mean / NaN count — of the modulus for complex keys — plus the decoded `_metadata` and,
 * on request, the DATA-001 check. Keys are read one at a time, so only one array is held (unless the
 * check is asked for, which needs them all).
 */
import { NpzReader, type NpzReadOptions } from '../npy/npz.js';
import type { NdArray } from '../npy/types.js';
import { DatasetError, validateDataset } from './dataset.js';
import { METADATA_KEY, readMetadata, type MetadataResult } from './metadata.js';

export interface ArrayStats {
  /** 'modulus' for complex arrays (statistics of |z|), 'value' otherwise (bool counts as 0/1). */
  of: 'value' | 'modulus';
  /** Elements that are not NaN (for complex: neither part NaN). */
  count: number;
  /** Over the non-NaN elements; null when there are none. int64/uint64 extremes are exact bigints. */
  min: number | bigint | null;
  max: number | bigint | null;
  mean: number | null;
  /** NaN elements (complex: either part NaN). */
  nan: number;
}

export interface KeySummary {
  key: string;
  dtype: string;
  shape: number[];
  /** Bytes of the `.npy` member, and as stored in the archive. */
  bytes: number;
  storedBytes: number;
  compression: 'stored' | 'deflate';
  stats?: ArrayStats;
  /** For string, bytes and object arrays: display forms of the first elements (shortened). */
  preview?: string[];
}

export interface NpzSummary {
  file: string;
  fileBytes: number;
  keys: KeySummary[];
  metadata: MetadataResult;
  /** Present when the DATA-001 check was asked for. */
  check?: { valid: boolean; violations: string[]; warnings: string[] };
}

/** min / max / mean / NaN count of a numeric array; undefined for strings, bytes and objects. */
export function arrayStats(a: NdArray): ArrayStats | undefined {
  const kind = a.dtype.replace(/^[<>|=]/, '')[0];
  const d = a.data;
  if (kind === 'i' || kind === 'u') {
    if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
      let min: bigint | null = null;
      let max: bigint | null = null;
      let sum = 0;
      for (const v of d) {
        if (min === null || v < min) min = v;
        if (max === null || v > max) max = v;
        sum += Number(v);
      }
      const exact = (v: bigint | null): number | bigint | null => (v !== null && Number.isSafeInteger(Number(v)) ? Number(v) : v);
      return { of: 'value', count: d.length, min: exact(min), max: exact(max), mean: d.length ? sum / d.length : null, nan: 0 };
    }
  }
  if (kind === 'c') {
    const z = d as Float32Array | Float64Array;
    let min = Infinity, max = -Infinity, sum = 0, count = 0, nan = 0;
    for (let i = 0; i < z.length; i += 2) {
      const re = z[i]!, im = z[i + 1]!;
      if (Number.isNaN(re) || Number.isNaN(im)) { nan++; continue; }
      const m = Math.hypot(re, im);
      if (m < min) min = m;
      if (m > max) max = m;
      sum += m;
      count++;
    }
    return { of: 'modulus', count, min: count ? min : null, max: count ? max : null, mean: count ? sum / count : null, nan };
  }
  if (kind === 'f' || kind === 'i' || kind === 'u' || kind === 'b') {
    const x = d as ArrayLike<number>;
    let min = Infinity, max = -Infinity, sum = 0, count = 0, nan = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Number.isNaN(v)) { nan++; continue; }
      const w = kind === 'b' ? (v ? 1 : 0) : v;
      if (w < min) min = w;
      if (w > max) max = w;
      sum += w;
      count++;
    }
    return { of: 'value', count, min: count ? min : null, max: count ? max : null, mean: count ? sum / count : null, nan };
  }
  return undefined;
}

/** Display form of the first elements of a string, bytes or object array: "str", b'bytes', 3, None. */
function preview(a: NdArray, n = 3, width = 60): string[] | undefined {
  if (!Array.isArray(a.data)) return undefined;
  const shorten = (s: string): string => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  return (a.data as unknown[]).slice(0, n).map((v) => {
    if (typeof v === 'string') return JSON.stringify(shorten(v));
    if (v instanceof Uint8Array) return shorten(`b'${Buffer.from(v).toString('latin1').replace(/[^\x20-\x7e]|['\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`);
    if (v === null) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    return String(v);
  });
}

/** Reads an NPZ key by key and summarises it. Throws NpzError / NpyError when a key cannot be decoded. */
export function summarizeNpz(path: string, opts: NpzReadOptions & { check?: boolean } = {}): NpzSummary {
  const r = NpzReader.open(path, opts);
  try {
    const keys: KeySummary[] = [];
    const held: Record<string, NdArray> = {};
    let metadata: MetadataResult = { status: 'absent' };
    for (const key of r.keys()) {
      const m = r.member(key);
      const a = r.get(key);
      const s: KeySummary = { key, dtype: a.dtype, shape: a.shape, bytes: m.size, storedBytes: m.compressedSize, compression: m.method === 8 ? 'deflate' : 'stored' };
      const st = arrayStats(a);
      if (st) s.stats = st;
      const p = preview(a);
      if (p) s.preview = p;
      keys.push(s);
      if (key === METADATA_KEY) metadata = readMetadata(a);
      else if (opts.check) held[key] = a;
    }
    const summary: NpzSummary = { file: path, fileBytes: r.byteLength, keys, metadata };
    if (opts.check) {
      try {
        const { warnings } = validateDataset(held, path, { metadata });
        summary.check = { valid: true, violations: [], warnings };
      } catch (err) {
        if (!(err instanceof DatasetError)) throw err;
        summary.check = { valid: false, violations: err.violations, warnings: [] };
      }
    }
    return summary;
  } finally {
    r.close();
  }
}
