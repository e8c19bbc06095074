#!/usr/bin/env python3
"""Metric values computed by PtychoPINN's own evaluation code, for ptychostudy's tests and docs.

The reference study (PtychoPINN's STUDY-SYNTH-FLY64-DOSE-OVERLAP-001) scores every reconstruction with
`eval_reconstruction` in `ptycho/evaluation.py` and its helpers (`ms_ssim`, `fit_and_remove_plane`,
`frc_cutoffs`, `_first_below_threshold_interpolated`, `mae`, `mse`, `psnr`, `trim`), with FRC from the
`FRC` package (`fourier_ring_corr.FSC`, `spin_average.spinavej`). This script reads those function
definitions from a PtychoPINN checkout (or its bare git directory), executes only them, and runs them on
image pairs that it stores beside the values, so that the TypeScript tests recompute the same pixels.
No code of the reference is copied into this project: it is read from the given checkout at run time.

What the definitions need is supplied as follows:
  numpy, scikit-image's structural_similarity, scipy.ndimage.gaussian_filter (the module's `gf`) and
  OpenCV (`cv2.PSNR`, imported inside `psnr`) are the real libraries (Debian: python3-numpy,
  python3-scipy, python3-skimage, python3-opencv);
  `params.get('offset')` returns the default of `ptycho/params.py`, read from that file;
  `tf.cast(x, tf.float32)` is numpy's conversion to float32 (the only TensorFlow call the function makes);
  `ptycho.FRC.fourier_ring_corr` holds `FSC` and `spinavej`, read from the FRC package at the commit
  PtychoPINN pins as its `ptycho/FRC` submodule.

Usage (Debian's /usr/bin/python3):
    make-reference-metric-fixtures.py --ptychopinn PATH [--frc PATH] [--out DIR]
        writes DIR/reference-ptychopinn.json (default DIR: test/fixtures/metrics)
    make-reference-metric-fixtures.py --ptychopinn PATH [--frc PATH] --evaluate FILE_OR_DIR
        prints, as JSON, for every model in a ptychostudy comparison's reconstructions_aligned.npz (one file,
        or every one under a directory such as a hub's phase_g): the values in comparison_metrics.csv, the
        reference's SSIM and MS-SSIM formulas on exactly those arrays, the whole `eval_reconstruction` on
        them (which adds its own trim, per-image phase planes and mean amplitude scale), and the largest
        differences from the CSV

PATH may be a working tree (with ptycho/evaluation.py; the FRC submodule checked out, or --frc) or a bare
git directory (files are read with `git show <commit>:<path>`; --rev picks the commit, default HEAD).
"""
import argparse
import ast
import base64
import contextlib
import io
import json
import os
import subprocess
import sys
import types
import warnings

import numpy as np
import scipy
from scipy.ndimage import gaussian_filter
import skimage
from skimage.metrics import structural_similarity

try:
    import cv2  # used by the reference's psnr
except ImportError:  # pragma: no cover - reported in the output
    cv2 = None


# ---------------------------------------------------------------------------------------------------
# Reading the reference's sources


