/**
 * Recognising a file by its first bytes, not by its name: an HDF5 file (CXI, PtyPy's .ptyd/.ptyr,
 * ptychodus's .h5, NeXus …) or a zip archive (NumPy's .npz).
 *
 * HDF5's superblock starts with the 8-byte signature \x89HDF\r\n\x1a\n at byte 0 or, when the file has
 * a user block, at byte 512, 1024, 2048, … (a power of two ≥ 512), which is where the HDF5 library
 * itself searches.
 *
 * Only a regular file is opened (files/regular.ts, `openForReading`): a named pipe (FIFO) blocks `open` until some
 * other process writes to it, forever if none does, and a device can be endless. Anything else at the path is an
 * `InputError` naming it ("<path>: not a regular file (a named pipe)"); a path that names nothing is Node's ENOENT.
 */
import { closeSync, readSync } from 'node:fs';
import { brokenLink, openForReading, refuseNonRegular } from '../../files/regular.js';
import { InputError } from '../../errors.js';

export const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Why `path` could not be opened or read, in the words after "cannot read (": the words of `openForReading`'s
 * `InputError` after the path ("not a regular file (a named pipe)", "a symbolic link to T, which does not exist"),
 * "no such file", or Node's own message.
 */
export function unreadableWhy(path: string, err: unknown): string {
  if (err instanceof InputError && err.message.startsWith(`${path}: `)) return err.message.slice(path.length + 2);
  const code = (err as NodeJS.ErrnoException).code;
  return brokenLink(path, err) ?? (code === 'ENOENT' ? 'no such file' : code === 'ENOTDIR' ? 'a part of the path is not a directory' : (err as Error).message);
}

function readAt(fd: number, buf: Uint8Array, position: number): number {
  return readSync(fd, buf, 0, buf.length, position);
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Byte offset of the HDF5 signature (0, 512, 1024, …), or null when the file carries none. */
export function hdf5SignatureOffset(path: string): number | null {
  const { fd, size } = openForReading(path);
  try {
    const buf = new Uint8Array(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      if (readAt(fd, buf, off) === 8 && equal(buf, HDF5_SIGNATURE)) return off;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

export type FileKind = 'hdf5' | 'zip' | 'unknown';

/**
 * What the file is, from its first bytes: 'hdf5', 'zip' (an .npz) or 'unknown'. Throws for anything
 * but a regular file (an `InputError` "<path>: not a regular file (a named pipe)") before opening it.
 */
export function sniffFile(path: string): FileKind {
  const { fd } = openForReading(path);
  try {
    const head = new Uint8Array(8);
    const n = readAt(fd, head, 0);
    // Local file header "PK\x03\x04", or the end record "PK\x05\x06" of an empty archive.
    if (n >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'zip';
  } finally {
    closeSync(fd);
  }
  return hdf5SignatureOffset(path) !== null ? 'hdf5' : 'unknown';
}

/**
 * `sniffFile` for a file a command was given to read (`what`: "the probe file"): refused first when it is not a
 * regular file (`refuseNonRegular`: opening a named pipe blocks until a writer comes), and any other failure to
 * read it is one InputError line naming it.
 */
export function sniffInputFile(path: string, what = ''): FileKind {
  refuseNonRegular(path);
  try {
    return sniffFile(path);
  } catch (err) {
    // a path that names nothing: said in words, not as Node's `ENOENT: no such file or directory, open '…'`
    throw new InputError(`${path}: cannot read${what ? ` ${what}` : ''} (${unreadableWhy(path, err)})`);
  }
}

/**
 * Where the HDF5 data of a file ends, by its superblock (HDF5 File Format Specification, superblock versions 0–3):
 * its "end of file address" taken from its base address to where the superblock lies. The HDF5 library writes the
 * end address counted from byte 0 of the file, user block included, beside a base address equal to the
 * superblock's position (h5py's `userblock_size=512`: base 512, end = the file's length); a file that got bytes
 * prepended keeps base 0 and is read from where the superblock was found, so its end moves with it. Null when the
 * superblock cannot be read or holds no such address (the HDF5 library then has its say).
 */
export function hdf5DataEnd(path: string): number | null {
  const at = hdf5SignatureOffset(path);
  if (at === null) return null;
  const { fd } = openForReading(path);
  try {
    const b = Buffer.alloc(64);
    if (readAt(fd, b, at) < 32) return null;
    const version = b[8]!;
    const sizeOfOffsets = version <= 1 ? b[13]! : b[9]!;
    if (![2, 4, 8].includes(sizeOfOffsets)) return null;
    // versions 0 and 1: base, free-space and end-of-file addresses after 24 (v1: 28) bytes; 2 and 3: base,
    // superblock extension and end-of-file addresses after 12
    const first = version === 0 ? 24 : version === 1 ? 28 : version <= 3 ? 12 : -1;
    if (first < 0) return null;
    const eofAt = first + 2 * sizeOfOffsets;
    if (eofAt + sizeOfOffsets > b.length) return null;
    const address = (p: number): number | null => {
      let v = 0;
      for (let k = sizeOfOffsets - 1; k >= 0; k--) v = v * 256 + b[p + k]!;
      return v >= 2 ** 53 || v === 2 ** (8 * sizeOfOffsets) - 1 ? null : v; // "undefined address": all bits set
    };
    const base = address(first), eof = address(eofAt);
    if (base === null || eof === null || eof < base) return null;
    return at + (eof - base);
  } finally {
    closeSync(fd);
  }
}
