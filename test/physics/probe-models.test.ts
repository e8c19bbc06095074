/**
 * Physical probe models (aperture, Fresnel zone plate) against closed-form optics: the on-axis
 * intensity of a circular aperture in the Fresnel regime, the Airy focus of a lens, the geometric size
 * and shadow of a defocused beam, the sign of the defocus curvature, and the spec parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apertureProbe, modelProbe, parseProbeModelSpec, zonePlateProbe, type ProbeSampling } from '../../src/physics/probe.js';
import type { ComplexImage } from '../../src/math/image.js';

const intensity = (p: ComplexImage, i: number, j: number): number => {
  const k = 2 * (i * p.w + j);
  return p.data[k]! ** 2 + p.data[k + 1]! ** 2;
};
const phase = (p: ComplexImage, i: number, j: number): number => {
  const k = 2 * (i * p.w + j);
  return Math.atan2(p.data[k + 1]!, p.data[k]!);
};
const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));

test('aperture at z = 0: the disc itself, area-weighted, centred on [N/2, N/2]', () => {
  const dx = 10e-9, N = 64, R = 10.3 * dx;
  const s: ProbeSampling = { height: N, width: N, wavelengthM: 1e-10, pixelM: [dx, dx] };
  const p = apertureProbe({ kind: 'aperture', diameterM: 2 * R, distanceM: 0 }, s, { unitPeak: false }).probe;
  let area = 0;
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) area += Math.sqrt(intensity(p, i, j));
  assert.ok(Math.abs(area - Math.PI * 10.3 ** 2) / (Math.PI * 10.3 ** 2) < 2e-3, `area ${area} px²`);
  assert.equal(intensity(p, 32, 32), 1);
  assert.equal(intensity(p, 32, 32 + 11), 0);
  // Symmetric about the centre pixel: rows 32 ± k are equal.
  for (let k = 1; k < 12; k++) assert.ok(Math.abs(intensity(p, 32 + k, 32) - intensity(p, 32 - k, 32)) < 1e-12);
});

test('aperture in the Fresnel regime: on-axis intensity 4·sin²(π·N_F/2) of a plane wave through a disc', () => {
  const lam = 1e-10, dx = 10e-9, N = 512, R = 12 * dx;
  const s: ProbeSampling = { height: N, width: N, wavelengthM: lam, pixelM: [dx, dx] };
  const disc = apertureProbe({ kind: 'aperture', diameterM: 2 * R, distanceM: 0 }, s, { unitPeak: false });
  for (const [NF, tol] of [[0.5, 0.02], [1, 0.08], [2, 0.01], [1.5, 0.08]] as const) {
    const z = (R * R) / (lam * NF);
    const r = apertureProbe({ kind: 'aperture', diameterM: 2 * R, distanceM: z }, s, { unitPeak: false });
    const I0 = intensity(r.probe, N / 2, N / 2);
    const want = 4 * Math.sin((Math.PI * NF) / 2) ** 2;
    assert.ok(Math.abs(I0 - want) < tol, `N_F = ${NF}: on-axis ${I0}, closed form ${want}`);
    // Energy is conserved by the propagator (Parseval): that of the disc at z = 0.
    let e = 0, e0 = 0;
    for (let k = 0; k < r.probe.data.length; k++) { e += r.probe.data[k]! ** 2; e0 += disc.probe.data[k]! ** 2; }
    assert.ok(Math.abs(e - e0) / e0 < 1e-12, `energy ${e} vs ${e0}`);
  }
});

test('aperture: distances beyond N·Δ²/λ, discs wider than the window or under two pixels are refused with the reason', () => {
  const s: ProbeSampling = { height: 64, width: 64, wavelengthM: 1e-10, pixelM: [10e-9, 10e-9] };
  assert.throws(() => apertureProbe({ kind: 'aperture', diameterM: 200e-9, distanceM: 1e-4 }, s), /exceeds min\(N·Δ²\)\/λ = 6\.40e-5 m/);
  assert.throws(() => apertureProbe({ kind: 'aperture', diameterM: 700e-9, distanceM: 0 }, s), /does not fit the probe window/);
  // the window in 4 digits (was 4.132806614440009e-6 of a measured pixel size's product)
  const measured: ProbeSampling = { height: 32, width: 32, wavelengthM: 1e-10, pixelM: [1.2915020670125029e-7, 1.2915020670125029e-7] };
  assert.throws(() => apertureProbe({ kind: 'aperture', diameterM: 5e-6, distanceM: 0 }, measured),
    { message: 'aperture diameter 5e-6 m does not fit the probe window 4.133e-6 × 4.133e-6 m (32×32 pixels of 1.292e-7 × 1.292e-7 m)' });
  assert.throws(() => apertureProbe({ kind: 'aperture', diameterM: 15e-9, distanceM: 0 }, s), /under two pixels/);
});

test('zone plate in focus: the Airy pattern, first zero at 1.22·Δr and first ring at 1.75 % of the peak', () => {
  const dx = 10e-9, N = 128, dr = 50e-9;
  const s: ProbeSampling = { height: N, width: N, wavelengthM: 1.24e-10, pixelM: [dx, dx] };
  const r = zonePlateProbe({ kind: 'fzp', diameterM: 160e-6, outerZoneM: dr, centralStopM: 0, defocusM: 0 }, s);
  assert.ok(Math.abs(r.derived.focal_length_m! - (160e-6 * dr) / 1.24e-10) < 1e-12);
  assert.ok(Math.abs(r.derived.focus_airy_radius_m! - 1.22 * dr) < 1e-15);
  assert.deepEqual(r.notes, []);
  const radial = Array.from({ length: 12 }, (_, k) => intensity(r.probe, N / 2, N / 2 + k));
  assert.equal(radial[0], 1);
  const zero = radial.indexOf(Math.min(...radial.slice(0, 9)));
  assert.equal(zero, 6, `first minimum at ${zero} px; 1.22·Δr = 6.1 px`);
  const ring = Math.max(...radial.slice(7, 10));
  assert.ok(Math.abs(ring - 0.0175) < 0.0015, `first ring ${ring}`);
  // The same lens given by its focal length gives the same probe.
  const f = zonePlateProbe({ kind: 'fzp', diameterM: 160e-6, focalLengthM: r.derived.focal_length_m!, centralStopM: 0, defocusM: 0 }, s);
  for (let k = 0; k < f.probe.data.length; k++) assert.ok(Math.abs(f.probe.data[k]! - r.probe.data[k]!) < 1e-9);
});

test('zone plate out of focus: geometric beam size, central-stop shadow, diverging curvature for δ > 0, conj symmetry in δ', () => {
  const dx = 20e-9, N = 256, lam = 1.24e-10;
  const s: ProbeSampling = { height: N, width: N, wavelengthM: lam, pixelM: [dx, dx] };
  const D = 160e-6, stop = 60e-6, dr = 50e-9;
  const f = (D * dr) / lam;
  const beamPx = 120; // geometric diameter at the sample, pixels
  const delta = (beamPx * dx * f) / D;
  const r = zonePlateProbe({ kind: 'fzp', diameterM: D, outerZoneM: dr, centralStopM: stop, defocusM: delta }, s);
  assert.ok(Math.abs(r.derived.beam_diameter_at_sample_m! - beamPx * dx) < 1e-12);
  let total = 0, inBeam = 0, inShadow = 0, shadowPx = 0;
  const rBeam = beamPx / 2, rShadow = (beamPx / 2) * (stop / D);
  const fresnelZone = Math.sqrt(lam * delta) / dx; // width of the edge's Fresnel fringes, pixels (17)
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const I = intensity(r.probe, i, j), rr = Math.hypot(i - N / 2, j - N / 2);
      total += I;
      if (rr <= rBeam + fresnelZone) inBeam += I;
      if (rr < rShadow - 4) { inShadow += I; shadowPx++; }
    }
  }
  assert.ok(inBeam / total > 0.98, `power inside the geometric beam (+ one Fresnel zone): ${inBeam / total}`);
  const meanBeam = total / (Math.PI * (rBeam ** 2 - rShadow ** 2));
  // The stop's shadow is dim but not dark: its edge fringes reach a Fresnel zone (17 px) into it, and
  // the on-axis (Arago) spot is bright.
  assert.ok(inShadow / shadowPx < 0.3 * meanBeam, `central-stop shadow: ${inShadow / shadowPx} vs ${meanBeam}`);
  // Downstream of the focus the wave diverges: phase(r) − phase(0 ring) ≈ +π r² / (λ δ) (geometric optics).
  const r1 = 30, r2 = 45; // both inside the illuminated annulus (shadow radius 22.5 px, beam radius 60 px)
  const measured = wrap(phase(r.probe, N / 2, N / 2 + r2) - phase(r.probe, N / 2, N / 2 + r1));
  const expected = wrap((Math.PI * ((r2 * dx) ** 2 - (r1 * dx) ** 2)) / (lam * delta));
  assert.ok(Math.abs(wrap(measured - expected)) < 0.35, `curvature: measured ${measured}, geometric ${expected}`);
  // Upstream by the same distance: the complex conjugate (a real, symmetric pupil).
  const m = zonePlateProbe({ kind: 'fzp', diameterM: D, outerZoneM: dr, centralStopM: stop, defocusM: -delta }, s);
  for (let k = 0; k < m.probe.data.length; k += 2) {
    assert.ok(Math.abs(m.probe.data[k]! - r.probe.data[k]!) < 1e-9 && Math.abs(m.probe.data[k + 1]! + r.probe.data[k + 1]!) < 1e-9);
  }
});

test('zone plate: a beam wider than the window is refused; a cone wider than the detector is band-limited with a note', () => {
  const s: ProbeSampling = { height: 64, width: 64, wavelengthM: 1.24e-10, pixelM: [20e-9, 20e-9] };
  assert.throws(() => zonePlateProbe({ kind: 'fzp', diameterM: 160e-6, outerZoneM: 50e-9, centralStopM: 0, defocusM: 1e-3 }, s), /wider than the probe window .* reduce the defocus/);
  const r = zonePlateProbe({ kind: 'fzp', diameterM: 160e-6, outerZoneM: 15e-9, centralStopM: 0, defocusM: 0 }, s);
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0]!, /band-limited to what the detector records/);
});

test('probe model specs: parsed into metres, every mistake refused with the reason', () => {
  assert.deepEqual(parseProbeModelSpec('aperture:diameter=2e-6'), { model: { kind: 'aperture', diameterM: 2e-6, distanceM: 0 } });
  assert.deepEqual(parseProbeModelSpec('fzp:diameter=160e-6,outer-zone=70e-9,stop=60e-6,defocus=-1.5e-4,wavelength=1.2e-10,pixel=2e-8'), {
    model: { kind: 'fzp', diameterM: 160e-6, outerZoneM: 70e-9, centralStopM: 60e-6, defocusM: -1.5e-4 }, wavelengthM: 1.2e-10, pixelM: 2e-8,
  });
  const bad: [string, RegExp][] = [
    ['gauss:sigma=1', /expected aperture:diameter=D/],
    ['aperture', /aperture needs diameter=/],
    ['aperture:diameter=abc', /diameter=abc is not a number/],
    ['aperture:diameter=1e-6,diameter=2e-6', /'diameter' given twice/],
    ['aperture:diameter=1e-6,focal-length=1', /unknown key 'focal-length' for aperture/],
    ['fzp:diameter=1e-4', /exactly one of outer-zone=… or focal-length=…/],
    ['fzp:diameter=1e-4,outer-zone=5e-8,focal-length=0.1', /exactly one of/],
    ['fzp:diameter=1e-4,outer-zone=5e-8,stop=2e-4', /stop must be in \[0, diameter\)/],
    ['aperture:diameter=-1e-6', /diameter must be a positive length/],
    ['aperture:diameter=1e-6,distance=-1', /distance must be ≥ 0/],
    ['aperture:diameter=1e-6 distance=1', /is not key=value/],
  ];
  for (const [spec, re] of bad) assert.throws(() => parseProbeModelSpec(spec), re, spec);
  // modelProbe dispatches on the kind.
  const s: ProbeSampling = { height: 32, width: 32, wavelengthM: 1e-10, pixelM: [1e-8, 1e-8] };
  assert.equal(modelProbe(parseProbeModelSpec('aperture:diameter=1e-7').model, s).probe.h, 32);
});
