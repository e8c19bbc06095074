#!/usr/bin/env python3
"""Phase C `_metadata` compliance records made by PtychoPINN's own Phase G summary, for ptychostudy's
`phase_c_metadata_compliance` (src/study/compare/phase-c-compliance.ts).

The reference study's Phase G orchestrator
(`plans/active/STUDY-SYNTH-FLY64-DOSE-OVERLAP-001/bin/run_phase_g_dense.py`) records, in
`summarize_phase_g_outputs(hub)`, for every `<hub>/data/phase_c/dose_<D>/patched_{train,test}.npz`, whether
`MetadataManager.load_with_metadata` (`ptycho/metadata.py`) finds `_metadata` and whether its
`data_transformations` name `transpose_rename_convert`. This script reads both definitions from a PtychoPINN
checkout (or copies of those two files at the same paths), executes only them (the function, and the
`MetadataManager` class, each compiled alone with the standard-library and NumPy names they use), writes
small Phase C files (with the reference's own `MetadataManager.save_with_metadata` where a file is meant to
be as the reference writes it; with plain NumPy for the malformed ones), runs the whole
`summarize_phase_g_outputs` on hubs holding them and an empty `comparison_manifest.json`, and writes:

    <out>/<hub>/data/phase_c/...       the Phase C files, as they were summarised
    <out>/reference.json               per hub, the `phase_c_metadata_compliance` the reference wrote
                                       (its absolute hub path replaced by `<hub>`), with its key order

One more hub, `aggregates`, holds no Phase C files but a manifest of two successful comparison jobs and their
`comparison_metrics.csv` (the numbers of the reference's own summary test, plus a row with an empty phase cell and
a value row); for it reference.json also records the `summary` the reference wrote: counts, the per-job metric
entries and `aggregate_metrics` (for `test/study/compare-summary.test.ts`).

No code of the reference is copied into this project: it is read from the given files at run time. The
file records the SHA-256 of each definition's syntax tree without its docstring (`ast.dump`), which does not
depend on comments, docstrings or layout.

The committed fixture: `ptycho/metadata.py` as of PtychoPINN 712c23f3 (a git checkout; the file last changed
in dfc0b68, 2025-08-26); `run_phase_g_dense.py` as of f66e8d43, a copy of that file taken from a code index,
because no fetched PtychoPINN commit defines `summarize_phase_g_outputs` (all 1 168 commits of its branches
and pull requests, the newest of 2026-07-21). The copy
was checked against the index at the offsets of three of the function's lines and its length (14632
characters); the fingerprint recorded is that of the function as executed.

Usage (Debian's /usr/bin/python3 with python3-numpy):
    make-phase-c-compliance-fixture.py --ptychopinn DIR [--phase-g-commit SHA] [--metadata-commit SHA]
        [--out DIR]
        DIR: holds plans/active/STUDY-SYNTH-FLY64-DOSE-OVERLAP-001/bin/run_phase_g_dense.py and
        ptycho/metadata.py at their repository paths; the commits are recorded in reference.json.
        --out default: test/fixtures/phase-c-compliance
"""
import __future__
import argparse
import ast
import copy
import csv
import datetime as _datetime
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import typing
import warnings
from pathlib import Path

import numpy as np

PHASE_G = 'plans/active/STUDY-SYNTH-FLY64-DOSE-OVERLAP-001/bin/run_phase_g_dense.py'
METADATA = 'ptycho/metadata.py'
FUNCTION = 'summarize_phase_g_outputs'
CLASS = 'MetadataManager'
CANONICAL = 'transpose_rename_convert'


def strip_docstring(node):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], 'value', None), ast.Constant) and isinstance(body[0].value.value, str):
        node.body = body[1:]
    return node


def fingerprint(node):
    return hashlib.sha256(ast.dump(node, include_attributes=False).encode()).hexdigest()


def find(tree, kind, name, path):
    for node in tree.body:
        if isinstance(node, kind) and node.name == name:
            return node
    raise SystemExit(f'{path}: no {name}')


def compile_alone(node, path, scope):
    # Annotations are not evaluated (PEP 563), so names used only in them (TrainingConfig) need not exist.
    code = compile(ast.Module(body=[node], type_ignores=[]), path, 'exec', flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, scope)  # noqa: S102 - the reference's own definition
    return scope[node.name]


