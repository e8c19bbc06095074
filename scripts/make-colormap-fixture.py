#!/usr/bin/env python3
"""matplotlib's colour maps as the report draws them: each resampled to 256 entries, 8-bit RGB.

Writes test/fixtures/report/colormaps.json (or --out FILE): for each name, 256 * 6 hex digits,
`colormaps[name].resampled(256)(np.arange(256))[:, :3]` rounded to 0..255 -- the tables of
src/report/colormap.ts, which test/report/colormap.test.ts compares with this file.

Run with Debian's python3 (python3-numpy, python3-matplotlib):
    /usr/bin/python3 scripts/make-colormap-fixture.py [--out FILE]
"""
import argparse
import json
import os
import sys

import matplotlib
import numpy as np
from matplotlib import colormaps

NAMES = ['viridis', 'twilight', 'RdBu', 'magma', 'inferno']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join('test', 'fixtures', 'report', 'colormaps.json'))
    args = ap.parse_args()
    tables = {}
    for name in NAMES:
        rgb = colormaps[name].resampled(256)(np.arange(256))[:, :3]
        tables[name] = ''.join('%02x%02x%02x' % tuple(int(round(v * 255)) for v in row) for row in rgb)
    out = {
        'generator': 'scripts/make-colormap-fixture.py',
        'versions': {'python': sys.version.split()[0], 'numpy': np.__version__, 'matplotlib': matplotlib.__version__},
        'colormaps': tables,
    }
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(args.out)


if __name__ == '__main__':
    main()
