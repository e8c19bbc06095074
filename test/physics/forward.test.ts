import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNpz } from '../../src/npy/npz.js';
import { Rng } from '../../src/math/rng.js';
import { FarFieldSimulator, sampleDose, totalsStats } from '../../src/physics/forward.js';
import { makeObject } from '../../src/physics/object.js';
import { makeProbe } from '../../src/physics/probe.js';
import { randomPositions } from '../../src/physics/scan.js';
import type { ComplexImage } from '../../src/math/image.js';
import type { ScanPositions } from '../../src/physics/types.js';
import type { NdArray } from '../../src/npy/types.js';

const FIX = 'test/fixtures/lsqml-parity';

function image(a: NdArray, skipLeading = 0): ComplexImage {
  const shape = a.shape.slice(skipLeading);
  const h = shape[0], w = shape[1];
  return { h, w, data: Float64Array.from((a.data as Float32Array).subarray(0, 2 * h * w)) };
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] * b[i]; }
  return Math.sqrt(num / den);
}

function sink(n: number, N: number) {
  const data = new Float32Array(n * N * N);
  return { data, fn: (i: number) => ({ data, offset: i * N * N }) };
}

test('exit waves, far fields and intensities equal pty-chi\'s forward model (gauss_m1_onebatch intermediates)', () => {
  const base = loadNpz(`${FIX}/gauss_m1_onebatch.npz`, ['xcoords', 'ycoords']);
  const im = loadNpz(`${FIX}/gauss_m1_onebatch_intermediates.npz`,
    ['batch_indices', 'rows', 'object_before', 'probe_before', 'psi_rows', 'psi_far_rows', 'intensity_pred_rows', 'psi_rowsumsq', 'shifted_probe_rows']);
  const pos: ScanPositions = { x: base.xcoords.data as Float64Array, y: base.ycoords.data as Float64Array };
  const sim = new FarFieldSimulator(image(im.object_before), image(im.probe_before, 1));
  const N = sim.n, nn = N * N;
  const batch = im.batch_indices.data as Int32Array;
  const rows = im.rows.data as Int32Array;
  const idx = Array.from(rows, (r) => batch[r]);
  const psi = sim.waves(pos, idx, false);
  const far = sim.waves(pos, idx, true);
  const refPsi = im.psi_rows.data as Float32Array;
  const refFar = im.psi_far_rows.data as Float32Array;
  const refI = im.intensity_pred_rows.data as Float32Array;
  for (let r = 0; r < rows.length; r++) {
    const e1 = relL2(psi.subarray(2 * nn * r, 2 * nn * (r + 1)), refPsi.subarray(2 * nn * r, 2 * nn * (r + 1)));
    const e2 = relL2(far.subarray(2 * nn * r, 2 * nn * (r + 1)), refFar.subarray(2 * nn * r, 2 * nn * (r + 1)));
    const inten = new Float64Array(nn);
    for (let k = 0; k < nn; k++) inten[k] = far[2 * nn * r + 2 * k] ** 2 + far[2 * nn * r + 2 * k + 1] ** 2;
    const e3 = relL2(inten, refI.subarray(nn * r, nn * (r + 1)));
    assert.ok(e1 < 1e-5 && e2 < 1e-5 && e3 < 1e-5, `row ${r}: psi ${e1}, far ${e2}, intensity ${e3}`);
  }
  // Σ|ψ|² of every position of the batch
  const powers = sim.exitWavePowers(pos);
  const ref = im.psi_rowsumsq.data as Float64Array;
  for (let j = 0; j < batch.length; j++) {
    assert.ok(Math.abs(powers[batch[j]] / ref[j] - 1) < 1e-5, `position ${batch[j]}: ${powers[batch[j]]} vs ${ref[j]}`);
  }
});

