/**
 * Byte-level builders of hostile and unlucky inputs for the reader tests: `.npy` payloads with any
 * header, NumPy-style object-array pickles with any elements, zip archives of raw members (stored or
 * deflated, optionally with a zip64 extra field), and deflated members of gigabytes of zeros built
 * from a repeated block (about 1 kB per MiB), without ever holding the inflated data.
 */
import zlib from 'node:zlib';
import { zipSync } from 'fflate';
import { crc32Js } from '../../src/npy/npz.js';

/** CRC-32: node:zlib's (Node ≥ 20.15) or the codec's JavaScript fallback. */
const nativeCrc = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
const crc32 = (d: Uint8Array, v = 0): number => (nativeCrc ? nativeCrc(d, v) : crc32Js(d, v));

/** Bytes of a latin-1 string. */
export const latin1 = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));

/** A `.npy` payload with header dict text `dict` (padded like NumPy) followed by `body`; version 1 or 2. */
export function npyWithHeader(dict: string, body: Uint8Array = new Uint8Array(0), version: 1 | 2 = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0], 0);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, total - pre, true); else dv.setUint32(8, total - pre, true);
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  out.fill(0x20, pre + dict.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(body, total);
  return out;
}

/** The header dict NumPy writes. */
export const headerDict = (descr: string, shape: readonly number[], fortran = false): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;

/** Pickle opcodes used by the builders and the fuzz test. */
export const OP = {
  PROTO: 0x80, GLOBAL: 0x63, BININT1: 0x4b, BININT: 0x4a, BININT2: 0x4d, TUPLE1: 0x85, TUPLE3: 0x87, SHORT_BINBYTES: 0x43,
  REDUCE: 0x52, MARK: 0x28, EMPTY_TUPLE: 0x29, SHORT_BINUNICODE: 0x8c, BINUNICODE: 0x58, NEWFALSE: 0x89, NEWTRUE: 0x88,
  NONE: 0x4e, TUPLE: 0x74, BUILD: 0x62, EMPTY_LIST: 0x5d, APPENDS: 0x65, APPEND: 0x61, STOP: 0x2e, LONG1: 0x8a, LONG4: 0x8b,
  BINFLOAT: 0x47, DUP: 0x32, POP: 0x30, MEMOIZE: 0x94, BINGET: 0x68, BINPUT: 0x71, LIST: 0x6c, EMPTY_DICT: 0x7d, SETITEM: 0x73,
} as const;

/** Opcodes pushing one str element `s` (SHORT_BINUNICODE or BINUNICODE). */
export function strOp(s: string): number[] {
  const b = Array.from(Buffer.from(s, 'utf8'));
  if (b.length < 256) return [OP.SHORT_BINUNICODE, b.length, ...b];
  return [OP.BINUNICODE, b.length & 255, (b.length >> 8) & 255, (b.length >> 16) & 255, b.length >>> 24, ...b];
}

/** Opcodes pushing an integer of `n` bytes (LONG4), every byte `fill`. */
export function long4Op(n: number, fill = 0x11): number[] {
  const out = [OP.LONG4, n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24];
  for (let i = 0; i < n; i++) out.push(fill);
  return out;
}

/**
 * A protocol-2 pickle of a numpy object array of `shape` whose element list is pushed by
 * `elementOps` (as `np.array(x, dtype=object)` pickles: _reconstruct, dtype('O8'), BUILD with
 * (1, shape, dtype, False, [elements])).
 */
export function objectArrayPickle(elementOps: ArrayLike<number>, shape: readonly number[] = []): Uint8Array {
  const shapeOps = shape.length === 0 ? [OP.EMPTY_TUPLE] : [OP.MARK, ...shape.flatMap((d) => [OP.BININT, d & 255, (d >> 8) & 255, (d >> 16) & 255, d >>> 24]), OP.TUPLE];
  const head = [
    OP.PROTO, 2, OP.GLOBAL, ...latin1('numpy.core.multiarray\n_reconstruct\n'), OP.GLOBAL, ...latin1('numpy\nndarray\n'),
    OP.BININT1, 0, OP.TUPLE1, OP.SHORT_BINBYTES, 1, ...latin1('b'), OP.TUPLE3, OP.REDUCE,
    OP.MARK, OP.BININT1, 1, ...shapeOps,
    OP.GLOBAL, ...latin1('numpy\ndtype\n'), OP.SHORT_BINUNICODE, 2, ...latin1('O8'), OP.NEWFALSE, OP.NEWTRUE, OP.TUPLE3, OP.REDUCE,
    OP.MARK, OP.BININT1, 3, OP.SHORT_BINUNICODE, 1, ...latin1('|'), OP.NONE, OP.NONE, OP.NONE,
    OP.BININT, 255, 255, 255, 255, OP.BININT, 255, 255, 255, 255, OP.BININT1, 63, OP.TUPLE, OP.BUILD,
    OP.NEWFALSE, OP.EMPTY_LIST, OP.MARK,
  ];
  const tail = [OP.APPENDS, OP.TUPLE, OP.BUILD, OP.STOP];
  const out = new Uint8Array(head.length + elementOps.length + tail.length);
  out.set(head, 0);
  out.set(elementOps, head.length);
  out.set(tail, head.length + elementOps.length);
  return out;
}

