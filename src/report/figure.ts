/**
 * Image figures: a grid of colour-mapped images with titles, row and column labels, colour bars with
 * round tick values, scale bars and a note of the share of pixels clipped by the colour range; rendered
 * to PNG with real text, at least `minWidth` (1600) pixels wide so a figure can go on a slide as it is.
 *
 * How: each image is colour-mapped (its panel's quantity decides the map, quantities.ts) and encoded
 * with pngjs (unfiltered, stored without compression: only resvg reads it back), embedded as a data-URI `<image>` in an SVG (nearest-neighbour scaling, so pixels stay
 * pixels) with its colour bar and text; resvg-js renders the SVG with the system fonts (DejaVu Sans on
 * Debian). Colour bars are per image (`colourBars: 'panel'`), one per row whose images share the first
 * one's range (`'row'`), or one for the whole figure (`'figure'`). Each panel's `<g>` carries
 * `data-quantity`, `data-colormap`, `data-vmin`, `data-vmax` and the clipped shares, so what a figure
 * shows can be checked from its SVG. A probe phase given its amplitude is drawn grey where |P| is below
 * `PROBE_PHASE_FADE` of its maximum (`data-faded`: the share of such pixels).
 */
import { existsSync } from 'node:fs';
import { Resvg, renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import { colormapLut, encodePngRgba, finiteRange, lutIndex, type ColormapName } from './colormap.js';
import { colormapOf, QUANTITIES, type Quantity } from './quantities.js';
import { scaleBarFor } from './scalebar.js';
import { formatLogTicks, formatTicks, linearTicks, logTicks } from './ticks.js';

export interface Panel {
  title?: string;
  width: number;
  height: number;
  /** Row-major, `width · height` values; NaN/±Inf are drawn transparent (white background). */
  values: Float32Array | Float64Array;
  /** What the values are: decides the colour map (one per quantity, quantities.ts). */
  quantity: Quantity;
  /** Colour range; each defaults to the finite min / max of `values` (for 'log', the smallest positive value). */
  vmin?: number;
  vmax?: number;
  /** Colour-bar label (default: the quantity's unit). */
  label?: string;
  /** 'log': colour ∝ log10(value) between vmin (> 0) and vmax; values below vmin (zeros too) get the lowest colour. */
  scale?: 'linear' | 'log';
  /** Size of one pixel along x in metres: the scale bar is in metres; absent or null: in pixels. */
  pixelSizeM?: number | null;
  /** Unit word of a scale bar in pixels (default "px"). */
  pixelUnit?: string;
  /** Draw a scale bar (default true). */
  scaleBar?: boolean;
  /** How the clip note names the pixels below the range (default "below"; e.g. "with 0 photons"). */
  belowLabel?: string;
  /**
   * A probe phase's amplitude |P|, pixel for pixel (`width · height` values): where it is below `PROBE_PHASE_FADE` of
   * its largest finite value the phase is noise, and the pixel is drawn in `FADE_RGB` instead of its colour (a note
   * under the panel says so). Only for a 'probe-phase' panel; an object's phase is drawn as it is everywhere.
   */
  amplitude?: ArrayLike<number>;
}

export interface FigureRow {
  /** Label at the left of the row. */
  label?: string;
  /** Images of the row; null is an empty cell ("not available"). */
  cells: (Panel | null)[];
  /** Text of each empty cell where it is not the figure's `emptyText` (e.g. "broken" where the file is there but unreadable). */
  emptyTexts?: (string | undefined)[];
}

export interface GridOptions {
  title?: string;
  /** A smaller line under the title. */
  subtitle?: string;
  /** Labels above the columns. */
  colLabels?: readonly string[];
  /** A colour bar per image, per row (the row's images take its first image's range) or one for all. */
  colourBars?: 'panel' | 'row' | 'figure';
  /** Side, in SVG pixels, of the box each image is fitted into, keeping its aspect ratio (default 200). */
  imageSize?: number;
  /** Zoom of the PNG relative to the SVG's own size (default 1; raised to reach `minWidth`). */
  scale?: number;
  /** Smallest PNG width in pixels (default 1600). */
  minWidth?: number;
  /** Text of an empty cell (default "not available"). */
  emptyText?: string;
  /**
   * Multiplies every text size of the figure and the room its text takes (titles, labels, colour-bar ticks and label,
   * scale-bar labels, notes); default 1. For a figure printed small, e.g. two up on A4, whose text would otherwise
   * shrink below what paper can be read at. An empty cell's text wraps to the cell.
   */
  textScale?: number;
  /** The note under each image naming its clipped pixels (default true); false: the caller states them (the records keep them). */
  clipNotes?: boolean;
  /**
   * Where each image's scale bar goes: 'inside' its bottom-left corner (default), or 'below' it, on a line of its own
   * (where large text would cover much of a small image).
   */
  scaleBars?: 'inside' | 'below';
}

export interface FigureOptions extends Omit<GridOptions, 'colLabels' | 'colourBars'> {
  /** Panels per row (default: min(count, 4)). */
  columns?: number;
}

/** What one panel of a figure showed (also in its SVG's data attributes). */
export interface PanelRecord {
  title: string;
  quantity: Quantity;
  colormap: ColormapName;
  vmin: number;
  vmax: number;
  scale: 'linear' | 'log';
  /** Fractions of the finite pixels below vmin and above vmax. */
  clippedBelow: number;
  clippedAbove: number;
  /** The note under the panel naming the clipped pixels ("12.5 % with 0 photons"), '' when none are clipped. */
  clipNote: string;
  /** Share of the pixels drawn in the fade colour (a probe phase where |P| is below `PROBE_PHASE_FADE` of its maximum). */
  faded: number;
  scaleBar: string | null;
  /** The colour bar's label: the panel's own, else its quantity's unit ("photons", "rad"). */
  unit: string;
}

export interface RenderedFigure {
  svg: string;
  /** SVG size. */
  width: number;
  height: number;
  /** The smallest text size in the figure, in SVG pixels (a PNG zoomed by z holds it at z times that). */
  smallestText: number;
  panels: PanelRecord[];
}

export const MIN_FIGURE_WIDTH = 1600;

/**
 * A probe phase is drawn only where the probe's amplitude carries it: at a pixel whose |P| is below this fraction
 * of the panel's largest |P|, the phase (noise there) is replaced by `FADE_RGB`, as ptychography viewers grey out
 * the phase outside the beam.
 */
export const PROBE_PHASE_FADE = 0.05;
/** The fade colour, mid grey #707070: at least 70 (of 441) from every colour of the cyclic phase map (twilight). */
export const FADE_RGB: readonly [number, number, number] = [0x70, 0x70, 0x70];
/** The note under a faded probe phase, and the words a caption uses for the rule. */
export const FADE_NOTE = `grey: |P| < ${100 * PROBE_PHASE_FADE} % of max`;
export const FADE_RULE = `grey where |P| is below ${100 * PROBE_PHASE_FADE} % of its maximum (the phase is noise there)`;

const FONT = 'DejaVu Sans, sans-serif';
const PAD = 10;
const BASE_TITLE_H = 20;
const BASE_COL_H = 22;
const BASE_NOTE_H = 14;
const BAR_GAP = 8;
const BASE_BAR_W = 12;
const TICK_W = 50;
const LABEL_W = 16;
/** Width of a colour bar with its ticks and label, at text scale `t`. */
const barBlock = (t: number): number => BAR_GAP + (BASE_BAR_W + TICK_W + LABEL_W) * t;
const BASE_FIG_TITLE_H = 30;
const BASE_SUBTITLE_H = 18;

/** `text` in lines at most `width` wide at `fontSize` (split at spaces; a word wider than that stays whole). */
function wrapText(text: string, fontSize: number, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length ? lines[lines.length - 1]! : null;
    if (last !== null && textWidth(`${last} ${word}`, fontSize) <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** XML-escapes text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function dataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Rough width of a DejaVu Sans string (for layout only). */
function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.64;
}

/**
 * Width of a figure's title or subtitle line, a little above what DejaVu Sans draws for such lines (measured
 * on the rendered figures: 0.50–0.55 em a character for plain text, the lower-case alphabet 0.554; bold
 * 0.57–0.63 em). At 0.5 em a subtitle of wide letters ran past both edges of a one-column figure.
 */
function headingWidth(s: string, fontSize: number, bold: boolean): number {
  return s.length * fontSize * (bold ? 0.66 : 0.58);
}

/** "<0.1 %", "2.3 %", "41 %". */
function percent(f: number): string {
  const p = 100 * f;
  return p < 0.1 ? '<0.1 %' : p < 10 ? `${p.toFixed(1)} %` : `${Math.round(p)} %`;
}

interface Resolved {
  p: Panel;
  vmin: number;
  vmax: number;
  log: boolean;
}

/** The colour range a panel asks for (its own, or its data's). */
function ownRange(p: Panel): [number, number] {
  const log = p.scale === 'log';
  let lo = Infinity, hi = -Infinity;
  if (p.vmin === undefined || p.vmax === undefined) {
    for (let i = 0; i < p.values.length; i++) {
      const v = p.values[i]!;
      if (!Number.isFinite(v) || (log && !(v > 0))) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo <= hi)) { lo = log ? 1 : 0; hi = log ? 10 : 1; }
  }
  return [p.vmin ?? lo, p.vmax ?? hi];
}

/** RGBA of a panel through its colour map, how many finite pixels fall below / above the range, and the faded share. */
function colourise(r: Resolved): { rgba: Uint8Array; below: number; above: number; faded: number } {
  const { p, vmin, vmax, log } = r;
  const lut = colormapLut(colormapOf(p.quantity));
  const a = log ? Math.log10(vmin) : vmin;
  const b = log ? Math.log10(vmax) : vmax;
  const span = b - a;
  const inv = span > 0 && Number.isFinite(span) ? 1 / span : 0;
  const out = new Uint8Array(p.values.length * 4);
  const amp = p.amplitude;
  const fadeBelow = amp ? PROBE_PHASE_FADE * finiteRange(amp)[1] : -Infinity;
  let below = 0, above = 0, finite = 0, faded = 0;
  for (let i = 0; i < p.values.length; i++) {
    const v = p.values[i]!;
    if (!Number.isFinite(v)) continue; // stays transparent
    finite++;
    if (amp && !(amp[i]! >= fadeBelow)) { // no phase to speak of: the fade colour, not counted as clipped
      faded++;
      out[4 * i] = FADE_RGB[0]; out[4 * i + 1] = FADE_RGB[1]; out[4 * i + 2] = FADE_RGB[2]; out[4 * i + 3] = 255;
      continue;
    }
    if (v < vmin) below++;
    else if (v > vmax) above++;
    const x = log ? (v > 0 ? Math.log10(v) : -Infinity) : v;
    const k = inv === 0 ? 128 : lutIndex((x - a) * inv);
    out[4 * i] = lut[3 * k]!;
    out[4 * i + 1] = lut[3 * k + 1]!;
    out[4 * i + 2] = lut[3 * k + 2]!;
    out[4 * i + 3] = 255;
  }
  const n = Math.max(1, finite);
  return { rgba: out, below: below / n, above: above / n, faded: faded / n };
}

const barCache = new Map<ColormapName, string>();

/** A vertical colour bar image, 1 × 256, top = high end (data URI). */
function colourBarUri(colormap: ColormapName): string {
  let uri = barCache.get(colormap);
  if (uri) return uri;
  const lut = colormapLut(colormap);
  const rgba = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const k = 255 - i;
    rgba.set([lut[3 * k]!, lut[3 * k + 1]!, lut[3 * k + 2]!, 255], 4 * i);
  }
  uri = dataUri(encodePngRgba(1, 256, rgba));
  barCache.set(colormap, uri);
  return uri;
}

