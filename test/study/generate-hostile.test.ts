/**
 * `generate --base-npz` with a base NPZ that lies or is too large for the memory limit: refused from the
 * members' headers, before anything large is read or allocated — one line, exit 2, nothing written and
 * no lock left in the output root. Also the run's own size (positions, doses) against the limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { encodeNpy } from '../../src/npy/npy.js';
import { headerDict, npyWithHeader, storedMember, zeroFilledMember, zipRaw } from '../npy/craft.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';
import { onesC8 } from '../npy/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-gen-hostile-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/**
 * A base NPZ whose xcoords.npy is only a header declaring `n` float64 positions (deflated), with the zip's
 * uncompressed size patched to what the header declares: every size agrees, only the data is missing.
 */
function lyingBase(name: string, n: number): string {
  const header = npyWithHeader(headerDict('<f8', [n]));
  const members = [
    storedMember('objectGuess.npy', encodeNpy(onesC8(64, 64))),
    storedMember('probeGuess.npy', encodeNpy(onesC8(16, 16))),
    { name: 'xcoords.npy', method: 8 as const, data: [zlib.deflateRawSync(header)], size: header.length + 8 * n, crc: 0 },
  ];
  const path = join(root, name);
  writeFileSync(path, zipRaw(members));
  return path;
}

