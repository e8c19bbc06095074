#!/usr/bin/python3
"""Writes the HDF5 fixtures of test/fixtures/hdf5-types/ with h5py (run: /usr/bin/python3 scripts/make-hdf5-type-fixtures.py).

A minimal CXI measurement (4 patterns of 8 x 8 uint32 counts, positions [4, 3] in m, energy, distance, pixel
sizes and a complex64 8 x 8 probe), then, one file each, that file with one dataset replaced by a dataset of
a type or a shape no reader here takes for it: every file must be refused in one line naming the file, the key,
what was expected and what was found (test/data/hdf5-types.test.ts).

  base.cxi                    the valid measurement the others are made from
  <place>-<type>.cxi          <place>: data (entry_1/data_1/data, the patterns), translation
                              (entry_1/sample_1/geometry_1/translation), energy (entry_1/instrument_1/source_1/energy),
                              probe (entry_1/instrument_1/source_1/illumination), mask
                              (entry_1/instrument_1/detector_1/mask, which base.cxi has none of);
                              <type>: compound (a compound of three floats {a, b, c}), compound-xy (two floats {x, y},
                              not named as a complex number), float16, string (fixed-length bytes), vlen-string,
                              enum (uint8 enum {LOW, HIGH}), vlen (variable-length float arrays), opaque (void,
                              4 bytes), bitfield (8 bits), reference (object references), scalar (a 0-d float where
                              an array belongs; for energy, which is a scalar, a 1-d array of 4 values instead)
  ptyd-<type>.ptyd            PtyPy prepared data (chunks/0/data, chunks/0/positions, meta/energy, meta/distance,
                              meta/psize) with chunks/0/data of <type> (float16, compound, enum, opaque, scalar)
  probe-file-<format>-<type>  a probe file (reconstruction.initProbe file:PATH) for base.cxi's patterns with its probe of
                              <type>: <format> product (.h5: ptychodus's product layout, 'probe') or ptyr (.ptyr: PtyPy's
                              reconstruction layout, content/probe/S00G00/data); a CXI probe file is probe-<type>.cxi
  object-file-<format>-<type> an object file (reconstruction.initObject file:PATH) with its object of <type>: <format>
                              product ('object'), ptyr (content/obj/S00G00/data) or cxi (entry_1/image_1/data, the CXI
                              format's Image class)
  ptyd-meta-<key>-<type>.ptyd PtyPy prepared data whose meta/<key> (energy, distance, psize, center or shape) is of
                              <type>, or <type> nan, inf (a non-finite value) or shape (psize [3], center [3], shape [3],
                              energy and distance [0], no value: a shape no reader takes); ptyd-meta-shape-disagrees.ptyd:
                              meta/shape [16, 16] beside 8 x 8 frames
  int32-shape.ptyd            meta/shape [8, 8] as int32 (PtyScan writes numpy's default integer: int64, or int32 where
                              that is numpy's default): read
  declared-huge.cxi           the measurement with entry_1/data_1/data a chunked, gzip-compressed uint32 dataset
                              declared [1024, 256, 256] (256 MiB as float32 amplitudes; an LSQML job of it needs
                              over 1 GiB) holding 4 patterns written and fill values elsewhere, and 1024 positions
                              on a 32 x 32 raster: a few KB on disk (the memory limit is checked from the shapes)
  declared-huge.ptyd          the same in PtyPy's layout, chunks/0/data declared [1024, 256, 256]

Written with h5py 3.7.0 on HDF5 1.10.8, numpy 1.24.2 (libver 'latest': the smallest files). HDF5 records the time
of writing in each file, so a new run changes every file's bytes, not its values: `--only PREFIX` writes only the
files whose names start with PREFIX (a file added later, without rewriting the others).
"""
import os
import sys

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'hdf5-types')
N, n = 8, 4
DATA = 'entry_1/data_1/data'
TRANS = 'entry_1/sample_1/geometry_1/translation'
ENERGY = 'entry_1/instrument_1/source_1/energy'
PROBE = 'entry_1/instrument_1/source_1/illumination'
HUGE_N = 1024
OBJ = 14  # the side of base.cxi's object frame (8 x 8 patterns, positions 2 object pixels apart, margin 2 on each side)
MASK = 'entry_1/instrument_1/detector_1/mask'
PLACES = {'data': DATA, 'translation': TRANS, 'energy': ENERGY, 'probe': PROBE, 'mask': MASK}


