/**
 * Detector masks of measured data (src/data/hdf5/mask.ts): the CXI mask's "do not use" bits, PtyPy's
 * weights, integer-maximum pixels (detector gaps); what is masked is set to 0 and handed to the engine as
 * its valid-pixel mask, so that a masked pixel's value changes nothing in a reconstruction; a malformed
 * mask is refused in one line before anything is written. Files are the fixture's measurement written
 * with h5wasm (tiny: 40 patterns of 32 × 32).
 */
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeHdf5 } from '../../src/data/inspect-hdf5.js';
import { readCxi } from '../../src/data/cxi.js';
import { readInputData } from '../../src/data/input.js';
import type { MeasuredData } from '../../src/data/measured.js';
import { readMetadata } from '../../src/data/metadata.js';
import { loadNpz } from '../../src/npy/npz.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { reconstructionSettingsSha256, stableJson } from '../../src/settings/fingerprint.js';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { fixtureEntries, writeHdf5, type Entry } from './cxi-builder.js';
import { rewriteHdf5 } from './hdf5-rewrite.js';
import { assertRefused, ptychostudy } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-detector-mask-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const entries = await fixtureEntries();
const D = 'entry_1/data_1/data', MASK = 'entry_1/instrument_1/detector_1/mask';
const n = 40, hw = 32 * 32;
const counts = entries[D]!.data as Uint32Array;

let counter = 0;
function variant(changes: Record<string, Entry | null>): string {
  const path = join(root, `v${counter++}.cxi`);
  writeHdf5(path, { ...entries, ...changes });
  return path;
}

/** Pixels (flat [H, W] index) that the mask leaves unfitted. */
const maskedPixels = (m: MeasuredData): number[] => m.detectorMask ? [...m.detectorMask.valid.keys()].filter((p) => m.detectorMask!.valid[p] === 0) : [];

