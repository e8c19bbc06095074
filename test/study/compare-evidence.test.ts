/**
 * Phase G keeps its evidence: what it reads is never mistaken for "absent" when it is broken, a re-run moves
 * a job's earlier files into the job's history instead of overwriting them, the summary's current rows are
 * the ones whose files are current, and a job that cannot be written is that job's failure (through the
 * CLI, on the small synthetic hub of compare-hub.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeHub } from './compare-hub.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Run { status: number | null; stdout: string; stderr: string }
function ptychostudy(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PTYCHOSTUDY_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** Every entry under `dir` with size and mtime: what "nothing was written or moved" compares. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) { out.push(`${p}/`); walk(p); } else { const s = statSync(p); out.push(`${p} ${s.size} ${s.mtimeMs}`); }
    }
  };
  walk(dir);
  return out.sort();
}
function refused(r: Run, line: RegExp): void {
  assert.equal(r.status, 2, `exit ${r.status}: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0]!, line);
}
function hub(name: string, doses = [1000]): { root: string; c: string; d: string; f: string; g: string; base: string[] } {
  const root = mkdtempSync(join(tmpdir(), `ptychostudy-compare-${name}-`));
  const r = makeHub(root, { doses });
  return { root, ...r, base: ['compare', '--phase-c-root', r.c, '--phase-d-root', r.d, '--phase-f-root', r.f, '--out', r.g, '--view', 'baseline', '--no-charts', '--quiet'] };
}

test('compare: a Phase F manifest or skip summary that is there but broken stops the run (exit 2, nothing written)', () => {
  const h = hub('manifest');
  try {
    assert.equal(ptychostudy(h.base).status, 0);
    const before = listing(h.g);
    for (const name of ['reconstruction_manifest.json', 'skip_summary.json']) {
      const p = join(h.f, name);
      writeFileSync(p, '{"schema_version": "1.0');
      refused(ptychostudy(h.base), new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*not valid JSON`));
      assert.deepEqual(listing(h.g), before, `${name}: nothing written`);
      rmSync(p);
    }
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});

test('compare: a directory where a reconstruction belongs is an error naming it, not a missing reconstruction', () => {
  const h = hub('dir');
  try {
    assert.equal(ptychostudy(h.base).status, 0);
    const before = listing(h.g);
    const rec = join(h.f, 'dose_1000', 'baseline', 'test', 'reconstruction.npz');
    rmSync(rec);
    mkdirSync(rec);
    refused(ptychostudy(h.base), new RegExp(`${rec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected a regular file; found a directory`));
    assert.deepEqual(listing(h.g), before, 'nothing written');
  } finally {
    rmSync(h.root, { recursive: true, force: true });
  }
});