/** Tick values and labels of a colour bar of range [vmin, vmax] and `h` pixels. */
export function colourBarTicks(vmin: number, vmax: number, log: boolean, h = 200): { values: number[]; labels: string[] } {
  if (!log && Math.abs(vmin + Math.PI) < 1e-9 && Math.abs(vmax - Math.PI) < 1e-9) {
    // a full cyclic phase range: multiples of π/2
    return h >= 70
      ? { values: [-Math.PI, -Math.PI / 2, 0, Math.PI / 2, Math.PI], labels: ['−π', '−π/2', '0', 'π/2', 'π'] }
      : { values: [-Math.PI, 0, Math.PI], labels: ['−π', '0', 'π'] };
  }
  if (log) {
    const values = logTicks(vmin, vmax);
    return { values, labels: formatLogTicks(values) };
  }
  const values = linearTicks(vmin, vmax, h >= 140 ? 5 : h >= 70 ? 4 : 3);
  return { values, labels: formatTicks(values) };
}

/** A colour bar at (x, y), `h` tall, with ticks, label and clipping arrows. */
function drawColourBar(parts: string[], o: {
  quantity: Quantity; vmin: number; vmax: number; log: boolean; label: string; clipLow: boolean; clipHigh: boolean; x: number; y: number; h: number;
}, ts = 1): void {
  const { x, y, h, vmin, vmax, log } = o;
  const BAR_W = BASE_BAR_W * ts;
  const cmap = colormapOf(o.quantity);
  const lut = colormapLut(cmap);
  const ticks = colourBarTicks(vmin, vmax, log, h);
  const uri = colourBarUri(cmap);
  parts.push(`<g class="colourbar" data-quantity="${o.quantity}" data-colormap="${cmap}" data-ticks="${escapeXml(ticks.labels.join('|'))}">`);
  parts.push(`<image x="${x}" y="${y}" width="${BAR_W}" height="${h}" preserveAspectRatio="none" href="${uri}" xlink:href="${uri}"/>`);
  parts.push(`<rect x="${x}" y="${y}" width="${BAR_W}" height="${h}" fill="none" stroke="#444" stroke-width="0.6"/>`);
  const rgb = (k: number): string => `rgb(${lut[3 * k]},${lut[3 * k + 1]},${lut[3 * k + 2]})`;
  if (o.clipHigh) parts.push(`<polygon points="${x},${y - 1} ${x + BAR_W},${y - 1} ${x + BAR_W / 2},${y - 8}" fill="${rgb(255)}" stroke="#444" stroke-width="0.6"/>`);
  if (o.clipLow) parts.push(`<polygon points="${x},${y + h + 1} ${x + BAR_W},${y + h + 1} ${x + BAR_W / 2},${y + h + 8}" fill="${rgb(0)}" stroke="#444" stroke-width="0.6"/>`);
  const a = log ? Math.log10(vmin) : vmin;
  const b = log ? Math.log10(vmax) : vmax;
  ticks.values.forEach((t, j) => {
    const u = b > a ? ((log ? Math.log10(t) : t) - a) / (b - a) : 0.5;
    const ty = y + h * (1 - u);
    parts.push(`<line x1="${x + BAR_W}" y1="${ty}" x2="${x + BAR_W + 3 * ts}" y2="${ty}" stroke="#444" stroke-width="${0.8 * ts}"/>`);
    parts.push(`<text x="${x + BAR_W + 5 * ts}" y="${ty + 3.5 * ts}" font-family="${FONT}" font-size="${10 * ts}" fill="#222">${escapeXml(ticks.labels[j]!)}</text>`);
  });
  if (o.label) {
    const widest = Math.max(0, ...ticks.labels.map((l) => textWidth(l, 10 * ts)));
    const lx = x + BAR_W + Math.min(TICK_W * ts, widest + 12 * ts) + LABEL_W * ts / 2;
    const ly = y + h / 2;
    parts.push(`<text x="${lx}" y="${ly}" transform="rotate(90 ${lx} ${ly})" text-anchor="middle" font-family="${FONT}" font-size="${11 * ts}" fill="#222">${escapeXml(o.label)}</text>`);
  }
  parts.push('</g>');
}

