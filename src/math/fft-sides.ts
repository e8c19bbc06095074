/**
 * Padded sizes for the FFT: the h×w frame, at least as large as asked, whose 2-D transform costs least
 * (docs/fft.md, "Padded sizes").
 *
 * Candidates per side n: the next power of two, and the sides 2^a·3^b·5^c with b + c ≤ 2 between n and it
 * (96, 100, 120, 144, 160, 192, 200, 240, 288, 320, 384, 400, 480, 576, 640, 768, 800, 960, 1152 …). Sides with
 * 7, 11 or 13, or with three or more odd factors 3 and 5 (225, 243, 250, 405, 450, 500 …), are left out: the
 * WASM kernel takes them, but more slowly per point than the next candidate above them costs in all.
 * The cost model: h·w·(log₂h + log₂w), times 1.45 unless both sides are powers of two (a frame with any other
 * side runs on the mixed-radix kernel, on both axes): the ratio measured per point and stage for the kept sides.
 */

/** The smallest power of two ≥ n (n ≥ 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The mixed-radix kernel's cost per point and log₂ of size, relative to the power-of-two kernel's (measured). */
export const MIXED_RADIX_COST = 1.45;

/** b + c when n = 2^a·3^b·5^c (n ≥ 1), else null (another prime factor). */
export function oddFactors235(n: number): number | null {
  let m = n, odd = 0;
  while (m % 2 === 0) m /= 2;
  for (const p of [3, 5]) while (m % p === 0) { m /= p; odd++; }
  return m === 1 ? odd : null;
}

/** True when n = 2^a·3^b·5^c with b + c ≤ 2 (a side the padding may take besides a power of two). */
function fastMixedSide(n: number): boolean {
  const odd = oddFactors235(n);
  return odd !== null && odd <= 2;
}

/** The sides the padding may take for a side of at least n: those between n and the next power of two, that included. */
function sideCandidates(n: number): number[] {
  const top = nextPow2(n);
  const out: number[] = [];
  for (let m = n; m < top; m++) if (fastMixedSide(m)) out.push(m);
  out.push(top);
  return out;
}

/**
 * The frame H×W with H ≥ h and W ≥ w whose 2-D FFT is cheapest by the model above (h, w integers ≥ 1); ties go to
 * the smaller frame. Where a padding only has to be large enough (a linear correlation), any such frame gives the
 * same values up to rounding; a circular correlation of zero-padded tapered images moves slightly with the frame
 * (docs/metrics.md).
 */
export function fastFftShape(h: number, w: number): [number, number] {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`fastFftShape: expected integer sides ≥ 1; found ${h}×${w}`);
  }
  const isPow2 = (n: number): boolean => nextPow2(n) === n;
  let best: [number, number] = [nextPow2(h), nextPow2(w)];
  let bestCost = Infinity;
  for (const H of sideCandidates(h)) {
    for (const W of sideCandidates(w)) {
      const cost = H * W * (Math.log2(H) + Math.log2(W)) * (isPow2(H) && isPow2(W) ? 1 : MIXED_RADIX_COST);
      if (cost < bestCost || (cost === bestCost && H * W < best[0] * best[1])) { best = [H, W]; bestCost = cost; }
    }
  }
  return best;
}
