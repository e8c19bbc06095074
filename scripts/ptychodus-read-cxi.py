#!/usr/bin/python3
"""Reads CXI files with ptychodus's own CXI reader plugin, and writes what it read as JSON.

Usage:
  /usr/bin/python3 scripts/ptychodus-read-cxi.py PTYCHODUS_SOURCE OUT.json FILE.cxi [FILE.cxi ...]

PTYCHODUS_SOURCE is a checkout of github.com/AdvancedPhotonSource/ptychodus (the folder holding src/ptychodus), e.g.
`git clone https://github.com/AdvancedPhotonSource/ptychodus && git -C ptychodus checkout 7ccf581`.
The fixture test/fixtures/ptychodus/cxi-read-by-ptychodus.json was made from commit 7ccf581, unpacked as for
scripts/ptychodus-read-product.py (from a mirror of the repository, a git directory without a work tree:
`git --git-dir=/work/.mirror/AdvancedPhotonSource+ptychodus/repo archive 7ccf581 src | tar -x -C /tmp/ptychodus-src`),
with
  /usr/bin/python3 scripts/ptychodus-read-cxi.py /tmp/ptychodus-src test/fixtures/ptychodus/cxi-read-by-ptychodus.json \\
    test/fixtures/cxi/scan.cxi test/fixtures/cxi/scan-noprobe.cxi test/fixtures/cxi/scan-xy.cxi test/fixtures/cxi/two-translations.cxi
(scan-xy.cxi and two-translations.cxi: `/usr/bin/python3 scripts/make-cxi-fixture.py --xy`).

Nothing is fetched or installed. The script puts PTYCHODUS_SOURCE/src on sys.path and runs the plugin
ptychodus.plugins.cxi_file unchanged: CXIDiffractionFileReader.read (patterns, detector distance, pixel size,
energy), CXIPositionFileReader.read (probe positions) and CXIProbeFileReader.read (probe), and reads the patterns
through the H5DiffractionPatternArray it returns (plugins/h5_diffraction_file.py). These import only the package's
__init__ and ptychodus.api.*, which need numpy, h5py and scipy (Debian's python3-numpy, python3-h5py,
python3-scipy); nothing is stubbed for them.

The object-plane pixel size is ptychodus's own ProductGeometry (src/ptychodus/model/product/geometry.py:
lambda z / processed width, lambda = hc / E with ptychodus's constants), loaded from its file alone: the package
ptychodus.model imports all of ptychodus's GUI-less model (its agent module needs `requests`, not installed here),
so the three modules geometry.py imports by relative name are stubbed in this script (STUBBED below):
  ..diffraction.PatternSizer            -> the detector as the reader read it, with ptychodus's crop, binning and
                                           padding off: processed width = W * x_pixel_size, height = H * y_pixel_size
  .metadata.MetadataRepositoryItem      -> the reader's probe_energy_eV and detector_distance_m
  .probe_positions.ProbePositionsRepositoryItem -> the positions the reader read
Only those stand-ins are this script's; every number is computed by ptychodus's code.

What it writes, per file (by base name): for each reader, what it returned or the exception it raised (type and
message); the patterns' count, shape and dtype as ptychodus holds them, the counts' sum per pattern; the detector
extent (width_px, height_px), pixel width and height (m), distance (m), energy (eV); the positions' indexes and
x_m, y_m (float64, JSON's shortest round-trip text); the probe's shape and dtype as ptychodus holds it, sum |P|^2
per mode and two of its values; the object-plane pixel width and height (m) and the wavelength (m).
"""
import importlib.util
import json
import sys
import types
from pathlib import Path

STUBBED = ['ptychodus.model', 'ptychodus.model.diffraction', 'ptychodus.model.product',
           'ptychodus.model.product.metadata', 'ptychodus.model.product.probe_positions']


class _Value:
    def __init__(self, value):
        self._value = value

    def get_value(self):
        return self._value


class _Observed:
    def add_observer(self, observer) -> None:
        pass


class _Sizer(_Observed):
    def __init__(self, width_m: float, height_m: float) -> None:
        self._width_m, self._height_m = width_m, height_m

    def get_processed_width_m(self) -> float:
        return self._width_m

    def get_processed_height_m(self) -> float:
        return self._height_m


class _Metadata(_Observed):
    def __init__(self, energy_eV: float, distance_m: float) -> None:  # noqa: N803
        self.probe_energy_eV = _Value(energy_eV)
        self.detector_distance_m = _Value(distance_m)
        self.probe_photon_count = _Value(0.0)
        self.exposure_time_s = _Value(0.0)


class _Positions(_Observed):
    def __init__(self, positions) -> None:
        self._positions = positions

    def get_probe_positions(self):
        return self._positions


