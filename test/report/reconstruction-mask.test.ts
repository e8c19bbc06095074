/**
 * The detector mask a reconstruction of measured data records (`detector_mask` [N, N] of reconstruction.npz,
 * beside `reconstructed_probe` [M, N, N]), as both reports read it: a member of another size is refused from
 * its header, before its bytes are read, naming the file, the key, what was expected and what was found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { metadataArray } from '../../src/data/metadata.js';
import { saveNpz } from '../../src/npy/npz.js';
import { c64, type NdArray } from '../../src/npy/types.js';
import { readReconstructionMask } from '../../src/study/hub/reconstruction-arrays.js';
import { tempDir } from '../tmp.js';

const root = tempDir('reconstruction-mask');
const N = 8;
const record = { applied: true, pixels_masked: 2, pattern_pixels: N * N, sources: [] };

function npzWith(name: string, mask: NdArray | null, probe = true, rec: Record<string, unknown> = record): string {
  const path = join(root, `${name}.npz`);
  saveNpz(path, {
    ...(probe ? { reconstructed_probe: c64([1, N, N], new Float32Array(2 * N * N).fill(1)) } : {}),
    ...(mask ? { detector_mask: mask } : {}),
    _metadata: metadataArray({ detector_mask: rec }),
  });
  return path;
}

const u1 = (h: number, w: number): NdArray => {
  const data = new Uint8Array(h * w);
  data[1] = 1; data[h * w - 1] = 1;
  return { dtype: '|u1', shape: [h, w], data };
};

test('a detector_mask of the probe\'s size is read as written', () => {
  const m = readReconstructionMask(npzWith('ok', u1(N, N)));
  assert.ok(m?.mask);
  assert.equal(m.mask.h, N);
  assert.equal(m.mask.w, N);
  assert.equal(m.mask.data.reduce((a, v) => a + v, 0), 2);
});

test('a detector_mask that is not the patterns\' size [N, N] is refused, naming the file, the key and both shapes', () => {
  for (const [name, shape] of [['larger', [2 * N, 2 * N]], ['other', [N, N + 1]]] as const) {
    const path = npzWith(name, u1(shape[0], shape[1]));
    assert.throws(() => readReconstructionMask(path), (err: Error) => {
      assert.equal(err.name, 'InputError');
      assert.ok(err.message.startsWith(`${path}: key 'detector_mask': expected |u1 [${N}, ${N}]`), err.message);
      assert.match(err.message, new RegExp(`found \\|u1 \\[${shape[0]}, ${shape[1]}\\]`));
      return true;
    });
  }
});

test('without reconstructed_probe to give its size, a detector_mask larger than any pattern is refused from its header', () => {
  const path = npzWith('huge', { dtype: '|u1', shape: [8193, 2048], data: new Uint8Array(8193 * 2048) }, false);
  assert.throws(() => readReconstructionMask(path), /key 'detector_mask': expected \|u1 \[H, W\] of at most 16777216 pixels/);
});

test('a detector_mask record whose sources (or fitted_as_read) are not a list of objects is refused, naming the key', () => {
  for (const [key, rec] of [
    ['sources', { ...record, sources: [null] }],
    ['sources', { ...record, sources: 'cxi mask' }],
    ['fitted_as_read', { applied: false, reason: 'off', fitted_as_read: [3] }],
  ] as const) {
    const path = npzWith(`record-${key}`, null, true, rec);
    assert.throws(() => readReconstructionMask(path), (err: Error) => {
      assert.equal(err.name, 'InputError');
      assert.ok(err.message.startsWith(`${path}: key '_metadata.detector_mask.${key}': expected a list of objects`), err.message);
      return true;
    });
  }
  // as written: read
  assert.equal(readReconstructionMask(npzWith('record-ok', null, true, { ...record, sources: [{ source: 'cxi mask', key: 'k', pixels: 2 }] }))?.mask, null);
});
