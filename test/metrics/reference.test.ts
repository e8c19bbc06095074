import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { colormapLut } from '../../src/report/colormap.js';
import { checkAgainstReference, loadReference } from './reference-values.js';

const FIXTURE = 'test/fixtures/metrics/reference.json';

test('SSIM, MS-SSIM, FRC, MAE/MSE, Gaussian filter and registration match the committed scikit-image / NumPy values', () => {
  checkAgainstReference(loadReference(FIXTURE));
});

test('colormap tables equal matplotlib\'s (committed values)', () => {
  const ref = loadReference(FIXTURE);
  for (const name of ['viridis', 'twilight', 'RdBu'] as const) {
    const hex = ref.colormaps[name];
    assert.ok(hex, `fixture has ${name}`);
    assert.equal(Buffer.from(colormapLut(name)).toString('hex'), hex, name);
  }
});

function hasSkimage(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import skimage, scipy, numpy'], { encoding: 'utf8' });
  return r.status === 0;
}

test('live: values recomputed now by scikit-image (Debian python3) match the TypeScript metrics', (t) => {
  if (!hasSkimage()) { t.skip('/usr/bin/python3 with scikit-image, scipy and numpy is not installed (CI installs python3-skimage)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-metrics-'));
  try {
    const r = spawnSync('/usr/bin/python3', ['scripts/make-metric-fixtures.py', '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    checkAgainstReference(loadReference(join(dir, 'reference.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
