#!/usr/bin/env python3
"""Writes test/fixtures/fft/numpy-fft2.npz, NumPy's own 2-D FFTs that test/math/fft-numpy.test.ts compares with.

Run from the repository root:  python3 scripts/make-fft-fixtures.py
For every h×w in SIZES the input x is made from integers, so the test rebuilds it bit for bit without
storing it (t = row-major index, s = 1000·h + w; the divisions by 1000 are correctly rounded on both sides):
  re = ((7919·t + 13·s) mod 2003 − 1001) / 1000,   im = ((104729·t + 7·s) mod 1999 − 999) / 1000
Keys: fwd_<h>x<w> = numpy.fft.fft2(x), inv_<h>x<w> = numpy.fft.ifft2(x) (complex128, shape (h, w),
norm "backward"), numpy_version (the NumPy that wrote them).
"""
import os

import numpy as np

SIZES = [(6, 10), (12, 12), (15, 20), (30, 45), (64, 96), (96, 96), (100, 100),
         (14, 21), (28, 28), (56, 56), (49, 7), (22, 26), (13, 11), (77, 26),
         (17, 19), (34, 34)]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'fft')


def make_input(h, w):
    t = np.arange(h * w, dtype=np.int64)
    s = 1000 * h + w
    re = ((7919 * t + 13 * s) % 2003 - 1001) / 1000.0
    im = ((104729 * t + 7 * s) % 1999 - 999) / 1000.0
    return (re + 1j * im).reshape(h, w)


def main():
    os.makedirs(OUT, exist_ok=True)
    arrays = {'numpy_version': np.array(np.__version__)}
    for h, w in SIZES:
        x = make_input(h, w)
        arrays[f'fwd_{h}x{w}'] = np.fft.fft2(x)
        arrays[f'inv_{h}x{w}'] = np.fft.ifft2(x)
    path = os.path.join(OUT, 'numpy-fft2.npz')
    np.savez(path, **arrays)
    print(f'wrote {path} ({os.path.getsize(path)} bytes, numpy {np.__version__})')


if __name__ == '__main__':
    main()
