#!/usr/bin/python3
"""Runs Condor's CXI pixel-mask code and writes which mask bits it treats as "do not use", as JSON.

Usage:
  /usr/bin/python3 scripts/condor-mask-bits.py CONDOR_SOURCE OUT.json

CONDOR_SOURCE is a checkout of github.com/FXIhub/condor (the folder holding condor/), e.g.
`git clone https://github.com/FXIhub/condor && git -C condor checkout 0506232`. The fixture
test/fixtures/cxi/mask-bits-condor.json was made from commit 0506232 (a mirror of the repository at
/work/.mirror/FXIhub+condor/repo, a git directory without a work tree, unpacked with
`git --git-dir=/work/.mirror/FXIhub+condor/repo archive 0506232 condor | tar -x -C /tmp/condor-src`), with
  /usr/bin/python3 scripts/condor-mask-bits.py /tmp/condor-src test/fixtures/cxi/mask-bits-condor.json

Condor (a simulator of diffraction experiments, a CXI writer) encodes the status of detector pixels as CXI mask bits
(condor/utils/pixelmask.py, class PixelMask, "CXI bitmasks follow the formalism described in Maia (2012)") and leaves a
pixel out of its detector binning when any bit of PixelMask.PIXEL_IS_IN_MASK is set (condor/detector.py
Detector.bin_photons -> condor/utils/resample.py downsample(mode="integrate", bad_bits=PIXEL_IS_IN_MASK)).

Nothing is fetched or installed; numpy is all it needs. The package's condor/__init__.py is not run: it imports the
simulation engine, which needs Condor's compiled C extensions (condor.utils.icosahedron, nfft), not built here. The
script puts a bare package `condor` (STUBBED below: an empty module whose path is CONDOR_SOURCE/condor) in its place
and imports condor.detector, which imports condor.utils.{log, cxiwriter, resample, variation, pixelmask, linalg,
testing, scattering_vector} unchanged.

What it writes: every PIXEL_* constant of PixelMask; for each of the 16 bits, whether Condor's binning leaves a pixel
with only that bit set out (a 2 x 2 bin of three pixels of 1 count and that pixel of 100 counts: Condor scales the
pixels it keeps by 4 / their number, so the bin reads 4 when the pixel is left out and 103 when it is used); the mask
Condor's Detector makes (Detector.detect_photons) for a detector of 10 x 12 pixels with a gap of 2 pixels between its
halves (10 x 14 in all), a hole 3 pixels across centred on row 6, column 2, and a saturation level of 100 reached by
one pixel (500 counts).
"""
import json
import sys
import types
from pathlib import Path

STUBBED = ['condor']


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    if not (source / 'condor' / 'utils' / 'pixelmask.py').is_file():
        sys.exit(f'{source}: expected a Condor checkout (condor/utils/pixelmask.py); found none')
    sys.path.insert(0, str(source))
    package = types.ModuleType('condor')
    package.__path__ = [str(source / 'condor')]
    sys.modules['condor'] = package

    import numpy
    from condor.detector import Detector
    from condor.utils.pixelmask import PixelMask

    constants = {k: int(v) for k, v in vars(PixelMask).items() if k.startswith('PIXEL_')}

    # One 2 x 2 bin per bit: the pixel at its top left carries the bit and 100 counts, the other three 1 count.
    bits = 16
    detector = Detector(distance=1.0, pixel_size=75e-6, nx=2 * bits, ny=2, binning=2)
    mask = numpy.zeros((2, 2 * bits), dtype=numpy.uint16)
    counts = numpy.ones((2, 2 * bits))
    for k in range(bits):
        mask[0, 2 * k] = 1 << k
        counts[0, 2 * k] = 100.0
    binned, _ = detector.bin_photons(counts, mask)
    left_out = {str(1 << k): bool(abs(binned[0, k] - 4.0) < 1e-9) for k in range(bits)}
    assert all(abs(binned[0, k] - 4.0) < 1e-9 or abs(binned[0, k] - 103.0) < 1e-9 for k in range(bits)), binned

    # The mask Condor's Detector makes: gap and hole (PIXEL_IS_MISSING), saturation (PIXEL_IS_SATURATED).
    gapped = Detector(distance=1.0, pixel_size=75e-6, nx=12, ny=10, x_gap_size_in_pixel=2, hole_diameter_in_pixel=3, cx_hole=2.0, cy_hole=6.0,
                      saturation_level=100)
    shape = gapped.get_mask().shape
    intensities = numpy.ones(shape)
    intensities[1, 1] = 500.0
    _, detector_mask = gapped.detect_photons(intensities)

    record = {
        'source': 'Condor PixelMask (condor/utils/pixelmask.py), Detector.bin_photons and Detector.detect_photons (condor/detector.py), '
                  'run by scripts/condor-mask-bits.py',
        'stubbed': STUBBED,
        'libraries': {'python': sys.version.split()[0], 'numpy': numpy.__version__},
        'constants': constants,
        'PIXEL_IS_IN_MASK': int(PixelMask.PIXEL_IS_IN_MASK),
        'left_out_by_binning': left_out,
        'detector': {
            'shape': [int(v) for v in shape], 'gap_x_px': 2, 'hole_diameter_px': 3, 'hole_centre_rc': [6, 2], 'saturation_level': 100, 'saturated_pixel_rc': [1, 1],
            'mask': [[int(v) for v in row] for row in detector_mask],
        },
    }
    out.write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