/** A scale bar in the bottom-left corner of an image drawn at (ix, iy), iw × ih. Returns its label. */
function drawScaleBar(parts: string[], p: Panel, ix: number, iy: number, iw: number, ih: number, t = 1): string | null {
  if (p.scaleBar === false || iw < 40 || ih < 24 * t) return null;
  const sb = scaleBarFor(p.width, p.pixelSizeM, 0.2, p.pixelUnit ?? 'px');
  const len = sb.lengthPx * (iw / p.width);
  const tw = textWidth(sb.label, 9 * t);
  const boxW = Math.max(len, tw) + 10;
  const bx = ix + 3, by = iy + ih - 3 - 19 * t;
  parts.push(`<g class="scalebar" data-length-px="${sb.lengthPx}" data-label="${escapeXml(sb.label)}">`);
  parts.push(`<rect x="${bx}" y="${by}" width="${boxW}" height="${19 * t}" fill="#ffffff" fill-opacity="0.8" rx="2"/>`);
  parts.push(`<rect x="${bx + (boxW - len) / 2}" y="${by + 13 * t}" width="${len}" height="${3 * t}" fill="#000"/>`);
  parts.push(`<text x="${bx + boxW / 2}" y="${by + 10 * t}" text-anchor="middle" font-family="${FONT}" font-size="${9 * t}" fill="#000">${escapeXml(sb.label)}</text>`);
  parts.push('</g>');
  return sb.label;
}

