/**
 * Scan-position maps: a grid of panels (e.g. rows = splits, columns = views), each the object frame with
 * a dot at every scan centre and, faintly, the disc of the probe's diameter around it — where discs pile
 * up, the views overlap. A scale bar (pixels, or metres when the pixel size is known) in each panel; the
 * PNG is at least 1600 px wide.
 */
import { escapeXml, smallestSvgText, svgToPng, zoomFor } from './figure.js';
import { scaleBarFor } from './scalebar.js';

export interface PositionPanel {
  title: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Object frame (pixels). */
  width: number;
  height: number;
}

export interface PositionMapOptions {
  title?: string;
  subtitle?: string;
  colLabels?: readonly string[];
  rowLabels?: readonly string[];
  /** Side of each panel in SVG pixels (default 220). */
  size?: number;
  /** Diameter of the disc drawn around each position, object pixels (none when absent). */
  discDiameterPx?: number;
  /** Object pixel size along x in metres (scale bar in metres). */
  pixelSizeM?: number | null;
  minWidth?: number;
  /** Text of an empty (null) cell (default "not available"). */
  emptyText?: string;
  /** Text of each empty cell, by row and column, where it is not `emptyText` (e.g. "broken": the file is there but unreadable). */
  emptyTexts?: (string | undefined)[][];
}

const FONT = 'DejaVu Sans, sans-serif';

/** SVG and size of position maps laid out in rows (a null cell is a grey box saying "not available", or `emptyText`). */
export function positionMapsSvg(rows: readonly (PositionPanel | null)[][], opts: PositionMapOptions = {}): { svg: string; width: number } {
  const size = opts.size ?? 220;
  const pad = 12, titleH = 20;
  const top = (opts.title ? 28 : 0) + (opts.subtitle ? 18 : 0) + (opts.colLabels ? 22 : 0);
  const labelW = opts.rowLabels ? Math.max(...opts.rowLabels.map((l) => l.length * 8)) + 2 * pad : 0;
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const cellW = size + 2 * pad;
  const cellH = size + titleH + 2 * pad;
  const W = Math.ceil(labelW + cols * cellW);
  const H = Math.ceil(top + rows.length * cellH);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  let y = 0;
  if (opts.title) { parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-family="${FONT}" font-size="16" font-weight="bold">${escapeXml(opts.title)}</text>`); y = 28; }
  if (opts.subtitle) { parts.push(`<text x="${W / 2}" y="${y + 13}" text-anchor="middle" font-family="${FONT}" font-size="11" fill="#444">${escapeXml(opts.subtitle)}</text>`); y += 18; }
  opts.colLabels?.forEach((l, c) => {
    parts.push(`<text x="${labelW + c * cellW + cellW / 2}" y="${top - 6}" text-anchor="middle" font-family="${FONT}" font-size="13" font-weight="bold">${escapeXml(l)}</text>`);
  });
  rows.forEach((row, r) => {
    const y0 = top + r * cellH;
    const label = opts.rowLabels?.[r];
    if (label) parts.push(`<text x="${pad}" y="${y0 + titleH + pad + size / 2}" font-family="${FONT}" font-size="13" font-weight="bold">${escapeXml(label)}</text>`);
    row.forEach((p, c) => {
      if (!p) {
        // a view or split without positions (its dataset not found): said so, not a blank that reads as zero positions
        const ex = labelW + c * cellW + pad, ey = y0 + pad + titleH;
        parts.push(`<rect class="empty" x="${ex}" y="${ey}" width="${size}" height="${size}" fill="#f2f2f2" stroke="#bbb" stroke-width="0.6"/>`);
        parts.push(`<text x="${ex + size / 2}" y="${ey + size / 2 + 4}" text-anchor="middle" font-family="${FONT}" font-size="11" fill="#777">${escapeXml(opts.emptyTexts?.[r]?.[c] ?? opts.emptyText ?? 'not available')}</text>`);
        return;
      }
      const s = size / Math.max(p.width, p.height, 1);
      const fw = p.width * s, fh = p.height * s;
      const x0 = labelW + c * cellW + pad + (size - fw) / 2;
      const fy = y0 + pad + titleH + (size - fh) / 2;
      parts.push(`<g class="positions" data-count="${p.xs.length}">`);
      parts.push(`<text x="${labelW + c * cellW + cellW / 2}" y="${y0 + pad + titleH - 7}" text-anchor="middle" font-family="${FONT}" font-size="12">${escapeXml(p.title)}</text>`);
      parts.push(`<rect x="${x0}" y="${fy}" width="${fw}" height="${fh}" fill="#f4f6f8" stroke="#666" stroke-width="0.8"/>`);
      if (opts.discDiameterPx && opts.discDiameterPx > 0) {
        const rd = (opts.discDiameterPx / 2) * s;
        parts.push(`<g fill="#1f5fa8" fill-opacity="0.07">`);
        for (let i = 0; i < p.xs.length; i++) parts.push(`<circle cx="${(x0 + p.xs[i]! * s).toFixed(2)}" cy="${(fy + p.ys[i]! * s).toFixed(2)}" r="${rd.toFixed(2)}"/>`);
        parts.push('</g>');
      }
      const rdot = Math.max(0.8, Math.min(2.5, 60 / Math.sqrt(Math.max(1, p.xs.length))));
      parts.push(`<g fill="#1f5fa8" fill-opacity="0.85">`);
      for (let i = 0; i < p.xs.length; i++) parts.push(`<circle cx="${(x0 + p.xs[i]! * s).toFixed(2)}" cy="${(fy + p.ys[i]! * s).toFixed(2)}" r="${rdot.toFixed(2)}"/>`);
      parts.push('</g>');
      const sb = scaleBarFor(p.width, opts.pixelSizeM, 0.2);
      const len = sb.lengthPx * s;
      parts.push(`<g class="scalebar" data-length-px="${sb.lengthPx}" data-label="${escapeXml(sb.label)}">`);
      parts.push(`<rect x="${x0 + 4}" y="${fy + fh - 8}" width="${len}" height="3" fill="#000"/>`);
      parts.push(`<text x="${x0 + 4 + len / 2}" y="${fy + fh - 11}" text-anchor="middle" font-family="${FONT}" font-size="9">${escapeXml(sb.label)}</text>`);
      parts.push('</g></g>');
    });
  });
  parts.push('</svg>');
  return { svg: parts.join('\n'), width: W };
}

/** PNG of position maps (see `positionMapsSvg`), at least `minWidth` (1600) px wide. */
export function renderPositionMapsPng(rows: readonly (PositionPanel | null)[][], opts: PositionMapOptions = {}): Buffer {
  return renderPositionMaps(rows, opts).png;
}

/** `renderPositionMapsPng`, with the smallest text size the PNG holds (its pixels). */
export function renderPositionMaps(rows: readonly (PositionPanel | null)[][], opts: PositionMapOptions = {}): { png: Buffer; smallestTextPx: number } {
  const { svg, width } = positionMapsSvg(rows, opts);
  const zoom = zoomFor(width, 1, opts.minWidth);
  return { png: svgToPng(svg, zoom), smallestTextPx: smallestSvgText(svg) * zoom };
}
