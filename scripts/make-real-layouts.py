#!/usr/bin/python3
"""Writes test/fixtures/real-layouts/ (run: /usr/bin/python3 scripts/make-real-layouts.py; h5py and numpy only).

One small far-field ptychography measurement (16 patterns of 32 x 32 Poisson counts of a known 64 x 64 object, a
4 x 4 jittered raster, 8 keV, 1.5 m, 75 um pixels, fixed seed) stored the way programs that scientists use write it,
each file following its writer's own source or the CXI specification (named per file below); nothing of those
programs is run or copied:

  cdtools.cxi        CDTools (cdtools-developers/cdtools, src/cdtools/tools/data/data.py: create_cxi, add_source,
                     add_detector, add_mask, add_data, add_ptycho_translations at commit b3c452f): root datasets
                     cxi_version 160 and number_of_entries 1; source_1/energy (J) and source_1/wavelength as 0-d
                     float32; detector_1/distance 0-d float32, basis_vectors float32 [3, 2] and x_pixel_size,
                     y_pixel_size (their norms, float32); detector_1/mask uint32, 1 = bad pixel; the counts in
                     detector_1/data (int32, gzip, h5py's automatic chunks, an 'axes' attribute) with data_1/data a
                     soft link to it; translations float32 [n, 3] in sample_1/geometry_1/translation, with soft links
                     at data_1/translation and detector_1/translation. CDTools stores the *sample's* translation, the
                     negated translation of its probe (add_ptycho_translations: `translations = -translations`), whose
                     pixels its detector basis (here along -y and -x, as in CDTools's example data) turns around again:
                     the file holds the probe positions (x, y) as the other layouts do (see write_cdtools);
  beamline.cxi       the CXI 1.6 ptychography layout (cxidb/CXI cxi_file_format.tex, ptychography_cxi.svg) as a
                     beamline pipeline writes it: uint16 frames in detector_1/data, one chunk per frame, shuffle +
                     gzip, data_1/data a soft link to it; sample_1/geometry_1/translation float64 [n, 3] (x, y, z, m)
                     with data_1/translation a soft link; source_1/energy float64 (J); detector_1/distance,
                     x_pixel_size, y_pixel_size with 'units' attributes 'm'; detector_1/basis_vectors [2, 3];
                     detector_1/mask uint32 bit field (bit 0 invalid on 3 pixels, bit 12 "has signal" on one, both
                     as CXI defines them); source_1/illumination complex64 (the probe);
  two-entries.cxi    beamline.cxi's measurement in entry_1 and again, with twice the counts, in entry_2 (CXI numbers
                     a file's entries entry_1, entry_2, ...: cxi_file_format.tex, "Entry");
  eiger.cxi          uint32 frames with the detector's module gaps (a 1-pixel cross) at 2**32 - 1, as Dectris
                     Eiger frames are delivered (the gap value is the type's maximum), stored [n, 1, H, W] with an
                     axis per frame, as in ptychography_cxi.svg, and the mask per frame [n, H, W];
  ptychodus-product.h5   ptychodus's product (AdvancedPhotonSource/ptychodus, src/ptychodus/plugins/
                     h5_product_file.py, H5ProductFileIO.write at 7ccf581): root attributes name, comments,
                     detector_object_distance_m, probe_energy_eV, probe_photon_count, exposure_time_s,
                     mass_attenuation_m2_kg; probe_position_indexes, probe_position_x_m, probe_position_y_m; probe
                     complex64 [1, 1, 32, 32] with pixel_width_m, pixel_height_m; object complex64 [1, 64, 64] with
                     center_x_m, center_y_m, pixel_width_m, pixel_height_m; object_layer_spacing_m [0]; loss_epochs,
                     loss_values;
  ptychodus-product.npz  the same product as ptychodus's NPZ writer saves it (src/ptychodus/plugins/
                     npz_product_file.py, NPZProductFileIO.write at 7ccf581, numpy.savez): keys name, comments,
                     detector_object_distance_m, probe_energy_eV, probe_photon_count, exposure_time_s,
                     mass_attenuation_m2_kg, probe_position_indexes, probe_position_x_m, probe_position_y_m, probe,
                     probe_pixel_width_m, probe_pixel_height_m, object, object_center_x_m, object_center_y_m,
                     object_pixel_width_m, object_pixel_height_m, object_layer_spacing_m, loss_epochs, loss_values;
  ptychopinn-raw.npz  PtychoPINN's raw data (hoidn/PtychoPINN, ptycho/raw_data.py RawData.to_file, numpy.savez): xcoords,
                     ycoords (the patch centres in object pixels), xcoords_start, ycoords_start, diff3d (amplitudes
                     sqrt(counts), float32 [n, N, N]), probeGuess, objectGuess, scan_index; its canonical datasets
                     rename diff3d to diffraction (scripts/tools/transpose_rename_convert_tool.py);
  expected.json      every value written (energy, wavelength, distance, pixel sizes, object pixel, probe positions
                     in metres, the mask's pixels, the gap pixels, the counts of each pattern, and outside the gaps).

Positions: x = (c0 + N/2 - W/2) * dx, y = (r0 + N/2 - H/2) * dx of a patch whose top-left object pixel is (r0, c0),
dx = lambda z / (N p); patterns |fftshift(fft2(P * O_patch))|^2 (the DC at [N/2, N/2]).
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'real-layouts')
SEED = 20261208
N = 32
OBJ = 64
H_PLANCK = 6.62607015e-34
C_LIGHT = 299792458.0
EV = 1.602176634e-19
ENERGY_EV = 8000.0
ENERGY_J = ENERGY_EV * EV
WAVELENGTH = H_PLANCK * C_LIGHT / ENERGY_J
DISTANCE = 1.5
PIXEL = 75e-6
DX = WAVELENGTH * DISTANCE / (N * PIXEL)
PHOTONS = 1.0e5

rng = np.random.default_rng(SEED)

yy, xx = np.mgrid[0:OBJ, 0:OBJ]
phase = 0.5 * np.sin(2 * np.pi * yy / 23.0) * np.cos(2 * np.pi * xx / 17.0)
amp = 0.9 - 0.1 * ((yy > 20) & (yy < 30) & (xx > 36) & (xx < 50))
obj = (amp * np.exp(1j * phase)).astype(np.complex64)

py, px = np.mgrid[0:N, 0:N]
r2 = (py - N // 2) ** 2 + (px - N // 2) ** 2
probe = np.exp(-r2 / (2 * 4.0 ** 2)) * np.exp(-1j * 0.03 * r2)

top_left = np.array([(6 + 7 * i + int(rng.integers(-1, 2)), 6 + 7 * j + int(rng.integers(-1, 2)))
                     for i in range(4) for j in range(4)])
n = len(top_left)
power = np.mean([np.sum(np.abs(probe * obj[r:r + N, c:c + N]) ** 2) for r, c in top_left])
probe = (probe * np.sqrt(PHOTONS / (N * N * power))).astype(np.complex64)
expected = np.stack([np.abs(np.fft.fftshift(np.fft.fft2(probe.astype(np.complex128) * obj[r:r + N, c:c + N]))) ** 2
                     for r, c in top_left])
counts = rng.poisson(expected)
assert counts.max() < 65535
x_m = (top_left[:, 1] + N / 2 - OBJ / 2) * DX
y_m = (top_left[:, 0] + N / 2 - OBJ / 2) * DX
xyz = np.stack([x_m, y_m, np.zeros(n)], axis=1)

# detector pixels flagged in the masks: bit 0 (invalid) on three, bit 12 (has signal, still measured) on one
MASKED = [(3, 5), (20, 9), (28, 30)]
SIGNAL = (16, 17)
mask = np.zeros((N, N), np.uint32)
for p in MASKED:
    mask[p] = 0x1
mask[SIGNAL] = 0x1000
# the module gaps of eiger.cxi: row 8 and column 24
GAP_ROW, GAP_COL = 8, 24


def link(group, name, target):
    group[name] = h5py.SoftLink(target)


def write_cdtools(path):
    with h5py.File(path, 'w') as f:
        f.create_dataset('cxi_version', data=160)
        f.create_dataset('number_of_entries', data=1)
        e = f.create_group('entry_1')
        src = e.create_group('instrument_1').create_group('source_1')
        src['wavelength'] = np.float32(WAVELENGTH)
        src['energy'] = np.float32(1.9864459e-25 / WAVELENGTH)
        det = e['instrument_1'].create_group('detector_1')
        det['distance'] = np.float32(DISTANCE)
        # CDTools's basis: columns are the detector's y and x pixel vectors (m), here [0, -p, 0] and [-p, 0, 0]
        basis = np.array([[0, -PIXEL], [-PIXEL, 0], [0, 0]], np.float32)
        det['x_pixel_size'] = np.linalg.norm(basis[:, 1])
        det['y_pixel_size'] = np.linalg.norm(basis[:, 0])
        det.create_dataset('basis_vectors', data=basis)
        m = np.zeros((N, N), np.uint32)
        for p in MASKED:
            m[p] = 1
        det.create_dataset('mask', data=m)
        d = det.create_dataset('data', data=counts.astype(np.int32), compression='gzip', chunks=True)
        d.attrs['axes'] = np.bytes_('translation:y:x')
        data1 = e.create_group('data_1')
        link(data1, 'data', '/entry_1/instrument_1/detector_1/data')
        # CDTools stores the sample's translation, minus the probe translation T its model works with
        # (add_ptycho_translations), and maps T onto its pixels through the exit wave's basis, which its far-field
        # geometry makes from the detector's (initializers.py exit_wave_geometry: pinv(basis * shape)^T * lambda z;
        # interactions.py translations_to_pixel: pinv(exit wave basis) T). With the detector basis above, pointing
        # along -y and -x, a patch centred at (row, column) = (y, x) / dx is the probe translation T = -(x, y): the
        # file holds +(x, y), checked here with CDTools's two formulas.
        wave_basis = np.linalg.pinv(basis.astype(np.float64) * np.array([N, N])).T * WAVELENGTH * DISTANCE
        probe_t = -xyz
        pix = probe_t @ np.linalg.pinv(wave_basis).T
        assert np.allclose(pix, np.stack([y_m, x_m], axis=1) / DX, atol=1e-3), 'CDTools would place the patches elsewhere'
        g = e.create_group('sample_1').create_group('geometry_1')
        g.create_dataset('translation', data=(-probe_t).astype(np.float32))
        link(data1, 'translation', '/entry_1/sample_1/geometry_1/translation')
        link(det, 'translation', '/entry_1/sample_1/geometry_1/translation')


def write_entry(f, name, frames, masks, probe_too=True):
    e = f.create_group(name)
    inst = e.create_group('instrument_1')
    src = inst.create_group('source_1')
    src.create_dataset('energy', data=ENERGY_J)
    src['energy'].attrs['units'] = 'J'
    if probe_too:
        src.create_dataset('illumination', data=probe)
    det = inst.create_group('detector_1')
    for k, v in (('distance', DISTANCE), ('x_pixel_size', PIXEL), ('y_pixel_size', PIXEL)):
        det.create_dataset(k, data=v)
        det[k].attrs['units'] = 'm'
    det.create_dataset('basis_vectors', data=np.array([[0, -PIXEL, 0], [-PIXEL, 0, 0]]))
    det.create_dataset('mask', data=masks)
    chunk = (1,) + frames.shape[1:]
    det.create_dataset('data', data=frames, chunks=chunk, shuffle=True, compression='gzip', compression_opts=4)
    data1 = e.create_group('data_1')
    link(data1, 'data', f'/{name}/instrument_1/detector_1/data')
    g = e.create_group('sample_1').create_group('geometry_1')
    g.create_dataset('translation', data=xyz)
    g['translation'].attrs['units'] = 'm'
    link(data1, 'translation', f'/{name}/sample_1/geometry_1/translation')


def write_beamline(path):
    with h5py.File(path, 'w') as f:
        f.create_dataset('cxi_version', data=160)
        write_entry(f, 'entry_1', counts.astype(np.uint16), mask)


def write_two_entries(path):
    with h5py.File(path, 'w') as f:
        f.create_dataset('cxi_version', data=160)
        write_entry(f, 'entry_1', counts.astype(np.uint16), mask)
        write_entry(f, 'entry_2', (2 * counts).astype(np.uint16), mask)


def write_eiger(path):
    frames = counts.astype(np.uint32)
    frames[:, GAP_ROW, :] = np.iinfo(np.uint32).max
    frames[:, :, GAP_COL] = np.iinfo(np.uint32).max
    masks = np.broadcast_to(mask, (n, N, N)).copy()
    with h5py.File(path, 'w') as f:
        f.create_dataset('cxi_version', data=160)
        write_entry(f, 'entry_1', frames[:, None], masks, probe_too=False)


def write_product_h5(path):
    with h5py.File(path, 'w') as f:
        f.attrs['name'] = 'real-layouts'
        f.attrs['comments'] = 'written by scripts/make-real-layouts.py'
        f.attrs['detector_object_distance_m'] = DISTANCE
        f.attrs['probe_energy_eV'] = ENERGY_EV
        f.attrs['probe_photon_count'] = 0.0
        f.attrs['exposure_time_s'] = 0.0
        f.attrs['mass_attenuation_m2_kg'] = 0.0
        f.create_dataset('probe_position_indexes', data=list(range(n)))
        f.create_dataset('probe_position_x_m', data=list(x_m))
        f.create_dataset('probe_position_y_m', data=list(y_m))
        p = f.create_dataset('probe', data=probe[None, None])
        p.attrs['pixel_width_m'] = DX
        p.attrs['pixel_height_m'] = DX
        o = f.create_dataset('object', data=obj[None])
        o.attrs['center_x_m'] = 0.0
        o.attrs['center_y_m'] = 0.0
        o.attrs['pixel_width_m'] = DX
        o.attrs['pixel_height_m'] = DX
        f.create_dataset('object_layer_spacing_m', data=np.zeros(0))
        f.create_dataset('loss_epochs', data=[0, 1])
        f.create_dataset('loss_values', data=[2.0, 1.0])


def write_product_npz(path):
    # numpy.savez of the dict NPZProductFileIO.write builds (python floats and lists become numpy arrays)
    np.savez(path, name='real-layouts', comments='written by scripts/make-real-layouts.py',
             detector_object_distance_m=DISTANCE, probe_energy_eV=ENERGY_EV, probe_photon_count=0.0,
             exposure_time_s=0.0, mass_attenuation_m2_kg=0.0,
             probe_position_indexes=list(range(n)), probe_position_x_m=list(x_m), probe_position_y_m=list(y_m),
             probe=probe[None, None], probe_pixel_width_m=DX, probe_pixel_height_m=DX,
             object=obj[None], object_center_x_m=0.0, object_center_y_m=0.0,
             object_pixel_width_m=DX, object_pixel_height_m=DX, object_layer_spacing_m=np.zeros(0),
             loss_epochs=[0, 1], loss_values=[2.0, 1.0])


def write_ptychopinn_raw(path):
    xc = (top_left[:, 1] + N / 2).astype(np.float64)
    yc = (top_left[:, 0] + N / 2).astype(np.float64)
    np.savez(path, xcoords=xc, ycoords=yc, xcoords_start=xc, ycoords_start=yc,
             diff3d=np.sqrt(counts).astype(np.float32), probeGuess=probe, objectGuess=obj,
             scan_index=np.zeros(n, np.int64))


def main():
    os.makedirs(OUT, exist_ok=True)
    write_cdtools(os.path.join(OUT, 'cdtools.cxi'))
    write_beamline(os.path.join(OUT, 'beamline.cxi'))
    write_two_entries(os.path.join(OUT, 'two-entries.cxi'))
    write_eiger(os.path.join(OUT, 'eiger.cxi'))
    write_product_h5(os.path.join(OUT, 'ptychodus-product.h5'))
    write_product_npz(os.path.join(OUT, 'ptychodus-product.npz'))
    write_ptychopinn_raw(os.path.join(OUT, 'ptychopinn-raw.npz'))
    expected = {
        'seed': SEED, 'n': n, 'pattern': [N, N], 'object': [OBJ, OBJ],
        'energy_eV': ENERGY_EV, 'energy_J': ENERGY_J, 'wavelength_m': WAVELENGTH, 'distance_m': DISTANCE,
        'detector_pixel_m': PIXEL, 'object_pixel_m': DX,
        'x_m': x_m.tolist(), 'y_m': y_m.tolist(), 'top_left_rc': top_left.tolist(),
        'masked_pixels_rc': [list(p) for p in MASKED], 'signal_bit_pixel_rc': list(SIGNAL),
        'gap_row': GAP_ROW, 'gap_col': GAP_COL,
        'counts_sum_per_pattern': counts.reshape(n, -1).sum(1).tolist(),
        'counts_sum_per_pattern_outside_gaps': [int(c.sum() - c[GAP_ROW].sum() - c[:, GAP_COL].sum() + c[GAP_ROW, GAP_COL])
                                                for c in counts],
        'versions': {'numpy': np.__version__, 'h5py': h5py.__version__, 'hdf5': h5py.version.hdf5_version},
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as fh:
        json.dump(expected, fh, indent=1)
        fh.write('\n')


if __name__ == '__main__':
    main()