/** A scale bar under an image drawn at x `ix`, `iw` wide, on the line from `y` down: the bar, its label right of it. */
function drawScaleBarBelow(parts: string[], p: Panel, ix: number, y: number, iw: number, t: number): string | null {
  if (p.scaleBar === false) return null;
  const sb = scaleBarFor(p.width, p.pixelSizeM, 0.2, p.pixelUnit ?? 'px');
  const len = sb.lengthPx * (iw / p.width);
  parts.push(`<g class="scalebar" data-length-px="${sb.lengthPx}" data-label="${escapeXml(sb.label)}">`);
  parts.push(`<rect x="${ix}" y="${y + 6 * t}" width="${len}" height="${3 * t}" fill="#000"/>`);
  parts.push(`<text x="${ix + len + 4 * t}" y="${y + 10.5 * t}" font-family="${FONT}" font-size="${9 * t}" fill="#000">${escapeXml(sb.label)}</text>`);
  parts.push('</g>');
  return sb.label;
}

/** The clip note of one image: "clipped: 2.1 % below, 0.3 % above", or '' when nothing is clipped. */
export function clipNote(below: number, above: number, belowLabel = 'below'): string {
  const bits: string[] = [];
  if (below > 0) bits.push(`${percent(below)} ${belowLabel}`);
  if (above > 0) bits.push(`${percent(above)} above`);
  return bits.length ? `clipped: ${bits.join(', ')}` : '';
}

