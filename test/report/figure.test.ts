import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { applyColormap, colormapHex, colormapLut, colormapPng, COLORMAP_NAMES, encodePngRgba, finiteRange, percentileRange, selectSorted } from '../../src/report/colormap.js';
import { clipNote, colourBarTicks, FADE_NOTE, FADE_RGB, layoutFigure, MIN_FIGURE_WIDTH, renderFigure, drawPanels, drawPanelsAsync, renderPanelsPng, renderPanelsSvg, PROBE_PHASE_FADE, type Panel } from '../../src/report/figure.js';
import { positionMapsSvg } from '../../src/report/positions.js';
import { colormapOf, QUANTITIES, QUANTITY_NAMES } from '../../src/report/quantities.js';
import { formatLength, objectPixelSizeM, scaleBarFor } from '../../src/report/scalebar.js';
import { comparisonFigureOptions } from '../../src/study/hub/comparison-figure.js';
import { doseLabel, formatLogTicks, formatLoss, formatNumber, formatTicks, linearTicks, logTicks, niceLength, tickStep } from '../../src/report/ticks.js';

const COLORMAP_FIXTURE = 'test/fixtures/report/colormaps.json';

test('colormap tables equal matplotlib\'s (values committed by scripts/make-colormap-fixture.py)', () => {
  const ref = JSON.parse(readFileSync(COLORMAP_FIXTURE, 'utf8')) as { colormaps: Record<string, string> };
  for (const name of COLORMAP_NAMES) {
    if (name === 'gray' || name === 'binary') continue;
    assert.ok(ref.colormaps[name], `fixture has ${name}`);
    assert.equal(Buffer.from(colormapLut(name)).toString('hex'), ref.colormaps[name], name);
  }
  assert.equal(colormapHex('viridis', 0), '#440154');
  assert.equal(colormapHex('viridis', 1), '#fde725');
  assert.equal(colormapHex('RdBu', 0), '#67001f');
  assert.equal(colormapHex('magma', 0), '#000004');
  assert.equal(colormapHex('inferno', 1), '#fcffa4');
  assert.equal(colormapHex('gray', 0.5), '#808080');
  assert.deepEqual([0, 0.5, 1].map((t) => colormapHex('binary', t)), ['#ffffff', '#7f7f7f', '#000000'], 'binary: gray reversed, white to black');
});

