#!/usr/bin/env python3
"""Reference wavelengths of photons and electrons for test/data/wavelength.test.ts.

Writes test/fixtures/wavelength/reference.json: for a list of energies, the photon wavelength
lambda = h c / E and the relativistic electron (de Broglie) wavelength
lambda = h / sqrt(2 m0 E (1 + E / (2 m0 c^2))), E the electron's kinetic energy (accelerating voltage times e).

The constants are taken from scipy.constants (CODATA 2018 in SciPy 1.4 to 1.14: h, c and e exact since the 2019 SI,
m0 = 9.1093837015e-31 kg measured); the script refuses to run on another CODATA release, so that the fixture keeps
the electron mass src/data/geometry.ts uses. The arithmetic is done in 60-digit decimals (Python's decimal module),
not in float64, so the fixture is the formula's value to far better than float64 holds, and the test measures the
float64 rounding of ptychostudy's own evaluation.

    /usr/bin/python3 scripts/wavelength-reference.py          # writes the fixture
    /usr/bin/python3 scripts/wavelength-reference.py --check  # compares it with the file, writes nothing
"""
import json
import sys
from decimal import Decimal, getcontext
from pathlib import Path

import scipy
import scipy.constants as sc

getcontext().prec = 60

OUT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'wavelength' / 'reference.json'

# CODATA 2018's electron mass (kg); SciPy 1.15 moved to CODATA 2022 (9.1093837139e-31)
CODATA_2018_ELECTRON_MASS = 9.1093837015e-31

# Electron energies (eV): LEEM and SEM voltages up to high-voltage TEM; photon energies (eV): soft to hard X-rays.
ELECTRON_EV = [100.0, 1e3, 10e3, 30e3, 60e3, 80e3, 100e3, 120e3, 200e3, 300e3, 1e6, 3e6]
PHOTON_EV = [250.0, 700.0, 6.2e3, 8e3, 17.5e3, 100e3]


def dec(x: float) -> Decimal:
    """The decimal a constant is written as (Python's shortest repr, which is how CODATA prints them)."""
    return Decimal(repr(x))


def main() -> int:
    h, c, e = sc.physical_constants['Planck constant'][0], sc.physical_constants['speed of light in vacuum'][0], sc.physical_constants['elementary charge'][0]
    m0 = sc.physical_constants['electron mass'][0]
    if m0 != CODATA_2018_ELECTRON_MASS:
        print(f'scipy {scipy.__version__} has electron mass {m0!r}, not CODATA 2018\'s {CODATA_2018_ELECTRON_MASS!r}: '
              'run with a SciPy between 1.4 and 1.14', file=sys.stderr)
        return 1
    assert (h, c, e) == (6.62607015e-34, 299792458.0, 1.602176634e-19), 'h, c and e are the exact SI values'
    H, C, E, M0 = dec(h), dec(c), dec(e), dec(m0)

    def electron(ev: float) -> Decimal:
        energy = dec(ev) * E
        return H / (2 * M0 * energy * (1 + energy / (2 * M0 * C * C))).sqrt()

    def photon(ev: float) -> Decimal:
        return H * C / (dec(ev) * E)

    row = lambda ev, lam: {'energy_eV': ev, 'wavelength_m': float(lam), 'wavelength_m_digits': f'{lam:.25e}'}
    reference = {
        'about': 'scripts/wavelength-reference.py: lambda = h c / E (photon) and h / sqrt(2 m0 E (1 + E / (2 m0 c^2))) '
                 '(electron kinetic energy E) in 60-digit decimal arithmetic; wavelength_m is the nearest float64',
        'scipy': scipy.__version__,
        'codata': 'CODATA 2018 (scipy.constants)',
        'constants': {'h_J_s': h, 'c_m_s': c, 'e_C': e, 'm0_kg': m0},
        'electron': [row(ev, electron(ev)) for ev in ELECTRON_EV],
        'photon': [row(ev, photon(ev)) for ev in PHOTON_EV],
    }
    text = json.dumps(reference, indent=2) + '\n'
    if '--check' in sys.argv[1:]:
        same = OUT.exists() and OUT.read_text() == text
        print(f'{OUT}: {"the same" if same else "differs"}')
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    lam300 = electron(300e3)
    print(f'wrote {OUT}: 300 keV electron {float(lam300):.6e} m, photon formula {float(photon(300e3)):.6e} m')
    # PtyPy's electron_wavelength (utils/misc.py) uses hc = 12.398 keV·Å and m0c² = 511 keV: how far that is from this
    approx = Decimal('12.398') / (Decimal(300) * (2 * 511 + Decimal(300))).sqrt() * Decimal('1e-10')
    print(f'PtyPy\'s rounded constants at 300 keV: {float(approx):.6e} m, relative difference {float(approx / lam300 - 1):.2e}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
