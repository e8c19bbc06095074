/**
 * Hostile and unlucky input files, through the CLI as a user meets them (`node dist/src/cli/main.js`
 * in a child process). Each crafted file is built here, byte by byte where it must be. Every case
 * asserts the exit code, the one line on stderr (file, key, expected, found), no stack trace, that the
 * command ended within a 30-s hang guard (not a timing claim) and that nothing was written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../src/npy/npy.js';
import { encodeNpz, loadNpz, saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { metadataArray } from '../../src/data/metadata.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import {
  OP, headerDict, latin1, long4Op, npyWithHeader, objectNpy0d, storedMember, strOp, unicodeNpy0d, zeroFilledMember, zip64Extra, zipOf, zipRaw,
} from '../npy/craft.js';
import { assertRefused, cli, ptychostudy, type Run } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-hostile-'));
chmodSync(root, 0o755); // readable by the unprivileged user of the read-only case
const spec = { size: 16, height: 48, width: 48, positions: 16, photons: 1e4, poisson: false, seed: 7 };
const good = writeSyntheticDataset(join(root, 'good.npz'), spec, 2);
const goodArrays = loadNpz(good.path);
const META_EXPECTED = "expected a JSON object (a 0-d '<U' or '|S' string or a pickled str), or no '_metadata' key at all; found ";
/** The good dataset with some members replaced or added (raw `.npy` bytes), stored in a zip. */
function datasetWith(name: string, raw: Record<string, Uint8Array>, drop: string[] = []): string {
  const members: Record<string, Uint8Array> = {};
  for (const [k, a] of Object.entries(goodArrays)) if (!drop.includes(k) && !(k in raw)) members[`${k}.npy`] = encodeNpy(a);
  for (const [k, b] of Object.entries(raw)) members[`${k}.npy`] = b;
  const path = join(root, name);
  writeFileSync(path, zipOf(members));
  return path;
}

/** A dataset NPZ with some arrays replaced (written by our own writer). */
function datasetArrays(name: string, change: (a: Record<string, NdArray>) => void): string {
  const a: Record<string, NdArray> = { ...goodArrays };
  change(a);
  const path = join(root, name);
  saveNpz(path, a);
  return path;
}

let outCount = 0;
/** A fresh output directory path (not created). */
const outDir = (): string => join(root, `out-${++outCount}`);
const lsqml = (input: string, out: string, extra: string[] = [], opts: Parameters<typeof ptychostudy>[1] = {}): Run =>
  ptychostudy(['lsqml', '--input-npz', input, '--output-dir', out, '--epochs', '2', '--batch-size', '8', ...extra], opts);

