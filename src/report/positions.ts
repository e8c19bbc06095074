/** Scan-position maps: one panel per (view, split), dots at the scan centres over the object frame. */
import { escapeXml, svgToPng } from './figure.js';

export interface PositionPanel {
  title: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Object frame (pixels). */
  width: number;
  height: number;
}

const FONT = 'DejaVu Sans, sans-serif';

/** PNG of position maps side by side (each panel `size` px on its longer side). */
export function renderPositionMapsPng(panels: readonly PositionPanel[], opts: { title?: string; size?: number; scale?: number } = {}): Buffer {
  const size = opts.size ?? 200;
  const pad = 14, titleH = 22, top = opts.title ? 26 : 0;
  const cellW = size + 2 * pad;
  const cellH = size + titleH + 2 * pad;
  const W = Math.max(1, panels.length) * cellW;
  const H = top + cellH;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  if (opts.title) parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-family="${FONT}" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`);
  panels.forEach((p, k) => {
    const s = size / Math.max(p.width, p.height, 1);
    const fw = p.width * s, fh = p.height * s;
    const x0 = k * cellW + pad + (size - fw) / 2;
    const y0 = top + pad + titleH + (size - fh) / 2;
    parts.push(`<text x="${k * cellW + cellW / 2}" y="${top + pad + titleH - 7}" text-anchor="middle" font-family="${FONT}" font-size="12">${escapeXml(p.title)}</text>`);
    parts.push(`<rect x="${x0}" y="${y0}" width="${fw}" height="${fh}" fill="#f4f6f8" stroke="#666" stroke-width="0.8"/>`);
    const r = Math.max(0.8, Math.min(2.5, 60 / Math.sqrt(Math.max(1, p.xs.length))));
    for (let i = 0; i < p.xs.length; i++) {
      parts.push(`<circle cx="${(x0 + p.xs[i]! * s).toFixed(2)}" cy="${(y0 + p.ys[i]! * s).toFixed(2)}" r="${r.toFixed(2)}" fill="#1f5fa8" fill-opacity="0.75"/>`);
    }
  });
  parts.push('</svg>');
  return svgToPng(parts.join('\n'), opts.scale ?? 1.5);
}
