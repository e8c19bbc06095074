/**
 * `inspect --check` of a PtyPy reconstruction (.ptyr) or a ptychodus product given alone (data/inspect-reconstruction-file.ts):
 * the probe and the object it holds, read as `--init-probe file:PATH` and `--init-object file:PATH` read them, each
 * named, every refusal listed (exit 2); a file without an object said to be a probe file only; the settings of measured
 * data (`--cxi-entry`, `--radiation`, the crop) and the probe and object a reconstruction would start from instead
 * (`--init-probe`, `--probe-model`, `--init-object`) refused as having nothing to apply to, as plain `inspect --cxi-entry` is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { summarizeHdf5, type Hdf5Check } from '../../src/data/inspect-hdf5.js';
import { cxiEntryMessage } from '../../src/data/cxi.js';
import { rewriteHdf5 } from './hdf5-rewrite.js';
import { ptychostudy } from './cli-run.js';
import { tempDir } from '../tmp.js';

const dir = tempDir('reconstruction-file-check');
const ptyr = 'test/fixtures/cxi/probe.ptyr';
const product = 'test/fixtures/cxi/probe-product.h5';
const probeLine = (file: string, key: string, probe: string): string => `a probe file (--init-probe file:${file}), no diffraction data: ${file}: ${key}, ${probe}`;

/** interleaved complex [n] of ones, as h5wasm writes a complex dataset ({r, i}). */
const complexOnes = (n: number): Map<string, Float32Array> => new Map([['r', new Float32Array(n).fill(1)], ['i', new Float32Array(n)]]);

async function check(file: string, opts: Parameters<typeof summarizeHdf5>[1] = {}): Promise<Hdf5Check> {
  const s = await summarizeHdf5(file, { check: true, ...opts });
  assert.ok(s.check, file);
  return s.check;
}

test('a ptychodus product alone: its probe and its object, each read as its reader reads it and named', async () => {
  const c = await check(product);
  assert.deepEqual(c, {
    valid: true, violations: [], warnings: [],
    reads: [probeLine(product, 'probe', '2 modes of 32×32, pixel [1.2915e-7, 1.2915e-7] m'),
      `an object file (--init-object file:${product}): object, [80, 64], pixel [1.2915e-7, 1.2915e-7] m`],
  });
});

test('a .ptyr without content/obj: its probe read, and said to hold no object (a probe file only), not refused', async () => {
  const c = await check(ptyr);
  assert.equal(c.valid, true, c.violations.join('\n'));
  assert.deepEqual(c.reads, [probeLine(ptyr, 'content/probe/Sscan00G00/data', '1 mode of 32×32, pixel [1.2915e-7, 1.2915e-7] m'),
    `no object (no content/obj): not an object file for --init-object file:${ptyr}`]);
});

test('a .ptyr whose probe and object are both refused lists both lines; one whose object alone is refused, that line and the probe read (exit 2)', async () => {
  const both = join(dir, 'both.ptyr');
  rewriteHdf5(ptyr, both, { datasets: {
    'content/probe/Sscan00G00/data': { data: new Float32Array(32 * 32).fill(1), shape: [1, 32, 32], dtype: '<f' },
    'content/obj/S00G00/data': { data: complexOnes(2 * 14 * 14), shape: [2, 14, 14] },
  } });
  const c = await check(both);
  assert.equal(c.valid, false);
  assert.deepEqual(c.violations, [
    `${both}: key 'content/probe/Sscan00G00/data': expected a complex probe [32, 32] or [M, 32, 32] (the size of the diffraction patterns); found dtype <f4`,
    `${both}: key 'content/obj/S00G00/data': expected a complex object [14, 14] or [1, 14, 14] (the object frame of this dataset; only a ptychodus product's ` +
      'centre or a PtyPy .ptyr\'s origin places an object of another shape: crop or pad it to [14, 14]): one layer or mode (ptychostudy reconstructs a single slice); found shape [2, 14, 14] (2 layers or modes)',
  ]);
  const objectOnly = join(dir, 'object-group.ptyr');
  rewriteHdf5(ptyr, objectOnly, { datasets: { 'content/obj': { data: new Float64Array(3), shape: [3], dtype: '<d' } } });
  const o = await check(objectOnly);
  assert.deepEqual(o.violations, [`${objectOnly}: key 'content/obj': expected a group of object storages (PtyPy reconstruction); found a dataset`]);
  assert.deepEqual(o.reads, [probeLine(objectOnly, 'content/probe/Sscan00G00/data', '1 mode of 32×32, pixel [1.2915e-7, 1.2915e-7] m')]);
  const r = ptychostudy(['inspect', '--check', objectOnly]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, '');
  assert.ok(r.stdout.endsWith(`reconstruction check: 1 problem\n  ${o.violations[0]}\n  read: ${o.reads[0]}\n`), r.stdout);
});

test('a .ptyr with an object and no probe: an object file only, its object read and said to hold no probe (it was "expected CXI diffraction data")', async () => {
  const objectFile = join(dir, 'object-only.ptyr');
  rewriteHdf5(ptyr, objectFile, { drop: ['content/probe'], datasets: { 'content/obj/S00G00/data': { data: complexOnes(14 * 14), shape: [14, 14] } } });
  const c = await check(objectFile);
  assert.equal(c.valid, true, c.violations.join('\n'));
  assert.equal(c.reads.length, 2);
  assert.equal(c.reads[0], `no probe (no content/probe): not a probe file for --init-probe file:${objectFile}`);
  assert.match(c.reads[1]!, new RegExp(`^an object file \\(--init-object file:${objectFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): content/obj/S00G00/data, \\[14, 14\\]`));
  const r = ptychostudy(['inspect', '--check', objectFile]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PtyPy reconstruction \(\.ptyr\)/);
});

