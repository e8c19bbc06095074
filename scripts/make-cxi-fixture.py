#!/usr/bin/python3
"""Writes the HDF5 fixtures of test/fixtures/cxi/ with h5py (run: /usr/bin/python3 scripts/make-cxi-fixture.py).

A small simulated far-field ptychography measurement (40 patterns of 32 x 32, Poisson counts) of a
known object, stored as:
  scan.cxi            CXI as ptychodus reads it: entry_1/instrument_1/detector_1/data (uint32 counts,
                      gzip) with entry_1/data_1/data a soft link to it, entry_1/sample_1/geometry_1/translation
                      [n, 3] metres (x, y, z) with entry_1/data_1/translation a soft link to it, source_1/energy
                      (J), detector_1/distance, x_pixel_size, y_pixel_size (m), source_1/illumination (the probe,
                      complex64);
  scan-noprobe.cxi    the same without the probe;
  scan.ptyd           the same data in PtyPy's prepared-data layout (io.h5write of PtyScan: chunks/<k>/data,
                      chunks/<k>/positions as (y, x) metres, chunks/<k>/indices, chunks/<k>/weights,
                      meta/energy in keV, meta/distance, meta/psize, meta/shape, meta/center), two chunks;
  probe-product.h5    the probe in ptychodus's product layout (H5ProductFileIO.write: root attributes,
                      probe_position_indexes/_x_m/_y_m, probe with pixel_width_m/pixel_height_m, object
                      with center and pixel size, object_layer_spacing_m, loss_epochs/loss_values);
  probe.ptyr          the probe in PtyPy's reconstruction layout (content/probe/<id>/data, _psize), on the scale of
                      PtyPy's unitary far-field propagator: N times the probe above;
  external-raw.cxi,   one 8 x 8 pattern stored outside the file (HDF5 external storage in /dev/zero; a
  vds-elsewhere.cxi   virtual dataset of scan.cxi): files ptychostudy must refuse (see below);
  scan-xy.cxi,        6 patterns of 24 x 32 with x_pixel_size 75 um, y_pixel_size 50 um, positions drawn
  two-translations.cxi  over 4 um in x and 9 um in y, a non-square probe: a file on which x and y cannot be confused,
                      read by ptychodus's own CXI reader (scripts/ptychodus-read-cxi.py); the second with
                      entry_1/data_1/translation a dataset of its own holding x and y swapped (see write_xy);
                      `make-cxi-fixture.py --xy` writes these two alone;
  frames.cxi          scan.cxi's measurement as a detector would record it at twice the sampling (written from
                      scan.cxi: `make-cxi-fixture.py --frames` writes it alone): each count c split into 2 x 2 pixels
                      (c - 3 floor(c/4), then floor(c/4) three times) of half the pixel size, the 64 x 64 window at
                      rows 6..69, columns 40..103 of 80 x 112 frames (beam at [38, 72]) whose other pixels hold
                      1000 + (flat pixel index mod 7), and a mask [80, 112] (see write_frames): cropping the window
                      and binning it 2 x 2 gives scan.cxi back (test/data/crop-bin.test.ts, with what ptychodus's own
                      crop and binning make of it: scripts/ptychodus-read-cxi.py --crop 38,72,64 --bin 2);
  object.npy          the true object (complex64, rows x columns) the patterns were simulated from;
  expected.json       every value written: energy, wavelength, distance, pixel sizes, object pixel size,
                      translations, the scan centres in the object's pixels, the probe, library versions.

The layouts of the .ptyd, product and .ptyr files follow the writers' source (ptypy io/h5rw.py and
core/data.py at 1681bec; ptychodus plugins/h5_product_file.py at 7ccf581): neither program is run here.

Physics: scan centre (row, column) = top-left + N/2 of an N x N patch on the integer grid;
exit wave psi = P * O[r0:r0+N, c0:c0+N]; counts ~ Poisson(|fftshift(fft2(psi))|^2) (DC at [N/2, N/2]);
the stored probe P is scaled so that |fft2(P * O_patch)|^2 is the expected count directly.
Positions in metres: x = (c0 + N/2 - W/2) * dx, y = (r0 + N/2 - H/2) * dy, dx = dy = lambda z / (N p).
"""
import json
import os
import sys

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'cxi')
SEED = 20240607
N = 32
ROWS, COLS, STEP = 8, 5, 5          # 40 positions on a jittered raster
OBJ_H, OBJ_W = 80, 64               # object rows x columns (not square: an axis swap cannot go unnoticed)
PHOTONS = 2.0e5                     # mean counts per pattern

