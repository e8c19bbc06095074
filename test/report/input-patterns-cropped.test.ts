/**
 * The patterns the report of one reconstruction draws of a file whose frames the reconstruction cropped and binned
 * (src/study/report/input-patterns.ts): made as the reconstruction made them, from the settings it recorded
 * (`_metadata.reconstruction_settings`, its window checked against `_metadata.geometry.frames`). The 64 × 64 window about
 * the beam of test/fixtures/cxi/frames.cxi, binned 2 × 2, is scan.cxi's patterns exactly (make-cxi-fixture.py --frames).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { readInputPatterns } from '../../src/study/report/input-patterns.js';

const FRAMES = 'test/fixtures/cxi/frames.cxi', D = 'entry_1/data_1/data';

/** What `lsqml --input frames.cxi --crop-center 38,72 --crop-size 64 --bin-size 2` records of its input (lsqml-job.ts, cxi.ts, frames.ts). */
function recorded(rows = [6, 70], settings: Record<string, unknown> = { crop: { center: [38, 72], size: 64 }, binSize: 2 }): Record<string, unknown> {
  const bytes = readFileSync(FRAMES);
  return {
    input_format: 'cxi', input: { file: 'frames.cxi', size_bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    reconstruction_settings: settings,
    geometry: { keys: { diffraction: D }, frames: { file_frame_shape: [80, 112], crop_center_yx: [38, 72], crop_size: 64, window_rows: rows, window_columns: [40, 104],
      bin_size: 2, pattern_shape: [32, 32], how: 'file rows 6 … 69, columns 40 … 103, 2×2 pixels summed (counts)' } },
  };
}

test('a cropped and binned reconstruction\'s patterns are drawn cropped and binned as it read them: scan.cxi\'s patterns exactly', async () => {
  const p = await readInputPatterns(recorded(), FRAMES, 3);
  assert.ok(!('why' in p), 'why' in p ? p.why : '');
  assert.deepEqual([p.h, p.w, p.total], [32, 32, 40]);
  assert.deepEqual(p.rows.map((r) => r.index), [0, 20, 39]);
  assert.equal(p.source, `${FRAMES}: ${D}, its 80×112 frames made into patterns as the reconstruction made them: rows 6 … 69, columns 40 … 103`);
  assert.equal(p.unit, 'values as stored in the file, summed 2×2');
  const h5 = await Hdf5Reader.open('test/fixtures/cxi/scan.cxi');
  const scan = (() => { try { return h5.readFloat64(D, 'patterns', 1e6); } finally { h5.close(); } })();
  for (const r of p.rows) assert.deepEqual(Array.from(r.values), Array.from(scan.data.subarray(r.index * 1024, (r.index + 1) * 1024)), `pattern ${r.index}`);
});

test('settings that do not make the window the reconstruction recorded, or none: not drawn, and why', async () => {
  const p = await readInputPatterns(recorded([7, 71]), FRAMES, 3);
  assert.ok('why' in p && p.why.includes('is not the one _metadata.reconstruction_settings makes (rows [6, 70], columns [40, 104], bin 2)'), JSON.stringify(p));
  // the whole window is compared, its end too
  const end = await readInputPatterns(recorded([6, 69]), FRAMES, 3);
  assert.ok('why' in end && end.why.includes('its window (rows [6,69], columns [40,104], bin 2) is not the one'), JSON.stringify(end));
  const meta = recorded();
  delete meta.reconstruction_settings;
  const q = await readInputPatterns(meta, FRAMES, 3);
  assert.ok('why' in q && q.why.endsWith('records no _metadata.reconstruction_settings to make them alike'), JSON.stringify(q));
});

test('recorded settings are read by the settings schema: a bad one is named by its key, with what was expected and found', async () => {
  const why = async (settings: Record<string, unknown>): Promise<string> => {
    const p = await readInputPatterns(recorded([6, 70], settings), FRAMES, 3);
    assert.ok('why' in p, JSON.stringify(p));
    return p.why;
  };
  assert.match(await why({ crop: { center: [38, 72], size: 64 }, binSize: 0 }),
    /its key '_metadata\.reconstruction_settings\.binSize': expected an integer from 1 to 64; found 0$/);
  assert.match(await why({ crop: { center: [38, 72], size: 64 }, binSize: 3 }),
    /its key '_metadata\.reconstruction_settings\.binSize': expected a divisor of the crop size 64 \(reconstruction\.crop\.size, --crop-size\); found 3$/);
  assert.match(await why({ crop: { center: [38, -72], size: 64 }, binSize: 2 }),
    /its key '_metadata\.reconstruction_settings\.crop\.center\.1': expected two integers \[y, x\] ≥ 0 \(pixels of the file's frames\); found -72$/);
  assert.match(await why({ crop: 'middle', binSize: 2 }),
    /its key '_metadata\.reconstruction_settings\.crop': expected a group: center \[y, x\] and size, or null; found "middle"$/);
  // well-formed settings whose centre is outside the file's 80 × 112 frames: the reader's own refusal (frames.ts frameWindow)
  const out = await why({ crop: { center: [80, 72], size: 64 }, binSize: 2 });
  assert.ok(out.startsWith(`the crop and binning the reconstruction recorded do not make a window of the file's 80×112 frames: ${FRAMES}: key '${D}': ` +
    'expected reconstruction.crop (--crop-center 80,72 --crop-size 64 --bin-size 2): a centre inside the file\'s 80×112 frames'), out);
});
