/**
 * Builds CXI files with h5wasm for the tests: the fixture's measurement (test/fixtures/cxi/scan.cxi)
 * with any entry left out, replaced or added, so hostile variants need no Python; and the other HDF5 inputs
 * (PtyPy prepared data, a ptychodus product) of given contents.
 */
import h5wasm, { Dataset, Group } from 'h5wasm/node';
import { readCxi } from '../../src/data/cxi.js';
import type { MeasuredData } from '../../src/data/measured.js';

await h5wasm.ready;

let base: MeasuredData | undefined;

/** The fixture's measurement (read once). */
export async function fixtureMeasurement(): Promise<MeasuredData> {
  base ??= await readCxi('test/fixtures/cxi/scan.cxi');
  return base;
}

/** A dataset to write: data, its shape and dtype (h5wasm spelling: '<f', '<d', '<I', '<i', '<h'…); null leaves the key out. */
export interface Entry { data: unknown; shape?: number[]; dtype?: string; maxshape?: (number | null)[]; chunks?: number[]; /** gzip level (needs chunks) */ gzip?: number; /** attributes of the dataset */ attrs?: Record<string, string | number> }

/** The fixture's entries, keyed by CXI path. */
export async function fixtureEntries(): Promise<Record<string, Entry>> {
  const m = await fixtureMeasurement();
  const counts = new Uint32Array(m.diffraction.length);
  for (let i = 0; i < counts.length; i++) counts[i] = Math.round(m.diffraction[i]! ** 2);
  const t = new Float64Array(3 * m.n);
  for (let i = 0; i < m.n; i++) { t[3 * i] = m.positionsM.x[i]!; t[3 * i + 1] = m.positionsM.y[i]!; }
  const p = m.probe!.data;
  const re = new Float32Array(p.length / 2), im = new Float32Array(p.length / 2);
  for (let i = 0; i < re.length; i++) { re[i] = p[2 * i]!; im[i] = p[2 * i + 1]!; }
  return {
    'entry_1/data_1/data': { data: counts, shape: [m.n, m.H, m.W], dtype: '<I' },
    'entry_1/sample_1/geometry_1/translation': { data: t, shape: [m.n, 3], dtype: '<d' },
    'entry_1/instrument_1/source_1/energy': { data: m.geometry.energyJ, dtype: '<d' },
    'entry_1/instrument_1/detector_1/distance': { data: m.geometry.distanceM, dtype: '<d' },
    'entry_1/instrument_1/detector_1/x_pixel_size': { data: m.geometry.detectorPixelM[1], dtype: '<d' },
    'entry_1/instrument_1/detector_1/y_pixel_size': { data: m.geometry.detectorPixelM[0], dtype: '<d' },
    'entry_1/instrument_1/source_1/illumination': { data: new Map([['r', re], ['i', im]]), shape: [m.H, m.W] },
  };
}

/**
 * The entries of a small CXI scan of `counts` [n, h, w] (float32, or uint32 for a Uint32Array): positions on a raster two
 * wide, 1 µm apart (`position` may change them), a photon of 1.2817e-15 J (8 keV), a 2 m detector of 75 µm pixels, and
 * with `probe` a probe of ones of the frames' size.
 */
export function cxiScanEntries(counts: Float32Array | Uint32Array, shape: number[],
  opts: { probe?: boolean; position?: (t: Float64Array) => void } = {}): Record<string, Entry> {
  const [n, h, w] = [shape[0]!, shape[1]!, shape[2]!];
  const t = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) { t[3 * i] = (i % 2) * 1e-6; t[3 * i + 1] = Math.floor(i / 2) * 1e-6; }
  opts.position?.(t);
  return {
    'entry_1/data_1/data': { data: counts, shape, dtype: counts instanceof Uint32Array ? '<I' : '<f' },
    'entry_1/sample_1/geometry_1/translation': { data: t, shape: [n, 3], dtype: '<d' },
    'entry_1/instrument_1/source_1/energy': { data: 1.2817e-15, dtype: '<d' },
    'entry_1/instrument_1/detector_1/distance': { data: 2, dtype: '<d' },
    'entry_1/instrument_1/detector_1/x_pixel_size': { data: 75e-6, dtype: '<d' },
    'entry_1/instrument_1/detector_1/y_pixel_size': { data: 75e-6, dtype: '<d' },
    ...(opts.probe ? { 'entry_1/instrument_1/source_1/illumination': { data: new Map([['r', new Float32Array(h * w).fill(1)], ['i', new Float32Array(h * w)]]), shape: [h, w] } } : {}),
  };
}

