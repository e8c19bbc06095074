/**
 * NumPy `.npz` archives: a ZIP of `<key>.npy` members.
 *
 * Reading parses the central directory itself (zip64 too) and reads and inflates only the member asked
 * for, straight into one buffer of its declared size: a member costs its compressed plus its inflated
 * size at peak, never a third copy; numeric data is then a view of that buffer. A member that
 * inflates beyond its declared size, declares more than `maxMemberBytes`, has a CRC mismatch, escapes
 * the archive (`../`, absolute paths) or repeats a key is refused with an `NpzError`.
 *
 * Writing produces what `np.savez` / `np.savez_compressed` produce (stored or deflated members),
 * loadable by `numpy.load(..., allow_pickle=False)`, atomically (temporary file + rename), with fixed
 * timestamps so that the same arrays give the same bytes.
 */
import { closeSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import zlib from 'node:zlib';
import { Inflate } from 'fflate';
import { writeFileAtomic, type BeforeRename } from '../files/atomic.js';
import { openRegularFile } from '../files/regular.js';
import { abortError, UsageError } from '../errors.js';
import { NpyError, NpzError } from './errors.js';
import { checkDecodeLimits, decodeNumeric, encodeNpyParts, formatShape, parseNpy, parseNpyHeader, type DtypeInfo, type NpyHeader } from './npy.js';
import { MAX_NPY_HEADER_BYTES } from './limits.js';
import { hasUnprintable, printable, quoted } from '../text.js';
import type { NdArray, NumericData } from './types.js';

/** Default ceiling on one member's inflated size: 4 GiB. */
export const DEFAULT_MAX_MEMBER_BYTES = 2 ** 32;

export interface NpzReadOptions {
  /** Refuse members whose declared (inflated) size exceeds this many bytes. Default 4 GiB. */
  maxMemberBytes?: number;
  /** Verify each member's CRC-32 (default true). */
  checkCrc?: boolean;
}

/** A member's `.npy` header, read from its first bytes only, with what decoding it would cost. */
export interface MemberHeader extends NpyHeader {
  info: DtypeInfo;
  /** Number of elements. */
  size: number;
  /** Bytes after the header (the member's declared size minus `dataOffset`). */
  payloadBytes: number;
}

export interface NpzMember {
  /** The key (member name without `.npy`). */
  key: string;
  /** The member name in the archive. */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
  flags: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const U32_MAX = 0xffffffff;

// CRC-32 (IEEE): node:zlib's native crc32 when present (Node ≥ 20.15), else `crc32Js`.
const nativeCrc32 = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
function crc32(data: Uint8Array, value = 0): number {
  if (data.length === 0) return value; // node's crc32 returns 0 for an empty view of an empty ArrayBuffer
  return nativeCrc32 ? nativeCrc32(data, value) : crc32Js(data, value);
}

let crcTable: Uint32Array | null = null;
/** Table-driven CRC-32 for Node versions without `zlib.crc32`; `value` continues a running CRC. */
export function crc32Js(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (value ^ U32_MAX) >>> 0;
  for (let k = 0; k < data.length; k++) c = crcTable[(c ^ data[k]!) & 0xff]! ^ (c >>> 8);
  return (c ^ U32_MAX) >>> 0;
}

/** Why a member name is unsafe, or null when it is fine. */
function unsafeName(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.includes('\0')) return 'contains a NUL character';
  // A key is shown in messages and summaries: a newline or an escape sequence in it could forge a line.
  if (hasUnprintable(name)) return 'contains a control character (a line break, an escape sequence or a bidirectional mark)';
  if (name.startsWith('/') || name.startsWith('\\') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.split(/[/\\]/).some((seg) => seg === '..')) return "escapes the archive ('..')";
  return null;
}

type ReadAt = (pos: number, len: number) => Uint8Array;

/** Random access to an `.npz` archive; `get(key)` reads and decodes one member only. */
export class NpzReader {
  private readonly members = new Map<string, NpzMember>();
  private readonly order: string[] = [];
  private closed = false;
  private readonly maxMemberBytes: number;
  private readonly checkCrc: boolean;

  private constructor(
    /** The file name used in messages. */
    readonly path: string,
    private readonly readAt: ReadAt,
    private readonly size: number,
    private readonly onClose: () => void,
    opts: NpzReadOptions,
  ) {
    this.maxMemberBytes = opts.maxMemberBytes ?? DEFAULT_MAX_MEMBER_BYTES;
    this.checkCrc = opts.checkCrc ?? true;
  }

  /**
   * Opens an archive on disk and reads its directory. Call `close()` when done. Only a regular file is
   * opened: a named pipe, a device or a directory is refused ("not a regular file (a named pipe)").
   */
  static open(path: string, opts: NpzReadOptions = {}): NpzReader {
    // stat before opening: a named pipe would block the open (and every read) for ever
    const opened = openRegularFile(path);
    if ('why' in opened) throw new NpzError(`${path}: ${opened.why}`);
    const { fd, size } = opened;
    try {
      const readAt: ReadAt = (pos, len) => {
        const buf = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          let n: number;
          try {
            n = readSync(fd, buf, got, len - got, pos + got);
          } catch (err) {
            throw new NpzError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
          }
          if (n === 0) throw new NpzError(`${path}: unexpected end of file at byte ${pos + got} (the file is truncated)`);
          got += n;
        }
        return buf;
      };
      const r = new NpzReader(path, readAt, size, () => closeSync(fd), opts);
      r.readDirectory();
      return r;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Reads an archive held in memory. `name` is used in messages. */
  static fromBytes(bytes: Uint8Array, name = '<memory>', opts: NpzReadOptions = {}): NpzReader {
    const readAt: ReadAt = (pos, len) => {
      if (pos + len > bytes.length) throw new NpzError(`${name}: unexpected end of data at byte ${bytes.length} (the archive is truncated)`);
      return bytes.subarray(pos, pos + len);
    };
    const r = new NpzReader(name, readAt, bytes.length, () => {}, opts);
    r.readDirectory();
    return r;
  }

  /** Size of the archive in bytes. */
  get byteLength(): number {
    return this.size;
  }

  /** Keys (member names without `.npy`) in archive order. */
  keys(): string[] {
    return [...this.order];
  }

  has(key: string): boolean {
    return this.members.has(key);
  }

  /** Directory information of one member (sizes, method), without reading it. */
  member(key: string): NpzMember {
    const m = this.members.get(key);
    if (!m) throw new NpzError(`${this.path}: no key '${printable(key)}' (keys: ${printable(this.order.join(', '), 1000) || 'none'})`);
    return m;
  }

  /** A member's directory entry and where its data starts, after checking its local header and sizes. */
  private locate(key: string): { m: NpzMember; label: string; dataStart: number } {
    if (this.closed) throw new NpzError(`${this.path}: reader is closed`);
    const m = this.member(key);
    const label = `${this.path}: key '${key}'`;
    if (m.flags & 1) throw new NpzError(`${label}: member is encrypted`);
    if (m.method !== 0 && m.method !== 8) throw new NpzError(`${label}: compression method ${m.method} is not supported (only stored and deflate)`);
    if (m.method === 0 && m.compressedSize !== m.size) throw new NpzError(`${label}: stored member has compressed size ${m.compressedSize} != size ${m.size}`);
    if (m.size > this.maxMemberBytes) {
      throw new NpzError(`${label}: member declares ${m.size} bytes, over the limit of ${this.maxMemberBytes} bytes (maxMemberBytes)`);
    }
    const lh = this.readAt(m.localHeaderOffset, 30);
    const ldv = new DataView(lh.buffer, lh.byteOffset, 30);
    if (ldv.getUint32(0, true) !== SIG_LOCAL) throw new NpzError(`${label}: bad local header signature at byte ${m.localHeaderOffset}`);
    const dataStart = m.localHeaderOffset + 30 + ldv.getUint16(26, true) + ldv.getUint16(28, true);
    if (dataStart + m.compressedSize > this.size) {
      throw new NpzError(`${label}: member data runs past the end of the file (${dataStart + m.compressedSize} > ${this.size} bytes; the file is truncated)`);
    }
    return { m, label, dataStart };
  }

  /**
   * The `.npy` header of one member, read from its first bytes only (a stored member: those bytes; a
   * deflated one: inflated in small slices until the header is complete), checked against the decode
   * limits (src/npy/limits.ts) and against the member's declared size — so a shape that lies, or an
   * array too large to decode, is refused before the member is read or anything is allocated for it.
   */
  header(key: string): MemberHeader {
    const { m, label, dataStart } = this.locate(key);
    const first = this.prefix(m, dataStart, Math.min(m.size, 12), label);
    let need = Math.min(m.size, 12 + MAX_NPY_HEADER_BYTES);
    if (first.length >= 10) {
      const dv = new DataView(first.buffer, first.byteOffset, first.byteLength);
      const major = first[6];
      if (major === 1) need = Math.min(m.size, 10 + dv.getUint16(8, true));
      else if (first.length >= 12 && (major === 2 || major === 3)) need = Math.min(m.size, 12 + Math.min(dv.getUint32(8, true), MAX_NPY_HEADER_BYTES + 1));
    }
    const h = parseNpyHeader(need <= first.length ? first : this.prefix(m, dataStart, need, label), label);
    const payloadBytes = m.size - h.dataOffset;
    const { info, size } = checkDecodeLimits(h, payloadBytes, label);
    if (info.kind !== 'O' && payloadBytes !== size * info.itemsize) {
      throw new NpyError(`${label}: header says shape ${formatShape(h.shape)} of ${h.descr} (${size * info.itemsize} data bytes) but the member declares ${payloadBytes} data bytes`);
    }
    return { ...h, info, size, payloadBytes };
  }

  /**
   * The first `want` bytes of a member (fewer when it is shorter): a slice for a stored member, the
   * start of the inflated stream for a deflated one (1 KiB of compressed data at a time: deflate
   * expands at most 1032-fold, so even a zip bomb costs about 1 MiB here).
   */
  private prefix(m: NpzMember, dataStart: number, want: number, label: string): Uint8Array {
    if (want <= 0) return new Uint8Array(0);
    if (m.method === 0) return this.readAt(dataStart, Math.min(want, m.size));
    const out = new Uint8Array(want);
    let got = 0;
    this.inflateSlices(m, dataStart, label, 1024, (chunk) => {
      const take = Math.min(chunk.length, want - got);
      out.set(chunk.subarray(0, take), got);
      got += take;
      return got < want;
    });
    return out.subarray(0, got);
  }

  /**
   * Inflates the start of a deflated member, `slice` compressed bytes at a time (fflate's synchronous
   * streaming `Inflate`), handing each inflated piece to `onData` until it returns false or the member
   * ends. Refuses more output than the member declares. Returns the number of bytes inflated.
   */
  private inflateSlices(m: NpzMember, dataStart: number, label: string, slice: number, onData: (chunk: Uint8Array) => boolean): number {
    const SLICE = slice;
    let total = 0;
    let more = true;
    let ended = false;
    const inf = new Inflate((chunk, final) => {
      if (!more || chunk.length === 0) { if (final) ended = true; return; }
      total += chunk.length;
      if (total > m.size) throw new NpzError(`${label}: member inflates beyond its declared size of ${m.size} bytes (zip bomb or corrupt archive)`);
      more = onData(chunk);
      if (final) ended = true;
    });
    for (let off = 0; more && !ended && off < m.compressedSize; off += SLICE) {
      const len = Math.min(SLICE, m.compressedSize - off);
      const comp = this.readAt(dataStart + off, len);
      try {
        inf.push(comp, off + len >= m.compressedSize);
      } catch (err) {
        if (err instanceof NpzError) throw err;
        throw new NpzError(`${label}: corrupt deflate data (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    return total;
  }

  /**
   * Reads one member's array data in slices without holding the whole member: calls `onData` with
   * consecutive pieces of the payload (after the header), then checks the length and the CRC-32.
   * A stored member is read `sliceBytes` at a time; a deflated one goes through node:zlib's streaming
   * inflater (native speed; fflate's synchronous one was measured 3× slower) in 1 MiB pieces, so the
   * memory is a few MiB whatever the member's size — and a member that inflates beyond its declared
   * size is stopped there. Resolves to the header.
   */
  async stream(key: string, onData: (bytes: Uint8Array) => void, sliceBytes = 8 << 20): Promise<MemberHeader> {
    const h = this.header(key);
    await this.slices(key, (chunk, at) => {
      const skip = Math.max(0, h.dataOffset - at);
      if (skip < chunk.length) onData(chunk.subarray(skip));
    }, sliceBytes);
    return h;
  }

  /**
   * Reads one member to its end in slices, as `stream` does, and keeps nothing: checks what `raw` checks (its
   * local header, that its data lies within the file, that it inflates to its declared size, its CRC-32) with a few
   * MiB of memory whatever the member's size. Its `.npy` header is not parsed.
   */
  async check(key: string): Promise<void> {
    await this.slices(key, () => {});
  }

  /**
   * Every byte of one member (the `.npy` header included), in order, to `onChunk` with its offset; then the length and
   * CRC-32 checks. With `signal`, the event loop turns between two stored slices too, and an abort seen between two
   * pieces stops the read there (it rejects with `abortError`; nothing more of the member is read or inflated).
   */
  private async slices(key: string, onChunk: (chunk: Uint8Array, at: number) => void, sliceBytes = 8 << 20, signal?: AbortSignal): Promise<void> {
    const { m, label, dataStart } = this.locate(key);
    let pos = 0;
    let crc = 0;
    const deliver = (chunk: Uint8Array): void => {
      if (this.checkCrc) crc = crc32(chunk, crc);
      const at = pos;
      pos += chunk.length;
      onChunk(chunk, at);
    };
    if (m.method === 0) {
      for (let off = 0; off < m.size; off += sliceBytes) {
        if (signal !== undefined) {
          await new Promise((done) => setImmediate(done));
          if (signal.aborted) throw abortError(signal);
        }
        deliver(this.readAt(dataStart + off, Math.min(sliceBytes, m.size - off)));
      }
    } else {
      await new Promise<void>((resolveStream, rejectStream) => {
        const inf = zlib.createInflateRaw({ chunkSize: 1 << 20 });
        let failure: Error | null = null;
        const fail = (err: Error): void => { if (!failure) { failure = err; inf.destroy(); rejectStream(err); } };
        inf.on('data', (chunk: Buffer) => {
          if (failure) return;
          if (signal?.aborted) { fail(abortError(signal)); return; }
          if (pos + chunk.length > m.size) { fail(new NpzError(`${label}: member inflates beyond its declared size of ${m.size} bytes (zip bomb or corrupt archive)`)); return; }
          try { deliver(chunk); } catch (err) { fail(err as Error); }
        });
        inf.on('error', (err) => fail(new NpzError(`${label}: corrupt deflate data (${err.message})`)));
        inf.on('end', () => { if (!failure) resolveStream(); });
        const SLICE = 1 << 20;
        let off = 0;
        const pump = (): void => {
          try {
            while (!failure && off < m.compressedSize) {
              if (signal?.aborted) { fail(abortError(signal)); return; }
              const len = Math.min(SLICE, m.compressedSize - off);
              const more = inf.write(this.readAt(dataStart + off, len));
              off += len;
              if (!more) { inf.once('drain', pump); return; }
            }
            if (!failure) inf.end();
          } catch (err) {
            fail(err as Error);
          }
        };
        pump();
      });
      if (pos !== m.size) throw new NpzError(`${label}: member inflates to ${pos} bytes but declares ${m.size} (truncated or corrupt)`);
    }
    if (this.checkCrc && crc !== m.crc32) throw new NpzError(`${label}: CRC-32 mismatch (archive says ${hex(m.crc32)}, data gives ${hex(crc)}); the member is corrupt`);
  }

  /**
   * Rows `rows` (indices along the first axis, C order) of a numeric member, decoded, without holding the member:
   * a stored member's rows are read where they lie and nothing else of it is read (so its CRC-32 is not checked); a
   * deflated one is inflated in slices (`stream`) to its end, its CRC-32 checked, keeping only those rows. Memory:
   * the rows and one slice. The header is checked first (`header`); a Fortran-order array of rank > 1, whose rows
   * are not contiguous, and a row index outside the array are refused.
   */
  async readRows(key: string, rows: readonly number[]): Promise<{ header: MemberHeader; rows: NumericData[] }> {
    const h = this.header(key);
    const label = `${this.path}: key '${key}'`;
    const { info } = h;
    if (info.kind === 'U' || info.kind === 'S' || info.kind === 'O') throw new NpzError(`${label}: expected a numeric array to read rows of; found ${h.descr}`);
    if (h.shape.length < 1) throw new NpzError(`${label}: expected an array of rank ≥ 1 to read rows of; found shape ${formatShape(h.shape)}`);
    if (h.fortranOrder && h.shape.length > 1) throw new NpzError(`${label}: its rows are not contiguous (Fortran order); read it whole`);
    const n = h.shape[0]!;
    for (const i of rows) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new NpzError(`${label}: expected a row index below ${n}; found ${i}`);
    const rowBytes = n === 0 ? 0 : h.payloadBytes / n;
    const { m, dataStart } = this.locate(key);
    const out = rows.map(() => new Uint8Array(rowBytes));
    if (m.method === 0) {
      rows.forEach((i, k) => out[k]!.set(this.readAt(dataStart + h.dataOffset + i * rowBytes, rowBytes)));
    } else {
      let pos = 0;
      await this.stream(key, (bytes) => {
        const end = pos + bytes.length;
        rows.forEach((i, k) => {
          const r0 = i * rowBytes, r1 = r0 + rowBytes;
          if (r1 <= pos || r0 >= end) return;
          const from = Math.max(r0, pos), to = Math.min(r1, end);
          out[k]!.set(bytes.subarray(from - pos, to - pos), from - r0);
        });
        pos = end;
      });
    }
    return { header: h, rows: out.map((b) => decodeNumeric(b, info)) };
  }

  /** `locate`, for a member read whole into one buffer: refused when it declares more than one Node.js buffer holds. */
  private locateWhole(key: string): { m: NpzMember; label: string; dataStart: number } {
    const found = this.locate(key);
    if (found.m.size > bufferConstants.MAX_LENGTH) {
      throw new NpzError(`${found.label}: member declares ${found.m.size} bytes, more than one Node.js buffer can hold (${bufferConstants.MAX_LENGTH})`);
    }
    return found;
  }

  /** The raw `.npy` bytes of one member (inflated, CRC-checked). */
  raw(key: string): Uint8Array {
    const { m, label, dataStart } = this.locateWhole(key);
    let out: Uint8Array;
    if (m.method === 0) out = this.readAt(dataStart, m.size);
    else out = this.inflateMember(m, dataStart, label);
    if (this.checkCrc) {
      const c = crc32(out);
      if (c !== m.crc32) throw new NpzError(`${label}: CRC-32 mismatch (archive says ${hex(m.crc32)}, data gives ${hex(c)}); the member is corrupt`);
    }
    return out;
  }

  /**
   * Reads and decodes one array; only this member is read and inflated, and only after its header
   * has passed `header(key)`'s checks.
   */
  get(key: string): NdArray {
    this.header(key);
    const bytes = this.raw(key);
    return parseNpy(bytes, `${this.path}: key '${key}'`);
  }

  /**
   * Reads and decodes one array as `get` does (its header checked first, then its length and CRC-32), without blocking
   * the event loop for the whole member: a deflated member goes through node:zlib's streaming inflater in 1 MiB pieces
   * (`slices`) straight into one buffer of its declared size, a stored one is read in 8 MiB slices with a turn of the
   * event loop between two. Memory: the member and one piece of its compressed bytes (`get` holds all of them). With
   * `signal`, an abort seen between two pieces stops the read: it rejects with `abortError` — for a 5000 × 128² float32
   * member (328 MB) within one piece, not at the end of the member (docs/reconstruct.md, "Stopping").
   */
  async read(key: string, signal?: AbortSignal): Promise<NdArray> {
    this.header(key);
    const bytes = new Uint8Array(this.locateWhole(key).m.size);
    await this.slices(key, (chunk, at) => bytes.set(chunk, at), 8 << 20, signal);
    return parseNpy(bytes, `${this.path}: key '${key}'`);
  }

  close(): void {
    if (!this.closed) { this.closed = true; this.onClose(); }
  }

  /**
   * Inflates a member with node:zlib in one call, straight into one buffer of the declared size
   * (+1 byte, so that an over-long stream is caught; no concatenated copy). Peak memory: the compressed
   * and the inflated member — at most about 2× the member for incompressible data.
   * (Streaming slices through fflate's Inflate was measured too: no lower peak, 3–4× slower.)
   */
  private inflateMember(m: NpzMember, dataStart: number, label: string): Uint8Array {
    const comp = this.readAt(dataStart, m.compressedSize);
    let out: Buffer;
    try {
      out = zlib.inflateRawSync(comp, { chunkSize: Math.max(64, m.size + 1), maxOutputLength: Math.max(1, m.size) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new NpzError(`${label}: member inflates beyond its declared size of ${m.size} bytes (zip bomb or corrupt archive)`);
      }
      throw new NpzError(`${label}: corrupt deflate data (${err instanceof Error ? err.message : String(err)})`);
    }
    if (out.length !== m.size) throw new NpzError(`${label}: member inflates to ${out.length} bytes but declares ${m.size} (truncated or corrupt)`);
    return out;
  }

  private readDirectory(): void {
    const p = this.path;
    const notZip = (why: string): never => { throw new NpzError(`${p}: not a valid .npz (${why})`); };
    if (this.size < 22) notZip(`only ${this.size} bytes; the file is empty or truncated`);
    const tailLen = Math.min(this.size, 22 + 0xffff + 20);
    const tailStart = this.size - tailLen;
    const tail = this.readAt(tailStart, tailLen);
    const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let e = -1;
    for (let k = tailLen - 22; k >= 0; k--) {
      if (tdv.getUint32(k, true) === SIG_EOCD && k + 22 + tdv.getUint16(k + 20, true) <= tailLen) { e = k; break; }
    }
    if (e < 0) notZip('zip end-of-central-directory record not found; the file is truncated or not a zip archive');
    const eocdPos = tailStart + e;
    if (tdv.getUint16(e + 4, true) !== 0 || tdv.getUint16(e + 6, true) !== 0) notZip('multi-disk archives are not supported');
    let count = tdv.getUint16(e + 10, true);
    let cdSize = tdv.getUint32(e + 12, true);
    let cdOffset = tdv.getUint32(e + 16, true);
    let cdEnd = eocdPos;
    if (e >= 20 && tdv.getUint32(e - 20, true) === SIG_ZIP64_LOCATOR) {
      const z64Pos = Number(tdv.getBigUint64(e - 20 + 8, true));
      if (z64Pos + 56 > eocdPos - 20) notZip('bad zip64 end-of-central-directory locator');
      const z = this.readAt(z64Pos, 56);
      const zdv = new DataView(z.buffer, z.byteOffset, 56);
      if (zdv.getUint32(0, true) !== SIG_ZIP64_EOCD) notZip('bad zip64 end-of-central-directory record');
      count = Number(zdv.getBigUint64(32, true));
      cdSize = Number(zdv.getBigUint64(40, true));
      cdOffset = Number(zdv.getBigUint64(48, true));
      cdEnd = z64Pos;
    } else if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
      notZip('zip64 sizes without a zip64 end-of-central-directory locator');
    }
    if (cdOffset + cdSize > cdEnd) notZip(`central directory (${cdSize} bytes at ${cdOffset}) runs past its end record; the file is truncated or corrupt`);
    const cd = this.readAt(cdOffset, cdSize);
    const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    const names = new Set<string>();
    let pos = 0;
    for (let i = 0; i < count; i++) {
      if (pos + 46 > cdSize || dv.getUint32(pos, true) !== SIG_CENTRAL) notZip(`central directory entry ${i} is malformed`);
      const flags = dv.getUint16(pos + 8, true);
      const method = dv.getUint16(pos + 10, true);
      const crc = dv.getUint32(pos + 16, true);
      let csize = dv.getUint32(pos + 20, true);
      let usize = dv.getUint32(pos + 24, true);
      const nameLen = dv.getUint16(pos + 28, true);
      const extraLen = dv.getUint16(pos + 30, true);
      const commentLen = dv.getUint16(pos + 32, true);
      let offset = dv.getUint32(pos + 42, true);
      const end = pos + 46 + nameLen + extraLen + commentLen;
      if (end > cdSize) notZip(`central directory entry ${i} runs past the directory`);
      const nameBytes = cd.subarray(pos + 46, pos + 46 + nameLen);
      let name: string;
      try {
        name = flags & 0x800 ? utf8.decode(nameBytes) : String.fromCharCode(...nameBytes);
      } catch {
        notZip(`member name of entry ${i} is not valid UTF-8`);
      }
      // zip64 extended information: present fields follow the order usize, csize, offset.
      let x = pos + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = dv.getUint16(x, true);
        const len = dv.getUint16(x + 2, true);
        if (x + 4 + len > xEnd) notZip(`extra field 0x${id.toString(16).padStart(4, '0')} of member '${printable(name!)}' declares ${len} bytes but its entry has ${xEnd - x - 4} left`);
        if (id === 0x0001) {
          let f = x + 4;
          const take = (): number => {
            if (f + 8 > x + 4 + len) notZip(`zip64 extra field of '${printable(name!)}' is too short`);
            const v = Number(dv.getBigUint64(f, true));
            f += 8;
            return v;
          };
          if (usize === U32_MAX) usize = take();
          if (csize === U32_MAX) csize = take();
          if (offset === U32_MAX) offset = take();
        }
        x += 4 + len;
      }
      pos = end;
      name = name!;
      if (name.endsWith('/')) continue; // a directory entry
      const why = unsafeName(name);
      if (why) throw new NpzError(`${p}: member name ${quoted(name)} ${why}; refusing the archive`);
      if (names.has(name)) throw new NpzError(`${p}: duplicate member ${quoted(name)}; refusing the archive`);
      names.add(name);
      const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
      if (this.members.has(key)) throw new NpzError(`${p}: duplicate key '${printable(key)}' (two members map to it); refusing the archive`);
      if (offset + 30 > cdOffset) notZip(`member '${printable(name)}' starts past the member area`);
      this.members.set(key, { key, name, method, compressedSize: csize, size: usize, crc32: crc, localHeaderOffset: offset, flags });
      this.order.push(key);
    }
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/** Reads arrays from an `.npz` file: all of them, or only `keys` (each must exist). */
export function loadNpz(path: string, keys?: readonly string[], opts: NpzReadOptions = {}): Record<string, NdArray> {
  // a JavaScript caller's one key as a string (read letter by letter) or options in the place of the keys
  if (keys !== undefined && !Array.isArray(keys)) {
    throw new UsageError(`\`keys\` ${typeof keys === 'string' ? quoted(keys) : `(an ${typeof keys})`}: expected an array of key names (e.g. ['diffraction']) or undefined for every key`);
  }
  const r = NpzReader.open(path, opts);
  try {
    const out: Record<string, NdArray> = {};
    for (const k of keys ?? r.keys()) out[k] = r.get(k);
    return out;
  } finally {
    r.close();
  }
}

/** The first of `keys` that the archive holds, decoded (only that member is read); undefined when none is there. */
export function loadFirstKey(path: string, keys: readonly string[], opts: NpzReadOptions = {}): { key: string; array: NdArray } | undefined {
  const r = NpzReader.open(path, opts);
  try {
    const key = keys.find((k) => r.has(k));
    return key === undefined ? undefined : { key, array: r.get(key) };
  } finally {
    r.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface NpzWriteOptions {
  /** Deflate members (np.savez_compressed) — default true — or store them (np.savez). */
  compress?: boolean;
  /** zlib level 1–9 when compressing (default 6, NumPy's). */
  level?: number;
  /** Write zip64 records even when sizes do not need them (for tests; NumPy does the same for large arrays). */
  forceZip64?: boolean;
  /** Called just before the complete file is renamed over `path` (see `writeFileAtomic`). */
  beforeRename?: BeforeRename;
}

const DEFLATE_SLICE = 64 << 20;
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;

interface PreparedMember { name: Uint8Array; utf8: boolean; method: number; crc: number; usize: number; csize: number; parts: Uint8Array[] }

/** A member as stored (`parts`), before it is deflated: its name, CRC and size, and the slices to deflate. */
interface MemberSource { member: PreparedMember; slices: Uint8Array[] | null }

/** `err` as an NpzError naming the archive and the key (errors of the npy encoder are kept as they are). */
function memberError(err: unknown, key: string, label: string): Error {
  if (err instanceof NpyError || err instanceof NpzError) return err;
  return new NpzError(`${label}: key '${key}': ${err instanceof Error ? err.message : String(err)}`);
}

function memberSource(key: string, arr: NdArray, opts: NpzWriteOptions, label: string): MemberSource {
  try {
    const why = unsafeName(key);
    if (why) throw new NpzError(`${label}: key ${quoted(key)} ${why}`);
    const npy = encodeNpyParts(arr, `${label}: key '${key}'`);
    let crc = 0;
    let usize = 0;
    for (const part of npy) { crc = crc32(part, crc); usize += part.length; }
    const nameStr = `${key}.npy`;
    const name = new TextEncoder().encode(nameStr);
    const utf8 = /[^\x20-\x7e]/.test(nameStr);
    const member: PreparedMember = { name, utf8, method: 0, crc, usize, csize: usize, parts: npy };
    if (opts.compress === false) return { member, slices: null };
    // Deflated slice by slice, each ending in a sync flush (the last one finishes the stream): the
    // concatenation is one valid raw deflate stream, and no slice needs a concatenated copy of the data.
    const slices: Uint8Array[] = [];
    for (const part of npy) for (let o = 0; o < part.length; o += DEFLATE_SLICE) slices.push(part.subarray(o, o + DEFLATE_SLICE));
    return { member, slices };
  } catch (err) {
    throw memberError(err, key, label);
  }
}

function deflateOptions(opts: NpzWriteOptions, last: boolean): zlib.ZlibOptions {
  return { level: opts.level ?? 6, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH };
}

function deflated(m: PreparedMember, parts: Uint8Array[]): PreparedMember {
  return { ...m, method: 8, parts, csize: parts.reduce((n, p) => n + p.length, 0) };
}

function prepareMember(key: string, arr: NdArray, opts: NpzWriteOptions, label: string): PreparedMember {
  const { member, slices } = memberSource(key, arr, opts, label);
  if (slices === null) return member;
  try {
    return deflated(member, slices.map((s, i) => zlib.deflateRawSync(s, deflateOptions(opts, i === slices.length - 1))));
  } catch (err) {
    throw memberError(err, key, label);
  }
}

/** Version needed … extra-field length: the fields a local header (at 4) and a central entry (at 6) share. */
function putSharedFields(d: DataView, at: number, m: PreparedMember, version: number, flags: number, zip64: boolean, extraLen: number): void {
  d.setUint16(at, version, true);
  d.setUint16(at + 2, flags, true);
  d.setUint16(at + 4, m.method, true);
  d.setUint16(at + 6, 0, true); // time 00:00:00
  d.setUint16(at + 8, DOS_DATE_1980_01_01, true);
  d.setUint32(at + 10, m.crc, true);
  d.setUint32(at + 14, zip64 ? U32_MAX : m.csize, true);
  d.setUint32(at + 18, zip64 ? U32_MAX : m.usize, true);
  d.setUint16(at + 22, m.name.length, true);
  d.setUint16(at + 24, extraLen, true);
}

/** A zip64 extended-information extra field holding `values` (uncompressed size, compressed size, offset…). */
function putZip64Extra(d: DataView, at: number, values: number[]): void {
  d.setUint16(at, 1, true);
  d.setUint16(at + 2, 8 * values.length, true);
  values.forEach((v, i) => d.setBigUint64(at + 4 + 8 * i, BigInt(v), true));
}

/**
 * Writes arrays to an `.npz` file atomically. Keys become members `<key>.npy`.
 * `compress` (default true) deflates like `np.savez_compressed`; false stores like `np.savez`.
 */
export function saveNpz(path: string, arrays: Record<string, NdArray> | Map<string, NdArray>, opts: NpzWriteOptions = {}): void {
  if (typeof path !== 'string' || path === '') throw new UsageError(`saveNpz: \`path\` ${path === '' ? '""' : String(path)}: expected a file name`);
  writeFileAtomic(path, encodeNpz(arrays, opts, path), opts.beforeRename);
}

function entriesOf(arrays: Record<string, NdArray> | Map<string, NdArray>, label: string): [string, NdArray][] {
  if (arrays === null || typeof arrays !== 'object' || Array.isArray(arrays) || ArrayBuffer.isView(arrays)) {
    const found = arrays === null ? 'null' : Array.isArray(arrays) ? 'an array' : ArrayBuffer.isView(arrays) ? `a bare ${(arrays as object).constructor.name}` : typeof arrays;
    throw new NpzError(`${label}: expected the arrays by key ({ name: { dtype, shape, data } } or a Map); found ${found}`);
  }
  return arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
}

/** The bytes of an `.npz` archive, as pieces to be written in order (see `saveNpz`). */
export function encodeNpz(arrays: Record<string, NdArray> | Map<string, NdArray>, opts: NpzWriteOptions = {}, label = 'npz'): Uint8Array[] {
  const entries = entriesOf(arrays, label);
  return archiveOf(entries.map(([key, arr]) => prepareMember(key, arr, opts, label)), opts);
}

/**
 * `encodeNpz` with the members deflated on libuv's thread pool (several at once), so that this thread can work
 * meanwhile: the same bytes. The arrays are checked and read now (a bad key or array throws here); their data must
 * not change until the promise settles.
 */
export function encodeNpzAsync(arrays: Record<string, NdArray> | Map<string, NdArray>, opts: NpzWriteOptions = {}, label = 'npz'): Promise<Uint8Array[]> {
  const sources = entriesOf(arrays, label).map(([key, arr]) => ({ key, ...memberSource(key, arr, opts, label) }));
  const deflate = (s: Uint8Array, last: boolean, key: string): Promise<Uint8Array> => new Promise((done, fail) => {
    zlib.deflateRaw(s, deflateOptions(opts, last), (err, out) => (err ? fail(memberError(err, key, label)) : done(out)));
  });
  return Promise.all(sources.map(async ({ key, member, slices }) => (slices === null ? member
    : deflated(member, await Promise.all(slices.map((s, i) => deflate(s, i === slices.length - 1, key)))))))
    .then((members) => archiveOf(members, opts));
}

/** The archive's pieces around its prepared members, in order: local headers and data, central directory, end records. */
function archiveOf(members: PreparedMember[], opts: NpzWriteOptions): Uint8Array[] {
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const zip64 = opts.forceZip64 === true || m.usize >= U32_MAX || m.csize >= U32_MAX || offset >= U32_MAX;
    const version = zip64 ? 45 : 20;
    const flags = m.utf8 ? 0x800 : 0;
    // local header, then its central directory entry; both carry the same 26-byte block of fields
    const lh = new Uint8Array(30 + m.name.length + (zip64 ? 20 : 0));
    const l = new DataView(lh.buffer);
    l.setUint32(0, SIG_LOCAL, true);
    putSharedFields(l, 4, m, version, flags, zip64, zip64 ? 20 : 0);
    lh.set(m.name, 30);
    if (zip64) putZip64Extra(l, 30 + m.name.length, [m.usize, m.csize]);
    const ch = new Uint8Array(46 + m.name.length + (zip64 ? 28 : 0));
    const c = new DataView(ch.buffer);
    c.setUint32(0, SIG_CENTRAL, true);
    c.setUint16(4, (3 << 8) | version, true); // made by: Unix
    putSharedFields(c, 6, m, version, flags, zip64, zip64 ? 28 : 0);
    c.setUint32(38, (0o100644 << 16) >>> 0, true);
    c.setUint32(42, zip64 ? U32_MAX : offset, true);
    ch.set(m.name, 46);
    if (zip64) putZip64Extra(c, 46 + m.name.length, [m.usize, m.csize, offset]);
    out.push(lh, ...m.parts);
    central.push(ch);
    offset += lh.length + m.csize;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((n, p) => n + p.length, 0);
  out.push(...central);
  const zip64End = opts.forceZip64 === true || members.length >= 0xffff || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  if (zip64End) {
    const z = new Uint8Array(56 + 20);
    const d = new DataView(z.buffer);
    d.setUint32(0, SIG_ZIP64_EOCD, true);
    d.setBigUint64(4, 44n, true);
    d.setUint16(12, (3 << 8) | 45, true);
    d.setUint16(14, 45, true);
    d.setBigUint64(24, BigInt(members.length), true);
    d.setBigUint64(32, BigInt(members.length), true);
    d.setBigUint64(40, BigInt(cdSize), true);
    d.setBigUint64(48, BigInt(cdOffset), true);
    d.setUint32(56, SIG_ZIP64_LOCATOR, true);
    d.setBigUint64(64, BigInt(cdOffset + cdSize), true);
    d.setUint32(72, 1, true);
    out.push(z);
  }
  const e = new Uint8Array(22);
  const d = new DataView(e.buffer);
  d.setUint32(0, SIG_EOCD, true);
  d.setUint16(8, zip64End ? 0xffff : members.length, true);
  d.setUint16(10, zip64End ? 0xffff : members.length, true);
  d.setUint32(12, zip64End ? U32_MAX : cdSize, true);
  d.setUint32(16, zip64End ? U32_MAX : cdOffset, true);
  out.push(e);
  return out;
}
