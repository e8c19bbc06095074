/**
 * The crop `inspect` suggests about the direct beam is the largest window of a side float32 takes (even, no prime factor
 * above 13) that fits, and `lsqml` with the flags it prints runs in float32: 30 × 40 CXI frames whose beam is at
 * [15, 18] leave room for a window of 30 (a power of two would be 16, 28 % of its pixels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';
import { cxiScanEntries, writeHdf5 } from '../data/cxi-builder.js';
import { ptychostudy } from '../data/cli-run.js';
import { tempDir } from '../tmp.js';

const dir = tempDir('crop-suggestion');
const n = 4, H = 30, W = 40, BY = 15, BX = 18;

/** CXI counts [n, 30, 40], a bright spot at [15, 18] over a background of 1, with geometry and positions (no probe). */
function frames(): string {
  const counts = new Float32Array(n * H * W);
  for (let k = 0; k < n; k++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) counts[(k * H + y) * W + x] = 1 + 500 * Math.exp(-((y - BY) ** 2 + (x - BX) ** 2) / 4);
  const file = join(dir, 'beam-off-centre.cxi');
  writeHdf5(file, cxiScanEntries(counts, [n, H, W]));
  return file;
}

test('inspect suggests a crop of 30 about the beam of 30 × 40 frames (not the power of two 16), and lsqml with it runs in float32', () => {
  const file = frames();
  const r = ptychostudy(['inspect', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\n {2}the frames are not centred on it \(their centre is \[15, 20\]\) and not square of a side float32 takes \(even, no prime factor above 13\): crop them about it with --crop-center 15,18 --crop-size 30\n/, r.stdout);
  const j = ptychostudy(['inspect', '--json', file]);
  assert.equal(j.status, 0, j.stderr);
  const suggestion = (JSON.parse(j.stdout) as { beam: { suggestion: { crop_center: number[]; crop_size: number; flags: string } } }[])[0]!.beam.suggestion;
  assert.deepEqual(suggestion, { crop_center: [BY, BX], crop_size: 30, flags: '--crop-center 15,18 --crop-size 30' });
  // the flags as printed: 30 × 30 patterns, float32, no warning of float64
  const out = join(dir, 'suggested');
  const l = ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2', ...suggestion.flags.split(' '), '--probe-model', 'aperture:diameter=2e-6']);
  assert.equal(l.status, 0, l.stderr);
  assert.doesNotMatch(l.stderr, /float64|not an even side/, l.stderr);
  const meta = (readMetadata(loadNpz(join(out, 'reconstruction.npz'))._metadata!) as { value: Record<string, unknown> }).value;
  assert.equal(meta.precision, 'float32');
  assert.deepEqual((meta.geometry as Record<string, unknown>).pattern_shape, [30, 30]);
});
