/**
 * .ptyd files laid out by hand, from the fixture's scan.ptyd, as PtyPy's PtyScan writes them (ptypy core/data.py and
 * io/h5rw.py at 1681bec): positions it never had (a 'list' group of 'None' datasets), chunks saved with
 * save='link' (each an external link to FILE.part<k>), and a meta/center that PtyPy's propagator rounds to another
 * pixel than the pattern centre, or one it does not. Each is read or refused saying what it is and what to do.
 * The same cases in files PtyPy itself wrote: ptypy-written.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm, { Group } from 'h5wasm/node';
import { InputError } from '../../src/errors.js';
import { readInputData } from '../../src/data/input.js';
import { summarizeHdf5 } from '../../src/data/inspect-hdf5.js';
import { rewriteHdf5, type Rewrite } from './hdf5-rewrite.js';

await h5wasm.ready;

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-ptypy-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const fx = (f: string): string => fileURLToPath(new URL(`../../../test/fixtures/cxi/${f}`, import.meta.url));
let count = 0;
function variant(change: Rewrite): string {
  const p = join(root, `v${++count}.ptyd`);
  rewriteHdf5(fx('scan.ptyd'), p, change);
  return p;
}

async function refusedWith(path: string, message: string): Promise<void> {
  await assert.rejects(readInputData(path), (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message, `${path}: ${message}`);
    return true;
  });
}

test('a .ptyd whose PtyScan had no positions (None for each frame) is refused saying so, not as "a group"', async () => {
  // io.h5write of [None, None, …]: a group of type 'list' holding datasets 00000, 00001, … of type 'None'
  const datasets: NonNullable<Rewrite['datasets']> = {};
  const attrs: NonNullable<Rewrite['attrs']> = { 'chunks/0/positions': { type: 'list' } };
  for (let i = 0; i < 20; i++) {
    const key = `chunks/0/positions/${String(i).padStart(5, '0')}`;
    datasets[key] = { data: new Float64Array([0]) };
    attrs[key] = { type: 'None' };
  }
  const p = variant({ drop: ['chunks/0/positions'], groups: ['chunks/0/positions'], datasets, attrs });
  await refusedWith(p, "key 'chunks/0/positions': expected positions [20, 2] in m, (y, x) pairs (one per frame of chunks/0/data); " +
    'found no positions: PtyPy wrote None for each frame, as a PtyScan without positions saves them; prepare the data with positions ' +
    "(the PtyScan's load_positions or positions_theory)");
});

test("a .ptyd saved with PtyScan's save='link' is refused naming that layout and save='append'", async () => {
  const p = variant({ drop: ['chunks/1'] });
  const f = new h5wasm.File(p, 'a');
  try {
    (f.get('chunks') as Group).create_external_link(`${p}.part001`, '/', '1');
  } finally {
    f.close();
  }
  await refusedWith(p, `key 'chunks/1': an external link to ${p}.part001:/, the layout of PtyScan's save='link' (each chunk in a file ` +
    "of its own); ptychostudy reads nothing outside the named file: prepare the data with save='append' (one file), or copy the chunks " +
    'into it (h5copy)');
});

test("meta/center: one PtyPy rounds to another pixel than the pattern centre is read with a warning; further off, refused saying how to prepare", async () => {
  const center = (c: number[]): string => variant({ datasets: { 'meta/center': { data: new Float64Array(c) } } });
  const off = center([17, 16]);
  const read = await readInputData(off);
  assert.ok(read.format === 'ptyd');
  assert.deepEqual(read.measured.warnings, [`${off}: key 'meta/center': [17, 16], which PtyPy rounds to the pixel [17, 16], is read as the ` +
    "pattern centre [16, 16]: the probe has to take up a tilt of the beam's offset (a crop about the beam re-centres the frames: --crop-center 17,16 with --crop-size)"]);
  // PtyPy puts the axis at ⌈15.5⌉ = 16: the pattern centre, nothing to say
  const half = await readInputData(center([15.5, 16]));
  assert.ok(half.format === 'ptyd');
  assert.deepEqual(half.measured.warnings, []);
  const far = center([18.4, 14]);
  // the message says how the frames are re-centred: a crop about the beam (it said that nothing re-centres them)
  await refusedWith(far, "key 'meta/center': expected the direct beam within 1 pixel of the pattern centre [16, 16], or a crop about the beam " +
    '(--crop-center, --crop-size: only a crop re-centres the frames); found [18.4, 14] (crop them about the beam: --crop-center 19,14 --crop-size 26 ' +
    '(PtyPy\'s pixel ⌈center⌉, the largest window of a side float32 takes, even with no prime factor above 13, that fits inside the frames about it; --crop-size 32, the frames\' own side, ' +
    're-centres them whole, padding and masking what falls outside them), or prepare the frames again with the beam at their centre: PtyScan with a ' +
    'shape smaller than the raw frames ' +
    'crops them around center and writes center = shape/2)');
});

test('lsqml on a .ptyd without a probe names what PtyPy\'s illumination parameters are here', () => {
  const out = join(root, 'no-probe');
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', fx('scan.ptyd'), '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `ptychostudy lsqml: ${fx('scan.ptyd')}: has no probe (PtyPy prepared data holds none); give --probe-model ` +
    'aperture:diameter=…|fzp:diameter=…,outer-zone=…,defocus=… or --init-probe file:PATH (PtyPy\'s illumination: model \'recon\' with a .ptyr ' +
    'is --init-probe file:recon.ptyr, aperture and propagation are --probe-model aperture:… or fzp:…; docs/real-data.md, "Coming from PtyPy")\n');
  assert.ok(!existsSync(out));
});

test('meta/energy, distance or psize that PtyPy wrote as None is refused as None, not read as the 0 it stores', async () => {
  const none = (key: string): string => variant({ datasets: { [key]: { data: new Float64Array([0]) } }, attrs: { [key]: { type: 'None' } } });
  const energy = none('meta/energy');
  await refusedWith(energy, "key 'meta/energy': expected the photon energy in keV; found None: PtyPy wrote no value, as a PtyScan without " +
    "its energy (keV) saves it; prepare the data with the PtyScan's energy set");
  const psize = none('meta/psize');
  await refusedWith(psize, "key 'meta/psize': expected the detector pixel size in m: a scalar or [y, x]; found None: PtyPy wrote no value, " +
    "as a PtyScan without its psize (m) saves it; prepare the data with the PtyScan's psize set");
  const distance = none('meta/distance');
  await assert.rejects(readInputData(distance), /key 'meta\/distance': expected the sample–detector distance in m; found None: PtyPy wrote no value/);
});

test("a .ptyd PtyScan rebinned (info/rebin 2) is read with a warning that its patterns are means, not photon counts", async () => {
  const binned = variant({ datasets: { 'info/rebin': { data: new BigInt64Array([2n]), shape: [], dtype: '<q' } }, attrs: { 'info/rebin': { type: 'scalar' } } });
  const read = await readInputData(binned);
  assert.ok(read.format === 'ptyd');
  assert.deepEqual(read.measured.warnings, [`${binned}: key 'info/rebin': 2: PtyScan averaged 2×2 detector pixels into each pixel (ptypy utils ` +
    'rebin_2d), so the patterns hold counts / 4, not photon counts; the Poisson noise model takes them as counts']);
  // rebin 1 (PtyScan's record without rebinning) and PtyPy's None say nothing
  const one = variant({ datasets: { 'info/rebin': { data: new BigInt64Array([1n]), shape: [], dtype: '<q' } } });
  const none = variant({ datasets: { 'info/rebin': { data: new Float64Array([0]) } }, attrs: { 'info/rebin': { type: 'None' } } });
  for (const f of [one, none]) {
    const r = await readInputData(f);
    assert.ok(r.format === 'ptyd');
    assert.deepEqual(r.measured.warnings, []);
  }
});

test('meta/shape: PtyPy\'s None is none; one integer n is [n, n]; one that is not the frames stored, or a group, is refused naming the key, expected and found', async () => {
  const read = await readInputData(fx('scan.ptyd'));
  assert.ok(read.format === 'ptyd');
  assert.equal(read.measured.keys.frame_shape, 'meta/shape');
  const none = variant({ datasets: { 'meta/shape': { data: new Float64Array([0]) } }, attrs: { 'meta/shape': { type: 'None' } } });
  const r = await readInputData(none);
  assert.ok(r.format === 'ptyd');
  assert.equal(r.measured.keys.frame_shape, undefined);
  assert.deepEqual([r.measured.H, r.measured.W], [32, 32]);
  const other = variant({ datasets: { 'meta/shape': { data: new BigInt64Array([32n, 16n]), shape: [2], dtype: '<q' } } });
  await refusedWith(other, "key 'meta/shape': expected the frames' shape [H, W], 2 integers as PtyScan writes it, or one integer n for [n, n] (or None), that of the frames " +
    'stored: [32, 32] (chunks/0/data); found [32, 16]');
  // 64-bit integers shown as the file holds them (2^62 + 1 was 4611686018427388000, rounded to a float64)
  const huge = variant({ datasets: { 'meta/shape': { data: new BigInt64Array([2n ** 62n + 1n, 32n]), shape: [2], dtype: '<q' } } });
  await refusedWith(huge, "key 'meta/shape': expected the frames' shape [H, W], 2 integers as PtyScan writes it, or one integer n for [n, n] (or None), that of the frames " +
    'stored: [32, 32] (chunks/0/data); found [4611686018427387905, 32]');
  // one integer n, as another writer may store a square shape: [n, n], as PtyPy's reader (u.expect2) takes it
  const square = variant({ datasets: { 'meta/shape': { data: new BigInt64Array([32n]), shape: [], dtype: '<q' } } });
  const sq = await readInputData(square);
  assert.ok(sq.format === 'ptyd');
  assert.equal(sq.measured.keys.frame_shape, 'meta/shape');
  const squareOther = variant({ datasets: { 'meta/shape': { data: new Int32Array([16]), shape: [], dtype: '<i' } } });
  await refusedWith(squareOther, "key 'meta/shape': expected the frames' shape [H, W], 2 integers as PtyScan writes it, or one integer n for [n, n] (or None), " +
    'that of the frames stored: [32, 32] (chunks/0/data); found [16, 16]');
  const group = variant({ drop: ['meta/shape'], groups: ['meta/shape'] });
  await refusedWith(group, "key 'meta/shape': expected the frames' shape [H, W], 2 integers as PtyScan writes it, or one integer n for [n, n] (or None); found a group");
});

test('an info/rebin that is not one whole number from 1 to 32 is said in a warning (it was taken for none: no rebinning said)', async () => {
  const half = variant({ datasets: { 'info/rebin': { data: new Float64Array([2.5]), shape: [], dtype: '<d' } } });
  const group = variant({ groups: ['info/rebin'] });
  for (const [f, found] of [[half, '2.5'], [group, 'a group']] as const) {
    const r = await readInputData(f);
    assert.ok(r.format === 'ptyd');
    assert.deepEqual(r.measured.warnings, [`${f}: key 'info/rebin': expected PtyScan's rebin factor, a whole number from 1 to 32; found ${found}: whether ` +
      'PtyScan averaged detector pixels (its patterns then hold counts / rebin², not photon counts) is not known; the Poisson noise model takes the patterns as counts']);
  }
});

test('weights in some chunks only: inspect does not estimate the beam without them, naming the chunk, as a reconstruction refuses the file (it estimated it unmasked)', async () => {
  const partial = variant({ drop: ['chunks/0/weights', 'chunks/1/weights'], datasets: { 'chunks/0/weights': { data: new Float64Array(32 * 32).fill(1), shape: [32, 32], dtype: '<d' } } });
  const line = `${partial}: key 'chunks/1/weights': expected PtyPy weights per pixel (> 0: use, 0: ignore) in every chunk, as in chunks/0/weights; found it missing`;
  await refusedWith(partial, line.slice(partial.length + 2));
  const s = await summarizeHdf5(partial);
  assert.deepEqual(s.beam, { error: line });
});
