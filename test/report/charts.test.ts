/**
 * The dose axis of the metric charts (Phase G's charts/, shown in the report): a tick at every dose, each one
 * labelled and visible, written as the page writes doses (300, 1e3, 2.5e4) — not rounded to one digit, and the
 * last of six doses not hidden. A log y axis (MSE, the study's loss) spans the values rather than whole decades. The
 * epoch axis of the study's loss chart: whole epochs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartPng, chartPngAsync, chartTitle, lossChartSpec, metricChartSpec, singleLossChartSpec, vegaLiteToSvg, type LossPoint, type MetricPoint } from '../../src/report/charts.js';
import { doseLabel } from '../../src/study/report/sections.js';

function points(doses: readonly number[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const [i, dose] of doses.entries()) for (const view of ['baseline', 'dense', 'sparse']) for (const split of ['train', 'test']) for (const component of ['amplitude', 'phase']) {
    out.push({ dose, value: 0.1 * i + (view === 'dense' ? 0.05 : 0), view, model: 'LSQML', split, component });
  }
  return out;
}

/** The dose labels of the first panel's x axis: [text, shown]. */
async function doseLabels(doses: readonly number[]): Promise<[string, boolean][]> {
  const svg = await vegaLiteToSvg(metricChartSpec(points(doses), { title: 'MS-SSIM vs dose', yTitle: 'MS-SSIM' }));
  // x-axis labels (11 px) sit 16 px below the axis line; the first panel's come first
  const labels = [...svg.matchAll(/<text [^>]*transform="translate\([\d.-]+,16\)"[^>]*opacity="([\d.]+)"[^>]*>([^<]*)<\/text>/g)];
  return labels.slice(0, doses.length).map((m) => [m[2]!, Number(m[1]) > 0]);
}

test('metric chart: every one of six doses has its label, shown', async () => {
  const doses = [300, 1000, 3000, 10000, 30000, 100000];
  assert.deepEqual(await doseLabels(doses), doses.map((d) => [doseLabel(d), true]));
});

test('metric chart: doses that are not round are labelled as they are (2.5e3, not 3e+3)', async () => {
  const doses = [1000, 2500, 25000, 100000];
  const got = await doseLabels(doses);
  assert.deepEqual(got.map(([t]) => t), ['1e3', '2.5e3', '2.5e4', '1e5']);
  assert.deepEqual(got.map(([t]) => t), doses.map(doseLabel));
});