# Exact SI constants.
H_PLANCK = 6.62607015e-34
C_LIGHT = 299792458.0
EV = 1.602176634e-19
ENERGY_EV = 8000.0
ENERGY_J = ENERGY_EV * EV
WAVELENGTH = H_PLANCK * C_LIGHT / ENERGY_J
DISTANCE = 2.0
PIXEL = 75e-6
DX = WAVELENGTH * DISTANCE / (N * PIXEL)

rng = np.random.default_rng(SEED)


def smooth(shape, sigma):
    noise = rng.standard_normal(shape)
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.fftfreq(shape[1])[None, :]
    g = np.exp(-2 * (np.pi * sigma) ** 2 * (ky ** 2 + kx ** 2))
    out = np.real(np.fft.ifft2(np.fft.fft2(noise) * g))
    return (out - out.mean()) / out.std()


# Object: smooth amplitude and phase plus an off-centre bright square (an asymmetric feature).
amp = 0.85 + 0.08 * smooth((OBJ_H, OBJ_W), 4.0)
phase = 0.6 * smooth((OBJ_H, OBJ_W), 3.0)
amp[10:22, 40:50] = 1.0
phase[10:22, 40:50] += 0.8
obj = (amp * np.exp(1j * phase)).astype(np.complex64)

# Probe: a soft disc with a converging quadratic phase, centred on [N/2, N/2].
yy, xx = np.mgrid[0:N, 0:N]
r2 = (yy - N // 2) ** 2 + (xx - N // 2) ** 2
probe = (np.exp(-r2 / (2 * 4.5 ** 2)) * np.exp(-1j * 0.04 * r2)).astype(np.complex128)

# Scan: top-left corners on a jittered raster (integers), row-major order.
top_left = []
for i in range(ROWS):
    for j in range(COLS):
        r0 = 4 + STEP * i + int(rng.integers(-1, 2))
        c0 = 4 + STEP * j + int(rng.integers(-1, 2))
        top_left.append((r0, c0))
top_left = np.array(top_left)
assert top_left.min() >= 0 and (top_left[:, 0] + N).max() <= OBJ_H and (top_left[:, 1] + N).max() <= OBJ_W
n = len(top_left)

exit_power = np.mean([np.sum(np.abs(probe * obj[r:r + N, c:c + N].astype(np.complex128)) ** 2) for r, c in top_left])
# Parseval: sum |fft2(psi)|^2 = N^2 sum |psi|^2; scale the probe so the mean pattern holds PHOTONS counts.
probe *= np.sqrt(PHOTONS / (N * N * exit_power))
probe = probe.astype(np.complex64)
expected = np.empty((n, N, N))
for k, (r, c) in enumerate(top_left):
    psi = probe.astype(np.complex128) * obj[r:r + N, c:c + N].astype(np.complex128)
    expected[k] = np.abs(np.fft.fftshift(np.fft.fft2(psi))) ** 2
counts = rng.poisson(expected).astype(np.uint32)

centre_rows = top_left[:, 0] + N / 2
centre_cols = top_left[:, 1] + N / 2
x_m = (centre_cols - OBJ_W / 2) * DX
y_m = (centre_rows - OBJ_H / 2) * DX
translation = np.stack([x_m, y_m, np.zeros(n)], axis=1)

# The latest file format keeps small files small; its groups (the root group too) would record
# creation times, so they are made without: the same bytes on every run.
def group(parent, name):
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    return h5py.Group(h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl))


