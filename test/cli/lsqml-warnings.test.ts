/** `ptychostudy lsqml` prints what the input reading and the engine warned of, one `warning:` line each, on stderr. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadNpz } from '../../src/npy/npz.js';
import { readMetadata } from '../../src/data/metadata.js';

test('ptychostudy lsqml prints the warnings it records in _metadata.warnings', () => {
  const out = mkdtempSync(join(tmpdir(), 'ptychostudy-lsqml-warnings-'));
  try {
    const input = resolve('test/fixtures/cxi/scan.ptyd');
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lsqml', '--input', input, '--out', join(out, 'job'), '--epochs', '2',
      '--init-probe', `file:${resolve('test/fixtures/cxi/probe.ptyr')}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stderr.split('\n').filter((l) => l.startsWith('warning: ')).map((l) => l.slice('warning: '.length));
    const m = readMetadata(loadNpz(join(out, 'job', 'reconstruction.npz'))._metadata!);
    assert.equal(m.status, 'ok');
    const recorded = (m as { value: Record<string, unknown> }).value.warnings as string[];
    assert.ok(recorded.some((w) => w.includes("key 'chunks/0/weights'")), recorded.join(' | '));
    assert.deepEqual(printed, recorded);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
