/**
 * The bounds the `.npy` / `.npz` reader enforces before it allocates or decodes anything, so that no
 * file — however small, however crafted — can make a command hang or exhaust memory. Each one is
 * far above what NumPy, PtychoPINN, pty-chi or ptychostudy write (docs/limits.md says why each value).
 * Every refusal is an `NpyError` / `NpzError` (exit code 2) naming the file, the key, the limit and
 * what was found.
 */
import { constants as bufferConstants } from 'node:buffer';

/** Bytes of a `.npy` header dict. NumPy's own reader refuses more than 10 000 by default. */
export const MAX_NPY_HEADER_BYTES = 65_536;

/** Dimensions of an array (NumPy 2 allows 64, NumPy 1 allows 32). */
export const MAX_NDIM = 64;

/**
 * Elements of a string (`<U`, `|S`) or object (`|O`) array. Each element becomes its own JavaScript
 * value (tens of bytes even when empty), so the count — not the byte size — bounds the memory; a
 * zero-width dtype (`<U0`, `|S0`) has no bytes at all to bound it.
 */
export const MAX_STRING_ELEMENTS = 2 ** 22;

/** Characters of one `<U` element: the longest string V8 can build. */
export const MAX_STRING_CHARS = bufferConstants.MAX_STRING_LENGTH;

/** Bytes of the pickle of an object (`|O`) array (checked on the declared member size, before inflating). */
export const MAX_PICKLE_BYTES = 64 * 2 ** 20;

/** Bytes of one pickled integer (LONG1/LONG4): 8192 bits, about 2466 decimal digits. */
export const MAX_PICKLE_INT_BYTES = 1024;

/**
 * Values (and marks) one pickle may create: the element limit plus room for the array's own
 * structure. The interpreter never recurses, so nesting costs nothing beyond this count.
 */
export const MAX_PICKLE_VALUES = MAX_STRING_ELEMENTS + 4096;