class Source:
    """Files of one repository: a working tree or a bare git directory at one commit."""

    def __init__(self, path, rev='HEAD'):
        self.path = os.path.abspath(path)
        self.worktree = os.path.isdir(os.path.join(self.path, '.git')) or not self._is_git_dir()
        try:
            self.commit = self._git('rev-parse', rev + '^{commit}') if self._has_git() else None
        except subprocess.CalledProcessError:
            raise SystemExit('%s: no commit %s' % (self.path, rev))
        self.rev = self.commit or rev

    def describe(self):
        """Where the files were read: git objects of the commit, or a working tree (clean or modified)."""
        if not self.worktree:
            return 'git objects'
        if self.commit is None:
            return 'files (no git)'
        return 'working tree, ' + ('modified' if self._git('status', '--porcelain', '--untracked-files=no') else 'clean')

    def _is_git_dir(self):
        return os.path.isfile(os.path.join(self.path, 'HEAD')) and os.path.isdir(os.path.join(self.path, 'objects'))

    def _has_git(self):
        try:
            self._git('rev-parse', '--git-dir')
            return True
        except (subprocess.CalledProcessError, FileNotFoundError):
            return False

    def _git(self, *args):
        base = ['git', '-C', self.path] if self.worktree else ['git', '--git-dir=' + self.path]
        return subprocess.run(base + list(args), check=True, capture_output=True, text=True).stdout.strip()

    def read(self, rel):
        if self.worktree:
            with open(os.path.join(self.path, rel), encoding='utf-8') as f:
                return f.read()
        return self._git('show', '%s:%s' % (self.rev, rel))

    def has(self, rel):
        if self.worktree:
            return os.path.isfile(os.path.join(self.path, rel))
        try:
            self._git('cat-file', '-e', '%s:%s' % (self.rev, rel))
            return True
        except subprocess.CalledProcessError:
            return False

    def submodule_commit(self, rel):
        """The commit a submodule entry pins (git ls-tree), or None."""
        if not self._has_git():
            return None
        out = self._git('ls-tree', self.rev, rel)
        parts = out.split()
        return parts[2] if len(parts) >= 3 and parts[1] == 'commit' else None


def load_functions(source_text, names, namespace, filename):
    """Executes only the top-level function definitions `names` of a module's source in `namespace`."""
    tree = ast.parse(source_text, filename=filename)
    picked = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
    missing = set(names) - {node.name for node in picked}
    if missing:
        raise SystemExit('%s: no top-level definition of %s' % (filename, ', '.join(sorted(missing))))
    module = ast.Module(body=picked, type_ignores=[])
    exec(compile(module, filename, 'exec'), namespace)
    return namespace


def params_default(source_text, key):
    """The literal value of `key` in the first dict literal of params.py that has it."""
    for node in ast.walk(ast.parse(source_text)):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value == key:
                    return ast.literal_eval(v)
    raise SystemExit('params.py: no default for %r' % key)


EVAL_FUNCTIONS = ['ms_ssim', 'trim', 'mae', 'mse', 'psnr', 'fit_and_remove_plane',
                  '_first_below_threshold_interpolated', 'frc_cutoffs', 'eval_reconstruction']


def load_reference(ptychopinn, rev, frc_path):
    src = Source(ptychopinn, rev)
    if not src.has('ptycho/evaluation.py'):
        raise SystemExit('%s: no ptycho/evaluation.py (is it a PtychoPINN checkout or git directory?)' % ptychopinn)
    offset = params_default(src.read('ptycho/params.py'), 'offset')
    frc_pin = src.submodule_commit('ptycho/FRC')
    if src.worktree and src.has('ptycho/FRC/fourier_ring_corr.py') and frc_path is None:
        frc_src, frc_rev, frc_prefix = src, None, 'ptycho/FRC/'
    else:
        if frc_path is None:
            raise SystemExit('the FRC submodule is not checked out: give --frc PATH (hoidn/FRC checkout or git directory)')
        frc_src, frc_prefix = Source(frc_path, frc_pin or 'HEAD'), ''
        frc_rev = frc_src.commit
    frc_ns = load_functions(frc_src.read(frc_prefix + 'spin_average.py'), ['spinavej'], {'np': np}, 'spin_average.py')
    spin = types.ModuleType('spin_average')
    spin.spinavej = frc_ns['spinavej']
    fsc_ns = load_functions(frc_src.read(frc_prefix + 'fourier_ring_corr.py'), ['FSC'],
                            {'np': np, 'fft': np.fft, 'sa': spin, 'plt': None}, 'fourier_ring_corr.py')
    frc_module = types.ModuleType('ptycho.FRC.fourier_ring_corr')
    frc_module.FSC = fsc_ns['FSC']
    ptycho_pkg = types.ModuleType('ptycho')
    frc_pkg = types.ModuleType('ptycho.FRC')
    frc_pkg.fourier_ring_corr = frc_module
    ptycho_pkg.FRC = frc_pkg
    sys.modules.update({'ptycho': ptycho_pkg, 'ptycho.FRC': frc_pkg, 'ptycho.FRC.fourier_ring_corr': frc_module})

    params = types.SimpleNamespace(get=lambda key: {'offset': offset}[key])
    tf = types.SimpleNamespace(float32=np.float32, cast=lambda x, dtype: np.asarray(x, dtype=dtype))
    namespace = {'np': np, 'structural_similarity': structural_similarity, 'gf': gaussian_filter,
                 'params': params, 'tf': tf}
    load_functions(src.read('ptycho/evaluation.py'), EVAL_FUNCTIONS, namespace, 'ptycho/evaluation.py')
    info = {
        'ptychopinn_commit': src.commit, 'ptychopinn_read_from': src.describe(), 'ptychopinn_file': 'ptycho/evaluation.py',
        'functions': EVAL_FUNCTIONS, 'params_offset': offset,
        'frc_submodule_pin': frc_pin, 'frc_commit': frc_rev if frc_rev else frc_pin,
        'frc_functions': ['fourier_ring_corr.FSC', 'spin_average.spinavej'],
    }
    return namespace, info


