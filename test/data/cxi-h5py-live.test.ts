/**
 * Live round trip with the installed h5py (Debian's python3-h5py; skipped, saying why, without it):
 * h5py writes CXI files now — every integer and float type of detector data, big-endian, shuffle +
 * gzip, szip, a 512-byte user block, translation only under data_1, [n, 2] positions, scalars stored
 * as one-element arrays, a complex128 probe with modes — and the values we read equal h5py's own
 * (amplitudes √I as float32, bit for bit). A dataset compressed with a plugin filter (LZF) is refused
 * by name. Files h5py writes that keep data outside the file (a soft link to an external link, a
 * virtual dataset of another file, external raw storage — absolute or relative to the working
 * directory), declare a million one-byte chunks or 65 536 probe modes, or hold broken links are
 * refused in one line, quickly; a virtual dataset of the file itself reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { readInputData } from '../../src/data/input.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { hdf5DataEnd, hdf5SignatureOffset } from '../../src/data/hdf5/signature.js';

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
    // HDF5 records the end of its data counted from byte 0, the user block included: the file's own length
    assert.equal(hdf5DataEnd(join(dir, 'userblock.cxi')), statSync(join(dir, 'userblock.cxi')).size);
    assert.equal(hdf5DataEnd(join(dir, 'u16.cxi')), statSync(join(dir, 'u16.cxi')).size);
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

const outsideScript = String.raw`
import os, sys, shutil, h5py, numpy as np
out, fixture = sys.argv[1], sys.argv[2]
D = 'entry_1/instrument_1/detector_1/data'
PR = 'entry_1/instrument_1/source_1/illumination'
def copy(name):
    path = os.path.join(out, name)
    shutil.copy(fixture, path)
    return h5py.File(path, 'a')
other = os.path.join(out, 'src2.h5')
shutil.copy(fixture, other)
with h5py.File(other, 'r') as f:
    counts = f[D][...]
small = np.minimum(counts, 255).astype('u1')
small.tofile(os.path.join(out, 'raw.bin'))
with h5py.File(other, 'a') as f:
    f['small'] = small
# The data key a soft link to an external link (the fixture's data_1/data is a soft link to D).
for name, target in [('softext.cxi', other), ('softext-gone.cxi', os.path.join(out, 'gone', 'src3.h5'))]:
    with copy(name) as f:
        del f[D]
        f['zz_ext'] = h5py.ExternalLink(target, D)
        f[D] = h5py.SoftLink('/zz_ext')
# Virtual datasets: sources in another file (absolute path), in this file ('.').
with copy('vds.cxi') as f:
    del f[D]
    layout = h5py.VirtualLayout(shape=counts.shape, dtype=counts.dtype)
    layout[...] = h5py.VirtualSource(other, D, shape=counts.shape)
    f.create_virtual_dataset(D, layout)
with copy('vds-same.cxi') as f:
    f['zz_real'] = counts
    del f[D]
    layout = h5py.VirtualLayout(shape=counts.shape, dtype=counts.dtype)
    layout[...] = h5py.VirtualSource('.', '/zz_real', shape=counts.shape)
    f.create_virtual_dataset(D, layout)
# A virtual dataset of this file ('.') whose source is an external link: only reading it shows where
# the data lies (the library's attempt to open the other file is refused).
with copy('vds-via-link.cxi') as f:
    f['zz_ext'] = h5py.ExternalLink(other, '/small')
    del f[D]
    layout = h5py.VirtualLayout(shape=small.shape, dtype=small.dtype)
    layout[...] = h5py.VirtualSource('.', '/zz_ext', shape=small.shape)
    f.create_virtual_dataset(D, layout)
# External raw storage: an absolute path, and a name relative to the reader's working directory.
for name, raw in [('external.cxi', os.path.join(out, 'raw.bin')), ('external-relative.cxi', 'package.json')]:
    with copy(name) as f:
        del f[D]
        f.create_dataset(D, shape=small.shape, dtype='u1', external=[(raw, 0, small.nbytes)])
# External raw storage larger than the file itself (the fixture's uint32 counts, from /dev/zero).
with copy('external-big.cxi') as f:
    del f[D]
    f.create_dataset(D, shape=counts.shape, dtype='<u4', external=[('/dev/zero', 0, counts.nbytes)])
# 1000 patterns in one-byte chunks (gzip, fill value 1): 61 KB declaring 1 024 000 chunks.
with copy('tiny-chunks.cxi') as f:
    del f[D]
    f.create_dataset(D, shape=(1000, 32, 32), dtype='u1', chunks=(1, 1, 1), compression='gzip', fillvalue=1)
    del f['entry_1/sample_1/geometry_1/translation']
    f['entry_1/sample_1/geometry_1/translation'] = np.zeros((1000, 3))
# A probe of 65 536 modes (gzip, chunks of 256 modes), nothing written.
with copy('modes.cxi') as f:
    del f[PR]
    f.create_dataset(PR, shape=(65536, 32, 32), dtype='<c8', chunks=(256, 32, 32), compression='gzip')
# A dangling soft link at the probe key.
with copy('dangling-probe.cxi') as f:
    del f[PR]
    f[PR] = h5py.SoftLink('/nowhere')
# A ptychodus product whose probe has no OPR mode.
with h5py.File(os.path.join(out, 'prod_opr0.h5'), 'w') as f:
    f.create_dataset('probe', shape=(0, 1, 32, 32), dtype='<c8')
    f['probe_position_x_m'] = np.zeros(3)
    f['probe_position_y_m'] = np.zeros(3)
`;

test('h5py-written files with data outside the file, tiny chunks, too many probe modes or broken links are refused in one line', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-h5py-outside-'));
  try {
    const r = spawnSync(PY, ['-c', outsideScript, dir, 'test/fixtures/cxi/scan.cxi'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const p = (f: string): string => join(dir, f);
    const refusedIn = async (f: string, re: RegExp): Promise<void> => {
      await assert.rejects(readInputData(p(f)), (err: Error) => {
        assert.equal(err.name, 'Hdf5Error', String(err));
        assert.doesNotMatch(err.message, /\n/);
        assert.ok(err.message.startsWith(p(f)), err.message);
        assert.match(err.message, re);
        return true;
      });
    };
    const D = "key 'entry_1/data_1/data'";
    await refusedIn('softext.cxi', new RegExp(`${D}: an external link to ${p('src2.h5')}:entry_1/instrument_1/detector_1/data \\(zz_ext, reached through the soft links entry_1/data_1/data → /entry_1/instrument_1/detector_1/data, entry_1/instrument_1/detector_1/data → /zz_ext\\)`));
    await refusedIn('softext-gone.cxi', /an external link to .*gone\/src3\.h5:/);
    await refusedIn('vds.cxi', new RegExp(`${D}: a virtual dataset with data in ${p('src2.h5')}:entry_1/instrument_1/detector_1/data; ptychostudy reads nothing outside the named file`));
    const same = await readCxi(p('vds-same.cxi'));
    assert.deepEqual(Array.from(same.diffraction), Array.from((await readCxi('test/fixtures/cxi/scan.cxi')).diffraction), 'a virtual dataset of this file reads');
    await refusedIn('vds-via-link.cxi', new RegExp(`${D}: reading it opens ${p('src2.h5')}, a file outside the named file; ptychostudy reads nothing outside the named file`));
    await refusedIn('external.cxi', new RegExp(`${D}: its raw data is stored outside the named file, in ${p('raw.bin')} \\(HDF5 external storage\\)`));
    // HDF5 resolves a relative name against the working directory (here the repository's package.json).
    await refusedIn('external-relative.cxi', new RegExp(`${D}: its raw data is stored outside the named file, in ${join(process.cwd(), 'package.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(HDF5 external storage\\)`));
    await refusedIn('external-big.cxi', new RegExp(`${D}: its raw data is stored outside the named file, in /dev/zero \\(HDF5 external storage\\)`));
    const t0 = performance.now();
    await refusedIn('tiny-chunks.cxi', new RegExp(`${D}: expected at most 65536 chunks, or chunks of at least 4096 bytes .*; found 1024000 chunks of shape \\[1, 1, 1\\] \\(1 byte each\\)$`));
    await refusedIn('modes.cxi', /illumination': expected a complex probe .* with at most 50 incoherent modes \(MAX_PROBE_MODES\); found shape \[65536, 32, 32\] \(65536 modes\)$/);
    assert.ok(performance.now() - t0 < 10_000, 'refused from the metadata');
    await refusedIn('dangling-probe.cxi', /illumination': a soft link to \/nowhere, which does not exist$/);
    await assert.rejects(readProbeFile(p('prod_opr0.h5'), 32, 32),
      new RegExp(`Error: ${p('prod_opr0.h5')}: key 'probe': expected a complex probe \\[32, 32\\], \\[M, 32, 32\\] or \\[OPR, M, 32, 32\\] .*; found shape \\[0, 1, 32, 32\\] \\(no OPR mode\\)$`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