def counts():
    y, x = np.mgrid[0:N, 0:N]
    c = (1000 * np.exp(-((y - N / 2) ** 2 + (x - N / 2) ** 2) / 4.0)).astype(np.uint32) + 1
    return np.stack([c + k for k in range(n)]).astype(np.uint32)


def translation():
    t = np.zeros((n, 3))
    t[:, 0] = [0, 1e-6, 0, 1e-6]
    t[:, 1] = [0, 0, 1e-6, 1e-6]
    return t


def probe():
    y, x = np.mgrid[0:N, 0:N]
    return (np.exp(-((y - N / 2) ** 2 + (x - N / 2) ** 2) / 8.0) * (1 + 0.5j)).astype(np.complex64)


def base(f):
    f.create_dataset(DATA, data=counts())
    f.create_dataset(TRANS, data=translation())
    f.create_dataset(ENERGY, data=np.float64(1.2817e-15))
    f.create_dataset('entry_1/instrument_1/detector_1/distance', data=np.float64(2.0))
    f.create_dataset('entry_1/instrument_1/detector_1/x_pixel_size', data=np.float64(75e-6))
    f.create_dataset('entry_1/instrument_1/detector_1/y_pixel_size', data=np.float64(75e-6))
    f.create_dataset(PROBE, data=probe())


def odd(f, key, kind, shape):
    """A dataset of `kind` at `key`, of `shape` (the shape the key should have)."""
    count = int(np.prod(shape)) if shape else 1
    if kind == 'compound':
        dt = np.dtype([('a', '<f4'), ('b', '<f4'), ('c', '<f4')])
        f.create_dataset(key, shape=shape, dtype=dt, data=np.zeros(shape, dt))
    elif kind == 'compound-xy':
        dt = np.dtype([('x', '<f8'), ('y', '<f8')])
        f.create_dataset(key, shape=shape, dtype=dt, data=np.ones(shape, dt))
    elif kind == 'float16':
        f.create_dataset(key, data=np.ones(shape, np.float16))
    elif kind == 'string':
        f.create_dataset(key, data=np.full(shape, b'1.0', dtype='S8'))
    elif kind == 'vlen-string':
        f.create_dataset(key, shape=shape, dtype=h5py.string_dtype(), data=np.full(shape, '1.0', dtype=object))
    elif kind == 'enum':
        dt = h5py.enum_dtype({'LOW': 0, 'HIGH': 1}, basetype='u1')
        f.create_dataset(key, shape=shape, dtype=dt, data=np.ones(shape, np.uint8))
    elif kind == 'vlen':
        dt = h5py.vlen_dtype(np.float64)
        d = f.create_dataset(key, shape=shape, dtype=dt)
        flat = np.empty(count, dtype=object)
        for i in range(count):
            flat[i] = np.array([1.0, 2.0])
        if len(shape) == 1:  # h5py broadcasts a 1-d object array of arrays as 2-d: one element at a time
            for i in range(count):
                d[i] = flat[i]
        elif shape:
            d[...] = flat.reshape(shape)
        else:
            d[()] = flat[0]
    elif kind == 'opaque':
        f.create_dataset(key, data=np.zeros(shape, dtype='V4'))
    elif kind == 'bitfield':
        tid = h5py.h5t.STD_B8LE.copy()
        space = h5py.h5s.create_simple(tuple(shape)) if shape else h5py.h5s.create(h5py.h5s.SCALAR)
        parent, name = key.rsplit('/', 1) if '/' in key else ('/', key)
        h5py.h5d.create(f.require_group(parent).id, name.encode(), tid, space)
    elif kind == 'reference':
        dt = h5py.ref_dtype
        d = f.create_dataset(key, shape=shape, dtype=dt)
        flat = np.empty(count, dtype=object)
        for i in range(count):
            flat[i] = (f['entry_1'] if 'entry_1' in f else f).ref
        if shape:
            d[...] = flat.reshape(shape)
        else:
            d[()] = flat[0]
    elif kind == 'scalar':
        # a 0-d value where an array belongs; for a scalar key, an array where a scalar belongs
        f.create_dataset(key, data=np.float64(1.0) if shape else np.full(4, 1.2817e-15))
    else:
        raise ValueError(kind)


