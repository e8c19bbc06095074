/**
 * Round numbers for axes, colour bars and scale bars.
 *
 * `linearTicks` follows d3-array's `ticks` rule (a step of 1, 2 or 5 × 10^k chosen so that about `count`
 * ticks fall in the range). d3-array is not one of our dependencies (vega carries it, but loading vega in
 * every reconstruction worker to draw a colour bar would cost more than these few lines), so the rule is
 * written here.
 */

const E10 = Math.sqrt(50);
const E5 = Math.sqrt(10);
const E2 = Math.sqrt(2);

/** The 1, 2 or 5 × 10^k step that gives about `count` ticks between lo and hi (d3's rule). */
export function tickStep(lo: number, hi: number, count = 5): number {
  const span = Math.abs(hi - lo);
  if (!(span > 0) || !Number.isFinite(span)) return 0;
  const step0 = span / Math.max(1, count);
  const power = Math.floor(Math.log10(step0));
  const error = step0 / 10 ** power;
  const f = error >= E10 ? 10 : error >= E5 ? 5 : error >= E2 ? 2 : 1;
  return f * 10 ** power;
}

/** Tidy a multiple of a step: 0.30000000000000004 → 0.3. */
function tidy(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(12));
}

/**
 * Round values inside [lo, hi] (ends included), ascending: multiples of `tickStep(lo, hi, count)`. When
 * fewer than two fit (a range narrower than its own rounding), the ends themselves.
 */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  const step = tickStep(lo, hi, count);
  if (step === 0) return [tidy(lo)];
  const eps = step * 1e-9;
  const i0 = Math.ceil((lo - eps) / step);
  const i1 = Math.floor((hi + eps) / step);
  const out: number[] = [];
  for (let i = i0; i <= i1; i++) out.push(tidy(i * step));
  return out.length >= 2 ? out : [tidy(lo), tidy(hi)];
}

/** Powers of ten inside [lo, hi] (lo > 0); 1-2-5 steps within a decade when fewer than two powers fit. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo) || !Number.isFinite(hi)) return lo > 0 && Number.isFinite(lo) ? [tidy(lo)] : [];
  const out: number[] = [];
  for (let k = Math.ceil(Math.log10(lo) - 1e-9); k <= Math.floor(Math.log10(hi) + 1e-9); k++) out.push(tidy(10 ** k));
  if (out.length >= 2) return out;
  const fine: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const v = tidy(m * 10 ** k);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) fine.push(v);
    }
  }
  return fine.length >= 2 ? fine : [tidy(lo), tidy(hi)];
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹',
};

/** 10⁴, 2×10⁻⁵: a power-of-ten form with superscript digits. */
export function powerOfTen(v: number): string {
  const k = Math.floor(Math.log10(Math.abs(v)) + 1e-9);
  const m = tidy(v / 10 ** k);
  const exp = [...String(k)].map((c) => SUPERSCRIPT[c] ?? c).join('');
  return `${m === 1 ? '' : m === -1 ? '−' : `${String(m).replace('-', '−')}×`}10${exp}`;
}

function formatPlain(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return (v < 0 ? '−' + s.slice(1) : s);
}

/**
 * Labels for ticks that share one step: the same number of decimals for all (the step's), a typographic
 * minus, powers of ten for magnitudes ≥ 10⁵ or below 10⁻³.
 */
export function formatTicks(ticks: readonly number[]): string[] {
  if (ticks.length === 0) return [];
  const big = Math.max(...ticks.map(Math.abs));
  if (big >= 1e5 || (big > 0 && big < 1e-3)) return ticks.map((t) => (t === 0 ? '0' : powerOfTen(t)));
  let step = Infinity;
  for (let i = 1; i < ticks.length; i++) step = Math.min(step, Math.abs(ticks[i]! - ticks[i - 1]!));
  if (!Number.isFinite(step) || step === 0) step = big || 1;
  // decimals: enough for the step, and for every tick to be printed exactly to 12 significant digits
  let decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  while (decimals < 6 && ticks.some((t) => Math.abs(Number(t.toFixed(decimals)) - t) > Math.abs(step) * 1e-6)) decimals++;
  return ticks.map((t) => (Math.abs(t) < step * 1e-9 ? '0' : formatPlain(t, decimals)));
}

/** Labels for log-scale ticks: 1, 10, 100, 1000, then 10⁴, 10⁵ … (and 2, 5, 20 … when ticks are 1-2-5). */
export function formatLogTicks(ticks: readonly number[]): string[] {
  return ticks.map((t) => (t >= 1 && t < 1e4 ? String(t) : powerOfTen(t)));
}

/** The largest 1, 2 or 5 × 10^k that is ≤ target (target > 0). */
export function niceLength(target: number): number {
  if (!(target > 0) || !Number.isFinite(target)) return 0;
  const power = Math.floor(Math.log10(target) + 1e-12);
  const f = target / 10 ** power;
  const m = f >= 5 ? 5 : f >= 2 ? 2 : 1;
  return tidy(m * 10 ** power);
}

/**
 * A number for a table: integers as they are, others to `digits` significant digits without trailing
 * zeros (19.200000000000003 → 19.2, 0.11224489795918367 → 0.112245).
 */
export function formatNumber(v: number, digits = 6): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return Math.abs(v) >= 1e15 ? v.toExponential() : String(v);
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-4) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

/**
 * A reconstruction's loss as the reports write it, everywhere they name one (a study's runs table, the page of one
 * reconstruction): four significant digits in exponent form, 2.270e-2, 6.300e+0; — where there is none.
 */
export function formatLoss(v: number | null | undefined): string {
  if (typeof v !== 'number' || Number.isNaN(v)) return '—';
  return Number.isFinite(v) ? v.toExponential(3) : v > 0 ? '∞' : '−∞';
}

/** A dose as people write it, everywhere the report and its figures name one: 1e3, 2.5e4, 500. */
export function doseLabel(d: number): string {
  if (d >= 1000 && Number.isFinite(d)) return d.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e');
  return formatNumber(d);
}