test('CXI mask: bits 0x2ff (invalid, saturated, hot, dead, shadowed, peak mask, ignore, bad, missing) mask a pixel, the others do not; masked pixels are 0 in every pattern', async () => {
  const mask = new Uint32Array(hw);
  // masked: invalid, saturated, dead, missing, and a pixel with a tag bit as well as "bad"
  mask[3] = 1; mask[40] = 2; mask[41] = 8; mask[500] = 512; mask[700] = 128 | 2048;
  // used: out of resolution limits (bit 8), noisy (10), artifact corrected (11), a bit above 15
  mask[5] = 256; mask[6] = 1024; mask[7] = 2048; mask[8] = 0x10000;
  const m = await readCxi(variant({ [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } }));
  assert.deepEqual(maskedPixels(m), [3, 40, 41, 500, 700]);
  for (let i = 0; i < n; i++) {
    for (const p of [3, 40, 41, 500, 700]) assert.equal(m.diffraction[i * hw + p], 0);
    for (const p of [5, 6, 7, 8, 9]) assert.equal(m.diffraction[i * hw + p], Math.fround(Math.sqrt(counts[i * hw + p]!)));
  }
  // the pixels with other bits only (5, 6, 7, 8) are fitted, and counted so that a user sees why they were not masked
  assert.deepEqual(m.maskRecord, { applied: true, pixels_masked: 5, pattern_pixels: hw, sources: [{ source: 'cxi mask', key: MASK, pixels: 5, bits: '0x2ff', pixels_with_other_bits_only_fitted: 4 }] });
  assert.match(m.warnings.join('\n'), /key 'entry_1\/instrument_1\/detector_1\/mask': 4 pixels with mask bits other than 0x2ff only \(out of resolution, noisy, artefact corrected, hit-finder peak, background corrected, …: still measured\) fitted/);
  assert.match(m.warnings.join('\n'), /key 'entry_1\/instrument_1\/detector_1\/mask': 5 pixels flagged not to be used \(CXI mask bits 0x2ff/);

  // a per-pattern mask [n, H, W] is combined: a pixel flagged in any pattern is masked in all, and the note says how many
  const perFrame = new Uint8Array(n * hw);
  perFrame[3 * hw + 10] = 1; // pattern 3 only
  for (let i = 0; i < n; i++) perFrame[i * hw + 20] = 64;
  const f = await readCxi(variant({ [MASK]: { data: perFrame, shape: [n, 32, 32], dtype: '<B' } }));
  assert.deepEqual(maskedPixels(f), [10, 20]);
  assert.match(f.warnings.join('\n'), /2 pixels flagged not to be used .*, 1 of them flagged in some patterns only/);

  // switched off: nothing is read from the mask or masked
  const off = await readCxi(variant({ [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } }), { detectorMask: false });
  assert.equal(off.detectorMask, undefined);
  assert.equal(off.diffraction[3], Math.fround(Math.sqrt(counts[3]!)));
  // the record says what of the file was fitted as read
  assert.deepEqual(off.maskRecord, { applied: false, reason: 'reconstruction.detectorMask false (--no-detector-mask): every pixel is fitted as read',
    fitted_as_read: [{ source: 'cxi mask', key: MASK }] });
  assert.match(off.warnings.join('\n'), /a detector mask is present but not applied \(the detector mask is off/);
});

test('integer-maximum pixels (detector gaps) are masked with the CXI mask, and read as counts only with the mask off', async () => {
  const eiger = Uint32Array.from(counts);
  eiger[7] = 4294967295; eiger[2 * hw + 7] = 4294967295; eiger[5 * hw + 64] = 4294967295;
  const mask = new Uint16Array(hw);
  mask[64] = 1; mask[100] = 1;
  const path = variant({ [D]: { data: eiger, shape: [n, 32, 32], dtype: '<I' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<H' } });
  const m = await readCxi(path);
  assert.deepEqual(maskedPixels(m), [7, 64, 100]);
  assert.equal(m.diffraction[7], 0);
  assert.equal(m.diffraction[hw + 7], 0, 'masked in every pattern');
  assert.deepEqual(m.maskRecord.sources, [
    { source: 'cxi mask', key: MASK, pixels: 2, bits: '0x2ff' },
    { source: 'integer maximum', key: D, pixels: 2, value: '4294967295', dtype: '<u4' },
  ]);
  assert.equal(m.maskRecord.pixels_masked, 3);
  assert.ok(m.warnings.includes(`${path}: key '${D}': 3 values are 4294967295, the largest <u4 value, which detectors write into gap, dead and saturated pixels; ` +
    'the 2 pixels holding it in any pattern are masked (--no-detector-mask reads them as counts)'), m.warnings.join('\n'));
  const inspect = ptychostudy(['inspect', '--check', path]);
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.match(inspect.stdout, new RegExp(`detector mask: 3 of 1024 pixels masked \\(cxi mask ${MASK}: 2; integer maximum ${D}: 2; --no-detector-mask fits every pixel\\)`));
  // inspect --check --json: the record a reconstruction writes to _metadata.detector_mask, as data
  assert.deepEqual((await summarizeHdf5(path, { check: true })).check?.detector_mask, m.maskRecord);
  const off = await readCxi(path, { detectorMask: false });
  assert.equal(off.diffraction[7], Math.fround(Math.sqrt(4294967295)));
  assert.match(off.warnings.join('\n'), /read as counts \(the detector mask is off/);
  assert.deepEqual(off.maskRecord.fitted_as_read, [{ source: 'cxi mask', key: MASK }, { source: 'integer maximum', key: D, values: 3, value: '4294967295', dtype: '<u4' }]);
});

test('non-finite values in pixels the CXI mask masks (NaN in gaps, as flat-field pipelines write) read as the mask\'s 0, noted; anywhere else, or with the mask off, they are refused', async () => {
  const mask = new Uint32Array(hw);
  mask[3] = 1; mask[40] = 8;
  // float32 counts: NaN in both masked pixels of every pattern, ±Infinity in one pattern each; a PILATUS −1 in pixel 3 too
  const data = Float32Array.from(counts);
  for (let i = 0; i < n; i++) { data[i * hw + 3] = NaN; data[i * hw + 40] = NaN; }
  data[7 * hw + 40] = Infinity; data[9 * hw + 3] = -Infinity; data[11 * hw + 3] = -1;
  const path = variant({ [D]: { data, shape: [n, 32, 32], dtype: '<f' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } });
  const m = await readCxi(path);
  // the same amplitudes as the file whose masked pixels hold counts
  const plain = await readCxi(variant({ [D]: { data: Float32Array.from(counts), shape: [n, 32, 32], dtype: '<f' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } }));
  assert.deepEqual(m.diffraction, plain.diffraction);
  assert.deepEqual(maskedPixels(m), [3, 40]);
  assert.ok(m.warnings.includes(`${path}: key '${D}': ${2 * n - 1} values are not finite (NaN or infinite) in pixels the detector mask masks; read as 0, never fitted`), m.warnings.join('\n'));
  // the −1 is a negative value set to 0; its pixel is masked already, so it is not named as a gap to mask
  assert.ok(m.warnings.includes(`${path}: key '${D}': 1 negative values set to 0`), m.warnings.join('\n'));
  // NaN in a pixel the mask leaves fitted is refused, naming it; with the mask off, the masked ones are too
  data[5 * hw + 100] = NaN;
  const outside = variant({ [D]: { data, shape: [n, 32, 32], dtype: '<f' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } });
  await assert.rejects(readCxi(outside), new RegExp(`^Hdf5Error: ${outside.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: key '${D}': expected diffraction data .*, or in a pixel the detector mask masks; found NaN in pattern 5 at pixel \\(3, 4\\)$`));
  await assert.rejects(readCxi(path, { detectorMask: false }), /\(amplitudes are float32\); found NaN in pattern 0 at pixel \(0, 3\)$/);
});

test('PtyPy weights: 0 = ignore, combined over frames and chunks (a pixel of weight 0 in any frame is masked); a chunk without weights beside others is refused', async () => {
  const path = join(root, 'w.ptyd');
  const w0 = new Uint8Array(20 * hw).fill(1), w1 = new Float64Array(20 * hw).fill(0.5);
  w0[2 * hw + 5] = 0; // one frame of chunk 0
  for (let i = 0; i < 20; i++) { w0[i * hw + 9] = 0; w1[i * hw + 9] = 0; } // every frame
  rewriteHdf5('test/fixtures/cxi/scan.ptyd', path, { datasets: { 'chunks/0/weights': { data: w0, shape: [20, 32, 32], dtype: '<B' }, 'chunks/1/weights': { data: w1, shape: [20, 32, 32], dtype: '<d' } } });
  const r = await readInputData(path);
  const m = (r as { measured: MeasuredData }).measured;
  assert.deepEqual(maskedPixels(m), [5, 9]);
  for (let i = 0; i < n; i++) assert.equal(m.diffraction[i * hw + 5], 0);
  assert.deepEqual(m.maskRecord.sources, [{ source: 'ptypy weights', key: 'chunks/*/weights', pixels: 2, pixels_masked_in_some_frames_only: 1 }]);
  assert.match(m.warnings.join('\n'), /keys 'chunks\/\*\/weights' \(2 chunks\): 2 pixels of weight 0 masked, 1 of them of weight 0 in some frames only/);

  const partial = join(root, 'partial.ptyd');
  rewriteHdf5('test/fixtures/cxi/scan.ptyd', partial, { datasets: { 'chunks/0/weights': { data: w0, shape: [20, 32, 32], dtype: '<B' } } });
  await assert.rejects(readInputData(partial), { message: `${partial}: key 'chunks/1/weights': expected PtyPy weights per pixel (> 0: use, 0: ignore) in every chunk, as in chunks/0/weights; found it missing` });
  // h5py's numpy bool weights of the fixture (an enum) read: all ones, nothing masked
  const fx = (await readInputData('test/fixtures/cxi/scan.ptyd') as { measured: MeasuredData }).measured;
  assert.equal(fx.detectorMask, undefined);
  assert.deepEqual(fx.maskRecord, { applied: true, pixels_masked: 0, pattern_pixels: hw, sources: [{ source: 'ptypy weights', key: 'chunks/*/weights', pixels: 0 }] });
});

test('a masked pixel\'s value changes nothing in a reconstruction (bit-identical arrays); without the mask it does', async () => {
  const mask = new Uint8Array(hw);
  for (const p of [0, 17, 33, 528, 1000]) mask[p] = 1; // 528 = [16, 16], the direct beam
  const garbage = Uint32Array.from(counts), other = Uint32Array.from(counts);
  for (let i = 0; i < n; i++) for (const p of [0, 17, 33, 528, 1000]) { garbage[i * hw + p] = 4_000_000_000; other[i * hw + p] = 3; }
  const a = variant({ [D]: { data: garbage, shape: [n, 32, 32], dtype: '<I' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<B' } });
  const b = variant({ [D]: { data: other, shape: [n, 32, 32], dtype: '<I' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<B' } });
  const run = async (input: string, out: string, detectorMask: boolean) => {
    const settings = parseStudySettings({ reconstruction: { epochs: 3, batchSize: 20, seed: 1, threads: 1, detectorMask } }).reconstruction;
    const r = await runLsqmlJob({ inputNpz: input, outputDir: join(root, out), settings });
    return loadNpz(r.reconstructionNpz);
  };
  const arrays = ['reconstructed_object', 'reconstructed_probe', 'loss_history', 'positions'];
  const ka = await run(a, 'a', true), kb = await run(b, 'b', true);
  for (const key of arrays) assert.deepEqual(ka[key]!.data, kb[key]!.data, key);
  const meta = (readMetadata(ka._metadata!) as { value: Record<string, unknown> }).value;
  assert.deepEqual(meta.detector_mask, { applied: true, pixels_masked: 5, pattern_pixels: hw, sources: [{ source: 'cxi mask', key: MASK, pixels: 5, bits: '0x2ff' }] });
  assert.equal((meta.reconstruction_settings as Record<string, unknown>).detectorMask, true);
  // the mask as applied is kept with the result (1 = masked, the patterns' order): the report draws it
  assert.equal(ka.detector_mask!.dtype, '|u1');
  assert.deepEqual(ka.detector_mask!.shape, [32, 32]);
  assert.deepEqual([...ka.detector_mask!.data as Uint8Array], [...mask]);
  const oa = await run(a, 'oa', false), ob = await run(b, 'ob', false);
  assert.equal(oa.detector_mask, undefined, 'the mask off: no mask kept');
  assert.notDeepEqual(oa.reconstructed_object!.data, ob.reconstructed_object!.data, 'without the mask the values matter');
  assert.notDeepEqual(oa.reconstructed_object!.data, ka.reconstructed_object!.data);
  const offMeta = (readMetadata(oa._metadata!) as { value: Record<string, unknown> }).value;
  assert.equal((offMeta.detector_mask as Record<string, unknown>).applied, false);
});

test('a mask of another shape or type, or one that masks every pixel, is refused in one line (exit 2) and nothing is written; --no-detector-mask does not read it', async () => {
  const wrong = variant({ [MASK]: { data: new Uint8Array(31 * 32), shape: [31, 32], dtype: '<B' } });
  const out = join(root, 'refused');
  const r = ptychostudy(['lsqml', '--input', wrong, '--out', out, '--epochs', '2']);
  assertRefused(r, 'lsqml', `${wrong}: key '${MASK}': expected a CXI detector mask (an integer bit field per pixel, 0 = good) of shape [32, 32] (the patterns' size) ` +
    'or [40, 32, 32] (one per pattern); found shape [31, 32]');
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'nothing written');
  const float = variant({ [MASK]: { data: new Float32Array(hw), shape: [32, 32], dtype: '<f' } });
  assertRefused(ptychostudy(['lsqml', '--input', float, '--out', out, '--epochs', '2']), 'lsqml',
    `${float}: key '${MASK}': expected a CXI detector mask (an integer bit field per pixel, 0 = good); found dtype <f4`);
  const all = variant({ [MASK]: { data: new Uint8Array(hw).fill(1), shape: [32, 32], dtype: '<B' } });
  await assert.rejects(readCxi(all), { message: `${all}: key '${D}': expected a detector mask that leaves some pixels to fit; found all 1024 pixels masked (cxi mask: 1024); --no-detector-mask uses every pixel` });
  // switched off, the mask is not read (test/cli/lsqml-warnings.test.ts runs lsqml --no-detector-mask)
  assert.match((await readCxi(wrong, { detectorMask: false })).warnings.join('\n'), /a detector mask is present but not applied/);
});

test('the settings hash: detectorMask and radiation at their defaults (true, null) leave it as before the settings existed (earlier hubs resume); other values change it', () => {
  const on = parseStudySettings({}).reconstruction, off = parseStudySettings({ reconstruction: { detectorMask: false } }).reconstruction;
  const { threads: _t, detectorMask: _d, radiation: _r, ...before } = on;
  assert.equal(reconstructionSettingsSha256(on), createHash('sha256').update(stableJson(before)).digest('hex'));
  assert.notEqual(reconstructionSettingsSha256(off), reconstructionSettingsSha256(on));
  const electron = parseStudySettings({ reconstruction: { radiation: 'electron' } }).reconstruction;
  assert.notEqual(reconstructionSettingsSha256(electron), reconstructionSettingsSha256(on));
});

test('the mask reaches the engine in the patterns\' order: it equals leaving the same pixels out by the engine\'s own threshold', async () => {
  // every pixel ≥ 1 count except the masked ones, which are 0: excludeMeasuredPixelsBelow 0.5 then leaves out
  // exactly those pixels, found by the engine in its own (shifted) order
  const S = [1, 30, 33, 200, 527, 529, 990];
  const mask = new Uint8Array(hw);
  for (const p of S) mask[p] = 1;
  const plus = Uint32Array.from(counts, (c) => c + 1), zeroed = Uint32Array.from(plus);
  for (let i = 0; i < n; i++) for (const p of S) { plus[i * hw + p] = 4_000_000_000; zeroed[i * hw + p] = 0; }
  const masked = variant({ [D]: { data: plus, shape: [n, 32, 32], dtype: '<I' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<B' } });
  const thresholded = variant({ [D]: { data: zeroed, shape: [n, 32, 32], dtype: '<I' } });
  const run = async (input: string, out: string, extra: Record<string, unknown>) => {
    const settings = parseStudySettings({ reconstruction: { epochs: 3, batchSize: 20, seed: 1, threads: 1, ...extra } }).reconstruction;
    return loadNpz((await runLsqmlJob({ inputNpz: input, outputDir: join(root, out), settings })).reconstructionNpz);
  };
  const a = await run(masked, 'order-mask', {}), b = await run(thresholded, 'order-threshold', { excludeMeasuredPixelsBelow: 0.5 });
  const c = await run(thresholded, 'order-none', {});
  for (const key of ['reconstructed_object', 'reconstructed_probe', 'loss_history']) assert.deepEqual(a[key]!.data, b[key]!.data, key);
  assert.notDeepEqual(a.reconstructed_object!.data, c.reconstructed_object!.data, 'the zeroed pixels fitted as zeros differ');
});