def load_reference(root):
    with open(os.path.join(root, METADATA), encoding='utf-8') as f:
        mtree = ast.parse(f.read())
    cls = find(mtree, ast.ClassDef, CLASS, METADATA)
    methods = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}
    digests = {}
    for name in ('load_with_metadata', 'save_with_metadata'):
        m = copy.deepcopy(methods[name])  # a copy, fingerprinted without its docstring
        digests[f'{CLASS}.{name}'] = fingerprint(strip_docstring(m))
    scope = {'json': json, 'np': np, 'logging': logging, 'logger': logging.getLogger('ptycho.metadata'),
             'datetime': _datetime.datetime, 'Path': Path, 'socket': socket, 'warnings': warnings,
             'Dict': typing.Dict, 'Any': typing.Any, 'Optional': typing.Optional, 'List': typing.List, 'Tuple': typing.Tuple}
    manager = compile_alone(cls, METADATA, scope)

    with open(os.path.join(root, PHASE_G), encoding='utf-8') as f:
        gtree = ast.parse(f.read())
    fn = strip_docstring(find(gtree, ast.FunctionDef, FUNCTION, PHASE_G))
    digests[FUNCTION] = fingerprint(fn)
    summarize = compile_alone(fn, PHASE_G, {'Path': Path, 'json': json, 'csv': csv, CLASS: manager})
    return manager, summarize, digests


def arrays():
    rng = np.random.default_rng(7)
    return {'diffraction': rng.random((2, 4, 4), dtype=np.float32), 'xcoords': np.array([1.0, 2.0]), 'ycoords': np.array([3.0, 4.0])}


def meta(*tools, **extra):
    return {'schema_version': '1.0.0', 'physics_parameters': {'nphotons': 1000.0, 'N': 4},
            'data_transformations': [{'tool': t, 'timestamp': '2025-11-06T08:47:36Z'} for t in tools], **extra}


def write_mixed(pc, manager):
    """Phase C files of every kind the record distinguishes (name: what it holds)."""
    def d(name):
        p = pc / name
        p.mkdir(parents=True, exist_ok=True)
        return p
    # as the reference writes them: a pickled 0-d object array holding indented JSON
    manager.save_with_metadata(str(d('dose_1000') / 'patched_train.npz'), arrays(), meta('generate_patches', CANONICAL))
    manager.save_with_metadata(str(d('dose_1000') / 'patched_test.npz'), arrays(), meta('generate_patches'))
    # no _metadata; the test split missing
    np.savez_compressed(d('dose_10000') / 'patched_train.npz', **arrays())
    # _metadata that is not JSON; a file that is not an NPZ
    np.savez_compressed(d('dose_500') / 'patched_train.npz', **arrays(), _metadata=np.array('not json {', dtype=object))
    (d('dose_500') / 'patched_test.npz').write_bytes(b'not a zip archive\n')
    # a plain '<U' string array (canonical); JSON null
    np.savez(d('dose_20000') / 'patched_train.npz', **arrays(), _metadata=np.array(json.dumps(meta(CANONICAL))))
    np.savez(d('dose_20000') / 'patched_test.npz', **arrays(), _metadata=np.array('null'))
    # an object with no data_transformations; data_transformations holding bare strings
    m = meta()
    del m['data_transformations']
    manager.save_with_metadata(str(d('dose_3000') / 'patched_train.npz'), arrays(), m)
    manager.save_with_metadata(str(d('dose_3000') / 'patched_test.npz'), arrays(), {'data_transformations': [CANONICAL]})
    # JSON that is an array; a '|S' bytes array (canonical)
    np.savez(d('dose_700') / 'patched_train.npz', **arrays(), _metadata=np.array('[1, 2]'))
    np.savez(d('dose_700') / 'patched_test.npz', **arrays(), _metadata=np.array(json.dumps(meta(CANONICAL)).encode()))
    # a dose written with a leading zero (the test split missing)
    manager.save_with_metadata(str(d('dose_0100') / 'patched_train.npz'), arrays(), meta(CANONICAL))
    # what is not a dose directory
    (d('notes') / 'README.txt').write_text('not a dose directory\n')
    (pc / 'dose_9').write_text('a file, not a directory\n')


def write_bad_dose_name(pc, manager):
    pc.mkdir(parents=True)
    for split in ('train', 'test'):
        (pc / 'dose_1000').mkdir(exist_ok=True)
        manager.save_with_metadata(str(pc / 'dose_1000' / f'patched_{split}.npz'), arrays(), meta(CANONICAL))
    (pc / 'dose_high').mkdir()
    manager.save_with_metadata(str(pc / 'dose_high' / 'patched_train.npz'), arrays(), meta(CANONICAL))


