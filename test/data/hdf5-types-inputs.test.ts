/**
 * The odd HDF5 types of test/fixtures/hdf5-types (scripts/make-hdf5-type-fixtures.py, h5py) where a reconstruction
 * reads more than the measured data: the probe of a probe file (reconstruction.initProbe file:PATH: a ptychodus product,
 * a PtyPy .ptyr, a CXI file), the object of an object file (reconstruction.initObject file:PATH: a product, a .ptyr, a
 * CXI image), and the meta values of PtyPy prepared data (meta/energy, distance, psize, center, also of a shape no
 * reader takes and not finite). Each is refused in one line naming the file, the key, what was expected and what was
 * found: by a reconstruction, and in the same line by `inspect --check` (a probe file given with --init-probe, a .ptyd
 * as it is).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runLsqmlJob } from '../../src/study/reconstruct/lsqml-job.js';
import { readInputData } from '../../src/data/input.js';
import { InputError } from '../../src/errors.js';
import { assertRefused, ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const dir = resolve('test/fixtures/hdf5-types');
const base = join(dir, 'base.cxi');
const out = tempDir('hdf5-types-inputs');
const files = readdirSync(dir).sort();
const KINDS = ['bitfield', 'compound', 'compound-xy', 'enum', 'float16', 'opaque', 'reference', 'scalar', 'string', 'vlen', 'vlen-string'];
// the CXI probe files are the measurements whose probe is odd (probe-<type>.cxi), read here as probe files for base.cxi
const probeFiles = files.filter((f) => /^probe-file-/.test(f) || /^probe-(?!file-)[a-z0-9-]+\.cxi$/.test(f));
const objectFiles = files.filter((f) => f.startsWith('object-file-'));
const metaFiles = files.filter((f) => f.startsWith('ptyd-meta-'));

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The one line: the file, the key, what was expected and what was found. */
const lineOf = (file: string, key: string): RegExp => new RegExp(`^${escaped(join(dir, file))}: key '${escaped(key)}': expected [^\\n]+; found [^\\n]+$`);
function probeKey(f: string): string {
  if (f.startsWith('probe-file-product-')) return 'probe';
  if (f.startsWith('probe-file-ptyr-')) return 'content/probe/S00G00/data';
  return 'entry_1/instrument_1/source_1/illumination';
}
function objectKey(f: string): string {
  if (f.startsWith('object-file-product-')) return 'object';
  if (f.startsWith('object-file-ptyr-')) return 'content/obj/S00G00/data';
  return 'entry_1/image_1/data';
}
const metaKey = (f: string): string => `meta/${/^ptyd-meta-([a-z]+)-/.exec(f)![1]}`;

async function refusal(job: Parameters<typeof runLsqmlJob>[0]): Promise<string> {
  let line = '';
  await assert.rejects(runLsqmlJob(job), (err: Error) => { assert.ok(err instanceof InputError, err.stack); line = err.message; return true; });
  return line;
}

test('the fixtures: every type at the probe of a product and a .ptyr, the object of a product, a .ptyr and a CXI image, and at four meta values of a .ptyd', () => {
  for (const prefix of ['probe-file-product', 'probe-file-ptyr', 'object-file-product', 'object-file-ptyr', 'object-file-cxi']) {
    assert.deepEqual(files.filter((f) => f.startsWith(`${prefix}-`)).map((f) => f.slice(prefix.length + 1).replace(/\.\w+$/, '')).sort(), KINDS, prefix);
  }
  assert.equal(probeFiles.length, 3 * 11);
  assert.equal(metaFiles.length, 5 * (11 + 3) + 1);
});

// inspect --check reads a probe or object file with the reader a reconstruction calls (study/reconstruct/input.ts
// probeFromFile, data/object-file.ts readObjectFile): every file is refused in-process below, and the command's own
// listing of that line is run for every fourth file (each container and several types), not for all 66 — each run is a
// process of its own, ≈ 0.5 s.
const listedByInspect = (i: number): boolean => i % 4 === 0;

