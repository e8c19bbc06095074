/**
 * `_metadata`: JSON provenance stored inside an NPZ (spec study.md §3.4).
 *
 * Read: a 0-d (or one-element) `<U` array (Phase D, and what we write), `|S` bytes, or a pickled 0-d
 * object array holding a str/bytes JSON string (PtychoPINN's Phase C `MetadataManager`). "Absent" and
 * "present but broken" are different results; a broken one carries the reason. Never a silent `{}`.
 * Python's `json.dumps` may write `NaN`, `Infinity` and `-Infinity`; they are read as those numbers.
 *
 * Write: a 0-d `<U<n>` array, which `numpy.load(..., allow_pickle=False)` reads.
 *
 * Bounds (docs/limits.md): a `_metadata` member declaring more than MAX_METADATA_BYTES is not read, and
 * JSON nested deeper than MAX_JSON_DEPTH is refused before it is parsed (deep nesting would overflow
 * the stack of every recursive consumer: JSON.stringify, revivers, report writers).
 */
import { InputError } from '../errors.js';
import { printable } from '../text.js';
import { jsonDepth } from '../files/bounded-read.js';
import { NpzReader } from '../npy/npz.js';
import { formatShape } from '../npy/npy.js';
import { sizeOf, type NdArray } from '../npy/types.js';

export const METADATA_KEY = '_metadata';

/** Bytes of a `_metadata` member (PtychoPINN's and Phase D's are a few kB; a 1.6 MB one is a test). */
export const MAX_METADATA_BYTES = 64 * 2 ** 20;

/** Nesting depth of `_metadata` JSON (PtychoPINN's nests 3 levels). */
export const MAX_JSON_DEPTH = 64;

export type MetadataResult =
  | { status: 'absent' }
  | { status: 'ok'; value: Record<string, unknown> }
  | { status: 'error'; error: string };

/** Where metadata can be read from: an NPZ file's path, an open archive, a key → array record, or the array itself. */
export type MetadataSource = string | NpzReader | Readonly<Record<string, NdArray>> | NdArray | null | undefined;

function isNdArray(x: unknown): x is NdArray {
  return !!x && typeof x === 'object' && typeof (x as NdArray).dtype === 'string' && Array.isArray((x as NdArray).shape) && 'data' in x;
}

/** Reads and parses `_metadata` (or another `key`) from `source`. Never throws (a file that cannot be opened: status 'error'). */
export function readMetadata(source: MetadataSource, key = METADATA_KEY): MetadataResult {
  let arr: NdArray | undefined;
  try {
    if (source == null) return { status: 'absent' };
    if (typeof source === 'string') {
      const reader = NpzReader.open(source);
      try { return readMetadata(reader, key); } finally { reader.close(); }
    }
    if (source instanceof NpzReader) {
      if (!source.has(key)) return { status: 'absent' };
      const declared = source.member(key).size;
      if (declared > MAX_METADATA_BYTES) {
        return { status: 'error', error: `${key} member declares ${declared} bytes; at most ${MAX_METADATA_BYTES} (MAX_METADATA_BYTES) are read` };
      }
      arr = source.get(key);
    } else if (isNdArray(source)) {
      arr = source;
    } else {
      if (!Object.prototype.hasOwnProperty.call(source, key)) return { status: 'absent' };
      arr = (source as Record<string, NdArray>)[key];
    }
    if (arr === undefined) return { status: 'absent' };
    return { status: 'ok', value: parseMetadataJson(metadataText(arr)) };
  } catch (err) {
    return { status: 'error', error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * `_metadata` read strictly, for a job that uses it: the parsed object, `undefined` when the key is
 * absent (allowed), and an InputError — one line naming the file, the key, what was expected and what
 * was found — when it is present but unreadable (corrupt member, unsafe pickle, not JSON, not an
 * object, too deep). A broken `_metadata` is never treated as an absent one.
 */
export function requireReadableMetadata(result: MetadataResult, file: string, key = METADATA_KEY): Record<string, unknown> | undefined {
  if (result.status === 'absent') return undefined;
  if (result.status === 'ok') return result.value;
  const prefix = `${file}: key '${key}': `;
  const found = result.error.startsWith(prefix) ? result.error.slice(prefix.length) : result.error;
  throw new InputError(`${file}: key '${key}': expected a JSON object (a 0-d '<U' or '|S' string or a pickled str), or no '${key}' key at all; found ${found}`);
}

/** The JSON text held by a metadata array (0-d or one element; `<U`, `|S` or object str/bytes). Throws when there is none. */
export function metadataText(arr: NdArray): string {
  if (sizeOf(arr.shape) !== 1) throw new Error(`_metadata has shape ${formatShape(arr.shape)}; expected a 0-d array holding one JSON string`);
  const kind = arr.dtype.replace(/^[<>|=]/, '')[0];
  if (kind !== 'U' && kind !== 'S' && kind !== 'O') throw new Error(`_metadata has dtype ${arr.dtype}; expected a string ('<U'), bytes ('|S') or a pickled str`);
  const v = (arr.data as unknown[])[0];
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(v);
    } catch {
      throw new Error('_metadata bytes are not valid UTF-8');
    }
  }
  throw new Error(`_metadata holds a ${v === null ? 'None' : typeof v}, not a JSON string`);
}

const PY_SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const SENTINEL = '\u0000pyjson:';

/**
 * Parses metadata JSON into an object. Accepts Python's non-standard `NaN`, `Infinity`, `-Infinity`
 * tokens (outside strings). Throws with the parse error when the text is not a JSON object.
 */
export function parseMetadataJson(text: string): Record<string, unknown> {
  const depth = jsonDepth(text, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) throw new Error(`_metadata JSON nests more than ${MAX_JSON_DEPTH} levels deep (MAX_JSON_DEPTH)`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (first) {
    const rewritten = rewritePythonSpecials(text);
    if (rewritten === null) throw new Error(`_metadata is not valid JSON: ${printable((first as Error).message)}`);
    try {
      value = JSON.parse(rewritten, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(SENTINEL) ? PY_SPECIAL[v.slice(SENTINEL.length)] : v));
    } catch {
      throw new Error(`_metadata is not valid JSON: ${printable((first as Error).message)}`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`_metadata JSON is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}, not an object`);
  }
  return value as Record<string, unknown>;
}

/** Replaces NaN / Infinity / -Infinity tokens outside strings by sentinel strings; null when there were none. */
function rewritePythonSpecials(text: string): string | null {
  const parts: string[] = [];
  let last = 0;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) { // skip a string literal
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      continue;
    }
    for (const tok of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(tok, i)) {
        parts.push(text.slice(last, i), JSON.stringify(SENTINEL + tok));
        i += tok.length - 1;
        last = i + 1;
        found = true;
        break;
      }
    }
  }
  if (!found) return null;
  parts.push(text.slice(last));
  return parts.join('');
}

/**
 * The metadata value as a 0-d `<U<n>` array of its compact JSON text. BigInts become numbers when exact,
 * otherwise decimal strings; NaN and ±Infinity become null (standard JSON).
 */
export function metadataArray(value: Record<string, unknown>): NdArray {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v));
  return { dtype: `<U${[...text].length || 1}`, shape: [], data: [text] };
}

/** Sets `arrays._metadata` to `metadataArray(value)` and returns `arrays`. */
export function writeMetadata<T extends Record<string, NdArray>>(arrays: T, value: Record<string, unknown>): T {
  (arrays as Record<string, NdArray>)[METADATA_KEY] = metadataArray(value);
  return arrays;
}
