/**
 * Copies an HDF5 fixture with some datasets left out, replaced or added and some attributes changed, so
 * that a test can make a malformed variant of a real layout (a .ptyd, a .ptyr, a ptychodus product)
 * with h5wasm alone. Numeric, string and complex ({r, i} compound) datasets are copied with their
 * attributes; anything else (e.g. PtyPy's boolean weights) is left out.
 */
import h5wasm, { Dataset, Group } from 'h5wasm/node';

await h5wasm.ready;

/** A dataset to write: data, shape and dtype as h5wasm takes them ('<d', '<f', '<i' …; omitted: guessed). */
export interface NewDataset { data: unknown; shape?: number[]; dtype?: string }

export interface Rewrite {
  /** Entries (datasets or groups) not copied. */
  drop?: string[];
  /** Datasets written instead of (or besides) the source's. */
  datasets?: Record<string, NewDataset>;
  /** Groups added (empty). */
  groups?: string[];
  /** Attributes set on entries of the copy (undefined: removed). */
  attrs?: Record<string, Record<string, unknown>>;
}

function groupAt(f: Group, path: string): Group {
  let g = f;
  for (const part of path.split('/').filter((s) => s)) {
    const next = g.get(part);
    g = next instanceof Group ? next : g.create_group(part);
  }
  return g;
}

function copyAttrs(from: Dataset | Group, to: Dataset | Group): void {
  for (const [name, a] of Object.entries(from.attrs)) {
    const v = (a as { value: unknown }).value;
    if (typeof v === 'number' || typeof v === 'string' || ArrayBuffer.isView(v)) to.create_attribute(name, v as never);
  }
}

export function rewriteHdf5(src: string, dst: string, change: Rewrite = {}): void {
  const from = new h5wasm.File(src, 'r');
  const to = new h5wasm.File(dst, 'w');
  const dropped = (p: string): boolean => (change.drop ?? []).some((d) => p === d || p.startsWith(`${d}/`));
  try {
    const walk = (g: Group, prefix: string): void => {
      for (const name of g.keys()) {
        const path = `${prefix}${name}`;
        if (dropped(path) || change.datasets?.[path] !== undefined) continue;
        const e = from.get(path);
        if (e instanceof Group) {
          copyAttrs(e, groupAt(to, path));
          walk(e, `${path}/`);
        } else if (e instanceof Dataset) {
          const dtype = e.dtype as unknown;
          let data: unknown = e.value;
          if (Array.isArray(dtype)) { // complex as an {r, i} compound
            const pairs = data as [number, number][];
            data = new Map([['r', Float32Array.from(pairs, (p) => p[0])], ['i', Float32Array.from(pairs, (p) => p[1])]]);
          } else if (typeof dtype !== 'string' || dtype === 'unknown') continue;
          const i = path.lastIndexOf('/');
          const parent = groupAt(to, path.slice(0, Math.max(0, i)));
          const shape = e.shape ?? [];
          const typed = typeof dtype === 'string' && dtype !== 'S' ? { dtype } : {};
          const made = parent.create_dataset({ name: path.slice(i + 1), data: data as never, shape, ...typed });
          copyAttrs(e, made);
        }
      }
    };
    walk(from, '');
    for (const g of change.groups ?? []) groupAt(to, g);
    for (const [path, d] of Object.entries(change.datasets ?? {})) {
      const i = path.lastIndexOf('/');
      groupAt(to, path.slice(0, Math.max(0, i))).create_dataset({ name: path.slice(i + 1), data: d.data as never, ...(d.shape ? { shape: d.shape } : {}), ...(d.dtype ? { dtype: d.dtype } : {}) });
    }
    for (const [path, attrs] of Object.entries(change.attrs ?? {})) {
      const e = to.get(path) as Dataset | Group;
      for (const [name, v] of Object.entries(attrs)) {
        if (Object.prototype.hasOwnProperty.call(e.attrs, name)) e.delete_attribute(name);
        if (v !== undefined) e.create_attribute(name, v as never);
      }
    }
  } finally {
    to.close();
    from.close();
  }
}