def quiet(fn, *args, **kwargs):
    """Calls a reference function with its prints and warnings swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------
# Inputs and values


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f8').tobytes()).decode('ascii')


def b64c(z):
    return base64.b64encode(np.ascontiguousarray(z, dtype='<c16').tobytes()).decode('ascii')


def num(v):
    v = float(v)
    return v if np.isfinite(v) else ('nan' if np.isnan(v) else ('inf' if v > 0 else '-inf'))


def smooth_field(rng, h, w, sigma):
    f = gaussian_filter(rng.normal(size=(h, w)), sigma, mode='wrap')
    f -= f.min()
    return f / f.max()


def wrap(p):
    return np.angle(np.exp(1j * p))


def scaled_phase(p):
    """The reference's phase mapping before SSIM (the expression eval_reconstruction applies)."""
    return (p + np.pi) / (2 * np.pi)


def try_value(fn):
    try:
        return num(fn())
    except Exception as e:  # the reference raises (e.g. images below 7 px): record what it said
        return {'error': '%s: %s' % (type(e).__name__, e)}


def level_ssims(a, b, data_range):
    """skimage SSIM at every [::2, ::2] level the reference's loop visits (for reading the fixture only)."""
    out = []
    for level in range(5):
        if min(a.shape) < 7:
            break
        out.append(num(structural_similarity(a, b, data_range=data_range)))
        a, b = a[::2, ::2], b[::2, ::2]
    return out


def phase_case(ref, name, t, p, note):
    """Phase pair (radians, already aligned): the reference's phase SSIM and MS-SSIM of the mapped phases."""
    ts, ps = scaled_phase(t), scaled_phase(p)
    dr = max(np.max(ts) - np.min(ts), np.max(ps) - np.min(ps))
    return {
        'name': name, 'kind': 'phase', 'note': note, 'h': t.shape[0], 'w': t.shape[1], 't': b64(t), 'p': b64(p),
        'ssim': try_value(lambda: structural_similarity(ts, ps, data_range=1.0)),
        'ms_ssim': try_value(lambda: quiet(ref['ms_ssim'], ts, ps)),
        'level_ssim': level_ssims(ts, ps, dr) if np.isfinite(dr) and min(t.shape) >= 7 else [],
    }


def amplitude_case(ref, name, t, p, note):
    """Amplitude pair: the reference's amplitude SSIM (range of the target) and MS-SSIM (σ = 1)."""
    return {
        'name': name, 'kind': 'amplitude', 'note': note, 'h': t.shape[0], 'w': t.shape[1], 't': b64(t), 'p': b64(p),
        'ssim': try_value(lambda: structural_similarity(t, p, data_range=float(np.max(t) - np.min(t)))),
        'ms_ssim': try_value(lambda: quiet(ref['ms_ssim'], t, p, sigma=1.0)),
    }


