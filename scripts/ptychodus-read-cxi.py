#!/usr/bin/python3
"""Reads CXI files with ptychodus's own CXI reader plugin, and writes what it read as JSON.

Usage:
  /usr/bin/python3 scripts/ptychodus-read-cxi.py PTYCHODUS_SOURCE OUT.json [--crop CY,CX,SIZE --bin B] FILE.cxi [FILE.cxi ...]

PTYCHODUS_SOURCE is a checkout of github.com/AdvancedPhotonSource/ptychodus (the folder holding src/ptychodus), e.g.
`git clone https://github.com/AdvancedPhotonSource/ptychodus && git -C ptychodus checkout 7ccf581`.
The fixture test/fixtures/ptychodus/cxi-read-by-ptychodus.json was made from commit 7ccf581, unpacked as for
scripts/ptychodus-read-product.py (from a mirror of the repository, a git directory without a work tree:
`git --git-dir=/work/.mirror/AdvancedPhotonSource+ptychodus/repo archive 7ccf581 src | tar -x -C /tmp/ptychodus-src`),
with
  /usr/bin/python3 scripts/ptychodus-read-cxi.py /tmp/ptychodus-src test/fixtures/ptychodus/cxi-read-by-ptychodus.json \\
    test/fixtures/cxi/scan.cxi test/fixtures/cxi/scan-noprobe.cxi test/fixtures/cxi/scan-xy.cxi test/fixtures/cxi/two-translations.cxi
(scan-xy.cxi and two-translations.cxi: `/usr/bin/python3 scripts/make-cxi-fixture.py --xy`).
test/fixtures/ptychodus/cxi-crop-bin-by-ptychodus.json, what ptychodus's own crop and binning make of frames.cxi
(`make-cxi-fixture.py --frames`), was made from the same commit with
  /usr/bin/python3 scripts/ptychodus-read-cxi.py /tmp/ptychodus-src test/fixtures/ptychodus/cxi-crop-bin-by-ptychodus.json \\
    --crop 38,72,64 --bin 2 test/fixtures/cxi/frames.cxi

With --crop and --bin, the patterns ptychodus's reader returned are also put through ptychodus's own
DiffractionPatternCrop and DiffractionPatternBinning (src/ptychodus/model/diffraction/processor.py, loaded from its
file alone and run unchanged; crop centre x = CX, y = CY, width = height = SIZE, bin sizes x = y = B), and so are the
file's bad pixels: ptychodus's CXI reader does not read entry_1/instrument_1/detector_1/mask (a TODO in it; its bad
pixels come from a file of their own), so the script hands it the mask's "do not use" pixels, mask & 0x2ff != 0, as
ptychostudy reads them, through process_bad_pixels. Recorded under 'processed': the patterns' shape, dtype, counts per
pattern, the SHA-256 of the patterns as little-endian int64, the flat indices of the bad pixels ptychodus keeps, the
processed pixel size (bin x the file's, PatternAxisSizer.get_processed_pixel_size_m) and the object-plane pixel of
ProductGeometry for the processed extent.

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


def load_processor(source: Path):
    """ptychodus's model/diffraction/processor.py, alone (it imports numpy and ptychodus.api only)."""
    path = source / 'src' / 'ptychodus' / 'model' / 'diffraction' / 'processor.py'
    spec = importlib.util.spec_from_file_location('ptychodus_diffraction_processor', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def process(path: Path, patterns, crop, bin_size, processor, ProductGeometry, positions, meta) -> dict:  # noqa: N803
    import hashlib
    import h5py
    import numpy
    from ptychodus.api.diffraction import CropCenter
    from ptychodus.api.geometry import ImageExtent
    cy, cx, size = crop
    p = processor.DiffractionPatternProcessor(
        crop=processor.DiffractionPatternCrop(CropCenter(position_x_px=cx, position_y_px=cy), ImageExtent(width_px=size, height_px=size)),
        filter_values=None, binning=processor.DiffractionPatternBinning(bin_size_x=bin_size, bin_size_y=bin_size),
        padding=None, hflip=False, vflip=False, transpose=False)
    with h5py.File(path, 'r') as f:
        mask = f['entry_1/instrument_1/detector_1/mask'][()]
    bad = p.process_bad_pixels((mask & 0x2ff) != 0)
    out = p.crop.apply(patterns)
    out = p.binning.apply(out)
    width_m = bin_size * meta.detector_pixel_geometry.width_m
    height_m = bin_size * meta.detector_pixel_geometry.height_m
    sizer = _Sizer(out.shape[-1] * width_m, out.shape[-2] * height_m)
    geometry = ProductGeometry(sizer, _Metadata(meta.probe_energy_eV, meta.detector_distance_m), _Positions(positions))
    px = geometry.get_object_plane_pixel_geometry()
    return {
        'crop_center_yx': [cy, cx], 'crop_size': size, 'bin_size': bin_size,
        'patterns_shape': list(out.shape), 'patterns_dtype': str(out.dtype),
        'counts_sum_per_pattern': [float(v) for v in out.reshape(out.shape[0], -1).astype(numpy.float64).sum(axis=1)],
        'patterns_int64_le_sha256': hashlib.sha256(out.astype('<i8').tobytes()).hexdigest(),
        'bad_pixels_shape': list(bad.shape), 'bad_pixels_flat': [int(i) for i in numpy.flatnonzero(bad)],
        'pixel_width_m': width_m, 'pixel_height_m': height_m,
        'object_plane': {'wavelength_m': geometry.probe_wavelength_m, 'pixel_width_m': px.width_m, 'pixel_height_m': px.height_m},
    }


def read_file(path: Path, readers, ProductGeometry, processing=None) -> dict:  # noqa: N803
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
        if processing is not None:
            crop, bin_size, processor = processing
            record['processed'] = process(path, patterns, crop, bin_size, processor, ProductGeometry, positions, meta)
    return record


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__.split('\n\n')[1])
    source, out, args = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    crop = bin_size = None
    while args and args[0] in ('--crop', '--bin'):
        if args[0] == '--crop':
            crop = tuple(int(v) for v in args[1].split(','))
        else:
            bin_size = int(args[1])
        args = args[2:]
    if (crop is None) != (bin_size is None) or (crop is not None and len(crop) != 3):
        sys.exit('--crop CY,CX,SIZE and --bin B come together')
    files = [Path(f) for f in args]
    if not (source / 'src' / 'ptychodus' / 'plugins' / 'cxi_file.py').is_file():
        sys.exit(f'{source}: expected a ptychodus checkout (src/ptychodus/plugins/cxi_file.py); found none')
    sys.path.insert(0, str(source / 'src'))

    import h5py
    import numpy
    from ptychodus.plugins.cxi_file import CXIDiffractionFileReader, CXIPositionFileReader, CXIProbeFileReader
    product_geometry = load_product_geometry(source)
    readers = (CXIDiffractionFileReader(), CXIPositionFileReader(), CXIProbeFileReader())
    processing = (crop, bin_size, load_processor(source)) if crop is not None else None

    record = {
        'source': 'ptychodus CXIDiffractionFileReader, CXIPositionFileReader, CXIProbeFileReader (src/ptychodus/plugins/cxi_file.py) '
                  'and ProductGeometry (src/ptychodus/model/product/geometry.py)' +
                  (', DiffractionPatternCrop and DiffractionPatternBinning (src/ptychodus/model/diffraction/processor.py)' if crop else '') +
                  ', run by scripts/ptychodus-read-cxi.py',
        'stubbed': STUBBED,
        'libraries': {'python': sys.version.split()[0], 'numpy': numpy.__version__, 'h5py': h5py.__version__, 'hdf5': h5py.version.hdf5_version},
        'files': {f.name: read_file(f, readers, product_geometry, processing) for f in files},
    }
    out.write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