test('probe files of odd types: lsqml refuses each in one line, and inspect --check --init-probe lists that line, exit 2', async () => {
  for (const [i, f] of probeFiles.entries()) {
    const line = await refusal({ input: base, outputDir: join(out, `probe-${f}`), settings: { epochs: 2, initProbe: `file:${join(dir, f)}` } });
    assert.match(line, lineOf(f, probeKey(f)), f);
    if (!listedByInspect(i)) continue;
    const check = ptychostudy(['inspect', '--check', '--init-probe', `file:${join(dir, f)}`, base]);
    assert.equal(check.status, 2, `${f}: ${check.stderr}`);
    assert.equal(check.stderr, '');
    assert.ok(check.stdout.split('\n').includes(`  ${line}`), `${f}: ${line}\n${check.stdout}`);
  }
});

test('a probe or object file of an odd type checked alone (inspect --check FILE, no patterns to size it for): one line naming its key, exit 2', () => {
  // a .ptyr or a product holds both: the odd one is refused, the other read (its object was not read at all)
  const alone = [...probeFiles.filter((f) => f.startsWith('probe-file-')), ...objectFiles.filter((f) => !f.startsWith('object-file-cxi-'))];
  const check = ptychostudy(['inspect', '--check', ...alone.map((f) => join(dir, f))]);
  assert.equal(check.status, 2, check.stderr);
  assert.equal(check.stderr, '');
  const files = check.stdout.split('\n\n');
  assert.equal(files.length, alone.length);
  for (const [i, f] of alone.entries()) {
    const lines = files[i]!.split('\n');
    const odd = f.startsWith('probe-file-') ? probeKey(f) : objectKey(f);
    assert.ok(lines.includes('reconstruction check: 1 problem'), `${f}:\n${files[i]}`);
    assert.ok(lines.some((l) => lineOf(f, odd).test(l.replace(/^ {2}/, ''))), `${f}:\n${files[i]}`);
    assert.ok(lines.some((l) => l.startsWith(`  read: ${f.startsWith('probe-file-') ? 'an object file' : 'a probe file'} `)), `${f}:\n${files[i]}`);
  }
});

test('object files of odd types: lsqml refuses each in one line, and inspect --check --init-object lists that line, exit 2', async () => {
  for (const [i, f] of objectFiles.entries()) {
    const line = await refusal({ input: base, outputDir: join(out, `object-${f}`), settings: { epochs: 2, initObject: `file:${join(dir, f)}` } });
    assert.match(line, lineOf(f, objectKey(f)), f);
    if (!listedByInspect(i)) continue;
    const check = ptychostudy(['inspect', '--check', '--init-object', `file:${join(dir, f)}`, base]);
    assert.equal(check.status, 2, `${f}: ${check.stderr}`);
    assert.equal(check.stderr, '');
    assert.ok(check.stdout.split('\n').includes(`  ${line}`), `${f}: ${line}\n${check.stdout}`);
  }
  // a CXI image that is not complex was not named at all ("expected an object at 'object' …, found top-level keys [entry_1]")
  const image = await refusal({ input: base, outputDir: join(out, 'object-image'), settings: { epochs: 2, initObject: `file:${join(dir, 'object-file-cxi-float16.cxi')}` } });
  assert.equal(image, `${join(dir, 'object-file-cxi-float16.cxi')}: key 'entry_1/image_1/data': expected a complex object [14, 14] (a phased CXI image, entry_1/image_N/data); found dtype <f2`);
});

test('inspect --check --init-object: an object file that fits is read as lsqml reads it and shown; without --check the flag is refused', async () => {
  // the product whose probe is odd holds an object of base.cxi's frame, 14 × 14
  const file = join(dir, 'probe-file-product-float16.h5');
  const r = await runLsqmlJob({ input: base, outputDir: join(out, 'object-fits'), settings: { epochs: 2, initObject: `file:${file}` } });
  assert.equal(r.nPositions, 4);
  const check = ptychostudy(['inspect', '--check', '--init-object', `file:${file}`, base]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.ok(check.stdout.includes(`  object: file:${file}: object, [14, 14] (reconstruction.initObject)`), check.stdout);
  const npz = ptychostudy(['inspect', '--check', '--init-object', `file:${join(dir, 'object-file-ptyr-enum.ptyr')}`, 'test/fixtures/numpy/phase_c_dataset.npz']);
  assert.equal(npz.status, 2, npz.stderr);
  assert.match(npz.stdout, /object-file-ptyr-enum\.ptyr: key 'content\/obj\/S00G00\/data': expected a complex object \[\d+, \d+\] or \[1, \d+, \d+\] .*; found dtype other \(enum\)/);
  const plain = ptychostudy(['inspect', '--init-object', `file:${file}`, base]);
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /--init-object file:.*: expected with --check/);
});