def eval_case(ref, name, gt, rec, note):
    """The whole eval_reconstruction on a complex pair, called as the study's comparison calls it."""
    out = quiet(ref['eval_reconstruction'], rec[None, ..., None], gt[..., None],
                phase_align_method='plane', frc_sigma=0, ms_ssim_sigma=1.0)
    values = {k: [num(out[k][0]), num(out[k][1])] for k in ['mae', 'mse', 'psnr', 'ssim', 'ms_ssim', 'frc50', 'frc1over7']}
    frc = {'amplitude': [num(v) for v in out['frc'][0]], 'phase': [num(v) for v in out['frc'][1]]}
    return {'name': name, 'note': note, 'h': gt.shape[0], 'w': gt.shape[1], 'gt': b64c(gt), 'rec': b64c(rec),
            'values': values, 'frc': frc}


def complex_object(rng, h, w, phase_lo, phase_hi, sigma=3.0):
    amp = 0.5 + 0.45 * smooth_field(rng, h, w, sigma)
    ph = phase_lo + (phase_hi - phase_lo) * smooth_field(rng, h, w, sigma)
    return amp, ph


def build_fixture(ref, info):
    rng = np.random.default_rng(20261130)
    phase = []
    # smooth phase, zero-mean-ish, and a blurred noisy reconstruction
    t = -1.5 + 3.0 * smooth_field(rng, 64, 64, 3.0)
    p = gaussian_filter(t, 1.0) + 0.15 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'smooth_64x64', t, p, 'smooth phase, blurred + noisy copy'))
    # smooth phase with a large mean (the mapping's offset matters for the luminance term), odd sides
    t = 0.8 + 1.6 * smooth_field(rng, 45, 70, 2.0)
    p = gaussian_filter(t, 1.2) + 0.2 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'smooth_offset_45x70', t, p, 'phase in [0.8, 2.4] rad; MS-SSIM stops after 3 levels'))
    # near +-pi: the ground truth wraps; the reconstruction on its branch (may leave (-pi, pi])
    t = wrap(2.2 + 2.0 * smooth_field(rng, 48, 48, 3.0))
    p = t + 0.25 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'wrap_branch_48x48', t, p, 'ground truth crosses +-pi; reconstruction on its branch'))
    phase.append(phase_case(ref, 'wrap_rewrapped_48x48', t, wrap(p), 'same, reconstruction wrapped to (-pi, pi]'))
    # constant images
    c = np.full((16, 16), 0.25)
    phase.append(phase_case(ref, 'constant_identical_16x16', c, c.copy(), 'both constant: SSIM 1, MS-SSIM data range 0'))
    v = 0.25 + 0.3 * rng.normal(size=(16, 16))
    phase.append(phase_case(ref, 'constant_vs_varying_16x16', c, v, 'constant ground truth'))
    # small images: early stop of MS-SSIM, and below 7 px at the first level
    t = -1 + 2 * smooth_field(rng, 20, 30, 1.5)
    p = t + 0.3 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'small_20x30', t, p, 'levels 20x30, 10x15, then 5x8 < 7: stop after 2'))
    t = -1 + 2 * smooth_field(rng, 13, 13, 1.5)
    p = t + 0.3 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'small_13x13', t, p, 'levels 13x13, 7x7, then 4x4: stop after 2'))
    t = -1 + 2 * smooth_field(rng, 7, 9, 1.0)
    p = t + 0.3 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'small_7x9', t, p, 'one level'))
    t = -1 + 2 * smooth_field(rng, 6, 10, 1.0)
    p = t + 0.3 * rng.normal(size=t.shape)
    phase.append(phase_case(ref, 'tiny_6x10', t, p, 'below 7 px at level 0: scikit-image refuses'))
    # a negative SSIM level (anti-correlated structure): clamped to 1e-4
    t = -1 + 2 * smooth_field(rng, 40, 40, 1.0)
    p = -t + 0.05 * rng.normal(size=t.shape)
    case = phase_case(ref, 'negative_40x40', t, p, 'reconstruction = -ground truth: SSIM < 0 at every level')
    assert all(s < 0 for s in case['level_ssim']), case['level_ssim']
    phase.append(case)
    # NaN in the reconstruction
    t = -1.5 + 3.0 * smooth_field(rng, 32, 32, 2.0)
    p = t + 0.1 * rng.normal(size=t.shape)
    p[10, 12] = np.nan
    phase.append(phase_case(ref, 'nan_32x32', t, p, 'one NaN pixel in the reconstruction'))
    # unrelated images
    phase.append(phase_case(ref, 'unrelated_40x40', wrap(3 * rng.normal(size=(40, 40))), wrap(3 * rng.normal(size=(40, 40))), 'noise vs noise'))

    amplitude = []
    a = 0.5 + 0.5 * smooth_field(rng, 64, 56, 3.0)
    amplitude.append(amplitude_case(ref, 'noisy_64x56', a, a + 0.05 * rng.normal(size=a.shape), 'smooth amplitude + noise'))
    a = 0.5 + 0.5 * smooth_field(rng, 37, 51, 2.0)
    amplitude.append(amplitude_case(ref, 'blurred_37x51', a, 0.9 * gaussian_filter(a, 1.5) + 0.1, 'blurred, rescaled'))
    a = 0.6 + 0.3 * smooth_field(rng, 12, 12, 1.0)
    amplitude.append(amplitude_case(ref, 'small_12x12', a, a + 0.1 * rng.normal(size=a.shape), 'one level'))
    c = np.zeros((16, 16))
    amplitude.append(amplitude_case(ref, 'constant_zero_16x16', c, c.copy(), 'data range 0, exact zeros: 0/0'))
    c = np.full((16, 16), 0.7)
    amplitude.append(amplitude_case(ref, 'constant_rounding_16x16', c, c.copy(),
                                    'data range 0: 0/0 in exact arithmetic; the value depends on rounding in the filters'))
    a = 0.5 + 0.5 * smooth_field(rng, 30, 30, 2.0)
    b = a + 0.02 * rng.normal(size=a.shape)
    b[3, 4] = np.nan
    amplitude.append(amplitude_case(ref, 'nan_30x30', a, b, 'one NaN pixel'))
    a = 0.5 + 0.5 * smooth_field(rng, 40, 40, 1.0)
    amplitude.append(amplitude_case(ref, 'negative_40x40', a, 1.5 - a + 0.02 * rng.normal(size=a.shape), 'inverted contrast'))

    evals = []
    amp, ph = complex_object(rng, 64, 64, -1.2, 1.2)
    gt = amp * np.exp(1j * ph)
    rec_amp = 0.8 * gaussian_filter(amp, 0.8) + 0.02 * rng.normal(size=amp.shape)
    rec_ph = gaussian_filter(ph, 0.8) + 0.1 * rng.normal(size=ph.shape) + 0.3 + 0.004 * np.arange(64)[None, :]
    evals.append(eval_case(ref, 'smooth_64x64', gt, rec_amp * np.exp(1j * rec_ph), 'noisy copy, scale 0.8, phase offset and ramp'))
    amp, ph = complex_object(rng, 50, 70, 0.5, 2.5)
    ph = ph + 0.01 * np.arange(50)[:, None]
    gt = amp * np.exp(1j * ph)
    rec = (amp + 0.03 * rng.normal(size=amp.shape)) * np.exp(1j * (ph + 0.15 * rng.normal(size=ph.shape)))
    evals.append(eval_case(ref, 'tilted_50x70', gt, rec, 'ground-truth phase with a mean and its own tilt; non-square'))
    amp, ph = complex_object(rng, 48, 48, 2.0, 4.2)
    gt = amp * np.exp(1j * ph)
    rec = (amp + 0.02 * rng.normal(size=amp.shape)) * np.exp(1j * (ph + 0.1 * rng.normal(size=ph.shape)))
    evals.append(eval_case(ref, 'wrap_48x48', gt, rec, 'phase crosses +-pi'))
    amp, ph = complex_object(rng, 32, 32, -1.0, 1.0)
    gt = amp * np.exp(1j * ph)
    evals.append(eval_case(ref, 'identical_32x32', gt, gt.copy(), 'reconstruction = ground truth (PSNR 361.2 dB, FRC 1)'))

    curves = []
    for curve, note in [([1.0, 0.9, 0.6, 0.4, 0.1, 0.05], 'plain crossing'),
                        ([1.0, 0.7, 0.55, 0.52, 0.51], 'never below 0.5'),
                        ([0.3, 0.2, 0.1], 'below at ring 0'),
                        ([1.0, np.nan, 0.8, 0.3, 0.1], 'NaN ring before the crossing'),
                        ([1.0, 0.8, 0.5, 0.5, 0.2, 0.1], 'exactly 0.5 then below'),
                        ([np.nan, np.nan], 'all NaN')]:
        curves.append({'curve': [num(v) for v in curve], 'note': note,
                       'frc50': num(ref['_first_below_threshold_interpolated'](curve, 0.5)),
                       'frc1over7': num(ref['_first_below_threshold_interpolated'](curve, 1.0 / 7.0))})

    return {
        'generator': 'scripts/make-reference-metric-fixtures.py',
        'reference': info,
        'versions': versions(),
        'encoding': 'images: base64 little-endian float64 (complex: interleaved re, im), row-major; non-finite numbers as strings',
        'phase': phase, 'amplitude': amplitude, 'eval_reconstruction': evals, 'frc_thresholds': curves,
    }


