#!/usr/bin/python3
"""Writes test/fixtures/frames/: the frames a reader must make of a small CXI file when it flips, transposes, pads and
re-centres them, computed with numpy alone (run: /usr/bin/python3 scripts/frame-orientation-reference.py).

Written:
  oriented.cxi        3 patterns of 6 x 8 counts (uint32, every value different, so that any misplaced pixel shows),
                      a CXI detector mask [6, 8] (a few pixels with "do not use" bits, one with bit 8 only), a complex
                      probe [6, 8] and a plausible geometry: frames that are not square, so a transpose shows in the
                      shape as well;
  scan-flipped.cxi    test/fixtures/cxi/scan.cxi with every pattern and the probe flipped left-right (numpy.flip, axis
                      -1), everything else as it is: the measurement as a detector mounted mirrored would have written it;
  reference.json      for oriented.cxi:
                        "names"   every subset of flipHorizontal, flipVertical, transpose, applied in ptychodus's order
                                  (DiffractionPatternProcessor: numpy.flip axis -1, numpy.flip axis -2, then
                                  numpy.transpose(axes=(0, 2, 1))): the patterns, the masked pixels and the probe;
                        "ptypy"   PtyPy's orientation 0..7 as ptypy/utils/array_utils.py switch_orientation (commit
                                  1681bec) defines it: the binary digits (transpose, flipud, fliplr), applied transpose
                                  first (A.swapaxes of the last two), then A[..., ::-1, :], then A[..., ::-1]; the same
                                  three outputs, and which "names" case gives the same arrays (checked here);
                        "crops"   windows reaching outside the frames (a crop centre and size, a bin size, an
                                  orientation): the file's frames zero-padded (numpy.pad), the window sliced, binned by
                                  summing b x b pixels, oriented; masked: a pixel outside the frames or masked by the
                                  file, a binned pixel when any of its pixels is.

Positions are not changed by any of these (ptychostudy's convention): the files' translations are not part of the
reference. Needs numpy and h5py (Debian's python3-numpy, python3-h5py).
"""
import itertools
import json
import os
import sys

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'frames')
NAMES = ['flipHorizontal', 'flipVertical', 'transpose']
DO_NOT_USE = 0x2ff


def ptychodus_order(a, names):
    """Flips then transpose, as ptychodus's DiffractionPatternProcessor applies them (last two axes)."""
    if 'flipHorizontal' in names:
        a = np.flip(a, axis=-1)
    if 'flipVertical' in names:
        a = np.flip(a, axis=-2)
    if 'transpose' in names:
        a = np.swapaxes(a, -1, -2)
    return np.ascontiguousarray(a)


def ptypy_orientation(a, o):
    """PtyPy's switch_orientation of an integer o: digits (transpose, flipud, fliplr), in that order."""
    t, ud, lr = [c == '1' for c in format(o, '03b')]
    if t:
        a = np.swapaxes(a, -1, -2)
    if ud:
        a = a[..., ::-1, :]
    if lr:
        a = a[..., ::-1]
    return np.ascontiguousarray(a)


def complex_list(p):
    return [float(v) for z in p.ravel() for v in (z.real, z.imag)]


def write_oriented(path):
    n, H, W = 3, 6, 8
    frames = (np.arange(n * H * W, dtype=np.uint32).reshape(n, H, W) * 7 + 11).astype(np.uint32)
    mask = np.zeros((H, W), dtype=np.uint32)
    mask[0, 1] = 1        # invalid
    mask[2, 6] = 4        # hot
    mask[5, 0] = 0x200    # missing
    mask[4, 3] = 0x100    # out of resolution limits: still measured
    probe = (np.arange(H * W).reshape(H, W) + 1j * (np.arange(H * W).reshape(H, W) % 5 + 1)).astype(np.complex64)
    with h5py.File(path, 'w') as f:
        f['cxi_version'] = 150
        e = f.create_group('entry_1')
        det = e.create_group('instrument_1/detector_1')
        det['data'] = frames
        det['distance'] = 2.0
        det['x_pixel_size'] = 75e-6
        det['y_pixel_size'] = 75e-6
        det['mask'] = mask
        src = e.create_group('instrument_1/source_1')
        src['energy'] = 8000 * 1.602176634e-19
        src['illumination'] = probe
        t = np.zeros((n, 3))
        t[:, 0] = [0, 2e-6, 4e-6]
        t[:, 1] = [0, 4e-6, 2e-6]
        e['sample_1/geometry_1/translation'] = t
        e.create_group('data_1')
        e['data_1/data'] = h5py.SoftLink('/entry_1/instrument_1/detector_1/data')
    return frames, mask, probe


