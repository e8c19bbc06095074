/**
 * Bounded, read-only access to an HDF5 file through h5wasm (the HDF5 C library compiled to
 * WebAssembly; its Node build reads the host file system directly, so a dataset is read slab by slab
 * and a file is never loaded whole).
 *
 * Every input is hostile until checked:
 *  - the file must be a regular file, checked before it is opened (a named pipe would block forever),
 *    and carry the HDF5 signature (`sniffFile`), else one line "not an HDF5 file";
 *  - HDF5's own diagnostics (its error stack, which the library prints to stderr) are captured around
 *    every call and turned into one `Hdf5Error` line naming the file, the key and HDF5's innermost
 *    message (e.g. "truncated file: eof = 20000, … stored_eof = 35024"); a call that printed a
 *    diagnostic is a failure even when h5wasm returned a value (it returns uninitialised memory when a
 *    filter is missing, for instance);
 *  - nothing outside the named file is read: paths are walked one link at a time and soft links are
 *    resolved here (at most MAX_SOFT_LINKS in a row), so an external link anywhere on the path or on
 *    a soft link's way is refused, and a dangling soft link is an error of its own (never "missing");
 *    a virtual dataset with sources in another file is refused from its metadata; and while any
 *    library call runs, every attempt of the library to open another file is refused and reported
 *    (HDF5's external raw storage, which its metadata does not show through h5wasm, is caught so, by
 *    a one-value read in `checkReadable` before anything is allocated);
 *  - a dataset's declared size (shape × item size) is checked against a stated limit, and an
 *    unfiltered dataset against the file's size, before anything is allocated; values read into
 *    JavaScript arrays are checked against the memory limit (`memoryLimit`, data/memory.ts) first;
 *  - chunked layouts are bounded (chunk size, chunk count, chunks spanned by one read): HDF5 keeps
 *    bookkeeping for every chunk a read touches and a whole chunk in memory to read any of it;
 *  - only filters built into the library (deflate, shuffle, Fletcher-32, szip, n-bit, scale-offset)
 *    are accepted; a dataset that needs a plugin (LZ4, bitshuffle, Blosc, LZF, …) is refused by name.
 */
import fs, { constants as fsConstants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../errors.js';
import { formatBytes, memoryLimit, type MemoryLimit } from '../memory.js';
import { hdf5DataEnd, sniffFile, unreadableWhy } from './signature.js';
import { entryKind } from '../../files/regular.js';

type H5wasm = typeof import('h5wasm/node');
type H5File = import('h5wasm/node').File;
type H5Dataset = import('h5wasm/node').Dataset;

/** An HDF5 file or one of its entries that cannot be used; the message is one line. */
export class Hdf5Error extends InputError {
  constructor(message: string) { super(message); this.name = 'Hdf5Error'; }
}

/** Largest dataset (declared shape × item size) read by default: 4 GiB, as `maxMemberBytes` of the NPZ reader. */
export const DEFAULT_MAX_DATASET_BYTES = 4 * 1024 ** 3;

/**
 * Bytes an HDF5 file may hold after the end of its data (its superblock's end-of-file address) beyond as many again
 * as the data: 64 MiB. HDF5 itself ignores them; a file past it is refused (`Hdf5Reader.open`).
 */
export const MAX_TRAILING_BYTES = 64 * 1024 ** 2;

/**
 * Soft links followed to resolve one path before it is refused (a loop, or a chain no writer makes):
 * HDF5's own default (H5L_NUM_LINKS), counted as HDF5 counts it, over the whole lookup.
 */
export const MAX_SOFT_LINKS = 16;

/**
 * Path components looked up to resolve one path, soft links' targets included: a bound on the work a
 * crafted chain of long link targets can cause. A lookup at depth d costs the library O(d²) (it walks
 * every prefix of the path), so the whole walk costs O(n³): 256 components took 21 s, 64 take ~0.3 s.
 * Real paths have a handful (CXI's deepest is 5).
 */
export const MAX_PATH_LOOKUPS = 64;

/**
 * Largest chunk (declared chunk shape × item size): HDF5 holds a whole chunk in its memory (2 GiB in
 * all) to read any part of it. Detector frames stored one per chunk are up to ~70 MB (an Eiger 16M frame).
 */
export const MAX_CHUNK_BYTES = 256 * 1024 ** 2;

/**
 * Chunks one read may span. HDF5 keeps about 6 KB of bookkeeping for every chunk a read touches
 * (measured through h5wasm: one read of 204 800 one-byte chunks grew the library's memory by 1.2 GB),
 * so slabs are cut, at chunk boundaries, to span at most this many: ~25 MB.
 */
export const MAX_CHUNKS_PER_READ = 4096;

/**
 * Chunks a dataset may have whatever their size; beyond this count each chunk must hold at least
 * MIN_CHUNK_BYTES. Every chunk costs HDF5 3–17 µs to read (measured: 3.3 µs for one never written,
 * 17 µs for a gzip'd one), so tiny chunks make a small file cost seconds to hours: a 61 KB CXI
 * declaring 1 000 patterns of 32×32 one-byte chunks (1 024 000 of them) took 12 s and 2.2 GB. With
 * the bound, reading costs at most ~1 s for the first 65 536 chunks plus ~4 ms per MiB of data.
 */
export const MAX_SMALL_CHUNKS = 65536;
export const MIN_CHUNK_BYTES = 4096;

/** Largest slab of one read in the library's memory (one row along the first axis must fit). */
export const MAX_READ_BYTES = 256 * 1024 ** 2;

/** Bytes of a numeric dataset read per slab by readFloat64 / readComplex. */
const SLAB_BYTES = 16 * 1024 * 1024;

/** Filters compiled into h5wasm's HDF5 (ids from H5Zpublic.h). */
const BUILTIN_FILTERS = new Map<number, string>([[1, 'deflate'], [2, 'shuffle'], [3, 'fletcher32'], [4, 'szip'], [5, 'nbit'], [6, 'scaleoffset']]);
/** Names of common plugin filters, for the message when one is needed. */
const PLUGIN_FILTERS = new Map<number, string>([[32000, 'LZF'], [32001, 'Blosc'], [32004, 'LZ4'], [32008, 'bitshuffle'], [32015, 'Zstandard'], [32026, 'Blosc2']]);

let loading: Promise<H5wasm> | undefined;

/** Loads h5wasm once (about 0.4 s: its WebAssembly is compiled on first use only). */
async function library(): Promise<H5wasm> {
  loading ??= import('h5wasm/node').then(async (m) => { await m.ready; return m; });
  return loading;
}

/** Node's `fs` as a mutable object (the CommonJS exports the WebAssembly runtime reads and writes files through). */
const fsMutable = fs as unknown as { writeSync: (...args: unknown[]) => number; openSync: (...args: unknown[]) => number };

/**
 * The one file a reader may open: its path as handed to the library, and the device and inode it had
 * when it was checked. `outside` collects every other path the library tried to open.
 */
interface Confinement {
  path: string;
  dev: number;
  ino: number;
  outside: string[];
}

const pathText = (p: unknown): string => (typeof p === 'string' ? p : Buffer.isBuffer(p) ? p.toString('utf8') : p instanceof URL ? fileURLToPath(p) : String(p));

/**
 * Runs `fn` with HDF5's diagnostics captured: h5wasm writes them to file descriptor 2 through
 * `fs.writeSync` (synchronously, inside the call), so replacing that one function for the duration
 * of the call catches them without touching any other output. The WebAssembly runtime's own
 * messages ("Cannot enlarge memory … the limit is 2147483648 bytes!") go through its own binding of
 * console.error, to the standard error stream; they are caught too (`runtime`), for the bounds in
 * `checkReadable` cannot reach everything: HDF5 reads an attribute whole when it opens it, whatever
 * its size, and an 800 MB `units` attribute exceeded the library's 2 GiB.
 *
 * With `confine`, the library's `fs.openSync` (its file system is Node's, Emscripten's NODERAWFS)
 * opens that one file only, non-blocking and checked to be the regular file that was examined; any
 * other path is refused (EACCES) and recorded, so no data from outside the file is ever read,
 * whatever HDF5 was asked to follow.
 */
export function quietly<T>(fn: () => T, confine?: Confinement): { value?: T; thrown?: unknown; diag: string; runtime: string } {
  const original = fsMutable.writeSync;
  const originalOpen = fsMutable.openSync;
  const stderr = process.stderr as unknown as { write: (...args: unknown[]) => boolean };
  const originalStderr = stderr.write;
  let diag = '', runtime = '';
  stderr.write = (chunk: unknown): boolean => { if (runtime.length < 4096) runtime += String(chunk); return true; };
  fsMutable.writeSync = (fd: unknown, buf: unknown, off?: unknown, len?: unknown, pos?: unknown): number => {
    if (fd !== 2) return original.call(fs, fd, buf, off, len, pos);
    let text: string;
    let n: number;
    if (typeof buf === 'string') { text = buf; n = Buffer.byteLength(buf); } else {
      const view = buf as ArrayBufferView;
      const o = typeof off === 'number' ? off : 0;
      n = typeof len === 'number' ? len : view.byteLength - o;
      text = Buffer.from(view.buffer, view.byteOffset + o, n).toString('utf8');
    }
    if (diag.length < 65536) diag += text;
    return n;
  };
  if (confine) {
    fsMutable.openSync = (p: unknown, flags?: unknown, mode?: unknown): number => {
      const text = pathText(p);
      const refuse = (): never => {
        confine.outside.push(text);
        throw Object.assign(new Error(`EACCES: ptychostudy reads nothing outside the named file, open '${text}'`), { code: 'EACCES' });
      };
      if (resolve(text) !== confine.path) return refuse();
      // Non-blocking, so that a file swapped for a named pipe since it was checked cannot hang the open.
      const fd = originalOpen.call(fs, p, typeof flags === 'number' ? flags | fsConstants.O_NONBLOCK : flags, mode);
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.dev !== confine.dev || st.ino !== confine.ino) { fs.closeSync(fd); return refuse(); }
      return fd;
    };
  }
  try {
    return { value: fn(), diag, runtime };
  } catch (thrown) {
    return { thrown, diag, runtime };
  } finally {
    fsMutable.writeSync = original;
    fsMutable.openSync = originalOpen;
    stderr.write = originalStderr;
  }
}