test('1. a 200 kB pickled integer (LONG4) in _metadata: inspect and lsqml exit 2 at once (was a 78 s+ hang)', () => {
  const file = datasetWith('long4.npz', { _metadata: objectNpy0d(long4Op(200_000)) });
  const why = 'object array pickle holds an integer of 200000 bytes at offset 117; at most 1024 bytes (MAX_PICKLE_INT_BYTES) are read';
  assertRefused(ptychostudy(['inspect', file]), 'inspect', `${file}: key '_metadata': ${why}`);
  const out = outDir();
  assertRefused(lsqml(file, out), 'lsqml', `${file}: key '_metadata': ${META_EXPECTED}${why}`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('2. zero-width strings with 4e9 elements are refused in 128 bytes; lsqml does not read keys it does not use', () => {
  const u0 = npyWithHeader(headerDict('<U0', [4_000_000_000]));
  const s0 = npyWithHeader(headerDict('|S0', [4_000_000_000]));
  const file = datasetWith('u0.npz', { filenames: u0 });
  assertRefused(ptychostudy(['inspect', file]), 'inspect',
    `${file}: key 'filenames': expected at most 4194304 elements in a string or object array (MAX_STRING_ELEMENTS); found shape (4000000000,) of <U0 (4000000000 elements)`);
  // lsqml reads diffraction, objectGuess, probeGuess, xcoords, ycoords and _metadata only: it never decodes 'filenames'
  const ok = lsqml(file, outDir());
  assert.equal(ok.status, 0, ok.stderr);
  // … but it does read _metadata
  const meta = datasetWith('s0.npz', { _metadata: s0 });
  const out = outDir();
  assertRefused(lsqml(meta, out), 'lsqml',
    `${meta}: key '_metadata': ${META_EXPECTED}expected at most 4194304 elements in a string or object array (MAX_STRING_ELEMENTS); found shape (4000000000,) of |S0 (4000000000 elements)`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('2. a 1 MB file holding a 12000² objectGuess: lsqml refuses it from the header, before allocating (memory limit)', () => {
  const members = Object.entries(goodArrays).filter(([k]) => k !== 'objectGuess').map(([k, a]) => storedMember(`${k}.npy`, encodeNpy(a)));
  const header = npyWithHeader(headerDict('<c8', [12000, 12000]));
  members.push(zeroFilledMember('objectGuess.npy', header, 12000 * 12000 * 8));
  const file = join(root, 'object12000.npz');
  writeFileSync(file, zipRaw(members));
  assert.ok(readFileSync(file).length < 2_000_000, 'a small file');
  const out = outDir();
  const r = lsqml(file, out, [], { env: { PTYCHOSTUDY_MEMORY_LIMIT: '4G' }, measure: true });
  assertRefused(r, 'lsqml', `${file}: key 'objectGuess': expected a reconstruction that fits the memory limit of 4.00 GiB (PTYCHOSTUDY_MEMORY_LIMIT=4G); ` +
    'found shape (12000, 12000), for which an LSQML job with 1 mode needs about 27.0 GiB');
  assert.ok(r.maxRssBytes! < 512 * 2 ** 20, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB: the 1.15 GB member was never inflated`);
  assert.ok(!existsSync(out), 'nothing written');
  // a limit that cannot be parsed is a usage error naming the variable
  assertRefused(lsqml(file, out, [], { env: { PTYCHOSTUDY_MEMORY_LIMIT: 'lots' } }), 'lsqml',
    'PTYCHOSTUDY_MEMORY_LIMIT=lots: expected a positive number of bytes, optionally with a K, M, G or T suffix (e.g. 8G)');
});

test('2. a small file declaring far more patterns than coordinates is refused from the headers, before the patterns are inflated', () => {
  const n = 400_000; // 400 000 float32 patterns of the good probe's size: 410 MB inflated, 0.4 MB deflated
  const [H, W] = goodArrays.probeGuess!.shape as [number, number];
  const m = 10; // not the pattern side, which would make it a legacy [H, W, n] stack
  const coords = (k: 'xcoords' | 'ycoords') => storedMember(`${k}.npy`, encodeNpy({ dtype: '<f8', shape: [m], data: (goodArrays[k]!.data as Float64Array).slice(0, m) }));
  const members = [storedMember('probeGuess.npy', encodeNpy(goodArrays.probeGuess!)), coords('xcoords'), coords('ycoords')];
  members.push(zeroFilledMember('diffraction.npy', npyWithHeader(headerDict('<f4', [n, H, W])), 4 * n * H * W));
  const file = join(root, 'patterns-vs-coords.npz');
  writeFileSync(file, zipRaw(members));
  const out = outDir();
  const r = lsqml(file, out, [], { measure: true });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `ptychostudy lsqml: ${file}: not a valid dataset (DATA-001), 2 problems:\n` +
    `  ${file}: key 'xcoords': expected float (<f4 or <f8) 1-D array of length n = ${n}, finite; found length ${m} (diffraction has n = ${n})\n` +
    `  ${file}: key 'ycoords': expected float (<f4 or <f8) 1-D array of length n = ${n}, finite; found length ${m} (diffraction has n = ${n})`);
  assert.ok(r.maxRssBytes! < 4 * n * H * W / 2, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB: the ${(4 * n * H * W / 2 ** 20).toFixed(0)} MiB member was never inflated`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('2. inspect summarises a 320 MB member slice by slice: same statistics, peak memory well below the member', () => {
  const n = 80_000_000; // float32 → 320 MB inflated, ~0.3 MB deflated
  const members = [zeroFilledMember('big.npy', npyWithHeader(headerDict('<f4', [n])), 4 * n), storedMember('small.npy', encodeNpy(goodArrays.xcoords!))];
  const file = join(root, 'big-member.npz');
  writeFileSync(file, zipRaw(members));
  const r = ptychostudy(['inspect', '--json', file], { measure: true });
  assert.equal(r.status, 0, r.stderr);
  const [s] = JSON.parse(r.stdout) as Array<{ keys: Array<{ key: string; stats: Record<string, unknown> }> }>;
  assert.deepEqual(s!.keys[0]!.stats, { of: 'value', count: n, min: 0, max: 0, mean: 0, nan: 0 });
  assert.ok(r.maxRssBytes! < 0.5 * 4 * n, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB for a ${(4 * n / 2 ** 20).toFixed(0)} MiB member`);
  assert.ok(r.seconds < 60, `hang guard: ${r.seconds.toFixed(1)} s`);
});

test('3. a present but broken _metadata fails lsqml (exit 2, one line); it is never read as absent', () => {
  // CRC mismatch: one byte of the stored JSON text flipped
  const crcFile = join(root, 'meta-crc.npz');
  const bytes = Buffer.concat(encodeNpz({ ...goodArrays, _metadata: metadataArray({ intensity_scale: 2 }) }, { compress: false }));
  const at = bytes.indexOf(Buffer.from(Uint32Array.from('intensity', (c) => c.charCodeAt(0)).buffer));
  assert.ok(at > 0);
  bytes[at] ^= 0x01;
  writeFileSync(crcFile, bytes);
  // an unsafe pickle (os.system), and valid JSON that is not an object
  const evil = npyWithHeader(headerDict('|O', []), Uint8Array.from([OP.PROTO, 2, OP.GLOBAL, ...latin1('os\nsystem\n'), ...strOp('ls'), OP.TUPLE1, OP.REDUCE, OP.STOP]));
  const cases: Array<[string, RegExp]> = [
    [crcFile, /^CRC-32 mismatch \(archive says 0x[0-9a-f]{8}, data gives 0x[0-9a-f]{8}\); the member is corrupt$/],
    [datasetWith('meta-pickle.npz', { _metadata: evil }), /^object array pickle references the global os\.system; only numpy's array reconstruction .* nothing is executed$/],
    [datasetWith('meta-array.npz', { _metadata: unicodeNpy0d('[1, 2]') }), /^_metadata JSON is an array, not an object$/],
    [datasetWith('meta-deep.npz', { _metadata: unicodeNpy0d(`${'{"a": '.repeat(100_000)}1${'}'.repeat(100_000)}`) }), /^_metadata JSON nests more than 64 levels deep \(MAX_JSON_DEPTH\)$/],
  ];
  for (const [file, found] of cases) {
    const out = outDir();
    const r = lsqml(file, out);
    const prefix = `ptychostudy lsqml: ${file}: key '_metadata': ${META_EXPECTED}`;
    assertRefused(r, 'lsqml', new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stderr.trim().slice(prefix.length), found);
    assert.ok(!existsSync(out), 'nothing written');
  }
  // inspect shows the deep one as unreadable (exit 0), and --check fails on it (exit 2), without a stack overflow
  const deep = cases[3]![0];
  const shown = ptychostudy(['inspect', deep]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /^_metadata: present but unreadable: _metadata JSON nests more than 64 levels deep \(MAX_JSON_DEPTH\)$/m);
  const checked = ptychostudy(['inspect', '--check', deep]);
  assert.equal(checked.status, 2);
  assert.ok(checked.stdout.includes(`  ${deep}: key '_metadata': ${META_EXPECTED}_metadata JSON nests more than 64 levels deep`), checked.stdout);
});

test('3. in the reconstruct matrix, a broken _metadata is the recorded failure of that job', () => {
  const hub = join(root, 'matrix');
  const c = join(hub, 'phase_c', 'dose_1000');
  mkdirSync(c, { recursive: true });
  mkdirSync(join(hub, 'phase_d'), { recursive: true });
  const broken = join(c, 'patched_train.npz');
  saveNpz(broken, { ...goodArrays, _metadata: { dtype: '<U6', shape: [], data: ['[1, 2]'] } });
  saveNpz(join(c, 'patched_test.npz'), goodArrays);
  const art = join(hub, 'artifacts');
  const r = ptychostudy(['reconstruct', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'), '--artifact-root', art,
    '--doses', '1000', '--view', 'baseline', '--split', 'train', '--epochs', '2', '--batch-size', '8', '--allow-missing-phase-d']);
  assert.equal(r.status, 1, r.stderr);
  const manifest = JSON.parse(readFileSync(join(art, 'reconstruction_manifest.json'), 'utf8')) as { execution_results: Array<Record<string, unknown>> };
  const [job] = manifest.execution_results;
  assert.equal(job!.status, 'failed');
  assert.equal(job!.error, `${broken}: key '_metadata': ${META_EXPECTED}_metadata JSON is an array, not an object`);
  assert.ok(!existsSync(join(art, 'dose_1000', 'baseline', 'train', 'reconstruction.npz')));
});

test('8. a malformed zip64 extra field is exit 2 naming the file and the member (was a RangeError, exit 1)', () => {
  const members = Object.entries(goodArrays).map(([k, a]) => (k === 'objectGuess'
    ? storedMember(`${k}.npy`, encodeNpy(a), { zip64Sizes: true, centralExtra: zip64Extra(16, new Uint8Array(4)) })
    : storedMember(`${k}.npy`, encodeNpy(a))));
  // the objectGuess entry last, so that the lying field reaches the end of the central directory
  members.push(members.splice(members.findIndex((m) => m.name === 'objectGuess.npy'), 1)[0]!);
  const file = join(root, 'zip64.npz');
  writeFileSync(file, zipRaw(members));
  const line = `${file}: not a valid .npz (extra field 0x0001 of member 'objectGuess.npy' declares 16 bytes but its entry has 4 left)`;
  assertRefused(ptychostudy(['inspect', file]), 'inspect', line);
  const out = outDir();
  assertRefused(lsqml(file, out), 'lsqml', line);
  assert.ok(!existsSync(out), 'nothing written');
});

test('8. --modes 500 is a usage error before any data is read (lsqml, reconstruct); more modes than probe pixels too', () => {
  const why = "--modes 500: expected an integer from 1 to 50 (MAX_PROBE_MODES: each mode after the first takes 2 % of the probe's energy)";
  const out = outDir();
  assertRefused(lsqml(good.path, out, ['--modes', '500']), 'lsqml', why);
  assert.ok(!existsSync(out), 'nothing written');
  const art = join(root, 'modes-art');
  assertRefused(ptychostudy(['reconstruct', '--phase-c-root', root, '--phase-d-root', root, '--artifact-root', art, '--modes', '500']), 'reconstruct', why);
  assert.ok(!existsSync(art), 'nothing written');
  // a 4×4 probe has 16 pixels: at most 16 orthogonal modes
  const small = writeSyntheticDataset(join(root, 'probe4.npz'), { ...spec, size: 4, height: 12, width: 12, positions: 4 });
  assertRefused(lsqml(small.path, out, ['--modes', '20']), 'lsqml',
    `--modes 20: expected at most 16 incoherent probe modes (the 4×4 probe of ${small.path} has 16 pixels); found 20`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('8. a zero probe: generate (base NPZ) and lsqml exit 2 naming the file and probeGuess', () => {
  const zero = datasetArrays('zero-probe.npz', (a) => { a.probeGuess = { dtype: '<c8', shape: [16, 16], data: new Float32Array(512) }; });
  const gen = join(root, 'gen-out');
  assertRefused(ptychostudy(['generate', '--output-root', gen, '--base-npz', zero, '--dose', '1000']), 'generate',
    `${zero}: key 'probeGuess': expected a probe with non-zero intensity; found all 256 values zero`);
  assert.ok(!existsSync(gen), 'nothing written');
  const out = outDir();
  assertRefused(lsqml(zero, out), 'lsqml', `${zero}: key 'probeGuess': expected a probe with non-zero intensity; found all 256 values zero`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('8. an output directory that is a file is refused before the reconstruction runs (lsqml, reconstruct)', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  for (const [dir, found] of [[file, 'found a file'], [join(file, 'sub'), `found a file at ${file}`]] as const) {
    const r = lsqml(good.path, dir);
    assertRefused(r, 'lsqml', `output directory ${dir}: expected a directory${dir === file ? '' : ' that can be created'}; ${found}`);
    assert.doesNotMatch(r.stderr, /epoch/, 'no epoch ran');
  }
  assert.equal(readFileSync(file, 'utf8'), 'x');
  // a job output directory that is a file stops reconstruct before any job runs
  const hub = join(root, 'hub-file');
  mkdirSync(join(hub, 'phase_c', 'dose_1000'), { recursive: true });
  mkdirSync(join(hub, 'phase_d'), { recursive: true });
  for (const split of ['train', 'test']) saveNpz(join(hub, 'phase_c', 'dose_1000', `patched_${split}.npz`), goodArrays);
  const art = join(hub, 'art');
  mkdirSync(join(art, 'dose_1000', 'baseline'), { recursive: true });
  writeFileSync(join(art, 'dose_1000', 'baseline', 'train'), 'in the way');
  const rj = ptychostudy(['reconstruct', '--phase-c-root', join(hub, 'phase_c'), '--phase-d-root', join(hub, 'phase_d'), '--artifact-root', art,
    '--doses', '1000', '--view', 'baseline', '--epochs', '2', '--allow-missing-phase-d']);
  assertRefused(rj, 'reconstruct', `job output directory ${join(art, 'dose_1000', 'baseline', 'train')}: expected a directory; found a file`);
  assert.deepEqual(readdirSync(art), ['dose_1000'], 'no manifest, no run');
});

/** Why the read-only case cannot run here, or null: as root, permission bits do not bind, so it runs as `nobody` (65534). */
function readOnlyCaseBlocked(): string | null {
  if (process.getuid?.() !== 0) return null;
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(cli)}); require('fs').accessSync(${JSON.stringify(good.path)})`],
    { uid: 65534, gid: 65534, encoding: 'utf8' });
  return probe.status === 0 ? null : `running as root, and user 65534 cannot read ${cli} or ${good.path} here (${(probe.stderr || String(probe.error)).trim().split('\n')[0]})`;
}

test('8. a read-only output directory is refused before the reconstruction runs (lsqml, reconstruct)', (t) => {
  const blocked = readOnlyCaseBlocked();
  if (blocked) { t.skip(blocked); return; }
  const ro = join(root, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  const asUser = process.getuid?.() === 0 ? { uid: 65534 } : {};
  const r = lsqml(good.path, join(ro, 'job'), [], asUser);
  assertRefused(r, 'lsqml', `output directory ${join(ro, 'job')}: expected a writable directory; found ${ro} not writable (EACCES)`);
  const pc = join(root, 'read-only-phase-c');
  mkdirSync(join(pc, 'dose_1000'), { recursive: true });
  const rr = ptychostudy(['reconstruct', '--phase-c-root', pc, '--phase-d-root', root, '--artifact-root', ro, '--doses', '1000', '--allow-missing-phase-d', '--dry-run'], asUser);
  assertRefused(rr, 'reconstruct', `--out ${ro}: expected a writable directory; found ${ro} not writable (EACCES)`);
  assert.deepEqual(readdirSync(ro), [], 'nothing written');
});

test('8. a coordinate of 1e300, or one that puts its patch off the object, is refused with one line (was an Int32 wrap)', () => {
  const huge = datasetArrays('coord-huge.npz', (a) => {
    const x = Float64Array.from(a.xcoords!.data as Float64Array);
    x[3] = 1e300;
    a.xcoords = { dtype: '<f8', shape: [x.length], data: x };
  });
  const out = outDir();
  assertRefused(lsqml(huge, out), 'lsqml', `${huge}: key 'xcoords': expected coordinates within ±16777216 pixels (MAX_COORDINATE); found 1e+300 at index 3`);
  const checked = ptychostudy(['inspect', '--check', huge]);
  assert.equal(checked.status, 2);
  assert.ok(checked.stdout.includes(`  ${huge}: key 'xcoords': expected coordinates within ±16777216 pixels (MAX_COORDINATE); found 1e+300 at index 3`), checked.stdout);
  const off = datasetArrays('coord-off.npz', (a) => {
    const y = Float64Array.from(a.ycoords!.data as Float64Array);
    y[5] = 500;
    a.ycoords = { dtype: '<f8', shape: [y.length], data: y };
  });
  assertRefused(lsqml(off, out), 'lsqml', `${off}: key 'ycoords': expected scan positions whose 16×16 patch touches the 48×48 objectGuess (-8 ≤ y ≤ 56); found 500 at index 5`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('8. patterns of no pixel are the data\'s fault: lsqml names diffraction, not --modes; a pattern size whose job cannot fit names diffraction too; inspect --check lists what lsqml refuses of the patterns and the probe', () => {
  const none = encodeNpy({ dtype: '<f8', shape: [0], data: new Float64Array(0) });
  // 3 patterns of 0×0 beside a 0×0 probe: the bound of the modes (N² = 0) said `--modes 1: expected at most 0 incoherent probe modes`
  const empty = datasetWith('patterns-0x0.npz', { diffraction: encodeNpy({ dtype: '<f4', shape: [3, 0, 0], data: new Float32Array(0) }),
    probeGuess: encodeNpy({ dtype: '<c8', shape: [0, 0], data: new Float32Array(0) }),
    xcoords: encodeNpy({ dtype: '<f8', shape: [3], data: new Float64Array(3) }), ycoords: encodeNpy({ dtype: '<f8', shape: [3], data: new Float64Array(3) }) });
  const out = outDir();
  assertRefused(lsqml(empty, out), 'lsqml', `${empty}: key 'diffraction': expected patterns of at least 1×1 pixels; found shape (3, 0, 0)`);
  assert.ok(!existsSync(out), 'nothing written');
  // inspect --check lists what lsqml refuses, in lsqml's words (the same functions make them; it passed each of these files)
  const listed = (file: string, line: string): void => {
    const r = ptychostudy(['inspect', '--check', file]);
    assert.equal(r.status, 2, r.stdout);
    assert.ok(r.stdout.split('\n').includes(`  ${line}`), r.stdout);
  };
  listed(empty, `${empty}: key 'diffraction': expected patterns of at least 1×1 pixels; found shape (3, 0, 0)`);
  const noPatterns = datasetWith('patterns-none.npz', { diffraction: encodeNpy({ dtype: '<f4', shape: [0, 16, 16], data: new Float32Array(0) }), xcoords: none, ycoords: none });
  listed(noPatterns, `${noPatterns}: no diffraction patterns to reconstruct`);
  const dark = datasetArrays('patterns-dark.npz', (a) => { a.diffraction = { ...a.diffraction!, data: new Float32Array((a.diffraction!.data as Float32Array).length) }; });
  listed(dark, `${dark}: key 'diffraction': expected diffraction patterns with some counts; found 16 patterns all zero: there is nothing to reconstruct`);
  const zeroProbe = datasetArrays('probe-zero-check.npz', (a) => { a.probeGuess = { dtype: '<c8', shape: [16, 16], data: new Float32Array(512) }; });
  listed(zeroProbe, `${zeroProbe}: key 'probeGuess': expected a probe with non-zero intensity; found all 256 values zero`);
  assert.ok(!existsSync(out), 'nothing written');
  // no pattern of 2³² × 2³² pixels (a 300-byte file): the minibatch of such patterns cannot fit, which is the diffraction's
  // size, not the 48 × 48 objectGuess's that the line named
  const wide = datasetWith('patterns-2e32.npz', { diffraction: npyWithHeader(headerDict('<f4', [0, 2 ** 32, 2 ** 32])), xcoords: none, ycoords: none });
  assertRefused(lsqml(wide, out), 'lsqml', new RegExp(`^ptychostudy lsqml: ${wide.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: key 'diffraction': expected a reconstruction that fits the memory limit of .*; ` +
    'found shape \\(0, 4294967296, 4294967296\\), for which an LSQML job with 1 mode needs about '));
  assert.ok(!existsSync(out), 'nothing written');
});

test.after(() => {
  try { chmodSync(join(root, 'read-only'), 0o755); } catch { /* not made */ }
  rmSync(root, { recursive: true, force: true });
});
