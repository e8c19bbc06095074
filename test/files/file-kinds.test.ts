/**
 * No reader of a file a user could have put or edited waits on it or reads it without end: a named pipe (whose
 * blocking open() waits for a writer, for ever when none comes), a directory, a device, a loop of symbolic links or
 * a link to nothing is refused in one line naming the file — and a broken link is never taken for an absent file.
 * One test per reader family. A named pipe is given a writer after 10 s by a child process (`unblockLater`), so a
 * regression fails its assertion (the pipe then reads as empty) instead of hanging the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { refused } from './refused.js';
import { readBytesAtMost, readTextAtMost } from '../../src/files/bounded-read.js';
import { EarlierFiles, sameBytes } from '../../src/files/earlier.js';
import { fingerprint, fingerprintSync } from '../../src/files/fingerprint.js';
import { openForReading, statEntry } from '../../src/files/regular.js';
import { checkPhaseCFiles } from '../../src/study/hub/recorded-files.js';
import { withReconstructionFiles } from '../../src/settings/file.js';
import { readMetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { readLossHistory } from '../../src/study/hub/reconstruction-arrays.js';
import { readRunState } from '../../src/study/run/state.js';
import { ImageDir, present } from '../../src/study/report/sections.js';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { assertRefused, ptychostudy } from '../data/cli-run.js';
import { tempDir } from '../tmp.js';

const root = tempDir('file-kinds');
let n = 0;
const fresh = (): string => { const d = join(root, String(n++)); mkdirSync(d); return d; };

/** A named pipe at `path` and a child that opens it for writing 10 s later (killed by the returned function). */
function pipeAt(path: string): () => void {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mkfifo failed: ${r.stderr}`);
  const child = spawn('sh', ['-c', 'sleep 10; exec 3>"$1"', 'sh', path], { stdio: 'ignore' });
  return () => { child.kill('SIGKILL'); };
}

/** `fn` with a named pipe at `path` (see `pipeAt`). */
function withPipe<T>(path: string, fn: () => T): T {
  const unblock = pipeAt(path);
  try {
    return fn();
  } finally {
    unblock();
  }
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Each kind of entry that is no file to read, at a fresh path, with the words that name it. */
function hostile(): { path: string; words: string; done: () => void }[] {
  const d = fresh();
  const fifo = join(d, 'fifo.json'), dir = join(d, 'dir.json'), dev = join(d, 'zero.json'), loop = join(d, 'loop.json'), dangling = join(d, 'dangling.json');
  const done = pipeAt(fifo);
  mkdirSync(dir);
  symlinkSync('/dev/zero', dev);
  symlinkSync('loop.json', loop);
  symlinkSync('nothing.json', dangling);
  return [
    { path: fifo, words: 'not a regular file \\(a named pipe\\)', done },
    { path: dir, words: 'not a regular file \\(a directory\\)', done: () => {} },
    { path: dev, words: 'not a regular file \\(a character device\\)', done: () => {} },
    { path: loop, words: 'a loop of symbolic links', done: () => {} },
    { path: dangling, words: 'a symbolic link to nothing\\.json, which does not exist', done: () => {} },
  ];
}

test('openForReading and the bounded readers: a pipe, a directory, a device, a loop, a dangling link → one line naming the file (a pipe hung)', () => {
  for (const h of hostile()) {
    try {
      refused(() => openForReading(h.path), new RegExp(`^${esc(h.path)}: ${h.words}$`));
      refused(() => readTextAtMost(h.path, 1 << 20, 'a record'), new RegExp(`^${esc(h.path)}: ${h.words}$`));
      refused(() => readBytesAtMost(h.path, 1 << 20), new RegExp(`^${esc(h.path)}: ${h.words}$`));
    } finally {
      h.done();
    }
  }
  // nothing at the path is still Node's own ENOENT, which callers take for "absent"
  assert.throws(() => readTextAtMost(join(root, 'none.json'), 10, 'a record'), { code: 'ENOENT' });
});

test('JSON records of a hub: run.json and a metrics summary as a named pipe are refused (were a hang); a dangling run.json is broken, not absent', () => {
  const hub = fresh();
  const runJson = join(hub, 'run.json');
  withPipe(runJson, () => refused(() => readRunState(hub), new RegExp(`^${esc(runJson)}: expected a hub's run record \\(a JSON file\\); found a named pipe; this hub cannot be resumed`)));
  const other = fresh();
  symlinkSync('gone.json', join(other, 'run.json'));
  refused(() => readRunState(other), /run\.json: expected a hub's run record \(a JSON file\); found a symbolic link to gone\.json, which does not exist; this hub cannot be resumed/);
  const summary = join(fresh(), 'metrics_summary.json');
  withPipe(summary, () => refused(() => readMetricsSummary(summary), new RegExp(`^${esc(summary)}: expected a JSON file; found a named pipe$`)));
});

test('fingerprints (the SHA-256 manifests record) refuse a named pipe, sync and streamed (a hang, and a stuck read thread)', async () => {
  const d = fresh();
  const fifo = join(d, 'input.npz');
  const unblock = pipeAt(fifo);
  try {
    refused(() => fingerprintSync(fifo), /input\.npz: not a regular file \(a named pipe\)$/);
    await assert.rejects(fingerprint(fifo), (e: unknown) => e instanceof InputError && /input\.npz: not a regular file \(a named pipe\)$/.test(e.message));
  } finally {
    unblock();
  }
  writeFileSync(join(d, 'a'), 'abc');
  assert.deepEqual(await fingerprint(join(d, 'a')), fingerprintSync(join(d, 'a')));
  assert.equal(fingerprintSync(join(d, 'a')).size, 3);
});