def latest_file(path):
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    return h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


# scan-xy.cxi: a file on which x and y cannot be confused, for scripts/ptychodus-read-cxi.py (what ptychodus's own CXI
# reader reads of it is test/fixtures/ptychodus/cxi-read-by-ptychodus.json): 6 patterns of 24 rows x 32 columns
# (uint16 counts), x_pixel_size 75 um and y_pixel_size 50 um, so the object pixel differs in x and y; positions
# [n, 3] (x, y, z) drawn over 4 um in x and 9 um in y around an offset (x < 0, y > 0, z = 1 mm); a non-square probe
# [24, 32] (complex64). two-translations.cxi: the same, but entry_1/data_1/translation is a dataset of its own
# holding the positions with x and y swapped, instead of a link to entry_1/sample_1/geometry_1/translation (a file
# in which the two keys disagree: ptychodus reads data_1's, ptychostudy refuses it). Written with the latest file
# format and no creation times: the same bytes on every run. Their own seed, so that they can be written alone
# (`make-cxi-fixture.py --xy`) without touching the other files.
def write_xy():
    r = np.random.default_rng(SEED + 1)
    n, h, w = 6, 24, 32
    energy_j = 6200.0 * EV
    x_px, y_px = 75e-6, 50e-6
    xyz = np.stack([-3.0e-6 + 4.0e-6 * r.random(n), 12.0e-6 + 9.0e-6 * r.random(n), np.full(n, 1.0e-3)], axis=1)
    counts = r.poisson(40.0, size=(n, h, w)).astype(np.uint16)
    yy, xx = np.mgrid[0:h, 0:w]
    probe = (np.exp(-((yy - h / 2) ** 2 / 18.0 + (xx - w / 2) ** 2 / 50.0)) * np.exp(1j * 0.1 * (xx - 2 * yy))).astype(np.complex64)
    for name in ['scan-xy.cxi', 'two-translations.cxi']:
        with latest_file(os.path.join(OUT, name)) as f:
            e = group(f, 'entry_1')
            inst = group(e, 'instrument_1')
            det = group(inst, 'detector_1')
            det.create_dataset('data', data=counts)
            det['distance'] = 1.5
            det['x_pixel_size'] = x_px
            det['y_pixel_size'] = y_px
            src = group(inst, 'source_1')
            src['energy'] = energy_j
            src.create_dataset('illumination', data=probe)
            group(group(e, 'sample_1'), 'geometry_1').create_dataset('translation', data=xyz)
            d1 = group(e, 'data_1')
            d1['data'] = h5py.SoftLink('/entry_1/instrument_1/detector_1/data')
            if name == 'scan-xy.cxi':
                d1['translation'] = h5py.SoftLink('/entry_1/sample_1/geometry_1/translation')
            else:
                d1.create_dataset('translation', data=xyz[:, [1, 0, 2]])


# frames.cxi (module docstring): scan.cxi's counts, probe and geometry at twice the sampling, off centre in larger
# frames, with a CXI mask of the frames' size: one sub-pixel of binned pixel (5, 7) invalid (bit 0), all four of
# (20, 3) saturated (bit 1), one of (9, 3) noisy (bit 10: measured), and two pixels outside the window (bits 0, 3).
FRAMES_SHAPE, FRAMES_WINDOW = (80, 112), (6, 40)