/** HDF5's innermost message of an error stack ("#006: …/H5Fsuper.c line 577 in H5F__super_read(): truncated file: …"). */
export function innermostHdf5Message(diag: string): string | undefined {
  const lines = diag.split('\n').filter((l) => /^\s*#\d+:/.test(l));
  const last = lines[lines.length - 1];
  if (!last) return undefined;
  const m = /\bin [\w.]+\(\): (.*)$/.exec(last);
  return (m ? m[1]! : last.trim()).trim();
}

/** What a dataset holds, from its metadata only (nothing is read). */
export interface Hdf5DatasetInfo {
  key: string;
  /** The dataset's own path in the file, every soft link on the way resolved ('/entry_1/…'). */
  path: string;
  shape: number[];
  /** NumPy-style spelling of the element type as read into memory: '<f4', '<f8', '|u1', '<u2', '<i4', '<i8', '<c8', '<c16', 'str', or 'other (…)'. */
  dtype: string;
  /** 'float' | 'int' | 'uint' | 'complex' | 'string' | 'bool' (h5py's numpy bool: a 1-byte enum FALSE = 0, TRUE = 1, read as |u1) | 'other'. */
  kind: 'float' | 'int' | 'uint' | 'complex' | 'string' | 'bool' | 'other';
  itemsize: number;
  elements: number;
  /** shape × itemsize. */
  bytes: number;
  chunks: number[] | null;
  filters: { id: number; name: string }[];
  /** A virtual dataset's sources (file '.' is this file); empty for any other dataset. */
  virtualSources: { file: string; dataset: string }[];
}

export interface Hdf5OpenOptions {
  /** Refuse a dataset whose declared size exceeds this many bytes (default 4 GiB). */
  maxDatasetBytes?: number;
  /** Memory the values read may take (default: `memoryLimit()`, half the machine or PTYCHOSTUDY_MEMORY_LIMIT). */
  memoryLimit?: MemoryLimit;
}

export type EntryKind = 'group' | 'dataset' | 'missing' | 'other';

/** A slab of a numeric dataset as read: a typed array of its element type (complex: interleaved re, im). */
/** A window of the last two axes (a frame's rows y0 … y0 + h − 1, columns x0 … x0 + w − 1) that `readSlabs` reads alone. */
export interface SlabWindow { y0: number; x0: number; h: number; w: number }
export type SlabView = Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;
type SlabCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => SlabView;
/** Typed array of each readable dtype, and how many of its values one element is (2 for complex). */
const SLAB_TYPES: Record<string, [SlabCtor, number]> = {
  '|u1': [Uint8Array, 1], '|b1': [Uint8Array, 1], '<u2': [Uint16Array, 1], '<u4': [Uint32Array, 1], '<u8': [BigUint64Array, 1],
  '|i1': [Int8Array, 1], '<i2': [Int16Array, 1], '<i4': [Int32Array, 1], '<i8': [BigInt64Array, 1],
  '<f4': [Float32Array, 1], '<f8': [Float64Array, 1],
  // h5py's {r, i} (or {real, imag}) compound, members at offsets 0 and size/2: interleaved floats in memory.
  '<c8': [Float32Array, 2], '<c16': [Float64Array, 2],
};

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * A name or path read from the file (a link target, another file's name), for a one-line message:
 * control characters escaped (a link target may hold a newline), at most 200 characters.
 */
export function shown(text: string): string {
  const t = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function dtypeOf(md: Record<string, unknown>): { dtype: string; kind: Hdf5DatasetInfo['kind'] } {
  const type = md.type as number;
  const size = md.size as number;
  if (type === 0) { // H5T_INTEGER
    const s = md.signed ? 'i' : 'u';
    return { dtype: `${size === 1 ? '|' : '<'}${s}${size}`, kind: md.signed ? 'int' : 'uint' };
  }
  if (type === 1) return { dtype: `<f${size}`, kind: 'float' }; // H5T_FLOAT
  if (type === 3) return { dtype: 'str', kind: 'string' }; // H5T_STRING
  if (type === 6) { // H5T_COMPOUND: complex numbers as h5py ({r, i}) and most writers ({real, imag}) store them
    const members = ((md.compound_type as { members?: Record<string, unknown>[] } | undefined)?.members) ?? [];
    if (members.length === 2 && members.every((m) => m.type === 1 && m.size === size / 2) &&
      /^(r|re|real)$/i.test(String(members[0]!.name)) && /^(i|im|imag)$/i.test(String(members[1]!.name)) &&
      members[0]!.offset === 0 && members[1]!.offset === size / 2 && (size === 8 || size === 16)) {
      return { dtype: `<c${size}`, kind: 'complex' };
    }
    return { dtype: `other (compound of ${members.length} members)`, kind: 'other' };
  }
  if (type === 8 && size === 1) { // H5T_ENUM: h5py writes numpy's bool as an enum of int8 {FALSE: 0, TRUE: 1}
    const e = md.enum_type as { type?: number; members?: Record<string, unknown> } | undefined;
    const m = e?.members ?? {};
    if (e?.type === 0 && Object.keys(m).length === 2 && Number(m.FALSE) === 0 && Number(m.TRUE) === 1) return { dtype: '|b1', kind: 'bool' };
  }
  const names: Record<number, string> = { 2: 'time', 4: 'bitfield', 5: 'opaque', 7: 'reference', 8: 'enum', 9: 'variable-length', 10: 'array' };
  return { dtype: `other (${names[type] ?? `HDF5 type class ${type}`})`, kind: 'other' };
}

/** A link as stored, not followed. */
export type Link = { type: 'none' } | { type: 'hard' } | { type: 'soft'; target: string } | { type: 'external'; file: string; path: string };

/** Where a path leads, every soft link on the way resolved. */
interface Resolved { kind: EntryKind; path: string }

/** What one lookup has followed so far: the soft links ('a/b → /c'), and the components looked up. */
interface Walked { hops: string[]; lookups: number }

/** An open HDF5 file. Every method throws `Hdf5Error` (exit code 2) with one line naming the file and key. */
export class Hdf5Reader {
  private constructor(
    private readonly lib: H5wasm,
    private readonly h5: H5File,
    /** The path as given, used in messages. */
    readonly file: string,
    /** Size of the file in bytes. */
    readonly fileBytes: number,
    readonly maxDatasetBytes: number,
    private readonly confine: Confinement,
    private readonly memory: MemoryLimit | undefined,
  ) {}

  /** Opens `path` read-only after checking that it is a regular file with the HDF5 signature. */
  static async open(path: string, opts: Hdf5OpenOptions = {}): Promise<Hdf5Reader> {
    let st: fs.Stats;
    try {
      st = statSync(path);
    } catch (err) {
      throw new Hdf5Error(`${path}: cannot read (${(err as Error).message})`);
    }
    if (!st.isFile()) throw new Hdf5Error(`${path}: not a regular file (${entryKind(st)})`);
    let kind;
    try {
      kind = sniffFile(path);
    } catch (err) {
      throw new Hdf5Error(`${path}: cannot read (${unreadableWhy(path, err)})`);
    }
    if (kind !== 'hdf5') {
      throw new Hdf5Error(`${path}: not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, …; ${st.size} bytes)`);
    }
    // A file far longer than its HDF5 data (a sparse file of 100 GB around a few kB of HDF5) is refused: every byte
    // of an input is read once for its SHA-256, which then took minutes. Some slack is left for writers that pad.
    const end = hdf5DataEnd(path);
    if (end !== null && st.size > 2 * end + MAX_TRAILING_BYTES) {
      throw new Hdf5Error(`${path}: expected an HDF5 file that ends near where its superblock says its data ends (byte ${end}); ` +
        `found ${st.size} bytes, ${st.size - end} of them after its end`);
    }
    const lib = await library();
    const confine: Confinement = { path: resolve(path), dev: st.dev, ino: st.ino, outside: [] };
    const r = quietly(() => new lib.File(confine.path, 'r'), confine);
    if (r.thrown !== undefined || r.diag || !r.value) {
      if (r.value) quietly(() => r.value!.close());
      const why = innermostHdf5Message(r.diag) ?? (r.thrown instanceof Error ? r.thrown.message : 'unknown error');
      throw new Hdf5Error(`${path}: cannot open as HDF5, the file is truncated or corrupt (HDF5: ${why})`);
    }
    return new Hdf5Reader(lib, r.value, path, st.size, opts.maxDatasetBytes ?? DEFAULT_MAX_DATASET_BYTES, confine, opts.memoryLimit);
  }

  /**
   * Runs one h5wasm call; a throw or any HDF5 diagnostic becomes an Hdf5Error about `key`, and so does
   * any attempt of the library to open a file other than this one (the open itself was refused).
   */
  private call<T>(key: string, what: string, fn: () => T): T {
    const r = this.attempt(fn);
    const out = this.outsideOpened();
    if (out !== undefined) throw this.outsideError(key, out);
    if (r.thrown !== undefined || r.diag || r.runtime) throw this.failed(key, what, r);
    return r.value as T;
  }

  /** Runs one h5wasm call confined to this file, returning what happened. */
  private attempt<T>(fn: () => T): { value?: T; thrown?: unknown; diag: string; runtime: string } {
    this.confine.outside.length = 0;
    return quietly(fn, this.confine);
  }

  /** The first other file the library tried to open during the last call, if any. */
  private outsideOpened(): string | undefined {
    return this.confine.outside[0];
  }

  private outsideError(key: string, other: string): Hdf5Error {
    const abs = resolve(other);
    return new Hdf5Error(`${this.file}: key '${key}': reading it opens ${shown(other)}${abs !== other ? ` (${shown(abs)})` : ''}, a file outside the named file; ptychostudy reads nothing outside the named file (copy the data into it)`);
  }

  private failed(key: string, what: string, r: { thrown?: unknown; diag: string; runtime?: string }): Hdf5Error {
    const why = innermostHdf5Message(r.diag) ?? (r.thrown instanceof Error ? r.thrown.message : (r.diag || r.runtime || '').trim().split('\n').pop() || String(r.thrown));
    if (r.runtime?.includes('Cannot enlarge memory')) {
      return new Hdf5Error(`${this.file}: key '${key}': ${what} failed: it needs more than the HDF5 library's 2 GiB of memory, far more than any ptychography file's entry (HDF5: ${why})`);
    }
    return new Hdf5Error(`${this.file}: key '${key}': ${what} failed, the file is corrupt or unreadable (HDF5: ${why})`);
  }

  /** Entry error with the DATA-001 wording: `FILE: key 'KEY': expected …; found …`. */
  bad(key: string, expected: string, found: string): Hdf5Error {
    return new Hdf5Error(`${this.file}: key '${key}': expected ${expected}; found ${found}`);
  }

  /** The memory limit the values read must fit. */
  memoryLimit(): MemoryLimit {
    return this.memory ?? memoryLimit();
  }

  /** Refuses to allocate `bytes` for the values of `key` when they exceed the memory limit; `found` describes them. */
  checkFitsMemory(key: string, bytes: number, found: string): void {
    const limit = this.memoryLimit();
    if (bytes > limit.bytes) {
      throw this.bad(key, `values that fit the memory limit of ${formatBytes(limit.bytes)} (${limit.source})`, `${found}, which needs ${formatBytes(bytes)}`);
    }
  }

  /**
   * The link named `name` in the resolved group `parent` ('' for the root), as stored. `key` is the
   * entry asked for (for messages).
   */
  private linkAt(key: string, parent: string, name: string): Link {
    const M = this.lib.Module;
    const fid = this.h5.file_id;
    const path = `${parent}/${name}`;
    // get_symbolic_link looks the link up without following it: a soft link's target, null for any other.
    const soft = this.attempt(() => M.get_symbolic_link(fid, path));
    const out = this.outsideOpened();
    if (out !== undefined) throw this.outsideError(key, out);
    if (soft.thrown !== undefined || soft.diag) {
      // No such link (HDF5 reports an error for that), or a broken file: the group's listing tells which.
      const names = this.call(key, 'listing', () => M.get_names(fid, parent === '' ? '/' : parent, false));
      if (!names.includes(name)) return { type: 'none' };
      throw this.failed(key, 'looking up', soft);
    }
    if (typeof soft.value === 'string') return { type: 'soft', target: soft.value };
    const ext = this.call(key, 'looking up', () => M.get_external_link(fid, path) as { filename?: string; obj_path?: string });
    if (ext && typeof ext.filename === 'string') return { type: 'external', file: ext.filename, path: ext.obj_path ?? '/' };
    return { type: 'hard' };
  }

  /**
   * Walks `parts` from the resolved group `start`, one link at a time: a soft link is resolved here
   * (its target walked the same way; at most MAX_SOFT_LINKS and MAX_PATH_LOOKUPS for the whole
   * lookup), an external link is refused, a dangling soft link is an error.
   */
  private walk(key: string, parts: string[], start: string, walked: Walked): Resolved {
    const M = this.lib.Module;
    let cur = start;
    const names = parts.filter((p) => p.length > 0 && p !== '.');
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const last = i === names.length - 1;
      const path = `${cur}/${name}`;
      if (++walked.lookups > MAX_PATH_LOOKUPS) {
        throw this.bad(key, `a path of at most ${MAX_PATH_LOOKUPS} components, soft links' targets included`, `more (soft links ${walked.hops.slice(0, 3).map(shown).join(', ')}, …)`);
      }
      const link = this.linkAt(key, cur, name);
      if (link.type === 'none') return { kind: 'missing', path };
      if (link.type === 'external') {
        const via = walked.hops;
        const through = via.length > 0 ? ` (${shown(path.slice(1))}, reached through the soft link${via.length > 1 ? 's' : ''} ${via.map(shown).join(', ')})` : '';
        throw new Hdf5Error(`${this.file}: key '${key}': an external link to ${shown(link.file)}:${shown(link.path)}${through}; ptychostudy reads nothing outside the named file (copy the data into it, e.g. with h5copy)`);
      }
      if (link.type === 'soft') {
        if (walked.hops.length >= MAX_SOFT_LINKS) {
          throw this.bad(key, `at most ${MAX_SOFT_LINKS} soft links to follow`, `more (${walked.hops.slice(0, 3).map(shown).join(', ')}, …: a loop?)`);
        }
        walked.hops.push(`${path.slice(1)} → ${link.target}`);
        const target = this.walk(key, link.target.split('/'), link.target.startsWith('/') ? '' : cur, walked);
        if (target.kind === 'missing') {
          const own = path.slice(1) === key.split('/').filter((p) => p.length > 0 && p !== '.').join('/');
          throw new Hdf5Error(`${this.file}: key '${key}': a soft link${own ? '' : ` (at ${shown(path.slice(1))})`} to ${shown(link.target)}, which does not exist`);
        }
        if (last) return target;
        if (target.kind !== 'group') return { kind: 'missing', path: target.path };
        cur = target.path;
        continue;
      }
      const t = this.call(key, 'looking up', () => M.get_type(this.h5.file_id, path));
      if (t === M.H5G_GROUP) { if (last) return { kind: 'group', path }; cur = path; continue; }
      if (t === M.H5G_DATASET) return { kind: last ? 'dataset' : 'missing', path };
      if (t < 0) return { kind: 'missing', path };
      return { kind: last ? 'other' : 'missing', path };
    }
    return { kind: 'group', path: cur === '' ? '/' : cur };
  }

  private resolve(key: string): Resolved {
    return this.walk(key, key.split('/'), '', { hops: [], lookups: 0 });
  }

  /**
   * What `key` is ('group', 'dataset', 'missing' or 'other'), walking the path one link at a time.
   * Refused (Hdf5Error): an external link anywhere on the path or on the way of a soft link on it, a
   * dangling soft link (broken, which is not the same as absent), more than MAX_SOFT_LINKS soft links
   * or MAX_PATH_LOOKUPS components to look up.
   */
  kind(key: string): EntryKind {
    return this.resolve(key).kind;
  }

  has(key: string): boolean {
    return this.kind(key) !== 'missing';
  }

  /**
   * The link `name` of group `group` as stored, not followed: hard, soft (its target) or external (its file
   * and path; nothing of that file is opened).
   */
  linkOf(group: string, name: string): Link {
    const r = this.resolve(group);
    if (r.kind !== 'group') throw this.bad(group, 'a group', r.kind === 'missing' ? 'it missing' : `a ${r.kind}`);
    return this.linkAt(`${group === '/' ? '' : group}/${name}`, r.path === '/' ? '' : r.path, name);
  }

  /** Names in group `key` (sorted as HDF5 lists them). */
  keys(key: string): string[] {
    const r = this.resolve(key);
    if (r.kind !== 'group') throw this.bad(key, 'a group', r.kind === 'missing' ? 'it missing' : `a ${r.kind}`);
    return this.call(key, 'listing', () => this.lib.Module.get_names(this.h5.file_id, r.path, false));
  }

  private dataset(key: string, expected: string): { d: H5Dataset; path: string } {
    const r = this.resolve(key);
    if (r.kind !== 'dataset') throw this.bad(key, expected, r.kind === 'missing' ? 'it missing' : `a ${r.kind}, not a dataset`);
    return { d: this.call(key, 'opening', () => this.h5.get(r.path) as H5Dataset), path: r.path };
  }

  /** Shape, type, size, layout and filters of dataset `key`, from its metadata (nothing is read). */
  info(key: string, expected = 'a dataset'): Hdf5DatasetInfo {
    const { d, path } = this.dataset(key, expected);
    const md = this.call(key, 'reading the metadata', () => d.metadata) as unknown as Record<string, unknown>;
    const filters = this.call(key, 'reading the filters', () => d.filters) as { id: number; name: string }[];
    // A null dataspace (md.shape null) holds no value at all.
    const shape = ((md.shape as number[] | null) ?? []).map(Number);
    const { dtype, kind } = dtypeOf(md);
    const itemsize = Number(md.size);
    const elements = md.shape === null ? 0 : product(shape);
    const chunks = (md.chunks as number[] | null) ? (md.chunks as number[]).map(Number) : null;
    const virtualSources = ((md.virtual_sources as { file_name?: unknown; dset_name?: unknown }[] | undefined) ?? [])
      .map((v) => ({ file: String(v.file_name), dataset: String(v.dset_name) }));
    return { key, path, shape, dtype, kind, itemsize, elements, bytes: elements * itemsize, chunks, filters: filters.map((f) => ({ id: f.id, name: f.name })), virtualSources };
  }

  /**
   * Refuses, before anything is allocated, a dataset that is too large, needs a filter the library
   * lacks, is chunked beyond the bounds above, or keeps its data in another file (a virtual dataset
   * with sources elsewhere; external raw storage, found by reading one value: the library's attempt to
   * open the other file is refused, so nothing of it is read).
   */
  checkReadable(info: Hdf5DatasetInfo, limitBytes = this.maxDatasetBytes): void {
    const where = `${this.file}: key '${info.key}'`;
    if (info.bytes > limitBytes) {
      throw new Hdf5Error(`${where}: expected a dataset of at most ${limitBytes} bytes; found one that declares ${info.bytes} bytes (shape ${fmtShape(info.shape)} of ${info.dtype})`);
    }
    const elsewhere = info.virtualSources.filter((v) => v.file !== '.');
    if (elsewhere.length > 0) {
      const v = elsewhere[0]!;
      throw new Hdf5Error(`${where}: a virtual dataset with data in ${shown(v.file)}:${shown(v.dataset)}${elsewhere.length > 1 ? ` and ${elsewhere.length - 1} more source${elsewhere.length > 2 ? 's' : ''} outside this file` : ''}; ptychostudy reads nothing outside the named file (copy the data into it, e.g. with h5copy)`);
    }
    // External raw storage first: a dataset stored in another file may well be larger than this one.
    const storage = !info.chunks && info.virtualSources.length === 0 && info.elements > 0 ? this.checkStorageInFile(info) : undefined;
    if (info.filters.length === 0 && info.bytes > this.fileBytes) {
      throw new Hdf5Error(`${where}: expected uncompressed data that fits in the file (${this.fileBytes} bytes); found it declares ${info.bytes} bytes (shape ${fmtShape(info.shape)} of ${info.dtype})`);
    }
    for (const f of info.filters) {
      if (!BUILTIN_FILTERS.has(f.id)) {
        const name = PLUGIN_FILTERS.get(f.id) ?? f.name ?? 'unknown';
        throw new Hdf5Error(`${where}: compressed with the ${name} filter (HDF5 filter id ${f.id}), which needs a plugin; supported: ${[...BUILTIN_FILTERS.values()].join(', ')} (re-save with gzip, e.g. h5repack -f GZIP=4)`);
      }
    }
    if (info.chunks) this.checkChunks(info);
    const rowBytes = info.shape.length === 0 ? info.itemsize : (info.elements / Math.max(1, info.shape[0]!)) * info.itemsize;
    if (rowBytes > MAX_READ_BYTES) {
      throw this.bad(info.key, `at most ${MAX_READ_BYTES} bytes in one row along the first axis`, `shape ${fmtShape(info.shape)} of ${info.dtype} (${rowBytes} bytes per row)`);
    }
    if (storage) throw storage;
  }

  /** The chunk bounds: MAX_CHUNK_BYTES, MAX_SMALL_CHUNKS / MIN_CHUNK_BYTES, MAX_CHUNKS_PER_READ across one row. */
  private checkChunks(info: Hdf5DatasetInfo): void {
    const c = info.chunks!;
    const shape = `shape ${fmtShape(c)}`;
    const chunkBytes = product(c) * info.itemsize;
    if (c.length !== info.shape.length || c.some((d) => !(Number.isInteger(d) && d >= 1))) {
      throw this.bad(info.key, `chunks of rank ${info.shape.length}, each dimension ≥ 1`, `chunk ${shape}`);
    }
    if (chunkBytes > MAX_CHUNK_BYTES) {
      throw this.bad(info.key, `chunks of at most ${MAX_CHUNK_BYTES} bytes (HDF5 holds a whole chunk in memory to read any of it)`, `chunk ${shape} of ${info.dtype} (${chunkBytes} bytes)`);
    }
    const count = info.shape.reduce((a, s, i) => a * Math.ceil(s / c[i]!), 1);
    if (count > MAX_SMALL_CHUNKS && chunkBytes < MIN_CHUNK_BYTES) {
      throw this.bad(info.key, `at most ${MAX_SMALL_CHUNKS} chunks, or chunks of at least ${MIN_CHUNK_BYTES} bytes (every chunk costs HDF5 time and memory to read; re-chunk it, e.g. with h5repack -l CHUNK=…)`,
        `${count} chunks of ${shape} (${chunkBytes} byte${chunkBytes === 1 ? '' : 's'} each)`);
    }
    const perRow = info.shape.slice(1).reduce((a, s, i) => a * Math.ceil(s / c[i + 1]!), 1);
    if (perRow > MAX_CHUNKS_PER_READ) {
      throw this.bad(info.key, `at most ${MAX_CHUNKS_PER_READ} chunks across one row along the first axis (re-chunk it, e.g. with h5repack -l CHUNK=…)`,
        `${perRow} chunks of ${shape} per row of ${fmtShape(info.shape)}`);
    }
  }

  /**
   * A contiguous dataset may keep its raw data in other files (HDF5 external storage, which h5wasm's
   * metadata does not show): reading its first value makes the library open the first of them, which
   * the confinement refuses, so nothing of it is read and the refusal (thrown here) names the file.
   * Any other failure of that read is returned, for the caller to report after its own checks.
   */
  private checkStorageInFile(info: Hdf5DatasetInfo): Hdf5Error | undefined {
    const M = this.lib.Module;
    const ptr = M._malloc(Math.max(16, info.itemsize));
    if (!ptr) throw new Hdf5Error(`${this.file}: key '${info.key}': cannot allocate ${info.itemsize} bytes for reading (library memory exhausted)`);
    try {
      const rank = info.shape.length;
      const ones = info.shape.map(() => 1n);
      const r = this.attempt(() => M.get_dataset_data(this.h5.file_id, info.path, rank ? ones : null, rank ? info.shape.map(() => 0n) : null, rank ? ones : null, BigInt(ptr)));
      const out = this.outsideOpened();
      if (out !== undefined) {
        const abs = resolve(out);
        throw new Hdf5Error(`${this.file}: key '${info.key}': its raw data is stored outside the named file, in ${shown(out)}${abs !== out ? ` (${shown(abs)})` : ''} (HDF5 external storage); ptychostudy reads nothing outside the named file (copy the data into it)`);
      }
      return r.thrown !== undefined || r.diag ? this.failed(info.key, 'reading', r) : undefined;
    } finally {
      M._free(ptr);
    }
  }

  /**
   * Rows per read for `info`: at most `wanted`, at most MAX_READ_BYTES, and spanning at most
   * MAX_CHUNKS_PER_READ chunks — a whole number of chunk rows, so that every read starts on a chunk
   * boundary, or a divisor of the chunk's first dimension when even one chunk row is too many.
   */
  private rowsPerRead(info: Hdf5DatasetInfo, wanted: number): number {
    const rows = info.shape[0]!;
    const rowBytes = (info.elements / Math.max(1, rows)) * info.itemsize;
    let per = Math.max(1, Math.min(wanted, rows, Math.floor(MAX_READ_BYTES / Math.max(1, rowBytes))));
    const c = info.chunks;
    if (c && c.length === info.shape.length && rows > 0) {
      const c0 = c[0]!;
      const perRow = info.shape.slice(1).reduce((a, s, i) => a * Math.ceil(s / c[i + 1]!), 1);
      const chunkRows = Math.max(1, Math.floor(MAX_CHUNKS_PER_READ / perRow));
      if (per >= c0) per = Math.min(Math.floor(per / c0), chunkRows) * c0;
      else {
        // Less than one chunk row: the largest divisor of c0 not above `per`, so that no read straddles two chunk rows.
        let best = 1;
        for (let d = 1; d * d <= c0; d++) {
          if (c0 % d !== 0) continue;
          if (d <= per && d > best) best = d;
          if (c0 / d <= per && c0 / d > best) best = c0 / d;
        }
        per = best;
      }
    }
    return per;
  }

  /**
   * Reads numeric or complex dataset `info` in slabs of at most `rowsPerSlab` rows along its first axis
   * (fewer where the chunk bounds above require), straight into one buffer in the library's memory
   * (allocated once), and hands each slab to `fn` as a typed-array view of that memory — valid only
   * during the call; complex values come as interleaved (re, im). No copy is made on the JavaScript
   * side (h5wasm's own `slice` copies every slab into a fresh array; on this machine class, touching
   * fresh memory costs about 0.9 s per GB). HDF5 converts the stored type (any byte order) to native
   * little-endian. A 0-d dataset is one slab of one row.
   */
  readSlabs(info: Hdf5DatasetInfo, rowsPerSlab: number, fn: (slab: SlabView, firstRow: number, rows: number) => void, window?: SlabWindow): void {
    const slabType = SLAB_TYPES[info.dtype];
    if (!slabType) throw this.bad(info.key, 'an integer, float or complex dataset', `dtype ${info.dtype}`);
    const scalar = info.shape.length === 0;
    const rows = scalar ? 1 : info.shape[0]!;
    if (rows === 0 || info.elements === 0) return;
    if (window !== undefined) {
      const s = info.shape, [h, w] = [s[s.length - 2]!, s[s.length - 1]!];
      const ok = s.length >= 3 && [window.y0, window.x0, window.h, window.w].every((v) => Number.isInteger(v) && v >= 0) &&
        window.h >= 1 && window.w >= 1 && window.y0 + window.h <= h && window.x0 + window.w <= w;
      if (!ok) throw new Error(`window rows ${window.y0} + ${window.h}, columns ${window.x0} + ${window.w} outside the ${h}×${w} frames of ${info.key}`);
    }
    // the number of rows per read is that of whole frames: a window of them reads less, over no more chunks
    this.readRowRange(info, slabType, 0, 0, rows, scalar ? 1 : this.rowsPerRead(info, rowsPerSlab), fn, window);
  }

  /**
   * The reads of `readSlabs` and `readComplexRows`: rows `start … start + count − 1` along axis `lead` of dataset `info`
   * (every axis before it of size 1; a 0-d dataset is one row), in reads of at most `per` rows that start at multiples
   * of `per` from row 0 (so that they keep to the chunk rows `rowsPerRead` chose), each into one buffer of the library's
   * memory allocated once, handed to `fn` as a view of the rows read (valid only during the call) with the first row's
   * index and the number of rows.
   */
  private readRowRange(info: Hdf5DatasetInfo, [Ctor, lanes]: [SlabCtor, number], lead: number, start: number, count: number, per: number,
    fn: (slab: SlabView, firstRow: number, rows: number) => void, window?: SlabWindow): void {
    const scalar = info.shape.length === 0;
    const restShape = info.shape.slice(lead + 1);
    const restOffset = restShape.map(() => 0);
    if (window !== undefined) {
      // the last two axes (the frame) read from [y0, x0], h × w
      restShape.splice(-2, 2, window.h, window.w);
      restOffset.splice(-2, 2, window.y0, window.x0);
    }
    const rest = restShape.map((d) => BigInt(d));
    const rowElems = product(restShape);
    const M = this.lib.Module;
    const bytes = Math.min(per, count) * rowElems * info.itemsize;
    const ptr = M._malloc(bytes);
    if (!ptr) throw new Hdf5Error(`${this.file}: key '${info.key}': cannot allocate ${bytes} bytes for reading (library memory exhausted)`);
    try {
      const ones = Array.from({ length: lead }, () => 1n), zeros = Array.from({ length: lead }, () => 0n);
      const strides = info.shape.map(() => 1n);
      for (let a = Math.floor(start / per) * per; a < start + count; a += per) {
        const r0 = Math.max(a, start), r1 = Math.min(a + per, start + count);
        this.call(info.key, 'reading', () => M.get_dataset_data(this.h5.file_id, info.path,
          scalar ? null : [...ones, BigInt(r1 - r0), ...rest], scalar ? null : [...zeros, BigInt(r0), ...restOffset.map((o) => BigInt(o))], scalar ? null : strides, BigInt(ptr)));
        // The view is made after the call: the library's memory may have grown (a new buffer) meanwhile.
        fn(new Ctor(M.HEAPU8.buffer, ptr, (r1 - r0) * rowElems * lanes), r0, r1 - r0);
      }
    } finally {
      M._free(ptr);
    }
  }

  /**
   * Rows `rows` (indices along the first axis) of the numeric dataset `info`, each as float64, read one row at
   * a time: only those rows (and the chunks holding them) are read, not the whole dataset. Checked as
   * `checkReadable` checks a dataset before anything is allocated.
   */
  readRowsFloat64(info: Hdf5DatasetInfo, rows: readonly number[]): Float64Array[] {
    if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw this.bad(info.key, 'a numeric dataset', `dtype ${info.dtype}`);
    const slabType = SLAB_TYPES[info.dtype];
    if (!slabType || info.shape.length < 1) throw this.bad(info.key, 'a numeric dataset of rank ≥ 1', `dtype ${info.dtype}, shape ${fmtShape(info.shape)}`);
    this.checkReadable(info);
    const n = info.shape[0]!;
    const rowElems = n === 0 ? 0 : info.elements / n;
    const M = this.lib.Module;
    const ptr = M._malloc(Math.max(1, rowElems * info.itemsize));
    if (!ptr) throw new Hdf5Error(`${this.file}: key '${info.key}': cannot allocate ${rowElems * info.itemsize} bytes for reading (library memory exhausted)`);
    try {
      const rest = info.shape.slice(1).map((d) => BigInt(d));
      const strides = info.shape.map(() => 1n);
      return rows.map((row) => {
        if (!(Number.isInteger(row) && row >= 0 && row < n)) throw this.bad(info.key, `a row index below ${n}`, String(row));
        this.call(info.key, 'reading', () => M.get_dataset_data(this.h5.file_id, info.path, [1n, ...rest], [BigInt(row), ...rest.map(() => 0n)], strides, BigInt(ptr)));
        const view = new slabType[0](M.HEAPU8.buffer, ptr, rowElems);
        const out = new Float64Array(rowElems);
        if (view instanceof BigInt64Array || view instanceof BigUint64Array) for (let i = 0; i < rowElems; i++) out[i] = Number(view[i]!);
        else out.set(view);
        return out;
      });
    } finally {
      M._free(ptr);
    }
  }

  /**
   * The whole numeric (integer or float) dataset `key` as float64, checked against `maxElements` and
   * the memory limit before anything is allocated. Integers beyond 2^53 lose precision (they are
   * counts or indices here, far below that).
   */
  readFloat64(key: string, expected: string, maxElements: number): { shape: number[]; data: Float64Array } {
    const info = this.info(key, expected);
    if (info.kind !== 'float' && info.kind !== 'int' && info.kind !== 'uint') throw this.bad(key, expected, `dtype ${info.dtype}`);
    if (info.dtype === '<f2' || info.itemsize > 8) throw this.bad(key, expected, `dtype ${info.dtype} (unsupported width)`);
    if (info.elements > maxElements) throw this.bad(key, expected, `shape ${fmtShape(info.shape)} (${info.elements} elements, more than ${maxElements})`);
    this.checkReadable(info);
    this.checkFitsMemory(key, 8 * info.elements, `shape ${fmtShape(info.shape)} of ${info.dtype} (read as float64)`);
    const out = new Float64Array(info.elements);
    const rowElems = info.shape.length === 0 ? 1 : info.elements / Math.max(1, info.shape[0]!);
    this.readSlabs(info, Math.max(1, Math.floor(SLAB_BYTES / Math.max(1, rowElems * info.itemsize))), (slab, s) => {
      const base = s * rowElems;
      if (slab instanceof BigInt64Array || slab instanceof BigUint64Array) {
        for (let i = 0; i < slab.length; i++) out[base + i] = Number(slab[i]!);
      } else out.set(slab, base);
    });
    return { shape: info.shape, data: out };
  }

  /** A single number: a 0-d dataset or one of one element (shape [1], [1, 1] …). */
  readScalar(key: string, expected: string): number {
    const info = this.info(key, expected);
    if (info.kind === 'string') throw this.bad(key, expected, 'a string');
    if (info.elements !== 1) throw this.bad(key, expected, info.elements === 0 && info.shape.length === 0 ? 'no value (an empty dataspace)' : `shape ${fmtShape(info.shape)}`);
    return this.readFloat64(key, expected, 1).data[0]!;
  }

  /**
   * A short text: a string dataset holding one string (0-d or of one element), fixed-length of at most
   * `maxChars` bytes or variable-length, and the string at most `maxChars` characters.
   */
  readText(key: string, expected: string, maxChars: number): string {
    const info = this.info(key, expected);
    if (info.kind !== 'string') throw this.bad(key, expected, `dtype ${info.dtype}`);
    if (info.elements !== 1) throw this.bad(key, expected, info.elements === 0 && info.shape.length === 0 ? 'no value (an empty dataspace)' : `shape ${fmtShape(info.shape)}`);
    const { d } = this.dataset(key, expected);
    const md = this.call(key, 'reading the metadata', () => d.metadata) as unknown as Record<string, unknown>;
    if (md.vlen !== true && info.itemsize > maxChars) throw this.bad(key, expected, `a string of ${info.itemsize} bytes (more than ${maxChars})`);
    let v = this.call(key, 'reading', () => d.value) as unknown;
    if (Array.isArray(v) && v.length === 1) v = v[0];
    if (typeof v !== 'string') throw this.bad(key, expected, 'a value that is not text');
    if (v.length > maxChars) throw this.bad(key, expected, `a string of ${v.length} characters (more than ${maxChars})`);
    return v;
  }

  /**
   * A complex dataset as interleaved (re, im) float64, checked against `maxElements` and the memory
   * limit before anything is allocated. With `firstRows`, only that many rows along the first axis
   * are read (and checked).
   */
  readComplex(key: string, expected: string, maxElements: number, opts: { firstRows?: number } = {}): { shape: number[]; data: Float64Array } {
    const info = this.info(key, expected);
    if (info.kind !== 'complex') throw this.bad(key, expected, `dtype ${info.dtype}`);
    let shape = info.shape;
    if (opts.firstRows !== undefined && shape.length > 0 && opts.firstRows < shape[0]!) shape = [opts.firstRows, ...shape.slice(1)];
    const elements = product(shape);
    if (elements > maxElements) throw this.bad(key, expected, `shape ${fmtShape(info.shape)} (${elements} elements, more than ${maxElements})`);
    this.checkReadable(info);
    this.checkFitsMemory(key, 16 * elements, `shape ${fmtShape(shape)} of ${info.dtype} (read as complex128)`);
    const part: Hdf5DatasetInfo = { ...info, shape, elements, bytes: elements * info.itemsize };
    const out = new Float64Array(2 * elements);
    const rowElems = shape.length === 0 ? 1 : elements / Math.max(1, shape[0]!);
    this.readSlabs(part, Math.max(1, Math.floor(SLAB_BYTES / Math.max(1, rowElems * info.itemsize))), (slab, s) => {
      out.set(slab as Float32Array | Float64Array, 2 * s * rowElems);
    });
    return { shape, data: out };
  }

  /**
   * Rows `start … start + count − 1` of a complex image `info` [h, w] (or [1, …, 1, h, w]) as interleaved (re, im)
   * float64 [count, w]: only those rows (and the chunks holding them) are read, in slabs that keep to the chunk rows
   * as `readSlabs` does. Checked as `checkReadable` checks a dataset, and the rows against the memory limit, before
   * anything is allocated.
   */
  readComplexRows(info: Hdf5DatasetInfo, expected: string, start: number, count: number): Float64Array {
    if (info.kind !== 'complex') throw this.bad(info.key, expected, `dtype ${info.dtype}`);
    const slabType = SLAB_TYPES[info.dtype];
    const s = info.shape, lead = s.length - 2;
    if (!slabType || lead < 0 || s.slice(0, lead).some((d) => d !== 1)) throw this.bad(info.key, expected, `shape ${fmtShape(s)}`);
    const [h, w] = [s[lead]!, s[lead + 1]!];
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= h)) {
      throw this.bad(info.key, `rows within 0 … ${h - 1}`, `${start} … ${start + count - 1}`);
    }
    this.checkReadable(info);
    this.checkFitsMemory(info.key, 16 * count * w, `${count} rows of ${w} of ${info.dtype} (read as complex128)`);
    const out = new Float64Array(2 * count * w);
    if (count === 0 || w === 0) return out;
    // slabs as readSlabs cuts the image [h, w] (its chunks' last two sides), aligned to them from row 0
    const image: Hdf5DatasetInfo = { ...info, shape: [h, w], elements: h * w, bytes: h * w * info.itemsize, chunks: info.chunks ? info.chunks.slice(lead) : null };
    const per = this.rowsPerRead(image, Math.max(1, Math.floor(SLAB_BYTES / Math.max(1, w * info.itemsize))));
    this.readRowRange(info, slabType, lead, start, count, per, (slab, r0) => {
      out.set(slab as Float32Array | Float64Array, 2 * (r0 - start) * w);
    });
    return out;
  }

  /** Attribute `name` of entry `key` (a number, string, typed array…), or undefined when absent. */
  attr(key: string, name: string): unknown {
    const r = this.resolve(key);
    if (r.kind === 'missing') return undefined;
    const entry = this.call(key, 'opening', () => this.h5.get(r.path));
    const attrs = this.call(key, 'reading the attributes', () => (entry as { attrs?: Record<string, { value: unknown }> }).attrs ?? {});
    if (!Object.prototype.hasOwnProperty.call(attrs, name)) return undefined;
    return this.call(`${key}@${name}`, 'reading the attribute', () => attrs[name]!.value);
  }

  close(): void {
    quietly(() => this.h5.close(), this.confine);
  }
}

/** Opens, runs `fn`, closes. */
export async function withHdf5<T>(path: string, fn: (r: Hdf5Reader) => T | Promise<T>, opts: Hdf5OpenOptions = {}): Promise<T> {
  const r = await Hdf5Reader.open(path, opts);
  try {
    return await fn(r);
  } finally {
    r.close();
  }
}
