#!/usr/bin/env python3
"""Writes the NumPy-made fixtures under test/fixtures/numpy/ that test/npy/numpy-fixtures.test.ts reads.

Run from the repository root:  python3 scripts/make-numpy-fixtures.py
Every file is written by NumPy itself (np.savez, np.savez_compressed, np.lib.format.write_array).
expected.json records, for every file and key, the dtype NumPy reports, the shape, and the values in
C order as NumPy sees them, so the tests compare our decoder against NumPy's own reading:
  floats  -> JSON numbers (exact doubles), or "nan" / "inf" / "-inf" / "-0"
  complex -> [re, im] with the float rule
  ints    -> decimal strings (exact beyond 2**53)
  bools   -> true / false
  '<U'    -> strings
  '|S'    -> hex strings
  objects -> {"str": s} / {"bytes": hex} / {"int": "123"} / {"float": x} / {"bool": b} / {"none": null}
"""
import io
import json
import math
import os
import pickle
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'numpy')


def fnum(x):
    x = float(x)
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    if x == 0 and math.copysign(1, x) < 0:
        return '-0'
    return x


def obj(v):
    if v is None:
        return {'none': None}
    if isinstance(v, bool):
        return {'bool': v}
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'float': fnum(v)}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, bytes):
        return {'bytes': v.hex()}
    raise TypeError(type(v))


def describe(a):
    flat = a.ravel(order='C')
    k = a.dtype.kind
    if k == 'f':
        vals = [fnum(x) for x in flat]
    elif k == 'c':
        vals = [[fnum(x.real), fnum(x.imag)] for x in flat]
    elif k in 'iu':
        vals = [str(int(x)) for x in flat]
    elif k == 'b':
        vals = [bool(x) for x in flat]
    elif k == 'U':
        vals = [str(x) for x in flat]
    elif k == 'S':
        vals = [bytes(x).hex() for x in flat]
    elif k == 'O':
        vals = [obj(x) for x in flat]
    else:
        raise TypeError(a.dtype)
    return {'dtype': a.dtype.str, 'shape': list(a.shape), 'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous), 'values': vals}


def every_dtype():
    """One array per dtype and layout the codec must read."""
    meta = {'schema_version': '1.0.0', 'creation_info': {'script': 'simulate_and_save.py', 'note': 'héllo ✓ 😀'},
            'physics_parameters': {'nphotons': 1000.0, 'N': 64, 'gridsize': 1},
            'data_transformations': [{'tool': 'transpose_rename_convert', 'parameters': {'flipx': False}}]}
    tiny = np.finfo(np.float64).tiny / 4  # subnormal
    a = {
        'f4': np.array([[1.5, -2.25, np.inf], [np.nan, -0.0, 3.4028235e38]], dtype='<f4'),
        'f8': np.array([np.pi, -0.0, tiny, -np.inf, 1e-300, 2.0 ** 60], dtype='<f8'),
        'c8': np.array([[1 + 2j, -3.5 - 0.25j, np.nan + 1j], [0j, 1e30 - 1e-30j, -0.0 + 0j]], dtype='<c8'),
        'c16': np.array([np.pi + np.e * 1j, 1e-310 - 1e300j, complex(np.inf, -np.inf)], dtype='<c16'),
        'i1': np.array([-128, -1, 0, 127], dtype='|i1'),
        'i2': np.array([-32768, 12345, 32767], dtype='<i2'),
        'i4': np.array([[-(2 ** 31), 0], [7, 2 ** 31 - 1]], dtype='<i4'),
        'i8': np.array([2 ** 62 + 1, -(2 ** 63), 2 ** 53 + 1, -(2 ** 53) - 1, 0, 2 ** 63 - 1], dtype='<i8'),
        'u1': np.array([0, 1, 255], dtype='|u1'),
        'u2': np.array([0, 65535], dtype='<u2'),
        'u4': np.array([0, 2 ** 32 - 1], dtype='<u4'),
        'u8': np.array([0, 2 ** 64 - 1, 2 ** 53 + 1], dtype='<u8'),
        'b1': np.array([[True, False, True], [False, False, True]], dtype='|b1'),
        'U1d': np.array(['a', 'héllo', '😀x', ''], dtype='<U5'),
        'S1d': np.array([b'ab', b'', b'\x00\xffz'], dtype='|S3'),
        'meta_u': np.array(json.dumps(meta, separators=(',', ':'))),
        '_metadata': np.array(json.dumps(meta, indent=2), dtype=object),
        'fortran_f8': np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4) * 0.5),
        'fortran_c8': np.asfortranarray((np.arange(6) + 1j * np.arange(6, 12)).astype('<c8').reshape(3, 2)),
        'fortran_i2': np.asfortranarray(np.arange(12, dtype='<i2').reshape(4, 3) - 6),
        'be_f8': np.array([1.0, -2.5, np.pi], dtype='>f8'),
        'be_f4': np.array([[1.0, 2.0], [-3.0, np.nan]], dtype='>f4'),
        'be_i4': np.array([1, -2, 2 ** 31 - 1], dtype='>i4'),
        'be_i8': np.array([2 ** 62 + 3, -5], dtype='>i8'),
        'be_u2': np.array([1, 65535], dtype='>u2'),
        'be_c16': np.array([1 - 1j, np.pi + 0j], dtype='>c16'),
        'be_c8': np.array([0.5 + 0.25j], dtype='>c8'),
        'be_U': np.array(['xy', 'é😀'], dtype='>U2'),
        'scalar_f8': np.array(42.5),
        'scalar_i8': np.array(-(2 ** 60) - 1, dtype='<i8'),
        'scalar_b1': np.array(True),
        'empty_f4': np.zeros((0,), dtype='<f4'),
        'empty_c8_2d': np.zeros((0, 3), dtype='<c8'),
        'empty_U': np.zeros((2, 0), dtype='<U3'),
        'objects_1d': np.array(['s', b'b\x00', 3, 2 ** 70, -1.5, True, None], dtype=object),
    }
    return a