test('.ptyd meta values of odd types, shapes and non-finite values: lsqml refuses each in one line; inspect --check lists the same line, exit 2', async () => {
  const check = ptychostudy(['inspect', '--check', '--probe-model', 'aperture:diameter=2e-6', ...metaFiles.map((f) => join(dir, f))]);
  assert.equal(check.status, 2, check.stderr);
  assert.equal(check.stderr, '');
  const listed = check.stdout.split('\n');
  for (const f of metaFiles) {
    const line = await refusal({ input: join(dir, f), outputDir: join(out, f), settings: { epochs: 2, probeModel: 'aperture:diameter=2e-6' } });
    assert.match(line, lineOf(f, metaKey(f)), f);
    assert.ok(listed.includes(`  ${line}`), `${f}: ${line}`);
  }
  // non-finite values are named as such (a NaN centre was refused as one far from the pattern centre, a NaN pixel size as one in µm)
  for (const key of ['energy', 'distance', 'psize', 'center']) {
    const line = await refusal({ input: join(dir, `ptyd-meta-${key}-nan.ptyd`), outputDir: join(out, `nan-${key}`), settings: { epochs: 2, probeModel: 'aperture:diameter=2e-6' } });
    assert.match(line, /finite[^;]*; found [^;]*NaN\]?$/, line);
  }
});

test('.ptyd meta/shape: integers of another width than PtyPy\'s int64 are read; a shape that is not the frames\' is refused naming both', async () => {
  const read = await readInputData(join(dir, 'int32-shape.ptyd'));
  assert.ok(read.format === 'ptyd');
  assert.equal(read.measured.keys.frame_shape, 'meta/shape');
  assert.deepEqual([read.measured.H, read.measured.W], [8, 8]);
  const settings = { epochs: 2, probeModel: 'aperture:diameter=2e-6' };
  assert.equal(await refusal({ input: join(dir, 'ptyd-meta-shape-disagrees.ptyd'), outputDir: join(out, 'shape-disagrees'), settings }),
    `${join(dir, 'ptyd-meta-shape-disagrees.ptyd')}: key 'meta/shape': expected the frames' shape [H, W], 2 integers as PtyScan writes it, or one integer n for [n, n] (or None), ` +
    'that of the frames stored: [8, 8] (chunks/0/data); found [16, 16]');
  assert.match(await refusal({ input: join(dir, 'ptyd-meta-shape-nan.ptyd'), outputDir: join(out, 'shape-float'), settings }), /key 'meta\/shape': expected [^;]+; found dtype <f8$/);
});

test('lsqml on the command line: exit 2, one line (a few of them)', () => {
  const probe = 'probe-file-ptyr-vlen.ptyr', object = 'object-file-product-reference.h5', meta = 'ptyd-meta-psize-compound.ptyd';
  assertRefused(ptychostudy(['lsqml', '--input', base, '--out', join(out, 'cli-probe'), '--epochs', '2', '--init-probe', `file:${join(dir, probe)}`]),
    'lsqml', new RegExp(`^ptychostudy lsqml: ${lineOf(probe, probeKey(probe)).source.slice(1)}`));
  assertRefused(ptychostudy(['lsqml', '--input', base, '--out', join(out, 'cli-object'), '--epochs', '2', '--init-object', `file:${join(dir, object)}`]),
    'lsqml', new RegExp(`^ptychostudy lsqml: ${lineOf(object, objectKey(object)).source.slice(1)}`));
  assertRefused(ptychostudy(['lsqml', '--input', join(dir, meta), '--out', join(out, 'cli-meta'), '--epochs', '2', '--probe-model', 'aperture:diameter=2e-6']),
    'lsqml', new RegExp(`^ptychostudy lsqml: ${lineOf(meta, metaKey(meta)).source.slice(1)}`));
});
