#!/usr/bin/env python3
"""Writes the NumPy-made Phase F fixtures under test/fixtures/reconstruct/.

Each file is a small Phase D-like view (xcoords, ycoords) whose `_metadata` is stored the way the
Python pipeline stores it:
  meta_pickled.npz  -- np.array(json_str, dtype=object): a 0-d object array, written with a pickle
                       (how PtychoPINN's MetadataManager stores Phase C metadata)
  meta_unicode.npz  -- a plain str passed to np.savez_compressed: a 0-d '<U' array (Phase D)
  meta_bytes.npz    -- a 0-d '|S' bytes array holding UTF-8 JSON
Run: python3 scripts/make-reconstruct-fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'reconstruct')
META = {
    'overlap_view': 'sparse',
    'spacing_threshold': 102.4,
    'source_file': 'dose_1000/patched_train.npz',
    'n_accepted': 3,
    'n_rejected': 7,
    'acceptance_rate': 0.3,
    'selection_strategy': 'greedy',
    'note': 'unicode \u00e5\u00df\u2713',
}


def main():
    os.makedirs(OUT, exist_ok=True)
    xs = np.arange(10, dtype=np.float64) * 2.5 + 40.0
    ys = np.arange(10, dtype=np.float64) * 1.5 + 40.0
    text = json.dumps(META, indent=2)
    np.savez_compressed(os.path.join(OUT, 'meta_pickled.npz'), xcoords=xs, ycoords=ys,
                        _metadata=np.array(text, dtype=object))
    np.savez_compressed(os.path.join(OUT, 'meta_unicode.npz'), xcoords=xs, ycoords=ys, _metadata=json.dumps(META))
    np.savez_compressed(os.path.join(OUT, 'meta_bytes.npz'), xcoords=xs, ycoords=ys,
                        _metadata=np.array(json.dumps(META).encode('utf-8')))


if __name__ == '__main__':
    main()