/** Writes `entries` (null values are skipped) into a new HDF5 file at `path`. */
export function writeHdf5(path: string, entries: Record<string, Entry | null>, links: { soft?: Record<string, string>; external?: Record<string, [string, string]> } = {}): void {
  const f = new h5wasm.File(path, 'w');
  try {
    const group = (p: string): Group => {
      let g: Group = f;
      for (const part of p.split('/').filter((s) => s)) {
        const next = g.get(part);
        g = (next instanceof Group ? next : g.create_group(part));
      }
      return g;
    };
    for (const [key, e] of Object.entries(entries)) {
      if (e === null) continue;
      const i = key.lastIndexOf('/');
      const g = group(key.slice(0, Math.max(0, i)));
      const d = g.create_dataset({ name: key.slice(i + 1), data: e.data as never, ...(e.shape ? { shape: e.shape } : {}), ...(e.dtype ? { dtype: e.dtype } : {}), ...(e.maxshape ? { maxshape: e.maxshape } : {}), ...(e.chunks ? { chunks: e.chunks } : {}), ...(e.gzip !== undefined ? { compression: e.gzip } : {}) });
      for (const [name, value] of Object.entries(e.attrs ?? {})) d.create_attribute(name, value);
    }
    for (const [name, target] of Object.entries(links.soft ?? {})) {
      const i = name.lastIndexOf('/');
      group(name.slice(0, Math.max(0, i))).create_soft_link(target, name.slice(i + 1));
    }
    for (const [name, [file, target]] of Object.entries(links.external ?? {})) {
      const i = name.lastIndexOf('/');
      group(name.slice(0, Math.max(0, i))).create_external_link(file, target, name.slice(i + 1));
    }
  } finally {
    f.close();
  }
}

/** Resizes dataset `key` of an existing file (it must have been written with a `maxshape`). */
export function resizeDataset(path: string, key: string, shape: number[]): void {
  const f = new h5wasm.File(path, 'a');
  try {
    (f.get(key) as Dataset).resize(shape);
  } finally {
    f.close();
  }
}

/** A ptychodus product whose object is [30, 30] ones sampled at `pixelM` (m, both axes), with a 4 × 4 probe. */
export function writeProductObject(path: string, pixelM: number): string {
  const complex = (k: number): Entry['data'] => new Map([['r', new Float32Array(k).fill(1)], ['i', new Float32Array(k)]]);
  writeHdf5(path, {
    probe: { data: complex(16), shape: [1, 4, 4] },
    probe_position_x_m: { data: new Float64Array([0, 1e-6]), shape: [2], dtype: '<d' },
    object: { data: complex(900), shape: [30, 30], attrs: { pixel_height_m: pixelM, pixel_width_m: pixelM } },
  });
  return path;
}

/** What `writePtyd` writes otherwise than by default. */
export interface PtydOptions {
  /** (y, x) scan positions in m, [n, 2] interleaved (default: a grid two wide with a 1 µm step). */
  positionsM?: Float64Array;
  /** meta/energy in keV (default 8). */
  energyKeV?: number;
  /** meta/distance in m (default 2). */
  distanceM?: number;
  /** meta/psize [y, x] in m (default 75 µm). */
  psizeM?: [number, number];
  /** meta/center [y, x] in pixels, written only when given. */
  center?: number[];
  /** Chunks the frames are stored in (`chunks/<i>/data` and `positions`, split evenly, in order; default 1). */
  chunks?: number;
  /** Whether meta/shape is written (default true). */
  shape?: boolean;
}

/**
 * PtyPy prepared data (.ptyd, PtyScan's layout) of `counts` [n, H, W] (float32 or float64, stored as given), by
 * default in one chunk: (y, x) positions in m on a grid two wide with a 1 µm step, energy 8 keV, distance 2 m, pixel
 * size 75 µm and the frames' shape in meta (`opts` changes each). It holds no probe (a reconstruction of it is given a
 * model).
 */
export function writePtyd(path: string, counts: Float32Array | Float64Array, shape: [number, number, number], opts: PtydOptions = {}): string {
  const [n, h, w] = shape;
  let p = opts.positionsM;
  if (p === undefined) {
    p = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) { p[2 * i] = Math.floor(i / 2) * 1e-6; p[2 * i + 1] = (i % 2) * 1e-6; }
  }
  const chunks = opts.chunks ?? 1, per = Math.ceil(n / chunks);
  const datasets: Parameters<typeof writeHdf5>[1] = {};
  for (let c = 0; c < chunks; c++) {
    const a = c * per, b = Math.min(n, a + per);
    datasets[`chunks/${c}/data`] = { data: counts.subarray(a * h * w, b * h * w), shape: [b - a, h, w], dtype: counts instanceof Float32Array ? '<f' : '<d' };
    datasets[`chunks/${c}/positions`] = { data: p.subarray(2 * a, 2 * b), shape: [b - a, 2], dtype: '<d' };
  }
  writeHdf5(path, {
    ...datasets,
    'meta/energy': { data: opts.energyKeV ?? 8, dtype: '<d' },
    'meta/distance': { data: opts.distanceM ?? 2, dtype: '<d' },
    'meta/psize': { data: new Float64Array(opts.psizeM ?? [75e-6, 75e-6]), shape: [2], dtype: '<d' },
    ...(opts.shape ?? true ? { 'meta/shape': { data: new BigInt64Array([BigInt(h), BigInt(w)]), shape: [2], dtype: '<q' } } : {}),
    ...(opts.center !== undefined ? { 'meta/center': { data: new Float64Array(opts.center), shape: [2], dtype: '<d' } } : {}),
  });
  return path;
}
