/**
 * Line charts, rendered headless: vega-lite spec → vega → SVG (renderer 'none', no canvas needed) → PNG
 * through resvg (the same renderer as the image figures), at least 1600 px wide. Metrics against dose,
 * loss against epoch, FRC against spatial frequency. Every chart colours the views alike (baseline,
 * dense, sparse in that order, fixed colours) and draws splits or models with dashes.
 */
import type { TopLevelSpec } from 'vega-lite';
import { MIN_FIGURE_WIDTH, smallestSvgText, svgToPng, svgToPngAsync, svgWidth, zoomFor } from './figure.js';
import { doseLabel } from './ticks.js';

const VIEW_ORDER = ['baseline', 'dense', 'sparse'];
/** Tableau 10's first three: the same colour for a view in every chart. */
const VIEW_COLOURS = ['#4c78a8', '#f58518', '#e45756'];
const viewColour = { field: 'view', type: 'nominal', title: 'view', sort: VIEW_ORDER, scale: { domain: VIEW_ORDER, range: VIEW_COLOURS } } as const;
const splitDash = { field: 'split', type: 'nominal', title: 'split', sort: ['train', 'test'], scale: { domain: ['train', 'test'], range: [[1, 0], [6, 3]] } } as const;
/**
 * Axis, legend and facet-header labels at 11 px (vega's 10): a metric chart, 851 px wide, shows two to a row of the report on a
 * 1400-px screen at about 660 CSS px, where 10-px labels showed at 7.8 CSS px (8.5 at 11).
 */
const CONFIG = { font: 'DejaVu Sans', background: 'white', view: { stroke: '#ccc' }, axis: { labelFontSize: 11 }, legend: { labelFontSize: 11 }, header: { labelFontSize: 11 } };

/** A dose as the report writes it (`doseLabel`: 300, 1e3, 2.5e4), as a vega expression of an axis label. */
const DOSE_LABEL = "datum.value < 1000 ? format(datum.value, '~g') : replace(format(datum.value, '~e'), 'e+', 'e')";

/**
 * A loss axis's label (log scale) as a reader writes numbers: plain from 0.001 to below 10 000 (0.05, 2, 10), a power
 * of ten beyond (5e-4, 2e5). '~e' wrote every label so (5e-2, 1e+0, 2e+0, 1e+1), unlike the page's own numbers. Over
 * more than a decade (`decades`) only 1, 2 and 5 times a power of ten are labelled: with every tick of a decade labelled,
 * vega hid the overlapping ones, and with them the decades' own labels (1, 10) while 3, 4, 7, 9 stayed.
 */
function logLabel(decades: boolean): string {
  const text = "abs(datum.value) >= 0.001 && abs(datum.value) < 10000 ? format(datum.value, '~g') : replace(format(datum.value, '~e'), 'e+', 'e')";
  return decades ? `test(regexp('^[125]e'), format(datum.value, '.1~e')) ? (${text}) : ''` : text;
}

