#!/usr/bin/python3
"""Reads a product file that `ptychostudy export` wrote with ptychodus's own reader, and writes what it read as JSON.

Usage:
  /usr/bin/python3 scripts/ptychodus-read-product.py PTYCHODUS_SOURCE PRODUCT.h5 OUT.json

PTYCHODUS_SOURCE is a checkout of github.com/AdvancedPhotonSource/ptychodus (the folder holding src/ptychodus).
The fixture test/fixtures/ptychodus/read-by-ptychodus.json was made from commit 7ccf581 (a mirror of the repository
at /work/.mirror/AdvancedPhotonSource+ptychodus/repo, a git directory without a work tree, unpacked with
`git --git-dir=/work/.mirror/AdvancedPhotonSource+ptychodus/repo archive 7ccf581 src | tar -x -C /tmp/ptychodus-src`)
and test/fixtures/ptychodus/reconstruction.npz exported with
`node dist/src/cli/main.js export --input test/fixtures/ptychodus/reconstruction.npz --out /tmp/product.h5`.

Nothing is fetched or installed: the script puts PTYCHODUS_SOURCE/src on sys.path and runs the plugin
ptychodus.plugins.h5_product_file (H5ProductFileIO.read) unchanged. It imports only the package's __init__,
ptychodus.api.* and the plugin, which need numpy, h5py and scipy (ptychodus.api.propagator imports it; Debian's
python3-numpy, python3-h5py, python3-scipy); none of ptychodus's GUI or reconstruction libraries (PyQt, torch,
pty-chi) is imported.

What it writes: the product's metadata; the probe's and object's shapes and dtypes as ptychodus holds them,
sum |probe|^2 (all and per mode), sum |object|, their pixel geometries and the object's centre; the positions
(metres) and where ptychodus maps each onto the object (ObjectGeometry.map_coordinates_probe_to_object, object
pixels); the losses.
"""
import json
import sys
from pathlib import Path


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__.split('\n\n')[1])
    source, product_path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    if not (source / 'src' / 'ptychodus' / 'plugins' / 'h5_product_file.py').is_file():
        sys.exit(f'{source}: expected a ptychodus checkout (src/ptychodus/plugins/h5_product_file.py); found none')
    sys.path.insert(0, str(source / 'src'))

    import h5py
    import numpy
    from ptychodus.plugins.h5_product_file import H5ProductFileIO

    product = H5ProductFileIO().read(product_path)
    meta = product.metadata
    probe = product.probes.get_array()
    probe_px = product.probes.get_pixel_geometry()
    obj = product.object_.get_array()
    geometry = product.object_.get_geometry()
    positions = list(product.probe_positions)
    mapped = [geometry.map_coordinates_probe_to_object(p) for p in positions]

    record = {
        'source': 'ptychodus H5ProductFileIO.read (src/ptychodus/plugins/h5_product_file.py), run by scripts/ptychodus-read-product.py',
        'libraries': {'python': sys.version.split()[0], 'numpy': numpy.__version__, 'h5py': h5py.__version__, 'hdf5': h5py.version.hdf5_version},
        'metadata': {
            'name': meta.name, 'comments': meta.comments, 'detector_distance_m': meta.detector_distance_m,
            'probe_energy_eV': meta.probe_energy_eV, 'probe_photon_count': meta.probe_photon_count,
            'exposure_time_s': meta.exposure_time_s, 'mass_attenuation_m2_kg': meta.mass_attenuation_m2_kg,
            'tomography_angle_deg': meta.tomography_angle_deg,
        },
        'probe': {
            'shape': list(probe.shape), 'dtype': str(probe.dtype),
            'sum_abs2': float(numpy.sum(numpy.abs(probe.astype(numpy.complex128)) ** 2)),
            'sum_abs2_per_mode': [float(v) for v in numpy.sum(numpy.abs(probe[0].astype(numpy.complex128)) ** 2, axis=(-2, -1))],
            'pixel_width_m': probe_px.width_m, 'pixel_height_m': probe_px.height_m,
        },
        'object': {
            'shape': list(obj.shape), 'dtype': str(obj.dtype), 'layers': product.object_.num_layers,
            'layer_spacing_m': [float(v) for v in product.object_.layer_spacing_m],
            'sum_abs': float(numpy.sum(numpy.abs(obj.astype(numpy.complex128)))),
            'pixel_width_m': geometry.pixel_width_m, 'pixel_height_m': geometry.pixel_height_m,
            'center_x_m': geometry.center_x_m, 'center_y_m': geometry.center_y_m,
        },
        'positions': {
            'count': len(positions),
            'index': [int(p.index) for p in positions],
            'x_m': [float(p.coordinate_x_m) for p in positions],
            'y_m': [float(p.coordinate_y_m) for p in positions],
            'object_x_px': [float(p.coordinate_x_px) for p in mapped],
            'object_y_px': [float(p.coordinate_y_px) for p in mapped],
        },
        'losses': {'epoch': [int(v.epoch) for v in product.losses], 'value': [float(v.value) for v in product.losses]},
    }
    out.write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
