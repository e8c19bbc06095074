/**
 * Live round trip with the installed h5py (Debian's python3-h5py; skipped, saying why, without it):
 * h5py writes CXI files now — every integer and float type of detector data, big-endian, shuffle +
 * gzip, szip, a 512-byte user block, translation only under data_1, [n, 2] positions, scalars stored
 * as one-element arrays, a complex128 probe with modes — and the values we read equal h5py's own
 * (amplitudes √I as float32, bit for bit). A dataset compressed with a plugin filter (LZF) is refused
 * by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { readInputData } from '../../src/data/input.js';
import { hdf5SignatureOffset } from '../../src/data/hdf5/signature.js';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `needs ${PY} with h5py and numpy (apt-get install python3-h5py): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;

const script = String.raw`
import json, sys, h5py, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
n, H, W = 3, 8, 8
E, Z, P = 1.2817e-15, 1.5, 55e-6
cases = {}
variants = [
  ('u16', '<u2', {}), ('u8', '|u1', {}), ('i64', '<i8', {}), ('f32be', '>f4', {}), ('f64', '<f8', {}),
  ('shuffle', '<u4', dict(compression='gzip', shuffle=True, fletcher32=True, chunks=(1, H, W))),
  ('szip', '<u2', dict(compression='szip', chunks=(1, H, W))),
  ('userblock', '<u4', {}), ('alt', '<i4', {}),
]
for name, dt, kw in variants:
    data = rng.integers(0, 200, size=(n, H, W)).astype(dt)
    if dt.endswith('f4') or dt.endswith('f8'):
        data = (data + rng.random((n, H, W))).astype(dt)
    t = rng.normal(0, 1e-6, size=(n, 2 if name == 'alt' else 3)).astype('<f4' if name == 'alt' else '<f8')
    path = f'{out}/{name}.cxi'
    with h5py.File(path, 'w', userblock_size=512 if name == 'userblock' else 0) as f:
        f.create_dataset('entry_1/data_1/data', data=data, **kw)
        tkey = 'entry_1/data_1/translation' if name == 'alt' else 'entry_1/sample_1/geometry_1/translation'
        f[tkey] = t
        scalar = (lambda v: np.array([v])) if name == 'alt' else (lambda v: v)
        f['entry_1/instrument_1/source_1/energy'] = scalar(E)
        f['entry_1/instrument_1/detector_1/distance'] = scalar(Z)
        f['entry_1/instrument_1/detector_1/x_pixel_size'] = scalar(P)
        f['entry_1/instrument_1/detector_1/y_pixel_size'] = scalar(P * 2)
        if name == 'alt':
            pr = (rng.normal(size=(2, H, W)) + 1j * rng.normal(size=(2, H, W))).astype('<c16')
            f['entry_1/instrument_1/source_1/illumination'] = pr
            cases[name + '_probe'] = [[float(v.real), float(v.imag)] for v in pr.ravel()]
    amp = np.sqrt(np.maximum(data.astype(np.float64), 0)).astype(np.float32)
    cases[name] = dict(amp=[float(v) for v in amp.ravel()], x=[float(v) for v in t[:, 0]], y=[float(v) for v in t[:, 1]], dtype=np.dtype(dt).str)
with h5py.File(f'{out}/lzf.cxi', 'w') as f:
    f.create_dataset('entry_1/data_1/data', data=np.ones((n, H, W), '<u2'), compression='lzf', chunks=(1, H, W))
    f['entry_1/sample_1/geometry_1/translation'] = np.zeros((n, 3))
    for k, v in [('source_1/energy', E), ('detector_1/distance', Z), ('detector_1/x_pixel_size', P), ('detector_1/y_pixel_size', P)]:
        f['entry_1/instrument_1/' + k] = v
json.dump(dict(cases=cases, h5py=h5py.__version__, hdf5=h5py.version.hdf5_version), sys.stdout)
`;

test('h5py-written CXI variants read with h5py\'s values; a plugin filter is refused by name', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-h5py-'));
  try {
    const r = spawnSync(PY, ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { cases: Record<string, { amp: number[]; x: number[]; y: number[]; dtype: string }> & Record<string, unknown> };
    for (const name of ['u16', 'u8', 'i64', 'f32be', 'f64', 'shuffle', 'szip', 'userblock', 'alt']) {
      const want = got.cases[name]!;
      const m = await readCxi(join(dir, `${name}.cxi`));
      assert.deepEqual([m.n, m.H, m.W], [3, 8, 8], name);
      assert.deepEqual(Array.from(m.diffraction), want.amp, `${name} (${want.dtype}): amplitudes`);
      // Positions are compared at the precision they were stored in (float32 for 'alt').
      assert.deepEqual(Array.from(m.positionsM.x), want.x, `${name}: x`);
      assert.deepEqual(Array.from(m.positionsM.y), want.y, `${name}: y`);
      assert.deepEqual(m.geometry.detectorPixelM, [110e-6, 55e-6], `${name}: [y, x] pixel sizes`);
    }
    assert.equal(hdf5SignatureOffset(join(dir, 'userblock.cxi')), 512);
    const alt = await readCxi(join(dir, 'alt.cxi'));
    assert.equal(alt.keys.translation, 'entry_1/data_1/translation');
    assert.equal(alt.probe!.modes, 2);
    assert.deepEqual(Array.from(alt.probe!.data), (got.cases.alt_probe as unknown as number[][]).flat());
    await assert.rejects(readInputData(join(dir, 'lzf.cxi')),
      /lzf\.cxi: key 'entry_1\/data_1\/data': compressed with the LZF filter \(HDF5 filter id 32000\), which needs a plugin; supported: deflate, shuffle, fletcher32, szip, nbit, scaleoffset/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
