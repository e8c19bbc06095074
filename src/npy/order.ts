/**
 * Copies a Fortran-ordered (column-major) array into C (row-major) order.
 * `comps` values make one element (2 for interleaved complex). `src` and `dst` must not overlap.
 */
export function fortranToC<T>(src: ArrayLike<T>, dst: { [i: number]: T }, shape: readonly number[], comps = 1): void {
  const nd = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  if (nd < 2 || size === 0) {
    for (let k = 0; k < size * comps; k++) dst[k] = src[k]!;
    return;
  }
  const fs: number[] = [];
  let s = comps;
  for (let j = 0; j < nd; j++) { fs.push(s); s *= shape[j]!; }
  const idx = new Array<number>(nd).fill(0);
  let f = 0;
  for (let c = 0; c < size * comps; c += comps) {
    for (let k = 0; k < comps; k++) dst[c + k] = src[f + k]!;
    for (let j = nd - 1; j >= 0; j--) {
      idx[j]!++;
      f += fs[j]!;
      if (idx[j]! < shape[j]!) break;
      f -= fs[j]! * shape[j]!;
      idx[j] = 0;
    }
  }
}
