/**
 * The CXI mask bits against Condor's code: test/fixtures/cxi/mask-bits-condor.json is what Condor (FXIhub/condor, a
 * CXI writer, commit 0506232) computed when scripts/condor-mask-bits.py ran it: its PixelMask constants, which bits
 * make its detector binning leave a pixel out (PIXEL_IS_IN_MASK), and the mask its Detector made for a detector with
 * a gap, a hole and a saturated pixel. The bits masked here must be exactly those, and a CXI file holding Condor's
 * mask must have exactly the pixels Condor leaves out masked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { CXI_MASK_DO_NOT_USE, cxiMaskBad } from '../../src/data/hdf5/mask.js';
import { fixtureEntries, writeHdf5 } from './cxi-builder.js';
import { tempDir } from '../tmp.js';

const condor = JSON.parse(readFileSync('test/fixtures/cxi/mask-bits-condor.json', 'utf8')) as {
  constants: Record<string, number>; PIXEL_IS_IN_MASK: number; left_out_by_binning: Record<string, boolean>;
  detector: { shape: [number, number]; mask: number[][] };
};

test('the CXI mask bits masked here are those Condor\'s binning leaves out (PIXEL_IS_IN_MASK)', () => {
  assert.equal(CXI_MASK_DO_NOT_USE, condor.PIXEL_IS_IN_MASK);
  assert.equal(Object.keys(condor.left_out_by_binning).length, 16);
  for (const [bit, leftOut] of Object.entries(condor.left_out_by_binning)) {
    assert.equal(cxiMaskBad(Number(bit)), leftOut, `bit ${bit}`);
    assert.equal(cxiMaskBad(BigInt(bit)), leftOut, `bit ${bit} (64-bit mask)`);
  }
  // the names Condor gives the bits: the gap and saturation bits its Detector writes are among those left out
  assert.equal(condor.constants.PIXEL_IS_MISSING, 512);
  assert.equal(condor.constants.PIXEL_IS_SATURATED, 2);
  assert.equal(condor.left_out_by_binning['512'], true);
  assert.equal(condor.left_out_by_binning['2'], true);
});

test('a CXI file holding the mask Condor\'s Detector made: exactly the pixels Condor leaves out are masked', async () => {
  const [h, w] = condor.detector.shape;
  const mask = new Uint32Array(32 * 32);
  const expected: number[] = [];
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const v = condor.detector.mask[r]![c]!;
      mask[r * 32 + c] = v;
      if (v !== 0 && condor.left_out_by_binning[String(v)]) expected.push(r * 32 + c);
    }
  }
  assert.ok(expected.length > 20); // the gap, the hole and the saturated pixel
  const path = join(tempDir('condor-mask'), 'condor-mask.cxi');
  writeHdf5(path, { ...(await fixtureEntries()), 'entry_1/instrument_1/detector_1/mask': { data: mask, shape: [32, 32], dtype: '<I' } });
  const m = await readCxi(path);
  const masked = [...m.detectorMask!.valid.keys()].filter((p) => m.detectorMask!.valid[p] === 0);
  assert.deepEqual(masked, expected);
});