/** A 0-d `|O` `.npy` whose element is pushed by `elementOps` (e.g. `strOp(json)`: PtychoPINN's `_metadata`). */
export function objectNpy0d(elementOps: ArrayLike<number>): Uint8Array {
  return npyWithHeader(headerDict('|O', []), objectArrayPickle(elementOps));
}

/** A 0-d `<U` `.npy` holding `text` (what ptychostudy writes for `_metadata`). */
export function unicodeNpy0d(text: string): Uint8Array {
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  return npyWithHeader(headerDict(`<U${Math.max(1, cps.length)}`, []), new Uint8Array(Uint32Array.from(cps.length ? cps : [0]).buffer));
}

/** A zip of raw members (stored, or deflated at `level`), as fflate writes it. */
export function zipOf(members: Record<string, Uint8Array>, level: 0 | 1 | 6 = 0): Uint8Array {
  return zipSync(members, { level });
}

export interface RawMember {
  name: string;
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  /** The member data as stored in the archive (compressed when method is 8). */
  data: Uint8Array[];
  /** Inflated size and CRC-32. */
  size: number;
  crc: number;
  /** Extra field of the central directory entry (e.g. a malformed zip64 one). */
  centralExtra?: Uint8Array;
  /** Write 0xFFFFFFFF for both sizes in the central entry (they are then in a zip64 extra field). */
  zip64Sizes?: boolean;
}

/** A zip archive of members given as raw (possibly compressed) data; no zip64 (sizes < 4 GiB). */
export function zipRaw(members: readonly RawMember[]): Buffer {
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const csize = m.data.reduce((n, d) => n + d.length, 0);
    const lh = Buffer.alloc(30 + name.length);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(m.method, 8); lh.writeUInt16LE(0x21, 12);
    lh.writeUInt32LE(m.crc >>> 0, 14); lh.writeUInt32LE(csize, 18); lh.writeUInt32LE(m.size, 22); lh.writeUInt16LE(name.length, 26);
    name.copy(lh, 30);
    const extra = m.centralExtra ?? new Uint8Array(0);
    const ch = Buffer.alloc(46 + name.length + extra.length);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(m.method, 10); ch.writeUInt16LE(0x21, 14);
    ch.writeUInt32LE(m.crc >>> 0, 16); ch.writeUInt32LE(m.zip64Sizes ? 0xffffffff : csize, 20); ch.writeUInt32LE(m.zip64Sizes ? 0xffffffff : m.size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30); ch.writeUInt32LE(offset, 42);
    name.copy(ch, 46); ch.set(extra, 46 + name.length);
    out.push(lh, ...m.data);
    central.push(ch);
    offset += lh.length + csize;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0); e.writeUInt16LE(members.length, 8); e.writeUInt16LE(members.length, 10);
  e.writeUInt32LE(cdSize, 12); e.writeUInt32LE(offset, 16);
  return Buffer.concat([...out, ...central, e]);
}

/** A raw member holding `npy` bytes as they are (stored). */
export function storedMember(name: string, npy: Uint8Array, extra: Partial<Pick<RawMember, 'centralExtra' | 'zip64Sizes'>> = {}): RawMember {
  return { name, method: 0, data: [npy], size: npy.length, crc: crc32(npy), ...extra };
}

/**
 * A deflated member whose content is `header` followed by `zeros` zero bytes — e.g. an honest 1.15 GB
 * complex64 12000² array in about 1.1 MB — built from one deflated 16 MiB block of zeros repeated
 * (each piece ends with a sync flush, so their concatenation is one valid deflate stream).
 */
export function zeroFilledMember(name: string, header: Uint8Array, zeros: number): RawMember {
  const BLOCK = 16 << 20;
  const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH, level: 9 };
  const zeroBlock = Buffer.alloc(BLOCK);
  const data: Uint8Array[] = [zlib.deflateRawSync(header, sync)];
  let crc = crc32(header);
  const full = Math.floor(zeros / BLOCK);
  if (full > 0) {
    const block = zlib.deflateRawSync(zeroBlock, sync);
    for (let i = 0; i < full; i++) { data.push(block); crc = crc32(zeroBlock, crc); }
  }
  const rest = zeros - full * BLOCK;
  if (rest > 0) {
    data.push(zlib.deflateRawSync(zeroBlock.subarray(0, rest), sync));
    crc = crc32(zeroBlock.subarray(0, rest), crc);
  }
  data.push(zlib.deflateRawSync(Buffer.alloc(0)));
  return { name, method: 8, data, size: header.length + zeros, crc };
}

/** A zip64 extended-information extra field whose declared length (`declared`) may lie about its `body`. */
export function zip64Extra(declared: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt16LE(0x0001, 0);
  out.writeUInt16LE(declared, 2);
  out.set(body, 4);
  return out;
}
