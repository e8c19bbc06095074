/**
 * Phase G charts: one metric against dose per file, `charts/<metric>.{svg,png}`, one line per view and model.
 * FRC50 and FRC1/7 are drawn as spatial frequencies (cycles per pixel): each job's ring index is on its own
 * compared square, whose side differs between views, so rings of different lines are not one axis.
 */
import { join } from 'node:path';
import { writeFileAtomic, type BeforeRename } from '../../files/atomic.js';
import { chartPngAsync, metricChartSpec, vegaLiteToSvg, type MetricPoint } from '../../report/charts.js';
import type { MetricKey } from '../../metrics/index.js';
import { CHART_METRICS, frcCyclesPerPixel, isFrcMetric, metricLabel, PHASE_UNIT, type MetricsSummary } from '../hub/metrics-summary.js';

/** Metric-vs-dose charts (SVG + PNG) of every ok row of a summary; returns the image paths. `beforeRename`: see writeFileAtomic. */
export async function writeCharts(summary: MetricsSummary, dir: string, beforeRename?: BeforeRename): Promise<string[]> {
  const ok = summary.rows.filter((r) => r.status === 'ok');
  if (ok.length === 0) return [];
  const out: string[] = [];
  // A chart's PNG is drawn on libuv's thread pool while the next chart's SVG is laid out here; each chart's two
  // files are written, in order, before the next chart's (what a failure leaves is what it was).
  let pending: { svgPath: string; pngPath: string; svg: string; png: Promise<Buffer> } | null = null;
  const flush = async (): Promise<void> => {
    if (pending === null) return;
    const { svgPath, pngPath, svg, png } = pending;
    pending = null;
    const bytes = await png;
    writeFileAtomic(svgPath, svg, beforeRename);
    writeFileAtomic(pngPath, bytes, beforeRename);
    out.push(svgPath, pngPath);
  };
  for (const c of CHART_METRICS) {
    const points = metricChartPoints(summary, c.metric, c.logY ?? false);
    if (points.length === 0) continue;
    // units: the phase column's where the phase value has one (MAE rad, MSE rad²); FRC thresholds in cycles per pixel
    const phaseUnit = PHASE_UNIT[c.metric];
    const opts = { title: `${metricLabel(c.metric)} vs dose`, yTitle: metricChartYTitle(c.metric), subtitle: `${c.better} is better`, logY: c.logY ?? false,
      ...(phaseUnit ? { phaseUnit } : {}) };
    let svg: string;
    try {
      svg = await vegaLiteToSvg(metricChartSpec(points, opts));
    } catch (err) {
      await flush();
      throw err;
    }
    await flush();
    // a chart resvg cannot draw is named by its title and its file, not by resvg's words alone
    const png = chartPngAsync(svg, { chart: opts.title, file: join(dir, `${c.metric}.png`) });
    png.catch(() => {}); // no unhandled rejection while the next chart is laid out: flush awaits it
    pending = { svgPath: join(dir, `${c.metric}.svg`), pngPath: join(dir, `${c.metric}.png`), svg, png };
  }
  await flush();
  return out;
}


/** The y axis title of a metric's chart: FRC50 and FRC1/7 say their unit, cycles per pixel. */
export function metricChartYTitle(metric: MetricKey): string {
  return `${metricLabel(metric)}${isFrcMetric(metric) ? ' (cycles/px)' : ''}`;
}

/**
 * The points of a metric's chart against dose: one per ok row and component with a value (and, on a log axis, a
 * positive one). FRC50 and FRC1/7 are the row's ring over the side n of its compared square (`frcCyclesPerPixel`:
 * cycles per pixel, at most Nyquist 0.5), the one axis on which views of different extent compare; a row whose
 * square is not recorded has no such point.
 */
export function metricChartPoints(summary: Pick<MetricsSummary, 'rows'>, metric: MetricKey, logY = false): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const r of summary.rows) {
    if (r.status !== 'ok') continue;
    for (const component of ['amplitude', 'phase'] as const) {
      const v = isFrcMetric(metric) ? frcCyclesPerPixel(r, metric, component) : r.metrics[metric]?.[component];
      if (typeof v === 'number' && (!logY || v > 0)) points.push({ dose: r.dose, value: v, view: r.view, model: r.model, split: r.split, component });
    }
  }
  return points;
}