test('earlier outputs: a record that is a named pipe is refused before the run writes; a pipe where an output was is kept, not read (both hung)', () => {
  const d = fresh();
  const manifest = join(d, 'run_manifest.json');
  withPipe(manifest, () => refused(() => new EarlierFiles(d, [manifest]),
    new RegExp(`^${esc(manifest)}: not a regular file \\(a named pipe\\); it would be kept with the files this run replaces$`)));
  const out = join(d, 'out.npz');
  writeFileSync(join(d, 'new.tmp'), 'new');
  withPipe(out, () => assert.equal(sameBytes(out, join(d, 'new.tmp')), false));
  writeFileSync(join(d, 'same'), 'new');
  assert.equal(sameBytes(join(d, 'same'), join(d, 'new.tmp')), true);
});

test('a job\'s lsqml.log as a named pipe or a dangling link is refused (a hang; the link was read as no log)', () => {
  const d = fresh();
  const log = join(d, 'lsqml.log');
  withPipe(log, () => refused(() => readLossHistory(join(d, 'reconstruction.npz'), log), new RegExp(`^${esc(log)}: not a regular file \\(a named pipe\\)$`)));
  const e = fresh();
  symlinkSync('gone.log', join(e, 'lsqml.log'));
  refused(() => readLossHistory(join(e, 'reconstruction.npz'), join(e, 'lsqml.log')), /lsqml\.log: a symbolic link to gone\.log, which does not exist$/);
  writeFileSync(join(e, 'ok.log'), 'epoch 0 loss 2.5\nepoch 1 loss 1.5\n');
  assert.deepEqual(readLossHistory(join(e, 'reconstruction.npz'), join(e, 'ok.log')), { values: [2.5, 1.5], source: 'lsqml.log' });
});

test('start files: a loop of symbolic links given as --init-probe is left to the probe reader, which refuses it in one line (was exit 1)', () => {
  const d = fresh();
  const loop = join(d, 'probe.h5');
  symlinkSync('probe.h5', loop);
  assert.deepEqual(withReconstructionFiles({ reconstruction: { initProbe: `file:${loop}` } }), { reconstruction: { initProbe: `file:${loop}` } });
});

test('export of a folder whose reconstruction.npz is a named pipe names the pipe (it said the folder holds none)', () => {
  const d = fresh();
  const rec = join(d, 'rec');
  mkdirSync(rec);
  const npz = join(rec, 'reconstruction.npz');
  withPipe(npz, () => assertRefused(ptychostudy(['export', '--input', rec, '--out', join(d, 'p.h5'), '--pixel-size', '1e-8'], { timeoutMs: 30_000 }),
    'export', `${npz}: not a regular file (a named pipe)`));
});

test('an HDF5 file extended to 100 GiB (sparse) is refused from its superblock before it is read (its SHA-256 took minutes); a little padding is not', async () => {
  const d = fresh();
  const scan = fileURLToPath(new URL('../../../test/fixtures/cxi/scan.cxi', import.meta.url));
  const big = join(d, 'big.cxi');
  copyFileSync(scan, big);
  truncateSync(big, 100 * 2 ** 30);
  await assert.rejects(Hdf5Reader.open(big), (e: unknown) => e instanceof InputError &&
    /^.*big\.cxi: expected an HDF5 file that ends near where its superblock says its data ends \(byte \d+\); found 107374182400 bytes, \d+ of them after its end$/.test(e.message));
  const padded = join(d, 'padded.cxi');
  copyFileSync(scan, padded);
  truncateSync(padded, 2 * 2 ** 20);
  (await Hdf5Reader.open(padded)).close();
});

test('the report copies a hub\'s figure only from a regular file: a named pipe hung it, a sparse 100 GiB PNG was copied whole', () => {
  const d = fresh();
  const img = new ImageDir(fresh());
  const png = join(d, 'comparison.png');
  withPipe(png, () => refused(() => img.copy('a.png', png), new RegExp(`^${esc(png)}: not a regular file \\(a named pipe\\)$`)));
  const zero = join(d, 'zero.png');
  symlinkSync('/dev/zero', zero);
  refused(() => img.copy('b.png', zero), /zero\.png: not a regular file \(a character device\)$/);
  const sparse = join(d, 'sparse.png');
  writeFileSync(sparse, '');
  truncateSync(sparse, 100 * 2 ** 30);
  refused(() => img.copy('s.png', sparse), /sparse\.png: more than 67108864 bytes; a figure the report copies has at most 67108864$/);
  // a dangling link is a figure that is there, and broken (it was skipped as absent)
  const dangling = join(d, 'dangling.png');
  symlinkSync('gone.png', dangling);
  assert.equal(present(dangling), true);
  assert.equal(present(join(d, 'none.png')), false);
  refused(() => img.copy('d.png', dangling), /dangling\.png: a symbolic link to gone\.png, which does not exist$/);
  writeFileSync(join(d, 'ok.png'), PNG.sync.write(new PNG({ width: 1, height: 1 })));
  assert.equal(img.copy('c.png', join(d, 'ok.png')), 'img/c.png');
  assert.deepEqual(img.files, [join(img.dir, 'c.png')]);
});

test('a loop of symbolic links where a hub file is recorded is one line, exit 2 (statSync threw ELOOP: exit 1)', () => {
  const d = fresh();
  const loop = join(d, 'patched_test.npz');
  symlinkSync('patched_test.npz', loop);
  refused(() => statEntry(loop), new RegExp(`^${esc(loop)}: a loop of symbolic links$`));
  assert.equal(statEntry(join(d, 'none')), undefined);
  refused(() => checkPhaseCFiles([{ path: loop, dose: 1000, size: 10, sha256: '0'.repeat(64) }], 'remake Phase C'), new RegExp(`^${esc(loop)}: a loop of symbolic links$`));
});
