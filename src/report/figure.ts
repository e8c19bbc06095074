/**
 * Multi-panel image figures: a grid of colour-mapped images, each with a title and a colour bar with
 * tick labels, rendered to PNG with real text.
 *
 * How: each image is colour-mapped and encoded with pngjs, embedded as a data-URI `<image>` in an SVG
 * (nearest-neighbour scaling, so pixels stay pixels) next to its colour bar and text; resvg-js renders the
 * SVG with the system fonts (DejaVu Sans on Debian). `renderPanelsSvg` returns the SVG itself.
 */
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { applyColormap, encodePngRgba, finiteRange, type ColormapName } from './colormap.js';

export interface Panel {
  title: string;
  width: number;
  height: number;
  /** Row-major, `width · height` values; NaN/±Inf are drawn transparent (white background). */
  values: Float32Array | Float64Array;
  colormap: ColormapName;
  /** Colour range; each defaults to the finite min / max of `values`. */
  vmin?: number;
  vmax?: number;
  /** Colour-bar label (e.g. "rad"). */
  label?: string;
}

export interface FigureOptions {
  /** Panels per row (default: min(count, 4)). */
  columns?: number;
  /** Figure title, above the grid. */
  title?: string;
  /** Zoom of the rendered PNG relative to the SVG's own pixel size (default 1). */
  scale?: number;
  /** Side, in SVG pixels, of the box each image is fitted into, keeping its aspect ratio (default 200). */
  imageSize?: number;
}

const FONT = 'DejaVu Sans, sans-serif';
const PAD = 12;
const TITLE_H = 22;
const BAR_GAP = 8;
const BAR_W = 12;
const TICK_W = 58;
const LABEL_W = 16;
const FIG_TITLE_H = 30;

/** XML-escapes text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * Short tick label: 3 significant digits, exponent form for very large or small magnitudes; a value
 * below 1e-4 of `span` (the colour range) is shown as 0.
 */
export function formatTick(v: number, span = 0): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0 || Math.abs(v) < Math.abs(span) * 1e-4) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(3)));
}

function dataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** A vertical colour bar image, 1 × 256, top = high end. */
function colourBarPng(colormap: ColormapName): Buffer {
  const ramp = new Float64Array(256);
  for (let i = 0; i < 256; i++) ramp[i] = (255 - i) / 255;
  return encodePngRgba(1, 256, applyColormap(ramp, colormap, 0, 1));
}

/** The SVG of the figure (self-contained: images are inlined as data URIs). */
export function renderPanelsSvg(panels: Panel[], opts: FigureOptions = {}): string {
  if (panels.length === 0) throw new Error('renderPanelsSvg: no panels');
  const columns = Math.max(1, Math.min(panels.length, Math.floor(opts.columns ?? Math.min(panels.length, 4))));
  const rows = Math.ceil(panels.length / columns);
  const box = opts.imageSize ?? 200;
  const cellW = PAD + box + BAR_GAP + BAR_W + TICK_W + LABEL_W + PAD;
  // Each row is as tall as its tallest image once fitted into the box (wide images make short rows).
  const rowBox = Array.from({ length: rows }, (_, r) => Math.max(...panels.slice(r * columns, (r + 1) * columns)
    .map((p) => (p.height * box) / Math.max(p.width, p.height, 1))));
  const rowTop = rowBox.map((_, r) => rowBox.slice(0, r).reduce((a, b) => a + PAD + TITLE_H + b + PAD, 0));
  const top = opts.title ? FIG_TITLE_H : 0;
  const W = columns * cellW;
  const H = top + rowTop[rows - 1]! + PAD + TITLE_H + rowBox[rows - 1]! + PAD;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  if (opts.title) {
    parts.push(`<text x="${W / 2}" y="${FIG_TITLE_H - 9}" text-anchor="middle" font-family="${FONT}" font-size="16" font-weight="bold" fill="#111">${escapeXml(opts.title)}</text>`);
  }
  const bars = new Map<ColormapName, string>();
  panels.forEach((p, k) => {
    if (!(p.width > 0 && p.height > 0) || p.values.length !== p.width * p.height) {
      throw new Error(`renderPanelsSvg: panel "${p.title}" has ${p.values.length} values for ${p.width}×${p.height}`);
    }
    const [lo, hi] = finiteRange(p.values);
    const vmin = p.vmin ?? lo;
    const vmax = p.vmax ?? hi;
    const x0 = (k % columns) * cellW + PAD;
    const row = Math.floor(k / columns);
    const y0 = top + rowTop[row]! + PAD;
    const s = box / Math.max(p.width, p.height);
    const iw = p.width * s;
    const ih = p.height * s;
    const ix = x0 + (box - iw) / 2;
    const iy = y0 + TITLE_H + (rowBox[row]! - ih) / 2;
    parts.push(`<text x="${x0 + box / 2}" y="${iy - 7}" text-anchor="middle" font-family="${FONT}" font-size="13" fill="#111">${escapeXml(p.title)}</text>`);
    const png = encodePngRgba(p.width, p.height, applyColormap(p.values, p.colormap, vmin, vmax));
    parts.push(`<image x="${ix}" y="${iy}" width="${iw}" height="${ih}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${dataUri(png)}" xlink:href="${dataUri(png)}"/>`);
    parts.push(`<rect x="${ix}" y="${iy}" width="${iw}" height="${ih}" fill="none" stroke="#888" stroke-width="0.5"/>`);
    // colour bar
    let bar = bars.get(p.colormap);
    if (!bar) { bar = dataUri(colourBarPng(p.colormap)); bars.set(p.colormap, bar); }
    const bx = x0 + box + BAR_GAP;
    parts.push(`<image x="${bx}" y="${iy}" width="${BAR_W}" height="${ih}" preserveAspectRatio="none" href="${bar}" xlink:href="${bar}"/>`);
    parts.push(`<rect x="${bx}" y="${iy}" width="${BAR_W}" height="${ih}" fill="none" stroke="#444" stroke-width="0.6"/>`);
    const ticks = [vmax, (vmin + vmax) / 2, vmin];
    ticks.forEach((t, j) => {
      const ty = iy + (ih * j) / 2;
      parts.push(`<line x1="${bx + BAR_W}" y1="${ty}" x2="${bx + BAR_W + 3}" y2="${ty}" stroke="#444" stroke-width="0.8"/>`);
      const baseline = j === 0 ? ty + 9 : j === 2 ? ty - 1 : ty + 4;
      parts.push(`<text x="${bx + BAR_W + 5}" y="${baseline}" font-family="${FONT}" font-size="10" fill="#222">${escapeXml(formatTick(t, vmax - vmin))}</text>`);
    });
    if (p.label) {
      const lx = bx + BAR_W + TICK_W + LABEL_W / 2;
      const ly = iy + ih / 2;
      parts.push(`<text x="${lx}" y="${ly}" transform="rotate(90 ${lx} ${ly})" text-anchor="middle" font-family="${FONT}" font-size="11" fill="#222">${escapeXml(p.label)}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const DEJAVU = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

/** Renders an SVG string to PNG with resvg (system fonts; DejaVu Sans preferred). */
export function svgToPng(svg: string, scale = 1): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: {
      fontFiles: DEJAVU.filter((f) => existsSync(f)),
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return resvg.render().asPng();
}

/** PNG of a grid of image panels with titles and colour bars. */
export function renderPanelsPng(panels: Panel[], opts: FigureOptions = {}): Buffer {
  return svgToPng(renderPanelsSvg(panels, opts), opts.scale ?? 1);
}
