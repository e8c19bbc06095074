/**
 * NumPy `.npy` format (versions 1.0, 2.0, 3.0): `parseNpy` reads one array, `encodeNpy` writes one.
 *
 * Read: `<f4 <f8 <c8 <c16 i1 <i2 <i4 <i8 u1 <u2 <u4 <u8 |b1 <U<n> |S<n> |O` and their big-endian
 * (`>`) and native (`=`) spellings, C or Fortran order (returned in C order), 0-d and empty arrays.
 * `|O` object arrays are decoded from their pickle by a safe interpreter (see pickle.ts).
 * Write: the same dtypes except `|O`, always little-endian, C order, the smallest version that fits.
 */
import { NpyError } from './errors.js';
import { fortranToC } from './order.js';
import { parsePyLiteral, pyRepr, PyLiteralError, PyTupleLit, type PyLiteral } from './pylit.js';
import { unpickleObjectArray } from './pickle.js';
import { MAX_NDIM, MAX_NPY_HEADER_BYTES, MAX_PICKLE_BYTES, MAX_STRING_CHARS, MAX_STRING_ELEMENTS } from './limits.js';
import { printable, quoted } from '../text.js';
import { sizeOf, type ArrayData, type NdArray, type NumericData, type PyScalar } from './types.js';

export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59); // \x93NUMPY

/** What a dtype string means. `itemsize` is bytes per element (a complex element is two components). */
export interface DtypeInfo {
  /** 'f' float, 'c' complex, 'i' signed int, 'u' unsigned int, 'b' bool, 'U' unicode, 'S' bytes, 'O' object. */
  kind: 'f' | 'c' | 'i' | 'u' | 'b' | 'U' | 'S' | 'O';
  itemsize: number;
  bigEndian: boolean;
  /** Canonical little-endian / byte-order-free form, as NumPy's `dtype.str` spells it on a little-endian machine. */
  dtype: string;
  /** For 'U' and 'S': the number of characters / bytes per element. */
  chars?: number;
}

type TypedCtor = { new (buf: ArrayBufferLike, off: number, len: number): NumericData; new (len: number): NumericData; readonly BYTES_PER_ELEMENT: number };

const NUMERIC: Record<string, TypedCtor> = {
  f4: Float32Array, f8: Float64Array, c8: Float32Array, c16: Float64Array,
  i1: Int8Array, i2: Int16Array, i4: Int32Array, i8: BigInt64Array,
  u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, u8: BigUint64Array, b1: Uint8Array,
};

/** What a dtype refusal says was expected (the dtypes `dtypeInfo` reads). */
const SUPPORTED_DTYPES = 'expected a dtype of float32/64, complex64/128, int8–64, uint8–64, bool, a fixed-length string or an object array';

/**
 * Parses a NumPy dtype string (`descr`). Throws NpyError for anything outside the supported set.
 * `label` names the array in the message.
 */
export function dtypeInfo(descr: string, label = 'array'): DtypeInfo {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) throw new NpyError(`${label}: ${SUPPORTED_DTYPES}; found ${quoted(descr)}`);
  const [, order, kindChar, digits] = m as unknown as [string, string, string, string];
  const bigEndian = order === '>';
  if (kindChar === 'O' && (digits === '' || digits === '8')) return { kind: 'O', itemsize: 8, bigEndian: false, dtype: '|O' };
  if (kindChar === 'U' || kindChar === 'S') {
    const chars = Number(digits);
    if (digits === '' || !Number.isSafeInteger(chars)) throw new NpyError(`${label}: ${SUPPORTED_DTYPES}; found ${quoted(descr)} (a string dtype without its length)`);
    return kindChar === 'U'
      ? { kind: 'U', itemsize: 4 * chars, bigEndian, dtype: `<U${chars}`, chars }
      : { kind: 'S', itemsize: chars, bigEndian: false, dtype: `|S${chars}`, chars };
  }
  const code = kindChar + digits;
  if (!(code in NUMERIC)) throw new NpyError(`${label}: ${SUPPORTED_DTYPES}; found ${quoted(descr)}`);
  const kind = kindChar as DtypeInfo['kind'];
  const itemsize = Number(digits);
  const dtype = itemsize === 1 ? `|${code}` : `<${code}`;
  return { kind, itemsize, bigEndian: bigEndian && itemsize > 1, dtype };
}