test('loss chart of the study: whole epochs only on the epoch axis, for a short run too; its log y axis spans the losses', async () => {
  const points: LossPoint[] = [];
  for (const dose of [1000, 10000]) for (const view of ['baseline', 'dense']) for (let epoch = 1; epoch <= 2; epoch++) points.push({ dose, view, split: 'train', epoch, loss: 0.1 / epoch });
  const svg = await vegaLiteToSvg(lossChartSpec(points));
  // the x axis labels (15 px below their axis line) of every panel
  const xs = [...svg.matchAll(/<text [^>]*transform="translate\([\d.-]+,16\)"[^>]*opacity="1"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  assert.ok(xs.length >= 4, xs.join(' '));
  for (const x of xs) assert.match(x, /^\d+$/, `epoch label ${x}`);
  // losses 0.05 … 0.1: the y labels (7 px left of the axis) lie in that range, not down to 1e-2
  const ys = [...svg.matchAll(/<text [^>]*transform="translate\(-7,[\d.-]+\)"[^>]*opacity="1"[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(ys.length >= 4, ys.join(' '));
  for (const y of ys) assert.ok(y >= 0.045 && y <= 0.11, `loss label ${y} outside the losses' range`);
});

test('metric chart on a log axis (MSE): the y axis spans the values, not the whole decades around them', async () => {
  const doses = [1000, 10000, 100000];
  const pts = points(doses).map((p, i) => ({ ...p, value: 0.005 + 0.003 * ((i % 7) / 6) })); // 0.005 … 0.008
  const svg = await vegaLiteToSvg(metricChartSpec(pts, { title: 'MSE vs dose', yTitle: 'MSE', logY: true }));
  // y-axis labels sit 7 px left of their axis line
  const ys = [...svg.matchAll(/<text [^>]*transform="translate\(-7,[\d.-]+\)"[^>]*opacity="1"[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(ys.length >= 4, ys.join(' '));
  for (const y of ys) assert.ok(y > 0.004 && y < 0.009, `y label ${y} outside the values' range: the lines would be squeezed into a corner`);
});

test('loss chart of one reconstruction: its log y axis spans the losses too', async () => {
  const svg = await vegaLiteToSvg(singleLossChartSpec([0.9, 0.16, 0.08, 0.06], { firstEpoch: 1 }));
  const ys = [...svg.matchAll(/<text [^>]*transform="translate\(-7,[\d.-]+\)"[^>]*opacity="1"[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(ys.length >= 3, ys.join(' '));
  for (const y of ys) assert.ok(y >= 0.055 && y <= 0.17, `loss label ${y} outside the losses' range (epoch 0 left out)`);
});

test('a chart\'s PNG drawn off the main thread is the same bytes as drawn on it', async () => {
  const svg = await vegaLiteToSvg(metricChartSpec(points([1e3, 1e4, 1e5]), { title: 'MS-SSIM vs dose', yTitle: 'MS-SSIM', subtitle: 'higher is better', logY: false }));
  const png = chartPng(svg);
  assert.ok((await chartPngAsync(svg)).equals(png));
  assert.ok(png.length > 10_000, `${png.length} bytes`);
});

test('a chart resvg cannot draw is named in one line by its title and the file it was for, with resvg\'s reason', async () => {
  const file = '/hub/report/img/loss.png';
  const broken = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><g><text>Loss per epoch</text>'; // cut: never closed
  for (const draw of [() => chartPng(broken, { chart: 'Loss per epoch', file }), () => chartPngAsync(broken, { chart: 'Loss per epoch', file })]) {
    await assert.rejects(async () => draw(), (err: Error) => {
      assert.match(err.message, /^\/hub\/report\/img\/loss\.png: the chart "Loss per epoch" could not be drawn as PNG \(resvg: SVG data parsing failed[^\n]*\)$/);
      assert.ok(err.cause instanceof Error, 'resvg\'s own error kept as the cause');
      return true;
    });
  }
  // the title a spec gives is the chart's name
  assert.equal(chartTitle(lossChartSpec([])), 'Loss per epoch');
  assert.equal(chartTitle(metricChartSpec([], { title: 'MSE vs dose', yTitle: 'MSE', subtitle: 'lower is better' })), 'MSE vs dose');
});

test('a loss axis is labelled as the page writes numbers: 0.5, 2, 10 — not 5e-1, 2e+0, 1e+1; a power of ten only below 0.001', async () => {
  const labels = async (losses: number[]): Promise<string[]> => {
    const svg = await vegaLiteToSvg(singleLossChartSpec(losses, { firstEpoch: 0 }));
    return [...svg.matchAll(/<text [^>]*transform="translate\(-7,[\d.-]+\)"[^>]*opacity="1"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  };
  const decades = await labels([14, 5, 2, 0.9, 0.4, 0.2]);
  assert.ok(decades.length >= 4, decades.join(' '));
  for (const l of decades) assert.match(l, /^\d+(\.\d+)?$/, `label ${l} of a loss between 0.2 and 14`);
  assert.ok(decades.includes('10') && decades.includes('1'), decades.join(' '));
  const small = await labels([4e-3, 2e-3, 9e-4, 5e-4, 3e-4]);
  for (const l of small) assert.match(l, /^(0\.00\d+|\de-4)$/, `label ${l} of a loss between 3e-4 and 4e-3`);
  assert.ok(small.some((l) => /e-4$/.test(l)) && small.some((l) => l.startsWith('0.00')), small.join(' '));
  // the study's loss chart too
  const svg = await vegaLiteToSvg(lossChartSpec([1, 2, 3, 4].map((epoch) => ({ dose: 1000, view: 'baseline', split: 'train', epoch, loss: 8 / epoch ** 2 }))));
  const ys = [...svg.matchAll(/<text [^>]*transform="translate\(-7,[\d.-]+\)"[^>]*opacity="1"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  assert.ok(ys.length >= 3, ys.join(' '));
  for (const l of ys) assert.doesNotMatch(l, /e/, `label ${l}`);
});