test('live: the colormap fixture script reproduces the committed tables with matplotlib', (t) => {
  if (spawnSync('/usr/bin/python3', ['-c', 'import matplotlib, numpy'], { encoding: 'utf8' }).status !== 0) {
    t.skip('/usr/bin/python3 with matplotlib is not installed (python3-matplotlib)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-cmaps-'));
  try {
    const out = join(dir, 'c.json');
    const r = spawnSync('/usr/bin/python3', ['scripts/make-colormap-fixture.py', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as { colormaps: Record<string, string> };
    const committed = JSON.parse(readFileSync(COLORMAP_FIXTURE, 'utf8')) as { colormaps: Record<string, string> };
    assert.deepEqual(fresh.colormaps, committed.colormaps);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('applyColormap clamps, and makes non-finite values transparent', () => {
  const rgba = applyColormap([-5, 0, 0.5, 1, 7, NaN], 'gray', 0, 1);
  assert.deepEqual([...rgba.subarray(0, 4)], [0, 0, 0, 255]);
  assert.deepEqual([...rgba.subarray(8, 12)], [128, 128, 128, 255]);
  assert.deepEqual([...rgba.subarray(16, 20)], [255, 255, 255, 255]);
  assert.deepEqual([...rgba.subarray(20, 24)], [0, 0, 0, 0]);
  assert.deepEqual(finiteRange([NaN, 3, -2, Infinity]), [-2, 3]);
  assert.deepEqual(percentileRange(Array.from({ length: 101 }, (_, i) => i), 0.1, 0.9), [10, 90]);
  const png = PNG.sync.read(colormapPng(new Float64Array(12).map((_, i) => i), 4, 3, 'viridis'));
  assert.equal(png.width, 4);
  assert.equal(png.height, 3);
});

test('percentiles by selection are the values a full sort gives, −0 and +0 told apart', () => {
  let seed = 7;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const cases: Float64Array[] = [
    Float64Array.from({ length: 2001 }, () => rand() * 10 - 5),
    Float64Array.from({ length: 1500 }, () => Math.round(rand() * 6 - 3)), // many ties
    Float64Array.from({ length: 999 }, () => (rand() < 0.5 ? -0 : 0) + (rand() < 0.3 ? rand() - 0.5 : 0)), // ±0 mixed in
    Float64Array.from({ length: 4096 }, (_, i) => i), // sorted
    Float64Array.from({ length: 4096 }, (_, i) => -i), // reversed
    new Float64Array(300).fill(2.5),
    Float64Array.of(-0, 0, -0, 0),
    Float64Array.of(1e300, -1e300, 5e-324, -5e-324),
  ];
  for (const c of cases) {
    const sorted = Float64Array.from(c).sort();
    for (const k of [0, 1, sorted.length >> 2, sorted.length >> 1, sorted.length - 2, sorted.length - 1]) {
      assert.ok(Object.is(selectSorted(Float64Array.from(c), k), sorted[k]), `k = ${k} of ${c.length}`);
    }
    for (const [lo, hi] of [[0.005, 0.995], [0, 0.99], [0.01, 0.99]] as const) {
      const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;
      const [a, b] = percentileRange(c, lo, hi);
      assert.ok(Object.is(a, at(lo)) && Object.is(b, at(hi)), `${lo}–${hi} of ${c.length}: ${a}, ${b} vs ${at(lo)}, ${at(hi)}`);
    }
  }
  assert.deepEqual(percentileRange([NaN, Infinity]), [0, 1]);
  assert.deepEqual(percentileRange([NaN, 4, -Infinity, 2, 3], 0, 1), [2, 4]);
});

test('a fast PNG (a figure\'s panel inside its SVG) holds the same pixels as the kept kind', () => {
  const w = 37, h = 23;
  const rgba = new Uint8Array(w * h * 4).map((_, i) => (i * 7919 + (i >> 5) * 31) % 256);
  const kept = PNG.sync.read(encodePngRgba(w, h, rgba));
  const fast = PNG.sync.read(encodePngRgba(w, h, rgba, true));
  assert.deepEqual([fast.width, fast.height], [w, h]);
  assert.ok(Buffer.from(rgba).equals(fast.data));
  assert.ok(kept.data.equals(fast.data));
});

test('ticks are round numbers inside the range, not its min / mid / max', () => {
  assert.deepEqual(linearTicks(-0.803, 0.903), [-0.5, 0, 0.5]);
  assert.deepEqual(linearTicks(0.568, 0.997), [0.6, 0.7, 0.8, 0.9]);
  assert.deepEqual(linearTicks(0, 0.0621), [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06]);
  assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(tickStep(0, 1, 5), 0.2);
  assert.equal(tickStep(0, 7, 5), 1);
  assert.equal(tickStep(0, 8, 5), 2);
  for (const [lo, hi] of [[-0.587, 0.744], [0.00012, 0.00791], [3.2, 17.9], [-1234, 5678], [0.614, 0.958]] as const) {
    const t = linearTicks(lo, hi);
    assert.ok(t.length >= 2 && t.length <= 11, `${lo}..${hi}: ${t.length} ticks`);
    const step = t[1]! - t[0]!;
    const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mant - m) < 1e-6), `${lo}..${hi}: step ${step} is 1, 2 or 5 × 10^k`);
    for (const v of t) {
      assert.ok(v >= lo && v <= hi, `${v} inside ${lo}..${hi}`);
      assert.ok(Math.abs(v / step - Math.round(v / step)) < 1e-6, `${v} is a multiple of ${step}`);
    }
  }
  // labels: one decimal count for all, typographic minus, no binary noise
  assert.deepEqual(formatTicks([-0.4, -0.2, 0, 0.2, 0.4, 0.6000000000000001]), ['−0.4', '−0.2', '0', '0.2', '0.4', '0.6']);
  assert.deepEqual(formatTicks([0, 0.25, 0.5]), ['0', '0.25', '0.50']);
  assert.deepEqual(formatTicks([0, 50000, 100000]), ['0', '5×10⁴', '10⁵']);
  assert.deepEqual(logTicks(1, 27163), [1, 10, 100, 1000, 10000]);
  assert.deepEqual(formatLogTicks(logTicks(1, 27163)), ['1', '10', '100', '1000', '10⁴']);
  assert.deepEqual(logTicks(3, 40), [5, 10, 20]);
  // a full cyclic phase range gets multiples of π/2
  assert.deepEqual(colourBarTicks(-Math.PI, Math.PI, false).labels, ['−π', '−π/2', '0', 'π/2', 'π']);
  assert.deepEqual(colourBarTicks(0.568, 0.997, false).labels, ['0.6', '0.7', '0.8', '0.9']);
});

test('numbers in tables: 19.200000000000003 → 19.2', () => {
  assert.equal(formatNumber(19.200000000000003), '19.2');
  assert.equal(formatNumber(0.11224489795918367), '0.112245');
  assert.equal(formatNumber(100000), '100000');
  assert.equal(formatNumber(1.5e-7), '1.5e-7');
});

test('a loss is written one way in every report: four significant digits, exponent form', () => {
  assert.equal(formatLoss(0.078393), '7.839e-2');
  assert.equal(formatLoss(0.0227), '2.270e-2');
  assert.equal(formatLoss(6.3), '6.300e+0');
  assert.equal(formatLoss(null), '—');
  assert.equal(formatLoss(Infinity), '∞');
});

test('a dose is written one way: 1e3, 2.5e4, 500', () => {
  assert.deepEqual([1000, 10000, 100000, 25000, 500].map(doseLabel), ['1e3', '1e4', '1e5', '2.5e4', '500']);
});

test('scale bars: a round length near a fifth of the width, in pixels or in metres', () => {
  assert.deepEqual(scaleBarFor(320), { lengthPx: 50, label: '50 px' });
  assert.deepEqual(scaleBarFor(64), { lengthPx: 10, label: '10 px' });
  assert.deepEqual(scaleBarFor(3), { lengthPx: 1, label: '1 px' });
  const m = scaleBarFor(320, 10e-9); // 10 nm pixels: 640 nm target → 500 nm
  assert.equal(m.label, '500 nm');
  assert.ok(Math.abs(m.lengthPx - 50) < 1e-9);
  assert.equal(scaleBarFor(256, 25e-9).label, '1 µm');
  assert.equal(formatLength(2e-6), '2 µm');
  assert.equal(formatLength(0.0015), '1.5 mm');
  assert.equal(niceLength(64), 50);
  assert.equal(niceLength(0.00064), 0.0005);
  assert.deepEqual(objectPixelSizeM({ object_pixel_size_m_yx: [1e-8, 2e-8] }), [1e-8, 2e-8]);
  assert.equal(objectPixelSizeM({ object_pixel_size_m_yx: [1e-8, -1] }), null);
  assert.equal(objectPixelSizeM(undefined), null);
});

function ramp(w: number, h: number): Float64Array {
  const a = new Float64Array(w * h);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i / 7);
  return a;
}

test('a probe phase is drawn where the probe has amplitude: a pixel of |P| = 0 in the fade colour, one at full |P| in the phase map\'s colour', () => {
  // 4×1 probe: |P| = 0, half the fade fraction, twice it and 100 % of the maximum; the phases are arbitrary
  const amplitude = new Float64Array([0, 0.5 * PROBE_PHASE_FADE * 2.5, 2 * PROBE_PHASE_FADE * 2.5, 2.5]);
  const phase = new Float64Array([1.0, -2.0, 0.5, Math.PI / 2]);
  const probe: Panel = { width: 4, height: 1, values: phase, quantity: 'probe-phase', vmin: -Math.PI, vmax: Math.PI, amplitude, scaleBar: false };
  const object: Panel = { width: 4, height: 1, values: phase, quantity: 'object-phase', vmin: -Math.PI, vmax: Math.PI, scaleBar: false };
  const f = layoutFigure([{ cells: [probe, object] }]);
  const pixels = [...f.svg.matchAll(/<image [^>]*preserveAspectRatio="none" image-rendering="optimizeSpeed" href="data:image\/png;base64,([^"]+)"/g)]
    .map((m) => PNG.sync.read(Buffer.from(m[1]!, 'base64')).data);
  assert.equal(pixels.length, 2);
  const rgb = (d: Buffer, i: number): number[] => [d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!];
  const lut = colormapLut('twilight');
  const mapped = (v: number): number[] => { const k = Math.min(255, Math.floor(((v + Math.PI) / (2 * Math.PI)) * 256)); return [lut[3 * k]!, lut[3 * k + 1]!, lut[3 * k + 2]!]; };
  assert.deepEqual(rgb(pixels[0]!, 0), [...FADE_RGB], '|P| = 0: the fade colour');
  assert.deepEqual(rgb(pixels[0]!, 1), [...FADE_RGB], `|P| below ${PROBE_PHASE_FADE} of the maximum: the fade colour`);
  assert.deepEqual(rgb(pixels[0]!, 2), mapped(0.5), 'above the fade fraction: the phase\'s colour');
  assert.deepEqual(rgb(pixels[0]!, 3), mapped(Math.PI / 2), 'full |P|: the phase\'s colour');
  assert.notDeepEqual(mapped(1.0), [...FADE_RGB]);
  assert.equal(f.panels[0]!.faded, 0.5);
  assert.match(f.svg, /data-faded="0\.5"/);
  assert.ok(f.svg.includes(FADE_NOTE.replace('<', '&lt;')), 'the note under the panel says what grey means');
  // an object's phase is drawn as it is everywhere
  const vir = colormapLut('viridis');
  const k = Math.floor(((1.0 + Math.PI) / (2 * Math.PI)) * 256);
  assert.deepEqual(rgb(pixels[1]!, 0), [vir[3 * k]!, vir[3 * k + 1]!, vir[3 * k + 2]!]);
  assert.equal(f.panels[1]!.faded, 0);
  assert.throws(() => layoutFigure([{ cells: [{ ...object, amplitude }] }]), /only a probe phase fades/);
  assert.throws(() => layoutFigure([{ cells: [{ ...probe, amplitude: new Float64Array(3) }] }]), /amplitude of 3 values/);
});

test('a figure draws each panel with its quantity\'s colour map, round colour-bar ticks, a scale bar and its clipping', () => {
  const panels: Panel[] = [
    { title: 'amplitude', width: 320, height: 160, values: ramp(320, 160), quantity: 'object-amplitude', vmin: -0.5, vmax: 0.5 },
    { title: 'phase', width: 320, height: 160, values: ramp(320, 160), quantity: 'object-phase', pixelSizeM: 10e-9 },
    { title: 'probe', width: 64, height: 64, values: ramp(64, 64), quantity: 'probe-phase', vmin: -Math.PI, vmax: Math.PI },
  ];
  const f = layoutFigure([{ cells: panels }]);
  const groups = [...f.svg.matchAll(/<g class="panel" data-quantity="([^"]+)" data-colormap="([^"]+)"/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(groups, [['object-amplitude', 'gray'], ['object-phase', 'viridis'], ['probe-phase', 'twilight']]);
  const bars = [...f.svg.matchAll(/<g class="colourbar" data-quantity="[^"]+" data-colormap="[^"]+" data-ticks="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(bars, ['−0.4|−0.2|0|0.2|0.4', '−1.0|−0.5|0|0.5', '−π|−π/2|0|π/2|π'], 'round ticks, not min/mid/max');
  const scale = [...f.svg.matchAll(/<g class="scalebar" data-length-px="([^"]+)" data-label="([^"]+)"/g)].map((m) => [Number(m[1]), m[2]]);
  assert.equal(scale.length, 3);
  assert.deepEqual(scale[0], [50, '50 px']);
  assert.equal(scale[1]![1], '500 nm');
  assert.ok(Math.abs((scale[1]![0] as number) - 50) < 1e-9);
  assert.deepEqual(scale[2], [10, '10 px']);
  // the sine spans −1…1: clipped to ±0.5 on the first panel (a third below, a third above), not on the others
  const below = f.panels[0]!.clippedBelow, above = f.panels[0]!.clippedAbove;
  assert.ok(below > 0.3 && below < 0.37 && above > 0.3 && above < 0.37, `${below} ${above}`);
  assert.equal(f.panels[1]!.clippedBelow + f.panels[1]!.clippedAbove, 0);
  assert.match(f.svg, /clipped: 3\d\.?\d? % below, 3\d\.?\d? % above/);
  assert.equal((f.svg.match(/class="clip"/g) ?? []).length, 1, 'a clip note only where clipping happened');
  assert.equal(clipNote(0.96, 0, 'with 0 photons'), 'clipped: 96 % with 0 photons');
  assert.equal(clipNote(0, 0), '');
  for (const r of f.panels) assert.equal(r.colormap, colormapOf(r.quantity));
});

test('one colour map per quantity, and each map belongs to one quantity', () => {
  const maps = QUANTITY_NAMES.map(colormapOf);
  assert.equal(new Set(maps).size, maps.length);
  assert.deepEqual(Object.fromEntries(QUANTITY_NAMES.map((q) => [q, QUANTITIES[q].colormap])), {
    'object-amplitude': 'gray', 'object-phase': 'viridis', 'probe-amplitude': 'magma', 'probe-phase': 'twilight', diffraction: 'inferno', error: 'RdBu',
    'detector-mask': 'binary',
  });
});

test('a figure drawn off the main thread is the same PNG, byte for byte; a bad panel throws at once', async () => {
  const panels: Panel[] = [
    { title: 'amplitude', width: 40, height: 30, values: ramp(40, 30), quantity: 'object-amplitude', label: 'a.u.' },
    { title: 'error', width: 20, height: 20, values: ramp(20, 20), quantity: 'error', vmin: -1, vmax: 1 },
  ];
  for (const opts of [{ columns: 1, title: 'dose 1e4 <x>', imageSize: 90 }, { columns: 2, imageSize: 100, minWidth: 100, scale: 3 }]) {
    const sync = drawPanels(panels, opts);
    const later = drawPanelsAsync(panels, opts);
    assert.ok(sync.png.equals(await later.png), `options ${JSON.stringify(opts)}`);
    assert.deepEqual([later.figure.width, later.figure.smallestText], [sync.figure.width, sync.figure.smallestText]);
    assert.ok(sync.png.equals(renderPanelsPng(panels, opts)));
  }
  assert.throws(() => drawPanelsAsync([{ ...panels[0]!, width: 41 }]), /has 1200 values for 41×30/);
});

test('figures are at least 1600 px wide, with real text', () => {
  const panels: Panel[] = [
    { title: 'amplitude', width: 40, height: 30, values: ramp(40, 30), quantity: 'object-amplitude', label: 'a.u.' },
    { title: 'phase', width: 40, height: 30, values: Float32Array.from(ramp(40, 30)), quantity: 'object-phase' },
    { title: 'error', width: 20, height: 20, values: ramp(20, 20), quantity: 'error', vmin: -1, vmax: 1 },
  ];
  const svg = renderPanelsSvg(panels, { columns: 2, title: 'A & B <test>' });
  assert.match(svg, /A &amp; B &lt;test&gt;/);
  assert.equal((svg.match(/<image /g) ?? []).length, 6, 'one image and one colour bar per panel');
  const png = PNG.sync.read(renderPanelsPng(panels, { columns: 2, title: 'A & B <test>', imageSize: 100 }));
  assert.ok(png.width >= MIN_FIGURE_WIDTH && png.width <= MIN_FIGURE_WIDTH + 1, `${png.width} px`);
  const big = PNG.sync.read(renderPanelsPng(panels, { columns: 2, imageSize: 100, minWidth: 100, scale: 3 }));
  assert.ok(big.width > 3 * 2 * 100, 'an explicit scale above the minimum is kept');
  // The title row holds dark text pixels; real text, not a blank band.
  let dark = 0;
  const rows = Math.round(png.width / 20);
  for (let y = 0; y < rows; y++) for (let x = 0; x < png.width; x++) if (png.data[4 * (y * png.width + x)]! < 100) dark++;
  assert.ok(dark > 50, `title text rendered (${dark} dark pixels)`);
});

test('grid figures: row labels, column labels, one colour bar per figure with a shared range; empty cells say so', () => {
  const cell = (k: number): Panel => ({ width: 30, height: 20, values: ramp(30, 20).map((v) => v * k), quantity: 'object-phase', vmin: -0.5, vmax: 0.5 });
  const { png, figure } = renderFigure([
    { label: 'ground truth', cells: [cell(1), cell(1)] },
    { label: 'dose 1e3', cells: [cell(0.2), null] },
  ], { colourBars: 'figure', colLabels: ['baseline', 'dense'], title: 'grid' });
  assert.equal((figure.svg.match(/class="colourbar"/g) ?? []).length, 1, 'one colour bar');
  assert.equal(figure.panels.length, 3);
  for (const p of figure.panels) assert.deepEqual([p.vmin, p.vmax], [-0.5, 0.5]);
  assert.match(figure.svg, />not available</);
  assert.match(figure.svg, />dose 1e3</);
  assert.match(figure.svg, />dense</);
  assert.ok(PNG.sync.read(png).width >= MIN_FIGURE_WIDTH);
  assert.throws(() => layoutFigure([{ cells: [cell(1), { ...cell(1), quantity: 'object-amplitude' }] }], { colourBars: 'row' }), /sharing a colour bar/);
});

test('a title wider than its panels (one view of measured data) widens the figure instead of being cut at its edges', () => {
  const probe = (k: number): Panel => ({ width: 32, height: 32, values: ramp(32, 32).map((v) => v * k), quantity: 'probe-amplitude', vmin: 0, vmax: 1, label: '|P| / max' });
  const title = 'Reconstructed probe amplitude, train split';
  const { png, figure } = renderFigure([{ label: 'dose 1e3', cells: [probe(1)] }, { label: 'dose 1e4', cells: [probe(0.5)] }],
    { colourBars: 'figure', colLabels: ['baseline'], imageSize: 160, title, subtitle: 'each probe divided by its own maximum; one scale 0 … 1' });
  const img = PNG.sync.read(png);
  const zoom = img.width / figure.width;
  // the title's band: dark text pixels, none in the outermost columns of the image
  let left = img.width, right = -1;
  for (let y = 0; y < Math.floor(28 * zoom); y++) for (let x = 0; x < img.width; x++) {
    if (img.data[4 * (y * img.width + x)]! < 100) { left = Math.min(left, x); right = Math.max(right, x); }
  }
  assert.ok(right > left, 'title drawn');
  const margin = Math.floor(4 * zoom);
  assert.ok(left >= margin && right < img.width - margin, `title spans columns ${left}…${right} of ${img.width}: cut at an edge`);
  // the panels are centred under it: the figure is wider than the panel, colour bar and row label
  const layoutW = layoutFigure([{ label: 'dose 1e3', cells: [probe(1)] }], { colourBars: 'figure', colLabels: ['baseline'], imageSize: 160 }).width;
  assert.ok(figure.width > layoutW, `${figure.width} > ${layoutW}`);
  assert.match(figure.svg, /<g transform="translate\(\d+ 0\)">/);
});

test('a subtitle wider than its panels (one probe mode of measured data) widens the figure: no letter is cut at either edge', () => {
  const probe: Panel = { width: 32, height: 32, values: ramp(32, 32), quantity: 'probe-amplitude' };
  // the one-reconstruction report's probe figure with one mode, and a line of lower-case letters (wider than most text)
  for (const subtitle of ['amplitude on each mode\'s full range; phase −π … π; column titles give each mode\'s share of the power',
    'abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz']) {
    const { png, figure } = renderFigure([{ label: 'amplitude', cells: [probe] }], { colLabels: ['mode 0 (100.0 %)'], imageSize: 200, title: 'Reconstructed probe', subtitle });
    const img = PNG.sync.read(png);
    const zoom = img.width / figure.width;
    // the subtitle's band (below the 30-px title line, 18 px high): its dark pixels, none in the outermost columns
    let left = img.width, right = -1;
    for (let y = Math.ceil(30 * zoom); y < Math.floor(48 * zoom); y++) for (let x = 0; x < img.width; x++) {
      if (img.data[4 * (y * img.width + x)]! < 160) { left = Math.min(left, x); right = Math.max(right, x); }
    }
    assert.ok(right > left, 'subtitle drawn');
    const margin = Math.floor(4 * zoom);
    assert.ok(left >= margin && right < img.width - margin, `subtitle spans columns ${left}…${right} of ${img.width}: cut at an edge`);
  }
});

test('log-scale panels: decades on the colour bar, zeros take the lowest colour and are counted', () => {
  const v = new Float64Array(100);
  for (let i = 0; i < 100; i++) v[i] = i < 50 ? 0 : 10 ** ((i - 50) / 10);
  const f = layoutFigure([{ cells: [{ width: 10, height: 10, values: v, quantity: 'diffraction', scale: 'log', vmin: 1, vmax: v[99]!, belowLabel: 'with 0 photons' }] }]);
  assert.match(f.svg, /data-ticks="1\|10\|100\|1000\|10⁴"/);
  assert.equal(f.panels[0]!.clippedBelow, 0.5);
  assert.match(f.svg, /clipped: 50 % with 0 photons/);
  assert.equal(f.panels[0]!.colormap, 'inferno');
});

test('renderPanelsSvg rejects a panel whose values do not match its size', () => {
  assert.throws(() => renderPanelsSvg([{ title: 'x', width: 3, height: 3, values: new Float64Array(8), quantity: 'object-amplitude' }]), /8 values for 3×3/);
});

test('position maps: a panel per view and split, probe discs, a scale bar', () => {
  const xs = [10, 20, 30], ys = [10, 10, 20];
  const { svg, width } = positionMapsSvg([[{ title: 'n = 3', xs, ys, width: 100, height: 50 }, null]], { discDiameterPx: 16, colLabels: ['baseline', 'dense'], rowLabels: ['train'] });
  assert.ok(width > 0);
  assert.match(svg, /class="positions" data-count="3"/);
  assert.match(svg, /data-label="20 px"/);
  assert.equal((svg.match(/<circle /g) ?? []).length, 6, 'a disc and a dot per position');
  // the view without positions says so instead of leaving a blank that reads as no positions
  assert.equal((svg.match(/<rect class="empty"/g) ?? []).length, 1);
  assert.match(svg, />not available<\/text>/);
  assert.match(positionMapsSvg([[null, { title: 'n = 3', xs, ys, width: 100, height: 50 }]], { emptyText: 'no dataset found' }).svg, />no dataset found<\/text>/);
});

test('an empty cell says why: "broken" where its row or map names it so, the figure\'s text (default "not available") elsewhere', () => {
  const img: Panel = { width: 2, height: 2, values: Float64Array.of(0, 1, 2, 3), quantity: 'object-phase' };
  const texts = (svg: string): string[] => [...svg.matchAll(/fill="#777">([^<]*)<\/text>/g)].map((m) => m[1]!);
  const grid = layoutFigure([{ cells: [img, null, null], emptyTexts: [undefined, 'broken', undefined] }], { imageSize: 40 });
  assert.deepEqual(texts(grid.svg), ['broken', 'not available']);
  const plain = layoutFigure([{ cells: [img, null] }], { imageSize: 40, emptyText: 'not compared' });
  assert.deepEqual(texts(plain.svg), ['not compared']);
  const map = positionMapsSvg([[null, null]], { emptyTexts: [['broken', undefined]] });
  assert.deepEqual(texts(map.svg), ['broken', 'not available']);
});

test('a figure drawn with textScale: every text size and the room for it scaled, scale bars below the images, clip notes left to the caller', () => {
  const values = Float64Array.from({ length: 60 * 40 }, (_, i) => (i % 60) / 60 - 0.5 + (i % 7 === 0 ? 5 : 0)); // some pixels above the range
  const panel = (): Panel => ({ width: 60, height: 40, values, quantity: 'object-phase', vmin: -0.5, vmax: 0.5 });
  const rows = [{ label: 'ground truth', cells: [panel(), panel()] }, { label: 'dose 1e3', cells: [panel(), null] }];
  const opts = { colourBars: 'figure' as const, colLabels: ['baseline', 'dense'], imageSize: 120, title: 'Object phase', subtitle: 'LSQML by dose', emptyText: 'not compared' };
  const plain = layoutFigure(rows, opts);
  const big = layoutFigure(rows, { ...opts, textScale: 3, scaleBars: 'below', clipNotes: false });
  const sizes = (svg: string): number[] => [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(plain.smallestText, 9, 'a scale bar\'s label');
  assert.equal(big.smallestText, 27);
  const distinct = (v: number[]): number[] => [...new Set(v)].sort((a, b) => a - b);
  assert.deepEqual(distinct(sizes(big.svg)), distinct(sizes(plain.svg).map((s) => 3 * s)), 'every text three times as large');
  assert.ok(big.width > plain.width, 'the labels take more room');
  // the clipped shares are still recorded, but not written under the images
  assert.ok(plain.panels[0]!.clippedAbove > 0 && big.panels[0]!.clippedAbove === plain.panels[0]!.clippedAbove);
  assert.match(plain.svg, /class="clip"/);
  assert.doesNotMatch(big.svg, /class="clip"/);
  // each scale bar below its image: its bar starts under the image's bottom edge
  const images = [...big.svg.matchAll(/<image x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" preserveAspectRatio="none" image-rendering/g)].map((m) => Number(m[1]) + Number(m[2]));
  const bars = [...big.svg.matchAll(/<g class="scalebar"[^>]*>\n<rect x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(bars.length, 3);
  bars.forEach((y, i) => assert.ok(y >= images[i]!, `scale bar ${i} at y ${y}, the image ends at ${images[i]}`));
  // an empty cell's text wraps to the cell
  assert.match(big.svg, />not<\/text>\n<text[^>]*>compared<\/text>/);
});

test('clip notes stay inside the figure: a note wider than its column (the comparison figure\'s text, the first and last columns) is moved in, not cut at the edge', () => {
  // every panel clips pixels below and above: the longest note ("clipped: 10 % below, 12 % above")
  const values = Float64Array.from({ length: 90 * 50 }, (_, i) => (i % 10 === 0 ? -5 : i % 9 === 0 ? 5 : (i % 90) / 90 - 0.5));
  const panel = (quantity: Panel['quantity']): Panel => ({ width: 90, height: 50, values, quantity, vmin: -0.5, vmax: 0.5 });
  const panels = [panel('object-amplitude'), panel('object-amplitude'), panel('error'), panel('object-phase'), panel('object-phase'), panel('error')];
  const opts = comparisonFigureOptions({ dose: 1e4, view: 'dense', split: 'test' }, [{ model: 'LSQML', status: 'ok', error: null }], panels.length);
  const svg = renderPanelsSvg(panels, opts);
  const W = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
  const shift = Number(/<g transform="translate\(([\d.]+) 0\)">/.exec(svg)?.[1] ?? 0);
  const notes = [...svg.matchAll(/<text class="clip" x="([\d.]+)"[^>]* font-size="([\d.]+)"[^>]*>([^<]+)<\/text>/g)];
  assert.equal(notes.length, 6);
  for (const [, x, size, text] of notes) {
    // DejaVu Sans draws such text at 0.50–0.55 em a character (figure.ts, headingWidth)
    const half = (text!.length * Number(size) * 0.55) / 2;
    assert.ok(shift + Number(x) - half >= 0, `"${text}" starts ${(shift + Number(x) - half).toFixed(1)} px left of the figure`);
    assert.ok(shift + Number(x) + half <= W, `"${text}" ends ${(shift + Number(x) + half - W).toFixed(1)} px right of the figure (${W} px wide)`);
  }
});