def write_frames():
    with h5py.File(os.path.join(OUT, 'scan.cxi'), 'r') as f:
        c = f['entry_1/instrument_1/detector_1/data'][()].astype(np.uint32)
        probe_in = f['entry_1/instrument_1/source_1/illumination'][()]
        xyz = f['entry_1/sample_1/geometry_1/translation'][()]
        energy_j = float(f['entry_1/instrument_1/source_1/energy'][()])
        distance = float(f['entry_1/instrument_1/detector_1/distance'][()])
        pixel = float(f['entry_1/instrument_1/detector_1/x_pixel_size'][()])
    n, h, w = c.shape
    fh, fw = FRAMES_SHAPE
    y0, x0 = FRAMES_WINDOW
    frames = np.empty((n, fh, fw), dtype=np.uint32)
    frames[:] = (1000 + np.arange(fh * fw) % 7).reshape(fh, fw)
    q = c // 4
    win = frames[:, y0:y0 + 2 * h, x0:x0 + 2 * w]
    win[:, 0::2, 0::2] = c - 3 * q
    win[:, 0::2, 1::2] = q
    win[:, 1::2, 0::2] = q
    win[:, 1::2, 1::2] = q
    mask = np.zeros((fh, fw), dtype=np.uint32)
    mask[y0 + 2 * 5 + 1, x0 + 2 * 7] = 1
    mask[y0 + 2 * 20:y0 + 2 * 20 + 2, x0 + 2 * 3:x0 + 2 * 3 + 2] = 2
    mask[y0 + 2 * 9, x0 + 2 * 3 + 1] = 0x400
    mask[0, 0] = 1
    mask[fh - 1, fw - 1] = 8
    with latest_file(os.path.join(OUT, 'frames.cxi')) as f:
        e = group(f, 'entry_1')
        inst = group(e, 'instrument_1')
        det = group(inst, 'detector_1')
        det.create_dataset('data', data=frames, chunks=(1, fh, fw), compression='gzip', compression_opts=6)
        det.create_dataset('mask', data=mask, compression='gzip', compression_opts=6)
        det['distance'] = distance
        det['x_pixel_size'] = pixel / 2
        det['y_pixel_size'] = pixel / 2
        src = group(inst, 'source_1')
        src['energy'] = energy_j
        src.create_dataset('illumination', data=probe_in)
        group(group(e, 'sample_1'), 'geometry_1').create_dataset('translation', data=xyz)
        d1 = group(e, 'data_1')
        d1['data'] = h5py.SoftLink('/entry_1/instrument_1/detector_1/data')
        d1['translation'] = h5py.SoftLink('/entry_1/sample_1/geometry_1/translation')


os.makedirs(OUT, exist_ok=True)
if sys.argv[1:] == ['--xy']:
    write_xy()
    sys.exit(0)
if sys.argv[1:] == ['--frames']:
    write_frames()
    sys.exit(0)


def write_cxi(path, with_probe):
    with h5py.File(path, 'w') as f:
        f.create_dataset('cxi_version', data=150)
        e = f.create_group('entry_1')
        det = e.create_group('instrument_1/detector_1')
        det.create_dataset('data', data=counts, chunks=(1, N, N), compression='gzip', compression_opts=6)
        det['distance'] = DISTANCE
        det['x_pixel_size'] = PIXEL
        det['y_pixel_size'] = PIXEL
        src = e.create_group('instrument_1/source_1')
        src['energy'] = ENERGY_J
        if with_probe:
            src.create_dataset('illumination', data=probe)
        e.create_dataset('sample_1/geometry_1/translation', data=translation)
        d1 = e.create_group('data_1')
        d1['data'] = h5py.SoftLink('/entry_1/instrument_1/detector_1/data')
        d1['translation'] = h5py.SoftLink('/entry_1/sample_1/geometry_1/translation')


write_cxi(os.path.join(OUT, 'scan.cxi'), True)
write_cxi(os.path.join(OUT, 'scan-noprobe.cxi'), False)

# PtyPy prepared data (.ptyd), two chunks, as io.h5write stores a PtyScan: arrays gzip'd with attribute
# type='array', scalars with type='scalar', strings as variable-length UTF-8 with type='string'.
vlen = h5py.special_dtype(vlen=str)


