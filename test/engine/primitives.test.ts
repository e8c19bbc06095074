/**
 * Engine primitives: extract/place adjointness, the Fourier sub-pixel shift and its adjoint (pty-chi's
 * conventions.npz and the engine's own batched path), half-even rounding, the origin and patch corners,
 * the trimmed mean, the 2×2 closed form against a general complex solve, SVD orthogonalisation and the
 * Hermite probe-mode recipe against pty-chi's outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFft2 } from '../../src/math/fft.js';
import { fourierShift } from '../../src/math/subpixel.js';
import { Rng } from '../../src/math/rng.js';
import { addPatch, extractPatch, extractPatches, patchGeometry, placePatches, positionOrigin, roundHalfEven } from '../../src/engine/patches.js';
import { jointStepSizes, jointSystem, solveJoint, trimmedMean, quantileSorted } from '../../src/engine/stepsize.js';
import { hermitianEigen, orthogonalizeModesSvd } from '../../src/engine/modes.js';
import { addProbeModes } from '../../src/engine/probe-modes.js';
import { illumination, firstPreconditioner, preconditionerUpdateDue } from '../../src/engine/preconditioner.js';
import { LsqmlEngine, type MinibatchCapture } from '../../src/engine/lsqml.js';
import { f64, load, num, relL2, relL2PhasePerMode } from './fixtures.js';

const conv = load('conventions');

function randomComplex(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: 2 * n }, () => rng.normal());
}

/** Re⟨a, b⟩ = Re Σ conj(a)·b, and the imaginary part. */
function inner(a: Float64Array, b: Float64Array): [number, number] {
  let re = 0, im = 0;
  for (let i = 0; i < a.length; i += 2) { re += a[i]! * b[i]! + a[i + 1]! * b[i + 1]!; im += a[i]! * b[i + 1]! - a[i + 1]! * b[i]!; }
  return [re, im];
}

test('extract/place are adjoint: ⟨A x, y⟩ = ⟨x, Aᴴ y⟩ (patches inside the buffer, overlapping)', () => {
  const rng = new Rng('adjoint');
  const H = 37, W = 41, N = 8, n = 12;
  const tl = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) { tl[2 * i] = rng.below(H - N + 1); tl[2 * i + 1] = rng.below(W - N + 1); }
  const x = randomComplex(H * W, rng), y = randomComplex(n * N * N, rng);
  const ax = extractPatches(x, H, W, tl, n, N);
  const aty = placePatches(y, tl, n, N, H, W);
  const [l1, l2] = inner(ax, y), [r1, r2] = inner(x, aty);
  assert.ok(Math.abs(l1 - r1) < 1e-10 * Math.abs(l1), `${l1} vs ${r1}`);
  assert.ok(Math.abs(l2 - r2) < 1e-10 * Math.abs(l1), `${l2} vs ${r2}`);
  // A broken placement (one patch dropped) breaks the identity.
  const broken = placePatches(y, tl, n - 1, N, H, W);
  assert.ok(Math.abs(inner(x, broken)[0] - l1) > 1e-6 * Math.abs(l1));
});

test('out-of-bounds patches: extraction replicates edges, placement drops outside pixels (pty-chi)', () => {
  const H = 4, W = 5, N = 3;
  const img = new Float64Array(2 * H * W);
  for (let j = 0; j < H * W; j++) img[2 * j] = j;
  const out = new Float64Array(2 * N * N);
  extractPatch(img, H, W, -1, 3, N, out);
  // rows clamp to 0,0,1; columns to 3,4,4
  assert.deepEqual(Array.from({ length: N * N }, (_, k) => out[2 * k]), [3, 4, 4, 3, 4, 4, 8, 9, 9]);
  const dst = new Float64Array(2 * H * W);
  addPatch(dst, H, W, -1, 3, N, Float64Array.from({ length: 2 * N * N }, (_, k) => (k % 2 === 0 ? 1 : 0)));
  let total = 0;
  for (let j = 0; j < H * W; j++) total += dst[2 * j]!;
  assert.equal(total, 4); // only the 2×2 part inside lands
});