/** Lays out and draws a grid figure (see the module comment). */
export function layoutFigure(rows: readonly FigureRow[], opts: GridOptions = {}): RenderedFigure {
  const all = rows.flatMap((r) => r.cells);
  if (all.every((c) => c === null)) throw new Error('renderFigure: no panels');
  for (const p of all) {
    if (p && (!(p.width > 0 && p.height > 0) || p.values.length !== p.width * p.height)) {
      throw new Error(`renderFigure: panel "${p.title ?? ''}" has ${p.values.length} values for ${p.width}×${p.height}`);
    }
    if (p?.amplitude && (p.quantity !== 'probe-phase' || p.amplitude.length !== p.values.length)) {
      throw new Error(`renderFigure: panel "${p.title ?? ''}" (${p.quantity}) has an amplitude of ${p.amplitude.length} values: only a probe phase fades, by an amplitude of ${p.values.length}`);
    }
  }
  const mode = opts.colourBars ?? 'panel';
  const box = opts.imageSize ?? 200;
  const columns = Math.max(1, ...rows.map((r) => r.cells.length));
  // Colour ranges: per panel, or shared by a row / the figure (the first panel's).
  const resolved: (Resolved | null)[][] = [];
  let figureRange: Resolved | null = null;
  for (const r of rows) {
    let rowRange: Resolved | null = null;
    resolved.push(r.cells.map((p) => {
      if (!p) return null;
      const own = ownRange(p);
      const mine: Resolved = { p, vmin: own[0], vmax: own[1], log: p.scale === 'log' };
      if (mode === 'panel') return mine;
      const shared = mode === 'row' ? rowRange : figureRange;
      if (!shared) {
        if (mode === 'row') rowRange = mine; else figureRange = mine;
        return mine;
      }
      if (shared.p.quantity !== p.quantity || shared.log !== mine.log) {
        throw new Error(`renderFigure: panels sharing a colour bar show ${shared.p.quantity} and ${p.quantity}`);
      }
      return { p, vmin: shared.vmin, vmax: shared.vmax, log: shared.log };
    }));
  }
  const coloured = resolved.map((r) => r.map((c) => (c ? colourise(c) : null)));

  const t = opts.textScale !== undefined && Number.isFinite(opts.textScale) && opts.textScale > 0 ? opts.textScale : 1;
  const clipNotes = opts.clipNotes ?? true;
  const [TITLE_H, COL_H, NOTE_H, FIG_TITLE_H, SUBTITLE_H, BAR_BLOCK] = [BASE_TITLE_H * t, BASE_COL_H * t, BASE_NOTE_H * t, BASE_FIG_TITLE_H * t, BASE_SUBTITLE_H * t, barBlock(t)];
  const rowLabelW = rows.some((r) => r.label) ? Math.max(...rows.map((r) => textWidth(r.label ?? '', 13 * t))) + 2 * PAD : 0;
  const cellW = PAD + box + PAD + (mode === 'panel' ? BAR_BLOCK : 0);
  const barColW = mode === 'panel' ? 0 : BAR_BLOCK + PAD;
  const top = (opts.title ? FIG_TITLE_H : 0) + (opts.subtitle ? SUBTITLE_H : 0) + (opts.colLabels ? COL_H : 0) + (opts.title || opts.subtitle ? 4 : 0);
  const fit = (p: Panel): [number, number] => {
    const s = box / Math.max(p.width, p.height);
    return [p.width * s, p.height * s];
  };
  const rowBox = rows.map((r) => Math.max(box * 0.35, ...r.cells.map((p) => (p ? fit(p)[1] : 0))));
  const rowTitle = rows.map((r) => (r.cells.some((p) => p?.title) ? TITLE_H : 0));
  const barsBelow = opts.scaleBars === 'below';
  const rowBar = rows.map((r) => (barsBelow && r.cells.some((p) => p && p.scaleBar !== false) ? NOTE_H : 0));
  const rowNote = coloured.map((r, i) => rowBar[i]! + (clipNotes && r.some((c) => c && (c.below > 0 || c.above > 0 || c.faded > 0)) ? NOTE_H : 0));
  const rowH = rows.map((_, i) => PAD + rowTitle[i]! + rowBox[i]! + rowNote[i]! + PAD + (mode === 'panel' ? 6 : 0));
  const rowTop: number[] = [];
  rowH.reduce((acc, h, i) => { rowTop[i] = acc; return acc + h; }, top);
  const contentW = Math.ceil(rowLabelW + columns * cellW + barColW);
  // a title or subtitle wider than the panels (one narrow column) widens the figure, the panels centred under it
  const headW = Math.max(opts.title ? headingWidth(opts.title, 16 * t, true) : 0, opts.subtitle ? headingWidth(opts.subtitle, 11 * t, false) : 0);
  const W = Math.max(contentW, Math.ceil(headW + 2 * PAD));
  const H = Math.ceil(rowTop[rows.length - 1]! + rowH[rows.length - 1]! + (mode === 'panel' ? 0 : 6));

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  let y = 0;
  if (opts.title) {
    parts.push(`<text x="${W / 2}" y="${FIG_TITLE_H - 9 * t}" text-anchor="middle" font-family="${FONT}" font-size="${16 * t}" font-weight="bold" fill="#111">${escapeXml(opts.title)}</text>`);
    y += FIG_TITLE_H;
  }
  if (opts.subtitle) {
    parts.push(`<text x="${W / 2}" y="${y + SUBTITLE_H - 5 * t}" text-anchor="middle" font-family="${FONT}" font-size="${11 * t}" fill="#444">${escapeXml(opts.subtitle)}</text>`);
    y += SUBTITLE_H;
  }
  const shift = Math.floor((W - contentW) / 2);
  if (shift > 0) parts.push(`<g transform="translate(${shift} 0)">`);
  if (opts.colLabels) {
    opts.colLabels.forEach((l, c) => {
      parts.push(`<text x="${rowLabelW + c * cellW + PAD + box / 2}" y="${top - 7 * t}" text-anchor="middle" font-family="${FONT}" font-size="${13 * t}" font-weight="bold" fill="#111">${escapeXml(l)}</text>`);
    });
  }
  const records: PanelRecord[] = [];
  const sharedClip = { low: false, high: false };
  rows.forEach((r, ri) => {
    const imgTop = rowTop[ri]! + PAD + rowTitle[ri]!;
    if (r.label) {
      parts.push(`<text x="${PAD}" y="${imgTop + rowBox[ri]! / 2 + 5 * t}" font-family="${FONT}" font-size="${13 * t}" font-weight="bold" fill="#111">${escapeXml(r.label)}</text>`);
    }
    const rowClip = { low: false, high: false };
    r.cells.forEach((p, ci) => {
      const x0 = rowLabelW + ci * cellW + PAD;
      if (!p) {
        const h = rowBox[ri]!;
        parts.push(`<rect x="${x0}" y="${imgTop}" width="${box}" height="${h}" fill="#f2f2f2" stroke="#bbb" stroke-width="0.6"/>`);
        const text = r.emptyTexts?.[ci] ?? opts.emptyText ?? 'not available';
        const size = 11 * t;
        const lines = t > 1 ? wrapText(text, size, box - 2 * PAD) : [text];
        const y0 = imgTop + h / 2 + 4 * t - ((lines.length - 1) * 13 * t) / 2;
        lines.forEach((l, k) => parts.push(`<text x="${x0 + box / 2}" y="${y0 + k * 13 * t}" text-anchor="middle" font-family="${FONT}" font-size="${11 * t}" fill="#777">${escapeXml(l)}</text>`));
        return;
      }
      const res = resolved[ri]![ci]!;
      const col = coloured[ri]![ci]!;
      const [iw, ih] = fit(p);
      const ix = x0 + (box - iw) / 2;
      const iy = imgTop + (rowBox[ri]! - ih) / 2;
      const cmap = colormapOf(p.quantity);
      parts.push(`<g class="panel" data-quantity="${p.quantity}" data-colormap="${cmap}" data-vmin="${res.vmin}" data-vmax="${res.vmax}" data-scale="${res.log ? 'log' : 'linear'}" data-clipped-below="${col.below}" data-clipped-above="${col.above}"${p.amplitude ? ` data-faded="${col.faded}"` : ''}>`);
      if (p.title) parts.push(`<text x="${x0 + box / 2}" y="${imgTop - 6 * t}" text-anchor="middle" font-family="${FONT}" font-size="${13 * t}" fill="#111">${escapeXml(p.title)}</text>`);
      // decoded again by resvg only: written the fast way (the figure's pixels do not depend on it)
      const uri = dataUri(encodePngRgba(p.width, p.height, col.rgba, true));
      parts.push(`<image x="${ix}" y="${iy}" width="${iw}" height="${ih}" preserveAspectRatio="none" image-rendering="optimizeSpeed" href="${uri}" xlink:href="${uri}"/>`);
      parts.push(`<rect x="${ix}" y="${iy}" width="${iw}" height="${ih}" fill="none" stroke="#888" stroke-width="0.5"/>`);
      const sb = barsBelow ? drawScaleBarBelow(parts, p, ix, imgTop + rowBox[ri]!, iw, t) : drawScaleBar(parts, p, ix, iy, iw, ih, t);
      const note = clipNote(col.below, col.above, p.belowLabel);
      const shown = [note, col.faded > 0 ? FADE_NOTE : ''].filter(Boolean).join('; ');
      if (shown && clipNotes) {
        // centred under the image, but kept inside the figure: a note wider than its column (large text, the first or
        // last column) was cut at the figure's edge
        const half = headingWidth(shown, 10 * t, false) / 2;
        const cx = Math.max(PAD + half - shift, Math.min(x0 + box / 2, W - PAD - half - shift));
        parts.push(`<text class="clip" x="${cx}" y="${imgTop + rowBox[ri]! + rowBar[ri]! + NOTE_H - 2 * t}" text-anchor="middle" font-family="${FONT}" font-size="${10 * t}" fill="#8a4b00">${escapeXml(shown)}</text>`);
      }
      parts.push('</g>');
      const label = p.label ?? QUANTITIES[p.quantity].unit;
      if (mode === 'panel') {
        drawColourBar(parts, { quantity: p.quantity, vmin: res.vmin, vmax: res.vmax, log: res.log, label, clipLow: col.below > 0, clipHigh: col.above > 0, x: x0 + box + PAD + BAR_GAP, y: iy, h: ih }, t);
      }
      rowClip.low ||= col.below > 0; rowClip.high ||= col.above > 0;
      records.push({ title: p.title ?? '', quantity: p.quantity, colormap: cmap, vmin: res.vmin, vmax: res.vmax, scale: res.log ? 'log' : 'linear', clippedBelow: col.below, clippedAbove: col.above, clipNote: note, faded: col.faded, scaleBar: sb, unit: label });
    });
    sharedClip.low ||= rowClip.low; sharedClip.high ||= rowClip.high;
    const first = resolved[ri]!.find((c) => c !== null);
    if (mode === 'row' && first) {
      drawColourBar(parts, { quantity: first.p.quantity, vmin: first.vmin, vmax: first.vmax, log: first.log, label: first.p.label ?? QUANTITIES[first.p.quantity].unit,
        clipLow: rowClip.low, clipHigh: rowClip.high, x: rowLabelW + columns * cellW + BAR_GAP, y: imgTop, h: rowBox[ri]! }, t);
    }
  });
  if (mode === 'figure' && figureRange) {
    const f = figureRange as Resolved;
    const y0 = rowTop[0]! + PAD + rowTitle[0]!;
    const last = rows.length - 1;
    const y1 = rowTop[last]! + PAD + rowTitle[last]! + rowBox[last]!;
    drawColourBar(parts, { quantity: f.p.quantity, vmin: f.vmin, vmax: f.vmax, log: f.log, label: f.p.label ?? QUANTITIES[f.p.quantity].unit,
      clipLow: sharedClip.low, clipHigh: sharedClip.high, x: rowLabelW + columns * cellW + BAR_GAP, y: y0, h: y1 - y0 }, t);
  }
  if (shift > 0) parts.push('</g>');
  parts.push('</svg>');
  const svg = parts.join('\n');
  return { svg, width: W, height: H, smallestText: smallestSvgText(svg), panels: records };
}