/** The canonical spelling of a dtype (`'<i1'` → `'|i1'`, `'>f8'` → `'<f8'`, `'=c8'` → `'<c8'`). */
export function normalizeDtype(descr: string): string {
  return dtypeInfo(descr).dtype;
}

/** Number of elements of a shape, as a checked safe integer. */
function checkedSize(shape: readonly number[], label: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new NpyError(`${label}: bad shape entry ${String(d)}`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new NpyError(`${label}: shape (${shape.join(', ')}) is too large`);
  }
  return n;
}

/** A shape as Python prints a tuple: `(3,)`, `(2, 3)`, `()`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the first data byte. */
  dataOffset: number;
}

/** Reads and checks the magic and header of a `.npy` payload. */
export function parseNpyHeader(bytes: Uint8Array, label = 'array'): NpyHeader {
  if (bytes.length < 10) throw new NpyError(`${label}: truncated .npy header (${bytes.length} bytes; at least 10 are needed)`);
  for (let k = 0; k < NPY_MAGIC.length; k++) {
    if (bytes[k] !== NPY_MAGIC[k]) throw new NpyError(`${label}: not a .npy payload (bad magic bytes)`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) throw new NpyError(`${label}: unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are supported)`);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new NpyError(`${label}: truncated .npy header (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (hlen > MAX_NPY_HEADER_BYTES) throw new NpyError(`${label}: expected a .npy header of at most ${MAX_NPY_HEADER_BYTES} bytes (MAX_NPY_HEADER_BYTES); found one of ${hlen} bytes`);
  const start = 8 + lenBytes;
  const dataOffset = start + hlen;
  if (dataOffset > bytes.length) {
    throw new NpyError(`${label}: truncated .npy header (declares ${hlen} header bytes, only ${bytes.length - start} present)`);
  }
  const raw = bytes.subarray(start, dataOffset);
  const text = major === 3 ? new TextDecoder('utf-8').decode(raw) : latin1(raw);
  let dict: unknown;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    if (err instanceof PyLiteralError) throw new NpyError(`${label}: malformed .npy header (${err.message}): ${quoted(text.trim(), 120)}`);
    throw err;
  }
  if (!dict || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof PyTupleLit) throw new NpyError(`${label}: malformed .npy header (not a dict)`);
  const d = dict as Record<string, unknown>;
  const keys = Object.keys(d).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw new NpyError(`${label}: malformed .npy header (keys ${printable(keys)}; expected descr, fortran_order, shape)`);
  if (typeof d.descr !== 'string') throw new NpyError(`${label}: ${SUPPORTED_DTYPES}; found the structured dtype ${printable(pyRepr(d.descr as PyLiteral))}`);
  if (typeof d.fortran_order !== 'boolean') throw new NpyError(`${label}: malformed .npy header (fortran_order is not True/False)`);
  if (!(d.shape instanceof PyTupleLit) || !d.shape.items.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    throw new NpyError(`${label}: malformed .npy header (shape is not a tuple of non-negative integers)`);
  }
  if (d.shape.items.length > MAX_NDIM) throw new NpyError(`${label}: expected at most ${MAX_NDIM} dimensions (MAX_NDIM); found ${d.shape.items.length}`);
  return { version: [major, minor], descr: d.descr, fortranOrder: d.fortran_order, shape: d.shape.items as number[], dataOffset };
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let k = 0; k < b.length; k += 8192) s += String.fromCharCode(...b.subarray(k, k + 8192));
  return s;
}

/**
 * What decoding an array with header `h` would cost, checked against src/npy/limits.ts before anything
 * is allocated: the element count (a checked safe integer), for string and object arrays at most
 * MAX_STRING_ELEMENTS elements (each one is a JavaScript value, whatever its width — `<U0` included),
 * `<U` elements of at most MAX_STRING_CHARS characters, and object pickles of at most MAX_PICKLE_BYTES.
 * `payloadBytes` is the size of the data after the header (for a member not read yet: its declared
 * size minus the header). Returns the dtype and the element count.
 */
export function checkDecodeLimits(h: NpyHeader, payloadBytes: number, label = 'array'): { info: DtypeInfo; size: number } {
  const info = dtypeInfo(h.descr, label);
  const size = checkedSize(h.shape, label);
  const found = `shape ${formatShape(h.shape)} of ${info.dtype}`;
  if ((info.kind === 'U' || info.kind === 'S' || info.kind === 'O') && size > MAX_STRING_ELEMENTS) {
    throw new NpyError(`${label}: expected at most ${MAX_STRING_ELEMENTS} elements in a string or object array (MAX_STRING_ELEMENTS); found ${found} (${size} elements)`);
  }
  if (info.kind === 'U' && info.chars! > MAX_STRING_CHARS) {
    throw new NpyError(`${label}: expected unicode strings of at most ${MAX_STRING_CHARS} characters (MAX_STRING_CHARS); found dtype ${info.dtype}`);
  }
  if (info.kind === 'O' && payloadBytes > MAX_PICKLE_BYTES) {
    throw new NpyError(`${label}: expected an object-array pickle of at most ${MAX_PICKLE_BYTES} bytes (MAX_PICKLE_BYTES); found ${payloadBytes} bytes`);
  }
  return { info, size };
}

/**
 * Decodes a `.npy` payload. `label` names the array in error messages (e.g. "file.npz: key 'x'").
 * Little-endian numeric data that is suitably aligned is returned as a view of `bytes` (no copy).
 */
export function parseNpy(bytes: Uint8Array, label = 'array'): NdArray {
  const h = parseNpyHeader(bytes, label);
  const { info, size } = checkDecodeLimits(h, bytes.length - h.dataOffset, label);
  const body = bytes.subarray(h.dataOffset);
  if (info.kind === 'O') {
    const { shape, items } = unpickleObjectArray(body, label);
    if (shape.join(',') !== h.shape.join(',')) throw new NpyError(`${label}: header says shape ${formatShape(h.shape)} but the pickled array has shape ${formatShape(shape)}`);
    return { dtype: '|O', shape: h.shape, data: items };
  }
  const expected = size * info.itemsize;
  if (body.length !== expected) {
    throw new NpyError(`${label}: header says shape ${formatShape(h.shape)} of ${h.descr} (${expected} data bytes) but the payload has ${body.length} data bytes`);
  }
  let data: ArrayData;
  if (info.kind === 'U') data = decodeUnicode(body, size, info.chars!, info.bigEndian, label);
  else if (info.kind === 'S') data = decodeBytes(body, size, info.chars!);
  else data = decodeNumeric(body, info);
  if (h.fortranOrder && h.shape.length > 1 && size > 0) data = reorder(data, h.shape, info.kind === 'c' ? 2 : 1);
  return { dtype: info.dtype, shape: h.shape, data };
}

/**
 * Numeric data of dtype `info` from raw little- or big-endian bytes (whole elements): a view when the
 * bytes are little-endian and aligned, else an aligned (byte-swapped) copy. Also used on slices of a
 * streamed member.
 */
export function decodeNumeric(body: Uint8Array, info: DtypeInfo): NumericData {
  const code = info.dtype.slice(1);
  const Ctor = NUMERIC[code]!;
  const comp = Ctor.BYTES_PER_ELEMENT;
  const count = body.length / comp;
  if (!info.bigEndian && (body.byteOffset % comp) === 0) return new Ctor(body.buffer, body.byteOffset, count);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  if (info.bigEndian) {
    for (let p = 0; p < copy.length; p += comp) {
      for (let a = p, b = p + comp - 1; a < b; a++, b--) { const t = copy[a]!; copy[a] = copy[b]!; copy[b] = t; }
    }
  }
  return new Ctor(copy.buffer, 0, count);
}

function decodeUnicode(body: Uint8Array, size: number, chars: number, bigEndian: boolean, label: string): string[] {
  let u32: Uint32Array;
  if (!bigEndian && body.byteOffset % 4 === 0) {
    u32 = new Uint32Array(body.buffer, body.byteOffset, size * chars);
  } else {
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    u32 = new Uint32Array(size * chars);
    for (let k = 0; k < u32.length; k++) u32[k] = dv.getUint32(4 * k, !bigEndian);
  }
  const out = new Array<string>(size);
  const CHUNK = 8192; // characters per String.fromCharCode/fromCodePoint call (argument count limit)
  for (let e = 0; e < size; e++) {
    const base = e * chars;
    let n = chars; // trailing NULs are padding (NumPy strips them too)
    while (n > 0 && u32[base + n - 1] === 0) n--;
    const parts: string[] = [];
    for (let k = 0; k < n; k += CHUNK) {
      const piece = u32.subarray(base + k, base + Math.min(n, k + CHUNK));
      let max = 0;
      for (let j = 0; j < piece.length; j++) if (piece[j]! > max) max = piece[j]!;
      if (max > 0x10ffff) throw new NpyError(`${label}: invalid code point 0x${max.toString(16)} in a unicode array`);
      const args = piece as unknown as number[];
      parts.push(max < 0x10000 ? String.fromCharCode.apply(null, args) : String.fromCodePoint.apply(null, args));
    }
    out[e] = parts.length === 1 ? parts[0]! : parts.join('');
  }
  return out;
}

function decodeBytes(body: Uint8Array, size: number, chars: number): Uint8Array[] {
  const out = new Array<Uint8Array>(size);
  for (let e = 0; e < size; e++) {
    let n = chars;
    while (n > 0 && body[e * chars + n - 1] === 0) n--;
    out[e] = new Uint8Array(body.subarray(e * chars, e * chars + n)); // a plain copy (Buffer#slice would be a view)
  }
  return out;
}

function reorder(data: ArrayData, shape: number[], comps: number): ArrayData {
  if (Array.isArray(data)) {
    const out = new Array(data.length);
    fortranToC(data as unknown[], out, shape, comps);
    return out as ArrayData;
  }
  const typed = data as NumericData;
  const out = new (typed.constructor as TypedCtor)(typed.length);
  fortranToC(typed as ArrayLike<number | bigint>, out as unknown as { [i: number]: number | bigint }, shape, comps);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Number of elements and components implied by an array; throws when `data` does not fit. */
function checkArray(arr: NdArray, label: string): DtypeInfo {
  // a JavaScript caller's bare typed array or list in the place of an NdArray: one line saying what is wanted
  if (arr === null || typeof arr !== 'object' || ArrayBuffer.isView(arr) || Array.isArray(arr) || typeof arr.dtype !== 'string' || !Array.isArray(arr.shape)) {
    const found = arr === null ? 'null' : typeof arr !== 'object' ? typeof arr : (ArrayBuffer.isView(arr) || Array.isArray(arr)) ? `a bare ${arr.constructor.name}` : 'an object without a string dtype and an array shape';
    throw new NpyError(`${label}: expected an array { dtype, shape, data } (e.g. { dtype: '<f8', shape: [3], data: new Float64Array(3) }); found ${found}`);
  }
  const info = dtypeInfo(arr.dtype, label);
  const size = checkedSize(arr.shape, label);
  const data = arr.data;
  if (info.kind === 'O') throw new NpyError(`${label}: object ('|O') arrays are not written (they would need a pickle); store strings as '<U'`);
  if (info.kind === 'U' || info.kind === 'S') {
    if (!Array.isArray(data)) throw new NpyError(`${label}: dtype ${arr.dtype} needs an array of ${info.kind === 'U' ? 'strings' : 'byte strings'}`);
    if (data.length !== size) throw new NpyError(`${label}: shape ${formatShape(arr.shape)} has ${size} elements but data has ${data.length}`);
    return info;
  }
  const Ctor = NUMERIC[info.dtype.slice(1)]!;
  const comps = info.kind === 'c' ? 2 : 1;
  if (info.kind === 'b' && Array.isArray(data)) {
    if (data.length !== size) throw new NpyError(`${label}: shape ${formatShape(arr.shape)} has ${size} elements but data has ${data.length}`);
    return info;
  }
  if (!(data instanceof Ctor)) throw new NpyError(`${label}: dtype ${arr.dtype} needs a ${Ctor.name}, got ${Array.isArray(data) ? 'an Array' : data === null || typeof data !== 'object' ? String(data) : data.constructor.name}`);
  if (data.length !== size * comps) {
    throw new NpyError(`${label}: shape ${formatShape(arr.shape)} of ${arr.dtype} needs ${size * comps} values but data has ${data.length}`);
  }
  return info;
}

function encodeHeader(dtype: string, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  // NumPy pads magic + length + header (+ '\n') to a multiple of 64 bytes so the data is aligned.
  for (const [major, lenBytes] of [[1, 2], [2, 4]] as const) {
    const pre = 8 + lenBytes;
    const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
    const hlen = total - pre;
    if (major === 1 && hlen > 0xffff) continue;
    const out = new Uint8Array(total);
    out.set(NPY_MAGIC, 0);
    out[6] = major;
    out[7] = 0;
    const dv = new DataView(out.buffer);
    if (major === 1) dv.setUint16(8, hlen, true); else dv.setUint32(8, hlen, true);
    for (let k = 0; k < dict.length; k++) out[pre + k] = dict.charCodeAt(k);
    out.fill(0x20, pre + dict.length, total - 1);
    out[total - 1] = 0x0a;
    return out;
  }
  throw new NpyError(`shape ${formatShape(shape)} gives a header too large for .npy`);
}

/**
 * Encodes an array as `.npy` pieces — header first, then the data — without copying numeric data
 * (the data piece is a view of `arr.data`). Concatenated, the pieces are the `.npy` file.
 */
export function encodeNpyParts(arr: NdArray, label = 'array'): Uint8Array[] {
  const info = checkArray(arr, label);
  const size = sizeOf(arr.shape);
  let dtype = info.dtype;
  let body: Uint8Array;
  if (info.kind === 'U') {
    const strs = arr.data as unknown[];
    const cps: number[][] = [];
    let width = 1;
    for (const s of strs) {
      if (typeof s !== 'string') throw new NpyError(`${label}: dtype ${arr.dtype} needs strings, found ${typeof s}`);
      const c = codePoints(s);
      cps.push(c);
      if (c.length > width) width = c.length;
    }
    dtype = `<U${width}`;
    const u32 = new Uint32Array(size * width);
    cps.forEach((c, e) => u32.set(c, e * width));
    body = new Uint8Array(u32.buffer);
  } else if (info.kind === 'S') {
    const items = (arr.data as unknown[]).map((b) => {
      if (b instanceof Uint8Array) return b;
      if (typeof b === 'string') return new TextEncoder().encode(b);
      throw new NpyError(`${label}: dtype ${arr.dtype} needs Uint8Array or string elements, found ${typeof b}`);
    });
    let width = 1;
    for (const b of items) if (b.length > width) width = b.length;
    dtype = `|S${width}`;
    body = new Uint8Array(size * width);
    items.forEach((b, e) => body.set(b, e * width));
  } else if (info.kind === 'b' && Array.isArray(arr.data)) {
    body = Uint8Array.from(arr.data as unknown[], (v) => (v ? 1 : 0));
  } else {
    const d = arr.data as NumericData;
    body = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  return [encodeHeader(dtype, arr.shape), body];
}

/** Encodes an array as one `.npy` byte string (a copy; see `encodeNpyParts` to avoid it). */
export function encodeNpy(arr: NdArray, label = 'array'): Uint8Array {
  const parts = encodeNpyParts(arr, label);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let k = 0; k < s.length; k++) {
    const cp = s.codePointAt(k)!;
    out.push(cp);
    if (cp > 0xffff) k++;
  }
  return out;
}

export type { ArrayData, NdArray, NumericData, PyScalar };
