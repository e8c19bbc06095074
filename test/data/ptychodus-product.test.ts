/**
 * The round trip with ptychodus: `export` writes a reconstruction as a ptychodus product file, checked against
 * what ptychodus's own reader read from an export of the same reconstruction (test/fixtures/ptychodus/
 * read-by-ptychodus.json, made by scripts/ptychodus-read-product.py); `--init-probe file:` and `--init-object file:`
 * read the export back exactly; an object from a product, a PtyPy .ptyr or a CXI image is read with its
 * geometry checked against the data's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { exportPtychodusProduct } from '../../src/study/export/ptychodus.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { readObjectFile } from '../../src/data/object-file.js';
import { readCxi } from '../../src/data/cxi.js';
import { withHdf5 } from '../../src/data/hdf5/reader.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { metadataArray, readMetadata } from '../../src/data/metadata.js';
import { c64, f64 } from '../../src/npy/types.js';
import { assertRefused, cli, ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const FX = 'test/fixtures/ptychodus';
const npzPath = join(FX, 'reconstruction.npz');
const read = JSON.parse(readFileSync(join(FX, 'read-by-ptychodus.json'), 'utf8')) as {
  metadata: Record<string, unknown>;
  probe: { shape: number[]; dtype: string; sum_abs2: number; sum_abs2_per_mode: number[]; pixel_width_m: number; pixel_height_m: number };
  object: { shape: number[]; dtype: string; layers: number; layer_spacing_m: number[]; sum_abs: number; pixel_width_m: number; pixel_height_m: number; center_x_m: number; center_y_m: number };
  positions: { count: number; index: number[]; x_m: number[]; y_m: number[]; object_x_px: number[]; object_y_px: number[] };
  losses: { epoch: number[]; value: number[] };
};
const root = tempDir('ptychodus');
const npz = loadNpz(npzPath);
const object = npz.reconstructed_object!, probe = npz.reconstructed_probe!, positions = npz.positions!.data as Float64Array;
const [H, W] = object.shape as [number, number];
const N = probe.shape[1]!;
const measured = await readCxi('test/fixtures/cxi/scan.cxi');
const frame = { pixelM: measured.geometry.objectPixelM, originM: measured.originM };
const exported = join(root, 'scan.h5');
await exportPtychodusProduct({ input: npzPath, out: exported });

const close = (a: number, b: number, rel: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('ptychodus\'s reader read from an export what the export of the same reconstruction holds', async () => {
  await withHdf5(exported, (r) => {
    const p = r.readComplex('probe', 'probe', 1e6), o = r.readComplex('object', 'object', 1e6);
    // ptychodus holds a probe [OPR, M, N, N] and an object [L, H, W]
    assert.deepEqual(read.probe.shape, [1, ...p.shape]);
    assert.deepEqual(read.object.shape, o.shape);
    assert.deepEqual(o.shape, [1, H, W]);
    assert.equal(read.probe.dtype, 'complex64');
    assert.equal(read.object.dtype, 'complex64');
    assert.equal(r.info('probe').dtype, '<c8');
    let s2 = 0; const perMode = [0, 0];
    for (let i = 0; i < p.data.length; i += 2) { const v = p.data[i]! ** 2 + p.data[i + 1]! ** 2; s2 += v; perMode[Math.floor(i / (2 * N * N))]! += v; }
    let s1 = 0;
    for (let i = 0; i < o.data.length; i += 2) s1 += Math.hypot(o.data[i]!, o.data[i + 1]!);
    close(s2, read.probe.sum_abs2, 1e-9, 'sum |probe|²');
    perMode.forEach((v, m) => close(v, read.probe.sum_abs2_per_mode[m]!, 1e-9, `sum |probe mode ${m}|²`));
    close(s1, read.object.sum_abs, 1e-9, 'sum |object|');
    const x = r.readFloat64('probe_position_x_m', 'x', 1e6).data, y = r.readFloat64('probe_position_y_m', 'y', 1e6).data;
    assert.deepEqual(Array.from(x), read.positions.x_m);
    assert.deepEqual(Array.from(y), read.positions.y_m);
    assert.deepEqual(r.attr('object', 'center_x_m'), read.object.center_x_m);
    assert.deepEqual(r.attr('object', 'center_y_m'), read.object.center_y_m);
    assert.deepEqual(Array.from(r.readFloat64('loss_values', 'loss', 1e6).data), read.losses.value);
    assert.equal(r.attr('/', 'probe_energy_eV'), read.metadata.probe_energy_eV);
    assert.equal(r.attr('/', 'detector_object_distance_m'), read.metadata.detector_distance_m);
    assert.equal(r.attr('/', 'comments'), read.metadata.comments);
  });
  // the pixel sizes and positions are the data's own: the CXI file's translations, in metres, and its object pixel
  const pixel = measured.geometry.objectPixelM;
  for (const v of [read.probe.pixel_height_m, read.object.pixel_height_m]) assert.equal(v, pixel[0]);
  for (const v of [read.probe.pixel_width_m, read.object.pixel_width_m]) assert.equal(v, pixel[1]);
  assert.equal(read.positions.count, measured.n);
  assert.equal(read.metadata.probe_energy_eV, measured.geometry.energyEv);
  for (let i = 0; i < measured.n; i++) {
    close(read.positions.x_m[i]!, measured.positionsM.x[i]!, 1e-12, `x of position ${i}`);
    close(read.positions.y_m[i]!, measured.positionsM.y[i]!, 1e-12, `y of position ${i}`);
    // ptychodus maps every position onto the object pixel its reconstruction used
    assert.ok(Math.abs(read.positions.object_x_px[i]! - positions[2 * i + 1]!) < 1e-9, `x px of ${i}`);
    assert.ok(Math.abs(read.positions.object_y_px[i]! - positions[2 * i]!) < 1e-9, `y px of ${i}`);
  }
  assert.deepEqual(read.losses.value, Array.from(npz.loss_history!.data as Float64Array));
  assert.deepEqual(read.object.layer_spacing_m, []);
});

test('--init-probe file: and --init-object file: read the exported product back exactly', async () => {
  const p = await readProbeFile(exported, N, N);
  assert.equal(p.modes, probe.shape[0]);
  assert.deepEqual(p.pixelM, measured.geometry.objectPixelM);
  assert.deepEqual(Array.from(p.data), Array.from(probe.data as Float32Array));
  const o = await readObjectFile(exported, H, W, frame);
  assert.equal(o.key, 'object');
  assert.deepEqual(Array.from(o.data), Array.from(object.data as Float32Array));
  // and lsqml continues from it, the file recorded by name, key, size and SHA-256
  const out = join(root, 'continued');
  const r = ptychostudy(['lsqml', '--input', 'test/fixtures/cxi/scan.cxi', '--out', out, '--epochs', '2', '--batch-size', '20', '--modes', '2',
    '--init-object', `file:${exported}`, '--init-probe', `file:${exported}`]);
  assert.equal(r.status, 0, r.stderr);
  const m = (readMetadata(loadNpz(join(out, 'reconstruction.npz'))._metadata!) as { value: Record<string, unknown> }).value;
  const bytes = readFileSync(exported);
  assert.deepEqual(m.init_object_file, { file: 'scan.h5', key: 'object', size_bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
});

test('export refuses an existing file without --force, a broken reconstruction, and synthetic data without --pixel-size; nothing is left behind', async () => {
  const before = readFileSync(exported);
  await assert.rejects(exportPtychodusProduct({ input: FX, out: exported }), /`out` .*scan\.h5: exists; expected a new file name \(or `force` to replace it\)$/);
  assert.deepEqual(readFileSync(exported), before);
  const forced = await exportPtychodusProduct({ input: FX, out: exported, force: true });
  await assert.rejects(exportPtychodusProduct({ input: FX, out: npzPath, force: true }), /`out` .*reconstruction\.npz: is the reconstruction it exports; expected another file \(\.h5\)$/);
  assert.equal(forced.positions, 40);

  const synth = join(root, 'synth');
  mkdirSync(synth);
  saveNpz(join(synth, 'reconstruction.npz'), {
    reconstructed_object: c64([8, 10], new Float32Array(160).fill(1)),
    reconstructed_probe: c64([1, 4, 4], new Float32Array(32).fill(1)),
    positions: f64([2, 2], new Float64Array([4, 4, 4, 6])),
    loss_history: f64([2], new Float64Array([2, 1])),
  });
  const out = join(synth, 'synth.h5');
  await assert.rejects(exportPtychodusProduct({ input: synth, out }), /reconstruction\.npz: states no object pixel size .*give it with `pixelSizeM`$/);
  const r = await exportPtychodusProduct({ input: synth, out, pixelSizeM: 1e-8 });
  assert.deepEqual(r.pixelM, [1e-8, 1e-8]);
  await withHdf5(out, (h) => {
    assert.equal(h.attr('object', 'center_x_m'), 1e-8 * 10 / 2);
    assert.deepEqual(Array.from(h.readFloat64('probe_position_x_m', 'x', 2).data), [4 * 1e-8, 6 * 1e-8]);
    assert.equal(h.attr('/', 'probe_energy_eV'), 0);
  });

  const broken = join(root, 'broken');
  mkdirSync(broken);
  saveNpz(join(broken, 'reconstruction.npz'), { reconstructed_object: c64([8, 10], new Float32Array(160).fill(1)) });
  await assert.rejects(exportPtychodusProduct({ input: broken, out: join(broken, 'b.h5'), pixelSizeM: 1e-8 }),
    /broken\/reconstruction\.npz: key 'reconstructed_probe': expected complex probe modes \[M, N, N\] \(a ptychostudy reconstruction\.npz\); found it missing$/);
  assert.deepEqual(readdirSync(broken), ['reconstruction.npz'], 'nothing written, no temporary file left');
  assert.deepEqual(readdirSync(synth).sort(), ['reconstruction.npz', 'synth.h5']);
});

test('export --force keeps the file it replaces with other bytes in history/replaced-<time>/ beside it; the same bytes are not kept twice', async () => {
  const dir = join(root, 'force-keeps');
  mkdirSync(dir);
  const out = join(dir, 'scan.h5');
  writeFileSync(out, 'an earlier export');
  await exportPtychodusProduct({ input: FX, out, force: true });
  const kept = readdirSync(join(dir, 'history'));
  assert.equal(kept.length, 1);
  assert.match(kept[0]!, /^replaced-\d{8}T\d{6}Z$/);
  assert.equal(readFileSync(join(dir, 'history', kept[0]!, 'scan.h5'), 'utf8'), 'an earlier export');
  const now = readFileSync(out);
  await exportPtychodusProduct({ input: FX, out, force: true }); // the same reconstruction: the same bytes
  assert.deepEqual(readdirSync(join(dir, 'history')), kept);
  assert.deepEqual(readFileSync(out), now);
  assert.deepEqual(readdirSync(dir).sort(), ['history', 'scan.h5'], 'no temporary file left');
});

test('ptychostudy export: the summary line, and exit 2 with one line for an existing --out', () => {
  const out = join(root, 'cli.h5');
  const r = ptychostudy(['export', '--input', FX, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^export: .*cli\.h5 \(ptychodus product: object \[73, 58\], 2 probe modes, 40 positions, pixel \[1\.29150e-7, 1\.29150e-7\] m from _metadata\.geometry\.object_pixel_size_m_yx\)\n$/);
  const size = statSync(out).size;
  assertRefused(ptychostudy(['export', '--input', FX, '--out', out]), 'export', /^ptychostudy export: --out .*cli\.h5: exists; expected a new file name \(or --force to replace it\)$/);
  assert.equal(statSync(out).size, size);
  assert.ok(existsSync(out));
});

test('one reconstruction exported at other times, in this process and by the command, gives the same bytes', async (t) => {
  // HDF5 records times in every object header: the clock a year on, and the command's own run a moment ago
  const now = Date.now();
  t.mock.method(Date, 'now', () => now + 365.25 * 86400e3);
  const later = join(root, 'a-year-later.h5');
  await exportPtychodusProduct({ input: npzPath, out: later });
  t.mock.restoreAll();
  assert.ok(readFileSync(later).equals(readFileSync(exported)), 'the export a year later');
  assert.ok(readFileSync(join(root, 'cli.h5')).equals(readFileSync(exported)), 'the export by `ptychostudy export`');
});

test('the same reconstruction in a folder of the same name elsewhere gives the same bytes; in a folder of another name, its name', async () => {
  // the product's `name` is the reconstruction's folder name (here the fixture's: ptychodus), nothing else of where it is
  const moved = join(root, 'elsewhere', 'deeper', 'ptychodus');
  const renamed = join(root, 'renamed-run');
  for (const d of [moved, renamed]) { mkdirSync(d, { recursive: true }); copyFileSync(npzPath, join(d, 'reconstruction.npz')); }
  await exportPtychodusProduct({ input: moved, out: join(root, 'moved.h5') });
  assert.ok(readFileSync(join(root, 'moved.h5')).equals(readFileSync(exported)), 'the same folder name elsewhere');
  await exportPtychodusProduct({ input: join(renamed, 'reconstruction.npz'), out: join(root, 'renamed.h5') });
  const other = readFileSync(join(root, 'renamed.h5'));
  assert.ok(!other.equals(readFileSync(exported)));
  assert.ok(other.includes('renamed-run'), 'the product is named after its folder');
});

test('export without --force on a file system without hard links: the file is put in place all the same, an existing one still refused', async (t) => {
  // link() fails with EPERM on FAT and exFAT, with EOPNOTSUPP on some FUSE and SMB mounts
  const dir = join(root, 'no-hard-links');
  mkdirSync(dir);
  const link = t.mock.method(fs, 'linkSync', () => { throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }); });
  syncBuiltinESMExports();
  try {
    const out = join(dir, 'scan.h5');
    await exportPtychodusProduct({ input: npzPath, out });
    assert.equal(link.mock.callCount(), 1, 'the export tried a hard link first');
    assert.ok(readFileSync(out).equals(readFileSync(exported)));
    await assert.rejects(exportPtychodusProduct({ input: npzPath, out }), /`out` .*scan\.h5: exists; expected a new file name \(or `force` to replace it\)$/);
    assert.deepEqual(readdirSync(dir), ['scan.h5'], 'no temporary file left');
  } finally {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  }
});

test('export --force refuses to replace the reconstruction it reads when --out names it by another path (a symlinked folder, a hard link)', async () => {
  const dir = join(root, 'same-file');
  mkdirSync(join(dir, 'real'), { recursive: true });
  const rec = join(dir, 'real', 'reconstruction.npz');
  copyFileSync(npzPath, rec);
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  linkSync(rec, join(dir, 'hard.npz'));
  const before = readFileSync(rec);
  await assert.rejects(exportPtychodusProduct({ input: join(dir, 'link'), out: rec, force: true }),
    /`out` .*real\/reconstruction\.npz: is the reconstruction it exports; expected another file \(\.h5\)$/);
  await assert.rejects(exportPtychodusProduct({ input: rec, out: join(dir, 'hard.npz'), force: true }),
    /`out` .*hard\.npz: is the reconstruction it exports; expected another file \(\.h5\)$/);
  assert.deepEqual(readFileSync(rec), before);
  assert.deepEqual(readdirSync(join(dir, 'real')), ['reconstruction.npz']);
  // a hard link of another file: --force replaces that name only, the other keeps its bytes
  const other = join(dir, 'other.h5');
  writeFileSync(other, 'an earlier file');
  linkSync(other, join(dir, 'linked.h5'));
  await exportPtychodusProduct({ input: rec, out: join(dir, 'linked.h5'), force: true });
  assert.equal(readFileSync(other, 'utf8'), 'an earlier file');
  await withHdf5(join(dir, 'linked.h5'), (h) => assert.deepEqual(h.info('object').shape, [1, H, W]));
});

test('ptychostudy export into a folder that cannot be written: exit 2, one line naming --out and the reason, nothing left', () => {
  // /proc takes no new files, whoever asks (root included)
  const out = `/proc/ptychostudy-export-${process.pid}.h5`;
  assertRefused(ptychostudy(['export', '--input', FX, '--out', out]), 'export',
    new RegExp(`^ptychostudy export: ${out.replace(/[.]/g, '\\.')}: cannot be written in its folder \\((ENOENT|EACCES)[^)]*\\)$`));
  assert.ok(!readdirSync('/proc').some((n) => n.includes('ptychostudy-export')));
});

test('ptychostudy export stopped by Ctrl-C while its file is being written leaves no temporary file: the file is whole or not there', async () => {
  // an object large enough that writing it takes a while (16 MiB as HDF5): the signal comes as the temporary file appears
  const dir = join(root, 'interrupted');
  mkdirSync(dir);
  const big = 1024;
  saveNpz(join(dir, 'reconstruction.npz'), {
    reconstructed_object: c64([big, big], new Float32Array(2 * big * big).fill(1)),
    reconstructed_probe: c64([1, 4, 4], new Float32Array(32).fill(1)),
    positions: f64([2, 2], new Float64Array([4, 4, 4, 6])),
    loss_history: f64([1], new Float64Array([1])),
  }, { compress: false });
  const out = join(dir, 'big.h5');
  const child = spawn(process.execPath, [cli, 'export', '--input', dir, '--out', out, '--pixel-size', '1e-8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  let sent = false;
  const watcher = watch(dir, (_event, name) => { if (!sent && String(name).startsWith('.tmp-')) { sent = true; child.kill('SIGINT'); } });
  const [code] = await once(child, 'exit') as [number | null, string | null];
  watcher.close();
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp-')), [], `a temporary file left (exit ${code}): ${stderr}`);
  if (code === 0) await withHdf5(out, (h) => assert.deepEqual(h.info('object').shape, [1, big, big]));
  else {
    assert.equal(code, 130, stderr);
    assert.equal(stderr, 'ptychostudy export: interrupted; nothing written\n');
    assert.ok(!existsSync(out));
  }
});

test('a reconstruction of a dataset NPZ that states its geometry is exported at its pixel size (--pixel-size refused, as for measured data)', async () => {
  const dir = join(root, 'npz-geometry');
  mkdirSync(dir);
  const dataset = loadNpz('test/fixtures/numpy/phase_c_dataset.npz');
  delete dataset._metadata;
  const input = join(dir, 'data.npz');
  saveNpz(input, { ...dataset, _metadata: metadataArray({ geometry: { object_pixel_size_m_yx: [2e-8, 3e-8], wavelength_m: 1e-10 } }) });
  const rec = join(dir, 'rec');
  const run = ptychostudy(['lsqml', '--input', input, '--out', rec, '--epochs', '2']);
  assert.equal(run.status, 0, run.stderr);
  await assert.rejects(exportPtychodusProduct({ input: rec, out: join(dir, 'wrong.h5'), pixelSizeM: 5e-6 }),
    /`pixelSizeM`: the reconstruction's data states its object pixel size, \[2e-8, 3e-8\] m \(_metadata\.geometry\.object_pixel_size_m_yx\); leave `pixelSizeM` out$/);
  const r = await exportPtychodusProduct({ input: rec, out: join(dir, 'rec.h5') });
  assert.deepEqual(r.pixelM, [2e-8, 3e-8]);
  assert.equal(r.pixelKey, '_metadata.geometry.object_pixel_size_m_yx');
  await withHdf5(join(dir, 'rec.h5'), (h) => {
    assert.equal(h.attr('object', 'pixel_height_m'), 2e-8);
    assert.equal(h.attr('object', 'pixel_width_m'), 3e-8);
  });
});

test('ptychostudy export of the measured data itself (a CXI file, not its reconstruction): one line saying to reconstruct it first, not "truncated"', () => {
  const out = join(root, 'data.h5');
  assertRefused(ptychostudy(['export', '--input', 'test/fixtures/cxi/scan.cxi', '--out', out]), 'export',
    /^ptychostudy export: test\/fixtures\/cxi\/scan\.cxi: expected a reconstruction \(an `lsqml --out` folder, a Phase F job folder or its reconstruction\.npz\); found an HDF5 file \(measured data or a ptychodus product\): reconstruct it first, `ptychostudy lsqml --input FILE --out DIR`, then export DIR$/);
  assert.equal(existsSync(out), false);
});

test('export refuses finite but absurd positions: 1e30 px, a scan wider than the object frame, an origin of 1e30 m; one line, nothing written', async () => {
  const dir = join(root, 'absurd');
  mkdirSync(dir);
  const rec = (name: string, pos: number[], geometry?: Record<string, unknown>): string => {
    const d = join(dir, name);
    mkdirSync(d);
    saveNpz(join(d, 'reconstruction.npz'), {
      reconstructed_object: c64([8, 10], new Float32Array(160).fill(1)),
      reconstructed_probe: c64([1, 4, 4], new Float32Array(32).fill(1)),
      positions: f64([pos.length / 2, 2], new Float64Array(pos)),
      loss_history: f64([2], new Float64Array([2, 1])),
      ...(geometry ? { _metadata: metadataArray({ geometry }) } : {}),
    });
    return d;
  };
  // the 4×4 patch must touch the 8×10 object: −2 ≤ y ≤ 10, −2 ≤ x ≤ 12
  const far = rec('far', [4, 4, 4, 1e30]);
  await assert.rejects(exportPtychodusProduct({ input: far, out: join(far, 'p.h5'), pixelSizeM: 1e-8 }),
    /far\/reconstruction\.npz: key 'positions': expected probe positions \(y, x\) in object pixels whose 4×4 patch touches the 8×10 reconstructed_object \(-2 ≤ x ≤ 12\); found x = 1e\+30 at index 1$/);
  const wide = rec('wide', [-3, 4, 4, 4, 11, 4]);
  await assert.rejects(exportPtychodusProduct({ input: wide, out: join(wide, 'p.h5'), pixelSizeM: 1e-8 }),
    /key 'positions': .*\(-2 ≤ y ≤ 10\); found y = -3 at index 0 \(2 values outside\)$/);
  const edge = rec('edge', [-2, -2, 10, 12]);
  assert.equal((await exportPtychodusProduct({ input: edge, out: join(edge, 'p.h5'), pixelSizeM: 1e-8 })).positions, 2, 'patches touching the edge are a scan');
  const origin = rec('origin', [4, 4, 4, 6], { object_pixel_size_m_yx: [1e-8, 1e-8], object_origin_m_yx: [1e30, 0] });
  await assert.rejects(exportPtychodusProduct({ input: origin, out: join(origin, 'p.h5') }),
    /origin\/reconstruction\.npz: key '_metadata\.geometry\.object_origin_m_yx': expected positions in metres that float64 holds to better than 1 object pixel; found origin \[1e\+30,0\] m, positions up to 1\.000e\+30 m, where float64 values are 1\.41e\+22 object pixels of 1\.000e-8 m apart$/);
  for (const d of [far, wide, origin]) assert.deepEqual(readdirSync(d), ['reconstruction.npz'], 'nothing written');
  assertRefused(ptychostudy(['export', '--input', far, '--out', join(far, 'p.h5'), '--pixel-size', '1e-8']), 'export',
    /^ptychostudy export: .*far\/reconstruction\.npz: key 'positions': expected .*; found x = 1e\+30 at index 1$/);
  assert.deepEqual(readdirSync(far), ['reconstruction.npz']);
});
