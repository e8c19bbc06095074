/** Phase G charts: one metric against dose per file, `charts/<metric>.{svg,png}`, one line per view and model. */
import { join } from 'node:path';
import { writeFileAtomic, type BeforeRename } from '../../files/atomic.js';
import { chartPngAsync, metricChartSpec, vegaLiteToSvg, type MetricPoint } from '../../report/charts.js';
import { CHART_METRICS, metricLabel, PHASE_UNIT, type MetricsSummary } from '../hub/metrics-summary.js';

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
    const points: MetricPoint[] = [];
    for (const r of ok) {
      for (const component of ['amplitude', 'phase'] as const) {
        const v = r.metrics[c.metric]?.[component];
        if (typeof v === 'number' && (!c.logY || v > 0)) points.push({ dose: r.dose, value: v, view: r.view, model: r.model, split: r.split, component });
      }
    }
    if (points.length === 0) continue;
    // units: the phase column's where the phase value has one (MAE rad, MSE rad²); FRC thresholds are ring indices
    const ring = c.metric === 'frc50' || c.metric === 'frc1over7' ? ' (ring index)' : '';
    const phaseUnit = PHASE_UNIT[c.metric];
    const opts = { title: `${metricLabel(c.metric)} vs dose`, yTitle: `${metricLabel(c.metric)}${ring}`, subtitle: `${c.better} is better`, logY: c.logY ?? false,
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