def store(group, name, value):
    if isinstance(value, str):
        d = group.create_dataset(name, data=np.asarray(value.encode('utf8')), dtype=vlen)
        d.attrs['type'] = 'string'
    elif np.isscalar(value):
        d = group.create_dataset(name, data=np.asarray(value))
        d.attrs['type'] = 'scalar'
    else:
        d = group.create_dataset(name, data=np.asarray(value), compression='gzip')
        d.attrs['type'] = 'array'
    return d


with h5py.File(os.path.join(OUT, 'scan.ptyd'), 'w') as f:
    f.attrs['h5rw_version'] = '0.1'
    chunks = f.create_group('chunks')
    chunks.attrs['type'] = 'dict'
    half = n // 2
    for k, (a, b) in enumerate([(0, half), (half, n)]):
        g = chunks.create_group(str(k))
        g.attrs['type'] = 'dict'
        store(g, 'data', counts[a:b].astype(np.int32))
        store(g, 'positions', np.stack([y_m[a:b], x_m[a:b]], axis=1))
        store(g, 'indices', np.arange(a, b))
        store(g, 'weights', np.ones((b - a, N, N), dtype=bool))
    meta = f.create_group('meta')
    meta.attrs['type'] = 'dict'
    store(meta, 'version', '0.8.1')
    store(meta, 'num_frames', n)
    store(meta, 'label', 'fixture')
    store(meta, 'shape', np.array([N, N]))
    store(meta, 'psize', np.array([PIXEL, PIXEL]))
    store(meta, 'energy', ENERGY_EV / 1000.0)
    store(meta, 'center', np.array([N / 2, N / 2]))
    store(meta, 'distance', DISTANCE)

# ptychodus product file (the probe with two incoherent modes: the main one and a weak second).
modes = np.stack([probe, (0.1 * np.roll(probe, 3, axis=1)).astype(np.complex64)])
with h5py.File(os.path.join(OUT, 'probe-product.h5'), 'w') as f:
    f.attrs['name'] = 'fixture'
    f.attrs['comments'] = 'simulated'
    f.attrs['detector_object_distance_m'] = DISTANCE
    f.attrs['probe_energy_eV'] = ENERGY_EV
    f.attrs['probe_photon_count'] = PHOTONS
    f.attrs['exposure_time_s'] = 0.0
    f.attrs['mass_attenuation_m2_kg'] = 0.0
    f.create_dataset('probe_position_indexes', data=list(range(n)))
    f.create_dataset('probe_position_x_m', data=list(x_m))
    f.create_dataset('probe_position_y_m', data=list(y_m))
    p = f.create_dataset('probe', data=modes)
    p.attrs['pixel_width_m'] = DX
    p.attrs['pixel_height_m'] = DX
    o = f.create_dataset('object', data=obj[None])
    o.attrs['center_x_m'] = 0.0
    o.attrs['center_y_m'] = 0.0
    o.attrs['pixel_width_m'] = DX
    o.attrs['pixel_height_m'] = DX
    f.create_dataset('object_layer_spacing_m', data=[])
    f.create_dataset('loss_epochs', data=[0])
    f.create_dataset('loss_values', data=[1.0])

# PtyPy reconstruction (.ptyr): header and content/probe/<id>/data, _psize.
with h5py.File(os.path.join(OUT, 'probe.ptyr'), 'w') as f:
    f.attrs['h5rw_version'] = '0.1'
    header = f.create_group('header')
    header.attrs['type'] = 'dict'
    store(header, 'kind', 'minimal')
    store(header, 'description', 'Ptypy .h5 compatible storage format')
    content = f.create_group('content')
    content.attrs['type'] = 'param'
    pr = content.create_group('probe')
    pr.attrs['type'] = 'dict'
    s = pr.create_group('Sscan00G00')
    s.attrs['type'] = 'dict'
    # PtyPy's far-field propagator is unitary (its FFT scaled by 1/sqrt(N*N), core/geometry.py assign_scaling),
    # so the probe of its reconstruction of these counts is N times the one the plain fft2 above needs
    store(s, 'data', probe[None] * N)
    store(s, '_psize', np.array([DX, DX]))
    store(s, '_center', np.array([N / 2, N / 2]))

