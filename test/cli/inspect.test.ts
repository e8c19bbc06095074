/** `ptychostudy inspect`, run as a child process: output, --json, --check, and bad files (exit 2, one line). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { encodeNpz, saveNpz } from '../../src/npy/npz.js';
import { encodeNpy } from '../../src/npy/npy.js';
import { metadataArray } from '../../src/data/metadata.js';
import type { NdArray } from '../../src/npy/types.js';
import type { Entry } from '../data/cxi-builder.js';
import { ptychostudyAsync, type Run } from '../data/cli-run.js';

const fixture = fileURLToPath(new URL('../../../test/fixtures/numpy/phase_c_dataset.npz', import.meta.url));
/** `ptychostudy inspect ARGS` in a child process, without blocking the event loop: the tests run two at a time. */
const inspect = (...args: string[]): Promise<Run> => ptychostudyAsync(['inspect', ...args]);

function dataset(n = 4, N = 8): Record<string, NdArray> {
  return {
    diffraction: { dtype: '<f4', shape: [n, N, N], data: Float32Array.from({ length: n * N * N }, (_, i) => (i % 10) / 10) },
    objectGuess: { dtype: '<c8', shape: [16, 16], data: new Float32Array(512).fill(0.6) },
    probeGuess: { dtype: '<c8', shape: [N, N], data: Float32Array.from({ length: 2 * N * N }, (_, i) => (i % 2 ? 4 : 3)) },
    xcoords: { dtype: '<f8', shape: [n], data: Float64Array.from({ length: n }, (_, i) => i) },
    ycoords: { dtype: '<f8', shape: [n], data: Float64Array.from({ length: n }, (_, i) => 2 * i) },
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
  try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Exit 2, stderr is exactly `lines` (one line per bad file), and no stack trace anywhere. */
function assertBad(r: Run, lines: string[]): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, lines.map((l) => `ptychostudy inspect: ${l}\n`).join(''));
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at /m);
}

