/**
 * Live interop with the NumPy installed on this machine (skipped, with the reason, when there is none):
 * our writer → numpy.load(..., allow_pickle=False), and numpy's writer → our reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveNpz, NpzReader } from '../../src/npy/npz.js';
import { normalizeDtype } from '../../src/npy/npy.js';
import { metadataArray, readMetadata } from '../../src/data/metadata.js';
import type { NdArray } from '../../src/npy/types.js';
import { canonicalValues, numpyMissing, python, sampleArrays } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/make-numpy-fixtures.py', import.meta.url));
const skip = numpyMissing() ?? false;

/** Python: load FILE with allow_pickle=False and print {key: describe(arr)} as JSON (describe from the fixture script). */
const LOAD = `
import json, runpy, sys
import numpy as np
describe = runpy.run_path(sys.argv[1])['describe']
with np.load(sys.argv[2], allow_pickle=False) as d:
    print(json.dumps({k: describe(d[k]) for k in d.files}, ensure_ascii=False))
`;

function ours(): Record<string, NdArray> {
  const a: Record<string, NdArray> = { ...sampleArrays() };
  a.big_unicode = { dtype: '<U1', shape: [], data: ['é😀'.repeat(150000)] };
  a.fortran_like_3d = { dtype: '<c16', shape: [2, 3, 4], data: Float64Array.from({ length: 48 }, (_, i) => i / 3) };
  a._metadata = metadataArray({ schema_version: '1.0.0', nphotons: 1e9, list: [1, 2.5, 'x'], nested: { ok: true, none: null }, text: 'ü😀' });
  return a;
}

for (const [label, opts] of [['compressed', {}], ['stored', { compress: false }], ['zip64 records', { forceZip64: true }]] as const) {
  test(`our writer (${label}) → numpy.load(allow_pickle=False): every dtype and value`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'npz-live-'));
    try {
      const arrays = ours();
      const p = join(dir, 'ours.npz');
      saveNpz(p, arrays, opts);
      const got = JSON.parse(python(LOAD, [SCRIPT, p])) as Record<string, { dtype: string; shape: number[]; values: unknown[] }>;
      assert.deepEqual(Object.keys(got), Object.keys(arrays));
      for (const [k, a] of Object.entries(arrays)) {
        const g = got[k]!;
        const wantDtype = k === 'U' ? '<U5' : k === 'S' ? '|S3' : k === 'big_unicode' ? '<U300000' : k === '_metadata' ? a.dtype : normalizeDtype(a.dtype);
        assert.equal(g.dtype, wantDtype, `${k} dtype`);
        assert.deepEqual(g.shape, a.shape, `${k} shape`);
        assert.deepEqual(g.values, canonicalValues(a), `${k} values`);
      }
      // numpy's own json.loads of the metadata string gives the same object
      const meta = python(`import json,sys,numpy as np\nprint(json.dumps(json.loads(np.load(sys.argv[1], allow_pickle=False)['_metadata'].item())))`, [p]);
      assert.deepEqual(JSON.parse(meta), (readMetadata(arrays) as { value: unknown }).value);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("numpy's writer (np.savez and np.savez_compressed, run now) → our reader: exact values", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'npz-live-'));
  try {
    const out = python(`
import json, runpy, sys
import numpy as np
m = runpy.run_path(sys.argv[1])
arrays = m['every_dtype']()
np.savez(sys.argv[2] + '/s.npz', **arrays)
np.savez_compressed(sys.argv[2] + '/c.npz', **arrays)
with np.load(sys.argv[2] + '/s.npz', allow_pickle=True) as d:
    json.dump({'numpy': np.__version__, 'arrays': {k: m['describe'](d[k]) for k in d.files}}, open(sys.argv[2] + '/expected.json', 'w'), ensure_ascii=False)
`, [SCRIPT, dir]);
    assert.equal(out, '');
    const want = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { arrays: Record<string, { dtype: string; shape: number[]; values: unknown[] }> };
    for (const f of ['s.npz', 'c.npz']) {
      const r = NpzReader.open(join(dir, f));
      try {
        assert.deepEqual(r.keys(), Object.keys(want.arrays));
        for (const k of r.keys()) {
          const a = r.get(k);
          const w = want.arrays[k]!;
          assert.equal(a.dtype, normalizeDtype(w.dtype), `${f} ${k} dtype`);
          assert.deepEqual(a.shape, w.shape, `${f} ${k} shape`);
          assert.deepEqual(canonicalValues(a), w.values, `${f} ${k} values`);
        }
        assert.equal(readMetadata(r).status, 'ok');
      } finally {
        r.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
