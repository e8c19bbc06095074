/**
 * pty-chi's scan-position convention, written once for the simulation (physics/), the engine's patch
 * geometry (engine/patches.ts) and the reconstruction job that converts a dataset's coordinates.
 *
 * Files store scan centres `xcoords`, `ycoords` in object pixels: the patch of a position covers rows
 * [y − N/2, y + N/2) (continuous). pty-chi works with positions relative to an origin of the H×W object
 * buffer (`ObjectBase.position_origin`; per axis):
 *   origin  'ptychi'   = round_half_even(H/2) + 0.5   (the pty-chi snapshot the parity fixtures come from)
 *           'centered' = H/2 − 0.5                      (pty-chi issue #73's fix: 0 is the buffer's centre)
 *   p       = coord − origin − (N//2 − (N−1)/2)
 * The object patch of p starts at the integer index t = round_half_even(round_half_even(p) + origin − (N−1)/2)
 * and the fractional part f = p − round_half_even(p) ∈ [−0.5, 0.5] shifts the probe by a Fourier shift
 * ("integer object, sub-pixel probe", pty-chi's `extract_patches_fourier_shift`). For even N and the
 * 'ptychi' origin, t + f = coord − N/2.
 */
import { roundHalfEven } from './shift.js';

/** Where position 0 lies in the object buffer (see the module comment). */
export type OriginConvention = 'ptychi' | 'centered';

/** The origin of one axis of `size` pixels. */
export function originOf(size: number, convention: OriginConvention = 'ptychi'): number {
  return convention === 'centered' ? size / 2 - 0.5 : roundHalfEven(size / 2) + 0.5;
}

/** The origin [o_y, o_x] of an H×W object buffer. */
export function positionOrigin(height: number, width: number, convention: OriginConvention = 'ptychi'): [number, number] {
  return [originOf(height, convention), originOf(width, convention)];
}

/** pty-chi's position (relative to `origin`) of a file coordinate, for N×N patches. */
export function positionFromCoord(coord: number, origin: number, patch: number): number {
  return coord - origin - (Math.floor(patch / 2) - (patch - 1) / 2);
}

/** Integer top-left index of the object patch of a position and the sub-pixel remainder applied to the probe. */
export interface Placement {
  top: number;
  frac: number;
}

/** Placement of position `p` (relative to `origin`) for N×N patches; `out` is filled and returned. */
export function placePosition(p: number, origin: number, patch: number, out: Placement = { top: 0, frac: 0 }): Placement {
  const r = roundHalfEven(p);
  out.top = roundHalfEven(r + origin - (patch - 1) / 2);
  out.frac = p - r;
  return out;
}
