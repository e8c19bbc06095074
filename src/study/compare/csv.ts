/** CSV fields of Phase G's files, formatted as the reference wrote them. */

/** CSV field: `%.6f` for finite numbers (as the reference), `inf`/`-inf`, empty for NaN or missing. */
export function csvNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(6);
}

/** A CSV field, quoted when it holds a comma, quote or newline. */
export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
