import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runComparison } from '../../src/study/compare/phase.js';
import { phaseCMetadataCompliance } from '../../src/study/compare/phase-c-compliance.js';
import { readMetricsSummary } from '../../src/study/hub/metrics-summary.js';
import { metadataArray } from '../../src/data/metadata.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { makeHub } from './compare-hub.js';

/** Rewrites a Phase C split with other `_metadata` (undefined: none). */
function setMetadata(file: string, meta: Record<string, unknown> | undefined): void {
  const arrays = loadNpz(file);
  delete arrays['_metadata'];
  saveNpz(file, meta === undefined ? arrays : { ...arrays, _metadata: metadataArray(meta) });
}

const CANONICAL = { data_transformations: [{ tool: 'ptychostudy generate', operation: 'train_test_split' }, { tool: 'transpose_rename_convert' }] };

test('compare records each Phase C split\'s _metadata compliance (metadata present, transpose_rename_convert recorded) in the summary', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compliance-'));
  try {
    const r = makeHub(root, { doses: [1000, 10000] });
    const c = (dose: number, split: string): string => join(r.c, `dose_${dose}`, `patched_${split}.npz`);
    setMetadata(c(1000, 'train'), { dose: 1000, ...CANONICAL });
    // dose_1000 test keeps makeHub's metadata, which records no transformation
    setMetadata(c(10000, 'train'), undefined);
    writeFileSync(c(10000, 'test'), 'not a zip');

    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline', dose: 1000, figures: false, charts: false });
    const s = readMetricsSummary(join(r.g, 'metrics_summary.json'))!;
    const got = s.phase_c_metadata_compliance as Record<string, Record<string, Record<string, unknown>>>;
    assert.ok(got, 'phase_c_metadata_compliance is written');
    assert.deepEqual(Object.keys(got), ['dose_1000', 'dose_10000'], 'every dose directory of Phase C, ascending');
    assert.deepEqual(got['dose_1000']!['train'], {
      npz_path: '../phase_c/dose_1000/patched_train.npz', has_metadata: true, has_canonical_transform: true, compliant: true,
    });
    assert.deepEqual(got['dose_1000']!['test'], {
      npz_path: '../phase_c/dose_1000/patched_test.npz', has_metadata: true, has_canonical_transform: false, compliant: false,
    });
    assert.deepEqual(got['dose_10000']!['train'], {
      npz_path: '../phase_c/dose_10000/patched_train.npz', has_metadata: false, has_canonical_transform: false, compliant: false,
    });
    const broken = got['dose_10000']!['test']!;
    assert.equal(broken['compliant'], false);
    assert.match(String(broken['error']), /not a valid \.npz/);

    const md = readFileSync(join(r.g, 'metrics_summary.md'), 'utf8');
    assert.match(md, /## Phase C Metadata Compliance/);
    assert.match(md, /\| dose_1000 \| train \| \.\.\/phase_c\/dose_1000\/patched_train\.npz \| ✓ \| ✓ \| ✓ \|/);
    assert.match(md, /\| dose_10000 \| train \| \.\.\/phase_c\/dose_10000\/patched_train\.npz \| ✗ \| ✗ \| ✗ \|/);

    // a later run sees the files as they are then
    setMetadata(c(1000, 'test'), CANONICAL);
    await runComparison({ phaseCRoot: r.c, phaseDRoot: r.d, phaseFRoot: r.f, outputRoot: r.g, view: 'baseline', dose: 1000, split: 'test', figures: false, charts: false });
    const again = readMetricsSummary(join(r.g, 'metrics_summary.json'))!.phase_c_metadata_compliance as typeof got;
    assert.equal(again['dose_1000']!['test']!['compliant'], true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Phase C compliance: a missing file is "File not found"; a missing Phase C root is one error', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compliance-'));
  try {
    const r = makeHub(root, { doses: [1000] });
    rmSync(join(r.c, 'dose_1000', 'patched_test.npz'));
    const got = phaseCMetadataCompliance(r.c, r.g) as unknown as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(got['dose_1000']!['test'], {
      npz_path: '../phase_c/dose_1000/patched_test.npz', has_metadata: false, has_canonical_transform: false, compliant: false, error: 'File not found',
    });
    assert.deepEqual(phaseCMetadataCompliance(join(root, 'nowhere'), r.g), { error: 'Phase C root not found: ../nowhere' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Phase C compliance reads PtychoPINN\'s pickled 0-d object _metadata (test/fixtures/numpy/phase_c_dataset.npz, written by NumPy)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ptychostudy-compliance-'));
  try {
    const r = makeHub(root, { doses: [1000] });
    copyFileSync(join('test', 'fixtures', 'numpy', 'phase_c_dataset.npz'), join(r.c, 'dose_1000', 'patched_train.npz'));
    const got = phaseCMetadataCompliance(r.c, r.g) as unknown as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(got['dose_1000']!['train'], {
      npz_path: '../phase_c/dose_1000/patched_train.npz', has_metadata: true, has_canonical_transform: true, compliant: true,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