/** Whether positive `values` span more than a decade (max > 10 × min). */
function spansDecades(values: readonly number[]): boolean {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return values.length > 0 && hi > 10 * lo;
}

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
  /** The phase values' unit, in the phase column's header ("phase (rad)"); amplitude values have none. */
  phaseUnit?: string;
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
      column: {
        field: 'component', type: 'nominal', title: null, sort: ['amplitude', 'phase'],
        ...(opts.phaseUnit ? { header: { labelExpr: `datum.value === 'phase' ? ${JSON.stringify(`phase (${opts.phaseUnit})`)} : datum.label` } } : {}),
      },
      row: { field: 'split', type: 'nominal', title: 'split', sort: ['train', 'test'] },
    },
    spec: {
      width: 260,
      height: 170,
      mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2 },
      encoding: {
        // a tick at each dose, labelled as the page writes doses (300, 2.5e4, 1e5): '.0e' rounded 2.5e4 to "3e+4",
        // and its longer labels made vega hide the last one of six doses as overlapping (its width is estimated)
        x: { field: 'dose', type: 'quantitative', scale: { type: 'log' }, title: 'dose (photons per pattern)', axis: { labelExpr: DOSE_LABEL, values: [...new Set(values.map((p) => p.dose))].sort((a, b) => a - b) } },
        // a log axis over the values' own range: rounded out to whole decades, MSEs of 0.005–0.008 took a tenth of it
        y: { field: 'value', type: 'quantitative', title: opts.yTitle, scale: opts.logY ? { type: 'log', nice: false, padding: 8 } : { zero: false } },
        color: viewColour,
        strokeDash: { field: 'model', type: 'nominal', title: 'model' },
        shape: { field: 'model', type: 'nominal', title: 'model' },
        tooltip: [{ field: 'dose' }, { field: 'view' }, { field: 'model' }, { field: 'split' }, { field: 'component' }, { field: 'value', format: '.4g' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * SVG text of a vega-lite spec, rendered without a browser or canvas. vega and vega-lite are loaded here, when a
 * chart is drawn, not with the package: vega's canvas module awaits at its top level, which would make
 * `require('ptychostudy')` (a CommonJS script, Node.js ≥ 20.19) fail with ERR_REQUIRE_ASYNC_MODULE.
 */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * What a chart's PNG is drawn for: its name (the chart's title) and the file it is to be written to, so that a chart
 * resvg cannot draw is named in one line (`…/report/img/loss.png: the chart "Loss per epoch" could not be drawn: …`)
 * rather than by resvg's own words alone ("SVG data parsing failed cause …"), which name neither.
 */
export interface ChartTarget { chart: string; file: string }

/** resvg's error, named by the chart and its file (one line; the original error is its `cause`). */
export function chartFailed(target: ChartTarget, err: unknown): Error {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').trim();
  return new Error(`${target.file}: the chart "${target.chart}" could not be drawn as PNG (resvg: ${reason})`, { cause: err });
}

/** The zoom a chart's SVG is drawn at: at least 2× (sharp text) and at least 1600 px wide. */
export function chartZoom(svg: string): number {
  return zoomFor(svgWidth(svg) ?? MIN_FIGURE_WIDTH / 2, 2);
}

/** The PNG of a chart's SVG: at least 2× (sharp text) and at least 1600 px wide. */
export function chartPng(svg: string, target?: ChartTarget): Buffer {
  try {
    return svgToPng(svg, chartZoom(svg));
  } catch (err) {
    throw target ? chartFailed(target, err) : err;
  }
}

/** `chartPng` drawn on libuv's thread pool (`svgToPngAsync`): the same bytes. */
export async function chartPngAsync(svg: string, target?: ChartTarget): Promise<Buffer> {
  try {
    return await svgToPngAsync(svg, chartZoom(svg));
  } catch (err) {
    throw target ? chartFailed(target, err) : err;
  }
}

/** The text of a spec's title ("Loss per epoch"), or 'chart' when it has none. */
export function chartTitle(spec: TopLevelSpec): string {
  const t = (spec as { title?: unknown }).title;
  const text = typeof t === 'string' ? t : t !== null && typeof t === 'object' ? (t as { text?: unknown }).text : undefined;
  return typeof text === 'string' && text !== '' ? text : Array.isArray(text) ? text.join(' ') : 'chart';
}

/** Any vega-lite chart as SVG and PNG; `file`: where its PNG is to be written, named with the chart if resvg fails. */
export async function renderChart(spec: TopLevelSpec, file?: string): Promise<{ svg: string; png: Buffer; smallestTextPx: number }> {
  const svg = await vegaLiteToSvg(spec);
  return { svg, png: chartPng(svg, file !== undefined ? { chart: chartTitle(spec), file } : undefined), smallestTextPx: smallestSvgText(svg) * chartZoom(svg) };
}

/** A metric chart as SVG and PNG. */
export async function renderMetricChart(points: readonly MetricPoint[], opts: MetricChartOptions, file?: string): Promise<{ svg: string; png: Buffer; smallestTextPx: number }> {
  return renderChart(metricChartSpec(points, opts), file);
}

/** One epoch of one reconstruction's loss. */
export interface LossPoint {
  dose: number;
  view: string;
  split: string;
  /** As the engine counts them (lsqml.log): 0 is the first epoch. */
  epoch: number;
  loss: number;
}

/** "dose 1e3": a facet title. */
function doseTitle(dose: number): string {
  return `dose ${doseLabel(dose)}`;
}

/**
 * Loss against epoch of every reconstruction: one panel per dose (own log y scale, wrapped three to a
 * row), colour = view, dash = split.
 */
export function lossChartSpec(points: readonly LossPoint[], opts: { title?: string; subtitle?: string } = {}): TopLevelSpec {
  const values = points.filter((p) => Number.isFinite(p.loss) && p.loss > 0).map((p) => ({ ...p, panel: doseTitle(p.dose) }));
  const order = [...new Set([...values].sort((a, b) => a.dose - b.dose).map((p) => p.panel))];
  // each panel has its own y scale: labels thinned to 1, 2, 5 × 10^k only where every panel spans decades
  const everyPanelSpansDecades = order.every((panel) => spansDecades(values.filter((p) => p.panel === panel).map((p) => p.loss)));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title ?? 'Loss per epoch', ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    data: { values },
    facet: { field: 'panel', type: 'ordinal', sort: order, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    columns: 3,
    spec: {
      width: 250,
      height: 170,
      mark: { type: 'line', strokeWidth: 1.8 },
      encoding: {
        // epochs are whole numbers: no tick between two (a short run showed 1.2, 1.4, …)
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: 'd' } },
        // over the losses' own range (rounded out to decades, the curves of a short run lay flat in a corner); labels as
        // logLabel writes them: ticks inside one decade are 0.012, 0.014, … ('.0e' rounded them to one digit)
        y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log', nice: false, padding: 6 }, axis: { labelExpr: logLabel(everyPanelSpansDecades) } },
        color: viewColour,
        strokeDash: splitDash,
        detail: [{ field: 'split' }, { field: 'view' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * Loss against epoch of one reconstruction: one line on a log y scale (losses that are not positive and
 * finite are left out; a log scale has no place for them).
 */
export function singleLossChartSpec(losses: readonly number[], opts: { title?: string; subtitle?: string; firstEpoch?: number; yTitle?: string } = {}): TopLevelSpec {
  const first = opts.firstEpoch ?? 0;
  const values = losses.map((loss, epoch) => ({ epoch, loss })).filter((p) => p.epoch >= first && Number.isFinite(p.loss) && p.loss > 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title ?? 'Loss per epoch', ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    data: { values },
    width: 480,
    height: 240,
    mark: { type: 'line', strokeWidth: 1.8, point: values.length <= 40 },
    encoding: {
      // epochs are whole numbers: no tick between two (a short run would show 1.4, 1.8, …)
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: 'd' } },
      // over the losses' own range, as the study's loss chart (lossChartSpec)
      y: { field: 'loss', type: 'quantitative', title: opts.yTitle ?? 'loss', scale: { type: 'log', nice: false, padding: 6 }, axis: { labelExpr: logLabel(spansDecades(values.map((p) => p.loss))) } },
      color: { value: VIEW_COLOURS[0] },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** One ring of one FRC curve. */
export interface FrcPoint {
  dose: number;
  view: string;
  split: string;
  model: string;
  /** 'amplitude' or 'phase'. */
  component: string;
  /** Cycles per pixel (ring / n). */
  frequency: number;
  frc: number;
}

/**
 * FRC against spatial frequency up to Nyquist (0.5 cycles per pixel; the corner rings beyond are left
 * out): columns = doses, rows amplitude then phase, colour = view, dash = split; grey rules at the 0.5 and
 * 1/7 thresholds.
 */
export function frcChartSpec(points: readonly FrcPoint[], opts: { title?: string; subtitle?: string } = {}): TopLevelSpec {
  const values = points.filter((p) => Number.isFinite(p.frc) && p.frequency >= 0 && p.frequency <= 0.5 + 1e-12)
    .map((p) => ({ ...p, panel: doseTitle(p.dose) }));
  const order = [...new Set([...values].sort((a, b) => a.dose - b.dose).map((p) => p.panel))];
  const rule = (y: number, dash: number[]): Record<string, unknown> => ({
    transform: [{ filter: 'datum.first' }],
    mark: { type: 'rule', color: '#888', strokeDash: dash, strokeWidth: 1 },
    encoding: { y: { datum: y } },
  });
  // one row per facet cell carries `first`, so each threshold rule is drawn once per panel
  const seen = new Set<string>();
  for (const v of values) {
    const k = `${v.panel}|${v.component}`;
    (v as Record<string, unknown>).first = !seen.has(k);
    seen.add(k);
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title ?? 'Fourier ring correlation', ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    data: { values },
    facet: {
      column: { field: 'panel', type: 'ordinal', sort: order, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
      row: { field: 'component', type: 'nominal', sort: ['amplitude', 'phase'], title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    },
    spec: {
      width: 250,
      height: 160,
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1.6, clip: true },
          encoding: {
            x: { field: 'frequency', type: 'quantitative', title: 'spatial frequency (cycles per pixel)', scale: { domain: [0, 0.5] } },
            y: { field: 'frc', type: 'quantitative', title: 'FRC', scale: { domain: [0, 1] } },
            color: viewColour,
            strokeDash: splitDash,
            detail: [{ field: 'split' }, { field: 'view' }, { field: 'model' }],
          },
        },
        rule(0.5, [4, 3]),
        rule(1 / 7, [1, 3]),
      ],
    },
    config: CONFIG,
  } as unknown as TopLevelSpec;
}