test('Fourier sub-pixel shift and its adjoint match pty-chi (conventions.npz), and are adjoint', () => {
  const N = 32;
  const fft = createFft2(N, N);
  const x = f64(conv.x!);
  const shifts = f64(conv.subpixel_shifts_yx!);
  const fwd = f64(conv.subpixel_shift_forward!), adj = f64(conv.subpixel_shift_adjoint!);
  for (let s = 0; s < 3; s++) {
    const pair = shifts.subarray(2 * s, 2 * s + 2);
    const a = Float64Array.from(x); fourierShift(fft, a, 1, pair, false);
    const b = Float64Array.from(x); fourierShift(fft, b, 1, pair, true);
    const ref = fwd.subarray(2 * N * N * s, 2 * N * N * (s + 1)), refA = adj.subarray(2 * N * N * s, 2 * N * N * (s + 1));
    assert.ok(relL2(a, ref) < 1e-6, `forward shift ${s}: ${relL2(a, ref)}`);
    assert.ok(relL2(b, refA) < 1e-6, `adjoint shift ${s}: ${relL2(b, refA)}`);
    // ⟨S x, y⟩ = ⟨x, Sᴴ y⟩ with a random y.
    const y = randomComplex(N * N, new Rng(s));
    const sy = Float64Array.from(y); fourierShift(fft, sy, 1, pair, true);
    const [l] = inner(a, y), [r] = inner(x, sy);
    assert.ok(Math.abs(l - r) < 1e-10 * Math.abs(l));
  }
});

for (const [precision, tol] of [['float64', 1e-13], ['float32', 1e-6]] as const) test(`the engine shifts probe mode 0 per position exactly as fourierShift does (batched ramps, ${precision})`, async () => {
  const a = load('gauss_m2_batches');
  const n = 56, N = 64;
  const { caseInput } = await import('./fixtures.js');
  const input = caseInput(a);
  const engine = await LsqmlEngine.create(input, { epochs: 5, batchSize: 16, rescaleProbeIntensityInFirstEpoch: false, threads: 1, precision });
  try {
    const idx = Int32Array.from({ length: 16 }, (_, i) => (i * 3) % n);
    const cap: MinibatchCapture = {};
    engine.runMinibatch(idx, 0, cap);
    const fft = createFft2(N, N);
    const n2 = N * N, M = 2;
    for (let i = 0; i < idx.length; i++) {
      const p0 = Float64Array.from(input.probe.data.subarray(0, 2 * n2));
      fourierShift(fft, p0, 1, engine.geometry.frac.subarray(2 * idx[i]!, 2 * idx[i]! + 2));
      const mine = cap.shiftedProbe!.subarray(2 * n2 * M * i, 2 * n2 * (M * i + 1));
      assert.ok(relL2(mine, p0) < tol, `slot ${i}: ${relL2(mine, p0)}`);
      // mode 1 is not shifted (float32: the probe as stored, rounded once)
      const m1 = cap.shiftedProbe!.subarray(2 * n2 * (M * i + 1), 2 * n2 * (M * i + 2));
      const m1in = input.probe.data.subarray(2 * n2, 4 * n2);
      assert.equal(relL2(m1, engine.precision === 'float32' ? Float32Array.from(m1in) : m1in), 0);
    }
  } finally {
    await engine.close();
  }
});

test('half-even rounding, position origin and patch corners match pty-chi (conventions.npz)', () => {
  const pos = f64(conv.origin_positions_yx!);
  const rounded = f64(conv.origin_positions_rounded_yx!), frac = f64(conv.origin_fractional_yx!);
  for (let j = 0; j < pos.length; j++) {
    assert.equal(roundHalfEven(pos[j]!), rounded[j], `round(${pos[j]})`);
    assert.equal(Math.fround(pos[j]! - roundHalfEven(pos[j]!)), frac[j], `frac(${pos[j]})`);
  }
  assert.equal(roundHalfEven(2.5), 2); assert.equal(roundHalfEven(3.5), 4); assert.equal(roundHalfEven(-2.5), -2); assert.equal(roundHalfEven(-0.5), -0);
  const shapes = conv.origin_object_shapes!.data as Int32Array, sizes = conv.origin_patch_sizes!.data as Int32Array;
  const origins = f64(conv.origin_yx!), corners = conv.origin_topleft_yx!.data as Int32Array;
  const nPos = pos.length / 2;
  for (let s = 0; s < shapes.length / 2; s++) {
    const o = positionOrigin(shapes[2 * s]!, shapes[2 * s + 1]!, 'ptychi');
    assert.deepEqual(o, [origins[2 * s], origins[2 * s + 1]], `origin of ${shapes[2 * s]}×${shapes[2 * s + 1]}`);
    for (let k = 0; k < sizes.length; k++) {
      const g = patchGeometry(pos, nPos, sizes[k]!, o);
      const ref = corners.subarray(((s * sizes.length + k) * nPos) * 2, ((s * sizes.length + k + 1) * nPos) * 2);
      assert.deepEqual(Array.from(g.topLeft), Array.from(ref), `corners, shape ${s}, N = ${sizes[k]}`);
    }
  }
  // The issue-#73 convention puts position 0 at the exact buffer centre.
  assert.deepEqual(positionOrigin(128, 131, 'centered'), [63.5, 65]);
});

