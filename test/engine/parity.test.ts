/**
 * Parity with pty-chi's LSQML (test/fixtures/lsqml-parity, README "Tolerances"): every multi-epoch
 * case (losses, object and probe snapshots, Poisson step state, epoch-0 preconditioner, patch
 * corners) and every array of the one-minibatch intermediates, in both precisions. Each test reports
 * its largest errors as a diagnostic (the figures in docs/lsqml.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LsqmlEngine, type MinibatchCapture } from '../../src/engine/lsqml.js';
import { caseInput, f64, load, num, relL2, relL2Phase, relL2PhasePerMode, rowSums, rowSumsReal } from './fixtures.js';

interface CaseSpec { name: string; lossTol: number; objTol: number; probeTol: number; noise: 'gaussian' | 'poisson' }

const CASES: CaseSpec[] = [
  { name: 'gauss_m1_onebatch', lossTol: 1e-5, objTol: 1e-4, probeTol: 1e-4, noise: 'gaussian' },
  { name: 'gauss_m2_batches', lossTol: 1e-5, objTol: 1e-4, probeTol: 1e-4, noise: 'gaussian' },
  { name: 'poisson_m1_onebatch', lossTol: 1e-3, objTol: 1e-3, probeTol: 1e-3, noise: 'poisson' },
];

// The WASM FFT and kernels (when built) in float32 and float64 on 1 and 2 threads, and the
// pure-TypeScript path (which computes in float64 whatever precision is asked).
const RUNS: Array<{ threads: number; fftBackend: 'auto' | 'ts'; precision: 'float32' | 'float64' }> = [
  { threads: 1, fftBackend: 'auto', precision: 'float32' }, { threads: 2, fftBackend: 'auto', precision: 'float32' },
  { threads: 1, fftBackend: 'auto', precision: 'float64' }, { threads: 2, fftBackend: 'auto', precision: 'float64' },
  { threads: 2, fftBackend: 'ts', precision: 'float64' },
];

for (const spec of CASES) {
  for (const { threads, fftBackend, precision } of RUNS) {
    test(`parity with pty-chi: ${spec.name} (${precision}, threads=${threads}, fft ${fftBackend})`, async (t) => {
      const a = load(spec.name);
      const input = caseInput(a);
      const epochs = num(a.n_epochs!);
      const engine = await LsqmlEngine.create(input, {
        epochs, batchSize: num(a.batch_size!), noiseModel: spec.noise, poissonStepNoise: 0, threads, fftBackend, precision,
      });
      if (fftBackend === 'ts') assert.equal(engine.wasmKernels, false);
      else assert.equal(engine.precision, precision);
      let worstObj = 0, worstProbe = 0, worstLoss = 0;
      try {
        // Origin and integer patch corners, exactly.
        assert.deepEqual(Array.from(engine.origin), Array.from(f64(a.position_origin_yx!)));
        assert.deepEqual(Array.from(engine.geometry.topLeft), Array.from(a.patch_topleft_yx!.data as Int32Array));
        const snaps = new Set(Array.from(a.snapshot_epochs!.data as Int32Array));
        const M = input.probe.modes;
        for (let e = 0; e < epochs; e++) {
          engine.runEpoch(e);
          if (e === 0) {
            const c = relL2(engine.preconditioner!, f64(a.preconditioner_epoch0!));
            assert.ok(c < 1e-5, `preconditioner at epoch 0: rel. L2 ${c}`);
          }
          const K = e + 1;
          if (!snaps.has(K)) continue;
          const eo = relL2Phase(engine.object, f64(a[`object_after_${K}_epochs`]!));
          const ep = relL2PhasePerMode(engine.probe, f64(a[`probe_after_${K}_epochs`]!), M);
          worstObj = Math.max(worstObj, eo); worstProbe = Math.max(worstProbe, ep);
          assert.ok(eo <= spec.objTol, `object after ${K} epochs: rel. L2 ${eo} > ${spec.objTol}`);
          assert.ok(ep <= spec.probeTol, `probe after ${K} epochs: rel. L2 ${ep} > ${spec.probeTol}`);
          const stateKey = `poisson_step_state_after_${K}_epochs`;
          if (a[stateKey]) {
            const es = relL2(engine.poissonStepState, f64(a[stateKey]!));
            assert.ok(es <= spec.objTol, `Poisson step state after ${K} epochs: rel. L2 ${es}`);
          }
        }
        const ref = f64(a.loss_history!);
        assert.equal(engine.lossHistory.length, ref.length);
        for (let e = 0; e < ref.length; e++) {
          const d = Math.abs(engine.lossHistory[e]! / ref[e]! - 1);
          worstLoss = Math.max(worstLoss, d);
          assert.ok(d <= spec.lossTol, `loss of epoch ${e}: ${engine.lossHistory[e]} vs ${ref[e]} (rel. ${d} > ${spec.lossTol})`);
        }
        t.diagnostic(`${spec.name} ${engine.precision}: loss ${worstLoss.toExponential(1)} object ${worstObj.toExponential(1)} probe ${worstProbe.toExponential(1)}`);
      } finally {
        await engine.close();
      }
    });
  }
}

for (const precision of ['float32', 'float64'] as const) test(`parity with pty-chi: one-minibatch intermediates (gauss_m1_onebatch, epoch 1, ${precision})`, async (t) => {
  const a = load('gauss_m1_onebatch');
  const r = load('gauss_m1_onebatch_intermediates');
  const input = caseInput(a);
  const N = input.probe.size, n2 = N * N, M = input.probe.modes;
  const engine = await LsqmlEngine.create(input, { epochs: num(a.n_epochs!), batchSize: num(a.batch_size!), threads: 1, precision });
  try {
    engine.setState({ object: f64(r.object_before!), probe: f64(r.probe_before!), preconditioner: f64(r.preconditioner!) });
    const idx = r.batch_indices!.data as Int32Array;
    const cap: MinibatchCapture = {};
    engine.runMinibatch(idx, 1, cap);
    const rows = Array.from(r.rows!.data as Int32Array);
    const B = idx.length;
    const failures: string[] = [];
    const errors: string[] = [];
    const check = (what: string, err: number, tol: number): void => {
      errors.push(`${what} ${err.toExponential(1)}`);
      if (!(err <= tol)) failures.push(`${what}: ${err} > ${tol}`);
    };

    // Per-position arrays: the stored rows in full, and every row's power / Re² sums.
    const perPos: Array<[string, Float64Array, number, boolean, number]> = [
      ['psi', cap.psi!, M * n2, true, 1e-5],
      ['psi_far', cap.psiFar!, M * n2, true, 1e-5],
      ['intensity_pred', cap.intensityPred!, n2, false, 1e-5],
      ['shifted_probe', cap.shiftedProbe!, M * n2, true, 1e-5],
      ['psi_far_updated', cap.psiFarUpdated!, M * n2, true, 1e-4],
      ['chi', cap.chi!, M * n2, true, 1e-4],
      ['delta_o_patches', cap.deltaOPatches!, n2, true, 1e-4],
      ['delta_p_i_before_adjoint_shift', cap.deltaPBeforeShift!, M * n2, true, 1e-4],
      ['delta_p_i', cap.deltaP!, M * n2, true, 1e-4],
    ];
    for (const [key, ours, len, complex, tol] of perPos) {
      const refRows = f64(r[`${key}_rows`]!);
      const mine = new Float64Array(refRows.length);
      const w = complex ? 2 * len : len;
      rows.forEach((row, j) => mine.set(ours.subarray(w * row, w * (row + 1)), w * j));
      check(`${key}_rows`, relL2(mine, refRows), tol);
      const sumsq = f64(r[`${key}_rowsumsq`]!);
      const sumsqRe = r[`${key}_rowsumsq_real`] ? f64(r[`${key}_rowsumsq_real`]!) : null;
      let worst = 0, worstRe = 0;
      for (let i = 0; i < B; i++) {
        if (complex) {
          const [s, sr] = rowSums(ours, i, len);
          worst = Math.max(worst, Math.abs(s / sumsq[i]! - 1));
          if (sumsqRe) worstRe = Math.max(worstRe, Math.abs(sr / sumsqRe[i]! - 1));
        } else {
          worst = Math.max(worst, Math.abs(rowSumsReal(ours, i, len) / sumsq[i]! - 1));
        }
      }
      check(`${key}_rowsumsq`, worst, tol);
      if (sumsqRe) check(`${key}_rowsumsq_real`, worstRe, tol);
    }
    // The measured intensities as the engine used them (fftshift convention).
    const yRef = f64(r.intensity_meas_batch_rows!);
    const yMine = new Float64Array(yRef.length);
    rows.forEach((row, j) => yMine.set((input.intensities as Float64Array).subarray(n2 * idx[row]!, n2 * (idx[row]! + 1)), n2 * j));
    check('intensity_meas_batch_rows', relL2(yMine, yRef), 0);

    check('delta_o_comb', relL2(cap.deltaOComb!, f64(r.delta_o_comb!)), 1e-4);
    check('delta_o_precond', relL2(cap.deltaOPrecond!, f64(r.delta_o_precond!)), 1e-4);
    check('delta_p_hat', relL2(cap.deltaPHat!, f64(r.delta_p_hat!)), 1e-4);

    // The 2×2 systems, right-hand sides and complex solutions.
    const sys = cap.system!;
    const aMat = new Float64Array(8 * B), bVec = new Float64Array(4 * B), sol = new Float64Array(4 * B);
    for (let i = 0; i < B; i++) {
      const a11 = sys.a11[i]!, a22 = sys.a22[i]!, ar = sys.a12Re[i]!, ai = sys.a12Im[i]!, b1 = sys.b1[i]!, b2 = sys.b2[i]!;
      aMat.set([a11, 0, ar, ai, ar, -ai, a22, 0], 8 * i);
      bVec.set([b1, 0, b2, 0], 4 * i);
      const det = a11 * a22 - (ar * ar + ai * ai);
      // x0 = (a22·b1 − a12·b2)/det, x1 = (a11·b2 − conj(a12)·b1)/det
      sol.set([(a22 * b1 - ar * b2) / det, (-ai * b2) / det, (a11 * b2 - ar * b1) / det, (ai * b1) / det], 4 * i);
    }
    check('step_a_mat', relL2(aMat, f64(r.step_a_mat!)), 1e-4);
    check('step_b_vec', relL2(bVec, f64(r.step_b_vec!)), 1e-4);
    check('step_solution', relL2(sol, f64(r.step_solution!)), 1e-4);
    check('alpha_o_i', relL2(cap.alphaOi!, f64(r.alpha_o_i!)), 1e-4);
    check('alpha_p_i', relL2(cap.alphaPi!, f64(r.alpha_p_i!)), 1e-4);
    check('alpha_o_mean', Math.abs(cap.alphaO! / num(r.alpha_o_mean!) - 1), 1e-4);
    check('alpha_p_mean', Math.abs(cap.alphaP! / num(r.alpha_p_mean!) - 1), 1e-4);
    check('alpha_psi_far', Math.abs(0.5 / num(r.alpha_psi_far!) - 1), 0);
    check('batch_loss', Math.abs(cap.batchLoss! / num(r.batch_loss!) - 1), 1e-5);
    check('object_after_update', relL2(engine.object, f64(r.object_after_update!)), 1e-4);
    check('probe_after_update', relL2(engine.probe, f64(r.probe_after_update!)), 1e-4);
    t.diagnostic(`${engine.precision}: ${errors.join(', ')}`);
    assert.deepEqual(failures, []);
  } finally {
    await engine.close();
  }
});
