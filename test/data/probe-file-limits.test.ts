/**
 * A probe file (`--init-probe file:PATH`) is checked from its header or metadata before it is read:
 * at most MAX_PROBE_MODES incoherent modes, and reading it within the memory limit. A 522 kB NPZ
 * declaring a (32768, 32, 32) complex128 probe used to be read whole (1.2 GB) under a 256 MiB limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../src/errors.js';
import { checkProbeFits, HDF5_COMPLEX_READ_BYTES } from '../../src/data/memory.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { headerDict, npyWithHeader, zeroFilledMember, zipRaw } from '../npy/craft.js';
import { assertRefused, ptychostudy } from './cli-run.js';

await h5wasm.ready;
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-probe-limits-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const cxi = fileURLToPath(new URL('../../../test/fixtures/cxi/scan-noprobe.cxi', import.meta.url));

test('an NPZ probe of 32768 modes (522 kB deflated, 512 MiB declared): refused from its header under a 256 MiB limit (was exit 0 at 1.2 GB)', () => {
  // zeros, but for probe[0, 0, 0] = 1: a probe that is not zero everywhere
  const first = new Float64Array([1, 0]);
  const prefix = Buffer.concat([npyWithHeader(headerDict('<c16', [32768, 32, 32])), Buffer.from(first.buffer)]);
  const file = join(root, 'probe_many.npz');
  writeFileSync(file, zipRaw([zeroFilledMember('probeGuess.npy', prefix, 32768 * 32 * 32 * 16 - 16)]));
  assert.ok(readFileSync(file).length < 600_000, 'a small file');
  const out = join(root, 'o1');
  const r = ptychostudy(['lsqml', '--input', cxi, '--out', out, '--epochs', '2', '--init-probe', `file:${file}`],
    { env: { PTYCHOSTUDY_MEMORY_LIMIT: '256M' }, measure: true, timeoutMs: 30_000 });
  assertRefused(r, 'lsqml', `${file}: key 'probeGuess': expected a probe of at most 50 incoherent modes (MAX_PROBE_MODES); found shape [32768, 32, 32]`);
  assert.ok(r.maxRssBytes! < 256 * 2 ** 20, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('an HDF5 probe (ptychodus product) of 60 modes is refused from its metadata, before it is read', async () => {
  const file = join(root, 'product60.h5');
  const f = new h5wasm.File(file, 'w');
  const n = 60 * 32 * 32;
  f.create_dataset({ name: 'probe', data: new Map([['r', new Float32Array(n).fill(1)], ['i', new Float32Array(n)]]), shape: [60, 32, 32] });
  f.create_dataset({ name: 'probe_position_x_m', data: new Float64Array(1) });
  f.close();
  await assert.rejects(readProbeFile(file, 32, 32), (err: unknown) => err instanceof InputError &&
    err.message === `${file}: key 'probe': expected a probe of at most 50 incoherent modes (MAX_PROBE_MODES); found shape [60, 32, 32]`);
  const out = join(root, 'o2');
  assertRefused(ptychostudy(['lsqml', '--input', cxi, '--out', out, '--epochs', '2', '--init-probe', `file:${file}`], { timeoutMs: 30_000 }), 'lsqml',
    `${file}: key 'probe': expected a probe of at most 50 incoherent modes (MAX_PROBE_MODES); found shape [60, 32, 32]`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('checkProbeFits: modes (of the incoherent axis, after ptychodus\'s OPR axis) and the bytes of reading it against the limit', () => {
  const limit = { bytes: 1 << 20, source: 'PTYCHOSTUDY_MEMORY_LIMIT=1M' };
  checkProbeFits('p.h5', 'probe', [50, 32, 32], 50 * 1024 * HDF5_COMPLEX_READ_BYTES / 16, {}, limit);
  checkProbeFits('p.h5', 'probe', [200, 3, 32, 32], 1000, { oprAxis: true }, limit);
  assert.throws(() => checkProbeFits('p.h5', 'probe', [2, 51, 32, 32], 1000, { oprAxis: true }, limit),
    { message: "p.h5: key 'probe': expected a probe of at most 50 incoherent modes (MAX_PROBE_MODES); found shape [2, 51, 32, 32]" });
  assert.throws(() => checkProbeFits('p.npz', 'probeGuess', [4, 256, 256], 4 * 65536 * 32, {}, limit),
    { message: "p.npz: key 'probeGuess': expected a probe that fits the memory limit of 1.00 MiB (PTYCHOSTUDY_MEMORY_LIMIT=1M); found shape [4, 256, 256], which needs about 8.00 MiB to read" });
});
