/**
 * Initial incoherent probe modes from one primary mode: pty-chi's `orthogonalize_initial_probe`
 * (method "hermite", docs/lsqml.md), re-implemented. The secondary modes are Hermite-like functions
 * (x − x̄)^a·(y − ȳ)^b·P·exp(−(x − x̄)²/(2σx²) − (y − ȳ)²/(2σy²)) around the probe's intensity centroid,
 * Gram–Schmidt orthogonalised in pty-chi's order and with its projection convention; each secondary
 * mode holds 2 % of the primary's energy and mode 0 (the primary, unchanged in shape) the rest.
 */

/** Returns [M, N, N] interleaved complex modes; `primary` is N×N complex. */
export function addProbeModes(primary: Float64Array, n: number, modes: number, secondaryEnergy = 0.02): Float64Array {
  const n2 = n * n;
  const out = new Float64Array(2 * n2 * modes);
  out.set(primary.subarray(0, 2 * n2));
  if (modes <= 1) return out;
  if (secondaryEnergy * (modes - 1) >= 1) throw new RangeError(`addProbeModes: ${modes - 1} secondary modes of ${secondaryEnergy} energy each leave nothing for mode 0`);
  // Coordinates as pty-chi: x = arange(n) − n/2 + 1 (columns), y likewise (rows).
  let wsum = 0, cx = 0, cy = 0;
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    const k = r * n + c, w = primary[2 * k]! ** 2 + primary[2 * k + 1]! ** 2;
    wsum += w; cx += w * (c - n / 2 + 1); cy += w * (r - n / 2 + 1);
  }
  cx /= wsum; cy /= wsum;
  let vx = 0, vy = 0;
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    const k = r * n + c, w = primary[2 * k]! ** 2 + primary[2 * k + 1]! ** 2;
    vx += w * (c - n / 2 + 1 - cx) ** 2; vy += w * (r - n / 2 + 1 - cy) ** 2;
  }
  vx /= wsum; vy /= wsum;
  const mOrd = Math.ceil(Math.sqrt(modes)) - 1;
  const nOrd = Math.ceil(modes / (mOrd + 1)) - 1;
  const h: Float64Array[] = [];
  const normalize = (a: Float64Array): void => {
    let s = 0;
    for (let j = 0; j < a.length; j++) s += a[j]! * a[j]!;
    const f = 1 / Math.sqrt(s);
    for (let j = 0; j < a.length; j++) a[j]! *= f;
  };
  for (let b = 0; b <= nOrd && h.length < modes; b++) {
    for (let a = 0; a <= mOrd && h.length < modes; a++) {
      const aux = new Float64Array(2 * n2);
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
        const dx = c - n / 2 + 1 - cx, dy = r - n / 2 + 1 - cy;
        let f = dx ** a * dy ** b;
        if (h.length > 0) f *= Math.exp(-(dx * dx) / (2 * vx) - (dy * dy) / (2 * vy));
        const k = r * n + c;
        aux[2 * k] = f * primary[2 * k]!; aux[2 * k + 1] = f * primary[2 * k + 1]!;
      }
      normalize(aux);
      // aux −= h_i · Σ(h_i · conj(aux)), pty-chi's projection.
      for (const hi of h) {
        let pr = 0, pi = 0;
        for (let j = 0; j < 2 * n2; j += 2) {
          const hr = hi[j]!, hm = hi[j + 1]!, ar = aux[j]!, am = aux[j + 1]!;
          pr += hr * ar + hm * am; pi += hm * ar - hr * am;
        }
        for (let j = 0; j < 2 * n2; j += 2) {
          const hr = hi[j]!, hm = hi[j + 1]!;
          aux[j] -= hr * pr - hm * pi; aux[j + 1] -= hr * pi + hm * pr;
        }
      }
      normalize(aux);
      h.push(aux);
    }
  }
  let e0 = 0;
  for (let j = 0; j < 2 * n2; j++) e0 += primary[j]! ** 2;
  for (let m = 1; m < modes; m++) {
    // Unit-norm Hermite mode scaled to its share of the primary's energy.
    const f = Math.sqrt(secondaryEnergy * e0);
    const src = h[m]!;
    for (let j = 0; j < 2 * n2; j++) out[2 * n2 * m + j] = src[j]! * f;
  }
  const f0 = Math.sqrt(1 - secondaryEnergy * (modes - 1));
  for (let j = 0; j < 2 * n2; j++) out[j] *= f0;
  return out;
}
