#!/usr/bin/python3
"""Writes .ptyd and .ptyr files with PtyPy's own code from the fixture test/fixtures/cxi/scan.cxi.

Usage:
  /usr/bin/python3 scripts/ptypy-reference.py PTYPY_SOURCE OUTDIR [COMMIT]

PTYPY_SOURCE is a checkout of github.com/ptycho/ptypy (the folder holding ptypy/). The fixtures in
test/fixtures/ptypy/ were made from commit 1681bec33ddab0434e92aae13866da23c9755e6b (a mirror at
/work/.mirror/ptycho+ptypy/repo, a git directory without a work tree, unpacked without the images of
ptypy/resources, which the mirror lacks and nothing here needs:
  git --git-dir=/work/.mirror/ptycho+ptypy/repo archive HEAD $(git --git-dir=... ls-tree -r --name-only HEAD ptypy \\
    | grep -v '^ptypy/resources/.*\\.png$') | tar -x -C /tmp/ptypy-src
) with `/usr/bin/python3 scripts/ptypy-reference.py /tmp/ptypy-src test/fixtures/ptypy 1681bec33ddab0434e92aae13866da23c9755e6b`
(COMMIT, recorded in the JSON, is needed where PTYPY_SOURCE is not a git checkout).

Nothing is fetched or installed: the script puts PTYPY_SOURCE on sys.path and runs PtyPy unchanged on numpy,
scipy and h5py (Debian's python3 packages; PtyPy runs without mpi4py and zmq, on one process).

What it writes in OUTDIR (each HDF5 file gzip'd whole, as NAME.gz, the file itself removed):
  scan.ptyd             PtyPy's PtyScan (save='append') of the 40 patterns and positions of scan.cxi, through a
                        subclass whose load() and load_positions() hand over the file's counts and its
                        translations as (y, x) metres, with shape 32, center 'fftshift', psize, distance and
                        energy (keV) of scan.cxi; orientation None;
  scan-transposed.ptyd  the same with orientation 4 (PtyScan transposes every frame before it saves);
  link.ptyd, crop.ptyd, rebin.ptyd, mask.ptyd, center-rounded.ptyd, center-far.ptyd, no-positions.ptyd,
  no-energy.ptyd, no-distance.ptyd, no-psize.ptyd
                        the other cases of a PtyScan docs/real-data.md names, each of the first FEW (4) frames and
                        positions, as scan.ptyd but: save='link' in chunks of 2 frames (the FILE.part<k> files it links
                        to are removed: the reader opens nothing outside the named file); the fixture's frames inside
                        40x40 zeros at CROP_OFFSET, cropped by PtyScan to shape 32 around their beam; rebin 2 with
                        weights (load_weight) of 0 at MASKED_PIXELS; those weights alone; center CENTER_ROUNDED,
                        then CENTER_FAR, without a crop; load_positions giving None; energy, distance or psize None;
  ml.ptyr               PtyPy's reconstruction (Ptycho, scan model 'Full', PtydScan reading scan.ptyd, engine
                        'ML', ML_type 'poisson', 20 iterations, one probe mode, save_run kind 'minimal' with the
                        views' positions recorded);
  ptypy-reference.json  PtyPy's commit and version, library versions, what PtyPy did with the data: the object
                        pixel rows and columns of each view (the top-left corner PtyPy cut the probe-sized patch
                        at, View.dlow, in ml.ptyr's object storage), the mean over views of sum |propagator.fw(P*O)|^2
                        (PtyPy's model of the data with its unitary far-field propagator) and of the sum of the
                        measured patterns, and sum |P|^2 of the saved probe; under 'cases', the cases' parameters.
"""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path