def versions():
    return {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__,
            'scikit-image': skimage.__version__, 'opencv': cv2.__version__ if cv2 else None}


# ---------------------------------------------------------------------------------------------------
# Evaluating a ptychostudy comparison's aligned arrays


METRICS = ['mae', 'mse', 'psnr', 'ssim', 'ms_ssim', 'frc50', 'frc1over7']


def slug(name):
    """ptychostudy's file-name form of a model name (lower case, runs of non-alphanumerics -> '_')."""
    out, prev = [], False
    for ch in name.lower():
        ok = ch.isascii() and ch.isalnum()
        if ok:
            out.append(ch)
        elif not prev:
            out.append('_')
        prev = not ok
    return ''.join(out).strip('_') or 'model'


def read_csv_metrics(path):
    """comparison_metrics.csv beside an aligned NPZ: {model slug: {metric: [amplitude, phase]}}."""
    out = {}
    if not os.path.isfile(path):
        return out
    with open(path, encoding='utf-8') as f:
        import csv
        for row in csv.DictReader(f):
            if row['amplitude'] == '' and row['phase'] == '':
                continue
            cell = lambda v: float(v) if v not in ('', 'nan') else float('nan')
            out.setdefault(slug(row['model']), {})[row['metric']] = [cell(row['amplitude']), cell(row['phase'])]
    return out


