/**
 * HDF5 datasets of types and shapes no reader here takes for what they stand in for (test/fixtures/hdf5-types, written by
 * h5py: scripts/make-hdf5-type-fixtures.py): a compound that is no complex number, float16, strings, enums, variable-length
 * data, opaque, bitfield, references, a 0-d value in place of an array — at the patterns, the positions, the energy,
 * the probe and the detector mask of a CXI file, and at a .ptyd's patterns. Each is refused in one line naming the file,
 * the key, what was expected and what was found, by a reconstruction and by `inspect --check` alike; plain `inspect`
 * lists the file. And a file declaring far more data than the memory limit holds is refused from its shapes, before the read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { InputError } from '../../src/errors.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const dir = resolve('test/fixtures/hdf5-types');
const out = tempDir('hdf5-types');
// the probe and object files and the .ptyd meta values are hdf5-types-inputs.test.ts's
const odd = readdirSync(dir).filter((f) => /^(data|translation|energy|probe|mask|ptyd)-(?!file-|meta-)/.test(f)).sort();
const KEYS: Record<string, string> = {
  data: 'entry_1/data_1/data', translation: 'entry_1/sample_1/geometry_1/translation', energy: 'entry_1/instrument_1/source_1/energy',
  probe: 'entry_1/instrument_1/source_1/illumination', mask: 'entry_1/instrument_1/detector_1/mask', ptyd: 'chunks/0/data',
};
const lineOf = (file: string): RegExp => {
  const key = KEYS[file.split('-')[0]!]!;
  return new RegExp(`^${join(dir, file).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: key '${key.replace(/\//g, '\\/')}': expected [^\\n]+; found [^\\n]+$`);
};

test('the fixtures: every type and place is there, and base.cxi, the file they are made from, reconstructs', async () => {
  assert.equal(odd.length, 5 * 11 + 5, odd.join(' '));
  const r = await runLsqmlJob({ input: join(dir, 'base.cxi'), outputDir: join(out, 'base'), settings: { epochs: 2 } });
  assert.equal(r.nPositions, 4);
});

test('each odd dataset: a reconstruction refuses it in one line naming the file, the key, what was expected and what was found', async () => {
  for (const f of odd) {
    await assert.rejects(runLsqmlJob({ input: join(dir, f), outputDir: join(out, f), settings: { epochs: 2 } }),
      (err: Error) => { assert.ok(err instanceof InputError, `${f}: ${err.stack}`); assert.match(err.message, lineOf(f), f); return true; });
  }
});

test('inspect --check lists the same line for each, exit 2; plain inspect lists every file, exit 0', async () => {
  const check = ptychostudy(['inspect', '--check', ...odd.map((f) => join(dir, f))]);
  assert.equal(check.status, 2, check.stderr);
  assert.equal(check.stderr, '');
  for (const f of odd) {
    let line = '';
    await runLsqmlJob({ input: join(dir, f), outputDir: join(out, `again-${f}`), settings: { epochs: 2 } }).catch((err: Error) => { line = err.message; });
    assert.ok(check.stdout.split('\n').includes(`  ${line}`), `${f}: ${line}`);
  }
  const plain = ptychostudy(['inspect', ...odd.map((f) => join(dir, f))]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout + plain.stderr, /^\s+at /m);
});

test('lsqml on the command line: exit 2, one line (a few of them)', () => {
  for (const f of ['data-compound.cxi', 'translation-vlen.cxi', 'energy-scalar.cxi', 'probe-reference.cxi', 'ptyd-float16.ptyd']) {
    assertRefused(ptychostudy(['lsqml', '--input', join(dir, f), '--out', join(out, `cli-${f}`), '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6']), 'lsqml', new RegExp(`^ptychostudy lsqml: ${lineOf(f).source.slice(1)}`));
  }
});

for (const [f, key] of [['declared-huge.cxi', 'entry_1/data_1/data'], ['declared-huge.ptyd', 'chunks/0/data']] as const) {
  test(`${f}: 1024 patterns of 256×256 declared in a small file are refused from the shapes, before the stack is read, by lsqml and inspect --check alike, naming the crop (the frames are read whole)`, () => {
    // the float32 amplitudes (256 MiB) fit the limit, the job (over 1 GiB) does not: it used to be refused after the read
    const env = { PTYCHOSTUDY_MEMORY_LIMIT: '512M' };
    const file = join(dir, f);
    const line = `${file}: key '${key}': expected a reconstruction that fits the memory limit of 512.0 MiB (PTYCHOSTUDY_MEMORY_LIMIT=512M); ` +
      'found 1024 patterns of 256×256, for which an LSQML job with 1 mode needs at least 1.48 GiB (on the smallest object frame, before the scan\'s extent is known): ' +
      `the frames are read whole (no --crop-size); crop them about the direct beam with --crop-center Y,X --crop-size N (\`ptychostudy inspect ${file}\` says where the beam is and suggests both)`;
    const r = ptychostudy(['lsqml', '--input', file, '--out', join(out, `huge-${f}`), '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6'], { env, measure: true });
    assertRefused(r, 'lsqml', line);
    assert.ok(r.maxRssBytes! < 200 * 2 ** 20, `peak memory ${(r.maxRssBytes! / 2 ** 20).toFixed(0)} MiB: the 256 MiB of amplitudes were read`);
    const check = ptychostudy(['inspect', '--check', file], { env, measure: true });
    assert.equal(check.status, 2, check.stderr);
    assert.ok(check.stdout.split('\n').includes(`  ${line}`), check.stdout);
    assert.ok(check.maxRssBytes! < 200 * 2 ** 20, `inspect --check peak memory ${(check.maxRssBytes! / 2 ** 20).toFixed(0)} MiB`);
    // a crop asked for that still does not fit the limit: the same refusal without the advice
    const cropped = ptychostudy(['lsqml', '--input', file, '--out', join(out, `huge-crop-${f}`), '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6',
      '--crop-center', '128,128', '--crop-size', '128'], { env: { PTYCHOSTUDY_MEMORY_LIMIT: '64M' } });
    assertRefused(cropped, 'lsqml', /found 1024 patterns of 128×128, for which an LSQML job with 1 mode needs at least [\d.]+ MiB \(on the smallest object frame, before the scan's extent is known\)$/);
  });
}
