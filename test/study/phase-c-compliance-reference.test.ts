/**
 * `phase_c_metadata_compliance` against the record the reference study's own Phase G summary wrote for the
 * same Phase C files: test/fixtures/phase-c-compliance/reference.json was made by executing PtychoPINN's
 * `summarize_phase_g_outputs` (with its `MetadataManager`) on the committed hubs
 * (scripts/make-phase-c-compliance-fixture.py; commits and fingerprints in the file). Where the two differ,
 * the difference is asserted here as documented in docs/metrics.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { phaseCMetadataCompliance, type PhaseCSplitCompliance } from '../../src/study/compare/phase-c-compliance.js';

const DIR = join('test', 'fixtures', 'phase-c-compliance');
type Record_ = Record<string, Record<string, PhaseCSplitCompliance>> | { error: string };
interface Hub { phase_c_metadata_compliance: Record_; key_order: string[] }
const fixture = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8')) as { hubs: Record<string, Hub> };

function ours(hub: string): Record<string, Record<string, PhaseCSplitCompliance>> {
  const base = join(DIR, hub);
  return phaseCMetadataCompliance(join(base, 'data', 'phase_c'), base) as Record<string, Record<string, PhaseCSplitCompliance>>;
}

/** The flags and path of a split record, and whether it has an error (the messages are each library's own). */
function judged(r: PhaseCSplitCompliance | undefined): unknown {
  if (r === undefined) return undefined;
  return { npz_path: r.npz_path, has_metadata: r.has_metadata, has_canonical_transform: r.has_canonical_transform, compliant: r.compliant, error: 'error' in r };
}

/** Splits whose record differs from the reference's, and what each side records (docs/metrics.md). */
const DIFFERENT: Record<string, { reference: unknown; ours: unknown }> = {
  // `_metadata` that is not JSON: the reference logs a warning and records no metadata; we record the parse error
  'dose_500/train': {
    reference: { npz_path: 'data/phase_c/dose_500/patched_train.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: false },
    ours: { npz_path: 'data/phase_c/dose_500/patched_train.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: true },
  },
  // JSON `null`: the same
  'dose_20000/test': {
    reference: { npz_path: 'data/phase_c/dose_20000/patched_test.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: false },
    ours: { npz_path: 'data/phase_c/dose_20000/patched_test.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: true },
  },
  // `data_transformations` holding bare strings: the reference fails on `.get` and records an error; we judge the entries
  'dose_3000/test': {
    reference: { npz_path: 'data/phase_c/dose_3000/patched_test.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: true },
    ours: { npz_path: 'data/phase_c/dose_3000/patched_test.npz', has_metadata: true, has_canonical_transform: false, compliant: false, error: false },
  },
  // a '|S' bytes `_metadata`: the reference parses `str(b'...')`, which is not JSON; we decode the bytes as UTF-8
  'dose_700/test': {
    reference: { npz_path: 'data/phase_c/dose_700/patched_test.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: false },
    ours: { npz_path: 'data/phase_c/dose_700/patched_test.npz', has_metadata: true, has_canonical_transform: true, compliant: true, error: false },
  },
};

test('Phase C compliance records what PtychoPINN\'s summarize_phase_g_outputs records for the same files, but for the documented differences', () => {
  const ref = fixture.hubs['mixed']!.phase_c_metadata_compliance as Record<string, Record<string, PhaseCSplitCompliance>>;
  const got = ours('mixed');
  assert.deepEqual(Object.keys(got).sort(), Object.keys(ref).sort(), 'the same dose keys (dose_0100 is dose_100 in both)');
  let same = 0;
  for (const dose of Object.keys(ref)) {
    assert.deepEqual(Object.keys(got[dose]!), Object.keys(ref[dose]!), `${dose}: train, then test`);
    for (const split of Object.keys(ref[dose]!)) {
      const key = `${dose}/${split}`;
      const diff = DIFFERENT[key];
      if (diff) {
        assert.deepEqual(judged(ref[dose]![split]), diff.reference, `${key}: the reference's record`);
        assert.deepEqual(judged(got[dose]![split]), diff.ours, `${key}: ours`);
      } else {
        assert.deepEqual(judged(got[dose]![split]), judged(ref[dose]![split]), key);
        const r = ref[dose]![split]!;
        if (r.error === 'File not found') assert.equal(got[dose]![split]!.error, 'File not found', key);
        same++;
      }
    }
  }
  assert.equal(same, 7 * 2 - Object.keys(DIFFERENT).length, 'every other split agrees');
  // the order of the doses: the reference sorts the directory names, we sort the doses
  assert.deepEqual(fixture.hubs['mixed']!.key_order, ['dose_100', 'dose_1000', 'dose_10000', 'dose_20000', 'dose_3000', 'dose_500', 'dose_700']);
  assert.deepEqual(Object.keys(got), ['dose_100', 'dose_500', 'dose_700', 'dose_1000', 'dose_3000', 'dose_10000', 'dose_20000']);
});

test('Phase C compliance: a directory dose_<not a number> and a missing Phase C root, against the reference', () => {
  // the reference gives up on the whole record (int('high')); we skip what is not a dose directory
  assert.match((fixture.hubs['bad-dose-name']!.phase_c_metadata_compliance as { error: string }).error, /^Failed to validate Phase C metadata: invalid literal for int\(\)/);
  const got = ours('bad-dose-name');
  assert.deepEqual(Object.keys(got), ['dose_1000']);
  assert.equal(got['dose_1000']!['train']!.compliant, true);
  assert.equal(got['dose_1000']!['test']!.compliant, true);
  // both give one error; the reference names the absolute path, we name it relative to the output root
  assert.equal((fixture.hubs['no-phase-c']!.phase_c_metadata_compliance as { error: string }).error, 'Phase C root not found: <hub>/data/phase_c');
  const base = join(DIR, 'no-phase-c');
  assert.deepEqual(phaseCMetadataCompliance(join(base, 'data', 'phase_c'), base), { error: 'Phase C root not found: data/phase_c' });
});