def load_product_geometry(source: Path):
    """ptychodus's model/product/geometry.py, alone, with the modules it imports by relative name stubbed."""
    def package(name: str) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__path__ = []
        return module
    sys.modules['ptychodus.model'] = package('ptychodus.model')
    sys.modules['ptychodus.model.product'] = package('ptychodus.model.product')
    for name, attr in [('ptychodus.model.diffraction', 'PatternSizer'), ('ptychodus.model.product.metadata', 'MetadataRepositoryItem'),
                       ('ptychodus.model.product.probe_positions', 'ProbePositionsRepositoryItem')]:
        module = types.ModuleType(name)
        setattr(module, attr, type(attr, (), {}))
        sys.modules[name] = module
    path = source / 'src' / 'ptychodus' / 'model' / 'product' / 'geometry.py'
    spec = importlib.util.spec_from_file_location('ptychodus.model.product.geometry', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ProductGeometry


def attempt(fn):
    try:
        return fn(), None
    except Exception as e:  # what ptychodus raised is part of the record
        return None, {'error': type(e).__name__, 'message': str(e)}


def read_file(path: Path, readers, ProductGeometry) -> dict:  # noqa: N803
    import numpy
    diffraction_reader, position_reader, probe_reader = readers
    record: dict = {}

    dataset, err = attempt(lambda: diffraction_reader.read(path))
    if err:
        record['diffraction'] = err
    else:
        meta = dataset.get_metadata()
        patterns = numpy.concatenate([array.get_patterns() for array in dataset], axis=0)
        record['diffraction'] = {
            'num_patterns_per_array': [int(v) for v in meta.num_patterns_per_array],
            'pattern_dtype': str(meta.pattern_dtype),
            'patterns_shape': list(patterns.shape), 'patterns_dtype': str(patterns.dtype),
            'counts_sum_per_pattern': [float(v) for v in patterns.reshape(patterns.shape[0], -1).astype(numpy.float64).sum(axis=1)],
            'detector_width_px': int(meta.detector_extent.width_px), 'detector_height_px': int(meta.detector_extent.height_px),
            'detector_pixel_width_m': meta.detector_pixel_geometry.width_m, 'detector_pixel_height_m': meta.detector_pixel_geometry.height_m,
            'detector_distance_m': meta.detector_distance_m, 'probe_energy_eV': meta.probe_energy_eV,
        }

    positions, err = attempt(lambda: list(position_reader.read(path)))
    record['positions'] = err or {
        'count': len(positions), 'index': [int(p.index) for p in positions],
        'x_m': [float(p.coordinate_x_m) for p in positions], 'y_m': [float(p.coordinate_y_m) for p in positions],
    }

    probe, err = attempt(lambda: probe_reader.read(path).get_array())
    if err:
        record['probe'] = err
    else:
        p = probe.astype(numpy.complex128)
        h, w = p.shape[-2:]
        modes = p.reshape(-1, h, w)
        record['probe'] = {
            'shape': list(probe.shape), 'dtype': str(probe.dtype),
            'sum_abs2_per_mode': [float(v) for v in numpy.sum(numpy.abs(modes) ** 2, axis=(-2, -1))],
            'mode0_00_re_im': [float(modes[0, 0, 0].real), float(modes[0, 0, 0].imag)],
            'mode0_centre_re_im': [float(modes[0, h // 2, w // 2].real), float(modes[0, h // 2, w // 2].imag)],
        }

    if 'probe_energy_eV' in record['diffraction'] and positions is not None:
        d = record['diffraction']
        sizer = _Sizer(d['detector_width_px'] * d['detector_pixel_width_m'], d['detector_height_px'] * d['detector_pixel_height_m'])
        geometry = ProductGeometry(sizer, _Metadata(d['probe_energy_eV'], d['detector_distance_m']), _Positions(positions))
        px = geometry.get_object_plane_pixel_geometry()
        record['object_plane'] = {'wavelength_m': geometry.probe_wavelength_m, 'pixel_width_m': px.width_m, 'pixel_height_m': px.height_m}
    return record


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__.split('\n\n')[1])
    source, out, files = Path(sys.argv[1]), Path(sys.argv[2]), [Path(f) for f in sys.argv[3:]]
    if not (source / 'src' / 'ptychodus' / 'plugins' / 'cxi_file.py').is_file():
        sys.exit(f'{source}: expected a ptychodus checkout (src/ptychodus/plugins/cxi_file.py); found none')
    sys.path.insert(0, str(source / 'src'))

    import h5py
    import numpy
    from ptychodus.plugins.cxi_file import CXIDiffractionFileReader, CXIPositionFileReader, CXIProbeFileReader
    product_geometry = load_product_geometry(source)
    readers = (CXIDiffractionFileReader(), CXIPositionFileReader(), CXIProbeFileReader())

    record = {
        'source': 'ptychodus CXIDiffractionFileReader, CXIPositionFileReader, CXIProbeFileReader (src/ptychodus/plugins/cxi_file.py) '
                  'and ProductGeometry (src/ptychodus/model/product/geometry.py), run by scripts/ptychodus-read-cxi.py',
        'stubbed': STUBBED,
        'libraries': {'python': sys.version.split()[0], 'numpy': numpy.__version__, 'h5py': h5py.__version__, 'hdf5': h5py.version.hdf5_version},
        'files': {f.name: read_file(f, readers, product_geometry) for f in files},
    }
    out.write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