test('noise-free expectation explains the fixture\'s Poisson counts (χ²/dof ≈ 1)', () => {
  const d = loadNpz(`${FIX}/gauss_m1_onebatch.npz`, ['xcoords', 'ycoords', 'objectGuess', 'probeGuess', 'intensity', 'photons_per_pattern']);
  const pos: ScanPositions = { x: d.xcoords.data as Float64Array, y: d.ycoords.data as Float64Array };
  const sim = new FarFieldSimulator(image(d.objectGuess), image(d.probeGuess, 1));
  const N = sim.n, n = pos.x.length;
  const dose = (d.photons_per_pattern.data as Float64Array)[0];
  const out = sink(n, N);
  const res = sim.simulate(pos, dose, new Rng(1), out.fn, { noise: 'none' });
  const Y = d.intensity.data as Float32Array;
  let chi2 = 0, dof = 0;
  for (let k = 0; k < Y.length; k++) {
    const lam = (out.data[k] * res.intensityScale) ** 2;
    if (lam < 5) continue;
    chi2 += (Y[k] - lam) ** 2 / lam;
    dof++;
  }
  assert.ok(dof > 1000, `only ${dof} pixels with λ ≥ 5`);
  assert.ok(Math.abs(chi2 / dof - 1) < 0.05, `χ²/dof = ${chi2 / dof} over ${dof} pixels`);
  assert.ok(Math.abs(totalsStats(res.expectedTotals).mean - dose) < 1e-6 * dose);
});

function smallScene(seed: number, n = 300, N = 32, size = 96) {
  const rng = new Rng(seed);
  const object = makeObject(size, size, rng.fork('object'));
  const probe = makeProbe(N);
  const pos = randomPositions(n, size, size, N, rng.fork('positions'));
  return { object, probe, pos, N, n };
}

test('mean photons per pattern is within 3σ of the dose; counts come back as integers', () => {
  const { object, probe, pos, N, n } = smallScene(5);
  const sim = new FarFieldSimulator(object, probe);
  const ff = sim.farFieldIntensities(pos);
  for (const dose of [1e3, 1e4, 1e5]) {
    const out = sink(n, N);
    const res = sampleDose(ff, dose, new Rng(99).fork(`noise:${dose}`), out.fn);
    const s = res.intensityScale;
    let total = 0, maxFracErr = 0;
    const perPattern = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < N * N; k++) {
        const c = (out.data[i * N * N + k] * s) ** 2;
        maxFracErr = Math.max(maxFracErr, Math.abs(c - Math.round(c)));
        perPattern[i] += Math.round(c);
      }
      total += perPattern[i];
    }
    assert.ok(maxFracErr < 0.01, `counts recovered from float32 amplitudes are integers (worst ${maxFracErr})`);
    assert.deepEqual(perPattern, res.countTotals);
    const mean = total / n;
    // Σλ averages exactly the dose, so the mean count has σ = sqrt(dose / n)
    const sigma = Math.sqrt(dose / n);
    assert.ok(Math.abs(mean - dose) <= 3 * sigma, `dose ${dose}: mean ${mean}, 3σ = ${3 * sigma}`);
    // the expected intensities are kept in float32: their sums match the dose to float32 rounding
    assert.ok(Math.abs(totalsStats(res.expectedTotals).mean - dose) < 1e-6 * dose);
    // per-pixel variance check on the brightest pixels: Poisson variance equals the mean
    assert.ok(res.maxPixelCount > 0);
  }
});

test('Parseval: noise-free pattern sums are s²·Σ|ψ|² and the intensity scale is sqrt(dose/mean power)', () => {
  const { object, probe, pos, N, n } = smallScene(6, 50);
  const sim = new FarFieldSimulator(object, probe);
  const powers = sim.exitWavePowers(pos);
  const out = sink(n, N);
  const res = sim.simulate(pos, 5000, new Rng(1), out.fn, { noise: 'none' });
  const meanP = powers.reduce((a, b) => a + b, 0) / n;
  assert.ok(Math.abs(res.intensityScale - Math.sqrt(5000 / meanP)) < 1e-12 * res.intensityScale);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < N * N; k++) sum += (out.data[i * N * N + k] * res.intensityScale) ** 2;
    assert.ok(Math.abs(sum / (res.intensityScale ** 2 * powers[i]) - 1) < 1e-5, `pattern ${i}`);
    assert.ok(Math.abs(res.expectedTotals[i] / (res.intensityScale ** 2 * powers[i]) - 1) < 1e-6);
  }
});

test('the stored pattern is centred: DC at [N/2, N/2]', () => {
  const N = 32;
  // flat object, Gaussian probe: the far field peaks at zero frequency
  const object: ComplexImage = { h: 64, w: 64, data: new Float64Array(2 * 64 * 64).map((_, i) => (i % 2 === 0 ? 1 : 0)) };
  const probe: ComplexImage = { h: N, w: N, data: new Float64Array(2 * N * N) };
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) probe.data[2 * (r * N + c)] = Math.exp(-((r - N / 2) ** 2 + (c - N / 2) ** 2) / 20);
  const sim = new FarFieldSimulator(object, probe);
  const out = sink(1, N);
  sim.simulate({ x: new Float64Array([32.3]), y: new Float64Array([31.8]) }, 1e4, new Rng(1), out.fn, { noise: 'none' });
  let best = 0;
  for (let k = 1; k < N * N; k++) if (out.data[k] > out.data[best]) best = k;
  assert.deepEqual([Math.floor(best / N), best % N], [N / 2, N / 2]);
});

