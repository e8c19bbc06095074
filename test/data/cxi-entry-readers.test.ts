/**
 * Every reader of a CXI file reads the entry reconstruction.cxiEntry (--cxi-entry) names, and refuses a file of several
 * entries with none named in the measured data's words (cxi.ts chooseCxiEntry): the measured data, a probe file
 * (--init-probe file:), an object file's CXI image (--init-object file:) and plain `inspect`'s estimate of the beam.
 * A probe file and plain `inspect` used to read entry_1 whatever was named, and a file of several entries without
 * saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCxi } from '../../src/data/cxi.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { readObjectFile } from '../../src/data/object-file.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { fixtureEntries, writeHdf5, type Entry } from './cxi-builder.js';
import { tempDir } from '../tmp.js';

const root = tempDir('cxi-entry-readers');
const several = (file: string): string => `${file}: key 'entry_1': expected one CXI entry, or reconstruction.cxiEntry (--cxi-entry entry_N) naming the one to read; ` +
  'found 2 entries: entry_1, entry_2 (each may hold another measurement)';

/** scan.cxi's measurement as entry_1 and, as entry_2, the same with twice the counts and the probe times 3 (`drop`: keys left out of entry_2). */
async function twoEntries(name: string, drop: string[] = []): Promise<string> {
  const entries = await fixtureEntries();
  const second: Record<string, Entry> = {};
  for (const [k, v] of Object.entries(entries)) {
    const key = k.replace(/^entry_1\//, 'entry_2/');
    if (drop.includes(key)) continue;
    if (k === 'entry_1/data_1/data') second[key] = { ...v, data: (v.data as Uint32Array).map((c) => 2 * c) };
    else if (v.data instanceof Map) second[key] = { ...v, data: new Map([...(v.data as Map<string, Float32Array>)].map(([part, a]) => [part, a.map((x) => 3 * x)])) };
    else second[key] = v;
  }
  const file = join(root, name);
  writeHdf5(file, { ...entries, ...second });
  return file;
}

test('a CXI probe file: read at the named entry, refused with several and none named, in the data reader\'s line', async () => {
  const both = await twoEntries('probe-two.cxi');
  const data = await readCxi(both, { frames: { cxiEntry: 'entry_2' } });
  const [H, W] = [data.H, data.W];
  const p2 = await readProbeFile(both, H, W, { cxiEntry: 'entry_2' });
  assert.equal(p2.source, `${both}: entry_2/instrument_1/source_1/illumination`);
  assert.deepEqual(p2.data, data.probe!.data);
  const p1 = await readProbeFile(both, H, W, { cxiEntry: 'entry_1' });
  assert.ok(Math.abs(p2.data[0]! - 3 * p1.data[0]!) < 1e-6 * Math.abs(p2.data[0]!));
  await assert.rejects(readCxi(both), (err: Error) => { assert.equal(err.message, several(both)); return true; });
  await assert.rejects(readProbeFile(both, H, W), (err: Error) => { assert.equal(err.message, several(both)); return true; });
  await assert.rejects(readProbeFile(both, H, W, { cxiEntry: 'entry_3' }), (err: Error) => {
    assert.equal(err.message, `${both}: key 'entry_3': expected the CXI entry reconstruction.cxiEntry (--cxi-entry) names, a group; found it missing (the file holds 2 entries: entry_1, entry_2)`);
    return true;
  });
  // inspect --check with --init-probe: the probe of the named entry
  const check = ptychostudy(['inspect', '--check', '--cxi-entry', 'entry_2', '--init-probe', `file:${both}`, both]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.ok(check.stdout.includes(`  probe: file:${both}: entry_2/instrument_1/source_1/illumination (reconstruction.initProbe)`), check.stdout);
});

test('a probe or object file of one entry (an earlier reconstruction\'s, beside data of several): read at that entry whatever entry of the data is named', async () => {
  const entries = await fixtureEntries();
  const data = await readCxi(await twoEntries('data-two.cxi'), { frames: { cxiEntry: 'entry_2' } });
  const one = join(root, 'probe-one.cxi');
  writeHdf5(one, entries);
  const p = await readProbeFile(one, data.H, data.W, { cxiEntry: 'entry_2' });
  assert.equal(p.source, `${one}: entry_1/instrument_1/source_1/illumination`);
  assert.deepEqual(p.data, (await readProbeFile(one, data.H, data.W)).data);
  const [H, W] = [6, 5];
  const object = join(root, 'object-one.cxi');
  writeHdf5(object, { 'entry_1/image_1/data': { data: new Map([['r', new Float32Array(H * W).fill(4)], ['i', new Float32Array(H * W)]]), shape: [H, W] } });
  const o = await readObjectFile(object, H, W, { cxiEntry: 'entry_3' });
  assert.equal(o.key, 'entry_1/image_1/data');
  assert.equal(o.data[0], 4);
});

test('a data file whose named entry holds no probe: the refusal names that entry\'s key (it named entry_1\'s)', async () => {
  const noProbe = await twoEntries('no-probe-2.cxi', ['entry_2/instrument_1/source_1/illumination']);
  assertRefused(ptychostudy(['lsqml', '--input', noProbe, '--out', join(root, 'no-probe-out'), '--cxi-entry', 'entry_2']), 'lsqml',
    new RegExp(`^ptychostudy lsqml: ${noProbe.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: key 'entry_2/instrument_1/source_1/illumination': expected the probe .* found it missing \\(also looked at entry_2/instrument_1/source_1/probe\\)`));
});

test('a CXI object file (a CXI image): read at the named entry, refused with several and none named', async () => {
  const [H, W] = [6, 5];
  const image = (v: number): Entry => ({ data: new Map([['r', new Float32Array(H * W).fill(v)], ['i', new Float32Array(H * W)]]), shape: [H, W] });
  const file = join(root, 'object-two.cxi');
  writeHdf5(file, { 'entry_1/image_1/data': image(1), 'entry_2/image_1/data': image(2) });
  const o2 = await readObjectFile(file, H, W, { cxiEntry: 'entry_2' });
  assert.equal(o2.key, 'entry_2/image_1/data');
  assert.equal(o2.data[0], 2);
  assert.equal((await readObjectFile(file, H, W, { cxiEntry: 'entry_1' })).data[0], 1);
  await assert.rejects(readObjectFile(file, H, W), (err: Error) => { assert.equal(err.message, several(file)); return true; });
});

test('plain inspect (no --check): the beam of the named entry; of a file of several entries and none named, not estimated, saying why', async () => {
  const both = await twoEntries('inspect-two.cxi');
  const plain = ptychostudy(['inspect', both]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.ok(plain.stdout.includes(`direct beam: not estimated (${several(both)})`), plain.stdout);
  const named = ptychostudy(['inspect', '--cxi-entry', 'entry_2', both]);
  assert.equal(named.status, 0, named.stderr);
  assert.doesNotMatch(named.stdout, /not estimated/);
  assert.match(named.stdout, /direct beam/);
  const json = ptychostudy(['inspect', '--json', '--cxi-entry', 'entry_2', both]);
  assert.equal(json.status, 0, json.stderr);
  const [s] = JSON.parse(json.stdout) as [{ beam: { centre_yx?: number[]; error?: string } }];
  assert.ok(s.beam.centre_yx, JSON.stringify(s.beam));
  // the crop and binning still need --check; an NPZ has no entry to name
  const bin = ptychostudy(['inspect', '--bin-size', '2', both]);
  assert.equal(bin.status, 2);
  assert.match(bin.stderr, /--bin-size: expected with --check/);
  const npz = ptychostudy(['inspect', '--cxi-entry', 'entry_2', 'test/fixtures/numpy/phase_c_dataset.npz']);
  assert.equal(npz.status, 2);
  assert.match(npz.stderr, /reconstruction\.cxiEntry \(--cxi-entry\) entry_2: expected a CXI file, whose entries it names; found a dataset NPZ: leave the setting out/);
  // nor does an HDF5 file that holds no measurement: a PtyPy reconstruction, a ptychodus product (the setting was ignored)
  for (const [file, what] of [['probe-file-ptyr-enum.ptyr', 'a PtyPy reconstruction (.ptyr)'], ['probe-file-product-float16.h5', 'a ptychodus product']]) {
    const path = join('test/fixtures/hdf5-types', file);
    const r = ptychostudy(['inspect', '--cxi-entry', 'entry_2', path]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, `ptychostudy inspect: ${path}: reconstruction.cxiEntry (--cxi-entry) entry_2: expected a CXI file, whose entries it names; found ${what}: leave the setting out\n`);
  }
});
