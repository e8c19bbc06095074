/**
 * Optional values of PtyPy and ptychodus files that are present but malformed are refused — naming the
 * file, the key, what was expected and what was found — never taken for absent ones (which skipped the
 * check they feed): .ptyd `meta/center`, a ptychodus product's pixel_height_m / pixel_width_m, a .ptyr's
 * `_psize` (NaN passed the 1 % pixel-size comparison, NaN/x − 1 > 0.01 being false).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/errors.js';
import { readInputData } from '../../src/data/input.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { saveNpz } from '../../src/npy/npz.js';
import { c64 } from '../../src/npy/types.js';
import { metadataArray } from '../../src/data/metadata.js';
import { saveDataset } from '../../src/data/dataset.js';
import { geometryRecord, measuredToDataset, probeGuessOf } from '../../src/data/measured.js';
import { fixtureMeasurement } from './cxi-builder.js';
import { rewriteHdf5, type Rewrite } from './hdf5-rewrite.js';
import { assertRefused, ptychostudy } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-optional-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const fx = (f: string): string => fileURLToPath(new URL(`../../../test/fixtures/cxi/${f}`, import.meta.url));
let count = 0;
function variant(src: string, ext: string, change: Rewrite): string {
  const p = join(root, `v${++count}.${ext}`);
  rewriteHdf5(fx(src), p, change);
  return p;
}

async function refused(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

test('.ptyd meta/center: three numbers, a string, a group or NaN are refused; None or absent is no centre', async () => {
  const want = "key 'meta/center': expected the direct beam [y, x] in pixels: 2 numbers (or None); found";
  const three = variant('scan.ptyd', 'ptyd', { datasets: { 'meta/center': { data: new Float64Array([100, 100, 0]) } } });
  await refused(readInputData(three), `${three}: ${want} shape [3]`);
  const text = variant('scan.ptyd', 'ptyd', { datasets: { 'meta/center': { data: '100,100' } } });
  await refused(readInputData(text), `${text}: ${want} dtype str`);
  const group = variant('scan.ptyd', 'ptyd', { drop: ['meta/center'], groups: ['meta/center'] });
  await refused(readInputData(group), `${group}: ${want} a group`);
  const nan = variant('scan.ptyd', 'ptyd', { datasets: { 'meta/center': { data: new Float64Array([NaN, 16]) } } });
  // a centre that is not finite is named as such (it was refused as one far from the pattern centre, and with a crop given only warned of)
  await refused(readInputData(nan), `${nan}: key 'meta/center': expected the direct beam [y, x] in pixels: 2 finite numbers (or None); found [NaN, 16]`);
  await refused(readInputData(nan, { frames: { crop: { center: [16, 16], size: 16 } } }), `${nan}: key 'meta/center': expected the direct beam [y, x] in pixels: 2 finite numbers (or None); found [NaN, 16]`);
  // PtyPy's None, and no centre at all, read as before
  const none = variant('scan.ptyd', 'ptyd', { datasets: { 'meta/center': { data: new Float64Array([0]) } }, attrs: { 'meta/center': { type: 'None' } } });
  const absent = variant('scan.ptyd', 'ptyd', { drop: ['meta/center'] });
  for (const f of [none, absent]) assert.equal((await readInputData(f)).format, 'ptyd');
  // through the CLI: one line, nothing written (was exit 0)
  const out = join(root, 'o-center');
  assertRefused(ptychostudy(['lsqml', '--input', three, '--out', out, '--epochs', '2']), 'lsqml', `${three}: ${want} shape [3]`);
  assert.ok(!existsSync(out));
});

test('ptychodus product: a malformed or lone pixel_height_m / pixel_width_m is refused (was: the 1 % pixel check skipped)', async () => {
  const want = (name: string, other: string): string => `key 'probe': expected attribute ${name}: a number in m, > 0 and < 0.01 (with ${other}, or neither); found`;
  const mixed = variant('probe-product.h5', 'h5', { attrs: { probe: { pixel_height_m: new Float64Array([5e-6, 5e-6]), pixel_width_m: '5e-6' } } });
  await refused(readProbeFile(mixed, 32, 32), `${mixed}: ${want('pixel_height_m', 'pixel_width_m')} an array of 2 values [0.000005, 0.000005]`);
  const text = variant('probe-product.h5', 'h5', { attrs: { probe: { pixel_width_m: '5e-6' } } });
  await refused(readProbeFile(text, 32, 32), `${text}: ${want('pixel_width_m', 'pixel_height_m')} the string "5e-6"`);
  const lone = variant('probe-product.h5', 'h5', { attrs: { probe: { pixel_width_m: undefined } } });
  await refused(readProbeFile(lone, 32, 32), `${lone}: ${want('pixel_width_m', 'pixel_height_m')} pixel_height_m without pixel_width_m`);
  const nan = variant('probe-product.h5', 'h5', { attrs: { probe: { pixel_width_m: NaN } } });
  await refused(readProbeFile(nan, 32, 32), `${nan}: ${want('pixel_width_m', 'pixel_height_m')} NaN`);
  // neither: a probe without a pixel size, as before
  const neither = variant('probe-product.h5', 'h5', { attrs: { probe: { pixel_width_m: undefined, pixel_height_m: undefined } } });
  const p = await readProbeFile(neither, 32, 32);
  assert.equal(p.pixelM, undefined);
  assert.equal(p.modes, 2);
  const out = join(root, 'o-product');
  assertRefused(ptychostudy(['lsqml', '--input', fx('scan-noprobe.cxi'), '--out', out, '--epochs', '2', '--init-probe', `file:${mixed}`]), 'lsqml',
    `${mixed}: ${want('pixel_height_m', 'pixel_width_m')} an array of 2 values [0.000005, 0.000005]`);
  assert.ok(!existsSync(out));
});

test('.ptyr _psize: NaN, a group, three numbers or a string are refused (NaN used to pass the 1 % comparison)', async () => {
  const key = 'content/probe/Sscan00G00/_psize';
  const want = `key '${key}': expected the probe pixel size in m: a scalar or [y, x], > 0 and < 0.01; found`;
  const nan = variant('probe.ptyr', 'ptyr', { datasets: { [key]: { data: new Float64Array([NaN, NaN]) } } });
  await refused(readProbeFile(nan, 32, 32), `${nan}: ${want} [NaN, NaN] (is it in µm or mm?)`);
  const group = variant('probe.ptyr', 'ptyr', { drop: [key], groups: [key] });
  await refused(readProbeFile(group, 32, 32), `${group}: ${want} a group`);
  const three = variant('probe.ptyr', 'ptyr', { datasets: { [key]: { data: new Float64Array([1e-7, 1e-7, 1e-7]) } } });
  await refused(readProbeFile(three, 32, 32), `${three}: ${want} shape [3]`);
  const text = variant('probe.ptyr', 'ptyr', { datasets: { [key]: { data: '1.29e-7' } } });
  await refused(readProbeFile(text, 32, 32), `${text}: ${want} dtype str`);
  const negative = variant('probe.ptyr', 'ptyr', { datasets: { [key]: { data: new Float64Array([-1.29e-7]) } } });
  await refused(readProbeFile(negative, 32, 32), `${negative}: ${want} [-1.29e-7] (is it in µm or mm?)`);
  // absent: no pixel size; the fixture's own: read
  assert.equal((await readProbeFile(variant('probe.ptyr', 'ptyr', { drop: [key] }), 32, 32)).pixelM, undefined);
  assert.equal((await readProbeFile(fx('probe.ptyr'), 32, 32)).pixelM!.length, 2);
  const out = join(root, 'o-ptyr');
  assertRefused(ptychostudy(['lsqml', '--input', fx('scan-noprobe.cxi'), '--out', out, '--epochs', '2', '--init-probe', `file:${nan}`]), 'lsqml',
    `${nan}: ${want} [NaN, NaN] (is it in µm or mm?)`);
  assert.ok(!existsSync(out));
});

test('an NPZ probe states its pixel size in _metadata.geometry (a reconstruction of measured data): checked like a .ptyr\'s', async () => {
  const fixturePixel = (await readProbeFile(fx('probe.ptyr'), 32, 32)).pixelM!; // the fixture data's object pixel size
  const probe = c64([32, 32], new Float32Array(2 * 32 * 32).fill(0.5));
  const npz = (name: string, meta: Record<string, unknown> | undefined): string => {
    const p = join(root, name);
    saveNpz(p, { reconstructed_probe: probe, ...(meta === undefined ? {} : { _metadata: metadataArray(meta) }) });
    return p;
  };
  const key = "key '_metadata.geometry.object_pixel_size_m_yx': expected the object pixel size [y, x] in m, two numbers > 0 and < 0.01; found";
  const same = npz('same.npz', { geometry: { object_pixel_size_m_yx: fixturePixel } });
  assert.deepEqual((await readProbeFile(same, 32, 32)).pixelM, fixturePixel);
  const other = npz('other.npz', { geometry: { object_pixel_size_m_yx: [fixturePixel[0] * 1.5, fixturePixel[1] * 1.5] } });
  assert.deepEqual((await readProbeFile(other, 32, 32)).pixelM, [fixturePixel[0] * 1.5, fixturePixel[1] * 1.5]);
  const text = npz('text.npz', { geometry: { object_pixel_size_m_yx: '1e-7' } });
  await refused(readProbeFile(text, 32, 32), `${text}: ${key} "1e-7"`);
  const three = npz('three.npz', { geometry: { object_pixel_size_m_yx: [1e-7, 1e-7, 1e-7] } });
  await refused(readProbeFile(three, 32, 32), `${three}: ${key} [1e-7,1e-7,1e-7]`);
  // No geometry, or no pixel size in it: no pixel size, as before.
  assert.equal((await readProbeFile(npz('none.npz', undefined), 32, 32)).pixelM, undefined);
  assert.equal((await readProbeFile(npz('nopixel.npz', { geometry: { wavelength_m: 1e-10 } }), 32, 32)).pixelM, undefined);
  // Through lsqml: a probe reconstructed at another pixel size is refused, the same one is used.
  const out = join(root, 'o-npz');
  assertRefused(ptychostudy(['lsqml', '--input', fx('scan-noprobe.cxi'), '--out', out, '--epochs', '2', '--init-probe', `file:${other}`]), 'lsqml',
    `file:${other}: reconstructed_probe: expected a probe sampled at the data's object pixel size [${fixturePixel.join(', ')}] m (within 1 %); ` +
    `found [${fixturePixel[0] * 1.5}, ${fixturePixel[1] * 1.5}] m (probes are not resampled)`);
  assert.ok(!existsSync(out));
  const r = ptychostudy(['lsqml', '--input', fx('scan-noprobe.cxi'), '--out', join(root, 'o-npz-same'), '--epochs', '2', '--init-probe', `file:${same}`]);
  assert.equal(r.status, 0, r.stderr);
});

test('a dataset NPZ\'s _metadata.geometry: a malformed pixel size or wavelength is refused (was: the probe file\'s pixel check skipped)', async () => {
  const m = await fixtureMeasurement();
  const ds = measuredToDataset(m, probeGuessOf(m.probe!));
  const write = (name: string, geometry: unknown): string => {
    const p = join(root, name);
    saveDataset(p, { ...ds, metadata: { ...ds.metadata, geometry } });
    return p;
  };
  const good = geometryRecord(m);
  const other = join(root, 'probe-other.npz');
  saveNpz(other, { reconstructed_probe: c64([32, 32], new Float32Array(2 * 32 * 32).fill(0.5)),
    _metadata: metadataArray({ geometry: { object_pixel_size_m_yx: [m.geometry.objectPixelM[0] * 2, m.geometry.objectPixelM[1] * 2] } }) });
  const run = (input: string, name: string) => ptychostudy(['lsqml', '--input', input, '--out', join(root, name), '--epochs', '2', '--init-probe', `file:${other}`]);
  // Well formed: the probe at twice the pixel size is refused.
  assert.match(run(write('good.npz', good), 'o-good').stderr, /expected a probe sampled at the data's object pixel size/);
  const text = write('text.npz', { ...good, object_pixel_size_m_yx: String(m.geometry.objectPixelM[0]) });
  assertRefused(run(text, 'o-text'), 'lsqml', `${text}: key '_metadata.geometry.object_pixel_size_m_yx': expected the object pixel size [y, x] in m, two numbers > 0; found "${m.geometry.objectPixelM[0]}"`);
  assert.ok(!existsSync(join(root, 'o-text')));
  const wl = write('wl.npz', { ...good, wavelength_m: -1 });
  assertRefused(run(wl, 'o-wl'), 'lsqml', `${wl}: key '_metadata.geometry.wavelength_m': expected the wavelength in m, a number > 0; found -1`);
  const notObject = write('geom.npz', 'SI');
  assertRefused(run(notObject, 'o-geom'), 'lsqml', `${notObject}: key '_metadata.geometry': expected an object (wavelength_m, object_pixel_size_m_yx, …); found "SI"`);
});

test('a probe file whose probe is zero everywhere is refused naming that file and key (was: the data file, "the initial probe is zero everywhere")', async () => {
  const npz = join(root, 'zero-probe.npz');
  saveNpz(npz, { reconstructed_probe: c64([32, 32], new Float32Array(2 * 32 * 32)) });
  await refused(readProbeFile(npz, 32, 32), `${npz}: key 'reconstructed_probe': expected a complex probe [32, 32] or [M, 32, 32], not zero everywhere; found all 1024 values zero`);
  const ptyr = variant('probe.ptyr', 'ptyr', { datasets: { 'content/probe/Sscan00G00/data': { data: new Map([['r', new Float32Array(1024)], ['i', new Float32Array(1024)]]), shape: [1, 32, 32] } } });
  await assert.rejects(readProbeFile(ptyr, 32, 32), (err: unknown) => err instanceof InputError &&
    /^\S+\.ptyr: key 'content\/probe\/Sscan00G00\/data': expected a complex probe .*, not zero everywhere; found all 1024 values zero$/.test(err.message));
});