test('same seed, same patterns; another seed, other noise', () => {
  const { object, probe, pos, N, n } = smallScene(7, 40);
  const sim = new FarFieldSimulator(object, probe);
  const a = sink(n, N), b = sink(n, N), c = sink(n, N);
  sim.simulate(pos, 1e3, new Rng(5), a.fn);
  sim.simulate(pos, 1e3, new Rng(5), b.fn);
  sim.simulate(pos, 1e3, new Rng(6), c.fn);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
});

test('bad inputs are refused', () => {
  const { object, probe, pos, N } = smallScene(8, 4);
  const sim = new FarFieldSimulator(object, probe);
  const out = sink(4, N);
  for (const dose of [0, -1, NaN, Infinity]) {
    assert.throws(() => sim.simulate(pos, dose, new Rng(1), out.fn), /dose must be a positive finite number/);
  }
  assert.throws(() => sim.simulate({ x: new Float64Array([1]), y: new Float64Array([1]) }, 1e3, new Rng(1), out.fn), /outside the 96×96 object/);
  assert.throws(() => new FarFieldSimulator(object, { h: 32, w: 16, data: new Float64Array(1024) }), /square/);
  assert.throws(() => new FarFieldSimulator({ h: 16, w: 16, data: new Float64Array(512) }, probe), /smaller than/);
});

test('small-λ Poisson sampler: exact probabilities of 0, 1, 2 and mean = variance = λ', async () => {
  const { poissonSmall } = await import('../../src/physics/forward.js');
  const rng = new Rng(2024);
  const draws = 200000;
  for (const lam of [0.002, 0.1, 0.9, 3, 9.5]) {
    const hist = new Float64Array(64);
    let m = 0, m2 = 0;
    for (let i = 0; i < draws; i++) {
      const k = poissonSmall(rng, lam);
      assert.ok(Number.isInteger(k) && k >= 0);
      hist[Math.min(k, 63)]++;
      m += k; m2 += k * k;
    }
    const mean = m / draws, variance = m2 / draws - mean * mean;
    // σ of the sample mean is sqrt(λ/n); of the sample variance about λ·sqrt(2/n) (plus a λ/n term)
    assert.ok(Math.abs(mean - lam) < 5 * Math.sqrt(lam / draws), `λ=${lam}: mean ${mean}`);
    assert.ok(Math.abs(variance - lam) < 5 * Math.sqrt((lam + 2 * lam * lam) / draws), `λ=${lam}: variance ${variance}`);
    for (let k = 0; k <= 2; k++) {
      let logp = -lam + k * Math.log(lam);
      for (let j = 2; j <= k; j++) logp -= Math.log(j);
      const p = Math.exp(logp);
      const sd = Math.sqrt(p * (1 - p) / draws);
      assert.ok(Math.abs(hist[k] / draws - p) < 5 * sd + 1e-12, `λ=${lam}: P(${k}) = ${hist[k] / draws}, expected ${p}`);
    }
  }
});

test('sampling part of the scan with the whole scan\'s mean power gives the same scale and patterns', () => {
  const { object, probe, pos, N, n } = smallScene(9, 30);
  const sim = new FarFieldSimulator(object, probe);
  const whole = sink(n, N);
  const all = sim.simulate(pos, 2e4, new Rng(1), whole.fn, { noise: 'none' });
  const powers = sim.exitWavePowers(pos);
  const mean = powers.reduce((a, b) => a + b, 0) / n;
  const idx = [3, 7, 8, 20];
  const sub = { x: Float64Array.from(idx, (i) => pos.x[i]), y: Float64Array.from(idx, (i) => pos.y[i]) };
  const part = sink(idx.length, N);
  const res = sampleDose(sim.farFieldIntensities(sub), 2e4, new Rng(1), part.fn, { noise: 'none', meanPower: mean });
  assert.ok(Math.abs(res.intensityScale / all.intensityScale - 1) < 1e-12);
  idx.forEach((i, j) => {
    assert.deepEqual(part.data.subarray(j * N * N, (j + 1) * N * N), whole.data.subarray(i * N * N, (i + 1) * N * N));
  });
});