def write_npy(path, arr, version):
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {'numpy_version': np.__version__, 'files': {}}
    arrays = every_dtype()
    for fname, save in (('every_dtype_savez.npz', np.savez), ('every_dtype_savez_compressed.npz', np.savez_compressed)):
        save(os.path.join(OUT, fname), **arrays)
        with np.load(os.path.join(OUT, fname), allow_pickle=True) as d:
            expected['files'][fname] = {k: describe(d[k]) for k in d.files}

    # A huge 0-d '<U' JSON string (about 1 MB of text) — kept compressed, it is very repetitive.
    big = {'points': [{'i': i, 'name': f'pt-{i}-ü', 'x': i * 0.5} for i in range(30000)]}
    big_text = json.dumps(big)
    np.savez_compressed(os.path.join(OUT, 'huge_unicode.npz'), _metadata=np.array(big_text))
    expected['files']['huge_unicode.npz'] = {'_metadata': {'dtype': np.array(big_text).dtype.str, 'shape': [], 'chars': len(big_text),
                                                           'sha256_utf8': __import__('hashlib').sha256(big_text.encode()).hexdigest()}}

    # .npy format versions 1.0, 2.0 and 3.0 of the same arrays.
    v = np.arange(12, dtype='<f4').reshape(3, 4) / 7
    u = np.array(['ünïcode ✓', '😀'])
    for ver in ((1, 0), (2, 0), (3, 0)):
        write_npy(os.path.join(OUT, f'v{ver[0]}_f4.npy'), v, ver)
        write_npy(os.path.join(OUT, f'v{ver[0]}_U.npy'), u, ver)
    expected['files']['v_f4.npy'] = describe(v)
    expected['files']['v_U.npy'] = describe(u)

    # An object array pickled as NumPy 1.x writes it: protocol 3, GLOBAL numpy.core.multiarray._reconstruct.
    o = np.array(json.dumps({'a': 1, 'b': [1, 2]}, indent=2), dtype=object)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(o))
    pk = pickle.dumps(o, protocol=3).replace(b'cnumpy._core.multiarray\n', b'cnumpy.core.multiarray\n')
    assert b'cnumpy.core.multiarray\n_reconstruct\n' in pk, pk[:80]
    with open(os.path.join(OUT, 'object_numpy1_protocol3.npy'), 'wb') as f:
        f.write(buf.getvalue() + pk)
    expected['files']['object_numpy1_protocol3.npy'] = describe(o)

    # An object array holding something outside the safe subset (a datetime.date): must be refused.
    write_npy(os.path.join(OUT, 'object_datetime.npy'), np.array([__import__('datetime').date(2020, 1, 2)], dtype=object), (1, 0))

    # A small PtychoPINN Phase C-like dataset (pickled object _metadata), written like np.savez_compressed does there.
    rng = np.random.default_rng(7)
    n, N, M = 3, 8, 16
    gt = (rng.random((n, N, N, 1)) + 1j * rng.random((n, N, N, 1))).astype(np.complex64)
    ds = {
        'diffraction': rng.random((n, N, N), dtype=np.float32),
        'objectGuess': (rng.random((M, M)) * np.exp(1j * rng.random((M, M)))).astype(np.complex64),
        'probeGuess': (rng.random((N, N)) + 1j * rng.random((N, N))).astype(np.complex64),
        'xcoords': np.array([4.0, 8.0, 12.0]),
        'ycoords': np.array([4.5, 8.5, 12.5]),
        'xcoords_start': np.array([4.0, 8.0, 12.0]),
        'ycoords_start': np.array([4.5, 8.5, 12.5]),
        'scan_index': np.zeros(n, dtype=np.int64),
        'ground_truth_patches': gt,
        '_metadata': np.array(json.dumps({'schema_version': '1.0.0', 'physics_parameters': {'nphotons': 1000.0, 'N': N},
                                          'data_transformations': [{'tool': 'transpose_rename_convert'}]}, indent=2), dtype=object),
    }
    np.savez_compressed(os.path.join(OUT, 'phase_c_dataset.npz'), **ds)
    with np.load(os.path.join(OUT, 'phase_c_dataset.npz'), allow_pickle=True) as d:
        expected['files']['phase_c_dataset.npz'] = {k: describe(d[k]) for k in d.files}

    with open(os.path.join(OUT, 'expected.json'), 'w', encoding='utf-8') as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print(f'wrote fixtures with numpy {np.__version__} to {os.path.relpath(OUT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