def evaluate_npz(ref, path):
    z = np.load(path, allow_pickle=False)
    keys = set(z.files)
    csv_values = read_csv_metrics(os.path.join(os.path.dirname(path), 'comparison_metrics.csv'))
    models = sorted(k[:-len('_complex')] for k in keys if k.endswith('_complex') and not k.endswith('ground_truth_complex'))
    result = {}
    for m in models:
        own_gt = m + '_ground_truth_complex'
        gt = z[own_gt if own_gt in keys else 'ground_truth_complex']
        rec = z[m + '_complex']
        g64, r64 = gt.astype(np.complex128), rec.astype(np.complex128)
        at, ap = np.abs(g64), np.abs(r64)
        pt = np.angle(g64)
        pp = pt + wrap(np.angle(r64) - pt)  # the reconstruction's phase on the ground truth's branch
        ts, ps = scaled_phase(pt), scaled_phase(pp)
        formula = {
            'ssim': [num(structural_similarity(at, ap, data_range=float(at.max() - at.min()))),
                     num(structural_similarity(ts, ps, data_range=1.0))],
            'ms_ssim': [num(quiet(ref['ms_ssim'], at, ap, sigma=1.0)), num(quiet(ref['ms_ssim'], ts, ps))],
        }
        out = quiet(ref['eval_reconstruction'], rec[None, ..., None], gt[..., None],
                    phase_align_method='plane', frc_sigma=0, ms_ssim_sigma=1.0)
        whole = {k: [num(out[k][0]), num(out[k][1])] for k in METRICS}
        entry = {'shape': list(gt.shape), 'reference_formulas_on_these_arrays': formula, 'eval_reconstruction_on_these_arrays': whole}
        if m in csv_values:
            entry['comparison_metrics_csv'] = csv_values[m]
        result[m] = entry
    return result


