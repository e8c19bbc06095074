/**
 * Line charts of metrics against dose, rendered headless: vega-lite spec → vega → SVG (renderer 'none',
 * no canvas needed) → PNG through resvg (the same renderer as the image figures).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { svgToPng } from './figure.js';

/** One point of a metric chart. */
export interface MetricPoint {
  dose: number;
  value: number;
  view: string;
  model: string;
  split: string;
  /** 'amplitude' or 'phase'. */
  component: string;
}

export interface MetricChartOptions {
  /** Chart title (e.g. "MS-SSIM vs dose"). */
  title: string;
  /** Y-axis title (e.g. "MS-SSIM"). */
  yTitle: string;
  /** Logarithmic y axis (for MSE-like metrics spanning decades). */
  logY?: boolean;
  /** Subtitle line under the title (e.g. "higher is better"). */
  subtitle?: string;
}

/**
 * The vega-lite spec: x = dose (log scale), y = value; one line per view (colour) and model (dash);
 * columns amplitude | phase, one row per split; each panel has its own y scale.
 */
export function metricChartSpec(points: readonly MetricPoint[], opts: MetricChartOptions): TopLevelSpec {
  const values = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.dose) && p.dose > 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : opts.title,
    data: { values: values.map((p) => ({ ...p })) },
    facet: {
      column: { field: 'component', type: 'nominal', title: null, sort: ['amplitude', 'phase'] },
      row: { field: 'split', type: 'nominal', title: 'split', sort: ['train', 'test'] },
    },
    spec: {
      width: 260,
      height: 170,
      mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2 },
      encoding: {
        x: { field: 'dose', type: 'quantitative', scale: { type: 'log' }, title: 'dose (photons per pattern)', axis: { format: '.0e', values: [...new Set(values.map((p) => p.dose))].sort((a, b) => a - b) } },
        y: { field: 'value', type: 'quantitative', title: opts.yTitle, scale: opts.logY ? { type: 'log' } : { zero: false } },
        color: { field: 'view', type: 'nominal', title: 'view', sort: ['baseline', 'dense', 'sparse'] },
        strokeDash: { field: 'model', type: 'nominal', title: 'model' },
        shape: { field: 'model', type: 'nominal', title: 'model' },
        tooltip: [{ field: 'dose' }, { field: 'view' }, { field: 'model' }, { field: 'split' }, { field: 'component' }, { field: 'value', format: '.4g' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: 'DejaVu Sans', background: 'white', view: { stroke: '#ccc' } },
  } as TopLevelSpec;
}

/** SVG text of a vega-lite spec, rendered without a browser or canvas. */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A metric chart as SVG and PNG (PNG at 2× for sharp text). */
export async function renderMetricChart(points: readonly MetricPoint[], opts: MetricChartOptions): Promise<{ svg: string; png: Buffer }> {
  const svg = await vegaLiteToSvg(metricChartSpec(points, opts));
  return { svg, png: svgToPng(svg, 2) };
}