KINDS = ['compound', 'compound-xy', 'float16', 'string', 'vlen-string', 'enum', 'vlen', 'opaque', 'bitfield', 'reference', 'scalar']
SHAPES = {'data': [n, N, N], 'translation': [n, 3], 'energy': [], 'probe': [N, N], 'mask': [N, N]}


ONLY = sys.argv[sys.argv.index('--only') + 1] if '--only' in sys.argv else ''


def write(path, fn):
    if not os.path.basename(path).startswith(ONLY):
        return
    with h5py.File(path, 'w', libver='latest') as f:
        fn(f)


def main():
    os.makedirs(OUT, exist_ok=True)
    write(os.path.join(OUT, 'base.cxi'), base)
    for place, key in PLACES.items():
        for kind in KINDS:
            def fn(f, key=key, kind=kind, place=place):
                base(f)
                if key in f:
                    del f[key]
                odd(f, key, kind, SHAPES[place])
            write(os.path.join(OUT, f'{place}-{kind}.cxi'), fn)

    def ptyd(f, data=None):
        f.create_dataset('chunks/0/data', data=counts()) if data is None else data(f)
        f.create_dataset('chunks/0/positions', data=translation()[:, [1, 0]])
        f.create_dataset('meta/energy', data=np.float64(8.0))
        f.create_dataset('meta/distance', data=np.float64(2.0))
        f.create_dataset('meta/psize', data=np.float64(75e-6))
    for kind in ['float16', 'compound', 'enum', 'opaque', 'scalar']:
        write(os.path.join(OUT, f'ptyd-{kind}.ptyd'), lambda f, kind=kind: ptyd(f, lambda g: odd(g, 'chunks/0/data', kind, [n, N, N])))

    # PtyPy's meta values: each of energy, distance, psize, center, shape of an odd type, a shape no reader takes, or not finite
    meta_shapes = {'energy': [], 'distance': [], 'psize': [2], 'center': [2], 'shape': [2]}
    meta_values = {'energy': 8.0, 'distance': 2.0, 'psize': 75e-6, 'center': N / 2, 'shape': N}
    for key, shape in meta_shapes.items():
        def meta(f, kind, key=key, shape=shape):
            ptyd(f)
            if key in ('center', 'shape'):
                f.create_dataset(f'meta/{key}', data=np.full(2, meta_values[key]))
            del f[f'meta/{key}']
            if kind in ('nan', 'inf'):
                v = np.full(shape, float(meta_values[key])) if shape else np.float64(meta_values[key])
                if shape:
                    v[-1] = np.nan if kind == 'nan' else np.inf
                else:
                    v = np.float64(np.nan if kind == 'nan' else np.inf)
                f.create_dataset(f'meta/{key}', data=v)
            elif kind == 'shape':
                f.create_dataset(f'meta/{key}', data=np.full([3] if shape else [0], meta_values[key]))
            else:
                odd(f, f'meta/{key}', kind, shape)
        for kind in KINDS + ['nan', 'inf', 'shape']:
            write(os.path.join(OUT, f'ptyd-meta-{key}-{kind}.ptyd'), lambda f, kind=kind, meta=meta: meta(f, kind))

    # meta/shape as PtyScan writes it (u.expect2(sh) // rebin: numpy integers [2]), of other frames, and as int32
    def frame_shape(f, value):
        ptyd(f)
        f.create_dataset('meta/shape', data=value)
    write(os.path.join(OUT, 'ptyd-meta-shape-disagrees.ptyd'), lambda f: frame_shape(f, np.array([2 * N, 2 * N], np.int64)))
    write(os.path.join(OUT, 'int32-shape.ptyd'), lambda f: frame_shape(f, np.array([N, N], np.int32)))

    # probe and object files for base.cxi's patterns (8 x 8) and its object frame, one dataset of an odd type each
    def product(f, probe_kind=None, object_kind=None):
        f.attrs['name'] = 'fixture'
        f.attrs['comments'] = 'odd type'
        f.attrs['detector_object_distance_m'] = 2.0
        f.attrs['probe_energy_eV'] = 8000.0
        f.attrs['exposure_time_s'] = 0.0
        f.create_dataset('probe_position_indexes', data=np.arange(n))
        f.create_dataset('probe_position_x_m', data=translation()[:, 0])
        f.create_dataset('probe_position_y_m', data=translation()[:, 1])
        if probe_kind is None:
            f.create_dataset('probe', data=probe()[None, None])
        else:
            odd(f, 'probe', probe_kind, [N, N])
        if object_kind is None:
            f.create_dataset('object', data=np.ones((1, OBJ, OBJ), np.complex64))
        else:
            odd(f, 'object', object_kind, [OBJ, OBJ])
        f.create_dataset('object_layer_spacing_m', data=np.zeros(0))

    def ptyr(f, probe_kind=None, object_kind=None):
        f.attrs['h5rw_version'] = '0.1'
        f.create_group('header').attrs['type'] = 'dict'
        for group, kind, shape, valid in [('probe', probe_kind, [N, N], lambda: probe()[None] * N), ('obj', object_kind, [OBJ, OBJ], lambda: np.ones((1, OBJ, OBJ), np.complex64))]:
            key = f'content/{group}/S00G00/data'
            if kind is None:
                f.create_dataset(key, data=valid())
            else:
                odd(f, key, kind, shape)

    def cxi_image(f, kind):
        odd(f, 'entry_1/image_1/data', kind, [OBJ, OBJ])

    for kind in KINDS:
        write(os.path.join(OUT, f'probe-file-product-{kind}.h5'), lambda f, kind=kind: product(f, probe_kind=kind))
        write(os.path.join(OUT, f'probe-file-ptyr-{kind}.ptyr'), lambda f, kind=kind: ptyr(f, probe_kind=kind))
        write(os.path.join(OUT, f'object-file-product-{kind}.h5'), lambda f, kind=kind: product(f, object_kind=kind))
        write(os.path.join(OUT, f'object-file-ptyr-{kind}.ptyr'), lambda f, kind=kind: ptyr(f, object_kind=kind))
        write(os.path.join(OUT, f'object-file-cxi-{kind}.cxi'), lambda f, kind=kind: cxi_image(f, kind))

    # declared far larger than any memory limit the tests set, a few KB on disk: 4 patterns written, the rest fill
    def huge(f, key):
        d = f.create_dataset(key, shape=(HUGE_N, 256, 256), dtype='<u4', chunks=(1, 256, 256), compression='gzip')
        d[0:n] = np.pad(counts(), ((0, 0), (124, 124), (124, 124)), constant_values=1)
    def huge_cxi(f):
        base(f)
        del f[DATA]
        huge(f, DATA)
        del f[TRANS]
        t = np.zeros((HUGE_N, 3))
        t[:, 0] = (np.arange(HUGE_N) % 32) * 2e-7
        t[:, 1] = (np.arange(HUGE_N) // 32) * 2e-7
        f.create_dataset(TRANS, data=t, chunks=(HUGE_N, 3), compression='gzip')
        del f[PROBE]
    write(os.path.join(OUT, 'declared-huge.cxi'), huge_cxi)

    def huge_ptyd(f):
        ptyd(f, lambda g: huge(g, 'chunks/0/data'))
        del f['chunks/0/positions']
        p = np.zeros((HUGE_N, 2))
        p[:, 1] = (np.arange(HUGE_N) % 32) * 2e-7
        p[:, 0] = (np.arange(HUGE_N) // 32) * 2e-7
        f.create_dataset('chunks/0/positions', data=p, chunks=(HUGE_N, 2), compression='gzip')
    write(os.path.join(OUT, 'declared-huge.ptyd'), huge_ptyd)


if __name__ == '__main__':
    main()