// Each test reads fixtures and writes only into its own temporary folder: two tests at a time.
describe('ptychostudy inspect', { concurrency: 2 }, () => {
  test('a NumPy-written Phase C file: keys, dtypes, shapes, statistics and decoded _metadata', async () => {
    const r = await inspect(fixture);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ {2}diffraction +<f4 +\(3, 8, 8\) +0\.00225151 +0\.987556 +0\.527935 +0 +deflate/m);
    assert.match(r.stdout, /^ {2}objectGuess +<c8 +\(16, 16\) +\|z\| 0\.00327674 /m);
    assert.match(r.stdout, /^ {2}xcoords +<f8 +\(3,\) +4 +12 +8 +0 /m);
    assert.match(r.stdout, /^ {2}scan_index +<i8 +\(3,\) +0 +0 +0 +0 /m);
    assert.match(r.stdout, /^ {2}_metadata +\|O +\(\) /m);
    assert.match(r.stdout, /min\/max\/mean are of the modulus \|z\|/);
    assert.match(r.stdout, /^_metadata:\n {2}\{\n {4}"schema_version": "1\.0\.0",/m);
    assert.match(r.stdout, /"nphotons": 1000,/);
  });

  test('--json: the same as JSON, complex statistics of the modulus', async () => {
    await withDir(async (dir) => {
      const p = join(dir, 'd.npz');
      const a = dataset();
      (a.xcoords!.data as Float64Array)[1] = NaN;
      saveNpz(p, { ...a, _metadata: metadataArray({ dose: 1e4 }) });
      const r = await inspect('--json', p);
      assert.equal(r.status, 0, r.stderr);
      const [s] = JSON.parse(r.stdout) as Array<{ file: string; keys: Array<{ key: string; dtype: string; shape: number[]; stats?: Record<string, unknown> }>; metadata: unknown }>;
      assert.equal(s!.file, p);
      const byKey = Object.fromEntries(s!.keys.map((k) => [k.key, k]));
      assert.deepEqual(byKey.probeGuess!.stats, { of: 'modulus', count: 64, min: 5, max: 5, mean: 5, nan: 0 });
      assert.deepEqual(byKey.xcoords!.stats, { of: 'value', count: 3, min: 0, max: 3, mean: 5 / 3, nan: 1 });
      assert.deepEqual(byKey.diffraction!.shape, [4, 8, 8]);
      assert.equal(byKey._metadata!.dtype, '<U14');
      assert.deepEqual(s!.metadata, { status: 'ok', value: { dose: 10000 } });
    });
  });

  test('absent and broken _metadata are reported differently', async () => {
    await withDir(async (dir) => {
      saveNpz(join(dir, 'none.npz'), dataset());
      saveNpz(join(dir, 'broken.npz'), { ...dataset(), _metadata: { dtype: '<U4', shape: [], data: ['{bad'] } });
      const r = await inspect(join(dir, 'none.npz'), join(dir, 'broken.npz'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^_metadata: none$/m);
      assert.match(r.stdout, /^_metadata: present but unreadable: _metadata is not valid JSON: /m);
    });
  });

  test('--check: NaN in coordinates, wrong-length coordinates, complex diffraction → exit 2 with every violation', async () => {
    await withDir(async (dir) => {
      const a = dataset();
      (a.xcoords!.data as Float64Array)[2] = NaN;
      a.ycoords = { dtype: '<f8', shape: [3], data: new Float64Array(3) };
      const p1 = join(dir, 'coords.npz');
      saveNpz(p1, a);
      const b = dataset();
      b.diffraction = { dtype: '<c8', shape: [4, 8, 8], data: new Float32Array(512) };
      const p2 = join(dir, 'complex.npz');
      saveNpz(p2, b);
      const ok = join(dir, 'ok.npz');
      saveNpz(ok, dataset());
      const r = await inspect('--check', p1, p2, ok);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, '');
      assert.ok(r.stdout.includes([
        'DATA-001 check: 2 problems',
        `  ${p1}: key 'xcoords': expected finite coordinates; found 1 non-finite value (first: NaN at flat index 2)`,
        `  ${p1}: key 'ycoords': expected float (<f4 or <f8) 1-D array of length n = 4, finite; found length 3 (diffraction has n = 4)`,
      ].join('\n')), r.stdout);
      assert.ok(r.stdout.includes([
        'DATA-001 check: 1 problem',
        `  ${p2}: key 'diffraction': expected float amplitudes (<f4 or <f8); found complex dtype <c8 — diffraction must be float (amplitude), not complex`,
      ].join('\n')), r.stdout);
      assert.match(r.stdout, /DATA-001 check: valid dataset/);
      const j = await inspect('--check', '--json', p2);
      assert.equal(j.status, 2);
      assert.equal((JSON.parse(j.stdout) as Array<{ check: { valid: boolean } }>)[0]!.check.valid, false);
    });
  });

  test('--check: scan positions whose patch misses objectGuess fail the check, as `lsqml` refuses them', async () => {
    await withDir(async (dir) => {
      const a = dataset();
      (a.xcoords!.data as Float64Array)[3] = 500; // a 16×16 object: 500 is a unit or frame mistake
      const p = join(dir, 'far.npz');
      saveNpz(p, a);
      const r = await inspect('--check', p);
      assert.equal(r.status, 2, r.stdout);
      assert.ok(r.stdout.includes([
        'DATA-001 check: 1 problem',
        `  ${p}: key 'xcoords': expected scan positions whose 8×8 patch touches the 16×16 objectGuess (-4 ≤ x ≤ 20); found 500 at index 3`,
      ].join('\n')), r.stdout);
      // the same file, refused by a reconstruction with the same words
      const l = await ptychostudyAsync(['lsqml', '--input', p, '--out', join(dir, 'recon'), '--epochs', '2']);
      assert.equal(l.status, 2, l.stderr);
      assert.ok(l.stderr.includes(`${p}: key 'xcoords': expected scan positions whose 8×8 patch touches`), l.stderr);
    });
  });

  test('bad files: exit 2, one line each, no stack trace; good files are still reported', async () => {
    await withDir(async (dir) => {
      const f8 = (n: number): NdArray => ({ dtype: '<f8', shape: [n], data: new Float64Array(n) });
      const whole = Buffer.concat(encodeNpz({ a: f8(100) }, { compress: false }));
      const files: Record<string, Uint8Array> = {
        'truncated.npz': whole.subarray(0, 200),
        'traversal.npz': zipSync({ '../evil.npy': encodeNpy(f8(1)) }, { level: 0 }),
        'header.npz': zipSync({ 'x.npy': encodeNpy(f8(3)).subarray(0, 40) }, { level: 0 }),
        'pickle.npz': zipSync({ '_metadata.npy': (() => {
          const h = "{'descr': '|O', 'fortran_order': False, 'shape': (), }".padEnd(117) + '\n';
          return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]), Buffer.from(h, 'latin1'),
            Buffer.from('\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.', 'latin1')]);
        })() }, { level: 0 }),
        'text.npz': Buffer.from('not a zip file at all, just some text that is long enough'),
      };
      const bomb = Buffer.concat(encodeNpz({ z: { dtype: '|u1', shape: [1 << 20], data: new Uint8Array(1 << 20) } }));
      bomb.writeUInt32LE(1000, bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
      files['bomb.npz'] = bomb;
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      const p = (n: string): string => join(dir, n);
      const cases: Array<[string, string]> = [
        ['truncated.npz', `${p('truncated.npz')}: not a valid .npz (zip end-of-central-directory record not found; the file is truncated or not a zip archive)`],
        ['traversal.npz', `${p('traversal.npz')}: member name "../evil.npy" escapes the archive ('..'); refusing the archive`],
        ['header.npz', `${p('header.npz')}: key 'x': truncated .npy header (declares 118 header bytes, only 30 present)`],
        ['pickle.npz', `${p('pickle.npz')}: key '_metadata': object array pickle references the global os.system; only numpy's array reconstruction (numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed`],
        ['text.npz', `${p('text.npz')}: not a valid .npz (zip end-of-central-directory record not found; the file is truncated or not a zip archive)`],
        ['bomb.npz', `${p('bomb.npz')}: key 'z': member inflates beyond its declared size of 1000 bytes (zip bomb or corrupt archive)`],
        ['missing.npz', `${p('missing.npz')}: cannot open (no such file)`],
        ['.', `${p('.')}: not a regular file (a directory)`],
      ];
      // one run over every bad file and a good one: each bad file is one line, the good one is printed
      const r = await inspect(...cases.map(([name]) => p(name)), fixture);
      assertBad(r, cases.map(([, line]) => line));
      assert.match(r.stdout, /^.*phase_c_dataset\.npz {2}\(10 keys, \d+ bytes\)$/m);
      assert.equal(r.stdout.match(/ keys?, \d+ bytes\)$/gm)!.length, 1);
      // and one bad file alone
      assertBad(await inspect(p('bomb.npz')), [cases[5]![1]]);
    });
  });

  test('an HDF5 file: its tree of groups, datasets and links, from the metadata; a truncated one is one line, exit 2', async () => {
    await withDir(async (dir) => {
      const cxi = fileURLToPath(new URL('../../../test/fixtures/cxi/scan.cxi', import.meta.url));
      const r = await inspect(cxi);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.equal(lines[0], `${cxi}  (CXI, 17 entries, 45399 bytes)`);
      assert.ok(lines.some((l) => /^  entry_1\/instrument_1\/detector_1\/data +dataset +<u4 +\(40, 32, 32\) +163840 +\(1, 32, 32\) +deflate$/.test(l)), r.stdout);
      assert.ok(lines.some((l) => /^  entry_1\/data_1\/data +soft link +→ \/entry_1\/instrument_1\/detector_1\/data$/.test(l)), r.stdout);
      assert.ok(lines.some((l) => /^  entry_1\/sample_1 +group$/.test(l)), r.stdout);
      const j = await inspect('--json', cxi);
      const [s] = JSON.parse(j.stdout) as Array<{ format: string; kind: string; entries: Array<{ path: string; type: string; shape?: number[] }> }>;
      assert.equal(s!.format, 'hdf5');
      assert.equal(s!.kind, 'CXI');
      assert.deepEqual(s!.entries.find((e) => e.path === 'entry_1/sample_1/geometry_1/translation'), { path: 'entry_1/sample_1/geometry_1/translation', type: 'dataset', dtype: '<f8', shape: [40, 3], bytes: 960, chunks: null, filters: [] });
      const cut = join(dir, 'cut.cxi');
      writeFileSync(cut, readFileSync(cxi).subarray(0, 3000));
      const bad = await inspect(cut);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^ptychostudy inspect: \S+cut\.cxi: cannot open as HDF5, the file is truncated or corrupt \(HDF5: .*\)\n$/);
    });
  });

  test('--check on HDF5: what a reconstruction reads (patterns, keys, geometry, probe), or why it refuses the file', async () => {
    const fx = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/cxi/${name}`, import.meta.url));
    const ok = await inspect('--check', fx('scan.cxi'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ok.stdout.includes([
      'reconstruction check: readable',
      '  CXI: 40 patterns of 32×32',
      '  diffraction: entry_1/data_1/data',
    ].join('\n')), ok.stdout);
    assert.match(ok.stdout, /^  object frame 73×58 px \(margin 2 px\)$/m);
    // the photon energy in keV (PtyPy's unit) and J (CXI's) beside the wavelength
    assert.match(ok.stdout, /^  photon energy 8 keV = 1\.2817e-15 J, wavelength 1\.5498e-10 m, detector distance 2 m, detector pixel \[0\.000075, 0\.000075\] m → object pixel \[1\.2915e-7, 1\.2915e-7\] m$/m);
    assert.match(ok.stdout, /^  probe: entry_1\/instrument_1\/source_1\/illumination, 1 mode of 32×32, pixel \[1\.2915e-7, 1\.2915e-7\] m$/m);
    // the same frame `lsqml` reconstructs in
    const noProbe = await inspect('--check', fx('scan-noprobe.cxi'));
    assert.match(noProbe.stdout, /^  probe: none \(give --probe-model or --init-probe file:PATH\)$/m);
    // a probe file is read as --init-probe file: reads it
    const ptyr = await inspect('--check', fx('probe.ptyr'));
    assert.equal(ptyr.status, 0, ptyr.stdout);
    assert.match(ptyr.stdout, /^  a probe file \(--init-probe file:\S+probe\.ptyr\), no diffraction data: \S+probe\.ptyr: content\/probe\/Sscan00G00\/data, 1 mode of 32×32/m);
    // a file whose data lie outside it: exit 2, the reconstruction's own message
    const ext = await inspect('--check', fx('external-raw.cxi'));
    assert.equal(ext.status, 2);
    assert.ok(ext.stdout.includes(`reconstruction check: 1 problem\n  ${fx('external-raw.cxi')}: key 'entry_1/instrument_1/detector_1/data': its raw data is stored outside the named file`), ext.stdout);
    assert.equal(ext.stderr, '');
  });

  test('--check says the memory a reconstruction needs (for a batch job\'s --mem), and refuses what lsqml refuses for memory, in its words', async () => {
    const fx = fileURLToPath(new URL('../../../test/fixtures/cxi/scan.cxi', import.meta.url));
    const line = (stdout: string): string => /^  memory: (.*)$/m.exec(stdout)?.[1] ?? `no memory line in:\n${stdout}`;
    const one = await inspect('--check', fx);
    assert.equal(one.status, 0, one.stderr);
    assert.match(line(one.stdout), /^a reconstruction \(1 probe mode, batches of 96\) needs at most about 195\.\d MiB; the limit here is .+ \(half of this machine's .+\)$/);
    // the settings file's modes and batch size, as lsqml takes them
    const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-inspect-memory-'));
    try {
      const settings = join(dir, 'scans.yaml');
      writeFileSync(settings, 'reconstruction:\n  modes: 3\n');
      const three = await inspect('--check', '--config', settings, fx);
      // 48 B per probe-mode pixel of a minibatch (docs/limits.md): 3 × 40 of 32 × 32 instead of 1 × 40, 3.75 MiB more
      const mib = (text: string): number => Number(/needs at most about ([\d.]+) MiB/.exec(text)?.[1]);
      assert.match(line(three.stdout), /^a reconstruction \(3 probe modes, batches of 96\) needs at most about [\d.]+ MiB; the limit here is/);
      assert.ok(Math.abs(mib(line(three.stdout)) - mib(line(one.stdout)) - 3.75) < 0.15, `${line(one.stdout)}\n${line(three.stdout)}`);
      // below the limit lsqml refuses it: so does the check, with lsqml's line (before, the check said "readable")
      const env = { ...process.env, PTYCHOSTUDY_MEMORY_LIMIT: '100M' };
      const refused = await ptychostudyAsync(['inspect', '--check', fx], { env });
      const lsqml = await ptychostudyAsync(['lsqml', '--input', fx, '--out', join(dir, 'out')], { env });
      assert.equal(lsqml.status, 2, lsqml.stderr);
      assert.equal(refused.status, 2, refused.stdout);
      assert.ok(refused.stdout.includes(`reconstruction check: 1 problem\n  ${lsqml.stderr.replace(/^ptychostudy lsqml: /, '').trim()}`), `${refused.stdout}\n${lsqml.stderr}`);
      // refused from the stack's shape, before its positions or patterns are read (on the smallest object frame the patterns can have)
      assert.match(lsqml.stderr, /key 'entry_1\/data_1\/data': .* found 40 patterns of 32×32, for which an LSQML job with 1 mode needs at least 194\.\d MiB \(on the smallest object frame/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--check of a dataset NPZ says the memory a reconstruction needs, as of a CXI file (was: no memory line), and refuses what lsqml refuses for memory, in its words', async () => {
    const line = (stdout: string): string => /^  memory: (.*)$/m.exec(stdout)?.[1] ?? `no memory line in:\n${stdout}`;
    const one = await inspect('--check', fixture);
    assert.equal(one.status, 0, one.stderr);
    // lsqmlJobBytes of 16×16 objectGuess, its 8×8 <f4 patterns and a minibatch of them: 192 MiB and what the arrays add
    assert.match(line(one.stdout), /^a reconstruction \(1 probe mode, batches of 96\) needs at most about 192\.\d MiB; the limit here is .+ \(half of this machine's .+\)$/);
    const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-inspect-npz-memory-'));
    try {
      writeFileSync(join(dir, 'scans.yaml'), 'reconstruction:\n  modes: 3\n  batchSize: 8\n');
      assert.match(line((await inspect('--check', '--config', join(dir, 'scans.yaml'), fixture)).stdout), /^a reconstruction \(3 probe modes, batches of 8\) needs at most about /);
      const env = { ...process.env, PTYCHOSTUDY_MEMORY_LIMIT: '150M' };
      const refused = await ptychostudyAsync(['inspect', '--check', fixture], { env });
      const lsqml = await ptychostudyAsync(['lsqml', '--input', fixture, '--out', join(dir, 'out')], { env });
      assert.equal(lsqml.status, 2, lsqml.stderr);
      assert.equal(refused.status, 2, refused.stdout);
      assert.ok(refused.stdout.includes(`DATA-001 check: 1 problem\n  ${lsqml.stderr.replace(/^ptychostudy lsqml: /, '').trim()}`), `${refused.stdout}\n${lsqml.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--check refuses what lsqml refuses of the patterns themselves, in its words: not square, no count at all', async () => {
    const { fixtureEntries, writeHdf5 } = await import('../data/cxi-builder.js');
    const entries = await fixtureEntries();
    const D = 'entry_1/data_1/data', PR = 'entry_1/instrument_1/source_1/illumination';
    const counts = entries[D]!.data as Uint32Array;
    // 40 patterns of 32 × 30 (two columns cut), without the 32 × 32 probe (refused on its own shape first)
    const cut = new Uint32Array(40 * 32 * 30);
    for (let i = 0; i < 40 * 32; i++) cut.set(counts.subarray(i * 32 + 1, i * 32 + 31), i * 30);
    const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
    try {
      const cases: { name: string; changes: Record<string, Entry | null>; line: string }[] = [
        { name: 'narrow.cxi', changes: { [D]: { data: cut, shape: [40, 32, 30], dtype: '<I' }, [PR]: null }, line: `key '${D}': expected square diffraction patterns for LSQML (H = W); found 32×30: crop the detector frames to a square about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${join(dir, 'narrow.cxi')}\` says where the beam is and suggests both)` },
        { name: 'zeros.cxi', changes: { [D]: { data: new Uint32Array(40 * 32 * 32), shape: [40, 32, 32], dtype: '<I' } }, line: `key '${D}': expected diffraction patterns with some counts; found 40 patterns all zero: there is nothing to reconstruct` },
      ];
      for (const c of cases) {
        const path = join(dir, c.name);
        writeHdf5(path, { ...entries, ...c.changes });
        const r = await inspect('--check', path);
        assert.equal(r.status, 2, r.stdout);
        assert.ok(r.stdout.includes(`reconstruction check: 1 problem\n  ${path}: ${c.line}\n`), r.stdout);
        // lsqml refuses the file with the same line, writing nothing
        const out = join(dir, `rec-${c.name}`);
        const l = await ptychostudyAsync(['lsqml', '--input', path, '--out', out, '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6']);
        assert.equal(l.status, 2, l.stderr);
        assert.equal(l.stderr, `ptychostudy lsqml: ${path}: ${c.line}\n`);
        assert.equal(existsSync(out), false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an HDF5 tree is listed within bounds: a file of 2100 groups lists 2000 entries and counts the rest', async () => {
    const { default: h5wasm } = await import('h5wasm/node');
    await h5wasm.ready;
    const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
    try {
      const path = join(dir, 'many.h5');
      const f = new h5wasm.File(path, 'w');
      for (let i = 0; i < 2100; i++) f.create_group(`g${String(i).padStart(4, '0')}`);
      f.close();
      const r = await inspect(path);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^\S+many\.h5  \(HDF5, 2000 entries, \d+ bytes\)$/m);
      assert.match(r.stdout, /^  \(at least 100 more entries not listed: at most 2000 entries and 12 levels of groups are listed\)$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no file given is a usage error (exit 2)', async () => {
    const r = await inspect();
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing required argument 'files'/);
  });

  test('--check --config FILE with reconstruction.probeModel: the probe is the model, made for the patterns read, as lsqml makes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-probe-model-'));
    try {
      const frames = 'test/fixtures/cxi/frames.cxi';
      const config = join(dir, 'model.yaml');
      // the file's 32 × 32 illumination is not of the 64 × 64 patterns the crop makes: without the model there is no probe
      writeFileSync(config, 'reconstruction:\n  crop: { center: [38, 72], size: 64 }\n  probeModel: "aperture:diameter=2e-6"\n');
      const r = await inspect('--check', '--config', config, frames);
      assert.equal(r.status, 0, r.stderr);
      const objectPixel = /→ object pixel \[([^\]]+)\] m\n/.exec(r.stdout)?.[1];
      assert.ok(objectPixel, r.stdout);
      assert.ok(r.stdout.includes(`\n  probe: model aperture (reconstruction.probeModel), 1 mode of 64×64, pixel [${objectPixel}] m\n`), r.stdout);
      assert.doesNotMatch(r.stdout, /probe: (none|entry_1\S+ not used)|give --probe-model/);
      // the same file and crop without the model: the probe lsqml would lack is named
      writeFileSync(config, 'reconstruction:\n  crop: { center: [38, 72], size: 64 }\n');
      assert.match((await inspect('--check', '--config', config, frames)).stdout, /\n {2}probe: entry_1\/instrument_1\/source_1\/illumination not used \(.*\); give --probe-model or --init-probe file:PATH\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--check with reconstruction.initProbe file:PATH (--config or --init-probe): the probe file read for the patterns after the crop and binning, refused in lsqml\'s words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-probe-file-'));
    try {
      const frames = 'test/fixtures/cxi/frames.cxi', scan = resolve('test/fixtures/cxi/scan.cxi'), ptyr = resolve('test/fixtures/cxi/probe.ptyr');
      const config = join(dir, 'probe.yaml');
      writeFileSync(config, `reconstruction:\n  crop: { center: [38, 72], size: 64 }\n  binSize: 2\n  initProbe: "file:${scan}"\n`);
      const r = await inspect('--check', '--config', config, frames);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.includes(`\n  probe: file:${scan}: entry_1/instrument_1/source_1/illumination (reconstruction.initProbe), 1 mode of 32×32, ` +
        'pixel [1.2915e-7, 1.2915e-7] m, the patterns\' size\n'), r.stdout);
      // the flags over the file: 64 × 64 patterns (no binning), which the 32 × 32 probe of the .ptyr does not fit: exit 2 with
      // lsqml's refusal (`lsqml --input frames.cxi --crop-center 38,72 --crop-size 64 --init-probe file:probe.ptyr` says the same)
      const bad = await inspect('--check', '--config', config, '--bin-size', '1', '--init-probe', `file:${ptyr}`, frames);
      assert.equal(bad.status, 2, bad.stdout);
      const refusal = `${ptyr}: key 'content/probe/Sscan00G00/data': expected a complex probe [64, 64] or [M, 64, 64] (the size of the diffraction patterns); found shape [1, 32, 32]`;
      assert.ok(bad.stdout.includes(`\nreconstruction check: 1 problem\n  ${refusal}\n`), bad.stdout);
      // a model and a file together, and either flag without --check: refused (exit 2)
      const both = await inspect('--check', '--init-probe', `file:${ptyr}`, '--probe-model', 'aperture:diameter=2e-6', frames);
      assert.deepEqual([both.status, both.stderr, both.stdout], [2, 'ptychostudy inspect: give either reconstruction.initProbe file:PATH (--init-probe) or reconstruction.probeModel (--probe-model), not both\n', '']);
      const unchecked = await inspect('--probe-model', 'aperture:diameter=2e-6', frames);
      assert.deepEqual([unchecked.status, unchecked.stdout], [2, '']);
      assert.match(unchecked.stderr, /--probe-model aperture:diameter=2e-6: expected with --check/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--check of a dataset NPZ names the probe lsqml starts from: probeGuess, or the --init-probe file / --probe-model one, refused in lsqml\'s words', async () => {
    await withDir(async (dir) => {
      const p = join(dir, 'ok.npz');
      saveNpz(p, dataset());
      const plain = await inspect('--check', p);
      assert.equal(plain.status, 0, plain.stderr);
      assert.ok(plain.stdout.includes('\nDATA-001 check: valid dataset\n  probe: probeGuess, 1 mode of 8×8\n'), plain.stdout);
      // a probe file of 16 × 16 for 8 × 8 patterns: inspect --check refuses it (exit 2) as lsqml does, in the same words
      const probe16 = join(dir, 'probe16.npz');
      saveNpz(probe16, { probeGuess: { dtype: '<c8', shape: [16, 16], data: new Float32Array(512).fill(1) } });
      const bad = await inspect('--check', '--init-probe', `file:${probe16}`, p);
      assert.equal(bad.status, 2, bad.stdout);
      const refusal = /\nDATA-001 check: 1 problem\n {2}(.+)\n/.exec(bad.stdout)?.[1];
      assert.ok(refusal?.startsWith(`${probe16}: `) && refusal.includes('16, 16'), bad.stdout);
      const l = await ptychostudyAsync(['lsqml', '--input', p, '--out', join(dir, 'recon'), '--epochs', '2', '--init-probe', `file:${probe16}`]);
      assert.deepEqual([l.status, l.stderr], [2, `ptychostudy lsqml: ${refusal}\n`]);
      assert.equal(existsSync(join(dir, 'recon')), false);
      // a settings file's initProbe file:PATH that fits: read and shown; it stands for a missing probeGuess, as lsqml takes it
      const { probeGuess: _, ...rest } = dataset();
      const noProbe = join(dir, 'no-probe.npz');
      saveNpz(noProbe, rest);
      const config = join(dir, 'probe.yaml');
      writeFileSync(config, `reconstruction:\n  initProbe: "file:${p}"\n`);
      const byFile = await inspect('--check', '--json', '--config', config, p, noProbe);
      assert.equal(byFile.status, 0, byFile.stdout);
      assert.deepEqual((JSON.parse(byFile.stdout) as Array<{ check: { reads: string[] } }>).map((f) => f.check.reads.map((r) => r.replace(/^(memory: ).*/, '$1…'))),
        [0, 1].map(() => [`probe: file:${p}: probeGuess (reconstruction.initProbe), 1 mode of 8×8, the patterns' size`, 'memory: …']));
      const model = await inspect('--check', '--probe-model', 'aperture:diameter=5e-8,wavelength=1e-10,pixel=1e-8', noProbe);
      assert.equal(model.status, 0, model.stdout);
      assert.ok(model.stdout.includes('\nDATA-001 check: valid dataset\n  probe: model aperture (reconstruction.probeModel), 1 mode of 8×8, pixel [1e-8, 1e-8] m\n'), model.stdout);
    });
  });

  test('--check --config FILE reads the files with the settings file\'s crop and binning (flags over it); --config without --check is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-config-'));
    try {
      const frames = 'test/fixtures/cxi/frames.cxi';
      const config = join(dir, 'crop.yaml');
      writeFileSync(config, 'reconstruction:\n  crop: { center: [38, 72], size: 64 }\n  binSize: 2\n');
      const byFile = await inspect('--check', '--config', config, frames);
      assert.equal(byFile.status, 0, byFile.stderr);
      const byFlags = await inspect('--check', '--crop-center', '38,72', '--crop-size', '64', '--bin-size', '2', frames);
      assert.equal(byFlags.status, 0, byFlags.stderr);
      assert.equal(byFile.stdout, byFlags.stdout);
      assert.match(byFile.stdout, /\n {2}frames: 80×112 in the file → 32×32 patterns: file rows 6 … 69, columns 40 … 103, 2×2 pixels summed/);
      const over = await inspect('--check', '--config', config, '--bin-size', '1', frames);
      assert.equal(over.status, 0, over.stderr);
      assert.match(over.stdout, /\n {2}frames: 80×112 in the file → 64×64 patterns: file rows 6 … 69, columns 40 … 103;/);
      assert.equal(over.stderr, `note: the command line's reconstruction.binSize 1 was used, not ${config}'s 2\n`);
      const plain = await inspect('--config', config, frames);
      assert.equal(plain.status, 2);
      assert.equal(plain.stderr, `ptychostudy inspect: --config ${config}: expected with --check (its settings say how a reconstruction reads the files); found without --check\n`);
      assert.equal(plain.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