test('trimmed mean matches pty-chi trim_mean (conventions.npz) and hand-made vectors', () => {
  for (let k = 0; k < 6; k++) {
    const x = f64(conv[`trim_mean_in_${k}`]!), ref = num(conv[`trim_mean_out_${k}`]!);
    const got = trimmedMean(x, 0.1);
    assert.ok(Math.abs(got - ref) <= 1e-6 * Math.abs(ref), `case ${k}: ${got} vs ${ref}`);
  }
  assert.equal(trimmedMean([1, 2, 2, 2, 3, 4, 100]), 2.6);
  assert.equal(trimmedMean([3, 1]), 2); // nothing between the bounds: plain mean
  assert.equal(trimmedMean([5]), 5);
  assert.equal(trimmedMean(Array.from({ length: 96 }, (_, i) => i)), (10 + 85) / 2); // keeps sorted[10..85]
  assert.equal(quantileSorted([0, 10], 0.25), 2.5);
});

/** General complex 2×2 solve by Gaussian elimination with partial pivoting (reference for the closed form). */
function complexSolve2(a: number[][], b: number[][]): number[][] {
  // a: [[re, im] x4] row-major, b: [[re, im] x2]
  const A = a.map((r) => r.slice()), B = b.map((r) => r.slice());
  const mul = (x: number[], y: number[]): number[] => [x[0]! * y[0]! - x[1]! * y[1]!, x[0]! * y[1]! + x[1]! * y[0]!];
  const div = (x: number[], y: number[]): number[] => { const d = y[0]! ** 2 + y[1]! ** 2; return [(x[0]! * y[0]! + x[1]! * y[1]!) / d, (x[1]! * y[0]! - x[0]! * y[1]!) / d]; };
  const sub = (x: number[], y: number[]): number[] => [x[0]! - y[0]!, x[1]! - y[1]!];
  const abs = (x: number[]): number => Math.hypot(x[0]!, x[1]!);
  if (abs(A[2]!) > abs(A[0]!)) { [A[0], A[1], A[2], A[3]] = [A[2]!, A[3]!, A[0]!, A[1]!]; [B[0], B[1]] = [B[1]!, B[0]!]; }
  const l = div(A[2]!, A[0]!);
  const a22 = sub(A[3]!, mul(l, A[1]!)), b2 = sub(B[1]!, mul(l, B[0]!));
  const x1 = div(b2, a22);
  const x0 = div(sub(B[0]!, mul(A[1]!, x1)), A[0]!);
  return [x0, x1];
}

test('2×2 joint step sizes: closed form equals a general complex solve; regularisation keeps it nonsingular', () => {
  const rng = new Rng('2x2');
  const B = 40;
  const sums = { aa: new Float64Array(B), qq: new Float64Array(B), aqRe: new Float64Array(B), aqIm: new Float64Array(B), b1: new Float64Array(B), b2: new Float64Array(B) };
  for (let i = 0; i < B; i++) {
    const A = randomComplex(16, rng), Q = randomComplex(16, rng), c = randomComplex(16, rng);
    const [aqr, aqi] = inner(Q, A); // Σ A·conj(Q)
    sums.aa[i] = inner(A, A)[0]; sums.qq[i] = inner(Q, Q)[0]; sums.aqRe[i] = aqr; sums.aqIm[i] = aqi;
    sums.b1[i] = inner(A, c)[0]; sums.b2[i] = inner(Q, c)[0];
  }
  // Degenerate positions: zero directions (b = 0) and exactly parallel A and Q.
  sums.aa[0] = 0; sums.qq[0] = 0; sums.aqRe[0] = 0; sums.aqIm[0] = 0; sums.b1[0] = 0; sums.b2[0] = 0;
  sums.qq[1] = sums.aa[1]!; sums.aqRe[1] = sums.aa[1]!; sums.aqIm[1] = 0;
  const sys = jointSystem(sums, { pixels: 16, regularization: 0.1 });
  for (let i = 0; i < B; i++) {
    const [x0, x1] = solveJoint(sys, i);
    const ref = complexSolve2(
      [[sys.a11[i]!, 0], [sys.a12Re[i]!, sys.a12Im[i]!], [sys.a12Re[i]!, -sys.a12Im[i]!], [sys.a22[i]!, 0]],
      [[sys.b1[i]!, 0], [sys.b2[i]!, 0]]);
    const scale = Math.max(1e-300, Math.abs(ref[0]![0]!), Math.abs(ref[1]![0]!));
    assert.ok(Math.abs(x0 - ref[0]![0]!) <= 1e-12 * scale && Math.abs(x1 - ref[1]![0]!) <= 1e-12 * scale, `position ${i}`);
    assert.ok(Number.isFinite(x0) && Number.isFinite(x1));
  }
  assert.deepEqual(solveJoint(sys, 0), [0, 0]);
  const { alphaO, alphaP } = jointStepSizes(sys, 0.9 / 2, 0.9);
  for (let i = 0; i < B; i++) { assert.ok(alphaO[i]! >= 0 && alphaP[i]! >= 0); }
});

