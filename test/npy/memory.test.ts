/**
 * Peak memory of reading one large member, measured in a fresh child process (maxRSS − RSS before the
 * read). A proportional stand-in for the 655 MB case that `npm run bench -- npz` measures. With
 * incompressible data (the worst case: compressed ≈ inflated size) a stored member must cost one copy
 * (~1×) and a deflated one two (compressed + inflated, ~2× plus a few MB of fixed overhead) — never a
 * third copy (~3×). Real diffraction data compresses to ~30 %, so it costs ~1.3× (see the bench).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveNpz } from '../../src/npy/npz.js';

const npzModule = new URL('../../src/npy/npz.js', import.meta.url).href;
const CHILD = `
const { NpzReader } = await import(process.argv[1]);
const before = process.memoryUsage().rss;
const r = NpzReader.open(process.argv[2]);
const a = r.get('diffraction');
r.close();
console.log(JSON.stringify({ bytes: a.data.byteLength, extra: process.resourceUsage().maxRSS * 1024 - before }));
`;

test('peak memory of loading a 64 MB incompressible member: one copy stored, two (not three) deflated', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'npz-mem-'));
  try {
    const n = 1000, N = 128; // 64 MB of float32
    const data = new Float32Array(n * N * N);
    let s = 12345;
    for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = s / 2 ** 32; }
    const member = { dtype: '<f4', shape: [n, N, N], data };
    const ratios: Record<string, number> = {};
    for (const [name, compress] of [['stored', false], ['deflated', true]] as const) {
      const p = join(dir, `${name}.npz`);
      saveNpz(p, { diffraction: member }, { compress, level: 1 });
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, npzModule, p], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const { bytes, extra } = JSON.parse(r.stdout) as { bytes: number; extra: number };
      assert.equal(bytes, n * N * N * 4);
      ratios[name] = extra / bytes;
    }
    t.diagnostic(`peak extra memory / member size: stored ${ratios.stored!.toFixed(2)}, deflated ${ratios.deflated!.toFixed(2)}`);
    assert.ok(ratios.stored! < 1.3, `stored: peak ${ratios.stored!.toFixed(2)}x the member`);
    assert.ok(ratios.deflated! < 2.5, `deflated: peak ${ratios.deflated!.toFixed(2)}x the member`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
