/**
 * The detector mask's counts of cropped and binned frames are those of the patterns a reconstruction fits
 * (src/data/hdf5/mask.ts readMaskFlags with the window): a pixel flagged in some patterns only outside the window is
 * not counted, and a binned pixel is flagged in a pattern when any of its pixels is, so one whose other pixel is
 * flagged in every pattern is masked in every pattern, not in some only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { summarizeHdf5 } from '../../src/data/inspect-hdf5.js';
import { fixtureEntries, writeHdf5 } from './cxi-builder.js';
import { tempDir } from '../tmp.js';

const root = tempDir('crop-mask-count');
const MASK = 'entry_1/instrument_1/detector_1/mask';
const entries = await fixtureEntries();
const n = 40, N = 32;
// one mask per pattern [n, 32, 32]; the crop is rows and columns 8 … 23, binned 2 × 2 into 8 × 8 patterns
const mask = new Uint32Array(n * N * N);
const at = (i: number, y: number, x: number): number => i * N * N + y * N + x;
mask[at(0, 0, 0)] = 1; // outside the window, pattern 0 only
mask[at(1, 8, 8)] = 1; // binned pixel (0, 0): this pixel in pattern 1 only …
for (let i = 0; i < n; i++) mask[at(i, 9, 9)] = 1; // … and its pixel (9, 9) in every pattern: (0, 0) masked in all
mask[at(2, 12, 14)] = 1; // binned pixel (2, 3), pattern 2 only
const path = join(root, 'mask-per-pattern.cxi');
writeHdf5(path, { ...entries, [MASK]: { data: mask, shape: [n, N, N], dtype: '<I' } });
const frames = { crop: { center: [16, 16] as const, size: 16 }, binSize: 2 };

test('pixels masked in some patterns only are counted in the cropped and binned patterns, not the whole frames', async () => {
  const whole = await readCxi(path);
  assert.deepEqual(whole.maskRecord.sources, [{ source: 'cxi mask', key: MASK, pixels: 4, bits: '0x2ff', pixels_masked_in_some_patterns_only: 3 }]);
  const cropped = await readCxi(path, { frames });
  assert.deepEqual(cropped.maskRecord.sources, [{ source: 'cxi mask', key: MASK, pixels: 2, bits: '0x2ff', pixels_masked_in_some_patterns_only: 1 }]);
  assert.ok(cropped.warnings.some((w) => w.includes(': 2 pixels flagged not to be used') && w.endsWith(', 1 of them flagged in some patterns only (a pixel flagged in any pattern is masked in all)')),
    cropped.warnings.join('\n'));
  // inspect --check says what the reconstruction records
  const s = await summarizeHdf5(path, { check: true, frames });
  assert.deepEqual((s.check!.detector_mask as { sources: unknown }).sources, cropped.maskRecord.sources);
});
