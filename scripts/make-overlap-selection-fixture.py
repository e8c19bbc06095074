#!/usr/bin/env python3
"""Greedy minimum-spacing selections made by PtychoPINN's own code, for ptychostudy's `overlap.order: raster`.

The reference study's Phase D (`studies/fly64_dose_overlap/overlap.py`) falls back to
`greedy_min_spacing_selection(coords, threshold)`: positions visited sorted by (y, x) (`np.lexsort`), each kept
when every kept one is at least `threshold` away. This script reads that function's definition from a
PtychoPINN checkout (or a copy of that one file at the same path), executes only it with NumPy, runs it on
coordinate sets it makes here (random positions, a raster with exact ties in y and in x, repeated positions),
and writes the sets with the indices kept, so that the TypeScript test runs ptychostudy's selection on the same
numbers. No code of the reference is copied into this project: it is read from the given files at run time.
The file records the SHA-256 of the function's syntax tree without its docstring (`ast.dump`), which does not
depend on comments, docstrings or layout.

The committed fixture: no fetched PtychoPINN commit holds `studies/` (all 1 168 commits of its branches and
pull requests, the newest of 2026-07-21; none defines `greedy_min_spacing_selection`), so the function was read
from a copy of the file as a code index stores it: the version with the Phase D greedy fallback (27 561
characters; the index names no commit for it). The version the index gives for commit 10018d93 is the later
overlap-metrics rewrite and has no such function. Read again from the index, the copy gives the same
fingerprint and the same kept indices in all six cases.

Usage (Debian's /usr/bin/python3 with python3-numpy):
    make-overlap-selection-fixture.py --ptychopinn PATH [--rev REV] [--source-commit SHA] [--source TEXT]
        [--out FILE]
        PATH: a directory holding studies/fly64_dose_overlap/overlap.py (a working tree), or a bare git
        directory (the file is read with `git show REV:path`, REV default HEAD);
        SHA: the commit the file comes from (default: REV when PATH is a git directory, else none);
        TEXT: where the file came from, recorded as given;
        FILE default: test/fixtures/overlap/reference-greedy.json
"""
import argparse
import ast
import hashlib
import json
import os
import subprocess

import numpy as np

SOURCE = 'studies/fly64_dose_overlap/overlap.py'
FUNCTION = 'greedy_min_spacing_selection'


def read_source(root, rev):
    """The file's text, and whether it was read from git (at REV)."""
    path = os.path.join(root, SOURCE)
    if os.path.isfile(path):
        with open(path, encoding='utf-8') as f:
            return f.read(), False
    return subprocess.run(['git', '--git-dir', root, 'show', f'{rev}:{SOURCE}'], check=True, capture_output=True, text=True).stdout, True


def load_function(text):
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == FUNCTION:
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], 'value', None), ast.Constant) and isinstance(body[0].value.value, str):
                node.body = body[1:]  # the docstring: not part of what is fingerprinted
            digest = hashlib.sha256(ast.dump(node, include_attributes=False).encode()).hexdigest()
            module = ast.Module(body=[node], type_ignores=[])
            scope = {'np': np}
            exec(compile(module, SOURCE, 'exec'), scope)  # noqa: S102 - the reference's own definition
            return scope[FUNCTION], digest
    raise SystemExit(f'{SOURCE}: no function {FUNCTION}')


def cases():
    rng = np.random.default_rng(20261206)
    out = []
    # positions as a fly64-sized split spreads them, fewer: dense and sparse thresholds at N = 128
    xy = rng.uniform(64.0, 400.0, size=(400, 2))
    for name, s in [('random-400-dense', 38.400000000000006), ('random-400-sparse', 102.4)]:
        out.append((name, xy[:, 0].copy(), xy[:, 1].copy(), s))
    # a raster scan with exact ties in y (rows) and in x (columns), visited in a shuffled file order
    gx, gy = np.meshgrid(np.arange(12) * 17.5, np.arange(9) * 23.0)
    perm = rng.permutation(gx.size)
    out.append(('raster-ties', gx.ravel()[perm], gy.ravel()[perm], 40.0))
    # repeated positions (a distance of 0) and a pair exactly the threshold apart
    x = np.array([10.0, 10.0, 50.0, 30.0, 10.0, 90.0, 50.0, 70.0])
    y = np.array([5.0, 5.0, 5.0, 5.0, 45.0, 5.0, 45.0, 45.0])
    out.append(('repeats-and-exact', x, y, 40.0))
    # the quick preset's scale (N = 64): dense and sparse thresholds
    q = rng.uniform(32.0, 288.0, size=(113, 2))
    for name, s in [('random-113-dense', 19.200000000000003), ('random-113-sparse', 51.2)]:
        out.append((name, q[:, 0].copy(), q[:, 1].copy(), s))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ptychopinn', required=True)
    ap.add_argument('--rev', default='HEAD')
    ap.add_argument('--source-commit', default=None, help='the PtychoPINN commit the file comes from, recorded in the fixture (default: REV when read from git, else none)')
    ap.add_argument('--source', default=None, help='where the file came from, recorded in the fixture')
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'overlap', 'reference-greedy.json'))
    args = ap.parse_args()
    text, from_git = read_source(args.ptychopinn, args.rev)
    select, digest = load_function(text)
    records = []
    for name, x, y, s in cases():
        coords = np.stack([x, y], axis=1)
        mask = select(coords, s)
        records.append({'name': name, 'threshold': float(s), 'x': [float(v) for v in x], 'y': [float(v) for v in y],
                        'kept': [int(i) for i in np.flatnonzero(mask)]})
    doc = {
        'made_by': 'scripts/make-overlap-selection-fixture.py',
        'reference': {'repository': 'hoidn/PtychoPINN', 'commit': args.source_commit or (args.rev if from_git else None), 'path': SOURCE,
                      'function': FUNCTION, 'function_ast_sha256': digest, **({'source': args.source} if args.source else {})},
        'numpy': np.__version__,
        'cases': records,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print(f'wrote {args.out}: ' + ', '.join(f"{r['name']} {len(r['kept'])}/{len(r['x'])}" for r in records))


if __name__ == '__main__':
    main()