/** An output root that exists (so a lock could be left in it), checked empty after a refused run. */
function outRoot(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

test('a small base NPZ whose xcoords header declares 4·10⁸ positions: refused at once from the header, no lock left (was 60 s+, 7.9 GB)', () => {
  const base = lyingBase('base_lie.npz', 400_000_000);
  assert.ok(readFileSync(base).length < 40_000, 'a small file');
  const g = outRoot('g-lie');
  const r = ptychostudy(['generate', '--out', g, '--base-npz', base, '--dose', '1e3'], { measure: true, timeoutMs: 20_000 });
  assertRefused(r, 'generate', `${base}: key 'xcoords': expected scan coordinates: a real 1-D array of at most 16777216 positions (MAX_SCAN_POSITIONS); found shape (400000000,)`);
  assert.ok(r.maxRssBytes! < 256 * 2 ** 20, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB`);
  assert.deepEqual(readdirSync(g), [], 'nothing written, no .generate.lock left');
});

test('a count within the bound whose data is missing is refused when the coordinates are read, before planning', () => {
  const base = lyingBase('base_lie_small.npz', 100_000);
  const g = outRoot('g-lie-small');
  const r = ptychostudy(['generate', '--out', g, '--base-npz', base, '--dose', '1e3']);
  assertRefused(r, 'generate', `${base}: key 'xcoords': member inflates to 128 bytes but declares 800128 (truncated or corrupt)`);
  assert.deepEqual(readdirSync(g), [], 'nothing written, no .generate.lock left');
  // and a 2-D or a complex xcoords is no list of positions
  const twoD = join(root, 'xcoords-2d.npz');
  writeFileSync(twoD, zipRaw([storedMember('objectGuess.npy', encodeNpy(onesC8(64, 64))), storedMember('probeGuess.npy', encodeNpy(onesC8(16, 16))),
    storedMember('xcoords.npy', encodeNpy({ dtype: '<f8', shape: [3, 2], data: new Float64Array(6) }))]));
  assertRefused(ptychostudy(['generate', '--out', g, '--base-npz', twoD, '--dose', '1e3']), 'generate',
    `${twoD}: key 'xcoords': expected scan coordinates: a real 1-D array of at most 16777216 positions (MAX_SCAN_POSITIONS); found shape (3, 2)`);
  assert.deepEqual(readdirSync(g), []);
});

test('PTYCHOSTUDY_MEMORY_LIMIT: a 0.8 MB base NPZ holding an 8192² objectGuess is refused from its header (was exit 0 at 2.7 GB)', () => {
  const header = npyWithHeader(headerDict('<c8', [8192, 8192]));
  const base = join(root, 'base_bigobj.npz');
  writeFileSync(base, zipRaw([zeroFilledMember('objectGuess.npy', header, 8192 * 8192 * 8), storedMember('probeGuess.npy', encodeNpy(onesC8(16, 16)))]));
  assert.ok(readFileSync(base).length < 1_000_000, 'a small file');
  const g = outRoot('g-bigobj');
  const r = ptychostudy(['generate', '--out', g, '--base-npz', base, '--dose', '1e3'], { env: { PTYCHOSTUDY_MEMORY_LIMIT: '256M' }, measure: true, timeoutMs: 20_000 });
  assertRefused(r, 'generate', `${base}: key 'objectGuess': expected a simulation that fits the memory limit of 256.0 MiB (PTYCHOSTUDY_MEMORY_LIMIT=256M); ` +
    'found shape (8192, 8192), for which the simulation needs about 4.16 GiB');
  assert.ok(r.maxRssBytes! < 256 * 2 ** 20, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB: the 512 MiB member was never inflated`);
  assert.deepEqual(readdirSync(g), []);
});

test('the run itself must fit: positions × doses against the limit, and at most MAX_SCAN_POSITIONS positions', () => {
  const g = join(root, 'g-size');
  assertRefused(ptychostudy(['generate', '--out', g, '--n-images', '400000', '--dose', '1e3,1e4'], { env: { PTYCHOSTUDY_MEMORY_LIMIT: '256M' } }), 'generate',
    '--n-images 400000: expected a simulation that fits the memory limit of 256.0 MiB (PTYCHOSTUDY_MEMORY_LIMIT=256M); found 400000 positions of 64×64 patterns at 2 doses, for which the simulation needs about 15.5 GiB');
  assertRefused(ptychostudy(['generate', '--out', g, '--n-images', '400000000', '--dose', '1e3']), 'generate',
    '--n-images 400000000: expected an integer from 2 to 16777216 (MAX_SCAN_POSITIONS)');
  assert.ok(!existsSync(g), 'nothing written');
});

test('run with a base NPZ that cannot serve Phase C is refused before the hub is made (was design.json and a failed run.json)', () => {
  const noObject = join(root, 'no-object.npz');
  writeFileSync(noObject, zipRaw([storedMember('probeGuess.npy', encodeNpy(onesC8(16, 16)))]));
  for (const [base, line] of [
    [noObject, `base NPZ ${noObject}: missing key 'objectGuess' (expected a complex 2-D array; found keys: probeGuess)`],
    [join(root, 'absent.npz'), `base NPZ ${join(root, 'absent.npz')}: no such file`],
  ] as const) {
    const hub = join(root, 'run-bad-base');
    assertRefused(ptychostudy(['run', '--quiet', '--out', hub, '--base-npz', base, '--dose', '1e3']), 'run', line);
    assert.ok(!existsSync(hub), `nothing written: ${existsSync(hub) ? readdirSync(hub).join(', ') : ''}`);
  }
});

test('measured data (CXI, PtyPy .ptyd) as the base NPZ: refused saying it is reconstructed, not simulated from (was "not a valid .npz … truncated")', () => {
  for (const file of ['scan.cxi', 'scan.ptyd']) {
    const out = join(root, `run-measured-${file}`);
    const r = ptychostudy(['run', '--out', out, '--base-npz', `test/fixtures/cxi/${file}`], { timeoutMs: 20_000 });
    assertRefused(r, 'run', new RegExp(`^ptychostudy run: base NPZ \\S*test/fixtures/cxi/${file.replace('.', '\\.')}: expected a dataset NPZ \\(zip\\) holding objectGuess and probeGuess, .*; found an HDF5 file \\(CXI or PtyPy \\.ptyd: measured data, .*ptychostudy lsqml --input FILE`));
    assert.ok(!existsSync(out), 'no hub made');
  }
});
