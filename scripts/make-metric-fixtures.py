#!/usr/bin/env python3
"""Reference values for ptychostudy's metrics, computed with scikit-image / SciPy / NumPy.

Writes <out>/reference.json (default out: test/fixtures/metrics). Every input image is stored in the
file itself (little-endian float64, base64), so the TypeScript tests recompute the metrics on exactly
these pixels and compare:

  * ssim      -- skimage.metrics.structural_similarity(a, b, data_range=R) (7x7 uniform window defaults)
  * ms_ssim   -- the reference study's MS-SSIM (PtychoPINN ptycho/evaluation.py ms_ssim: optional
                 scipy.ndimage.gaussian_filter pre-smoothing, one data range, plain skimage SSIM per level,
                 [::2, ::2] between levels, early stop below 7 px), built on skimage's SSIM
  * frc       -- Fourier ring correlation by the reference's rule (centre crop to a square, fftshifted
                 numpy FFTs, rings round(radius) about n//2, |<F1 F2*>| / sqrt(|<|F1|^2><|F2|^2>|)),
                 written here independently with np.bincount; frc50 / frc1over7 interpolated
  * mae, mse  -- numpy
  * gaussian  -- scipy.ndimage.gaussian_filter (mode 'reflect', truncate 4)
  * registration -- skimage.registration.phase_cross_correlation(ref, moving, upsample_factor=50) of an
                 image and a copy shifted by a known sub-pixel amount (scipy.ndimage.fourier_shift)
  * colormaps -- matplotlib's viridis / twilight / RdBu resampled to 256 entries, 8-bit

Run with Debian's python3 (python3-numpy, python3-scipy, python3-skimage, python3-matplotlib):
    /usr/bin/python3 scripts/make-metric-fixtures.py [--out DIR]
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
from scipy import ndimage
from skimage.metrics import structural_similarity
from skimage.registration import phase_cross_correlation
import skimage

WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f8').tobytes()).decode('ascii')


def ms_ssim(pred, target, sigma=0.0, levels=5):
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if sigma > 0:
        pred = ndimage.gaussian_filter(pred, sigma)
        target = ndimage.gaussian_filter(target, sigma)
    data_range = max(pred.max() - pred.min(), target.max() - target.min())
    value = 1.0
    for level in range(levels):
        s = structural_similarity(pred, target, data_range=data_range)
        if np.isnan(s):
            return 0.0
        if s < 0:
            s = 0.0001
        value *= s ** WEIGHTS[level]
        if np.isnan(value):
            return 0.0
        if level < levels - 1:
            pred = pred[::2, ::2]
            target = target[::2, ::2]
            if min(pred.shape) < 7:
                break
    return float(value)


def frc_curve(a, b):
    n = min(a.shape)
    def crop(x):
        dy = (x.shape[0] - n) // 2
        dx = (x.shape[1] - n) // 2
        return x[dy:dy + n, dx:dx + n]
    a, b = crop(a), crop(b)
    F1 = np.fft.fftshift(np.fft.fft2(a))
    F2 = np.fft.fftshift(np.fft.fft2(b))
    c = n // 2
    yy, xx = np.indices((n, n))
    ring = np.round(np.sqrt((yy - c) ** 2 + (xx - c) ** 2)).astype(int).ravel()
    counts = np.bincount(ring)
    def avg(v):
        v = v.ravel()
        if np.iscomplexobj(v):
            return (np.bincount(ring, weights=v.real) + 1j * np.bincount(ring, weights=v.imag)) / counts
        return np.bincount(ring, weights=v) / counts
    C = avg(F1 * np.conj(F2))
    C1 = avg(np.abs(F1) ** 2)
    C2 = avg(np.abs(F2) ** 2)
    return np.abs(C) / np.sqrt(np.abs(C1 * C2))


def frc_threshold(curve, t):
    below = np.where(curve < t)[0]
    if len(below) == 0:
        return float(len(curve))
    i = int(below[0])
    if i == 0:
        return 0.0
    prev, cur = curve[i - 1], curve[i]
    return float(i - 1 + (prev - t) / (prev - cur)) if prev > cur else float(i)


def smooth_field(rng, h, w, sigma):
    f = ndimage.gaussian_filter(rng.normal(size=(h, w)), sigma, mode='wrap')
    f -= f.min()
    return f / f.max()


def pair_case(name, a, b, data_range):
    curve = frc_curve(a, b)
    return {
        'name': name, 'h': a.shape[0], 'w': a.shape[1], 'a': b64(a), 'b': b64(b),
        'data_range': float(data_range),
        'ssim': float(structural_similarity(a, b, data_range=data_range)),
        'ms_ssim_sigma0': ms_ssim(b, a, 0.0),
        'ms_ssim_sigma1': ms_ssim(b, a, 1.0),
        'mae': float(np.mean(np.abs(a - b))),
        'mse': float(np.mean((a - b) ** 2)),
        'frc': [float(v) for v in curve],
        'frc50': frc_threshold(curve, 0.5),
        'frc1over7': frc_threshold(curve, 1 / 7),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'metrics'))
    args = ap.parse_args()
    rng = np.random.default_rng(20240607)
    pairs = []
    # 1. smooth amplitude-like image and a noisy copy (non-square, even sides)
    a = 0.5 + 0.5 * smooth_field(rng, 64, 56, 3.0)
    b = a + 0.05 * rng.normal(size=a.shape)
    pairs.append(pair_case('amplitude_noisy_64x56', a, b, a.max() - a.min()))
    # 2. phase-like image in (-pi, pi) and a blurred + noisy copy (odd sides; MS-SSIM stops early)
    p = (smooth_field(rng, 45, 70, 2.0) - 0.5) * 5.0
    q = ndimage.gaussian_filter(p, 1.2) + 0.2 * rng.normal(size=p.shape)
    pairs.append(pair_case('phase_blurred_45x70', p, q, 2 * np.pi))
    # 3. unrelated images (low SSIM, FRC drops at once)
    u = rng.normal(size=(40, 40))
    v = rng.normal(size=(40, 40))
    pairs.append(pair_case('unrelated_40x40', u, v, u.max() - u.min()))
    # 4. identical images
    pairs.append(pair_case('identical_32x48', a[:32, :48], a[:32, :48].copy(), a[:32, :48].max() - a[:32, :48].min()))

    gauss = []
    for (h, w, sigma) in [(20, 17, 1.0), (5, 6, 2.0), (9, 4, 0.7)]:
        x = rng.normal(size=(h, w))
        gauss.append({'h': h, 'w': w, 'sigma': sigma, 'input': b64(x), 'output': b64(ndimage.gaussian_filter(x, sigma))})

    reg = []
    for (h, w, sy, sx) in [(64, 64, 3.37, -5.81), (48, 60, -1.123, 0.46), (50, 50, 0.0, 0.0)]:
        ref = smooth_field(rng, h, w, 2.5)
        moving = np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(ref), (sy, sx))).real
        shift, _, _ = phase_cross_correlation(ref, moving, upsample_factor=50)
        reg.append({'h': h, 'w': w, 'reference': b64(ref), 'moving': b64(moving), 'applied_shift': [sy, sx],
                    'skimage_shift': [float(shift[0]), float(shift[1])]})

    cmaps = {}
    try:
        from matplotlib import colormaps
        for name in ['viridis', 'twilight', 'RdBu']:
            c = colormaps[name].resampled(256)(np.arange(256))[:, :3]
            cmaps[name] = ''.join('%02x%02x%02x' % tuple(int(round(v * 255)) for v in row) for row in c)
    except ImportError:
        pass

    out = {
        'generator': 'scripts/make-metric-fixtures.py',
        'versions': {'python': sys.version.split()[0], 'numpy': np.__version__, 'scikit-image': skimage.__version__,
                     'scipy': __import__('scipy').__version__},
        'pairs': pairs, 'gaussian': gauss, 'registration': reg, 'colormaps': cmaps,
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, 'reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(path)


if __name__ == '__main__':
    main()