test('Hermitian eigen-solver: V diagonalises G, eigenvalues real', () => {
  const rng = new Rng('eig');
  for (const m of [2, 3, 5]) {
    const X = randomComplex(20 * m, rng);
    const g = new Float64Array(2 * m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      const [re, im] = inner(X.subarray(40 * i, 40 * (i + 1)), X.subarray(40 * j, 40 * (j + 1)));
      g[2 * (i * m + j)] = re; g[2 * (i * m + j) + 1] = im;
    }
    const { values, vectors } = hermitianEigen(g, m);
    for (let j = 0; j < m; j++) {
      // ‖G v − λ v‖ small
      let err = 0, nrm = 0;
      for (let r = 0; r < m; r++) {
        let sr = 0, si = 0;
        for (let c = 0; c < m; c++) {
          const gr = g[2 * (r * m + c)]!, gi = g[2 * (r * m + c) + 1]!, vr = vectors[2 * (c * m + j)]!, vi = vectors[2 * (c * m + j) + 1]!;
          sr += gr * vr - gi * vi; si += gr * vi + gi * vr;
        }
        err += (sr - values[j]! * vectors[2 * (r * m + j)]!) ** 2 + (si - values[j]! * vectors[2 * (r * m + j) + 1]!) ** 2;
        nrm += vectors[2 * (r * m + j)]! ** 2 + vectors[2 * (r * m + j) + 1]! ** 2;
      }
      assert.ok(Math.sqrt(err) < 1e-10 * Math.abs(values[j]!) + 1e-12, `m=${m} j=${j}`);
      assert.ok(Math.abs(nrm - 1) < 1e-12);
    }
  }
});

test('SVD orthogonalisation of modes matches pty-chi (svd_ortho_out): orthogonal, power kept, sorted, same phases', () => {
  const inp = f64(conv.svd_ortho_in!), ref = f64(conv.svd_ortho_out!);
  const px = 32 * 32;
  const out = Float64Array.from(inp);
  orthogonalizeModesSvd(out, 2, px);
  assert.ok(relL2(out, ref) < 1e-5, `direct comparison (LAPACK geev phase convention): ${relL2(out, ref)}`);
  assert.ok(relL2PhasePerMode(out, ref, 2) < 1e-5);
  const m0 = out.subarray(0, 2 * px), m1 = out.subarray(2 * px);
  const [cr, ci] = inner(m0, m1);
  const p0 = inner(m0, m0)[0], p1 = inner(m1, m1)[0];
  assert.ok(Math.hypot(cr, ci) < 1e-10 * p0, 'modes orthogonal');
  assert.ok(p0 >= p1, 'sorted by power');
  const pin = inner(inp, inp)[0];
  assert.ok(Math.abs(p0 + p1 - pin) < 1e-10 * pin, 'total power kept');
});

test('extra probe modes follow pty-chi\'s Hermite recipe (gauss_m2_batches probe_init)', () => {
  const a = load('gauss_m2_batches');
  const init = f64(a.probe_init!);
  const n2 = 64 * 64;
  const primary = init.slice(0, 2 * n2).map((v) => v / Math.sqrt(0.98));
  const modes = addProbeModes(primary, 64, 2);
  assert.ok(relL2(modes, init) < 1e-5, `rel. L2 ${relL2(modes, init)}`);
  assert.throws(() => addProbeModes(primary, 64, 60), /nothing for mode 0/);
});

test('preconditioner: illumination, first build and schedule (gauss_m1_onebatch preconditioner_epoch0)', async () => {
  const a = load('gauss_m1_onebatch');
  const { caseInput } = await import('./fixtures.js');
  const input = caseInput(a);
  const [H, W] = [input.object.h, input.object.w];
  const g = patchGeometry(input.positions, 49, 64, positionOrigin(H, W));
  const il = illumination(input.probe.data as Float64Array, 1, 64, g.topLeft, 49, H, W);
  let maxSum = 0;
  for (let i = 0; i < 49; i++) { let s = 0; for (let k = 0; k < 4096; k++) s += input.intensities[i * 4096 + k]!; maxSum = Math.max(maxSum, s); }
  const c = firstPreconditioner(il, maxSum, 64);
  assert.ok(relL2(c, f64(a.preconditioner_epoch0!)) < 1e-6);
  assert.deepEqual([0, 1, 2, 9, 10, 11, 19, 20, 30].map((e) => preconditionerUpdateDue(e, 0)), [false, true, true, true, true, false, false, true, true]);
});
