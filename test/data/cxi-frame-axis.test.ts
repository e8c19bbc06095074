/**
 * Patterns stored with an axis of length 1 between the patterns' index and the pattern, [n, 1, H, W] (a detector's
 * per-frame axis, as some beamlines write their stacks): read as [n, H, W], the same values in the same order, and
 * drawn by the reports as such; a leading axis of length 1, [1, n, H, W], is refused in one line saying so. The
 * files are the CXI fixture's measurement rewritten with h5wasm (test/data/cxi-builder.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { InputError } from '../../src/errors.js';
import { readInputPatterns } from '../../src/study/report/input-patterns.js';
import { fixtureEntries, fixtureMeasurement, writeHdf5 } from './cxi-builder.js';
import { tempDir } from '../tmp.js';

const root = tempDir('cxi-frame-axis');
const D = 'entry_1/data_1/data';
const entries = await fixtureEntries();
const counts = entries[D]!.data as Uint32Array;

test('[n, 1, H, W] patterns read as [n, H, W]: the fixture\'s amplitudes, mask and geometry, value for value', async () => {
  const path = join(root, 'frame-axis.cxi');
  // chunked one pattern a chunk, as a detector writes them, so that the slabs are cut at chunk boundaries too
  writeHdf5(path, { ...entries, [D]: { data: counts, shape: [40, 1, 32, 32], dtype: '<I', chunks: [1, 1, 32, 32], gzip: 4 } });
  const plain = await fixtureMeasurement();
  const m = await readCxi(path);
  assert.deepEqual([m.n, m.H, m.W], [40, 32, 32]);
  assert.deepEqual(m.diffraction, plain.diffraction);
  assert.deepEqual(m.objectShape, plain.objectShape);
  assert.equal(m.keys.diffraction, D);
  // the reports draw its patterns (rows of the first axis) as the reconstruction read them
  const bytes = readFileSync(path);
  const meta = { input_format: 'cxi', input: { size_bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }, geometry: { keys: { diffraction: D } } };
  const p = await readInputPatterns(meta, path, 3);
  assert.ok(!('why' in p), 'why' in p ? p.why : '');
  assert.deepEqual([p.total, p.h, p.w], [40, 32, 32]);
  assert.deepEqual(p.rows.map((r) => r.index), [0, 20, 39]);
  for (const r of p.rows) assert.deepEqual(Array.from(r.values), Array.from(counts.subarray(r.index * 1024, (r.index + 1) * 1024)), `pattern ${r.index}`);
});

test('[1, n, H, W] is refused in one line naming the leading axis of length 1; [n, 2, H, W] as any other shape', async () => {
  for (const [shape, found] of [
    [[1, 40, 32, 32], 'found shape [1, 40, 32, 32] (an axis of length 1 first: store the patterns along the first axis, [n, H, W])'],
    [[20, 2, 32, 32], 'found shape [20, 2, 32, 32]'],
  ] as const) {
    const path = join(root, `v-${shape.join('x')}.cxi`);
    writeHdf5(path, { ...entries, [D]: { data: counts, shape: [...shape], dtype: '<I' } });
    await assert.rejects(readCxi(path), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message, `${path}: key '${D}': expected diffraction data [n, H, W] (counts or intensities, integer or float); ${found}`);
      return true;
    });
  }
});

test('a per-pattern detector mask stored as the patterns are, [n, 1, H, W], is read as [n, H, W] (was refused for its shape)', async () => {
  const MASK = 'entry_1/instrument_1/detector_1/mask';
  const mask = new Uint32Array(40 * 1024);
  mask[7] = 1; // pattern 0 only: masked in some patterns, not all
  for (let i = 0; i < 40; i++) mask[i * 1024 + 100] = 2; // every pattern
  const stacked = join(root, 'mask-frame-axis.cxi'), plain = join(root, 'mask-plain.cxi');
  writeHdf5(stacked, { ...entries, [D]: { data: counts, shape: [40, 1, 32, 32], dtype: '<I' }, [MASK]: { data: mask, shape: [40, 1, 32, 32], dtype: '<I' } });
  writeHdf5(plain, { ...entries, [MASK]: { data: mask, shape: [40, 32, 32], dtype: '<I' } });
  const a = await readCxi(stacked), b = await readCxi(plain);
  const valid = a.detectorMask?.valid;
  assert.ok(valid !== undefined && valid[7] === 0 && valid[100] === 0 && valid[8] === 1, 'the mask was not read');
  assert.deepEqual(a.detectorMask, b.detectorMask);
  assert.deepEqual(a.diffraction, b.diffraction);
  assert.deepEqual(a.warnings.map((w) => w.replace(stacked, 'F')), b.warnings.map((w) => w.replace(plain, 'F')));
  // one of another count of patterns is still refused
  const wrong = join(root, 'mask-wrong.cxi');
  writeHdf5(wrong, { ...entries, [D]: { data: counts, shape: [40, 1, 32, 32], dtype: '<I' }, [MASK]: { data: mask.subarray(0, 20 * 1024), shape: [20, 1, 32, 32], dtype: '<I' } });
  await assert.rejects(readCxi(wrong), /mask-wrong\.cxi: key 'entry_1\/instrument_1\/detector_1\/mask': expected .* or \[40, 32, 32\] \(one per pattern\); found shape \[20, 1, 32, 32\]$/);
});