# Two dense jobs of dose 1000, as a comparison writes them: model, metric, amplitude, phase, value (strings as in the
# CSV). The last two rows: a pair with an empty phase cell (a metric that could not be computed), and a value row.
AGGREGATE_JOBS = {
    'train': [('PtychoPINN', 'ms_ssim', '0.950000', '0.920000', ''), ('Baseline', 'ms_ssim', '0.930000', '0.900000', ''),
              ('PtychoPINN', 'mae', '0.025000', '0.035000', ''), ('Baseline', 'mae', '0.030000', '0.040000', ''),
              ('PtyChi', 'ms_ssim', '0.700000', '0.800000', ''), ('PtychoPINN', 'computation_time_s', '', '', '12.500000')],
    'test': [('PtychoPINN', 'ms_ssim', '0.945000', '0.915000', ''), ('Baseline', 'ms_ssim', '0.925000', '0.895000', ''),
             ('PtychoPINN', 'mae', '0.027000', '0.037000', ''), ('Baseline', 'mae', '0.032000', '0.042000', ''),
             ('PtyChi', 'ms_ssim', '0.600000', '', ''), ('PtychoPINN', 'computation_time_s', '', '', '11.000000')],
}


def write_aggregate_jobs(analysis):
    results = []
    for split, rows in AGGREGATE_JOBS.items():
        job = analysis / 'dose_1000' / 'dense' / split
        job.mkdir(parents=True)
        with open(job / 'comparison_metrics.csv', 'w', newline='', encoding='utf-8') as f:
            w = csv.writer(f)
            w.writerow(['model', 'metric', 'amplitude', 'phase', 'value'])
            w.writerows(rows)
        results.append({'dose': 1000, 'view': 'dense', 'split': split, 'returncode': 0, 'log_path': f'dose_1000/dense/{split}/comparison.log'})
    return {'n_jobs': 2, 'n_executed': 2, 'n_success': 2, 'n_failed': 0, 'execution_results': results}


# (name, writer of its Phase C files, writer of its comparison results)
HUBS = [('mixed', write_mixed, None), ('bad-dose-name', write_bad_dose_name, None), ('no-phase-c', None, None),
        ('aggregates', None, write_aggregate_jobs)]


def scrub(value, hub):
    if isinstance(value, dict):
        return {k: scrub(v, hub) for k, v in value.items()}
    if isinstance(value, str):
        return value.replace(hub, '<hub>')
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ptychopinn', required=True)
    ap.add_argument('--phase-g-commit', default=None)
    ap.add_argument('--metadata-commit', default=None)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'phase-c-compliance'))
    args = ap.parse_args()
    manager, summarize, digests = load_reference(args.ptychopinn)
    out = Path(args.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, write, jobs in HUBS:
            hub = Path(tmp) / name
            (hub / 'analysis').mkdir(parents=True)
            manifest = {'n_jobs': 0, 'n_success': 0, 'n_failed': 0, 'execution_results': []} if jobs is None else jobs(hub / 'analysis')
            (hub / 'analysis' / 'comparison_manifest.json').write_text(json.dumps(manifest))
            if write is not None:
                write(hub / 'data' / 'phase_c', manager)
            summarize(hub)
            with open(hub / 'analysis' / 'metrics_summary.json', encoding='utf-8') as f:
                summary = json.load(f)
            record = scrub(summary['phase_c_metadata_compliance'], str(hub.resolve()))
            records[name] = {'phase_c_metadata_compliance': record, 'key_order': list(record.keys())}
            if jobs is not None:
                records[name]['summary'] = {k: summary[k] for k in ('n_jobs', 'n_success', 'n_failed', 'jobs', 'aggregate_metrics')}
            if write is not None:
                shutil.copytree(hub / 'data', out / name / 'data')
    doc = {
        'made_by': 'scripts/make-phase-c-compliance-fixture.py',
        'reference': {
            'repository': 'hoidn/PtychoPINN',
            'function': {'path': PHASE_G, 'name': FUNCTION, 'commit': args.phase_g_commit, 'ast_sha256': digests[FUNCTION]},
            'metadata_manager': {'path': METADATA, 'name': CLASS, 'commit': args.metadata_commit,
                                 'ast_sha256': {k: v for k, v in digests.items() if k.startswith(CLASS)}},
        },
        'numpy': np.__version__,
        'hubs': records,
    }
    with open(out / 'reference.json', 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write('\n')
    for name, r in records.items():
        print(name, json.dumps(r['phase_c_metadata_compliance'], ensure_ascii=False))


if __name__ == '__main__':
    main()
