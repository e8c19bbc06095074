/**
 * Nothing but the named regular file is read: a named pipe (or a directory) given as the input or the
 * probe file is refused before it is opened — open() on a FIFO blocks until a writer comes, forever if
 * none does — and data an HDF5 file keeps in another file is refused however it is stored: HDF5
 * external raw storage and a virtual dataset (the committed fixtures external-raw.cxi and
 * vds-elsewhere.cxi, written by scripts/make-cxi-fixture.py with h5py). The command-line cases run
 * `ptychostudy lsqml` in a child process: exit 2, one line, nothing written, well under the timeout
 * (a hang fails the test instead of stopping it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/errors.js';
import { readInputData } from '../../src/data/input.js';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { sniffFile } from '../../src/data/hdf5/signature.js';
import { fixtureEntries, resizeDataset, writeHdf5 } from './cxi-builder.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-hdf5-outside-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const fx = (f: string): string => join('test/fixtures/cxi', f);

const mkfifo = spawnSync('mkfifo', ['--version'], { encoding: 'utf8' });
const noFifo = mkfifo.error ? `needs mkfifo (${mkfifo.error.message})` : false;

/** `ptychostudy lsqml … --out DIR` in a child process, killed after 60 s. */
function lsqml(args: string[], out: string): { status: number | null; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'lsqml', ...args, '--out', out, '--epochs', '2'], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, PTYCHOSTUDY_DEBUG: '' },
  });
  return { status: r.status, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Exit 2, one line on stderr matching `re`, nothing written under `out`, well under the timeout. */
function refusedByCli(r: ReturnType<typeof lsqml>, out: string, re: RegExp): void {
  assert.equal(r.status, 2, `exit ${r.status} after ${r.seconds.toFixed(1)} s: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.ok(!existsSync(out), 'nothing written');
  assert.ok(r.seconds < 30, `hang guard: ${r.seconds.toFixed(1)} s`);
}

test('a named pipe or a directory is refused before it is opened: as the input, as a probe file, by the HDF5 reader', { skip: noFifo }, () => {
  const fifo = join(root, 'scan.cxi');
  const made = spawnSync('mkfifo', [fifo], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const dir = join(root, 'dir.cxi');
  mkdirSync(dir);
  // In a child process: a blocked open() cannot be interrupted from JavaScript, so a regression must
  // fail by the timeout instead of hanging the test run.
  const mod = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `
const { readInputData } = await import(${mod('../../src/data/input.js')});
const { readProbeFile } = await import(${mod('../../src/data/probe-file.js')});
const { Hdf5Reader } = await import(${mod('../../src/data/hdf5/reader.js')});
const { sniffFile } = await import(${mod('../../src/data/hdf5/signature.js')});
const out = [];
for (const p of ${JSON.stringify([fifo, dir])}) {
  for (const f of [() => readInputData(p), () => readProbeFile(p, 32, 32), () => Hdf5Reader.open(p), () => sniffFile(p)]) {
    try { await f(); out.push('read'); } catch (e) { out.push(e.name + ': ' + e.message); }
  }
}
console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `status ${r.status} ${r.signal ?? ''} (a hang is killed after 30 s): ${r.stderr}`);
  const got = JSON.parse(r.stdout) as string[];
  assert.deepEqual(got, [
    `InputError: ${fifo}: not a regular file (a named pipe)`,
    `InputError: ${fifo}: not a regular file (a named pipe)`,
    `Hdf5Error: ${fifo}: not a regular file (a named pipe)`,
    `InputError: ${fifo}: not a regular file (a named pipe)`,
    `InputError: ${dir}: not a regular file (a directory)`,
    `InputError: ${dir}: not a regular file (a directory)`,
    `Hdf5Error: ${dir}: not a regular file (a directory)`,
    `InputError: ${dir}: not a regular file (a directory)`,
  ]);
  const out = join(root, 'out-fifo');
  refusedByCli(lsqml(['--input', fifo], out), out, /^ptychostudy lsqml: .*scan\.cxi: not a regular file \(a named pipe\)$/);
  const out2 = join(root, 'out-fifo-probe');
  refusedByCli(lsqml(['--input', fx('scan-noprobe.cxi'), '--init-probe', `file:${fifo}`], out2), out2, /scan\.cxi: not a regular file \(a named pipe\)$/);
});

test('regular files still read through the same checks', async () => {
  assert.equal(sniffFile(fx('scan.cxi')), 'hdf5');
  const r = await Hdf5Reader.open(fx('scan.cxi'));
  try {
    assert.equal(r.kind('entry_1/data_1/data'), 'dataset');
  } finally {
    r.close();
  }
});

test('HDF5 external raw storage is refused, naming the other file; nothing of it is read', async () => {
  const p = fx('external-raw.cxi');
  await assert.rejects(readInputData(p), (err: Error) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message, `${p}: key 'entry_1/instrument_1/detector_1/data': its raw data is stored outside the named file, in /dev/zero (HDF5 external storage); ptychostudy reads nothing outside the named file (copy the data into it)`);
    return true;
  });
  const out = join(root, 'out-external');
  refusedByCli(lsqml(['--input', p, '--probe-model', 'aperture:diameter=1e-6'], out), out, /external-raw\.cxi: key 'entry_1\/instrument_1\/detector_1\/data': its raw data is stored outside the named file, in \/dev\/zero/);
});

test('a virtual dataset with its source in another file is refused from its metadata', async () => {
  const p = fx('vds-elsewhere.cxi');
  await assert.rejects(readInputData(p), (err: Error) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.message, `${p}: key 'entry_1/instrument_1/detector_1/data': a virtual dataset with data in test/fixtures/cxi/scan.cxi:/entry_1/instrument_1/detector_1/data; ptychostudy reads nothing outside the named file (copy the data into it, e.g. with h5copy)`);
    return true;
  });
});

test('tiny chunks through the command line: one line from the metadata, no library messages on stderr', async () => {
  const entries = await fixtureEntries();
  const p = join(root, 'tiny-chunks.cxi');
  writeHdf5(p, {
    ...entries,
    'entry_1/data_1/data': { data: new Uint8Array(1024).fill(1), shape: [1, 32, 32], dtype: '<B', maxshape: [null, 32, 32], chunks: [1, 1, 1], gzip: 1 },
    'entry_1/sample_1/geometry_1/translation': { data: new Float64Array(3), shape: [1, 3], dtype: '<d', maxshape: [null, 3], chunks: [1024, 3] },
    'entry_1/instrument_1/source_1/illumination': null,
  });
  resizeDataset(p, 'entry_1/data_1/data', [1000, 32, 32]);
  resizeDataset(p, 'entry_1/sample_1/geometry_1/translation', [1000, 3]);
  const out = join(root, 'out-tiny');
  refusedByCli(lsqml(['--input', p, '--probe-model', 'aperture:diameter=2e-6'], out), out,
    /tiny-chunks\.cxi: key 'entry_1\/data_1\/data': expected at most 65536 chunks, or chunks of at least 4096 bytes .*; found 1024000 chunks of shape \[1, 1, 1\] \(1 byte each\)$/);
});
