import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { selectionFacts } from '../../src/study/reconstruct/selection.js';
import { saveNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { SPARSE_META, tmp, unicode0d } from './reconstruct-helpers.js';

const FIX = 'test/fixtures/reconstruct';
const EXPECTED_SPARSE = { metadata: 'ok', selection_strategy: 'greedy', acceptance_rate: 0.3, spacing_threshold: 102.4, n_accepted: 3, n_rejected: 7 };
const xy: Record<string, NdArray> = { xcoords: { dtype: '<f8', shape: [4], data: new Float64Array([1, 2, 3, 4]) } };

test('metadata from NumPy files: pickled 0-d object string, 0-d <U and |S bytes all decode with numeric types', () => {
  for (const f of ['meta_pickled.npz', 'meta_unicode.npz', 'meta_bytes.npz']) {
    const facts = selectionFacts(join(FIX, f), 'sparse');
    assert.deepEqual(facts, EXPECTED_SPARSE, f);
    assert.equal(typeof facts.acceptance_rate, 'number');
    assert.ok(Number.isInteger(facts.n_accepted));
  }
});

function findNumpy(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

test('metadata pickled by the NumPy on this machine (np.array(json_str, dtype=object)) decodes', (t) => {
  const py = findNumpy();
  if (py === null) { t.skip('numpy not available'); return; }
  const dir = tmp('meta-py');
  const path = join(dir, 'sparse_train.npz');
  const code = 'import json, sys, numpy as np\n' +
    `meta = json.loads(sys.argv[2])\n` +
    'np.savez(sys.argv[1], xcoords=np.arange(5.0), _metadata=np.array(json.dumps(meta, indent=2), dtype=object))\n';
  const r = spawnSync(py, ['-c', code, path, JSON.stringify({ ...SPARSE_META, n_accepted: 5, acceptance_rate: 0.5 })], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(selectionFacts(path, 'sparse'), { ...EXPECTED_SPARSE, n_accepted: 5, acceptance_rate: 0.5 });
  rmSync(dir, { recursive: true, force: true });
});

test('absent, broken, incomplete and wrongly typed metadata are recorded, never a silent {} or made-up zeros', () => {
  const dir = tmp('meta');
  const p = (n: string): string => join(dir, n);
  saveNpz(p('absent.npz'), xy);
  assert.deepEqual(selectionFacts(p('absent.npz'), 'dense'), { metadata: 'absent' });

  saveNpz(p('broken.npz'), { ...xy, _metadata: unicode0d('{"selection_strategy": "direct", ') });
  const broken = selectionFacts(p('broken.npz'), 'dense');
  assert.equal(broken.metadata, 'error');
  assert.match(broken.metadata_error!, /broken\.npz.*not valid JSON/);
  assert.equal(broken.n_accepted, undefined);

  saveNpz(p('array.npz'), { ...xy, _metadata: unicode0d('[1, 2]') });
  assert.equal(selectionFacts(p('array.npz'), 'dense').metadata, 'error');

  saveNpz(p('partial.npz'), { ...xy, _metadata: unicode0d(JSON.stringify({ overlap_view: 'dense', n_accepted: 8, spacing_threshold: 38.4 })) });
  assert.deepEqual(selectionFacts(p('partial.npz'), 'dense'), {
    metadata: 'ok', spacing_threshold: 38.4, n_accepted: 8,
    metadata_missing_fields: ['selection_strategy', 'acceptance_rate', 'n_rejected'],
  });

  saveNpz(p('typed.npz'), { ...xy, _metadata: unicode0d(JSON.stringify({ ...SPARSE_META, acceptance_rate: 'high', n_rejected: 2.5, insufficient_positions: 'no' })) });
  const typed = selectionFacts(p('typed.npz'), 'sparse');
  assert.equal(typed.metadata, 'error');
  assert.match(typed.metadata_error!, /acceptance_rate: expected a number, found "high"/);
  assert.match(typed.metadata_error!, /n_rejected: expected a non-negative integer, found 2\.5/);
  assert.match(typed.metadata_error!, /insufficient_positions: expected true or false, found "no"/);
  assert.equal(typed.acceptance_rate, undefined);
  assert.equal(typed.n_accepted, 3);

  // numbers written as strings (the reference coerced them with float()/int()) come back as numbers
  saveNpz(p('strings.npz'), { ...xy, _metadata: unicode0d(JSON.stringify({ ...SPARSE_META, acceptance_rate: '0.3', n_accepted: '3' })) });
  assert.deepEqual(selectionFacts(p('strings.npz'), 'sparse'), EXPECTED_SPARSE);

  assert.equal(selectionFacts(p('no-such-file.npz'), 'sparse').metadata, 'error');
  rmSync(dir, { recursive: true, force: true });
});

test('baseline jobs carry the Phase C facts: all positions accepted, no threshold', () => {
  const dir = tmp('meta-base');
  const path = join(dir, 'patched_train.npz');
  saveNpz(path, { xcoords: { dtype: '<f8', shape: [7], data: new Float64Array(7) }, _metadata: unicode0d('{"dose": 1000}') });
  assert.deepEqual(selectionFacts(path, 'baseline'),
    { metadata: 'ok', selection_strategy: 'full', acceptance_rate: 1, spacing_threshold: null, n_accepted: 7, n_rejected: 0 });
  const pickled = selectionFacts(join(FIX, 'meta_pickled.npz'), 'baseline');
  assert.equal(pickled.n_accepted, 10);
  assert.equal(pickled.metadata, 'ok');
  saveNpz(path, { diffraction: { dtype: '<f4', shape: [1, 1, 1], data: new Float32Array(1) } });
  const noCoords = selectionFacts(path, 'baseline');
  assert.equal(noCoords.metadata, 'error');
  assert.match(noCoords.metadata_error!, /cannot count the positions/);
  assert.equal(noCoords.n_accepted, undefined);
  rmSync(dir, { recursive: true, force: true });
});