test('a .ptyr whose content/probe holds no storage: the probe reader\'s line (it was "holds a probe, an object and positions but no diffraction data")', async () => {
  const empty = join(dir, 'empty-probe.ptyr');
  rewriteHdf5(ptyr, empty, { drop: ['content/probe/Sscan00G00'], groups: ['content/probe'] });
  const c = await check(empty);
  assert.deepEqual(c.violations, [`${empty}: key 'content/probe': expected a probe storage (PtyPy reconstruction); found an empty group`]);
});

test('--cxi-entry with --check of a .ptyr or a product: refused in one line, exit 2, as without --check (it was ignored)', async () => {
  for (const [file, kind] of [[ptyr, 'a PtyPy reconstruction (.ptyr)'], [product, 'a ptychodus product']] as const) {
    const c = await check(file, { frames: { cxiEntry: 'entry_2' } });
    assert.equal(c.valid, false);
    assert.deepEqual(c.violations, [cxiEntryMessage(file, 'entry_2', kind)]);
    const r = ptychostudy(['inspect', '--check', '--cxi-entry', 'entry_2', file]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.ok(r.stdout.includes(`reconstruction check: 1 problem\n  ${cxiEntryMessage(file, 'entry_2', kind)}\n`), r.stdout);
    // without --check: the same line, on stderr
    const plain = ptychostudy(['inspect', '--cxi-entry', 'entry_2', file]);
    assert.equal(plain.status, 2);
    assert.equal(plain.stderr, `ptychostudy inspect: ${cxiEntryMessage(file, 'entry_2', kind)}\n`);
  }
});

test('--init-probe, --probe-model and --init-object with --check of a .ptyr or a product alone: refused in one line naming each, exit 2 (they were ignored); beside data, they apply to it', () => {
  const scan = 'test/fixtures/cxi/scan.cxi';
  const refusal = (file: string, kind: string, given: string, one: boolean): string =>
    `${file}: ${given}: expected measured data (CXI, PtyPy .ptyd) or a dataset NPZ, whose patterns and scan ${one ? 'it is' : 'they are'} read for; ` +
    `found a ${kind}, which holds neither (its own probe and object are checked here, as --init-probe file: and --init-object file: read them): ` +
    `leave ${one ? 'the setting' : 'the settings'} out, or check ${one ? 'it' : 'them'} with the data`;
  // a product checked with another file's probe: the refusal, then what was read of the product's own probe and object
  const p = ptychostudy(['inspect', '--check', '--init-probe', `file:${ptyr}`, product]);
  assert.equal(p.status, 2, p.stdout + p.stderr);
  assert.equal(p.stderr, '');
  assert.ok(p.stdout.endsWith([
    'reconstruction check: 1 problem',
    `  ${refusal(product, 'ptychodus product', `reconstruction.initProbe (--init-probe) file:${ptyr}`, true)}`,
    `  read: ${probeLine(product, 'probe', '2 modes of 32×32, pixel [1.2915e-7, 1.2915e-7] m')}`,
    `  read: an object file (--init-object file:${product}): object, [80, 64], pixel [1.2915e-7, 1.2915e-7] m`, ''].join('\n')), p.stdout);
  // a model and an object file: one line naming both; from a settings file, the same line
  const both = `reconstruction.probeModel (--probe-model) aperture:diameter=2e-6, reconstruction.initObject (--init-object) file:${product}`;
  const m = ptychostudy(['inspect', '--check', '--probe-model', 'aperture:diameter=2e-6', '--init-object', `file:${product}`, ptyr]);
  assert.equal(m.status, 2, m.stdout + m.stderr);
  assert.ok(m.stdout.includes(`reconstruction check: 1 problem\n  ${refusal(ptyr, 'PtyPy reconstruction (.ptyr)', both, false)}\n`), m.stdout);
  const config = join(dir, 'start.yaml');
  writeFileSync(config, `reconstruction:\n  initObject: file:${resolve(product)}\n`);
  const c = ptychostudy(['inspect', '--check', '--config', config, ptyr]);
  assert.equal(c.status, 2, c.stdout + c.stderr);
  assert.ok(c.stdout.includes(`\n  ${refusal(ptyr, 'PtyPy reconstruction (.ptyr)', `reconstruction.initObject (--init-object) file:${resolve(product)}`, true)}\n`), c.stdout);
  // beside data the probe file is read for the data's patterns (its own line), and refused for the product alone
  const mixed = ptychostudy(['inspect', '--check', '--init-probe', `file:${ptyr}`, scan, product]);
  assert.equal(mixed.status, 2, mixed.stdout + mixed.stderr);
  assert.match(mixed.stdout, new RegExp(`^  probe: file:${ptyr.replace(/\./g, '\\.')}: content/probe/Sscan00G00/data \\(reconstruction\\.initProbe\\), 1 mode of 32×32`, 'm'));
  assert.equal(mixed.stdout.match(/^reconstruction check: /gm)?.length, 2, mixed.stdout);
  assert.ok(mixed.stdout.includes(`reconstruction check: 1 problem\n  ${refusal(product, 'ptychodus product', `reconstruction.initProbe (--init-probe) file:${ptyr}`, true)}\n`), mixed.stdout);
});
