/**
 * What each picture shows, and the one colour map it is drawn with. Every figure of a study — Phase F's
 * reconstruction.png, Phase G's comparison.png and the report's own figures — names the quantity of each
 * panel and takes its map from here, so a quantity looks the same everywhere:
 *
 *   object amplitude   gray      linear; the range is stated on the colour bar
 *   object phase       viridis   linear (not cyclic): phases are shown on the ground truth's branch or as
 *                                reconstructed, over a stated range, never wrapped by the colour map
 *   probe amplitude    magma
 *   probe phase        twilight  cyclic, always −π…π (a probe's phase wraps); grey where |P| < 5 % of its max (figure.ts)
 *   diffraction        inferno   photon counts on a log scale
 *   error              RdBu      signed difference (reconstruction − ground truth), symmetric about 0;
 *                                red below, blue above
 *   detector mask      binary    measured data's mask: 1 (black) a masked pixel, 0 (white) a fitted one
 */
import type { ColormapName } from './colormap.js';

export type Quantity = 'object-amplitude' | 'object-phase' | 'probe-amplitude' | 'probe-phase' | 'diffraction' | 'error' | 'detector-mask';

export interface QuantityStyle {
  colormap: ColormapName;
  /** Words for a caption. */
  name: string;
  /** Default colour-bar label. */
  unit: string;
}

export const QUANTITIES: Readonly<Record<Quantity, QuantityStyle>> = {
  'object-amplitude': { colormap: 'gray', name: 'object amplitude', unit: '' },
  'object-phase': { colormap: 'viridis', name: 'object phase', unit: 'rad' },
  'probe-amplitude': { colormap: 'magma', name: 'probe amplitude', unit: '' },
  'probe-phase': { colormap: 'twilight', name: 'probe phase', unit: 'rad' },
  diffraction: { colormap: 'inferno', name: 'diffraction intensity', unit: 'photons' },
  error: { colormap: 'RdBu', name: 'error (reconstruction − ground truth)', unit: '' },
  'detector-mask': { colormap: 'binary', name: 'detector mask', unit: '1 masked · 0 fitted' },
};

export const QUANTITY_NAMES = Object.keys(QUANTITIES) as Quantity[];

/** The colour map of a quantity (the only way a figure chooses one). */
export function colormapOf(q: Quantity): ColormapName {
  const s = QUANTITIES[q];
  if (!s) throw new Error(`unknown quantity ${String(q)}`);
  return s.colormap;
}
