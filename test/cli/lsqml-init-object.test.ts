/**
 * Continuing a reconstruction: `--init-object file:PATH` starts the object from an earlier
 * reconstruction.npz (or its folder, or an NPZ objectGuess) of the same object frame; a file of another shape, without
 * the key, or holding a NaN is refused in one line (exit 2), nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { c128, c64, f64 } from '../../src/npy/types.js';
import { readMetadata } from '../../src/data/metadata.js';
import { readObjectFile } from '../../src/data/object-file.js';
import { writeSyntheticDataset } from '../engine/dataset.js';
import { phaseF, testEngine, writeTree } from '../study/reconstruct-helpers.js';

const cli = 'dist/src/cli/main.js';
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-init-object-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const ds = writeSyntheticDataset(join(root, 'data.npz'), { size: 16, height: 40, width: 40, positions: 36, photons: 1e4, poisson: false, seed: 4 });

function lsqml(out: string, ...extra: string[]) {
  return spawnSync(process.execPath, [cli, 'lsqml', '--input', ds.path, '--out', out, '--epochs', '6', '--batch-size', '12', '--seed', '2', ...extra],
    { encoding: 'utf8' });
}
const lossOf = (out: string): Float64Array => loadNpz(join(out, 'reconstruction.npz')).loss_history!.data as Float64Array;
const metaOf = (out: string): Record<string, unknown> => (readMetadata(loadNpz(join(out, 'reconstruction.npz'))._metadata!) as { value: Record<string, unknown> }).value;

function refused(out: string, file: string, re: RegExp): void {
  const r = lsqml(out, '--init-object', `file:${file}`);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.ok(!existsSync(join(out, 'reconstruction.npz')) && !existsSync(join(out, 'lsqml.log')), 'nothing written');
}

test('lsqml --init-object file: continues from an earlier reconstruction; the source is recorded', () => {
  const first = join(root, 'first'), fresh = join(root, 'fresh'), next = join(root, 'next');
  assert.equal(lsqml(first).status, 0);
  const firstNpz = join(first, 'reconstruction.npz');
  // the object from the folder `lsqml --out` wrote (taken as its reconstruction.npz), the probe from the file
  const r = lsqml(next, '--init-object', `file:${first}`, '--init-probe', `file:${firstNpz}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(lsqml(fresh, '--init-probe', `file:${first}`).status, 0); // the same probe (by its folder), the object from ones
  assert.equal((JSON.parse(readFileSync(join(fresh, 'reconstruction_run.json'), 'utf8')) as { init_probe_path: string }).init_probe_path, firstNpz);
  const a = lossOf(first), b = lossOf(next), c = lossOf(fresh);
  const last = a[a.length - 1]!;
  // epoch 0 of the continued run starts where the first run ended, far below a start from ones
  assert.ok(Math.abs(b[0]! - last) < 0.3 * last, `continued epoch 0 ${b[0]} vs the first run's last ${last}`);
  assert.ok(b[0]! < 0.5 * c[0]!, `continued epoch 0 ${b[0]} vs a fresh start's ${c[0]}`);
  const m = metaOf(next);
  assert.equal(m.init_object, 'file:reconstruction.npz: reconstructed_object');
  const bytes = readFileSync(firstNpz);
  assert.deepEqual(m.init_object_file, { file: 'reconstruction.npz', key: 'reconstructed_object', size_bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex') });
  // by name in _metadata (its bytes are in init_object_file); where it was, in the run record
  assert.equal((m.job_options as { initObject: string }).initObject, 'file:reconstruction.npz');
  assert.equal((JSON.parse(readFileSync(join(next, 'reconstruction_run.json'), 'utf8')) as { init_object_path: string }).init_object_path, firstNpz);
});

test('an NPZ objectGuess (complex128) is read as the initial object; bad shape, missing key, NaN and dtype are refused', async () => {
  // the dataset's own objectGuess read as a file: the same object as --init-object guess
  const truth = ds.problem.trueObject;
  const o = await readObjectFile(ds.path, 40, 40);
  assert.equal(o.key, 'objectGuess');
  assert.deepEqual(Array.from(o.data.subarray(0, 8)), Array.from(truth.subarray(0, 8)));
  const small = join(root, 'small.npz');
  saveNpz(small, { reconstructed_object: c64([40, 38], new Float32Array(2 * 40 * 38).fill(1)) });
  refused(join(root, 'r-shape'), small, /small\.npz: key 'reconstructed_object': expected a complex object \[40, 40\] \(the object frame of this dataset; only a ptychodus product's centre or a PtyPy .ptyr's origin places an object of another shape: crop or pad it to \[40, 40\]\); found shape \[40, 38\]$/);
  const nokey = join(root, 'nokey.npz');
  saveNpz(nokey, { reconstructed_probe: c64([1, 16, 16], new Float32Array(2 * 256).fill(1)) });
  refused(join(root, 'r-key'), nokey, /nokey\.npz: key 'reconstructed_object': expected a complex object \[40, 40\].* \(or 'objectGuess'\); found it missing$/);
  const nan = join(root, 'nan.npz');
  const v = new Float64Array(2 * 1600).fill(1); v[2 * 17 + 1] = NaN;
  saveNpz(nan, { objectGuess: c128([40, 40], v) });
  refused(join(root, 'r-nan'), nan, /nan\.npz: key 'objectGuess': expected a finite object; found NaN at flat index 17$/);
  // finite but far beyond a transmission (garbage exponents): the predicted intensity overflows; said so, naming the file
  // the object came from (was: 'predict no intensity', named after the data file alone)
  const huge = join(root, 'huge.npz');
  saveNpz(huge, { objectGuess: c128([40, 40], new Float64Array(2 * 1600).fill(1e30)) });
  refused(join(root, 'r-huge'), huge, new RegExp(`data\\.npz: the initial probe and object predict an intensity too large to hold in float32 \\(\\|P·O\\|² overflows\\), so the probe cannot be rescaled \\(the object from ${huge.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
  const real = join(root, 'real.npz');
  saveNpz(real, { reconstructed_object: f64([40, 40], new Float64Array(1600)) });
  refused(join(root, 'r-real'), real, /real\.npz: key 'reconstructed_object': expected a complex object \[40, 40\].*; found dtype <f8$/);
  await assert.rejects(readObjectFile(ds.path, 40, 40, {}, { bytes: 1000, source: 'test' }), /objectGuess': expected an object that fits the memory limit/);
  await assert.rejects(readObjectFile(root, 40, 40), /not a regular file \(a directory\)/);
  await assert.rejects(readObjectFile(join(root, 'absent.npz'), 40, 40), /absent\.npz: cannot read the object file/);
});

test('reconstruct refuses an object file that does not fit its inputs\' object frame before writing anything', async () => {
  const t = writeTree(join(root, 'hub'));
  const input = join(t.phaseD, 'dose_1000', 'dense', 'dense_train.npz');
  saveNpz(input, { ...loadNpz(input), objectGuess: c64([30, 30], new Float32Array(2 * 900).fill(1)) });
  const obj = join(root, 'obj.npz');
  saveNpz(obj, { reconstructed_object: c64([30, 32], new Float32Array(2 * 960).fill(1)) });
  const { executor, calls } = testEngine();
  await assert.rejects(phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: t.artifact, settings: { initObject: `file:${obj}` }, executor,
    filters: { dose: 1000, view: 'dense', split: 'train' } }), /obj\.npz: key 'reconstructed_object': expected a complex object \[30, 30\].*; found shape \[30, 32\]/);
  assert.equal(calls.length, 0);
  assert.ok(!existsSync(t.artifact), 'nothing written');
});