def evaluate(ref, info, target):
    """Every reconstructions_aligned.npz under `target` (a file or a directory), with a summary of the largest
    differences between the CSV and the reference's formulas / whole eval_reconstruction on the same arrays."""
    if os.path.isdir(target):
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(target) for f in fs if f == 'reconstructions_aligned.npz')
    else:
        files = [target]
    jobs = {os.path.relpath(f, target if os.path.isdir(target) else os.path.dirname(f)): evaluate_npz(ref, f) for f in files}
    largest = {}
    for models in jobs.values():
        for entry in models.values():
            csv_v = entry.get('comparison_metrics_csv', {})
            for label, other in [('formulas', entry['reference_formulas_on_these_arrays']),
                                 ('eval_reconstruction', entry['eval_reconstruction_on_these_arrays'])]:
                for metric, pair in other.items():
                    ours = csv_v.get(metric if not (label == 'eval_reconstruction' and metric == 'psnr') else 'psnr_255')
                    if ours is None:
                        continue
                    for i, part in enumerate(['amplitude', 'phase']):
                        if isinstance(pair[i], float) and np.isfinite(ours[i]):
                            key = '%s %s %s' % (label, metric, part)
                            largest[key] = max(largest.get(key, 0.0), abs(pair[i] - ours[i]))
    return {'target': os.path.abspath(target), 'reference': info, 'versions': versions(),
            'largest_abs_difference_from_csv': largest, 'jobs': jobs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ptychopinn', required=True, help='PtychoPINN working tree or bare git directory')
    ap.add_argument('--rev', default='HEAD', help='commit of a git directory to read (default HEAD)')
    ap.add_argument('--frc', help='hoidn/FRC working tree or git directory (when the submodule is not checked out)')
    ap.add_argument('--out', default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'metrics')))
    ap.add_argument('--evaluate', metavar='PATH', help='instead: the reference\'s values for a reconstructions_aligned.npz, or for every one under a directory (e.g. a hub\'s phase_g), beside comparison_metrics.csv')
    args = ap.parse_args()
    ref, info = load_reference(args.ptychopinn, args.rev, args.frc)
    # NaN and constant cases make scikit-image warn about 0/0; the values record what it returned.
    warnings.simplefilter('ignore', RuntimeWarning)
    if args.evaluate:
        json.dump(evaluate(ref, info, args.evaluate), sys.stdout, indent=1)
        print()
        return
    if cv2 is None:
        raise SystemExit('OpenCV (python3-opencv) is needed for the reference\'s psnr')
    fixture = build_fixture(ref, info)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, 'reference-ptychopinn.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, indent=1, allow_nan=False)
        f.write('\n')
    print(path)


if __name__ == '__main__':
    main()