const DEJAVU = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

function resvgOptions(scale: number): ResvgRenderOptions {
  return {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: {
      fontFiles: DEJAVU.filter((f) => existsSync(f)),
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  };
}

/**
 * The smallest text size an SVG draws, in its own pixels: the least `font-size` (attribute or style, in px) of its
 * text; Infinity when it sets none. A PNG drawn from it at zoom z holds that text z times as large.
 */
export function smallestSvgText(svg: string): number {
  let least = Infinity;
  for (const m of svg.matchAll(/font-size(?:="|:\s*)([\d.]+)(?:px)?/g)) least = Math.min(least, Number(m[1]));
  return least;
}

/** The width an SVG states (`<svg … width="W">`), in its own pixels; null when it states none. */
export function svgWidth(svg: string): number | null {
  const m = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg);
  return m ? Number(m[1]) : null;
}

/** The width of a PNG image in pixels (its IHDR chunk, right after the signature); null when the bytes are no PNG. */
export function pngWidth(png: Uint8Array): number | null {
  if (png.length < 24 || png[0] !== 0x89 || png[1] !== 0x50 || png[2] !== 0x4e || png[3] !== 0x47) return null;
  if (String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!) !== 'IHDR') return null;
  return ((png[16]! << 24) >>> 0) + (png[17]! << 16) + (png[18]! << 8) + png[19]!;
}

/** The smallest a figure's text may show on a screen, in CSS px (docs/metrics.md, "Report"). */
export const MIN_SCREEN_TEXT_PX = 8;

/**
 * The narrowest width, in CSS px, at which a figure `width` wide whose smallest text is `smallestText` (both in its
 * own pixels: the PNG's, or the SVG's it was drawn from) shows that text at MIN_SCREEN_TEXT_PX, rounded up; null
 * when either is unknown.
 */
export function readableWidth(width: number | null | undefined, smallestText: number | null | undefined): number | null {
  if (!(typeof width === 'number' && width > 0 && Number.isFinite(width)) || !(typeof smallestText === 'number' && smallestText > 0 && Number.isFinite(smallestText))) return null;
  return Math.ceil(width * MIN_SCREEN_TEXT_PX / smallestText);
}

/** Renders an SVG string to PNG with resvg (system fonts; DejaVu Sans preferred). */
export function svgToPng(svg: string, scale = 1): Buffer {
  return new Resvg(svg, resvgOptions(scale)).render().asPng();
}

/**
 * `svgToPng` with the SVG parsed and drawn on libuv's thread pool (resvg's `renderAsync`), so this thread can
 * compute meanwhile; the PNG is encoded here. The same bytes as `svgToPng`.
 */
export async function svgToPngAsync(svg: string, scale = 1): Promise<Buffer> {
  return (await renderAsync(svg, resvgOptions(scale))).asPng();
}

/** The zoom that makes an SVG `width` wide at least `minWidth` pixels (and at least `scale`). */
export function zoomFor(width: number, scale = 1, minWidth = MIN_FIGURE_WIDTH): number {
  return Math.max(scale, minWidth / Math.max(1, width));
}

/** A grid figure as PNG (and what it drew, and the zoom from its SVG to the PNG). */
export function renderFigure(rows: readonly FigureRow[], opts: GridOptions = {}): { png: Buffer; figure: RenderedFigure; zoom: number } {
  const figure = layoutFigure(rows, opts);
  const zoom = zoomFor(figure.width, opts.scale ?? 1, opts.minWidth);
  return { png: svgToPng(figure.svg, zoom), figure, zoom };
}

function panelRows(panels: readonly Panel[], columns?: number): FigureRow[] {
  if (panels.length === 0) throw new Error('renderPanelsSvg: no panels');
  const cols = Math.max(1, Math.min(panels.length, Math.floor(columns ?? Math.min(panels.length, 4))));
  const rows: FigureRow[] = [];
  for (let i = 0; i < panels.length; i += cols) rows.push({ cells: panels.slice(i, i + cols) });
  return rows;
}

/** Panels in rows of `columns`, each with its own colour bar, laid out (the SVG and what it holds; not drawn). */
export function layoutPanels(panels: readonly Panel[], opts: FigureOptions = {}): RenderedFigure {
  return layoutFigure(panelRows(panels, opts.columns), { ...opts, colourBars: 'panel' });
}

/** The SVG of panels in rows of `columns`, each with its own colour bar. */
export function renderPanelsSvg(panels: readonly Panel[], opts: FigureOptions = {}): string {
  return layoutPanels(panels, opts).svg;
}

/** PNG of panels in rows of `columns`, each with its own colour bar (at least `minWidth` wide). */
export function renderPanelsPng(panels: readonly Panel[], opts: FigureOptions = {}): Buffer {
  return drawPanels(panels, opts).png;
}

/** `renderPanelsPng` with the figure it drew (`layoutPanels`: its width and smallest text, in SVG pixels). */
export function drawPanels(panels: readonly Panel[], opts: FigureOptions = {}): { figure: RenderedFigure; png: Buffer } {
  const { figure, png } = renderFigure(panelRows(panels, opts.columns), { ...opts, colourBars: 'panel' });
  return { figure, png };
}

/**
 * `renderPanelsPng` drawn off this thread (`svgToPngAsync`): the figure is laid out now (a bad panel throws here) and
 * returned with the PNG to come, the same bytes.
 */
export function drawPanelsAsync(panels: readonly Panel[], opts: FigureOptions = {}): { figure: RenderedFigure; png: Promise<Buffer> } {
  const figure = layoutPanels(panels, opts);
  return { figure, png: svgToPngAsync(figure.svg, zoomFor(figure.width, opts.scale ?? 1, opts.minWidth)) };
}
