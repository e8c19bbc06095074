/** Names of a study hub's parts, shared by every phase, the report and the whole-study runner. */

/** Sub-directories of a hub: Phase C, D, F, G roots and the report. */
export const HUB_LAYOUT = { c: 'phase_c', d: 'phase_d', f: 'phase_f', g: 'phase_g', report: 'report' } as const;

/** `dose_<int(D)>`, the reference's directory name of a dose (1e3 → dose_1000). */
export function doseDirName(dose: number): string {
  return `dose_${Math.trunc(dose)}`;
}