def main():
    os.makedirs(OUT, exist_ok=True)
    frames, mask, probe = write_oriented(os.path.join(OUT, 'oriented.cxi'))
    bad = (mask & DO_NOT_USE) != 0
    ref = {'file': 'oriented.cxi', 'shape': list(frames.shape), 'numpy': np.__version__, 'h5py': h5py.__version__,
           'names': [], 'ptypy': [], 'crops': []}
    by_names = {}
    for k in range(4):
        for names in itertools.combinations(NAMES, k):
            f, m, p = ptychodus_order(frames, names), ptychodus_order(bad, names), ptychodus_order(probe, names)
            by_names[names] = (f, m, p)
            ref['names'].append({'orientation': list(names), 'shape': list(f.shape), 'counts': f.ravel().tolist(),
                                 'masked': np.flatnonzero(m).tolist(), 'probe': complex_list(p)})
    for o in range(8):
        f, m, p = ptypy_orientation(frames, o), ptypy_orientation(bad, o), ptypy_orientation(probe, o)
        same = [list(k) for k, (f2, m2, p2) in by_names.items() if f2.shape == f.shape and (f2 == f).all() and (m2 == m).all() and (p2 == p).all()]
        assert len(same) == 1, (o, same)
        ref['ptypy'].append({'orientation': o, 'same_as': same[0], 'shape': list(f.shape), 'counts': f.ravel().tolist(),
                             'masked': np.flatnonzero(m).tolist(), 'probe': complex_list(p)})
    H, W = frames.shape[1:]
    for center, size, b, names in [((1, 6), 8, 1, ()), ((1, 6), 8, 2, ()), ((4, 1), 6, 1, ('transpose',)),
                                   ((1, 2), 4, 2, ('flipHorizontal', 'flipVertical')), ((3, 2), 8, 1, ())]:
        half = size // 2
        y0, x0 = center[0] - half, center[1] - half
        pad = size + 1
        padded = np.pad(frames.astype(np.int64), ((0, 0), (pad, pad), (pad, pad)))
        outside = np.pad(np.zeros((H, W), bool), pad, constant_values=True)
        fbad = np.pad(bad, pad)
        win = padded[:, pad + y0:pad + y0 + size, pad + x0:pad + x0 + size]
        wbad = outside[pad + y0:pad + y0 + size, pad + x0:pad + x0 + size] | fbad[pad + y0:pad + y0 + size, pad + x0:pad + x0 + size]
        s = size // b
        binned = win.reshape(-1, s, b, s, b).sum(axis=(2, 4))
        bbad = wbad.reshape(s, b, s, b).any(axis=(1, 3))
        f, m = ptychodus_order(binned, names), ptychodus_order(bbad, names)
        ref['crops'].append({'center': list(center), 'size': size, 'bin': b, 'orientation': list(names), 'shape': list(f.shape),
                             'counts': f.ravel().tolist(), 'masked': np.flatnonzero(m).tolist(),
                             'outside_pixels': int(outside[pad + y0:pad + y0 + size, pad + x0:pad + x0 + size].sum())})
    with open(os.path.join(OUT, 'reference.json'), 'w') as fh:
        json.dump(ref, fh, indent=1)
        fh.write('\n')

    # scan.cxi written flipped left-right: its patterns and its probe; the rest copied as it is
    src = os.path.join(ROOT, 'test', 'fixtures', 'cxi', 'scan.cxi')
    dst = os.path.join(OUT, 'scan-flipped.cxi')
    with h5py.File(src, 'r') as a, h5py.File(dst, 'w') as f:
        for k in a.attrs:
            f.attrs[k] = a.attrs[k]
        f['cxi_version'] = a['cxi_version'][()]
        d = 'entry_1/instrument_1/detector_1/'
        f.create_dataset(d + 'data', data=np.flip(a[d + 'data'][()], axis=-1), compression='gzip')
        for k in ['distance', 'x_pixel_size', 'y_pixel_size']:
            f[d + k] = a[d + k][()]
        s = 'entry_1/instrument_1/source_1/'
        f[s + 'energy'] = a[s + 'energy'][()]
        f[s + 'illumination'] = np.flip(a[s + 'illumination'][()], axis=-1)
        f['entry_1/sample_1/geometry_1/translation'] = a['entry_1/sample_1/geometry_1/translation'][()]
    print('wrote', OUT, file=sys.stderr)


if __name__ == '__main__':
    main()
