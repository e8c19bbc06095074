import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { applyColormap, colormapHex, colormapLut, colormapPng, finiteRange, percentileRange } from '../../src/report/colormap.js';
import { formatTick, renderPanelsPng, renderPanelsSvg, type Panel } from '../../src/report/figure.js';

test('colormap tables have matplotlib end points', () => {
  assert.equal(colormapHex('viridis', 0), '#440154');
  assert.equal(colormapHex('viridis', 1), '#fde725');
  assert.equal(colormapHex('RdBu', 0), '#67001f');
  assert.equal(colormapHex('RdBu', 1), '#053061');
  assert.equal(colormapHex('twilight', 0), '#e2d9e2');
  assert.equal(colormapHex('gray', 0.5), '#808080');
  for (const name of ['gray', 'viridis', 'twilight', 'RdBu'] as const) assert.equal(colormapLut(name).length, 768);
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

test('formatTick is short', () => {
  assert.equal(formatTick(3.14159), '3.14');
  assert.equal(formatTick(1.5e-9, 2), '0');
  assert.equal(formatTick(123456), '1.23e+5');
  assert.equal(formatTick(0.000012), '1.2e-5');
});

function ramp(w: number, h: number): Float64Array {
  const a = new Float64Array(w * h);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i / 7);
  return a;
}

test('renderPanelsPng draws a grid of images with titles, colour bars and text', () => {
  const panels: Panel[] = [
    { title: 'amplitude', width: 40, height: 30, values: ramp(40, 30), colormap: 'gray', label: 'a.u.' },
    { title: 'phase', width: 40, height: 30, values: Float32Array.from(ramp(40, 30)), colormap: 'twilight', vmin: -Math.PI, vmax: Math.PI, label: 'rad' },
    { title: 'error', width: 20, height: 20, values: ramp(20, 20), colormap: 'RdBu', vmin: -1, vmax: 1 },
  ];
  const svg = renderPanelsSvg(panels, { columns: 2, title: 'A & B <test>' });
  assert.match(svg, /A &amp; B &lt;test&gt;/);
  assert.equal((svg.match(/<image /g) ?? []).length, 6, 'one image and one colour bar per panel');
  const png = PNG.sync.read(renderPanelsPng(panels, { columns: 2, title: 'A & B <test>', imageSize: 100 }));
  const png2 = PNG.sync.read(renderPanelsPng(panels, { columns: 2, title: 'A & B <test>', imageSize: 100, scale: 2 }));
  assert.equal(png2.width, 2 * png.width);
  assert.ok(png.height > 2 * 100, 'two rows of 100-px images');
  // The title row (top 30 px) holds dark text pixels; real text, not a blank band.
  let dark = 0;
  for (let y = 0; y < 30; y++) for (let x = 0; x < png.width; x++) if (png.data[4 * (y * png.width + x)]! < 100) dark++;
  assert.ok(dark > 50, `title text rendered (${dark} dark pixels)`);
});

test('renderPanelsSvg rejects a panel whose values do not match its size', () => {
  assert.throws(() => renderPanelsSvg([{ title: 'x', width: 3, height: 3, values: new Float64Array(8), colormap: 'gray' }]), /8 values for 3×3/);
});