# Data stored outside the file, which ptychostudy refuses (it reads nothing outside the named file);
# tiny (one 8 x 8 pattern, a few KB), with the geometry of scan.cxi:
#   external-raw.cxi   the pattern's raw bytes in another file, HDF5 external storage (h5py's
#                      create_dataset(external=...)): /dev/zero, which every Unix has and reads as zeros;
#   vds-elsewhere.cxi  the pattern as a virtual dataset of the central 8 x 8 pixels of scan.cxi's first
#                      pattern, the source named relative to the directory the tests run in (the
#                      repository root): test/fixtures/cxi/scan.cxi.
def write_outside(path, store_data):
    with latest_file(path) as f:
        e = group(f, 'entry_1')
        det = group(group(e, 'instrument_1'), 'detector_1')
        store_data(det)
        det['distance'] = DISTANCE
        det['x_pixel_size'] = PIXEL
        det['y_pixel_size'] = PIXEL
        group(e['instrument_1'], 'source_1')['energy'] = ENERGY_J
        group(group(e, 'sample_1'), 'geometry_1').create_dataset('translation', data=translation[:1])


write_outside(os.path.join(OUT, 'external-raw.cxi'),
              lambda det: det.create_dataset('data', shape=(1, 8, 8), dtype='<u4', external=[('/dev/zero', 0, 256)]))


def vds(det):
    # h5py.VirtualLayout's dataset would record its creation time: the same mapping, made directly.
    source = h5py.h5s.create_simple((n, N, N))
    source.select_hyperslab((0, 12, 12), (1, 8, 8))
    space = h5py.h5s.create_simple((1, 8, 8))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    dcpl.set_fill_value(np.zeros(1, '<u4'))
    dcpl.set_virtual(space, b'test/fixtures/cxi/scan.cxi', b'/entry_1/instrument_1/detector_1/data', source)
    h5py.h5d.create(det.id, b'data', h5py.h5t.STD_U32LE, space, dcpl=dcpl)


write_outside(os.path.join(OUT, 'vds-elsewhere.cxi'), vds)

write_xy()
np.save(os.path.join(OUT, 'object.npy'), obj)

record = {
    'script': 'scripts/make-cxi-fixture.py',
    'numpy': np.__version__,
    'h5py': h5py.__version__,
    'hdf5': h5py.version.hdf5_version,
    'seed': SEED,
    'n': n,
    'N': N,
    'object_shape': [OBJ_H, OBJ_W],
    'photons_per_pattern': PHOTONS,
    'energy_eV': ENERGY_EV,
    'energy_J': ENERGY_J,
    'wavelength_m': WAVELENGTH,
    'distance_m': DISTANCE,
    'x_pixel_size_m': PIXEL,
    'y_pixel_size_m': PIXEL,
    'object_pixel_size_m': DX,
    'translation_m': translation.tolist(),
    'top_left_rc': top_left.tolist(),
    'centre_rows': centre_rows.tolist(),
    'centre_cols': centre_cols.tolist(),
    'probe_sum_abs2': float(np.sum(np.abs(probe.astype(np.complex128)) ** 2)),
    'probe_00_re_im': [float(probe[0, 0].real), float(probe[0, 0].imag)],
    'probe_centre_re_im': [float(probe[N // 2, N // 2].real), float(probe[N // 2, N // 2].imag)],
    'counts_total': int(counts.sum(dtype=np.int64)),
    'counts_first_pattern_sum': int(counts[0].sum(dtype=np.int64)),
    'counts_max': int(counts.max()),
}
with open(os.path.join(OUT, 'expected.json'), 'w') as fh:
    json.dump(record, fh, indent=1)
    fh.write('\n')
print(f'wrote {OUT}: ' + ', '.join(f'{f} {os.path.getsize(os.path.join(OUT, f))} B' for f in sorted(os.listdir(OUT))), file=sys.stderr)
