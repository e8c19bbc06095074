/**
 * Names and values read from a file never forge a line or drive the terminal when a message quotes
 * them: HDF5 entry names (top-level keys, a .ptyd's chunk groups, a .ptyr's probe storage) and a lock
 * file's owner record. Each message is one line, the name escaped (\n, \u001b).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../src/errors.js';
import { readInputData } from '../../src/data/input.js';
import { readProbeFile } from '../../src/data/probe-file.js';
import { rewriteHdf5 } from './hdf5-rewrite.js';
import { assertRefused, ptychostudy } from './cli-run.js';

await h5wasm.ready;
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-names-in-files-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const fx = (f: string): string => fileURLToPath(new URL(`../../../test/fixtures/cxi/${f}`, import.meta.url));
const FORGED = 'ok\nptychostudy lsqml: done, all fine\x1b[2K';
const SHOWN = 'ok\\nptychostudy lsqml: done, all fine\\u001b[2K';

test('an HDF5 file whose top-level dataset name holds a line break and an escape: one line, the name escaped (was a forged second line)', () => {
  const file = join(root, 'forged.h5');
  const f = new h5wasm.File(file, 'w');
  f.create_dataset({ name: FORGED, data: new Float64Array([1]) });
  f.close();
  const out = join(root, 'o1');
  assertRefused(ptychostudy(['lsqml', '--input', file, '--out', out, '--epochs', '2']), 'lsqml',
    `${file}: key 'entry_1/data_1/data': expected CXI diffraction data (or PtyPy's chunks/ and meta/); found top-level keys [${SHOWN}]`);
  assertRefused(ptychostudy(['lsqml', '--input', fx('scan-noprobe.cxi'), '--out', out, '--epochs', '2', '--init-probe', `file:${file}`]), 'lsqml',
    `${file}: expected a probe at entry_1/instrument_1/source_1/illumination (CXI), 'probe' (ptychodus product) or content/probe/*/data (PtyPy .ptyr); found top-level keys [${SHOWN}]`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('a .ptyd chunk group and a .ptyr probe storage named with a line break: escaped, or refused by name', async () => {
  const ptyd = join(root, 'chunks.ptyd');
  rewriteHdf5(fx('scan.ptyd'), ptyd, { drop: ['chunks/0', 'chunks/1'], groups: ['chunks/x\nsecond line'] });
  await assert.rejects(readInputData(ptyd), (err: unknown) => err instanceof InputError &&
    err.message === `${ptyd}: key 'chunks': expected chunk groups chunks/0, chunks/1, … (PtyPy prepared data); found only [x\\nsecond line]`);
  const ptyr = join(root, 'storage.ptyr');
  const f = new h5wasm.File(ptyr, 'w');
  const n = 32 * 32;
  f.create_group('content').create_group('probe').create_group(`S${FORGED}`)
    .create_dataset({ name: 'data', data: new Map([['r', new Float32Array(n).fill(1)], ['i', new Float32Array(n)]]), shape: [1, 32, 32] });
  f.close();
  await assert.rejects(readProbeFile(ptyr, 32, 32), (err: unknown) => err instanceof InputError &&
    err.message === `${ptyr}: key 'content/probe': expected probe storages named without control characters (PtyPy names them S…G…); found "S${SHOWN}"`);
  const out = join(root, 'o2');
  assertRefused(ptychostudy(['lsqml', '--input', fx('scan-noprobe.cxi'), '--out', out, '--epochs', '2', '--init-probe', `file:${ptyr}`]), 'lsqml',
    `${ptyr}: key 'content/probe': expected probe storages named without control characters (PtyPy names them S…G…); found "S${SHOWN}"`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('a lock file whose owner holds a line break: the busy message is one line', () => {
  const g = join(root, 'g');
  mkdirSync(g);
  // this test's own process holds it (alive, same host): the lock is busy, not stale
  writeFileSync(join(g, '.generate.lock'), JSON.stringify({
    lock: 'ptychostudy', version: 1, owner: 'generate run\nptychostudy generate: done\u001b[2K', host: hostname(), pid: process.pid, token: 't', acquired_at: 'then',
  }));
  const r = ptychostudy(['generate', '--out', g, '--dose', '1e3', '--n-images', '10']);
  assertRefused(r, 'generate', `${g}: another generate run\\nptychostudy generate: done\\u001b[2K (pid ${process.pid}) on host ${hostname()} since then ` +
    `is writing into this Phase C root (lock ${join(g, '.generate.lock')})`);
});
