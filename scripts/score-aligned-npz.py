#!/usr/bin/env python3
"""SSIM and MS-SSIM of a ptychostudy comparison's aligned arrays, by the reference study's formulas, with
scikit-image: an independent check of the values in comparison_metrics.csv.

For every model in each reconstructions_aligned.npz (keys <model>_complex beside ground_truth_complex):
  amplitude: structural_similarity(|gt|, |rec|, data_range = max|gt| - min|gt|) and MS-SSIM with sigma = 1;
  phase: phi_t = arg gt, phi_p = phi_t + wrap(arg rec - phi_t) (the reconstruction on the ground truth's
         branch), both mapped by (phi + pi)/(2 pi); structural_similarity with data_range = 1 and MS-SSIM
         without smoothing.
MS-SSIM is the reference's 5-level definition as written in scripts/make-metric-fixtures.py (`ms_ssim`),
whose values are themselves checked against PtychoPINN's own function by the committed fixtures.

Usage: /usr/bin/python3 scripts/score-aligned-npz.py FILE.npz... > scores.json
"""
import importlib.util
import json
import os
import sys

import numpy as np
from skimage.metrics import structural_similarity

_spec = importlib.util.spec_from_file_location('metric_fixtures', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'make-metric-fixtures.py'))
_mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mf)


def unit_phase(p):
    return (p + np.pi) / (2 * np.pi)


def score(gt, rec):
    gt = gt.astype(np.complex128)
    rec = rec.astype(np.complex128)
    at, ap = np.abs(gt), np.abs(rec)
    pt = np.angle(gt)
    pp = pt + np.angle(np.exp(1j * (np.angle(rec) - pt)))
    ut, up = unit_phase(pt), unit_phase(pp)
    return {
        'ssim': [float(structural_similarity(at, ap, data_range=float(at.max() - at.min()))),
                 float(structural_similarity(ut, up, data_range=1.0))],
        'ms_ssim': [_mf.ms_ssim(at, ap, 1.0), _mf.ms_ssim(ut, up, 0.0)],
    }


def main():
    out = {}
    for path in sys.argv[1:]:
        z = np.load(path, allow_pickle=False)
        models = {}
        for key in z.files:
            if not key.endswith('_complex') or key.endswith('ground_truth_complex'):
                continue
            model = key[:-len('_complex')]
            own = model + '_ground_truth_complex'
            models[model] = score(z[own if own in z.files else 'ground_truth_complex'], z[key])
        out[path] = models
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == '__main__':
    main()