ITERATIONS = 20
FEW = 4                           # frames of each case below
CROP_OFFSET = (5, 3)              # where crop.ptyd's raw 40x40 frames hold the fixture's 32x32 ones (rows, columns)
MASKED_PIXELS = ((0, 0), (3, 7), (16, 16), (31, 5))  # (row, column) of the pixels of weight 0 in mask.ptyd
CENTER_ROUNDED = (16.6, 16)       # PtyPy's propagator takes ceil: pixel (17, 16), not the pattern centre (16, 16)
CENTER_FAR = (18.4, 14)           # more than 1 pixel off


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split('\n\n')[1])
    source, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    if not (source / 'ptypy' / 'core' / 'data.py').is_file():
        sys.exit(f'{source}: expected a PtyPy checkout (ptypy/core/data.py); found none')
    fixture = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'cxi' / 'scan.cxi'
    sys.path.insert(0, str(source))
    out.mkdir(parents=True, exist_ok=True)
    # PtyPy's version string ends in the commit of the git repository it is imported in (ptypy/version.py)
    os.chdir(source)
    import ptypy
    os.chdir(out)  # PtyPy records file names in what it saves: keep them relative

    import h5py
    import numpy as np
    import scipy
    from ptypy import utils as u
    from ptypy.core import Ptycho
    from ptypy.core.data import PtyScan

    with h5py.File(fixture, 'r') as f:
        counts = f['entry_1/instrument_1/detector_1/data'][()]
        translation = f['entry_1/sample_1/geometry_1/translation'][()]
        energy_j = float(f['entry_1/instrument_1/source_1/energy'][()])
        distance = float(f['entry_1/instrument_1/detector_1/distance'][()])
        psize = float(f['entry_1/instrument_1/detector_1/x_pixel_size'][()])
    n, N = counts.shape[0], counts.shape[1]
    energy_kev = energy_j / 1.602176634e-19 / 1000.0

    class FixtureScan(PtyScan):
        def load_positions(self):
            return np.stack([translation[:, 1], translation[:, 0]], axis=1)

        def load_weight(self):
            return np.ones((N, N))

        def load(self, indices):
            return {k: counts[k].astype(np.int32) for k in indices}, {}, {}

    def prepare(name, orientation):
        if os.path.exists(name):
            os.remove(name)
        scan = FixtureScan(u.Param(dfile=name, save='append', shape=N, center='fftshift', psize=psize,
                                   distance=distance, energy=energy_kev, orientation=orientation,
                                   num_frames=n, label='fixture'))
        scan.initialize()
        while scan.auto(20) != scan.EOS:
            pass

    prepare('scan.ptyd', None)
    prepare('scan-transposed.ptyd', 4)

    # The other cases PtyScan writes, each as tiny as it can be: the first FEW frames of the fixture.
    k = FEW
    mask = np.ones((N, N))
    for r, c in MASKED_PIXELS:
        mask[r, c] = 0
    pad = np.zeros((k, N + 8, N + 8), dtype=np.int32)
    pad[:, CROP_OFFSET[0]:CROP_OFFSET[0] + N, CROP_OFFSET[1]:CROP_OFFSET[1] + N] = counts[:k]

    class CaseScan(PtyScan):
        def __init__(self, pars, frames, weight, positions=True):
            self.frames, self.weight, self.positions = frames, weight, positions
            super().__init__(pars)

        def load_positions(self):
            return np.stack([translation[:k, 1], translation[:k, 0]], axis=1) if self.positions else None

        def load_weight(self):
            return self.weight

        def load(self, indices):
            return {i: self.frames[i] for i in indices}, {}, {}

    def case(name, frames=None, weight=None, positions=True, chunk=FEW, **pars):
        for f in [name] + [f'{name}.part{c:03d}' for c in range(FEW)]:
            if os.path.exists(f):
                os.remove(f)
        given = dict(dfile=name, save='append', shape=N, center='fftshift', psize=psize, distance=distance,
                     energy=energy_kev, orientation=None, num_frames=k, label='fixture')
        given.update(pars)
        scan = CaseScan(u.Param(given), counts[:k].astype(np.int32) if frames is None else frames,
                        np.ones((N, N)) if weight is None else weight, positions)
        scan.initialize()
        while scan.auto(chunk) != scan.EOS:
            pass

    case('link.ptyd', save='link', chunk=k // 2)
    case('crop.ptyd', frames=pad, weight=np.ones((N + 8, N + 8)),
         center=(CROP_OFFSET[0] + N // 2, CROP_OFFSET[1] + N // 2))
    case('rebin.ptyd', rebin=2, weight=mask)
    case('mask.ptyd', weight=mask)
    case('center-rounded.ptyd', center=CENTER_ROUNDED)
    case('center-far.ptyd', center=CENTER_FAR)
    case('no-positions.ptyd', positions=False)
    case('no-energy.ptyd', energy=None)
    case('no-distance.ptyd', distance=None)
    case('no-psize.ptyd', psize=None)
    cases = ['link.ptyd', 'crop.ptyd', 'rebin.ptyd', 'mask.ptyd', 'center-rounded.ptyd', 'center-far.ptyd',
             'no-positions.ptyd', 'no-energy.ptyd', 'no-distance.ptyd', 'no-psize.ptyd']
    for f in os.listdir('.'):
        if '.ptyd.part' in f:  # save='link''s chunk files: the reader opens nothing outside the named file
            os.remove(f)

    p = u.Param()
    p.verbose_level = 1
    p.io = u.Param(home='./', rfile='ml.ptyr')
    p.io.autosave = u.Param(active=False)
    p.io.autoplot = u.Param(active=False)
    p.io.interaction = u.Param(active=False)
    p.scans = u.Param()
    p.scans.fixture = u.Param(name='Full')
    p.scans.fixture.data = u.Param(name='PtydScan', source='scan.ptyd', dfile=None)
    p.engines = u.Param()
    p.engines.ml = u.Param(name='ML', numiter=ITERATIONS, ML_type='poisson')
    P = Ptycho(p, level=4)
    P.run()
    P.record_positions = True
    P.finalize()
    P.save_run('ml.ptyr', kind='minimal')

    # What PtyPy did with the data: its views of the object and its model intensity.
    (probe_storage,) = P.probe.storages.values()
    (obj_storage,) = P.obj.storages.values()
    top_left, model_sums, measured_sums = [], [], []
    for pod in P.pods.values():
        if not pod.active:
            continue
        r, c = (int(v) for v in pod.ob_view.dlow)
        # PtyPy's patch is the storage's pixels from dlow on (no sub-pixel shift): what a reader of ml.ptyr can cut
        assert np.array_equal(pod.object, obj_storage.data[0, r:r + N, c:c + N]) and pod.pr_view.storage is probe_storage
        top_left.append([r, c])
        model_sums.append(float(np.sum(u.abs2(pod.fw(pod.probe * pod.object)))))
        measured_sums.append(float(np.sum(pod.diff)))
    commit = sys.argv[3] if len(sys.argv) == 4 else subprocess.run(
        ['git', 'rev-parse', 'HEAD'], cwd=source, capture_output=True, text=True).stdout.strip()
    if not commit:
        sys.exit(f'{source}: not a git checkout; give PtyPy\'s commit as the third argument')
    record = {
        'source': 'PtyPy PtyScan, PtydScan, Ptycho and engine ML, run by scripts/ptypy-reference.py',
        'ptypy_commit': commit,
        'ptypy_version': ptypy.version,
        'libraries': {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__,
                      'h5py': h5py.__version__, 'hdf5': h5py.version.hdf5_version},
        'input': 'test/fixtures/cxi/scan.cxi',
        'n': n, 'N': N, 'energy_keV': energy_kev, 'distance_m': distance, 'psize_m': psize,
        'ml_iterations': ITERATIONS,
        'ml_type': 'poisson',
        'probe_storage': probe_storage.ID,
        'object_storage': obj_storage.ID,
        'object_shape': list(obj_storage.data.shape),
        'object_psize_m': [float(v) for v in obj_storage.psize],
        'probe_sum_abs2': float(np.sum(u.abs2(probe_storage.data))),
        'view_top_left_rc': top_left,
        'mean_model_sum': float(np.mean(model_sums)),
        'mean_measured_sum': float(np.mean(measured_sums)),
        'cases': {'files': cases, 'frames': k, 'link_chunk_frames': k // 2, 'crop_raw_shape': [N + 8, N + 8],
                  'crop_offset_rc': list(CROP_OFFSET), 'rebin': 2, 'masked_pixels_rc': [list(rc) for rc in MASKED_PIXELS],
                  'center_rounded': list(CENTER_ROUNDED), 'center_far': list(CENTER_FAR)},
    }
    with open('ptypy-reference.json', 'w') as fh:
        json.dump(record, fh, indent=1)
        fh.write('\n')
    # HDF5 files of many small groups: most of their bytes are headers and free space. Each is kept as PtyPy wrote
    # it, inside a gzip stream (no name, no time: the same bytes for the same file).
    for name in ['scan.ptyd', 'scan-transposed.ptyd', 'ml.ptyr'] + cases:
        with open(name, 'rb') as src, open(name + '.gz', 'wb') as raw:
            with gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0, compresslevel=9) as dst:
                dst.write(src.read())
        os.remove(name)
    print(f'wrote {out}: ' + ', '.join(f'{f} {os.path.getsize(f)} B' for f in sorted(os.listdir('.'))), file=sys.stderr)


if __name__ == '__main__':
    main()
